import Foundation
import KubeCore
import SMI
import Synchronization

/// Faults a real cluster shows, switchable by flags at start and through the admin endpoint
/// while running. Counts are "the next N requests" so that tests are deterministic.
public struct FaultSettings: Sendable, Equatable {
    /// Added to every API request (not to the admin endpoint).
    public var latencyMs = 0
    /// The next N requests answer 5xx (`errorCode`, 500 or 503).
    public var errorBurst = 0
    public var errorCode = 500
    /// The next N requests answer 429 with Retry-After.
    public var throttleBurst = 0
    public var retryAfterSeconds = 1
    /// The next N watch requests get a 410 ERROR event instead of a stream.
    public var expireWatches = 0
    /// Every N seconds, close all open watch connections abruptly (0 = never).
    public var dropWatchesEverySeconds: Double = 0
    /// A progressive-delivery controller that rewrites a split's weights every N seconds.
    public var competingWriter: CompetingWriter? = nil
    /// The network path goes silent without closing anything (a blackhole: no FIN, no RST).
    /// API requests hang unanswered and open watches stop delivering until it is lifted.
    public var blackhole = false
    /// The next N writes (POST, PUT, PATCH, DELETE) are applied, then their connection is cut
    /// before the response: the client cannot know whether the write happened.
    public var dropResponses = 0
    /// Mesh traffic faults: per workload, a degradation that replaces the scenario's own
    /// (a no-op one switches the scenario's off). Shows in the metrics API and the Prometheus
    /// exposition alike, as the traffic model is theirs.
    public var degrade: Degradations = [:]
    /// Simulated controllers that step a route's weights (Flagger, the Argo Rollouts plugin).
    public var routeActors: [RouteActor.Kind: RouteActor] = [:]
    /// A fast-churning cluster (a controller in a hot loop, or a hostile writer): this many
    /// TrafficSplit modifications a second, round-robin over every split, each a real write
    /// (new resourceVersion, one MODIFIED event). For the backpressure tests: a watch that
    /// delivers faster than a stalled client consumes. 0 = off.
    public var churnPerSecond = 0
    /// The next N writes (PATCH, PUT) to an object with a status subresource meet the mesh
    /// reporting on it first: a status write lands between the client's read and its write,
    /// so its resourceVersion moves while its spec does not (as Istio, Linkerd and Flagger do
    /// after every change). A write guarded by the resourceVersion read gets 409 for it.
    public var statusRaces = 0

    public struct CompetingWriter: Sendable, Equatable {
        /// "namespace/name" of the TrafficSplit it owns.
        public var split: String
        public var intervalSeconds: Double
        /// Backend → weight it keeps writing (its idea of where the rollout should be).
        public var weights: [String: Int]
        public var manager: String

        public init(split: String, intervalSeconds: Double, weights: [String: Int], manager: String = "flagger") {
            self.split = split
            self.intervalSeconds = intervalSeconds
            self.weights = weights
            self.manager = manager
        }
    }

    public init() {}

    /// The admin endpoint's JSON form.
    var json: JSON {
        var o: JSON = [
            "latencyMs": .int(latencyMs), "errorBurst": .int(errorBurst), "errorCode": .int(errorCode),
            "throttleBurst": .int(throttleBurst), "retryAfterSeconds": .int(retryAfterSeconds),
            "expireWatches": .int(expireWatches), "dropWatchesEverySeconds": .double(dropWatchesEverySeconds),
            "blackhole": .bool(blackhole), "dropResponses": .int(dropResponses), "churnPerSecond": .int(churnPerSecond),
            "statusRaces": .int(statusRaces),
        ]
        if let c = competingWriter {
            var w = JSONObject()
            for (k, v) in c.weights.sorted(by: { $0.key < $1.key }) { w[k] = .int(v) }
            o["competingWriter"] = [
                "split": .string(c.split), "intervalSeconds": .double(c.intervalSeconds), "weights": .object(w),
                "manager": .string(c.manager),
            ]
        } else {
            o["competingWriter"] = nil
        }
        var d = JSONObject()
        for (ref, g) in degrade.sorted(by: { $0.key < $1.key }) { d["\(ref.namespace)/\(ref.name)"] = Self.degradationJSON(g) }
        o["degrade"] = .object(d)
        var a = JSONObject()
        for k in RouteActor.Kind.allCases { if let r = routeActors[k] { a[k.rawValue] = r.json } }
        o["routeActors"] = .object(a)
        return o
    }

    static func degradationJSON(_ g: Degradation) -> JSON {
        ["errors": .double(g.errors), "latencyFactor": .double(g.latencyFactor), "above": .double(g.above)]
    }

