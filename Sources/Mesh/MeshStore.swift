// Cluster objects as the reflectors deliver them, decoded once into the few fields the graph
// and the tables need. Every string that came from the cluster is sanitised here, where it
// enters, so nothing downstream can print a control sequence.

import GatewayAPI
import Kube
import KubeCore
import SMI

/// The kinds smitop watches.
public enum ObjectKind: String, Sendable, CaseIterable, Hashable, Codable {
    case service, deployment, pod, trafficSplit, trafficTarget
    case httpRoute, grpcRoute, linkerdHTTPRoute
    /// Linkerd's ServiceProfile: read only to tell which routes it overrides (NOTES.md §7).
    case serviceProfile

    /// The route kind this is, for the Gateway API and Linkerd policy kinds.
    public var routeKind: RouteKind? {
        switch self {
        case .httpRoute: return .httpRoute
        case .grpcRoute: return .grpcRoute
        case .linkerdHTTPRoute: return .linkerdHTTPRoute
        default: return nil
        }
    }

    public init(_ route: RouteKind) {
        switch route {
        case .httpRoute: self = .httpRoute
        case .grpcRoute: self = .grpcRoute
        case .linkerdHTTPRoute: self = .linkerdHTTPRoute
        }
    }

    /// A cluster without this kind is normal (most have no Gateway API or no Linkerd policy
    /// CRDs, and since SMI's archival most have no SMI CRDs either): it is watched as an empty
    /// list, not reported as a failure.
    public var isOptional: Bool { routeKind != nil || self == .trafficSplit || self == .trafficTarget || self == .serviceProfile }

    /// The REST resource (plural) used in URLs.
    public var resource: String {
        switch self {
        case .service: return "services"
        case .deployment: return "deployments"
        case .pod: return "pods"
        case .trafficSplit: return "trafficsplits"
        case .trafficTarget: return "traffictargets"
        case .httpRoute, .linkerdHTTPRoute: return "httproutes"
        case .grpcRoute: return "grpcroutes"
        case .serviceProfile: return "serviceprofiles"
        }
    }

    /// Where this kind is served. SMI groups are discovered (clusters serve v1alpha1 to
    /// v1alpha4 depending on the mesh); nil when the cluster does not serve the group.
    public func resource(on client: KubeClient) async throws(KubeError) -> GroupVersionResource? {
        switch self {
        case .service, .pod: return GroupVersionResource(group: "", version: "v1", resource: resource)
        case .deployment: return GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
        case .trafficSplit, .trafficTarget:
            let group = self == .trafficSplit ? "split.smi-spec.io" : "access.smi-spec.io"
            guard let info = try await client.apiGroup(group), let v = info.preferredVersion ?? info.versions.first else { return nil }
            return GroupVersionResource(group: group, version: v, resource: resource)
        case .httpRoute, .grpcRoute, .linkerdHTTPRoute:
            return try await Self.routeResource(routeKind!, on: client)
        case .serviceProfile:
            // v1alpha2 is Linkerd's storage version; v1alpha1 has the same fields.
            guard let info = try await client.apiGroup(ServiceProfile.group),
                let v = ["v1alpha2", "v1alpha1"].first(where: info.versions.contains)
            else { return nil }
            return GroupVersionResource(group: ServiceProfile.group, version: v, resource: resource)
        }
    }

    /// The version of a route kind to read: the first of the versions smitop reads (v1 before
    /// v1beta1; Linkerd's v1beta3 before v1beta2, the versions with weights) that the cluster
    /// serves, so a cluster with Gateway API 0.7–1.x CRDs works and one without is nil.
    public static func routeResource(_ kind: RouteKind, on client: KubeClient) async throws(KubeError) -> GroupVersionResource? {
        guard let info = try await client.apiGroup(kind.group) else { return nil }
        guard let v = kind.readableVersions.first(where: info.versions.contains) else { return nil }
        return GroupVersionResource(group: kind.group, version: v, resource: kind.resource)
    }
}

private func cleanMap(_ m: [String: String]) -> [String: String] {
    var out: [String: String] = [:]
    out.reserveCapacity(m.count)
    for (k, v) in m { out[clean(k)] = clean(v, limit: 1000) }
    return out
}

