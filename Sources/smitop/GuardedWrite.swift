import Foundation
import GatewayAPI
import Kube
import KubeCore
import SMI

/// What `split set` and `split shift` write: a TrafficSplit's weights, or one route rule's.
protocol WeightedObject {
    init(json: JSON) throws
    var meta: ObjectMeta { get set }
    /// The object as read.
    var raw: JSON { get }
    /// The merge patch carrying the weights (and the resourceVersion the write is guarded by).
    func weightsMergePatch() -> JSON
}

extension TrafficSplit: WeightedObject {}
extension Route: WeightedObject {}

/// What a guarded write did: the version it was computed on last, what was sent, and the
/// server's answer (or, after a lost answer, the object as read back).
struct GuardedWriteResult<Object: WeightedObject> {
    var read: Object
    var sent: Object
    var answer: JSON
}

/// Compute, write with the resourceVersion read, and settle what the server said: the one
/// compare-and-swap loop of `split set` and `split shift`, for TrafficSplits and routes alike.
///
/// - `compute` makes the object to send from the current version (`attempt` counts renewals;
///   its warnings belong to attempt 0), or returns nil when there is nothing to send (it has
///   said so).
/// - A 409 whose new version differs in status or bookkeeping only (a mesh reports on every
///   change by writing status) is no one's edit to what this write carries: compute again on
///   it, a few times at most, never for a caller's own `--expect-resource-version`. Any other
///   409 is another writer's change: retrying would overwrite it, so it is shown (theirs, ours,
///   the last writer) and the command exits 3.
/// - A connection that broke after the patch went out may have applied it: never resent
///   blindly; the object is read back and the answer says which it was.
func guardedWeightsWrite<Object: WeightedObject>(
    _ client: KubeClient, _ gvr: GroupVersionResource, namespace ns: String, name: String, label: String, listCommand: String,
    write: WriteOptions, read initial: Object,
    compute: (_ current: Object, _ attempt: Int) async throws -> Object?,
    sameWeights: (_ server: Object, _ sent: Object) -> Bool,
    describe: (_ object: Object) -> String?
) async throws -> GuardedWriteResult<Object>? {
    func readBack() async -> Object? { try? Object(json: try await client.get(gvr, namespace: ns, name: name)) }
    var current = initial
    var attempt = 0
    while true {
        guard var next = try await compute(current, attempt) else { return nil }
        if attempt == 0 { try await suspendOwningCanary(client, meta: current.meta, label: label, write: write) }
        if let expected = write.expectResourceVersion { next.meta.resourceVersion = expected }
        do {
            let answer = try await client.mergePatch(
                gvr, namespace: ns, name: name, patch: next.weightsMergePatch(), resourceVersion: next.meta.resourceVersion,
                dryRun: write.dryRun, fieldManager: "smitop")
            return GuardedWriteResult(read: current, sent: next, answer: answer)
        } catch let e where e.isConflict {
            let theirs = await readBack()
            if let theirs, write.expectResourceVersion == nil, attempt < WriteContent.renewals,
                WriteContent.onlyStatusMoved(from: current.raw, to: theirs.raw)
            {
                current = theirs
                attempt += 1
                continue
            }
            var msg =
                "conflict: \(label) changed on the server since resourceVersion \(clean(next.meta.resourceVersion ?? "?")); nothing was written"
            if let theirs, let server = describe(theirs), let wanted = describe(next) {
                msg += "\n  server now (resourceVersion \(clean(theirs.meta.resourceVersion ?? "?"))): " + server
                msg += "\n  you wanted: " + wanted
                if let m = theirs.meta.managers.last { msg += "\n  last writer: \(clean(m))" }
            }
            throw CLIError.fail(msg, code: 3)
        } catch let e where e.isTransport && e.mayHaveBeenSent && !write.dryRun {
            guard let now = await readBack() else {
                throw CLIError.fail(
                    "the connection failed after the write was sent (\(e.userMessage)), and \(label) could not be read back: whether it was applied is unknown; check with smitop \(listCommand) -n \(clean(ns))",
                    code: 1)
            }
            guard sameWeights(now, next), now.meta.resourceVersion != current.meta.resourceVersion else {
                throw CLIError.fail(
                    "the connection failed after the write was sent (\(e.userMessage)); reading it back shows it was not applied: nothing changed", code: 1)
            }
            warn("the connection failed after the write was sent; reading it back shows it was applied")
            return GuardedWriteResult(read: current, sent: next, answer: now.raw)
        } catch {
            throw fail(error)
        }
    }
}