    /// Every key the admin endpoint accepts: the settings above, and the one-shot actions.
    static let adminKeys: Set<String> = [
        "latencyMs", "errorBurst", "errorCode", "throttleBurst", "retryAfterSeconds", "expireWatches", "dropWatchesEverySeconds",
        "blackhole", "dropResponses", "competingWriter", "degrade", "routeActors", "dropWatchesNow", "expireWatchesNow",
        "churnPerSecond", "statusRaces",
    ]
    static let competingWriterKeys: Set<String> = ["split", "weights", "intervalSeconds", "manager"]
    static let degradationKeys: Set<String> = ["errors", "latencyFactor", "above"]

    /// A 400 naming the keys of `object` outside `known` (a typo must not be a silent no-op).
    static func rejectUnknown(_ object: JSON, known: Set<String>, in place: String) throws(APIError) {
        guard let o = object.objectValue else { throw APIError.badRequest("\(place) must be a JSON object") }
        let unknown = o.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let names = unknown.map { "\"\(sanitizedForDisplay($0, limit: 80))\"" }.joined(separator: ", ")
            throw APIError.badRequest("unknown \(unknown.count == 1 ? "key" : "keys") in \(place): \(names); known: \(known.sorted().joined(separator: ", "))")
        }
    }

    /// Applies the fields present in `patch` (a partial settings object), all or nothing: a
    /// rejected field must not leave the fields before it switched on.
    /// `workloadExists` answers whether the traffic model knows a workload (a fault on one it
    /// does not know would silently do nothing).
    mutating func merge(_ patch: JSON, workloadExists: (WorkloadRef) -> Bool = { _ in true }) throws(APIError) {
        var next = self
        try next.mergeFields(patch, workloadExists: workloadExists)
        self = next
    }

    private mutating func mergeFields(_ patch: JSON, workloadExists: (WorkloadRef) -> Bool) throws(APIError) {
        try Self.rejectUnknown(patch, known: Self.adminKeys, in: "the fault settings")
        func int(_ k: String) throws(APIError) -> Int? {
            guard let v = patch[k] else { return nil }
            guard let i = v.intValue, i >= 0 else { throw APIError.badRequest("\(k) must be a non-negative integer") }
            return Int(i)
        }
        if let v = try int("latencyMs") { latencyMs = v }
        if let v = try int("errorBurst") { errorBurst = v }
        if let v = try int("errorCode") {
            guard (500...599).contains(v) else { throw APIError.badRequest("errorCode must be 5xx") }
            errorCode = v
        }
        if let v = try int("throttleBurst") { throttleBurst = v }
        if let v = try int("retryAfterSeconds") { retryAfterSeconds = v }
        if let v = try int("expireWatches") { expireWatches = v }
        if let v = try int("dropResponses") { dropResponses = v }
        if let v = try int("statusRaces") { statusRaces = v }
        if let v = try int("churnPerSecond") {
            // A bound so a typo cannot turn the simulator into a busy loop it cannot leave.
            guard v <= 100_000 else { throw APIError.badRequest("churnPerSecond must be at most 100000") }
            churnPerSecond = v
        }
        if let v = patch["dropWatchesEverySeconds"] {
            guard let d = v.doubleValue, d >= 0 else { throw APIError.badRequest("dropWatchesEverySeconds must be >= 0") }
            dropWatchesEverySeconds = d
        }
        if let v = patch["blackhole"] {
            guard let b = v.boolValue else { throw APIError.badRequest("blackhole must be true or false") }
            blackhole = b
        }
        if let c = patch["competingWriter"] {
            if c.isNull {
                competingWriter = nil
            } else {
                try Self.rejectUnknown(c, known: Self.competingWriterKeys, in: "competingWriter")
                guard let split = c["split"]?.stringValue, split.contains("/"),
                    let weights = c["weights"]?.objectValue
                else { throw APIError.badRequest("competingWriter needs split (namespace/name) and weights") }
                var w: [String: Int] = [:]
                for e in weights {
                    guard let i = e.value.intValue, i >= 0 else { throw APIError.badRequest("competingWriter weights must be integers") }
                    w[e.key] = Int(i)
                }
                competingWriter = CompetingWriter(
                    split: split, intervalSeconds: c["intervalSeconds"]?.doubleValue ?? 5, weights: w,
                    manager: c["manager"]?.stringValue ?? "flagger")
            }
        }
        if let d = patch["degrade"] {
            try mergeDegrade(d, workloadExists: workloadExists)
        }
        if let r = patch["routeActors"] {
            try mergeRouteActors(r)
        }
    }

    /// `{"flagger": {"intervalSeconds": 2}, "argo-rollouts": null}`: starts (with defaults
    /// for what is left out) or (null) stops each named controller; `null` stops all.
    private mutating func mergeRouteActors(_ r: JSON) throws(APIError) {
        if r.isNull {
            routeActors = [:]
            return
        }
        guard r.objectValue != nil else { throw APIError.badRequest("routeActors must be an object of controller to settings, or null") }
        try Self.rejectUnknown(r, known: Set(RouteActor.Kind.allCases.map(\.rawValue)), in: "routeActors")
        for k in RouteActor.Kind.allCases {
            guard let v = r[k.rawValue] else { continue }
            routeActors[k] = v.isNull ? nil : try RouteActor(kind: k, json: v)
        }
    }

    /// `{"NS/NAME": {"errors": 0.2, "latencyFactor": 3, "above": 0.3}, "NS/OTHER": null}`:
    /// sets or (null) removes the fault of each named workload; others are kept. `null` for
    /// the whole key removes every one.
    private mutating func mergeDegrade(_ d: JSON, workloadExists: (WorkloadRef) -> Bool) throws(APIError) {
        if d.isNull {
            degrade = [:]
            return
        }
        guard let o = d.objectValue else { throw APIError.badRequest("degrade must be an object of NS/NAME to a degradation, or null") }
        for (name, v) in o {
            let shown = sanitizedForDisplay(name, limit: 300)
            let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw APIError.badRequest("degrade: \"\(shown)\" is not NAMESPACE/NAME of a deployment")
            }
            let ref = WorkloadRef.deployment(parts[0], parts[1])
            guard workloadExists(ref) else { throw APIError.badRequest("degrade: no deployment \(shown) in the simulated mesh") }
            if v.isNull {
                degrade[ref] = nil
                continue
            }
            try Self.rejectUnknown(v, known: Self.degradationKeys, in: "degrade \"\(shown)\"")
            var g = Degradation()
            for (key, field) in [("errors", \Degradation.errors), ("latencyFactor", \.latencyFactor), ("above", \.above)] {
                guard let x = v[key] else { continue }
                guard let n = x.doubleValue else { throw APIError.badRequest("degrade \"\(shown)\": \(key) must be a number") }
                g[keyPath: field] = n
            }
            if let p = g.validationProblem() {
                throw APIError.badRequest("degrade \"\(shown)\": \(p.replacingOccurrences(of: "latency must", with: "latencyFactor must"))")
            }
            degrade[ref] = g
        }
    }
}

