import ArgumentParser
import Foundation
import GatewayAPI
import Kube
import KubeCore
import Mesh
import SMI

struct SplitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split", abstract: "Change the weights of a TrafficSplit or of a route rule safely.",
        discussion: """
            The object is named as kubectl names it: NAME or NAMESPACE/NAME for a TrafficSplit, \
            TYPE/NAME (namespace from -n) or TYPE/NAMESPACE/NAME for any kind: trafficsplit/books, \
            httproute/reviews, grpcroute/echo, httproutes.policy.linkerd.io/bb. A route with several \
            weighted rules needs --rule INDEX or --rule NAME.
            """,
        subcommands: [SplitSetCommand.self, SplitShiftCommand.self, SplitRampCommand.self])
}

/// What `split set/shift` writes to: a TrafficSplit, or one rule of a route.
enum WeightTarget: Equatable {
    case trafficSplit(namespace: String, name: String)
    case route(RouteKind, namespace: String, name: String)

    /// kubectl's spellings: NAME, NS/NAME (a TrafficSplit, as smitop has always read it),
    /// TYPE/NAME and TYPE/NS/NAME.
    static func parse(_ s: String, defaultNamespace: String) throws -> WeightTarget {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts.contains(where: \.isEmpty), (1...3).contains(parts.count) else {
            throw CLIError.fail("expected NAME, NAMESPACE/NAME, TYPE/NAME or TYPE/NAMESPACE/NAME, got \"\(clean(s))\"", code: 2)
        }
        func typed(_ type: String, _ ns: String, _ name: String) throws -> WeightTarget {
            if ["trafficsplit", "trafficsplits", "ts", "trafficsplits.split.smi-spec.io"].contains(type.lowercased()) {
                return .trafficSplit(namespace: ns, name: name)
            }
            if let k = RouteKind(typeName: type) { return .route(k, namespace: ns, name: name) }
            throw CLIError.fail(
                "unknown type \"\(clean(type))\": use trafficsplit, httproute, grpcroute or httproutes.policy.linkerd.io", code: 2)
        }
        switch parts.count {
        case 1: return .trafficSplit(namespace: defaultNamespace, name: parts[0])
        case 2:
            let isType = RouteKind(typeName: parts[0]) != nil || ["trafficsplit", "trafficsplits", "ts"].contains(parts[0].lowercased())
            return isType ? try typed(parts[0], defaultNamespace, parts[1]) : .trafficSplit(namespace: parts[0], name: parts[1])
        default: return try typed(parts[0], parts[1], parts[2])
        }
    }
}

/// Options every weight write shares.
struct WriteOptions: ParsableArguments {
    @Flag(name: .customLong("dry-run"), help: "Ask the server to validate the write without persisting it, and print the diff.")
    var dryRun = false
    @Option(
        name: .customLong("expect-resource-version"),
        help: "Write only if the object is still at this resourceVersion (compare-and-swap for scripts).")
    var expectResourceVersion: String?
    @Option(name: [.customShort("o"), .customLong("output")], help: "table, json or yaml.")
    var output: OutputFormat = .table
    @Option(name: .customLong("rule"), help: "For a route: the rule to change, by index or by name.")
    var rule: String?
    @Flag(name: .customLong("drain"), help: "Allow a write that sets every weight to 0 (the split or route rule then routes nothing).")
    var drain = false
    @Flag(
        name: .customLong("suspend-canary"),
        help:
            "When a Flagger Canary owns the object: first write its spec.suspend: true (guarded by its resourceVersion, read back), so Flagger holds the weights written."
    )
    var suspendCanary = false
    @Option(
        name: .customLong("accept-timeout"),
        help: "For a route: seconds to wait for the mesh to accept the new generation (0: do not wait).")
    var acceptTimeout: Double = 10
}

/// Finds the target and runs the write for its kind. `compute` gets the backend names and
/// weights as read and the kind's weight policy, and returns the new weights.
func writeTargetWeights(
    cluster options: ClusterOptions, write: WriteOptions, ref: String,
    compute: @escaping (_ names: [String], _ weights: [Weight], _ policy: WeightPolicy, _ integerOnly: Bool) throws -> [Weight]
) async throws {
    let (_, resolved) = try options.connect()
    switch try WeightTarget.parse(ref, defaultNamespace: resolved.namespace) {
    case .trafficSplit(let ns, let name):
        if write.rule != nil { throw CLIError.fail("--rule is for routes; a TrafficSplit has one list of backends", code: 2) }
        try await writeWeights(cluster: options, write: write, ref: "\(ns)/\(name)") { current in
            current.with(
                weights: try compute(
                    current.backends.map(\.service), current.backends.map(\.weight), current.weightPolicy, current.weightFormat == .integer))
        }
    case .route(let kind, let ns, let name):
        try await writeRouteWeights(cluster: options, write: write, kind: kind, namespace: ns, name: name) { route, i in
            let rule = route.rules[i]
            return try compute(rule.backends.map(\.name), rule.backends.map(\.weight), .gatewayAPI, true)
        }
    }
}

