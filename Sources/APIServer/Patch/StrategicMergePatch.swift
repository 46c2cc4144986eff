// Strategic merge patch, the patch type kubectl's client-side apply and `kubectl patch`
// (default `--type=strategic`) send for built-in kinds. The real API server answers 415 for
// CRDs; callers check `PatchStrategies.knows(kind:)` for that.
//
// Semantics follow k8s.io/apimachinery/pkg/util/strategicpatch:
// - maps merge recursively; `null` deletes a key;
// - lists with a merge key merge element-wise by that key; `{"$patch":"delete", <key>}` removes
//   an element; an element `{"$patch":"replace"}` makes the list replace the original;
// - set lists (finalizers) take the union; `$deleteFromPrimitiveList/<list>` removes values;
// - `$setElementOrder/<list>` orders the merged list;
// - `$retainKeys: [...]` on a map drops every original key not listed;
// - `$patch: replace` on a map replaces it, `$patch: delete` empties it;
// - every other list is replaced.
// No `$` directive survives into the result.
//
// Deliberate simplification: with `$setElementOrder`, elements the order list does not
// mention (items only the server had) go after the ordered ones in their previous order;
// upstream interleaves them by their original positions. Client-side apply lists every item
// it knows, so only items added by another writer move, and only within the list.

import KubeCore

public struct StrategicMergePatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// 400 for a patch that is not a JSON object, 422 (Invalid) for bad directives, as the
    /// apiserver's interpretStrategicMergePatchError maps them.
    public let httpStatus: Int
    public var description: String { message }
}

/// Applies a strategic merge patch to `original` (an object of `kind`).
public func applyStrategicMergePatch(
    _ patch: JSON, to original: JSON, kind: String?, strategies: PatchStrategies = .builtIn
) throws(StrategicMergePatchError) -> JSON {
    guard case .object(let p) = patch else {
        throw StrategicMergePatchError(message: "unable to find api field in struct for the patch: the patch is not a JSON object", httpStatus: 400)
    }
    let o = original.objectValue ?? JSONObject()
    var m = StrategicMerger(kind: kind, strategies: strategies)
    return .object(try m.mergeMap(o, p, path: []))
}

private let patchDirective = "$patch"
private let retainKeysDirective = "$retainKeys"
private let setElementOrderPrefix = "$setElementOrder/"
private let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"

struct StrategicMerger {
    let kind: String?
    let strategies: PatchStrategies

    func fail(_ m: String) -> StrategicMergePatchError { StrategicMergePatchError(message: m, httpStatus: 422) }

    mutating func mergeMap(_ original: JSONObject, _ patch: JSONObject, path: [String]) throws(StrategicMergePatchError) -> JSONObject {
        var patch = patch
        if let d = patch.removeValue(forKey: patchDirective) {
            switch d.stringValue {
            case "replace":
                // The patch is the whole new map; directives below it still have meaning.
                return try mergeMap(JSONObject(), patch, path: path)
            case "delete":
                return JSONObject()
            case "merge":
                break
            default:
                throw fail("Unknown patch type: \(d.stringValue ?? d.compactString) in map: \(JSON.object(patch).compactString)")
            }
        }
        var result = original
        if let retain = patch.removeValue(forKey: retainKeysDirective) {
            guard case .array(let keys) = retain else { throw fail("$retainKeys must be a list of strings") }
            let keep = Set(keys.compactMap(\.stringValue))
            // Upstream rejects a patch that sets a key it does not also retain.
            for (k, v) in patch where !k.hasPrefix("$") && !v.isNull && !keep.contains(k) {
                throw fail("The patch content doesn't match retainKeys list: \(k) is not in \(keys.compactMap(\.stringValue))")
            }
            for k in result.keys where !keep.contains(k) { _ = result.removeValue(forKey: k) }
        }
        var orders: [(String, [JSON])] = []
        for (k, v) in patch where k.hasPrefix("$") {
            if k.hasPrefix(deleteFromPrimitiveListPrefix) {
                let list = String(k.dropFirst(deleteFromPrimitiveListPrefix.count))
                guard case .array(let drop) = v else { throw fail("\(k) must be a list") }
                if case .array(let items) = result[list] {
                    result[list] = .array(items.filter { !drop.contains($0) })
                }
            } else if k.hasPrefix(setElementOrderPrefix) {
                guard case .array(let order) = v else { throw fail("\(k) must be a list") }
                orders.append((String(k.dropFirst(setElementOrderPrefix.count)), order))
            } else {
                throw fail("unknown directive \(k)")
            }
        }
        for (k, pv) in patch where !k.hasPrefix("$") {
            let childPath = path + [k]
            switch pv {
            case .null:
                _ = result.removeValue(forKey: k)
            case .object(let po):
                let oo = result[k]?.objectValue ?? JSONObject()
                result[k] = .object(try mergeMap(oo, po, path: childPath))
            case .array(let pa):
                let oa = result[k]?.arrayValue ?? []
                result[k] = .array(try mergeList(oa, pa, path: childPath))
            default:
                result[k] = pv
            }
        }
        for (list, order) in orders {
            guard case .array(let items) = result[list] else { continue }
            result[list] = .array(reorder(items, by: order, path: path + [list]))
        }
        return result
    }

