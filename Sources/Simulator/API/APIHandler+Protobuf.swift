import APIServer
import KubeCore

// Protobuf request bodies (`application/vnd.kubernetes.protobuf`), as kubectl's typed clients
// send built-in kinds (create namespace/deployment/service/configmap, expose, run). Answers
// stay JSON: every such client's Accept also lists JSON or `*/*`.

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
