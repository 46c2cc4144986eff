import Foundation
import KubeCore
import SMI
import Testing

@testable import Kube

@Suite struct StatusTests {
    func response(_ status: Int, _ body: String, contentType: String = "application/json", headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", contentType)] + headers, body: Array(body.utf8))
    }

    @Test func notFoundFromKubectlDoc() {
        let body =
            #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"trafficsplits.split.smi-spec.io \"nope\" not found","reason":"NotFound","details":{"name":"nope","group":"split.smi-spec.io","kind":"trafficsplits"},"code":404}"#
        let e = KubeError.fromResponse(response(404, body))
        #expect(e.source == .status)
        #expect(e.code == 404)
        #expect(e.reason == "NotFound")
        #expect(e.isNotFound)
        #expect(e.details?.name == "nope")
        #expect(e.details?.group == "split.smi-spec.io")
        #expect(e.userMessage == #"Error from server (NotFound): trafficsplits.split.smi-spec.io "nope" not found"#)
    }

    @Test func invalidIsRebuiltFromCauses() {
        let body =
            #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"TrafficSplit.split.smi-spec.io \"bad\" is invalid: spec.service: Required value","reason":"Invalid","details":{"name":"bad","group":"split.smi-spec.io","kind":"TrafficSplit","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec.service"}]},"code":422}"#
        let e = KubeError.fromResponse(response(422, body))
        #expect(e.isInvalid)
        #expect(e.details?.causes == [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.service")])
        #expect(e.userMessage == #"The TrafficSplit "bad" is invalid: spec.service: Required value"#)
    }

