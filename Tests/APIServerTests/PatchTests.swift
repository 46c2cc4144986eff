import APIServer
import KubeCore
import Testing

private func j(_ s: String) -> JSON {
    do { return try JSON.parse(s) } catch { fatalError("bad test JSON: \(s): \(error)") }
}

// MARK: - RFC 7386

@Suite struct MergePatchTests {
    // RFC 7386 appendix A, every row.
    static let rfcCases: [(String, String, String)] = [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ]

    @Test(arguments: 0..<rfcCases.count)
    func rfc7386AppendixA(_ i: Int) {
        let (target, patch, expected) = Self.rfcCases[i]
        #expect(applyMergePatch(j(patch), to: j(target)) == j(expected))
    }

    @Test func createMergePatchIsMinimal() {
        let a = j(
            #"{"spec":{"service":"web","backends":[{"service":"v1","weight":90},{"service":"v2","weight":10}]},"metadata":{"name":"s","labels":{"x":"1","y":"2"}}}"#
        )
        let b = j(
            #"{"spec":{"service":"web","backends":[{"service":"v1","weight":50},{"service":"v2","weight":50}]},"metadata":{"name":"s","labels":{"x":"1"}}}"#)
        let p = createMergePatch(from: a, to: b)
        #expect(p == j(#"{"spec":{"backends":[{"service":"v1","weight":50},{"service":"v2","weight":50}]},"metadata":{"labels":{"y":null}}}"#))
        #expect(applyMergePatch(p, to: a) == b)
        #expect(createMergePatch(from: a, to: a) == j("{}"))
    }

    /// Seeded random documents: a created merge patch must reproduce the target. Values never
    /// contain null inside objects (RFC 7386 cannot express those).
    @Test func randomRoundTrip() {
        var rng = SplitMix64(seed: 0x5eed_7386)
        for _ in 0..<500 {
            let a = randomObject(&rng, depth: 0)
            let b = mutate(a, &rng, depth: 0)
            let p = createMergePatch(from: a, to: b)
            #expect(applyMergePatch(p, to: a) == b, "a=\(a.compactString) b=\(b.compactString) p=\(p.compactString)")
        }
    }
}

private let keyPool = ["a", "b", "c", "spec", "weight", "x/y", "~k"]

private func randomScalar(_ rng: inout SplitMix64) -> JSON {
    switch Int.random(in: 0..<4, using: &rng) {
    case 0: return .int(Int.random(in: -5...100, using: &rng))
    case 1: return .string(["v1", "v2", "", "ü"].randomElement(using: &rng)!)
    case 2: return .bool(Bool.random(using: &rng))
    default: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in .int(Int.random(in: 0...9, using: &rng)) })
    }
}

private func randomObject(_ rng: inout SplitMix64, depth: Int) -> JSON {
    var o = JSONObject()
    for _ in 0..<Int.random(in: 0...4, using: &rng) {
        let k = keyPool.randomElement(using: &rng)!
        o[k] = depth < 3 && Bool.random(using: &rng) ? randomObject(&rng, depth: depth + 1) : randomScalar(&rng)
    }
    return .object(o)
}

private func mutate(_ v: JSON, _ rng: inout SplitMix64, depth: Int) -> JSON {
    guard case .object(var o) = v else { return randomScalar(&rng) }
    for k in o.keys {
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: _ = o.removeValue(forKey: k)
        case 1: o[k] = depth < 3 ? mutate(o[k]!, &rng, depth: depth + 1) : randomScalar(&rng)
        case 2: o[k] = randomScalar(&rng)
        default: break
        }
    }
    if Bool.random(using: &rng) { o[keyPool.randomElement(using: &rng)!] = randomObject(&rng, depth: depth + 1) }
    return .object(o)
}

// MARK: - RFC 6902

