import KubeCore
import SMI

/// The SMI metrics API (metrics.smi-spec.io/v1alpha1): not watchable, so it is polled.
extension KubeClient {
    public static let trafficMetricsPrefix = "/apis/metrics.smi-spec.io/v1alpha1"

    /// One poll of a namespace (nil = every namespace): the deployments' resource list, then
    /// the `/edges` of some of them, at most `concurrency` at a time. The resource list failing
    /// fails the poll; an edges request failing (an idle workload answers 500) only leaves that
    /// workload out, so one quiet workload never blanks the whole graph.
    ///
    /// `/edges` is one request per deployment, so on a large mesh a poll asks for the edges
    /// of at most `edgeBudget` deployments that have traffic, taking turns from `rotation`:
    /// every edge is refreshed within a few polls, and a poll's cost does not grow with the mesh.
    public func pollTrafficMetrics(
        namespace: String?, window: String, edgeBudget: Int = .max, rotation: Int = 0, concurrency: Int = 16
    ) async throws(KubeError) -> TrafficMetricsPoll {
        let prefix = Self.trafficMetricsPrefix
        let base = namespace.map { "\(prefix)/namespaces/\(pathSegment($0))/deployments" } ?? "\(prefix)/deployments"
        let list: TrafficMetricsList
        do { list = try TrafficMetricsList(json: try await rawGet(base, query: [("t", window)])) } catch {
            throw KubeError.from(error)
        }
        var candidates: [(ns: String, name: String)] = []
        for item in list.items {
            guard let name = item.resource?.name ?? item.name, let ns = item.resource?.namespace ?? item.namespace else { continue }
            // No requests in the window: no edges to find (and the real server answers 500).
            if let rps = item.requestsPerSecond, rps <= 0 { continue }
            candidates.append((ns, name))
        }
        candidates.sort { $0.ns != $1.ns ? $0.ns < $1.ns : $0.name < $1.name }
        var chosen = candidates
        var next = 0
        if candidates.count > edgeBudget {
            let start = rotation % candidates.count
            chosen = (0..<edgeBudget).map { candidates[(start + $0) % candidates.count] }
            next = (start + edgeBudget) % candidates.count
        }
        var lists = [list]
        var fetched: [String] = []
        await withTaskGroup(of: (String, TrafficMetricsList?).self) { group in
            var queue = chosen[...]
            func launch() {
                guard let (ns, name) = queue.popFirst() else { return }
                group.addTask {
                    let key = "\(ns)/\(name)"
                    // Names from the metrics adapter's answer: escaped, so a hostile adapter
                    // cannot steer this GET (made with the user's credentials) to another path.
                    let path = "\(prefix)/namespaces/\(pathSegment(ns))/deployments/\(pathSegment(name))/edges"
                    guard let j = try? await self.rawGet(path, query: [("t", window)])
                    else { return (key, nil) }
                    return (key, try? TrafficMetricsList(json: j))
                }
            }
            for _ in 0..<max(1, concurrency) { launch() }
            for await (key, l) in group {
                fetched.append(key)
                if let l { lists.append(l) }
                launch()
            }
        }
        return TrafficMetricsPoll(
            lists: lists, edgesFetched: Set(fetched), complete: chosen.count == candidates.count, nextRotation: next,
            candidates: candidates.count)
    }
}

/// What one metrics poll read.
public struct TrafficMetricsPoll: Sendable, Equatable {
    /// The resource list first, then the `/edges` lists that answered.
    public var lists: [TrafficMetricsList]
    /// "namespace/name" of every deployment whose edges were asked for (answered or not).
    public var edgesFetched: Set<String>
    /// Every deployment with traffic had its edges asked for.
    public var complete: Bool
    /// Where the next poll continues when the budget did not cover everyone.
    public var nextRotation: Int
    /// Deployments with traffic: whose edges a whole sweep asks.
    public var candidates: Int

    public init(lists: [TrafficMetricsList], edgesFetched: Set<String>, complete: Bool, nextRotation: Int = 0, candidates: Int? = nil) {
        self.lists = lists
        self.edgesFetched = edgesFetched
        self.complete = complete
        self.nextRotation = nextRotation
        self.candidates = candidates ?? edgesFetched.count
    }
}