/// The live fault state, shared by request handlers.
final class FaultController: Sendable {
    let settings: Mutex<FaultSettings>
    /// Bumped to ask every open watch to drop its connection.
    let drops = Signal()
    /// Bumped whenever the settings change, so that timed faults start without a poll loop.
    let changes = Signal()

    init(_ s: FaultSettings) { settings = Mutex(s) }

    enum Injected {
        case none
        case error(APIError)
    }

    /// Decides, for one API request, which fault (if any) it meets, consuming burst counts.
    func next() -> (latencyMs: Int, fault: Injected) {
        settings.withLock { s in
            if s.throttleBurst > 0 {
                s.throttleBurst -= 1
                var e = APIError(
                    code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
                    details: ["retryAfterSeconds": .int(s.retryAfterSeconds)])
                e.retryAfter = s.retryAfterSeconds
                return (s.latencyMs, .error(e))
            }
            if s.errorBurst > 0 {
                s.errorBurst -= 1
                let e =
                    s.errorCode == 503
                    ? APIError(code: 503, reason: "ServiceUnavailable", message: "the server is currently unable to handle the request")
                    : APIError(code: s.errorCode, reason: "InternalError", message: "Internal error occurred: simulated fault")
                return (s.latencyMs, .error(e))
            }
            return (s.latencyMs, .none)
        }
    }

    var isBlackholed: Bool { settings.withLock { $0.blackhole } }

    func takeDropResponse() -> Bool {
        settings.withLock { s in
            guard s.dropResponses > 0 else { return false }
            s.dropResponses -= 1
            return true
        }
    }

    func takeStatusRace() -> Bool {
        settings.withLock { s in
            guard s.statusRaces > 0 else { return false }
            s.statusRaces -= 1
            return true
        }
    }

    /// Holds the caller for as long as the blackhole fault is on.
    func waitWhileBlackholed() async {
        while isBlackholed && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
    }

    func takeExpireWatch() -> Bool {
        settings.withLock { s in
            if s.expireWatches > 0 {
                s.expireWatches -= 1
                return true
            }
            return false
        }
    }
}

