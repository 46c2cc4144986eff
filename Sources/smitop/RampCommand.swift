import App
import ArgumentParser
import Foundation
import GatewayAPI
import Kube
import KubeCore
import Mesh
import Ramp
import Runtime
import SMI
import Synchronization

/// `smitop split ramp`: the headless twin of the TUI's ramp (docs/ramps.md). The same state
/// machine decides; this loop feeds it the clock, metrics polls and the object read back, and
/// carries out its writes with the resourceVersion it names.
struct SplitRampCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ramp",
        abstract: "Ramp a canary step by step, checking its metrics before every step.",
        discussion: """
            Each step writes the canary's share (a guarded write: a concurrent change is never \
            overwritten), waits --wait once the mesh has the new weights, and judges the canary's \
            metrics over that time: success rate (--min-success, default the stable backends' minus \
            0.5 points), p99 latency (--max-p99, default 1.2 × the stable backends'), and at least \
            --min-requests requests (no verdict on no traffic). Without --auto every step waits for \
            your answer on standard input; with --auto smitop takes each step whose gates held and \
            rolls back on the first failure. Ctrl-C pauses and asks whether to roll back. \
            Exit status: 0 completed, 4 rolled back, 3 stopped by a concurrent change, 1 other stop. \
            Every step and decision is appended to $XDG_STATE_HOME/smitop/ramps.log.
            """)

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var source: MetricsSourceOptions
    @Argument(help: "The object: NAME or NAMESPACE/NAME (a TrafficSplit), TYPE/NAME or TYPE/NAMESPACE/NAME.") var split: String
    @Option(help: "The backend that gains share (the canary).") var to: String
    @Option(help: "The canary's shares in percent, rising (default 5,10,25,50,100).") var steps: String?
    @Option(name: .customLong("step-size"), help: "Instead of --steps: points added at each step, up to --target.") var stepSize: Double?
    @Option(help: "With --step-size: the canary's final share in percent.") var target: Double = 100
    @Option(help: "Minimum time at each step once it is in effect (Go duration: 30s, 2m; default 2m or the config's ramp.wait).")
    var wait: String?
    @Option(name: .customLong("min-success"), help: "Minimum canary success rate in percent (default: stable's minus 0.5).")
    var minSuccess: Double?
    @Option(name: .customLong("max-p99"), help: "Maximum canary p99 latency (300ms, 1s; default: 1.2 × stable's).") var maxP99: String?
    @Option(name: .customLong("min-requests"), help: "Requests the canary must serve in a step before any verdict (default 20).")
    var minRequests: Double?
    @Flag(help: "Take each step whose gates held without asking, and roll back on the first failure.") var auto = false
    @Flag(
        name: .customLong("suspend-canary"),
        help: "When a Flagger Canary owns the object: first write its spec.suspend: true (guarded, read back), so the ramp runs while Flagger holds.")
    var suspendCanary = false
    @Option(help: "For a route: the rule to ramp, by index or by name.") var rule: String?
    @Option(help: "The metrics window (Go duration); samples within it after a step began are not judged.") var window = "30s"
    @Option(help: "Seconds between metrics polls.") var interval: Double = 2
    @Option(name: [.customShort("o"), .customLong("output")], help: "table (lines) or json (one event per line).")
    var output: OutputFormat = .table

    func validate() throws {
        guard interval.isFinite, interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be 0.1…3600 seconds") }
        guard target.isFinite, target > 0, target <= 100 else { throw ValidationError("--target must be above 0 and at most 100") }
        if let s = stepSize, !(s.isFinite && s > 0 && s <= 100) { throw ValidationError("--step-size must be above 0 and at most 100") }
        if steps != nil && stepSize != nil { throw ValidationError("give --steps or --step-size, not both") }
        if let s = minSuccess, !(s.isFinite && (0...100).contains(s)) { throw ValidationError("--min-success must be 0…100") }
        if let m = minRequests, !(m.isFinite && m >= 0 && m <= 1e12) { throw ValidationError("--min-requests must be 0 or more") }
        if let wait, !(GoDuration.parse(wait).map { $0.isFinite && $0 >= 0 && $0 <= 7 * 86400 } ?? false) {
            throw ValidationError("--wait wants a duration such as 30s or 2m (at most 7 days), not \"\(wait)\"")
        }
        guard let m = GoDuration.parse(window), m >= 1, m <= 86400 else { throw ValidationError("--window wants a duration of 1s or more, not \"\(window)\"") }
        if let p = maxP99, Self.milliseconds(p) == nil { throw ValidationError("--max-p99 wants a duration such as 300ms, not \"\(p)\"") }
    }

    /// "300ms", "0.3s", "300" (ms) → milliseconds.
    static func milliseconds(_ s: String) -> Double? {
        if let plain = Double(s), plain.isFinite, plain > 0, plain <= 3_600_000 { return plain }
        guard let d = GoDuration.parse(s), d > 0, d <= 3600 else { return nil }
        return d * 1000
    }

    func run() async throws {
        let (client, resolved) = try cluster.connect()
        let address = try WeightTarget.parse(split, defaultNamespace: resolved.namespace)
        if case .trafficSplit = address, rule != nil { throw CLIError.fail("--rule is for routes; a TrafficSplit has one list of backends", code: 2) }
        let object = try await RampObject.locate(address, rule: rule, client: client)
        var current = try await object.read()
        // A Flagger Canary owning the object, held still (spec.suspend: true): the ramp runs
        // beside it, as in the TUI after S. Any other controller still stops it.
        var held: ControllerInfo?
        if let canary = FlaggerCanary(owning: current.meta), let c = current.controller {
            if suspendCanary {
                try await suspendOwningCanary(client, meta: current.meta, label: object.label, suspend: true, dryRun: false)
                held = c
            } else if let j = try? await client.rawGet(canary.path), let r = CanaryReading(j, of: canary), r.suspended {
                warn(
                    "\(canary) is suspended (spec.suspend: true): Flagger holds while the ramp runs; resume it after with: \(canary.kubectlCommand(suspend: false))"
                )
                held = c
            }
        }
        let canaryIndex = current.backends.firstIndex { $0.service == to }
        guard let canaryIndex else {
            throw CLIError.fail(
                "\(clean(to)) is not a backend of \(object.label) (backends: \(current.backends.map { clean($0.service) }.joined(separator: ", ")))",
                code: 2)
        }
        // Flags, then the config file's `ramp` defaults, then the built-in ones.
        let defaults = Self.configured() ?? RampDefaults()
        let planSteps: [Fraction]
        switch (steps, stepSize) {
        case (_, let size?):
            let now = current.analysis.shares[canaryIndex].map { Fraction($0.numerator * 100, $0.denominator) } ?? 0
            planSteps = try Self.unwrap(RampPlan.steps(from: now, size: Self.percent(size), to: Self.percent(target)))
        case (let text?, nil):
            planSteps = try Self.unwrap(RampPlan.parseSteps(text))
        case (nil, nil):
            planSteps = defaults.defaultSteps
        }
        var gates = defaults.gates
        if let s = minSuccess { gates.minSuccessPercent = s }
        if let p = maxP99.flatMap(Self.milliseconds) { gates.maxP99Ms = p }
        if let m = minRequests { gates.minRequests = m }
        let waitSeconds = wait.flatMap(GoDuration.parse) ?? defaults.defaultWait
        let plan = RampPlan(split: current.id, canary: to, steps: planSteps, wait: waitSeconds, gates: gates, mode: auto ? .auto : .manual)
        if let p = plan.problem(on: current) { throw CLIError.fail(p, code: 2) }
        let settle = GoDuration.parse(window) ?? 30

        // The workloads behind each backend Service, for the metrics of canary and stable.
        let graph = try await object.graph()
        let metricsSource = try source.source(for: client)
        let log = RampLog.defaultPath(environment: ProcessInfo.processInfo.environment).map(RampLog.init(path:))
        let interrupted = InterruptFlag()
        interrupted.install()

        var machine = RampMachine(plan: plan, split: current, settle: settle)
        machine.heldController = held
        var runner = RampRunner(
            machine: machine, object: object, log: log, json: output == .json,
            started: Date().timeIntervalSince1970)
        runner.say(
            "ramp \(object.label): \(clean(to)) \(current.analysis.shares[canaryIndex].map { $0.percentText(decimals: 1) } ?? "-") → "
                + planSteps.map(percentLabel).joined(separator: ", ") + "; wait \(formatFixed(waitSeconds, 0)) s per step; "
                + "\(plan.mode == .auto ? "auto" : "manual: each step waits for your answer")")
        if plan.mode == .manual {
            guard runner.ask("write step 1 (\(percentLabel(planSteps[0])))? [y/N] ") == "y" else {
                runner.say("nothing written")
                throw ExitCode(1)
            }
        }
        await runner.handle(runner.machine.begin(now: runner.now))
        var lastPoll = 0.0
        while runner.machine.phase.isActive {
            if interrupted.take() {
                await runner.interrupted()
                continue
            }
            switch runner.machine.phase {
            case .proposing:
                let next = runner.machine.step + 1
                let answer = runner.ask("step \(next + 1) (\(percentLabel(plan.steps[next])))? [y]es / [r]oll back / [q]uit: ")
                switch answer {
                case "y": await runner.handle(runner.machine.next(now: runner.now))
                case "r": await runner.handle(runner.machine.rollback(now: runner.now))
                case "q", nil: try runner.leave()
                default: continue
                }
                continue
            case .failed(let why):
                if plan.mode == .auto {
                    await runner.handle(runner.machine.rollback(now: runner.now))
                } else {
                    let answer = runner.ask("\(clean(why)). Roll back? [Y/n/c(ontinue watching)] ")
                    switch answer {
                    case "n": try runner.leave()
                    case "c": await runner.handle(runner.machine.resume(now: runner.now))
                    default: await runner.handle(runner.machine.rollback(now: runner.now))
                    }
                }
                continue
            case .paused(let why):
                // Reading the object again is the test of the connection; once it answers, the
                // step's wait starts over (auto) or the user decides (manual).
                try? await Task.sleep(for: .seconds(interval))
                guard let now = try? await object.read() else { continue }
                await runner.handle(runner.machine.serverObject(now, now: runner.now))
                guard case .paused = runner.machine.phase else { continue }
                if plan.mode == .auto {
                    await runner.handle(runner.machine.resume(now: runner.now))
                } else {
                    let answer = runner.ask("paused (\(clean(why))). [c]ontinue / [r]oll back / [q]uit: ")
                    switch answer {
                    case "c": await runner.handle(runner.machine.resume(now: runner.now))
                    case "r": await runner.handle(runner.machine.rollback(now: runner.now))
                    case "q", nil: try runner.leave()
                    default: break
                    }
                }
                continue
            default: break
            }
            try? await Task.sleep(for: .milliseconds(100))
            let t = runner.now
            guard t - lastPoll >= interval else {
                await runner.handle(runner.machine.tick(now: t))
                continue
            }
            lastPoll = t
            // The object first: a concurrent change stops the ramp before any verdict.
            do {
                current = try await object.read()
                await runner.handle(runner.machine.serverObject(current, now: runner.now))
            } catch is ObjectGone {
                await runner.handle(runner.machine.serverObject(nil, now: runner.now))
            } catch {
                await runner.handle(runner.machine.connection(up: false, now: runner.now))
                continue
            }
            guard runner.machine.phase.isActive else { break }
            do {
                let poll = try await metricsSource.poll(namespace: object.namespace, window: window, edgeBudget: 0)
                let at = runner.now
                var samples: [ObjectRef: MetricSample] = [:]
                for m in poll.lists.first?.items ?? [] {
                    guard let name = m.resource?.name ?? m.name, let ns = m.resource?.namespace ?? m.namespace else { continue }
                    samples[ObjectRef(namespace: ns, name: name)] = MetricSample(m, at: at)
                }
                let o = RampObservations.observe(at: at, split: runner.machine.server, canary: to, graph: graph) { samples[$0] }
                await runner.handle(runner.machine.observe(o))
                runner.status(o)
            } catch {
                runner.say("metrics poll failed: \(KubeError.from(error).userMessage); no verdict until it works again")
            }
            await runner.handle(runner.machine.tick(now: runner.now))
        }
        try runner.finish()
    }

    static func unwrap(_ r: Result<[Fraction], RampPlanError>) throws -> [Fraction] {
        switch r {
        case .success(let s): return s
        case .failure(let e): throw CLIError.fail(e.message, code: 2)
        }
    }

    /// A percentage flag as an exact fraction (thousandths of a point).
    static func percent(_ d: Double) -> Fraction { Fraction(Int128((d * 1000).rounded()), 1000) }

    /// The config file's `ramp` defaults; a file that cannot be read is reported and ignored.
    static func configured() -> RampDefaults? {
        guard let path = SmitopConfig.defaultPath(environment: ProcessInfo.processInfo.environment) else { return nil }
        do { return try SmitopConfig.load(path: path).ramp } catch {
            warn("config: \(error)")
            return nil
        }
    }
}

