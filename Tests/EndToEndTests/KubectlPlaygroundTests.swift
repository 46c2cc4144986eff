import APIServer
import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// The everyday kubectl commands of issue 17, run by real kubectl against `smitop sim` over
/// HTTPS, with each command's output checked: the image's kubectl and, where `make deps`
/// unpacked it, Debian's kubectl 1.20.
@Suite("kubectl playground commands", .serialized)
struct KubectlPlaygroundTests {
    struct Kubectl {
        var path: String
    }

    static var binaries: [Kubectl] {
        let debian = FileManager.default.currentDirectoryPath + "/.build/kubectl/usr/bin/kubectl"
        // Where the image has no kubectl of its own, the harness's kubectl is Debian's 1.20.
        var out = [Kubectl(path: SimHarness.kubectlPath)]
        if FileManager.default.isExecutableFile(atPath: debian), debian != SimHarness.kubectlPath {
            out.append(Kubectl(path: debian))
        }
        return out
    }

    static func run(_ k: Kubectl, _ h: SimHarness, _ args: [String], timeout: Double = 90) async throws -> ProcessResult {
        try await runProcess(
            k.path, args + ["--cache-dir", h.dir + "/kcache"], env: ["KUBECONFIG": h.kubeconfig, "HOME": h.dir], stdin: nil, timeout: timeout)
    }

    @Test("create, expose, run, scale, wait, rollout, events, describe, explain, diff, delete namespace", arguments: binaries.map(\.path))
    func everyday(path: String) async throws {
        let k = Self.binaries.first { $0.path == path }!
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        func kc(_ args: String...) async throws -> ProcessResult { try await Self.run(k, h, args) }
        func ok(_ r: ProcessResult, _ want: String, _ line: Int = #line) {
            #expect(r.status == 0, "line \(line): \(r.stderr)")
            #expect(r.stdout.contains(want), "line \(line): wanted \(want) in \(r.stdout)\(r.stderr)")
        }

        // Typed clients send these as protobuf.
        ok(try await kc("create", "namespace", "demo"), "namespace/demo created")
        ok(try await kc("create", "deployment", "web", "--image=example.com/web:1.2", "--replicas=2", "-n", "demo"), "deployment.apps/web created")
        ok(try await kc("create", "service", "clusterip", "web", "--tcp=80:8080", "-n", "demo"), "service/web created")
        ok(try await kc("create", "configmap", "cfg", "--from-literal=color=blue", "-n", "demo"), "configmap/cfg created")
        let svc = try JSON.parse(try await kc("get", "svc", "web", "-n", "demo", "-o", "json").stdout)
        #expect(svc[path: "spec", "ports"]?[0]?["port"]?.intValue == 80)
        #expect(svc[path: "spec", "ports"]?[0]?["targetPort"]?.intValue == 8080)
        #expect(svc[path: "spec", "selector", "app"]?.stringValue == "web")
        let cm = try JSON.parse(try await kc("get", "configmap", "cfg", "-n", "demo", "-o", "json").stdout)
        #expect(cm[path: "data", "color"]?.stringValue == "blue")
        let dep = try JSON.parse(try await kc("get", "deploy", "web", "-n", "demo", "-o", "json").stdout)
        #expect(dep[path: "spec", "template", "spec", "containers"]?[0]?["image"]?.stringValue == "example.com/web:1.2")
        #expect(dep[path: "spec", "replicas"]?.intValue == 2)

        ok(try await kc("expose", "deployment", "web", "--name=web-exposed", "--port=8080", "-n", "demo"), "service/web-exposed exposed")
        let exposed = try JSON.parse(try await kc("get", "svc", "web-exposed", "-n", "demo", "-o", "json").stdout)
        #expect(exposed[path: "spec", "selector", "app"]?.stringValue == "web")

        let dry = try await kc("run", "probe", "--image=busybox", "--dry-run=server", "-n", "demo", "-o", "json")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try JSON.parse(dry.stdout)[path: "metadata", "name"]?.stringValue == "probe")
        let absent = try await kc("get", "pod", "probe", "-n", "demo")
        #expect(absent.status != 0 && absent.stderr.contains("NotFound"), "a server dry run stored the pod: \(absent.stdout)")
        // A bare pod is scheduled and started by the simulated scheduler and kubelet.
        ok(try await kc("run", "solo", "--image=busybox", "-n", "demo"), "pod/solo created")
        ok(try await kc("wait", "--for=condition=Ready", "pod/solo", "-n", "demo", "--timeout=60s"), "condition met")
        ok(try await kc("get", "pod", "solo", "-n", "demo", "-o", "wide"), "Running")

