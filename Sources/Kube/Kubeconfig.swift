// kubeconfig loading as kubectl does it (client-go's ClientConfigLoadingRules and
// DirectClientConfig), resolved into one `ResolvedCluster`. Errors name the file, the field
// path and the problem, because a kubeconfig is usually edited by hand or by a cloud CLI and
// "invalid configuration" alone sends people hunting.

import Foundation
import KubeCore
import SMI

public struct InClusterPaths: Sendable, Equatable {
    public var token: String
    public var ca: String
    public var namespace: String

    public init(directory: String = "/var/run/secrets/kubernetes.io/serviceaccount") {
        token = "\(directory)/token"
        ca = "\(directory)/ca.crt"
        namespace = "\(directory)/namespace"
    }
}

/// Flags and environment that select the configuration (`--kubeconfig`, `--context`, `-n`, `-A`).
public struct KubeconfigOptions: Sendable {
    public var kubeconfigPath: String?
    public var context: String?
    public var namespace: String?
    public var allNamespaces: Bool
    /// The process environment (KUBECONFIG, HOME, PATH, KUBERNETES_SERVICE_HOST/PORT, exec plugins' env).
    public var environment: [String: String]
    public var inCluster: InClusterPaths
    public var execTimeout: Seconds

    public init(
        kubeconfigPath: String? = nil, context: String? = nil, namespace: String? = nil, allNamespaces: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment, inCluster: InClusterPaths = InClusterPaths(),
        execTimeout: Seconds = 30
    ) {
        self.kubeconfigPath = kubeconfigPath
        self.context = context
        self.namespace = namespace
        self.allNamespaces = allNamespaces
        self.environment = environment
        self.inCluster = inCluster
        self.execTimeout = execTimeout
    }
}

public struct ResolvedCluster: Sendable, CustomStringConvertible {
    /// Base URL of the API server (may carry a path prefix, e.g. behind Rancher).
    public var server: URL
    public var tls: TLSSettings
    public var credentials: any CredentialProvider
    /// Namespace for namespaced requests (flag, then context, then "default").
    public var namespace: String
    /// `-A`: list across all namespaces.
    public var allNamespaces: Bool
    public var contextName: String
    public var clusterName: String
    public var userName: String
    /// Things the user must see (for example `insecure-skip-tls-verify`).
    public var warnings: [String]
    /// kubeconfig files that contributed, in load order (empty for in-cluster).
    public var sourceFiles: [String]

    public var description: String {
        "ResolvedCluster(server: \(server.absoluteString), context: \(contextName), cluster: \(clusterName), user: \(userName), namespace: \(allNamespaces ? "*" : namespace), tls: \(tls), credentials: \(credentials))"
    }

    public var isTLS: Bool { server.scheme == "https" }
}

/// The merged content of one or more kubeconfig files.
public struct Kubeconfig: Sendable {
    public struct Entry: Sendable {
        public var name: String
        /// The inner object (`cluster`, `user` or `context`).
        public var body: JSONObject
        public var file: String
        /// Index in the file's list, for error messages.
        public var index: Int

        public var directory: String { PathText.directory(of: file) }
    }

    public var clusters: [String: Entry] = [:]
    public var users: [String: Entry] = [:]
    public var contexts: [String: Entry] = [:]
    public var currentContext: String?
    public var currentContextFile: String?
    public var files: [String] = []

    public init() {}

    /// "http://user:password@proxy:3128" → "http://***@proxy:3128": URLs are echoed in
    /// messages, their credentials never.
    static func redactingUserInfo(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        return url[..<scheme.upperBound] + "***" + url[at...]
    }

