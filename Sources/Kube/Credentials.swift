// Where the credentials for a request come from. Providers are asked before every request
// (cheap: they cache) and told about a 401 once, so rotating tokens (token files, exec
// plugins) recover without the user restarting smitop.

import Foundation
import KubeCore
import SMI
import Synchronization

public enum Credential: Sendable, Equatable, CustomStringConvertible {
    case none
    case bearer(String)
    case basic(username: String, password: String)
    /// From an exec plugin: replaces the kubeconfig's client certificate for this connection.
    case clientCertificate(certPEM: [UInt8], keyPEM: [UInt8])

    /// The `Authorization` header value, if this credential uses one.
    public var authorizationHeader: String? {
        switch self {
        case .bearer(let t): return "Bearer \(t)"
        case .basic(let u, let p): return "Basic \(Data("\(u):\(p)".utf8).base64EncodedString())"
        case .none, .clientCertificate: return nil
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .bearer: return "bearer token [redacted]"
        case .basic(let u, _): return "basic auth for \(u) [password redacted]"
        case .clientCertificate: return "client certificate [redacted]"
        }
    }
}

public protocol CredentialProvider: Sendable, CustomStringConvertible {
    func credential() async throws(KubeError) -> Credential
    /// The server answered 401 with the current credential. Returns true when fresh
    /// credentials were (or can be) obtained, so one retry makes sense.
    func invalidate() async -> Bool
}

public struct StaticCredentials: CredentialProvider {
    public let value: Credential
    public init(_ value: Credential) { self.value = value }
    public func credential() async throws(KubeError) -> Credential { value }
    public func invalidate() async -> Bool { false }
    public var description: String { "static \(value)" }
}

/// A token read from a file and re-read every minute and after a 401, as client-go does for
/// `tokenFile` and the rotated in-cluster service-account token.
public final class TokenFileCredentials: CredentialProvider {
    public let path: String
    let rereadAfter: Seconds
    let clock: any KubeClock
    private let cache = Mutex<(token: String, readAt: Seconds)?>(nil)

    public init(path: String, initialToken: String? = nil, rereadAfter: Seconds = 60, clock: any KubeClock = SystemClock()) {
        self.path = path
        self.rereadAfter = rereadAfter
        self.clock = clock
        if let t = initialToken { cache.withLock { $0 = (t, clock.now()) } }
    }

    public func credential() async throws(KubeError) -> Credential {
        let now = clock.now()
        if let c = cache.withLock({ $0 }), now - c.readAt < rereadAfter { return .bearer(c.token) }
        do {
            let token = try Self.read(path)
            cache.withLock { $0 = (token, now) }
            return .bearer(token)
        } catch {
            // A transient read failure (file being rotated) keeps the previous token.
            if let c = cache.withLock({ $0 }) { return .bearer(c.token) }
            throw error
        }
    }

    public func invalidate() async -> Bool {
        cache.withLock { $0 = nil }
        return true
    }

    static func read(_ path: String) throws(KubeError) -> String {
        let data: [UInt8]
        switch LocalFile.read(path) {
        case .success(let d): data = d
        case .failure(let e): throw .credential("token file: \(e.description)")
        }
        let t = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if t.isEmpty { throw .credential("token file \(path) is empty") }
        return t
    }

    public var description: String { "token file \(path)" }
}

// MARK: - exec credential plugins

public struct ExecConfig: Sendable, Equatable {
    public enum InteractiveMode: String, Sendable {
        case never = "Never"
        case ifAvailable = "IfAvailable"
        case always = "Always"
    }

    public var command: String
    public var args: [String]
    public var env: [(name: String, value: String)]
    /// client.authentication.k8s.io/v1 or /v1beta1.
    public var apiVersion: String
    public var interactiveMode: InteractiveMode
    public var provideClusterInfo: Bool
    public var installHint: String?
    /// `extensions[client.authentication.k8s.io/exec]` of the cluster, passed on when provideClusterInfo.
    public var clusterConfig: JSON?

    public init(
        command: String, args: [String] = [], env: [(name: String, value: String)] = [],
        apiVersion: String = "client.authentication.k8s.io/v1", interactiveMode: InteractiveMode = .ifAvailable,
        provideClusterInfo: Bool = false, installHint: String? = nil, clusterConfig: JSON? = nil
    ) {
        self.command = command
        self.args = args
        self.env = env
        self.apiVersion = apiVersion
        self.interactiveMode = interactiveMode
        self.provideClusterInfo = provideClusterInfo
        self.installHint = installHint
        self.clusterConfig = clusterConfig
    }

    /// Variables that change how the dynamic loader starts any program (`LD_PRELOAD`,
    /// `LD_LIBRARY_PATH`, `LD_AUDIT`, macOS's `DYLD_*`, glibc's `GCONV_PATH` and tunables). A
    /// kubeconfig's `env` may not set them: with them, the program the user agreed to run
    /// would run someone else's code. They are dropped, and the consent question says so.
    public static func isLoaderVariable(_ name: String) -> Bool {
        name.hasPrefix("LD_") || name.hasPrefix("DYLD_") || name == "GCONV_PATH" || name == "GLIBC_TUNABLES"
    }

