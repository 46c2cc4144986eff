import KubeCore
import SMI

/// Just enough of Kubernetes' protobuf wire format to read the SelfSubjectAccessReview that
/// `kubectl auth can-i` sends as `application/vnd.kubernetes.protobuf`. The answer goes back
/// as JSON, which kubectl's Accept header also allows.
enum KubeProtobuf {
    /// Fields of one message: field number → raw bytes of length-delimited values.
    static func fields(_ b: ArraySlice<UInt8>) -> [Int: [ArraySlice<UInt8>]]? {
        var out: [Int: [ArraySlice<UInt8>]] = [:]
        var i = b.startIndex
        func varint() -> UInt64? {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while i < b.endIndex {
                let c = b[i]
                i += 1
                v |= UInt64(c & 0x7F) << shift
                if c & 0x80 == 0 { return v }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }
        while i < b.endIndex {
            guard let key = varint() else { return nil }
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: guard varint() != nil else { return nil }
            case 1: i += 8
            case 5: i += 4
            case 2:
                guard let len = varint(), len <= UInt64(b.endIndex - i) else { return nil }
                out[field, default: []].append(b[i..<(i + Int(len))])
                i += Int(len)
            default: return nil
            }
            if i > b.endIndex { return nil }
        }
        return out
    }

    static func string(_ f: [Int: [ArraySlice<UInt8>]], _ n: Int) -> String? {
        f[n]?.first.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Decodes the `k8s\0` envelope around a SelfSubjectAccessReview into its JSON form.
    static func selfSubjectAccessReview(_ body: [UInt8]) -> JSON? {
        guard body.count > 4, body[0..<4].elementsEqual([0x6B, 0x38, 0x73, 0x00]) else { return nil }
        guard let unknown = fields(body[4...]), let raw = unknown[2]?.first, let review = fields(raw) else { return nil }
        guard let specBytes = review[2]?.first, let spec = fields(specBytes) else { return nil }
        var specJSON = JSONObject()
        if let ra = spec[1]?.first, let attrs = fields(ra) {
            var o = JSONObject()
            for (n, k) in [(1, "namespace"), (2, "verb"), (3, "group"), (4, "version"), (5, "resource"), (6, "subresource"), (7, "name")] {
                if let s = string(attrs, n) { o[k] = .string(s) }
            }
            specJSON["resourceAttributes"] = .object(o)
        }
        if let nra = spec[2]?.first, let attrs = fields(nra) {
            var o = JSONObject()
            if let p = string(attrs, 1) { o["path"] = .string(p) }
            if let v = string(attrs, 2) { o["verb"] = .string(v) }
            specJSON["nonResourceAttributes"] = .object(o)
        }
        return [
            "kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": .emptyObject,
            "spec": .object(specJSON),
        ]
    }
}
