import Foundation
import Kube
import KubeCore
import Mesh
import SMI
import Testing

@testable import App

/// Issue 14 item 10: names from watched objects (or a restored session file) are escaped
/// when spliced into a request path, so they cannot add segments, a query or a fragment.
@Test func splitPathsEscapeEveryPart() {
    let ref = SplitRef(namespace: "a/../../api", name: "../secrets?watch=1#x", apiVersion: "split.smi-spec.io/v1alpha2")
    #expect(ref.path == "/apis/split.smi-spec.io/v1alpha2/namespaces/a%2F..%2F..%2Fapi/trafficsplits/..%2Fsecrets%3Fwatch%3D1%23x")
    #expect(
        SplitRef(namespace: "shop", name: "books", apiVersion: "split.smi-spec.io/v1alpha4").path
            == "/apis/split.smi-spec.io/v1alpha4/namespaces/shop/trafficsplits/books")
}
