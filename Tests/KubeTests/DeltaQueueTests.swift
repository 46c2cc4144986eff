import KubeCore
import Testing

@testable import Kube

/// The fold between an informer (or the network side) and a consumer that falls behind: what
/// waits is bounded by the number of objects, and a consumer that reads it all ends with the
/// producer's state, each object's changes in their order, nothing from before a relist after it.
@Suite("delta queue")
struct DeltaQueueTests {
    /// One produced change, numbered in production order.
    struct Change: Equatable {
        enum Op: Equatable {
            case upsert(String, version: Int)
            case delete(String)
            case relist([String: Int])
            case error(Int)
        }
        var seq: Int
        var op: Op

        var role: DeltaRole<Int> {
            switch op {
            case .upsert(let key, _): .upsert(0, key: key)
            case .delete(let key): .delete(0, key: key)
            case .relist: .replace(0)
            case .error: .latest("error")
            }
        }
    }

    /// The consumer's view: a store fed only by what it took.
    struct Consumer {
        var store: [String: Int] = [:]
        var lastSeq: [String: Int] = [:]
        var lastRelist = -1
        var errors: [Int] = []
        var problems: [String] = []

        mutating func apply(_ c: Change) {
            // Nothing older than a relist comes after it.
            if c.seq < lastRelist { problems.append("change \(c.seq) delivered after the relist \(lastRelist)") }
            switch c.op {
            case .upsert(let key, let v):
                if let last = lastSeq[key], last > c.seq { problems.append("\(key): \(c.seq) after \(last)") }
                lastSeq[key] = c.seq
                store[key] = v
            case .delete(let key):
                if let last = lastSeq[key], last > c.seq { problems.append("\(key): \(c.seq) after \(last)") }
                lastSeq[key] = c.seq
                store[key] = nil
            case .relist(let all):
                lastRelist = c.seq
                store = all
            case .error(let n): errors.append(n)
            }
        }
    }