/// The object being ramped, however it is addressed.
struct RampObject: Sendable {
    let client: KubeClient
    let id: SplitID
    let path: String
    let label: String
    var namespace: String { id.namespace }

    static func locate(_ target: WeightTarget, rule: String?, client: KubeClient) async throws -> RampObject {
        switch target {
        case .trafficSplit(let ns, let name):
            let gvr = try await splitResource(client)
            return RampObject(
                client: client, id: .trafficSplit(ns, name), path: resourcePath(gvr, namespace: ns, name: name),
                label: "TrafficSplit \(clean(ns))/\(clean(name))")
        case .route(let kind, let ns, let name):
            let gvr = try await servedRouteResource(kind, client)
            let path = resourcePath(gvr, namespace: ns, name: name)
            let label = "\(kind.label) \(clean(ns))/\(clean(name))"
            let json: JSON
            do { json = try await client.rawGet(path) } catch { throw fail(error) }
            let route: Route
            do { route = try Route(json: json) } catch { throw CLIError.fail("\(label) cannot be read: \(error)", code: 1) }
            switch route.ruleIndex(rule) {
            case .success(let i):
                return RampObject(
                    client: client, id: SplitID(kind: .route(kind), ref: ObjectRef(namespace: ns, name: name), rule: i), path: path, label: "\(label) rule \(i)"
                )
            case .failure(let e): throw CLIError.fail("\(label): \(e.message)", code: 2)
            }
        }
    }