    mutating func mergeList(_ original: [JSON], _ patch: [JSON], path: [String]) throws(StrategicMergePatchError) -> [JSON] {
        let strategy = strategies.listStrategy(kind: kind, path: path)
        let replaceAll = patch.contains { $0.objectValue?[patchDirective]?.stringValue == "replace" }
        if replaceAll || strategy == .atomic {
            var out: [JSON] = []
            for item in patch {
                if case .object(var o) = item {
                    if let d = o[patchDirective]?.stringValue, d == "replace" || d == "delete" {
                        _ = o.removeValue(forKey: patchDirective)
                        if d == "replace" && o.isEmpty { continue }
                        if d == "delete" { continue }
                    }
                    out.append(.object(try mergeMap(JSONObject(), o, path: path)))
                } else {
                    out.append(item)
                }
            }
            return out
        }
        switch strategy {
        case .atomic:
            return patch
        case .set:
            var out = original
            for item in patch where !out.contains(item) { out.append(item) }
            return out
        case .map(let keys):
            var out = original
            for item in patch {
                guard case .object(var po) = item else {
                    throw fail("merging an object in json but data type is not map, merge key: \(keys.joined(separator: ","))")
                }
                let directive = po.removeValue(forKey: patchDirective)
                for key in keys.prefix(1) where po[key] == nil {
                    throw fail("map: \(item.compactString) does not contain declared merge key: \(key)")
                }
                if directive?.stringValue == "delete" {
                    out.removeAll { matches($0, po, keys: keys) }
                    continue
                }
                if let directive, directive.stringValue != "merge" {
                    throw fail("Unknown patch type: \(directive.stringValue ?? directive.compactString) in map: \(item.compactString)")
                }
                if let i = out.firstIndex(where: { matches($0, po, keys: keys) }) {
                    out[i] = .object(try mergeMap(out[i].objectValue ?? JSONObject(), po, path: path))
                } else {
                    out.append(.object(try mergeMap(JSONObject(), po, path: path)))
                }
            }
            return out
        }
    }

    func matches(_ element: JSON, _ patchElement: JSONObject, keys: [String]) -> Bool {
        guard case .object(let e) = element else { return false }
        for k in keys {
            // Secondary keys the patch omits do not discriminate (a port without protocol).
            guard let pv = patchElement[k] else { continue }
            if e[k] != pv { return false }
        }
        return true
    }

    func reorder(_ items: [JSON], by order: [JSON], path: [String]) -> [JSON] {
        let strategy = strategies.listStrategy(kind: kind, path: path)
        var remaining = items
        var out: [JSON] = []
        for o in order {
            let idx: Int?
            if case .map(let keys) = strategy, case .object(let oo) = o {
                idx = remaining.firstIndex { matches($0, oo, keys: keys) }
            } else {
                idx = remaining.firstIndex(of: o)
            }
            if let idx { out.append(remaining.remove(at: idx)) }
        }
        return out + remaining
    }
}
