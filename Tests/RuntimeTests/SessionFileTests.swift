import App
import Foundation
import Kube
import KubeCore
import SMI
import Synchronization
import Testing

@testable import Runtime

func draft(_ name: String, _ weights: [Int]) -> SplitDraft {
    let j = try! JSON.parse(
        #"{"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"\#(name)","namespace":"shop","resourceVersion":"1"},"spec":{"service":"\#(name)","backends":[{"service":"a","weight":50},{"service":"b","weight":50}]}}"#
    )
    var d = SplitDraft(split: try! TrafficSplit(json: j))
    d.working = d.base.with(weights: weights.map { try! Weight(json: .int($0)) })
    return d
}

func snapshot(_ drafts: SplitDraft...) -> SessionSnapshot { SessionSnapshot(drafts: drafts) }

/// name → weights of the drafts saved for `key`.
func saved(_ file: SessionFile, _ key: String) -> [String: [String]] {
    var out: [String: [String]] = [:]
    for d in file.load(key: key).snapshot?.drafts ?? [] { out[d.key.name] = d.working.backends.map(\.weight.description) }
    return out
}

@Suite struct SessionFileTests {
    /// Issue 14 item 3: `:ctx B` used to save an empty snapshot under B's key, erasing the
    /// drafts an earlier run had saved for B.
    @Test func switchingToAContextNeverErasesItsSavedDrafts() {
        let dir = StateDir()
        var earlier = SessionKeeper(file: dir.file)
        _ = earlier.load(key: "B@s")
        #expect(earlier.persist(key: "B@s", snapshot(draft("books", [80, 20]))) == nil)
        #expect(saved(dir.file, "B@s") == ["books": ["80", "20"]])

        // This run starts in A; after the switch its state for B is empty until B's drafts
        // are restored. Saving that must not erase them.
        var now = SessionKeeper(file: dir.file)
        _ = now.load(key: "A@s")
        #expect(now.persist(key: "B@s", SessionSnapshot()) == nil)
        #expect(saved(dir.file, "B@s") == ["books": ["80", "20"]])
        // Loaded on the switch, they are offered; once written (gone from the state), removed.
        let offered = now.load(key: "B@s")
        #expect(offered.snapshot?.drafts.map(\.key.name) == ["books"])
        #expect(now.persist(key: "B@s", SessionSnapshot()) == nil)
        #expect(saved(dir.file, "B@s").isEmpty)
    }

    @Test func twoProcessesOnOneContextKeepEachOthersDrafts() {
        let dir = StateDir()
        var one = SessionKeeper(file: dir.file)
        var two = SessionKeeper(file: dir.file)
        _ = one.load(key: "A")
        _ = two.load(key: "A")
        _ = one.persist(key: "A", snapshot(draft("books", [80, 20])))
        _ = two.persist(key: "A", snapshot(draft("authors", [70, 30])))
        #expect(saved(dir.file, "A") == ["books": ["80", "20"], "authors": ["70", "30"]])
        // Each process's later change replaces only its own draft.
        _ = one.persist(key: "A", snapshot(draft("books", [60, 40])))
        #expect(saved(dir.file, "A") == ["books": ["60", "40"], "authors": ["70", "30"]])
        // The second one wrote its split (its draft is gone): only that one is removed.
        _ = two.persist(key: "A", SessionSnapshot())
        #expect(saved(dir.file, "A") == ["books": ["60", "40"]])
    }

    @Test func aCorruptFileIsKeptAsideNotOverwritten() throws {
        let dir = StateDir()
        dir.write("smitop/session.json", "{\"sessions\": [truncated")
        var k = SessionKeeper(file: dir.file)
        let r = k.load(key: "A")
        #expect(r.snapshot == nil)
        #expect(r.note?.contains("session.json.corrupt-") == true, "\(r.note ?? "no note")")
        let asides = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/smitop").filter { $0.hasPrefix("session.json.corrupt-") }
        #expect(asides.count == 1)
        #expect(try String(contentsOfFile: dir.path + "/smitop/" + (asides.first ?? "-"), encoding: .utf8) == "{\"sessions\": [truncated")
        #expect(k.persist(key: "A", snapshot(draft("books", [80, 20]))) == nil)
        #expect(saved(dir.file, "A") == ["books": ["80", "20"]])

        // Corrupted between a load and a save (another program, a full disk): the same.
        dir.write("smitop/session.json", "not json")
        let note = k.persist(key: "A", snapshot(draft("books", [60, 40])))
        #expect(note?.contains("corrupt-") == true)
        let all = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/smitop")
        #expect(
            all.contains { n in n.hasPrefix("session.json.corrupt-") && (try? String(contentsOfFile: dir.path + "/smitop/" + n, encoding: .utf8)) == "not json"
            })
    }

    final class Flag: Sendable {
        let done = Mutex(false)
    }

    /// The read-modify-write holds the lock: a save waits while another process holds it,
    /// and then keeps what that process wrote.
    @Test func aSaveWaitsForTheLockAndKeepsWhatTheHolderWrote() async throws {
        let dir = StateDir()
        let file = dir.file
        #expect(file.load(key: "A").snapshot == nil)  // creates the directory and the lock file
        let fd = open(dir.path + "/smitop/session.json.lock", O_RDWR)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)
        let flag = Flag()
        let mine = snapshot(draft("books", [80, 20]))
        Thread {
            _ = file.save(key: "A", mine, base: SessionSnapshot())
            flag.done.withLock { $0 = true }
        }.start()
        try await Task.sleep(for: .milliseconds(500))
        #expect(!flag.done.withLock { $0 }, "the save went ahead while another process held the lock")
        // The holder writes its own entry, then lets go.
        let theirs: JSON = ["version": 1, "sessions": ["B": snapshot(draft("authors", [70, 30])).json]]
        #expect(PrivateFile.replace(file.path, with: theirs.serialized()) == nil)
        flock(fd, LOCK_UN)
        for _ in 0..<200 where !flag.done.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(flag.done.withLock { $0 })
        #expect(saved(file, "A") == ["books": ["80", "20"]])
        #expect(saved(file, "B") == ["authors": ["70", "30"]])
    }

    @Test func sessionAndTrustFilesArePrivate() {
        let dir = StateDir()
        // A state directory that already exists, made with the default umask.
        try! FileManager.default.createDirectory(atPath: dir.path + "/smitop", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        var k = SessionKeeper(file: dir.file)
        _ = k.load(key: "A")
        #expect(k.persist(key: "A", snapshot(draft("books", [80, 20]))) == nil)
        #expect(dir.mode("smitop") == 0o700)
        #expect(dir.mode("smitop/session.json") == 0o600)
        #expect(dir.mode("smitop/session.json.lock") == 0o600)
        let trust = ExecTrust(environment: ["XDG_STATE_HOME": dir.path])
        trust.remember("abc")
        #expect(trust.isTrusted("abc"))
        #expect(dir.mode("smitop/trusted-exec") == 0o600)
        // No temporary file is left behind.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/smitop")) ?? []
        #expect(!names.contains { $0.contains(".tmp-") }, "\(names)")
    }
}
