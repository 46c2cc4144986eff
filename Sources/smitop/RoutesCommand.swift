import ArgumentParser
import Foundation
import GatewayAPI
import Kube
import KubeCore
import Mesh

/// Every route kind the cluster serves, with the version smitop reads it in. A cluster with
/// none is normal (an empty list), a failed discovery is not.
func routeResources(_ client: KubeClient) async throws -> [(RouteKind, GroupVersionResource)] {
    var out: [(RouteKind, GroupVersionResource)] = []
    for k in RouteKind.allCases {
        do {
            if let r = try await ObjectKind.routeResource(k, on: client) { out.append((k, r)) }
        } catch { throw fail(error) }
    }
    return out
}

/// One route as the headless commands print it: every rule with its backends, weights and
/// shares, whether the mesh took it, and who else writes it.
struct RouteSummary: Sendable {
    var route: Route
    /// The Linkerd ServiceProfile that decides the route's Service's traffic instead of it
    /// (NOTES.md §7), if any.
    var overriddenBy: ServiceProfile? = nil

    var json: JSON {
        var t = JSONTreeBuilder()
        write(to: &t)
        return t.result
    }

    func write<B: JSONBuilder>(to b: inout B) {
        let r = route
        b.object { b in
            b.member("kind", .string(r.kind.kind))
            b.member("apiVersion", .string(r.apiVersion))
            b.member("namespace", .string(r.namespace))
            b.member("name", .string(r.meta.name))
            b.member("resourceVersion", .string(r.meta.resourceVersion ?? ""))
            b.member("generation", r.generation.map { .int($0) } ?? .null)
            b.key("parents")
            b.array { b in
                for p in r.parentRefs {
                    b.object { b in
                        b.member("group", p.group.map { .string($0) } ?? .null)
                        b.member("kind", .string(p.kind ?? "Gateway"))
                        b.member("name", .string(p.name))
                        b.member("namespace", .string(p.service(routeNamespace: r.namespace).namespace))
                        b.member("port", p.port.map { .int($0) } ?? .null)
                        b.member("service", .bool(p.isService))
                        b.member("consumerRoute", .bool(p.isService && r.isConsumerRoute(for: p)))
                        let a = r.acceptance(for: p)
                        b.member("accepted", .string(a.text))
                        if case .rejected(_, let m) = a, !m.isEmpty { b.member("message", .string(m)) }
                        if let s = r.status(for: p) {
                            b.member("controller", .string(s.controllerName))
                            b.member("observedGeneration", s.condition("Accepted")?.observedGeneration.map { .int($0) } ?? .null)
                            if let rr = s.condition("ResolvedRefs") { b.member("resolvedRefs", .string(rr.status == "True" ? "True" : rr.reason)) }
                        }
                    }
                }
            }
            b.key("rules")
            b.array { b in
                for (i, rule) in r.rules.enumerated() {
                    let shares = r.shares(rule: i)
                    b.object { b in
                        b.member("index", .int(i))
                        b.member("name", rule.name.map { .string($0) } ?? .null)
                        b.member("matches", .string(rule.matchSummary))
                        b.key("backends")
                        b.array { b in
                            for (j, be) in rule.backends.enumerated() {
                                b.object { b in
                                    b.member("name", .string(be.name))
                                    b.member("namespace", .string(be.namespace ?? r.namespace))
                                    b.member("port", be.port.map { .int($0) } ?? .null)
                                    b.member("weight", .int(Int64(clamping: Fraction.roundDiv(be.weight.value.nanos, Quantity.nanosPerUnit))))
                                    b.member("share", shares[j].map { .double($0.doubleValue) } ?? .null)
                                }
                            }
                        }
                    }
                }
            }
            b.member("accepted", .string(r.acceptance.text))
            // In effect: a mesh took it and no ServiceProfile decides instead.
            b.member("inEffect", .bool(overriddenBy == nil && r.acceptance.isAccepted))
            if let p = overriddenBy { b.member("overriddenBy", .string(p.label)) }
            writeController(r.controller, to: &b)
            var problems = RouteSummary.problems(r)
            if let p = overriddenBy { problems.append("overridden by \(p.label): this route's weights do not decide traffic") }
            if !problems.isEmpty { b.member("problems", .array(problems.map { .string($0) })) }
        }
    }

    /// What an operator should know before trusting the route's numbers.
    static func problems(_ r: Route) -> [String] {
        var out = r.specProblems.map { "\($0.path): \($0.message)" }
        if r.acceptance == .noController { out.append("no mesh has accepted this route (status.parents is empty)") }
        return out
    }

