import Foundation
import Testing

@testable import Runtime

/// The soak judges leaks by `heapInUseBytes`; it must see what any thread holds.
@Suite("heap in use")
struct HeapInUseTests {
    @Test func readsTheTotalsAfterTheLastHeap() {
        let report = """
            <malloc version="1">
            <heap nr="0">
            <total type="fast" count="2" size="64"/>
            <total type="rest" count="1" size="999"/>
            <system type="current" size="5000"/>
            </heap>
            <total type="fast" count="3" size="100"/>
            <total type="rest" count="4" size="50288"/>
            <total type="mmap" count="1" size="4096"/>
            <system type="current" size="135168"/>
            <system type="max" size="135168"/>
            </malloc>
            """
        #expect(MallocInfo.inUse(report) == 135168 - 100 - 50288 + 4096)
        #expect(MallocInfo.inUse("<malloc></malloc>") == nil)
        #expect(MallocInfo.inUse("") == nil)
    }

    /// 32 MB held by another thread (so in another arena than the main one, and in small
    /// blocks, not mmap'ed ones) show up; freed, they are gone again. The test process runs
    /// other suites at the same time, whose own allocations and frees move the same total (a
    /// fresh-clone run saw it fall by 20 MB while the 32 MB were held), so the claim is taken
    /// from the best of five tries: noise would have to cancel it every time.
    @Test func countsWhatOtherThreadsHold() async {
        var seen: [(held: Int, released: Int)] = []
        for _ in 0..<5 {
            let before = heapInUseBytes()
            var held: [[UInt8]]? = await withCheckedContinuation { (c: CheckedContinuation<[[UInt8]], Never>) in
                Thread { c.resume(returning: (0..<8192).map { _ in [UInt8](repeating: 1, count: 4096) }) }.start()
            }
            let during = heapInUseBytes()
            #expect(held?.count == 8192)
            held = nil
            let after = heapInUseBytes()
            seen.append((during - before, during - after))
            if during - before >= 30 << 20 && during - after >= 30 << 20 { break }
        }
        #expect(
            seen.contains { $0.held >= 30 << 20 && $0.released >= 30 << 20 },
            "heap in use with 32 MB held and then freed, per try (MB): \(seen.map { ($0.held >> 20, $0.released >> 20) })")
    }

    /// The soak's samples are taken where no metrics poll holds what it read: after the frame
    /// that applied an answer (even though that batch asked for the next poll), never during a
    /// poll, and once a second while no poll is asked for. Before this, every frame was a
    /// sample point (at most one a second), and a soak on 5,000 services read the in-flight
    /// poll data as heap growth.
    @Test func samplesOnlyAtQuietPointsOfTheMetricsCycle() {
        var p = HeapSamplePoints()
        var sampled: [Double] = []
        func frame(_ now: Double) { if p.frameDrawn(now: now) { sampled.append(now) } }
        // No poll asked yet (the loop starts one at once): idle, so once a second.
        frame(0)
        frame(0.5)
        p.pollAsked()
        // The poll is reading: frames long after the last sample still are not sampled.
        frame(2)
        frame(30)
        // Its answer is applied and the next poll asked in the same batch: that frame is.
        p.pollAnswered()
        p.pollAsked()
        frame(30.2)
        // Only that one: the frames after it belong to the next poll.
        frame(31.5)
        frame(45)
        // A failed poll is a quiet point too (nothing was read); a second answer in a row
        // samples again however soon.
        p.pollAnswered()
        frame(45.1)
        p.pollAnswered()
        frame(45.2)
        // No poll asked any more (`--refresh 0`): once a second again.
        frame(45.5)
        frame(46.3)
        #expect(sampled == [0, 30.2, 45.1, 45.2, 46.3])
    }
}
