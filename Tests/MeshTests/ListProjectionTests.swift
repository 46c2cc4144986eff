import Foundation
import KubeCore
import Simulator
import Testing

@testable import Mesh

/// The informers keep only what the store reads (`ObjectKind.projected`). These tests hold
/// that promise: a store built from projected objects is the store built from the whole ones,
/// for every object of every scenario the simulator makes (hostile shapes included) in every
/// profile; and the projection does drop what the store never reads.
@Suite struct ListProjectionTests {
    static func kind(of o: JSON) -> ObjectKind? {
        let group = o["apiVersion"]?.stringValue?.split(separator: "/").dropLast().first.map(String.init) ?? ""
        switch (o["kind"]?.stringValue, group) {
        case ("Service", _): return .service
        case ("Deployment", _): return .deployment
        case ("Pod", _): return .pod
        case ("TrafficSplit", _): return .trafficSplit
        case ("TrafficTarget", _): return .trafficTarget
        case ("HTTPRoute", "policy.linkerd.io"): return .linkerdHTTPRoute
        case ("HTTPRoute", _): return .httpRoute
        case ("GRPCRoute", _): return .grpcRoute
        case ("ServiceProfile", _): return .serviceProfile
        default: return nil
        }
    }

    static func stores(_ objects: [JSON]) -> (whole: MeshStore, projected: MeshStore, kinds: Set<ObjectKind>) {
        var byKind: [ObjectKind: [JSON]] = [:]
        for o in objects { if let k = kind(of: o) { byKind[k, default: []].append(o) } }
        var whole = MeshStore()
        var projected = MeshStore()
        for k in ObjectKind.allCases {
            let items = byKind[k] ?? []
            whole.replaceAll(k, items)
            projected.replaceAll(k, items.map(k.projected))
        }
        return (whole, projected, Set(byKind.keys))
    }

    @Test("the store from projected objects equals the store from whole ones", arguments: ["bookstore", "hostile", "generated"])
    func sameStore(scenario: String) throws {
        for profile in SimProfile.allCases {
            let s = try Scenario.make(
                name: scenario, seed: 3, profile: profile, services: scenario == "generated" ? 80 : 0, splits: scenario == "generated" ? 40 : 0,
                routes: scenario == "generated" && profile != .sdk ? 20 : 0, now: 1_700_000_000)
            let (whole, projected, kinds) = Self.stores(s.objects)
            #expect(kinds.isSuperset(of: [.service, .deployment, .trafficSplit]) || profile == .istio, "\(scenario) \(profile): \(kinds)")
            #expect(whole == projected, "\(scenario) \(profile)")
            // Not vacuous: the scenario has objects of every kind it serves, each decoded.
            #expect(!whole.services.isEmpty && !whole.deployments.isEmpty, "\(scenario) \(profile)")
        }
    }

    /// Objects as a real API server returns them: managed fields, a pod template with
    /// containers, conditions, annotations. What the store never reads is gone; what it reads
    /// stays where it was.
    @Test("a ServiceProfile linkerd-smi wrote is still known as such after the projection")
    func linkerdSMIProfile() throws {
        let sp: JSON = [
            "apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile",
            "metadata": [
                "name": "books.bookstore.svc.cluster.local", "namespace": "bookstore",
                "managedFields": [["manager": "smi-adaptor", "operation": "Update", "fieldsType": "FieldsV1"]],
            ],
            "spec": ["dstOverrides": [["authority": "books-v1.bookstore.svc.cluster.local", "weight": "1"]]],
        ]
        let (whole, projected, _) = Self.stores([sp])
        #expect(whole == projected)
        #expect(projected.serviceProfiles.values.first?.fromLinkerdSMI == true)
    }

