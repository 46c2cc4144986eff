// The user's config file ($XDG_CONFIG_HOME/smitop/config.yaml). Parsed strictly: an unknown
// key or a wrong type is an error naming the file, the line and the key, because a setting
// that is silently ignored (a typo in `readOnly` for production) is worse than one refused.
// Precedence: command-line flags, then this file, then the built-in defaults.

import Foundation
import KubeCore
import Mesh
import Ramp
import SMI

public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file)\(line > 0 ? ":\(line)" : ""): \(message)" }
}

public struct SmitopConfig: Sendable, Equatable {
    public var theme: String?
    public var refresh: Double?
    public var metricsWindow: String?
    /// `metrics`: auto, smi, linkerd or istio (docs/metrics.md).
    public var metrics: String?
    public var warning: Double?
    public var critical: Double?
    public var step: Int?
    public var mouse: Bool?
    public var readOnly: Bool?
    public var readOnlyContexts: Set<String> = []
    public var keys: [Action: [Key]] = [:]
    /// `ramp`: defaults of a guarded ramp's plan (docs/ramps.md).
    public var ramp: RampDefaults?
    /// The file this came from; nil for the defaults.
    public var source: String?

    public init() {}

    /// Every key, its default and its meaning: `smitop config view` and docs/configuration.md
    /// are made from this list, and a test keeps the page in step with it.
    public static let reference: [(key: String, defaultValue: String, meaning: String)] = [
        ("theme", "default", "colour theme: default, light, colorblind, mono, or a file NAME.yaml in the themes directory"),
        ("refresh", "2", "seconds between metrics polls; 0 pauses polling after the first sample"),
        ("metricsWindow", "30s", "the window asked of the metrics API (its `t` parameter), or of Prometheus' range selectors"),
        ("metrics", "auto", "the metrics source: auto (the SMI metrics API if served, else the mesh's Prometheus), smi, linkerd or istio"),
        ("thresholds.warning", "0.95", "success rate below which an edge is amber (warning)"),
        ("thresholds.critical", "0.90", "success rate below which an edge is red (critical)"),
        ("step", "5", "the split editor's first step, in points of share (1, 5, 10 or 25)"),
        ("mouse", "true", "capture the mouse (click, double-click, wheel)"),
        ("readOnly", "false", "disable every write, in every context"),
        ("contexts.NAME.readOnly", "false", "disable writes in kubeconfig context NAME only (e.g. production)"),
        ("ramp.steps", "5,10,25,50,100", "a guarded ramp's canary shares, in percent, rising (docs/ramps.md)"),
        ("ramp.wait", "2m", "a ramp's minimum time at each step, once the step is in effect"),
        ("ramp.minSuccess", "(stable − 0.5)", "a ramp's minimum canary success rate in percent; unset: the stable backends' minus ramp.successMargin"),
        ("ramp.successMargin", "0.5", "points below the stable backends' success rate a canary may run"),
        ("ramp.maxP99", "(stable × 1.2)", "a ramp's maximum canary p99 latency (300ms); unset: the stable backends' × ramp.p99Factor"),
        ("ramp.p99Factor", "1.2", "how much slower than the stable backends' p99 a canary may be"),
        ("ramp.minRequests", "20", "requests the canary must serve in a step before any verdict"),
        ("keys.ACTION", "(built-in)", "re-bind an action to a list of keys, e.g. `quit: [\"q\", \"Ctrl-Q\"]`; actions as in docs/keybindings.md"),
    ]

