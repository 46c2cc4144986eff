// Running a program to completion: exec credential plugins (and the test suite's kubectl,
// tmux and curl runs).
//
// Why not Foundation's Process: under many concurrent children it loses exit notifications
// (a child stays a zombie and waitUntilExit or the termination handler never returns), and its
// pipes are inherited by every other child started at the same moment, so reading them to EOF
// can wait for an unrelated long-lived process. Here every descriptor we create is
// close-on-exec, the child gets only its three standard descriptors, exactly one thread waits
// for exactly this pid, and output is collected by a poll loop that never needs EOF to finish.

import Foundation
import KubeCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

public enum ChildProcess {
    public struct Options: Sendable {
        /// The child's whole environment (nothing is inherited implicitly).
        public var environment: [String: String] = [:]
        /// Bytes for its stdin; nil gives it /dev/null.
        public var stdin: [UInt8]?
        /// Seconds until the child (and its process group) is stopped: SIGTERM, then SIGKILL
        /// two seconds later. nil waits as long as it runs.
        public var timeout: Double?
        /// A session of its own: no controlling terminal (a plugin cannot read or draw on the
        /// TUI's terminal, nor get its Ctrl-C), and a process group that a timeout stops whole.
        public var newSession = true
        public var workingDirectory: String?
        /// Output kept per stream; more is read and dropped, so a chatty child cannot block
        /// on a full pipe or fill our memory.
        public var outputLimit = 16 << 20

        public init(
            environment: [String: String] = [:], stdin: [UInt8]? = nil, timeout: Double? = nil, newSession: Bool = true,
            workingDirectory: String? = nil
        ) {
            self.environment = environment
            self.stdin = stdin
            self.timeout = timeout
            self.newSession = newSession
            self.workingDirectory = workingDirectory
        }
    }

