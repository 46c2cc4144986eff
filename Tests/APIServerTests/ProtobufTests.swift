import APIServer
import Foundation
import KubeCore
import Testing

/// A minimal protobuf writer for building test messages field by field.
private struct PB {
    var bytes: [UInt8] = []

    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    func int(_ n: Int, _ v: Int64) -> PB {
        var c = self
        c.bytes += Self.varint(UInt64(n << 3)) + Self.varint(UInt64(bitPattern: v))
        return c
    }

    func bytes(_ n: Int, _ b: [UInt8]) -> PB {
        var c = self
        c.bytes += Self.varint(UInt64(n << 3 | 2)) + Self.varint(UInt64(b.count)) + b
        return c
    }

    func str(_ n: Int, _ s: String) -> PB { bytes(n, Array(s.utf8)) }
    func msg(_ n: Int, _ m: PB) -> PB { bytes(n, m.bytes) }
    func entry(_ n: Int, _ k: String, _ v: String) -> PB { msg(n, PB().str(1, k).str(2, v)) }

    /// `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw}.
    static func envelope(_ apiVersion: String, _ kind: String, _ raw: PB) -> [UInt8] {
        KubeProtobuf.magic + PB().msg(1, PB().str(1, apiVersion).str(2, kind)).msg(2, raw).bytes
    }
}

@Suite("Kubernetes protobuf bodies")
struct ProtobufTests {
    // Go's zero time, which go-to-protobuf writes for an unset creationTimestamp.
    fileprivate let zeroTime = PB().int(1, -62_135_596_800)

    @Test("a Namespace as kubectl create namespace sends it")
    func namespace() throws {
        let meta = PB().str(1, "demo").str(2, "").msg(8, zeroTime)
        let body = PB.envelope("v1", "Namespace", PB().msg(1, meta).msg(2, PB()).msg(3, PB().str(1, "")))
        let o = try KubeProtobuf.decodeObject(body)
        #expect(o["apiVersion"]?.stringValue == "v1" && o["kind"]?.stringValue == "Namespace")
        #expect(o[path: "metadata", "name"]?.stringValue == "demo")
        // Zero values of non-pointer fields are omitted, as in Go's JSON; zero time is null.
        #expect(o[path: "metadata", "generateName"] == nil)
        #expect(o[path: "metadata", "creationTimestamp"] == .null)
        #expect(o[path: "status", "phase"] == nil)
    }

    @Test("a Deployment: pointer zero kept, maps, IntOrString, nested template, negative int32")
    func deployment() throws {
        let container = PB().str(1, "web").str(2, "example.com/web:1.2").msg(8, PB())
            .msg(6, PB().int(3, 8080).str(4, "TCP"))
        let podSpec = PB().msg(2, container).str(3, "Always").str(6, "ClusterFirst")
        let template = PB().msg(1, PB().entry(11, "app", "web")).msg(2, podSpec)
        let strategy = PB().str(1, "RollingUpdate").msg(2, PB().msg(1, PB().int(1, 1).str(3, "25%")).msg(2, PB().int(1, 0).int(2, 2)))
        let spec = PB().int(1, 0).msg(2, PB().entry(1, "app", "web")).msg(3, template).msg(4, strategy).int(5, -1)
        let meta = PB().str(1, "web").entry(11, "app", "web").entry(12, "note", "x")
        let o = try KubeProtobuf.decodeObject(PB.envelope("apps/v1", "Deployment", PB().msg(1, meta).msg(2, spec)))
        #expect(o[path: "spec", "replicas"]?.intValue == 0, "replicas is a pointer: an explicit 0 stays")
        #expect(o[path: "spec", "minReadySeconds"]?.intValue == -1)
        #expect(o[path: "spec", "selector", "matchLabels", "app"]?.stringValue == "web")
        #expect(o[path: "metadata", "annotations", "note"]?.stringValue == "x")
        #expect(o[path: "spec", "strategy", "rollingUpdate", "maxUnavailable"] == .string("25%"))
        #expect(o[path: "spec", "strategy", "rollingUpdate", "maxSurge"]?.intValue == 2)
        let c = o[path: "spec", "template", "spec", "containers"]?[0]
        #expect(c?["image"]?.stringValue == "example.com/web:1.2")
        #expect(c?["ports"]?[0]?["containerPort"]?.intValue == 8080)
        #expect(o[path: "spec", "template", "metadata", "labels", "app"]?.stringValue == "web")
    }

    @Test("a Service with targetPort as a number and a ConfigMap with binary data")
    func serviceAndConfigMap() throws {
        let port = PB().str(1, "80-8080").str(2, "TCP").int(3, 80).msg(4, PB().int(1, 0).int(2, 8080))
        let svc = try KubeProtobuf.decodeObject(
            PB.envelope("v1", "Service", PB().msg(1, PB().str(1, "web")).msg(2, PB().msg(1, port).entry(2, "app", "web").str(4, "ClusterIP"))))
        #expect(svc[path: "spec", "ports"]?[0]?["targetPort"]?.intValue == 8080)
        #expect(svc[path: "spec", "type"]?.stringValue == "ClusterIP")
        let cm = try KubeProtobuf.decodeObject(
            PB.envelope("v1", "ConfigMap", PB().msg(1, PB().str(1, "c")).entry(2, "k", "v").msg(3, PB().str(1, "bin").bytes(2, [0, 1, 2]))))
        #expect(cm[path: "data", "k"]?.stringValue == "v")
        #expect(cm[path: "binaryData", "bin"]?.stringValue == "AAEC")
    }

    static let captured = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz/protobuf")

