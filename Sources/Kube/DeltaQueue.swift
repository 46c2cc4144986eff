// What waits between a producer of object deltas (an informer, the network side) and a
// consumer that may fall behind (a stalled event loop, a slow frame): folded per object, so
// what waits is bounded by the number of objects, not by the event rate or the stall's length.

import Synchronization

/// How an item folds into the items already waiting.
public enum DeltaRole<Group: Hashable & Sendable>: Sendable, Equatable {
    /// An object's state now: it replaces that object's waiting state, in that one's place (so
    /// per object the order holds, and the consumer gets the latest).
    case upsert(Group, key: String)
    /// An object is gone: it takes the place of the object's waiting state (its changes never
    /// reached the consumer); after a deletion the object's next state waits behind it (a
    /// deleted then recreated object needs both: the old one's end, the new one's state).
    case delete(Group, key: String)
    /// The whole group as of now (a relist): every delta of the group still waiting is older,
    /// and so is its earlier relist; they are dropped.
    case replace(Group)
    /// Only the newest item with this tag waits (e.g. a watch error: the badge shows the
    /// latest), at the place where it was posted.
    case latest(String)
    /// Kept, in order, never folded.
    case ordered
}

/// A FIFO where waiting deltas are folded per object (see `DeltaRole`). Per object at most a
/// deletion followed by an upsert wait, per group at most one relist, per tag one `latest`:
/// with K objects, at most 2K + groups + tags deltas wait, besides the `ordered` items.
public struct DeltaQueue<Group: Hashable & Sendable, Item> {
    private var slots: [(item: Item, role: DeltaRole<Group>)?] = []
    /// Slots before this one were taken.
    private var head = 0
    /// Per group, per object key: the slots of its waiting deletion and upsert.
    private var objects: [Group: [String: (delete: Int?, upsert: Int?)]] = [:]
    private var replaces: [Group: Int] = [:]
    private var latest: [String: Int] = [:]
    /// Items waiting now.
    public private(set) var count = 0
    /// Posts folded into (or dropped for) another since the start.
    public private(set) var coalesced = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    public mutating func post(_ item: Item, as role: DeltaRole<Group>) {
        switch role {
        case .ordered:
            append(item, role)
        case .latest(let tag):
            if let i = latest[tag] { clear(i) }
            latest[tag] = append(item, role)
        case .replace(let group):
            for entry in (objects.removeValue(forKey: group) ?? [:]).values {
                if let d = entry.delete { clear(d) }
                if let u = entry.upsert { clear(u) }
            }
            if let r = replaces[group] { clear(r) }
            replaces[group] = append(item, role)
        case .upsert(let group, let key):
            var entry = objects[group]?[key] ?? (nil, nil)
            if let u = entry.upsert {
                slots[u] = (item, role)
                coalesced &+= 1
            } else {
                entry.upsert = append(item, role)
            }
            objects[group, default: [:]][key] = entry
        case .delete(let group, let key):
            var entry = objects[group]?[key] ?? (nil, nil)
            if let d = entry.delete {
                // Deleted, recreated, deleted again: one deletion (the latest object) says it all.
                slots[d] = (item, role)
                coalesced &+= 1
                if let u = entry.upsert { clear(u) }
            } else if let u = entry.upsert {
                slots[u] = (item, role)
                coalesced &+= 1
                entry.delete = u
            } else {
                entry.delete = append(item, role)
            }
            entry.upsert = nil
            objects[group, default: [:]][key] = entry
        }
        compactIfSparse()
    }

    /// The oldest waiting item.
    public mutating func popFirst() -> Item? {
        while head < slots.count {
            let i = head
            head += 1
            guard let slot = slots[i] else { continue }
            slots[i] = nil
            count -= 1
            forget(slot.role, at: i)
            if count == 0 { reset() }
            return slot.item
        }
        reset()
        return nil
    }

    /// Every waiting item, oldest first.
    public mutating func takeAll() -> [Item] {
        let out = slots[head...].compactMap { $0?.item }
        self = DeltaQueue(coalesced: coalesced)
        return out
    }

    private init(coalesced: Int) { self.coalesced = coalesced }

    /// Empty: the slots' storage is kept for the next burst.
    private mutating func reset() {
        slots.removeAll(keepingCapacity: true)
        head = 0
        objects = [:]
        replaces = [:]
        latest = [:]
        count = 0
    }

