import Foundation
import Kube
import KubeCore
import SMI
import Synchronization

@testable import Simulator

/// One HTTP exchange as curl saw it.
public struct HTTPResult {
    public var status: Int
    /// Header names lower-cased; repeated headers keep every value.
    public var headers: [(name: String, value: String)]
    public var body: String
    /// curl's own exit code: 0 when the response ended properly.
    public var curlExit: Int32 = 0

    public var json: JSON { (try? JSON.parse(body)) ?? .null }

    public func header(_ name: String) -> String? {
        headers.first { $0.name == name.lowercased() }?.value
    }

    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name == name.lowercased() }.map(\.value)
    }
}

extension SimHarness {
    public enum Credential {
        case admin, readonly, none
        case token(String)
    }

    /// A real HTTPS request through curl (its own TLS stack, not smitop's), with the
    /// simulator's CA pinned rather than verification switched off.
    public func http(
        _ method: String, _ path: String, body: String? = nil, contentType: String? = "application/json",
        accept: String? = nil, as cred: Credential = .admin, timeout: Double = 30, http1Only: Bool = false
    ) async throws -> HTTPResult {
        let id = UUID().uuidString
        let headerFile = dir + "/h-" + id
        let bodyFile = dir + "/b-" + id
        defer {
            try? FileManager.default.removeItem(atPath: headerFile)
            try? FileManager.default.removeItem(atPath: bodyFile)
        }
        var args = ["-s", "-X", method, "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}"]
        args += tlsArgs()
        // curl takes h2 when the simulator offers it; HTTP/1.1's own framing needs asking for.
        if http1Only { args.append("--http1.1") }
        switch cred {
        case .admin: args += ["-H", "Authorization: Bearer \(endpoint.adminToken)"]
        case .readonly: args += ["-H", "Authorization: Bearer \(endpoint.readonlyToken)"]
        case .token(let t): args += ["-H", "Authorization: Bearer \(t)"]
        case .none: break
        }
        if let body {
            args += ["--data-binary", body]
            // An empty value makes curl send no Content-Type at all (as the Python client does).
            args += ["-H", contentType.map { "Content-Type: \($0)" } ?? "Content-Type:"]
        }
        if let accept { args += ["-H", "Accept: \(accept)"] }
        args.append(endpoint.url + path)
        let r = try await runProcess("/usr/bin/curl", args, env: [:], stdin: nil, timeout: timeout)
        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        var headers: [(String, String)] = []
        for line in headerText.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (
                    line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                ))
        }
        let bodyText = (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? ""
        return HTTPResult(status: Int(r.stdout) ?? 0, headers: headers, body: bodyText, curlExit: r.status)
    }

    public func tlsArgs() -> [String] {
        guard let ca = endpoint.caPEM else { return [] }
        let caFile = dir + "/ca.pem"
        if !FileManager.default.fileExists(atPath: caFile) {
            _ = FileManager.default.createFile(atPath: caFile, contents: Data(ca.utf8))
        }
        return ["--cacert", caFile]
    }

    /// Waits until the simulator has at least `n` open watches (a client's watch is
    /// registered), polling the store rather than sleeping a guessed time.
    public func waitForWatchers(_ n: Int, timeout: Double = 30) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if sim.store.watcherCount >= n { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The path of a namespaced TrafficSplit in one served version.
    public static func splitPath(_ version: String, _ ns: String, _ name: String? = nil) -> String {
        "/apis/split.smi-spec.io/\(version)/namespaces/\(ns)/trafficsplits" + (name.map { "/" + $0 } ?? "")
    }
}

/// A program left running in the background (a watch), whose output is collected until it
/// ends by itself or is stopped. It runs through ChildProcess (Foundation's Process lost exits
/// under load); its output goes to files, so it can be read while the program still runs.
public final class BackgroundProcess: Sendable {
    private let task: Task<Void, Never>
    /// The exit status once it ended (128 + signal when a signal ended it).
    private let ended = ExitStatus()
    private let dir: String

    public init(_ path: String, _ args: [String], env: [String: String] = [:]) throws {
        dir = NSTemporaryDirectory() + "smitop-bg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        environment["SMITOP_BG_OUT"] = dir + "/out"
        environment["SMITOP_BG_ERR"] = dir + "/err"
        let ended = ended
        task = Task {
            let out = try? await ChildProcess.run(
                "/bin/sh", ["-c", #"exec "$0" "$@" >"$SMITOP_BG_OUT" 2>"$SMITOP_BG_ERR""#, path] + args,
                options: .init(environment: environment))
            ended.value.withLock { $0 = out?.status ?? 127 }
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    public var isRunning: Bool { ended.value.withLock { $0 } == nil }
    public var terminationStatus: Int32 { ended.value.withLock { $0 } ?? -1 }
    public var stdout: String { (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "" }

    /// Polls until `condition` holds on stdout or the deadline passes.
    public func waitForOutput(timeout: Double = 30, _ condition: (String) -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(stdout) { return true }
            if !isRunning { return condition(stdout) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition(stdout)
    }

    /// Waits for the program to end by itself; false when it was still running at the
    /// deadline (it is then stopped, so a hung test still finishes).
    public func waitForExit(timeout: Double = 30) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let endedByItself = !isRunning
        if !endedByItself { task.cancel() }
        await task.value
        return endedByItself
    }

    /// Stops it (SIGTERM to its process group, SIGKILL 2 s later) without waiting.
    public func stop() {
        task.cancel()
    }
}

public final class ExitStatus: Sendable {
    public let value = Mutex<Int32?>(nil)
}

/// Decodes newline-delimited watch events.
public func watchEvents(_ text: String) -> [JSON] {
    text.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
}

extension SimHarness {
    /// A streaming request (a watch) left running: `curl -N` prints events as they arrive.
    public func backgroundCurl(_ path: String, as cred: Credential = .admin) throws -> BackgroundProcess {
        var args = ["-sN"] + tlsArgs()
        switch cred {
        case .admin: args += ["-H", "Authorization: Bearer \(endpoint.adminToken)"]
        case .readonly: args += ["-H", "Authorization: Bearer \(endpoint.readonlyToken)"]
        case .token(let t): args += ["-H", "Authorization: Bearer \(t)"]
        case .none: break
        }
        return try BackgroundProcess("/usr/bin/curl", args + [endpoint.url + path])
    }
}