    /// N changes to K objects (upserts, some deletions and recreations, relists and errors)
    /// posted while the consumer takes one item every `readEvery` posts (0: never), then reads
    /// everything: what waited never exceeded 2 per object (a deletion and the recreated
    /// object's state) plus the relist and the error, and the consumer ends with the producer's state.
    func run(seed: UInt64, objects k: Int, changes n: Int, readEvery: Int, deletions: Bool) -> (maxWaiting: Int, consumer: Consumer, truth: [String: Int]) {
        var rng = SplitMix64(seed: seed)
        var q = DeltaQueue<Int, Change>()
        var truth: [String: Int] = [:]
        var consumer = Consumer()
        var maxWaiting = 0
        var maxSlots = 0
        var lastError = -1
        for seq in 0..<n {
            let key = "ns/o\(rng.next() % UInt64(k))"
            let dice = rng.next() % 1000
            let op: Change.Op
            if dice < 2 {
                op = .relist(truth)
            } else if dice < 5 {
                op = .error(seq)
                lastError = seq
            } else if deletions && dice < 120, truth[key] != nil {
                op = .delete(key)
                truth[key] = nil
            } else {
                op = .upsert(key, version: seq)
                truth[key] = seq
            }
            let c = Change(seq: seq, op: op)
            q.post(c, as: c.role)
            maxWaiting = max(maxWaiting, q.count)
            maxSlots = max(maxSlots, q.slotCount)
            if readEvery > 0, seq % readEvery == 0, let c = q.popFirst() { consumer.apply(c) }
        }
        while let c = q.popFirst() { consumer.apply(c) }
        #expect(q.isEmpty && q.slotCount == 0)
        // The slots emptied by folding are given back: storage stays within twice what waits.
        #expect(maxSlots <= 2 * maxWaiting + 66, "\(maxSlots) slots for at most \(maxWaiting) waiting")
        if lastError >= 0 { #expect(consumer.errors.last == lastError, "the latest error reaches the consumer") }
        return (maxWaiting, consumer, truth)
    }

    @Test(arguments: [0, 1, 7])
    func aConsumerThatDoesNotReadHoldsOneUpsertPerObjectAndEndsWithTheLatestState(seed: UInt64) {
        let (maxWaiting, consumer, truth) = run(seed: seed, objects: 40, changes: 20_000, readEvery: 0, deletions: false)
        // Upserts only: one per object, the relist and the error.
        #expect(maxWaiting <= 40 + 2, "\(maxWaiting) waited for 40 objects and 20,000 changes")
        #expect(consumer.problems.isEmpty, "\(consumer.problems.prefix(5))")
        #expect(consumer.store == truth)
    }

    @Test(arguments: [0, 3, 11])
    func deletionsAndRecreationsHoldAtMostTwoPerObject(seed: UInt64) {
        let (maxWaiting, consumer, truth) = run(seed: seed, objects: 40, changes: 20_000, readEvery: 0, deletions: true)
        #expect(maxWaiting <= 2 * 40 + 2, "\(maxWaiting) waited for 40 objects and 20,000 changes")
        #expect(consumer.problems.isEmpty, "\(consumer.problems.prefix(5))")
        #expect(consumer.store == truth)
    }

    @Test(arguments: [1, 3, 50])
    func aSlowConsumerSeesEachObjectInOrderAndEndsWithTheLatestState(readEvery: Int) {
        let (maxWaiting, consumer, truth) = run(seed: UInt64(readEvery), objects: 25, changes: 20_000, readEvery: readEvery, deletions: true)
        #expect(maxWaiting <= 2 * 25 + 2)
        #expect(consumer.problems.isEmpty, "\(consumer.problems.prefix(5))")
        #expect(consumer.store == truth)
    }

    @Test func theFoldsOneByOne() {
        var q = DeltaQueue<Int, String>()
        q.post("a1", as: .upsert(0, key: "a"))
        q.post("b1", as: .upsert(0, key: "b"))
        q.post("a2", as: .upsert(0, key: "a"))
        q.post("x", as: .ordered)
        q.post("b-", as: .delete(0, key: "b"))
        q.post("b2", as: .upsert(0, key: "b"))
        q.post("e1", as: .latest("error"))
        q.post("e2", as: .latest("error"))
        q.post("c1", as: .upsert(1, key: "c"))
        // a's latest in its first place, b's deletion in b1's place and its recreation after,
        // the latest error where it was posted, another group's object untouched.
        #expect(q.takeAll() == ["a2", "b-", "x", "b2", "e2", "c1"])
        #expect(q.coalesced == 3)

        q.post("a1", as: .upsert(0, key: "a"))
        q.post("c1", as: .upsert(1, key: "c"))
        q.post("a-", as: .delete(0, key: "a"))
        q.post("a2", as: .upsert(0, key: "a"))
        q.post("a--", as: .delete(0, key: "a"))
        q.post("x", as: .ordered)
        // Deleted, recreated, deleted again: one deletion.
        #expect(q.popFirst() == "a--")
        q.post("all0", as: .replace(0))
        q.post("a3", as: .upsert(0, key: "a"))
        q.post("all0'", as: .replace(0))
        // The relist drops what it covers (its group only) and the relist before it.
        #expect(q.takeAll() == ["c1", "x", "all0'"])
    }

    /// The async side: a producer that never waits, a consumer that was away, the bound, and a
    /// consumer that is cancelled while waiting.
    @Test func theStreamFoldsWhileNobodyReadsAndHandsOverInOrder() async {
        let (stream, continuation) = DeltaStream<Int, Change>.makeStream(role: { $0.role })
        for seq in 0..<10_000 { continuation.yield(Change(seq: seq, op: .upsert("ns/o\(seq % 100)", version: seq))) }
        #expect(stream.waiting == 100)
        #expect(stream.coalesced == 9_900)
        var it = stream.makeAsyncIterator()
        var seen: [Int] = []
        for _ in 0..<100 {
            if case .upsert(_, let v)? = await it.next()?.op { seen.append(v) }
        }
        #expect(seen == Array(9_900..<10_000))
        #expect(stream.waiting == 0)
        // A waiting consumer gets the next element directly.
        let reader = Task {
            var i = stream.makeAsyncIterator()
            return await i.next()?.seq
        }
        while !(stream.storage.state.withLock { !$0.waiters.isEmpty }) { await Task.yield() }
        continuation.yield(Change(seq: 10_000, op: .error(0)))
        #expect(await reader.value == 10_000)
        // A cancelled wait ends with nil; finishing delivers what waits, then nil.
        let cancelled = Task {
            var i = stream.makeAsyncIterator()
            return await i.next()
        }
        while !(stream.storage.state.withLock { !$0.waiters.isEmpty }) { await Task.yield() }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
        continuation.yield(Change(seq: 10_001, op: .error(1)))
        continuation.finish()
        continuation.yield(Change(seq: 10_002, op: .error(2)))
        #expect(await it.next()?.seq == 10_001)
        #expect(await it.next() == nil)
    }
}
