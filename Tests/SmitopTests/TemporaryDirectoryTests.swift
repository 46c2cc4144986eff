import Foundation
import Testing

@testable import smitop

/// Issue 14 item 10: the demo's directory was `$TMPDIR/smitop-demo-<pid>`, created with
/// `withIntermediateDirectories`, so one made in advance by another user was reused.
@Test func theDemoDirectoryIsNewPrivateAndUnpredictable() throws {
    let a = try makePrivateTemporaryDirectory(prefix: "smitop-demo-")
    let b = try makePrivateTemporaryDirectory(prefix: "smitop-demo-")
    defer {
        try? FileManager.default.removeItem(atPath: a)
        try? FileManager.default.removeItem(atPath: b)
    }
    #expect(a != b)
    #expect(!a.hasSuffix("-\(getpid())"))
    for d in [a, b] {
        let attrs = try FileManager.default.attributesOfItem(atPath: d)
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(attrs[.type] as? FileAttributeType == .typeDirectory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: d).isEmpty)
    }
}
