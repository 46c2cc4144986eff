import Foundation
import KubeCore

// Events the simulated controllers emit, as a real cluster's would: core v1 Events (what
// `kubectl get events` and `kubectl describe` read) and their events.k8s.io/v1 twins. A repeat
// of the same reason and message about the same object bumps `count`/`series` instead of
// adding a new Event, as client-go's event correlator does.

extension Simulator {
    struct EventSpec {
        var regarding: JSON  // the object the event is about
        var type = "Normal"
        var reason: String
        var message: String
        var component: String
        var action: String
    }

    /// Events live an hour, as kube-apiserver's --event-ttl keeps them.
    static let eventTTL: TimeInterval = 3600

    func recordEvent(_ e: EventSpec) {
        guard let core = registry.find(group: "", resource: "events"),
            let twin = registry.find(group: "events.k8s.io", resource: "events")
        else { return }
        pruneEvents(core: core, twin: twin)
        let objName = e.regarding[path: "metadata", "name"]?.stringValue ?? ""
        let objNS = e.regarding[path: "metadata", "namespace"]?.stringValue ?? ""
        // Events about cluster-scoped objects live in "default", as on a real cluster.
        let ns = objNS.isEmpty ? "default" : objNS
        let uid = e.regarding[path: "metadata", "uid"]?.stringValue ?? ""
        var h: UInt64 = 14_695_981_039_346_656_037
        for b in "\(uid)|\(e.reason)|\(e.message)|\(e.component)".utf8 {
            h ^= UInt64(b)
            h = h &* 1_099_511_628_211
        }
        let name = String(objName.prefix(236)) + "." + String(h, radix: 16)
        let now = Date()
        let stamp = KubeTime.format(now)
        let micro = KubeTime.formatMicro(now)
        var ref: JSON = [
            "kind": e.regarding["kind"] ?? "", "name": .string(objName), "uid": .string(uid),
            "apiVersion": e.regarding["apiVersion"] ?? "", "resourceVersion": e.regarding[path: "metadata", "resourceVersion"] ?? "",
        ]
        if !objNS.isEmpty { ref["namespace"] = .string(objNS) }

        let bumped = try? store.update(core, namespace: ns, name: name, expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
            var o = cur
            o["count"] = .int((cur["count"]?.intValue ?? 1) + 1)
            o["lastTimestamp"] = .string(stamp)
            o["involvedObject"] = ref
            return o
        }
        if let bumped {
            let count = bumped.0.object["count"] ?? 2
            _ = try? store.update(twin, namespace: ns, name: name, expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
                var o = cur
                o["series"] = ["count": count, "lastObservedTime": .string(micro)]
                o["deprecatedCount"] = count
                o["deprecatedLastTimestamp"] = .string(stamp)
                return o
            }
            return
        }
        var meta: JSON = ["name": .string(name), "namespace": .string(ns)]
        var coreEvent: JSON = [
            "apiVersion": "v1", "kind": "Event", "metadata": meta, "involvedObject": ref, "reason": .string(e.reason),
            "message": .string(e.message), "source": ["component": .string(e.component)], "firstTimestamp": .string(stamp),
            "lastTimestamp": .string(stamp), "count": 1, "type": .string(e.type), "eventTime": .string(micro),
            "reportingComponent": .string(e.component), "reportingInstance": "",
        ]
        coreEvent = Writes.fillNewMetadata(coreEvent, t: core, now: now, namespace: ns)
        meta = coreEvent["metadata"] ?? meta
        _ = try? store.create(core, namespace: ns, name: name, object: coreEvent, dryRun: false)
        var twinEvent: JSON = [
            "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta, "eventTime": .string(micro),
            "reportingController": .string(e.component), "reportingInstance": "", "action": .string(e.action),
            "reason": .string(e.reason), "regarding": ref, "note": .string(e.message), "type": .string(e.type),
            "deprecatedSource": ["component": .string(e.component)], "deprecatedFirstTimestamp": .string(stamp),
            "deprecatedLastTimestamp": .string(stamp), "deprecatedCount": 1,
        ]
        twinEvent = removePath(twinEvent, ["metadata", "resourceVersion"])
        _ = try? store.create(twin, namespace: ns, name: name, object: twinEvent, dryRun: false)
    }
}

extension KubeTime {
    /// metav1.MicroTime's form: microseconds, UTC.
    static func formatMicro(_ d: Date) -> String {
        let base = format(d)  // 2026-01-01T00:00:00Z
        let micros = Int(saturating: (d.timeIntervalSince1970 - d.timeIntervalSince1970.rounded(.down)) * 1_000_000)
        let frac = String(format: "%06d", min(max(micros, 0), 999_999))
        return String(base.dropLast()) + "." + frac + "Z"
    }
}

