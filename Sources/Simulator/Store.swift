import Foundation
import KubeCore
import SMI
import Synchronization

/// An API error as the real server words it; the HTTP layer turns it into a `metav1.Status`.
struct APIError: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    var details: JSON? = nil
    var retryAfter: Int? = nil

    var status: JSON {
        var s: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure",
            "message": .string(message), "reason": .string(reason),
        ]
        if let details { s["details"] = details }
        s["code"] = .int(code)
        return s
    }

    static func notFound(_ t: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(t.groupResource) \"\(name)\" not found",
            details: ["name": .string(name), "group": .string(t.group), "kind": .string(t.resource)])
    }

    static func conflict(_ t: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(t.groupResource) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: ["name": .string(name), "group": .string(t.group), "kind": .string(t.resource)])
    }

    static func alreadyExists(_ t: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(t.groupResource) \"\(name)\" already exists",
            details: ["name": .string(name), "group": .string(t.group), "kind": .string(t.resource)])
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    static func invalid(_ kind: String, _ group: String, _ name: String, causes: [JSON]) -> APIError {
        let text = causes.map { c -> String in
            let field = c["field"]?.stringValue ?? ""
            let msg = c["message"]?.stringValue ?? ""
            return field.isEmpty ? msg : "\(field): \(msg)"
        }
        let joined = text.count == 1 ? text[0] : "[" + text.joined(separator: ", ") + "]"
        return APIError(
            code: 422, reason: "Invalid", message: "\(kind).\(group) \"\(name)\" is invalid: \(joined)",
            details: [
                "name": .string(name), "group": .string(group), "kind": .string(kind), "causes": .array(causes),
            ])
    }
}

enum WatchEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
}

struct StoreEvent: Sendable {
    var rv: Int
    var type: WatchEventType
    var typeKey: String
    var namespace: String
    var name: String
    var object: JSON
}

/// What a watcher receives: store events, bookmarks and terminal errors.
enum WatchItem: Sendable {
    case event(StoreEvent)
    case bookmark(rv: Int)
    case error(APIError)
}

struct StoredObject: Sendable {
    var object: JSON
    var rv: Int
    /// Serialised once per write: lists of 10,000 objects are then a concatenation.
    var bytes: [UInt8]
}

/// Filters a list or watch applies.
struct Selection: Sendable {
    var namespace: String?
    var labels: LabelSelector?
    var fields: FieldSelector?

    func matches(namespace ns: String, name: String, object: JSON) -> Bool {
        if let namespace, namespace != ns { return false }
        if let fields, !fields.matches(namespace: ns, name: name, object: object) { return false }
        if let labels, !labels.matches(object[path: "metadata", "labels"]?.objectValue) { return false }
        return true
    }
}

/// The cluster's object store: one global resourceVersion counter, an event window for
/// watches, and per-type maps. It plays etcd plus the watch cache: every write bumps the
/// counter once and emits exactly one event; a no-op write bumps nothing.
final class ObjectStore: Sendable {
    struct Watcher {
        var typeKey: String
        var selection: Selection
        var continuation: AsyncStream<WatchItem>.Continuation
    }

    struct State {
        var rv = 1000
        var objects: [String: [String: StoredObject]] = [:]
        var sortedKeys: [String: [String]] = [:]
        var events: [StoreEvent] = []
        var eventsStart = 0  // index of the oldest live event in `events` (ring by compaction)
        /// Watches from a resourceVersion older than this get 410 Gone.
        var oldestWatchableRV = 1000
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 1
        /// The resourceVersion of each type's latest change: lets controllers skip a pass
        /// when nothing they follow was written.
        var lastChangeByType: [String: Int] = [:]
    }

    let state = Mutex(State())
    /// Bumped by every committed change: lets background work follow writes without a timer.
    let commits = Signal()
    /// How many events the watch window keeps (the real server keeps ~5 minutes of history).
    let windowSize: Int

    init(windowSize: Int = 20_000) {
        self.windowSize = windowSize
    }

    static func key(_ ns: String, _ name: String) -> String { ns.isEmpty ? name : ns + "/" + name }

    var currentRV: Int { state.withLock { $0.rv } }

    func get(_ t: ResourceType, namespace: String, name: String) -> StoredObject? {
        state.withLock { $0.objects[t.key]?[Self.key(namespace, name)] }
    }

