// A trial of swift-subprocess 1.0.2 against the three guarantees smitop's ChildProcess pins
// down in its tests (docs/decisions.md, 2026-12-07). Not part of the product or its build:
// `cd scripts/trials/swift-subprocess && swift build && .build/debug/Trial`.
import Foundation
import Subprocess
#if canImport(Glibc)
import Glibc
#endif

@main struct Trial {
    static func main() async {
        // 1. Only descriptors 0–2 reach the child: a parent descriptor without CLOEXEC.
        let opened = open("/etc/hostname", O_RDONLY)  // no O_CLOEXEC on purpose
        let leaked = dup2(opened, 57)
        do {
            let r = try await run(.path("/bin/ls"), arguments: ["/proc/self/fd"], output: .string(limit: 4096))
            let fds = (r.standardOutput ?? "").split(separator: "\n").compactMap { Int($0) }.sorted()
            print("1. fds in the child: \(fds) (parent's extra fd \(leaked)) -> \(fds.contains(Int(leaked)) ? "LEAKED" : "ok")")
        } catch { print("1. error: \(error)") }

        // 2. The child's exit is seen while a grandchild holds its pipes.
        do {
            let start = Date()
            let r = try await run(.path("/bin/sh"), arguments: ["-c", "sleep 6 & echo hi"], output: .string(limit: 4096))
            let t = Date().timeIntervalSince(start)
            print("2. sh exited (\(r.terminationStatus)), run returned after \(String(format: "%.1f", t)) s -> \(t < 3 ? "ok" : "WAITED FOR THE GRANDCHILD")")
        } catch { print("2. error: \(error)") }

        // 3. A timeout kills the whole session (grandchildren too).
        var opts = PlatformOptions()
        opts.createSession = true
        opts.teardownSequence = [
            .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(200)),
            .send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(200)),
        ]
        let marker = "smitop-trial-\(getpid())"
        let task = Task {
            try await run(
                .path("/bin/sh"), arguments: ["-c", "sleep 100 & exec -a \(marker) sleep 100"], platformOptions: opts, output: .discarded)
        }
        try? await Task.sleep(for: .seconds(1))
        let startKill = Date()
        task.cancel()
        _ = try? await task.value
        let t = Date().timeIntervalSince(startKill)
        try? await Task.sleep(for: .milliseconds(500))
        let ps = try? await run(.path("/bin/sh"), arguments: ["-c", "ps -eo pid,sid,args | grep '[s]leep 100' | wc -l"], output: .string(limit: 4096))
        let left = Int((ps?.standardOutput ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        print("3. cancelled; run returned after \(String(format: "%.1f", t)) s; 'sleep 100' processes left: \(left) -> \(left == 0 ? "ok" : "SESSION SURVIVED")")
    }
}