extension Simulator {
    /// The timed faults: the watch dropper, and the controllers that write weights on a
    /// schedule (the competing split writer, the route actors). One loop, asleep until one is
    /// configured; each acts when its own interval has passed.
    func runCompetingWriter() async {
        var lastDrop = Date()
        var lastRun: [String: Date] = [:]
        // Argo's rollout step, per route, carried between its reconciles.
        var argoPosition: [String: Int?] = [:]
        var lastChurn: Date?
        var churnCursor = 0
        func due(_ key: String, every interval: Double) -> Bool {
            guard Date().timeIntervalSince(lastRun[key] ?? .distantPast) >= interval else { return false }
            lastRun[key] = Date()
            return true
        }
        while !Task.isCancelled {
            let seen = faults.changes.generation
            let configured = faults.settings.withLock {
                $0.competingWriter != nil || $0.dropWatchesEverySeconds > 0 || !$0.routeActors.isEmpty || $0.churnPerSecond > 0
            }
            if !configured {
                await faults.changes.wait(past: seen)
                continue
            }
            try? await Task.sleep(for: .milliseconds(100))
            let s = faults.settings.withLock { $0 }
            if s.dropWatchesEverySeconds > 0, Date().timeIntervalSince(lastDrop) >= s.dropWatchesEverySeconds {
                lastDrop = Date()
                faults.drops.bump()
            }
            if let c = s.competingWriter, due("competingWriter", every: c.intervalSeconds) { writeCompetingWeights(c) }
            if s.churnPerSecond > 0 {
                // Paced by elapsed time, not by ticks: the loop's 100 ms sleep stretches under load.
                let now = Date()
                let owed = min(Double(s.churnPerSecond) * now.timeIntervalSince(lastChurn ?? now), Double(s.churnPerSecond))
                let n = Int(owed)
                if n > 0 || lastChurn == nil { lastChurn = now }
                // In slices with a yield between: a second's worth of writes at once would
                // hold a cooperative thread long enough to starve the requests this server
                // answers (a loaded 2-core CI machine saw an admin call wait over 30 s).
                var left = n
                while left > 0 && !Task.isCancelled {
                    let slice = min(left, 50)
                    churnCursor = churn(slice, from: churnCursor)
                    left -= slice
                    await Task.yield()
                }
            } else {
                lastChurn = nil
            }
            for k in RouteActor.Kind.allCases {
                guard let a = s.routeActors[k] else {
                    argoPosition[k.rawValue] = nil
                    continue
                }
                guard due(k.rawValue, every: a.intervalSeconds) else { continue }
                var position = argoPosition[k.rawValue] ?? nil
                reconcile(a, position: &position)
                argoPosition[k.rawValue] = position
            }
        }
    }

    /// `n` churn writes: an annotation counter on each split in turn, from position `cursor`
    /// in name order; returns where the next round starts.
    func churn(_ n: Int, from cursor: Int) -> Int {
        guard n > 0, let t = registry.find(group: "split.smi-spec.io", resource: "trafficsplits") else { return cursor }
        let splits = store.all(t)
        guard !splits.isEmpty else { return 0 }
        var at = cursor % splits.count
        for _ in 0..<n {
            let o = splits[at].object
            at = (at + 1) % splits.count
            guard let ns = o[path: "metadata", "namespace"]?.stringValue, let name = o[path: "metadata", "name"]?.stringValue else { continue }
            _ = try? store.update(t, namespace: ns, name: name, expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
                let count = (cur[path: "metadata", "annotations", "sim.smitop.dev/churn"]?.stringValue).flatMap { Int($0) } ?? 0
                return setPath(cur, ["metadata", "annotations", "sim.smitop.dev/churn"], .string(String(count &+ 1)))
            }
        }
        return at
    }

    /// The competing writer's reconcile: its weights into the split, as its field manager.
    func writeCompetingWeights(_ c: FaultSettings.CompetingWriter) {
        let parts = c.split.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let t = registry.find(group: "split.smi-spec.io", resource: "trafficsplits") else { return }
        let written = try? store.update(t, namespace: parts[0], name: parts[1], expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
            var o = cur
            let backends = (cur[path: "spec", "backends"]?.arrayValue ?? []).map { b -> JSON in
                var b = b
                if let svc = b["service"]?.stringValue, let w = c.weights[svc] {
                    // Keep the stored weight format (quantity strings stay strings).
                    if case .string = b["weight"] { b["weight"] = .string(String(w)) } else { b["weight"] = .int(w) }
                }
                return b
            }
            o = setPath(o, ["spec", "backends"], .array(backends))
            o = Writes.carryOverSystemFields(old: cur, new: o, t: t)
            return recordManagedUpdate(old: cur, new: o, manager: c.manager, apiVersion: t.apiVersion(t.storageVersion))
        }
        if let written, written.changed { recordWeightChange(written.0.object, manager: c.manager) }
    }
}