private func stringMap(_ j: JSON?) -> [String: String] {
    var out: [String: String] = [:]
    for (k, v) in j?.objectValue ?? JSONObject() {
        if let s = v.stringValue { out[clean(k)] = clean(s, limit: 1000) }
    }
    return out
}

public struct ServiceInfo: Sendable, Equatable {
    public var id: ObjectRef
    public var resourceVersion: String?
    /// `spec.selector`; empty means "selects nothing" (headless/external services).
    public var selector: [String: String]
    public var ports: [Int64]
    public var type: String
    public var clusterIP: String?
    public var labels: [String: String]

    public init(
        id: ObjectRef, selector: [String: String] = [:], ports: [Int64] = [], type: String = "ClusterIP",
        clusterIP: String? = nil, labels: [String: String] = [:], resourceVersion: String? = nil
    ) {
        self.id = id
        self.selector = selector
        self.ports = ports
        self.type = type
        self.clusterIP = clusterIP
        self.labels = labels
        self.resourceVersion = resourceVersion
    }

    public init(json: JSON) {
        let meta = ObjectMeta(object: json)
        id = ObjectRef(namespace: clean(meta.namespace ?? ""), name: clean(meta.name))
        resourceVersion = meta.resourceVersion
        selector = stringMap(json[path: "spec", "selector"])
        ports = (json[path: "spec", "ports"]?.arrayValue ?? []).compactMap { $0["port"]?.intValue }
        type = clean(json[path: "spec", "type"]?.stringValue ?? "ClusterIP", limit: 40)
        clusterIP = json[path: "spec", "clusterIP"]?.stringValue.map { clean($0, limit: 64) }
        labels = cleanMap(meta.labels)
    }
}

public struct DeploymentInfo: Sendable, Equatable {
    public var id: ObjectRef
    public var resourceVersion: String?
    /// Labels of the pod template: what a service selector is matched against.
    public var podLabels: [String: String]
    public var replicas: Int64
    public var readyReplicas: Int64
    public var labels: [String: String]

    public init(
        id: ObjectRef, podLabels: [String: String], replicas: Int64 = 1, readyReplicas: Int64 = 1,
        labels: [String: String] = [:], resourceVersion: String? = nil
    ) {
        self.id = id
        self.podLabels = podLabels
        self.replicas = replicas
        self.readyReplicas = readyReplicas
        self.labels = labels
        self.resourceVersion = resourceVersion
    }

    public init(json: JSON) {
        let meta = ObjectMeta(object: json)
        id = ObjectRef(namespace: clean(meta.namespace ?? ""), name: clean(meta.name))
        resourceVersion = meta.resourceVersion
        podLabels = stringMap(json[path: "spec", "template", "metadata", "labels"])
        // An absent replicas field means 1 (the API default); status fields are omitted when 0.
        replicas = json[path: "spec", "replicas"]?.intValue ?? 1
        readyReplicas = json[path: "status", "readyReplicas"]?.intValue ?? 0
        labels = cleanMap(meta.labels)
    }
}

public struct PodInfo: Sendable, Equatable {
    public var id: ObjectRef
    public var resourceVersion: String?
    public var labels: [String: String]
    public var phase: String
    public var ownerKind: String?
    public var ownerName: String?

    public init(json: JSON) {
        let meta = ObjectMeta(object: json)
        id = ObjectRef(namespace: clean(meta.namespace ?? ""), name: clean(meta.name))
        resourceVersion = meta.resourceVersion
        labels = cleanMap(meta.labels)
        phase = clean(json[path: "status", "phase"]?.stringValue ?? "Unknown", limit: 40)
        ownerKind = meta.controllerOwner.map { clean($0.kind) }
        ownerName = meta.controllerOwner.map { clean($0.name) }
    }
}