/// Read, compute, write with the resourceVersion read: the TrafficSplit path of `split set`
/// and `split shift` (the loop, its 409s and lost answers: `guardedWeightsWrite`).
func writeWeights(
    cluster options: ClusterOptions, write: WriteOptions, ref: String,
    compute: (TrafficSplit) throws -> TrafficSplit
) async throws {
    let (client, resolved) = try options.connect()
    let gvr = try await splitResource(client)
    let (ns, name) = try parseObjectRef(ref, defaultNamespace: resolved.namespace)
    let label = "TrafficSplit \(clean(ns))/\(clean(name))"
    var current: TrafficSplit
    do {
        current = try TrafficSplit(json: try await client.get(gvr, namespace: ns, name: name))
    } catch let e as SMIDecodeError {
        throw CLIError.fail("\(label) cannot be read: \(e)", code: 1)
    } catch {
        throw fail(error)
    }
    if let c = current.controller {
        warn("\(label) is managed by \(clean(c.tool)) (\(clean(c.detail))); it may undo this change")
    }
    let canonical = { (t: TrafficSplit) in t.backends.map { [$0.service, $0.weight.value.canonical] } }
    let outcome = try await guardedWeightsWrite(
        client, gvr, namespace: ns, name: name, label: label, listCommand: "splits", write: write, read: current,
        compute: { current, _ in
            let next = try compute(current)
            if !next.backends.isEmpty && next.backends.allSatisfy({ $0.weight.value.isZero }) && !write.drain {
                throw CLIError.fail(
                    "refusing to write every weight of \(label) as 0: the split would route nothing (meshes differ on what that means); pass --drain to write it anyway",
                    code: 1)
            }
            // Weights equal to the server's: nothing is sent, and the output says so rather than
            // "written" (a compare-and-swap with another resourceVersion still goes to the server).
            if canonical(next) == canonical(current)
                && (write.expectResourceVersion == nil || write.expectResourceVersion == current.meta.resourceVersion)
            {
                switch write.output {
                case .json, .yaml:
                    var j = diffJSON(current, current, dryRun: write.dryRun)
                    j["unchanged"] = .bool(true)
                    if write.output == .json { printJSON(j) } else { printYAML(j) }
                case .table, .wide:
                    print(
                        "\(label) unchanged (resourceVersion \(clean(current.meta.resourceVersion ?? "?"))): it already has these weights; nothing written"
                    )
                }
                return nil
            }
            return next
        },
        sameWeights: { canonical($0) == canonical($1) },
        describe: { SplitSummary(split: $0).backendsText(wide: false) })
    guard let outcome else { return }
    current = outcome.read
    let next = outcome.sent
    let result = outcome.answer
    let written = (try? TrafficSplit(json: result)) ?? next
    switch write.output {
    case .json: printJSON(diffJSON(current, written, dryRun: write.dryRun))
    case .yaml: printYAML(diffJSON(current, written, dryRun: write.dryRun))
    case .table, .wide:
        print(diffText(current, written, dryRun: write.dryRun), terminator: "")
    }
}

func diffJSON(_ old: TrafficSplit, _ new: TrafficSplit, dryRun: Bool) -> JSON {
    [
        "namespace": .string(old.meta.namespace ?? ""), "name": .string(old.meta.name), "apiVersion": .string(old.apiVersion),
        "dryRun": .bool(dryRun), "old": SplitSummary(split: old).json, "new": SplitSummary(split: new).json,
        "patch": new.weightsMergePatch(),
    ]
}

func diffText(_ old: TrafficSplit, _ new: TrafficSplit, dryRun: Bool) -> String {
    let oa = old.analysis
    let na = new.analysis
    var rows: [[String]] = []
    for (i, b) in old.backends.enumerated() {
        let nb = i < new.backends.count ? new.backends[i] : b
        let os = oa.shares[i].map { $0.percentText(decimals: 1) } ?? "-"
        let ns = i < na.shares.count ? (na.shares[i].map { $0.percentText(decimals: 1) } ?? "-") : "-"
        let mark = b.weight.value == nb.weight.value ? " " : "*"
        rows.append([mark + " " + clean(b.service), b.weight.description + " → " + nb.weight.description, os + " → " + ns])
    }
    var out = "TrafficSplit \(clean(old.meta.namespace ?? ""))/\(clean(old.meta.name)) (\(clean(old.apiVersion)))"
    out += dryRun ? " — dry run, nothing written\n" : " — written, resourceVersion \(clean(new.meta.resourceVersion ?? "?"))\n"
    out += renderTable(["  BACKEND", "WEIGHT", "SHARE"], rows)
    return out
}

