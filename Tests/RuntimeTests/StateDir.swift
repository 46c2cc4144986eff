import Foundation

@testable import Runtime

/// A private directory for one test, removed afterwards.
final class StateDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "smitop-state-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    var file: SessionFile { SessionFile(path: path + "/smitop/session.json") }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) -> String {
        let p = "\(path)/\(name)"
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        if executable { chmod(p, 0o755) }
        return p
    }

    func mode(_ name: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: "\(path)/\(name)"))?[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