    /// The YAML reader quotes the offending source line under a caret. In a kubeconfig that
    /// line may hold a token or a key, so only the position and the problem are kept.
    static func withoutSourceEcho(_ message: String) -> String {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let caret = lines.lastIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "^" }) {
            lines.removeSubrange(max(0, caret - 1)...caret)
        }
        return lines.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Parses one file's text. `path` is used for messages and relative paths.
    public static func parse(_ text: String, path: String) throws(KubeError) -> Kubeconfig {
        let json: JSON
        // A kubeconfig is a few kilobytes: a budget of 100,000 nodes refuses an alias bomb long
        // before it costs memory or time (the budget is for all the aliases' expansions).
        do { json = try JSON.parseYAML(text, maxNodes: 100_000) } catch {
            throw .config("kubeconfig \(path): invalid YAML: \(withoutSourceEcho(error.description))")
        }
        var k = Kubeconfig()
        k.files = [path]
        guard case .object(let root) = json else {
            if json.isNull { return k }  // An empty file is allowed, as in kubectl.
            throw .config("kubeconfig \(path): expected a mapping at the top level, got \(json.typeName)")
        }
        if let cc = root["current-context"] {
            guard let s = cc.stringValue else {
                throw .config("kubeconfig \(path): current-context: expected a string, got \(cc.typeName)")
            }
            if !s.isEmpty {
                k.currentContext = s
                k.currentContextFile = path
            }
        }
        k.clusters = try entries(root, "clusters", "cluster", path)
        k.users = try entries(root, "users", "user", path)
        k.contexts = try entries(root, "contexts", "context", path)
        return k
    }

    private static func entries(_ root: JSONObject, _ list: String, _ inner: String, _ path: String) throws(KubeError) -> [String: Entry] {
        guard let v = root[list], !v.isNull else { return [:] }
        guard case .array(let items) = v else {
            throw .config("kubeconfig \(path): \(list): expected a list, got \(v.typeName)")
        }
        var out: [String: Entry] = [:]
        for (i, item) in items.enumerated() {
            guard case .object(let o) = item else {
                throw .config("kubeconfig \(path): \(list)[\(i)]: expected a mapping, got \(item.typeName)")
            }
            guard let name = o["name"]?.stringValue, !name.isEmpty else {
                throw .config("kubeconfig \(path): \(list)[\(i)].name: missing")
            }
            let body: JSONObject
            switch o[inner] {
            case .object(let b)?: body = b
            case nil, .null?: body = JSONObject()
            case let other?: throw .config("kubeconfig \(path): \(list)[\(i)].\(inner): expected a mapping, got \(other.typeName)")
            }
            // Within one file, as across files, the first definition of a name wins.
            if out[name] == nil { out[name] = Entry(name: name, body: body, file: path, index: i) }
        }
        return out
    }

    /// kubectl's merge: for every map the first file that sets a key wins; current-context
    /// comes from the first file that sets it.
    public static func merged(_ configs: [Kubeconfig]) -> Kubeconfig {
        var m = Kubeconfig()
        for c in configs {
            m.files += c.files
            if m.currentContext == nil, let cc = c.currentContext {
                m.currentContext = cc
                m.currentContextFile = c.currentContextFile
            }
            for (k, v) in c.clusters where m.clusters[k] == nil { m.clusters[k] = v }
            for (k, v) in c.users where m.users[k] == nil { m.users[k] = v }
            for (k, v) in c.contexts where m.contexts[k] == nil { m.contexts[k] = v }
        }
        return m
    }

    /// The files kubectl would read, in order: `--kubeconfig` alone, else the KUBECONFIG list
    /// (missing files skipped, duplicates dropped), else ~/.kube/config if it exists.
    public static func files(for options: KubeconfigOptions) throws(KubeError) -> [String] {
        let fm = FileManager.default
        if let explicit = options.kubeconfigPath {
            guard fm.fileExists(atPath: explicit) else {
                throw .config("kubeconfig \(explicit): no such file (from --kubeconfig)")
            }
            return [explicit]
        }
        if let list = options.environment["KUBECONFIG"], !list.isEmpty {
            var seen = Set<String>()
            var out: [String] = []
            for p in list.split(separator: ":").map(String.init) where !p.isEmpty && !seen.contains(p) {
                seen.insert(p)
                if fm.fileExists(atPath: p) { out.append(p) }
            }
            return out
        }
        if let home = options.environment["HOME"] {
            let p = "\(home)/.kube/config"
            if fm.fileExists(atPath: p) { return [p] }
        }
        return []
    }

    /// Generous: a kubeconfig with hundreds of contexts and embedded certificates is a few MiB.
    public static let maxKubeconfigBytes = 16 << 20

    public static func load(files: [String]) throws(KubeError) -> Kubeconfig {
        var configs: [Kubeconfig] = []
        for f in files {
            // Only a regular file, and not without end: `--kubeconfig /dev/zero` or a FIFO in
            // KUBECONFIG must fail, not hang or eat memory.
            let data: [UInt8]
            switch LocalFile.read(f, limit: maxKubeconfigBytes) {
            case .success(let d): data = d
            case .failure(let e): throw .config("kubeconfig \(f): \(e.description)")
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw .config("kubeconfig \(f): not UTF-8 text")
            }
            configs.append(try parse(text, path: f))
        }
        return merged(configs)
    }
}

