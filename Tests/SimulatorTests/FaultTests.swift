import Foundation
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

/// Each fault switched on through the admin endpoint, observed by a real client over HTTPS.
@Suite("faults", .serialized)
struct FaultTests {
    static let splitsPath = SimHarness.splitPath("v1alpha4", "bookstore")
    static let booksPath = SimHarness.splitPath("v1alpha4", "bookstore", "books")

    @Test("a 5xx burst answers exactly N requests with a Status, then recovers", arguments: [500, 503])
    func errorBurst(code: Int) async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        #expect(try await h.http("GET", Self.booksPath).status == 200)
        let set = try await h.adminFaults(#"{"errorBurst":3,"errorCode":\#(code)}"#)
        #expect(set.status == 0 && (try? JSON.parse(set.stdout))?["errorBurst"]?.intValue == 3, "\(set.stdout)")
        for i in 0..<3 {
            let r = try await h.http("GET", i == 1 ? "/api/v1/namespaces" : Self.booksPath)
            #expect(r.status == code, "request \(i): \(r.status) \(r.body)")
            #expect(r.json["kind"]?.stringValue == "Status" && r.json["code"]?.intValue == Int64(code))
            #expect(r.json["reason"]?.stringValue == (code == 503 ? "ServiceUnavailable" : "InternalError"))
        }
        let after = try await h.http("GET", Self.booksPath)
        #expect(after.status == 200 && after.json["kind"]?.stringValue == "TrafficSplit")
        #expect(try await h.http("GET", "/api/v1/namespaces").status == 200)
        #expect(h.sim.faults.settings.withLock { $0.errorBurst } == 0)
    }

