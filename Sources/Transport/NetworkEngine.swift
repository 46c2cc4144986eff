internal import CCurl
import Foundation
import Kube
import KubeCore
import Synchronization

/// One `curl_multi` driven by one dedicated thread. All transfers of a transport share it, so
/// connections are reused and HTTP/2 streams multiplexed; requests and cancellations are
/// handed over through a mutex-guarded queue and `curl_multi_wakeup`.
///
/// `@unchecked Sendable`: `multi` is used by other threads only for `curl_multi_wakeup`
/// (documented as thread-safe), and only under `shared`'s lock while `closed` is false, so
/// a wakeup never races the cleanup. `active` belongs to the network thread.
final class NetworkEngine: @unchecked Sendable {
    private enum Command {
        case add(Transfer)
        case cancel(Transfer)
        case resume(Transfer)
    }

    private struct Shared {
        var commands: [Command] = []
        var shutdownRequested = false
        var closed = false
    }

    private let multi: UnsafeMutableRawPointer
    private let shared = Mutex(Shared())
    private var active: [ObjectIdentifier: Transfer] = [:]

    init() {
        Curl.ensureInitialised()
        guard let multi = curl_multi_init() else {
            fatalError("curl_multi_init failed: out of memory")
        }
        self.multi = multi
        // HTTP/2 multiplexing is libcurl's default since 7.62; stating it keeps it if that changes.
        do {
            try Curl.check(
                smt_multi_setopt_long(multi, CURLMOPT_PIPELINING, smt_curlpipe_multiplex()),
                "CURLMOPT_PIPELINING")
        } catch {
            // Without multiplexing every request opens its own connection: slower, still correct.
        }
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "smitop-curl"
        thread.start()
    }

    /// Hands a configured transfer to the network thread; fails it at once after shutdown.
    func submit(_ transfer: Transfer) {
        let accepted = shared.withLock { state -> Bool in
            guard !state.closed, !state.shutdownRequested else { return false }
            state.commands.append(.add(transfer))
            wakeUp()
            return true
        }
        if !accepted {
            transfer.finish(.failed(TransportError(kind: .cancelled, message: "transport closed")))
        }
    }

    /// Safe from any thread, before, during or after the transfer; idempotent.
    func cancel(_ transfer: Transfer) {
        transfer.cancelRequested.withLock { $0 = true }
        shared.withLock { state in
            guard !state.closed else { return }
            state.commands.append(.cancel(transfer))
            wakeUp()
        }
    }

    /// Reads a paused stream again (its consumer caught up). Safe from any thread.
    func resume(_ transfer: Transfer) {
        shared.withLock { state in
            guard !state.closed else { return }
            state.commands.append(.resume(transfer))
            wakeUp()
        }
    }

    /// Ends the network thread after failing whatever is still running. Does not wait.
    func shutdown() {
        shared.withLock { state in
            guard !state.closed else { return }
            state.shutdownRequested = true
            wakeUp()
        }
    }

    /// Caller holds `shared`'s lock and has checked `closed` is false.
    private func wakeUp() {
        _ = try? Curl.check(curl_multi_wakeup(multi), "curl_multi_wakeup")
    }

    // MARK: - Network thread

    private func run() {
        while true {
            let (commands, stop) = shared.withLock { state in
                let taken = state.commands
                state.commands.removeAll(keepingCapacity: true)
                if state.shutdownRequested { state.closed = true }
                return (taken, state.shutdownRequested)
            }
            for command in commands {
                switch command {
                case .add(let transfer): add(transfer)
                case .cancel(let transfer): remove(transfer, .cancelled)
                case .resume(let transfer): unpause(transfer)
                }
            }
            if stop { break }

            var running: Int32 = 0
            do {
                try Curl.check(curl_multi_perform(multi, &running), "curl_multi_perform")
            } catch {
                failAll(error)
            }
            collectFinished()
            let waitMilliseconds = expireIdleTransfers()
            do {
                try Curl.check(
                    curl_multi_poll(multi, nil, 0, waitMilliseconds, nil), "curl_multi_poll")
            } catch {
                failAll(error)
            }
        }
        failAll(TransportError(kind: .cancelled, message: "transport closed"))
        _ = try? Curl.check(curl_multi_cleanup(multi), "curl_multi_cleanup")
    }

    private func add(_ transfer: Transfer) {
        if transfer.cancelRequested.withLock({ $0 }) {
            transfer.finish(.cancelled)
            return
        }
        do {
            try Curl.check(curl_multi_add_handle(multi, transfer.easy), "curl_multi_add_handle")
        } catch {
            transfer.finish(.failed(error))
            return
        }
        transfer.lastActivity = .now
        active[ObjectIdentifier(transfer)] = transfer
    }

    private func unpause(_ transfer: Transfer) {
        guard active[ObjectIdentifier(transfer)] != nil else { return }
        // The idle clock starts again now: the pause was the reader's, not the connection's.
        // Until here the transfer counted as paused, so no idle check fell in between.
        transfer.lastActivity = .now
        transfer.budget?.resumed()
        // May call the write callback at once with the held bytes (and pause again).
        _ = try? Curl.check(smt_easy_unpause(transfer.easy), "curl_easy_pause")
    }

    /// Takes a transfer out of the multi (if it is still there) and delivers `outcome`.
    private func remove(_ transfer: Transfer, _ outcome: Transfer.Outcome) {
        guard active.removeValue(forKey: ObjectIdentifier(transfer)) != nil else { return }
        _ = try? Curl.check(curl_multi_remove_handle(multi, transfer.easy), "curl_multi_remove_handle")
        transfer.finish(outcome)
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else {
                continue
            }
            // The message is invalid once the handle is removed: read everything first.
            let result = message.pointee.data.result
            var context: UnsafeMutableRawPointer?
            guard
                (try? Curl.check(smt_easy_getinfo_ptr(easy, CURLINFO_PRIVATE, &context), "getinfo"))
                    != nil,
                let context
            else { continue }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            remove(transfer, .curl(result))
        }
    }

    /// Fails transfers that have been silent past their idle timeout; returns how long the
    /// poll may sleep before the next one could expire. libcurl shortens the wait further for
    /// its own timers (timeouts, connect, HTTP/2 pings).
    private func expireIdleTransfers() -> Int32 {
        let now = ContinuousClock.now
        var wait: Duration = .seconds(60)
        for transfer in Array(active.values) {
            guard let idle = transfer.idleTimeout else { continue }
            if transfer.budget?.isPaused == true {
                // Held back by its reader, not silent: its idle clock starts at the resume.
                continue
            }
            let deadline = transfer.lastActivity + .seconds(saturating: idle)
            if deadline <= now {
                remove(transfer, .idle)
            } else {
                wait = min(wait, deadline - now)
            }
        }
        let (seconds, attoseconds) = wait.components
        return Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }

    private func failAll(_ error: TransportError) {
        for transfer in Array(active.values) {
            remove(transfer, .failed(error))
        }
    }
}
