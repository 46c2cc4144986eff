import Hummingbird
import KubeCore

// The admin endpoint (/sim/admin/…): fault switches and state, off unless --admin and only
// for loopback clients.

extension APIHandler {
    func admin(request: inout Request, context: SimContext, segments: [String]) async -> Response {
        guard sim.options.adminEnabled else {
            return Self.status(APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource"))
        }
        // Loopback only: the fault switches must never be reachable from elsewhere.
        let remote = context.channel.remoteAddress?.ipAddress ?? ""
        guard remote == "127.0.0.1" || remote == "::1" || remote.hasPrefix("127.") || remote == "::ffff:127.0.0.1" else {
            return Self.status(APIError(code: 403, reason: "Forbidden", message: "the admin endpoint only answers loopback clients"))
        }
        switch (request.method, segments) {
        case (.get, ["faults"]):
            return Self.json(sim.faults.settings.withLock { $0.json })
        case (.post, ["faults"]), (.put, ["faults"]), (.patch, ["faults"]):
            guard let buf = try? await request.collectBody(upTo: 1 << 20), let patch = try? JSON.parse(Array(buf.readableBytesView)) else {
                return Self.status(APIError.badRequest("the body must be a JSON object of fault settings"))
            }
            do {
                try checkRouteActors(patch["routeActors"])
                let updated = try sim.faults.settings.withLock { (s) throws(APIError) -> JSON in
                    try s.merge(patch, workloadExists: { sim.traffic.traffic(of: $0) != nil })
                    return s.json
                }
                sim.faults.changes.bump()
                sim.recordFaultEvents(patch)
                if patch["dropWatchesNow"]?.boolValue == true { sim.faults.drops.bump() }
                if patch["expireWatchesNow"]?.boolValue == true {
                    sim.store.finishAllWatches(with: .error(APIError.gone("too old resource version: 0 (\(sim.store.currentRV))")))
                }
                return Self.json(updated)
            } catch {
                return Self.status(error)
            }
        case (.get, ["state"]):
            return Self.json(["resourceVersion": .int(sim.store.currentRV), "watches": .int(sim.store.watcherCount)])
        default:
            return Self.status(APIError(code: 404, reason: "NotFound", message: "unknown admin path"))
        }
    }

    /// Route actors write HTTPRoutes: refused where the profile serves none (after the keys
    /// are checked, so a typo is named as such).
    private func checkRouteActors(_ actors: JSON?) throws(APIError) {
        guard let actors, let o = actors.objectValue, o.contains(where: { !$0.value.isNull }) else { return }
        try FaultSettings.rejectUnknown(actors, known: Set(RouteActor.Kind.allCases.map(\.rawValue)), in: "routeActors")
        guard sim.httpRouteType != nil else {
            throw APIError.badRequest("routeActors: profile \(sim.options.profile.rawValue) serves no HTTPRoutes (use linkerd-gamma, istio or all)")
        }
    }
}
