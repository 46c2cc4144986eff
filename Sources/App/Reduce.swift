// The pure update function: (state, message) → state', effects. No I/O, no clock reads:
// time arrives in messages.

import Kube
import KubeCore
import Mesh
import SMI

public func reduce(_ state: inout AppState, _ msg: Message) -> [Effect] {
    let fx = reduceDeferringGraph(&state, msg)
    state.settle()
    return fx
}

/// Many messages at once, as the runtime drains them from its mailbox: a burst of watch
/// events rebuilds the graph once at the end, not once per event. Effects in order.
public func reduce(_ state: inout AppState, batch: consuming [Message]) -> [Effect] {
    var fx: [Effect] = []
    // Each message is released as soon as it is applied: at start one batch can carry every
    // kind's initial list (a 10,000-split list is ~30 MB of JSON trees), and holding them all
    // through the graph rebuild below made that rebuild the start-up's peak of memory.
    var rest = batch
    rest.reverse()
    while let m = rest.popLast() { fx += reduceDeferringGraph(&state, m) }
    state.settle()
    return fx
}

func reduceDeferringGraph(_ state: inout AppState, _ msg: Message) -> [Effect] {
    var fx: [Effect] = []
    // Object deltas only mark the graph stale; anything that reads the graph (keys, mouse,
    // resize, metrics) sees it rebuilt first, once, however many deltas came before.
    switch msg {
    case .objects, .objectReloaded: break
    default: state.settle()
    }
    switch msg {
    case .start(let now):
        state.now = now
        let scope = state.context.scope
        if !state.context.server.isEmpty { state.set("connecting to \(state.context.context) (\(scope))") }
        fx = [.startWatches(scope), .pollMetrics(scope, window: state.options.metricsWindow, after: 0), .scheduleTick(after: 1)]
        if !state.readOnly.flag { fx.append(.reviewAccess(scope)) }

    case .tick(let now):
        state.now = max(state.now, now)
        state.noteConnection(.recheck)
        state.expireMessage()
        fx = [.scheduleTick(after: 1)]
        if state.connection.status == .offline { fx += state.rampsConnectionLost(kind: nil) }
        fx += state.rampsTick()

    case .resized(let size):
        state.size = size
        state.navigate(.resized)

    case .key(let key):
        fx = state.handleKey(key)

    case .mouse(let m):
        fx = state.handleMouse(m)

    case .objects(let kind, .replaced(let items)):
        // Like a watch event: the graph is rebuilt for a new topology only, what changed
        // otherwise is patched in place. Rebuilt after every relist, it was a second graph
        // for a moment and new long-lived memory placed among the lists' buffers, kept
        // resident after a relist of every kind at once (docs/reliability.md, Soak).
        state.applyObjects(kind) { $0.replaceAll(kind, items) }
        state.noteConnection(.listed)
        fx = state.rampsServerChanged(kind)
    case .objects(let kind, .upserted(let o)):
        state.applyObjects(kind) { $0.upsert(kind, o) }
        fx = state.rampsServerChanged(kind)
    case .objects(let kind, .deleted(let o)):
        state.applyObjects(kind) { $0.delete(kind, o) }
        fx = state.rampsServerChanged(kind)
    case .objectReloaded(let kind, let o):
        state.applyObjects(kind) { $0.upsert(kind, o) }
        // Every split of the object reloaded (a route's rules) may settle a write of unknown outcome.
        let ref = ObjectRef(object: o)
        let ids = state.splitEditor.drafts.keys.filter {
            $0.kind.objectKind == kind && $0.ref == ObjectRef(namespace: clean(ref.namespace), name: clean(ref.name))
        }
        state.edit(.reloaded(Array(ids)))
        fx = state.rampsServerChanged(kind)
    case .watchFailed(let kind, let e, let retry):
        state.noteConnection(.watchFailed(kind, e, retryIn: retry))
        fx = state.rampsConnectionLost(kind: kind)

    case .metricsSampled(let ns, let lists, let fetched, let at):
        state.now = max(state.now, at)
        let before = state.metrics.edgeSetVersion
        state.metrics.record(namespace: ns, lists: lists, edgesFetched: fetched, at: at)
        state.noteConnection(.dataArrived(at: at))
        if state.metrics.edgeSetVersion != before { state.rebuildGraph() }
        fx = state.nextMetricsPoll()
        fx += state.rampsObserve(at: at)
    case .metricsHistory(let ns, let points):
        // History says nothing about the connection now, and schedules no poll.
        let before = state.metrics.edgeSetVersion
        state.metrics.mergeHistory(namespace: ns, points: points.map { ($0.at, $0.lists) })
        if state.metrics.edgeSetVersion != before { state.rebuildGraph() }
    case .metricsSource(let name): state.metrics.source = clean(name, limit: 120)
    case .metricsFailed(let ns, let e, let at):
        state.now = max(state.now, at)
        state.metrics.recordFailure(namespace: ns, message: e.userMessage, at: at)
        // Metrics health is not connection health: a metrics adapter (or Prometheus) that is
        // down marks the metrics stale, while the watches alone say whether the cluster is
        // reachable. The next poll backs off.
        state.set("metrics: \(e.userMessage)", .warning)
        state.offerPortForward(for: e)
        state.noteConnection(.recheck)
        fx = state.nextMetricsPoll()

    case .patchSucceeded(let id, let object): fx = state.edit(.patchSucceeded(requestID: id, object: object))
    case .patchFailed(let id, let error): fx = state.edit(.patchFailed(requestID: id, error: error))
    case .dryRunResult(let id, let result): fx = state.edit(.dryRunResult(requestID: id, result: result))
    case .canaryAnswered(let request, let result): fx = state.edit(.canaryAnswered(request, result))
    case .reloadFailed(_, let ref, let e):
        state.edit(.reloadFailed(ref.id, e))
        state.set("could not reload \(ref): \(e.userMessage)", .error)

    case .accessReview(let allowed, let reason):
        if allowed {
            state.readOnly.deniedReason = nil
        } else if state.context.scope == .all {
            // With -A the review asks about every namespace at once: a "no" there still leaves
            // a namespace-scoped user (the common RBAC) free to write in their own namespaces.
            // Writes stay enabled; the server's 403, if one comes, is explained then.
            state.readOnly.deniedReason = nil
            state.set("you may not patch trafficsplits in every namespace; writes are checked per namespace", .warning)
        } else {
            state.readOnly.deniedReason = clean(reason ?? "denied")
            state.set("read-only: \(state.readOnly.reason ?? "")", .warning)
        }

    case .warning(let text):
        state.set(text, .warning)
    case .sessionRestored(let snapshot):
        state.restoreSession(snapshot)
    case .contextSwitched(let info):
        state.context = info
        // The runtime stopped the forward with the old context.
        state.portForward = .none
        state.resetData()
        state.edit(.reset)
        // Ramps belong to the cluster they write to; they stay saved under its session key.
        state.ramps = [:]
        state.rampOpen = nil
        state.rampForm = nil
        state.restoredRamps = [:]
        state.readOnly.deniedReason = nil
        state.applyReadOnlyOptions()
        state.set("switched to context \(info.context)")
        fx = [.startWatches(info.scope), .pollMetrics(info.scope, window: state.options.metricsWindow, after: 0)]
        if !state.readOnly.flag { fx.append(.reviewAccess(info.scope)) }
    case .contextSwitchFailed(let name, let error):
        if state.context.server.isEmpty {
            // Nothing is connected (the kubeconfig at start, or the one :kubeconfig named, is
            // unusable): say so in the badge and the header for as long as it lasts, rather
            // than CONNECTING forever, with what to do next.
            state.noteConnection(.noCluster(clean(error, limit: 300)))
            state.set("no cluster: \(clean(error, limit: 300)); :kubeconfig PATH or :ctx NAME picks one", .error)
        } else {
            state.set("cannot switch to \(clean(name)): \(clean(error, limit: 300)); still on context \(state.context.context)", .error)
        }
    case .namespaceChecked(let name, let exists):
        fx = state.namespaceChecked(name, exists: exists)
    case .themeChanged(let name):
        state.theme = name
        state.set("theme \(name)")
    case .themeFailed(let name, let error):
        state.set("theme \(clean(name)): \(clean(error, limit: 300))", .error)
    case .portForwardStarted(let url, let pid):
        state.portForwardStarted(url: url, pid: pid)
        // Poll now through the forward rather than after the backed-off wait.
        fx = [.pollMetrics(state.context.scope, window: state.options.metricsWindow, after: 0)]
    case .portForwardFailed(let message):
        state.portForwardFailed(message)
    }
    return fx
}