    /// The object now. `ObjectGone` when the server says 404.
    func read() async throws -> WeightedSplit {
        let json: JSON
        do { json = try await client.rawGet(path) } catch {
            if error.code == 404 { throw ObjectGone() }
            throw error
        }
        guard let s = WeightedSplit.decode(json, as: id) else { throw CLIError.fail("\(label) cannot be read as a weighted split", code: 1) }
        return s
    }

    /// Services and deployments of the namespace: which workloads stand behind each backend.
    func graph() async throws -> MeshGraph {
        var store = MeshStore()
        do {
            for kind in [ObjectKind.service, .deployment] {
                guard let r = try await kind.resource(on: client) else { continue }
                store.replaceAll(kind, try await client.listAll(r, namespace: namespace).items)
            }
        } catch { throw fail(error) }
        return MeshGraph.build(store: store, observedEdges: [])
    }
}

struct ObjectGone: Error {}

/// Carries out the machine's actions (writes, log lines) and talks to the user.
struct RampRunner {
    var machine: RampMachine
    let object: RampObject
    let log: RampLog?
    let json: Bool
    let started: Double
    var lastStatus: (at: Double, verdicts: [GateVerdict])?
    var logProblem = false

    var now: Double { Date().timeIntervalSince1970 }

    func say(_ s: String) {
        if json {
            emitJSON(["time": .double(now), "event": "info", "message": .string(s)])
        } else {
            emit("[\(elapsed())] \(safeLines(s))")
        }
    }