struct SplitSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set backend weights: smitop split set NS/NAME SERVICE=WEIGHT...",
        discussion: "Backends not named keep their weights. Weights are written in the notation the object uses.")

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var write: WriteOptions
    @Argument(help: "The object: NAME or NAMESPACE/NAME (a TrafficSplit), TYPE/NAME or TYPE/NAMESPACE/NAME.") var split: String
    @Argument(help: "SERVICE=WEIGHT pairs.") var weights: [String]

    func run() async throws {
        var wanted: [(String, String)] = []
        for w in weights {
            let p = w.split(separator: "=", maxSplits: 1).map(String.init)
            guard p.count == 2, !p[0].isEmpty, !p[1].isEmpty else { throw CLIError.fail("expected SERVICE=WEIGHT, got \"\(w)\"", code: 2) }
            wanted.append((p[0], p[1]))
        }
        if wanted.isEmpty { throw CLIError.fail("name at least one SERVICE=WEIGHT", code: 2) }
        try await writeTargetWeights(cluster: cluster, write: write, ref: split) { names, current, policy, integerOnly in
            var ws = current
            for (svc, text) in wanted {
                guard let i = names.firstIndex(of: svc) else {
                    throw CLIError.fail("\(clean(svc)) is not a backend (backends: \(names.map { clean($0) }.joined(separator: ", ")))", code: 2)
                }
                let q: Quantity
                do { q = try Quantity(parsing: text) } catch {
                    throw CLIError.fail("weight \"\(clean(text))\" for \(clean(svc)) is not a number or quantity: \(error)", code: 2)
                }
                if q.isNegative { throw CLIError.fail("weight for \(clean(svc)) must not be negative", code: 2) }
                if integerOnly && !q.isInteger {
                    throw CLIError.fail("these weights are whole numbers; \"\(clean(text))\" is not", code: 2)
                }
                if q.nanos > policy.maximumNanos {
                    throw CLIError.fail("weight \(clean(text)) for \(clean(svc)) is above the largest this kind allows", code: 2)
                }
                ws[i] = ws[i].with(value: q)
            }
            return ws
        }
    }
}

struct SplitShiftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shift",
        abstract: "Move share to one backend: smitop split shift NS/NAME --to SERVICE --by POINTS",
        discussion: "POINTS are percentage points of share, taken from the other backends in proportion (negative gives share back).")

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var write: WriteOptions
    @Argument(help: "The object: NAME or NAMESPACE/NAME (a TrafficSplit), TYPE/NAME or TYPE/NAMESPACE/NAME.") var split: String
    @Option(help: "The backend that gains share.") var to: String
    // .unconditional: "--by -10" is a value, not an unknown flag "-1".
    @Option(parsing: .unconditional, help: "Percentage points of share to move (may be negative).") var by: Double

    func run() async throws {
        // Share moves between -100 and 100 points; anything else (NaN, 1e30) is a typo, and
        // would trap in the conversion to an exact fraction below.
        guard by.isFinite, (-100...100).contains(by) else {
            throw CLIError.fail("--by must be between -100 and 100 percentage points, not \(by)", code: 2)
        }
        try await writeTargetWeights(cluster: cluster, write: write, ref: split) { names, current, policy, _ in
            guard let i = names.firstIndex(of: to) else {
                throw CLIError.fail("\(clean(to)) is not a backend (backends: \(names.map { clean($0) }.joined(separator: ", ")))", code: 2)
            }
            try Self.checkHeld(names: names, weights: current, to: i, by: by)
            // Points as an exact fraction (thousandths of a point are plenty for a CLI).
            let points = Fraction(Int128((by * 1000).rounded()), 1000)
            do { return try WeightEdits.shifting(current, policy: policy, points: points, to: i) } catch {
                throw CLIError.fail("cannot shift: \(error)", code: 1)
            }
        }
    }

    /// A shift larger than the share it can take would silently become "all of it" (`--by 200`
    /// on 90/10 promoted to 100/0): refused, naming the largest shift that is possible.
    static func checkHeld(names: [String], weights: [Weight], to i: Int, by: Double) throws {
        var total: Int128 = 0
        for w in weights {
            let (t, o) = total.addingReportingOverflow(max(0, w.value.nanos))
            guard !o else { return }  // no share is meaningful here; the edit reports it
            total = t
        }
        guard total > 0 else { return }
        let mine = Fraction(max(0, weights[i].value.nanos), total).doubleValue * 100
        let others = 100 - mine
        let slack = 0.0005  // thousandths of a point: what the shift itself is rounded to
        func points(_ v: Double) -> String { String(format: "%g", (v * 100).rounded() / 100) }
        if by > others + slack {
            throw CLIError.fail(
                "cannot move \(points(by)) points to \(clean(names[i])): the other backends hold only \(points(others)) (\(clean(names[i])) has \(points(mine))%); --by \(points(others)) moves all of it",
                code: 2)
        }
        if -by > mine + slack {
            throw CLIError.fail(
                "cannot take \(points(-by)) points from \(clean(names[i])): it holds only \(points(mine)); --by -\(points(mine)) takes all of it",
                code: 2)
        }
    }

}
