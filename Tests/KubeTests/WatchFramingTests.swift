import KubeCore
import SMI
import Testing

@testable import Kube

@Suite struct WatchFramingTests {
    static func event(_ type: String, _ name: String, rv: Int, extra: String = "") -> String {
        #"{"type":"\#(type)","object":{"kind":"TrafficSplit","apiVersion":"split.smi-spec.io/v1alpha4","metadata":{"name":"\#(name)","namespace":"demo","resourceVersion":"\#(rv)","annotations":{"note":"braces } { and \" quotes \\ and ünïcödé ✓ 🚀\#(extra)"}},"spec":{"service":"web","backends":[{"service":"web-v1","weight":50},{"service":"web-v2","weight":50}]}}}"#
    }

    func decodeAll(_ bytes: [UInt8], cuts: [Int]) -> [WatchEvent] {
        var d = WatchFrameDecoder()
        var out: [WatchEvent] = []
        var start = 0
        for c in cuts.sorted() + [bytes.count] where c >= start {
            out += d.feed(bytes[start..<c])
            start = c
        }
        out += d.finish()
        return out
    }

    @Test func randomSplitsGiveTheSameEvents() throws {
        var rng = SplitMix64(seed: 42)
        var text = ""
        var expected: [WatchEvent] = []
        let types = ["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]
        for i in 0..<12 {
            let t = types[i % 4]
            let e = Self.event(t, "split-\(i)", rv: 1000 + i, extra: String(repeating: "é", count: i))
            expected.append(WatchEvent.decode(frame: Array(e.utf8)))
            // Mix newline-separated, space-separated and back-to-back events.
            text += e + ["\n", "", " \r\n", "\n\n"][i % 4]
        }
        #expect(expected.allSatisfy { !$0.type.isError })
        let bytes = Array(text.utf8)
        for _ in 0..<3000 {
            let n = Int(rng.next() % 12)
            let cuts = (0..<n).map { _ in Int(rng.next() % UInt64(bytes.count + 1)) }
            #expect(decodeAll(bytes, cuts: cuts) == expected)
        }
        // Byte-at-a-time: every UTF-8 sequence is split.
        #expect(decodeAll(bytes, cuts: Array(1..<bytes.count)) == expected)
        let firstName = expected[0].object[path: "metadata", "annotations", "note"]?.stringValue
        #expect(firstName?.contains("ünïcödé ✓ 🚀") == true)
    }

    @Test func typesAndResourceVersions() {
        var d = WatchFrameDecoder()
        let events = d.feed(Array((Self.event("ADDED", "a", rv: 5) + Self.event("DELETED", "a", rv: 6)).utf8))
        #expect(events.map(\.type) == [.added, .deleted])
        #expect(events.map(\.resourceVersion) == ["5", "6"])
        #expect(d.pendingByteCount == 0)
    }

    @Test func errorEventCarriesTheStatus() {
        var d = WatchFrameDecoder()
        let text =
            #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (1012)","reason":"Expired","code":410}}"#
            + "\n"
        let events = d.feed(Array(text.utf8))
        guard case .error(let e)? = events.first?.type else {
            Issue.record("expected an error event")
            return
        }
        #expect(e.isGone)
        #expect(e.code == 410)
        #expect(e.reason == "Expired")
        #expect(e.message == "too old resource version: 1 (1012)")
    }

    @Test func unknownTypesMalformedFramesAndGarbageAreErrorEventsNotCrashes() {
        var d = WatchFrameDecoder()
        var events = d.feed(Array(#"{"type":"SURPRISE","object":{}}{"type":"ADDED","object":{"a":tru}}"#.utf8))
        events += d.feed(Array("oops garbage\n".utf8))
        events += d.feed(Array(#"{"object":{}}"#.utf8))
        events += d.feed(Array(Self.event("ADDED", "ok", rv: 1).utf8))
        #expect(events.count == 5)
        #expect(events[0..<4].allSatisfy { $0.type.isError })
        if case .error(let e) = events[0].type { #expect(e.message.contains("SURPRISE")) }
        #expect(events[4].type == .added)
    }

    @Test func streamEndingInsideAnEventIsReported() {
        var d = WatchFrameDecoder()
        let full = Array(Self.event("ADDED", "a", rv: 1).utf8)
        #expect(d.feed(full.prefix(full.count - 5)).isEmpty)
        let tail = d.finish()
        #expect(tail.count == 1)
        #expect(tail.first?.type.isError == true)
        // After finish the decoder starts clean.
        #expect(d.feed(full).map(\.type) == [.added])
    }

    @Test func oversizedFrameIsDroppedAndTheStreamRecovers() {
        var d = WatchFrameDecoder(maxFrameBytes: 100)
        let big = #"{"type":"ADDED","object":{"data":""# + String(repeating: "x", count: 1000) + #""}}"#
        var events: [WatchEvent] = []
        for chunk in Array(big.utf8).chunked(37) { events += d.feed(chunk) }
        events += d.feed(Array(#"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}"#.utf8))
        #expect(events.count == 2)
        #expect(events[0].type.isError)
        #expect(events[1].type == .bookmark)
        #expect(d.pendingByteCount == 0)
    }
}

extension Array {
    func chunked(_ n: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: n).map { self[$0..<Swift.min($0 + n, count)] }
    }
}
