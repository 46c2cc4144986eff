// Resident memory, as the start-up report and the benchmarks measure it.

internal import CMalloc
import Foundation

/// VmRSS of this process in KiB (0 where /proc is not there).
public func residentMemoryKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// Bytes of heap this process holds: what glibc's arenas (all of them) have from the system,
/// less their free chunks, plus the blocks served by mmap (from `malloc_info`'s totals; 0 on
/// another libc). Resident memory also counts freed pages glibc keeps, so it moves with the
/// allocator's habits; this moves with what smitop holds: the soak's leak check.
public func heapInUseBytes() -> Int {
    guard let raw = smt_malloc_info() else { return 0 }
    defer { free(raw) }
    return MallocInfo.inUse(String(cString: raw)) ?? 0
}

enum MallocInfo {
    /// From the report's closing totals (after the last `</heap>`): system current − fast and
    /// rest free sizes + mmap size. Nil when they are not there.
    static func inUse(_ xml: String) -> Int? {
        guard let end = xml.range(of: "</heap>", options: .backwards) else { return nil }
        let totals = xml[end.upperBound...]
        func size(_ tag: String) -> Int? {
            guard let at = totals.range(of: tag) else { return nil }
            let rest = totals[at.upperBound...]
            guard let s = rest.range(of: "size=\""), let close = rest[s.upperBound...].firstIndex(of: "\"") else { return nil }
            return Int(rest[s.upperBound..<close])
        }
        guard let system = size("<system type=\"current\""), let fast = size("<total type=\"fast\""),
            let free = size("<total type=\"rest\""), let mmap = size("<total type=\"mmap\"")
        else { return nil }
        return max(0, system &- fast &- free) &+ mmap
    }
}

/// `SMITOP_HEAP_STATS_FILE=PATH`: after frames, at most once a second, the heap in use (bytes,
/// one line) is written to PATH (a temporary file renamed over it, so a reader never sees
/// half a number). The soak reads it to judge leaks by what smitop holds.
final class HeapStatsFile {
    let path: String
    private var lastWrite = -Double.infinity

    init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let p = environment["SMITOP_HEAP_STATS_FILE"], !p.isEmpty else { return nil }
        path = p
    }

    func frameDrawn(now: Double) {
        guard now - lastWrite >= 1 else { return }
        lastWrite = now
        try? Data("\(heapInUseBytes())\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
