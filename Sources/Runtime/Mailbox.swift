// Messages from the network side to the event loop's thread. Posting wakes the loop.

import App
import Foundation
import Kube
import Synchronization

public final class Mailbox: Sendable {
    private let queue = Mutex<[Message]>([])
    private let wake: @Sendable () -> Void

    public init(wake: @escaping @Sendable () -> Void) { self.wake = wake }

    public func post(_ m: Message) {
        queue.withLock { $0.append(m) }
        wake()
    }

    public func drain() -> [Message] {
        queue.withLock { q in
            defer { q.removeAll() }
            return q
        }
    }

    /// When the latest full list arrived from the network (for the start-up benchmark).
    public let lastListArrival = Mutex<Double>(0)
    func noteListArrived() { lastListArrival.withLock { $0 = nowSeconds() } }
}

/// Wall-clock seconds, the time base of `Message.start`/`.tick` and the metrics samples.
public func nowSeconds() -> Seconds { Date().timeIntervalSince1970 }
