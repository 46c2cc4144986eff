// What `reduce` asks the runtime to do, and the facts the runtime reports back. Both are plain
// data so every behaviour of the UI is a unit test.

import Kube
import KubeCore
import Mesh
import SMI

/// Which namespaces the UI shows: one, or all (`-A`).
public enum NamespaceScope: Sendable, Hashable, CustomStringConvertible {
    case one(String)
    case all
    /// nil for all namespaces: the form metrics and watch paths take.
    public var namespace: String? {
        if case .one(let n) = self { return n }
        return nil
    }
    public var description: String { namespace ?? "all namespaces" }
}

/// The address of a split's object for writes: written back in the apiVersion it was read in.
/// For a route rule, the object is the whole route (the patch carries every rule).
public struct SplitRef: Sendable, Hashable, CustomStringConvertible {
    public var id: SplitID
    /// "split.smi-spec.io/v1alpha2", "gateway.networking.k8s.io/v1": the version read.
    public var apiVersion: String
    public init(id: SplitID, apiVersion: String) {
        self.id = id
        self.apiVersion = apiVersion
    }
    /// A TrafficSplit's address (tests and the session file's older entries).
    public init(namespace: String, name: String, apiVersion: String) {
        self.init(id: .trafficSplit(namespace, name), apiVersion: apiVersion)
    }
    public init(_ split: WeightedSplit) {
        self.init(id: split.id, apiVersion: split.apiVersion)
    }
    public var namespace: String { id.namespace }
    public var name: String { id.name }
    /// `/apis/split.smi-spec.io/v1alpha2/namespaces/ns/trafficsplits/name`,
    /// `/apis/gateway.networking.k8s.io/v1/namespaces/ns/httproutes/name`.
    /// Every part escaped: the names come from watched objects or a restored session file.
    public var path: String {
        let gv = apiVersion.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map { pathSegment(String($0)) }
        let resource: String
        switch id.kind {
        case .trafficSplit: resource = "trafficsplits"
        case .route(let k): resource = k.resource
        }
        return "/apis/\(gv.joined(separator: "/"))/namespaces/\(pathSegment(namespace))/\(resource)/\(pathSegment(name))"
    }
    public var description: String {
        switch id.kind {
        case .trafficSplit: return "trafficsplit/\(name) -n \(namespace)"
        case .route: return "\(id.kind.typeName)/\(name) -n \(namespace) rule \(id.rule)"
        }
    }
}

/// A JSON merge patch (`application/merge-patch+json`) of a TrafficSplit.
public struct PatchRequest: Sendable, Equatable {
    /// Echoed in `.patchSucceeded`/`.patchFailed`/`.dryRunResult`.
    public var id: Int
    public var split: SplitRef
    /// Full `backends` list plus `metadata.resourceVersion` (see `TrafficSplit.weightsMergePatch`).
    public var body: JSON
    /// Send `?dryRun=All`; answer with `.dryRunResult`.
    public var dryRun: Bool
    /// The resourceVersion inside `body`: the server answers 409 if the object moved on.
    public var expectedResourceVersion: String?
    /// `?fieldManager=`, so controllers and audits can see who wrote.
    public var fieldManager: String = "smitop"
}

extension PatchRequest {
    /// The one place a weight write is built (write, dry run and undo all come here): the
    /// full backend list of `target` and the resourceVersion of `base`, the server object the
    /// weights were computed from, both in the body (what the API server checks: a stale one
    /// gets 409, never a silent overwrite) and in `expectedResourceVersion`. nil when `base`
    /// has no resourceVersion: an unguarded write is never made.
    public static func weights(id: Int, _ target: WeightedSplit, basedOn base: WeightedSplit, dryRun: Bool) -> PatchRequest? {
        guard let rv = base.meta.resourceVersion else { return nil }
        var guarded = target
        guarded.meta.resourceVersion = rv
        return PatchRequest(id: id, split: SplitRef(base), body: guarded.weightsMergePatch(), dryRun: dryRun, expectedResourceVersion: rv)
    }
}

