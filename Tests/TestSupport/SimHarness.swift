import Foundation
import Kube
import KubeCore
import SMI
import Synchronization
import Testing

@testable import Simulator

/// A simulator running in this test process on a random loopback port, reached over real
/// HTTP(S) by real clients (kubectl, curl, python) through a kubeconfig it writes.
public final class SimHarness: Sendable {
    public let sim: Simulator
    public let endpoint: SimulatorEndpoint
    public let dir: String
    public let kubeconfig: String
    private let task: Task<Void, any Error>

    public static func start(_ configure: (inout SimulatorOptions) -> Void = { _ in }) async throws -> SimHarness {
        var o = SimulatorOptions()
        o.adminEnabled = true
        configure(&o)
        let sim = try Simulator(options: o)
        let ready = AsyncStream<SimulatorEndpoint>.makeStream()
        let task = Task {
            try await sim.run { e in
                ready.continuation.yield(e)
                ready.continuation.finish()
            }
        }
        var it = ready.stream.makeAsyncIterator()
        guard let endpoint = await it.next() else { throw SimulatorError("simulator did not start") }
        let dir = NSTemporaryDirectory() + "smitop-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let kc = dir + "/kubeconfig"
        try Simulator.writeKubeconfig(endpoint, to: kc)
        return SimHarness(sim: sim, endpoint: endpoint, dir: dir, kubeconfig: kc, task: task)
    }

    private init(sim: Simulator, endpoint: SimulatorEndpoint, dir: String, kubeconfig: String, task: Task<Void, any Error>) {
        self.sim = sim
        self.endpoint = endpoint
        self.dir = dir
        self.kubeconfig = kubeconfig
        self.task = task
    }

    public func stop() async {
        await stopServer()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Stops the API server as a crash would end it, keeping the kubeconfig and files.
    public func stopServer() async {
        task.cancel()
        _ = try? await task.value
    }

    /// Runs kubectl against this cluster with a private discovery cache.
    public func kubectl(_ args: [String], stdin: String? = nil, timeout: Double = 60) async throws -> ProcessResult {
        try await runProcess(
            Self.kubectlPath, args + ["--cache-dir", dir + "/kcache"], env: ["KUBECONFIG": kubeconfig, "HOME": dir],
            stdin: stdin, timeout: timeout)
    }

    public static var kubectlPath: String {
        for p in ["/usr/bin/kubectl", "/usr/local/bin/kubectl", FileManager.default.currentDirectoryPath + "/.build/kubectl/usr/bin/kubectl"]
        where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return "kubectl"
    }

    public func adminFaults(_ body: String) async throws -> ProcessResult {
        try await runProcess(
            "/usr/bin/curl", ["-sk", "-X", "POST", "--data", body, endpoint.url + "/sim/admin/faults"], env: [:], stdin: nil, timeout: 30)
    }
}

public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion (or stops it after `timeout` seconds, a safety net only),
/// through the same spawner as smitop's exec plugins: Foundation's Process lost child exits
/// when many ran at once, which hung the whole run. The waiting happens on the spawner's own
/// threads: blocking the cooperative pool (two threads on this machine) would starve the
/// in-process simulator that the program is talking to.
public func runProcess(
    _ path: String, _ args: [String], env: [String: String], stdin: String?, timeout: Double, cwd: String? = nil
) async throws -> ProcessResult {
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    let out = try await ChildProcess.run(
        path, args, options: .init(environment: environment, stdin: Array((stdin ?? "").utf8), timeout: timeout, workingDirectory: cwd))
    return ProcessResult(status: out.status, stdout: String(decoding: out.stdout, as: UTF8.self), stderr: String(decoding: out.stderr, as: UTF8.self))
}

/// An informer's updates applied to a store, read with a deadline. An awaited `next()` has
/// no timeout of its own: a wait that can never be met (a write that failed, an event that
/// never came) would hang the whole run, so the deadline stops the informer, which ends its
/// stream, and the wait records what it was waiting for.
public struct InformerReader {
    public let informer: Informer
    private var iterator: InformerUpdates.AsyncIterator
    public private(set) var store = ReflectorStore()
    public private(set) var errors: [KubeError] = []
    public private(set) var replaces = 0

    public init(_ informer: Informer) {
        self.informer = informer
        iterator = informer.updates.makeAsyncIterator()
    }

    public mutating func waitFor(
        _ what: String, timeout: Double = 60, sourceLocation: SourceLocation = #_sourceLocation, _ done: (InformerReader) -> Bool
    ) async {
        let informer = informer
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            await informer.stop()
        }
        defer { watchdog.cancel() }
        while !done(self) {
            guard let u = await iterator.next() else { break }
            switch u {
            case .replaceAll(let items, let rv):
                replaces += 1
                store.apply(.replaceAll(items, resourceVersion: rv))
            case .upsert(let o): store.apply(.upsert(o))
            case .delete(let o): store.apply(.delete(o))
            case .error(let e, _): errors.append(e)
            }
        }
        if !done(self) { Issue.record("the informer never reached: \(what)", sourceLocation: sourceLocation) }
    }
}
