import KubeCore
import SMI

/// A cluster described as plain values before it becomes Kubernetes objects: both the object
/// list and the traffic model are derived from it, so they cannot disagree.
struct SimTopology {
    struct Namespace {
        var name: String
        var ageDays: Double
        var team: String
    }

    struct Pod {
        var name: String
        var ip: String
        var node: String
        var ageSeconds: Double
        var containerID: String
    }

    struct Deployment {
        var namespace: String
        var name: String
        var app: String
        var version: String
        var image: String
        var port: Int
        var serviceAccount: String
        var ageSeconds: Double
        var templateHash: String
        var pods: [Pod] = []
        var successRate: Double
        var latencyMedianMs: Double
        var latencySigma: Double
        var ingressRPS: Double = 0
        var originRPS: Double = 0
        var layer: Int
        var partOf: String
        /// How it gets worse above a share of its split root's traffic (a canary that breaks
        /// under load); nil for a healthy workload.
        var degradation: Degradation? = nil
    }

    struct Service {
        var namespace: String
        var name: String
        var port: Int
        var targetPort: Int
        var selector: [(String, String)]
        /// Indexes into `deployments` that the selector picks.
        var workloads: [Int]
        var clusterIP: String
        var ageSeconds: Double
        var partOf: String
    }

    enum SplitOwner {
        /// Created with `kubectl apply`; `editedWeights` is set when someone later changed the
        /// weights with `kubectl edit`, leaving last-applied-configuration behind.
        case kubectl(editedAgoSeconds: Double?, originalWeights: [Double]?)
        /// Managed by a Flagger Canary of this name.
        case flagger(canary: String, uid: String, updatedAgoSeconds: Double)
    }

    enum WeightStyle {
        /// v1alpha1 quantity strings: percent 90 is written "900m".
        case milli
        /// Bare numbers.
        case integer
    }

    struct Split {
        var namespace: String
        var name: String
        var root: String
        var backends: [(service: String, weight: Double)]
        var owner: SplitOwner
        var style: WeightStyle
        var ageSeconds: Double
        var labels: [(String, String)]
        /// The field manager of the client-side apply (kubectl, or a GitOps controller that
        /// applies the same way).
        var applyManager = "kubectl-client-side-apply"
    }

    struct Call {
        var from: Int
        var to: Int
        var callsPerRequest: Double
    }

    struct RouteMatch {
        var name: String
        var pathRegex: String
        var methods: [String]
        var headers: [(String, String)] = []
    }

    struct RouteGroup {
        var namespace: String
        var name: String
        var matches: [RouteMatch]
    }

    struct TCPRouteDef {
        var namespace: String
        var name: String
        var ports: [Int]
    }

    struct Target {
        var namespace: String
        var name: String
        var destination: String
        var port: Int
        var sources: [(account: String, namespace: String)]
        var routeGroup: String?
        var routeMatches: [String]?
        var tcpRoute: String?
    }

    var namespaces: [Namespace] = []
    var deployments: [Deployment] = []
    var services: [Service] = []
    var splits: [Split] = []
    var calls: [Call] = []
    var routeGroups: [RouteGroup] = []
    var tcpRoutes: [TCPRouteDef] = []
    var targets: [Target] = []

    var serviceIndex: [String: Int] = [:]
    var podCount = 0

    mutating func addService(_ s: Service) {
        serviceIndex[s.namespace + "/" + s.name] = services.count
        services.append(s)
    }

    func service(_ namespace: String, _ name: String) -> Int? { serviceIndex[namespace + "/" + name] }

    static func podIP(_ i: Int) -> String { "10.244.\(i / 250).\(i % 250 + 2)" }
    static func clusterIP(_ i: Int) -> String { "10.96.\(i / 250).\(i % 250 + 10)" }

    /// Adds `count` pods named like a ReplicaSet's (`web-7d9f8c6b5-x2kq9`) to deployment `d`.
    mutating func addPods(to d: Int, count: Int, rng: inout SimRandom, nodes: [String]) {
        for _ in 0..<count {
            let dep = deployments[d]
            var cid = ""
            for _ in 0..<4 { cid += String(rng.next(), radix: 16).leftPadded(16) }
            deployments[d].pods.append(
                Pod(
                    name: "\(dep.name)-\(dep.templateHash)-\(rng.kubeSuffix(5))",
                    ip: SimTopology.podIP(podCount), node: rng.pick(nodes),
                    ageSeconds: min(dep.ageSeconds, rng.double(in: 3600...(4 * 86400))),
                    containerID: cid))
            podCount += 1
        }
    }

    /// The traffic model over this topology; default weights come from the emitted split
    /// objects so that they are read exactly as the store's objects will be.
    func trafficModel(seed: UInt64, splitObjects: [JSON]) -> TrafficModel {
        let refs = deployments.map { WorkloadRef.deployment($0.namespace, $0.name) }
        let workloads = deployments.enumerated().map { i, d in
            WorkloadTraffic(
                ref: refs[i], successRate: d.successRate, latencyMedianMs: d.latencyMedianMs,
                latencySigma: d.latencySigma, ingressRPS: d.ingressRPS, originRPS: d.originRPS, layer: d.layer,
                degradation: d.degradation)
        }
        let svcs = services.map { s in
            ServiceTraffic(key: ObjectRef(namespace: s.namespace, name: s.name), workloads: s.workloads.map { refs[$0] })
        }
        let cs = calls.map { c in
            CallTraffic(
                from: refs[c.from],
                to: ObjectRef(namespace: services[c.to].namespace, name: services[c.to].name),
                callsPerRequest: c.callsPerRequest)
        }
        return TrafficModel(
            seed: seed, workloads: workloads, services: svcs, calls: cs,
            defaultWeights: TrafficModel.activeWeights(splits: splitObjects))
    }
}

extension String {
    func leftPadded(_ width: Int, with c: Character = "0") -> String {
        count >= width ? self : String(repeating: c, count: width - count) + self
    }
}