extension KubeError {
    /// The API server could not be reached or is failing (as opposed to refusing one request).
    var isUnreachable: Bool { isTransport || (code ?? 0) >= 500 || isTooManyRequests }
}

extension AppState {
    mutating func set(_ text: String, _ level: StatusLine.Level = .info) {
        message = StatusLine(clean(text, limit: 500), level: level, at: now)
    }

    /// Messages are news, not state: each leaves the footer after its level's lifetime, so
    /// "connecting to …" or an old 503 never sits under a LIVE badge. What stays true for
    /// longer (OFFLINE and its cause, read-only, metrics stale) is in the header.
    mutating func expireMessage() {
        guard let m = message, now - m.at >= m.level.lifetime else { return }
        message = nil
    }

    /// The next poll after one finished; none when polling is paused (`--refresh 0`): the
    /// first sample stays on screen and the process sleeps until a key or a watch event.
    /// The next poll: the refresh interval, doubled for each failed poll in a row (at most
    /// 32 times and a minute), so an outage is not hammered.
    func nextMetricsPoll() -> [Effect] {
        guard options.refreshInterval > 0 else { return [] }
        let factor = Double(1 << min(metrics.consecutiveFailures, 5))
        let after = min(options.refreshInterval * factor, max(options.refreshInterval, 60))
        return [.pollMetrics(context.scope, window: options.metricsWindow, after: after)]
    }