    func rows(wide: Bool) -> [[String]] {
        let r = route
        let parents = r.parentRefs.map { p in
            let ns = p.service(routeNamespace: r.namespace).namespace
            return (p.isService ? "svc/" : "\(p.kind ?? "Gateway")/") + (ns == r.namespace ? "" : ns + "/") + p.name
                + (p.port.map { ":\($0)" } ?? "")
        }.joined(separator: ",")
        let rules = r.rules.isEmpty ? [nil] : r.rules.indices.map { Optional($0) }
        return rules.map { i in
            var rule = "-"
            var backends = "<none>"
            if let i {
                let rr = r.rules[i]
                rule = "\(i)" + (rr.name.map { " \($0)" } ?? "") + ": " + rr.matchSummary
                let shares = r.shares(rule: i)
                backends = rr.backends.enumerated().map { j, b in
                    "\(b.displayName(routeNamespace: r.namespace))=\(b.weight.description)(\(shares[j].map { $0.percentText(decimals: 1) } ?? "-"))"
                }.joined(separator: " ")
            }
            var row = [
                r.namespace, r.kind.label, r.meta.name, parents, rule, backends, r.acceptance.text,
                overriddenBy.map { "serviceprofile/" + $0.meta.name } ?? "<none>", r.controller?.tool ?? "<none>",
            ]
            if wide { row += [r.apiVersion, r.generation.map(String.init) ?? "", r.meta.resourceVersion ?? ""] }
            return row.map { clean($0, limit: 400) }
        }
    }
}

struct RoutesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "List Gateway API HTTPRoutes/GRPCRoutes and Linkerd policy HTTPRoutes, rule by rule, with weights and shares.",
        discussion: "Shares are per rule: each rule splits its own backendRefs. ACCEPTED is what the mesh wrote in status.parents.")

    @OptionGroup var cluster: ClusterOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "table, wide, json or yaml.")
    var output: OutputFormat = .table

    func run() async throws {
        let (client, resolved) = try cluster.connect()
        var routes: [Route] = []
        for (kind, gvr) in try await routeResources(client) {
            // Paged as kubectl pages (500 a page), each page decoded while the next is fetched
            // and its tree dropped at once: only the decoded routes are held, not the list
            // (the whole unpaged list as one tree was most of this command's 233 MB peak on
            // 10,000 routes). The object is not kept either: this command prints, never writes.
            let items: [(key: String, route: Result<Route, RouteDecodeError>)]
            do {
                items = try await client.listAll(gvr, namespace: cluster.scope(resolved)) { item in
                    let route = Result { () throws(RouteDecodeError) in
                        var r = try Route(json: item)
                        r.raw = .null
                        return r
                    }
                    return (ObjectRef(object: item).key, route)
                }.items
            } catch { throw fail(error) }
            for item in items {
                switch item.route {
                case .success(let r): routes.append(r)
                case .failure(let e): warn("cannot read \(kind.label) \(item.key): \(e)")
                }
            }
        }
        routes.sort { $0.id < $1.id }
        let profiles = await overridingProfiles(client, scope: cluster.scope(resolved), routes: routes)
        let summaries = routes.map { r in
            RouteSummary(
                route: r,
                overriddenBy: r.serviceParents.lazy.compactMap {
                    profiles.overriding(routeNamespace: r.namespace, service: $0.service(routeNamespace: r.namespace))
                }.first)
        }
        switch output {
        case .json: printJSON(["kind": "RouteSummaryList", "items": .array(summaries.map(\.json))])
        case .yaml: printYAML(["kind": "RouteSummaryList", "items": .array(summaries.map(\.json))])
        case .table, .wide:
            if routes.isEmpty {
                FileHandle.standardError.write(
                    Data("No routes found\(cluster.allNamespaces ? "" : " in \(clean(resolved.namespace)) namespace").\n".utf8))
                return
            }
            var header = ["NAMESPACE", "KIND", "NAME", "PARENTS", "RULE", "BACKENDS", "ACCEPTED", "OVERRIDDEN-BY", "OWNER"]
            if output == .wide { header += ["APIVERSION", "GENERATION", "RESOURCEVERSION"] }
            print(renderTable(header, summaries.flatMap { $0.rows(wide: output == .wide) }), terminator: "")
        }
    }
}

/// Which Linkerd ServiceProfiles decide for which routes' callers: read in the scope and in
/// each namespace of a route or its parent Service outside it (a consumer route's). A cluster
/// without ServiceProfiles (no Linkerd) is normal; one that cannot be read is a warning, not
/// a failure: the routes are still worth listing.
func overridingProfiles(_ client: KubeClient, scope: String?, routes: [Route]) async -> ProfileIndex {
    let gvr: GroupVersionResource?
    do { gvr = try await ObjectKind.serviceProfile.resource(on: client) } catch {
        warn("cannot discover ServiceProfiles: \(KubeError.from(error).userMessage)")
        return ProfileIndex()
    }
    guard let gvr else { return ProfileIndex() }
    var namespaces: [String?] = [scope]
    if let scope {
        // A consumer route's callers meet the profile in its own namespace first.
        let parents = Set(routes.flatMap { r in r.serviceParents.map { $0.service(routeNamespace: r.namespace).namespace } + [r.namespace] })
        namespaces += parents.subtracting([scope]).sorted().map { Optional($0) }
    }
    var all: [ServiceProfile] = []
    for ns in namespaces {
        do {
            for item in try await client.listAll(gvr, namespace: ns).items {
                do { all.append(try ServiceProfile(json: item)) } catch {
                    warn("cannot read ServiceProfile \(ObjectRef(object: item).key): \(error)")
                }
            }
        } catch {
            warn("cannot list ServiceProfiles\(ns.map { " in " + clean($0) } ?? ""): \(KubeError.from(error).userMessage)")
        }
    }
    return ProfileIndex(all)
}
