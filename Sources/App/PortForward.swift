// The offer to run `kubectl port-forward` to the mesh's Prometheus (issue 16). Since Linkerd
// 2.13 viz's Prometheus refuses the API server's service proxy (403); smitop then offers to
// run the forward itself. The offer opens by itself the first time (y starts it, n does not);
// F opens it again. The runtime owns the process and stops it on exit and on a context switch.

import Kube
import KubeCore

/// Where the offer stands. One per connected context (a switch starts over).
public enum PortForwardPhase: Sendable, Equatable {
    /// Nothing refused yet (or refused without a forward that would help).
    case none
    /// The question is on screen.
    case offered(PortForwardSuggestion)
    /// Answered no (F asks again).
    case declined(PortForwardSuggestion)
    /// y pressed: kubectl is starting.
    case starting(PortForwardSuggestion)
    /// kubectl forwards `url`; metrics are read through it.
    case running(PortForwardSuggestion, url: String, pid: Int32)
    case failed(PortForwardSuggestion, message: String)

    var suggestion: PortForwardSuggestion? {
        switch self {
        case .none: return nil
        case .offered(let s), .declined(let s), .starting(let s), .running(let s, _, _), .failed(let s, _): return s
        }
    }

    /// The URL metrics come through, while a forward runs.
    public var forwardedURL: String? {
        if case .running(_, let url, _) = self { return url }
        return nil
    }
}

extension AppState {
    /// The question shown while the offer is open (the footer's message line).
    public var portForwardPrompt: String? {
        guard case .offered(let s) = portForward else { return nil }
        return "Prometheus refused the API server's proxy (403). Run `\(s.commandLine)` and read metrics through it? y: start it  n: not now"
    }

    /// A metrics poll failed: a refusal a port-forward gets around opens the offer, once.
    mutating func offerPortForward(for error: KubeError) {
        guard let s = error.portForward, case .none = portForward else { return }
        portForward = .offered(s)
    }

    mutating func handlePortForwardKey(_ action: Action?) -> [Effect] {
        guard case .offered(let s) = portForward else { return [] }
        switch action {
        case .portForwardStart:
            portForward = .starting(s)
            set("starting \(s.commandLine) …")
            return [.startPortForward(s, context: context.context.isEmpty ? nil : context.context)]
        case .portForwardDecline:
            portForward = .declined(s)
            set("nothing started; F offers the port-forward again")
        default: break
        }
        return []
    }

    /// F: the offer again, or where the forward stands.
    mutating func reopenPortForwardOffer() {
        switch portForward {
        case .none:
            set("no port-forward to offer: Prometheus has not refused smitop", .warning)
        case .declined(let s), .failed(let s, _):
            portForward = .offered(s)
        case .offered: break
        case .starting(let s):
            set("\(s.commandLine) is starting")
        case .running(_, let url, let pid):
            set("kubectl port-forward (pid \(pid)) forwards \(url); it stops when smitop quits")
        }
    }

    mutating func portForwardStarted(url: String, pid: Int32) {
        guard let s = portForward.suggestion else { return }
        portForward = .running(s, url: clean(url, limit: 80), pid: pid)
        set("kubectl port-forward (pid \(pid)) forwards \(clean(url, limit: 80)): metrics come through it")
    }

    mutating func portForwardFailed(_ message: String) {
        // Starting, or running until kubectl ended by itself.
        guard let s = portForward.suggestion else { return }
        portForward = .failed(s, message: clean(message, limit: 400))
        set("port-forward: \(clean(message, limit: 400)) (F to try again)", .error)
    }
}
