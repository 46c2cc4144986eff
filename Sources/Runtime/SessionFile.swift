import App
import Foundation
import KubeCore
import SMI

/// Drafts and the write journal on disk: `$XDG_STATE_HOME/smitop/session.json` (default
/// `~/.local/state/smitop/session.json`), mode 0600 in a 0700 directory, one entry per
/// context@server. Written whole to a temporary file and renamed over the old one, so a crash
/// mid-write leaves the previous version, never half a file.
public struct SessionFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public static func defaultPath(environment: [String: String]) -> String? {
        if let x = environment["XDG_STATE_HOME"], !x.isEmpty { return x + "/smitop/session.json" }
        if let h = environment["HOME"], !h.isEmpty { return h + "/.local/state/smitop/session.json" }
        return nil
    }

    private func readAll() -> JSONObject {
        guard let data = FileManager.default.contents(atPath: path), let j = try? JSON.parse(Array(data)),
            case .object(let o) = j["sessions"] ?? .null
        else { return JSONObject() }
        return o
    }

    public func load(key: String) -> SessionSnapshot? {
        guard let j = readAll()[key] else { return nil }
        let s = SessionSnapshot(json: j)
        return s.isEmpty ? nil : s
    }

    /// Saves (or, when empty, removes) this context's entry. Errors are returned, not thrown:
    /// the UI reports them once and keeps running; the drafts are still in memory.
    public func save(key: String, _ snapshot: SessionSnapshot) -> String? {
        var all = readAll()
        all[key] = snapshot.isEmpty ? nil : snapshot.json
        let dir = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let tmp = path + ".tmp-\(getpid())"
            let body: JSON = ["version": 1, "sessions": .object(all)]
            guard FileManager.default.createFile(atPath: tmp, contents: Data(body.serialized()), attributes: [.posixPermissions: 0o600]) else {
                return "cannot write \(tmp)"
            }
            guard rename(tmp, path) == 0 else {
                unlink(tmp)
                return "cannot replace \(path): \(String(cString: strerror(errno)))"
            }
            return nil
        } catch {
            return "cannot create \(dir): \(error.localizedDescription)"
        }
    }
}
