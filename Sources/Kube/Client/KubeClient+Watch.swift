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
        // Pulled, not pushed: the next piece of the body is read and decoded only when the
        // consumer asks for the next event, so a consumer that falls behind holds back the
        // transport (which pauses the transfer) instead of events piling up in between.
        let puller = WatchPuller(
            client: self, path: path, query: query, operation: operation, idleTimeout: idleTimeout, freshConnection: freshConnection)
        return AsyncThrowingStream(unfolding: { try await puller.next() })
    }
}

/// One watch request's events, decoded as the consumer asks for them, with the 401 retry.
/// `@unchecked Sendable`: `AsyncThrowingStream(unfolding:)` calls `next` one call at a time.
private final class WatchPuller: @unchecked Sendable {
    let client: KubeClient
    let path: String
    let query: [(String, String)]
    let operation: String?
    let idleTimeout: Double?
    let freshConnection: Bool

    private var chunks: AsyncThrowingStream<StreamChunk, any Error>.Iterator?
    private var decoder = WatchFrameDecoder()
    private var ready: [WatchEvent] = []
    private var readyIndex = 0
    private var retried = false
    private var ended = false
    private var errorStatus: Int?
    private var errorHeaders: [HTTPHeader] = []
    private var errorBody: [UInt8] = []

    init(client: KubeClient, path: String, query: [(String, String)], operation: String?, idleTimeout: Double?, freshConnection: Bool) {
        self.client = client
        self.path = path
        self.query = query
        self.operation = operation
        self.idleTimeout = idleTimeout
        self.freshConnection = freshConnection
    }

    func next() async throws(KubeError) -> WatchEvent? {
        while true {
            if readyIndex < ready.count {
                defer { readyIndex += 1 }
                return ready[readyIndex]
            }
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            if ended { return nil }
            if chunks == nil { try await open() }
            let chunk: StreamChunk?
            do {
                chunk = try await chunks!.next()
            } catch let e as TransportError {
                ended = true
                throw KubeError(e, operation: operation)
            } catch is CancellationError {
                ended = true
                throw cancelled()
            } catch let e as KubeError {
                ended = true
                throw e
            } catch {
                ended = true
                throw KubeError(TransportError(kind: .other, message: String(describing: error)), operation: operation)
            }
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
                    ready = decoder.feed(bytes)
                }
            case nil:
                // The stream ends without an error when its consumer was cancelled, too.
                if Task.isCancelled {
                    ended = true
                    throw cancelled()
                }
                if let status = errorStatus {
                    // As for requests: whenever credentials are sent (TLS, or loopback http).
                    if status == 401, !retried, client.sendsCredentials, await client.credentials.invalidate() {
                        retried = true
                        chunks = nil
                        errorStatus = nil
                        errorHeaders = []
                        errorBody = []
                        decoder = WatchFrameDecoder()
                        continue
                    }
                    ended = true
                    throw client.annotate(
                        KubeError.fromResponse(HTTPResponse(status: status, headers: errorHeaders, body: errorBody), operation: operation))
                }
                ended = true
                ready = decoder.finish()
            }
        }
    }

    private func open() async throws(KubeError) {
        // No whole-request timeout: a watch lives as long as the server keeps it.
        var req = HTTPRequest(method: "GET", url: client.url(path: path, query: query), timeout: nil, idleTimeout: idleTimeout)
        req.freshConnection = freshConnection
        req.headers.append(HTTPHeader("Accept", "application/json"))
        do {
            let t = try await client.prepare(&req)
            chunks = t.stream(req).makeAsyncIterator()
        } catch {
            ended = true
            throw error
        }
    }

    private func cancelled() -> KubeError {
        KubeError(TransportError(kind: .cancelled, message: "cancelled"), operation: operation)
    }
}
