import Foundation
import KubeCore
import Testing

@testable import Lint
@testable import SMI

/// The SMI spec's examples, copied into the repository (Tests/Fixtures/smi, see SOURCES.md).
let examplesDir: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/smi/examples")

@Suite struct SpecExamples {
    /// The version a kind from the spec documents would carry, given the folder it was printed
    /// in (the access docs name their compatible specs versions, NOTES.md §0).
    func inferredAPIVersion(kind: SMIKind, api: String, version: String) -> String {
        var v = version
        if kind.group == SMIGroup.specs {
            switch (api, version) {
            case ("traffic-access", "v1alpha2"): v = "v1alpha3"
            case ("traffic-access", "v1alpha3"): v = "v1alpha4"
            default: break
            }
        }
        if kind == .udpRoute { v = "v1alpha4" }
        return "\(kind.group)/\(v)"
    }

    @Test func everyExampleDecodesOrIsFlagged() throws {
        let specDir = examplesDir.appendingPathComponent("spec")
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: specDir.path), "examples missing at \(specDir.path)")
        guard let walker = fm.enumerator(at: specDir, includingPropertiesForKeys: nil) else { return }
        var decoded = 0
        var splits = 0
        var flagged = 0
        for case let url as URL in walker where url.pathExtension == "yaml" {
            let comps = url.pathComponents
            let api = comps[comps.count - 3]
            let version = comps[comps.count - 2]
            let fragment = url.lastPathComponent.hasSuffix(".fragment.yaml")
            let text = try String(contentsOf: url, encoding: .utf8)
            let report = lint(documents: text, fileName: url.lastPathComponent)
            guard let docs = try? YAMLDocuments.read(text) else {
                #expect(fragment, "\(url.path) is not valid YAML")
                #expect(report.exitCode == 2)
                continue
            }
            #expect(report.fatal == nil)
            #expect(report.objects.count == docs.count, "\(url.lastPathComponent)")
            for (i, doc) in docs.enumerated() {
                guard let k = doc.json["kind"]?.stringValue, let kind = SMIKind(rawValue: k) else { continue }
                let where_ = "\(api)/\(version)/\(url.lastPathComponent)#\(i)"
                let obj = report.objects[i]
                var json = doc.json
                if let av = json["apiVersion"]?.stringValue {
                    if !av.contains("/") {
                        // §5.8: "apiVersion: v1alpha1" without a group.
                        #expect(throws: SMIDecodeError.self) { try SMIResource.decode(json) }
                        #expect(obj.problems.contains { $0.path == "apiVersion" && $0.severity == .error }, "\(where_)")
                        flagged += 1
                        continue
                    }
                } else {
                    // §5.8: v1alpha3+ examples omit apiVersion. Lint must say so for manifest kinds.
                    if kind != .trafficMetrics && kind != .trafficMetricsList {
                        #expect(obj.problems.contains { $0.path == "apiVersion" && $0.severity == .error }, "\(where_)")
                        flagged += 1
                    }
                    json["apiVersion"] = .string(inferredAPIVersion(kind: kind, api: api, version: version))
                }
                if kind == .trafficTarget && json["apiVersion"]?.stringValue == "\(SMIGroup.access)/v1alpha4" {
                    // The draft access v1alpha4 has no schema; decoding refuses it by version.
                    #expect(throws: SMIDecodeError.self) { try SMIResource.decode(json) }
                    continue
                }
                if fragment {
                    _ = try? SMIResource.decode(json)
                    continue
                }
                do {
                    let r = try SMIResource.decode(json)
                    decoded += 1
                    if case .trafficSplit(let s) = r {
                        splits += 1
                        #expect(s.encode().compactString == json.compactString, "\(where_)")
                        #expect(!s.backends.isEmpty)
                    }
                } catch {
                    Issue.record("\(where_): \(error)")
                }
            }
        }
        // Guard against a vacuous pass (wrong directory, nothing matched).
        #expect(decoded >= 40)
        #expect(splits >= 25)
        #expect(flagged >= 20)
    }

    @Test func knownSlipsAreFlagged() throws {
        // The A/B example of split v1alpha4 uses the v1alpha2 HTTPRouteGroup layout and a
        // header map; with the apiVersions filled in, lint names both.
        let url = examplesDir.appendingPathComponent("spec/traffic-split/v1alpha4/02-trafficsplit+httproutegroup-ab-test.yaml")
        var text = try String(contentsOf: url, encoding: .utf8)
        text = text.replacingOccurrences(of: "kind: TrafficSplit\n", with: "apiVersion: split.smi-spec.io/v1alpha4\nkind: TrafficSplit\n")
        text = text.replacingOccurrences(of: "kind: HTTPRouteGroup\nmetadata", with: "apiVersion: specs.smi-spec.io/v1alpha4\nkind: HTTPRouteGroup\nmetadata")
        let r = lint(documents: text, fileName: "ab.yaml")
        #expect(r.objects.count == 2)
        #expect(r.objects[0].problems.isEmpty)
        #expect(r.objects[0].backends?.map(\.share) == [Fraction(0), Fraction(1)])
        #expect(r.objects[1].problems.contains { $0.path == "matches" && $0.severity == .error })

        let headers = try String(
            contentsOf: examplesDir.appendingPathComponent("spec/traffic-specs/v1alpha4/04-httproutegroup-the-routes.yaml"), encoding: .utf8)
        let h = lint(documents: "apiVersion: specs.smi-spec.io/v1alpha4\n" + headers, fileName: "h.yaml")
        #expect(h.objects[0].problems.filter { $0.path.hasSuffix("headers") }.map(\.line) == [9, 13])
    }
}
