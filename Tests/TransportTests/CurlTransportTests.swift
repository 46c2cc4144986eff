import Foundation
import Glibc
import Kube
import KubeCore
import Testing

@testable import Transport

// Real libcurl against real local servers (see TestServer.swift). No assertion depends on
// elapsed time: ordering is forced by the server waiting for an explicit release, and the
// only timeouts are the behaviour under test or generous safety limits.

private var servers: TestServers { TestServers.shared }

private func object(_ response: HTTPResponse) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
}

private func echoedHeaders(_ echo: [String: Any]) -> [(String, String)] {
    ((echo["headers"] as? [[String]]) ?? []).map { ($0[0], $0[1]) }
}

private func echoedHeader(_ echo: [String: Any], _ name: String) -> String? {
    echoedHeaders(echo).first { $0.0.lowercased() == name.lowercased() }?.1
}

/// The error a request fails with; records an issue if it succeeds.
private func failure(
    _ transport: CurlTransport, _ request: HTTPRequest, sourceLocation: SourceLocation = #_sourceLocation
) async -> TransportError? {
    do {
        let response = try await transport.send(request)
        Issue.record("expected a failure, got status \(response.status)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

private func result(_ transport: CurlTransport, _ request: HTTPRequest) async -> Result<HTTPResponse, TransportError> {
    do {
        return .success(try await transport.send(request))
    } catch {
        return .failure(error)
    }
}

private let control = CurlTransport()

private let controlTLS = CurlTransport(tls: TLSSettings(caPEM: servers.caA))

private func events(_ name: String, on base: String) async throws -> [String] {
    let transport = base.hasPrefix("https:") ? controlTLS : control
    let response = try await transport.send(HTTPRequest(method: "GET", url: "\(base)/events?name=\(name)"))
    return try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String])
}

/// Polls the plain server until it reports `event` under `name`; false after a safety limit.
private func waitForEvent(_ name: String, _ event: String, on base: String = servers.plain.http) async throws -> Bool {
    for _ in 0..<3000 {
        if try await events(name, on: base).contains(event) { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return false
}

private func freshName() -> String { UUID().uuidString }

/// A port on 127.0.0.1 that nothing listens on (bound once, then released).
private func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            _ = bind(fd, $0, length)
            _ = getsockname(fd, $0, &length)
        }
    }
    close(fd)
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite(.timeLimit(.minutes(2))) struct PlainHTTPTests {
    @Test func getSendsHeadersAndReturnsRepeatedResponseHeaders() async throws {
        let transport = CurlTransport()
        let response = try await transport.send(
            HTTPRequest(
                method: "GET", url: "\(servers.plain.http)/echo?x=1",
                headers: [HTTPHeader("X-Test", "hello world"), HTTPHeader("Accept", "application/json")]))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        #expect(response.headers.filter { $0.name == "X-Multi" }.map(\.value) == ["a", "b"])
        let echo = try object(response)
        #expect(echo["method"] as? String == "GET")
        #expect(echo["path"] as? String == "/echo?x=1")
        #expect(echoedHeader(echo, "X-Test") == "hello world")
        #expect(echoedHeader(echo, "Accept") == "application/json")
        #expect(echoedHeader(echo, "Content-Length") == nil)
    }

    @Test func anOversizedResponseIsRefusedNotHeld() async throws {
        let transport = CurlTransport()
        // The echo of a 10 KB body is bigger than a 4 KB limit.
        var req = HTTPRequest(method: "POST", url: "\(servers.plain.http)/echo", body: Array(repeating: 0x41, count: 10_000))
        req.maxBodyBytes = 4096
        do {
            _ = try await transport.send(req)
            Issue.record("an oversized response was accepted")
        } catch {
            #expect(error.message.contains("larger than 4096 bytes"), "\(error.message)")
        }
        // Within the limit, the same transport goes on working.
        req.maxBodyBytes = 1 << 20
        #expect(try await transport.send(req).status == 200)
    }

    @Test(arguments: ["POST", "PUT", "PATCH", "DELETE"])
    func bodiesWithBinaryBytesArriveIntact(method: String) async throws {
        var generator = SystemRandomNumberGenerator()
        // NUL bytes included on purpose: COPYPOSTFIELDS would stop at the first one unless the
        // size is set first.
        let body: [UInt8] = [0x7B, 0x00, 0x22, 0xFF, 0x0A] + (0..<3000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let transport = CurlTransport()
        let response = try await transport.send(
            HTTPRequest(
                method: method, url: "\(servers.plain.http)/echo",
                headers: [HTTPHeader("Content-Type", "application/merge-patch+json")], body: body))
        #expect(response.status == 200)
        let echo = try object(response)
        #expect(echo["method"] as? String == method)
        #expect(Data(base64Encoded: echo["body"] as? String ?? "").map(Array.init) == body)
        #expect(echoedHeader(echo, "Content-Type") == "application/merge-patch+json")
        #expect(echoedHeader(echo, "Content-Length") == String(body.count))
        #expect(echoedHeader(echo, "Expect") == nil)
    }

    @Test func bodyWithoutContentTypeIsNotLabelledAsFormData() async throws {
        let transport = CurlTransport()
        let response = try await transport.send(
            HTTPRequest(method: "POST", url: "\(servers.plain.http)/echo", body: Array("a=b".utf8)))
        let echo = try object(response)
        #expect(echoedHeader(echo, "Content-Type") == nil)
        #expect(Data(base64Encoded: echo["body"] as? String ?? "") == Data("a=b".utf8))
    }

    @Test func methodsWithoutBody() async throws {
        let transport = CurlTransport()
        let delete = try object(
            try await transport.send(HTTPRequest(method: "DELETE", url: "\(servers.plain.http)/echo")))
        #expect(delete["method"] as? String == "DELETE")
        #expect(echoedHeader(delete, "Content-Length") == nil)
        let post = try object(try await transport.send(HTTPRequest(method: "POST", url: "\(servers.plain.http)/echo")))
        #expect(post["method"] as? String == "POST")
        #expect(echoedHeader(post, "Content-Length") == "0")
        let head = try await transport.send(HTTPRequest(method: "HEAD", url: "\(servers.plain.http)/echo"))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
    }

    @Test func largeBodyRoundTrips() async throws {
        let body = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let response = try await CurlTransport().send(
            HTTPRequest(method: "PUT", url: "\(servers.plain.http)/echo", body: body))
        #expect(Data(base64Encoded: try object(response)["body"] as? String ?? "").map(Array.init) == body)
    }

    @Test(arguments: [404, 409, 500, 503])
    func errorStatusesKeepTheirBodies(status: Int) async throws {
        let response = try await CurlTransport().send(
            HTTPRequest(method: "GET", url: "\(servers.plain.http)/echo?status=\(status)"))
        #expect(response.status == status)
        #expect(try object(response)["path"] as? String == "/echo?status=\(status)")
    }

    @Test func manyConcurrentRequestsAllComplete() async throws {
        let transport = CurlTransport()
        let paths = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for i in 0..<50 {
                group.addTask {
                    let response = try await transport.send(
                        HTTPRequest(method: "GET", url: "\(servers.plain.http)/echo?i=\(i)"))
                    return (i, try object(response)["path"] as? String)
                }
            }
            var all: [Int: String?] = [:]
            for try await (i, path) in group { all[i] = path }
            return all
        }
        #expect(paths.count == 50)
        for i in 0..<50 { #expect(paths[i] == "/echo?i=\(i)") }
    }

    @Test func keepAliveReusesTheConnection() async throws {
        let transport = CurlTransport()
        var ports: [Int] = []
        for _ in 0..<3 {
            let echo = try object(try await transport.send(HTTPRequest(method: "GET", url: "\(servers.plain.http)/echo")))
            ports.append(try #require(echo["peerPort"] as? Int))
        }
        #expect(Set(ports).count == 1, "client ports \(ports)")
    }

    @Test func invalidURLs() async throws {
        let transport = CurlTransport()
        #expect(await failure(transport, HTTPRequest(method: "GET", url: "not a url at all"))?.kind == .invalidURL)
        #expect(await failure(transport, HTTPRequest(method: "GET", url: "file:///etc/passwd"))?.kind == .invalidURL)
    }

    @Test func rejectsHeaderInjection() async throws {
        let error = await failure(
            CurlTransport(),
            HTTPRequest(
                method: "GET", url: "\(servers.plain.http)/echo",
                headers: [HTTPHeader("X-Evil", "a\r\nAuthorization: Bearer stolen")]))
        #expect(error?.kind == .other)
        #expect(error?.message.contains("stolen") == false)
    }

    @Test func versionDescriptionNamesLibcurl() {
        #expect(CurlTransport.versionDescription.contains("libcurl/"))
    }
}

@Suite(.timeLimit(.minutes(2))) struct StreamingTests {
    @Test func chunksArriveBeforeTheResponseEndsAndInOrder() async throws {
        let transport = CurlTransport()
        let name = freshName()
        var iterator = transport.stream(
            HTTPRequest(method: "GET", url: "\(servers.plain.http)/stream?name=\(name)&n=5", timeout: nil)
        ).makeAsyncIterator()

        guard case .head(let status, let headers)? = try await iterator.next() else {
            Issue.record("no head first")
            return
        }
        #expect(status == 200)
        #expect(headers.contains { $0.name.lowercased() == "transfer-encoding" })

        // The server holds the rest of the body until released, so receiving the first line
        // here proves the bytes were delivered while the response was still open.
        var buffer: [UInt8] = []
        while !buffer.contains(0x0A) {
            guard case .data(let bytes)? = try await iterator.next() else {
                Issue.record("stream ended or repeated its head before the first line")
                return
            }
            buffer += bytes
        }
        #expect(String(decoding: buffer, as: UTF8.self) == "{\"i\":0}\n")

        _ = try await transport.send(HTTPRequest(method: "POST", url: "\(servers.plain.http)/release?name=\(name)"))
        while let chunk = try await iterator.next() {
            guard case .data(let bytes) = chunk else {
                Issue.record("second head")
                return
            }
            buffer += bytes
        }
        let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines == (0...5).map { "{\"i\":\($0)}" })
    }

    /// Several open watches share the one network thread; none blocks another.
    @Test(arguments: [false, true])
    func concurrentStreamsProgressIndependently(overTLS: Bool) async throws {
        let transport = CurlTransport(tls: TLSSettings(caPEM: servers.caA))
        let base = overTLS ? servers.tlsA.https : servers.plain.http
        let names = (0..<10).map { _ in freshName() }
        let lines = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            for name in names {
                group.addTask {
                    var buffer: [UInt8] = []
                    for try await chunk in transport.stream(
                        HTTPRequest(method: "GET", url: "\(base)/stream?name=\(name)&n=3", timeout: nil))
                    {
                        if case .data(let bytes) = chunk { buffer += bytes }
                    }
                    return (name, String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init))
                }
            }
            // Every stream is open and has sent its first line before any is released.
            for name in names { #expect(try await waitForEvent(name, "first-sent", on: base)) }
            for name in names.reversed() {
                _ = try await transport.send(HTTPRequest(method: "POST", url: "\(base)/release?name=\(name)"))
            }
            var all: [String: [String]] = [:]
            for try await (name, lines) in group { all[name] = lines }
            return all
        }
        #expect(lines.count == names.count)
        for name in names { #expect(lines[name] == (0...3).map { "{\"i\":\($0)}" }) }
    }

    @Test func cancellingTheConsumingTaskClosesTheConnection() async throws {
        let transport = CurlTransport()
        let name = freshName()
        let stream = transport.stream(
            HTTPRequest(method: "GET", url: "\(servers.plain.http)/hold?name=\(name)", timeout: nil))
        let consumer = Task {
            var received: [UInt8] = []
            for try await chunk in stream {
                if case .data(let bytes) = chunk { received += bytes }
            }
            return received
        }
        #expect(try await waitForEvent(name, "first-sent"))
        consumer.cancel()
        _ = await consumer.result
        #expect(try await waitForEvent(name, "disconnected"))
    }

    @Test func droppingTheStreamClosesTheConnection() async throws {
        let transport = CurlTransport()
        let name = freshName()
        func readFirstChunkThenDrop() async throws -> Bool {
            let stream = transport.stream(
                HTTPRequest(method: "GET", url: "\(servers.plain.http)/hold?name=\(name)", timeout: nil))
            for try await chunk in stream {
                if case .data = chunk { return true }
            }
            return false
        }
        #expect(try await readFirstChunkThenDrop())
        #expect(try await waitForEvent(name, "disconnected"))
    }

    @Test func silentStreamFailsWithIdleTimeoutAfterItsHead() async throws {
        let name = freshName()
        var chunks: [StreamChunk] = []
        var thrown: (any Error)?
        do {
            for try await chunk in CurlTransport().stream(
                HTTPRequest(
                    method: "GET", url: "\(servers.plain.http)/hold?name=\(name)", timeout: nil, idleTimeout: 1))
            {
                chunks.append(chunk)
            }
        } catch {
            thrown = error
        }
        #expect((thrown as? TransportError)?.kind == .idleTimeout)
        #expect((thrown as? TransportError)?.mayHaveBeenSent == true)
        guard chunks.count >= 2, case .head(200, _) = chunks[0], case .data = chunks[1] else {
            Issue.record("expected head then data, got \(chunks)")
            return
        }
        #expect(try await waitForEvent(name, "disconnected"))
    }

    /// A stream paused because its reader stalled (its buffer bound reached) is held back by
    /// the reader, not silent: it must outlive its idle timeout however long the reader
    /// stalls, and lose nothing. Decided by state, not by elapsed time: the control, an idle
    /// stream with the same timeout opened after the pause, has a later deadline than the
    /// paused one, so by the time the control has failed the network thread has checked the
    /// paused stream past its own deadline (in that pass or an earlier one); and a resume is
    /// handled only after that pass, so a paused stream wrongly timed out cannot be read on.
    @Test func aPausedStreamIsNotTimedOutAsIdleWhileAnIdleOneIs() async throws {
        let transport = CurlTransport()
        let lines = 200_000
        // Generous (it must not expire before the first bytes on a loaded machine): the test
        // takes this long once, while the control times out.
        let idle = 5.0
        var req = HTTPRequest(method: "GET", url: "\(servers.plain.http)/flood?name=\(freshName())&lines=\(lines)", timeout: nil, idleTimeout: idle)
        req.streamBufferBytes = 64 << 10
        var it = transport.stream(req).makeAsyncIterator()
        guard case .head(200, _) = try await it.next() else {
            Issue.record("expected a 200 head")
            return
        }
        var body: [UInt8] = []
        if case .data(let bytes) = try await it.next() { body += bytes }
        let budget = try #require(transport.streamBudgets.withLock { $0.compactMap(\.value).first })
        // The reader takes nothing more: the bound fills and the transfer pauses.
        var waited = 0
        while !budget.isPaused && waited < 3000 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
        }
        #expect(budget.isPaused, "the transfer never paused")

        let controlName = freshName()
        var controlError: (any Error)?
        do {
            for try await _ in transport.stream(
                HTTPRequest(method: "GET", url: "\(servers.plain.http)/hold?name=\(controlName)", timeout: nil, idleTimeout: idle))
            {}
        } catch {
            controlError = error
        }
        #expect((controlError as? TransportError)?.kind == .idleTimeout, "an unpaused silent stream times out: \(String(describing: controlError))")
        #expect(budget.isPaused, "the stalled stream is still paused")

        // Now read on: everything arrives, in order, and the stream ends without an error.
        do {
            while let chunk = try await it.next() {
                if case .data(let bytes) = chunk { body += bytes }
            }
        } catch {
            Issue.record("the paused stream failed: \(error)")
        }
        let expected = (0..<lines).map { String(format: "%08d\n", $0) }.joined()
        #expect(body.count == expected.utf8.count, "\(body.count) bytes of \(expected.utf8.count)")
        let intact = body.elementsEqual(expected.utf8)
        #expect(intact, "the body arrived changed or out of order")
        #expect(budget.state.withLock { $0.pauses } >= 1)
    }

    @Test func streamOutlivesTheTransportReference() async throws {
        func open() -> AsyncThrowingStream<StreamChunk, any Error> {
            CurlTransport().stream(HTTPRequest(method: "GET", url: "\(servers.plain.http)/echo?s=1"))
        }
        var status: Int?
        var body: [UInt8] = []
        for try await chunk in open() {
            switch chunk {
            case .head(let s, _): status = s
            case .data(let bytes): body += bytes
            }
        }
        #expect(status == 200)
        #expect(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] != nil)
    }

    @Test func streamOfAnUnreachableServerThrows() async throws {
        var thrown: (any Error)?
        do {
            for try await _ in CurlTransport().stream(
                HTTPRequest(method: "GET", url: "http://127.0.0.1:\(closedPort())/"))
            {}
        } catch {
            thrown = error
        }
        #expect((thrown as? TransportError)?.kind == .couldNotConnect)
    }
}

@Suite(.timeLimit(.minutes(2))) struct FailureTests {
    @Test func connectionRefused() async throws {
        let error = await failure(CurlTransport(), HTTPRequest(method: "POST", url: "http://127.0.0.1:\(closedPort())/x", body: [1]))
        #expect(error?.kind == .couldNotConnect)
        #expect(error?.mayHaveBeenSent == false)
    }

    @Test func unresolvableHost() async throws {
        let error = await failure(CurlTransport(), HTTPRequest(method: "GET", url: "http://no-such-host.invalid/"))
        #expect(error?.kind == .couldNotResolve)
        #expect(error?.mayHaveBeenSent == false)
    }

    @Test func silentServerTriggersIdleTimeoutWithoutLeakingSecrets() async throws {
        let name = freshName()
        let error = await failure(
            CurlTransport(),
            HTTPRequest(
                method: "PATCH", url: "\(servers.plain.http)/hang?name=\(name)&token=QUERYSECRET",
                headers: [HTTPHeader("Authorization", "Bearer HEADERSECRET")], body: Array("BODYSECRET".utf8),
                timeout: 60, idleTimeout: 1))
        #expect(error?.kind == .idleTimeout)
        #expect(error?.mayHaveBeenSent == true)
        for secret in ["QUERYSECRET", "HEADERSECRET", "BODYSECRET"] {
            #expect(error?.message.contains(secret) == false)
            #expect(error?.description.contains(secret) == false)
        }
        #expect(try await waitForEvent(name, "disconnected"))
    }

    @Test func wholeRequestTimeout() async throws {
        let error = await failure(
            CurlTransport(),
            HTTPRequest(method: "GET", url: "\(servers.plain.http)/hang?name=\(freshName())", timeout: 1))
        #expect(error?.kind == .timeout)
        #expect(error?.mayHaveBeenSent == true)
    }

    @Test func cancellingTheAwaitingTaskRemovesTheTransfer() async throws {
        let transport = CurlTransport()
        let name = freshName()
        let task = Task {
            await result(transport, HTTPRequest(method: "GET", url: "\(servers.plain.http)/hang?name=\(name)", timeout: nil))
        }
        #expect(try await waitForEvent(name, "arrived"))
        task.cancel()
        switch await task.value {
        case .success: Issue.record("a hanging request succeeded")
        case .failure(let error):
            #expect(error.kind == .cancelled)
            #expect(error.mayHaveBeenSent)
        }
        #expect(try await waitForEvent(name, "disconnected"))
    }

    @Test func alreadyCancelledTaskFailsWithoutSending() async throws {
        let transport = CurlTransport()
        let name = freshName()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await result(transport, HTTPRequest(method: "GET", url: "\(servers.plain.http)/hang?name=\(name)"))
        }
        guard case .failure(let error) = await task.value else {
            Issue.record("succeeded")
            return
        }
        #expect(error.kind == .cancelled)
        #expect(!error.mayHaveBeenSent)
        // The same transport keeps working afterwards.
        #expect(try await transport.send(HTTPRequest(method: "GET", url: "\(servers.plain.http)/echo")).status == 200)
    }

    @Test func explicitProxyIsUsed() async throws {
        // The plain server answers absolute-form requests, which only a proxy receives.
        let transport = CurlTransport(tls: TLSSettings(proxyURL: servers.plain.http))
        let echo = try object(try await transport.send(HTTPRequest(method: "GET", url: "http://proxied.invalid/echo")))
        #expect(echo["path"] as? String == "http://proxied.invalid/echo")
    }

    @Test func deadProxyIsClassifiedAsProxy() async throws {
        let transport = CurlTransport(tls: TLSSettings(proxyURL: "http://127.0.0.1:\(closedPort())"))
        let error = await failure(transport, HTTPRequest(method: "GET", url: "http://example.invalid/"))
        #expect(error?.kind == .proxy)
    }
}

