import HTTPTypes
import Hummingbird
import KubeCore
import NIOCore

// Responses and errors: JSON, raw and text bodies, Warning headers, Status objects.

extension APIHandler {
    // MARK: Errors

    func notFoundPath(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: .emptyObject)
    }

    func forbidden(_ user: User, verb: String, target: ResourceTarget) -> APIError {
        let t = target.type
        var msg = ""
        if let n = target.name { msg = "\(t.groupResource) \"\(n)\" is forbidden: " } else { msg = "\(t.groupResource) is forbidden: " }
        msg += "User \"\(user.name)\" cannot \(verb) resource \"\(t.resource)\" in API group \"\(t.group)\""
        if let ns = target.namespace { msg += " in the namespace \"\(ns)\"" } else if !t.namespaced { msg += " at the cluster scope" }
        return APIError(
            code: 403, reason: "Forbidden", message: msg,
            details: ["name": .string(target.name ?? ""), "group": .string(t.group), "kind": .string(t.resource)])
    }

    // MARK: Responses

    static func json(_ j: JSON, status: Int = 200, contentType: String = "application/json") -> Response {
        raw(j.serialized(), status: status, contentType: contentType)
    }

    static func raw(_ bytes: [UInt8], status: Int = 200, contentType: String = "application/json", warnings: [String] = []) -> Response {
        if let pb = protobufAnswer(bytes, status: status, contentType: contentType) {
            return raw(pb, status: status, contentType: "application/vnd.kubernetes.protobuf", warnings: warnings)
        }
        var headers: HTTPFields = [.contentType: contentType]
        for w in warnings.prefix(16) {
            let escaped = w.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            headers.append(HTTPField(name: HTTPField.Name("Warning")!, value: "299 - \"\(escaped)\""))
        }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ s: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    static func status(_ e: APIError) -> Response {
        var r = json(e.status, status: e.code)
        if let ra = e.retryAfter { r.headers[HTTPField.Name("Retry-After")!] = String(ra) }
        return r
    }
}
