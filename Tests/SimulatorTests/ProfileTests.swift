import Foundation
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

/// Every profile over real HTTPS: discovery shows exactly the profile's TrafficSplit versions,
/// objects read back in the version asked for, and kubectl works whatever is served.
@Suite("profiles over HTTP", .serialized)
struct ProfileTests {
    static let allSplitVersions = ["v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"]

    @Test("discovery, per-version reads, unserved 404s and kubectl", arguments: SimProfile.smiProfiles)
    func profile(_ profile: SimProfile) async throws {
        let h = try await SimHarness.start { $0.profile = profile }
        defer { Task { await h.stop() } }

        // Legacy discovery: the group list and the group document, preferred version first.
        let groups = try await h.http("GET", "/apis")
        #expect(groups.status == 200)
        let groupList = groups.json["groups"]?.arrayValue ?? []
        let split = try #require(groupList.first { $0["name"]?.stringValue == "split.smi-spec.io" })
        #expect(split["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == profile.splitVersions)
        #expect(split[path: "preferredVersion", "version"]?.stringValue == profile.splitVersions.first)
        let access = groupList.first { $0["name"]?.stringValue == "access.smi-spec.io" }
        #expect(access?["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == profile.accessVersions)
        let specs = groupList.first { $0["name"]?.stringValue == "specs.smi-spec.io" }
        #expect(specs?["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == profile.specsVersions)
        // The aggregated metrics APIs come after every other group (kubectl.md §2).
        #expect(groupList.suffix(2).compactMap { $0["name"]?.stringValue } == ["metrics.smi-spec.io", "metrics.k8s.io"])

        let group = try await h.http("GET", "/apis/split.smi-spec.io")
        #expect(group.status == 200 && group.json["kind"]?.stringValue == "APIGroup")
        #expect(group.json["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == profile.splitVersions)

        // Aggregated discovery (what kubectl 1.30+ asks for first) agrees.
        let agg = try await h.http(
            "GET", "/apis",
            accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")
        #expect(agg.status == 200)
        #expect(agg.header("content-type")?.contains("as=APIGroupDiscoveryList") == true, "\(agg.headers)")
        let aggSplit = agg.json["items"]?.arrayValue?.first { $0[path: "metadata", "name"]?.stringValue == "split.smi-spec.io" }
        #expect(aggSplit?["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == profile.splitVersions)

        // Each served version: resource list, list and get carry that version's apiVersion.
        var weightsByVersion: [String: [JSON]] = [:]
        for v in profile.splitVersions {
            let rl = try await h.http("GET", "/apis/split.smi-spec.io/\(v)")
            #expect(rl.status == 200, "\(v): \(rl.body)")
            #expect(rl.json["resources"]?.arrayValue?.contains { $0["name"]?.stringValue == "trafficsplits" } == true)
            let list = try await h.http("GET", "/apis/split.smi-spec.io/\(v)/trafficsplits")
            #expect(list.status == 200, "\(v): \(list.body)")
            #expect(list.json["apiVersion"]?.stringValue == "split.smi-spec.io/\(v)")
            #expect(list.json["kind"]?.stringValue == "TrafficSplitList")
            let items = list.json["items"]?.arrayValue ?? []
            #expect(items.count >= 3, "\(v): the bookstore has three splits")
            for i in items { #expect(i["apiVersion"]?.stringValue == "split.smi-spec.io/\(v)") }
            let one = try await h.http("GET", SimHarness.splitPath(v, "bookstore", "books"))
            #expect(one.status == 200, "\(v): \(one.body)")
            #expect(one.json["apiVersion"]?.stringValue == "split.smi-spec.io/\(v)")
            #expect(one.json["kind"]?.stringValue == "TrafficSplit")
            weightsByVersion[v] = one.json[path: "spec", "backends"]?.arrayValue?.compactMap { $0["weight"] } ?? []
            // A table of the served version works too (kubectl's human output).
            let table = try await h.http(
                "GET", "/apis/split.smi-spec.io/\(v)/trafficsplits", accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
            #expect(table.json["kind"]?.stringValue == "Table" && (table.json["rows"]?.arrayValue?.count ?? 0) >= 3)
        }
        // No conversion: every served version reads the same stored weights.
        let distinct = Set(weightsByVersion.values.map { JSON.array($0).compactString })
        #expect(distinct.count == 1, "\(weightsByVersion)")

        // Unserved versions are 404 everywhere.
        for v in Self.allSplitVersions where !profile.splitVersions.contains(v) {
            #expect(try await h.http("GET", "/apis/split.smi-spec.io/\(v)").status == 404, "\(v) should not be served")
            #expect(try await h.http("GET", "/apis/split.smi-spec.io/\(v)/trafficsplits").status == 404)
            #expect(try await h.http("GET", SimHarness.splitPath(v, "bookstore", "books")).status == 404)
            let post = try await h.http(
                "POST", SimHarness.splitPath(v, "bookstore"),
                body:
                    #"{"apiVersion":"split.smi-spec.io/\#(v)","kind":"TrafficSplit","metadata":{"name":"x"},"spec":{"service":"s","backends":[{"service":"a","weight":1}]}}"#
            )
            #expect(post.status == 404)
        }

        // kubectl in every profile: the short name, all namespaces, the preferred version.
        let ts = try await h.kubectl(["get", "ts", "-A"])
        #expect(ts.status == 0, "\(profile): \(ts.stderr)")
        #expect(ts.stdout.contains("books") && ts.stdout.contains("payments") && ts.stdout.contains("NAMESPACE"), "\(ts.stdout)")
        let json = try await h.kubectl(["get", "trafficsplits", "books", "-n", "bookstore", "-o", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect((try? JSON.parse(json.stdout))?["apiVersion"]?.stringValue == "split.smi-spec.io/\(profile.splitVersions[0])")
        let patched = try await h.kubectl([
            "patch", "ts", "authors", "-n", "bookstore", "--type=merge", "-p", #"{"metadata":{"labels":{"profile":"\#(profile.rawValue)"}}}"#,
        ])
        #expect(patched.status == 0 && patched.stdout.contains("patched"), "\(patched.stdout)\(patched.stderr)")
        let rs = try await h.kubectl(["api-resources", "--api-group=split.smi-spec.io"])
        #expect(rs.status == 0 && rs.stdout.contains("split.smi-spec.io/\(profile.splitVersions[0])"), "\(rs.stdout)\(rs.stderr)")
    }

    @Test("linkerd serves v1alpha1 storage objects as v1alpha2 with the same quantity weights")
    func linkerdQuantityWeights() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerd }
        defer { Task { await h.stop() } }
        let v1 = try await h.http("GET", SimHarness.splitPath("v1alpha1", "bookstore", "books"))
        let v2 = try await h.http("GET", SimHarness.splitPath("v1alpha2", "bookstore", "books"))
        #expect(v1.status == 200 && v2.status == 200)
        #expect(v2.json["apiVersion"]?.stringValue == "split.smi-spec.io/v1alpha2")
        let w1 = v1.json[path: "spec", "backends"]?.arrayValue?.map { $0["weight"] } ?? []
        let w2 = v2.json[path: "spec", "backends"]?.arrayValue?.map { $0["weight"] } ?? []
        #expect(w1 == w2 && !w1.isEmpty)
        // Quantity strings ("900m"), not integers: a v1alpha2 reader must cope with them.
        #expect(w2.allSatisfy { $0?.stringValue != nil }, "\(w2.map { $0?.compactString ?? "nil" })")
        #expect(w2.first??.stringValue == "900m")
        // Same metadata: one stored object, two views.
        #expect(v1.json[path: "metadata", "resourceVersion"] == v2.json[path: "metadata", "resourceVersion"])
        #expect(v1.json[path: "metadata", "uid"] == v2.json[path: "metadata", "uid"])

        // Writing through v1alpha2 stores with the storage version's apiVersion and keeps the
        // other view in step.
        let patch = try await h.http(
            "PATCH", SimHarness.splitPath("v1alpha2", "bookstore", "books"),
            body: #"{"spec":{"backends":[{"service":"books-v1","weight":"500m"},{"service":"books-v2","weight":"500m"}]}}"#,
            contentType: "application/merge-patch+json")
        #expect(patch.status == 200, "\(patch.body)")
        #expect(patch.json["apiVersion"]?.stringValue == "split.smi-spec.io/v1alpha2")
        let after = try await h.http("GET", SimHarness.splitPath("v1alpha1", "bookstore", "books"))
        #expect(after.json["apiVersion"]?.stringValue == "split.smi-spec.io/v1alpha1")
        #expect(after.json[path: "spec", "backends"]?[1]?["weight"]?.stringValue == "500m")
        let splitType = try #require(h.sim.registry.find(group: "split.smi-spec.io", resource: "trafficsplits"))
        let stored = try #require(h.sim.store.get(splitType, namespace: "bookstore", name: "books"))
        #expect(stored.object["apiVersion"]?.stringValue == "split.smi-spec.io/v1alpha1")
    }
}
