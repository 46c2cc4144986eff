import ArgumentParser
import Foundation
import Kube
import KubeCore
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

/// `"controller": {tool, source, detail}` or null: who else writes an object, as every
/// listing prints it.
func writeController<B: JSONBuilder>(_ c: ControllerInfo?, to b: inout B) {
    b.key("controller")
    if let c {
        b.object { b in
            b.member("tool", .string(c.tool))
            b.member("source", .string(c.source.rawValue))
            b.member("detail", .string(c.detail))
        }
    } else {
        b.value(.null)
    }
}

/// One split as the headless commands print it.
struct SplitSummary: Sendable {
    var split: TrafficSplit

    var json: JSON {
        var t = JSONTreeBuilder()
        write(to: &t)
        return t.result
    }

    /// `-o json` of one split, written without building its tree.
    func prettyElement() -> [UInt8] {
        var w = PrettyJSONWriter(level: 2)
        write(to: &w)
        return w.bytes
    }

    /// The summary's one definition, for the tree (YAML, `split set` output) and the writer.
    func write<B: JSONBuilder>(to b: inout B) {
        let a = split.analysis
        b.object { b in
            b.member("namespace", .string(split.meta.namespace ?? ""))
            b.member("name", .string(split.meta.name))
            b.member("apiVersion", .string(split.apiVersion))
            b.member("resourceVersion", .string(split.meta.resourceVersion ?? ""))
            b.member("service", .string(split.service))
            b.key("backends")
            b.array { b in
                for (i, backend) in split.backends.enumerated() {
                    b.object { b in
                        b.member("service", .string(backend.service))
                        b.member("weight", backend.weight.literal)
                        b.member("share", a.shares[i].map { .double($0.doubleValue) } ?? .null)
                    }
                }
            }
            writeController(split.controller, to: &b)
            var problems: [JSON] = []
            if a.allZero { problems.append("all weights are zero: nothing is routed") }
            for i in a.negativeIndices { problems.append(.string("backend \(split.backends[i].service) has a negative weight")) }
            for s in a.duplicateServices { problems.append(.string("backend \(s) is listed more than once")) }
            if a.rootIsBackend { problems.append(.string("the root service \(split.service) is listed as its own backend")) }
            if !problems.isEmpty { b.member("problems", .array(problems)) }
        }
    }

    func backendsText(wide: Bool) -> String {
        let a = split.analysis
        return split.backends.enumerated().map { i, b in
            let share = a.shares[i].map { $0.percentText(decimals: 1) } ?? "-"
            return "\(clean(b.service))=\(b.weight.description)(\(share))"
        }.joined(separator: " ")
    }
}

struct SplitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "splits", abstract: "List TrafficSplits with each backend's weight and share.")

    @OptionGroup var cluster: ClusterOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "table, wide, json or yaml.")
    var output: OutputFormat = .table

    /// One list item as the listing needs it; for `-o json` already rendered, so that the
    /// rendering runs with the decoding on the page's core, not after the last page.
    enum Item: Sendable {
        case split(SplitSummary)
        case rendered([UInt8])
        case undecodable(String)
    }

    func run() async throws {
        let (client, resolved) = try cluster.connect()
        let gvr = try await splitResource(client)
        let render = output == .json
        let items: [Item]
        do {
            items = try await client.listTrafficSplits(gvr, namespace: cluster.scope(resolved)) { item in
                switch item.split {
                case .success(let split):
                    let s = SplitSummary(split: split)
                    return render ? .rendered(s.prettyElement()) : .split(s)
                case .failure(let error):
                    return .undecodable("\(item.namespace)/\(item.name): \(error)")
                }
            }.items
        } catch { throw fail(error) }
        var splits: [SplitSummary] = []
        var rendered: [[UInt8]] = []
        for i in items {
            switch i {
            case .split(let s): splits.append(s)
            case .rendered(let r): rendered.append(r)
            case .undecodable(let u): warn("cannot read TrafficSplit \(u)")
            }
        }
        switch output {
        case .json:
            // Written in 1 MB chunks as it is framed: no second copy of the whole listing.
            var chunk: [UInt8] = []
            chunk.reserveCapacity(1 << 20)
            func flush() {
                chunk.withUnsafeBytes { writeAll(1, $0) }
                chunk.removeAll(keepingCapacity: true)
            }
            JSON.writePrettyObject([("kind", "TrafficSplitSummaryList")], arrayKey: "items", elements: rendered) { piece in
                chunk.append(contentsOf: piece)
                if chunk.count >= 1 << 20 { flush() }
            }
            chunk.append(0x0A)
            flush()
            // Nothing is left to do but free ten thousand items, which takes longer than
            // writing them (measured: ~6 % of a 10,000-split listing); the kernel frees faster.
            terminate(0)
        case .yaml:
            printYAML(["kind": "TrafficSplitSummaryList", "items": .array(splits.map(\.json))])
        case .table, .wide:
            if splits.isEmpty {
                FileHandle.standardError.write(
                    Data("No TrafficSplits found\(cluster.allNamespaces ? "" : " in \(clean(resolved.namespace)) namespace").\n".utf8))
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

/// write(2) until every byte is out (a pipe takes a listing in pieces); stops on an error such
/// as a closed pipe, as `head` closing its end should.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n > 0 {
            offset += n
        } else if n < 0 && errno == EINTR {
            continue
        } else {
            return
        }
    }
}
