import Foundation
import KubeCore

/// The other direction: an object's JSON written as Kubernetes protobuf (`k8s\0` +
/// runtime.Unknown + the message), for clients whose Accept prefers it. Only what the tables
/// describe can be written: any other field makes `encodeObject` return nil, and the server
/// answers JSON instead (every such client accepts it), so nothing is ever lost.
extension KubeProtobuf {
    public static func encodeObject(_ object: JSON) -> [UInt8]? {
        guard let kind = object["kind"]?.stringValue, let apiVersion = object["apiVersion"]?.stringValue,
            let root = KubeProtobufSchema.topLevel[kind]
        else { return nil }
        var body = object
        if case .object(var o) = body {
            _ = o.removeValue(forKey: "kind")
            _ = o.removeValue(forKey: "apiVersion")
            body = .object(o)
        }
        guard let raw = message(body, root, depth: 0) else { return nil }
        let typeMeta = ProtobufWriter().string(1, apiVersion).string(2, kind)
        return magic + ProtobufWriter().message(1, typeMeta.bytes).message(2, raw).bytes
    }

    static func message(_ json: JSON, _ name: String, depth: Int) -> [UInt8]? {
        guard depth < maxDepth, case .object(let o) = json, let table = KubeProtobufSchema.messages[name] else { return nil }
        var byName: [String: (Int, KubeProtobufSchema.FieldSpec)] = [:]
        for (n, spec) in table { byName[spec.name] = (n, spec) }
        // Every key must have a field: an unknown one means this object cannot be written.
        if o.contains(where: { byName[$0.key] == nil && $0.value != .null }) { return nil }
        var w = ProtobufWriter()
        for (n, spec) in table.sorted(by: { $0.key < $1.key }) {
            guard let v = o[spec.name], v != .null else { continue }
            switch spec.kind {
            case .stringMap, .quantityMap, .bytesMap:
                guard case .object(let m) = v else { return nil }
                for (k, value) in m.sorted(by: { $0.key < $1.key }) {
                    var entry = ProtobufWriter().string(1, k)
                    switch spec.kind {
                    case .quantityMap:
                        guard let q = value.stringValue ?? (value.intValue.map(String.init)) else { return nil }
                        entry = entry.message(2, ProtobufWriter().string(1, q).bytes)
                    case .bytesMap:
                        guard let s = value.stringValue, let d = Data(base64Encoded: s) else { return nil }
                        entry = entry.message(2, Array(d))
                    default:
                        guard let s = value.stringValue else { return nil }
                        entry = entry.string(2, s)
                    }
                    w = w.message(n, entry.bytes)
                }
            default:
                let items: [JSON]
                if spec.repeated {
                    guard let a = v.arrayValue else { return nil }
                    items = a
                } else {
                    items = [v]
                }
                for item in items {
                    guard let next = field(w, n, item, spec.kind, depth: depth) else { return nil }
                    w = next
                }
            }
        }
        return w.bytes
    }

    static func field(_ w: ProtobufWriter, _ n: Int, _ v: JSON, _ kind: KubeProtobufSchema.Kind, depth: Int) -> ProtobufWriter? {
        switch kind {
        case .string:
            guard let s = v.stringValue else { return nil }
            return w.string(n, s)
        case .int32:
            guard let x = v.intValue, x >= Int64(Int32.min), x <= Int64(Int32.max) else { return nil }
            return w.int(n, x)
        case .int64:
            guard let x = v.intValue else { return nil }
            return w.int(n, x)
        case .bool:
            guard case .bool(let b) = v else { return nil }
            return w.int(n, b ? 1 : 0)
        case .bytes:
            guard let s = v.stringValue, let d = Data(base64Encoded: s) else { return nil }
            return w.message(n, Array(d))
        case .time:
            guard let s = v.stringValue, let d = KubeTime.parse(s) else { return nil }
            return w.message(n, ProtobufWriter().int(1, Int64(saturating: d.timeIntervalSince1970.rounded(.down))).bytes)
        case .intOrString:
            if let s = v.stringValue { return w.message(n, ProtobufWriter().int(1, 1).string(3, s).bytes) }
            guard let x = v.intValue, x >= Int64(Int32.min), x <= Int64(Int32.max) else { return nil }
            return w.message(n, ProtobufWriter().int(1, 0).int(2, x).bytes)
        case .quantity:
            guard let s = v.stringValue ?? v.intValue.map(String.init) else { return nil }
            return w.message(n, ProtobufWriter().string(1, s).bytes)
        case .rawJSON:
            return w.message(n, ProtobufWriter().message(1, v.serialized()).bytes)
        case .message(let name):
            guard let b = message(v, name, depth: depth + 1) else { return nil }
            return w.message(n, b)
        case .stringMap, .quantityMap, .bytesMap:
            return nil
        }
    }
}