// MARK: - resolution

extension Kubeconfig {
    /// Loads and resolves the configuration kubectl would use for these options, falling back
    /// to the in-cluster service account when there is no kubeconfig and the pod environment is set.
    ///
    /// `credentialFiles` is asked before any credential file outside the kubeconfig's own
    /// directory and `~/.kube` is read (see `CredentialFileRequest`); it returns nil to allow
    /// the reads, or why not (thrown as a credential error). The default allows them.
    public static func resolve(
        _ options: KubeconfigOptions, credentialFiles: (CredentialFileRequest) -> String? = { _ in nil }
    ) throws(KubeError) -> ResolvedCluster {
        let files = try files(for: options)
        if files.isEmpty {
            if options.environment["KUBERNETES_SERVICE_HOST"] != nil {
                return try resolveInCluster(options)
            }
            let looked =
                options.environment["KUBECONFIG"].map { "KUBECONFIG=\($0)" }
                ?? "\(options.environment["HOME"] ?? "~")/.kube/config"
            throw .config(
                "no kubeconfig found (looked at \(looked)) and not running inside a cluster; set KUBECONFIG or pass --kubeconfig")
        }
        return try load(files: files).resolve(options, credentialFiles: credentialFiles)
    }

    public func resolve(
        _ options: KubeconfigOptions, credentialFiles: (CredentialFileRequest) -> String? = { _ in nil }
    ) throws(KubeError) -> ResolvedCluster {
        let where_ = files.count == 1 ? "kubeconfig \(files[0])" : "kubeconfig (\(files.joined(separator: ":")))"
        guard let contextName = options.context ?? currentContext else {
            throw .config("\(where_): current-context is not set; pass --context (contexts: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let ctx = contexts[contextName] else {
            let origin = options.context != nil ? "--context" : "current-context in \(currentContextFile ?? where_)"
            throw .config("\(where_): context \"\(contextName)\" not found (from \(origin))")
        }
        let cf = FieldReader(file: ctx.file, base: "contexts[\(ctx.index)].context", object: ctx.body)
        guard let clusterName = try cf.string("cluster"), !clusterName.isEmpty else {
            throw cf.error("cluster", "missing")
        }
        guard let cl = clusters[clusterName] else {
            throw cf.error("cluster", "cluster \"\(clusterName)\" not found")
        }
        let userName = try cf.string("user") ?? ""
        var user: Entry?
        if !userName.isEmpty {
            guard let u = users[userName] else { throw cf.error("user", "user \"\(userName)\" not found") }
            user = u
        }
        let contextNamespace = try cf.string("namespace").flatMap { $0.isEmpty ? nil : $0 }
        let namespace = options.namespace ?? contextNamespace ?? "default"

        // Cluster
        let c = FieldReader(file: cl.file, base: "clusters[\(cl.index)].cluster", object: cl.body)
        guard let serverText = try c.string("server"), !serverText.isEmpty else { throw c.error("server", "missing") }
        let server = try Self.parseServer(serverText, c)

        // Files named by the kubeconfig outside its own directory and ~/.kube are read only
        // with consent, asked before any of them is opened.
        var outside: [(field: String, path: String)] = []
        let home = options.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        func check(_ r: FieldReader, directory: String, file: String, data: String) throws(KubeError) {
            guard let p = try r.filePath(file: file, data: data) else { return }
            if !Self.isTrustedLocation(p, kubeconfigDirectory: directory, home: home) { outside.append((file, p)) }
        }
        try check(c, directory: cl.directory, file: "certificate-authority", data: "certificate-authority-data")
        if let user {
            let u = FieldReader(file: user.file, base: "users[\(user.index)].user", object: user.body)
            try check(u, directory: user.directory, file: "client-certificate", data: "client-certificate-data")
            try check(u, directory: user.directory, file: "client-key", data: "client-key-data")
            // With an exec plugin the token file is never read.
            if u.object["exec"]?.isNull ?? true { try check(u, directory: user.directory, file: "tokenFile", data: "") }
        }
        if !outside.isEmpty {
            let request = CredentialFileRequest(files: outside, kubeconfigs: files, userName: userName, server: server.absoluteString)
            if let refusal = credentialFiles(request) { throw .credential(refusal) }
        }

        var tls = TLSSettings()
        var warnings: [String] = []
        tls.caPEM = try c.bytes(file: "certificate-authority", data: "certificate-authority-data")
        tls.insecureSkipVerify = try c.bool("insecure-skip-tls-verify") ?? false
        if tls.insecureSkipVerify && tls.caPEM != nil {
            throw c.error("insecure-skip-tls-verify", "specifying a root certificates file with the insecure flag is not allowed")
        }
        if tls.insecureSkipVerify {
            warnings.append("TLS certificate verification is disabled for cluster \"\(clusterName)\" (insecure-skip-tls-verify in \(cl.file))")
        }
        tls.serverName = try c.string("tls-server-name").flatMap { $0.isEmpty ? nil : $0 }
        if let p = try c.string("proxy-url"), !p.isEmpty {
            guard let u = URL(string: p), let s = u.scheme?.lowercased(), ["http", "https", "socks5", "socks5h"].contains(s), u.host != nil else {
                throw c.error("proxy-url", "\"\(sanitizedForDisplay(Self.redactingUserInfo(p), limit: 200))\" is not an http, https or socks5 URL")
            }
            tls.proxyURL = p
        }
        if server.scheme == "http" && (tls.caPEM != nil || tls.insecureSkipVerify) {
            warnings.append("server \(server.absoluteString) is plain http: TLS settings of cluster \"\(clusterName)\" are ignored")
        }

        // User
        var provider: any CredentialProvider = StaticCredentials(.none)
        if let user {
            let u = FieldReader(file: user.file, base: "users[\(user.index)].user", object: user.body)
            tls.clientCertPEM = try u.bytes(file: "client-certificate", data: "client-certificate-data")
            tls.clientKeyPEM = try u.bytes(file: "client-key", data: "client-key-data")
            if (tls.clientCertPEM == nil) != (tls.clientKeyPEM == nil) {
                let missing = tls.clientCertPEM == nil ? "client-certificate" : "client-key"
                throw u.error(missing, "client-certificate and client-key must be set together (only one of them is)")
            }
            let token = try u.string("token").flatMap { $0.isEmpty ? nil : $0 }
            let tokenFile = try u.path("tokenFile")
            let username = try u.string("username").flatMap { $0.isEmpty ? nil : $0 }
            let password = try u.string("password").flatMap { $0.isEmpty ? nil : $0 }
            var methods: [String] = []
            if token != nil || tokenFile != nil { methods.append("token") }
            if username != nil || password != nil { methods.append("basicAuth") }
            if methods.count > 1 {
                throw .config(
                    "kubeconfig \(user.file): users[\(user.index)]: more than one authentication method found for \"\(userName)\"; found [\(methods.joined(separator: " "))], only one is allowed"
                )
            }
            if u.object["auth-provider"] != nil, !(u.object["auth-provider"]?.isNull ?? true) {
                let name = u.object["auth-provider"]?["name"]?.stringValue ?? "?"
                throw u.error(
                    "auth-provider",
                    "the \"\(name)\" auth provider plugin was removed from Kubernetes clients; switch this user to an exec credential plugin (for GKE: gke-gcloud-auth-plugin, for AKS: kubelogin)"
                )
            }
            if let exec = u.object["exec"], !exec.isNull {
                let cfg = try Self.execConfig(exec, u, cluster: c)
                provider = ExecCredentialProvider(
                    config: cfg,
                    cluster: ExecClusterInfo(
                        server: serverText, tlsServerName: tls.serverName, insecureSkipTLSVerify: tls.insecureSkipVerify,
                        caPEM: tls.caPEM, proxyURL: tls.proxyURL),
                    baseDirectory: user.directory, environment: options.environment, timeout: options.execTimeout)
            } else if let tokenFile {
                if case .failure(let e) = LocalFile.read(tokenFile) { throw u.error("tokenFile", e.description) }
                provider = TokenFileCredentials(path: tokenFile, initialToken: token)
            } else if let token {
                provider = StaticCredentials(.bearer(token))
            } else if let username {
                provider = StaticCredentials(.basic(username: username, password: password ?? ""))
            } else if password != nil {
                throw u.error("username", "missing (a password is set)")
            }
        }
        return ResolvedCluster(
            server: server, tls: tls, credentials: provider, namespace: namespace, allNamespaces: options.allNamespaces,
            contextName: contextName, clusterName: clusterName, userName: userName, warnings: warnings, sourceFiles: files)
    }

    static func parseServer(_ text: String, _ c: FieldReader) throws(KubeError) -> URL {
        // client-go accepts a bare host[:port] and assumes https.
        let withScheme = text.contains("://") ? text : "https://\(text)"
        guard var comps = URLComponents(string: withScheme), let scheme = comps.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = comps.host, !host.isEmpty
        else {
            throw c.error("server", "\"\(sanitizedForDisplay(redactingUserInfo(text), limit: 200))\" is not an http(s) URL")
        }
        // Credentials belong in the user entry; in the URL libcurl would send them anywhere,
        // plain http included, and every message would print them.
        if comps.user != nil || comps.password != nil {
            throw c.error("server", "must not contain a user name or password (put credentials in the user entry)")
        }
        if comps.query != nil || comps.fragment != nil {
            throw c.error("server", "must not contain a query or fragment")
        }
        while comps.path.hasSuffix("/") { comps.path.removeLast() }
        guard let url = comps.url else { throw c.error("server", "is not a valid URL") }
        return url
    }

    static func execConfig(_ exec: JSON, _ u: FieldReader, cluster c: FieldReader) throws(KubeError) -> ExecConfig {
        guard case .object(let o) = exec else { throw u.error("exec", "expected a mapping, got \(exec.typeName)") }
        let e = FieldReader(file: u.file, base: "\(u.base).exec", object: o)
        guard let command = try e.string("command"), !command.isEmpty else { throw e.error("command", "missing") }
        guard let apiVersion = try e.string("apiVersion"), !apiVersion.isEmpty else { throw e.error("apiVersion", "missing") }
        guard apiVersion == "client.authentication.k8s.io/v1" || apiVersion == "client.authentication.k8s.io/v1beta1" else {
            throw e.error("apiVersion", "\"\(apiVersion)\" is not supported (use client.authentication.k8s.io/v1 or v1beta1)")
        }
        var args: [String] = []
        if let a = o["args"], !a.isNull {
            guard case .array(let items) = a else { throw e.error("args", "expected a list") }
            for (i, item) in items.enumerated() {
                guard let s = item.stringValue else { throw e.error("args[\(i)]", "expected a string") }
                args.append(s)
            }
        }
        var env: [(name: String, value: String)] = []
        if let a = o["env"], !a.isNull {
            guard case .array(let items) = a else { throw e.error("env", "expected a list") }
            for (i, item) in items.enumerated() {
                guard let n = item["name"]?.stringValue, !n.isEmpty else { throw e.error("env[\(i)].name", "missing") }
                env.append((n, item["value"]?.stringValue ?? ""))
            }
        }
        let mode: ExecConfig.InteractiveMode
        if let m = try e.string("interactiveMode"), !m.isEmpty {
            guard let v = ExecConfig.InteractiveMode(rawValue: m) else {
                throw e.error("interactiveMode", "\"\(m)\" is not one of Never, IfAvailable, Always")
            }
            mode = v
        } else if apiVersion.hasSuffix("/v1") {
            throw e.error("interactiveMode", "required for client.authentication.k8s.io/v1 (Never, IfAvailable or Always)")
        } else {
            mode = .ifAvailable
        }
        let clusterCfg = c.object["extensions"]?.arrayValue?.first { $0["name"]?.stringValue == "client.authentication.k8s.io/exec" }?["extension"]
        return ExecConfig(
            command: command, args: args, env: env, apiVersion: apiVersion, interactiveMode: mode,
            provideClusterInfo: try e.bool("provideClusterInfo") ?? false, installHint: try e.string("installHint"),
            clusterConfig: clusterCfg)
    }

    static func resolveInCluster(_ options: KubeconfigOptions) throws(KubeError) -> ResolvedCluster {
        let env = options.environment
        guard let host = env["KUBERNETES_SERVICE_HOST"], !host.isEmpty, let port = env["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw .config("in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(hostPart):\(port)") else {
            throw .config("in-cluster configuration: invalid KUBERNETES_SERVICE_HOST/PORT \(host):\(port)")
        }
        let paths = options.inCluster
        let token: String
        do { token = try TokenFileCredentials.read(paths.token) } catch {
            throw .config("in-cluster configuration: cannot read the service account token \(paths.token)")
        }
        guard case .success(let ca) = LocalFile.read(paths.ca) else {
            throw .config("in-cluster configuration: cannot read the cluster CA \(paths.ca)")
        }
        let fileNS = FileManager.default.contents(atPath: paths.namespace).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let namespace = options.namespace ?? (fileNS?.isEmpty == false ? fileNS! : "default")
        return ResolvedCluster(
            server: server, tls: TLSSettings(caPEM: Array(ca)),
            credentials: TokenFileCredentials(path: paths.token, initialToken: token),
            namespace: namespace, allNamespaces: options.allNamespaces, contextName: "in-cluster",
            clusterName: "in-cluster", userName: "service-account", warnings: [], sourceFiles: [])
    }
}

/// Credential files a kubeconfig names outside its own directory and `~/.kube`. A kubeconfig
/// from elsewhere could name `~/.vault-token` as its `tokenFile` and have it sent to its own
/// server as a bearer token (or a private key as its client key), so such files are read only
/// when the caller's `credentialFiles` allows it (smitop asks, as for an exec plugin).
public struct CredentialFileRequest: Sendable {
    /// The field and the absolute path, e.g. ("tokenFile", "/home/u/.vault-token").
    public var files: [(field: String, path: String)]
    /// The kubeconfig files that were loaded.
    public var kubeconfigs: [String]
    public var userName: String
    /// Where the credentials would be sent.
    public var server: String