    func elapsed() -> String {
        let s = Int(max(0, min(now - started, 1e9)))
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }

    /// One line of standard input (lowercased, first letter); nil at end of input.
    func ask(_ prompt: String) -> String? {
        FileHandle.standardError.write(Data(prompt.utf8))
        guard let line = readLine() else { return nil }
        return line.trimmingCharacters(in: .whitespaces).lowercased().first.map(String.init) ?? ""
    }

    mutating func handle(_ actions: [RampAction]) async {
        var queue = actions
        while !queue.isEmpty {
            let a = queue.removeFirst()
            switch a {
            case .log(let e):
                record(e)
            case .write(let target, let base, let purpose):
                queue += await write(target, base: base, purpose: purpose)
            }
        }
    }

    mutating func record(_ e: RampEvent) {
        if let log, let problem = log.append(e.json), !logProblem {
            logProblem = true
            FileHandle.standardError.write(Data("smitop: warning: the ramp log cannot be written: \(safeLines(problem))\n".utf8))
        }
        if json {
            emitJSON(e.json)
        } else {
            var s = "[\(elapsed())] \(safeLines(e.message))"
            // The gate values that justified a decision, under it (every line has them in JSON).
            if ["passed", "proposed", "failed", "completed", "override"].contains(e.event) {
                for g in e.gates { s += "\n           \(mark(g.verdict)) \(g.text)\(g.note.map { " (\($0))" } ?? "")" }
            }
            emit(s)
        }
    }

    func mark(_ v: GateVerdict) -> String {
        switch v {
        case .pass: return "✓"
        case .fail: return "✗"
        case .noVerdict: return "·"
        }
    }

    /// A status line while watching: when a verdict changes, and every 15 s.
    mutating func status(_ o: RampObservation) {
        guard case .watching = machine.phase else { return }
        let verdicts = machine.gates.map(\.verdict)
        if let l = lastStatus, l.verdicts == verdicts, o.at - l.at < 15 { return }
        lastStatus = (o.at, verdicts)
        let left = machine.timeLeft(now: o.at).map { "\(Int($0.rounded(.up))) s left" } ?? ""
        let seen = o.observedShare.map { " (seen \(formatFixed($0 * 100, 1))%)" } ?? ""
        let gates = machine.gates.map { "\(mark($0.verdict)) \($0.text)" }.joined(separator: "; ")
        if json {
            var j: JSON = RampEvent(
                at: o.at, split: machine.plan.split, event: "watching", step: machine.step, share: machine.configuredShare?.percentText(decimals: 1),
                gates: machine.gates, message: left
            ).json
            j["observedShare"] = o.observedShare.map { .double(($0 * 1000).rounded() / 1000) } ?? .null
            emitJSON(j)
        } else {
            emit(
                "[\(elapsed())] step \(machine.step + 1)/\(machine.plan.steps.count) at \(machine.configuredShare?.percentText(decimals: 1) ?? "-")\(seen), \(left): \(gates)"
            )
        }
    }

