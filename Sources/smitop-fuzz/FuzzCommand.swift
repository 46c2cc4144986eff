import APIServer
import App
import ArgumentParser
import Foundation
import Kube
import KubeCore
import Lint
import SMI
import UI

/// `smitop fuzz`: a seeded mutation fuzzer over every parser that reads input smitop does not
/// control: JSON, YAML, quantities, every SMI resource, TrafficMetrics, watch framing (split at
/// random byte boundaries), Status errors and error bodies, kubeconfig, themes, the config file
/// and lint. A crash is a failure (the process dies, the exit code says so); an error thrown
/// is the expected outcome for bad input. Properties are checked too: a TrafficSplit that
/// decodes re-encodes to the same JSON. `make test` runs a fixed number of iterations,
/// `make fuzz` a long run. Deterministic for a seed, so any crash replays with `--seed`.
@main
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smitop-fuzz", abstract: "Fuzz smitop's parsers with mutated seed inputs (a developer tool, not installed).")

    @Option(help: "Inputs per target.") var iterations = 1000
    @Option(help: "Seed of the mutation sequence.") var seed: UInt64 = 1
    @Option(help: "Comma-separated targets (default: all).") var targets: String?
    @Option(help: "Seed corpus directories (files are read recursively).") var corpus: [String] = []
    @Flag(help: "List the targets and exit.") var list = false
    @Option(help: "Write each input that broke a property to this directory (add it to the corpus once fixed).") var dump: String?

    func run() throws {
        let all = FuzzTargets.all
        if list {
            for t in all { print(t.name) }
            return
        }
        let want = targets.map { Set($0.split(separator: ",").map(String.init)) }
        var raw: [[UInt8]] = FuzzTargets.builtinSeeds
        for dir in corpus { raw += Self.files(under: dir) }
        // Each target mutates inputs of its own kind: JSON parsers start from JSON (YAML seeds
        // converted document by document), text parsers from every file, the quantity parser
        // from quantities.
        var json: [[UInt8]] = []
        for r in raw {
            if (try? JSON.parse(r)) != nil {
                json.append(r)
                continue
            }
            for d in (try? YAMLDocuments.read(String(decoding: r, as: UTF8.self))) ?? [] { json.append(d.json.serialized()) }
        }
        let quantities = FuzzTargets.quantitySeeds.map { Array($0.utf8) }
        // Protobuf bodies as kubectl sends them (Tests/Fixtures/fuzz/protobuf), and the
        // simplest envelope when no corpus is given.
        let protobuf = raw.filter { $0.starts(with: KubeProtobuf.magic) } + [FuzzTargets.protobufSeed]
        let pools: [FuzzTarget.Pool: [[UInt8]]] = [.json: json.isEmpty ? raw : json, .text: raw, .quantity: quantities, .protobuf: protobuf]
        let seeds = raw
        var report: [JSON] = []
        var failed = false
        for t in all where want?.contains(t.name) ?? true {
            var rng = SplitMix64(seed: seed ^ FuzzTargets.stableHash(t.name))
            var accepted = 0
            var rejected = 0
            var violations: [String] = []
            let start = Date()
            let pool = pools[t.pool] ?? raw
            for i in 0..<iterations {
                let base = pool[Int(rng.next() % UInt64(pool.count))]
                let input = Mutator.mutate(base, other: pool[Int(rng.next() % UInt64(pool.count))], rng: &rng, round: i)
                switch t.run(input, &rng) {
                case .accepted: accepted += 1
                case .rejected: rejected += 1
                case .violation(let why):
                    if violations.count < 5 { violations.append("\(why) (input: \(Self.preview(input)))") }
                    if let dump {
                        try? FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
                        FileManager.default.createFile(atPath: "\(dump)/\(t.name)-\(seed)-\(i)", contents: Data(input))
                    }
                }
            }
            if !violations.isEmpty { failed = true }
            report.append([
                "target": .string(t.name), "inputs": .int(iterations), "accepted": .int(accepted), "rejected": .int(rejected),
                "violations": .array(violations.map(JSON.string)),
                "seconds": .double((Date().timeIntervalSince(start) * 100).rounded() / 100),
            ])
        }
        let summary: JSON = ["seed": .string(String(seed)), "seedInputs": .int(seeds.count), "jsonSeeds": .int(json.count), "targets": .array(report)]
        print(summary.prettyString())
        if failed { throw ExitCode(1) }
    }

    static func files(under dir: String) -> [[UInt8]] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [[UInt8]] = []
        for case let rel as String in e {
            var isDir: ObjCBool = false
            let p = dir + "/" + rel
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue,
                let d = FileManager.default.contents(atPath: p), d.count < 1 << 20
            else { continue }
            out.append(Array(d))
        }
        return out
    }

    static func preview(_ b: [UInt8]) -> String {
        let s = String(decoding: b.prefix(120), as: UTF8.self)
        return sanitizedForDisplay(s, limit: 120) + (b.count > 120 ? "…" : "")
    }
}