    public init(files: [(field: String, path: String)], kubeconfigs: [String], userName: String, server: String) {
        self.files = files
        self.kubeconfigs = kubeconfigs
        self.userName = userName
        self.server = server
    }
}

extension Kubeconfig {
    /// Whether `path` (symlinks resolved, so a link beside the kubeconfig cannot point out of
    /// it) lies in the kubeconfig's own directory or in `~/.kube`. The kubeconfig's directory
    /// does not count when it is the home directory or `/`: a kubeconfig saved straight into
    /// `~` would otherwise vouch for every file there.
    static func isTrustedLocation(_ path: String, kubeconfigDirectory: String, home: String?) -> Bool {
        let file = canonicalPath(path)
        var dirs: [String] = []
        let own = canonicalPath(kubeconfigDirectory.isEmpty ? "." : kubeconfigDirectory)
        let homeReal = home.map(canonicalPath)
        if own != "/" && own != homeReal { dirs.append(own) }
        if let h = home { dirs.append(canonicalPath(h + "/.kube")) }
        return dirs.contains { d in file.hasPrefix(d.hasSuffix("/") ? d : d + "/") }
    }

    static func canonicalPath(_ p: String) -> String {
        if let r = realpath(p, nil) {
            defer { free(r) }
            return String(cString: r)
        }
        // Missing (the read will fail anyway): `..` still must not climb out unnoticed.
        return (p as NSString).standardizingPath
    }
}

/// Typed reads of one kubeconfig object with errors that name file and field.
struct FieldReader {
    let file: String
    let base: String
    let object: JSONObject

