// Kubernetes object-name rules (k8s.io/apimachinery/pkg/util/validation), once: the simulator's
// API server validates with them and lint checks with them, so both give the same answer.
// Byte loops rather than regular expressions: ICU's `$` also matches before a final newline,
// which let "name\n" pass as a valid name.

public enum KubeNames {
    @inline(__always) static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }

    /// The pattern `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, any length.
    public static func matchesDNS1123Label(_ s: some StringProtocol) -> Bool {
        let u = Array(s.utf8)
        guard let first = u.first, let last = u.last else { return false }
        return isLowerAlnum(first) && isLowerAlnum(last) && u.allSatisfy { isLowerAlnum($0) || $0 == 0x2D }
    }

    /// Dot-separated DNS-1123 label patterns, any length. As in apimachinery there is no
    /// per-part limit: the 253-byte limit is on the whole name.
    public static func matchesDNS1123Subdomain(_ s: some StringProtocol) -> Bool {
        s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { matchesDNS1123Label($0) }
    }

    /// The pattern `[a-z]([-a-z0-9]*[a-z0-9])?`, any length.
    public static func matchesDNS1035Label(_ s: some StringProtocol) -> Bool {
        guard let first = s.utf8.first, first >= 0x61, first <= 0x7A else { return false }
        return matchesDNS1123Label(s)
    }

    /// A namespace or other RFC 1123 label: the pattern, at most 63 bytes.
    public static func isDNS1123Label(_ s: some StringProtocol) -> Bool { s.utf8.count <= 63 && matchesDNS1123Label(s) }
    /// An object name: the pattern, at most 253 bytes.
    public static func isDNS1123Subdomain(_ s: some StringProtocol) -> Bool { s.utf8.count <= 253 && matchesDNS1123Subdomain(s) }
    /// A Service name: the pattern, at most 63 bytes.
    public static func isDNS1035Label(_ s: some StringProtocol) -> Bool { s.utf8.count <= 63 && matchesDNS1035Label(s) }
}
