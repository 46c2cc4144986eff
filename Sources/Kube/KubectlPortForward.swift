// `kubectl port-forward` run for the user (issue 16: Linkerd viz's Prometheus refuses the API
// server's service proxy, a port-forward reaches it). The one place smitop starts a process
// that outlives a request, and the owner of it: whoever holds a `KubectlPortForward` stops it
// (`stop()`, or dropping the last reference), and the kernel stops it if smitop dies any other
// way (PR_SET_PDEATHSIG, set in the child before exec; see CProcess).

internal import CProcess
import Foundation
import KubeCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where a `kubectl port-forward` should go when the service proxy was refused: the Service
/// of the mesh's Prometheus and its port.
public struct PortForwardSuggestion: Sendable, Hashable {
    public var namespace: String
    public var service: String
    public var port: String
    public var flavor: MeshMetricsFlavor?

    public init(namespace: String, service: String, port: String, flavor: MeshMetricsFlavor?) {
        self.namespace = namespace
        self.service = service
        self.port = port
        self.flavor = flavor
    }

    /// kubectl's arguments after any global flags: a local port kubectl picks (`:PORT`), on
    /// the loopback address only.
    public var kubectlArguments: [String] {
        ["port-forward", "-n", namespace, "svc/\(service)", ":\(port)", "--address", "127.0.0.1"]
    }

    /// The command as a user would type it (names are Kubernetes names: no quoting needed).
    public var commandLine: String { "kubectl -n \(namespace) port-forward svc/\(service) :\(port)" }

    /// The names may come from the cluster (a Service found by label): kubectl gets them only
    /// when they are what Kubernetes allows, so none can read as a flag (`--kubeconfig=…`)
    /// or smuggle anything else into its arguments.
    public var problem: String? {
        guard KubeNames.isDNS1123Label(namespace) else { return "namespace \(clean(namespace, limit: 80)) is not a Kubernetes name" }
        guard KubeNames.isDNS1035Label(service) else { return "service \(clean(service, limit: 80)) is not a Kubernetes name" }
        let numeric = Int(port).map { (1...65535).contains($0) } ?? false
        guard numeric || (KubeNames.isDNS1123Label(port) && port.utf8.count <= 15) else { return "port \(clean(port, limit: 80)) is not a port" }
        return nil
    }
}

public final class KubectlPortForward: Sendable {
    /// The local URL kubectl forwards (`http://127.0.0.1:PORT`).
    public let url: String
    public let localPort: Int
    public let pid: Int32
    /// What was run, for messages.
    public let commandLine: String
    private let state: Shared<State>
    private let exitedSignal: DispatchSemaphore

