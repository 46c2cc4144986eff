import Foundation
import KubeCore
import TestSupport
import Testing

/// `smitop sim`'s mesh-traffic flags as a user types them, read back with `smitop split set`,
/// `smitop metrics` and kubectl: the degrading canary of the bookstore scenario, `--degrade`
/// and `--route-actor`.
@Suite("smitop sim fault flags", .serialized)
struct SimFaultCLITests {
    static var binary: String { SmitopBinary.path }

    /// The SUCCESS column of `smitop metrics` for one deployment, as a fraction.
    static func success(_ table: String, _ deployment: String) -> Double? {
        for line in table.split(separator: "\n") {
            let cols = line.split(separator: " ", omittingEmptySubsequences: true)
            guard cols.count > 3, cols[1] == deployment, let pct = cols.first(where: { $0.hasSuffix("%") }) else { continue }
            return Double(pct.dropLast()).map { $0 / 100 }
        }
        return nil
    }

    @Test("--degrade and --route-actor, and the bookstore canary degrading above 30 %")
    func flagsAsTyped() async throws {
        let dir = NSTemporaryDirectory() + "smitop-simflags-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let kc = dir + "/kc"
        let sim = try BackgroundProcess(
            Self.binary,
            [
                "sim", "--port", "0", "--profile", "linkerd-gamma", "--write-kubeconfig", kc, "--degrade",
                "bookstore/webapp=errors:50%,latency:2x", "--route-actor", "flagger@0.5",
            ])
        defer { sim.stop() }
        #expect(try await sim.waitForOutput { $0.contains("ready in") }, "\(sim.stdout)\(sim.stderr)")
        func smitop(_ args: [String]) async throws -> ProcessResult {
            try await runProcess(Self.binary, args + ["--kubeconfig", kc], env: ["HOME": dir], stdin: nil, timeout: 60)
        }
        func metrics() async throws -> String {
            let r = try await smitop(["metrics", "-n", "bookstore", "--window", "1s"])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout
        }
        try await Task.sleep(for: .milliseconds(1200))
        let before = try await metrics()
        // webapp succeeds 99.5 % as created; half of that with the fault.
        #expect(abs((Self.success(before, "webapp") ?? 0) - 0.4975) < 0.03, "\(before)")
        #expect(abs((Self.success(before, "books-v2") ?? 0) - 0.87) < 0.03, "\(before)")

        let set = try await smitop(["split", "set", "bookstore/books", "books-v1=50", "books-v2=50"])
        #expect(set.status == 0, "\(set.stderr)")
        try await Task.sleep(for: .milliseconds(1500))
        let after = try await metrics()
        #expect(abs((Self.success(after, "books-v2") ?? 0) - 0.609) < 0.03, "\(after)")

        // The Flagger actor stepped its route and said so.
        let events = try await runProcess(
            SimHarness.kubectlPath, ["get", "events", "-n", "payments", "--cache-dir", dir + "/kcache"], env: ["KUBECONFIG": kc, "HOME": dir],
            stdin: nil, timeout: 60)
        #expect(events.stdout.contains("Advance payments.payments canary weight 30"), "\(events.stdout)\(events.stderr)")
    }

    @Test("bad --degrade and --route-actor values are refused before the server starts")
    func badValues() async throws {
        for (args, message) in [
            (["--degrade", "books-v2=errors:0.1"], "--degrade wants NS/NAME="),
            (["--degrade", "bookstore/books-v2=errors:2"], "errors must be a fraction"),
            (["--degrade", "bookstore/nope=errors:0.1"], "no deployment bookstore/nope in the bookstore scenario"),
            (["--route-actor", "flux"], "unknown controller \"flux\""),
            (["--route-actor", "flagger"], "profile sdk serves no HTTPRoutes"),
        ] {
            let r = try await runProcess(Self.binary, ["sim", "--port", "0"] + args, env: [:], stdin: nil, timeout: 20)
            #expect(r.status != 0 && r.stderr.contains(message), "\(args): \(r.status) \(r.stderr)")
            #expect(!r.stdout.contains("://"), "\(args): the server must not start")
        }
    }
}