/// What one store change did, so callers know whether the graph topology may have moved.
public struct StoreChange: Sendable, Equatable {
    public var kind: ObjectKind
    /// Something that affects nodes or edges changed (not just status fields).
    public var topologyChanged: Bool
    /// Splits (TrafficSplits and route rules) that were added, changed or removed.
    public var changedSplits: Set<SplitID>
    /// Deployments whose status (not topology) changed, so only their box labels need an update.
    public var changedDeployments: Set<ObjectRef>
    public init(kind: ObjectKind, topologyChanged: Bool, changedSplits: Set<SplitID> = [], changedDeployments: Set<ObjectRef> = []) {
        self.kind = kind
        self.topologyChanged = topologyChanged
        self.changedSplits = changedSplits
        self.changedDeployments = changedDeployments
    }
}

/// All watched objects, keyed by kind and namespace/name.
public struct MeshStore: Sendable, Equatable {
    public private(set) var services: [ObjectRef: ServiceInfo] = [:]
    public private(set) var deployments: [ObjectRef: DeploymentInfo] = [:]
    public private(set) var pods: [ObjectRef: PodInfo] = [:]
    public private(set) var trafficSplits: [ObjectRef: TrafficSplit] = [:]
    public private(set) var trafficTargets: [ObjectRef: TrafficTarget] = [:]
    /// Gateway API and Linkerd policy routes, decoded and slimmed, each in the box its rule
    /// splits share (`WeightedSplit`): held inline here as well, the 10,000 routes of a large
    /// mesh were a second copy of every route's fields in a dictionary of 16,384 buckets
    /// (~5 MB of the start-up's memory, and a copy made of each route as it was stored).
    private(set) var routeBoxes: [RouteID: Shared<Route>] = [:]
    /// How many routes the store holds.
    public var routeCount: Int { routeBoxes.count }
    /// One route, decoded and slimmed.
    public func route(_ id: RouteID) -> Route? { routeBoxes[id]?.value }
    /// Linkerd ServiceProfiles, and which of them decides for which callers (kept in step on
    /// every change, so a lookup per route rule or caller is O(1)).
    public private(set) var serviceProfiles: [ObjectRef: ServiceProfile] = [:]
    public private(set) var profileIndex = ProfileIndex()
    /// Per Service, its own profile that overrides its routes (for callers without one).
    public var overridingProfiles: [ObjectRef: ServiceProfile] { profileIndex.server }
    /// Every weighted split: each TrafficSplit and each rule (with backends) of each mesh route.
    public private(set) var splits: [SplitID: WeightedSplit] = [:]
    /// Objects that could not be decoded (by kind and key), with the reason, for the message line.
    public private(set) var decodeErrors: [String: String] = [:]
    /// Bumped whenever a change could alter graph nodes or edges. The layout cache keys on it.
    public private(set) var topologyVersion: Int = 0
    /// Kinds that have delivered their first full list.
    public private(set) var synced: Set<ObjectKind> = []

    public init() {}

    public var namespaces: [String] {
        var s = Set<String>()
        for k in services.keys { s.insert(k.namespace) }
        for k in deployments.keys { s.insert(k.namespace) }
        for k in trafficSplits.keys { s.insert(k.namespace) }
        return s.sorted()
    }

    @discardableResult
    public mutating func upsert(_ kind: ObjectKind, _ object: JSON) -> StoreChange {
        let change = apply(kind, object)
        if change.topologyChanged { topologyVersion += 1 }
        return change
    }

    @discardableResult
    public mutating func delete(_ kind: ObjectKind, _ object: JSON) -> StoreChange {
        let meta = ObjectMeta(object: object)
        let id = ObjectRef(namespace: clean(meta.namespace ?? ""), name: clean(meta.name))
        decodeErrors["\(kind.rawValue):\(id.key)"] = nil
        var topo = false
        var changed: Set<SplitID> = []
        switch kind {
        case .service: topo = services.removeValue(forKey: id) != nil
        case .deployment: topo = deployments.removeValue(forKey: id) != nil
        case .pod: pods[id] = nil
        case .trafficSplit:
            topo = trafficSplits.removeValue(forKey: id) != nil
            changed = syncSplits(trafficSplit: id)
        case .trafficTarget: trafficTargets[id] = nil
        case .serviceProfile:
            topo = serviceProfiles.removeValue(forKey: id) != nil
            reindexProfiles()
        case .httpRoute, .grpcRoute, .linkerdHTTPRoute:
            let rid = RouteID(kind: kind.routeKind!, ref: id)
            let old = routeBoxes.removeValue(forKey: rid)?.value
            topo = old != nil
            changed = syncSplits(route: rid, old: old)
        }
        if topo { topologyVersion += 1 }
        return StoreChange(kind: kind, topologyChanged: topo, changedSplits: changed)
    }

