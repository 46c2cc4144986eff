import Foundation
import Kube
import KubeCore
import Mesh

/// `--suspend-canary`: before a weight write to an object a Flagger Canary owns, set the
/// Canary's `spec.suspend: true` (Flagger's own lever: it then holds the weights), as a merge
/// patch guarded by the resourceVersion just read, and read it back. The flag is the
/// confirmation a non-interactive command can have. A 409 exits 3 with nothing written
/// (neither the Canary nor the weights); it is never retried. With --dry-run the Canary write
/// is a server-side dry run too.
func suspendOwningCanary(_ client: KubeClient, meta: ObjectMeta, label: String, write: WriteOptions) async throws {
    try await suspendOwningCanary(client, meta: meta, label: label, suspend: write.suspendCanary, dryRun: write.dryRun)
}

/// The same with the two choices as values (a command without `WriteOptions`: `split ramp`).
func suspendOwningCanary(_ client: KubeClient, meta: ObjectMeta, label: String, suspend: Bool, dryRun: Bool) async throws {
    guard let canary = FlaggerCanary(owning: meta) else {
        if suspend { throw CLIError.fail("--suspend-canary: no Flagger Canary owns \(label)", code: 2) }
        return
    }
    guard suspend else {
        warn(
            "to hold Flagger first, add --suspend-canary (a guarded write of spec.suspend: true), or: \(canary.kubectlCommand(suspend: true))"
        )
        return
    }
    let read: CanaryReading
    do {
        guard let r = CanaryReading(try await client.rawGet(canary.path), of: canary) else {
            throw CLIError.fail("the server's answer for \(canary) is not that Canary; nothing was written", code: 1)
        }
        read = r
    } catch let e as KubeError {
        throw CLIError.fail("cannot read \(canary) (\(e.userMessage)); nothing was written", code: 1)
    }
    if read.suspended {
        warn("\(canary) is already suspended (resourceVersion \(read.resourceVersion ?? "?")); not written")
        return
    }
    guard let rv = read.resourceVersion, !rv.isEmpty else {
        throw CLIError.fail("\(canary) has no resourceVersion; refusing an unguarded write", code: 1)
    }
    do {
        _ = try await client.mergePatch(
            path: canary.path, patch: FlaggerCanary.suspendPatch(true, resourceVersion: rv), resourceVersion: rv, dryRun: dryRun,
            fieldManager: "smitop")
    } catch let e where e.isConflict {
        throw CLIError.fail(
            "conflict: \(canary) changed on the server since resourceVersion \(rv); nothing was written (run the command again to read it again)",
            code: 3)
    } catch {
        throw CLIError.fail("suspending \(canary) failed (\(KubeError.from(error).userMessage)); the weights were not written", code: 1)
    }
    if dryRun {
        warn("dry run: \(canary) would be suspended (spec.suspend: true at resourceVersion \(rv))")
        return
    }
    // Read back: the weights are written only once the Canary is seen to hold.
    let back = try? await client.rawGet(canary.path)
    guard let now = back.flatMap({ CanaryReading($0, of: canary) }), now.suspended else {
        throw CLIError.fail("\(canary) was written but does not read back as suspended; the weights were not written", code: 1)
    }
    warn(
        "suspended \(canary) (spec.suspend: true, read back at resourceVersion \(now.resourceVersion ?? "?")); resume it with: \(canary.kubectlCommand(suspend: false))"
    )
}
