import APIServer
import KubeCore

// Protobuf request bodies (`application/vnd.kubernetes.protobuf`), as kubectl's typed clients
// send built-in kinds (create namespace/deployment/service/configmap, expose, run), and
// protobuf answers for a client whose Accept puts protobuf first, when the object can be
// written whole (else JSON, which every such client also accepts, as the real server's
// negotiation allows). Lists, tables, watches and errors are JSON.

extension APIHandler {
    func decodeProtobufBody(_ r: APIRequest) throws(APIError) -> JSON {
        do throws(KubeProtobufError) {
            return try APIServer.KubeProtobuf.decodeObject(r.body)
        } catch {
            switch error {
            case .malformed(let m):
                throw APIError.badRequest("the object provided is unrecognized (invalid protobuf: \(m))")
            case .unsupported(let m):
                throw APIError(code: 415, reason: "UnsupportedMediaType", message: m)
            }
        }
    }
}

extension APIHandler {
    /// Whether the request being answered put protobuf first in its Accept header.
    @TaskLocal static var prefersProtobuf = false

    static func prefersProtobuf(accept: String?) -> Bool {
        guard let first = accept?.split(separator: ",").first else { return false }
        let type = first.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return type == "application/vnd.kubernetes.protobuf"
    }

    /// The protobuf form of a JSON object answer, if the client prefers it and it can be written.
    static func protobufAnswer(_ bytes: [UInt8], status: Int, contentType: String) -> [UInt8]? {
        guard prefersProtobuf, status < 300, contentType == "application/json", let j = try? JSON.parse(bytes) else { return nil }
        return APIServer.KubeProtobuf.encodeObject(j)
    }
}
