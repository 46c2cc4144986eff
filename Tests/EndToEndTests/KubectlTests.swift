import Foundation
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

/// Real, unmodified kubectl against the simulator over HTTPS (../shared/kubectl.md).
@Suite("kubectl against smitop sim", .serialized)
struct KubectlTests {
    @Test("version, api-resources and short names")
    func discovery() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let v = try await h.kubectl(["version"])
        #expect(v.status == 0, "\(v.stderr)")
        #expect(v.stdout.contains("Server Version: v1.32.0"))

        let r = try await h.kubectl(["api-resources"])
        #expect(r.status == 0, "\(r.stderr)")
        for line in ["trafficsplits", "traffictargets", "httproutegroups", "tcproutes", "deployments", "services"] {
            #expect(r.stdout.contains(line), "api-resources lacks \(line)")
        }
        #expect(r.stdout.contains("ts ") && r.stdout.contains("split.smi-spec.io/v1alpha4"))

        // Unqualified names resolve in the real server's group order: deployments are apps/v1,
        // not the metrics API's TrafficMetrics.
        let d = try await h.kubectl(["get", "deployments", "-n", "bookstore", "-o", "name"])
        #expect(d.status == 0, "\(d.stderr)")
        #expect(d.stdout.contains("deployment.apps/"))
    }

    @Test("get as tables, json, yaml, all namespaces")
    func gets() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let ts = try await h.kubectl(["get", "ts", "-A"])
        #expect(ts.status == 0, "\(ts.stderr)")
        let header = ts.stdout.split(separator: "\n").first.map(String.init) ?? ""
        // The CRD declares a Service column, so the apiextensions server adds no Age column
        // (it does so only for CRDs that declare none).
        #expect(header.contains("NAMESPACE") && header.contains("SERVICE") && !header.contains("AGE"), "\(header)")
        #expect(ts.stdout.split(separator: "\n").count >= 3)

        let svc = try await h.kubectl(["get", "svc", "-n", "bookstore"])
        #expect(svc.status == 0, "\(svc.stderr)")
        #expect(svc.stdout.contains("CLUSTER-IP") && svc.stdout.contains("PORT(S)"))

        let deploy = try await h.kubectl(["get", "deploy", "-A", "-o", "wide"])
        #expect(deploy.status == 0, "\(deploy.stderr)")
        #expect(deploy.stdout.contains("READY") && deploy.stdout.contains("IMAGES"))

        let json = try await h.kubectl(["get", "trafficsplits", "-A", "-o", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let list = try JSON.parse(json.stdout)
        let items = list["items"]?.arrayValue ?? []
        #expect(items.count >= 2)
        for i in items {
            #expect(i[path: "metadata", "resourceVersion"]?.stringValue != nil)
            #expect(i["apiVersion"]?.stringValue == "split.smi-spec.io/v1alpha4")
        }
        let name = items[0][path: "metadata", "name"]!.stringValue!
        let ns = items[0][path: "metadata", "namespace"]!.stringValue!
        let yaml = try await h.kubectl(["get", "ts", name, "-n", ns, "-o", "yaml"])
        #expect(yaml.status == 0, "\(yaml.stderr)")
        #expect(yaml.stdout.contains("kind: TrafficSplit") && yaml.stdout.contains("name: \(name)"))

        let missing = try await h.kubectl(["get", "ts", "nope", "-n", ns])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("NotFound") && missing.stderr.contains("\"nope\" not found"), "\(missing.stderr)")
    }

    @Test("patch merge and json, create, apply client- and server-side, delete")
    func writes() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let manifest = """
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata:
              name: kubectl-made
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
        try manifest.write(toFile: file, atomically: true, encoding: .utf8)
        let create = try await h.kubectl(["create", "-f", file])
        #expect(create.status == 0, "\(create.stderr)")
        #expect(create.stdout.contains("created"))
        let again = try await h.kubectl(["create", "-f", file])
        #expect(again.status != 0 && again.stderr.contains("AlreadyExists"), "\(again.stderr)")

        let merge = try await h.kubectl([
            "patch", "ts", "kubectl-made", "-n", "bookstore", "--type=merge", "-p",
            #"{"spec":{"backends":[{"service":"books-v1","weight":50},{"service":"books-v2","weight":50}]}}"#,
        ])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stdout.contains("patched"))
        let noop = try await h.kubectl([
            "patch", "ts", "kubectl-made", "-n", "bookstore", "--type=merge", "-p",
            #"{"spec":{"backends":[{"service":"books-v1","weight":50},{"service":"books-v2","weight":50}]}}"#,
        ])
        #expect(noop.stdout.contains("(no change)"), "\(noop.stdout)")

        let jp = try await h.kubectl([
            "patch", "ts", "kubectl-made", "-n", "bookstore", "--type=json", "-p",
            #"[{"op":"test","path":"/spec/backends/0/weight","value":50},{"op":"replace","path":"/spec/backends/0/weight","value":90}]"#,
        ])
        #expect(jp.status == 0, "\(jp.stderr)")
        let got = try JSON.parse(try await h.kubectl(["get", "ts", "kubectl-made", "-n", "bookstore", "-o", "json"]).stdout)
        #expect(got[path: "spec", "backends"]?[0]?["weight"]?.intValue == 90)

        let smp = try await h.kubectl(["patch", "ts", "kubectl-made", "-n", "bookstore", "-p", #"{"spec":{"service":"x"}}"#])
        #expect(smp.status != 0, "strategic merge patch must be refused for custom resources")
        #expect(smp.stderr.contains("UnsupportedMediaType") || smp.stderr.contains("unknown format") || smp.stderr.contains("415"), "\(smp.stderr)")

        // Client-side apply: update of an existing object, then unchanged.
        let applied = manifest.replacingOccurrences(of: "weight: 70", with: "weight: 60").replacingOccurrences(of: "weight: 30", with: "weight: 40")
        let applyFile = h.dir + "/apply.yaml"
        try applied.replacingOccurrences(of: "kubectl-made", with: "applied").write(toFile: applyFile, atomically: true, encoding: .utf8)
        let a1 = try await h.kubectl(["apply", "-f", applyFile])
        #expect(a1.status == 0 && a1.stdout.contains("created"), "\(a1.stdout)\(a1.stderr)")
        let a2 = try await h.kubectl(["apply", "-f", applyFile])
        #expect(a2.status == 0 && a2.stdout.contains("unchanged"), "\(a2.stdout)\(a2.stderr)")
        try applied.replacingOccurrences(of: "kubectl-made", with: "applied").replacingOccurrences(of: "weight: 60", with: "weight: 10")
            .write(toFile: applyFile, atomically: true, encoding: .utf8)
        let a3 = try await h.kubectl(["apply", "-f", applyFile])
        #expect(a3.status == 0 && a3.stdout.contains("configured"), "\(a3.stdout)\(a3.stderr)")

        // Server-side apply creates and updates.
        let ssaFile = h.dir + "/ssa.yaml"
        try manifest.replacingOccurrences(of: "kubectl-made", with: "ssa-made").write(toFile: ssaFile, atomically: true, encoding: .utf8)
        let s1 = try await h.kubectl(["apply", "--server-side", "-f", ssaFile])
        #expect(s1.status == 0 && s1.stdout.contains("serverside-applied"), "\(s1.stdout)\(s1.stderr)")
        let ssaObj = try JSON.parse(try await h.kubectl(["get", "ts", "ssa-made", "-n", "bookstore", "-o", "json", "--show-managed-fields"]).stdout)
        let managers = ssaObj[path: "metadata", "managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
        #expect(managers.contains("kubectl"), "\(managers)")

        // Built-in types get a real strategic merge patch from client-side apply.
        let svcFile = h.dir + "/svc.yaml"
        let svc = """
            apiVersion: v1
            kind: Service
            metadata:
              name: extra
              namespace: bookstore
            spec:
              selector: {app: extra}
              ports:
              - name: http
                port: 8080
            """
        try svc.write(toFile: svcFile, atomically: true, encoding: .utf8)
        #expect(try await h.kubectl(["apply", "-f", svcFile]).status == 0)
        try svc.replacingOccurrences(of: "8080", with: "9090").write(toFile: svcFile, atomically: true, encoding: .utf8)
        let svcApply = try await h.kubectl(["apply", "-f", svcFile])
        #expect(svcApply.status == 0, "\(svcApply.stderr)")
        let svcObj = try await h.kubectl(["get", "svc", "extra", "-n", "bookstore", "-o", "json"]).stdout
        #expect(svcObj.contains("9090") && !svcObj.contains("$setElementOrder"), "\(svcObj)")

        let del = try await h.kubectl(["delete", "ts", "kubectl-made", "-n", "bookstore"])
        #expect(del.status == 0 && del.stdout.contains("deleted"), "\(del.stdout)\(del.stderr)")
        #expect(try await h.kubectl(["get", "ts", "kubectl-made", "-n", "bookstore"]).status != 0)
    }

    @Test("validation errors are 422 with field causes, strict unknown fields are 400")
    func validation() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let bad = """
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata:
              name: bad
              namespace: bookstore
            spec:
              backends:
              - service: books-v1
                weight: 1
            """
        let file = h.dir + "/bad.yaml"
        try bad.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try await h.kubectl(["create", "-f", file])
        #expect(r.status != 0)
        #expect(r.stderr.contains("spec.service") && r.stderr.contains("Required value"), "\(r.stderr)")

        let unknown = bad.replacingOccurrences(of: "spec:\n", with: "spec:\n  service: books\n  bogus: 1\n")
        try unknown.write(toFile: file, atomically: true, encoding: .utf8)
        let u = try await h.kubectl(["create", "-f", file])
        #expect(u.status != 0)
        #expect(u.stderr.contains("unknown field") && u.stderr.contains("bogus"), "\(u.stderr)")
    }

    @Test("get -w shows a change made by another client")
    func watchSeesChanges() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let list = try JSON.parse(try await h.kubectl(["get", "ts", "-n", "bookstore", "-o", "json"]).stdout)
        let name = list["items"]![0]![path: "metadata", "name"]!.stringValue!
        // kubectl get -w never ends by itself: run it in the background and stop it.
        let p = try BackgroundProcess(
            SimHarness.kubectlPath, ["get", "ts", "-n", "bookstore", "-w", "--output-watch-events", "--cache-dir", h.dir + "/kcache"],
            env: ["KUBECONFIG": h.kubeconfig, "HOME": h.dir])
        defer { p.stop() }
        // Once kubectl has listed and opened its watch, change the object elsewhere.
        let deadline = Date().addingTimeInterval(30)
        while h.sim.store.watcherCount == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(h.sim.store.watcherCount > 0, "kubectl never opened its watch: \(p.stderr)")
        let r = try await h.kubectl(["label", "ts", name, "-n", "bookstore", "touched=yes"])
        #expect(r.status == 0, "\(r.stderr)")
        let seen = try await p.waitForOutput { $0.contains("MODIFIED") }
        #expect(seen && p.stdout.contains(name), "\(p.stdout)\(p.stderr)")
    }

    @Test("read-only user may read but not write")
    func readOnly() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let get = try await h.kubectl(["--context", "sim-readonly", "get", "ts", "-A"])
        #expect(get.status == 0, "\(get.stderr)")
        let list = try JSON.parse(try await h.kubectl(["get", "ts", "-n", "bookstore", "-o", "json"]).stdout)
        let name = list["items"]![0]![path: "metadata", "name"]!.stringValue!
        let w = try await h.kubectl(["--context", "sim-readonly", "label", "ts", name, "-n", "bookstore", "x=y"])
        #expect(w.status != 0)
        #expect(w.stderr.contains("Forbidden") && w.stderr.contains("sim-readonly"), "\(w.stderr)")
        let can = try await h.kubectl(["--context", "sim-readonly", "auth", "can-i", "patch", "trafficsplits"])
        #expect(can.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "no", "\(can.stdout)\(can.stderr)")
        let canAdmin = try await h.kubectl(["auth", "can-i", "patch", "trafficsplits"])
        #expect(canAdmin.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes", "\(canAdmin.stdout)\(canAdmin.stderr)")
        let cert = try await h.kubectl(["--context", "sim-cert", "get", "ts", "-A"])
        #expect(cert.status == 0, "client certificate user: \(cert.stderr)")
    }

    @Test("metrics API through get --raw")
    func metricsRaw() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let root = try await h.kubectl(["get", "--raw", "/apis/metrics.smi-spec.io/v1alpha1"])
        #expect(root.status == 0, "\(root.stderr)")
        #expect(root.stdout.contains("TrafficMetrics"))
        let list = try await h.kubectl(["get", "--raw", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/bookstore/deployments"])
        #expect(list.status == 0, "\(list.stderr)")
        let j = try JSON.parse(list.stdout)
        #expect(j["kind"]?.stringValue == "TrafficMetricsList")
        let deployments = try JSON.parse(try await h.kubectl(["get", "deploy", "-n", "bookstore", "-o", "json"]).stdout)
        let dname = deployments["items"]![0]![path: "metadata", "name"]!.stringValue!
        let edges = try await h.kubectl(["get", "--raw", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/bookstore/deployments/\(dname)/edges"])
        #expect(edges.status == 0, "\(edges.stderr)")
        #expect(try JSON.parse(edges.stdout)["kind"]?.stringValue == "TrafficMetricsList")
    }
}
