import KubeCore
import Testing

@testable import Mesh

/// `MeshGraph.permute` reorders the graph's edges in place (no second array of ~240-byte
/// edges): checked against the plain copy it replaces, on every subset order of small arrays
/// and on seeded random ones.
@Suite struct PermuteTests {
    static func naive(_ a: [Int], _ order: [Int32]) -> [Int] { order.map { a[Int($0)] } }

    @Test func everyOrderOfSmallArrays() {
        for n in 0...5 {
            let a = (0..<n).map { $0 * 10 + 7 }
            // Every selection of distinct indices, in every order, up to length n.
            func orders(_ prefix: [Int32]) -> [[Int32]] {
                var out = [prefix]
                for i in 0..<Int32(n) where !prefix.contains(i) { out += orders(prefix + [i]) }
                return out
            }
            for order in orders([]) {
                var b = a
                MeshGraph.permute(&b, into: order)
                #expect(b == Self.naive(a, order), "n=\(n) order=\(order)")
            }
        }
    }

    @Test func seededLargeArrays() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<50 {
            let n = Int.random(in: 0...3000, using: &rng)
            let a = (0..<n).map { _ in Int.random(in: 0...1_000_000, using: &rng) }
            var order = (0..<Int32(n)).shuffled(using: &rng)
            order.removeLast(Int.random(in: 0...n, using: &rng))
            var b = a
            MeshGraph.permute(&b, into: order)
            #expect(b == Self.naive(a, order))
        }
    }
}
