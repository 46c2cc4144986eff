import Crypto
import Foundation

// The WebSocket tunnel kubectl ≥ 1.31 asks for first (KEP-4006): subprotocol
// `SPDY/3.1+portforward.k8s.io`, the same SPDY/3.1 byte stream carried in binary messages,
// cut wherever the writer's buffer ends. Only what that needs of RFC 6455: masked client
// frames (continuations included) unwrapped into one byte stream, ping answered, close
// answered; server frames unmasked, one per write.

enum WebSocketTunnel {
    static let subprotocol = "SPDY/3.1+portforward.k8s.io"

    /// `Sec-WebSocket-Accept` for a client's key (RFC 6455 §4.2.2).
    static func accept(key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        return Data(digest).base64EncodedString()
    }

    enum Opcode: UInt8 {
        case continuation = 0
        case text = 1
        case binary = 2
        case close = 8
        case ping = 9
        case pong = 10
    }

    /// A frame from the server: FIN set, never masked.
    static func frame(_ opcode: Opcode, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x80 | opcode.rawValue]
        let n = payload.count
        if n < 126 {
            out.append(UInt8(n))
        } else if n <= 0xffff {
            out += [126, UInt8(n >> 8), UInt8(n & 0xff)]
        } else {
            out.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(n) >> UInt64(shift)) & 0xff)) }
        }
        return out + payload
    }

    /// What one client frame means to the tunnel.
    enum Event: Equatable {
        /// Bytes of the SPDY stream (a binary message or its continuation).
        case data([UInt8])
        case ping([UInt8])
        case close
    }

    /// Client frames from a byte stream in any split.
    struct Reader {
        /// kubectl's frames are its write buffer's size (a few KiB); more is an error.
        static let maxFrame = 1 << 20
        private var buffer: [UInt8] = []

        mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

        mutating func next() throws(SPDYProtocolError) -> Event? {
            guard buffer.count >= 2 else { return nil }
            let opcode = buffer[0] & 0x0f
            guard buffer[0] & 0x70 == 0 else { throw SPDYProtocolError("WebSocket frame with reserved bits set") }
            guard buffer[1] & 0x80 != 0 else { throw SPDYProtocolError("unmasked WebSocket frame from a client") }
            var at = 2
            var length = Int(buffer[1] & 0x7f)
            if length == 126 {
                guard buffer.count >= 4 else { return nil }
                length = Int(buffer[2]) << 8 | Int(buffer[3])
                at = 4
            } else if length == 127 {
                guard buffer.count >= 10 else { return nil }
                var n: UInt64 = 0
                for i in 2..<10 { n = n << 8 | UInt64(buffer[i]) }
                guard n <= UInt64(Self.maxFrame) else { throw SPDYProtocolError("WebSocket frame of \(n) bytes") }
                length = Int(n)
                at = 10
            }
            guard length <= Self.maxFrame else { throw SPDYProtocolError("WebSocket frame of \(length) bytes") }
            guard buffer.count >= at + 4 + length else { return nil }
            let mask = Array(buffer[at..<(at + 4)])
            at += 4
            var payload = Array(buffer[at..<(at + length)])
            for i in payload.indices { payload[i] ^= mask[i & 3] }
            buffer.removeFirst(at + length)
            switch Opcode(rawValue: opcode) {
            case .binary, .continuation: return .data(payload)
            case .ping: return .ping(payload)
            case .pong: return .data([])
            case .close: return .close
            case .text, nil: throw SPDYProtocolError("WebSocket opcode \(opcode) in a SPDY tunnel")
            }
        }
    }
}