    /// A lock shared by the threads that start, read and wait for kubectl.
    private final class Shared<T: Sendable>: Sendable {
        let lock: Mutex<T>
        init(_ value: T) { lock = Mutex(value) }
        func withLock<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&$0) } }
    }

    private struct State {
        var stopped = false
        var exited = false
        var exitStatus: Int32 = 0
        /// The last lines kubectl wrote to stderr (sanitised), for "the forward ended: …".
        var stderrTail: [String] = []
    }

    private init(url: String, localPort: Int, pid: Int32, commandLine: String, state: Shared<State>, exitedSignal: DispatchSemaphore) {
        self.url = url
        self.localPort = localPort
        self.pid = pid
        self.commandLine = commandLine
        self.state = state
        self.exitedSignal = exitedSignal
    }

    deinit { stop() }

    /// True once kubectl has ended (by `stop()` or by itself: a lost connection to the pod).
    public var hasExited: Bool { state.withLock { $0.exited } }

    /// kubectl's last words on stderr, for saying why a forward ended.
    public var lastError: String { state.withLock { $0.stderrTail.joined(separator: " ") } }

    /// Stops kubectl: SIGTERM, then SIGKILL if it is still there two seconds later; returns
    /// once it has been reaped. Safe to call more than once, from any thread.
    public func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped && !s.exited
        }
        guard first else {
            _ = exitedSignal.wait(timeout: .now() + 3)
            exitedSignal.signal()
            return
        }
        kill(pid, SIGTERM)
        if exitedSignal.wait(timeout: .now() + 2) == .timedOut {
            kill(pid, SIGKILL)
            _ = exitedSignal.wait(timeout: .now() + 2)
        }
        exitedSignal.signal()
    }

    /// The local port of kubectl's "Forwarding from 127.0.0.1:PORT -> REMOTE" line.
    public static func forwardedPort(inLine line: String) -> Int? {
        guard line.hasPrefix("Forwarding from 127.0.0.1:") else { return nil }
        let rest = line.dropFirst("Forwarding from 127.0.0.1:".count)
        guard let n = Int(rest.prefix { $0.isNumber }), (1...65535).contains(n) else { return nil }
        return n
    }

    /// The kubectl on `environment`'s PATH, as a shell would find it; nil when there is none.
    public static func findKubectl(environment: [String: String]) -> String? {
        ChildProcess.lookUp("kubectl", path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
    }

    /// Starts `kubectl GLOBAL-FLAGS port-forward …` and waits (at most `timeout` seconds) for
    /// the line that names the local port. kubectl ending first, or never saying it, fails
    /// with what it wrote to stderr.
    public static func start(
        kubectl: String, globalFlags: [String], target: PortForwardSuggestion, environment: [String: String], timeout: Double = 30
    ) async throws(KubeError) -> KubectlPortForward {
        if let problem = target.problem { throw KubeError(source: .config, message: "not running kubectl port-forward: \(problem)") }
        let arguments = globalFlags + target.kubectlArguments
        let commandLine = ([kubectl] + arguments).joined(separator: " ")
        let result: Result<KubectlPortForward, KubeError> = await withCheckedContinuation { c in
            let thread = Thread {
                c.resume(
                    returning: Result { () throws(KubeError) in
                        try run(kubectl, arguments, commandLine: commandLine, environment: environment, timeout: timeout)
                    })
            }
            thread.name = "smitop-port-forward-start"
            thread.start()
        }
        return try result.get()
    }

    /// Forks kubectl from a thread that then waits for it for its whole life (the death signal
    /// is tied to that thread), and reads its output on another; returns once the port is known.
    private static func run(
        _ kubectl: String, _ arguments: [String], commandLine: String, environment: [String: String], timeout: Double
    ) throws(KubeError) -> KubectlPortForward {
        func fail(_ message: String) -> KubeError { KubeError(source: .config, message: message) }
        let out: (read: Int32, write: Int32)
        let err: (read: Int32, write: Int32)
        do throws(ChildProcess.StartError) {
            out = try ChildProcess.makePipe()
            err = try ChildProcess.makePipe()
        } catch {
            throw fail("kubectl port-forward: \(error.description)")
        }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let started = DispatchSemaphore(value: 0)
        let spawned = Shared<(pid: Int32, errno: Int32)>((-1, 0))
        let state = Shared(State())
        let exited = DispatchSemaphore(value: 0)
        let parent = getpid()
        let waiter = Thread {
            var argv: [UnsafeMutablePointer<CChar>?] = ([kubectl] + arguments).map { strdup($0) } + [nil]
            var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            let pid = smt_spawn_tied(kubectl, &argv, &envp, devNull, out.write, err.write, parent)
            spawned.withLock { $0 = (pid, pid < 0 ? errno : 0) }
            for p in argv { free(p) }
            for p in envp { free(p) }
            started.signal()
            guard pid > 0 else { return }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            state.withLock {
                $0.exited = true
                $0.exitStatus = status
            }
            exited.signal()
        }
        waiter.name = "smitop-port-forward"
        waiter.start()
        started.wait()
        close(out.write)
        close(err.write)
        if devNull >= 0 { close(devNull) }
        let (pid, spawnErrno) = spawned.withLock { $0 }
        guard pid > 0 else {
            close(out.read)
            close(err.read)
            throw fail("\(kubectl): \(String(cString: strerror(spawnErrno)))")
        }

        // Read both streams until the port line (or kubectl's end, or the deadline); then a
        // reader keeps draining them for the child's life, so a chatty kubectl ("Handling
        // connection for …" per connection) never blocks on a full pipe.
        let port = Shared<Int?>(nil)
        let found = DispatchSemaphore(value: 0)
        let reader = Thread {
            var fds = [out.read, err.read]
            var pending: [Int32: [UInt8]] = [:]
            var buffer = [UInt8](repeating: 0, count: 8192)
            while !fds.isEmpty {
                var polls = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                if poll(&polls, nfds_t(polls.count), -1) < 0 {
                    if errno == EINTR { continue }
                    break
                }
                for p in polls where p.revents != 0 {
                    let r = read(p.fd, &buffer, buffer.count)
                    if r <= 0 {
                        if r < 0 && errno == EINTR { continue }
                        close(p.fd)
                        fds.removeAll { $0 == p.fd }
                        continue
                    }
                    var line = pending[p.fd, default: []] + buffer[0..<r]
                    while let nl = line.firstIndex(of: 10) {
                        let text = String(decoding: line[..<nl], as: UTF8.self)
                        line.removeSubrange(...nl)
                        if p.fd == out.read, let n = forwardedPort(inLine: text) {
                            let first = port.withLock { old -> Bool in
                                defer { if old == nil { old = n } }
                                return old == nil
                            }
                            if first { found.signal() }
                        } else if p.fd == err.read {
                            let shown = sanitizedForDisplay(text, limit: 400)
                            if !shown.isEmpty {
                                state.withLock {
                                    $0.stderrTail.append(shown)
                                    if $0.stderrTail.count > 4 { $0.stderrTail.removeFirst() }
                                }
                            }
                        }
                    }
                    // A line without a newline is kept up to 4 KiB, then dropped.
                    pending[p.fd] = line.count > 4096 ? [] : line
                }
            }
            found.signal()
        }
        reader.name = "smitop-port-forward-output"
        reader.start()

        // Signalled by the port line, or by the reader ending (kubectl closed its output: it
        // exited) without one.
        _ = found.wait(timeout: .now() + max(1, timeout))
        let forward = KubectlPortForward(
            url: "http://127.0.0.1:\(port.withLock { $0 } ?? 0)", localPort: port.withLock { $0 } ?? 0, pid: pid,
            commandLine: commandLine, state: state, exitedSignal: exited)
        guard port.withLock({ $0 }) != nil else {
            forward.stop()
            let said = forward.lastError
            throw KubeError(
                source: .config,
                message: "kubectl port-forward did not start: " + (said.isEmpty ? "no \"Forwarding from\" line within \(Int(timeout)) s" : said),
                hint: "the command was: \(sanitizedForDisplay(commandLine, limit: 400))")
        }
        return forward
    }
}
