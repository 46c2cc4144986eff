import Hummingbird

// Routing: a path to what it names (a discovery document, another API group, or a resource
// and its verb), and the dispatch of resource verbs to reads, watch and writes.

extension APIHandler {
    // MARK: Routing

    func route(_ r: APIRequest, user: User, request: Request, context: SimContext) async throws -> Response {
        let s = r.segments
        let method = r.method
        if method == "GET", let response = try nonResourceGET(r) { return response }
        if s.count >= 3, s[0] == "apis", s[1] == TypeRegistry.metricsGroup {
            guard method == "GET" else {
                throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
            }
            return metrics(r)
        }
        if s.count >= 3, s[0] == "apis", s[1] == TypeRegistry.resourceMetricsGroup {
            guard method == "GET" else {
                throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
            }
            return try resourceMetrics(r)
        }
        if s == ["apis", "authorization.k8s.io", "v1", "selfsubjectaccessreviews"], method == "POST" {
            return try selfSubjectAccessReview(r, user: user)
        }
        if Self.serviceProxyTarget(s) != nil { return await serviceProxy(r, user: user, request: request) }
        if Self.portForwardTarget(s) != nil { return try await portForward(r, user: user, request: request, context: context) }
        guard let target = try resolveTarget(r) else { throw notFoundPath(r.path) }
        return try await resource(r, target: target, user: user, request: request, context: context)
    }

    func resolveTarget(_ r: APIRequest) throws(APIError) -> ResourceTarget? {
        let s = r.segments
        let group: String
        let version: String
        let rest: [String]
        if s.count >= 3, s[0] == "api", s[1] == "v1" {
            group = ""
            version = "v1"
            rest = Array(s.dropFirst(2))
        } else if s.count >= 4, s[0] == "apis" {
            group = s[1]
            version = s[2]
            rest = Array(s.dropFirst(3))
        } else {
            return nil
        }
        func type(_ res: String) throws(APIError) -> ResourceType {
            guard let t = sim.registry.find(group: group, version: version, resource: res) else { throw notFoundPath(r.path) }
            return t
        }
        // /namespaces/{ns}/{resource}[/{name}[/{sub}]] for namespaced types.
        if rest.count >= 3, rest[0] == "namespaces" {
            let t = try type(rest[2])
            guard t.namespaced else { throw notFoundPath(r.path) }
            return ResourceTarget(
                type: t, version: version, namespace: rest[1], name: rest.count > 3 ? rest[3] : nil,
                subresource: rest.count > 4 ? rest[4] : nil)
        }
        let t = try type(rest[0])
        if rest.count > 3 { throw notFoundPath(r.path) }
        if t.namespaced && rest.count > 1 { throw notFoundPath(r.path) }
        return ResourceTarget(type: t, version: version, namespace: nil, name: rest.count > 1 ? rest[1] : nil, subresource: rest.count > 2 ? rest[2] : nil)
    }

    // MARK: Resources

    func verb(_ r: APIRequest, _ target: ResourceTarget) -> String {
        switch r.method {
        case "GET": return target.name == nil ? (r.flag("watch") ? "watch" : "list") : "get"
        case "POST": return "create"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return target.name == nil ? "deletecollection" : "delete"
        default: return r.method.lowercased()
        }
    }

    func resource(_ r: APIRequest, target: ResourceTarget, user: User, request: Request, context: SimContext) async throws -> Response {
        let v = verb(r, target)
        guard target.type.verbs.contains(v) || (v == "deletecollection" && target.type.verbs.contains("delete")) else {
            throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
        if !["get", "list", "watch"].contains(v), !user.canWrite {
            throw forbidden(user, verb: v, target: target)
        }
        if target.subresource == "scale", target.type.subresources.contains("scale") {
            return try scale(r, target, verb: v)
        }
        if target.subresource == "log", target.type.group.isEmpty, target.type.resource == "pods", v == "get" {
            return try podLog(r, target)
        }
        if let sub = target.subresource, !["status"].contains(sub) {
            throw notFoundPath(r.path)
        }
        switch v {
        case "get": return try get(r, target)
        case "list": return try list(r, target)
        case "watch": return try watch(r, target, request: request, context: context)
        case "create": return try create(r, target)
        case "update": return try update(r, target)
        case "patch": return try patch(r, target)
        case "delete": return try delete(r, target)
        case "deletecollection": return try deleteCollection(r, target)
        default: throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
    }
}
