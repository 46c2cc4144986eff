import Testing

@testable import KubeCore

@Suite struct SaturatingConversions {
    @Test func integersClampAndNaNIsZero() {
        #expect(Int64(saturating: 1e300) == .max)
        #expect(Int64(saturating: -1e300) == .min)
        #expect(Int64(saturating: .infinity) == .max)
        #expect(Int64(saturating: -.infinity) == .min)
        #expect(Int64(saturating: .nan) == 0)
        #expect(Int64(saturating: 9_223_372_036_854_775_807.0) == .max)
        #expect(Int64(saturating: 42.9) == 42)
        #expect(Int64(saturating: -42.9) == -42)
        #expect(Int(saturating: 1e19) == .max)
    }

    @Test func durationsAreNeverNegativeAndCapped() {
        #expect(Duration.seconds(saturating: .nan) == .zero)
        #expect(Duration.seconds(saturating: -5) == .zero)
        #expect(Duration.seconds(saturating: 1.5) == .milliseconds(1500))
        #expect(Duration.seconds(saturating: 0.0001) == .milliseconds(1))
        #expect(Duration.seconds(saturating: 1e300) == .seconds(86_400))
        #expect(Duration.seconds(saturating: .infinity) == .seconds(86_400))
        #expect(Duration.seconds(saturating: 100, cap: 30) == .seconds(30))
    }
}

@Test("directory and join on paths without, with and only of slashes")
func pathText() {
    #expect(PathText.directory(of: "k") == ".")
    #expect(PathText.directory(of: "a/b/c") == "a/b")
    #expect(PathText.directory(of: "/c") == "/")
    #expect(PathText.directory(of: "a/b/") == "a")
    #expect(PathText.directory(of: "/") == "/")
    #expect(PathText.directory(of: "") == ".")
    #expect(PathText.join(".", "ca.crt") == "./ca.crt")
    #expect(PathText.join("/etc/kube/", "ca.crt") == "/etc/kube/ca.crt")
    #expect(PathText.join("conf", "/abs/ca.crt") == "/abs/ca.crt")
}
