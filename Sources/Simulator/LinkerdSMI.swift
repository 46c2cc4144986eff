import Foundation
import KubeCore

// linkerd-smi's adaptor, simulated (`smitop sim --linkerd-smi`, Linkerd profiles only): on
// Linkerd a TrafficSplit does nothing by itself; the linkerd-smi extension's `smi-adaptor`
// turns each one into the ServiceProfile the proxies read (linkerd/linkerd-smi
// pkg/adaptor/controller.go), and that profile then takes precedence over every HTTPRoute on
// the Service (../shared/gateway-api/NOTES.md §7). What it does, and so what this does:
//
// - for a TrafficSplit in namespace NS with `spec.service` S, the profile
//   `S.NS.svc.cluster.local` in NS: created when missing (no ownerReference, no routes) with
//   one `dstOverrides` entry per backend, authority `B.NS.svc.cluster.local` (no port) and the
//   backend's weight as a quantity; when it exists, its `dstOverrides` replaced by those;
// - a profile annotated `smi.linkerd.io/skip` is never changed;
// - when the TrafficSplit goes, the profile stays with its `dstOverrides` removed.
//
// Writes carry the field manager `smi-adaptor` (the adaptor binary's name, which the API
// server takes from its user agent). Two TrafficSplits for one Service: the adaptor writes
// whichever it synced last; here the name that sorts first wins, as the traffic model reads
// TrafficSplits, so the profile does not flap.

enum SMIAdaptor {
    static let manager = "smi-adaptor"
    static let skipAnnotation = "smi.linkerd.io/skip"
    static let clusterDomain = "cluster.local"

    static func fqdn(_ service: String, _ namespace: String) -> String { "\(service).\(namespace).svc.\(clusterDomain)" }

    /// The `dstOverrides` the adaptor writes for each TrafficSplit's Service (by namespace and
    /// `spec.service`). A TrafficSplit whose weights are not quantities is skipped: the
    /// adaptor's typed client could not decode it either.
    static func desired(splits: some Sequence<JSON>) -> [ObjectRef: (split: String, dst: JSON)] {
        var out: [ObjectRef: (split: String, dst: JSON)] = [:]
        for ts in splits {
            guard let ns = ts[path: "metadata", "namespace"]?.stringValue, let name = ts[path: "metadata", "name"]?.stringValue,
                let svc = ts[path: "spec", "service"]?.stringValue, !svc.isEmpty,
                ts[path: "metadata", "deletionTimestamp"] == nil
            else { continue }
            let key = ObjectRef(namespace: ns, name: svc)
            if let existing = out[key], existing.split <= name { continue }
            var entries: [JSON] = []
            var valid = true
            for b in ts[path: "spec", "backends"]?.arrayValue ?? [] {
                guard let backend = b["service"]?.stringValue, let w = b["weight"], let q = try? Quantity(json: w) else {
                    valid = false
                    break
                }
                entries.append(["authority": .string(fqdn(backend, ns)), "weight": .string(q.canonical)])
            }
            if valid { out[key] = (name, .array(entries)) }
        }
        return out
    }

    enum Action: Equatable {
        /// A new profile (namespace, name, object without server fields).
        case create(String, String, JSON)
        /// New `dstOverrides` for an existing profile; nil removes them.
        case setOverrides(String, String, JSON?)
    }

    /// What to write now, given the TrafficSplits, the stored profiles (by namespace and name)
    /// and the Services the adaptor synced on its last pass (to clean up after a deletion).
    static func actions(
        splits: some Sequence<JSON>, profiles: [ObjectRef: JSON], synced: Set<ObjectRef>
    ) -> (
        actions: [Action], synced: Set<ObjectRef>
    ) {
        let want = desired(splits: splits)
        var out: [Action] = []
        for key in want.keys.sorted() {
            let name = fqdn(key.name, key.namespace)
            let dst = want[key]!.dst
            guard let sp = profiles[ObjectRef(namespace: key.namespace, name: name)] else {
                let object: JSON = [
                    "apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile",
                    "metadata": ["name": .string(name), "namespace": .string(key.namespace)], "spec": ["dstOverrides": dst],
                ]
                out.append(.create(key.namespace, name, object))
                continue
            }
            guard !skipped(sp), sp[path: "spec", "dstOverrides"] != dst else { continue }
            out.append(.setOverrides(key.namespace, name, dst))
        }
        for key in synced.subtracting(want.keys).sorted() {
            let name = fqdn(key.name, key.namespace)
            guard let sp = profiles[ObjectRef(namespace: key.namespace, name: name)], !skipped(sp),
                sp[path: "spec", "dstOverrides"] != nil
            else { continue }
            out.append(.setOverrides(key.namespace, name, nil))
        }
        return (out, Set(want.keys))
    }

    static func skipped(_ sp: JSON) -> Bool { sp[path: "metadata", "annotations", skipAnnotation] != nil }
}

extension Simulator {
    /// Runs the adaptor while `--linkerd-smi` is on: a pass after each burst of writes (a
    /// quarter of a second after its first), idle otherwise.
    func runSMIAdaptor() async {
        guard options.linkerdSMI, let splitType, let profileType else { return }
        var synced = Set<ObjectRef>()
        while !Task.isCancelled {
            let seen = store.commits.generation
            synced = smiAdaptorPass(splitType: splitType, profileType: profileType, synced: synced)
            await store.commits.wait(past: seen)
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// One pass: reads the TrafficSplits and profiles, writes what differs; returns what it
    /// synced. A failed write (a concurrent change) is retried on the next pass, as the
    /// adaptor's work queue requeues it.
    @discardableResult
    func smiAdaptorPass(splitType: ResourceType, profileType: ResourceType, synced: Set<ObjectRef>) -> Set<ObjectRef> {
        var profiles: [ObjectRef: JSON] = [:]
        for p in store.all(profileType) { profiles[ObjectRef(object: p.object)] = p.object }
        let (actions, next) = SMIAdaptor.actions(splits: store.all(splitType).map(\.object), profiles: profiles, synced: synced)
        let apiVersion = profileType.apiVersion(profileType.storageVersion)
        for a in actions {
            switch a {
            case .create(let ns, let name, let object):
                var o = Writes.fillNewMetadata(object, t: profileType, now: Date(), namespace: ns)
                o = recordManagedUpdate(old: nil, new: o, manager: SMIAdaptor.manager, apiVersion: apiVersion)
                _ = try? store.create(profileType, namespace: ns, name: name, object: o, dryRun: false)
            case .setOverrides(let ns, let name, let dst):
                _ = try? store.update(profileType, namespace: ns, name: name, expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
                    var spec = cur["spec"]?.objectValue ?? JSONObject()
                    if let dst { spec["dstOverrides"] = dst } else { spec["dstOverrides"] = nil }
                    var o = cur
                    o["spec"] = .object(spec)
                    o = Writes.carryOverSystemFields(old: cur, new: o, t: profileType)
                    return recordManagedUpdate(old: cur, new: o, manager: SMIAdaptor.manager, apiVersion: apiVersion)
                }
            }
        }
        return next
    }
}
