import Foundation
import Kube
import KubeCore
import SMI
import TestSupport
import Testing
import Transport

@testable import Simulator

/// The real `smitop` binary's headless commands against the simulator, in every profile,
/// over HTTPS (token and client certificate) and plain HTTP (token).
@Suite("smitop commands against smitop sim", .serialized)
struct CLITests {
    static var binary: String { SmitopBinary.path }

    func smitop(_ h: SimHarness, _ args: [String], context: String? = nil, stdin: String? = nil) async throws -> ProcessResult {
        var a = args + ["--kubeconfig", h.kubeconfig]
        if let context { a += ["--context", context] }
        return try await runProcess(Self.binary, a, env: ["HOME": h.dir], stdin: stdin, timeout: 60)
    }

    /// name → [service: weight literal] from either output.
    func weights(_ items: [JSON]) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for i in items {
            let ns = i["namespace"]?.stringValue ?? i[path: "metadata", "namespace"]?.stringValue ?? ""
            let name = i["name"]?.stringValue ?? i[path: "metadata", "name"]?.stringValue ?? ""
            let backends = i["backends"]?.arrayValue ?? i[path: "spec", "backends"]?.arrayValue ?? []
            var m: [String: String] = [:]
            for b in backends { m[b["service"]?.stringValue ?? ""] = b["weight"]?.compactString }
            out["\(ns)/\(name)"] = m
        }
        return out
    }

    @Test("splits agrees with kubectl, set is visible to kubectl, stale writes conflict", arguments: SimProfile.smiProfiles)
    func splitsEveryProfile(profile: SimProfile) async throws {
        let h = try await SimHarness.start { $0.profile = profile }
        defer { Task { await h.stop() } }
        for context in ["sim-admin", "sim-cert"] {
            let ours = try await smitop(h, ["splits", "-A", "-o", "json"], context: context)
            #expect(ours.status == 0, "\(context): \(ours.stderr)")
            let theirs = try await h.kubectl(["get", "trafficsplits", "-A", "-o", "json"])
            #expect(theirs.status == 0, "\(theirs.stderr)")
            let a = weights(try JSON.parse(ours.stdout)["items"]?.arrayValue ?? [])
            let b = weights(try JSON.parse(theirs.stdout)["items"]?.arrayValue ?? [])
            #expect(!a.isEmpty)
            #expect(a == b, "\(profile) \(context)")
        }
        // Find the canary split and move its weights; kubectl must see exactly that.
        let list = try JSON.parse(try await h.kubectl(["get", "ts", "-n", "bookstore", "-o", "json"]).stdout)
        let split = try TrafficSplit(json: list["items"]!.arrayValue!.first { $0[path: "metadata", "name"]?.stringValue == "books" }!)
        let b0 = split.backends[0].service
        let b1 = split.backends[1].service
        let set = try await smitop(h, ["split", "set", "bookstore/books", "\(b0)=3", "\(b1)=1"])
        #expect(set.status == 0, "\(set.stderr)")
        let after = try TrafficSplit(json: try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout))
        #expect(after.backends[0].weight.value == Quantity(integer: 3))
        #expect(after.backends[1].weight.value == Quantity(integer: 1))
        // Weights keep the notation the object was stored in (strings stay strings).
        #expect(after.backends[0].weight.isString == split.backends[0].weight.isString)

        // The graph reads the same objects: its split edges carry the weights just written,
        // and the metrics API contributes observed traffic edges.
        let graph = try await smitop(h, ["graph", "-A", "-o", "json"], context: "sim-cert")
        #expect(graph.status == 0, "\(graph.stderr)")
        let g = try JSON.parse(graph.stdout)
        // The TrafficSplit's edges (route rules' edges, in the Gateway API profiles, carry a kind).
        let splitEdges = (g["edges"]?.arrayValue ?? []).filter {
            $0[path: "split", "name"]?.stringValue == "books" && $0[path: "split", "namespace"]?.stringValue == "bookstore"
                && $0[path: "split", "kind"] == nil
        }
        #expect(splitEdges.count == split.backends.count)
        #expect(splitEdges.first { $0["to"]?.stringValue == "svc/bookstore/\(b1)" }?[path: "split", "share"]?.doubleValue == 0.25)
        #expect((g["edges"]?.arrayValue ?? []).contains { $0["kind"]?.stringValue == "traffic" && ($0[path: "metrics", "rps"]?.doubleValue ?? 0) > 0 })
        let nodeIDs = Set((g["nodes"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
        for e in g["edges"]?.arrayValue ?? [] {
            #expect(nodeIDs.contains(e["from"]?.stringValue ?? "") && nodeIDs.contains(e["to"]?.stringValue ?? ""), "dangling edge \(e)")
        }
        let dot = try await smitop(h, ["graph", "-n", "bookstore", "-o", "dot"])
        #expect(dot.status == 0 && dot.stdout.hasPrefix("digraph mesh {") && dot.stdout.contains("svc/bookstore/books"), "\(dot.stderr)")

        let stale = try await smitop(h, ["split", "set", "bookstore/books", "\(b0)=1", "--expect-resource-version", split.meta.resourceVersion!])
        #expect(stale.status == 3, "\(stale.stdout)\(stale.stderr)")
        #expect(stale.stderr.contains("conflict"))
        let unchanged = try TrafficSplit(json: try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout))
        #expect(unchanged.meta.resourceVersion == after.meta.resourceVersion)
        #expect(unchanged.backends[0].weight.value == Quantity(integer: 3))

        let shift = try await smitop(h, ["split", "shift", "bookstore/books", "--to", b1, "--by", "25", "-o", "json"])
        #expect(shift.status == 0, "\(shift.stderr)")
        let diff = try JSON.parse(shift.stdout)
        #expect(diff[path: "new", "backends"]?[1]?["share"]?.doubleValue == 0.5)

        let dry = try await smitop(h, ["split", "set", "bookstore/books", "\(b0)=9", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("dry run"), "\(dry.stdout)\(dry.stderr)")
        let notWritten = try TrafficSplit(json: try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout))
        #expect(notWritten.backends[0].weight.value != Quantity(integer: 9))
    }

    @Test("plain HTTP with a token; the read-only token cannot write")
    func plainHTTP() async throws {
        let h = try await SimHarness.start { $0.plainHTTP = true }
        defer { Task { await h.stop() } }
        #expect(h.endpoint.url.hasPrefix("http://"))
        let ours = try await smitop(h, ["splits", "-A"])
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout.contains("books"))
        let denied = try await smitop(h, ["split", "set", "bookstore/books", "books-v1=1"], context: "sim-readonly")
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("forbidden") || denied.stderr.contains("Forbidden"), "\(denied.stderr)")
    }

    /// Plain http makes requests without credentials admin: said out loud when the address
    /// is one other machines can reach, silent on loopback.
    @Test("smitop sim --plain-http warns on a non-loopback address", arguments: [("0.0.0.0", true), ("127.0.0.1", false)])
    func plainHTTPWarning(address: String, warns: Bool) async throws {
        let r = try await runProcess(Self.binary, ["sim", "--plain-http", "--address", address, "--port", "0"], env: [:], stdin: nil, timeout: 3)
        #expect(r.stdout.hasPrefix("http://"), "the simulator started: \(r.stderr)")
        #expect(r.stderr.contains("anyone who can reach this address") == warns, "\(r.stderr)")
    }

    /// The exit-code table in docs/cli.md: a usage error is 2, help and the version are 0 on
    /// stdout.
    /// Issue 14: one TrafficSplit with weights of 1e29 (a valid v1alpha1 quantity, accepted by
    /// the API server) made every smitop reading it die of an arithmetic overflow (exit 132).
    /// Now that split is reported with its problem and the rest of the mesh is listed.
    @Test("a split with hostile weights is reported, never fatal")
    func hostileWeightsAreReportedNotFatal() async throws {
        let h = try await SimHarness.start { $0.profile = .all }
        defer { Task { await h.stop() } }
        let huge = """
            apiVersion: split.smi-spec.io/v1alpha1
            kind: TrafficSplit
            metadata: {name: huge, namespace: bookstore}
            spec:
              service: books
              backends:
              - {service: books-v1, weight: "1e29"}
              - {service: books-v2, weight: "1e29"}
            """
        let applied = try await h.kubectl(["apply", "-f", "-"], stdin: huge)
        #expect(applied.status == 0, "\(applied.stderr)")
        let splits = try await smitop(h, ["splits", "-n", "bookstore"])
        #expect(splits.status == 0, "exit \(splits.status): \(splits.stderr)")
        #expect(splits.stdout.contains("books"), "\(splits.stdout)")
        #expect(splits.stderr.contains("huge") && splits.stderr.contains("beyond the largest weight"), "\(splits.stderr)")
        let graph = try await smitop(h, ["graph", "-n", "bookstore", "-o", "json"])
        #expect(graph.status == 0, "exit \(graph.status): \(graph.stderr)")
        #expect(graph.stderr.contains("huge"), "\(graph.stderr)")
        let lint = try await runProcess(Self.binary, ["lint", "-"], env: ["HOME": h.dir], stdin: huge, timeout: 60)
        #expect(lint.status == 1, "exit \(lint.status): \(lint.stdout) \(lint.stderr)")
        #expect((lint.stdout + lint.stderr).contains("beyond the largest weight"), "\(lint.stdout) \(lint.stderr)")
        // Numbers a user types are bounded the same way: a clear usage error, exit 2.
        for args in [
            ["split", "shift", "bookstore/books", "--to", "books-v2", "--by", "nan"],
            ["split", "shift", "bookstore/books", "--to", "books-v2", "--by", "1e30"],
            ["-n", "bookstore", "--refresh", "1e300"],
        ] {
            let r = try await smitop(h, args)
            #expect(r.status == 2, "\(args): exit \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("--by must be") || r.stderr.contains("--refresh"), "\(args): \(r.stderr)")
        }
        // A negative shift is a value, not a flag (it used to answer "Missing value").
        let back = try await smitop(h, ["split", "shift", "bookstore/books", "--to", "books-v2", "--by", "-5"])
        #expect(back.status == 0, "\(back.stderr)")
    }

    @Test("usage errors exit 2 with the message on stderr; help and version exit 0")
    func usageExitCodes() async throws {
        let bad = try await runProcess(Self.binary, ["splits", "--bogus"], env: [:], stdin: nil, timeout: 30)
        #expect(bad.status == 2 && bad.stderr.contains("--bogus") && bad.stdout.isEmpty, "\(bad.status) \(bad.stderr)")
        let help = try await runProcess(Self.binary, ["splits", "--help"], env: [:], stdin: nil, timeout: 30)
        #expect(help.status == 0 && help.stdout.contains("USAGE"))
        let version = try await runProcess(Self.binary, ["--version"], env: [:], stdin: nil, timeout: 30)
        #expect(version.status == 0 && version.stdout.hasPrefix("smitop "))
    }

    @Test("metrics, edges, controller warning, lint")
    func otherCommands() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let m = try await smitop(h, ["metrics", "-n", "bookstore", "-o", "json"])
        #expect(m.status == 0, "\(m.stderr)")
        let rows = try JSON.parse(m.stdout).arrayValue ?? []
        #expect(rows.contains { $0["name"]?.stringValue == "webapp" && ($0["rps"]?.doubleValue ?? 0) > 0 })
        let e = try await smitop(h, ["metrics", "webapp", "-n", "bookstore", "--edges"])
        #expect(e.status == 0 && e.stdout.contains("PEER"), "\(e.stderr)")

        // A server message echoing a hostile name reaches the terminal without control bytes.
        let hostile = try await smitop(h, ["split", "set", "bookstore/x\u{1b}[31mred", "a=1"])
        #expect(hostile.status == 1, "\(hostile.stderr)")
        #expect(hostile.stderr.contains("not found") && !hostile.stderr.contains("\u{1b}"), "\(hostile.stderr)")

        // The flagger-owned split warns before writing.
        let owned = try await smitop(h, ["split", "shift", "payments/payments", "--to", "payments-canary", "--by", "5", "--dry-run"])
        #expect(owned.status == 0, "\(owned.stderr)")
        #expect(owned.stderr.contains("flagger"), "\(owned.stderr)")

        let good = """
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata: {name: a, namespace: x}
            spec:
              service: web
              backends:
              - {service: v1, weight: 1}
              - {service: v2, weight: 3}
            """
        let ok = try await runProcess(Self.binary, ["lint", "-", "-o", "json"], env: [:], stdin: good, timeout: 30)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        let report = try JSON.parse(ok.stdout)
        #expect(report[0]?["backends"]?[1]?["share"]?.doubleValue == 0.75)
        let bad = try await runProcess(
            Self.binary, ["lint", "-"], env: [:], stdin: good.replacingOccurrences(of: "weight: 3", with: "weight: -3"), timeout: 30)
        #expect(bad.status == 1, "\(bad.stdout)")
        #expect(bad.stdout.contains("<stdin>:"))
        let unreadable = try await runProcess(Self.binary, ["lint", "-"], env: [:], stdin: "a: [b", timeout: 30)
        #expect(unreadable.status == 2)

        // The config file as the TUI will use it, flags over the file.
        let cfg = h.dir + "/config.yaml"
        try "refresh: 7\nstep: 10\ncontexts: {prod: {readOnly: true}}\nkeys: {quit: [Q]}\n".write(toFile: cfg, atomically: true, encoding: .utf8)
        let view = try await runProcess(
            Self.binary, ["config", "view", "-o", "json", "--theme", "mono"], env: ["SMITOP_CONFIG": cfg, "HOME": h.dir], stdin: nil, timeout: 30)
        #expect(view.status == 0, "\(view.stderr)")
        let v = try JSON.parse(view.stdout)
        #expect(v["source"]?.stringValue == cfg && v["refresh"]?.doubleValue == 7 && v["step"]?.intValue == 10 && v["theme"]?.stringValue == "mono")
        #expect(v[path: "contexts", "prod", "readOnly"]?.boolValue == true)
        #expect(v[path: "keys", "quit"]?[0]?.stringValue == "Q")
        try "refresh: -1\n".write(toFile: cfg, atomically: true, encoding: .utf8)
        let broken = try await runProcess(Self.binary, ["config", "view"], env: ["SMITOP_CONFIG": cfg, "HOME": h.dir], stdin: nil, timeout: 30)
        #expect(broken.status == 2 && broken.stderr.contains(cfg + ":1") && broken.stderr.contains("refresh"), "\(broken.stderr)")
    }

    @Test("a broken kubeconfig names the file and the field")
    func brokenKubeconfig() async throws {
        let dir = NSTemporaryDirectory() + "smitop-kc-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/config"
        try "apiVersion: v1\nkind: Config\ncurrent-context: nope\ncontexts: []\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try await runProcess(Self.binary, ["splits", "--kubeconfig", path], env: ["HOME": dir], stdin: nil, timeout: 30)
        #expect(r.status == 1)
        #expect(r.stderr.contains(path) && r.stderr.contains("nope"), "\(r.stderr)")
        // An unreachable cluster is a clear error, not a hang or a crash.
        try """
        apiVersion: v1
        kind: Config
        clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
        users: [{name: u, user: {token: secret-token-value}}]
        contexts: [{name: x, context: {cluster: c, user: u}}]
        current-context: x
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let down = try await runProcess(Self.binary, ["splits", "--kubeconfig", path], env: ["HOME": dir], stdin: nil, timeout: 60)
        #expect(down.status == 1)
        #expect(!down.stderr.isEmpty && !down.stderr.contains("secret-token-value"), "\(down.stderr)")
    }
}

/// client-go informer semantics over the real transport: a watch survives dropped connections
/// and forced 410s without losing or duplicating an object.
@Suite("informer against smitop sim")
struct InformerTests {
    @Test func survivesDropsAndExpiry() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let cluster = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: h.kubeconfig, environment: ["HOME": h.dir]))
        let client = KubeClient(cluster: cluster, transport: CurlTransport(tls: cluster.tls))
        var config = Reflector.Config()
        config.backoff = Backoff(initial: 0.05, maximum: 0.2)
        let ts = GroupVersionResource(group: "split.smi-spec.io", version: "v1alpha4", resource: "trafficsplits")
        let informer = Informer(client: client, resource: ts, namespace: nil, config: config, seed: 7)
        await informer.start()
        var reader = InformerReader(informer)
        await reader.waitFor("the first list") { $0.store.count >= 3 }
        #expect(reader.store.count == 3)

        func create(_ name: String) async throws {
            let y = """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: \(name), namespace: bookstore}
                spec: {service: books, backends: [{service: books-v1, weight: 1}]}
                """
            let r = try await h.kubectl(["create", "-f", "-"], stdin: y)
            #expect(r.status == 0, "kubectl create \(name): \(r.stderr)")
        }
        try await create("one")
        await reader.waitFor("the created split") { $0.store.count >= 4 }
        // Drop every watch connection, then change things while the informer reconnects.
        _ = try await h.adminFaults(#"{"dropWatchesNow": true}"#)
        try await create("two")
        let deleted = try await h.kubectl(["delete", "ts", "one", "-n", "bookstore"])
        #expect(deleted.status == 0, "kubectl delete: \(deleted.stderr)")
        await reader.waitFor("the changes made while it reconnected") { $0.store["bookstore/two"] != nil && $0.store["bookstore/one"] == nil }
        // Force 410 on the open watch and the next one: the informer must relist.
        _ = try await h.adminFaults(#"{"expireWatchesNow": true, "expireWatches": 1}"#)
        try await create("three")
        await reader.waitFor("the split created after the 410") { $0.store["bookstore/three"] != nil }
        await informer.stop()

        let server = try JSON.parse(try await h.kubectl(["get", "ts", "-A", "-o", "json"]).stdout)["items"]?.arrayValue ?? []
        let serverKeys = Set(server.map { ObjectRef(object: $0).key })
        #expect(Set(reader.store.objects.keys) == serverKeys)
        #expect(reader.store.count == server.count)
        for o in server {
            #expect(reader.store[ObjectRef(object: o).key]?[path: "metadata", "resourceVersion"] == o[path: "metadata", "resourceVersion"])
        }
        #expect(reader.replaces >= 2, "a forced 410 must lead to a relist")
    }
}

/// A write whose answer is lost (the simulator applies it, then cuts the connection) is
/// checked by reading the split back, never resent blindly.
@Suite("unknown write outcome")
struct UnknownOutcomeTests {
    @Test func aLostAnswerIsResolvedByReadingBack() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        func run(_ args: [String]) async throws -> ProcessResult {
            try await runProcess(CLITests.binary, args + ["--kubeconfig", h.kubeconfig], env: ["HOME": h.dir], stdin: nil, timeout: 60)
        }
        func weights() async throws -> [String] {
            let j = try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout)
            return (j[path: "spec", "backends"]?.arrayValue ?? []).map { $0["weight"]?.compactString ?? "" }
        }
        let rvBefore = try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout)[path: "metadata", "resourceVersion"]
        _ = try await h.adminFaults(#"{"dropResponses": 1}"#)
        let r = try await run(["split", "set", "bookstore/books", "books-v1=7", "books-v2=3"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("reading it back shows it was applied"), "\(r.stderr)")
        #expect(try await weights() == ["7", "3"])
        let after = try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout)
        #expect(after[path: "metadata", "resourceVersion"] != rvBefore)
    }
}

/// A connection that goes silent (no FIN, no RST) is noticed by the watch idle timeout, the
/// informer says so, and it recovers by itself on a fresh connection when the path heals.
@Suite("silent connection")
struct BlackholeTests {
    @Test func silentWatchIsDetectedAndRecovers() async throws {
        let h = try await SimHarness.start { $0.bookmarkInterval = 0.3 }
        defer { Task { await h.stop() } }
        let cluster = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: h.kubeconfig, environment: ["HOME": h.dir]))
        let client = KubeClient(cluster: cluster, transport: CurlTransport(tls: cluster.tls))
        var config = Reflector.Config()
        config.backoff = Backoff(initial: 0.1, maximum: 0.5)
        config.watchIdleTimeout = 1.5
        let ts = GroupVersionResource(group: "split.smi-spec.io", version: "v1alpha4", resource: "trafficsplits")
        let informer = Informer(client: client, resource: ts, namespace: nil, config: config, seed: 3)
        await informer.start()
        var reader = InformerReader(informer)
        await reader.waitFor("the first list") { $0.store.count >= 3 }
        // Bookmarks keep a healthy watch from idling out: no error while the path is fine.
        try await Task.sleep(for: .seconds(3))
        #expect(reader.errors.isEmpty, "a watch with bookmarks must not time out: \(reader.errors.map(\.message))")

        _ = try await h.adminFaults(#"{"blackhole": true}"#)
        await reader.waitFor("an idle-timeout report") { $0.errors.contains { $0.isIdleTimeout } }

        _ = try await h.adminFaults(#"{"blackhole": false}"#)
        let y = """
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata: {name: after-silence, namespace: bookstore}
            spec: {service: books, backends: [{service: books-v1, weight: 1}]}
            """
        let created = try await h.kubectl(["create", "-f", "-"], stdin: y)
        #expect(created.status == 0, "kubectl create: \(created.stderr)")
        await reader.waitFor("recovery after the path healed") { $0.store["bookstore/after-silence"] != nil }
        await informer.stop()
        let server = try JSON.parse(try await h.kubectl(["get", "ts", "-A", "-o", "json"]).stdout)["items"]?.arrayValue ?? []
        #expect(Set(reader.store.objects.keys) == Set(server.map { ObjectRef(object: $0).key }))
    }
}

/// The README's headless commands run as written (from the repository root, with KUBECONFIG
/// pointing at a simulator, as the README tells a newcomer to do).
@Suite("README commands")
struct ReadmeCommandTests {
    @Test func headlessCommandsRunAsWritten() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        // Every `<!-- readme-test [profile=P] ... -->` block, each against a simulator of its profile.
        var blocks: [(profile: SimProfile, lines: [String])] = []
        var from = readme.startIndex
        while let marker = readme.range(of: "<!-- readme-test", range: from..<readme.endIndex),
            let end = readme.range(of: "-->", range: marker.upperBound..<readme.endIndex),
            let open = readme.range(of: "```sh\n", range: end.upperBound..<readme.endIndex),
            let close = readme.range(of: "```", range: open.upperBound..<readme.endIndex)
        {
            let head = readme[marker.upperBound..<end.lowerBound]
            let profile = head.split(separator: " ").first { $0.hasPrefix("profile=") }.flatMap { SimProfile(rawValue: String($0.dropFirst(8))) }
            let lines = readme[open.upperBound..<close.lowerBound].split(separator: "\n").map { line -> String in
                let code = line.range(of: " #").map { String(line[..<$0.lowerBound]) } ?? String(line)
                return code.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
            blocks.append((profile ?? .default, lines))
            from = close.upperBound
        }
        #expect(blocks.count >= 2, "README.md lost a <!-- readme-test --> block")
        #expect(blocks.first?.lines.count ?? 0 >= 6)
        for (profile, lines) in blocks {
            try await run(lines, profile: profile, root: root)
        }
    }

    func run(_ lines: [String], profile: SimProfile, root: URL) async throws {
        let h = try await SimHarness.start { $0.profile = profile }
        defer { Task { await h.stop() } }
        for line in lines {
            var words = line.split(separator: " ").map(String.init)
            #expect(words.first == "smitop", "\(line)")
            words.removeFirst()
            let r = try await runProcess(
                CLITests.binary, words, env: ["KUBECONFIG": h.kubeconfig, "HOME": h.dir, "XDG_CONFIG_HOME": h.dir], stdin: nil, timeout: 60,
                cwd: root.path)
            #expect(r.status == 0, "README: \(line)\n\(r.stderr)")
            #expect(!r.stdout.isEmpty, "README: \(line) printed nothing")
        }
    }
}

/// `make install` lays out what a packaged tool needs, generated from the command definitions.
@Suite("install")
struct InstallTests {
    @Test func installLaysOutBinaryPluginThemesManPageAndCompletions() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let prefix = NSTemporaryDirectory() + "smitop-prefix-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let make = try await runProcess(
            "make", ["-s", "install-files", "PREFIX=\(prefix)", "INSTALL_BIN=\(CLITests.binary)"], env: [:], stdin: nil, timeout: 120, cwd: root)
        #expect(make.status == 0, "\(make.stdout)\(make.stderr)")
        let fm = FileManager.default
        for f in [
            "bin/smitop", "bin/kubectl-smitop", "share/man/man1/smitop.1", "share/bash-completion/completions/smitop",
            "share/zsh/site-functions/_smitop", "share/fish/vendor_completions.d/smitop.fish",
        ] {
            #expect(fm.fileExists(atPath: prefix + "/" + f), "missing \(f)")
        }
        let themes = try fm.contentsOfDirectory(atPath: root + "/themes").filter { $0.hasSuffix(".yaml") }
        #expect(!themes.isEmpty)
        for t in themes { #expect(fm.fileExists(atPath: prefix + "/share/smitop/themes/" + t), "theme \(t) not installed") }

        // The man page covers every visible command, with its flags.
        let man = try String(contentsOfFile: prefix + "/share/man/man1/smitop.1", encoding: .utf8)
        #expect(man.hasPrefix(".TH SMITOP 1"))
        for c in [
            "SMITOP SPLITS", "SMITOP SPLIT SET", "SMITOP SPLIT SHIFT", "SMITOP METRICS", "SMITOP GRAPH", "SMITOP LINT", "SMITOP SIM", "SMITOP DEMO",
            "SMITOP CONFIG VIEW",
        ] {
            #expect(man.contains(".SH \(c)\n"), "man page lacks \(c)")
        }
        #expect(man.contains("\\-\\-expect\\-resource\\-version"))
        #expect(!man.contains("BENCH"), "hidden commands stay out of the man page")
        let bash = try await runProcess("bash", ["-n", prefix + "/share/bash-completion/completions/smitop"], env: [:], stdin: nil, timeout: 30)
        #expect(bash.status == 0, "\(bash.stderr)")
        let completion = try String(contentsOfFile: prefix + "/share/bash-completion/completions/smitop", encoding: .utf8)
        #expect(completion.contains("splits") && completion.contains("--expect-resource-version"))

        // kubectl finds the plugin on PATH and runs it.
        let plugin = try await runProcess(
            SimHarness.kubectlPath, ["smitop", "--version"], env: ["PATH": prefix + "/bin:/usr/bin:/bin", "HOME": prefix], stdin: nil, timeout: 60)
        #expect(plugin.status == 0 && plugin.stdout.hasPrefix("smitop "), "\(plugin.stdout)\(plugin.stderr)")
    }
}

/// A fixed fuzzing run of every parser in make test (make fuzz runs a long one).
@Suite("fuzz")
struct FuzzRunTests {
    @Test func everyParserSurvivesMutatedInputs() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        // The fuzzer is a developer tool built beside smitop, not a subcommand of the product.
        let fuzzer = URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().appendingPathComponent("smitop-fuzz").path
        let r = try await runProcess(
            fuzzer,
            ["--iterations", "3000", "--seed", "20261126", "--corpus", "Tests/Fixtures/smi", "--corpus", "Tests/Fixtures/fuzz", "--corpus", "themes"],
            env: [:], stdin: nil, timeout: 600, cwd: root)
        #expect(r.status == 0, "a parser crashed or broke a property:\n\(r.stdout)\n\(r.stderr)")
        let report = try JSON.parse(r.stdout)
        let targets = report["targets"]?.arrayValue ?? []
        // 14 parsers and the weight-math target (issue 14: extreme numbers must not trap).
        #expect(targets.count >= 15)
        #expect(targets.contains { $0["target"]?.stringValue == "weight-math" })
        for t in targets {
            let name = t["target"]?.stringValue ?? "?"
            #expect(t["inputs"]?.intValue == 3000, "\(name)")
            #expect((t["accepted"]?.intValue ?? 0) > 0, "\(name): no input was valid, so the fuzzer never reached past the first error")
            #expect(t["violations"]?.arrayValue?.isEmpty == true, "\(name): \(t["violations"]!)")
        }
    }
}

/// Every byte smitop prints in a full run (every command, success and failure, the TUI's
/// screen and its stderr, the simulator's request trace) is scanned for the secrets it used.
@Suite("secret scan")
struct SecretScanTests {
    @Test func noSecretInAnyOutput() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let kc = try String(contentsOfFile: h.kubeconfig, encoding: .utf8)
        var secrets = [h.endpoint.adminToken, h.endpoint.readonlyToken]
        // Every line of the client key's and certificate's base64 body counts as a secret.
        for pem in [h.endpoint.clientKeyPEM, h.endpoint.clientCertPEM].compactMap({ $0 }) {
            secrets += pem.split(separator: "\n").map(String.init).filter { $0.count >= 24 && !$0.hasPrefix("-----") }
        }
        // The kubeconfig holds them as base64 data too.
        for line in kc.split(separator: "\n") where line.contains("-data:") {
            if let v = line.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces), v.count > 40 {
                secrets.append(String(v.prefix(40)))
            }
        }
        #expect(secrets.count >= 4)

        var outputs: [(String, String)] = []
        func run(_ args: [String], kubeconfig: String? = nil, env: [String: String] = [:]) async throws {
            let r = try await runProcess(
                CLITests.binary, args + ["--kubeconfig", kubeconfig ?? h.kubeconfig], env: ["HOME": h.dir, "XDG_CONFIG_HOME": h.dir].merging(env) { $1 },
                stdin: nil, timeout: 60)
            outputs.append((args.joined(separator: " "), r.stdout + r.stderr))
        }
        for ctx in ["sim-admin", "sim-cert", "sim-readonly"] {
            for cmd in [
                ["splits", "-A", "-o", "yaml"], ["splits", "-A", "-o", "wide"], ["graph", "-A"], ["metrics", "-A", "-o", "json"],
                ["split", "set", "bookstore/books", "books-v1=3", "books-v2=1"],
                ["split", "set", "bookstore/books", "books-v1=1", "--expect-resource-version", "1"],
                ["split", "shift", "bookstore/nope", "--to", "x", "--by", "5"],
            ] {
                try await run(cmd + ["--context", ctx])
            }
        }
        try await run(["config", "view"])
        try await run(["splits", "--context", "no-such-context"])
        // Failures that carry the credentials: a dead server, a wrong token (401), broken YAML
        // on the token's line.
        let dead = h.dir + "/dead.yaml"
        try kc.replacingOccurrences(of: h.endpoint.url, with: "https://127.0.0.1:1").write(toFile: dead, atomically: true, encoding: .utf8)
        try await run(["splits", "-A"], kubeconfig: dead)
        let wrong = h.dir + "/wrong.yaml"
        try kc.replacingOccurrences(of: h.endpoint.adminToken, with: h.endpoint.adminToken + "x").write(toFile: wrong, atomically: true, encoding: .utf8)
        try await run(["splits", "-A"], kubeconfig: wrong)
        let broken = h.dir + "/broken.yaml"
        try kc.replacingOccurrences(of: "token: " + h.endpoint.adminToken, with: "token: \"" + h.endpoint.adminToken + ", [").write(
            toFile: broken, atomically: true, encoding: .utf8)
        try await run(["splits", "-A"], kubeconfig: broken)
        #expect(outputs.contains { $0.1.contains("invalid YAML") }, "the broken kubeconfig was not reported")

        // The TUI: its screen over a session with a write attempt, and its stderr.
        let t = try await TmuxSession(
            command: "\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err", env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
        defer { t.killNow() }
        var screens = [try await t.waitFor("the live graph") { $0.contains("LIVE") }]
        try await t.keys(":", "t", "s", "Enter")
        screens.append(try await t.waitFor("the splits table with its rows") { $0.contains("BACKENDS") && $0.contains("books-v1") })
        try await t.keys("j", "Enter")
        screens.append(try await t.waitFor("the editor") { $0.contains("edit trafficsplit/") })
        // Promote (the earlier commands left weights 3:1, too coarse for a 5-point step).
        try await t.keys("p", "Enter")
        screens.append(try await t.waitFor("the diff") { $0.contains("write trafficsplit/") })
        try await t.keys(":", "c", "t", "x", " ", "n", "o", "p", "e", "Enter")
        screens.append(try await t.screen())
        try await t.keys("q", "q")
        try await Task.sleep(for: .milliseconds(500))
        outputs.append(("tui screens", screens.joined(separator: "\n")))
        outputs.append(("tui stderr", (try? String(contentsOfFile: h.dir + "/tui.err", encoding: .utf8)) ?? ""))
        // The promoted draft must be on disk: a missing file would leave it unscanned, silently.
        let session = try? String(contentsOfFile: h.dir + "/state/smitop/session.json", encoding: .utf8)
        #expect(session?.contains("\"drafts\"") == true, "no session file with the draft was written, so none was scanned")
        outputs.append(("session file", session ?? ""))

        // The simulator as a process with its request trace on.
        let simOut = try await runProcess(
            "/usr/bin/timeout", ["-s", "INT", "4", CLITests.binary, "sim", "--port", "0", "--write-kubeconfig", h.dir + "/sim2.yaml"],
            env: ["SMITOP_SIM_TRACE": "1", "HOME": h.dir], stdin: nil, timeout: 30)
        outputs.append(("sim", simOut.stdout + simOut.stderr))

        #expect(outputs.count > 25)
        for (what, text) in outputs {
            for s in secrets { #expect(!text.contains(s), "a secret appeared in the output of `\(what)`") }
        }
    }
}

/// A kubeconfig's exec plugin runs only with consent: --trust-exec, or a "yes" at the prompt
/// (remembered for that exact kubeconfig), never silently.
@Suite("exec plugin trust")
struct ExecTrustTests {
    @Test func execPluginsRunOnlyWithConsent() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let marker = h.dir + "/plugin-ran"
        let plugin = h.dir + "/login.sh"
        try """
        #!/bin/sh
        touch \(marker)
        printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "\(h.endpoint.adminToken)"
        """.write(toFile: plugin, atomically: true, encoding: .utf8)
        chmod(plugin, 0o755)
        var kc = try String(contentsOfFile: h.kubeconfig, encoding: .utf8)
        // sim-admin logs in through the plugin instead of its static token.
        kc = kc.replacingOccurrences(
            of: "token: \(h.endpoint.adminToken)",
            with: "exec: {apiVersion: client.authentication.k8s.io/v1, command: \(plugin), args: [--hint=s3cr3t-arg], interactiveMode: Never}")
        let path = h.dir + "/exec.yaml"
        try kc.write(toFile: path, atomically: true, encoding: .utf8)
        let env = ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"]

        // No terminal to ask, no flag: refused, and the plugin never ran.
        let refused = try await runProcess(CLITests.binary, ["splits", "-A", "--kubeconfig", path], env: env, stdin: nil, timeout: 60)
        #expect(refused.status == 1 && refused.stderr.contains("--trust-exec") && refused.stderr.contains(plugin), "\(refused.stderr)")
        #expect(!refused.stderr.contains("s3cr3t-arg"), "a refusal names the program, never its arguments: \(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the plugin ran without consent")

        // --trust-exec: it runs.
        let trusted = try await runProcess(CLITests.binary, ["splits", "-A", "--kubeconfig", path, "--trust-exec"], env: env, stdin: nil, timeout: 60)
        #expect(trusted.status == 0 && trusted.stdout.contains("books"), "\(trusted.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker))
        try FileManager.default.removeItem(atPath: marker)

        // At a terminal smitop asks; "y" runs it and remembers this kubeconfig.
        let t = try await TmuxSession(command: "\(CLITests.binary) splits -A --kubeconfig \(path) > \(h.dir)/out.txt", env: env)
        defer { t.killNow() }
        try await t.waitFor("the question") { $0.contains("[y/N]") && $0.contains("logs in by running a program") }
        try await t.keys("y", "Enter")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !((try? String(contentsOfFile: h.dir + "/out.txt", encoding: .utf8)) ?? "").contains("books") {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(FileManager.default.fileExists(atPath: marker), "the plugin did not run after yes")
        let store = h.dir + "/state/smitop/trusted-exec"
        #expect((try FileManager.default.attributesOfItem(atPath: store)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let remembered = try await runProcess(CLITests.binary, ["splits", "-A", "--kubeconfig", path], env: env, stdin: nil, timeout: 60)
        #expect(remembered.status == 0, "a trusted kubeconfig runs without asking again: \(remembered.stderr)")

        // An edited kubeconfig is a different one: asked again (here: refused, no terminal).
        try (kc + "\n# edited\n").write(toFile: path, atomically: true, encoding: .utf8)
        let edited = try await runProcess(CLITests.binary, ["splits", "-A", "--kubeconfig", path], env: env, stdin: nil, timeout: 60)
        #expect(edited.status == 1 && edited.stderr.contains("--trust-exec"), "\(edited.stderr)")
    }
}
