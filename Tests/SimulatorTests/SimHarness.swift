import Foundation
import SMI
import Synchronization
import Testing

@testable import Simulator

/// A simulator running in this test process on a random loopback port, reached over real
/// HTTP(S) by real clients (kubectl, curl, python) through a kubeconfig it writes.
final class SimHarness: Sendable {
    let sim: Simulator
    let endpoint: SimulatorEndpoint
    let dir: String
    let kubeconfig: String
    private let task: Task<Void, any Error>

    static func start(_ configure: (inout SimulatorOptions) -> Void = { _ in }) async throws -> SimHarness {
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

    func stop() async {
        await stopServer()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Stops the API server as a crash would end it, keeping the kubeconfig and files.
    func stopServer() async {
        task.cancel()
        _ = try? await task.value
    }

    /// Runs kubectl against this cluster with a private discovery cache.
    func kubectl(_ args: [String], stdin: String? = nil, timeout: Double = 60) async throws -> ProcessResult {
        try await runProcess(
            Self.kubectlPath, args + ["--cache-dir", dir + "/kcache"], env: ["KUBECONFIG": kubeconfig, "HOME": dir],
            stdin: stdin, timeout: timeout)
    }

    static var kubectlPath: String {
        for p in ["/usr/bin/kubectl", "/usr/local/bin/kubectl", FileManager.default.currentDirectoryPath + "/.build/kubectl/usr/bin/kubectl"]
        where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return "kubectl"
    }

    func adminFaults(_ body: String) async throws -> ProcessResult {
        try await runProcess(
            "/usr/bin/curl", ["-sk", "-X", "POST", "--data", body, endpoint.url + "/sim/admin/faults"], env: [:], stdin: nil, timeout: 30)
    }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion (or kills it after `timeout` seconds, a safety net only).
/// The wait happens on a GCD thread: blocking the cooperative pool (two threads on this
/// machine) would starve the in-process simulator that the program is talking to.
func runProcess(_ path: String, _ args: [String], env: [String: String], stdin: String?, timeout: Double, cwd: String? = nil) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<ProcessResult, any Error>) in
        DispatchQueue.global().async {
            do { c.resume(returning: try runProcessBlocking(path, args, env: env, stdin: stdin, timeout: timeout, cwd: cwd)) } catch {
                c.resume(throwing: error)
            }
        }
    }
}

/// A child process with this environment added to ours; a bare name (python3) is looked up on PATH.
func makeProcess(_ path: String, _ args: [String], env: [String: String]) -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path.hasPrefix("/") ? path : "/usr/bin/env")
    p.arguments = path.hasPrefix("/") ? args : [path] + args
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    return p
}

func runProcessBlocking(_ path: String, _ args: [String], env: [String: String], stdin: String?, timeout: Double, cwd: String? = nil) throws -> ProcessResult {
    let p = makeProcess(path, args, env: env)
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let inPipe = Pipe()
    p.standardInput = inPipe
    try p.run()
    if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? inPipe.fileHandleForWriting.close()
    let outData = Mutex(Data())
    let errData = Mutex(Data())
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        let d = out.fileHandleForReading.readDataToEndOfFile()
        outData.withLock { $0 = d }
        group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
        let d = err.fileHandleForReading.readDataToEndOfFile()
        errData.withLock { $0 = d }
        group.leave()
    }
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(20_000) }
    if p.isRunning { p.terminate() }
    p.waitUntilExit()
    group.wait()
    return ProcessResult(
        status: p.terminationStatus, stdout: String(decoding: outData.withLock { $0 }, as: UTF8.self),
        stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self))
}
