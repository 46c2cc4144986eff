// How a slimmed route keeps its object: compact JSON text with the fragments every route
// repeats written as one byte each.

/// The text of a slimmed route's object, packed.
///
/// Why: the texts of 10,000 three-rule routes were ~9 MB of a start-up's memory (heaptrack),
/// and most of each is the same keys and defaulted values in every route (`"backendRefs":[`,
/// `{"group":"","kind":"Service","name":"`…). Each such fragment is written as one of the
/// thirteen byte values UTF-8 never uses (0xC0, 0xC1, 0xF5–0xFF). The text the writer makes
/// is UTF-8 (it writes Swift strings and ASCII), so none of those bytes occurs in it, and
/// unpacking (each such byte for its fragment) gives back exactly the bytes packed, whatever
/// the route holds: a fragment inside a header value is packed and restored like any other.
/// On the simulator's generated three-rule routes a text of ~890 bytes packs to ~300.
enum RouteText {
    /// The fragments, by token: what `slimmed()` writes around the metadata, and the keys and
    /// defaulted values of references, rules and matches in the order the API server writes
    /// them (sorted: `{"group":"","kind":"Service","name":"…`) and in the order a client or the
    /// simulator wrote them (`{"name":"…","port":8080,"weight":1,"group":"","kind":"Service"}`).
    static let fragments: [[UInt8]] = [
        #"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":""#,
        #"","namespace":""#,
        #"","resourceVersion":""#,
        #"","generation":"#,
        #"},"spec":{"parentRefs":["#,
        #"{"group":"","kind":"Service","name":""#,
        #","group":"","kind":"Service"}"#,
        #"","port":"#,
        #","weight":"#,
        #""backendRefs":["#,
        #""matches":[{"#,
        #""path":{"type":"PathPrefix","value":""#,
        #""headers":[{"name":""#,
    ].map { Array($0.utf8) }

    /// The byte standing for each fragment: the values no UTF-8 text holds.
    static let tokens: [UInt8] = [0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF]

    /// The fragments one after another, and where each begins (one more: the end).
    static let flat: [UInt8] = fragments.flatMap { $0 }
    static let offsets: [Int] = fragments.reduce(into: [0]) { $0.append($0.last! + $1.count) }
    /// Fragment indices grouped by their first byte, longer first (so the longer of two that
    /// begin alike is taken): those of byte b are `byFirst[firstStart[b]..<firstStart[b + 1]]`.
    static let byFirst: [Int] = fragments.indices.sorted {
        fragments[$0][0] != fragments[$1][0] ? fragments[$0][0] < fragments[$1][0] : fragments[$0].count > fragments[$1].count
    }
    static let firstStart: [Int] = (0...256).map { b in byFirst.firstIndex { Int(fragments[$0][0]) >= b } ?? byFirst.count }
    /// Per byte: its fragment's index if it is a token, else -1.
    static let fragmentOf: [Int] = (0..<256).map { b in tokens.firstIndex(of: UInt8(b)) ?? -1 }

    /// UTF-8 `text` with each fragment replaced by its token, in an array of its own size.
    static func pack(_ text: [UInt8]) -> [UInt8] {
        let n = text.count
        var scratch = [UInt8](repeating: 0, count: n)
        var k = 0
        text.withUnsafeBufferPointer { src in
            scratch.withUnsafeMutableBufferPointer { out in
                flat.withUnsafeBufferPointer { flat in
                    offsets.withUnsafeBufferPointer { offsets in
                        byFirst.withUnsafeBufferPointer { byFirst in
                            firstStart.withUnsafeBufferPointer { firstStart in
                                var i = 0
                                next: while i < n {
                                    let b = src[i]
                                    var c = firstStart[Int(b)]
                                    let end = firstStart[Int(b) + 1]
                                    while c < end {
                                        let f = byFirst[c]
                                        let (lo, hi) = (offsets[f], offsets[f + 1])
                                        if hi - lo <= n - i {
                                            var j = 1
                                            while j < hi - lo && flat[lo + j] == src[i + j] { j += 1 }
                                            if j == hi - lo {
                                                out[k] = tokens[f]
                                                k += 1
                                                i += j
                                                continue next
                                            }
                                        }
                                        c += 1
                                    }
                                    out[k] = b
                                    k += 1
                                    i += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        // Copied to an array of its own size: `scratch` has room for the whole text.
        return scratch.withUnsafeBufferPointer { Array($0[..<k]) }
    }

    /// `packed` with each token replaced by its fragment: the text `pack` was given.
    static func unpack(_ packed: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(packed.count * 2)
        for b in packed {
            let f = fragmentOf[Int(b)]
            if f < 0 { out.append(b) } else { out.append(contentsOf: fragments[f]) }
        }
        return out
    }
}
