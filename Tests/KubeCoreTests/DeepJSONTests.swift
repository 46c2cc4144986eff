import Foundation
import KubeCore
import Synchronization
import Testing

/// Nesting as deep as a real API server holds (Go's encoding/json: 10,000 levels), read and
/// written on the threads smitop does it on, without running out of stack.
@Suite(.serialized) struct DeepJSONTests {
    static let limit = 10_000

    static func deepObject(_ levels: Int) -> String {
        String(repeating: #"{"x":"#, count: levels) + "1" + String(repeating: "}", count: levels)
    }
    static func deepArray(_ levels: Int) -> String {
        String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
    }

    /// The mapping in /proc/self/maps that holds `address`: a thread's stack, for an address
    /// on it (its guard page is a mapping of its own).
    static func mapping(holding address: UInt) -> (start: UInt, end: UInt)? {
        // Read with read(2) to the end: procfs files report no size, and the table changes
        // while other tests start threads, so it is read whole in one pass of small reads.
        let fd = open("/proc/self/maps", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let maps = String(decoding: bytes, as: UTF8.self)
        for line in maps.split(separator: "\n") {
            let range = line.prefix { $0 != " " }.split(separator: "-")
            guard range.count == 2, let a = UInt(range[0], radix: 16), let b = UInt(range[1], radix: 16) else { continue }
            if a <= address && address < b { return (a, b) }
        }
        return nil
    }

    static func here() -> UInt {
        var x = 0
        return withUnsafeMutablePointer(to: &x) { UInt(bitPattern: $0) }
    }

    /// The stack bytes `body` used on a fresh thread of `stackSize` bytes, measured by painting
    /// the thread's free stack with a pattern and finding the deepest byte overwritten.
    static func stackUsed(stackSize: Int, _ body: @escaping @Sendable () -> Void) -> Int {
        let result = Mutex(0)
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            let top = here()
            guard let stack = mapping(holding: top) else {
                done.signal()
                return
            }
            // Leave room below the current frame for the painting itself, and the lowest
            // pages alone.
            let low = UnsafeMutableRawPointer(bitPattern: stack.start + 16384)!
            let painted = Int(top - 8192 - (stack.start + 16384))
            memset(low, 0xA5, painted)
            body()
            var untouched = 0
            while untouched < painted, low.load(fromByteOffset: untouched, as: UInt8.self) == 0xA5 { untouched += 1 }
            result.withLock { $0 = painted - untouched }
            done.signal()
        }
        t.stackSize = stackSize
        t.start()
        done.wait()
        return result.withLock { $0 }
    }

    /// The stack a cooperative-pool thread has (list pages, watch frames and requests are
    /// decoded there, the simulator's handlers run there).
    static func poolStackSize() async -> Int {
        for _ in 0..<5 {
            let size = await Task.detached { () -> Int in
                let address = here()
                guard let m = mapping(holding: address) else {
                    print("no mapping in /proc/self/maps holds the pool thread's stack address \(String(address, radix: 16))")
                    return 0
                }
                return Int(m.end - m.start)
            }.value
            if size > 0 { return size }
        }
        return 0
    }

    @Test func tenThousandLevelsParseAndOneMoreIsRefused() throws {
        for doc in [Self.deepObject(Self.limit), Self.deepArray(Self.limit), "[" + Self.deepObject(Self.limit - 1) + "]"] {
            let v = try JSON.parse(Array(doc.utf8))
            #expect(v.serialized() == Array(doc.utf8))
            // Skipping checks the same grammar and the same limit.
            #expect(try JSON.parse(Array((#"{"a":"# + doc + #","b":2}"#).utf8), skippingKeys: ["a"]) == ["b": 2])
        }
        for doc in [Self.deepObject(Self.limit + 1), Self.deepArray(Self.limit + 1)] {
            do {
                _ = try JSON.parse(Array(doc.utf8), maxDepth: JSON.serverMaxDepth)
                Issue.record("parsed \(doc.count) bytes")
            } catch {
                #expect(error.message == "nesting deeper than 10000 levels")
            }
            // What smitop reads from a server allows the envelope around such an object.
            #expect(throws: Never.self) { try JSON.parse(Array(("[[" + doc + "]]").utf8)) }
            // Skipped members are held to it too (Go refuses the whole body).
            #expect(throws: JSONParseError.self) { try JSON.parse(Array((#"{"a":"# + doc + "}").utf8), skippingKeys: ["a"], maxDepth: JSON.serverMaxDepth) }
        }
        // Deep and broken: the same errors as the recursive path gives shallow.
        for (doc, message) in [
            (String(repeating: "[", count: 200) + "1,", "unexpected end of input"),
            (String(repeating: "[", count: 200) + "1}", "expected ',' or ']'"),
            (String(repeating: #"{"a":"#, count: 200) + "1,}", "expected a string key"),
            (String(repeating: #"{"a":"#, count: 200) + #"1 "b""#, "expected ',' or '}'"),
        ] {
            for skipping in [[], ["a"]] {
                do {
                    _ = try JSON.parse(Array(doc.utf8), skippingKeys: skipping)
                    Issue.record("parsed \(doc.suffix(10))")
                } catch {
                    #expect(error.message == message)
                }
            }
        }
    }

    /// Long lists and big objects past the recursion bound are built in place: each append
    /// must not copy what came before (50,000 elements copied at every append would take
    /// minutes; a hostile list could hang the decoder).
    @Test func wideValuesDeepInsideParseInLinearTime() throws {
        let wideArray = "[" + (0..<50_000).map(String.init).joined(separator: ",") + "]"
        let wideObject = "{" + (0..<20_000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        let doc = String(repeating: "[", count: 100) + wideArray + "," + wideObject + String(repeating: "]", count: 100)
        let start = Date()
        var v = try JSON.parse(Array(doc.utf8))
        print("a 50,000-element list and a 20,000-member object 100 levels deep: parsed in \(Date().timeIntervalSince(start)) s")
        for _ in 0..<99 { v = try #require(v[0]) }
        #expect(v[0]?.arrayValue?.count == 50_000 && v[0]?[49_999] == 49_999)
        #expect(v[1]?.objectValue?.count == 20_000 && v[1]?["k19999"] == 19_999)
        #expect(v.serialized() == Array((wideArray + "," + wideObject).utf8).reduce(into: [UInt8(ascii: "[")]) { $0.append($1) } + [UInt8(ascii: "]")])
    }

    /// Duplicates and skipped keys inside deep objects behave as in shallow ones.
    /// Indented output past the recursion bound is what the recursive writer gives: each
    /// level on its own line, indented four more, and it reads back to the same value.
    @Test func indentedDeepValuesReadBack() throws {
        for n in [3, 70, 200] {
            for doc in [Self.deepObject(n), "[" + Self.deepArray(n) + ",[1,{}],{\"a\":[]}]"] {
                let t = try JSON.parse(Array(doc.utf8))
                let p = t.prettyString()
                #expect(try JSON.parse(Array(p.utf8)) == t)
                let lines = p.split(separator: "\n")
                #expect(lines.count >= 2 * n + 1)
                // Line i of the opening run is indented 4·i.
                for (i, line) in lines.prefix(n).enumerated() { #expect(line.prefix { $0 == " " }.count == 4 * i) }
            }
        }
    }

    @Test func deepObjectsKeepTheLastDuplicateAndSkipWhatTheyAreTold() throws {
        let inner = #"{"k":1,"skip":[[[{"x":1}]]],"k":2,"keep":{"skip":3}}"#
        let doc = String(repeating: #"{"a":"#, count: 300) + inner + String(repeating: "}", count: 300)
        var v = try JSON.parse(Array(doc.utf8), skippingKeys: ["skip"])
        for _ in 0..<300 { v = v["a"]! }
        #expect(v == ["k": 2, "keep": .object(JSONObject())])
        #expect(v.objectValue?.keys == ["k", "keep"])
    }

    /// Parsing, writing (compact and indented), comparing and freeing a tree as deep as
    /// smitop reads (10,008 levels) each fit a cooperative-pool thread's stack with room to
    /// spare. Measured, not assumed: in a debug build the recursive writer took 914 bytes of
    /// stack a level and overflowed 8 MB at 10,000 levels.
    @Test func deepValuesFitThePoolsStack() async throws {
        let pool = await Self.poolStackSize()
        #expect(pool >= 1 << 20, "pool threads have \(pool) bytes of stack")
        let n = JSON.maxDepth
        for doc in [Self.deepObject(n), Self.deepArray(n)] {
            let bytes = Array(doc.utf8)
            let tree = try JSON.parse(bytes)
            let twin = try JSON.parse(bytes)
            let kind = doc.hasPrefix("[") ? "arrays" : "objects"
            let steps: [(String, @Sendable () -> Void)] = [
                // Parsing and then freeing the tree (the last reference goes inside).
                ("parse and free", { precondition((try? JSON.parse(bytes)) != nil) }),
                ("write", { precondition(tree.serialized() == bytes) }),
                ("compare", { precondition(tree == twin) }),
            ]
            for (what, step) in steps {
                let used = Self.stackUsed(stackSize: 16 << 20, step)
                print("\(n) levels of \(kind), \(what): \(used) bytes of stack (\(used / n) a level); a pool thread has \(pool)")
                #expect(used > 0 && used < pool / 2, "\(what): \(used) bytes of stack, a pool thread has \(pool)")
            }
        }
    }

    /// Indented output grows with the square of the depth (400 MB at 10,000 levels), so it is
    /// measured at 2,000 levels: past the recursion bound its stack does not grow with depth.
    @Test func deepIndentedOutputFitsThePoolsStack() async throws {
        let pool = await Self.poolStackSize()
        let tree = try JSON.parse(Array(Self.deepObject(2_000).utf8))
        let used = Self.stackUsed(stackSize: 16 << 20) { precondition(tree.prettyString().utf8.count > 16_000_000) }
        print("2000 levels, write indented: \(used) bytes of stack; a pool thread has \(pool)")
        #expect(used > 0 && used < 128 << 10)
    }

    /// The YAML reader takes what libyaml takes (1,000 levels) on a pool thread's stack, and a
    /// JSON document in a YAML stream is read by the JSON parser, to its own limit.
    @Test func yamlNestingToLibyamlsLimitAndDeepJSONDocumentsInAStream() async throws {
        let pool = await Self.poolStackSize()
        // libyaml refuses a 1,000th nested block mapping.
        func block(_ n: Int) -> String { (0..<n).map { String(repeating: "  ", count: $0) + "k:" }.joined(separator: "\n") + " 1\n" }
        let deepest = block(999)
        let used = Self.stackUsed(stackSize: 16 << 20) {
            precondition((try? YAMLDocuments.read(deepest))?.count == 1)
        }
        print("YAML, 999 levels: \(used) bytes of stack; a pool thread has \(pool)")
        #expect(used > 0 && used < pool / 2)
        var v = try #require(try YAMLDocuments.read(deepest).first?.json)
        for _ in 0..<998 { v = try #require(v["k"]) }
        #expect(v == ["k": 1])
        #expect(throws: YAMLReadError.self) { try YAMLDocuments.read(block(1_000)) }

        // kubectl -o json output of a deep object, as a document between YAML ones.
        let deepDoc = Self.deepObject(5_000)
        let stream = "a: 1\n---\n" + deepDoc + "\n---\nb:\n  c: 2\n"
        let docs = try YAMLDocuments.read(stream)
        #expect(docs.count == 3)
        #expect(docs.map(\.line) == [1, 3, 5])
        #expect(docs[1].json.serialized() == Array(deepDoc.utf8))
        #expect(docs[2].json == ["b": ["c": 2]] && docs[2].line(of: "b.c") == 6)
    }
}
