import KubeCore

// SPDY/3.1 framing, the part kubectl's port-forward (moby/spdystream) uses: SYN_STREAM,
// SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE and DATA. Every length
// and id comes from the peer and is checked before it is used; header blocks stay compressed
// here (their zlib context spans the connection, see `SPDYHeaderCodec`).

/// One frame, header blocks still compressed.
enum SPDYFrame: Equatable, Sendable {
    case synStream(streamID: UInt32, flags: UInt8, headerBlock: [UInt8])
    case synReply(streamID: UInt32, flags: UInt8, headerBlock: [UInt8])
    case rstStream(streamID: UInt32, status: UInt32)
    case settings
    case ping(id: UInt32)
    case goAway(lastGoodStreamID: UInt32, status: UInt32)
    case headers(streamID: UInt32, flags: UInt8, headerBlock: [UInt8])
    case windowUpdate(streamID: UInt32, delta: UInt32)
    case data(streamID: UInt32, flags: UInt8, payload: [UInt8])
    /// A control frame type SPDY/3.1 defines no meaning for here (CREDENTIAL, or unknown):
    /// the spec says to ignore it.
    case ignored(type: UInt16)

    static let flagFin: UInt8 = 0x01

    /// RST_STREAM status codes (SPDY/3.1 §2.6.3).
    enum Status {
        static let protocolError: UInt32 = 1
        static let invalidStream: UInt32 = 2
        static let refusedStream: UInt32 = 3
        static let cancel: UInt32 = 5
    }

    /// The wire bytes of this frame (a header block must already be compressed).
    var encoded: [UInt8] {
        switch self {
        case .synStream(let id, let flags, let block):
            // Associated-to-stream 0, priority 0, slot 0.
            return Self.control(type: 1, flags: flags, Self.be32(id & 0x7fff_ffff) + [0, 0, 0, 0, 0, 0] + block)
        case .synReply(let id, let flags, let block):
            return Self.control(type: 2, flags: flags, Self.be32(id & 0x7fff_ffff) + block)
        case .rstStream(let id, let status):
            return Self.control(type: 3, flags: 0, Self.be32(id & 0x7fff_ffff) + Self.be32(status))
        case .settings:
            return Self.control(type: 4, flags: 0, Self.be32(0))
        case .ping(let id):
            return Self.control(type: 6, flags: 0, Self.be32(id))
        case .goAway(let last, let status):
            return Self.control(type: 7, flags: 0, Self.be32(last & 0x7fff_ffff) + Self.be32(status))
        case .headers(let id, let flags, let block):
            return Self.control(type: 8, flags: flags, Self.be32(id & 0x7fff_ffff) + block)
        case .windowUpdate(let id, let delta):
            return Self.control(type: 9, flags: 0, Self.be32(id & 0x7fff_ffff) + Self.be32(delta & 0x7fff_ffff))
        case .data(let id, let flags, let payload):
            return Self.be32(id & 0x7fff_ffff) + [flags] + Self.be24(payload.count) + payload
        case .ignored(let type):
            return Self.control(type: type, flags: 0, [])
        }
    }