    // MARK: connection

    /// Tells the connection badge a fact; what it has to say goes to the footer as a warning.
    mutating func noteConnection(_ event: ConnectionEvent) {
        if let said = connection.handle(event, now: now, offlineAfter: options.offlineAfter) { set(said, .warning) }
    }

    // MARK: data

    mutating func applyObjects(_ kind: ObjectKind, _ change: (inout MeshStore) -> StoreChange) {
        let c = change(&store)
        noteConnection(.dataArrived(at: now))
        if c.topologyChanged && (kind == .service || kind == .deployment || kind == .trafficSplit || kind.routeKind != nil) {
            graphStale = true
        } else if !graphStale {
            // Same nodes and edges: patch the labels that changed, in place.
            for id in c.changedSplits {
                guard let s = store.splits[id] else { continue }
                let change = graph.splitShareChange(id, s)
                if let change { graph.apply(change) }
                // The visible graph is usually the graph itself (a copy, its own since the
                // first patch): its edges are found once, for both.
                if let change, visibleGraph.hasSameStructure(as: graph) {
                    visibleGraph.apply(change)
                } else {
                    visibleGraph.updateSplitShares(id, s)
                }
            }
            for d in c.changedDeployments.compactMap({ store.deployments[$0] }) {
                let sub = MeshGraph.deploymentSubtitle(d)
                graph.updateSubtitle(NodeID(.workload, d.id), sub)
                visibleGraph.updateSubtitle(NodeID(.workload, d.id), sub)
            }
        }
        // Drafts of these splits follow the server, show theirs, or settle a write of unknown outcome.
        if !c.changedSplits.isEmpty && !splitEditor.drafts.isEmpty { edit(.serverChanged(Array(c.changedSplits))) }
    }

    /// Rebuilds the graph if object deltas changed its topology since the last time. The
    /// runtime calls it before drawing a frame; `reduce` before any message that reads the graph.
    public mutating func settle() {
        guard graphStale else { return }
        graphStale = false
        rebuildGraph()
    }

    /// Graph rebuild is O(objects); the layout is recomputed only for a new topology.
    mutating func rebuildGraph(topologyChanged: Bool = true) {
        graphStale = false
        // Let the old graph go first (the visible one shares it): holding both while the new
        // one is built was the start-up peak.
        graph = MeshGraph()
        visibleGraph = MeshGraph()
        graph = MeshGraph.build(store: store, observedEdges: metrics.edges.keys)
        refreshVisibleGraph()
    }

    public mutating func refreshVisibleGraph() {
        let shown: MeshGraph
        let mode = navigation.graphViewMode
        switch mode {
        case .both: shown = graph
        case .workloads, .services:
            let kind: NodeKind = mode == .workloads ? .workload : .service
            shown = graph.subgraph(keeping: Set(graph.nodes.lazy.filter { $0.id.kind == kind }.map(\.id)))
        }
        var focusKept = false
        if let f = navigation.focus, shown.index[f] != nil {
            visibleGraph = shown.subgraph(keeping: shown.neighbourhood(of: f))
            focusKept = true
        } else {
            visibleGraph = shown
        }
        var layoutChanged = false
        if visibleGraph.topologyKey != layout.topologyKey || (layout.boxes.isEmpty && !visibleGraph.nodes.isEmpty) {
            var options = LayoutOptions()
            // The namespace asked for comes first: its boxes are the first screen, not the
            // callers and callees it has in other namespaces.
            options.firstNamespace = context.scope.namespace
            // As with the graph: the old layout goes before the new one is computed.
            layout = .empty
            layout = Layout.compute(visibleGraph, options: options)
            layoutGeneration += 1
            layoutChanged = true
        }
        // A focus or selection that went, goes; the pan is clamped to a new layout.
        navigate(.graphChanged(focusKept: focusKept, layoutChanged: layoutChanged))
    }

    mutating func resetData() {
        store = MeshStore()
        metrics.reset()
        graph = MeshGraph()
        visibleGraph = MeshGraph()
        layout = .empty
        navigate(.reset)
        noteConnection(.reset)
    }
}
