import KubeCore

// Deterministic randomness for scenarios and traffic noise. Swift's SystemRandomNumberGenerator
// cannot be seeded, and a scenario must be byte-identical for the same seed so that tests,
// recorded demos and users' scripts see the same cluster every time.

/// The simulator's generator is the project's one (KubeCore's SplitMix64); what only fake
/// clusters need (Kubernetes-style name suffixes, UUIDs) is added here.
typealias SimRandom = SplitMix64

extension SplitMix64 {
    /// Characters Kubernetes uses for generated name suffixes (k8s.io/apimachinery rand.String):
    /// no vowels, no confusable digits, so names never spell words.
    static let kubeAlphabet: [Character] = Array("bcdfghjklmnpqrstvwxz2456789")

    mutating func kubeSuffix(_ length: Int) -> String {
        var s = ""
        s.reserveCapacity(length)
        for _ in 0..<length { s.append(SimRandom.kubeAlphabet[Int(next() % 27)]) }
        return s
    }

    /// An RFC 4122 version-4 shaped UUID, deterministic for the generator state.
    mutating func uuid() -> String {
        let a = next()
        let b = next()
        let hex = Array("0123456789abcdef")
        var bytes: [UInt8] = []
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: a >> (8 * UInt64(i)))) }
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: b >> (8 * UInt64(i)))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        var s = ""
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { s.append("-") }
            s.append(hex[Int(byte >> 4)])
            s.append(hex[Int(byte & 0xF)])
        }
        return s
    }
}

/// Stateless hashing for noise that must be a pure function of (seed, entity, time).
enum SimHash {
    /// FNV-1a over the UTF-8 bytes, then mixed with the seed.
    static func of(_ s: String, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h &*= 0x100_0000_01B3
        }
        return SplitMix64.mix(h ^ SplitMix64.mix(seed))
    }

    static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 {
        SplitMix64.mix(a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (b >> 7))
    }

    /// Uniform in [-1, 1] for a hash.
    static func signedUnit(_ h: UInt64) -> Double { Double(h >> 11) * 0x1.0p-52 - 1 }

    /// Smooth value noise in [-1, 1]: random values at every `period` seconds, interpolated with
    /// a smoothstep, so a live view drifts instead of jumping at every poll.
    static func smooth(_ key: UInt64, time: Double, period: Double = 10) -> Double {
        let x = time / period
        let i = x.rounded(.down)
        let f = x - i
        let bucket = Int64(i)
        let a = signedUnit(combine(key, UInt64(bitPattern: bucket)))
        let b = signedUnit(combine(key, UInt64(bitPattern: bucket &+ 1)))
        let s = f * f * (3 - 2 * f)
        return a + (b - a) * s
    }
}
