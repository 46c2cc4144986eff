import Testing

@testable import Simulator

/// The pure parts of the simulator's port-forward: SPDY framing, header blocks and their zlib
/// context, and the kubelet-like session (pairing, early bytes, failures, ends). kubectl
/// itself is in EndToEndTests/PortForwardTests.
@Suite("Port-forward: SPDY framing and the session")
struct PortForwardSessionTests {
    typealias S = PortForwardSession

    @Test("frames survive any split of the byte stream; a data frame keeps its flags")
    func framing() throws {
        let frames: [SPDYFrame] = [
            .synStream(streamID: 1, flags: 0, headerBlock: [1, 2, 3]), .data(streamID: 1, flags: SPDYFrame.flagFin, payload: Array("hello".utf8)),
            .ping(id: 7), .rstStream(streamID: 3, status: 5), .windowUpdate(streamID: 1, delta: 4096), .goAway(lastGoodStreamID: 3, status: 0),
        ]
        let bytes = frames.flatMap(\.encoded)
        for chunk in [1, 3, 8, 13, bytes.count] {
            var reader = SPDYFrameReader()
            var got: [SPDYFrame] = []
            var at = 0
            while at < bytes.count {
                reader.append(bytes[at..<min(at + chunk, bytes.count)])
                at += chunk
                while let f = try reader.next() { got.append(f) }
            }
            #expect(got == frames, "chunk \(chunk)")
            #expect(reader.pending == 0)
        }
    }

    @Test("hostile frames: a length past the limit, a wrong version, a short control frame")
    func hostileFrames() {
        var big = SPDYFrameReader()
        big.append([0x00, 0, 0, 1, 0, 0xff, 0xff, 0xff])
        #expect(throws: SPDYProtocolError.self) { try big.next() }
        var version = SPDYFrameReader()
        version.append([0x80, 0x02, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])
        #expect(throws: SPDYProtocolError.self) { try version.next() }
        var short = SPDYFrameReader()
        short.append([0x80, 0x03, 0, 3, 0, 0, 0, 2, 0, 1])
        #expect(throws: SPDYProtocolError.self) { try short.next() }
    }

    @Test("header blocks round-trip through one zlib context per direction, dictionary included")
    func headerCompression() throws {
        let client = SPDYHeaderCodec()
        let server = SPDYHeaderCodec()
        for requestID in ["0", "1", "2"] {
            let headers = [("streamtype", "error"), ("port", "9090"), ("requestid", requestID)]
            let wire = try client.deflate(SPDYHeaderBlock.encode(headers))
            let decoded = try SPDYHeaderBlock.decode(try server.inflate(wire))
            #expect(decoded == ["streamtype": ["error"], "port": ["9090"], "requestid": [requestID]])
        }
        // The dictionary is SPDY/3's: 1,423 bytes, ending in "enq=0.", with the Adler-32 a
        // peer's zlib checks (kubectl accepted it in EndToEndTests/PortForwardTests).
        #expect(SPDYDictionary.bytes.count == 1423)
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in SPDYDictionary.bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        #expect(b << 16 | a == 0xe3c6_a7c2)
        #expect(Array(SPDYDictionary.bytes.suffix(6)) == Array("enq=0.".utf8))
        #expect(throws: SPDYProtocolError.self) { try SPDYHeaderCodec().inflate([1, 2, 3, 4, 5]) }
    }

