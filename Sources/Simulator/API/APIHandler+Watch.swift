import Foundation
import Hummingbird
import KubeCore
import NIOCore

// Watch: the event stream, its timeout and bookmarks, and the faults that end it.

extension APIHandler {
    func watch(_ r: APIRequest, _ target: ResourceTarget, request: Request, context: SimContext) throws -> Response {
        let t = target.type
        let sel = try selection(r, target)
        let rvParam = r.query["resourceVersion"] ?? ""
        let fromRV: Int?
        if rvParam.isEmpty || rvParam == "0" {
            fromRV = nil
        } else if let n = Int(rvParam) {
            fromRV = n
        } else {
            throw APIError.badRequest("resourceVersion: Invalid value: \"\(rvParam)\": must be a decimal integer")
        }
        let table = r.wantsTable
        let includeObject = r.query["includeObject"]
        let bookmarks = r.flag("allowWatchBookmarks")
        let timeout = r.query["timeoutSeconds"].flatMap { Double($0) }
        let store = sim.store
        let version = target.version
        let sim = self.sim
        let handler = self

        // The real server answers an expired resourceVersion with 200 and one ERROR event.
        var expired: APIError? = nil
        var registration: (id: Int, stream: AsyncStream<WatchItem>)? = nil
        if sim.faults.takeExpireWatch() {
            expired = APIError.gone("too old resource version: \(fromRV ?? 0) (\(store.currentRV))")
        } else {
            do { registration = try store.watch(t, selection: sel, fromRV: fromRV) } catch { expired = error }
        }
        let expiredNow = expired
        let reg = registration
        let dropAtStart = sim.faults.drops.generation
        let channel = context.channel
        let bookmarkInterval = sim.options.bookmarkInterval

        let body = ResponseBody { writer in
            if let expired = expiredNow {
                try await writer.write(ByteBuffer(bytes: Self.eventLine(type: "ERROR", object: expired.status.serialized())))
                try await writer.finish(nil)
                return
            }
            guard let (id, stream) = reg else { return }
            defer { store.stopWatch(id) }
            try await request.body.consumeWithCancellationOnInboundClose { _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // The timeout and bookmarks: one sleep until whichever is due next, so an
                    // idle watch costs no wakeups (a watch without either sleeps until
                    // cancelled). Both end or feed the stream through the store.
                    group.addTask {
                        let started = Date()
                        let deadline = timeout.map { started.addingTimeInterval($0) }
                        // As kube-apiserver: every interval, and once 2 s before the deadline
                        // so the client resumes from the newest resourceVersion.
                        func bookmarkAfter(_ t: Date) -> Date {
                            let periodic = t.addingTimeInterval(bookmarkInterval)
                            guard let last = deadline?.addingTimeInterval(-2), last > t else { return periodic }
                            return min(periodic, last)
                        }
                        var nextBookmark = bookmarkAfter(started)
                        while !Task.isCancelled {
                            let due = min(deadline ?? .distantFuture, bookmarks ? nextBookmark : .distantFuture)
                            let wait = min(due.timeIntervalSinceNow, 86_400)
                            if wait > 0 { try await Task.sleep(for: .seconds(saturating: wait + 0.001)) }
                            if let deadline, Date() >= deadline {
                                store.stopWatch(id)
                                return
                            }
                            if bookmarks, Date() >= nextBookmark {
                                nextBookmark = bookmarkAfter(Date())
                                store.bookmark(id)
                            }
                        }
                    }
                    // The "drop watches" fault, waited for rather than polled.
                    group.addTask {
                        await sim.faults.drops.wait(past: dropAtStart)
                        if Task.isCancelled { return }
                        // An abrupt drop: no terminating chunk, as when a proxy dies.
                        channel.close(promise: nil)
                        store.stopWatch(id)
                    }
                    for await item in stream {
                        let line: [UInt8]
                        switch item {
                        case .event(let e):
                            let obj: [UInt8]
                            if table {
                                let tbl = Tables.table(
                                    for: t, version: version, objects: [handler.present(e.object, t, version)], listRV: nil,
                                    continueToken: nil, remaining: nil, includeObject: includeObject)
                                obj = tbl.serialized()
                            } else {
                                obj = handler.present(e.object, t, version).serialized()
                            }
                            line = Self.eventLine(type: e.type.rawValue, object: obj)
                        case .bookmark(let rv):
                            guard bookmarks else { continue }
                            let bm: JSON = [
                                "kind": .string(t.kind), "apiVersion": .string(t.apiVersion(version)),
                                "metadata": ["resourceVersion": .string(String(rv))],
                            ]
                            line = Self.eventLine(type: "BOOKMARK", object: bm.serialized())
                        case .error(let e):
                            line = Self.eventLine(type: "ERROR", object: e.status.serialized())
                        }
                        await sim.faults.waitWhileBlackholed()
                        try await writer.write(ByteBuffer(bytes: line))
                    }
                    group.cancelAll()
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache, private"], body: body)
    }

    static func eventLine(type: String, object: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(object.count + 32)
        out.append(contentsOf: #"{"type":""#.utf8)
        out.append(contentsOf: type.utf8)
        out.append(contentsOf: #"","object":"#.utf8)
        out.append(contentsOf: object)
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}
