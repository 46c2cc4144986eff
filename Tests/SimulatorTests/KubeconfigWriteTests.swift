import Foundation
import TestSupport
import Testing

@testable import Simulator

/// Issue 14 item 10: the simulator's kubeconfig (it holds the admin token) is created 0600
/// from its first byte and never written through a symlink planted at its name.
@Test func theSimulatorKubeconfigIsPrivateAndNeverWrittenThroughASymlink() throws {
    let dir = NSTemporaryDirectory() + "smitop-kc-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "victim".write(toFile: dir + "/victim", atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: dir + "/kubeconfig", withDestinationPath: dir + "/victim")
    let e = SimulatorEndpoint(
        url: "http://127.0.0.1:1", host: "127.0.0.1", port: 1, caPEM: nil, adminToken: "admin-token", readonlyToken: "ro",
        clientCertPEM: nil, clientKeyPEM: nil, namespace: "default")
    try Simulator.writeKubeconfig(e, to: dir + "/kubeconfig")
    #expect(try String(contentsOfFile: dir + "/victim", encoding: .utf8) == "victim", "written through the symlink")
    let attrs = try FileManager.default.attributesOfItem(atPath: dir + "/kubeconfig")
    #expect(attrs[.type] as? FileAttributeType == .typeRegular)
    #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    #expect(try String(contentsOfFile: dir + "/kubeconfig", encoding: .utf8).contains("admin-token"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["kubeconfig", "victim"], "no temporary file left")
}