@Suite(.timeLimit(.minutes(2))) struct TLSTests {
    @Test func customCAIsTrusted() async throws {
        let transport = CurlTransport(tls: TLSSettings(caPEM: servers.caA))
        let response = try await transport.send(HTTPRequest(method: "GET", url: "\(servers.tlsA.https)/echo"))
        #expect(response.status == 200)
        #expect(try object(response)["clientCN"] is NSNull)
    }

    @Test func systemStoreDoesNotTrustTheTestCA() async throws {
        let error = await failure(CurlTransport(), HTTPRequest(method: "GET", url: "\(servers.tlsA.https)/echo"))
        #expect(error?.kind == .tls)
        #expect(error?.mayHaveBeenSent == false)
    }

    @Test func serverSignedByAnotherCAIsRejected() async throws {
        let error = await failure(
            CurlTransport(tls: TLSSettings(caPEM: servers.caA)), HTTPRequest(method: "GET", url: "\(servers.tlsB.https)/echo"))
        #expect(error?.kind == .tls)
    }

    /// A stand-in system CA directory that trusts CA B: honoured without a configured CA (so
    /// the set-up is effective), ignored once a CA is configured (the CA replaces the store).
    @Test func configuredCAReplacesTheSystemDirectory() async throws {
        let systemOnly = CurlTransport(tls: TLSSettings(), connectTimeout: 30, systemCAPathOverride: servers.caBDirectory)
        #expect(try await systemOnly.send(HTTPRequest(method: "GET", url: "\(servers.tlsB.https)/echo")).status == 200)

        let withCA = CurlTransport(
            tls: TLSSettings(caPEM: servers.caA), connectTimeout: 30, systemCAPathOverride: servers.caBDirectory)
        #expect(await failure(withCA, HTTPRequest(method: "GET", url: "\(servers.tlsB.https)/echo"))?.kind == .tls)
        #expect(try await withCA.send(HTTPRequest(method: "GET", url: "\(servers.tlsA.https)/echo")).status == 200)
    }

    @Test func insecureSkipsVerification() async throws {
        let transport = CurlTransport(tls: TLSSettings(insecureSkipVerify: true))
        #expect(try await transport.send(HTTPRequest(method: "GET", url: "\(servers.tlsB.https)/echo")).status == 200)
    }

    @Test func clientCertificateFromBlobs() async throws {
        let transport = CurlTransport(
            tls: TLSSettings(caPEM: servers.caA, clientCertPEM: servers.clientCert, clientKeyPEM: servers.clientKey))
        let response = try await transport.send(HTTPRequest(method: "GET", url: "\(servers.mutualTLS.https)/echo"))
        #expect(response.status == 200)
        #expect(try object(response)["clientCN"] as? String == "alice")
    }

    @Test func missingClientCertificateIsClassified() async throws {
        let error = await failure(
            CurlTransport(tls: TLSSettings(caPEM: servers.caA)),
            HTTPRequest(method: "GET", url: "\(servers.mutualTLS.https)/echo"))
        #expect(error?.kind == .clientCertificateRejected, "\(String(describing: error))")
    }

    @Test func serverNameIsVerifiedInsteadOfTheURLHost() async throws {
        let transport = CurlTransport(tls: TLSSettings(caPEM: servers.caA, serverName: "kube.test.internal"))
        let response = try await transport.send(HTTPRequest(method: "GET", url: "\(servers.tlsA.https)/echo"))
        #expect(response.status == 200)
        // The connection went to the URL's address and the server saw the URL's authority.
        #expect(echoedHeader(try object(response), "Host") == "127.0.0.1:\(servers.tlsA.port)")

        let wrong = CurlTransport(tls: TLSSettings(caPEM: servers.caA, serverName: "wrong.test.internal"))
        #expect(await failure(wrong, HTTPRequest(method: "GET", url: "\(servers.tlsA.https)/echo"))?.kind == .tls)
    }
}

