/// Protobuf's wire format, written: the server's protobuf answers (`KubeProtobuf.encodeObject`)
/// and the simulator's OpenAPI v2 document. Varints, length-delimited fields and doubles, each
/// call returning the writer with the field appended; the caller knows its field numbers.
public struct ProtobufWriter: Sendable {
    public var bytes: [UInt8] = []

    public init() {}

    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    /// Field `n` holding `b` (wire type 2: a message, bytes or a string).
    public func message(_ n: Int, _ b: [UInt8]) -> ProtobufWriter {
        var c = self
        c.bytes += Self.varint(UInt64(n << 3 | 2)) + Self.varint(UInt64(b.count)) + b
        return c
    }

    public func message(_ n: Int, _ m: ProtobufWriter) -> ProtobufWriter { message(n, m.bytes) }

    public func string(_ n: Int, _ s: String) -> ProtobufWriter { message(n, Array(s.utf8)) }

    /// Field `n` as a varint (wire type 0); negative values take ten bytes, as protobuf's int64 does.
    public func int(_ n: Int, _ v: Int64) -> ProtobufWriter {
        var c = self
        c.bytes += Self.varint(UInt64(n << 3)) + Self.varint(UInt64(bitPattern: v))
        return c
    }

    /// Field `n` as a little-endian IEEE double (wire type 1).
    public func double(_ n: Int, _ v: Double) -> ProtobufWriter {
        var c = self
        c.bytes += Self.varint(UInt64(n << 3 | 1))
        let bits = v.bitPattern
        for k in 0..<8 { c.bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(8 * k))) }
        return c
    }
}
