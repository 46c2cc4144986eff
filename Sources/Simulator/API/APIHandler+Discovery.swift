import Hummingbird
import KubeCore
import NIOCore

// Discovery, OpenAPI, version and health: the documents clients read before any resource.

extension APIHandler {
    var discovery: Discovery { Discovery(registry: sim.registry, serverAddress: "\(sim.options.address):\(sim.boundPort.load(ordering: .relaxed))") }
    var openAPIHash: String { "smitop-\(sim.options.profile.rawValue)-2" }

    var versionInfo: JSON {
        let minor = String(sim.options.kubernetesMinor)
        return [
            "major": "1", "minor": .string(minor), "gitVersion": .string("v1.\(minor).0"),
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
            "platform": "linux/amd64",
        ]
    }

    /// The GET endpoints that are not resources: version, health, discovery and OpenAPI. nil
    /// when the path is none of them (it is then routed as a resource).
    func nonResourceGET(_ r: APIRequest) throws(APIError) -> Response? {
        let s = r.segments
        switch s {
        case ["version"]: return Self.json(versionInfo)
        case ["healthz"], ["readyz"], ["livez"]: return Self.text("ok")
        case ["api"]:
            if let f = Discovery.aggregatedFormat(accept: r.accept) {
                return Self.json(discovery.aggregated(core: true, format: f), contentType: f.contentType)
            }
            return Self.json(discovery.apiVersions)
        case ["apis"]:
            if let f = Discovery.aggregatedFormat(accept: r.accept) {
                return Self.json(discovery.aggregated(core: false, format: f), contentType: f.contentType)
            }
            return Self.json(discovery.apiGroupList)
        case ["api", "v1"]:
            return Self.json(discovery.resourceList(group: "", version: "v1")!)
        case ["openapi", "v2"]:
            return Response(
                status: .ok, headers: [.contentType: Discovery.openAPIV2ContentType],
                body: .init(byteBuffer: ByteBuffer(bytes: discovery.openAPIV2Document())))
        case ["openapi", "v3"]:
            return Self.json(discovery.openAPIV3Root(hash: openAPIHash))
        default: break
        }
        if s.count == 2, s[0] == "apis" {
            guard let g = discovery.apiGroup(s[1]) else { throw notFoundPath(r.path) }
            return Self.json(g)
        }
        if s.count == 3, s[0] == "apis" {
            guard let l = discovery.resourceList(group: s[1], version: s[2]) else { throw notFoundPath(r.path) }
            return Self.json(l)
        }
        if s.count >= 3, s[0] == "openapi", s[1] == "v3" {
            let rest = Array(s.dropFirst(2))
            let doc: JSON?
            if rest == ["api", "v1"] {
                doc = discovery.openAPIV3(group: "", version: "v1")
            } else if rest.count == 3, rest[0] == "apis" {
                doc = discovery.openAPIV3(group: rest[1], version: rest[2])
            } else {
                doc = nil
            }
            guard let doc else { throw notFoundPath(r.path) }
            var resp = Self.json(doc)
            if r.query["hash"] != nil { resp.headers[.cacheControl] = "public, immutable" }
            return resp
        }
        return nil
    }
}
