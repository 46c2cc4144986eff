import Foundation
import KubeCore
import Testing

@testable import Kube

/// The spawner exec plugins run through (and the test suites' kubectl and tmux runs): real
/// programs, real signals, real descriptors.
@Suite("child processes")
struct ChildProcessTests {
    static let env = ["PATH": "/usr/bin:/bin"]

    func sh(_ script: String, stdin: String? = nil, timeout: Double? = 60) async throws -> ChildProcess.Output {
        try await ChildProcess.run("/bin/sh", ["-c", script], options: .init(environment: Self.env, stdin: stdin.map { Array($0.utf8) }, timeout: timeout))
    }

    @Test func exitCodeOutputAndInput() async throws {
        let out = try await sh("cat; echo to-stderr >&2; exit 3", stdin: "to-stdin\n")
        #expect(out.status == 3 && out.signal == nil)
        #expect(String(decoding: out.stdout, as: UTF8.self) == "to-stdin\n")
        #expect(String(decoding: out.stderr, as: UTF8.self) == "to-stderr\n")
        #expect(!out.timedOut && !out.cancelled)
    }

    @Test func aSignalIsReportedAsAShellWould() async throws {
        let out = try await sh("kill -9 $$")
        #expect(out.signal == 9 && out.status == 137)
    }

    @Test func environmentIsExactlyTheOneGiven() async throws {
        let out = try await ChildProcess.run("/usr/bin/env", [], options: .init(environment: ["ONLY": "this"]))
        #expect(String(decoding: out.stdout, as: UTF8.self) == "ONLY=this\n")
    }

    @Test func aBareNameIsFoundOnTheChildsPath() async throws {
        let out = try await ChildProcess.run("echo", ["found"], options: .init(environment: Self.env))
        #expect(String(decoding: out.stdout, as: UTF8.self) == "found\n")
        await #expect(throws: ChildProcess.StartError.self) {
            _ = try await ChildProcess.run("no-such-program-anywhere", [], options: .init(environment: Self.env))
        }
        await #expect(throws: ChildProcess.StartError.self) {
            _ = try await ChildProcess.run("/nonexistent/program", [], options: .init(environment: Self.env))
        }
    }

    /// A session of its own: no controlling terminal to read from or draw on.
    @Test func theChildLeadsItsOwnSessionWithoutATerminal() async throws {
        let out = try await sh("cat /proc/$$/stat")
        // pid (comm) state ppid pgrp session tty_nr ...
        let text = String(decoding: out.stdout, as: UTF8.self)
        let afterComm = text[text.range(of: ") ")!.upperBound...].split(separator: " ")
        let pid = text.split(separator: " ")[0]
        #expect(afterComm[2] == pid, "process group")
        #expect(afterComm[3] == pid, "session")
        #expect(afterComm[4] == "0", "controlling terminal")
    }

    /// Our descriptors without close-on-exec (a library's, say) do not reach the child.
    @Test func onlyTheStandardDescriptorsAreInherited() async throws {
        let fd = open("/dev/null", O_RDONLY)
        #expect(fd > 2)
        defer { close(fd) }
        let out = try await sh("test -e /proc/$$/fd/\(fd) && echo leaked || echo closed; test -e /proc/$$/fd/2 && echo has-stderr")
        #expect(String(decoding: out.stdout, as: UTF8.self) == "closed\nhas-stderr\n")
    }

    /// A timeout stops the whole group, grandchildren included.
    @Test func aTimeoutStopsTheProcessGroup() async throws {
        let out = try await sh("sleep 300 & echo $!; wait", timeout: 0.5)
        #expect(out.timedOut)
        #expect(out.signal == SIGTERM)
        let grandchild = Int32(String(decoding: out.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(grandchild > 0)
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !Self.isRunning(grandchild)
            if !gone { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(gone, "the grandchild outlived the timeout")
    }

    /// A grandchild that keeps the output pipe open does not keep us waiting: the result
    /// comes when the child itself exits (the grandchild is still running then).
    @Test func aGrandchildHoldingTheOutputDoesNotDelayTheResult() async throws {
        let out = try await sh("sleep 300 & echo $!")
        let grandchild = Int32(String(decoding: out.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(grandchild > 0)
        #expect(Self.isRunning(grandchild), "the run waited for the grandchild")
        kill(grandchild, SIGKILL)
    }

    @Test func cancellingTheTaskStopsTheChild() async throws {
        let task = Task { try await sh("sleep 300") }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let out = try await task.value
        #expect(out.cancelled && out.signal == SIGTERM)
    }

    @Test func outputBeyondTheLimitIsReadAndDropped() async throws {
        var options = ChildProcess.Options(environment: Self.env)
        options.outputLimit = 1000
        let out = try await ChildProcess.run("/bin/sh", ["-c", "head -c 1000000 /dev/zero; echo done >&2"], options: options)
        #expect(out.status == 0 && out.stdout.count == 1000)
        #expect(String(decoding: out.stderr, as: UTF8.self) == "done\n")
    }

    /// The failure that replaced Foundation's Process here: many children at once, every exit
    /// seen, each with its own status and output.
    @Test func manyConcurrentChildrenAllReportTheirOwnExit() async throws {
        let results = try await withThrowingTaskGroup(of: (Int, ChildProcess.Output).self) { group in
            for i in 0..<48 {
                group.addTask { (i, try await sh("echo \(i); exit \(i % 7)")) }
            }
            var all: [Int: ChildProcess.Output] = [:]
            for try await (i, out) in group { all[i] = out }
            return all
        }
        #expect(results.count == 48)
        for (i, out) in results {
            #expect(out.status == Int32(i % 7) && String(decoding: out.stdout, as: UTF8.self) == "\(i)\n")
        }
    }

    @Test func workingDirectory() async throws {
        let out = try await ChildProcess.run("/bin/pwd", [], options: .init(environment: Self.env, workingDirectory: "/usr/bin"))
        #expect(String(decoding: out.stdout, as: UTF8.self) == "/usr/bin\n")
    }

    static func isRunning(_ pid: Int32) -> Bool {
        // A zombie waiting for its reaper counts as gone.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        guard let r = stat.range(of: ") ") else { return false }
        return !stat[r.upperBound...].hasPrefix("Z")
    }
}