    /// The `env` entries that are passed to the plugin (loader variables dropped).
    public var passedEnv: [(name: String, value: String)] { env.filter { !Self.isLoaderVariable($0.name) } }

    public static func == (a: ExecConfig, b: ExecConfig) -> Bool {
        a.command == b.command && a.args == b.args && a.env.map(\.name) == b.env.map(\.name)
            && a.env.map(\.value) == b.env.map(\.value) && a.apiVersion == b.apiVersion
            && a.interactiveMode == b.interactiveMode && a.provideClusterInfo == b.provideClusterInfo
            && a.installHint == b.installHint && a.clusterConfig == b.clusterConfig
    }
}

/// What `provideClusterInfo` hands to the plugin in KUBERNETES_EXEC_INFO.
public struct ExecClusterInfo: Sendable, Equatable {
    public var server: String
    public var tlsServerName: String?
    public var insecureSkipTLSVerify: Bool
    public var caPEM: [UInt8]?
    public var proxyURL: String?

    public init(server: String, tlsServerName: String? = nil, insecureSkipTLSVerify: Bool = false, caPEM: [UInt8]? = nil, proxyURL: String? = nil) {
        self.server = server
        self.tlsServerName = tlsServerName
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.caPEM = caPEM
        self.proxyURL = proxyURL
    }
}

