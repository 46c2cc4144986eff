import Foundation
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

/// The official Python client (PyPI `kubernetes`, installed by `make test`) against the
/// simulator over HTTPS with the kubeconfig it writes (../shared/kubectl.md §7).
@Suite("Python kubernetes client", .serialized)
struct PythonClientTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("python").path

    static var python: String {
        // The python3 on PATH: the one `make test` installed the client into with pip.
        "python3"
    }

    /// Fails (rather than skips) without the client: `make test` installs it.
    static func requireClient() async throws {
        let r = try await runProcess(python, ["-c", "import kubernetes"], env: [:], stdin: nil, timeout: 60)
        if r.status != 0 {
            Issue.record("the Python `kubernetes` package is missing (make test installs it: python3 -m pip install kubernetes): \(r.stderr)")
            throw SimulatorError("python kubernetes client missing")
        }
    }

    static func lines(_ text: String) -> [JSON] {
        text.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
    }

    static func step(_ lines: [JSON], _ name: String) -> JSON? {
        lines.first { $0["step"]?.stringValue == name }
    }

    @Test("typed core lists, TrafficSplit list, merge and JSON patch", arguments: [SimProfile.sdk, .linkerd])
    func listAndPatch(_ profile: SimProfile) async throws {
        try await Self.requireClient()
        let h = try await SimHarness.start { $0.profile = profile }
        defer { Task { await h.stop() } }
        let version = profile.splitVersions[0]
        let r = try await runProcess(
            Self.python, [Self.scripts + "/list_and_patch.py", h.kubeconfig, version, "bookstore", "authors"], env: [:], stdin: nil,
            timeout: 120)
        #expect(r.status == 0, "python failed:\n\(r.stdout)\n\(r.stderr)")
        let out = Self.lines(r.stdout)
        #expect(Self.step(out, "version")?["git"]?.stringValue == "v1.32.0")
        let ns = Self.step(out, "namespaces")?["names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(ns.contains("bookstore") && ns.contains("payments") && ns.contains("default"), "\(ns)")
        let svcs = Self.step(out, "services")?["names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(svcs.contains("books") && svcs.contains("authors-v1"), "\(svcs)")
        #expect((Self.step(out, "all-services")?["count"]?.intValue ?? 0) > Int64(svcs.count))
        #expect((Self.step(out, "pods")?["count"]?.intValue ?? 0) > 0)
        #expect((Self.step(out, "deployments")?["names"]?.arrayValue?.count ?? 0) > 0)

        let splits = Self.step(out, "splits")
        let names = splits?["names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Set(["bookstore/books", "bookstore/authors", "payments/payments"]).isSubset(of: Set(names)), "\(names)")
        #expect(splits?["apiVersions"]?.arrayValue?.compactMap(\.stringValue) == ["split.smi-spec.io/\(version)"])

        let merge = Self.step(out, "merge-patch")
        #expect(merge?["weights"]?.arrayValue?.compactMap(\.intValue) == [33, 67], "\(r.stdout)")
        let beforeRV = Int(merge?["before_rv"]?.stringValue ?? "") ?? 0
        let patchedRV = Int(merge?["patched_rv"]?.stringValue ?? "") ?? 0
        #expect(patchedRV > beforeRV && merge?["after_rv"]?.stringValue == merge?["patched_rv"]?.stringValue)
        #expect(Self.step(out, "json-patch")?["weights"]?.arrayValue?.compactMap(\.intValue) == [44, 56], "\(r.stdout)")
        let missing = Self.step(out, "missing")
        #expect(missing?["status"]?.intValue == 404 && missing?["reason"]?.stringValue == "NotFound")

        // The server really holds what Python wrote.
        let stored = try await h.http("GET", SimHarness.splitPath(version, "bookstore", "authors")).json
        #expect(stored[path: "spec", "backends"]?.arrayValue?.compactMap { $0["weight"]?.intValue } == [44, 56])
        let managers = stored[path: "metadata", "managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
        #expect(managers.contains { $0.hasPrefix("OpenAPI-Generator") }, "the user agent names the manager: \(managers)")
    }

    @Test("scale subresource, controller status, ReplicaSets, Events in both APIs, ConfigMaps, a terminating namespace")
    func playground() async throws {
        try await Self.requireClient()
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let r = try await runProcess(
            Self.python, [Self.scripts + "/playground.py", h.kubeconfig, "v1alpha4", "bookstore", "books-v1"], env: [:], stdin: nil, timeout: 120)
        #expect(r.status == 0, "python failed:\n\(r.stdout)\n\(r.stderr)")
        let out = Self.lines(r.stdout)
        #expect(Self.step(out, "scale")?["selector"]?.stringValue == "app=books,version=v1", "\(r.stdout)")
        let d = Self.step(out, "deployment")
        #expect(d?["ready"]?.intValue == 3 && d?["updated"]?.intValue == 3, "\(r.stdout)")
        #expect(d?["conditions"]?.arrayValue?.compactMap(\.stringValue) == ["Available=True", "Progressing=True"])
        #expect(Self.step(out, "replicasets")?["desired"]?.arrayValue?.compactMap(\.intValue) == [3], "\(r.stdout)")
        #expect(Self.step(out, "core-events")?["reasons"]?.arrayValue?.compactMap(\.stringValue) == ["ScalingReplicaSet"], "\(r.stdout)")
        let v1 = Self.step(out, "events-v1")?["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(v1.contains("ScalingReplicaSet") && v1.contains("Scheduled") && v1.contains("Started"), "\(v1)")
        #expect(Self.step(out, "configmap")?[path: "data", "color"]?.stringValue == "blue")
        let ns = Self.step(out, "namespace")
        #expect(ns?["phase"]?.stringValue == "Terminating" && ns?["gone"]?.intValue == 404, "\(r.stdout)")
    }

    @Test("watch sees another client's change, then recovers from a forced 410 by re-listing")
    func watchAndRecover() async throws {
        try await Self.requireClient()
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let p = try BackgroundProcess(
            Self.python, ["-u", Self.scripts + "/watch_recover.py", h.kubeconfig, "v1alpha4", "bookstore", "books"])
        defer { p.stop() }
        #expect(try await p.waitForOutput { Self.step(Self.lines($0), "listed") != nil }, "\(p.stdout)\(p.stderr)")
        #expect(try await h.waitForWatchers(1), "the Python watch should be open")

        // Another client (kubectl) changes the split while the watch runs.
        let label = try await h.kubectl(["label", "ts", "books", "-n", "bookstore", "phase=one"])
        #expect(label.status == 0, "\(label.stderr)")
        let sawOne = try await p.waitForOutput {
            Self.lines($0).contains { $0["type"]?.stringValue == "MODIFIED" && $0["phase"]?.stringValue == "one" }
        }
        #expect(sawOne, "\(p.stdout)\(p.stderr)")

        // Force a 410: end the open watch with an Expired event, and expire the client's own
        // retry from the same resourceVersion too, so that it must re-list.
        let set = try await h.adminFaults(#"{"expireWatches":1,"expireWatchesNow":true}"#)
        #expect(set.status == 0)
        let relisted = try await p.waitForOutput { Self.step(Self.lines($0), "relisted") != nil }
        #expect(relisted, "\(p.stdout)\(p.stderr)")
        let gone = Self.step(Self.lines(p.stdout), "gone")
        #expect(gone?["status"]?.intValue == 410 && gone?["seen_one"]?.boolValue == true, "\(p.stdout)")
        #expect(h.sim.faults.settings.withLock { $0.expireWatches } == 0, "the client's retry met the second expiry")

        // A change after the re-list reaches the new watch.
        let patch = try await h.http(
            "PATCH", SimHarness.splitPath("v1alpha4", "bookstore", "books"), body: #"{"metadata":{"labels":{"phase":"two"}}}"#,
            contentType: "application/merge-patch+json")
        #expect(patch.status == 200)
        #expect(try await p.waitForExit(timeout: 60), "\(p.stdout)\(p.stderr)")
        #expect(p.terminationStatus == 0, "\(p.stdout)\(p.stderr)")
        let out = Self.lines(p.stdout)
        #expect(Self.step(out, "done") != nil, "\(p.stdout)")
        let relistRV = Int(Self.step(out, "relisted")?["rv"]?.stringValue ?? "") ?? 0
        let last = out.last { $0["type"]?.stringValue == "MODIFIED" }
        #expect((Int(last?["rv"]?.stringValue ?? "") ?? 0) > relistRV)
        #expect(last?["phase"]?.stringValue == "two")
    }
}