    static func body(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: captured.appendingPathComponent(name)))
    }

    @Test("bodies kubectl 1.32 sent, decoded as its JSON would have been")
    func capturedFromKubectl() throws {
        let ns = try KubeProtobuf.decodeObject(Self.body("create-namespace.pb"))
        #expect(ns["kind"]?.stringValue == "Namespace" && ns[path: "metadata", "name"]?.stringValue == "demo")
        let d = try KubeProtobuf.decodeObject(Self.body("create-deployment.pb"))
        #expect(d["apiVersion"]?.stringValue == "apps/v1")
        #expect(d[path: "spec", "replicas"]?.intValue == 2)
        #expect(d[path: "spec", "selector", "matchLabels", "app"]?.stringValue == "web")
        let c = d[path: "spec", "template", "spec", "containers"]?[0]
        #expect(c?["name"]?.stringValue == "web" && c?["image"]?.stringValue == "example.com/web:1.2")
        #expect(c?["ports"]?[0]?["containerPort"]?.intValue == 8080)
        let svc = try KubeProtobuf.decodeObject(Self.body("create-service-clusterip.pb"))
        #expect(svc[path: "spec", "ports"]?[0]?["port"]?.intValue == 80)
        #expect(svc[path: "spec", "ports"]?[0]?["targetPort"]?.intValue == 8080)
        #expect(svc[path: "spec", "type"]?.stringValue == "ClusterIP")
        let np = try KubeProtobuf.decodeObject(Self.body("create-service-nodeport.pb"))
        #expect(np[path: "spec", "ports"]?[0]?["targetPort"] == .string("http"), "a named targetPort is the string form of IntOrString")
        #expect(np[path: "spec", "type"]?.stringValue == "NodePort")
        let cm = try KubeProtobuf.decodeObject(Self.body("create-configmap.pb"))
        #expect(cm[path: "data", "color"]?.stringValue == "blue" && cm[path: "data", "size"]?.stringValue == "L")
    }

    @Test("what is decoded encodes back to a body that decodes the same; what the tables lack is not encoded")
    func encodeRoundTrip() throws {
        for name in ["create-namespace.pb", "create-deployment.pb", "create-service-clusterip.pb", "create-service-nodeport.pb", "create-configmap.pb"] {
            let decoded = try KubeProtobuf.decodeObject(Self.body(name))
            let encoded = try #require(KubeProtobuf.encodeObject(decoded), "\(name)")
            #expect(try KubeProtobuf.decodeObject(encoded) == decoded, "\(name)")
        }
        let stored: JSON = [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": [
                "name": "demo", "uid": "u", "resourceVersion": "1001", "creationTimestamp": "2026-12-06T22:00:00Z",
                "labels": ["kubernetes.io/metadata.name": "demo"],
                "managedFields": [
                    [
                        "manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": "2026-12-06T22:00:00Z",
                        "fieldsType": "FieldsV1", "fieldsV1": ["f:metadata": ["f:labels": [".": [:]]]],
                    ]
                ],
            ],
            "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"],
        ]
        let pb = try #require(KubeProtobuf.encodeObject(stored))
        #expect(try KubeProtobuf.decodeObject(pb) == stored)
        var extra = stored
        extra["spec"] = ["finalizers": ["kubernetes"], "somethingNew": true]
        #expect(KubeProtobuf.encodeObject(extra) == nil, "a field outside the tables: answer JSON instead")
        #expect(KubeProtobuf.encodeObject(["apiVersion": "v1", "kind": "Secret"]) == nil)
    }

    @Test("malformed input is refused, never trapped on")
    func malformed() {
        let good = PB.envelope("v1", "Namespace", PB().msg(1, PB().str(1, "demo")))
        for cut in 0..<good.count {
            // Every truncation is either refused or decodes to something; none traps.
            _ = try? KubeProtobuf.decodeObject(Array(good.prefix(cut)))
        }
        #expect(throws: KubeProtobufError.self) { try KubeProtobuf.decodeObject(Array("{\"kind\":\"Namespace\"}".utf8)) }
        // A length running past the end of the message.
        #expect(throws: KubeProtobufError.self) { try KubeProtobuf.decodeObject(KubeProtobuf.magic + [0x12, 0x7F, 0x01]) }
        // An 11-byte varint.
        #expect(throws: KubeProtobufError.self) {
            try KubeProtobuf.decodeObject(KubeProtobuf.magic + [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01])
        }
        // Deep nesting: the tables are acyclic (so decoding depth is bounded by them, and the
        // 32-level guard is a second line), and a field they do not describe is not descended
        // into: 100 levels under an undescribed field are refused at the first level.
        var deep = PB().str(1, "x")
        for _ in 0..<100 { deep = PB().msg(2, deep) }
        #expect(throws: KubeProtobufError.self) { try KubeProtobuf.decodeObject(PB.envelope("v1", "Namespace", deep)) }
    }

    @Test("a set field the tables do not describe is unsupported (415), not dropped; unknown kinds too")
    func unsupported() {
        let withAffinity = PB().msg(1, PB().str(1, "p")).msg(2, PB().msg(18, PB().msg(1, PB().str(1, "x"))))
        #expect {
            try KubeProtobuf.decodeObject(PB.envelope("v1", "Pod", withAffinity))
        } throws: { e in
            if case .unsupported(let m) = e as? KubeProtobufError { return m.contains("field 18 of PodSpec") }
            return false
        }
        #expect {
            try KubeProtobuf.decodeObject(PB.envelope("v1", "Secret", PB()))
        } throws: { e in
            if case .unsupported = e as? KubeProtobufError { return true }
            return false
        }
    }

    @Test("the SelfSubjectAccessReview envelope still reads through the same wire reader")
    func wire() throws {
        let f = try ProtobufWire.fields(PB().str(1, "a").int(2, 7).bytes[...])
        #expect(f.count == 2 && f[1].number == 2)
    }
}
