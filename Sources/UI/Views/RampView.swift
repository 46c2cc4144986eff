import App
import KubeCore
import Mesh
import Ramp

/// What the ramp dialogs show: the plan form, or a running/restored/finished ramp.
public struct RampModel {
    public var form: RampForm?
    public var session: RampSession?
    public var now: Double
    /// The canary's share now, per backend (form).
    public var shares: [Fraction?]
    public var metricsWindow: String
    public var readOnlyReason: String?

    public init(_ s: AppState) {
        form = s.rampForm
        session = s.rampShown
        now = s.now
        shares = s.rampForm.flatMap { s.store.splits[$0.split]?.analysis.shares } ?? []
        metricsWindow = s.options.metricsWindow
        readOnlyReason = s.readOnly.isReadOnly ? s.readOnly.reason : nil
    }
}

/// The ramp plan form and the ramp view (docs/ramps.md): plan, current step, time left, each
/// gate with its live value, threshold and verdict, configured versus observed share, and a
/// chart of the canary's success rate and p99 over the ramp so far.
public struct RampView: Widget {
    public var model: RampModel
    public init(_ model: RampModel) { self.model = model }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard !rect.isEmpty else { return }
        if let f = model.form { drawForm(f, rect, ctx, &buf) } else if let r = model.session { drawRamp(r, rect, ctx, &buf) }
    }

    func drawForm(_ f: RampForm, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        let g = ctx.glyphs
        guard let area = Self.frame("plan a guarded ramp: " + f.split.description, rect, ctx, &buf) else { return }
        var y = area.y
        func line(_ text: String, _ st: Style) {
            guard y < area.maxY else { return }
            buf.write(text, x: area.x, y: y, style: st, clip: area)
            y += 1
        }
        let (l, r) = g == .ascii ? ("< ", " >") : ("◂ ", " ▸")
        for field in RampForm.Field.allCases {
            let sel = field == f.field
            var value: String
            var hint = ""
            switch field {
            case .canary:
                let name = f.backends.indices.contains(f.canary) ? f.backends[f.canary] : "-"
                value = l + name + r
                if f.canary < model.shares.count { hint = "now " + (model.shares[f.canary]?.percentText(decimals: 1) ?? "-") }
            case .mode:
                value = l + f.mode.rawValue + r
                hint = f.mode == .manual ? "every step waits for your key" : "steps whose gates held are taken by smitop"
            default:
                value = (f.text[field] ?? "") + (sel ? "_" : "")
                switch field {
                case .minSuccess where (f.text[field] ?? "").isEmpty: hint = "empty: the stable backends' − 0.5"
                case .maxP99 where (f.text[field] ?? "").isEmpty: hint = "empty: the stable backends' × 1.2"
                case .steps: hint = "list, or +N: steps of N points to 100"
                case .wait: hint = "once the step is in effect"
                case .minRequests: hint = "no verdict on less traffic"
                default: break
                }
            }
            let text = (sel ? (g == .ascii ? "> " : "▸ ") : "  ") + TextWidth.pad(field.title, to: 15) + TextWidth.pad(value, to: 26) + " " + hint
            line(text, sel ? Style(.selection) : Style(.dialog))
        }
        y += 1
        line("Gates judge the canary over each step, from the first sample", Style(.muted))
        line("whose \(model.metricsWindow) window lies wholly inside the step.", Style(.muted))
        line("A failing gate pauses the ramp and proposes the rollback.", Style(.muted))
        if let r = model.readOnlyReason { line("read-only: " + r, Style(.warning)) }
        if let e = f.error { line("! " + e, Style(.error)) }
        if let p = f.reviewing {
            var lines: [(String, Style)] = [
                ("canary " + p.canary + ": " + p.steps.map(percentLabel).joined(separator: " → "), Style(.dialog)),
                ("each step: at least " + GoDuration.format(p.wait) + " with every gate holding", Style(.dialog)),
                (gatesText(p.gates), Style(.dialog)),
                ("mode " + p.mode.rawValue + (p.mode == .manual ? ": every step waits for n" : ": smitop takes steps whose gates held"), Style(.dialog)),
                ("y writes step 1 (" + percentLabel(p.steps[0]) + ") with the resourceVersion read", Style(.warning)),
            ]
            if p.mode == .auto { lines.append(("any failing gate pauses the ramp; b rolls back", Style(.muted))) }
            Dialog(title: "start the ramp?", lines: lines, buttons: ["y start", "n back"]).draw(in: rect, ctx, &buf)
        }
    }

    /// The dialog's frame, and the area inside it with a column of margin on each side.
    static func frame(_ title: String, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) -> Rect? {
        let inner = Widgets.box(
            &buf, rect, title: title, style: Style(.dialogBorder), titleStyle: Style(.dialogBorder, [.bold]), glyphs: ctx.glyphs,
            fill: Style(.dialog))
        guard !inner.isEmpty else { return nil }
        return Rect(x: inner.x + 1, y: inner.y, width: max(0, inner.width - 2), height: inner.height)
    }

    func gatesText(_ g: RampGates) -> String {
        let s = g.minSuccessPercent.map { "success ≥ " + Fmt.fixed($0, 2) + "%" } ?? "success ≥ stable − " + Fmt.fixed(g.successMargin, 1)
        let p = g.maxP99Ms.map { "p99 ≤ " + Fmt.fixed($0, 0) + "ms" } ?? "p99 ≤ stable × " + Fmt.fixed(g.p99Factor, 1)
        return "gates: " + s + " · " + p + " · at least " + Fmt.fixed(g.minRequests, 0) + " requests"
    }

    func drawRamp(_ r: RampSession, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        let g = ctx.glyphs
        let m = r.machine
        let p = m.plan
        let title = "ramp " + p.split.description + ": " + p.canary + " → " + percentLabel(p.target) + " (" + p.mode.rawValue + ")"
        guard let area = Self.frame(title, rect, ctx, &buf) else { return }
        var y = area.y
        func line(_ text: String, _ st: Style) {
            guard y < area.maxY else { return }
            buf.write(text, x: area.x, y: y, style: st, clip: area)
            y += 1
        }
        // The plan with the current step marked.
        var steps = "steps  "
        for (i, s) in p.steps.enumerated() {
            let mark = i < m.step ? (g == .ascii ? "+" : "✓") : (i == m.step ? (g == .ascii ? ">" : "▸") : (g == .ascii ? "." : "·"))
            steps += mark + percentLabel(s) + "  "
        }
        line(steps, Style(.dialog))
        let (state, style) = stateText(r)
        line("state  " + state, style)
        let configured = m.configuredShare?.percentText(decimals: 1) ?? "-"
        let seen = m.observedShare.map { Fmt.fixed($0 * 100, 1) + "%" } ?? "-"
        line("share  configured " + configured + " · seen " + seen + " · rv " + (m.server.meta.resourceVersion ?? "?"), Style(.dialog))
        y += 1
        line(
            TextWidth.pad("gate", to: 16) + TextWidth.pad("value", to: 12, align: .right) + TextWidth.pad("threshold", to: 14, align: .right) + "  verdict",
            Style(.tableHeader))
        let gates = m.gates.isEmpty ? Gates.evaluate(StepWindow(startedAt: 0, settle: 0), p.gates, baseline: m.baseline) : m.gates
        for gate in gates {
            let value: String
            let threshold: String
            switch gate.kind {
            case .requests:
                value = gate.value.map { Fmt.fixed($0, 0) } ?? "-"
                threshold = "≥ " + (gate.threshold.map { Fmt.fixed($0, 0) } ?? "-")
            case .success:
                value = gate.value.map { Fmt.fixed($0, 2) + "%" } ?? "-"
                threshold = "≥ " + (gate.threshold.map { Fmt.fixed($0, 2) + "%" } ?? "stable − " + Fmt.fixed(p.gates.successMargin, 1))
            case .p99:
                value = gate.value.map { Fmt.fixed($0, 1) + "ms" } ?? "-"
                threshold = "≤ " + (gate.threshold.map { Fmt.fixed($0, 1) + "ms" } ?? "stable × " + Fmt.fixed(p.gates.p99Factor, 1))
            }
            let (verdict, vs): (String, Style) = {
                switch gate.verdict {
                case .pass: return (g == .ascii ? "ok" : "✓", Style(.healthy))
                case .fail: return (g == .ascii ? "FAIL" : "✗ fails", Style(.critical, [.bold]))
                case .noVerdict: return ((g == .ascii ? "- " : "· ") + (gate.note ?? "no verdict"), Style(.muted))
                }
            }()
            let x = buf.write(
                TextWidth.pad(gate.kind.title, to: 16) + TextWidth.pad(value, to: 12, align: .right) + TextWidth.pad(threshold, to: 14, align: .right) + "  ",
                x: area.x, y: y, style: Style(.dialog), clip: area)
            if y < area.maxY { buf.write(verdict, x: x, y: y, style: vs, clip: area) }
            y += 1
        }
        y += 1
        // The canary over the ramp so far, scaled to its own range (min and max printed).
        let chartWidth = max(0, min(60, area.width - 30))
        func chart(_ title: String, _ values: [Double?], _ fmt: (Double) -> String) {
            let known = values.compactMap { $0 }
            guard let lo = known.min(), let hi = known.max(), chartWidth > 0 else {
                line(TextWidth.pad(title, to: 9) + "no samples yet", Style(.muted))
                return
            }
            let span = hi - lo
            let scaled = values.map { $0.map { span > 0 ? ($0 - lo) / span * 0.875 + 0.125 : 0.5 } }
            let spark = Widgets.sparkline(scaled, width: chartWidth, glyphs: g)
            let x = buf.write(TextWidth.pad(title, to: 9), x: area.x, y: y, style: Style(.dialog), clip: area)
            let x2 = buf.write(spark, x: x, y: y, style: Style(.sparkline), clip: area, ellipsis: false)
            buf.write("  " + fmt(lo) + "…" + fmt(hi), x: x2, y: y, style: Style(.muted), clip: area)
            y += 1
        }
        chart("success", m.chart.map { $0.successRate }) { Fmt.fixed($0 * 100, 2) + "%" }
        chart("p99", m.chart.map { $0.p99Ms }) { Fmt.fixed($0, 1) + "ms" }
        chart("seen", m.chart.map { $0.observedShare }) { Fmt.fixed($0 * 100, 0) + "%" }
        y += 1
        if let c = m.server.controller { line("! managed by " + c.tool + ": suspend it before ramping by hand", Style(.warning, [.bold])) }
        if let n = r.notice { line(n, Style(.message)) }
    }

    func stateText(_ r: RampSession) -> (String, Style) {
        let m = r.machine
        let p = m.plan
        let stepText = "step \(m.step + 1) of \(p.steps.count)"
        switch m.phase {
        case .ready: return (r.restored ? "restored at \(stepText): Enter resumes, x discards (nothing written yet)" : "ready", Style(.warning))
        case .writing(let purpose):
            switch purpose {
            case .rollback: return ("rolling back…", Style(.warning))
            case .promote: return ("promoting…", Style(.warning))
            case .step(let i): return ("writing step \(i + 1) (" + percentLabel(p.steps[i]) + ")…", Style(.dialog))
            }
        case .applying(_, let generation, _):
            return ("written; waiting for the mesh to accept generation \(generation.map(String.init) ?? "?")…", Style(.dialog))
        case .watching:
            let left = m.timeLeft(now: model.now).map { GoDuration.format($0.rounded(.up)) } ?? "-"
            let allPass = !m.gates.isEmpty && m.gates.allSatisfy { $0.verdict == .pass }
            let tail = (m.timeLeft(now: model.now) ?? 1) <= 0 && !allPass ? " (waiting for enough traffic to judge)" : ""
            return ("watching \(stepText) at " + percentLabel(p.steps[max(0, m.step)]) + ", \(left) left" + tail, Style(.dialog))
        case .proposing:
            let next = m.step + 1
            return ("every gate held: n takes step \(next + 1) (" + percentLabel(p.steps[next]) + ")", Style(.healthy, [.bold]))
        case .failed(let why): return ("✗ " + why + ": b rolls back, Space keeps watching", Style(.critical, [.bold]))
        case .paused(let why): return ("paused: " + why + " (Space resumes, b rolls back)", Style(.warning))
        case .finished(let o):
            switch o {
            case .completed: return ("completed: " + p.canary + " at " + percentLabel(p.target), Style(.healthy, [.bold]))
            case .rolledBack: return ("rolled back to the weights before the ramp", Style(.warning, [.bold]))
            case .stopped(let why): return ("stopped: " + why, Style(.warning, [.bold]))
            case .concurrentChange(let why): return ("stopped: " + why, Style(.warning, [.bold]))
            }
        }
    }
}