@Suite struct ClassificationTests {
    private func context(reached: Bool, proxy: String? = nil) -> FailureContext {
        FailureContext(display: "GET https://h:443/x", reachedServer: reached, mayHaveBeenSent: reached, proxyHost: proxy)
    }

    @Test func clientCertificateAlertAfterTLS13HandshakeIsRecognisedByText() {
        for code: UInt32 in [35, 55, 56] {
            let error = ErrorClassifier.classify(
                code: code, curlText: "Failure when receiving data from the peer",
                detail: "OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0",
                context: context(reached: true))
            #expect(error.kind == .clientCertificateRejected)
        }
    }

    @Test func serverHangingUpRightAfterTheTLSHandshakeIsACertificateRejection() {
        var tls = context(reached: false)
        tls.isTLS = true
        let error = ErrorClassifier.classify(
            code: 55, curlText: "", detail: "getpeername() failed with errno 107: Transport endpoint is not connected",
            context: tls)
        #expect(error.kind == .clientCertificateRejected)
        // Without TLS, or once the request was under way, it is an ordinary lost connection.
        let plain = ErrorClassifier.classify(code: 56, curlText: "", detail: "Recv failure: Connection reset by peer", context: context(reached: true))
        #expect(plain.kind == .connectionLost)
        tls.reachedServer = true
        let later = ErrorClassifier.classify(code: 56, curlText: "", detail: "Recv failure: Connection reset by peer", context: tls)
        #expect(later.kind == .connectionLost)
    }

