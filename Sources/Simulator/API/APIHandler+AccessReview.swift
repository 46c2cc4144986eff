import Hummingbird
import KubeCore

// SelfSubjectAccessReview (authorization.k8s.io): what the caller may do, as kubectl auth can-i
// and smitop's read-only check ask it.

extension APIHandler {
    func selfSubjectAccessReview(_ r: APIRequest, user: User) throws(APIError) -> Response {
        var review: JSON
        if r.contentType?.hasPrefix("application/vnd.kubernetes.protobuf") == true {
            guard let decoded = KubeProtobuf.selfSubjectAccessReview(r.body) else {
                throw APIError.badRequest("the body of the request could not be decoded as a SelfSubjectAccessReview")
            }
            review = decoded
        } else {
            review = try decodeBody(r)
        }
        guard case .object = review else { throw APIError.badRequest("invalid SelfSubjectAccessReview") }
        let attrs = review[path: "spec", "resourceAttributes"]
        let verb = attrs?["verb"]?.stringValue ?? review[path: "spec", "nonResourceAttributes", "verb"]?.stringValue ?? ""
        // The read-only user is bound like the built-in `view` ClusterRole, which grants no
        // `services/proxy` and no `pods/portforward` (nor exec, attach): both reach into a
        // pod, which view must not.
        let resource = attrs?["resource"]?.stringValue
        let sub = attrs?["subresource"]?.stringValue ?? ""
        let intoPod =
            (resource == "services" && sub == "proxy") || (resource == "pods" && ["portforward", "exec", "attach", "proxy"].contains(sub))
        let allowed = user.canWrite || (["get", "list", "watch"].contains(verb) && !intoPod)
        var status: JSON = ["allowed": .bool(allowed)]
        if allowed {
            status["reason"] =
                user.canWrite ? "RBAC: allowed by ClusterRoleBinding \"smitop-sim-admin\"" : "RBAC: allowed by ClusterRoleBinding \"smitop-sim-view\""
        } else {
            status["denied"] = false
        }
        review["status"] = status
        review["apiVersion"] = "authorization.k8s.io/v1"
        review["kind"] = "SelfSubjectAccessReview"
        review = setPath(review, ["metadata", "creationTimestamp"], .null)
        return Self.raw(review.serialized(), status: 201)
    }
}