    /// Where the file is looked for: `SMITOP_CONFIG`, else `$XDG_CONFIG_HOME/smitop/config.yaml`,
    /// else `~/.config/smitop/config.yaml`.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let p = environment["SMITOP_CONFIG"], !p.isEmpty { return p }
        if let x = environment["XDG_CONFIG_HOME"], !x.isEmpty { return x + "/smitop/config.yaml" }
        if let h = environment["HOME"], !h.isEmpty { return h + "/.config/smitop/config.yaml" }
        return nil
    }

    /// Reads `path`; a missing file is the defaults (nothing to configure is not an error),
    /// unless `required` (the user named the file).
    public static func load(path: String, required: Bool = false) throws(ConfigError) -> SmitopConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            if required || FileManager.default.fileExists(atPath: path) {
                throw ConfigError(file: path, line: 0, message: "cannot read the file")
            }
            return SmitopConfig()
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError(file: path, line: 0, message: "not UTF-8 text") }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> SmitopConfig {
        let docs: [YAMLDocument]
        do { docs = try YAMLDocuments.read(text) } catch { throw ConfigError(file: file, line: error.line, message: error.message) }
        var c = SmitopConfig()
        c.source = file
        guard let doc = docs.first else { return c }
        guard docs.count == 1 else { throw ConfigError(file: file, line: docs[1].line, message: "one YAML document expected") }
        guard case .object(let root) = doc.json else {
            throw ConfigError(file: file, line: doc.line, message: "the top level must be a mapping of settings")
        }
        func fail(_ path: String, _ message: String) -> ConfigError { ConfigError(file: file, line: doc.line(of: path), message: "\(path): \(message)") }
        func number(_ v: JSON, _ path: String) throws(ConfigError) -> Double {
            guard let d = v.doubleValue else { throw fail(path, "must be a number") }
            return d
        }
        func bool(_ v: JSON, _ path: String) throws(ConfigError) -> Bool {
            guard let b = v.boolValue else { throw fail(path, "must be true or false") }
            return b
        }
        func string(_ v: JSON, _ path: String) throws(ConfigError) -> String {
            guard let s = v.stringValue else { throw fail(path, "must be a string") }
            return s
        }
        func fraction(_ v: JSON, _ path: String) throws(ConfigError) -> Double {
            let d = try number(v, path)
            guard (0...1).contains(d) else { throw fail(path, "must be between 0 and 1 (0.95 means 95 %)") }
            return d
        }
        for (key, value) in root {
            switch key {
            case "theme": c.theme = try string(value, key)
            case "refresh":
                let d = try number(value, key)
                guard d >= 0, d <= 3600 else { throw fail(key, "must be 0 (paused) to 3600 seconds") }
                c.refresh = d
            case "metricsWindow":
                let w = try string(value, key)
                // The metrics API parses it with Go's time.ParseDuration: accept what it accepts.
                guard let secs = GoDuration.parse(w), secs > 0 else { throw fail(key, "must be a duration such as 30s, 1m or 1h") }
                c.metricsWindow = w
            case "metrics":
                let m = try string(value, key)
                guard AppOptions.metricsSources.contains(m) else {
                    throw fail(key, "must be one of \(AppOptions.metricsSources.joined(separator: ", "))")
                }
                c.metrics = m
            case "thresholds":
                guard case .object(let t) = value else { throw fail(key, "must be a mapping with warning and critical") }
                for (k, v) in t {
                    switch k {
                    case "warning": c.warning = try fraction(v, "thresholds.warning")
                    case "critical": c.critical = try fraction(v, "thresholds.critical")
                    default: throw fail("thresholds.\(k)", "unknown setting (known: warning, critical)")
                    }
                }
            case "step":
                guard let i = value.intValue, SplitDraft.steps.contains(Int(i)) else {
                    throw fail(key, "must be one of \(SplitDraft.steps.map(String.init).joined(separator: ", "))")
                }
                c.step = Int(i)
            case "mouse": c.mouse = try bool(value, key)
            case "readOnly": c.readOnly = try bool(value, key)
            case "contexts":
                guard case .object(let ctxs) = value else { throw fail(key, "must be a mapping of context names") }
                for (name, settings) in ctxs {
                    guard case .object(let s) = settings else { throw fail("contexts.\(name)", "must be a mapping") }
                    for (k, v) in s {
                        guard k == "readOnly" else { throw fail("contexts.\(name).\(k)", "unknown setting (known: readOnly)") }
                        if try bool(v, "contexts.\(name).readOnly") { c.readOnlyContexts.insert(name) }
                    }
                }
            case "keys":
                guard case .object(let ks) = value else { throw fail(key, "must be a mapping of action → keys") }
                for (name, v) in ks {
                    let path = "keys.\(name)"
                    guard let action = Action(rawValue: name) else { throw fail(path, "unknown action (see docs/keybindings.md)") }
                    let names: [String]
                    if let s = v.stringValue {
                        names = [s]
                    } else if let a = v.arrayValue, a.allSatisfy({ $0.stringValue != nil }) {
                        names = a.compactMap(\.stringValue)
                    } else {
                        throw fail(path, "must be a key or a list of keys")
                    }
                    var parsed: [Key] = []
                    for n in names {
                        guard let k = Key(name: n) else { throw fail(path, "unknown key \"\(n)\" (a character, Enter, Esc, Tab, F1…F12, Ctrl-X, arrows…)") }
                        parsed.append(k)
                    }
                    guard !parsed.isEmpty else { throw fail(path, "needs at least one key") }
                    c.keys[action] = parsed
                }
            case "ramp":
                c.ramp = try RampDefaults.parse(value) { path, message in fail(path, message) }
            default:
                let known = ["theme", "refresh", "metricsWindow", "metrics", "thresholds", "step", "mouse", "readOnly", "contexts", "keys", "ramp"]
                throw fail(key, "unknown setting (known: \(known.joined(separator: ", ")))")
            }
        }
        let w = c.warning ?? HealthThresholds().warning
        let cr = c.critical ?? HealthThresholds().critical
        if cr > w { throw fail("thresholds", "critical (\(cr)) must not be above warning (\(w))") }
        return c
    }

    /// The file's settings over the defaults; flags are applied after this by the caller.
    public func apply(to o: inout AppOptions) {
        if let r = refresh { o.refreshInterval = r }
        if let w = metricsWindow { o.metricsWindow = w }
        if let m = metrics { o.metricsSource = m }
        if let w = warning { o.thresholds.warning = w }
        if let c = critical { o.thresholds.critical = c }
        if let s = step { o.defaultStep = s }
        if let m = mouse { o.mouseEnabled = m }
        if let r = readOnly { o.readOnly = r }
        o.readOnlyContexts.formUnion(readOnlyContexts)
        o.keyMap = KeyMap.standard.overriding(keys)
        if let r = ramp { o.ramp = r }
    }

    /// The effective settings (options after file and flags), for `smitop config view`.
    public static func effective(_ o: AppOptions, theme: String, source: String?) -> JSON {
        var keys = JSONObject()
        let standard = Dictionary(grouping: KeyMap.standard.all, by: \.action)
        for (action, bs) in Dictionary(grouping: o.keyMap.all, by: \.action).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let now = bs.flatMap(\.keys)
            if now != (standard[action] ?? []).flatMap(\.keys) { keys[action.rawValue] = .array(now.map { .string($0.description) }) }
        }
        var contexts = JSONObject()
        for c in o.readOnlyContexts.sorted() { contexts[c] = ["readOnly": true] }
        return [
            "source": source.map(JSON.string) ?? .null,
            "theme": .string(theme), "refresh": .double(o.refreshInterval), "metricsWindow": .string(o.metricsWindow),
            "metrics": .string(o.metricsSource),
            "thresholds": ["warning": .double(o.thresholds.warning), "critical": .double(o.thresholds.critical)],
            "step": .int(o.defaultStep), "mouse": .bool(o.mouseEnabled), "readOnly": .bool(o.readOnly),
            "contexts": .object(contexts), "keys": .object(keys),
        ]
    }
}