    func count(_ t: ResourceType) -> Int { state.withLock { $0.objects[t.key]?.count ?? 0 } }

    /// Every object of a type (for the traffic model and tables); no copy of the JSON trees.
    func all(_ t: ResourceType) -> [StoredObject] {
        state.withLock { s in
            guard let objs = s.objects[t.key] else { return [] }
            return sortedKeys(&s, t.key).compactMap { objs[$0] }
        }
    }

    private func sortedKeys(_ s: inout State, _ typeKey: String) -> [String] {
        if let k = s.sortedKeys[typeKey] { return k }
        let k = (s.objects[typeKey] ?? [:]).keys.sorted()
        s.sortedKeys[typeKey] = k
        return k
    }

    struct ListPage {
        var items: [StoredObject]
        var rv: Int
        var continueToken: String?
        var remaining: Int?
    }

    /// A list, optionally paged. The continue token carries the list's resourceVersion and the
    /// last key served; a token older than the watch window is expired (410), as in the real
    /// server when etcd has compacted past it.
    func list(_ t: ResourceType, selection: Selection, limit: Int?, continueToken: String?) throws(APIError) -> ListPage {
        try state.withLock { (s) throws(APIError) -> ListPage in
            var startAfter: String? = nil
            var listRV = s.rv
            if let token = continueToken, !token.isEmpty {
                guard let c = ContinueToken.decode(token) else {
                    throw APIError.badRequest("continue key is not valid: illegal base64 data at input byte 0")
                }
                if c.rv < s.oldestWatchableRV {
                    throw APIError(
                        code: 410, reason: "Expired",
                        message:
                            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
                    )
                }
                startAfter = c.start
                listRV = c.rv
            }
            let objs = s.objects[t.key] ?? [:]
            let keys = sortedKeys(&s, t.key)
            var startIndex = 0
            if let startAfter {
                // First key strictly greater than the last one served.
                var lo = 0
                var hi = keys.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if keys[mid] <= startAfter { lo = mid + 1 } else { hi = mid }
                }
                startIndex = lo
            }
            var items: [StoredObject] = []
            let max = (limit ?? 0) > 0 ? limit! : Int.max
            var i = startIndex
            var lastKey: String? = nil
            while i < keys.count {
                let k = keys[i]
                i += 1
                guard let o = objs[k] else { continue }
                let (ns, name) = splitKey(k, namespaced: t.namespaced)
                guard selection.matches(namespace: ns, name: name, object: o.object) else { continue }
                if items.count == max {
                    i -= 1
                    break
                }
                items.append(o)
                lastKey = k
            }
            var token: String? = nil
            var remaining: Int? = nil
            if i < keys.count, let lastKey {
                token = ContinueToken(rv: listRV, start: lastKey).encode()
                // The real server reports remainingItemCount only without selectors.
                if selection.labels == nil && selection.fields == nil && selection.namespace == nil {
                    remaining = keys.count - i
                }
            }
            return ListPage(items: items, rv: s.rv, continueToken: token, remaining: remaining)
        }
    }

    func splitKey(_ k: String, namespaced: Bool) -> (String, String) {
        guard namespaced, let slash = k.firstIndex(of: "/") else { return ("", k) }
        return (String(k[..<slash]), String(k[k.index(after: slash)...]))
    }

    // MARK: Writes

    /// Stores `object` (already validated and defaulted) as a new object. The closure-free
    /// design keeps the critical section short: callers prepare objects outside the lock.
    func create(_ t: ResourceType, namespace: String, name: String, object: JSON, dryRun: Bool) throws(APIError) -> StoredObject {
        try state.withLock { (s) throws(APIError) -> StoredObject in
            let k = Self.key(namespace, name)
            if s.objects[t.key]?[k] != nil { throw APIError.alreadyExists(t, name) }
            let rv = dryRun ? s.rv : s.rv + 1
            var obj = removePath(object, ["metadata", "resourceVersion"])
            if !dryRun { obj = setPath(obj, ["metadata", "resourceVersion"], .string(String(rv))) }
            let stored = StoredObject(object: obj, rv: rv, bytes: obj.serialized())
            if dryRun { return stored }
            s.rv = rv
            s.objects[t.key, default: [:]][k] = stored
            s.sortedKeys[t.key] = nil
            emit(&s, StoreEvent(rv: rv, type: .added, typeKey: t.key, namespace: namespace, name: name, object: obj))
            return stored
        }
    }

    /// Replaces an object if `expectedRV` (when given) still matches. Returns the stored object
    /// and whether anything changed (a no-op keeps the resourceVersion).
    func update(
        _ t: ResourceType, namespace: String, name: String, expectedRV: Int?, dryRun: Bool,
        transform: (JSON) throws(APIError) -> JSON
    ) throws(APIError) -> (StoredObject, changed: Bool) {
        try state.withLock { (s) throws(APIError) -> (StoredObject, changed: Bool) in
            let k = Self.key(namespace, name)
            guard let current = s.objects[t.key]?[k] else { throw APIError.notFound(t, name) }
            if let expectedRV, expectedRV != current.rv { throw APIError.conflict(t, name) }
            var next = try transform(current.object)
            if Self.sameIgnoringVolatile(current.object, next) { return (current, false) }
            let rv = dryRun ? current.rv : s.rv + 1
            next = setPath(next, ["metadata", "resourceVersion"], .string(String(rv)))
            let stored = StoredObject(object: next, rv: rv, bytes: dryRun ? [] : next.serialized())
            if dryRun { return (stored, true) }
            s.rv = rv
            s.objects[t.key]![k] = stored
            emit(&s, StoreEvent(rv: rv, type: .modified, typeKey: t.key, namespace: namespace, name: name, object: next))
            return (stored, true)
        }
    }

    func delete(_ t: ResourceType, namespace: String, name: String, expectedRV: Int?, dryRun: Bool) throws(APIError) -> JSON {
        try state.withLock { (s) throws(APIError) -> JSON in
            let k = Self.key(namespace, name)
            guard let current = s.objects[t.key]?[k] else { throw APIError.notFound(t, name) }
            if let expectedRV, expectedRV != current.rv { throw APIError.conflict(t, name) }
            if dryRun { return current.object }
            let rv = s.rv + 1
            s.rv = rv
            s.objects[t.key]![k] = nil
            s.sortedKeys[t.key] = nil
            // The DELETED event carries the object at the deletion's resourceVersion.
            let obj = setPath(current.object, ["metadata", "resourceVersion"], .string(String(rv)))
            emit(&s, StoreEvent(rv: rv, type: .deleted, typeKey: t.key, namespace: namespace, name: name, object: obj))
            return obj
        }
    }

    /// Loads objects at start-up (scenario or state directory) without emitting events: they
    /// exist before any watch could start, as a restarted API server's do.
    func load(_ t: ResourceType, namespace: String, name: String, object: JSON, rv: Int? = nil) {
        state.withLock { s in
            let r = rv ?? (s.rv + 1)
            s.rv = max(s.rv, r)
            let obj = setPath(object, ["metadata", "resourceVersion"], .string(String(r)))
            s.objects[t.key, default: [:]][Self.key(namespace, name)] = StoredObject(object: obj, rv: r, bytes: obj.serialized())
            s.sortedKeys[t.key] = nil
            s.oldestWatchableRV = s.rv
        }
    }

    /// Ignores resourceVersion and managedFields timestamps when deciding whether a write
    /// changed anything, as the real server's no-op detection does.
    static func sameIgnoringVolatile(_ a: JSON, _ b: JSON) -> Bool {
        func strip(_ v: JSON) -> JSON {
            var v = removePath(v, ["metadata", "resourceVersion"])
            if let mf = v[path: "metadata", "managedFields"]?.arrayValue {
                v = setPath(
                    v, ["metadata", "managedFields"],
                    .array(
                        mf.map { e in
                            var e = e
                            e["time"] = nil
                            return e
                        }))
            }
            return v
        }
        return strip(a) == strip(b)
    }

    private func emit(_ s: inout State, _ e: StoreEvent) {
        defer { commits.bump() }
        s.lastChangeByType[e.typeKey] = e.rv
        s.events.append(e)
        if s.events.count - s.eventsStart > windowSize {
            s.eventsStart += 1
            s.oldestWatchableRV = s.events[s.eventsStart].rv - 1
            // Compact the array now and then instead of on every event.
            if s.eventsStart > windowSize {
                s.events.removeFirst(s.eventsStart)
                s.eventsStart = 0
            }
        }
        for (_, w) in s.watchers where w.typeKey == e.typeKey {
            if w.selection.matches(namespace: e.namespace, name: e.name, object: e.object) {
                w.continuation.yield(.event(e))
            }
        }
    }

    /// The resourceVersion of the latest change to objects of `typeKey` (0: none since start).
    func lastChange(_ typeKey: String) -> Int { state.withLock { $0.lastChangeByType[typeKey] ?? 0 } }

    // MARK: Watch

    /// Registers a watcher. With `fromRV` nil (or "0") it first receives a synthetic ADDED
    /// for every current object; otherwise every retained event after `fromRV`, or 410 when
    /// that version has been compacted away.
    func watch(_ t: ResourceType, selection: Selection, fromRV: Int?) throws(APIError) -> (id: Int, stream: AsyncStream<WatchItem>) {
        let (stream, cont) = AsyncStream<WatchItem>.makeStream()
        let id = try state.withLock { (s) throws(APIError) -> Int in
            if let from = fromRV {
                if from < s.oldestWatchableRV {
                    throw APIError.gone("too old resource version: \(from) (\(s.oldestWatchableRV + 1))")
                }
                for e in s.events[s.eventsStart...] where e.rv > from && e.typeKey == t.key {
                    if selection.matches(namespace: e.namespace, name: e.name, object: e.object) {
                        cont.yield(.event(e))
                    }
                }
            } else {
                let objs = s.objects[t.key] ?? [:]
                for k in sortedKeys(&s, t.key) {
                    guard let o = objs[k] else { continue }
                    let (ns, name) = splitKey(k, namespaced: t.namespaced)
                    if selection.matches(namespace: ns, name: name, object: o.object) {
                        cont.yield(.event(StoreEvent(rv: o.rv, type: .added, typeKey: t.key, namespace: ns, name: name, object: o.object)))
                    }
                }
            }
            let id = s.nextWatcherID
            s.nextWatcherID += 1
            s.watchers[id] = Watcher(typeKey: t.key, selection: selection, continuation: cont)
            return id
        }
        return (id, stream)
    }

    func stopWatch(_ id: Int) {
        let w = state.withLock { $0.watchers.removeValue(forKey: id) }
        w?.continuation.finish()
    }

    var watcherCount: Int { state.withLock { $0.watchers.count } }

    /// Ends every open watch (server shutdown, or the "drop watches" fault).
    func finishAllWatches(with item: WatchItem? = nil) {
        let ws = state.withLock { s -> [Watcher] in
            let w = Array(s.watchers.values)
            s.watchers.removeAll()
            return w
        }
        for w in ws {
            if let item { w.continuation.yield(item) }
            w.continuation.finish()
        }
    }

    /// Sends a bookmark to every watcher that asked for them (the caller tracks which).
    func bookmark(_ id: Int) {
        state.withLock { s in
            s.watchers[id]?.continuation.yield(.bookmark(rv: s.rv))
        }
    }

    /// A full snapshot for the state directory.
    func snapshot() -> (rv: Int, objects: [(typeKey: String, object: JSON)]) {
        state.withLock { s in
            var out: [(String, JSON)] = []
            for (tk, objs) in s.objects.sorted(by: { $0.key < $1.key }) {
                for (_, o) in objs.sorted(by: { $0.key < $1.key }) { out.append((tk, o.object)) }
            }
            return (s.rv, out)
        }
    }

    func setRV(atLeast rv: Int) {
        state.withLock { s in
            s.rv = max(s.rv, rv)
            s.oldestWatchableRV = s.rv
        }
    }
}

func removePath(_ value: JSON, _ path: [String]) -> JSON {
    guard let first = path.first, case .object(var o) = value else { return value }
    if path.count == 1 {
        _ = o.removeValue(forKey: first)
    } else if let child = o[first] {
        o[first] = removePath(child, Array(path.dropFirst()))
    }
    return .object(o)
}

struct ContinueToken: Codable {
    var rv: Int
    var start: String

    func encode() -> String {
        let json: JSON = ["v": "meta.k8s.io/v1", "rv": .int(rv), "start": .string(start)]
        return Data(json.serialized()).base64EncodedString()
    }

    static func decode(_ s: String) -> ContinueToken? {
        guard let d = Data(base64Encoded: s), let j = try? JSON.parse(Array(d)),
            let rv = j["rv"]?.intValue, let start = j["start"]?.stringValue
        else { return nil }
        return ContinueToken(rv: Int(rv), start: start)
    }
}