    func error(_ field: String, _ problem: String) -> KubeError {
        .config("kubeconfig \(file): \(base).\(field): \(problem)")
    }

    func string(_ key: String) throws(KubeError) -> String? {
        guard let v = object[key], !v.isNull else { return nil }
        switch v {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return String(b)
        default: throw error(key, "expected a string, got \(v.typeName)")
        }
    }

    func bool(_ key: String) throws(KubeError) -> Bool? {
        guard let v = object[key], !v.isNull else { return nil }
        if let b = v.boolValue { return b }
        if let s = v.stringValue, let b = Bool(s.lowercased()) { return b }
        throw error(key, "expected true or false, got \(v.typeName)")
    }

    /// A path field, resolved against the directory of the file that defined it.
    func path(_ key: String) throws(KubeError) -> String? {
        guard let p = try string(key), !p.isEmpty else { return nil }
        if p.hasPrefix("/") { return p }
        if p.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] { return home + p.dropFirst() }
        return PathText.join(PathText.directory(of: file), p)
    }

    /// The path of `<file>` when it is what will be read: `<data>` takes precedence.
    func filePath(file fileKey: String, data dataKey: String) throws(KubeError) -> String? {
        if !dataKey.isEmpty, let d = try string(dataKey), !d.isEmpty { return nil }
        return try path(fileKey)
    }

    /// Key material from `<data>` (base64; takes precedence, as in client-go) or the file `<file>`.
    func bytes(file fileKey: String, data dataKey: String) throws(KubeError) -> [UInt8]? {
        if let d = try string(dataKey), !d.isEmpty {
            let cleaned = d.filter { !$0.isWhitespace }
            guard let bytes = Data(base64Encoded: cleaned) else { throw error(dataKey, "not valid base64") }
            if bytes.isEmpty { throw error(dataKey, "empty after base64 decoding") }
            return Array(bytes)
        }
        guard let p = try path(fileKey) else { return nil }
        switch LocalFile.read(p) {
        case .success(let bytes): return bytes
        case .failure(let e): throw error(fileKey, e.description)
        }
    }
}
