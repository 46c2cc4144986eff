import App
import ArgumentParser
import Foundation
import Kube
import KubeCore
import Runtime
import Simulator
import Terminal
import UI

/// Flags of the interactive UI (shared by `smitop` and `smitop demo`).
struct UIOptions: ParsableArguments {
    @Option(help: "Colour theme: default, light, colorblind, mono, or one of your own.") var theme: String?
    @Flag(name: .customLong("read-only"), help: "Disable every write.") var readOnly = false
    @Option(help: "Metrics refresh interval in seconds (0 pauses polling; default 2).") var refresh: Double?
    @Flag(name: .customLong("no-mouse"), help: "Do not capture the mouse.") var noMouse = false
    @Option(help: "Config file (default: $SMITOP_CONFIG, else $XDG_CONFIG_HOME/smitop/config.yaml).") var config: String?
    @OptionGroup var source: MetricsSourceOptions

    /// The config file (if any), then the flags over it.
    func settings(environment: [String: String]) throws -> (options: AppOptions, theme: String?, source: String?) {
        let cfg: SmitopConfig
        do {
            if let path = config {
                cfg = try SmitopConfig.load(path: path, required: true)
            } else if let path = SmitopConfig.defaultPath(environment: environment) {
                cfg = try SmitopConfig.load(path: path)
            } else {
                cfg = SmitopConfig()
            }
        } catch { throw CLIError.fail("config: \(error)", code: 2) }
        var o = AppOptions()
        cfg.apply(to: &o)
        if let r = refresh {
            // The config file's bound, for the same reason: a poll interval becomes a sleep, and
            // NaN or 1e300 seconds cannot (the conversion to a duration would trap).
            guard r.isFinite, r >= 0, r <= 3600 else {
                throw CLIError.fail("--refresh must be 0 (paused) to 3600 seconds, not \(r)", code: 2)
            }
            o.refreshInterval = r
        }
        if let m = source.metrics { o.metricsSource = m.rawValue }
        if readOnly { o.readOnly = true }
        if noMouse { o.mouseEnabled = false }
        return (o, theme ?? cfg.theme, cfg.source)
    }
}

/// Starts the terminal and runs the UI on its own thread until the user quits.
func runTUI(ui: UIOptions, connector: Connector, context: String?) async throws {
    let env = ProcessInfo.processInfo.environment
    let settings = try ui.settings(environment: env)
    let paths = Theme.searchPaths(environment: env)
    let theme: Theme
    do { theme = try Theme.resolve(name: settings.theme, environment: env, searchPaths: paths) } catch {
        throw CLIError.fail("theme: \(error)", code: 2)
    }
    // A kubeconfig that cannot be read is reported in the UI, not by exiting: the user can
    // pick another context with :ctx.
    var cluster: (any ClusterSession)? = nil
    var info = ContextInfo(context: context ?? "(none)")
    var connector = connector
    connector.metricsChoice = MetricsSourceChoice(rawValue: settings.options.metricsSource) ?? .auto
    connector.prometheus = try ui.source.settings()
    if connector.prometheus.insecure { warn("--prometheus-insecure: the Prometheus server's certificate is not verified") }
    var initial: [Message] = []
    do {
        let (client, resolved) = try connector.resolve(context: context, ask: ExecTrust.askOnTerminal)
        cluster = LiveCluster(client: client, metrics: connector.metricsSource(for: client))
        info = connector.contextInfo(resolved)
    } catch {
        initial.append(.contextSwitchFailed(name: context ?? "(current)", error: error.userMessage))
        info.availableContexts = connector.availableContexts()
    }
    let state = AppState(
        options: settings.options, context: info, theme: settings.theme ?? "default", availableThemes: Theme.available(searchPaths: paths))
    var session = SessionFile.defaultPath(environment: env).map { SessionKeeper(file: SessionFile(path: $0)) }
    if let loaded = session?.load(key: SessionSnapshot.key(info)) {
        if let restored = loaded.snapshot { initial.append(.sessionRestored(restored)) }
        if let note = loaded.note { initial.append(.warning(note)) }
    }
    let screen: TerminalScreen
    do { screen = try TerminalScreen(theme: theme, mouse: settings.options.mouseEnabled) } catch {
        throw CLIError.fail("cannot start the terminal UI: \(error)", code: 1)
    }
    let loop = UnsafeLoopBox(
        EventLoop(
            state: state, theme: theme, themePaths: paths, terminal: screen, connector: connector, cluster: cluster,
            session: session, observer: StartupReport(), rampLog: RampLog.defaultPath(environment: env).map(RampLog.init(path:))),
        screen)
    let start = initial
    await runOnDedicatedThread {
        loop.loop.run(initial: start)
        loop.screen.shutdown()
    }
    // Ctrl-C (a key in raw mode) or SIGINT ends with 130, as a shell reports a program it
    // interrupted (scripts tell "stopped by the user" from "done"); `q` and `:q` end with 0.
    if loop.loop.state.interrupted || loop.loop.terminatedBy == SIGINT { throw ExitCode(130) }
}

