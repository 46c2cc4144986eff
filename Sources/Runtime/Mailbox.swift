// Messages from the network side to the event loop's thread. Posting wakes the loop.

import App
import Foundation
import Kube
import KubeCore
import Mesh
import Synchronization

/// The one place where watch events wait for the UI. A stalled event loop (a terminal that
/// does not read, a slow frame) must not let a fast-churning watch grow memory with the event
/// rate: object deltas waiting here are coalesced per object (the latest state wins, a
/// deletion is kept, a relist supersedes what it covers), so what waits is bounded by the
/// number of objects, not by how long the loop was away. Every other message is kept in
/// order; their producers (polls, writes, reviews) wait for the loop's answer before the next.
public final class Mailbox: Sendable {
    private let queue = Mutex(Pending())
    private let wake: @Sendable () -> Void

    public init(wake: @escaping @Sendable () -> Void) { self.wake = wake }

    public func post(_ m: Message) {
        queue.withLock { $0.post(m) }
        wake()
    }

    public func drain() -> [Message] {
        queue.withLock { $0.take() }
    }

    /// Messages waiting now, and how many posts were folded into one already waiting since the
    /// start (tests and the backpressure measurement read these).
    public var waiting: Int { queue.withLock { $0.live } }
    public var coalesced: Int { queue.withLock { $0.coalesced } }

    /// When the latest full list arrived from the network (for the start-up benchmark).
    public let lastListArrival = Mutex<Double>(0)
    func noteListArrived() { lastListArrival.withLock { $0 = nowSeconds() } }
}

/// The mailbox's queue: messages in arrival order, where a slot emptied by coalescing is nil.
/// Per object at most a deletion followed by an upsert wait (a deleted then recreated object
/// needs both: the old one's end, the new one's state); per kind at most one relist.
struct Pending {
    private var slots: [Message?] = []
    /// Per kind, per object key: where its waiting deletion and upsert are.
    private var objects: [ObjectKind: [String: (delete: Int?, upsert: Int?)]] = [:]
    private var relists: [ObjectKind: Int] = [:]
    private(set) var live = 0
    private(set) var coalesced = 0

    mutating func post(_ m: Message) {
        guard case .objects(let kind, let delta) = m else {
            append(m)
            return
        }
        switch delta {
        case .replaced:
            // The list is the whole kind as of now: every delta of it still waiting is older.
            for entry in (objects.removeValue(forKey: kind) ?? [:]).values {
                if let d = entry.delete { clear(d) }
                if let u = entry.upsert { clear(u) }
            }
            if let r = relists[kind] { clear(r) }
            relists[kind] = append(m)
        case .upserted(let o):
            let key = ObjectRef(object: o).key
            var entry = objects[kind]?[key] ?? (nil, nil)
            if let u = entry.upsert {
                slots[u] = m
                coalesced &+= 1
            } else {
                entry.upsert = append(m)
            }
            objects[kind, default: [:]][key] = entry
        case .deleted(let o):
            let key = ObjectRef(object: o).key
            var entry = objects[kind]?[key] ?? (nil, nil)
            if let d = entry.delete {
                // deleted, recreated, deleted again: one deletion (the latest object) says it all.
                slots[d] = m
                coalesced &+= 1
                if let u = entry.upsert { clear(u) }
            } else if let u = entry.upsert {
                // Its changes never reached the loop: the deletion takes their place.
                slots[u] = m
                coalesced &+= 1
                entry.delete = u
            } else {
                entry.delete = append(m)
            }
            entry.upsert = nil
            objects[kind, default: [:]][key] = entry
        }
    }

    mutating func take() -> [Message] {
        let out = slots.compactMap { $0 }
        self = Pending(coalesced: coalesced)
        return out
    }

    private init(coalesced: Int) { self.coalesced = coalesced }
    init() {}

    @discardableResult
    private mutating func append(_ m: Message) -> Int {
        slots.append(m)
        live &+= 1
        return slots.count - 1
    }

    private mutating func clear(_ i: Int) {
        guard slots[i] != nil else { return }
        slots[i] = nil
        live &-= 1
        coalesced &+= 1
    }
}

/// Wall-clock seconds, the time base of `Message.start`/`.tick` and the metrics samples.
public func nowSeconds() -> Seconds { Date().timeIntervalSince1970 }
