import Foundation
import KubeCore
import SMI

struct PersistedState {
    var rv: Int
    var adminToken: String
    var readonlyToken: String
    var pki: ClusterPKI?
    var objects: [(typeKey: String, object: JSON)]
}

/// `--state-dir`: what etcd is to a real API server. A restart on the same directory is the
/// same cluster: same CA and credentials (kubeconfigs stay valid), same objects, and
/// resourceVersions that keep growing.
final class StatePersistence: Sendable {
    let directory: String
    var file: String { directory + "/state.json" }

    init(directory: String) { self.directory = directory }

    func load() throws -> PersistedState? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let j: JSON
        do { j = try JSON.parse(Array(data)) } catch {
            throw SimulatorError("state file \(file) is not valid JSON (\(error)); move it away to start a new cluster")
        }
        guard let rv = j["resourceVersion"]?.intValue, let admin = j["adminToken"]?.stringValue,
            let ro = j["readonlyToken"]?.stringValue
        else { throw SimulatorError("state file \(file) lacks resourceVersion or credentials") }
        var pki: ClusterPKI? = nil
        if let p = j["pki"], case .object = p {
            pki = ClusterPKI(
                caCertPEM: p["caCertPEM"]?.stringValue ?? "", caKeyPEM: p["caKeyPEM"]?.stringValue ?? "",
                serverCertPEM: p["serverCertPEM"]?.stringValue ?? "", serverKeyPEM: p["serverKeyPEM"]?.stringValue ?? "",
                clientCertPEM: p["clientCertPEM"]?.stringValue ?? "", clientKeyPEM: p["clientKeyPEM"]?.stringValue ?? "",
                serverNames: p["serverNames"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        var objects: [(String, JSON)] = []
        for e in j["objects"]?.arrayValue ?? [] {
            guard let tk = e["type"]?.stringValue, let o = e["object"] else { continue }
            objects.append((tk, o))
        }
        return PersistedState(rv: Int(rv), adminToken: admin, readonlyToken: ro, pki: pki, objects: objects)
    }

    func save(_ sim: Simulator) throws {
        let snap = sim.store.snapshot()
        var j: JSON = [
            "resourceVersion": .int(snap.rv), "adminToken": .string(sim.adminToken),
            "readonlyToken": .string(sim.readonlyToken),
        ]
        if let p = sim.pki {
            j["pki"] = [
                "caCertPEM": .string(p.caCertPEM), "caKeyPEM": .string(p.caKeyPEM),
                "serverCertPEM": .string(p.serverCertPEM), "serverKeyPEM": .string(p.serverKeyPEM),
                "clientCertPEM": .string(p.clientCertPEM), "clientKeyPEM": .string(p.clientKeyPEM),
                "serverNames": .array(p.serverNames.map(JSON.string)),
            ]
        }
        j["objects"] = .array(snap.objects.map { ["type": .string($0.typeKey), "object": $0.object] })
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Write then rename, so a crash never leaves half a state file; 0600: it holds keys.
        let tmp = file + ".tmp"
        fm.createFile(atPath: tmp, contents: nil, attributes: [.posixPermissions: 0o600])
        try Data(j.serialized()).write(to: URL(fileURLWithPath: tmp))
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tmp)
        if rename(tmp, file) != 0 { throw SimulatorError("cannot write \(file): \(String(cString: strerror(errno)))") }
    }

    /// Saves whenever the resourceVersion moved, at most once a second. Woken by the store's
    /// commit signal, not a timer, so an idle simulator sleeps (a 1 Hz look was one of the two
    /// timers that kept a paused `smitop demo` waking). A failed save is tried again at the
    /// next commit and at shutdown.
    func autosave(_ sim: Simulator) async {
        var saved = -1
        while !Task.isCancelled {
            let seen = sim.store.commits.generation
            let rv = sim.store.currentRV
            if rv != saved, (try? save(sim)) != nil { saved = rv }
            await sim.store.commits.wait(past: seen)
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
