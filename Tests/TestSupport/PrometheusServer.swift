import Foundation
import KubeCore
import Synchronization
import Testing

@testable import Simulator

/// A real Prometheus (Debian's `prometheus` package, installed by `make deps`) scraping a
/// `SimHarness` simulator every second, on a free loopback port with its own temporary
/// storage and the configuration `smitop sim --write-prometheus-config` writes.
public final class PrometheusServer: Sendable {
    public let port: Int
    public let dir: String
    public let configFile: String
    private let process: BackgroundProcess

    public var url: String { "http://127.0.0.1:\(port)" }

    public static var binary: String? {
        for p in ["/usr/bin/prometheus", "/usr/local/bin/prometheus"] where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return nil
    }

    public static var promtool: String? {
        for p in ["/usr/bin/promtool", "/usr/local/bin/promtool"] where FileManager.default.isExecutableFile(atPath: p) { return p }
        return nil
    }

    /// Starts Prometheus against `sim` and waits until every target has been scraped once
    /// (health "up"). `port` reuses a port (a restart after a kill); `dir` reuses storage.
    public static func start(scraping sim: SimHarness, port: Int? = nil, dir: String? = nil) async throws -> PrometheusServer {
        guard let binary else { throw SimulatorError("prometheus is not installed (make deps installs it)") }
        let dir = dir ?? (sim.dir + "/prometheus-" + UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        let config = dir + "/prometheus.yml"
        if !FileManager.default.fileExists(atPath: config) {
            try sim.sim.writePrometheusConfig(sim.endpoint, to: config)
        }
        let port = try port ?? freeLoopbackPort()
        let process = try BackgroundProcess(
            binary,
            [
                "--config.file=\(config)", "--storage.tsdb.path=\(dir)/data", "--web.listen-address=127.0.0.1:\(port)",
                "--log.level=warn", "--storage.tsdb.retention.time=1h",
            ])
        let server = PrometheusServer(port: port, dir: dir, configFile: config, process: process)
        try await server.waitForTargetsUp()
        return server
    }

    private init(port: Int, dir: String, configFile: String, process: BackgroundProcess) {
        self.port = port
        self.dir = dir
        self.configFile = configFile
        self.process = process
    }

    /// A test that fails half-way never reaches `stop()`: the server must not outlive it and
    /// keep scraping for the rest of the run.
    deinit { process.stop() }

    /// Stops it (SIGTERM) and waits for the process to end, keeping its storage.
    public func stop() async {
        process.stop()
        _ = try? await process.waitForExit(timeout: 10)
    }

    public var log: String { process.stderr }

    /// GET on Prometheus' HTTP API through curl (a client independent of smitop's).
    public func api(_ path: String, _ query: [(String, String)] = []) async throws -> JSON {
        var args = ["-s", "--max-time", "10", "-G", url + path]
        for (k, v) in query { args += ["--data-urlencode", "\(k)=\(v)"] }
        let r = try await runProcess("/usr/bin/curl", args, env: [:], stdin: nil, timeout: 20)
        return try JSON.parse(r.stdout)
    }

    /// An instant query's vector result as (labels, value) pairs.
    public func query(_ promql: String) async throws -> [(labels: [String: String], value: Double)] {
        let j = try await api("/api/v1/query", [("query", promql)])
        var out: [(labels: [String: String], value: Double)] = []
        for r in j[path: "data", "result"]?.arrayValue ?? [] {
            var labels: [String: String] = [:]
            for (k, v) in r["metric"]?.objectValue ?? JSONObject() { labels[k] = v.stringValue ?? "" }
            let v = r["value"]?.arrayValue?.last?.stringValue.flatMap(Double.init) ?? .nan
            out.append((labels, v))
        }
        return out
    }

    /// Waits until Prometheus answers and every target it knows is up (each scraped once).
    public func waitForTargetsUp(timeout: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            if !process.isRunning { throw SimulatorError("prometheus exited: \(process.stderr.suffix(2000))") }
            // The server answering on the port must be this one (its storage), not another
            // test's that holds the port while this one failed to bind.
            if let flags = try? await api("/api/v1/status/flags"),
                let path = flags[path: "data", "storage.tsdb.path"]?.stringValue, path != dir + "/data"
            {
                throw SimulatorError("another Prometheus (storage \(path)) answers on port \(port)")
            }
            if let j = try? await api("/api/v1/targets"), let active = j[path: "data", "activeTargets"]?.arrayValue, !active.isEmpty {
                let health = active.map { $0["health"]?.stringValue ?? "" }
                if health.allSatisfy({ $0 == "up" }) { return }
                last =
                    "\(health.filter { $0 == "up" }.count)/\(health.count) up; "
                    + (active.first { $0["health"]?.stringValue != "up" }?["lastError"]?.stringValue ?? "")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw SimulatorError("prometheus targets not up within \(timeout)s: \(last)\n\(process.stderr.suffix(2000))")
    }

    /// Waits until every target has `seconds` of scrapes, so a window of that length is full.
    public func waitForScrapes(seconds: Int) async throws {
        let r = try await waitForSeries("min(count_over_time(up[\(seconds)s]))", timeout: Double(seconds) + 60) {
            ($0.first?.value ?? 0) >= Double(seconds - 1)
        }
        guard (r.first?.value ?? 0) >= Double(seconds - 1) else {
            throw SimulatorError("prometheus did not collect \(seconds)s of scrapes")
        }
    }

    /// Waits until an instant query returns at least one series (e.g. until a rate over a
    /// window has two samples), returning the result.
    public func waitForSeries(
        _ promql: String, timeout: Double = 60, _ ok: ([(labels: [String: String], value: Double)]) -> Bool = { !$0.isEmpty }
    )
        async throws -> [(labels: [String: String], value: Double)]
    {
        let deadline = Date().addingTimeInterval(timeout)
        var r: [(labels: [String: String], value: Double)] = []
        while Date() < deadline {
            r = (try? await query(promql)) ?? []
            if ok(r) { return r }
            try await Task.sleep(for: .milliseconds(500))
        }
        return r
    }
}

/// Ports `freeLoopbackPort` has handed out in this test process. A port is handed out once:
/// a test that kills its Prometheus and restarts it on the same port leaves that port free
/// in between, and another test asking then must not get it (CI saw one test's Prometheus
/// fail to bind while the other's answered on that port, until its test stopped it).
private let handedOutPorts = Mutex<Set<Int>>([])

/// A port nothing listens on now (bound, read, released) and never handed out before in this
/// process; a race with an unrelated process on loopback is unlikely.
public func freeLoopbackPort() throws -> Int {
    for _ in 0..<100 {
        let port = try unusedLoopbackPort()
        if handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
    throw SimulatorError("no loopback port left that was not handed out before")
}

private func unusedLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SimulatorError("socket failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    guard bound == 0 else { throw SimulatorError("bind failed") }
    let named = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    guard named == 0 else { throw SimulatorError("getsockname failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// The sum of the samples of metric `name` (label sets containing every `having` text) in an
/// exposition text. A sample's value is the first field after its labels (label values may
/// hold spaces); the optional field after it is the sample's timestamp.
public func expositionTotal(_ text: String, _ name: String, having: [String] = []) -> Double {
    var sum = 0.0
    for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
        guard having.allSatisfy({ line.contains($0) }), let v = expositionFields(line).first.flatMap({ Double($0) }) else { continue }
        sum += v
    }
    return sum
}

/// A sample line's value and, if present, timestamp.
public func expositionFields(_ line: Substring) -> [Substring] {
    let rest = line.lastIndex(of: "}").map { line[line.index(after: $0)...] } ?? line.drop { $0 != " " }
    return rest.split(separator: " ")
}