/// Runs a client.authentication.k8s.io exec plugin and caches its credential until it expires.
/// The plugin never gets our terminal: stdin is /dev/null and stderr is captured, because the
/// TUI owns the terminal and a plugin prompting there would corrupt the screen and hang.
public actor ExecCredentialProvider: CredentialProvider {
    public nonisolated let config: ExecConfig
    let cluster: ExecClusterInfo
    /// Directory of the kubeconfig that defined the user, for relative command paths.
    let baseDirectory: String?
    let environment: [String: String]
    let timeout: Seconds
    let now: @Sendable () -> Date

    private var cached: (credential: Credential, expiry: Date?)?
    private var inFlight: Task<Result, any Error>?

    public init(
        config: ExecConfig, cluster: ExecClusterInfo, baseDirectory: String?, environment: [String: String],
        timeout: Seconds = 30, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.config = config
        self.cluster = cluster
        self.baseDirectory = baseDirectory
        self.environment = environment
        self.timeout = timeout
        self.now = now
    }

    public func credential() async throws(KubeError) -> Credential {
        if let c = cached {
            // Refresh a little early so a request does not race the expiry.
            if c.expiry.map({ $0.timeIntervalSince(now()) > 10 }) ?? true { return c.credential }
            cached = nil
        }
        // Concurrent requests share one plugin run.
        let task: Task<Result, any Error>
        if let t = inFlight {
            task = t
        } else {
            let (cfg, cl, dir, env, to) = (config, cluster, baseDirectory, environment, timeout)
            task = Task { try await Self.runPlugin(config: cfg, cluster: cl, baseDirectory: dir, environment: env, timeout: to) }
            inFlight = task
        }
        let result: Result
        do {
            result = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        } catch {
            if inFlight == task { inFlight = nil }
            if let e = error as? KubeError { throw e }
            throw KubeError.credential("exec plugin \(config.command): \(error)")
        }
        if inFlight == task { inFlight = nil }
        cached = (result.credential, result.expiry)
        return result.credential
    }

    public func invalidate() async -> Bool {
        cached = nil
        return true
    }

    public nonisolated var description: String { "exec plugin \(config.command) (\(config.apiVersion))" }

    /// The program that would run: a bare name looked up on smitop's own PATH (as client-go
    /// does: the kubeconfig's `env` cannot choose which binary runs), a relative path against
    /// the kubeconfig's directory. nil when there is none.
    public nonisolated var resolvedExecutable: String? {
        Self.resolveCommand(config.command, baseDirectory: baseDirectory, path: environment["PATH"])?.path
    }

    public struct Result: Sendable, Equatable {
        public var credential: Credential
        public var expiry: Date?
    }

    nonisolated static func runPlugin(
        config: ExecConfig, cluster: ExecClusterInfo, baseDirectory: String?, environment: [String: String],
        timeout: Seconds
    ) async throws(KubeError) -> Result {
        let name = "exec plugin \"\(config.command)\""
        guard config.apiVersion == "client.authentication.k8s.io/v1" || config.apiVersion == "client.authentication.k8s.io/v1beta1" else {
            throw .credential("\(name): unsupported apiVersion \"\(config.apiVersion)\" (use client.authentication.k8s.io/v1 or v1beta1)")
        }
        if config.interactiveMode == .always {
            throw .credential(
                "\(name) needs an interactive terminal (interactiveMode: Always), and smitop never hands its terminal to a plugin; log in once with the plugin in a shell (or with kubectl) so it can answer from its cache, then start smitop again"
            )
        }
        var env = environment
        for e in config.passedEnv { env[e.name] = e.value }
        env["KUBERNETES_EXEC_INFO"] = execInfo(config: config, cluster: cluster).compactString

        // On our PATH, not the merged one: a kubeconfig setting PATH in `env` must not change
        // which program runs (the user agreed to the one on their PATH).
        guard let exe = resolveCommand(config.command, baseDirectory: baseDirectory, path: environment["PATH"]) else {
            var msg = "\(name) not found"
            if let hint = config.installHint, !hint.isEmpty { msg += ": \(sanitizedForDisplay(hint, limit: 500))" }
            throw .credential(msg)
        }
        let out = try await ProcessRunner.run(executable: exe, arguments: config.args, environment: env, timeout: timeout, name: name)
        if out.status != 0 {
            let err = sanitizedForDisplay(String(decoding: out.stderr.suffix(2000), as: UTF8.self), limit: 400)
            throw .credential("\(name) failed with exit code \(out.status)\(err.isEmpty ? "" : ": \(err)")")
        }
        return try parseOutput(out.stdout, config: config, name: name)
    }

    static func execInfo(config: ExecConfig, cluster: ExecClusterInfo) -> JSON {
        var spec: JSONObject = JSONObject()
        if config.provideClusterInfo {
            var c = JSONObject()
            c["server"] = .string(cluster.server)
            if let n = cluster.tlsServerName { c["tls-server-name"] = .string(n) }
            if cluster.insecureSkipTLSVerify { c["insecure-skip-tls-verify"] = .bool(true) }
            if let ca = cluster.caPEM { c["certificate-authority-data"] = .string(Data(ca).base64EncodedString()) }
            if let p = cluster.proxyURL { c["proxy-url"] = .string(p) }
            if let cfg = config.clusterConfig { c["config"] = cfg }
            spec["cluster"] = .object(c)
        }
        spec["interactive"] = .bool(false)
        return .object(
            JSONObject([
                ("kind", "ExecCredential"), ("apiVersion", .string(config.apiVersion)), ("spec", .object(spec)),
            ]))
    }

    static func resolveCommand(_ command: String, baseDirectory: String?, path: String?) -> URL? {
        let fm = FileManager.default
        if command.contains("/") {
            // client-go resolves a command with a path separator against the kubeconfig's directory.
            let full = command.hasPrefix("/") || baseDirectory == nil ? command : "\(baseDirectory!)/\(command)"
            return fm.isExecutableFile(atPath: full) ? URL(fileURLWithPath: full) : nil
        }
        return ChildProcess.lookUp(command, path: path ?? "/usr/local/bin:/usr/bin:/bin").map { URL(fileURLWithPath: $0) }
    }

    static func parseOutput(_ stdout: [UInt8], config: ExecConfig, name: String) throws(KubeError) -> Result {
        let json: JSON
        do { json = try JSON.parse(stdout) } catch {
            throw .credential("\(name) did not print an ExecCredential (invalid JSON: \(error.message))")
        }
        guard json["kind"]?.stringValue == "ExecCredential" else {
            throw .credential("\(name) printed kind \"\(json["kind"]?.stringValue ?? "")\", expected ExecCredential")
        }
        let v = json["apiVersion"]?.stringValue ?? ""
        guard v == config.apiVersion else {
            throw .credential("\(name) is configured to use API version \(config.apiVersion), plugin returned version \(v)")
        }
        guard case .object(let status)? = json["status"] else {
            throw .credential("\(name) printed an ExecCredential without a status")
        }
        var expiry: Date?
        if let e = status["expirationTimestamp"]?.stringValue {
            guard let d = KubeTime.parse(e) else { throw .credential("\(name) returned an invalid expirationTimestamp") }
            expiry = d
        }
        let token = status["token"]?.stringValue ?? ""
        let cert = status["clientCertificateData"]?.stringValue ?? ""
        let key = status["clientKeyData"]?.stringValue ?? ""
        if cert.isEmpty != key.isEmpty {
            throw .credential("\(name) returned only one of clientCertificateData and clientKeyData")
        }
        if !token.isEmpty {
            return Result(credential: .bearer(token), expiry: expiry)
        }
        if !cert.isEmpty {
            return Result(credential: .clientCertificate(certPEM: Array(cert.utf8), keyPEM: Array(key.utf8)), expiry: expiry)
        }
        throw .credential("\(name) returned neither a token nor a client certificate")
    }
}

// MARK: - running a child process

/// A plugin run: its own session (no terminal, a process group a timeout stops whole), stdin
/// /dev/null, output captured, bounded in time, stopped when the asking task is cancelled.
enum ProcessRunner {
    static func run(
        executable: URL, arguments: [String], environment: [String: String], timeout: Seconds, name: String
    ) async throws(KubeError) -> ChildProcess.Output {
        let out: ChildProcess.Output
        do {
            out = try await ChildProcess.run(executable.path, arguments, options: .init(environment: environment, timeout: timeout))
        } catch {
            throw .credential("\(name) could not be started: \(error.description)")
        }
        if out.timedOut { throw .credential("\(name) did not finish within \(Int(timeout)) s and was stopped") }
        if out.cancelled { throw .credential("\(name) was cancelled") }
        return out
    }
}