    private static func control(type: UInt16, flags: UInt8, _ body: [UInt8]) -> [UInt8] {
        [0x80, 0x03, UInt8(type >> 8), UInt8(type & 0xff), flags] + be24(body.count) + body
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
    private static func be24(_ n: Int) -> [UInt8] {
        let v = UInt32(clamping: n)
        return [UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }
}

struct SPDYProtocolError: Error, Equatable, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Cuts a byte stream into frames. Bytes arrive in any split; `next()` returns a frame once
/// all of it is here.
struct SPDYFrameReader {
    /// kubectl writes DATA frames of at most 32 KiB and header blocks of a few hundred bytes;
    /// a frame longer than this is an error, not something to buffer.
    static let maxFrameLength = 1 << 20
    private var buffer: [UInt8] = []
    private var start = 0

    mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received but not yet part of a whole frame.
    var pending: Int { buffer.count - start }

    mutating func next() throws(SPDYProtocolError) -> SPDYFrame? {
        guard pending >= 8 else { return nil }
        let b = start
        let length = Int(buffer[b + 5]) << 16 | Int(buffer[b + 6]) << 8 | Int(buffer[b + 7])
        guard length <= Self.maxFrameLength else { throw SPDYProtocolError("frame of \(length) bytes exceeds \(Self.maxFrameLength)") }
        guard pending >= 8 + length else { return nil }
        let flags = buffer[b + 4]
        let body = Array(buffer[(b + 8)..<(b + 8 + length)])
        start += 8 + length
        if start > 64 << 10, start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        func u32(_ at: Int) -> UInt32 {
            UInt32(body[at]) << 24 | UInt32(body[at + 1]) << 16 | UInt32(body[at + 2]) << 8 | UInt32(body[at + 3])
        }
        guard buffer[b] & 0x80 != 0 else {
            let id = (UInt32(buffer[b]) << 24 | UInt32(buffer[b + 1]) << 16 | UInt32(buffer[b + 2]) << 8 | UInt32(buffer[b + 3])) & 0x7fff_ffff
            return .data(streamID: id, flags: flags, payload: body)
        }
        let version = (UInt16(buffer[b]) & 0x7f) << 8 | UInt16(buffer[b + 1])
        guard version == 3 else { throw SPDYProtocolError("SPDY version \(version), only 3 is spoken") }
        let type = UInt16(buffer[b + 2]) << 8 | UInt16(buffer[b + 3])
        func need(_ n: Int) throws(SPDYProtocolError) {
            guard body.count >= n else { throw SPDYProtocolError("control frame type \(type) of \(body.count) bytes is too short") }
        }
        switch type {
        case 1:
            try need(10)
            return .synStream(streamID: u32(0) & 0x7fff_ffff, flags: flags, headerBlock: Array(body[10...]))
        case 2:
            try need(4)
            return .synReply(streamID: u32(0) & 0x7fff_ffff, flags: flags, headerBlock: Array(body[4...]))
        case 3:
            try need(8)
            return .rstStream(streamID: u32(0) & 0x7fff_ffff, status: u32(4))
        case 4: return .settings
        case 6:
            try need(4)
            return .ping(id: u32(0))
        case 7:
            try need(4)
            return .goAway(lastGoodStreamID: u32(0) & 0x7fff_ffff, status: body.count >= 8 ? u32(4) : 0)
        case 8:
            try need(4)
            return .headers(streamID: u32(0) & 0x7fff_ffff, flags: flags, headerBlock: Array(body[4...]))
        case 9:
            try need(8)
            return .windowUpdate(streamID: u32(0) & 0x7fff_ffff, delta: u32(4) & 0x7fff_ffff)
        default: return .ignored(type: type)
        }
    }
}

/// A SPDY/3 name/value header block (uncompressed): a 32-bit count, then each name and value
/// with a 32-bit length. Names are lowercase; a value may hold several, NUL-separated.
enum SPDYHeaderBlock {
    static let maxPairs = 256

    static func encode(_ headers: [(String, String)]) -> [UInt8] {
        var out = SPDYFrame.be32(UInt32(clamping: headers.count))
        for (name, value) in headers {
            let n = Array(name.lowercased().utf8)
            let v = Array(value.utf8)
            out += SPDYFrame.be32(UInt32(clamping: n.count)) + n + SPDYFrame.be32(UInt32(clamping: v.count)) + v
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) throws(SPDYProtocolError) -> [String: [String]] {
        var at = 0
        func u32() throws(SPDYProtocolError) -> Int {
            guard at + 4 <= bytes.count else { throw SPDYProtocolError("header block truncated") }
            defer { at += 4 }
            return Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        func string() throws(SPDYProtocolError) -> String {
            let n = try u32()
            guard n <= bytes.count - at else { throw SPDYProtocolError("header block truncated") }
            defer { at += n }
            return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
        }
        let count = try u32()
        guard count <= maxPairs else { throw SPDYProtocolError("header block of \(count) pairs") }
        var out: [String: [String]] = [:]
        for _ in 0..<count {
            let name = try string().lowercased()
            let value = try string()
            out[name, default: []] += value.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        }
        return out
    }
}
