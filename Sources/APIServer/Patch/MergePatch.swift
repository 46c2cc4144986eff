// JSON Merge Patch (RFC 7386). This is what `kubectl patch --type=merge`, the Python client's
// default patch and smitop's own split edits send. Arrays are values, never merged: a patch
// carrying `backends` replaces the whole list, which is why smitop always sends all of them.

import KubeCore

/// Applies `patch` to `target` as RFC 7386 section 2 describes.
public func applyMergePatch(_ patch: JSON, to target: JSON) -> JSON {
    guard case .object(let p) = patch else { return patch }
    var result: JSONObject
    if case .object(let t) = target { result = t } else { result = JSONObject() }
    for (key, value) in p {
        if case .null = value {
            _ = result.removeValue(forKey: key)
        } else {
            result[key] = applyMergePatch(value, to: result[key] ?? .null)
        }
    }
    return .object(result)
}

/// The smallest merge patch that turns `original` into `modified`: changed keys only, `null`
/// for removed keys, arrays and scalars whole. When `modified` is not an object (or the root
/// changes type) the patch is `modified` itself.
///
/// One case RFC 7386 cannot express: a `null` *value* inside an object in `modified` (merge
/// patch reads null as "delete"). Such keys come out as deletions, as with every other
/// implementation, including Kubernetes' own `CreateMergePatch`.
public func createMergePatch(from original: JSON, to modified: JSON) -> JSON {
    guard case .object(let o) = original, case .object(let m) = modified else { return modified }
    var patch = JSONObject()
    for (key, _) in o where m[key] == nil {
        patch[key] = .null
    }
    for (key, newValue) in m {
        guard let oldValue = o[key] else {
            patch[key] = newValue
            continue
        }
        if oldValue == newValue { continue }
        if case .object = oldValue, case .object = newValue {
            let sub = createMergePatch(from: oldValue, to: newValue)
            if case .object(let s) = sub, s.isEmpty { continue }
            patch[key] = sub
        } else {
            patch[key] = newValue
        }
    }
    return .object(patch)
}