        // The simulated deployment controller brings the deployment up.
        ok(try await kc("wait", "--for=condition=Available", "deployment/web", "-n", "demo", "--timeout=60s"), "condition met")
        ok(try await kc("rollout", "status", "deployment/web", "-n", "demo", "--timeout=60s"), "successfully rolled out")
        ok(try await kc("scale", "deployment", "web", "--replicas=3", "-n", "demo"), "deployment.apps/web scaled")
        ok(try await kc("rollout", "status", "deployment/web", "-n", "demo", "--timeout=60s"), "successfully rolled out")
        let pods = try await kc("get", "pods", "-n", "demo", "-l", "app=web", "-o", "name")
        #expect(pods.stdout.split(separator: "\n").count == 3, "\(pods.stdout)")
        ok(try await kc("get", "deploy", "web", "-n", "demo"), "3/3")
        let scale = try JSON.parse(try await kc("get", "--raw", "/apis/apps/v1/namespaces/demo/deployments/web/scale").stdout)
        #expect(scale["kind"]?.stringValue == "Scale" && scale[path: "spec", "replicas"]?.intValue == 3)
        #expect(scale[path: "status", "selector"]?.stringValue == "app=web")

        let events = try await kc("get", "events", "-n", "demo")
        ok(events, "ScalingReplicaSet")
        #expect(events.stdout.contains("Scaled up replica set web-") && events.stdout.contains("from 2 to 3"), "\(events.stdout)")
        ok(try await kc("get", "events.v1.events.k8s.io", "-n", "demo"), "ScalingReplicaSet")
        let describe = try await kc("describe", "deployment", "web", "-n", "demo")
        ok(describe, "3 desired")
        #expect(describe.stdout.contains("Events:") && describe.stdout.contains("ScalingReplicaSet"), "\(describe.stdout)")
        #expect(
            describe.stdout.split(separator: "\n").contains { $0.contains("Available") && $0.contains("True") && $0.contains("MinimumReplicasAvailable") },
            "\(describe.stdout)")
        let describePod = try await kc("describe", "pods", "-n", "demo", "-l", "app=web")
        #expect(describePod.stdout.contains("Scheduled") && describePod.stdout.contains("Successfully assigned demo/web-"), "\(describePod.stdout)")
        for kind in [
            "namespace demo", "service web -n demo", "configmap cfg -n demo", "ts books -n bookstore", "endpoints books -n bookstore",
            "traffictargets -n bookstore", "httproutegroups -n bookstore", "tcproutes -n payments", "crd trafficsplits.split.smi-spec.io",
        ] {
            let r = try await Self.run(k, h, ["describe"] + kind.split(separator: " ").map(String.init))
            #expect(r.status == 0 && r.stdout.contains("Name:"), "describe \(kind): \(r.stdout)\(r.stderr)")
        }

        // A template change rolls the pods: new ones with the new template, then the old go.
        let before = Set(try await kc("get", "pods", "-n", "demo", "-l", "app=web", "-o", "name").stdout.split(separator: "\n"))
        ok(try await kc("set", "image", "deployment/web", "web=example.com/web:2.0", "-n", "demo"), "image updated")
        ok(try await kc("rollout", "status", "deployment/web", "-n", "demo", "--timeout=60s"), "successfully rolled out")
        let rolled = try JSON.parse(try await kc("get", "pods", "-n", "demo", "-l", "app=web", "-o", "json").stdout)["items"]?.arrayValue ?? []
        #expect(rolled.count == 3, "\(rolled.count) pods after the rollout")
        #expect(rolled.allSatisfy { $0[path: "spec", "containers"]?[0]?["image"]?.stringValue == "example.com/web:2.0" })
        #expect(rolled.allSatisfy { !before.contains(Substring("pod/" + ($0[path: "metadata", "name"]?.stringValue ?? ""))) }, "every pod replaced")
        let rollEvents = try await kc("get", "events", "-n", "demo", "--field-selector", "reason=ScalingReplicaSet")
        #expect(rollEvents.stdout.contains("Scaled down replica set web-") && rollEvents.stdout.contains("to 0"), "\(rollEvents.stdout)")
        // ReplicaSets: one per template, the old one at 0; history, undo to the first image.
        let rs = try await kc("get", "rs", "-n", "demo", "-l", "app=web")
        #expect(rs.stdout.split(separator: "\n").count == 3, "a header and two replica sets: \(rs.stdout)")
        ok(try await kc("rollout", "history", "deployment/web", "-n", "demo"), "REVISION")
        ok(try await kc("rollout", "undo", "deployment/web", "-n", "demo"), "rolled back")
        ok(try await kc("rollout", "status", "deployment/web", "-n", "demo", "--timeout=60s"), "successfully rolled out")
        let undone = try JSON.parse(try await kc("get", "deploy", "web", "-n", "demo", "-o", "json").stdout)
        #expect(undone[path: "spec", "template", "spec", "containers"]?[0]?["image"]?.stringValue == "example.com/web:1.2")
        #expect(undone[path: "metadata", "annotations", "deployment.kubernetes.io/revision"]?.stringValue == "3")
        #expect(try await kc("get", "rs", "-n", "demo", "-l", "app=web", "-o", "name").stdout.split(separator: "\n").count == 2, "undo reuses the first one")
        let undoneDescribe = try await kc("describe", "deployment", "web", "-n", "demo")
        #expect(undoneDescribe.stdout.contains("NewReplicaSet:   web-") && undoneDescribe.stdout.contains("(3/3 replicas created)"), "\(undoneDescribe.stdout)")
        ok(try await kc("rollout", "restart", "deployment/web", "-n", "demo"), "restarted")
        ok(try await kc("rollout", "status", "deployment/web", "-n", "demo", "--timeout=60s"), "successfully rolled out")
        let restarted = Set(try await kc("get", "pods", "-n", "demo", "-l", "app=web", "-o", "name").stdout.split(separator: "\n"))
        #expect(restarted.count == 3 && restarted.isDisjoint(with: rolled.map { Substring("pod/" + ($0[path: "metadata", "name"]?.stringValue ?? "")) }))
        // Deleting a Deployment takes its ReplicaSets and pods (the garbage collector).
        ok(try await kc("create", "deployment", "short-lived", "--image=busybox", "-n", "demo"), "created")
        ok(try await kc("rollout", "status", "deployment/short-lived", "-n", "demo", "--timeout=60s"), "successfully rolled out")
        ok(try await kc("delete", "deployment", "short-lived", "-n", "demo"), "deleted")
        // kubectl prints "condition met" per pod it waited for. When the collector was quicker
        // and no pod matched any more, kubectl 1.32 prints nothing and 1.20 says "no matching
        // resources found" with exit 1 (both seen in full runs): each means none is left,
        // which the list below then proves.
        let shortLivedGone = try await kc("wait", "--for=delete", "pod", "-l", "app=short-lived", "-n", "demo", "--timeout=60s")
        let waited = shortLivedGone.status == 0 && (shortLivedGone.stdout.isEmpty || shortLivedGone.stdout.contains("condition met"))
        let noneLeft = shortLivedGone.status == 1 && shortLivedGone.stderr.contains("no matching resources found")
        #expect(waited || noneLeft, "\(shortLivedGone.stdout)\(shortLivedGone.stderr)")
        let leftovers = try await kc("get", "rs,pods", "-n", "demo", "-l", "app=short-lived", "-o", "name")
        #expect(leftovers.stdout.isEmpty, "\(leftovers.stdout)")

        ok(try await kc("patch", "deployment", "web", "-n", "demo", "-p", #"{"spec":{"template":{"metadata":{"labels":{"tier":"front"}}}}}"#), "patched")
        ok(try await kc("label", "deployment", "web", "-n", "demo", "team=mesh"), "labeled")
        ok(try await kc("annotate", "deployment", "web", "-n", "demo", "note=hello"), "annotated")
        let labelled = try JSON.parse(try await kc("get", "deploy", "web", "-n", "demo", "-o", "json").stdout)
        #expect(labelled[path: "metadata", "labels", "team"]?.stringValue == "mesh")
        #expect(labelled[path: "spec", "template", "metadata", "labels", "tier"]?.stringValue == "front")
        #expect(labelled[path: "spec", "template", "metadata", "labels", "app"]?.stringValue == "web")

        let all = try await kc("get", "all", "-n", "demo")
        ok(all, "deployment.apps/web")
        #expect(all.stdout.contains("replicaset.apps/web-"), "\(all.stdout)")
        #expect(all.stdout.contains("service/web-exposed") && all.stdout.contains("pod/web-"), "\(all.stdout)")
        let versions = try await kc("api-versions")
        ok(versions, "apps/v1")
        #expect(versions.stdout.contains("split.smi-spec.io/v1alpha4") && versions.stdout.contains("events.k8s.io/v1"), "\(versions.stdout)")
        // kubectl 1.20 colours the parts of this line.
        let info = try await kc("cluster-info")
        ok(info, "is running at")
        #expect(info.stdout.contains(h.endpoint.url), "\(info.stdout)")

        // kubectl 1.32 explains through OpenAPI v3, 1.20 through the v2 protobuf's definitions.
        let explain = try await kc("explain", "trafficsplit.spec.backends")
        ok(explain, "weight")
        #expect(explain.stdout.contains("service") && explain.stdout.contains("FIELDS") && explain.stdout.contains("-required-"), "\(explain.stdout)")

        // Client-side apply, server-side apply taking the fields over, client-side again.
        let manifest = """
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata:
              name: roundtrip
              namespace: bookstore
            spec:
              service: books
              backends:
              - service: books-v1
                weight: 70
              - service: books-v2
                weight: 30
            """
        let file = h.dir + "/ts.yaml"
        func write(_ w1: Int, _ w2: Int) throws {
            try manifest.replacingOccurrences(of: "weight: 70", with: "weight: \(w1)").replacingOccurrences(of: "weight: 30", with: "weight: \(w2)")
                .write(toFile: file, atomically: true, encoding: .utf8)
        }
        func weights() async throws -> [Int64] {
            let o = try JSON.parse(try await kc("get", "ts", "roundtrip", "-n", "bookstore", "-o", "json").stdout)
            return (o[path: "spec", "backends"]?.arrayValue ?? []).compactMap { $0["weight"]?.intValue }
        }
        // Validation sees the CRD's fields: client-side in 1.20 (v2 definitions), on the server
        // (fieldValidation=Strict) in 1.32.
        try manifest.replacingOccurrences(of: "  service: books\n", with: "  service: books\n  bogus: 1\n").write(
            toFile: file, atomically: true, encoding: .utf8)
        let bogus = try await kc("apply", "-f", file)
        #expect(bogus.status != 0 && bogus.stderr.contains("unknown field") && bogus.stderr.contains("bogus"), "\(bogus.stderr)")
        try write(70, 30)
        ok(try await kc("apply", "-f", file), "created")
        try write(60, 40)
        let diff = try await kc("diff", "-f", file)
        #expect(diff.status == 1, "kubectl diff exits 1 when the object would change: \(diff.stderr)")
        #expect(diff.stdout.contains("-    weight: 70") && diff.stdout.contains("+    weight: 60"), "\(diff.stdout)")
        // Another field manager gets the conflict: only `kubectl` takes over client-side fields.
        let other = try await kc("apply", "--server-side", "--field-manager=someone-else", "-f", file)
        #expect(other.status != 0 && other.stderr.contains("conflict with \"kubectl-client-side-apply\""), "\(other.stderr)")
        ok(try await kc("apply", "--server-side", "-f", file), "serverside-applied")
        #expect(try await weights() == [60, 40])
        // The last-applied annotation followed (kubectl 1.20 sends no kubectl-last-applied patch:
        // the server's own update is what keeps it in step).
        let annotated = try JSON.parse(try await kc("get", "ts", "roundtrip", "-n", "bookstore", "-o", "json").stdout)
        let last = try JSON.parse(annotated[path: "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]?.stringValue ?? "")
        #expect(last[path: "spec", "backends"]?[0]?["weight"]?.intValue == 60)
        try write(20, 80)
        ok(try await kc("apply", "-f", file), "configured")
        #expect(try await weights() == [20, 80])

        // Deleting the namespace takes everything in it; kubectl waits until it is gone.
        ok(try await kc("delete", "namespace", "demo"), "namespace \"demo\" deleted")
        let gone = try await kc("get", "namespace", "demo")
        #expect(gone.status != 0 && gone.stderr.contains("NotFound"), "\(gone.stdout)\(gone.stderr)")
        #expect(
            h.sim.store.all(h.sim.registry.find(group: "", resource: "pods")!).allSatisfy { $0.object[path: "metadata", "namespace"]?.stringValue != "demo" })
        let refused = try await kc("delete", "namespace", "default")
        #expect(refused.status != 0 && refused.stderr.contains("may not be deleted"), "\(refused.stderr)")
    }

    @Test("get nodes and sa, describe node, top pods and nodes from the traffic, logs with tail, container, since, previous and follow")
    func clusterBasics() async throws {
        let k = Self.binaries[0]
        let h = try await SimHarness.start { $0.profile = .all }
        defer { Task { await h.stop() } }
        func kc(_ args: String...) async throws -> ProcessResult { try await Self.run(k, h, args) }
        func lines(_ r: ProcessResult) -> [String] { r.stdout.split(separator: "\n").map(String.init) }

        // Every node a pod names is a Node, Ready, with the control plane beside the workers.
        let nodes = try JSON.parse(try await kc("get", "nodes", "-o", "json").stdout)["items"]?.arrayValue ?? []
        let nodeNames = Set(nodes.compactMap { $0[path: "metadata", "name"]?.stringValue })
        let pods = try JSON.parse(try await kc("get", "pods", "-A", "-o", "json").stdout)["items"]?.arrayValue ?? []
        let podNodes = Set(pods.compactMap { $0[path: "spec", "nodeName"]?.stringValue })
        #expect(!podNodes.isEmpty && podNodes.isSubset(of: nodeNames), "\(podNodes) not all in \(nodeNames)")
        #expect(nodeNames.contains("smitop-control-plane"))
        let table = try await kc("get", "nodes", "-o", "wide")
        #expect(table.status == 0, "\(table.stderr)")
        #expect(lines(table).first?.contains("INTERNAL-IP") == true && lines(table).count == nodeNames.count + 1, "\(table.stdout)")
        #expect(lines(table).filter { $0.contains(" Ready ") }.count == nodeNames.count, "\(table.stdout)")
        #expect(lines(table).contains { $0.hasPrefix("smitop-control-plane") && $0.contains("control-plane") }, "\(table.stdout)")
        // Each pod's hostIP is its node's InternalIP.
        let ipOf = Dictionary(
            uniqueKeysWithValues: nodes.compactMap { n in
                n[path: "metadata", "name"]?.stringValue.map { ($0, n[path: "status", "addresses"]?[0]?["address"]?.stringValue ?? "") }
            })
        #expect(pods.allSatisfy { ipOf[$0[path: "spec", "nodeName"]?.stringValue ?? ""] == $0[path: "status", "hostIP"]?.stringValue })
        let worker = pods.first { $0[path: "metadata", "namespace"]?.stringValue == "bookstore" }?[path: "spec", "nodeName"]?.stringValue ?? ""
        let describe = try await kc("describe", "node", worker)
        #expect(describe.status == 0 && describe.stdout.contains("Non-terminated Pods:") && describe.stdout.contains("bookstore"), "\(describe.stdout)")

        // A pod the scheduler places lands on a worker that exists, with that node's address.
        _ = try await kc("run", "probe", "--image=busybox", "-n", "bookstore")
        _ = try await kc("wait", "--for=condition=Ready", "pod/probe", "-n", "bookstore", "--timeout=60s")
        let probe = try JSON.parse(try await kc("get", "pod", "probe", "-n", "bookstore", "-o", "json").stdout)
        let placed = probe[path: "spec", "nodeName"]?.stringValue ?? ""
        #expect(nodeNames.contains(placed) && placed != "smitop-control-plane", "placed on \(placed)")
        #expect(probe[path: "status", "hostIP"]?.stringValue == ipOf[placed])

        let sa = try await kc("get", "sa", "-n", "bookstore")
        #expect(sa.status == 0 && lines(sa).first?.contains("SECRETS") == true, "\(sa.stdout)\(sa.stderr)")
        let accounts = Set(lines(sa).dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) })
        let named = Set(
            pods.filter { $0[path: "metadata", "namespace"]?.stringValue == "bookstore" }.compactMap { $0[path: "spec", "serviceAccountName"]?.stringValue })
        #expect(accounts.contains("default") && named.isSubset(of: accounts), "\(named) not in \(accounts)")

        // top: CPU follows each pod's share of its workload's traffic. books-v1 takes 90 % of
        // books' traffic (and is called a lot), bookbuyer takes none.
        let top = try await kc("top", "pods", "-n", "bookstore", "--no-headers")
        #expect(top.status == 0, "\(top.stderr)")
        func millicores(_ prefix: String) -> [Int] {
            lines(top).filter { $0.hasPrefix(prefix) }.compactMap { l in
                l.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0.dropLast()) }
            }
        }
        let busy = millicores("books-v1-")
        let idle = millicores("bookbuyer-")
        #expect(!busy.isEmpty && !idle.isEmpty, "\(top.stdout)")
        #expect((busy.min() ?? 0) > 2 * (idle.max() ?? 0), "books-v1 \(busy) vs bookbuyer \(idle)")
        let containers = try await kc("top", "pods", "-n", "bookstore", "-l", "app=books", "--containers", "--no-headers")
        #expect(lines(containers).contains { $0.contains("linkerd-proxy") } && lines(containers).contains { $0.contains(" books ") }, "\(containers.stdout)")
        let topNodes = try await kc("top", "nodes", "--no-headers")
        #expect(topNodes.status == 0 && lines(topNodes).count == nodeNames.count, "\(topNodes.stdout)\(topNodes.stderr)")
        #expect(lines(topNodes).allSatisfy { $0.contains("%") }, "\(topNodes.stdout)")
        let missing = try await kc("top", "pod", "nope", "-n", "bookstore")
        #expect(missing.status != 0 && missing.stderr.contains("NotFound"), "\(missing.stderr)")

        // logs: the application container's access log, lines of its own service.
        let tail = try await kc("logs", "deploy/books-v1", "-n", "bookstore", "--tail=4")
        #expect(tail.status == 0 && lines(tail).count == 4, "\(tail.stdout)\(tail.stderr)")
        #expect(lines(tail).allSatisfy { $0.contains(" /books/") }, "\(tail.stdout)")
        let proxy = try await kc("logs", "deploy/books-v1", "-n", "bookstore", "-c", "linkerd-proxy")
        #expect(proxy.stdout.contains("linkerd2_proxy") && proxy.stdout.contains("books.bookstore.serviceaccount"), "\(proxy.stdout)")
        // The cutoff is taken before the command: kubectl's own start on a loaded machine must
        // not move it past the lines the server chose.
        let cutoff = Date().addingTimeInterval(-3)
        let since = try await kc("logs", "deploy/books-v1", "-n", "bookstore", "--since=2s", "--timestamps")
        #expect(
            !lines(since).isEmpty
                && lines(since).allSatisfy { l in l.split(separator: " ").first.flatMap { KubeTime.parse(String($0)) }.map { $0 > cutoff } ?? false },
            "\(since.stdout)")
        let previous = try await kc("logs", "deploy/books-v1", "-n", "bookstore", "--previous")
        #expect(previous.status != 0 && previous.stderr.contains("previous terminated container"), "\(previous.stderr)")
        let podName = pods.first { $0[path: "metadata", "name"]?.stringValue?.hasPrefix("books-v1-") == true }?[path: "metadata", "name"]?.stringValue ?? ""
        let noContainer = try await kc("get", "--raw", "/api/v1/namespaces/bookstore/pods/\(podName)/log")
        #expect(noContainer.status != 0 && noContainer.stderr.contains("a container name must be specified"), "\(noContainer.stderr)")
        // --follow keeps the connection and delivers lines written after it started.
        let started = Date()
        // Stopped by the timeout (a follow never ends by itself); long enough for kubectl to
        // start and connect on a loaded machine and still see lines arrive.
        let follow = try await Self.run(k, h, ["logs", "deploy/webapp", "-n", "bookstore", "--tail=0", "-f"], timeout: 8)
        let followed = lines(follow).compactMap { l in KubeTime.parse(String(l.split(separator: " ").first ?? "")) }
        #expect(followed.count >= 2 && followed.allSatisfy { $0 >= started.addingTimeInterval(-1) }, "\(follow.stdout)\(follow.stderr)")
    }

    @Test("with --http2 the server negotiates h2; kubectl (token and client certificate) and smitop's libcurl transport work over it")
    func http2() async throws {
        let h = try await SimHarness.start { $0.http2 = true }
        defer { Task { await h.stop() } }
        // What the TLS handshake settled on, as curl reports it.
        let v = try await runProcess(
            "/usr/bin/curl",
            [
                "-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version}", "-H", "Authorization: Bearer \(h.endpoint.adminToken)",
                h.endpoint.url + "/version",
            ],
            env: [:], stdin: nil, timeout: 30)
        #expect(v.stdout == "2", "negotiated HTTP version: \(v.stdout) \(v.stderr)")
        let v1 = try await runProcess(
            "/usr/bin/curl",
            [
                "-sk", "--http1.1", "-o", "/dev/null", "-w", "%{http_version}", "-H", "Authorization: Bearer \(h.endpoint.adminToken)",
                h.endpoint.url + "/version",
            ],
            env: [:], stdin: nil, timeout: 30)
        #expect(v1.stdout == "1.1", "HTTP/1.1 stays available: \(v1.stdout)")

        // A watch and writes multiplexed on kubectl's one connection.
        let p = try BackgroundProcess(
            SimHarness.kubectlPath, ["get", "ts", "-n", "bookstore", "-w", "--output-watch-events", "--cache-dir", h.dir + "/kcache-w"],
            env: ["KUBECONFIG": h.kubeconfig, "HOME": h.dir])
        defer { p.stop() }
        let deadline = Date().addingTimeInterval(30)
        while h.sim.store.watcherCount == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        let l = try await h.kubectl(["label", "ts", "books", "-n", "bookstore", "over=h2"])
        #expect(l.status == 0 && l.stdout.contains("labeled"), "\(l.stdout)\(l.stderr)")
        #expect(try await p.waitForOutput { $0.contains("MODIFIED") }, "\(p.stdout)\(p.stderr)")
        let ns = try await h.kubectl(["create", "namespace", "h2"])
        #expect(ns.status == 0 && ns.stdout.contains("namespace/h2 created"), "\(ns.stdout)\(ns.stderr)")
        let cert = try await h.kubectl(["--context", "sim-cert", "get", "ts", "books", "-n", "bookstore", "-o", "name"])
        #expect(cert.status == 0 && cert.stdout.contains("trafficsplit.split.smi-spec.io/books"), "client certificate over h2: \(cert.stderr)")

        // smitop's own client (libcurl prefers h2 when the server offers it).
        let ours = try await runProcess(
            SmitopBinary.path, ["splits", "-A", "-o", "json", "--kubeconfig", h.kubeconfig], env: ["HOME": h.dir], stdin: nil, timeout: 60)
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout.contains("\"books\""), "\(ours.stdout)")

        // --no-http2: the listener offers HTTP/1.1 alone, whatever the client prefers.
        let old = try await SimHarness.start { $0.http2 = false }
        defer { Task { await old.stop() } }
        let only = try await runProcess(
            "/usr/bin/curl",
            [
                "-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version}", "-H", "Authorization: Bearer \(old.endpoint.adminToken)",
                old.endpoint.url + "/version",
            ],
            env: [:], stdin: nil, timeout: 30)
        #expect(only.stdout == "1.1", "\(only.stdout) \(only.stderr)")
    }

    @Test("a client that prefers protobuf gets protobuf objects (JSON where the object has fields the tables lack)")
    func protobufAnswers() async throws {
        let h = try await SimHarness.start { $0.http2 = false }
        defer { Task { await h.stop() } }
        func get(_ path: String, accept: String) async throws -> (contentType: String, body: [UInt8]) {
            let file = h.dir + "/body-" + UUID().uuidString
            let r = try await runProcess(
                "/usr/bin/curl",
                [
                    "-sk", "-o", file, "-w", "%{content_type}", "-H", "Authorization: Bearer \(h.endpoint.adminToken)", "-H", "Accept: \(accept)",
                    h.endpoint.url + path,
                ],
                env: [:], stdin: nil, timeout: 30)
            return (r.stdout, Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        }
        let pb = try await get("/api/v1/namespaces/bookstore", accept: "application/vnd.kubernetes.protobuf, application/json")
        #expect(pb.contentType == "application/vnd.kubernetes.protobuf")
        let json = try await get("/api/v1/namespaces/bookstore", accept: "application/json")
        #expect(json.contentType == "application/json")
        #expect(try APIServer.KubeProtobuf.decodeObject(pb.body) == (try JSON.parse(json.body)))
        // A running pod's status has fields the tables do not describe: JSON, whole.
        let pods = try JSON.parse(try await h.kubectl(["get", "pods", "-n", "bookstore", "-o", "json"]).stdout)
        let pod = try #require(pods["items"]?[0]?[path: "metadata", "name"]?.stringValue)
        let p = try await get("/api/v1/namespaces/bookstore/pods/\(pod)", accept: "application/vnd.kubernetes.protobuf, application/json")
        let podJSON = try JSON.parse(p.body)
        #expect(p.contentType == "application/json" && podJSON["kind"]?.stringValue == "Pod")
    }

    @Test("faults switched on at run time are Warning events in default")
    func faultEvents() async throws {
        let h = try await SimHarness.start { $0.adminEnabled = true }
        defer { Task { await h.stop() } }
        let set = try await h.adminFaults(#"{"expireWatchesNow": true, "throttleBurst": 0}"#)
        #expect(set.status == 0, "\(set.stderr)")
        let ev = try await h.kubectl(["get", "events", "-n", "default", "--field-selector", "type=Warning"])
        #expect(ev.stdout.contains("WatchesExpired") && ev.stdout.contains("fault injected: every open watch got a 410"), "\(ev.stdout)\(ev.stderr)")
        #expect(!ev.stdout.contains("ThrottleBurst"), "a fault left at 0 is no event: \(ev.stdout)")
    }

    @Test("a simulated Flagger's weight change is an Event that kubectl describe shows on the split")
    func weightChangeEvent() async throws {
        let h = try await SimHarness.start { o in
            o.faults.competingWriter = .init(split: "bookstore/books", intervalSeconds: 0.2, weights: ["books-v1": 20, "books-v2": 80])
        }
        defer { Task { await h.stop() } }
        let w = try await h.kubectl(["wait", "--for=jsonpath={.spec.backends[1].weight}=80", "ts/books", "-n", "bookstore", "--timeout=60s"])
        #expect(w.status == 0, "\(w.stdout)\(w.stderr)")
        let d = try await h.kubectl(["describe", "ts", "books", "-n", "bookstore"])
        #expect(d.stdout.contains("Synced") && d.stdout.contains("flagger"), "\(d.stdout)")
        #expect(d.stdout.contains("Advance books.bookstore canary weights books-v1=20, books-v2=80"), "\(d.stdout)")
        let ev = try JSON.parse(try await h.kubectl(["get", "events.events.k8s.io", "-n", "bookstore", "-o", "json"]).stdout)
        let synced = (ev["items"]?.arrayValue ?? []).filter { $0["reason"]?.stringValue == "Synced" }
        #expect(synced.count == 1, "one event, counted, not one per write: \(synced.count)")
        #expect(synced.first?[path: "regarding", "kind"]?.stringValue == "TrafficSplit")
    }

    @Test("get events -w shows a scale as it happens; a Terminating namespace is watched to its deletion")
    func watches() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let p = try BackgroundProcess(
            SimHarness.kubectlPath, ["get", "events", "-n", "bookstore", "-w", "--cache-dir", h.dir + "/kcache"],
            env: ["KUBECONFIG": h.kubeconfig, "HOME": h.dir])
        defer { p.stop() }
        let deadline = Date().addingTimeInterval(30)
        while h.sim.store.watcherCount == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        let r = try await h.kubectl(["scale", "deployment", "books-v1", "--replicas=3", "-n", "bookstore"])
        #expect(r.status == 0 && r.stdout.contains("scaled"), "\(r.stdout)\(r.stderr)")
        let seen = try await p.waitForOutput { $0.contains("ScalingReplicaSet") }
        #expect(seen && p.stdout.contains("Scaled up replica set books-v1-"), "\(p.stdout)\(p.stderr)")
        let waited = try await h.kubectl(["wait", "--for=jsonpath={.status.readyReplicas}=3", "deployment/books-v1", "-n", "bookstore", "--timeout=60s"])
        #expect(waited.status == 0, "\(waited.stdout)\(waited.stderr)")

        // Scale down: the newest pods go.
        #expect(try await h.kubectl(["scale", "deployment", "books-v1", "--replicas=1", "-n", "bookstore"]).status == 0)
        let one = try await h.kubectl(["wait", "--for=jsonpath={.status.replicas}=1", "deployment/books-v1", "-n", "bookstore", "--timeout=60s"])
        #expect(one.status == 0, "\(one.stdout)\(one.stderr)")
        let pods = try await h.kubectl(["get", "pods", "-n", "bookstore", "-l", "app=books,version=v1", "-o", "name"])
        #expect(pods.stdout.split(separator: "\n").count == 1, "\(pods.stdout)")

        // The traffic model follows: with no pods every request to books-v1 fails.
        #expect(try await h.kubectl(["scale", "deployment", "books-v1", "--replicas=0", "-n", "bookstore"]).status == 0)
        let none = try await h.kubectl(["wait", "--for=delete", "pod", "-l", "app=books,version=v1", "-n", "bookstore", "--timeout=60s"])
        #expect(none.status == 0, "\(none.stdout)\(none.stderr)")
        let m = try JSON.parse(try await h.kubectl(["get", "--raw", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/bookstore/deployments/books-v1"]).stdout)
        let metrics = Dictionary(
            (m["metrics"]?.arrayValue ?? []).compactMap { x in x["name"]?.stringValue.map { ($0, x["value"]?.stringValue ?? "") } },
            uniquingKeysWith: { a, _ in a })
        #expect(metrics["success_count"] == "0" && metrics["failure_count"] != "0", "\(m.compactString)")

        // Namespace deletion: a watcher sees MODIFIED (Terminating) and then DELETED.
        #expect(try await h.kubectl(["create", "namespace", "doomed"]).status == 0)
        #expect(try await h.kubectl(["create", "configmap", "c", "-n", "doomed"]).status == 0)
        let nsWatch = try BackgroundProcess(
            SimHarness.kubectlPath,
            ["get", "namespace", "doomed", "-w", "--output-watch-events", "--cache-dir", h.dir + "/kcache2"],
            env: ["KUBECONFIG": h.kubeconfig, "HOME": h.dir])
        defer { nsWatch.stop() }
        while h.sim.store.watcherCount < 2 && Date() < deadline.addingTimeInterval(30) { try await Task.sleep(for: .milliseconds(100)) }
        let del = try await h.kubectl(["delete", "namespace", "doomed", "--wait=false"])
        #expect(del.status == 0, "\(del.stderr)")
        let deleted = try await nsWatch.waitForOutput { $0.contains("DELETED") }
        #expect(deleted && nsWatch.stdout.contains("Terminating"), "\(nsWatch.stdout)\(nsWatch.stderr)")
    }
}