    private mutating func forget(_ role: DeltaRole<Group>, at i: Int) {
        switch role {
        case .ordered: break
        case .latest(let tag): if latest[tag] == i { latest[tag] = nil }
        case .replace(let group): if replaces[group] == i { replaces[group] = nil }
        case .upsert(let group, let key), .delete(let group, let key):
            guard var entry = objects[group]?[key] else { return }
            if entry.upsert == i { entry.upsert = nil }
            if entry.delete == i { entry.delete = nil }
            objects[group]![key] = entry.upsert == nil && entry.delete == nil ? nil : entry
        }
    }

    @discardableResult
    private mutating func append(_ item: Item, _ role: DeltaRole<Group>) -> Int {
        slots.append((item, role))
        count += 1
        return slots.count - 1
    }

    private mutating func clear(_ i: Int) {
        guard slots[i] != nil else { return }
        slots[i] = nil
        count -= 1
        coalesced &+= 1
    }

    /// Slots emptied by folding (or taken) stay until the queue is drained; a consumer that
    /// never drains it while relists keep coming would keep them all, so once the empty
    /// slots outnumber the waiting items the live ones move into a fresh queue. Re-posting
    /// them in order rebuilds the same queue: what waits is already folded.
    private mutating func compactIfSparse() {
        guard slots.count - count > count + 64 else { return }
        var fresh = DeltaQueue(coalesced: coalesced)
        fresh.slots.reserveCapacity(count)
        for case let (item, role)? in slots[head...] { fresh.post(item, as: role) }
        self = fresh
    }

    /// Storage held, in slots (a test reads it: bounded by the items waiting).
    package var slotCount: Int { slots.count }
}

/// An `AsyncSequence` over a `DeltaQueue`: the producer never waits (it is the network side,
/// and its own input is paused when it falls behind, see `HTTPRequest.streamBufferBytes`), the
/// consumer takes one item at a time, and what waits in between is folded per object. One
/// consumer at a time (as with `AsyncStream`); a cancelled `next()` returns nil.
public struct DeltaStream<Group: Hashable & Sendable, Element: Sendable>: AsyncSequence, Sendable {
    final class Storage: Sendable {
        struct State {
            var queue = DeltaQueue<Group, Element>()
            var finished = false
            var waiters: [(id: Int, continuation: CheckedContinuation<Element?, Never>)] = []
            var nextID = 0
        }
        let state = Mutex(State())
        let role: @Sendable (Element) -> DeltaRole<Group>
        init(role: @escaping @Sendable (Element) -> DeltaRole<Group>) { self.role = role }
    }

    let storage: Storage

    /// Posts into the stream; `role` says how each element folds into those waiting.
    public struct Continuation: Sendable {
        let storage: Storage

        public func yield(_ element: Element) {
            let waiter: CheckedContinuation<Element?, Never>? = storage.state.withLock { s in
                if s.finished { return nil }
                // A waiting consumer means nothing is queued: it gets the element directly.
                if !s.waiters.isEmpty { return s.waiters.removeFirst().continuation }
                s.queue.post(element, as: storage.role(element))
                return nil
            }
            waiter?.resume(returning: element)
        }

        /// No more elements: what waits is still delivered, then the sequence ends.
        public func finish() {
            let waiters = storage.state.withLock { s in
                s.finished = true
                defer { s.waiters = [] }
                return s.waiters
            }
            for w in waiters { w.continuation.resume(returning: nil) }
        }
    }

    public static func makeStream(role: @escaping @Sendable (Element) -> DeltaRole<Group>) -> (stream: DeltaStream, continuation: Continuation) {
        let storage = Storage(role: role)
        return (DeltaStream(storage: storage), Continuation(storage: storage))
    }

    /// Elements waiting now, and how many were folded into another since the start.
    public var waiting: Int { storage.state.withLock { $0.queue.count } }
    public var coalesced: Int { storage.state.withLock { $0.queue.coalesced } }

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let storage: Storage

        public mutating func next() async -> Element? {
            let storage = storage
            let id = storage.state.withLock { s in
                s.nextID &+= 1
                return s.nextID
            }
            return await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Element?, Never>) in
                    let now: Element?? = storage.state.withLock { s in
                        if let e = s.queue.popFirst() { return .some(e) }
                        // Cancellation sets the flag before its handler runs: checked under the
                        // lock, a cancel either is seen here or finds this waiter below.
                        if s.finished || Task.isCancelled { return .some(nil) }
                        s.waiters.append((id, c))
                        return nil
                    }
                    if let now { c.resume(returning: now) }
                }
            } onCancel: {
                let c = storage.state.withLock { s in
                    s.waiters.firstIndex { $0.id == id }.map { s.waiters.remove(at: $0).continuation }
                }
                c?.resume(returning: nil)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(storage: storage) }
}