/// The loop and the terminal are confined to the UI thread; this box only carries them there.
final class UnsafeLoopBox: @unchecked Sendable {
    let loop: EventLoop
    let screen: TerminalScreen
    init(_ l: EventLoop, _ s: TerminalScreen) {
        loop = l
        screen = s
    }
}

struct UICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui", abstract: "The interactive terminal UI (the default when no command is given).")

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var ui: UIOptions

    func run() async throws {
        let connector = Connector(
            kubeconfigPath: cluster.kubeconfig, namespace: cluster.namespace, allNamespaces: cluster.allNamespaces,
            environment: ProcessInfo.processInfo.environment, trustExec: cluster.trustExec, trustFiles: cluster.trustFiles)
        try await runTUI(ui: ui, connector: connector, context: cluster.context)
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The UI on an embedded simulated mesh (bookstore scenario): no cluster or kubeconfig needed.")

    @OptionGroup var ui: UIOptions
    @Option(help: "What the embedded cluster serves: sdk, linkerd, osm, linkerd-gamma, istio or all.") var profile = SimProfile.default.rawValue
    @Option(help: "Seed for the scenario and the traffic model.") var seed: UInt64 = 1
    @Option(name: .customLong("write-kubeconfig"), help: "Also write a kubeconfig for the embedded cluster (for kubectl).")
    var writeKubeconfig: String?

    func run() async throws {
        var o = SimulatorOptions()
        o.address = "127.0.0.1"
        o.port = 0
        o.seed = seed
        o.adminEnabled = true
        guard let p = SimProfile(rawValue: profile) else { throw CLIError.fail("unknown profile \"\(profile)\"", code: 2) }
        o.profile = p
        let (endpoint, server) = try await Simulator.startEmbedded(o)
        // The demo talks to its cluster through the same kubeconfig path as any cluster.
        let dir = try makePrivateTemporaryDirectory(prefix: "smitop-demo-")
        let path = writeKubeconfig ?? dir + "/kubeconfig"
        try Simulator.writeKubeconfig(endpoint, to: path)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let connector = Connector(kubeconfigPath: path, namespace: nil, allNamespaces: true, environment: ProcessInfo.processInfo.environment)
        try await runTUI(ui: ui, connector: connector, context: nil)
        server.cancel()
        _ = try? await server.value
    }
}

/// A new directory in `$TMPDIR` that is ours alone: `mkdtemp` picks a random name and creates
/// it 0700, failing rather than reusing one that exists (a predictable name could be made in
/// advance by another user, who could then swap the files written into it).
func makePrivateTemporaryDirectory(prefix: String) throws -> String {
    var template = Array((FileManager.default.temporaryDirectory.path + "/" + prefix + "XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else {
        throw CLIError.fail("cannot create a temporary directory: \(String(cString: strerror(errno)))", code: 1)
    }
    return String(cString: made)
}

/// `smitop terminal-check`: the terminal layer alone, no cluster (every theme role, wide and
/// combining characters, box drawing, each decoded key and mouse event; z suspends, ! crashes
/// on purpose to show the terminal is restored). For bug reports about a terminal.
struct TerminalCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminal-check", abstract: "Check this terminal: colours, wide characters, keys, mouse.")

    @Option(help: "Colour theme to draw with.") var theme: String?

    func run() throws {
        let t: Theme
        do { t = try Theme.resolve(name: theme) } catch { throw CLIError.fail("theme: \(error)", code: 2) }
        try TerminalSelfCheck.run(theme: t)
    }
}

/// `smitop config view`: the settings in effect (config file, then flags), as YAML.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show smitop's configuration.", subcommands: [ConfigViewCommand.self],
        defaultSubcommand: ConfigViewCommand.self)
}

struct ConfigViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Print the effective configuration (the config file over the defaults, then the flags given here).",
        discussion: "The file holds no credentials; cluster credentials stay in the kubeconfig and are never printed.")

    @OptionGroup var ui: UIOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "yaml or json.") var output: String = "yaml"

    func run() throws {
        let s = try ui.settings(environment: ProcessInfo.processInfo.environment)
        let j = SmitopConfig.effective(s.options, theme: s.theme ?? "default", source: s.source)
        switch output {
        case "json": printJSON(j)
        case "yaml": printYAML(j)
        default: throw CLIError.fail("unknown output \(output): yaml or json", code: 2)
        }
    }
}
