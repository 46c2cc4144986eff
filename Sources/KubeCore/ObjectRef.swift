// Object identity, once. Before this there were five key types and as many "ns/name" string
// builders that disagreed on cluster-scoped objects; now every store, graph, metrics table and
// the simulator's traffic model key objects the same way.

/// An object inside one kind: its namespace ("" when cluster-scoped) and name.
public struct ObjectRef: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The identity of a whole object, read without decoding the rest of its metadata (the hot
    /// path of stores and reflectors).
    public init(object: JSON) {
        namespace = object[path: "metadata", "namespace"]?.stringValue ?? ""
        name = object[path: "metadata", "name"]?.stringValue ?? ""
    }

    /// "namespace/name", or "name" for a cluster-scoped object (kubectl's form).
    public var key: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
    public var description: String { key }

    public static func < (a: ObjectRef, b: ObjectRef) -> Bool {
        a.namespace != b.namespace ? a.namespace < b.namespace : a.name < b.name
    }
}

/// A directed pair of identities: observed traffic from one workload to another.
public struct ObjectEdge<Node: Sendable & Hashable & Comparable & CustomStringConvertible>: Sendable, Hashable, Comparable,
    CustomStringConvertible
{
    public var from: Node
    public var to: Node

    public init(from: Node, to: Node) {
        self.from = from
        self.to = to
    }

    public static func < (a: ObjectEdge, b: ObjectEdge) -> Bool { a.from != b.from ? a.from < b.from : a.to < b.to }
    public var description: String { "\(from) → \(to)" }
}
