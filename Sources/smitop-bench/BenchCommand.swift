import App
import ArgumentParser
import Foundation
import Kube
import KubeCore
import Mesh
import Runtime
import SMI
import Simulator
import Transport
import UI

/// In-process benchmarks for `make bench` (scripts/bench.py): the parts that have no
/// external command to time. Prints one JSON object; every figure is a list of samples so
/// the report can show medians and ranges. A developer tool of its own, not part of the
/// installed product.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smitop-bench", abstract: "In-process benchmarks (layout, frames, events, writes) as JSON.")

    @Option(help: "Repetitions per figure.") var runs = 15
    @Option(help: "Writes for the write-latency figure.") var writes = 100
    @Option(help: "Services in the large scenario.") var services = 5000
    @Option(help: "TrafficSplits in the large scenario.") var splits = 10000
    @Option(help: "Comma-separated parts: layout,frame,events,write,memory,json,metrics.") var parts =
        "layout,frame,events,write,memory,json,metrics"

    func run() async throws {
        let want = Set(parts.split(separator: ",").map(String.init))
        var out = JSONObject()
        if want.contains("layout") { out["layout"] = layout() }
        var big: AppState? = nil
        if want.contains("frame") || want.contains("events") { big = try largeState() }
        if want.contains("frame"), let big { out["frame"] = frame(big) }
        if want.contains("events"), let big { out["events"] = events(big) }
        if want.contains("write") { out["write"] = try await writeLatency() }
        if want.contains("memory") { out["memory"] = try memory() }
        if want.contains("json") { out["json"] = try jsonParsers() }
        if want.contains("metrics") { out["metrics"] = try metricsPolls() }
        print(JSON.object(out).prettyString())
    }

    static func ms(_ start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    static func samples(_ xs: [Double]) -> JSON { .array(xs.map { .double(($0 * 1000).rounded() / 1000) }) }

    // Target 3: layout of synthetic call graphs and of the generated scenario's real graph.
    func layout() -> JSON {
        var rows: [JSON] = []
        for (n, e) in [(100, 300), (1000, 3000), (5000, 15000)] {
            let g = MeshGraph.synthetic(nodes: n, edges: e, seed: 42, acyclic: true, namespaces: max(1, n / 100))
            var xs: [Double] = []
            for _ in 0..<(n >= 5000 ? max(3, runs / 3) : runs) {
                let t = ContinuousClock.now
                let l = Layout.compute(g)
                xs.append(Self.ms(t))
                precondition(l.boxes.count == g.nodes.count)
            }
            rows.append(["graph": "synthetic", "nodes": .int(g.nodes.count), "edges": .int(g.edges.count), "samplesMs": Self.samples(xs)])
        }
        return .array(rows)
    }

    /// The TUI's state after the initial lists of the generated scenario, with one metrics poll.
    func largeState() throws -> AppState {
        let scenario = try Scenario.make(name: "generated", seed: 1, profile: .default, services: services, splits: splits)
        var byKind: [ObjectKind: [JSON]] = [:]
        for o in scenario.objects {
            switch o["kind"]?.stringValue {
            case "Service": byKind[.service, default: []].append(o)
            case "Deployment": byKind[.deployment, default: []].append(o)
            case "Pod": byKind[.pod, default: []].append(o)
            case "TrafficSplit": byKind[.trafficSplit, default: []].append(o)
            case "TrafficTarget": byKind[.trafficTarget, default: []].append(o)
            default: break
            }
        }
        var s = AppState(context: ContextInfo(context: "bench", scope: .all), size: TermSize(columns: 300, rows: 80), availableThemes: ["default"])
        _ = reduce(&s, .start(now: 0))
        for k in ObjectKind.allCases { _ = reduce(&s, .objects(k, .replaced(byKind[k] ?? []))) }
        _ = reduce(&s, .resized(TermSize(columns: 300, rows: 80)))
        s.settle()
        return s
    }

    // The decision for a hand-written JSON value (docs/decisions.md), measured: the generated
    // scenario's TrafficSplit list as the API server sends it, parsed by `JSON.parse` (order-
    // and literal-preserving tree), by Foundation's JSONSerialization (untyped tree), and by
    // JSONDecoder into Codable structs of exactly the fields smitop reads (the lower bound a
    // typed decoder reaches; it keeps neither unknown fields nor number literals).
    func jsonParsers() throws -> JSON {
        let scenario = try Scenario.make(name: "generated", seed: 1, profile: .default, services: services, splits: splits)
        let items = scenario.objects.filter { $0["kind"]?.stringValue == "TrafficSplit" }
        let list: JSON = ["apiVersion": "split.smi-spec.io/v1alpha2", "kind": "TrafficSplitList", "metadata": ["resourceVersion": "1"], "items": .array(items)]
        let bytes = list.serialized()
        let data = Data(bytes)
        struct Backend: Decodable {
            let service: String
            let weight: Int?
        }
        struct Spec: Decodable {
            let service: String
            let backends: [Backend]
        }
        struct Meta: Decodable {
            let name: String
            let namespace: String?
            let resourceVersion: String?
        }
        struct Item: Decodable {
            let apiVersion: String
            let metadata: Meta
            let spec: Spec
        }
        struct List: Decodable { let items: [Item] }
        // A parse that failed or read a different list would be fast: every run must have
        // read exactly the list's objects before its time counts.
        func time(_ body: () throws -> Int) throws -> JSON {
            var xs: [Double] = []
            for _ in 0..<max(3, runs / 3) {
                let t = ContinuousClock.now
                let n = try body()
                xs.append(Self.ms(t))
                guard n == items.count else { throw BenchError("a parser read \(n) objects of \(items.count)") }
            }
            return ["objects": .int(items.count), "samplesMs": Self.samples(xs)]
        }
        return [
            "bytes": .int(bytes.count),
            "smitopJSON": try time { try JSON.parse(bytes)["items"]?.arrayValue?.count ?? 0 },
            "jsonSerialization": try time {
                ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["items"] as? [Any])?.count ?? 0
            },
            "jsonDecoderTyped": try time { try JSONDecoder().decode(List.self, from: data).items.count },
        ]
    }

    // Target 4: a full 300×80 frame of the largest scenario.
    func frame(_ state: AppState) -> JSON {
        let theme = try! Theme.load(name: "default", searchPaths: [])
        var xs: [Double] = []
        for _ in 0..<runs {
            let t = ContinuousClock.now
            let b = Screen.render(state, theme: theme)
            xs.append(Self.ms(t))
            precondition(b.width == 300)
        }
        return ["columns": 300, "rows": 80, "nodes": .int(state.graph.nodes.count), "samplesMs": Self.samples(xs)]
    }

    // Target 6b: watch events absorbed per second (reduce of each event plus one frame per
    // batch, as the UI thread does when the mailbox holds many messages).
    func events(_ state: AppState) -> JSON {
        let theme = try! Theme.load(name: "default", searchPaths: [])
        let splits = Array(state.store.trafficSplits.values.prefix(1000))
        var xs: [Double] = []
        let perRun = 10_000
        for r in 0..<max(3, runs / 3) {
            var s = state
            let events: [JSON] = (0..<perRun).map { i in
                var o = splits[i % splits.count].encode()
                o[path: "metadata", "resourceVersion"] = .string(String(10_000_000 + r * perRun + i))
                return o
            }
            let t = ContinuousClock.now
            var i = 0
            while i < events.count {
                // One batch per frame: what arrived while the last frame was drawn.
                _ = reduce(&s, batch: events[i..<min(events.count, i + 500)].map { .objects(.trafficSplit, .upserted($0)) })
                _ = Screen.render(s, theme: theme)
                i += 500
            }
            xs.append(Self.ms(t))
        }
        let rates = xs.map { Double(perRun) / ($0 / 1000) }
        return ["events": .int(perRun), "batch": 500, "samplesMs": Self.samples(xs), "eventsPerSecond": Self.samples(rates)]
    }

    /// Where start-up memory goes: resident size after each kind of object is in the store,
    /// the objects handed over as the list responses deliver them (then released).
    func memory() throws -> JSON {
        var rows: [JSON] = []
        returnFreedMemoryToTheSystem()
        let base = residentMemoryKiB()
        var s = AppState(context: ContextInfo(context: "bench", scope: .all), size: TermSize(columns: 300, rows: 80), availableThemes: ["default"])
        _ = reduce(&s, .start(now: 0))
        rows.append(["stage": "empty", "rssMB": .int((residentMemoryKiB() - base) / 1024)])
        // The store alone, beside the whole state (graph, layout, tables): tells which to shrink.
        var storeOnly = MeshStore()
        var storeBase = 0
        for kind in [ObjectKind.service, .deployment, .pod, .trafficSplit, .trafficTarget] {
            do {
                // Built and dropped per kind, as list pages arrive and are released.
                let scenario = try Scenario.make(name: "generated", seed: 1, profile: .default, services: services, splits: splits)
                let name = ["service": "Service", "deployment": "Deployment", "pod": "Pod", "trafficSplit": "TrafficSplit", "trafficTarget": "TrafficTarget"][
                    kind.rawValue]!
                let objects = scenario.objects.filter { $0["kind"]?.stringValue == name }
                returnFreedMemoryToTheSystem()
                let before = residentMemoryKiB()
                _ = storeOnly.replaceAll(kind, objects)
                returnFreedMemoryToTheSystem()
                storeBase += residentMemoryKiB() - before
                _ = reduce(&s, .objects(kind, .replaced(objects)))
                rows.append(["stage": .string("+ \(objects.count) \(kind.rawValue)s"), "objects": .int(objects.count)])
            }
            returnFreedMemoryToTheSystem()
            var last = rows.removeLast()
            last["storeOnlyMB"] = .int(storeBase / 1024)
            last["rssMB"] = .int((residentMemoryKiB() - base - storeBase) / 1024)
            rows.append(last)
        }
        withExtendedLifetime(storeOnly) {}
        return .array(rows)
    }

    // Target 6a: write → watch event → state updated → frame rendered, over real HTTPS
    // against an embedded simulator.
    func writeLatency() async throws -> JSON {
        var o = SimulatorOptions()
        o.port = 0
        let (endpoint, server) = try await Simulator.startEmbedded(o)
        defer { server.cancel() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smitop-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Simulator.writeKubeconfig(endpoint, to: dir + "/kubeconfig")
        let cluster = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: dir + "/kubeconfig", environment: [:]))
        let client = KubeClient(cluster: cluster, transport: CurlTransport(tls: cluster.tls))
        guard let gvr = try await ObjectKind.trafficSplit.resource(on: client) else { throw BenchError("no TrafficSplit API") }
        let informer = Informer(client: client, resource: gvr, namespace: "bookstore")
        await informer.start()
        defer { Task { await informer.stop() } }
        var updates = informer.updates.makeAsyncIterator()
        var state = AppState(
            context: ContextInfo(context: "bench", scope: .one("bookstore")), size: TermSize(columns: 200, rows: 50), availableThemes: ["default"])
        _ = reduce(&state, .start(now: 0))
        let theme = try! Theme.load(name: "default", searchPaths: [])
        let id = ObjectRef(namespace: "bookstore", name: "books")
        while state.store.trafficSplits[id] == nil {
            guard let u = await updates.next() else { throw BenchError("watch ended") }
            if case .replaceAll(let items, let rv) = u { _ = reduce(&state, .objects(.trafficSplit, .replaced(items))) }
        }
        var xs: [Double] = []
        for i in 0..<writes {
            guard let current = state.store.trafficSplits[id] else { break }
            let next = try current.shifting(points: Fraction(i % 2 == 0 ? 5 : -5, 100), to: current.backends.count - 1)
            let t = ContinuousClock.now
            let written = try await client.mergePatch(
                path: resourcePath(gvr, namespace: "bookstore", name: "books"), patch: next.weightsMergePatch(),
                resourceVersion: current.meta.resourceVersion)
            let rv = written[path: "metadata", "resourceVersion"]?.stringValue
            // Done when the watch has delivered our write and the frame showing it is drawn.
            while state.store.trafficSplits[id]?.meta.resourceVersion != rv {
                guard let u = await updates.next() else { throw BenchError("watch ended") }
                switch u {
                case .upsert(let o): _ = reduce(&state, .objects(.trafficSplit, .upserted(o)))
                case .replaceAll(let items, let rv): _ = reduce(&state, .objects(.trafficSplit, .replaced(items)))
                default: break
                }
            }
            state.settle()
            _ = Screen.render(state, theme: theme)
            xs.append(Self.ms(t))
        }
        return ["writes": .int(xs.count), "samplesMs": Self.samples(xs)]
    }
}

