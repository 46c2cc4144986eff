// What must outlive the process: unsaved drafts and the journal of smitop's own writes (for
// undo). The runtime saves it after every change (so a crash or a lost terminal loses
// nothing) and offers it again at the next start in the same context, and on `:ctx` to it. This file is the pure
// part: state ⇄ JSON. Only drafts that differ from the server are kept.

import Kube
import KubeCore
import Mesh
import Ramp
import SMI

public struct SessionSnapshot: Sendable, Equatable {
    public var drafts: [SplitDraft]
    public var journal: [JournalEntry]
    /// Guarded ramps in progress (`RampMachine.snapshot`), by split: offered again at the
    /// next start, resumed only when the user says so.
    public var ramps: [SplitID: JSON]

    public init(drafts: [SplitDraft] = [], journal: [JournalEntry] = [], ramps: [SplitID: JSON] = [:]) {
        self.drafts = drafts
        self.journal = journal
        self.ramps = ramps
    }

    public var isEmpty: Bool { drafts.isEmpty && journal.isEmpty && ramps.isEmpty }

    /// The session key: the same context name pointing at another server is another cluster.
    public static func key(_ c: ContextInfo) -> String { "\(c.context)@\(c.server)" }

    public init(_ state: AppState) {
        drafts = state.splitEditor.drafts.values.filter(\.isDirty).sorted { $0.key < $1.key }
        journal = state.splitEditor.journal
        ramps = state.restoredRamps
        for (id, r) in state.ramps { if let j = r.machine.snapshot { ramps[id] = j } }
    }

    public var json: JSON {
        var ds: [JSON] = []
        for d in drafts {
            ds.append([
                // With its metadata: the stored split is slim, and a restored draft must still
                // warn that a controller will revert it.
                "split": .string(d.key.key), "base": d.base.encodeWithMetadata(),
                "weights": .array(d.working.backends.map(\.weight.literal)),
                "selected": .int(d.selected), "step": .int(d.step),
            ])
        }
        var js: [JSON] = []
        for e in journal {
            js.append([
                "split": .string(e.split.id.key), "namespace": .string(e.split.namespace), "name": .string(e.split.name),
                "apiVersion": .string(e.split.apiVersion),
                "before": .array(e.before.map { ["service": .string($0.service), "weight": $0.weight.literal] }),
                "after": .array(e.after.map { ["service": .string($0.service), "weight": $0.weight.literal] }),
                "resultingResourceVersion": e.resultingResourceVersion.map(JSON.string) ?? .null, "at": .double(e.at),
            ])
        }
        return [
            "drafts": .array(ds), "journal": .array(js),
            "ramps": .array(ramps.sorted { $0.key < $1.key }.map { ["split": .string($0.key.key), "ramp": $0.value] }),
        ]
    }

