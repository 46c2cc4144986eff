// Apply bodies (`application/apply-patch+yaml`) are YAML or JSON (JSON is YAML); kubectl
// sends JSON, people using curl send YAML. Converting through Yams' node tree (not `load`)
// keeps key order and the exact digits of numbers, which `JSON` stores as text.

import Foundation
import KubeCore
import SMI
import Yams

public struct YAMLBodyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension JSON {
    /// Parses one YAML (or JSON) document. An empty document is `null`, as in sigs.k8s.io/yaml.
    public static func parseYAML(_ text: String) throws(YAMLBodyError) -> JSON {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw YAMLBodyError(message: "error converting YAML to JSON: \(error)")
        }
        guard let node else { return .null }
        return try yamlNodeToJSON(node, depth: 0)
    }
}

private func yamlNodeToJSON(_ node: Node, depth: Int) throws(YAMLBodyError) -> JSON {
    if depth > 512 { throw YAMLBodyError(message: "error converting YAML to JSON: nesting too deep") }
    switch node {
    case .scalar(let s):
        let tag = node.tag
        switch tag {
        case Tag(.null):
            return .null
        case Tag(.bool):
            return Bool.construct(from: s).map(JSON.bool) ?? .string(s.string)
        case Tag(.int):
            if let i = Int64.construct(from: s) { return .number(String(i)) }
            if let u = UInt64.construct(from: s) { return .number(String(u)) }
            return .string(s.string)
        case Tag(.float):
            guard let d = Double.construct(from: s), d.isFinite else {
                throw YAMLBodyError(message: "error converting YAML to JSON: \(s.string) is not a JSON number")
            }
            // Plain decimal literals are already JSON numbers; keep their digits.
            if (try? JSON.parse(s.string))?.doubleValue != nil { return .number(s.string) }
            return .double(d)
        default:
            return .string(s.string)
        }
    case .mapping(let m):
        var o = JSONObject()
        for (k, v) in m {
            let key: String
            switch k {
            case .scalar(let ks): key = ks.string
            default: throw YAMLBodyError(message: "error converting YAML to JSON: unsupported map key")
            }
            o[key] = try yamlNodeToJSON(v, depth: depth + 1)
        }
        return .object(o)
    case .sequence(let seq):
        var a: [JSON] = []
        for item in seq { a.append(try yamlNodeToJSON(item, depth: depth + 1)) }
        return .array(a)
    case .alias:
        throw YAMLBodyError(message: "error converting YAML to JSON: aliases are not supported")
    }
}