extension BenchCommand {
    /// Recording one metrics poll into a store the size of the generated scenario's (a history
    /// per workload and per edge, full): a poll of 200 deployments' `/edges` (what the TUI asks
    /// per poll at this size) and a failed poll. The UI thread does this once per refresh.
    func metricsPolls() throws -> JSON {
        let workloads = services
        let perWorkload = 2
        let asked = 200
        let capacity = 60
        func name(_ i: Int) -> String { "svc-\(i)" }
        func ns(_ i: Int) -> String { "ns-\(i / 100)" }
        func item(_ i: Int, peer: Int?, rps: Int) -> String {
            let edge =
                peer.map { #"{"direction":"to","resource":{"kind":"Deployment","namespace":"\#(ns($0))","name":"\#(name($0))"}}"# }
                ?? #"{"direction":"from","resource":null}"#
            return
                #"{"kind":"TrafficMetrics","apiVersion":"metrics.smi-spec.io/v1alpha1","metadata":{"name":"\#(name(i))","namespace":"\#(ns(i))"},"window":"30s","resource":{"kind":"Deployment","namespace":"\#(ns(i))","name":"\#(name(i))"},"edge":\#(edge),"metrics":[{"name":"p99_response_latency","unit":"ms","value":"9"},{"name":"p90_response_latency","unit":"ms","value":"5"},{"name":"p50_response_latency","unit":"ms","value":"2"},{"name":"success_count","value":"\#(rps)"},{"name":"failure_count","value":"0"}]}"#
        }
        func list(_ items: [String]) throws -> TrafficMetricsList {
            try TrafficMetricsList(
                json: try JSON.parse(
                    #"{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1","resource":{"kind":"Deployment"},"items":[\#(items.joined(separator: ","))]}"#
                ))
        }
        let peers = { (i: Int) in (1...perWorkload).map { (i + $0 * 7) % workloads } }
        let everything = try list((0..<workloads).flatMap { i in [item(i, peer: nil, rps: 100)] + peers(i).map { item(i, peer: $0, rps: 50) } })
        var store = MetricsStore(historyCapacity: capacity)
        for t in 0..<capacity { store.record(namespace: nil, lists: [everything], at: Seconds(t)) }
        precondition(store.edges.count == workloads * perWorkload && store.workloads.count == workloads)
        var polls: [Double] = []
        var failures: [Double] = []
        for r in 0..<runs {
            let first = (r * asked) % workloads
            let ids = (first..<first + asked).map { $0 % workloads }
            let poll = try list(ids.flatMap { i in [item(i, peer: nil, rps: 100 + r)] + peers(i).map { item(i, peer: $0, rps: 50 + r) } })
            let fetched = Set(ids.map { ObjectRef(namespace: ns($0), name: name($0)) })
            let t0 = ContinuousClock.now
            store.record(namespace: nil, lists: [poll], edgesFetched: fetched, at: Seconds(capacity + 2 * r))
            polls.append(Self.ms(t0))
            let t1 = ContinuousClock.now
            store.recordFailure(namespace: nil, message: "bench", at: Seconds(capacity + 2 * r + 1))
            failures.append(Self.ms(t1))
        }
        let probe = ObjectRef(namespace: ns(0), name: name(0))
        precondition(store.workload(probe)?.count == capacity && store.lastError == "bench")
        return [
            "workloads": .int(workloads), "edges": .int(store.edges.count), "asked": .int(asked), "historyCapacity": .int(capacity),
            "pollMs": Self.samples(polls), "failureMs": Self.samples(failures),
        ]
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