    @Test func mapping() {
        let cases: [(UInt32, String, Bool, TransportErrorKind)] = [
            (6, "Could not resolve host: x", false, .couldNotResolve),
            (7, "Failed to connect to h port 443", false, .couldNotConnect),
            (28, "Connection timed out after 1000 milliseconds", false, .couldNotConnect),
            (28, "Operation timed out after 1000 milliseconds", true, .timeout),
            (60, "SSL certificate problem: unable to get local issuer certificate", false, .tls),
            (56, "Recv failure: Connection reset by peer", true, .connectionLost),
            (52, "Empty reply from server", true, .connectionLost),
            (18, "transfer closed with outstanding read data remaining", true, .connectionLost),
            (92, "Stream error in the HTTP/2 framing layer", true, .connectionLost),
            (3, "URL using bad/illegal format", false, .invalidURL),
            (5, "Could not resolve proxy: p", false, .proxy),
            (97, "proxy handshake error", false, .proxy),
        ]
        for (code, detail, reached, kind) in cases {
            let error = ErrorClassifier.classify(code: code, curlText: "", detail: detail, context: context(reached: reached))
            #expect(error.kind == kind, "code \(code): \(detail)")
            #expect(error.mayHaveBeenSent == (reached && kind != .tls && kind != .couldNotConnect))
        }
        let proxy = ErrorClassifier.classify(
            code: 7, curlText: "", detail: "Failed to connect to 10.0.0.9 port 3128 after 2 ms", context: context(reached: false, proxy: "10.0.0.9"))
        #expect(proxy.kind == .proxy)
    }

