import Hummingbird
import KubeCore

// Reads: get and list (as JSON or as a Table), and how an object is presented to a client of
// a given version.

extension APIHandler {
    /// The object as a client of `version` sees it.
    func present(_ o: JSON, _ t: ResourceType, _ version: String) -> JSON {
        var x = o
        x["apiVersion"] = .string(t.apiVersion(version))
        return x
    }

    func presentBytes(_ so: StoredObject, _ t: ResourceType, _ version: String) -> [UInt8] {
        if version == t.storageVersion, !so.bytes.isEmpty { return so.bytes }
        return present(so.object, t, version).serialized()
    }

    func get(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        guard let so = sim.store.get(t, namespace: target.namespace ?? "", name: target.name!) else {
            throw APIError.notFound(t, target.name!)
        }
        if r.wantsTable {
            let table = Tables.table(
                for: t, version: target.version, objects: [present(so.object, t, target.version)], listRV: nil,
                continueToken: nil, remaining: nil, includeObject: r.query["includeObject"])
            return Self.json(table, contentType: "application/json;as=Table;v=v1;g=meta.k8s.io")
        }
        return Self.raw(presentBytes(so, t, target.version))
    }

    func selection(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Selection {
        var sel = Selection(namespace: target.type.namespaced ? target.namespace : nil)
        if let l = r.query["labelSelector"], !l.isEmpty { sel.labels = try LabelSelector(parsing: l) }
        if let f = r.query["fieldSelector"], !f.isEmpty { sel.fields = try FieldSelector(parsing: f, kind: target.type.kind) }
        return sel
    }

    func list(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        let sel = try selection(r, target)
        let limit = r.query["limit"].flatMap { Int($0) }
        let page = try sim.store.list(t, selection: sel, limit: limit, continueToken: r.query["continue"])
        if r.wantsTable {
            let table = Tables.table(
                for: t, version: target.version, objects: page.items.map { present($0.object, t, target.version) },
                listRV: page.rv, continueToken: page.continueToken, remaining: page.remaining,
                includeObject: r.query["includeObject"])
            return Self.json(table, contentType: "application/json;as=Table;v=v1;g=meta.k8s.io")
        }
        // Concatenate each object's cached bytes: a list of 10,000 splits is one copy.
        var out: [UInt8] = []
        out.reserveCapacity(page.items.reduce(256) { $0 + $1.bytes.count + 1 })
        out.append(contentsOf: #"{"apiVersion":"#.utf8)
        JSON.writeString(t.apiVersion(target.version), into: &out)
        out.append(contentsOf: #","items":["#.utf8)
        for (i, so) in page.items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: presentBytes(so, t, target.version))
        }
        out.append(contentsOf: #"],"kind":"#.utf8)
        JSON.writeString(t.listKind, into: &out)
        var meta = JSONObject()
        meta["resourceVersion"] = .string(String(page.rv))
        if let c = page.continueToken { meta["continue"] = .string(c) }
        if let rem = page.remaining { meta["remainingItemCount"] = .int(rem) }
        out.append(contentsOf: #","metadata":"#.utf8)
        JSON.object(meta).write(into: &out)
        out.append(UInt8(ascii: "}"))
        return Self.raw(out)
    }
}