    /// Brings `splits` in line with one TrafficSplit; returns the split if it changed.
    private mutating func syncSplits(trafficSplit id: ObjectRef) -> Set<SplitID> {
        let sid = SplitID.trafficSplit(id)
        let new = trafficSplits[id].map { WeightedSplit($0) }
        if splits[sid] == new { return [] }
        splits[sid] = new
        return [sid]
    }

    /// Brings `splits` in line with one route's rules (`old` is the route before the change,
    /// whose rules may be gone); returns the rules that changed. O(rules), not O(splits): a
    /// relist of 10,000 routes calls it 10,000 times.
    private mutating func syncSplits(route id: RouteID, old: Route?) -> Set<SplitID> {
        var changed: Set<SplitID> = []
        let new = routeBoxes[id].map(WeightedSplit.rules(of:)) ?? []
        let newIDs = Set(new.map(\.id))
        for i in old?.rules.indices ?? 0..<0 {
            let k = SplitID(kind: .route(id.kind), ref: id.ref, rule: i)
            if !newIDs.contains(k), splits.removeValue(forKey: k) != nil { changed.insert(k) }
        }
        for s in new where splits[s.id] != s {
            splits[s.id] = s
            changed.insert(s.id)
        }
        return changed
    }

    /// A fresh list: the kind now holds exactly these objects.
    ///
    /// An object the store already holds at the listed resourceVersion is kept as it is, not
    /// decoded and stored again: the API server gives an object a new resourceVersion on every
    /// change, so the same key at the same version is the same object (client-go's handlers skip
    /// such "updates" the same way). A relist after a dropped or expired watch, usually of a
    /// mesh that barely changed, then decodes only what changed, and reports it as a watch
    /// event would, so the graph is rebuilt only for a new topology. Rebuilding all of it was
    /// measured to cost more than time: with every kind relisting at once (after an outage),
    /// the new copies were placed beside the old ones and the list buffers, and 5,000 services
    /// kept ~34 MB more resident afterwards (heap in use flat, the freed gaps too scattered for
    /// `malloc_trim` to return; docs/reliability.md).
    @discardableResult
    public mutating func replaceAll(_ kind: ObjectKind, _ objects: [JSON]) -> StoreChange {
        // A kind that held nothing (every kind's first list) changes the topology exactly when
        // the list brings something: no fingerprint to sort and hash its objects for.
        // (Pods and TrafficTargets are not part of it.)
        let held = objectCount(kind)
        let wasEmpty = kind != .pod && kind != .trafficTarget && held == 0
        let fingerprintBefore = wasEmpty ? 0 : topologyFingerprint(kind)
        if held == 0 {
            // Sized once for the list instead of grown by doubling, each growth hashing every
            // key again (as many buckets as growing to the same count makes).
            switch kind {
            case .service: services.reserveCapacity(objects.count)
            case .deployment: deployments.reserveCapacity(objects.count)
            case .pod: pods.reserveCapacity(objects.count)
            case .trafficSplit: trafficSplits.reserveCapacity(objects.count)
            case .trafficTarget, .serviceProfile: break
            case .httpRoute, .grpcRoute, .linkerdHTTPRoute: routeBoxes.reserveCapacity(routeBoxes.count + objects.count)
            }
        }
        // Decode errors are found again by decoding: an object that failed is not held, so it
        // is never "unchanged" and is decoded below.
        if !decodeErrors.isEmpty {
            decodeErrors = decodeErrors.filter { !$0.key.hasPrefix("\(kind.rawValue):") }
        }
        // A kind's first list (the start-up) has nothing to keep or remove: no keys are
        // gathered or looked up for it.
        var listed = Set<ObjectRef>(minimumCapacity: held == 0 ? 0 : objects.count)
        var changed: Set<SplitID> = []
        var statusChanged: Set<ObjectRef> = []
        for o in objects {
            if held > 0 {
                let meta = o["metadata"]
                let id = ObjectRef(
                    namespace: clean(meta?["namespace"]?.stringValue ?? ""), name: clean(meta?["name"]?.stringValue ?? ""))
                listed.insert(id)
                if let rv = meta?["resourceVersion"]?.stringValue, !rv.isEmpty, storedVersion(kind, id) == rv { continue }
            }
            let c = apply(kind, o, reindex: false)
            changed.formUnion(c.changedSplits)
            statusChanged.formUnion(c.changedDeployments)
        }
        if held > 0 { changed.formUnion(removeAll(kind, except: listed)) }
        if kind == .serviceProfile { reindexProfiles() }
        synced.insert(kind)
        let topo = wasEmpty ? objectCount(kind) > 0 : topologyFingerprint(kind) != fingerprintBefore
        if topo { topologyVersion += 1 }
        // As for a watch event: what the graph shows of the objects that changed, without a
        // new topology, is patched in place (split shares, deployment labels).
        return StoreChange(kind: kind, topologyChanged: topo, changedSplits: changed, changedDeployments: topo ? [] : statusChanged)
    }