/// The config file's `ramp` mapping: defaults for a guarded ramp's plan. Flags (and the
/// TUI's plan form) override them.
public struct RampDefaults: Sendable, Equatable {
    public var steps: [Fraction]?
    public var wait: Double?
    public var minSuccessPercent: Double?
    public var successMargin: Double?
    public var maxP99Ms: Double?
    public var p99Factor: Double?
    public var minRequests: Double?
    public init() {}

    public var defaultSteps: [Fraction] { steps ?? (try? RampPlan.parseSteps("5,10,25,50,100").get()) ?? [100] }
    public var defaultWait: Double { wait ?? 120 }

    /// The gates with these defaults.
    public var gates: RampGates {
        var g = RampGates(minSuccessPercent: minSuccessPercent, maxP99Ms: maxP99Ms, minRequests: minRequests ?? 20)
        if let m = successMargin { g.successMargin = m }
        if let f = p99Factor { g.p99Factor = f }
        return g
    }

    static func parse(_ value: JSON, fail: (String, String) -> ConfigError) throws(ConfigError) -> RampDefaults {
        guard case .object(let o) = value else { throw fail("ramp", "must be a mapping (steps, wait, minSuccess, …)") }
        var r = RampDefaults()
        func number(_ v: JSON, _ k: String, _ range: ClosedRange<Double>) throws(ConfigError) -> Double {
            guard let d = v.doubleValue, d.isFinite, range.contains(d) else {
                throw fail("ramp.\(k)", "must be a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return d
        }
        for (k, v) in o {
            switch k {
            case "steps":
                let text = v.stringValue ?? v.arrayValue?.compactMap { $0.doubleValue.map { "\($0)" } ?? $0.stringValue }.joined(separator: ",") ?? ""
                switch RampPlan.parseSteps(text) {
                case .success(let s): r.steps = s
                case .failure(let e): throw fail("ramp.steps", e.message)
                }
            case "wait":
                guard let d = v.stringValue.flatMap(GoDuration.parse), d >= 0, d <= 7 * 86400 else {
                    throw fail("ramp.wait", "must be a duration such as 30s or 2m (at most 7 days)")
                }
                r.wait = d
            case "minSuccess": r.minSuccessPercent = try number(v, k, 0...100)
            case "successMargin": r.successMargin = try number(v, k, 0...100)
            case "maxP99":
                let ms = v.doubleValue ?? v.stringValue.flatMap(GoDuration.parse).map { $0 * 1000 }
                guard let ms, ms.isFinite, ms > 0, ms <= 3_600_000 else { throw fail("ramp.maxP99", "must be a duration such as 300ms") }
                r.maxP99Ms = ms
            case "p99Factor": r.p99Factor = try number(v, k, 1...1000)
            case "minRequests": r.minRequests = try number(v, k, 0...1e12)
            default:
                throw fail("ramp.\(k)", "unknown setting (known: steps, wait, minSuccess, successMargin, maxP99, p99Factor, minRequests)")
            }
        }
        return r
    }
}
