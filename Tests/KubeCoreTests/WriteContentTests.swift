import KubeCore
import Testing

/// When a weight write may compute itself again after a 409 (`WriteContent.onlyStatusMoved`):
/// only when nothing it carries or warned about changed.
@Suite("what a write's precondition protects")
struct WriteContentTests {
    let read: JSON = [
        "metadata": [
            "name": "books", "namespace": "bookstore", "resourceVersion": "10", "generation": 2,
            "labels": ["app": "books"], "annotations": ["note": "x"],
            "managedFields": [["manager": "kubectl", "operation": "Update"]],
        ],
        "spec": ["rules": [["backendRefs": [["name": "books-v1", "weight": 80], ["name": "books-v2", "weight": 20]]]]],
        "status": ["parents": [["conditions": [["type": "Accepted", "status": "True", "lastTransitionTime": "2026-12-07T10:00:00Z"]]]]],
    ]

    func changed(_ path: [String], _ value: JSON) -> JSON {
        var o = read
        func set(_ j: JSON, _ p: ArraySlice<String>) -> JSON {
            guard let k = p.first else { return value }
            var j = j
            j[k] = set(j[k] ?? .emptyObject, p.dropFirst())
            return j
        }
        o = set(o, path[...])
        return o
    }

    @Test("status, resourceVersion and managedFields moving is no one's edit")
    func statusOnly() {
        #expect(WriteContent.onlyStatusMoved(from: read, to: read))
        #expect(WriteContent.onlyStatusMoved(from: read, to: changed(["metadata", "resourceVersion"], "11")))
        #expect(WriteContent.onlyStatusMoved(from: read, to: changed(["status", "parents"], .array([]))))
        #expect(WriteContent.onlyStatusMoved(from: read, to: changed(["metadata", "managedFields"], [["manager": "istio"]])))
    }

    @Test(
        "a change to the spec, the labels, annotations, owners or a deletion is someone's",
        arguments: [
            ["spec", "rules"], ["spec", "hostnames"], ["metadata", "labels"], ["metadata", "annotations"],
            ["metadata", "ownerReferences"], ["metadata", "deletionTimestamp"],
        ])
    func someoneElses(_ path: [String]) {
        #expect(!WriteContent.onlyStatusMoved(from: read, to: changed(path, "changed")))
    }
}