public enum Effect: Sendable, Equatable {
    /// (Re)start one reflector per `ObjectKind` for the scope, stopping any previous ones.
    /// Results come back as `.objects` and `.watchFailed`.
    case startWatches(NamespaceScope)
    /// Poll TrafficMetrics for the scope once, `after` seconds from now (0 = now). A newer
    /// `pollMetrics` replaces a pending one. For each namespace: the `deployments` list and,
    /// for each deployment, its `/edges`. Answer `.metricsSampled` or `.metricsFailed`.
    case pollMetrics(NamespaceScope, window: String, after: Seconds)
    /// Deliver `.tick(now:)` after this many seconds (replaces a pending tick).
    case scheduleTick(after: Seconds)
    case patch(PatchRequest)
    /// GET the object and answer `.objectReloaded` or `.reloadFailed` (after a 409).
    case reloadObject(ObjectKind, SplitRef)
    /// SelfSubjectAccessReview for `patch` on trafficsplits.split.smi-spec.io in the scope;
    /// answer `.accessReview`.
    case reviewAccess(NamespaceScope)
    /// Load the kubeconfig context and reconnect; answer `.contextSwitched` or `.contextSwitchFailed`.
    case switchContext(String)
    /// `:kubeconfig PATH`: read another kubeconfig and connect to its current context; answer
    /// `.contextSwitched` or `.contextSwitchFailed`.
    case switchKubeconfig(String)
    /// `:ns NAME`: does the namespace exist? Answer `.namespaceChecked`.
    case checkNamespace(String)
    /// Load the theme; answer `.themeChanged` or `.themeFailed`.
    case setTheme(String)
    /// Give the terminal back to the shell and stop the process (Ctrl-Z); state is untouched.
    case suspend
    /// Append one line to the ramp audit trail (ramps.log).
    case appendRampLog(JSON)
    /// GET, or merge-patch `spec.suspend` of, the Flagger Canary that owns a draft's split;
    /// answer `.canaryAnswered` (see App/Canary.swift).
    case canary(CanaryRequest)
    /// Run `kubectl port-forward` to the Service (with the context's kubeconfig flags) and read
    /// metrics through it; answer `.portForwardStarted` or `.portForwardFailed`. The runtime
    /// owns the process: it stops it on exit and on a context switch.
    case startPortForward(PortForwardSuggestion, context: String?)
    /// Restore the terminal and exit 0.
    case quit
}

/// What changed in the set of objects of one kind, as an informer reports it.
public enum ObjectDelta: Sendable, Equatable {
    /// A complete list (the first one, or a relist): the objects of the kind are exactly these.
    case replaced([JSON])
    /// Added or modified.
    case upserted(JSON)
    case deleted(JSON)
}

/// Everything that happens. `reduce(&state, message)` is the only way state changes.
public enum Message: Sendable, Equatable {
    /// First message after the terminal is up.
    case start(now: Seconds)
    case key(Key)
    case mouse(MouseEvent)
    case resized(TermSize)
    /// The 1 Hz clock (and any other moment the runtime wants the clock updated).
    case tick(now: Seconds)

    // Objects (from the runtime's informers): one fact, one case.
    case objects(ObjectKind, ObjectDelta)
    case watchFailed(ObjectKind, KubeError, retryIn: Seconds)

    // Metrics.
    /// `edgesFetched`: the deployments whose `/edges` this poll read (nil: all of them); the
    /// edges of the others keep their last sample instead of getting a gap.
    case metricsSampled(namespace: String?, lists: [TrafficMetricsList], edgesFetched: Set<ObjectRef>? = nil, at: Seconds)
    case metricsFailed(namespace: String?, error: KubeError, at: Seconds)
    /// A scope's history from the source (Prometheus' `query_range`), oldest first, whenever
    /// it answers: before the first live poll or after many.
    case metricsHistory(namespace: String?, points: [MetricsHistoryPoint])
    /// Which source answers the metrics polls ("smi", "linkerd prometheus via …"), sent when
    /// it is first known and whenever it changes.
    case metricsSource(String)

    // Writes.
    case patchSucceeded(requestID: Int, object: JSON)
    case patchFailed(requestID: Int, error: KubeError)
    case dryRunResult(requestID: Int, result: Result<JSON, KubeError>)
    case objectReloaded(ObjectKind, JSON)
    case reloadFailed(ObjectKind, SplitRef, KubeError)
    /// The answer to a `.canary` effect: the Canary as the server returned it, or the error.
    case canaryAnswered(CanaryRequest, Result<JSON, KubeError>)

    /// Result of a SelfSubjectAccessReview for patching trafficsplits.
    case accessReview(allowed: Bool, reason: String?)

    /// Something the runtime could not do that the user should know (saving drafts failed).
    case warning(String)
    /// Drafts and the write journal saved by the last run in this context.
    case sessionRestored(SessionSnapshot)
    case contextSwitched(ContextInfo)
    case contextSwitchFailed(name: String, error: String)
    /// `exists`: false when the server said 404, nil when it could not tell (403, offline).
    case namespaceChecked(String, exists: Bool?)
    case themeChanged(String)
    case themeFailed(name: String, error: String)
    /// kubectl port-forward is up: metrics now come from `url`.
    case portForwardStarted(url: String, pid: Int32)
    case portForwardFailed(String)
}

/// One instant of a source's history: the lists a live poll at `at` would have read.
public struct MetricsHistoryPoint: Sendable, Equatable {
    public var at: Seconds
    public var lists: [TrafficMetricsList]
    public init(at: Seconds, lists: [TrafficMetricsList]) {
        self.at = at
        self.lists = lists
    }
}
