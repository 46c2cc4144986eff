// The ramp audit trail: `$XDG_STATE_HOME/smitop/ramps.log` (default ~/.local/state), one JSON
// object per line, 0600 in a 0700 directory. Appended, never rewritten: it is the record of
// what smitop wrote during a ramp and the gate values that justified each step.

import Foundation
import KubeCore

public struct RampLog: Sendable {
    public let path: String
    public init(path: String) { self.path = path }

    public static func defaultPath(environment: [String: String]) -> String? {
        if let x = environment["XDG_STATE_HOME"], !x.isEmpty { return x + "/smitop/ramps.log" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/state/smitop/ramps.log"
    }

    /// Appends one line (a newline is added). nil, or the problem in words.
    public func append(_ line: JSON) -> String? {
        let dir = PathText.directory(of: path)
        if !dir.isEmpty, let problem = PrivateFile.directory(dir) { return problem }
        // O_APPEND: concurrent ramps (two smitop processes) interleave whole lines, never
        // overwrite each other; O_NOFOLLOW: never through a symlink planted in its place.
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return "cannot open \(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        // An existing file made by something else keeps its mode unless we fix it.
        _ = fchmod(fd, 0o600)
        var bytes = line.serialized()
        bytes.append(0x0A)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return "cannot write \(path): \(String(cString: strerror(errno)))" }
            written += n
        }
        return nil
    }
}
