internal import CCurl
import Kube
import KubeCore
import Synchronization

/// One request: its easy handle, the memory libcurl borrows for it, and where the result goes.
///
/// Threading contract (why `@unchecked Sendable` holds): the submitting thread configures the
/// handle and sets `sink` before `NetworkEngine.submit`, whose mutex publishes those writes;
/// from then on only the network thread touches the mutable state. `cancelRequested` is the
/// single field written from elsewhere afterwards, and it sits behind its own mutex.
final class Transfer: @unchecked Sendable {
    enum Sink {
        case buffered(CheckedContinuation<Result<HTTPResponse, TransportError>, Never>)
        case stream(AsyncThrowingStream<StreamChunk, any Error>.Continuation)
    }

    enum Outcome {
        case curl(CURLcode)
        case cancelled
        case idle
        case failed(TransportError)
    }

    let easy: UnsafeMutableRawPointer
    /// libcurl keeps pointers to these lists until the handle is cleaned up.
    var headerList: UnsafeMutablePointer<curl_slist>?
    var connectToList: UnsafeMutablePointer<curl_slist>?
    /// CURLOPT_ERRORBUFFER: libcurl writes the detailed reason here (TLS alerts, OS errors).
    let errorBuffer: UnsafeMutablePointer<CChar>
    var sink: Sink?
    /// Keeps the transport (and so its network thread) alive while requests are in flight,
    /// even if the caller dropped its reference; cleared when the transfer ends.
    var owner: AnyObject?
    let cancelRequested = Mutex(false)

    let idleTimeout: Double?
    var lastActivity = ContinuousClock.now
    var failure: FailureContext
    private var head = ResponseHeadParser()
    private var headDelivered = false
    private var body: [UInt8] = []
    private var receivedAnything = false
    private var cleanedUp = false

    var maxBodyBytes = Int.max
    var bodyTooLarge = false
    /// Streams only: the bytes yielded and not yet taken by the consumer.
    var budget: StreamBudget?

    /// What the write callback tells libcurl.
    enum Reception {
        case accepted
        /// Abort the transfer.
        case refused
        /// Hold these bytes and read nothing more until the engine resumes the transfer.
        case pause
    }

    init(easy: UnsafeMutableRawPointer, idleTimeout: Double?, display: String, proxyHost: String?, isTLS: Bool) {
        self.easy = easy
        self.idleTimeout = idleTimeout
        let size = Int(smt_curl_error_size())
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
        failure = FailureContext(
            display: display, reachedServer: false, mayHaveBeenSent: false, proxyHost: proxyHost, isTLS: isTLS)
    }

    deinit {
        releaseHandle()
        errorBuffer.deallocate()
    }

    var isStreaming: Bool {
        if case .stream = sink { return true }
        return false
    }

    // MARK: - Network thread only

    func didReceiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        receivedAnything = true
        lastActivity = .now
        if head.feed(line), case .stream(let continuation) = sink, !headDelivered {
            headDelivered = true
            continuation.yield(.head(status: head.status ?? 0, headers: head.headers))
        }
    }

    /// `.refused` aborts the transfer: the buffered body would pass `maxBodyBytes`. `.pause`:
    /// the stream's consumer is behind by its budget; libcurl delivers these bytes again
    /// after the resume.
    func didReceiveBody(_ bytes: UnsafeRawBufferPointer) -> Reception {
        receivedAnything = true
        lastActivity = .now
        switch sink {
        case .stream(let continuation):
            if !headDelivered {
                headDelivered = true
                continuation.yield(.head(status: responseCode(), headers: head.headers))
            }
            if let budget, !budget.admit(bytes.count) { return .pause }
            continuation.yield(.data(Array(bytes)))
        case .buffered:
            if body.count + bytes.count > maxBodyBytes {
                bodyTooLarge = true
                return .refused
            }
            if body.isEmpty { reserveDeclaredLength() }
            body.append(contentsOf: bytes)
        case nil:
            break
        }
        return .accepted
    }

    /// One allocation for a body whose length the server declared, instead of doubling from
    /// 16 KB (a 16 MB list was copied eleven times). Capped: the header is the server's word.
    private func reserveDeclaredLength() {
        guard let h = head.headers.last(where: { $0.name.lowercased() == "content-length" }),
            let n = Int(h.value.trimmingCharacters(in: .whitespaces)), n > 0
        else { return }
        body.reserveCapacity(min(n, maxBodyBytes, 64 << 20))
    }

    /// Delivers the result and frees the handle. The handle must already be out of the multi.
    func finish(_ outcome: Outcome) {
        updateFailureContext()
        let error: TransportError?
        switch outcome {
        case .curl(let code) where code == CURLE_OK:
            error = nil
        case .curl where bodyTooLarge:
            let limit = maxBodyBytes >= 1 << 20 ? "\(maxBodyBytes >> 20) MiB" : "\(maxBodyBytes) bytes"
            error = TransportError(
                kind: .other, message: "\(failure.display): the response is larger than \(limit); refused",
                mayHaveBeenSent: true)
        case .curl(let code):
            error = ErrorClassifier.classify(
                code: code.rawValue, curlText: code.text,
                detail: String(cString: errorBuffer), context: failure)
        case .cancelled:
            error = TransportError(
                kind: .cancelled, message: "\(failure.display): cancelled",
                mayHaveBeenSent: failure.mayHaveBeenSent)
        case .idle:
            error = TransportError(
                kind: .idleTimeout,
                message: "\(failure.display): no data received for \(idleTimeout ?? 0) s",
                mayHaveBeenSent: failure.mayHaveBeenSent)
        case .failed(let e):
            error = e
        }
        let status = head.status ?? responseCode()
        let sink = self.sink
        self.sink = nil
        releaseHandle()
        let owner = self.owner
        self.owner = nil

        switch sink {
        case .buffered(let continuation):
            if let error {
                continuation.resume(returning: .failure(error))
            } else {
                continuation.resume(
                    returning: .success(HTTPResponse(status: status, headers: head.headers, body: body)))
            }
        case .stream(let continuation):
            if let error {
                continuation.finish(throwing: error)
            } else {
                if !headDelivered {
                    headDelivered = true
                    continuation.yield(.head(status: status, headers: head.headers))
                }
                continuation.finish()
            }
        case nil:
            break
        }
        // The transport may deinit here, on the network thread; its deinit only signals.
        _ = owner
    }

    private func responseCode() -> Int {
        guard !cleanedUp else { return 0 }
        var code = 0
        if (try? Curl.check(smt_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code), "getinfo"))
            == nil
        {
            return 0
        }
        return code
    }

    private func updateFailureContext() {
        guard !cleanedUp else { return }
        var requestSize = 0
        var pretransfer: curl_off_t = 0
        if (try? Curl.check(smt_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestSize), "getinfo"))
            == nil
        {
            requestSize = 0
        }
        if (try? Curl.check(
            smt_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer), "getinfo")) == nil
        {
            pretransfer = 0
        }
        // Pre-transfer is the moment libcurl starts writing the request on an established
        // (possibly reused) connection: from then on the server may have seen it.
        failure.reachedServer = pretransfer > 0 || requestSize > 0 || receivedAnything
        failure.mayHaveBeenSent = failure.reachedServer
    }

    private func releaseHandle() {
        guard !cleanedUp else { return }
        cleanedUp = true
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectToList)
        headerList = nil
        connectToList = nil
    }
}

