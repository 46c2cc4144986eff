import App
import KubeCore
import Mesh

/// The split editor's draft (working copy, server copy, theirs after a conflict, phase) and
/// whether writes are refused.
public struct SplitEditorModel {
    public var draft: SplitDraft?
    /// Why writes are refused, when they are.
    public var readOnlyReason: String?
    /// Each backend's share of the traffic seen (from the metrics), beside the configured one;
    /// empty or all nil when nothing is known.
    public var observed: [Double?]
    /// "ns/name" of the Linkerd ServiceProfile that decides instead of this route, if any.
    public var overriddenBy: String?
    /// What really decides when the profile was written by linkerd-smi: "TrafficSplit ns/name,
    /// through linkerd-smi" (the object to edit instead).
    public var decidedBy: String?

    public init(_ s: AppState) {
        draft = s.editor
        let profile = s.editor.flatMap { s.store.overridingProfile(of: $0.base) }
        overriddenBy = profile?.ref.key
        decidedBy = profile.flatMap { s.store.carriedSplit($0) }
        readOnlyReason = s.readOnly.isReadOnly ? s.readOnly.reason : nil
        observed = s.editor.map { s.observedShares($0.key) } ?? []
    }
}

/// The split editor dialog: backends with yours/share/server/theirs columns and weight bars,
/// the draft's status lines, and the review (diff) and controller-confirmation dialogs.
public struct SplitEditorView: Widget {
    public var model: SplitEditorModel
    public init(_ model: SplitEditorModel) { self.model = model }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard let d = model.draft, !rect.isEmpty else { return }
        let g = ctx.glyphs
        let title = "edit " + d.ref.description + " (" + d.working.apiVersion + ")"
        let inner = Widgets.box(
            &buf, rect, title: title, style: Style(.dialogBorder), titleStyle: Style(.dialogBorder, [.bold]), glyphs: g,
            fill: Style(.dialog))
        guard !inner.isEmpty else { return }
        let area = Rect(x: inner.x + 1, y: inner.y, width: max(0, inner.width - 2), height: inner.height)
        // Row 1 of the dialog: the column titles (SplitEditorLayout: backends start at row 2).
        let showTheirs = d.theirs != nil
        let nameW = max(8, min(24, d.working.backends.map { TextWidth.width($0.service) }.max() ?? 8))
        var head =
            "  " + TextWidth.pad("backend", to: nameW) + TextWidth.pad("yours", to: 8, align: .right)
            + TextWidth.pad("share", to: 7, align: .right) + TextWidth.pad("server", to: 8, align: .right)
        if showTheirs { head += TextWidth.pad("theirs", to: 8, align: .right) }
        // What the mesh really sends, next to what is configured: the number a canary operator
        // checks before and after a step.
        let observed = model.observed
        let showSeen = observed.contains { $0 != nil }
        if showSeen { head += TextWidth.pad("seen", to: 7, align: .right) }
        buf.write(head, x: area.x, y: area.y, style: Style(.tableHeader), clip: area)
        let shares = d.shares
        let baseByName = Dictionary(d.base.backends.map { ($0.service, $0.weight.description) }, uniquingKeysWith: { a, _ in a })
        let theirsByName = Dictionary((d.theirs?.backends ?? []).map { ($0.service, $0.weight.description) }, uniquingKeysWith: { a, _ in a })
        var y = rect.y + SplitEditorLayout.firstBackendRow
        for (i, b) in d.working.backends.enumerated() {
            guard y < area.maxY else { break }
            let sel = i == d.selected
            let server = baseByName[b.service] ?? "–"
            let changed = server != b.weight.description
            var text =
                (sel ? (g == .ascii ? "> " : "▸ ") : "  ") + TextWidth.pad(b.service, to: nameW)
                + TextWidth.pad(b.weight.description + (changed ? "*" : ""), to: 8, align: .right)
                + TextWidth.pad(i < shares.count ? shares[i]?.percentText(decimals: 1) ?? "–" : "–", to: 7, align: .right)
                + TextWidth.pad(server, to: 8, align: .right)
            if showTheirs { text += TextWidth.pad(theirsByName[b.service] ?? "gone", to: 8, align: .right) }
            if showSeen {
                let seen = i < observed.count ? observed[i].map { Fmt.fixed($0 * 100, 1) + "%" } ?? "–" : "–"
                text += TextWidth.pad(seen, to: 7, align: .right)
            }
            text += " "
            let st = sel ? Style(.selection) : Style(changed ? .weightDraft : .dialog)
            let x = buf.write(text, x: area.x, y: y, style: st, clip: area)
            let bw = area.maxX - x
            if bw > 0 {
                let bar = Widgets.weightBar(fraction: i < shares.count ? shares[i]?.doubleValue ?? 0 : 0, width: bw, glyphs: g)
                let x2 = buf.write(bar.filled, x: x, y: y, style: Style(changed ? .weightDraft : .weightBar), clip: area, ellipsis: false)
                buf.write(bar.empty, x: x2, y: y, style: Style(.muted), clip: area, ellipsis: false)
            }
            y += 1
        }
        func line(_ text: String, _ st: Style) {
            guard y < area.maxY else { return }
            buf.write(text, x: area.x, y: y, style: st, clip: area)
            y += 1
        }
        y += y < area.maxY ? 1 : 0
        line(
            "step \(d.step)% · " + (d.isDirty ? "draft differs from the server (unsaved)" : "draft = server")
                + " · rv " + (d.base.meta.resourceVersion ?? "?"), Style(d.isDirty ? .weightDraft : .dialog))
        // Traffic that strays from the server's weights (as the detail pane warns).
        let serverShares = d.base.analysis.shares
        for (i, b) in d.base.backends.enumerated() {
            guard i < serverShares.count, i < observed.count, let conf = serverShares[i]?.doubleValue, let seen = observed[i],
                abs(seen - conf) >= DetailView.driftWarning
            else { continue }
            line("! drift: " + b.service + " sees " + Fmt.fixed(seen * 100, 0) + "% for " + Fmt.fixed(conf * 100, 0) + "% configured", Style(.warning))
        }
        if let rule = d.base.ruleSummary { line("rule \(d.key.rule): " + rule, Style(.dialog)) }
        if let route = d.base.route, let generation = route.generation {
            // Written is not in effect: say what the mesh reported for the generation on the server.
            switch route.writeAcceptance(generation: generation) {
            case .accepted: line("mesh: accepted generation \(generation)", Style(.healthy))
            case .acceptedGenerationUnknown:
                line("mesh: Accepted, but it reports no observedGeneration: generation \(generation) is not confirmed", Style(.warning))
            case .waiting(let observed):
                line("mesh: not yet reported on generation \(generation) (last: \(observed.map(String.init) ?? "none"))", Style(.warning))
            case .rejected(let reason, let message):
                line("mesh: not accepted: " + reason + (message.isEmpty ? "" : " — " + message), Style(.error))
            case .noController: line("mesh: no mesh has taken this route (status.parents is empty)", Style(.error))
            }
        }
        if let p = model.overriddenBy {
            // Three lines: a profile's name is long (<svc>.<ns>.svc.cluster.local), and neither
            // it nor the consequence may be cut off.
            line("! overridden by ServiceProfile", Style(.warning, [.bold]))
            line("  " + p, Style(.warning))
            line("  this route's weights do not decide traffic", Style(.warning))
            if let d = model.decidedBy { line("  what decides: " + d, Style(.warning)) }
        }
        if let c = d.working.controller {
            line("! managed by " + c.tool + " (" + c.detail + "): it may undo edits", Style(.warning, [.bold]))
        }
        if let canary = FlaggerCanary(owning: d.base.meta) {
            if let r = d.canary, r.suspended {
                line(canary.description + " suspended (read back, rv " + (r.resourceVersion ?? "?") + "): Flagger holds; S resumes it", Style(.healthy))
            } else {
                line("S suspends " + canary.description + " first (shown before y writes it)", Style(.warning))
            }
        }
        if let r = model.readOnlyReason { line("read-only: " + r, Style(.warning)) }
        if let c = d.conflict { line("conflict: " + c, Style(.error)) }
        if d.theirs != nil { line("the server changed: o keeps yours on theirs, r takes theirs", Style(.warning)) }
        switch d.lastDryRun {
        case .accepted(let w)?: line("dry run accepted: " + w.joined(separator: " · "), Style(.healthy))
        case .rejected(let m)?: line("dry run rejected: " + m, Style(.error))
        case nil: break
        }
        switch d.phase {
        case .writing: line("writing…", Style(.muted))
        case .dryRunning: line("dry run…", Style(.muted))
        case .canaryReading: line("reading the Canary…", Style(.muted))
        case .canaryWriting: line("writing the Canary…", Style(.muted))
        default: break
        }
        if let n = d.notice { line(n, Style(.message)) }