    @Test("429 carries Retry-After and details.retryAfterSeconds, then recovers")
    func throttle() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        _ = try await h.adminFaults(#"{"throttleBurst":2,"retryAfterSeconds":7}"#)
        for _ in 0..<2 {
            let r = try await h.http("GET", Self.splitsPath)
            #expect(r.status == 429)
            #expect(r.header("retry-after") == "7", "\(r.headers)")
            #expect(r.json["reason"]?.stringValue == "TooManyRequests")
            #expect(r.json[path: "details", "retryAfterSeconds"]?.intValue == 7)
        }
        let ok = try await h.http("GET", Self.splitsPath)
        #expect(ok.status == 200 && ok.header("retry-after") == nil)
        // kubectl retries a 429 after Retry-After; with a 1 s wait it gets through.
        _ = try await h.adminFaults(#"{"throttleBurst":1,"retryAfterSeconds":1}"#)
        let k = try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "name"])
        #expect(k.status == 0 && k.stdout.contains("books"), "\(k.stdout)\(k.stderr)")
    }

    @Test("expireWatches answers the next watch with a 410 ERROR event and ends it")
    func expireWatches() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let rv = try await h.http("GET", Self.splitsPath).json[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        _ = try await h.adminFaults(#"{"expireWatches":1}"#)
        // No timeoutSeconds: the stream ends only because of the fault.
        let r = try await h.http("GET", Self.splitsPath + "?watch=true&resourceVersion=\(rv)", timeout: 20)
        #expect(r.status == 200)
        let events = watchEvents(r.body)
        #expect(events.count == 1, "\(r.body)")
        #expect(events.first?["type"]?.stringValue == "ERROR")
        #expect(events.first?[path: "object", "code"]?.intValue == 410)
        #expect(events.first?[path: "object", "reason"]?.stringValue == "Expired")
        // The count is consumed: the next watch streams normally.
        let normal = try await h.http("GET", Self.splitsPath + "?watch=true&resourceVersion=0&timeoutSeconds=1", timeout: 20)
        let types = watchEvents(normal.body).compactMap { $0["type"]?.stringValue }
        #expect(!types.isEmpty && types.allSatisfy { $0 == "ADDED" }, "\(normal.body)")
    }

    @Test("expireWatchesNow ends open watches with a 410 ERROR event")
    func expireWatchesNow() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let rv = try await h.http("GET", Self.splitsPath).json[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        let w = try h.backgroundCurl(Self.splitsPath + "?watch=true&resourceVersion=\(rv)")
        defer { w.stop() }
        #expect(try await h.waitForWatchers(1))
        _ = try await h.adminFaults(#"{"expireWatchesNow":true}"#)
        #expect(try await w.waitForExit(timeout: 20), "the watch should end by itself")
        let events = watchEvents(w.stdout)
        #expect(events.last?["type"]?.stringValue == "ERROR" && events.last?[path: "object", "code"]?.intValue == 410, "\(w.stdout)")
        #expect(w.terminationStatus == 0, "a clean end of the stream: \(w.stderr)")
    }

    @Test("dropWatchesNow cuts an open watch connection without the chunked terminator")
    func dropWatchesNow() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let w = try h.backgroundCurl(Self.splitsPath + "?watch=true")
        defer { w.stop() }
        #expect(try await h.waitForWatchers(1))
        #expect(try await w.waitForOutput { watchEvents($0).count >= 2 }, "synthetic ADDED events (books, authors) first")
        _ = try await h.adminFaults(#"{"dropWatchesNow":true}"#)
        #expect(try await w.waitForExit(timeout: 20), "the dropped watch should end")
        // curl 18: "transfer closed with outstanding read data remaining" (no last chunk).
        #expect(w.terminationStatus != 0, "an abrupt end, not a finished stream: rc \(w.terminationStatus)")
        #expect(!watchEvents(w.stdout).contains { $0["type"]?.stringValue == "ERROR" })
        // The server itself is fine afterwards.
        #expect(try await h.http("GET", Self.booksPath).status == 200)
        #expect(try await waitUntil { h.sim.store.watcherCount == 0 })
    }

    @Test("dropWatchesEverySeconds keeps cutting watches until switched off")
    func dropWatchesPeriodically() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        _ = try await h.adminFaults(#"{"dropWatchesEverySeconds":0.5}"#)
        for _ in 0..<2 {
            let w = try h.backgroundCurl(Self.splitsPath + "?watch=true")
            #expect(try await w.waitForExit(timeout: 20), "the periodic drop should end the watch")
        }
        _ = try await h.adminFaults(#"{"dropWatchesEverySeconds":0}"#)
        // Switched off: a watch now lasts until its own timeout and ends cleanly.
        let r = try await h.http("GET", Self.splitsPath + "?watch=true&timeoutSeconds=2", timeout: 20)
        #expect(r.status == 200 && !watchEvents(r.body).isEmpty)
    }

    @Test("the competing writer rewrites the split's weights as its own field manager")
    func competingWriter() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let before = try await h.http("GET", Self.booksPath).json
        #expect(before[path: "spec", "backends"]?[0]?["weight"]?.intValue == 90)
        let set = try await h.adminFaults(
            #"{"competingWriter":{"split":"bookstore/books","intervalSeconds":0.3,"weights":{"books-v1":20,"books-v2":80},"manager":"rollout-bot"}}"#)
        #expect((try? JSON.parse(set.stdout))?[path: "competingWriter", "manager"]?.stringValue == "rollout-bot", "\(set.stdout)")

        func weights() async throws -> [Int64] {
            try await h.http("GET", Self.booksPath).json[path: "spec", "backends"]?.arrayValue?.compactMap { $0["weight"]?.intValue } ?? []
        }
        #expect(try await waitUntil { (try? await weights()) == [20, 80] }, "the writer should apply its weights")
        let obj = try await h.http("GET", Self.booksPath).json
        let managers = obj[path: "metadata", "managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
        #expect(managers.contains("rollout-bot"), "\(managers)")
        #expect(
            (Int(obj[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0) > (Int(before[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0)
        )

        // A human edit is fought back, as a progressive-delivery controller does.
        let edit = try await h.http(
            "PATCH", Self.booksPath, body: #"{"spec":{"backends":[{"service":"books-v1","weight":50},{"service":"books-v2","weight":50}]}}"#,
            contentType: "application/merge-patch+json")
        #expect(edit.status == 200)
        #expect(try await waitUntil { (try? await weights()) == [20, 80] }, "the writer should overwrite the edit")

        // Switched off: the next edit stays.
        _ = try await h.adminFaults(#"{"competingWriter":null}"#)
        #expect(h.sim.faults.settings.withLock { $0.competingWriter } == nil)
        _ = try await h.http(
            "PATCH", Self.booksPath, body: #"{"spec":{"backends":[{"service":"books-v1","weight":60},{"service":"books-v2","weight":40}]}}"#,
            contentType: "application/merge-patch+json")
        let rv = h.sim.store.currentRV
        try await Task.sleep(for: .milliseconds(800))
        #expect(try await weights() == [60, 40])
        #expect(h.sim.store.currentRV == rv, "nothing writes any more")
    }

    @Test("added latency holds API responses while the admin endpoint still answers")
    func latency() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let baselineStart = Date()
        #expect(try await h.http("GET", Self.booksPath).status == 200)
        let baseline = Date().timeIntervalSince(baselineStart)

        let set = try await h.adminFaults(#"{"latencyMs":2000}"#)
        #expect((try? JSON.parse(set.stdout))?["latencyMs"]?.intValue == 2000)
        let slowStart = Date()
        let slow = try h.backgroundCurl(Self.booksPath)
        defer { slow.stop() }
        // The admin endpoint is not delayed: it answers while the API request is held.
        let state = try await runProcess(
            "/usr/bin/curl", ["-s"] + h.tlsArgs() + [h.endpoint.url + "/sim/admin/state"], env: [:], stdin: nil, timeout: 30)
        #expect((try? JSON.parse(state.stdout))?["resourceVersion"] != nil, "\(state.stdout)")
        #expect(slow.isRunning && slow.stdout.isEmpty, "the delayed API request should still be waiting")
        #expect(try await slow.waitForExit(timeout: 30))
        let delayed = Date().timeIntervalSince(slowStart)
        #expect((try? JSON.parse(slow.stdout))?[path: "metadata", "name"]?.stringValue == "books", "delayed, not dropped: \(slow.stdout)")
        // The server sleeps the full latency before answering, so this is a lower bound that
        // cannot flake; the baseline shows the delay is the fault's, not curl's.
        #expect(delayed >= 2.0 && delayed > baseline, "delayed \(delayed)s, baseline \(baseline)s")

        _ = try await h.adminFaults(#"{"latencyMs":0}"#)
        #expect(try await h.http("GET", Self.booksPath).status == 200)
    }

    @Test("the admin endpoint validates its input and is 404 unless enabled")
    func adminEndpoint() async throws {
        let h = try await SimHarness.start()
        let bad = try await runProcess(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data", #"{"errorBurst":5,"latencyMs":100,"errorCode":404}"#] + h.tlsArgs()
                + [h.endpoint.url + "/sim/admin/faults"], env: [:], stdin: nil, timeout: 30)
        #expect(bad.stdout == "400")
        let notJSON = try await runProcess(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data", "latency please"] + h.tlsArgs()
                + [h.endpoint.url + "/sim/admin/faults"], env: [:], stdin: nil, timeout: 30)
        #expect(notJSON.stdout == "400")
        #expect(h.sim.faults.settings.withLock { $0 } == FaultSettings(), "a rejected change changes nothing")
        await h.stop()

        let off = try await SimHarness.start { $0.adminEnabled = false }
        defer { Task { await off.stop() } }
        for (method, path) in [("POST", "/sim/admin/faults"), ("GET", "/sim/admin/faults"), ("GET", "/sim/admin/state")] {
            let r = try await runProcess(
                "/usr/bin/curl",
                ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method] + (method == "POST" ? ["--data", #"{"errorBurst":5}"#] : [])
                    + off.tlsArgs() + [off.endpoint.url + path], env: [:], stdin: nil, timeout: 30)
            #expect(r.stdout == "404", "\(method) \(path)")
        }
        #expect(off.sim.faults.settings.withLock { $0.errorBurst } == 0)
        #expect(try await off.http("GET", Self.booksPath).status == 200)
    }
}

@Test("FaultSettings.merge applies a partial change, and nothing of a rejected one")
func faultSettingsMerge() throws {
    var s = FaultSettings()
    try s.merge(["latencyMs": 5, "competingWriter": ["split": "a/b", "weights": ["x": 1]]])
    #expect(s.latencyMs == 5 && s.competingWriter?.manager == "flagger" && s.competingWriter?.intervalSeconds == 5)
    let before = s
    for bad: JSON in [
        ["errorBurst": 3, "errorCode": 404], ["throttleBurst": 2, "latencyMs": -1], ["expireWatches": 1, "dropWatchesEverySeconds": "often"],
        ["errorBurst": 1, "competingWriter": ["split": "no-namespace", "weights": ["x": 1]]],
    ] {
        #expect(throws: APIError.self) { try s.merge(bad) }
        #expect(s == before, "\(bad.compactString) changed the settings")
    }
    try s.merge(["competingWriter": nil])
    #expect(s.competingWriter == nil && s.latencyMs == 5)
}

/// Polls a condition (a background loop's effect) instead of sleeping a guessed time.
func waitUntil(timeout: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// What lets an idle simulator sleep: waiters are woken by a bump or by cancellation, and one
/// that arrives after the bump does not wait at all.
@Test("Signal wakes its waiters on a bump or a cancel, and never misses an earlier bump")
func signalWakesWithoutPolling() async throws {
    let s = Signal()
    let g = s.generation
    async let woken: Void = s.wait(past: g)
    try await Task.sleep(for: .milliseconds(50))
    s.bump()
    await woken
    #expect(s.generation == g + 1)
    // Already past: returns at once.
    await s.wait(past: g)
    // Cancelled while waiting: returns without a bump.
    let t = Task { await s.wait(past: s.generation) }
    try await Task.sleep(for: .milliseconds(50))
    t.cancel()
    await t.value
    #expect(s.generation == g + 1)
}

/// `--state-dir` is what etcd is to a real API server: a change reaches the state file while
/// the server runs (autosave follows the store's commits), not only when it shuts down, so a
/// crash loses at most the last second.
@Test("with a state directory, a write reaches the state file while the server runs")
func stateIsSavedAfterCommits() async throws {
    let dir = NSTemporaryDirectory() + "smitop-state-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let h = try await SimHarness.start { $0.stateDir = dir }
    defer { Task { await h.stop() } }
    let r = try await h.kubectl(["label", "ts", "books", "-n", "bookstore", "saved=yes", "-o", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let rv = try JSON.parse(r.stdout)[path: "metadata", "resourceVersion"]?.stringValue.flatMap { Int($0) } ?? 0
    #expect(rv > 0)
    let saved = try await waitUntil {
        guard let data = FileManager.default.contents(atPath: dir + "/state.json"), let j = try? JSON.parse(Array(data)) else { return false }
        return (j["resourceVersion"]?.intValue).map { Int($0) >= rv } ?? false
    }
    #expect(saved, "the state file never caught up with resourceVersion \(rv)")
}