/// libcurl's C callbacks. Non-capturing, non-isolated statics: a closure formed in an
/// actor-isolated context would carry that isolation and trap when libcurl calls it from the
/// network thread. Context arrives as the unretained `Transfer` (the engine retains it).
enum Callbacks {
    static let write: smt_data_cb = { pointer, size, count, userdata in
        let length = size * count
        guard let userdata else { return length }
        let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
        switch transfer.didReceiveBody(UnsafeRawBufferPointer(start: pointer, count: length)) {
        case .accepted: return length
        // Returning less than the length makes libcurl abort the transfer.
        case .refused: return 0
        case .pause: return smt_writefunc_pause()
        }
    }

    static let header: smt_data_cb = { pointer, size, count, userdata in
        let length = size * count
        guard let userdata else { return length }
        let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
        transfer.didReceiveHeaderLine(UnsafeRawBufferPointer(start: pointer, count: length))
        return length
    }
}

/// The bytes a streamed response has handed to its consumer that the consumer has not taken
/// yet, against a limit. The network thread admits each piece before yielding it; past the
/// limit it pauses the transfer instead (`CURL_WRITEFUNC_PAUSE`), and the consumer's taking
/// the buffer down to half the limit asks for the resume. So a reader that falls behind holds
/// back the connection (HTTP/1.1: the socket is not read; HTTP/2: the stream's window is not
/// reopened), and memory stays at the limit whatever the server sends.
final class StreamBudget: Sendable {
    struct State {
        var buffered = 0
        /// True from the pause until the network thread has resumed the transfer (not merely
        /// been asked to): the idle clock must not run in between.
        var paused = false
        var resumeRequested = false
        /// The most ever held at once, and how often the transfer was paused (tests read them).
        var highWater = 0
        var pauses = 0
    }

    let limit: Int
    let state = Mutex(State())

    init(limit: Int) { self.limit = max(1, limit) }

    /// Network thread: may `count` more bytes be handed over now? One piece is always let
    /// through into an empty buffer, however large, so a piece above the limit cannot stall.
    func admit(_ count: Int) -> Bool {
        state.withLock { s in
            if s.buffered > 0, s.buffered > limit &- count {
                if !s.paused { s.pauses &+= 1 }
                s.paused = true
                return false
            }
            s.buffered &+= count
            s.highWater = max(s.highWater, s.buffered)
            return true
        }
    }

    /// Consumer: `count` bytes taken. True when the transfer is paused and should resume now
    /// (once: until the network thread has resumed it, further takes ask nothing more).
    func take(_ count: Int) -> Bool {
        state.withLock { s in
            s.buffered = max(0, s.buffered &- count)
            guard s.paused, !s.resumeRequested, s.buffered <= limit / 2 else { return false }
            s.resumeRequested = true
            return true
        }
    }

    /// Network thread, just before it unpauses the transfer.
    func resumed() {
        state.withLock { s in
            s.paused = false
            s.resumeRequested = false
        }
    }

    /// A transfer held back by its reader is not a silent connection.
    var isPaused: Bool { state.withLock { $0.paused } }
}