    /// One guarded write; what it turned into, fed back to the machine.
    mutating func write(_ target: WeightedSplit, base: WeightedSplit, purpose: RampPurpose) async -> [RampAction] {
        var target = target
        var base = base
        var renewals = 0
        while true {
            guard let request = PatchRequest.weights(id: 0, target, basedOn: base, dryRun: false) else {
                return machine.writeFailed(.other("the split has no resourceVersion; refusing an unguarded write"), now: now)
            }
            do {
                let result = try await object.client.mergePatch(
                    path: object.path, patch: request.body, resourceVersion: request.expectedResourceVersion, fieldManager: "smitop")
                guard let written = WeightedSplit.decode(result, as: object.id) else {
                    return machine.writeFailed(.other("the server's answer is not the split"), now: now)
                }
                return machine.writeSucceeded(written, now: now)
            } catch let e where e.isConflict {
                // The mesh's own status write on a route (same spec and owners) is no one's
                // change to the weights: the step is computed again on that version, as
                // `split set` does (WriteContent). Anything else stops the ramp.
                if renewals < WriteContent.renewals, let back = try? await object.read(), back.sameWrittenContent(as: base) {
                    renewals += 1
                    target = back.with(weights: target.backends.map(\.weight))
                    base = back
                    continue
                }
                return machine.writeFailed(.conflict(e.userMessage), now: now)
            } catch let e where e.isTransport && e.mayHaveBeenSent {
                // It may have landed: the object read back decides, never a blind resend.
                if let back = try? await object.read(), back.backends.map(\.weight.value) == target.backends.map(\.weight.value),
                    back.meta.resourceVersion != base.meta.resourceVersion
                {
                    return machine.writeSucceeded(back, now: now)
                }
                return machine.writeFailed(.other(e.userMessage), now: now)
            } catch {
                return machine.writeFailed(.other(error.userMessage), now: now)
            }
        }
    }

    /// Ctrl-C: pause, then ask whether to roll back.
    mutating func interrupted() async {
        await handle(machine.pause(now: now))
        FileHandle.standardError.write(Data("\n".utf8))
        let answer = ask("interrupted. Roll back to the weights before the ramp? [y/N] ")
        if answer == "y" {
            await handle(machine.rollback(now: now))
        } else {
            say("left as it is: \(machine.configuredShare?.percentText(decimals: 1) ?? "-") for \(clean(machine.plan.canary)); nothing rolled back")
            record(
                RampEvent(
                    at: now, split: machine.plan.split, event: "stopped", step: machine.step, share: nil, gates: [], message: "stopped by the user (Ctrl-C)"))
            Foundation.exit(130)
        }
    }

    /// Quit at a prompt: the weights stay as they are.
    mutating func leave() throws -> Never {
        record(
            RampEvent(
                at: now, split: machine.plan.split, event: "stopped", step: machine.step >= 0 ? machine.step : nil, share: nil, gates: [],
                message: "left by the user; the weights stay as they are"))
        Foundation.exit(1)
    }

    func finish() throws {
        switch machine.phase {
        case .finished(.completed): return
        case .finished(.rolledBack): throw ExitCode(4)
        case .finished(.concurrentChange): throw ExitCode(3)
        default: throw ExitCode(1)
        }
    }
}

/// SIGINT as a flag the loop polls, so Ctrl-C pauses the ramp instead of killing it midway.
final class InterruptFlag: Sendable {
    let flag = Atomic<Bool>(false)
    nonisolated(unsafe) var source: DispatchSourceSignal?

    func install() {
        signal(SIGINT, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        s.setEventHandler { [weak self] in self?.flag.store(true, ordering: .relaxed) }
        s.resume()
        source = s
    }

    func take() -> Bool { flag.exchange(false, ordering: .relaxed) }
}

/// Unbuffered lines on standard output: a ramp is followed live, also through a pipe.
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
func emitJSON(_ j: JSON) { emit(String(decoding: j.serialized(), as: UTF8.self)) }
