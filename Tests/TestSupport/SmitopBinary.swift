import Foundation

/// The smitop binary the end-to-end tests run: `SMITOP_BIN` (make test sets it), else the
/// debug build beside the sources.
public enum SmitopBinary {
    public static var path: String {
        if let b = ProcessInfo.processInfo.environment["SMITOP_BIN"], FileManager.default.isExecutableFile(atPath: b) { return b }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/smitop").path
    }

    /// A developer tool built beside smitop (`smitop-fuzz`, `smitop-bench`).
    public static func sibling(_ name: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