enum FuzzOutcome: Sendable {
    case accepted, rejected
    case violation(String)
}

struct FuzzTarget: Sendable {
    enum Pool: Sendable, Hashable { case json, text, quantity, protobuf }
    var name: String
    var pool: Pool
    var run: @Sendable ([UInt8], inout SplitMix64) -> FuzzOutcome
    init(name: String, _ pool: Pool, run: @escaping @Sendable ([UInt8], inout SplitMix64) -> FuzzOutcome) {
        self.name = name
        self.pool = pool
        self.run = run
    }
}

/// Byte-level mutations with a bias towards what breaks parsers: structural characters,
/// boundary numbers, control and multi-byte characters, truncation and splicing.
enum Mutator {
    static let tokens: [[UInt8]] =
        [
            "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u0000", "\\ud800", "null", "true", "-", "1e999", "-0", "9223372036854775808",
            "0.000000001", "1e-9", "500m", "1Ki", "1E", "\n", "\r\n", "\t", "---\n", "- ", "&a ", "*a", "!!binary ", "? ", "|\n",
            "\u{1B}[2J", "\u{202E}", "\u{200D}", "é", "👨‍👩‍👧", "\u{0}", "%", "'", "#", "~",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98]]
        + extremeNumbers.flatMap { [Array($0.utf8), Array("\"\($0)\"".utf8)] }

    /// Numbers at and beyond every bound a weight or a quantity meets (Int64, the weight bound
    /// 9223372036854775 and one above it, Int128, Double, an exponent of Int64.min), bare and,
    /// in `tokens`, quoted: issue 14 found that the earlier boundary numbers stayed small.
    static let extremeNumbers = [
        "1e29", "1e308", "-0", "9223372036854775807", "9223372036854775808", "1e-9223372036854775808",
        "170141183460469231731687303715884105728", "NaN", "Infinity", "-Infinity", "9223372036854775", "9223372036854776",
        "-9223372036854775808", "1e+29", "0.000000000000000000000000000001", "1.7976931348623157e308", "4.9e-324",
    ]

    static func mutate(_ base: [UInt8], other: [UInt8], rng: inout SplitMix64, round: Int) -> [UInt8] {
        var b = base
        let n = 1 + Int(rng.next() % 6)
        for _ in 0..<n {
            let op = rng.next() % 9
            let pos = b.isEmpty ? 0 : Int(rng.next() % UInt64(b.count + 1))
            switch op {
            case 0 where !b.isEmpty:  // flip a bit
                let i = min(pos, b.count - 1)
                b[i] ^= UInt8(1 << (rng.next() % 8))
            case 1:  // insert a token
                b.insert(contentsOf: tokens[Int(rng.next() % UInt64(tokens.count))], at: pos)
            case 2 where !b.isEmpty:  // delete a range
                let len = min(b.count - min(pos, b.count - 1), 1 + Int(rng.next() % 16))
                b.removeSubrange(min(pos, b.count - 1)..<min(pos, b.count - 1) + len)
            case 3:  // truncate
                b = Array(b.prefix(pos))
            case 4 where !other.isEmpty:  // splice another seed in
                let from = Int(rng.next() % UInt64(other.count))
                let len = min(other.count - from, 1 + Int(rng.next() % 256))
                b.insert(contentsOf: other[from..<from + len], at: pos)
            case 5 where !b.isEmpty:  // duplicate a range (deep nesting, long strings)
                let from = min(pos, b.count - 1)
                let len = min(b.count - from, 1 + Int(rng.next() % 64))
                let chunk = Array(b[from..<from + len])
                for _ in 0..<(1 + Int(rng.next() % 8)) { b.insert(contentsOf: chunk, at: from) }
            case 6 where !b.isEmpty:  // replace a digit run with a boundary number
                let i = min(pos, b.count - 1)
                if (0x30...0x39).contains(b[i]) {
                    let small = ["0", "-1", "2147483648", "99999999999999999999999", "1e308", "0.5"]
                    let all = small + extremeNumbers
                    let big = all[Int(rng.next() % UInt64(all.count))]
                    b.replaceSubrange(i...i, with: Array(big.utf8))
                }
            case 7:  // overwrite a byte with a random one
                if !b.isEmpty { b[min(pos, b.count - 1)] = UInt8(truncatingIfNeeded: rng.next()) }
            default:
                break
            }
            if b.count > 1 << 20 { b = Array(b.prefix(1 << 20)) }
        }
        // Now and then a seed passes unmutated, so the happy path stays covered.
        return round % 50 == 0 ? base : b
    }
}

