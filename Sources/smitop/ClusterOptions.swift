import ArgumentParser
import Foundation
import Kube
import KubeCore
import Runtime
import SMI
import Transport
import Yams

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, wide, json, yaml
}

/// The flags every command that talks to a cluster shares, named as kubectl names them.
struct ClusterOptions: ParsableArguments {
    @Option(name: .customLong("kubeconfig"), help: "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
    var kubeconfig: String?
    @Option(name: .customLong("context"), help: "The kubeconfig context to use.")
    var context: String?
    @Option(name: [.customShort("n"), .customLong("namespace")], help: "The namespace (default: the context's).")
    var namespace: String?
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Every namespace.")
    var allNamespaces = false
    @Flag(name: .customLong("trust-exec"), help: "Run the kubeconfig's exec credential plugin without asking.")
    var trustExec = false
    @Flag(
        name: .customLong("trust-files"),
        help: "Read credential files the kubeconfig names outside its directory and ~/.kube without asking.")
    var trustFiles = false

    /// Resolves the kubeconfig and builds a client on libcurl. Warnings (such as
    /// insecure-skip-tls-verify) go to stderr every time: they must never be silent.
    func connect() throws -> (KubeClient, ResolvedCluster) {
        let cluster: ResolvedCluster
        let trust = ExecTrust(environment: ProcessInfo.processInfo.environment)
        do {
            cluster = try Kubeconfig.resolve(
                KubeconfigOptions(kubeconfigPath: kubeconfig, context: context, namespace: namespace, allNamespaces: allNamespaces),
                credentialFiles: { trust.decideFiles($0, trustFlag: trustFiles, ask: ExecTrust.askOnTerminal) })
        } catch {
            throw CLIError.fail(error.userMessage, code: 1)
        }
        for w in cluster.warnings { warn(w) }
        if let refusal = trust.decide(cluster, trustFlag: trustExec, ask: ExecTrust.askOnTerminal) {
            throw CLIError.fail(refusal, code: 1)
        }
        let client = KubeClient(
            cluster: cluster, transport: CurlTransport(tls: cluster.tls),
            transportForTLS: { CurlTransport(tls: $0) }, userAgent: "smitop/\(SmitopVersion.number)")
        return (client, cluster)
    }

    /// nil means every namespace.
    func scope(_ cluster: ResolvedCluster) -> String? { allNamespaces ? nil : cluster.namespace }
}

func warn(_ s: String) {
    FileHandle.standardError.write(Data("smitop: warning: \(sanitizedForDisplay(s, limit: 2000))\n".utf8))
}

/// Turns any failure into one line on stderr and exit code 1 (3 for a write conflict).
func fail(_ error: any Error) -> ExitCode {
    if let e = error as? ExitCode { return e }
    let code: Int32 = (error as? KubeError)?.isConflict == true ? 3 : 1
    return CLIError.fail(KubeError.userMessage(for: error), code: code)
}

func printJSON(_ j: JSON) {
    print(j.prettyString())
}

func printYAML(_ j: JSON) {
    do {
        print(try Yams.serialize(node: j.yamlNode), terminator: "")
    } catch {
        printJSON(j)
    }
}

extension JSON {
    /// A Yams node keeping key order, with strings quoted where YAML would read them as
    /// something else ("1", "true", "500m" stays unquoted as it is no number in YAML).
    var yamlNode: Node {
        switch self {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool))
        case .number(let n): return Node(n, Tag(.int))
        case .string(let s):
            return Node(s, Tag(.str), JSON.needsQuotes(s) ? .doubleQuoted : .any)
        case .array(let a): return Node(a.map(\.yamlNode))
        case .object(let o): return Node(o.entries.map { (Node($0.key), $0.value.yamlNode) })
        }
    }

    static func needsQuotes(_ s: String) -> Bool {
        if s.isEmpty { return true }
        let resolved = Resolver.default.resolveTag(of: Node(s))
        return resolved != .str
    }
}

/// Pads columns like kubectl's tabwriter: two spaces between columns, no trailing spaces.
func renderTable(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map { displayWidth($0) }
    for r in rows {
        for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], displayWidth(c)) }
    }
    var out = ""
    for r in [header] + rows {
        var line = ""
        for (i, c) in r.enumerated() {
            line += c
            if i < r.count - 1 { line += String(repeating: " ", count: widths[i] - displayWidth(c) + 3) }
        }
        out += line + "\n"
    }
    return out
}

func displayWidth(_ s: String) -> Int { s.count }

/// `NS/NAME`, or `NAME` in the current namespace.
func parseObjectRef(_ s: String, defaultNamespace: String) throws -> (namespace: String, name: String) {
    let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    switch parts.count {
    case 1 where !parts[0].isEmpty: return (defaultNamespace, parts[0])
    case 2 where !parts[0].isEmpty && !parts[1].isEmpty: return (parts[0], parts[1])
    default: throw CLIError.fail("expected NAMESPACE/NAME or NAME, got \"\(s)\"", code: 2)
    }
}
