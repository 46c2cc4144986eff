import Foundation
import KubeCore
import Testing

@testable import SMI

@Suite struct JSONPrettyTests {
    /// The listing renders each item on its own (in parallel) and frames them; the result must
    /// be byte for byte what rendering the whole tree gives, or `-o json` output would change.
    @Test(arguments: [0, 1, 3])
    func prettyObjectMatchesTheTree(count: Int) throws {
        let elements: [JSON] = (0..<count).map { i in
            [
                "name": .string("s\(i)"), "nested": ["a": [1, 2], "empty": .array([]), "o": .object(JSONObject())],
                "text": "quote \" and \u{1B}", "n": .null,
            ]
        }
        let fields: [(String, JSON)] = [("kind", "TrafficSplitSummaryList"), ("meta", ["x": true])]
        var tree = JSONObject()
        for (k, v) in fields { tree[k] = v }
        tree["items"] = .array(elements)
        let expected = JSON.object(tree).prettyString()
        let framed = JSON.prettyObject(fields, arrayKey: "items", elements: elements.map { $0.prettyElement() })
        #expect(String(decoding: framed, as: UTF8.self) == expected)
        #expect(try JSON.parse(framed) == .object(tree))
    }
}

@Suite struct TrafficSplitListDecoding {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz")

    func check(_ doc: String, file: StaticString = #filePath) throws -> [TrafficSplitListItem]? {
        let bytes = Array(doc.utf8)
        let streamed = try TrafficSplit.listItems(fromListBytes: bytes)
        let tree = try JSON.parse(bytes)
        if let streamed, let items = tree["items"]?.arrayValue {
            #expect(streamed.count == items.count)
            for (s, t) in zip(streamed, items) { #expect(s.disagreement(withTree: t) == nil) }
        }
        return streamed
    }

    /// A page as the simulator serves it (managedFields, last-applied copies), with an owner
    /// reference, a v1alpha1 quantity, the SDK v0.3.0 root layout and matches added.
    @Test func aRealPageDecodesAsTheTreeDoes() throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("trafficsplit-list-page.json"), encoding: .utf8)
        let items = try #require(try check(text))
        #expect(items.count == 5)
        let splits = items.compactMap { try? $0.split.get() }
        #expect(splits.count == 5)
        #expect(splits[1].controller?.tool == "flagger")
        #expect(splits[2].backends[0].weight.description == "500m")
        #expect(splits[3].service == "web" && splits[3].raw["spec"] == nil)
        #expect(splits[4].matches.map(\.name) == ["r"])
        // Never read: the managers are, the field sets and kubectl's copy are not.
        #expect(splits[0].meta.managers == ["flagger"])
        #expect(splits[0].meta.annotations["kubectl.kubernetes.io/last-applied-configuration"] == nil)
        #expect(splits[0].weightsMergePatch()["metadata"]?["resourceVersion"] != nil)
    }

    /// Nesting a real server holds (an object of 10,000 levels: here a managedFields field set
    /// and an unknown spec field that deep, inside a list two levels more) no longer makes the
    /// page unreadable: both decoders read every item, and agree; one level past what a
    /// server can send refuses the page in both.
    @Test func deepItemsDecodeAsTheTreeDoes() throws {
        func deep(_ levels: Int, leaf: String) -> String {
            String(repeating: #"{"f:x":"#, count: levels) + leaf + String(repeating: "}", count: levels)
        }
        // Item: object, metadata, managedFields, entry, fieldsV1 (5) + the field set; in the
        // page: items and the list around it (+2).
        let fields = deep(JSON.serverMaxDepth - 5 - 1, leaf: "{}")
        let spec = #"{"service":"web","backends":[{"service":"web-v1","weight":1}],"x":"# + deep(JSON.serverMaxDepth - 2 - 1, leaf: "{}") + "}"
        let deepItem =
            #"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"deep","namespace":"n","managedFields":[{"manager":"m","fieldsV1":"#
            + fields + #"}]},"spec":"# + spec + "}"
        let plain =
            #"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"plain","namespace":"n"},"spec":{"service":"a","backends":[{"service":"b","weight":1}]}}"#
        let page =
            #"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplitList","items":["# + deepItem + "," + plain
            + #"],"metadata":{"resourceVersion":"7"}}"#
        let items = try #require(try check(page))
        #expect(items.map(\.name) == ["deep", "plain"])
        #expect(try items[0].split.get().backends.map(\.service) == ["web-v1"])
        #expect(try items[0].split.get().meta.managers == ["m"])
        // The tree path, as lists of other kinds are read, reads it too.
        #expect(try JSON.parse(Array(page.utf8), skippingKeys: ["fieldsV1"])["items"]?.arrayValue?.count == 2)
        // One level more than a server can send, in the field set that lists skip: refused.
        let tooDeep = page.replacingOccurrences(of: fields, with: deep(JSON.maxDepth - 5 - 2, leaf: "{}"))
        #expect(throws: JSONParseError.self) { try TrafficSplit.listItems(fromListBytes: Array(tooDeep.utf8)) }
        #expect(throws: JSONParseError.self) { try JSON.parse(Array(tooDeep.utf8), skippingKeys: ["fieldsV1"]) }
    }

    @Test func oddShapesMatchTheTreeDecoder() throws {
        let item =
            #"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"a","namespace":"n"},"spec":{"service":"s","backends":[{"service":"b","weight":1}]}}"#
        // Duplicates: the last one wins everywhere, as in the tree.
        _ = try check(#"{"items":"no","items":[\#(item),\#(item)]}"#)
        _ = try check(
            #"{"items":[{"metadata":{"name":"x","name":7,"labels":{"a":"1","a":2,"b":"2"}},"kind":"TrafficSplit","kind":1,"apiVersion":"split.smi-spec.io/v1alpha2","spec":{"service":"s"},"spec":[]}]}"#
        )
        // Escaped keys, non-object items and metadata, errors.
        _ = try check(
            #"{"items":[{"ap\u0069Version":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"n\u0061me":"e"},"spec":{"service":"s","backends":[]}}]}"#
        )
        let odd = try #require(try check(#"{"items":[1,null,{"metadata":3},{"kind":"Other"},{"apiVersion":"x/y","kind":"TrafficSplit","spec":{}}]}"#))
        #expect(odd.count == 5)
        #expect(odd.allSatisfy { if case .failure = $0.split { true } else { false } })
        // Not lists: nil, as the tree has no items either; empty for null.
        #expect(try check(#"{"kind":"Status","metadata":{}}"#) == nil)
        #expect(try check(#"[1,2]"#) == nil)
        #expect(try check(#"{"items":null}"#)?.isEmpty == true)
        #expect(throws: JSONParseError.self) { try TrafficSplit.listItems(fromListBytes: Array(#"{"items":[{"a":}]}"#.utf8)) }
        #expect(throws: JSONParseError.self) { try TrafficSplit.listItems(fromListBytes: Array(#"{"items":[]} x"#.utf8)) }
    }
}

@Suite struct TrailingMemberTests {
    @Test func findsTheListMetadataAfterTheItems() throws {
        let doc = Array(#"{"apiVersion":"v1","items":[{"metadata":{"name":"a"}}],"kind":"L","metadata":{"continue":"c1","resourceVersion":"9"}}"#.utf8)
        let m = try #require(JSON.trailingMember("metadata", in: doc))
        #expect(m["continue"] == "c1")
    }

    /// (JSON is ExpressibleByNilLiteral, so `== nil` would compare with JSON.null.)
    func found(_ bytes: [UInt8]) -> Bool {
        if case .some = JSON.trailingMember("metadata", in: bytes) { return true }
        return false
    }

    @Test func declinesWhatIsNotTheLastTopLevelMember() {
        // The metadata of the last item, not of the list.
        #expect(!found(Array(#"{"items":[{"metadata":{"name":"a"}}]}"#.utf8)))
        // Inside a string the quotes are escaped.
        #expect(!found(Array(#"{"a":"x\",\"metadata\":{}}"#.utf8)))
        // Nested one level down.
        #expect(!found(Array(#"{"x":{"metadata":{"continue":"c"}}}"#.utf8)))
        // Metadata first (as for built-in kinds): the caller reads the document forwards.
        #expect(!found(Array(#"{"metadata":{},"items":[]}"#.utf8)))
        #expect(!found(Array(#"{"metadata":"#.utf8)))
        #expect(!found([]))
    }
}

@Suite struct JSONBuilderTests {
    /// Trees with every shape the writer must indent like `writePretty`: empty and nested
    /// containers, scalars at the top, strings that need escaping.
    static let trees: [JSON] = [
        .null, 1, "top \u{7F} \"q\"", .array([]), .object(JSONObject()),
        ["a": 1, "b": [1, [2, []], ["x": .object(JSONObject())]], "c": ["d": ["e": .null]], "f": .array([])],
        [[], [[]], ["k": "v"], .null, true],
    ]

    @Test(arguments: trees)
    func writerMatchesTheTreeAndTheTreeBuilderRebuildsIt(tree: JSON) {
        var w = PrettyJSONWriter()
        tree.replay(into: &w)
        #expect(String(decoding: w.bytes, as: UTF8.self) == tree.prettyString())
        var t = JSONTreeBuilder()
        tree.replay(into: &t)
        #expect(t.result == tree)
        var e = PrettyJSONWriter(level: 2)
        tree.replay(into: &e)
        #expect(e.bytes == tree.prettyElement())
    }
}
