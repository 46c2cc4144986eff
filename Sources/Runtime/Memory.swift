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

/// `SMITOP_HEAP_STATS_FILE=PATH`: the heap in use (bytes) and whether the first edge sweep
/// is done (1 or 0), one line, written at the quiet points `HeapSamplePoints` picks (a
/// temporary file renamed over it, so a reader never sees half a line). The soak reads it to
/// judge leaks by what smitop holds, and starts judging once the sweep is done.
final class HeapStatsFile {
    let path: String
    private var points = HeapSamplePoints()

    init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let p = environment["SMITOP_HEAP_STATS_FILE"], !p.isEmpty else { return nil }
        path = p
    }

    func pollAsked() { points.pollAsked() }
    func pollAnswered() { points.pollAnswered() }

    func frameDrawn(now: Double, edgeSweepDone: Bool) {
        guard points.frameDrawn(now: now) else { return }
        try? Data("\(heapInUseBytes()) \(edgeSweepDone ? 1 : 0)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// When the soak's heap sample is taken: after the frame that applied a metrics poll's answer,
/// when that poll's lists have been freed and the next poll (asked in the same batch, after
/// the refresh interval) has not read anything yet; and, while no poll is asked for at all
/// (`--refresh 0`), at most once a second. Why: a poll holds what it read until it is applied
/// (on 5,000 services the deployments' list and 200 `/edges` answers, 8–14 MB of JSON trees
/// and samples in a debug build, measured with heaptrack in the soak), and on a loaded machine
/// a poll takes most of the time between two, so samples taken at any frame mostly caught one
/// in flight, and now and then none: the soak's floors compared those rare moments with the
/// common ones and read 10–17 MB of growth that was never held for long.
struct HeapSamplePoints: Equatable {
    /// A poll was asked for (it may still be waiting out its interval) and has not answered.
    private(set) var pollPending = false
    private var answered = false
    private var lastIdleSample = -Double.infinity

    mutating func pollAsked() { pollPending = true }

    mutating func pollAnswered() {
        pollPending = false
        answered = true
    }

    /// After each frame: whether to sample now. A frame whose batch applied an answer is a
    /// quiet point even when that batch also asked for the next poll.
    mutating func frameDrawn(now: Double) -> Bool {
        defer { answered = false }
        if answered {
            lastIdleSample = now
            return true
        }
        guard !pollPending, now - lastIdleSample >= 1 else { return false }
        lastIdleSample = now
        return true
    }
}
