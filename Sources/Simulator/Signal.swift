import Synchronization

/// A generation counter that tasks can wait on without polling: an idle simulator (the one
/// inside `smitop demo`) must not wake up to ask whether anything happened.
final class Signal: Sendable {
    private struct State {
        var generation = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<Int> = []
        var nextID = 0
    }
    private let state = Mutex(State())

    var generation: Int { state.withLock { $0.generation } }

    func bump() {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation += 1
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for c in ready { c.resume() }
    }

    /// Returns once the generation is past `seen`, or when the task is cancelled.
    func wait(past seen: Int) async {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.generation != seen || s.cancelled.remove(id) != nil { return true }
                    s.waiters[id] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if let c = s.waiters.removeValue(forKey: id) { return c }
                s.cancelled.insert(id)  // not registered yet: registration will see it
                return nil
            }
            c?.resume()
        }
        // A cancel that raced a bump left its mark after the waiter was already resumed.
        state.withLock { _ = $0.cancelled.remove(id) }
    }
}