    @Test func conflictAlreadyExistsAndUnauthorized() {
        let conflict = KubeError.fromResponse(
            response(
                409,
                #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Operation cannot be fulfilled on trafficsplits.split.smi-spec.io \"web\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","code":409}"#
            ))
        #expect(conflict.isConflict && !conflict.isAlreadyExists)
        let exists = KubeError.fromResponse(
            response(
                409,
                #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"trafficsplits.split.smi-spec.io \"canary\" already exists","reason":"AlreadyExists","code":409}"#
            ))
        #expect(exists.isAlreadyExists && !exists.isConflict)
        let unauth = KubeError.fromResponse(
            response(401, #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#))
        #expect(unauth.userMessage == "You must be logged in to the server (Unauthorized)")
    }

    @Test func tooManyRequestsRetryAfter() {
        let body =
            #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429}"#
        let e = KubeError.fromResponse(response(429, body, headers: [HTTPHeader("Retry-After", "7")]))
        #expect(e.isTooManyRequests)
        #expect(e.retryAfterSeconds == 7)
        let onlyDetails = KubeError.fromResponse(response(429, body))
        #expect(onlyDetails.retryAfterSeconds == 3)
    }

    @Test func retryAfterForms() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(KubeError.parseRetryAfter("5", now: now) == 5)
        #expect(KubeError.parseRetryAfter(" 0 ", now: now) == 0)
        #expect(KubeError.parseRetryAfter("-3", now: now) == nil)
        #expect(KubeError.parseRetryAfter("soon", now: now) == nil)
        #expect(KubeError.parseRetryAfter(nil, now: now) == nil)
        // 2023-11-14T22:13:20Z is the epoch above; 30 s later:
        #expect(KubeError.parseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", now: now) == 30)
    }

    @Test func htmlFromAProxyIsSummarised() {
        let html = "<html><head><title>502 Bad Gateway</title></head><body>" + String(repeating: "x", count: 100_000) + "</body></html>"
        let e = KubeError.fromResponse(response(502, html, contentType: "text/html"))
        #expect(e.source == .httpBody)
        #expect(e.message.contains("HTML page"))
        #expect(e.message.contains("502 Bad Gateway"))
        #expect(e.userMessage.count < 300)
    }

    @Test func plainTextGarbageTruncatedAndEmpty() {
        let text = KubeError.fromResponse(response(404, "404 page not found\nmore lines", contentType: "text/plain"))
        #expect(text.message == "404 page not found")
        #expect(text.reason == "NotFound")
        #expect(text.userMessage.contains("the server could not find the requested resource"))

        var garbage: [UInt8] = (0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 128) }
        garbage[0] = 0xFF
        let g = KubeError.fromResponse(HTTPResponse(status: 500, headers: [HTTPHeader("Content-Type", "application/octet-stream")], body: garbage))
        #expect(g.message.contains("non-text"))
        #expect(g.message.contains("2000 bytes"))

        let truncated = KubeError.fromResponse(response(500, #"{"kind":"Status","apiVersion":"v1","mess"#))
        #expect(truncated.message.contains("truncated"))

        let empty = KubeError.fromResponse(response(503, ""))
        #expect(empty.message == "empty response body")
        #expect(empty.reason == "ServiceUnavailable")

        // smi-metrics: backend failure as a JSON string.
        let metrics = KubeError.fromResponse(response(500, #""error querying prometheus""#))
        #expect(metrics.message == "error querying prometheus")
    }

    @Test func hugeMessagesAndControlCharactersAreTamed() {
        let msg = "evil\u{1B}[2J\u{202E}text " + String(repeating: "a", count: 10_000)
        let body = JSON.object(JSONObject([("kind", "Status"), ("status", "Failure"), ("message", .string(msg)), ("code", 500)]))
        let e = KubeError.fromResponse(HTTPResponse(status: 500, body: body.serialized()))
        #expect(!e.message.contains("\u{1B}"))
        #expect(!e.message.contains("\u{202E}"))
        #expect(e.message.count <= 2001)
        #expect(e.reason == "InternalError")
    }

    @Test func errorsFromBelowGoThroughOnePlace() {
        let t = TransportError(kind: .couldNotConnect, message: "could not connect to 127.0.0.1:6443")
        #expect(KubeError.userMessage(for: t) == "could not connect to 127.0.0.1:6443")
        #expect(KubeError.userMessage(for: KubeError.config("kubeconfig /x: bad")) == "kubeconfig /x: bad")
    }

    @Test func objectMetaDecoding() throws {
        let obj = try JSON.parse(
            #"""
            {"metadata":{"name":"web","namespace":"demo","uid":"u1","resourceVersion":"1012","generation":3,
            "creationTimestamp":"2024-05-01T10:00:00Z","labels":{"app":"web","n":1},"annotations":{"a":"b"},
            "ownerReferences":[{"apiVersion":"flagger.app/v1beta1","kind":"Canary","name":"web","uid":"c1","controller":true}],
            "managedFields":[{"manager":"flagger","operation":"Update","apiVersion":"split.smi-spec.io/v1alpha4","time":"2024-05-01T10:00:01Z"}],
            "deletionTimestamp":"2024-05-02T00:00:00.5+02:00"}}
            """#)
        let m = ObjectMeta(object: obj)
        #expect(m.name == "web" && m.namespace == "demo" && m.uid == "u1" && m.resourceVersion == "1012")
        #expect(m.generation == 3)
        #expect(m.labels == ["app": "web"])
        #expect(m.controllerOwner?.kind == "Canary")
        #expect(m.managedFields.first?.manager == "flagger")
        #expect(m.ref.key == "demo/web")
        #expect(m.creationDate == Date(timeIntervalSince1970: 1_714_557_600))
        #expect(m.deletionDate == Date(timeIntervalSince1970: 1_714_600_800 + 0.5))
        #expect(KubeTime.format(Date(timeIntervalSince1970: 1_714_557_600)) == "2024-05-01T10:00:00Z")
        #expect(KubeTime.parse("yesterday") == nil)

        let list = try ObjectList(
            json: try JSON.parse(
                #"{"kind":"TrafficSplitList","metadata":{"resourceVersion":"9","continue":"abc","remainingItemCount":4},"items":[{"metadata":{"name":"a"}}]}"#))
        #expect(list.metadata == ListMeta(resourceVersion: "9", continueToken: "abc", remainingItemCount: 4))
        #expect(list.items.count == 1)
        #expect(throws: KubeError.self) { try ObjectList(json: try JSON.parse(#"{"message":"oops"}"#)) }
    }

    @Test func timestampsRoundTripOverRandomDates() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let t = Double(rng.next() % 8_000_000_000) - 2_000_000_000
            let d = Date(timeIntervalSince1970: t)
            #expect(KubeTime.parse(KubeTime.format(d)) == d)
        }
    }
}
