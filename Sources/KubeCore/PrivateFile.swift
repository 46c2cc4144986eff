import Foundation

/// Files only this user may read, written so that nobody else can slip in: a new temporary
/// file created 0600 (`O_CREAT|O_EXCL|O_NOFOLLOW`: never an existing file, never through a
/// symlink) and renamed over the target, in a 0700 directory.
public enum PrivateFile {
    /// Creates `dir` (and its parents) if needed and makes it 0700. nil, or the problem.
    public static func directory(_ dir: String) -> String? {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            return "cannot create \(dir): \(error.localizedDescription)"
        }
        // An existing directory keeps the mode it was made with; ours must be private.
        if chmod(dir, 0o700) != 0 { return "cannot make \(dir) private: \(String(cString: strerror(errno)))" }
        return nil
    }

    /// Replaces `path` with `bytes`. nil, or the problem.
    public static func replace(_ path: String, with bytes: [UInt8]) -> String? {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return "cannot create \(tmp): \(String(cString: strerror(errno)))" }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let why = String(cString: strerror(errno))
                close(fd)
                unlink(tmp)
                return "cannot write \(tmp): \(why)"
            }
            written += n
        }
        // On disk before it replaces the old version: a crash leaves one or the other whole.
        _ = fsync(fd)
        close(fd)
        guard rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            return "cannot replace \(path): \(why)"
        }
        return nil
    }
}
