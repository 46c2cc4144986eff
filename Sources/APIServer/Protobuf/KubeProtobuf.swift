import Foundation
import KubeCore

/// Why a protobuf body was refused: `malformed` is a 400 (the bytes are not a valid message),
/// `unsupported` a 415 (a valid message carrying a kind or a set field this server does not
/// model; the client may send JSON instead, and nothing is silently dropped).
public enum KubeProtobufError: Error, Sendable, CustomStringConvertible {
    case malformed(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .malformed(let m), .unsupported(let m): return m
        }
    }
}

/// Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`) read into the JSON an
/// API server stores: the 4-byte magic `k8s\0`, a `runtime.Unknown` envelope (typeMeta, raw,
/// contentEncoding, contentType), and the object's message in `raw`, decoded by the field
/// tables of `KubeProtobufSchema`. Field values map to JSON as the Go types' JSON tags do:
/// zero values of non-pointer fields (which go-to-protobuf always writes) are omitted, Time is
/// RFC 3339, IntOrString an integer or a string, Quantity its string, bytes base64.
public enum KubeProtobuf {
    public static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]
    /// Deeper than any Kubernetes type the tables describe; a bound against hostile nesting.
    static let maxDepth = 32

    /// The envelope's type and raw message.
    public static func envelope(_ body: [UInt8]) throws(KubeProtobufError) -> (apiVersion: String, kind: String, raw: ArraySlice<UInt8>) {
        guard body.count >= 4, body[0..<4].elementsEqual(magic) else {
            throw .malformed("the body does not start with the Kubernetes protobuf magic number")
        }
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        var encoding = ""
        do throws(ProtobufWireError) {
            for f in try ProtobufWire.fields(body[4...]) {
                switch (f.number, f.value) {
                case (1, .bytes(let tm)):
                    for t in try ProtobufWire.fields(tm) {
                        guard case .bytes(let s) = t.value else { continue }
                        if t.number == 1 { apiVersion = String(decoding: s, as: UTF8.self) }
                        if t.number == 2 { kind = String(decoding: s, as: UTF8.self) }
                    }
                case (2, .bytes(let r)): raw = r
                case (3, .bytes(let enc)): encoding = String(decoding: enc, as: UTF8.self)
                default: continue
                }
            }
        } catch {
            throw .malformed("invalid protobuf envelope: \(error)")
        }
        if !encoding.isEmpty { throw .unsupported("content encoding \(encoding) is not supported") }
        return (apiVersion, kind, raw)
    }

    /// Decodes a whole body (magic, envelope, message) into the object's JSON, with
    /// `apiVersion` and `kind` from the envelope.
    public static func decodeObject(_ body: [UInt8]) throws(KubeProtobufError) -> JSON {
        let (apiVersion, kind, raw) = try envelope(body)
        guard let root = KubeProtobufSchema.topLevel[kind] else {
            throw .unsupported(
                "protobuf bodies of kind \"\(kind)\" are not decoded by this server (it reads \(KubeProtobufSchema.topLevel.keys.sorted().joined(separator: ", "))); send application/json"
            )
        }
        guard case .object(var o) = try message(raw, root, depth: 0, path: kind) else { return .null }
        var out = JSONObject()
        out["apiVersion"] = .string(apiVersion)
        out["kind"] = .string(kind)
        for (k, v) in o where k != "apiVersion" && k != "kind" { out[k] = v }
        o = out
        return .object(o)
    }

    static func message(_ bytes: ArraySlice<UInt8>, _ name: String, depth: Int, path: String) throws(KubeProtobufError) -> JSON {
        guard depth < maxDepth else { throw .malformed("protobuf message nested deeper than \(maxDepth) levels at \(path)") }
        guard let table = KubeProtobufSchema.messages[name] else { throw .unsupported("no table for protobuf message \(name)") }
        let fields: [ProtobufWire.Field]
        do throws(ProtobufWireError) { fields = try ProtobufWire.fields(bytes) } catch { throw .malformed("\(path): \(error)") }
        var out = JSONObject()
        for f in fields {
            guard let spec = table[f.number] else {
                if f.value.isZero { continue }
                throw .unsupported("\(path): field \(f.number) of \(name) is set, and this server does not decode it from protobuf; send application/json")
            }
            let fieldPath = "\(path).\(spec.name)"
            if spec.repeated {
                var items = out[spec.name]?.arrayValue ?? []
                if case .int32 = spec.kind {
                    do throws(ProtobufWireError) {
                        for v in try ProtobufWire.varints(f.value) { items.append(.number(String(Int32(truncatingIfNeeded: v)))) }
                    } catch { throw .malformed("\(fieldPath): \(error)") }
                } else {
                    items.append(try value(f.value, spec, depth: depth, path: fieldPath) ?? .null)
                }
                out[spec.name] = .array(items)
                continue
            }
            switch spec.kind {
            case .stringMap, .quantityMap, .bytesMap:
                guard case .bytes(let entry) = f.value else { throw .malformed("\(fieldPath): a map entry must be length-delimited") }
                var map = out[spec.name]?.objectValue ?? JSONObject()
                let (k, v) = try mapEntry(entry, spec.kind, path: fieldPath)
                map[k] = v
                out[spec.name] = .object(map)
            default:
                if f.value.isZero && !spec.keepZero && !spec.kind.isMessage { continue }
                if let v = try value(f.value, spec, depth: depth, path: fieldPath) { out[spec.name] = v }
            }
        }
        return .object(out)
    }

    static func string(_ v: ProtobufWire.Value, path: String) throws(KubeProtobufError) -> String {
        guard case .bytes(let b) = v else { throw .malformed("\(path): expected a string") }
        return String(decoding: b, as: UTF8.self)
    }

    static func varint(_ v: ProtobufWire.Value, path: String) throws(KubeProtobufError) -> UInt64 {
        guard case .varint(let x) = v else { throw .malformed("\(path): expected a varint") }
        return x
    }

    static func value(_ v: ProtobufWire.Value, _ spec: KubeProtobufSchema.FieldSpec, depth: Int, path: String) throws(KubeProtobufError) -> JSON? {
        switch spec.kind {
        case .string: return .string(try string(v, path: path))
        case .int32: return .number(String(Int32(truncatingIfNeeded: try varint(v, path: path))))
        case .int64: return .number(String(Int64(bitPattern: try varint(v, path: path))))
        case .bool: return .bool(try varint(v, path: path) != 0)
        case .bytes:
            guard case .bytes(let b) = v else { throw .malformed("\(path): expected bytes") }
            return .string(Data(b).base64EncodedString())
        case .message(let name):
            guard case .bytes(let b) = v else { throw .malformed("\(path): expected a message") }
            return try message(b, name, depth: depth + 1, path: path)
        case .time:
            guard case .bytes(let b) = v else { throw .malformed("\(path): expected a Time") }
            return try time(b, path: path)
        case .intOrString:
            guard case .bytes(let b) = v else { throw .malformed("\(path): expected an IntOrString") }
            return try intOrString(b, path: path)
        case .quantity:
            guard case .bytes(let b) = v else { throw .malformed("\(path): expected a Quantity") }
            return try quantity(b, path: path)
        case .rawJSON:
            guard case .bytes(let b) = v else { throw .malformed("\(path): expected FieldsV1") }
            var raw: ArraySlice<UInt8> = []
            do throws(ProtobufWireError) {
                for f in try ProtobufWire.fields(b) where f.number == 1 { if case .bytes(let r) = f.value { raw = r } }
            } catch { throw .malformed("\(path): \(error)") }
            guard let j = try? JSON.parse(raw) else { throw .malformed("\(path): FieldsV1 is not JSON") }
            return j
        case .stringMap, .quantityMap, .bytesMap:
            return nil
        }
    }

    static func mapEntry(_ b: ArraySlice<UInt8>, _ kind: KubeProtobufSchema.Kind, path: String) throws(KubeProtobufError) -> (String, JSON) {
        let fields: [ProtobufWire.Field]
        do throws(ProtobufWireError) { fields = try ProtobufWire.fields(b) } catch { throw .malformed("\(path): \(error)") }
        var key = ""
        var value: JSON =
            switch kind {
            case .quantityMap: .string("0")
            default: .string("")
            }
        for f in fields {
            if f.number == 1 { key = try string(f.value, path: path) }
            if f.number == 2 {
                switch kind {
                case .quantityMap:
                    guard case .bytes(let q) = f.value else { throw .malformed("\(path): expected a Quantity") }
                    value = try quantity(q, path: path)
                case .bytesMap:
                    guard case .bytes(let d) = f.value else { throw .malformed("\(path): expected bytes") }
                    value = .string(Data(d).base64EncodedString())
                default:
                    value = .string(try string(f.value, path: path))
                }
            }
        }
        return (key, value)
    }

    /// metav1.Time: {seconds int64, nanos int32}. Go's zero time (year 1) is written for an
    /// unset non-pointer Time and reads back as null, as its JSON form does.
    static func time(_ b: ArraySlice<UInt8>, path: String) throws(KubeProtobufError) -> JSON {
        var seconds: Int64 = 0
        var nanos: Int32 = 0
        do throws(ProtobufWireError) {
            for f in try ProtobufWire.fields(b) {
                guard case .varint(let x) = f.value else { continue }
                if f.number == 1 { seconds = Int64(bitPattern: x) }
                if f.number == 2 { nanos = Int32(truncatingIfNeeded: x) }
            }
        } catch { throw .malformed("\(path): \(error)") }
        if seconds == -62_135_596_800 || (seconds == 0 && nanos == 0 && b.isEmpty) { return .null }
        // Year 0001 through 9999: what RFC 3339 can write.
        guard seconds >= -62_135_596_800, seconds <= 253_402_300_799 else { throw .malformed("\(path): time out of range") }
        return .string(KubeTime.format(epochSeconds: Double(seconds)))
    }

    /// intstr.IntOrString: {type int64 (0 int, 1 string), intVal int32, strVal string}.
    static func intOrString(_ b: ArraySlice<UInt8>, path: String) throws(KubeProtobufError) -> JSON {
        var type: UInt64 = 0
        var intVal: Int32 = 0
        var strVal = ""
        do throws(ProtobufWireError) {
            for f in try ProtobufWire.fields(b) {
                switch (f.number, f.value) {
                case (1, .varint(let x)): type = x
                case (2, .varint(let x)): intVal = Int32(truncatingIfNeeded: x)
                case (3, .bytes(let s)): strVal = String(decoding: s, as: UTF8.self)
                default: continue
                }
            }
        } catch { throw .malformed("\(path): \(error)") }
        return type == 1 ? .string(strVal) : .number(String(intVal))
    }

    /// resource.Quantity: {string}.
    static func quantity(_ b: ArraySlice<UInt8>, path: String) throws(KubeProtobufError) -> JSON {
        var s = "0"
        do throws(ProtobufWireError) {
            for f in try ProtobufWire.fields(b) {
                if f.number == 1, case .bytes(let v) = f.value { s = String(decoding: v, as: UTF8.self) }
            }
        } catch { throw .malformed("\(path): \(error)") }
        return .string(s)
    }
}