extension Simulator {
    /// What Flagger reports when it moves a canary's weight (its events name the Canary; the
    /// simulator has no Canary kind, so the split is the object).
    func recordWeightChange(_ split: JSON, manager: String) {
        let backends = split[path: "spec", "backends"]?.arrayValue ?? []
        let weights = backends.map { "\($0["service"]?.stringValue ?? "?")=\($0["weight"].map { $0.stringValue ?? $0.compactString } ?? "0")" }
        let name = split[path: "metadata", "name"]?.stringValue ?? ""
        let ns = split[path: "metadata", "namespace"]?.stringValue ?? ""
        recordEvent(
            EventSpec(
                regarding: split, reason: "Synced", message: "Advance \(name).\(ns) canary weights \(weights.joined(separator: ", "))",
                component: manager, action: "Advance"))
    }
}

extension Simulator {
    /// Faults switched on at run time leave a Warning Event in `default` (about that
    /// namespace), so `kubectl get events -w` shows when and what was injected, next to what
    /// the clients then report.
    func recordFaultEvents(_ patch: JSON) {
        guard let nsType = registry.find(group: "", resource: "namespaces"),
            let ns = store.get(nsType, namespace: "", name: "default")?.object
        else { return }
        var notes: [(String, String)] = []
        if patch["dropWatchesNow"]?.boolValue == true { notes.append(("WatchesDropped", "every open watch connection was cut")) }
        if patch["expireWatchesNow"]?.boolValue == true { notes.append(("WatchesExpired", "every open watch got a 410 Expired ERROR event")) }
        if let n = patch["errorBurst"]?.intValue, n > 0 { notes.append(("ErrorBurst", "the next \(n) requests fail with a 5xx Status")) }
        if let n = patch["throttleBurst"]?.intValue, n > 0 { notes.append(("ThrottleBurst", "the next \(n) requests get 429 with Retry-After")) }
        if let n = patch["expireWatches"]?.intValue, n > 0 { notes.append(("WatchesWillExpire", "the next \(n) watches get a 410 Expired ERROR event")) }
        if patch["blackhole"]?.boolValue == true { notes.append(("Blackhole", "requests hang unanswered and watches stop delivering")) }
        if let n = patch["dropResponses"]?.intValue, n > 0 {
            notes.append(("ResponsesDropped", "the next \(n) successful writes lose their response"))
        }
        if let n = patch["statusRaces"]?.intValue, n > 0 {
            notes.append(("StatusRaces", "the next \(n) writes to an object with a status meet a status write of the mesh first"))
        }
        for (name, v) in (patch["degrade"]?.objectValue ?? JSONObject()).sorted(by: { $0.key < $1.key }) {
            let shown = sanitizedForDisplay(name, limit: 300)
            if v.isNull {
                notes.append(("DegradationCleared", "mesh traffic to \(shown) is back to the scenario's behaviour"))
            } else {
                let g = Degradation(
                    errors: v["errors"]?.doubleValue ?? 0, latencyFactor: v["latencyFactor"]?.doubleValue ?? 1, above: v["above"]?.doubleValue ?? 0)
                notes.append(("Degraded", "mesh traffic to \(shown) degraded: \(g.text)"))
            }
        }
        for (reason, message) in notes {
            recordEvent(
                EventSpec(regarding: ns, type: "Warning", reason: reason, message: "fault injected: \(message)", component: "smitop-sim", action: "Inject"))
        }
    }
}

extension Simulator {
    /// Deletes Events last seen more than `eventTTL` ago, at most once a minute (a busy
    /// simulator must not grow its event list without bound).
    func pruneEvents(core: ResourceType, twin: ResourceType) {
        let now = Date()
        let due = controllerState.withLock { st -> Bool in
            guard now.timeIntervalSince(st.lastEventPrune) >= 60 else { return false }
            st.lastEventPrune = now
            return true
        }
        guard due else { return }
        for t in [core, twin] {
            for so in store.all(t) {
                let o = so.object
                let seen = (o["lastTimestamp"] ?? o["deprecatedLastTimestamp"] ?? o[path: "metadata", "creationTimestamp"])?.stringValue
                guard let seen, let d = KubeTime.parse(seen), now.timeIntervalSince(d) > Self.eventTTL else { continue }
                _ = try? store.delete(
                    t, namespace: o[path: "metadata", "namespace"]?.stringValue ?? "", name: o[path: "metadata", "name"]?.stringValue ?? "",
                    expectedRV: nil, dryRun: false)
            }
        }
    }
}