    /// The resourceVersion of the object of this kind and key the store holds, if any.
    private func storedVersion(_ kind: ObjectKind, _ id: ObjectRef) -> String? {
        switch kind {
        case .service: services[id]?.resourceVersion
        case .deployment: deployments[id]?.resourceVersion
        case .pod: pods[id]?.resourceVersion
        case .trafficSplit: trafficSplits[id]?.meta.resourceVersion
        case .trafficTarget: trafficTargets[id]?.meta.resourceVersion
        case .serviceProfile: serviceProfiles[id]?.meta.resourceVersion
        case .httpRoute, .grpcRoute, .linkerdHTTPRoute:
            routeBoxes[RouteID(kind: kind.routeKind!, ref: id)]?.value.meta.resourceVersion
        }
    }

    /// Removes every object of the kind whose key is not in `keep` (a list no longer has it);
    /// returns the splits that went with them. Keys are gathered first and removed one by one:
    /// a relist usually removes nothing, and filtering would copy every entry that stays.
    private mutating func removeAll(_ kind: ObjectKind, except keep: Set<ObjectRef>) -> Set<SplitID> {
        var changed: Set<SplitID> = []
        func gone<Value>(_ held: [ObjectRef: Value]) -> [ObjectRef] { held.keys.filter { !keep.contains($0) } }
        switch kind {
        case .service: for id in gone(services) { services[id] = nil }
        case .deployment: for id in gone(deployments) { deployments[id] = nil }
        case .pod: for id in gone(pods) { pods[id] = nil }
        case .trafficSplit:
            for id in gone(trafficSplits) {
                trafficSplits[id] = nil
                changed.formUnion(syncSplits(trafficSplit: id))
            }
        case .trafficTarget: for id in gone(trafficTargets) { trafficTargets[id] = nil }
        case .serviceProfile: for id in gone(serviceProfiles) { serviceProfiles[id] = nil }
        case .httpRoute, .grpcRoute, .linkerdHTTPRoute:
            for rid in routeBoxes.keys.filter({ $0.kind == kind.routeKind && !keep.contains($0.ref) }) {
                let old = routeBoxes.removeValue(forKey: rid)?.value
                changed.formUnion(syncSplits(route: rid, old: old))
            }
        }
        return changed
    }

    /// Applies a reflector delta for one kind (the runtime may forward `ReflectorAction`s as is).
    @discardableResult
    public mutating func apply(_ kind: ObjectKind, action: ReflectorAction) -> StoreChange? {
        switch action {
        case .replaceAll(let items, _): return replaceAll(kind, items)
        case .upsert(let o): return upsert(kind, o)
        case .delete(let o): return delete(kind, o)
        default: return nil
        }
    }

