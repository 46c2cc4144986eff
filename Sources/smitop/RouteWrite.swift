import ArgumentParser
import Foundation
import GatewayAPI
import Kube
import KubeCore
import Mesh

/// Read, compute, write with the resourceVersion read, as for TrafficSplits: the merge patch
/// carries the whole `spec.rules` exactly as read with only the chosen rule's weights changed
/// (lists are atomic), through the same compare-and-swap loop (`guardedWeightsWrite`: a 409
/// prints what changed and exits 3, a lost answer is read back). After the write, the route's
/// status is followed until the mesh accepts the new generation (or says nothing about
/// generations, as Linkerd does), so "written" is never mistaken for "in effect".
func writeRouteWeights(
    cluster options: ClusterOptions, write: WriteOptions, kind: RouteKind, namespace ns: String, name: String,
    compute: (Route, Int) throws -> [Weight]
) async throws {
    let (client, _) = try options.connect()
    let gvr = try await servedRouteResource(kind, client)
    let label = "\(kind.label) \(clean(ns))/\(clean(name))"
    func read() async throws -> Route {
        do { return try Route(json: try await client.get(gvr, namespace: ns, name: name)) } catch let e as RouteDecodeError {
            throw CLIError.fail("\(label) cannot be read: \(e)", code: 1)
        } catch { throw fail(error) }
    }
    var index = 0
    var shares: [Fraction?] = []
    let outcome = try await guardedWeightsWrite(
        client, gvr, namespace: ns, name: name, label: label, listCommand: "routes", write: write, read: try await read(),
        compute: { current, attempt in
            switch current.ruleIndex(write.rule) {
            case .success(let i): index = i
            case .failure(let e): throw CLIError.fail("\(label): \(e.message)", code: 2)
            }
            if attempt == 0 {
                // On Linkerd a ServiceProfile for the Service decides instead of the route (NOTES.md §7):
                // the write still goes ahead, as asked, but not without saying it changes nothing yet.
                let ns0 = current.serviceParents.first.map { $0.service(routeNamespace: current.namespace).namespace }
                let profiles = await overridingProfiles(client, scope: ns0 ?? ns, routes: [current])
                if let p = current.serviceParents.lazy.compactMap({
                    profiles.overriding(routeNamespace: current.namespace, service: $0.service(routeNamespace: current.namespace))
                }).first {
                    warn("\(label) is overridden by \(p.label): this route's weights do not decide traffic while it exists")
                }
                if let c = current.controller {
                    warn("\(label) is managed by \(clean(c.tool)) (\(clean(c.detail))); it may undo this change")
                }
            }
            let weights = try compute(current, index)
            let next = current.with(rule: index, weights: weights)
            shares = next.shares(rule: index)
            if shares.allSatisfy({ $0 == nil }) && !write.drain {
                throw CLIError.fail(
                    "refusing to write every weight of rule \(index) as 0: the rule would route nothing (implementations differ on what that means); pass --drain to write it anyway",
                    code: 1)
            }
            if attempt == 0 && next.rules[index].backends.count == 1 && weights[0].value.nanos == 0 {
                warn("the only backend of rule \(index) gets weight 0")
            }
            // Weights equal to the server's: nothing is sent, and the output says so rather than
            // "written" (a compare-and-swap with another resourceVersion still goes to the server).
            let same = zip(current.rules[index].backends, weights).allSatisfy { $0.weight.value == $1.value }
            if same && (write.expectResourceVersion == nil || write.expectResourceVersion == current.meta.resourceVersion) {
                let rv = clean(current.meta.resourceVersion ?? "?")
                switch write.output {
                case .json, .yaml:
                    let j: JSON = [
                        "kind": .string(kind.kind), "namespace": .string(ns), "name": .string(name), "apiVersion": .string(current.apiVersion),
                        "rule": .int(index), "dryRun": .bool(write.dryRun), "unchanged": .bool(true), "old": RouteSummary(route: current).json,
                        "new": RouteSummary(route: current).json,
                    ]
                    if write.output == .json { printJSON(j) } else { printYAML(j) }
                case .table, .wide:
                    print("\(label) rule \(index) unchanged (resourceVersion \(rv)): it already has these weights; nothing written")
                }
                return nil
            }
            return next
        },
        sameWeights: { server, sent in
            server.rules.indices.contains(index)
                && server.rules[index].backends.map(\.weight.value) == sent.rules[index].backends.map(\.weight.value)
        },
        describe: { $0.rules.indices.contains(index) ? backendsText($0, index) : nil })
    guard let outcome else { return }
    let current = outcome.read
    let next = outcome.sent
    let result = outcome.answer
    var written = (try? Route(json: result)) ?? next
    var acceptance: WriteAcceptance? = nil
    if !write.dryRun, let generation = written.generation, write.acceptTimeout > 0 {
        // Follow status until the mesh reports on this generation, or the time is up.
        let start = Date()
        let deadline = start.addingTimeInterval(min(write.acceptTimeout, 600))
        while true {
            let a = written.writeAcceptance(generation: generation)
            acceptance = a
            // Without observedGeneration nothing will ever tie the status to this write: look
            // for a second (a rejection would show), then say so rather than wait it out.
            var limit = deadline
            if case .acceptedGenerationUnknown = a { limit = min(deadline, start.addingTimeInterval(1)) }
            switch a {
            case .accepted, .rejected: break
            case .acceptedGenerationUnknown, .waiting, .noController:
                if Date() < limit {
                    try? await Task.sleep(for: .milliseconds(250))
                    if let now = try? await read() {
                        written = now
                        continue
                    }
                }
            }
            break
        }
    }
    let status = acceptanceText(acceptance, dryRun: write.dryRun)
    switch write.output {
    case .json, .yaml:
        let j: JSON = [
            "kind": .string(kind.kind), "namespace": .string(ns), "name": .string(name), "apiVersion": .string(current.apiVersion),
            "rule": .int(index), "dryRun": .bool(write.dryRun), "old": RouteSummary(route: current).json,
            "new": RouteSummary(route: written).json, "patch": next.weightsMergePatch(), "acceptance": .string(status),
        ]
        if write.output == .json { printJSON(j) } else { printYAML(j) }
    case .table, .wide:
        var out = "\(label) rule \(index) (\(clean(current.rules[index].matchSummary))) (\(clean(current.apiVersion)))"
        out += write.dryRun ? " — dry run, nothing written\n" : " — written, resourceVersion \(clean(written.meta.resourceVersion ?? "?"))\n"
        let oldShares = current.shares(rule: index)
        let newShares = written.rules.indices.contains(index) ? written.shares(rule: index) : shares
        var rows: [[String]] = []
        for (j, b) in current.rules[index].backends.enumerated() {
            let nb = next.rules[index].backends[j]
            let mark = b.weight.value == nb.weight.value ? " " : "*"
            rows.append([
                mark + " " + clean(b.displayName(routeNamespace: current.namespace)), b.weight.description + " → " + nb.weight.description,
                (oldShares[j].map { $0.percentText(decimals: 1) } ?? "-") + " → "
                    + (j < newShares.count ? (newShares[j].map { $0.percentText(decimals: 1) } ?? "-") : "-"),
            ])
        }
        out += renderTable(["  BACKEND", "WEIGHT", "SHARE"], rows)
        if !write.dryRun { out += status + "\n" }
        print(out, terminator: "")
    }
}

