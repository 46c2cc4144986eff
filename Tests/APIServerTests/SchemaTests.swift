import APIServer
import Foundation
import KubeCore
import Testing

private func j(_ s: String) -> JSON {
    do { return try JSON.parse(s) } catch { fatalError("bad test JSON: \(s): \(error)") }
}

/// The real CRDs from smi-sdk-go, loaded as the simulator will load them.
private func crd(_ relative: String, name: String) throws -> JSON {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/smi/crds/smi-sdk-go/")
    let text = try String(contentsOfFile: fixtures.path + "/" + relative, encoding: .utf8)
    for doc in text.components(separatedBy: "\n---") {
        let v = try JSON.parseYAML(doc)
        if v[path: "metadata", "name"]?.stringValue == name { return v }
    }
    Issue.record("no CRD \(name) in \(relative)")
    return .null
}

private func splitSchema() throws -> JSON {
    let c = try crd("main/split.yaml", name: "trafficsplits.split.smi-spec.io")
    return try #require(crdSchema(c, version: "v1alpha4"))
}

private func split(_ spec: String) -> JSON {
    j(#"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"bad","namespace":"demo"},"spec":\#(spec)}"#)
}

@Suite struct SchemaTests {
    @Test func validSplitPasses() throws {
        let r = validate(
            split(#"{"service":"web","backends":[{"service":"v1","weight":90},{"service":"v2","weight":10.5}]}"#), schema: try splitSchema(),
            fieldValidation: .strict)
        #expect(r.isValid)
        #expect(r.errors.isEmpty && r.unknownFields.isEmpty)
    }

    @Test func missingServiceIsRequiredValue() throws {
        let r = validate(split(#"{"backends":[]}"#), schema: try splitSchema(), fieldValidation: .strict)
        #expect(r.errors == [FieldError(reason: "FieldValueRequired", field: "spec.service", message: "Required value")])
        #expect(r.causes == [j(#"{"reason":"FieldValueRequired","message":"Required value","field":"spec.service"}"#)])
        #expect(
            invalidStatusMessage(kind: "TrafficSplit", group: "split.smi-spec.io", name: "bad", errors: r.errors)
                == #"TrafficSplit.split.smi-spec.io "bad" is invalid: spec.service: Required value"#)
    }

    @Test func stringWeightIsTypeInvalid() throws {
        let r = validate(split(#"{"service":"web","backends":[{"service":"v1","weight":"string"}]}"#), schema: try splitSchema(), fieldValidation: .strict)
        #expect(r.errors.count == 1)
        #expect(r.errors.first?.reason == "FieldValueTypeInvalid")
        #expect(r.errors.first?.field == "spec.backends[0].weight")
        #expect(r.errors.first?.message == #"Invalid value: "string": spec.backends[0].weight in body must be of type number: "string""#)
    }

    @Test func enumIsNotSupported() throws {
        let r = validate(split(#"{"service":"web","backends":[],"matches":[{"kind":"X","name":"r"}]}"#), schema: try splitSchema(), fieldValidation: .strict)
        #expect(
            r.errors == [
                FieldError(
                    reason: "FieldValueNotSupported", field: "spec.matches[0].kind", message: #"Unsupported value: "X": supported values: "HTTPRouteGroup""#)
            ])
    }

    @Test func severalErrorsInBrackets() throws {
        let r = validate(split(#"{"backends":[{"weight":true}]}"#), schema: try splitSchema(), fieldValidation: .ignore)
        #expect(Set(r.errors.map(\.field)) == ["spec.service", "spec.backends[0].service", "spec.backends[0].weight"])
        let msg = invalidStatusMessage(kind: "TrafficSplit", group: "split.smi-spec.io", name: "bad", errors: r.errors)
        #expect(msg.hasPrefix(#"TrafficSplit.split.smi-spec.io "bad" is invalid: ["#) && msg.hasSuffix("]"))
        let status = invalidStatus(kind: "TrafficSplit", group: "split.smi-spec.io", name: "bad", errors: r.errors)
        #expect(status["code"] == 422)
        #expect(status[path: "details", "causes"]?.arrayValue?.count == 3)
    }

    @Test func unknownFieldsPerDirective() throws {
        let obj = split(#"{"service":"web","bogus":1,"backends":[{"service":"v1","weight":1,"extra":"x"}]}"#)
        let schema = try splitSchema()
        let strict = validate(obj, schema: schema, fieldValidation: .strict)
        #expect(strict.unknownFields == ["spec.backends[0].extra", "spec.bogus"])
        #expect(strict.strictDecodingError == #"strict decoding error: unknown field "spec.backends[0].extra", unknown field "spec.bogus""#)
        #expect(!strict.isValid)
        #expect(
            strictDecodingStatusMessage(kind: "TrafficSplit", version: "v1alpha4", error: "strict decoding error: unknown field \"spec.bogus\"")
                == #"TrafficSplit in version "v1alpha4" cannot be handled as a TrafficSplit: strict decoding error: unknown field "spec.bogus""#)
        let warn = validate(obj, schema: schema, fieldValidation: .warn)
        #expect(warn.strictDecodingError == nil && warn.isValid)
        #expect(warn.warnings == [#"unknown field "spec.backends[0].extra""#, #"unknown field "spec.bogus""#])
        let ignore = validate(obj, schema: schema, fieldValidation: .ignore)
        #expect(ignore.warnings.isEmpty && ignore.isValid)
        // Every directive stores the pruned object.
        for r in [strict, warn, ignore] {
            #expect(r.pruned[path: "spec", "bogus"] == nil)
            #expect(r.pruned[path: "spec", "backends"]?[0] == j(#"{"service":"v1","weight":1}"#))
            #expect(r.pruned["kind"] == "TrafficSplit")
            #expect(r.pruned[path: "metadata", "name"] == "bad")
        }
    }

    @Test func metadataIsNotSchemaValidatedButUnknownMetaFieldsArePruned() throws {
        var obj = split(#"{"service":"web","backends":[]}"#)
        obj["metadata"] = j(#"{"name":"ok","labels":{"a":"b"},"annotations":{"x":"y"},"bogusMeta":1}"#)
        obj["status"] = j(#"{"x":1}"#)
        let r = validate(obj, schema: try splitSchema(), fieldValidation: .warn)
        #expect(r.errors.isEmpty)
        #expect(r.unknownFields == ["metadata.bogusMeta", "status"])
        #expect(r.pruned[path: "metadata", "labels"] == j(#"{"a":"b"}"#))
        #expect(r.pruned["status"] == nil)
    }

    @Test func schemaKeywords() {
        let schema = j(
            #"""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "count":{"type":"integer"},
              "ratio":{"type":"number"},
              "port":{"x-kubernetes-int-or-string":true},
              "opt":{"type":"string","nullable":true},
              "req":{"type":"string"},
              "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
              "tags":{"type":"object","additionalProperties":{"type":"string"}},
              "flags":{"type":"array","items":{"type":"boolean"}}}}}}
            """#)
        func errs(_ spec: String) -> [String] {
            validate(j(#"{"apiVersion":"x/v1","kind":"X","metadata":{"name":"a"},"spec":\#(spec)}"#), schema: schema, fieldValidation: .strict).errors.map(
                \.description)
        }
        #expect(errs(#"{"count":3,"ratio":3,"port":"http","opt":null,"free":{"a":{"b":1}},"tags":{"k":"v"},"flags":[true]}"#) == [])
        #expect(errs(#"{"count":1.5}"#) == [#"spec.count: Invalid value: "number": spec.count in body must be of type integer: "number""#])
        #expect(errs(#"{"port":8080}"#) == [])
        #expect(errs(#"{"port":true}"#) == [#"spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean""#])
        #expect(errs(#"{"req":null}"#) == [#"spec.req: Invalid value: "null": spec.req in body must be of type string: "null""#])
        #expect(errs(#"{"tags":{"k":1}}"#) == [#"spec.tags.k: Invalid value: "integer": spec.tags.k in body must be of type string: "integer""#])
        #expect(errs(#"{"flags":[true,"no"]}"#) == [#"spec.flags[1]: Invalid value: "string": spec.flags[1] in body must be of type boolean: "string""#])
        let kept = validate(j(#"{"kind":"X","spec":{"free":{"a":{"b":1}}}}"#), schema: schema, fieldValidation: .strict)
        #expect(kept.unknownFields.isEmpty)
        #expect(kept.pruned[path: "spec", "free", "a", "b"] == 1)
    }

    @Test func everyRealCRDParsesAndValidatesItsExamples() throws {
        // HTTPRouteGroup with methods enum and header maps (additionalProperties).
        let htr = try crd("main/httproutegroup.yaml", name: "httproutegroups.specs.smi-spec.io")
        let schema = try #require(crdSchema(htr, version: "v1alpha4"))
        let good = j(
            #"{"apiVersion":"specs.smi-spec.io/v1alpha4","kind":"HTTPRouteGroup","metadata":{"name":"r"},"spec":{"matches":[{"name":"m","methods":["GET","*"],"headers":[{"x-user":"a"}]}]}}"#
        )
        #expect(validate(good, schema: schema, fieldValidation: .strict).isValid)
        var bad = good
        bad["spec"] = j(#"{"matches":[{"name":"m","methods":["FETCH"]}]}"#)
        let r = validate(bad, schema: schema, fieldValidation: .strict)
        #expect(r.errors.first?.field == "spec.matches[0].methods[0]")
        #expect(r.errors.first?.reason == "FieldValueNotSupported")
        #expect(r.errors.first?.message.hasPrefix(#"Unsupported value: "FETCH": supported values: "*", "GET", "HEAD""#) == true)
    }

    @Test func v1beta1CRDsPreserveUnknownFieldsAndOldSchemasLoad() throws {
        let old = try crd("v0.4.1/split.yaml", name: "trafficsplits.split.smi-spec.io")
        #expect(crdPreservesUnknownFields(old))
        let schema = try #require(crdSchema(old, version: "v1alpha3"))
        let obj = j(
            #"{"apiVersion":"split.smi-spec.io/v1alpha3","kind":"TrafficSplit","metadata":{"name":"a"},"spec":{"service":"web","backends":[{"service":"v1","weight":1}],"bogus":true}}"#
        )
        let r = validate(obj, schema: schema, fieldValidation: .strict, preserveUnknownFields: true)
        #expect(r.isValid && r.unknownFields.isEmpty)
        #expect(r.pruned[path: "spec", "bogus"] == true)
        // v1alpha1 splits declare no schema: nothing to validate.
        let v1 = try crd("v0.1.0/split.yaml", name: "trafficsplits.split.smi-spec.io")
        #expect(crdSchema(v1, version: "v1alpha1") == nil)
        #expect(!crdPreservesUnknownFields(try crd("main/split.yaml", name: "trafficsplits.split.smi-spec.io")))
    }

    @Test func fieldValidationQueryParameter() {
        #expect(FieldValidation(query: "Strict") == .strict)
        #expect(FieldValidation(query: nil) == .warn)
        #expect(FieldValidation(query: "Ignore") == .ignore)
        #expect(FieldValidation(query: "Loose") == nil)
    }
}

@Suite struct ObjectMetaValidationTests {
    @Test func nameRules() {
        #expect(validateObjectMeta(j(#"{"name":"web-split","namespace":"demo"}"#), namespaced: true).isEmpty)
        #expect(
            validateObjectMeta(j(#"{"namespace":"demo"}"#), namespaced: true)
                == [FieldError(reason: "FieldValueRequired", field: "metadata.name", message: "Required value: name or generateName is required")])
        #expect(validateObjectMeta(j(#"{"generateName":"web-","namespace":"demo"}"#), namespaced: true).isEmpty)
        let bad = validateObjectMeta(j(#"{"name":"Bad_Name","namespace":"demo"}"#), namespaced: true)
        #expect(
            bad == [
                FieldError(
                    reason: "FieldValueInvalid", field: "metadata.name",
                    message:
                        #"Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#
                )
            ])
        let long = String(repeating: "a", count: 254)
        #expect(
            validateObjectMeta(.object(JSONObject([("name", .string(long)), ("namespace", "d")])), namespaced: true).map(\.message)
                == [#"Invalid value: "\#(long)": must be no more than 253 characters"#])
        #expect(
            validateObjectMeta(j(#"{"name":"a.b"}"#), namespaced: false, nameRule: .dns1123Label).map(\.message) == [
                #"Invalid value: "a.b": must not contain dots"#
            ])
        #expect(validateObjectMeta(j(#"{"name":"1svc","namespace":"d"}"#), namespaced: true, nameRule: .dns1035Label).count == 1)
    }

    @Test func namespaceRules() {
        #expect(
            validateObjectMeta(j(#"{"name":"a"}"#), namespaced: true) == [
                FieldError(reason: "FieldValueRequired", field: "metadata.namespace", message: "Required value")
            ])
        #expect(
            validateObjectMeta(j(#"{"name":"a","namespace":"Demo"}"#), namespaced: true).map(\.message)
                == [
                    #"Invalid value: "Demo": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#
                ])
        #expect(validateObjectMeta(j(#"{"name":"a","namespace":"x"}"#), namespaced: false).map(\.reason) == ["FieldValueForbidden"])
    }

    @Test func labelRules() {
        #expect(validateObjectMeta(j(#"{"name":"a","namespace":"d","labels":{"app.kubernetes.io/name":"web","v":""}}"#), namespaced: true).isEmpty)
        let badValue = validateObjectMeta(j(#"{"name":"a","namespace":"d","labels":{"app":"-web"}}"#), namespaced: true)
        #expect(
            badValue == [
                FieldError(
                    reason: "FieldValueInvalid", field: "metadata.labels",
                    message:
                        #"Invalid value: "-web": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#
                )
            ])
        let badKey = validateObjectMeta(j(#"{"name":"a","namespace":"d","labels":{"Bad Prefix/x":"v","/y":"v"}}"#), namespaced: true)
        #expect(badKey.count == 2)
        #expect(badKey.allSatisfy { $0.field == "metadata.labels" && $0.message.contains("prefix part") })
    }
}