    /// Test/fixture helpers that bypass JSON.
    public mutating func put(service: ServiceInfo) {
        if services[service.id].map(Self.serviceTopology) != Self.serviceTopology(service) { topologyVersion += 1 }
        services[service.id] = service
    }
    public mutating func put(deployment: DeploymentInfo) {
        if deployments[deployment.id]?.podLabels != deployment.podLabels
            || deployments[deployment.id] == nil
        {
            topologyVersion += 1
        }
        deployments[deployment.id] = deployment
    }
    public mutating func put(split: TrafficSplit) {
        let id = ObjectRef(namespace: split.meta.namespace ?? "", name: split.meta.name)
        if trafficSplits[id].map(Self.splitTopology) != Self.splitTopology(split) { topologyVersion += 1 }
        trafficSplits[id] = split
        _ = syncSplits(trafficSplit: id)
    }

    private mutating func apply(_ kind: ObjectKind, _ object: JSON, reindex: Bool = true) -> StoreChange {
        switch kind {
        case .service:
            let s = ServiceInfo(json: object)
            let topo = services[s.id].map(Self.serviceTopology) != Self.serviceTopology(s)
            services[s.id] = s
            return StoreChange(kind: kind, topologyChanged: topo)
        case .deployment:
            let d = DeploymentInfo(json: object)
            let topo = deployments[d.id]?.podLabels != d.podLabels || deployments[d.id] == nil
            deployments[d.id] = d
            return StoreChange(kind: kind, topologyChanged: topo, changedDeployments: topo ? [] : [d.id])
        case .pod:
            let p = PodInfo(json: object)
            pods[p.id] = p
            return StoreChange(kind: kind, topologyChanged: false)
        case .trafficSplit:
            let meta = ObjectMeta(object: object)
            let id = ObjectRef(namespace: clean(meta.namespace ?? ""), name: clean(meta.name))
            do {
                var split = try TrafficSplit(json: object).slimmed()
                split.service = clean(split.service)
                for i in split.backends.indices { split.backends[i].service = clean(split.backends[i].service) }
                decodeErrors["\(kind.rawValue):\(id.key)"] = nil
                let old = trafficSplits[id]
                let topo = old.map(Self.splitTopology) != Self.splitTopology(split)
                trafficSplits[id] = split
                return StoreChange(kind: kind, topologyChanged: topo, changedSplits: syncSplits(trafficSplit: id))
            } catch {
                decodeErrors["\(kind.rawValue):\(id.key)"] = clean(error.description, limit: 300)
                let topo = trafficSplits.removeValue(forKey: id) != nil
                return StoreChange(kind: kind, topologyChanged: topo, changedSplits: syncSplits(trafficSplit: id))
            }
        case .trafficTarget:
            let meta = ObjectMeta(object: object)
            let id = ObjectRef(namespace: clean(meta.namespace ?? ""), name: clean(meta.name))
            do {
                trafficTargets[id] = try TrafficTarget(json: object)
                decodeErrors["\(kind.rawValue):\(id.key)"] = nil
            } catch {
                decodeErrors["\(kind.rawValue):\(id.key)"] = clean(error.description, limit: 300)
            }
            return StoreChange(kind: kind, topologyChanged: false)
        case .serviceProfile:
            let id = ObjectRef(namespace: clean(ObjectRef(object: object).namespace), name: clean(ObjectRef(object: object).name))
            let old = serviceProfiles[id]
            do {
                serviceProfiles[id] = try ServiceProfile(json: object)
                decodeErrors["\(kind.rawValue):\(id.key)"] = nil
            } catch {
                serviceProfiles[id] = nil
                decodeErrors["\(kind.rawValue):\(id.key)"] = clean(error.description, limit: 300)
            }
            if reindex { reindexProfiles() }
            return StoreChange(kind: kind, topologyChanged: old != serviceProfiles[id])
        case .httpRoute, .grpcRoute, .linkerdHTTPRoute:
            let meta = ObjectMeta(object: object)
            let id = RouteID(kind: kind.routeKind!, ref: ObjectRef(namespace: clean(meta.namespace ?? ""), name: clean(meta.name)))
            do {
                let route = Shared(try Route(json: ObjectKind.expanded(object)).slimmed())
                // A list clears its kind's errors first: 10,000 keys formatted to remove nothing.
                if !decodeErrors.isEmpty { decodeErrors["\(kind.rawValue):\(id.ref.key)"] = nil }
                let old = routeBoxes.updateValue(route, forKey: id)?.value
                // A new route always changes the topology; its topology is worked out only to
                // compare it with an old one.
                return StoreChange(
                    kind: kind, topologyChanged: old.map { Self.routeTopology($0) != Self.routeTopology(route.value) } ?? true,
                    changedSplits: syncSplits(route: id, old: old))
            } catch {
                decodeErrors["\(kind.rawValue):\(id.ref.key)"] = clean(error.description, limit: 300)
                let old = routeBoxes.removeValue(forKey: id)?.value
                return StoreChange(kind: kind, topologyChanged: old != nil, changedSplits: syncSplits(route: id, old: old))
            }
        }
    }

