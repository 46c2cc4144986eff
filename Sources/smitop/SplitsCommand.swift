import ArgumentParser
import Foundation
import Kube
import SMI

/// Finds the TrafficSplit version the cluster prefers: clusters serve v1alpha1 to v1alpha4
/// depending on the mesh, so it is discovered, never assumed.
func splitResource(_ client: KubeClient) async throws -> GroupVersionResource {
    let info: APIGroupInfo?
    do { info = try await client.apiGroup("split.smi-spec.io") } catch { throw fail(error) }
    guard let info, let version = info.preferredVersion ?? info.versions.first else {
        throw CLIError.fail("the cluster does not serve split.smi-spec.io: no TrafficSplit CRD is installed", code: 1)
    }
    return GroupVersionResource(group: "split.smi-spec.io", version: version, resource: "trafficsplits")
}

/// One split as the headless commands print it.
struct SplitSummary {
    var split: TrafficSplit

    var json: JSON {
        let a = split.analysis
        var backends: [JSON] = []
        for (i, b) in split.backends.enumerated() {
            var share: JSON = .null
            if let s = a.shares[i] { share = .double(s.doubleValue) }
            backends.append(["service": .string(b.service), "weight": b.weight.literal, "share": share])
        }
        var o: JSON = [
            "namespace": .string(split.meta.namespace ?? ""), "name": .string(split.meta.name),
            "apiVersion": .string(split.apiVersion), "resourceVersion": .string(split.meta.resourceVersion ?? ""),
            "service": .string(split.service), "backends": .array(backends),
        ]
        if let c = split.controller {
            o["controller"] = ["tool": .string(c.tool), "source": .string("\(c.source)"), "detail": .string(c.detail)]
        } else {
            o["controller"] = .null
        }
        var problems: [JSON] = []
        if a.allZero { problems.append("all weights are zero: nothing is routed") }
        for i in a.negativeIndices { problems.append(.string("backend \(split.backends[i].service) has a negative weight")) }
        for s in a.duplicateServices { problems.append(.string("backend \(s) is listed more than once")) }
        if !problems.isEmpty { o["problems"] = .array(problems) }
        return o
    }

    func backendsText(wide: Bool) -> String {
        let a = split.analysis
        return split.backends.enumerated().map { i, b in
            let share = a.shares[i].map { $0.percentText(decimals: 1) } ?? "-"
            return "\(clean(b.service))=\(b.weight.description)(\(share))"
        }.joined(separator: " ")
    }
}

/// Strings from the cluster are sanitised before they reach a terminal.
func clean(_ s: String) -> String { sanitizedForDisplay(s, limit: 253) }

struct SplitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "splits", abstract: "List TrafficSplits with each backend's weight and share.")

    @OptionGroup var cluster: ClusterOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "table, wide, json or yaml.")
    var output: OutputFormat = .table

    func run() async throws {
        let (client, resolved) = try cluster.connect()
        let gvr = try await splitResource(client)
        let list: ObjectList
        do { list = try await client.listAll(gvr, namespace: cluster.scope(resolved)) } catch { throw fail(error) }
        var splits: [SplitSummary] = []
        var undecodable: [String] = []
        for item in list.items {
            do { splits.append(SplitSummary(split: try TrafficSplit(json: item))) } catch {
                undecodable.append("\(item[path: "metadata", "namespace"]?.stringValue ?? "")/\(item[path: "metadata", "name"]?.stringValue ?? ""): \(error)")
            }
        }
        for u in undecodable { warn("cannot read TrafficSplit \(u)") }
        switch output {
        case .json:
            printJSON(["kind": "TrafficSplitSummaryList", "items": .array(splits.map(\.json))])
        case .yaml:
            printYAML(["kind": "TrafficSplitSummaryList", "items": .array(splits.map(\.json))])
        case .table, .wide:
            if splits.isEmpty {
                FileHandle.standardError.write(Data("No TrafficSplits found\(cluster.allNamespaces ? "" : " in \(clean(resolved.namespace)) namespace").\n".utf8))
                return
            }
            var header = ["NAMESPACE", "NAME", "SERVICE", "BACKENDS", "OWNER"]
            if output == .wide { header += ["APIVERSION", "RESOURCEVERSION"] }
            let rows = splits.map { s -> [String] in
                var r = [
                    clean(s.split.meta.namespace ?? ""), clean(s.split.meta.name), clean(s.split.service),
                    s.backendsText(wide: output == .wide), s.split.controller.map { clean($0.tool) } ?? "<none>",
                ]
                if output == .wide { r += [clean(s.split.apiVersion), clean(s.split.meta.resourceVersion ?? "")] }
                return r
            }
            print(renderTable(header, rows), terminator: "")
        }
    }
}
