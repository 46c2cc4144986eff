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

/// The mailbox's queue: messages in arrival order, object deltas folded per kind and object
/// (the same policy as the informers' `updates`, see `DeltaRole`).
struct Pending {
    private var queue = DeltaQueue<ObjectKind, Message>()

    var live: Int { queue.count }
    var coalesced: Int { queue.coalesced }

    mutating func post(_ m: Message) { queue.post(m, as: Self.role(m)) }

    mutating func take() -> [Message] { queue.takeAll() }

    static func role(_ m: Message) -> DeltaRole<ObjectKind> {
        guard case .objects(let kind, let delta) = m else { return .ordered }
        switch delta {
        case .replaced: return .replace(kind)
        case .upserted(let o): return .upsert(kind, key: ObjectRef(object: o).key)
        case .deleted(let o): return .delete(kind, key: ObjectRef(object: o).key)
        }
    }
}

/// Wall-clock seconds, the time base of `Message.start`/`.tick` and the metrics samples.
public func nowSeconds() -> Seconds { Date().timeIntervalSince1970 }