    @Test func dropsWhatTheStoreNeverReads() throws {
        let deployment = try JSON.parse(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"books-v1","namespace":"bookstore","uid":"u1","resourceVersion":"42",
             "generation":3,"labels":{"app":"books"},"annotations":{"deployment.kubernetes.io/revision":"3"},
             "managedFields":[{"manager":"kubectl","operation":"Apply","time":"2026-12-01T00:00:00Z"}]},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"books"}},"strategy":{"type":"RollingUpdate"},
              "template":{"metadata":{"labels":{"app":"books","version":"v1"},"annotations":{"linkerd.io/inject":"enabled"}},
               "spec":{"containers":[{"name":"books","image":"buoyantio/bb:v0.0.6","args":["terminus"],"ports":[{"containerPort":7001}]}]}}},
             "status":{"replicas":2,"readyReplicas":2,"conditions":[{"type":"Available","status":"True","message":"Deployment has minimum availability."}]}}
            """#)
        let p = ObjectKind.deployment.projected(deployment)
        #expect(
            p
                == (try JSON.parse(
                    #"""
                    {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"books-v1","namespace":"bookstore","uid":"u1","resourceVersion":"42",
                     "generation":3,"labels":{"app":"books"}},"spec":{"replicas":2,"template":{"metadata":{"labels":{"app":"books","version":"v1"}}}},
                     "status":{"readyReplicas":2}}
                    """#)))
        #expect(DeploymentInfo(json: p) == DeploymentInfo(json: deployment))

        let pod = try JSON.parse(
            #"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"books-v1-abc","namespace":"bookstore","labels":{"app":"books"},
             "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"books-v1-5f","uid":"r1","controller":true}]},
             "spec":{"containers":[{"name":"books","image":"x"}],"nodeName":"n1"},"status":{"phase":"Running","podIP":"10.0.0.1"}}
            """#)
        let pp = ObjectKind.pod.projected(pod)
        #expect(pp["spec"] == nil && pp[path: "status", "podIP"] == nil && pp[path: "status", "phase"]?.stringValue == "Running")
        #expect(PodInfo(json: pp) == PodInfo(json: pod))

        // A split keeps its spec whole and the controller evidence; other labels go.
        let split = try JSON.parse(
            #"""
            {"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"books","namespace":"bookstore","resourceVersion":"7",
             "labels":{"app":"books","kustomize.toolkit.fluxcd.io/name":"apps"},"annotations":{"note":"x","argocd.argoproj.io/tracking-id":"a:b"},
             "managedFields":[{"manager":"flagger","operation":"Update"}]},
             "spec":{"service":"books","backends":[{"service":"books-v1","weight":90},{"service":"books-v2","weight":10}],"extra":{"kept":true}}}
            """#)
        let sp = ObjectKind.trafficSplit.projected(split)
        #expect(sp[path: "metadata", "labels"] == ["kustomize.toolkit.fluxcd.io/name": "apps"])
        #expect(sp[path: "metadata", "annotations"] == ["argocd.argoproj.io/tracking-id": "a:b"])
        #expect(sp["spec"] == split["spec"] && sp[path: "metadata", "managedFields"] == split[path: "metadata", "managedFields"])
        var a = MeshStore()
        var b = MeshStore()
        a.replaceAll(.trafficSplit, [split])
        b.replaceAll(.trafficSplit, [sp])
        #expect(a == b && !a.trafficSplits.isEmpty)
    }

    /// A route waits for the store as text: the identity the reflector and the mailbox key it
    /// by, beside its projected object's compact text, which the store expands back into the
    /// very tree the projection made (unknown fields, odd literals and all).
    @Test func routesWaitAsText() throws {
        let route = try JSON.parse(
            #"""
            {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
             "metadata":{"name":"books","namespace":"shop","resourceVersion":"9","generation":2,"uid":"u",
              "labels":{"team":"a","rollouts.argoproj.io/gatewayapi-canary":"in-progress"},"annotations":{"note":"x"}},
             "spec":{"parentRefs":[{"group":"","kind":"Service","name":"books","port":80}],"future":{"n":1.50},
                     "rules":[{"name":"r0","matches":[{"headers":[{"name":"x","value":"caf\u00e9"}]}],"backendRefs":[{"name":"books-v2","port":80,"weight":1}]}]},
             "status":{"parents":[{"parentRef":{"group":"core","kind":"Service","name":"books"},"controllerName":"linkerd.io/policy-controller",
                       "conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":""}]}]}}
            """#)
        let p = ObjectKind.httpRoute.projected(route)
        #expect(p.objectValue?.keys == ["apiVersion", "kind", "metadata", "smitop.dev/compact"])
        #expect(p["metadata"] == ["name": "books", "namespace": "shop", "resourceVersion": "9"])
        #expect(ObjectRef(object: p) == ObjectRef(namespace: "shop", name: "books"))
        let back = ObjectKind.expanded(p)
        #expect(back["spec"] == route["spec"] && back["status"] == route["status"])
        #expect(back[path: "metadata", "labels"] == ["rollouts.argoproj.io/gatewayapi-canary": "in-progress"])
        #expect(back[path: "metadata", "annotations"] == .object(JSONObject()))
        // Anything else is not touched by `expanded`.
        #expect(ObjectKind.expanded(route) == route)
        let notText = try JSON.parse(#"{"kind":"HTTPRoute","smitop.dev/compact":7}"#)
        #expect(ObjectKind.expanded(notText) == notText)
        var a = MeshStore()
        var b = MeshStore()
        a.replaceAll(.httpRoute, [route])
        b.replaceAll(.httpRoute, [p])
        #expect(a == b && a.routeCount == 1 && a.splits.count == 1)
        b.upsert(.httpRoute, ObjectKind.httpRoute.projected(route))
        #expect(a == b)
        b.delete(.httpRoute, p)
        #expect(b.routeCount == 0 && b.splits.isEmpty)
    }

    /// A value that is not an object where an object is expected passes through as it came,
    /// so the store reports the same problem.
    @Test func oddShapesPassThrough() throws {
        #expect(ObjectKind.service.projected(.string("x")) == .string("x"))
        let odd = try JSON.parse(#"{"kind":"Deployment","metadata":"nope","spec":{"template":7},"status":[1]}"#)
        let p = ObjectKind.deployment.projected(odd)
        #expect(p["metadata"] == .string("nope") && p[path: "spec", "template"] == .int(7) && p["status"] == .array([.int(1)]))
    }
}