        switch d.phase {
        case .reviewing:
            Self.diffDialog(d.diff, rect, ctx, &buf, undo: d.undo != nil)
        case .confirmController(let c):
            Dialog(
                title: "controller-owned split",
                lines: [
                    ("This split is managed by " + c.tool + ".", Style(.warning, [.bold])),
                    ("Evidence: " + c.detail, Style(.dialog)),
                    ("It will probably put its own weights back.", Style(.dialog)),
                ],
                buttons: FlaggerCanary(owning: d.base.meta) == nil ? ["y write anyway", "n cancel"] : ["y write anyway", "S suspend Canary first", "n cancel"]
            ).draw(in: rect, ctx, &buf)
        case .confirmCanary(let p):
            let verb = p.suspend ? "suspend" : "resume"
            Dialog(
                title: verb + " " + p.canary.description + "?",
                lines: [
                    ("write to " + p.canary.apiVersion + " " + p.canary.description + ":", Style(.dialog, [.bold])),
                    ("  spec.suspend: " + String(p.suspend), Style(.diffAdded)),
                    ("  resourceVersion " + p.resourceVersion + " (merge patch; 409 if it moved on)", Style(.dialog)),
                    ("  phase now: " + (p.canaryPhase ?? "unknown"), Style(.muted)),
                    (
                        p.suspend
                            ? "Flagger holds the route's weights until it is resumed (S again)."
                            : "Flagger goes on with its analysis and may overwrite hand-set weights.", Style(.dialog)
                    ),
                    ("patch: " + p.patchText, Style(.muted)),
                ], buttons: ["y write", "n cancel"]
            ).draw(in: rect, ctx, &buf)
        case .confirmOverride(let p):
            Dialog(
                title: "route overridden",
                lines: [
                    ("Overridden by " + p + ".", Style(.warning, [.bold])),
                    ("On Linkerd a ServiceProfile with routes or dstOverrides", Style(.dialog)),
                    ("decides this Service's traffic: this route's weights do not.", Style(.dialog)),
                ], buttons: ["y write anyway", "n cancel"]
            ).draw(in: rect, ctx, &buf)
        default: break
        }
    }

    /// The diff `y` writes; for an undo (`u`) it says so, and `n` cancels the undo.
    static func diffDialog(_ diff: SplitDiff, _ area: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer, undo: Bool = false) {
        var lines: [(String, Style)] = []
        for r in diff.rows {
            let share = { (f: Fraction?) in f?.percentText(decimals: 1) ?? "–" }
            let arrow = ctx.glyphs == .ascii ? " -> " : " → "
            let text =
                (r.changed ? "~ " : "  ") + r.service + ": " + r.oldWeight + arrow + r.newWeight + "  ("
                + share(r.oldShare) + arrow + share(r.newShare) + ")"
            lines.append((text, Style(r.changed ? .diffAdded : .dialog)))
        }
        if !diff.hasChanges { lines.append(("no changes", Style(.muted))) }
        lines.append(("patch against resourceVersion " + (diff.resourceVersion ?? "?"), Style(.muted)))
        Dialog(
            title: (undo ? "undo: write " : "write ") + diff.split.description + "?", lines: lines,
            buttons: undo ? ["y undo", "n cancel"] : ["y write", "n back"]
        ).draw(in: area, ctx, &buf)
    }
}
