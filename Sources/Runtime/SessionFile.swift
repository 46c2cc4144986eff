import App
import Foundation
import Kube
import KubeCore
import SMI

/// Drafts and the write journal on disk: `$XDG_STATE_HOME/smitop/session.json` (default
/// `~/.local/state/smitop/session.json`), mode 0600 in a 0700 directory, one entry per
/// context@server. Written whole to a new temporary file and renamed over the old one, so a
/// crash mid-write leaves the previous version, never half a file.
///
/// Several smitop processes share the file: every read-modify-write holds an exclusive
/// `flock` on `session.json.lock`, and a save merges (`SessionSnapshot.merged`) instead of
/// replacing, so one process never drops what another saved. A file that cannot be parsed is
/// renamed to `session.json.corrupt-<time>` and reported, never silently overwritten.
public struct SessionFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public static func defaultPath(environment: [String: String]) -> String? {
        if let x = environment["XDG_STATE_HOME"], !x.isEmpty { return x + "/smitop/session.json" }
        if let h = environment["HOME"], !h.isEmpty { return h + "/.local/state/smitop/session.json" }
        return nil
    }

    /// The file's sessions, or nil when it exists but is not a session file (then `aside`
    /// says where it was moved). Call with the lock held.
    private func readAll() -> (sessions: JSONObject, aside: String?) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return (JSONObject(), nil) }  // no file yet
        if case .success(let bytes) = LocalFile.read(path, limit: 64 << 20), let j = try? JSON.parse(bytes),
            case .object(let o) = j["sessions"] ?? .null
        {
            return (o, nil)
        }
        // Unreadable, not JSON, or not ours: keep it for the user to look at, start afresh.
        let aside = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
        if rename(path, aside) != 0 { return (JSONObject(), nil) }
        return (JSONObject(), aside)
    }

    private func corruptNote(_ aside: String?) -> String? {
        aside.map { "the session file could not be read; it was kept as \($0) and a new one is started" }
    }

    /// This context's saved session (nil when none), and a note to show when the file was
    /// corrupt (and has been moved aside).
    public func load(key: String) -> (snapshot: SessionSnapshot?, note: String?) {
        do {
            return try withLock {
                let (all, aside) = readAll()
                let s = all[key].map(SessionSnapshot.init(json:))
                return (s?.isEmpty == false ? s : nil, corruptNote(aside))
            }
        } catch {
            return (nil, "drafts of an earlier session cannot be read: \(error.message)")
        }
    }

    /// Saves this context's entry: `snapshot` merged with what the file holds now, `base`
    /// being what this process last read or wrote for the key (see `SessionSnapshot.merged`).
    /// An empty result removes the entry. Returns a problem to report (once; the UI keeps
    /// running with the drafts in memory) and a note when a corrupt file was moved aside.
    public func save(key: String, _ snapshot: SessionSnapshot, base: SessionSnapshot) -> (error: String?, note: String?) {
        do {
            return try withLock {
                let (read, aside) = readAll()
                var all = read
                let theirs = all[key].map(SessionSnapshot.init(json:)) ?? SessionSnapshot()
                let merged = snapshot.merged(base: base, theirs: theirs)
                all[key] = merged.isEmpty ? nil : merged.json
                let body: JSON = ["version": 1, "sessions": .object(all)]
                return (PrivateFile.replace(path, with: body.serialized()), corruptNote(aside))
            }
        } catch {
            return (error.message, nil)
        }
    }

    struct Failure: Error {
        let message: String
    }

    /// Runs `body` holding an exclusive lock on `<path>.lock` (created 0600, never through a
    /// symlink). The lock is a file of its own because the session file is replaced by rename.
    private func withLock<T>(_ body: () -> T) throws(Failure) -> T {
        let dir = (path as NSString).deletingLastPathComponent
        if let problem = PrivateFile.directory(dir) { throw Failure(message: problem) }
        let lock = path + ".lock"
        let fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(message: "cannot open \(lock): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw Failure(message: "cannot lock \(lock): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        return body()
    }
}

/// What this process last agreed with the session file, per context key: the base of every
/// merge. A key this process never loaded has an empty base, so saving it can only add what
/// this process holds: switching to a context with `:ctx` never erases the drafts another
/// run saved for it.
public struct SessionKeeper {
    public let file: SessionFile
    private var base: [String: SessionSnapshot] = [:]
    private var failing = false

    public init(file: SessionFile) { self.file = file }

    /// The saved session of `key`, to offer (as at start and after `:ctx`), and a note for
    /// the user when there is one.
    public mutating func load(key: String) -> (snapshot: SessionSnapshot?, note: String?) {
        let r = file.load(key: key)
        base[key] = r.snapshot ?? SessionSnapshot()
        return r
    }

    /// Saves `snapshot` as `key`'s when it differs from what this process last had there.
    /// Returns what the user should read (a failure, once per streak; a corrupt file moved).
    public mutating func persist(key: String, _ snapshot: SessionSnapshot) -> String? {
        let old = base[key] ?? SessionSnapshot()
        guard snapshot != old else { return nil }
        let (error, note) = file.save(key: key, snapshot, base: old)
        if let error {
            defer { failing = true }
            return failing ? note : "drafts are not being saved: \(error)"
        }
        failing = false
        base[key] = snapshot
        return note
    }
}