    public struct Output: Sendable {
        /// The exit code, or 128 + the signal number that ended it (as a shell reports it).
        public var status: Int32
        /// The signal that ended it, if one did.
        public var signal: Int32?
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var timedOut: Bool
        public var cancelled: Bool
    }

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs the program on a thread of its own; cancelling the calling task stops the child
    /// like a timeout does.
    public static func run(_ executable: String, _ arguments: [String], options: Options) async throws(StartError) -> Output {
        let cancel = try makePipe()
        defer {
            close(cancel.read)
            close(cancel.write)
        }
        let result: Result<Output, StartError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Result<Output, StartError>, Never>) in
                Thread {
                    c.resume(returning: Result { () throws(StartError) in try runBlocking(executable, arguments, options: options, cancelFD: cancel.read) })
                }.start()
            }
        } onCancel: {
            var b: UInt8 = 1
            _ = write(cancel.write, &b, 1)
        }
        return try result.get()
    }

    /// The same, on the calling thread. `cancelFD` becoming readable stops the child.
    public static func runBlocking(_ executable: String, _ arguments: [String], options: Options, cancelFD: Int32 = -1) throws(StartError) -> Output {
        var mine: [Int32] = []
        func closeAll() { for fd in mine where fd >= 0 { close(fd) } }
        let out: (read: Int32, write: Int32)
        let err: (read: Int32, write: Int32)
        let exited: (read: Int32, write: Int32)
        var input: (ours: Int32, theirs: Int32)?
        do throws(StartError) {
            out = try makePipe()
            mine += [out.read, out.write]
            err = try makePipe()
            mine += [err.read, err.write]
            exited = try makePipe()
            mine += [exited.read, exited.write]
            // A socket, not a pipe, for stdin: a child that exits without reading it must
            // give us EPIPE (MSG_NOSIGNAL), never a SIGPIPE.
            if options.stdin != nil {
                var sv: [Int32] = [-1, -1]
                guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) == 0 else {
                    throw StartError(description: "socketpair: \(String(cString: strerror(errno)))")
                }
                input = (sv[0], sv[1])
                mine += sv
            }
        } catch {
            closeAll()
            throw error
        }
        let pid: pid_t
        do {
            pid = try spawn(executable, arguments, options: options, stdin: input?.theirs, stdout: out.write, stderr: err.write)
        } catch {
            closeAll()
            throw error
        }
        // Our copies of the child's ends: once closed, EOF means the child side is gone.
        close(out.write)
        close(err.write)
        if let i = input {
            close(i.theirs)
            shutdown(i.ours, Int32(SHUT_RD))
        }

        let status = Mutex<Int32>(0)
        let waited = DispatchSemaphore(value: 0)
        Thread {
            var s: Int32 = 0
            while waitpid(pid, &s, 0) < 0 && errno == EINTR {}
            status.withLock { $0 = s }
            var b: UInt8 = 1
            _ = write(exited.write, &b, 1)
            waited.signal()
        }.start()

        var collected = Collected(limit: options.outputLimit)
        let stdinBytes = options.stdin ?? []
        var stdinOffset = 0
        var stdinFD: Int32 = input?.ours ?? -1
        if stdinFD >= 0 {
            if stdinBytes.isEmpty {
                close(stdinFD)
                stdinFD = -1
            } else {
                _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
            }
        }
        var outFD = out.read
        var errFD = err.read
        var stopStage = 0  // 0 running, 1 SIGTERM sent, 2 SIGKILL sent
        var stopAt: ContinuousClock.Instant? = options.timeout.map { .now + .seconds(saturating: $0) }
        var timedOut = false
        var cancelled = false
        var childGone = false
        var drainUntil: ContinuousClock.Instant?
        var buffer = [UInt8](repeating: 0, count: 65536)

        func stop() {
            let target = options.newSession ? -pid : pid
            if stopStage == 0 {
                kill(target, SIGTERM)
                stopStage = 1
                stopAt = .now + .seconds(2)
            } else if stopStage == 1 {
                kill(target, SIGKILL)
                stopStage = 2
                stopAt = nil
            }
        }

        while !(childGone && outFD < 0 && errFD < 0) {
            if let d = drainUntil, ContinuousClock.now >= d { break }
            var fds: [pollfd] = []
            for fd in [outFD, errFD] where fd >= 0 { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if !childGone { fds.append(pollfd(fd: exited.read, events: Int16(POLLIN), revents: 0)) }
            if cancelFD >= 0 && !cancelled { fds.append(pollfd(fd: cancelFD, events: Int16(POLLIN), revents: 0)) }
            var wait: Int32 = -1
            if let d = drainUntil ?? (childGone ? nil : stopAt) {
                wait = Int32(max(0, min(60_000, milliseconds(d - .now))))
            }
            if poll(&fds, nfds_t(fds.count), wait) < 0 {
                if errno == EINTR { continue }
                break
            }
            if !childGone, let s = stopAt, ContinuousClock.now >= s {
                if stopStage == 0 { timedOut = true }
                stop()
            }
            for p in fds where p.revents != 0 {
                if p.fd == outFD || p.fd == errFD {
                    let r = read(p.fd, &buffer, buffer.count)
                    if r > 0 {
                        collected.append(buffer[0..<r], toStdout: p.fd == outFD)
                    } else if r == 0 || (errno != EINTR && errno != EAGAIN) {
                        close(p.fd)
                        if p.fd == outFD { outFD = -1 } else { errFD = -1 }
                    }
                } else if p.fd == stdinFD {
                    let r = stdinBytes.withUnsafeBytes { b in
                        send(stdinFD, b.baseAddress! + stdinOffset, b.count - stdinOffset, Int32(MSG_NOSIGNAL))
                    }
                    if r > 0 { stdinOffset += r }
                    if (r < 0 && errno != EAGAIN && errno != EINTR) || stdinOffset >= stdinBytes.count {
                        close(stdinFD)
                        stdinFD = -1
                    }
                } else if p.fd == exited.read {
                    childGone = true
                    // A grandchild may hold the output pipes open for ever: read what is
                    // there, then stop waiting for EOF.
                    drainUntil = .now + .milliseconds(200)
                } else if p.fd == cancelFD {
                    cancelled = true
                    if !childGone { stop() }
                }
            }
        }
        for fd in [outFD, errFD, stdinFD] where fd >= 0 { close(fd) }
        waited.wait()
        close(exited.read)
        close(exited.write)
        let raw = status.withLock { $0 }
        let signal: Int32? = raw & 0x7f == 0 ? nil : raw & 0x7f
        return Output(
            status: signal.map { 128 + $0 } ?? (raw >> 8) & 0xff, signal: signal, stdout: collected.stdout, stderr: collected.stderr,
            timedOut: timedOut, cancelled: cancelled)
    }

    private struct Collected {
        let limit: Int
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        mutating func append(_ bytes: ArraySlice<UInt8>, toStdout: Bool) {
            if toStdout {
                stdout.append(contentsOf: bytes.prefix(max(0, limit - stdout.count)))
            } else {
                stderr.append(contentsOf: bytes.prefix(max(0, limit - stderr.count)))
            }
        }
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    static func makePipe() throws(StartError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if let pipe2 {
            guard pipe2(&fds, O_CLOEXEC) == 0 else { throw StartError(description: "pipe: \(String(cString: strerror(errno)))") }
        } else {
            guard pipe(&fds) == 0 else { throw StartError(description: "pipe: \(String(cString: strerror(errno)))") }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        return (fds[0], fds[1])
    }

    // glibc has these, but declares them only with _GNU_SOURCE, which Swift's Glibc module is
    // not built with; they are looked up once instead. Without them (another libc) pipes get
    // close-on-exec a moment after they are made, and the child inherits our descriptors that
    // lack it.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias ChDir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private static let pipe2: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    private static let addCloseFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: CloseFrom.self)
    }
    private static let addChDir: ChDir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: ChDir.self)
    }
    /// glibc's POSIX_SPAWN_SETSID (bits/spawn.h), also hidden behind _GNU_SOURCE.
    private static let spawnSetSID: Int32 = 0x80

    static func spawn(
        _ executable: String, _ arguments: [String], options: Options, stdin: Int32?, stdout: Int32, stderr: Int32
    ) throws(StartError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        if let f = addCloseFrom { _ = f(&actions, 3) }
        if let dir = options.workingDirectory {
            guard let f = addChDir else { throw StartError(description: "this C library cannot set a child's working directory") }
            _ = f(&actions, dir)
        }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Signals we ignore or block (the TUI ignores some) are the child's defaults again.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SIGCONT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        if options.newSession { flags |= spawnSetSID }
        posix_spawnattr_setflags(&attr, Int16(flags))

        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) }
        argv.append(nil)
        var envp: [UnsafeMutablePointer<CChar>?] = options.environment.map { strdup("\($0.key)=\($0.value)") }
        envp.append(nil)
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc: Int32
        if executable.contains("/") {
            rc = posix_spawn(&pid, executable, &actions, &attr, argv, envp)
        } else {
            // A bare name is looked up on the child's PATH, as a shell would.
            guard let found = lookUp(executable, path: options.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
                throw StartError(description: "\(executable): not found on PATH")
            }
            rc = posix_spawn(&pid, found, &actions, &attr, argv, envp)
        }
        guard rc == 0 else { throw StartError(description: "\(executable): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// The first executable file (not a directory) of this name on `path`, as a shell finds it.
    static func lookUp(_ name: String, path: String) -> String? {
        let fm = FileManager.default
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let full = "\(dir)/\(name)"
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: full) {
                return full
            }
        }
        return nil
    }
}