@Suite struct JSONPatchTests {
    // RFC 6902 appendix A examples (A.1–A.16).
    static let rfcCases: [(doc: String, patch: String, expected: String?)] = [
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        (
            #"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#, #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
            #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#
        ),
        (#"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#, #"{"foo":["all","cows","eat","grass"]}"#),
        (
            #"{"baz":"qux","foo":["a",2,"c"]}"#, #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
            #"{"baz":"qux","foo":["a",2,"c"]}"#
        ),
        (#"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, nil),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#, #"{"foo":"bar","child":{"grandchild":{}}}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, #"{"foo":"bar","baz":"qux"}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#, nil),
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":"10"}]"#, nil),
        (#"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
    ]

    @Test(arguments: 0..<rfcCases.count)
    func rfc6902AppendixA(_ i: Int) throws {
        let c = Self.rfcCases[i]
        if let expected = c.expected {
            #expect(try applyJSONPatch(j(c.patch), to: j(c.doc)) == j(expected))
        } else {
            #expect(throws: JSONPatchError.self) { try applyJSONPatch(j(c.patch), to: j(c.doc)) }
        }
    }

    @Test func pointerEscapes() {
        #expect(JSONPointer.tokens("/a~1b/m~0n/~01") == ["a/b", "m~n", "~1"])
        #expect(JSONPointer.tokens("") == [])
        #expect(JSONPointer.tokens("a") == nil)
        #expect(JSONPointer.escape("a/~b") == "a~1~0b")
        let doc = j(#"{"":0,"a/b":1,"c%d":2,"arr":[10,20]}"#)
        #expect(JSONPointer.resolve("/", in: doc) == 0)
        #expect(JSONPointer.resolve("/a~1b", in: doc) == 1)
        #expect(JSONPointer.resolve("/arr/1", in: doc) == 20)
        #expect(JSONPointer.resolve("/arr/01", in: doc) == nil)
        #expect(JSONPointer.resolve("/arr/2", in: doc) == nil)
    }

    @Test func failedTestIsTypedAnd422() {
        let split = j(#"{"spec":{"backends":[{"service":"v1","weight":90},{"service":"v2","weight":10}]}}"#)
        let patch = j(#"[{"op":"test","path":"/spec/backends/0/weight","value":80},{"op":"replace","path":"/spec/backends/0/weight","value":50}]"#)
        do {
            _ = try applyJSONPatch(patch, to: split)
            Issue.record("expected a failure")
        } catch {
            #expect(error.kind == .testFailed)
            #expect(error.httpStatus == 422)
            #expect(error.statusReason == "Invalid")
            #expect(error.message == "testing value /spec/backends/0/weight failed: test failed")
            #expect(error.operationIndex == 0)
        }
    }

    @Test func guardedWeightEditSucceeds() throws {
        let split = j(#"{"spec":{"backends":[{"service":"v1","weight":90},{"service":"v2","weight":10}]}}"#)
        let ops = [
            JSONPatchOperation(op: .test, path: "/spec/backends/0/weight", value: 90),
            JSONPatchOperation(op: .replace, path: "/spec/backends/0/weight", value: 50),
            JSONPatchOperation(op: .replace, path: "/spec/backends/1/weight", value: 50),
        ]
        let out = try applyJSONPatch(ops, to: split)
        #expect(out[path: "spec", "backends"]?[0]?["weight"] == 50)
        #expect(out[path: "spec", "backends"]?[1]?["weight"] == 50)
    }

    @Test func atomicAllOrNothing() {
        // The first op would succeed; the second fails, and the caller keeps the original.
        let doc = j(#"{"a":1}"#)
        let patch = j(#"[{"op":"replace","path":"/a","value":2},{"op":"remove","path":"/missing"}]"#)
        var kept = doc
        do { kept = try applyJSONPatch(patch, to: doc) } catch {
            #expect(error.kind == .invalidPath)
            #expect(error.operationIndex == 1)
            #expect(error.httpStatus == 422)
        }
        #expect(kept == doc)
    }

    @Test func errorKinds() {
        func kind(_ patch: String, _ doc: String = #"{"a":{"b":[1,2]}}"#) -> JSONPatchError.Kind? {
            do {
                _ = try applyJSONPatch(j(patch), to: j(doc))
                return nil
            } catch { return error.kind }
        }
        #expect(kind(#"{"op":"add"}"#) == .malformed)
        #expect(kind(#"[1]"#) == .malformed)
        #expect(kind(#"[{"op":"add","value":1}]"#) == .malformed)
        #expect(kind(#"[{"op":"move","path":"/x"}]"#) == .malformed)
        #expect(kind(#"[{"op":"frobnicate","path":"/a"}]"#) == .unknownOperation)
        #expect(kind(#"[{"op":"replace","path":"/zz","value":1}]"#) == .invalidPath)
        #expect(kind(#"[{"op":"add","path":"/a/b/5","value":1}]"#) == .invalidPath)
        #expect(kind(#"[{"op":"add","path":"/a/b/x","value":1}]"#) == .invalidPath)
        #expect(kind(#"[{"op":"remove","path":"/a/b/2"}]"#) == .invalidPath)
        #expect(kind(#"[{"op":"move","from":"/a","path":"/a/c"}]"#) == .invalidPath)
        #expect(kind(#"[{"op":"test","path":"/a/b/0","value":2}]"#) == .testFailed)
        #expect(kind(#"[{"op":"copy","from":"/a/b","path":"/c"}]"#) == nil)
        #expect(JSONPatchError(kind: .malformed, message: "").httpStatus == 400)
    }

    @Test func realServerWording() {
        do {
            _ = try applyJSONPatch(j(#"[{"op":"replace","path":"/spec/x","value":1}]"#), to: j(#"{"spec":{}}"#))
        } catch {
            #expect(error.message == "replace operation does not apply: doc is missing key: /spec/x: missing value")
        }
        do {
            _ = try applyJSONPatch(j(#"[{"op":"add","path":"/spec/x/y","value":1}]"#), to: j(#"{"spec":{}}"#))
        } catch {
            #expect(error.message == #"add operation does not apply: doc is missing path: "/spec/x/y": missing value"#)
        }
        do {
            _ = try applyJSONPatch(j(#"[{"op":"nope","path":"/a"}]"#), to: j(#"{}"#))
        } catch {
            #expect(error.message == "Unexpected kind: nope")
        }
    }

    @Test func copyAndMoveRoot() throws {
        #expect(try applyJSONPatch(j(#"[{"op":"copy","from":"/a","path":"/b"}]"#), to: j(#"{"a":{"x":1}}"#)) == j(#"{"a":{"x":1},"b":{"x":1}}"#))
        #expect(try applyJSONPatch(j(#"[{"op":"replace","path":"","value":{"z":1}}]"#), to: j(#"{"a":1}"#)) == j(#"{"z":1}"#))
        #expect(try applyJSONPatch(j(#"[{"op":"move","from":"/a","path":"/a"}]"#), to: j(#"{"a":1}"#)) == j(#"{"a":1}"#))
    }
}

// MARK: - Strategic merge patch

@Suite struct StrategicMergePatchTests {
    static let service = j(
        #"""
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"demo","finalizers":["a"]},
         "spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":8080,"protocol":"TCP","targetPort":8080}]}}
        """#)

    /// The exact body kubectl 1.32 client-side apply sends (kubectl.md section 1).
    @Test func kubectlClientSideApplyBody() throws {
        let patch = j(
            #"{"spec":{"$setElementOrder/ports":[{"port":9090}],"ports":[{"name":"http","port":9090,"targetPort":8080},{"$patch":"delete","port":8080}]}}"#)
        let out = try applyStrategicMergePatch(patch, to: Self.service, kind: "Service")
        #expect(out[path: "spec", "ports"] == j(#"[{"name":"http","port":9090,"targetPort":8080}]"#))
        #expect(out[path: "spec", "selector"] == j(#"{"app":"web"}"#))
        #expect(!containsDirective(out), "directive leaked: \(out.compactString)")
    }

    @Test func mergeByKeyKeepsOtherItemsAndFields() throws {
        let svc = j(#"{"spec":{"ports":[{"name":"http","port":80,"targetPort":8080},{"name":"admin","port":9000}]}}"#)
        let out = try applyStrategicMergePatch(j(#"{"spec":{"ports":[{"port":80,"targetPort":9999},{"port":443,"name":"https"}]}}"#), to: svc, kind: "Service")
        #expect(out[path: "spec", "ports"] == j(#"[{"name":"http","port":80,"targetPort":9999},{"name":"admin","port":9000},{"port":443,"name":"https"}]"#))
        // A merge patch of the same body would have dropped the admin port.
        #expect(applyMergePatch(j(#"{"spec":{"ports":[{"port":80}]}}"#), to: svc)[path: "spec", "ports"]?.arrayValue?.count == 1)
    }

    @Test func setElementOrderOrders() throws {
        let svc = j(#"{"spec":{"ports":[{"port":1},{"port":2},{"port":3}]}}"#)
        let out = try applyStrategicMergePatch(j(#"{"spec":{"$setElementOrder/ports":[{"port":3},{"port":1},{"port":2}]}}"#), to: svc, kind: "Service")
        #expect(out[path: "spec", "ports"] == j(#"[{"port":3},{"port":1},{"port":2}]"#))
        #expect(!containsDirective(out))
    }

    @Test func nestedContainerListsInDeployment() throws {
        let deploy = j(
            #"""
            {"kind":"Deployment","spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
             "template":{"spec":{"containers":[
               {"name":"app","image":"app:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
                "ports":[{"containerPort":80,"name":"http"}],"volumeMounts":[{"mountPath":"/data","name":"d"}]},
               {"name":"sidecar","image":"proxy:1"}],
              "volumes":[{"name":"d","emptyDir":{}}]}}}}
            """#)
        let patch = j(
            #"""
            {"spec":{"template":{"spec":{"containers":[
               {"name":"app","image":"app:2","env":[{"name":"B","value":"3"},{"name":"A","$patch":"delete"}],
                "ports":[{"containerPort":81}]}],
              "volumes":[{"name":"cfg","configMap":{"name":"c"}}]}},
             "strategy":{"$retainKeys":["type"],"type":"Recreate"}}}
            """#)
        let out = try applyStrategicMergePatch(patch, to: deploy, kind: "Deployment")
        let containers = out[path: "spec", "template", "spec", "containers"]
        #expect(containers?.arrayValue?.count == 2)
        #expect(containers?[0]?["image"] == "app:2")
        #expect(containers?[0]?["env"] == j(#"[{"name":"B","value":"3"}]"#))
        #expect(containers?[0]?["ports"] == j(#"[{"containerPort":80,"name":"http"},{"containerPort":81}]"#))
        #expect(containers?[0]?["volumeMounts"] == j(#"[{"mountPath":"/data","name":"d"}]"#))
        #expect(containers?[1]?["image"] == "proxy:1")
        #expect(out[path: "spec", "template", "spec", "volumes"]?.arrayValue?.count == 2)
        #expect(out[path: "spec", "strategy"] == j(#"{"type":"Recreate"}"#))
        #expect(out[path: "spec", "replicas"] == 1)
        #expect(!containsDirective(out))
    }

    @Test func patchReplaceDirectives() throws {
        let pod = j(#"{"kind":"Pod","spec":{"containers":[{"name":"a"},{"name":"b"}],"nodeSelector":{"x":"1","y":"2"}}}"#)
        let out = try applyStrategicMergePatch(
            j(#"{"spec":{"containers":[{"name":"c"},{"$patch":"replace"}],"nodeSelector":{"$patch":"replace","z":"3"}}}"#),
            to: pod, kind: "Pod")
        #expect(out[path: "spec", "containers"] == j(#"[{"name":"c"}]"#))
        #expect(out[path: "spec", "nodeSelector"] == j(#"{"z":"3"}"#))
        let deleted = try applyStrategicMergePatch(j(#"{"spec":{"nodeSelector":{"$patch":"delete"}}}"#), to: pod, kind: "Pod")
        #expect(deleted[path: "spec", "nodeSelector"] == j("{}"))
    }

    @Test func finalizersAreASet() throws {
        let out = try applyStrategicMergePatch(j(#"{"metadata":{"finalizers":["b","a"]}}"#), to: Self.service, kind: "Service")
        #expect(out[path: "metadata", "finalizers"] == j(#"["a","b"]"#))
        let removed = try applyStrategicMergePatch(j(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#), to: out, kind: "Service")
        #expect(removed[path: "metadata", "finalizers"] == j(#"["b"]"#))
        #expect(!containsDirective(removed))
    }

    @Test func ownerReferencesByUIDAndConditionsByType() throws {
        let pod = j(
            #"{"metadata":{"ownerReferences":[{"uid":"1","name":"rs-a"}]},"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"Scheduled","status":"True"}]}}"#
        )
        let out = try applyStrategicMergePatch(
            j(#"{"metadata":{"ownerReferences":[{"uid":"2","name":"rs-b"}]},"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#), to: pod, kind: "Pod"
        )
        #expect(out[path: "metadata", "ownerReferences"]?.arrayValue?.count == 2)
        #expect(out[path: "status", "conditions"] == j(#"[{"type":"Ready","status":"True"},{"type":"Scheduled","status":"True"}]"#))
    }

    @Test func nullDeletesAndOtherListsReplace() throws {
        let out = try applyStrategicMergePatch(
            j(#"{"spec":{"selector":null,"externalIPs":["1.2.3.4"]}}"#), to: j(#"{"spec":{"selector":{"a":"b"},"externalIPs":["9.9.9.9"]}}"#), kind: "Service")
        #expect(out == j(#"{"spec":{"externalIPs":["1.2.3.4"]}}"#))
    }

    @Test func customTableAndErrors() throws {
        let strategies = PatchStrategies.builtIn.adding(kind: "Widget", ["spec.items": .map(keys: ["id"])])
        let out = try applyStrategicMergePatch(
            j(#"{"spec":{"items":[{"id":2,"v":"b"}]}}"#), to: j(#"{"spec":{"items":[{"id":1,"v":"a"}]}}"#), kind: "Widget", strategies: strategies)
        #expect(out[path: "spec", "items"]?.arrayValue?.count == 2)
        #expect(strategies.knows(kind: "Widget") && !strategies.knows(kind: "TrafficSplit"))
        #expect(throws: StrategicMergePatchError.self) {
            try applyStrategicMergePatch(j(#"{"spec":{"ports":[{"name":"no-port"}]}}"#), to: Self.service, kind: "Service")
        }
        #expect(throws: StrategicMergePatchError.self) {
            try applyStrategicMergePatch(j(#"{"spec":{"$patch":"explode"}}"#), to: Self.service, kind: "Service")
        }
        #expect(throws: StrategicMergePatchError.self) {
            try applyStrategicMergePatch(j(#"[]"#), to: Self.service, kind: "Service")
        }
    }

    @Test func schemaListTypes() {
        let schema = j(
            #"{"type":"object","properties":{"spec":{"type":"object","properties":{"rules":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"items":{"type":"object"}},"tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},"plain":{"type":"array","items":{"type":"string"}}}}}}"#
        )
        let t = PatchStrategies.fromSchema(schema)
        #expect(t["spec.rules"] == .map(keys: ["name"]))
        #expect(t["spec.tags"] == .set)
        #expect(t["spec.plain"] == nil)
    }
}

func containsDirective(_ v: JSON) -> Bool {
    switch v {
    case .object(let o): return o.contains { $0.key.hasPrefix("$") || containsDirective($0.value) }
    case .array(let a): return a.contains(where: containsDirective)
    default: return false
    }
}

// MARK: - YAML bodies

@Suite struct YAMLBodyTests {
    @Test func yamlAndJSONBodies() throws {
        let y = try JSON.parseYAML(
            """
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata:
              name: web
              labels: {app: web, version: "2"}
            spec:
              service: web
              backends:
              - service: v1
                weight: 90
              - service: v2
                weight: 0.5
              flag: true
              nothing: ~
            """)
        #expect(y["kind"] == "TrafficSplit")
        #expect(y[path: "metadata", "labels", "version"] == "2")
        #expect(y[path: "spec", "backends"]?[0]?["weight"] == .number("90"))
        #expect(y[path: "spec", "backends"]?[1]?["weight"] == .number("0.5"))
        #expect(y[path: "spec", "flag"] == true)
        #expect(y[path: "spec", "nothing"] == .null)
        #expect(y.objectValue?.keys == ["apiVersion", "kind", "metadata", "spec"])
        let fromJSON = try JSON.parseYAML(#"{"a":[1,"2",{"b":null}]}"#)
        #expect(fromJSON == j(#"{"a":[1,"2",{"b":null}]}"#))
        #expect(throws: YAMLReadError.self) { try JSON.parseYAML("a: [1, 2") }
    }
}

// MARK: - Server-side apply and managedFields

@Suite struct ServerSideApplyPatchTests {
    static let now1 = "2025-01-01T00:00:00Z"
    static let now2 = "2025-01-01T00:01:00Z"
    static let now3 = "2025-01-01T00:02:00Z"

    static func split(_ w1: Int, _ w2: Int, labels: String = #"{"app":"web"}"#) -> JSON {
        j(
            #"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"web","namespace":"demo","labels":\#(labels)},"spec":{"service":"web","backends":[{"service":"v1","weight":\#(w1)},{"service":"v2","weight":\#(w2)}]}}"#
        )
    }

    @Test func createRecordsApplyEntryInRealFormat() throws {
        let (obj, conflicts) = try serverSideApply(live: nil, applied: Self.split(90, 10), manager: "kubectl", force: false, now: Self.now1)
        #expect(conflicts.isEmpty)
        #expect(obj[path: "spec", "service"] == "web")
        #expect(obj[path: "metadata", "name"] == "web")
        let entries = obj[path: "metadata", "managedFields"]?.arrayValue ?? []
        #expect(entries.count == 1)
        #expect(
            entries.first
                == j(
                    #"""
                    {"manager":"kubectl","operation":"Apply","apiVersion":"split.smi-spec.io/v1alpha4","time":"2025-01-01T00:00:00Z",
                     "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:backends":{},"f:service":{}}}}
                    """#))
    }

    @Test func conflictWithUpdateManagerThenForce() throws {
        let (created, _) = try serverSideApply(live: nil, applied: Self.split(90, 10), manager: "kubectl", force: false, now: Self.now1)
        // flagger rewrites the weights with a plain update.
        var flagged = created
        flagged["spec"] = j(#"{"service":"web","backends":[{"service":"v1","weight":50},{"service":"v2","weight":50}]}"#)
        flagged = recordUpdate(old: created, new: flagged, manager: "flagger", apiVersion: "split.smi-spec.io/v1alpha4", now: Self.now2)
        let records = managedFieldsRecords(of: flagged)
        #expect(records.map(\.manager) == ["kubectl", "flagger"])
        #expect(records[1].operation == "Update")
        #expect(records[1].fields.fieldsV1 == j(#"{"f:spec":{"f:backends":{}}}"#))
        // kubectl no longer owns backends: ownership moved with the update.
        #expect(records[0].fields.fieldsV1 == j(#"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:service":{}}}"#))

        // Re-applying different weights conflicts with flagger.
        let (unchanged, conflicts) = try serverSideApply(live: flagged, applied: Self.split(80, 20), manager: "kubectl", force: false, now: Self.now3)
        #expect(unchanged == flagged)
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.field == ".spec.backends")
        #expect(
            conflicts.first?.cause
                == j(
                    #"{"reason":"FieldManagerConflict","message":"conflict with \"flagger\" using split.smi-spec.io/v1alpha4 at 2025-01-01T00:01:00Z","field":".spec.backends"}"#
                ))
        #expect(
            applyConflictMessage(conflicts)
                == #"Apply failed with 1 conflict: conflict with "flagger" using split.smi-spec.io/v1alpha4 at 2025-01-01T00:01:00Z: .spec.backends"#)

        // Applying the value flagger set is not a conflict: ownership is shared.
        let (shared, none) = try serverSideApply(live: flagged, applied: Self.split(50, 50), manager: "kubectl", force: false, now: Self.now3)
        #expect(none.isEmpty)
        let sharedRecs = managedFieldsRecords(of: shared)
        #expect(sharedRecs.allSatisfy { $0.fields.contains([.field("spec"), .field("backends")]) })

        // force moves ownership.
        let (forced, overridden) = try serverSideApply(live: flagged, applied: Self.split(80, 20), manager: "kubectl", force: true, now: Self.now3)
        #expect(overridden.map(\.manager) == ["flagger"])
        #expect(forced[path: "spec", "backends"]?[0]?["weight"] == 80)
        let forcedRecs = managedFieldsRecords(of: forced)
        #expect(forcedRecs.map(\.manager) == ["kubectl"], "flagger's entry is empty and dropped")
    }

    @Test func omittedFieldsAreRemovedUnlessSharedOrForeign() throws {
        let (created, _) = try serverSideApply(
            live: nil, applied: Self.split(90, 10, labels: #"{"app":"web","tier":"front"}"#), manager: "kubectl", force: false, now: Self.now1)
        // Another applier also sets app; a third adds its own label.
        let other = j(#"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"web","labels":{"app":"web","team":"a"}}}"#)
        let (withOther, c1) = try serverSideApply(live: created, applied: other, manager: "ops", force: false, now: Self.now2)
        #expect(c1.isEmpty)
        // kubectl drops both of its labels.
        let (after, c2) = try serverSideApply(live: withOther, applied: Self.split(90, 10, labels: "{}"), manager: "kubectl", force: false, now: Self.now3)
        #expect(c2.isEmpty)
        let labels = after[path: "metadata", "labels"]
        #expect(labels?["tier"] == nil, "only kubectl owned tier")
        #expect(labels?["app"] == "web", "ops still owns app")
        #expect(labels?["team"] == "a")
    }

    @Test func keyedListsMergeAndKeysEncode() throws {
        let svc = j(
            #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"demo"},"spec":{"ports":[{"name":"http","port":80,"targetPort":8080}]}}"#
        )
        let (created, _) = try serverSideApply(live: nil, applied: svc, manager: "kubectl", force: false, now: Self.now1)
        let fields = managedFieldsRecords(of: created).first?.fields.fieldsV1
        #expect(fields == j(#"{"f:spec":{"f:ports":{"k:{\"port\":80}":{".":{},"f:name":{},"f:port":{},"f:targetPort":{}}}}}"#))
        // Another manager adds a second port by key; the first applier's port stays.
        let add = j(#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"name":"admin","port":9000}]}}"#)
        let (merged, c) = try serverSideApply(live: created, applied: add, manager: "admin-tool", force: false, now: Self.now2)
        #expect(c.isEmpty)
        #expect(merged[path: "spec", "ports"]?.arrayValue?.count == 2)
        // A conflicting targetPort reports the keyed path as upstream prints it.
        let clash = j(#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"port":80,"targetPort":9999}]}}"#)
        let (_, conflicts) = try serverSideApply(live: merged, applied: clash, manager: "admin-tool", force: false, now: Self.now3)
        #expect(conflicts.map(\.field) == [".spec.ports[port=80].targetPort"])
        #expect(conflicts.first?.message == #"conflict with "kubectl" using v1"#)
    }

    @Test func fieldsV1RoundTripsThroughParsing() {
        let set = FieldSet([
            [.field("metadata"), .field("finalizers"), .value(#""x""#)],
            [.field("spec"), .field("ports"), .key(#"{"port":80}"#)],
            [.field("spec"), .field("ports"), .key(#"{"port":80}"#), .field("name")],
            [.field("spec"), .field("items"), .index(0)],
        ])
        #expect(FieldSet(fieldsV1: set.fieldsV1) == set)
        #expect(fieldPathString([.field("metadata"), .field("finalizers"), .value(#""x""#)]) == #".metadata.finalizers[="x"]"#)
    }

    @Test func updateIgnoresNoOpsAndTracksCreates() {
        let obj = Self.split(90, 10)
        let created = recordUpdate(old: nil, new: obj, manager: "kubectl-create", apiVersion: "split.smi-spec.io/v1alpha4", now: Self.now1)
        let recs = managedFieldsRecords(of: created)
        #expect(recs.count == 1 && recs[0].operation == "Update")
        #expect(recs[0].fields.contains([.field("spec"), .field("service")]))
        let same = recordUpdate(old: created, new: created, manager: "other", apiVersion: "v1", now: Self.now2)
        #expect(same == created, "a no-op write records nothing")
        // A client that sends managedFields: [] clears them.
        var cleared = created
        var meta = cleared["metadata"]!
        meta["managedFields"] = .array([])
        cleared["metadata"] = meta
        let out = recordUpdate(old: created, new: cleared, manager: "x", apiVersion: "v1", now: Self.now2)
        #expect(out[path: "metadata", "managedFields"] == nil)
    }

    @Test func rejectsBodiesWithoutTypeInformation() {
        #expect(throws: ServerSideApplyError.self) {
            try serverSideApply(live: nil, applied: j(#"{"metadata":{"name":"x"}}"#), manager: "m", force: false, now: Self.now1)
        }
        #expect(throws: ServerSideApplyError.self) {
            try serverSideApply(live: nil, applied: j("[1]"), manager: "m", force: false, now: Self.now1)
        }
    }
}