enum FuzzTargets {
    /// FNV-1a: a per-target seed that does not change between runs (hashValue does).
    static func stableHash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    static func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "json", .json) { b, _ in
            let skipped = try? JSON.parse(b, skippingKeys: ["metadata", "fieldsV1"])
            guard let j = try? JSON.parse(b) else {
                return skipped == nil ? .rejected : .violation("skipping keys accepted a document parsing refuses")
            }
            if skipped == nil { return .violation("skipping keys refused a document parsing accepts") }
            // Property: what we serialise, we parse back to the same value.
            guard let again = try? JSON.parse(j.serialized()), again == j else { return .violation("serialize/parse round trip differs") }
            return .accepted
        },
        FuzzTarget(name: "yaml", .text) { b, _ in (try? YAMLDocuments.read(text(b))) == nil ? .rejected : .accepted },
        FuzzTarget(name: "protobuf", .protobuf) { b, _ in
            // The simulator's reader of kubectl's protobuf bodies: refusing is fine, trapping is
            // not; what it accepts is an object whose JSON parses back to the same value.
            guard let o = try? KubeProtobuf.decodeObject(b) else { return .rejected }
            guard case .object = o, o["kind"]?.stringValue != nil else { return .violation("decoded body is not an object with a kind") }
            guard let again = try? JSON.parse(o.serialized()), again == o else { return .violation("decoded JSON does not round-trip") }
            // What the tables wrote back (the simulator's protobuf answers) decodes the same.
            if let encoded = KubeProtobuf.encodeObject(o) {
                guard let back = try? KubeProtobuf.decodeObject(encoded), back == o else { return .violation("encode/decode round trip differs") }
            }
            return .accepted
        },
        FuzzTarget(name: "quantity", .quantity) { b, _ in
            // Every parse path a weight or a quantity takes: as text, as a JSON string, as a
            // JSON number; refusing is fine, trapping is not.
            _ = try? Weight(json: .string(text(b)))
            _ = try? Weight(json: .number(text(b)))
            guard let q = try? Quantity(parsing: text(b)) else { return .rejected }
            _ = (q.doubleValue, q.decimalString, q.integerValue)
            guard let again = try? Quantity(parsing: q.canonical), again == q else {
                return .violation("canonical form \(q.canonical) does not re-parse to the same value")
            }
            return .accepted
        },
        FuzzTarget(name: "trafficsplit", .json) { b, _ in
            guard let j = try? JSON.parse(b), let s = try? TrafficSplit(json: j) else { return .rejected }
            _ = s.analysis
            guard let again = try? TrafficSplit(json: s.encode()), again == s else { return .violation("decode → encode → decode differs") }
            return .accepted
        },
        FuzzTarget(name: "weight-math", .json) { b, rng in weightMath(b, &rng) },
        FuzzTarget(name: "trafficsplit-list", .json) { b, _ in
            // The input as a whole list, and as the one item of a list: the list decoder must
            // accept, refuse and decode exactly as the tree decoder does.
            let asItem = Array(#"{"apiVersion":"v1","items":["#.utf8) + b + Array(#"],"kind":"TrafficSplitList","metadata":{}}"#.utf8)
            var accepted = false
            for doc in [b, asItem] {
                let streamed: [TrafficSplitListItem]?
                do { streamed = try TrafficSplit.listItems(fromListBytes: doc) } catch {
                    if (try? JSON.parse(doc)) != nil { return .violation("list decoder refused a document parsing accepts") }
                    continue
                }
                guard let tree = try? JSON.parse(doc) else { return .violation("list decoder accepted a document parsing refuses") }
                let treeItems: [JSON]?
                switch tree["items"] {
                case .array(let a)?: treeItems = a
                case .null?: treeItems = []
                default: treeItems = nil
                }
                guard let streamed, let treeItems else {
                    if (streamed == nil) != (treeItems == nil) { return .violation("list decoder and tree disagree on whether there are items") }
                    continue
                }
                guard streamed.count == treeItems.count else { return .violation("list decoder found \(streamed.count) items, the tree \(treeItems.count)") }
                for (s, t) in zip(streamed, treeItems) {
                    if let why = s.disagreement(withTree: t) { return .violation("list decoder: \(why)") }
                    if case .success = s.split { accepted = true }
                }
            }
            return accepted ? .accepted : .rejected
        },
        FuzzTarget(name: "smi-kinds", .json) { b, _ in
            guard let j = try? JSON.parse(b) else { return .rejected }
            let ok = (try? TrafficTarget(json: j)) != nil || (try? HTTPRouteGroup(json: j)) != nil || (try? TrafficRoute(json: j)) != nil
            return ok ? .accepted : .rejected
        },
        FuzzTarget(name: "metrics", .json) { b, _ in
            guard let j = try? JSON.parse(b) else { return .rejected }
            if let l = try? TrafficMetricsList(json: j) {
                for m in l.items { _ = (m.requestsPerSecond, m.successRate, m.latency(.p99)) }
                return .accepted
            }
            return (try? TrafficMetrics(json: j)) == nil ? .rejected : .accepted
        },
        FuzzTarget(name: "watch-stream", .json) { b, rng in
            // The same bytes in random chunks must give the same events as in one piece.
            var whole = WatchFrameDecoder(maxFrameBytes: 1 << 20)
            let expected = whole.feed(b).map(\.type)
            var chunked = WatchFrameDecoder(maxFrameBytes: 1 << 20)
            var got: [WatchEventType] = []
            var i = 0
            while i < b.count {
                let n = 1 + Int(rng.next() % 64)
                got += chunked.feed(b[i..<min(b.count, i + n)]).map(\.type)
                i += n
            }
            return got == expected ? (expected.isEmpty ? .rejected : .accepted) : .violation("chunking changed the events")
        },
        FuzzTarget(name: "error-body", .json) { b, rng in
            let status = [400, 403, 404, 409, 410, 422, 429, 500, 502, 503][Int(rng.next() % 10)]
            let types = ["application/json", "text/html", "text/plain", nil]
            let e = KubeError.fromResponse(
                HTTPResponse(status: status, headers: types[Int(rng.next() % 4)].map { [HTTPHeader("Content-Type", $0)] } ?? [], body: b))
            // Whatever the body held, the message is printable.
            let m = e.userMessage
            if m.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }) {
                return .violation("control character in an error message")
            }
            return .accepted
        },
        FuzzTarget(name: "kubeconfig", .text) { b, _ in (try? Kubeconfig.parse(text(b), path: "/fuzz/kubeconfig")) == nil ? .rejected : .accepted },
        FuzzTarget(name: "theme", .text) { b, _ in (try? Theme.parse(text(b), file: "/fuzz/theme.yaml")) == nil ? .rejected : .accepted },
        FuzzTarget(name: "config", .text) { b, _ in (try? SmitopConfig.parse(text(b), file: "/fuzz/config.yaml")) == nil ? .rejected : .accepted },
        FuzzTarget(name: "lint", .text) { b, _ in
            let r = lint(documents: text(b), fileName: "fuzz.yaml")
            // What lint prints is read in a terminal: no control or bidi character from the
            // input may reach it (the hostile scenario's backend names did).
            if r.text.unicodeScalars.contains(where: {
                ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value)
                    || (0x2066...0x2069).contains($0.value)
            }) {
                return .violation("a control or bidi character in lint's text output")
            }
            _ = r.json
            return r.exitCode == 0 ? .accepted : .rejected
        },
        FuzzTarget(name: "sanitize", .text) { b, _ in
            let s = sanitizedForDisplay(text(b), limit: 200)
            if s.unicodeScalars.contains(where: {
                $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value)
                    || (0x2066...0x2069).contains($0.value)
            }) {
                return .violation("a control or bidi character survived sanitising")
            }
            return .accepted
        },
    ]

    static let quantitySeeds =
        [
            "1", "0", "500m", "1.5", "1Ki", "1.5Gi", "-0.1e3", "1e18", "12345678901234567890m", "0.000000001", "100", "2E", "1n", "+7u", ".5",
        ] + Mutator.extremeNumbers

    /// Weight literals for `weight-math`: the extremes as JSON strings and as JSON numbers
    /// (those Weight refuses are skipped: refusing is the expected outcome, trapping is not).
    static let extremeWeights: [JSON] =
        Mutator.extremeNumbers.flatMap { [JSON.string($0), JSON.number($0)] } + [
            .number("0"), .number("1"), .number("50"), .string("500m"), .string("1n"), .number("-5"),
        ]

    /// Points and percentages for the edit operations: ordinary, at ±100, far beyond, and
    /// fractions whose parts are at the ends of Int128.
    static let extremePoints: [Fraction] = [
        0, 5, -5, 100, -100, 101, Fraction(1, 3), Fraction(-2, 7), Fraction(Int128.max), Fraction(Int128.min), Fraction(1, Int128.max),
        Fraction(Int128.max, Int128.max - 1), Fraction(Int128.min, 3), Fraction(Int128(Int64.max)), Fraction(Int128(1e30)),
    ]

    /// Weight math on a mutated split whose weights are then set to extremes: `analysis`,
    /// `shifting`, `settingShare`, `evenSplit`, `promoting` and `percentText` must never trap
    /// (in-process, a trap ends the run: that is the failure); shares of a split with a
    /// positive total sum to exactly 1; an edit keeps the total it works on and writes
    /// weights that smitop itself reads back.
    static func weightMath(_ b: [UInt8], _ rng: inout SplitMix64) -> FuzzOutcome {
        var split: TrafficSplit
        var mutated = true
        if let j = try? JSON.parse(b), let s = try? TrafficSplit(json: j), !s.backends.isEmpty {
            split = s
        } else {
            // Most mutated bytes are no longer a split: the weight math still gets a run, on a
            // split of 1 to 8 backends in a random version, so extremes meet every notation.
            mutated = false
            let version = [SMIVersion.v1alpha1, .v1alpha2, .v1alpha3, .v1alpha4][Int(rng.next() % 4)]
            let backends = (0..<(1 + Int(rng.next() % 8))).map { Backend(service: "b\($0)", weight: Weight(integer: Int64(rng.next() % 101))) }
            split = TrafficSplit(name: "fuzz", namespace: "fuzz", version: version, service: "root", backends: backends)
        }
        var weights = split.backends.map(\.weight)
        for i in weights.indices where rng.next() % 2 == 0 {
            if let w = try? Weight(json: extremeWeights[Int(rng.next() % UInt64(extremeWeights.count))]) { weights[i] = w }
        }
        split = split.with(weights: weights)
        let a = split.analysis
        if a.total.nanos > 0 {
            guard let sum = Fraction.exactSum(a.shares.map { $0 ?? 0 }) else { return .violation("shares do not add up inside Int128") }
            if sum != 1 { return .violation("shares sum to \(sum), not 1") }
        }
        for share in a.shares {
            for d in 0...3 where !(share ?? 0).percentText(decimals: d).hasSuffix("%") { return .violation("percent text without %") }
        }
        let unit = split.editUnitNanos
        let units = split.backends.map { max(0, Fraction.roundDiv($0.weight.value.nanos, unit)) }
        let unitTotal = units.reduce(Int128(0)) { $0.addingReportingOverflow($1).overflow ? Int128.max : $0 + $1 }
        let expected = (unitTotal == 0 ? 100 : unitTotal) * unit
        let index = Int(rng.next() % UInt64(split.backends.count))
        let p = extremePoints[Int(rng.next() % UInt64(extremePoints.count))]
        let edits: [(String, Result<TrafficSplit, WeightEditError>)] = [
            ("shifting", Result { () throws(WeightEditError) in try split.shifting(points: p, to: index) }),
            ("settingShare", Result { () throws(WeightEditError) in try split.settingShare(p, of: index) }),
            ("evenSplit", Result { () throws(WeightEditError) in try split.evenSplit() }),
            ("promoting", Result { () throws(WeightEditError) in try split.promoting(index) }),
        ]
        for (name, r) in edits {
            guard case .success(let edited) = r else { continue }
            let got = edited.backends.reduce(Int128(0)) { $0 + $1.weight.value.nanos }
            if got != expected { return .violation("\(name)(\(p)) changed the total from \(expected) to \(got) nanos") }
            if edited.backends.contains(where: { $0.weight.value.isNegative }) { return .violation("\(name) wrote a negative weight") }
            do { _ = try TrafficSplit(json: edited.encode()) } catch {
                return .violation("\(name)(\(p)) wrote weights smitop cannot read back: \(error)")
            }
            _ = edited.analysis.shares.map { $0?.percentText() }
        }
        return mutated ? .accepted : .rejected
    }

    /// Small seeds of every input kind, so the fuzzer starts from valid structure even
    /// without a corpus directory.
    /// `k8s\0` + runtime.Unknown{typeMeta{v1, Namespace}, raw: Namespace{metadata{name: demo}}}.
    static let protobufSeed: [UInt8] =
        KubeProtobuf.magic + [0x0A, 0x0F, 0x0A, 0x02, 0x76, 0x31, 0x12, 0x09] + Array("Namespace".utf8)
        + [0x12, 0x08, 0x0A, 0x06, 0x0A, 0x04] + Array("demo".utf8)

    static let builtinSeeds: [[UInt8]] = [
        #"{"apiVersion":"split.smi-spec.io/v1alpha1","kind":"TrafficSplit","metadata":{"name":"a","namespace":"b","resourceVersion":"7"},"spec":{"service":"web","backends":[{"service":"v1","weight":"500m"},{"service":"v2","weight":1}]}}"#,
        #"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"a","namespace":"b"},"spec":{"service":"web","backends":[{"service":"v1","weight":90},{"service":"v2","weight":10}]}}"#,
        #"{"type":"ADDED","object":{"kind":"TrafficSplit","metadata":{"name":"a","resourceVersion":"1"}}}"# + "\n"
            + #"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"2"}}}"# + "\n",
        #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version","reason":"Expired","code":410}}"#,
        #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"trafficsplits \"x\" is invalid","reason":"Invalid","details":{"causes":[{"field":"spec.backends[0].weight","message":"must be >= 0"}]},"code":422}"#,
        #"{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1","resource":{"kind":"Deployment"},"items":[{"kind":"TrafficMetrics","resource":{"kind":"Deployment","namespace":"n","name":"d"},"edge":{"direction":"to","resource":{"kind":"Deployment","name":"e"}},"timestamp":"2019-04-08T22:25:55Z","window":"30s","metrics":[{"name":"p99_response_latency","unit":"ms","value":"10m"},{"name":"success_count","value":"100"},{"name":"failure_count","value":"2"}]}]}"#,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:6443\", certificate-authority-data: LS0t}\nusers:\n- name: u\n  user:\n    token: abc\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true, interactiveMode: Never}\ncontexts:\n- name: x\n  context: {cluster: c, user: u, namespace: ns}\ncurrent-context: x\n",
        "name: mine\nextends: default\ncolors:\n  healthy: {fg: \"#00ff00\", fg256: 46, fg8: green}\n  selection: {fg: black, bg: \"#ffaf00\", bold: true}\n",
        "theme: light\nrefresh: 5\nthresholds: {warning: 0.99, critical: 0.9}\nstep: 10\ncontexts:\n  prod: {readOnly: true}\nkeys:\n  quit: [Q, Ctrl-Q]\n",
        "apiVersion: split.smi-spec.io/v1alpha2\nkind: TrafficSplit\nmetadata: {name: a, namespace: b}\nspec:\n  service: web\n  backends:\n  - service: v1\n    weight: 1\n  - service: v1\n    weight: 0\n---\napiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: {name: t}\nspec:\n  destination: {kind: ServiceAccount, name: s}\n  rules: [{kind: HTTPRouteGroup, name: r}]\n  sources: [{kind: ServiceAccount, name: c}]\n",
        "1", "500m", "1.5Gi", "-0.1e3", "1e18", "12345678901234567890m",
        "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    ].map { Array($0.utf8) }
}