    static func masked(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            out.append(0x80 | UInt8(payload.count))
        } else {
            out += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        }
        return out + mask + payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
    }

    @Test("the WebSocket tunnel: masked frames in any split, continuations, ping and close; the RFC 6455 accept key")
    func webSocket() throws {
        #expect(WebSocketTunnel.accept(key: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        let big = [UInt8](repeating: 9, count: 300)
        let bytes =
            Self.masked(2, [1, 2, 3], fin: false) + Self.masked(0, [4]) + Self.masked(9, Array("hi".utf8)) + Self.masked(2, big)
            + Self.masked(8, [])
        for chunk in [1, 5, bytes.count] {
            var r = WebSocketTunnel.Reader()
            var events: [WebSocketTunnel.Event] = []
            var at = 0
            while at < bytes.count {
                r.append(bytes[at..<min(at + chunk, bytes.count)])
                at += chunk
                while let e = try r.next() { events.append(e) }
            }
            #expect(events == [.data([1, 2, 3]), .data([4]), .ping(Array("hi".utf8)), .data(big), .close], "chunk \(chunk)")
        }
        var unmasked = WebSocketTunnel.Reader()
        unmasked.append([0x82, 0x01, 0x00])
        #expect(throws: SPDYProtocolError.self) { try unmasked.next() }
        var text = WebSocketTunnel.Reader()
        text.append(Self.masked(1, [0x41]))
        #expect(throws: SPDYProtocolError.self) { try text.next() }
        #expect(WebSocketTunnel.frame(.binary, [7, 7]) == [0x82, 2, 7, 7])
        #expect(Array(WebSocketTunnel.frame(.binary, big).prefix(4)) == [0x82, 126, 1, 44])
    }

    @Test("a header block that claims more than it holds is refused")
    func truncatedBlock() {
        #expect(throws: SPDYProtocolError.self) { try SPDYHeaderBlock.decode([0, 0, 0, 1, 0, 0, 0, 9, 65]) }
        #expect(throws: SPDYProtocolError.self) { try SPDYHeaderBlock.decode([0xff, 0xff, 0xff, 0xff]) }
    }

    static func syn(_ id: UInt32, _ type: String, port: String = "9090", rid: String = "0", fin: Bool = false) -> S.Incoming {
        .synStream(streamID: id, fin: fin, headers: ["streamtype": [type], "port": [port], "requestid": [rid]])
    }

    @Test("the pair dials once both streams are here; bytes sent early wait for the socket")
    func pairing() {
        var s = S()
        #expect(s.receive(Self.syn(1, "error", fin: true)) == [.send(.reply(streamID: 1))])
        #expect(s.receive(.data(streamID: 1, fin: true, bytes: [])) == [])
        #expect(s.receive(Self.syn(3, "data")) == [.send(.reply(streamID: 3)), .connect(requestID: "0", port: 9090)])
        #expect(s.receive(.data(streamID: 3, fin: false, bytes: [1, 2])) == [])
        #expect(s.receive(.data(streamID: 3, fin: true, bytes: [3])) == [])
        #expect(
            s.upstream(.connected(requestID: "0")) == [.write(requestID: "0", bytes: [1, 2, 3]), .shutdownOutput(requestID: "0")])
        #expect(s.upstream(.data(requestID: "0", bytes: [9])) == [.send(.data(streamID: 3, bytes: [9], fin: false))])
        // The pod's side ends: both streams get their FIN, which ends kubectl's waits.
        #expect(
            s.upstream(.closed(requestID: "0")) == [
                .close(requestID: "0"), .send(.data(streamID: 3, bytes: [], fin: true)), .send(.data(streamID: 1, bytes: [], fin: true)),
            ])
        #expect(s.openPairs == 0)
    }

    @Test("a refused dial is written on the error stream, then both streams close")
    func refused() {
        var s = S()
        _ = s.receive(Self.syn(1, "error", port: "9091"))
        _ = s.receive(Self.syn(3, "data", port: "9091"))
        let out = s.upstream(.failed(requestID: "0", message: "connection refused"))
        #expect(out.first == .send(.data(streamID: 1, bytes: Array("connection refused".utf8), fin: false)))
        #expect(out.contains(.send(.data(streamID: 1, bytes: [], fin: true))))
        #expect(out.contains(.send(.data(streamID: 3, bytes: [], fin: true))))
    }

    @Test("large answers are cut into 32 KiB data frames")
    func chunks() {
        var s = S()
        _ = s.receive(Self.syn(1, "error"))
        _ = s.receive(Self.syn(3, "data"))
        _ = s.upstream(.connected(requestID: "0"))
        let out = s.upstream(.data(requestID: "0", bytes: [UInt8](repeating: 7, count: 70_000)))
        #expect(out.count == 3)
        #expect(out.map { if case .send(.data(_, let b, _)) = $0 { b.count } else { -1 } } == [32_768, 32_768, 4_464])
    }

    @Test("protocol errors: an even or repeated stream id ends the session; a bad port is said on the error stream")
    func protocolErrors() {
        var s = S()
        _ = s.receive(Self.syn(3, "error"))
        let back = s.receive(Self.syn(1, "data"))
        #expect(back.first == .send(.goAway(lastGoodStreamID: 3)))
        #expect(back.last == .closeConnection)
        #expect(s.closed)

        var p = S()
        let bad = p.receive(Self.syn(1, "error", port: "http"))
        #expect(bad.contains(.send(.data(streamID: 1, bytes: Array("invalid port header: http".utf8), fin: true))))
        #expect(!bad.contains { if case .connect = $0 { true } else { false } })
    }

    @Test("kubectl resets a stream: the socket closes, nothing more is sent on the pair")
    func reset() {
        var s = S()
        _ = s.receive(Self.syn(1, "error"))
        _ = s.receive(Self.syn(3, "data"))
        _ = s.upstream(.connected(requestID: "0"))
        #expect(s.receive(.reset(streamID: 3)) == [.close(requestID: "0")])
        #expect(s.upstream(.data(requestID: "0", bytes: [1])) == [])
        #expect(s.receive(.ping(id: 1)) == [.send(.ping(id: 1))])
        #expect(s.receive(.goAway) == [.closeConnection])
    }
}
