import Foundation

/// Reading a file whose path someone else chose (a kubeconfig's `tokenFile`,
/// `certificate-authority`, client certificate and key, the kubeconfig itself): only a
/// regular file, and only up to a size cap. `FileManager.contents(atPath:)` promises neither:
/// it reads a regular file of any size whole, and depending on the Foundation version
/// `/dev/zero` may never end and a FIFO may block its opener forever; a kubeconfig can name
/// any of these.
public enum LocalFile {
    /// Credentials, CA bundles and tokens are a few kilobytes; 1 MiB is generous.
    public static let credentialLimit = 1 << 20

    /// The bytes of the regular file at `path`, or why not (a sentence naming the path).
    public static func read(_ path: String, limit: Int = credentialLimit) -> Result<[UInt8], LocalFileError> {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. It changes
        // nothing for a regular file, the only kind read.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return .failure(LocalFileError("cannot read \(path): \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failure(LocalFileError("cannot read \(path): \(String(cString: strerror(errno)))")) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return .failure(LocalFileError("\(path) is not a regular file")) }
        guard Int(st.st_size) <= limit else { return .failure(LocalFileError("\(path) is larger than \(limit / 1024) KiB")) }
        var out: [UInt8] = []
        out.reserveCapacity(Int(st.st_size))
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { readBytes(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(LocalFileError("cannot read \(path): \(String(cString: strerror(errno)))"))
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
            // The file grew while being read.
            if out.count > limit { return .failure(LocalFileError("\(path) is larger than \(limit / 1024) KiB")) }
        }
        return .success(out)
    }
}

/// read(2), out of reach of `LocalFile.read`'s own name.
private func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }

public struct LocalFileError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
