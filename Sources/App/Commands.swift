// The `:` commands: completion candidates and what each command does. The line they are
// typed in is the line editor (LineEditor.swift).

import Kube
import KubeCore
import Mesh

public enum CommandSpec {
    /// Command names with their aliases, as completed and accepted.
    public static let names = ["graph", "svc", "ts", "ns", "ctx", "kubeconfig", "theme", "help", "q", "quit"]
    static let aliases: [String: String] = [
        "g": "graph", "services": "svc", "service": "svc", "splits": "ts", "trafficsplits": "ts",
        "trafficsplit": "ts", "namespace": "ns", "context": "ctx", "q!": "q", "quit": "q", "ctx!": "ctx!",
    ]
    /// For help and docs/keybindings.md: usage and what it does, one per command.
    public static let help: [(usage: String, text: String)] = [
        (":graph (:g)", "the service graph"),
        (":svc (:services)", "the services table"),
        (":ts (:splits)", "the TrafficSplits table"),
        (":ns NAME, :ns all", "watch one namespace, or every namespace"),
        (":ctx NAME", "switch to another kubeconfig context (refused while a draft is unsaved)"),
        (":ctx! NAME", "switch even though drafts are unsaved (they are dropped)"),
        (":kubeconfig PATH", "read another kubeconfig file and connect to its current context (refused while a draft is unsaved)"),
        (":theme NAME", "switch the colour theme (default, light, colorblind, mono, or your own)"),
        (":help", "this list of keys"),
        (":q (:quit)", "quit (asks first when a draft is unsaved)"),
    ]
}

extension AppState {
    /// The one door into the line editor: hands it the event and carries out what it asks.
    @discardableResult
    mutating func editLine(_ event: LineEvent) -> [Effect] {
        let state = self
        let actions = lineEditor.handle(event, completions: { state.completions(for: $0) })
        var fx: [Effect] = []
        for a in actions {
            switch a {
            case .run(let text): fx += run(text)
            case .setFilter(let text): navigate(.setFilter(text))
            case .filterSubmitted(let text): navigate(.filterSubmitted(text))
            case .forceQuit:
                quitting = true
                interrupted = true
                fx.append(.quit)
            case .suspend: fx.append(.suspend)
            }
        }
        return fx
    }

    public func completions(for text: String) -> [String] {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if parts.count <= 1 {
            let p = parts.first ?? ""
            return CommandSpec.names.filter { $0.hasPrefix(p) && $0 != "quit" }
        }
        let cmd = CommandSpec.aliases[parts[0]] ?? parts[0]
        let word = parts.last ?? ""
        let pool: [String]
        switch cmd {
        case "ns":
            var s = Set(store.namespaces)
            if let n = context.scope.namespace { s.insert(n) }
            pool = s.sorted() + ["all"]
        case "ctx", "ctx!": pool = context.availableContexts
        case "theme": pool = availableThemes
        default: pool = []
        }
        return pool.filter { $0.hasPrefix(word) }
    }

    mutating func run(_ text: String) -> [Effect] {
        let parts = text.split(separator: " ").map(String.init)
        guard let first = parts.first else { return [] }
        let cmd = CommandSpec.aliases[first] ?? first
        let arg = parts.dropFirst().joined(separator: " ")
        switch cmd {
        case "graph": navigate(.show(.graph))
        case "svc": navigate(.show(.services))
        case "ts": navigate(.show(.splits))
        case "help": navigate(.show(.help))
        case "q":
            quitting = true
            return [.quit]
        case "ns":
            let scope: NamespaceScope
            switch arg {
            case "":
                set("usage: :ns NAME (or :ns all)", .warning)
                return []
            case "all", "-A", "*": scope = .all
            default:
                // A typo must not leave an empty screen that looks like an idle namespace: the
                // server is asked first, and the switch happens on its answer.
                guard !store.namespaces.contains(arg) else { return switchNamespace(.one(arg)) }
                set("checking namespace \(arg)…")
                return [.checkNamespace(arg)]
            }
            return switchNamespace(scope)
        case "ctx", "ctx!":
            guard !arg.isEmpty else {
                set("usage: :ctx NAME", .warning)
                return []
            }
            let dirty = splitEditor.drafts.values.filter(\.isDirty)
            if cmd == "ctx" && !dirty.isEmpty {
                set("unsaved drafts (\(dirty.map(\.key.key).sorted().joined(separator: ", "))): write or revert them, or use :ctx! \(arg)", .warning)
                return []
            }
            if !context.availableContexts.isEmpty && !context.availableContexts.contains(arg) {
                set("no context \(arg) in the kubeconfig", .error)
                return []
            }
            set("switching to context \(arg)…")
            return [.switchContext(arg)]
        case "kubeconfig":
            guard !arg.isEmpty else {
                set("usage: :kubeconfig PATH", .warning)
                return []
            }
            let dirty = splitEditor.drafts.values.filter(\.isDirty)
            if !dirty.isEmpty {
                set("unsaved drafts (\(dirty.map(\.key.key).sorted().joined(separator: ", "))): write or revert them first", .warning)
                return []
            }
            set("reading kubeconfig \(arg)…")
            return [.switchKubeconfig(arg)]
        case "theme":
            guard !arg.isEmpty else {
                set("usage: :theme NAME", .warning)
                return []
            }
            return [.setTheme(arg)]
        default:
            set("unknown command :\(first) (try :graph :svc :ts :ns :ctx :kubeconfig :theme :q)", .error)
        }
        return []
    }

    mutating func switchNamespace(_ scope: NamespaceScope) -> [Effect] {
        context.scope = scope
        resetData()
        set("namespace \(scope)")
        var fx: [Effect] = [.startWatches(scope), .pollMetrics(scope, window: options.metricsWindow, after: 0)]
        if !readOnly.flag { fx.append(.reviewAccess(scope)) }
        return fx
    }

    /// The server's answer to `:ns NAME`: switch, unless it said there is no such namespace.
    mutating func namespaceChecked(_ name: String, exists: Bool?) -> [Effect] {
        if exists == false {
            let known = store.namespaces.sorted().prefix(8).joined(separator: ", ")
            set("no namespace \(clean(name)) on the server; still showing \(context.scope)" + (known.isEmpty ? "" : " (namespaces: \(known))"), .error)
            return []
        }
        return switchNamespace(.one(name))
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