    /// What of a route the graph draws: parents and each rule's backends.
    private static func routeTopology(_ r: Route) -> [String] {
        r.parentRefs.map(\.description) + r.rules.flatMap { $0.backends.map { $0.displayName(routeNamespace: r.namespace) } + ["|"] }
    }

    private static func serviceTopology(_ s: ServiceInfo) -> [String: String] { s.selector }
    private static func splitTopology(_ s: TrafficSplit) -> [String] { [s.service] + s.backends.map(\.service) }

    /// How many objects of the kind the store holds (decoded ones: an object that failed to
    /// decode is not held).
    private func objectCount(_ kind: ObjectKind) -> Int {
        switch kind {
        case .service: return services.count
        case .deployment: return deployments.count
        case .pod: return pods.count
        case .trafficSplit: return trafficSplits.count
        case .trafficTarget: return trafficTargets.count
        case .serviceProfile: return serviceProfiles.count
        case .httpRoute, .grpcRoute, .linkerdHTTPRoute:
            var n = 0
            for k in routeBoxes.keys where k.kind == kind.routeKind { n += 1 }
            return n
        }
    }

    private func topologyFingerprint(_ kind: ObjectKind) -> Int {
        var h = Hasher()
        switch kind {
        case .service:
            for k in services.keys.sorted() {
                h.combine(k)
                h.combine(services[k]!.selector)
            }
        case .deployment:
            for k in deployments.keys.sorted() {
                h.combine(k)
                h.combine(deployments[k]!.podLabels)
            }
        case .trafficSplit:
            for k in trafficSplits.keys.sorted() {
                h.combine(k)
                h.combine(Self.splitTopology(trafficSplits[k]!))
            }
        case .httpRoute, .grpcRoute, .linkerdHTTPRoute:
            for k in routeBoxes.keys.sorted() where k.kind == kind.routeKind {
                h.combine(k)
                h.combine(Self.routeTopology(routeBoxes[k]!.value))
            }
        case .serviceProfile:
            for k in serviceProfiles.keys.sorted() {
                h.combine(k)
                h.combine(serviceProfiles[k]!.routeCount)
                h.combine(serviceProfiles[k]!.dstOverrides)
            }
        case .pod, .trafficTarget: break
        }
        return h.finalize()
    }

    /// Recomputes which profile decides for whom: O(profiles), run once per profile change or
    /// relist (profiles are few: one per Service and caller namespace at most).
    private mutating func reindexProfiles() {
        profileIndex = ProfileIndex(serviceProfiles.values)
    }

    /// The ServiceProfile that decides traffic instead of `split` (a route rule whose parent
    /// Service has an overriding profile for the route's callers: a consumer route's
    /// namespace's own, else the Service's); nil for TrafficSplits and routes in effect.
    public func overridingProfile(of split: WeightedSplit) -> ServiceProfile? {
        guard let r = split.route else { return nil }
        return profileIndex.overriding(routeNamespace: r.namespace, service: split.rootRef)
    }

    /// The profile that decides, for callers in `callerNamespace`, instead of `split` (nil where
    /// the split decides for them). A TrafficSplit works on Linkerd through linkerd-smi's
    /// profile in the Service's namespace, so only a caller-side profile with routes or
    /// dstOverrides takes its place, for that namespace's callers.
    public func overridingProfile(of split: WeightedSplit, callerNamespace: String) -> ServiceProfile? {
        if split.isRoute { return profileIndex.deciding(split.rootRef, callerNamespace: callerNamespace) }
        guard callerNamespace != split.rootRef.namespace, let c = profileIndex.callers[split.rootRef]?[callerNamespace], c.overridesRoutes else {
            return nil
        }
        return c
    }