    /// Lenient: an entry that no longer decodes (a file from another version, a hand edit) is
    /// dropped, the rest restored. Names pass through the same sanitising as cluster data.
    public init(json: JSON) {
        drafts = []
        journal = []
        ramps = [:]
        // Checked again, against the split, when restored (`RampMachine(restoring:)`).
        for r in json["ramps"]?.arrayValue ?? [] {
            guard let id = r["split"]?.stringValue.flatMap({ SplitID(key: $0) }), let ramp = r["ramp"],
                ramp[path: "plan", "split"]?.stringValue == id.key
            else { continue }
            ramps[id] = ramp
        }
        for d in json["drafts"]?.arrayValue ?? [] {
            // Entries from before routes had no "split" key: they are TrafficSplits.
            guard var baseJSON = d["base"] else { continue }
            for k in ["name", "namespace"] {
                if let v = baseJSON[path: "metadata", k]?.stringValue {
                    baseJSON["metadata"]?[k] = .string(sanitizedForDisplay(v, limit: 253))
                }
            }
            let meta = ObjectMeta(object: baseJSON)
            let fallback = SplitID.trafficSplit(meta.namespace ?? "", meta.name)
            let id = d["split"]?.stringValue.flatMap { SplitID(key: $0) } ?? fallback
            guard id.ref == fallback.ref, let base = WeightedSplit.decode(baseJSON, as: id), let ws = d["weights"]?.arrayValue,
                ws.count == base.backends.count
            else { continue }
            var weights: [Weight] = []
            for w in ws { if let x = try? Weight(json: w) { weights.append(x) } }
            guard weights.count == ws.count else { continue }
            var draft = SplitDraft(split: base)
            draft.working = base.with(weights: weights)
            draft.selected = min(max(0, Int(d["selected"]?.intValue ?? 0)), max(0, base.backends.count - 1))
            if let st = d["step"]?.intValue, SplitDraft.steps.contains(Int(st)) { draft.step = Int(st) }
            draft.notice = "restored from your last session (not written yet)"
            if draft.isDirty { drafts.append(draft) }
        }
        for e in json["journal"]?.arrayValue ?? [] {
            func backends(_ j: JSON?) -> [Backend]? {
                guard let a = j?.arrayValue else { return nil }
                var out: [Backend] = []
                for b in a {
                    guard let s = b["service"]?.stringValue, let wj = b["weight"], let w = try? Weight(json: wj) else { return nil }
                    out.append(Backend(service: sanitizedForDisplay(s, limit: 253), weight: w))
                }
                return out
            }
            guard let ns = e["namespace"]?.stringValue, let name = e["name"]?.stringValue, let av = e["apiVersion"]?.stringValue,
                let before = backends(e["before"]), let after = backends(e["after"])
            else { continue }
            var id = SplitID.trafficSplit(sanitizedForDisplay(ns, limit: 253), sanitizedForDisplay(name, limit: 253))
            if let k = e["split"]?.stringValue.flatMap({ SplitID(key: $0) }) {
                guard k.ref == id.ref else { continue }
                id = k
            }
            journal.append(
                JournalEntry(
                    split: SplitRef(id: id, apiVersion: av),
                    before: before, after: after, resultingResourceVersion: e["resultingResourceVersion"]?.stringValue,
                    at: e["at"]?.doubleValue ?? 0))
        }
    }
}

extension SessionSnapshot {
    /// A three-way merge for two smitop processes sharing one context's entry: `self` is what
    /// this process holds now, `base` what it last read or wrote, `theirs` what the file holds
    /// now. A draft this process did not change since `base` is left as the file has it (the
    /// other process's edit, or its removal after a write); one it changed is ours. Journal
    /// entries the other process added are kept beside ours.
    public func merged(base: SessionSnapshot, theirs: SessionSnapshot) -> SessionSnapshot {
        var byKey: [SplitID: SplitDraft] = [:]
        for d in theirs.drafts { byKey[d.key] = d }
        let mine = Dictionary(drafts.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let old = Dictionary(base.drafts.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        for key in Set(mine.keys).union(old.keys) where mine[key] != old[key] { byKey[key] = mine[key] }
        func id(_ e: JournalEntry) -> String { "\(e.split.id.key)@\(e.resultingResourceVersion ?? "")#\(e.at)" }
        let known = Set((journal + base.journal).map(id))
        let added = theirs.journal.filter { !known.contains(id($0)) }
        // Ramps as drafts: ours where we changed them since base, the file's otherwise.
        var ramps = theirs.ramps
        for key in Set(self.ramps.keys).union(base.ramps.keys) where self.ramps[key] != base.ramps[key] { ramps[key] = self.ramps[key] }
        return SessionSnapshot(
            drafts: byKey.values.sorted { $0.key < $1.key }, journal: (journal + added).sorted { $0.at < $1.at }, ramps: ramps)
    }
}

extension AppState {
    /// Puts back what the last session left: drafts (reconciled with the server as soon as
    /// its objects arrive, like any draft) and the journal, so `u` still works.
    mutating func restoreSession(_ s: SessionSnapshot) {
        edit(.restored(s))
        for (id, j) in s.ramps where ramps[id] == nil { restoredRamps[id] = j }
        materializeRestoredRamps()
        guard !s.drafts.isEmpty else { return }
        let names = s.drafts.map(\.key.key).joined(separator: ", ")
        set("\(s.drafts.count) unsaved draft\(s.drafts.count == 1 ? "" : "s") from your last session: \(names) (:ts, then e to open)", .warning)
    }
}