    @Test func ownCertificateVerificationFailureIsNotAClientCertificateRejection() {
        let error = ErrorClassifier.classify(
            code: 60, curlText: "", detail: "SSL certificate problem: certificate has expired", context: context(reached: false))
        #expect(error.kind == .tls)
    }
}

@Suite struct ResponseHeadParserTests {
    private func feed(_ parser: inout ResponseHeadParser, _ line: String) -> Bool {
        Array((line + "\r\n").utf8).withUnsafeBytes { parser.feed($0) }
    }

    @Test func interimResponsesAreSkippedAndFoldedLinesJoined() {
        var parser = ResponseHeadParser()
        #expect(!feed(&parser, "HTTP/1.1 100 Continue"))
        #expect(!feed(&parser, ""))
        #expect(!parser.isComplete)
        #expect(!feed(&parser, "HTTP/1.1 201 Created"))
        #expect(!feed(&parser, "Content-Type:  application/json "))
        #expect(!feed(&parser, "X-Long: one"))
        #expect(!feed(&parser, "\ttwo"))
        #expect(feed(&parser, ""))
        #expect(parser.status == 201)
        #expect(parser.headers == [HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Long", "one two")])
        // Trailers after the body do not alter the head.
        #expect(!feed(&parser, "X-Trailer: t"))
        #expect(parser.headers.count == 2)
    }

    @Test func http2StatusLine() {
        var parser = ResponseHeadParser()
        _ = feed(&parser, "HTTP/2 404")
        _ = feed(&parser, "content-length: 3")
        #expect(feed(&parser, ""))
        #expect(parser.status == 404)
    }

    /// Splitting the same head into lines at CRLF in different ways must give one result.
    @Test func seededRandomHeadsRoundTrip() {
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<200 {
            let count = Int.random(in: 0...8, using: &rng)
            let headers = (0..<count).map { i in
                HTTPHeader("X-H\(i)", String(repeating: "v", count: Int.random(in: 0...20, using: &rng)))
            }
            var parser = ResponseHeadParser()
            _ = feed(&parser, "HTTP/1.1 \(Int.random(in: 200...599, using: &rng)) Whatever")
            for header in headers { _ = feed(&parser, "\(header.name): \(header.value)") }
            #expect(feed(&parser, ""))
            #expect(parser.headers == headers)
        }
    }
}