    /// What the UI says about an overridden route rule: the profile, and what it decides
    /// instead (each dstOverride's Service, in the route's namespace by name, and share).
    public func overrideSummary(of split: WeightedSplit) -> (label: String, name: String, decides: [String])? {
        guard let p = overridingProfile(of: split) else { return nil }
        return (p.label, p.ref.key, decides(p, root: split.rootRef))
    }

    /// For a TrafficSplit or producer route rule: the caller namespaces whose own ServiceProfile for its
    /// Service takes the place of the Service's, and what that means for those callers
    /// ("callers in front: ServiceProfile front/pay.shop.svc.cluster.local decides: pay-v1 100%",
    /// or, for an empty one before a route, that the route decides for them). Empty for
    /// consumer routes (their callers are one namespace, `overrideSummary` says it).
    public func callerProfileNotes(of split: WeightedSplit) -> [String] {
        if let r = split.route, r.namespace != split.rootRef.namespace { return [] }
        return profileIndex.callerProfiles(of: split.rootRef).compactMap { ns, p in
            if p.overridesRoutes {
                return "callers in \(ns): \(p.label) decides: " + decides(p, root: split.rootRef).joined(separator: ", ")
            }
            // An empty one hides the Service's profile from them: the route decides there.
            return split.isRoute ? "callers in \(ns): \(p.label) is empty, so this route decides for them" : nil
        }
    }

    /// What a profile decides instead: each dstOverride's Service (by name in the root's
    /// namespace) and share, or its routes. A profile linkerd-smi wrote says first which
    /// TrafficSplit it carries: that is the object to edit.
    func decides(_ p: ServiceProfile, root: ObjectRef) -> [String] {
        let shares = p.shares
        var out = p.dstOverrides.enumerated().map { i, d in
            let name = d.service.map { $0.namespace == root.namespace ? $0.name : $0.key } ?? d.authority
            return name + " " + (shares[i].map { Fraction(Int128(($0 * 1000).rounded()), 1000).percentText(decimals: 0) } ?? d.weightText)
        }
        if out.isEmpty { out = ["its \(p.routeCount) routes"] }
        if let carried = carriedSplit(p) { out.insert(carried, at: 0) }
        return out
    }

    /// For a profile linkerd-smi wrote: the TrafficSplit it carries, as the UI names it
    /// ("TrafficSplit bookstore/books, through linkerd-smi"); nil for any other profile.
    public func carriedSplit(_ p: ServiceProfile) -> String? {
        guard p.fromLinkerdSMI, let svc = p.service else { return nil }
        let carried = trafficSplits.values.filter { ($0.meta.namespace ?? "") == p.namespace && $0.service == svc.name }
            .map { ObjectRef(namespace: p.namespace, name: $0.meta.name) }.min()
        return carried.map { "TrafficSplit \($0.key), through linkerd-smi" } ?? "a TrafficSplit, through linkerd-smi"
    }

    // MARK: relations

    /// Deployments whose pod template matches the service's selector (same namespace).
    public func workloads(selectedBy service: ServiceInfo) -> [DeploymentInfo] {
        guard !service.selector.isEmpty else { return [] }
        return deployments.values.filter { d in
            d.id.namespace == service.id.namespace
                && service.selector.allSatisfy { d.podLabels[$0.key] == $0.value }
        }.sorted { $0.id < $1.id }
    }

    /// Pods a deployment owns, by label match (pods are owned through ReplicaSets).
    public func pods(of deployment: DeploymentInfo) -> [PodInfo] {
        guard !deployment.podLabels.isEmpty else { return [] }
        return pods.values.filter { p in
            p.id.namespace == deployment.id.namespace
                && deployment.podLabels.allSatisfy { p.labels[$0.key] == $0.value }
        }.sorted { $0.id < $1.id }
    }
}