/// Where the cluster serves `kind` (the version with weights), or exit 1 saying it does not.
func servedRouteResource(_ kind: RouteKind, _ client: KubeClient) async throws -> GroupVersionResource {
    do {
        guard let r = try await ObjectKind.routeResource(kind, on: client) else {
            throw CLIError.fail("the cluster does not serve \(kind.typeName) (no \(kind.group) CRD with weights is installed)", code: 1)
        }
        return r
    } catch let e as ExitCode { throw e } catch { throw fail(error) }
}

private func backendsText(_ r: Route, _ i: Int) -> String {
    let shares = r.shares(rule: i)
    return r.rules[i].backends.enumerated().map { j, b in
        "\(clean(b.displayName(routeNamespace: r.namespace)))=\(b.weight.description)(\(shares[j].map { $0.percentText(decimals: 1) } ?? "-"))"
    }.joined(separator: " ")
}

/// "written" versus "accepted by the mesh", in words an operator can act on.
func acceptanceText(_ a: WriteAcceptance?, dryRun: Bool) -> String {
    if dryRun { return "dry run" }
    switch a {
    case nil: return "written; not waiting for the mesh"
    case .accepted: return "accepted by the mesh at the new generation"
    case .acceptedGenerationUnknown(let since):
        return
            "written; the mesh reports Accepted (since \(clean(since ?? "?"))) but no observedGeneration, so it cannot confirm this generation (Linkerd: linkerd2#14964)"
    case .waiting(let observed):
        return "written; the mesh has not reported on the new generation yet (observed: \(observed.map(String.init) ?? "none"))"
    case .rejected(let reason, let message):
        return "written, but the mesh did not accept it: \(clean(reason))" + (message.isEmpty ? "" : " — \(clean(message))")
    case .noController: return "written, but no mesh has taken this route (status.parents is empty)"
    }
}
