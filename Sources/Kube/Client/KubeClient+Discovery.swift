import KubeCore

// Discovery: which versions of a group are served, cached for the life of the client.

/// What `/apis/<group>` says is served.
public struct APIGroupInfo: Sendable, Equatable {
    public var name: String
    /// Served versions, in the server's order (preferred first on a real API server).
    public var versions: [String]
    public var preferredVersion: String?

    public init(name: String, versions: [String], preferredVersion: String?) {
        self.name = name
        self.versions = versions
        self.preferredVersion = preferredVersion
    }

    public init(json: JSON) throws(KubeError) {
        guard let name = json["name"]?.stringValue else { throw .decoding("APIGroup without a name") }
        self.name = name
        versions = (json["versions"]?.arrayValue ?? []).compactMap { $0["version"]?.stringValue }
        preferredVersion = json[path: "preferredVersion", "version"]?.stringValue ?? versions.first
    }
}

extension KubeClient {
    public static let smiGroups = ["split.smi-spec.io", "access.smi-spec.io", "specs.smi-spec.io", "metrics.smi-spec.io"]

    /// `/apis/<group>`: which versions are served; nil when the group is not served (404).
    /// Cached for the life of the client: served versions change only with a CRD update.
    public func apiGroup(_ group: String) async throws(KubeError) -> APIGroupInfo? {
        if let cached = state.withLock({ $0.discovery[group] }) { return cached }
        let info: APIGroupInfo?
        do {
            info = try APIGroupInfo(json: try await rawGet("/apis/\(pathSegment(group))"))
        } catch  where error.code == 404 {
            info = nil
        }
        state.withLock { $0.discovery[group] = .some(info) }
        return info
    }

    /// Discovery for every SMI group; a failure for one group does not hide the others.
    public func discoverSMI() async -> [String: Result<APIGroupInfo?, KubeError>] {
        var out: [String: Result<APIGroupInfo?, KubeError>] = [:]
        for g in Self.smiGroups {
            do { out[g] = .success(try await apiGroup(g)) } catch { out[g] = .failure(error) }
        }
        return out
    }

    /// Drops cached discovery (after a 404 that suggests the served versions changed).
    public func forgetDiscovery() {
        state.withLock { $0.discovery = [:] }
    }
}
