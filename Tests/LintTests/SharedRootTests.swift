import Testing

@testable import Lint

/// Issue 13 item 15: the generated mesh has three TrafficSplits for `config-writer` (100/0,
/// 75/25, 0/100), and nothing said so, though meshes disagree on what that means.
@Test func severalSplitsForOneRootServiceAreWarned() {
    func ts(_ name: String, _ ns: String, _ root: String) -> String {
        """
        apiVersion: split.smi-spec.io/v1alpha4
        kind: TrafficSplit
        metadata: {name: \(name), namespace: \(ns)}
        spec:
          service: \(root)
          backends:
          - {service: \(root)-v1, weight: 50}
          - {service: \(root)-v2, weight: 50}
        """
    }
    let r = lint(
        documents: [
            ts("a", "mesh", "config-writer"), ts("b", "mesh", "config-writer"), ts("c", "mesh", "config-writer"), ts("d", "mesh", "books"),
            ts("e", "other", "config-writer"),
        ].joined(separator: "\n---\n"), fileName: "mesh.yaml")
    let warned = r.objects.filter { o in o.problems.contains { $0.path == "spec.service" && $0.message.contains("TrafficSplits have root service") } }
    #expect(warned.map { $0.name ?? "" } == ["a", "b", "c"], "\(r.text)")
    #expect(warned.first?.problems.last?.message.hasPrefix("3 TrafficSplits have root service config-writer (also b, c)") == true, "\(r.text)")
    #expect(warned.first?.problems.last?.line == 1)
    #expect(r.exitCode == 0, "a warning, not an error")
}
