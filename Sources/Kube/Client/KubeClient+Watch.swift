import Foundation

// Watches: events from a streamed response, with the 401 retry of `send`.

extension KubeClient {
    /// A watch as events. The stream finishes when the server ends the body, and throws a
    /// `KubeError` for an HTTP error or a transport failure. Cancelling the consumer cancels
    /// the request.
    public func watch(
        _ r: GroupVersionResource, namespace: String?, resourceVersion: String?, allowBookmarks: Bool = true,
        labelSelector: String? = nil, fieldSelector: String? = nil, timeoutSeconds: Int? = nil,
        idleTimeout: Double? = nil, freshConnection: Bool = false
    ) -> AsyncThrowingStream<WatchEvent, any Error> {
        var query: [(String, String)] = []
        if allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let f = fieldSelector, !f.isEmpty { query.append(("fieldSelector", f)) }
        if let l = labelSelector, !l.isEmpty { query.append(("labelSelector", l)) }
        if let rv = resourceVersion { query.append(("resourceVersion", rv)) }
        if let t = timeoutSeconds { query.append(("timeoutSeconds", String(t))) }
        query.append(("watch", "true"))
        return watch(
            path: resourcePath(r, namespace: namespace), query: query, operation: "watch \(r)", idleTimeout: idleTimeout,
            freshConnection: freshConnection)
    }

    /// `idleTimeout`: fail with `.transport(.idleTimeout)` when no byte (event, bookmark,
    /// headers) arrived for that long; it is how a connection that went silent is noticed.
    public func watch(
        path: String, query: [(String, String)], operation: String? = nil, idleTimeout: Double? = nil,
        freshConnection: Bool = false
    ) -> AsyncThrowingStream<WatchEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.runWatch(
                        path: path, query: query, operation: operation, idleTimeout: idleTimeout, freshConnection: freshConnection
                    ) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func runWatch(
        path: String, query: [(String, String)], operation: String?, idleTimeout: Double?, freshConnection: Bool,
        yield: (WatchEvent) -> Void
    ) async throws(KubeError) {
        var retried = false
        attempt: while true {
            // No whole-request timeout: a watch lives as long as the server keeps it.
            var req = HTTPRequest(method: "GET", url: url(path: path, query: query), timeout: nil, idleTimeout: idleTimeout)
            req.freshConnection = freshConnection
            req.headers.append(HTTPHeader("Accept", "application/json"))
            let t = try await prepare(&req)
            var decoder = WatchFrameDecoder()
            var errorStatus: Int?
            var errorHeaders: [HTTPHeader] = []
            var errorBody: [UInt8] = []
            do {
                for try await chunk in t.stream(req) {
                    switch chunk {
                    case .head(let status, let headers):
                        if !(200..<300).contains(status) {
                            errorStatus = status
                            errorHeaders = headers
                        }
                    case .data(let bytes):
                        if errorStatus != nil {
                            // An error body is summarised, never kept whole.
                            if errorBody.count < 65536 { errorBody += bytes.prefix(65536 - errorBody.count) }
                        } else {
                            for e in decoder.feed(bytes) { yield(e) }
                        }
                    }
                }
            } catch let e as TransportError {
                throw KubeError(e, operation: operation)
            } catch is CancellationError {
                throw KubeError(TransportError(kind: .cancelled, message: "cancelled"), operation: operation)
            } catch let e as KubeError {
                throw e
            } catch {
                throw KubeError(TransportError(kind: .other, message: String(describing: error)), operation: operation)
            }
            if let status = errorStatus {
                // As for requests: whenever credentials are sent (TLS, or loopback http).
                if status == 401, !retried, sendsCredentials, await credentials.invalidate() {
                    retried = true
                    continue attempt
                }
                throw annotate(KubeError.fromResponse(HTTPResponse(status: status, headers: errorHeaders, body: errorBody), operation: operation))
            }
            for e in decoder.finish() { yield(e) }
            return
        }
    }
}
