/// Field tables of the Kubernetes protobuf messages the simulator decodes: the built-in kinds
/// kubectl's typed clients send as protobuf (create namespace/deployment/service/configmap,
/// expose, run, scale), with the fields those commands and ordinary manifests set. Field
/// numbers are the wire interface of k8s.io/api and k8s.io/apimachinery's generated.proto
/// (stable across releases: fields are only ever added). A set field missing here is refused
/// with 415 rather than dropped, so a client never loses data silently.
public enum KubeProtobufSchema {
    public indirect enum Kind: Sendable {
        case string, int32, int64, bool, bytes, time, intOrString, quantity
        /// metav1.FieldsV1 {raw}: JSON bytes carried as they are.
        case rawJSON
        case message(String)
        case stringMap, quantityMap, bytesMap

        var isMessage: Bool {
            if case .message = self { return true }
            return false
        }
    }

    public struct FieldSpec: Sendable {
        public var name: String
        public var kind: Kind
        public var repeated = false
        /// Pointer fields in Go: written only when set, so a zero value is meaningful (replicas: 0).
        public var keepZero = false
    }

    static func f(_ n: Int, _ name: String, _ kind: Kind) -> (Int, FieldSpec) { (n, FieldSpec(name: name, kind: kind)) }
    static func list(_ n: Int, _ name: String, _ kind: Kind) -> (Int, FieldSpec) { (n, FieldSpec(name: name, kind: kind, repeated: true)) }
    static func ptr(_ n: Int, _ name: String, _ kind: Kind) -> (Int, FieldSpec) { (n, FieldSpec(name: name, kind: kind, keepZero: true)) }

    /// Kinds accepted as a request body, by the envelope's `kind`: their root message.
    public static let topLevel: [String: String] = [
        "Namespace": "Namespace", "Service": "Service", "Pod": "Pod", "ConfigMap": "ConfigMap",
        "Endpoints": "Endpoints", "Deployment": "Deployment", "Scale": "Scale", "Event": "Event",
        "DeleteOptions": "DeleteOptions",
    ]

    public static let messages: [String: [Int: FieldSpec]] = {
        var m: [String: [Int: FieldSpec]] = [:]
        func def(_ name: String, _ fields: [(Int, FieldSpec)]) { m[name] = Dictionary(uniqueKeysWithValues: fields) }
        // k8s.io/apimachinery/pkg/apis/meta/v1
        def(
            "ObjectMeta",
            [
                f(1, "name", .string), f(2, "generateName", .string), f(3, "namespace", .string), f(4, "selfLink", .string),
                f(5, "uid", .string), f(6, "resourceVersion", .string), f(7, "generation", .int64),
                f(8, "creationTimestamp", .time), f(9, "deletionTimestamp", .time), ptr(10, "deletionGracePeriodSeconds", .int64),
                f(11, "labels", .stringMap), f(12, "annotations", .stringMap), list(13, "ownerReferences", .message("OwnerReference")),
                list(14, "finalizers", .string), list(17, "managedFields", .message("ManagedFieldsEntry")),
            ])
        def(
            "ManagedFieldsEntry",
            [
                f(1, "manager", .string), f(2, "operation", .string), f(3, "apiVersion", .string), f(4, "time", .time),
                f(6, "fieldsType", .string), f(7, "fieldsV1", .rawJSON), f(8, "subresource", .string),
            ])
        def(
            "OwnerReference",
            [
                f(1, "kind", .string), f(3, "name", .string), f(4, "uid", .string), f(5, "apiVersion", .string),
                ptr(6, "controller", .bool), ptr(7, "blockOwnerDeletion", .bool),
            ])
        def("LabelSelector", [f(1, "matchLabels", .stringMap), list(2, "matchExpressions", .message("LabelSelectorRequirement"))])
        def("LabelSelectorRequirement", [f(1, "key", .string), f(2, "operator", .string), list(3, "values", .string)])
        def(
            "DeleteOptions",
            [
                ptr(1, "gracePeriodSeconds", .int64), f(2, "preconditions", .message("Preconditions")), ptr(3, "orphanDependents", .bool),
                ptr(4, "propagationPolicy", .string), list(5, "dryRun", .string),
            ])
        def("Preconditions", [ptr(1, "uid", .string), ptr(2, "resourceVersion", .string)])
        // k8s.io/api/core/v1
        def("Namespace", [f(1, "metadata", .message("ObjectMeta")), f(2, "spec", .message("NamespaceSpec")), f(3, "status", .message("NamespaceStatus"))])
        def("NamespaceSpec", [list(1, "finalizers", .string)])
        def("NamespaceStatus", [f(1, "phase", .string)])
        def("Service", [f(1, "metadata", .message("ObjectMeta")), f(2, "spec", .message("ServiceSpec")), f(3, "status", .message("ServiceStatus"))])
        def(
            "ServiceSpec",
            [
                list(1, "ports", .message("ServicePort")), f(2, "selector", .stringMap), f(3, "clusterIP", .string), f(4, "type", .string),
                list(5, "externalIPs", .string), f(7, "sessionAffinity", .string), f(8, "loadBalancerIP", .string),
                list(9, "loadBalancerSourceRanges", .string), f(10, "externalName", .string), f(11, "externalTrafficPolicy", .string),
                f(12, "healthCheckNodePort", .int32), f(13, "publishNotReadyAddresses", .bool), ptr(17, "ipFamilyPolicy", .string),
                list(18, "clusterIPs", .string), list(19, "ipFamilies", .string), ptr(20, "allocateLoadBalancerNodePorts", .bool),
                ptr(21, "loadBalancerClass", .string), ptr(22, "internalTrafficPolicy", .string), ptr(23, "trafficDistribution", .string),
            ])
        def(
            "ServicePort",
            [
                f(1, "name", .string), f(2, "protocol", .string), f(3, "port", .int32), f(4, "targetPort", .intOrString),
                f(5, "nodePort", .int32), ptr(6, "appProtocol", .string),
            ])
        def("ServiceStatus", [f(1, "loadBalancer", .message("Empty"))])
        def("Empty", [])
        def(
            "ConfigMap",
            [f(1, "metadata", .message("ObjectMeta")), f(2, "data", .stringMap), f(3, "binaryData", .bytesMap), ptr(4, "immutable", .bool)])
        def("Pod", [f(1, "metadata", .message("ObjectMeta")), f(2, "spec", .message("PodSpec")), f(3, "status", .message("PodStatus"))])
        def("PodStatus", [f(1, "phase", .string)])
        def(
            "PodSpec",
            [
                list(2, "containers", .message("Container")), f(3, "restartPolicy", .string), ptr(4, "terminationGracePeriodSeconds", .int64),
                ptr(5, "activeDeadlineSeconds", .int64), f(6, "dnsPolicy", .string), f(7, "nodeSelector", .stringMap),
                f(8, "serviceAccountName", .string), f(9, "serviceAccount", .string), f(10, "nodeName", .string),
                f(11, "hostNetwork", .bool), f(12, "hostPID", .bool), f(13, "hostIPC", .bool), f(16, "hostname", .string),
                f(17, "subdomain", .string), f(19, "schedulerName", .string), list(20, "initContainers", .message("Container")),
                ptr(21, "automountServiceAccountToken", .bool), f(24, "priorityClassName", .string), ptr(25, "priority", .int32),
                ptr(29, "runtimeClassName", .string), ptr(30, "enableServiceLinks", .bool), ptr(31, "preemptionPolicy", .string),
                ptr(35, "setHostnameAsFQDN", .bool), ptr(37, "hostUsers", .bool),
            ])
        def(
            "Container",
            [
                f(1, "name", .string), f(2, "image", .string), list(3, "command", .string), list(4, "args", .string),
                f(5, "workingDir", .string), list(6, "ports", .message("ContainerPort")), list(7, "env", .message("EnvVar")),
                f(8, "resources", .message("ResourceRequirements")), f(13, "terminationMessagePath", .string),
                f(14, "imagePullPolicy", .string), f(16, "stdin", .bool), f(17, "stdinOnce", .bool), f(18, "tty", .bool),
                f(20, "terminationMessagePolicy", .string), ptr(24, "restartPolicy", .string),
            ])
        def(
            "ContainerPort",
            [f(1, "name", .string), f(2, "hostPort", .int32), f(3, "containerPort", .int32), f(4, "protocol", .string), f(5, "hostIP", .string)])
        def("EnvVar", [f(1, "name", .string), f(2, "value", .string)])
        def("ResourceRequirements", [f(1, "limits", .quantityMap), f(2, "requests", .quantityMap)])
        def("PodTemplateSpec", [f(1, "metadata", .message("ObjectMeta")), f(2, "spec", .message("PodSpec"))])
        def("Endpoints", [f(1, "metadata", .message("ObjectMeta")), list(2, "subsets", .message("EndpointSubset"))])
        def(
            "EndpointSubset",
            [
                list(1, "addresses", .message("EndpointAddress")), list(2, "notReadyAddresses", .message("EndpointAddress")),
                list(3, "ports", .message("EndpointPort")),
            ])
        def("EndpointAddress", [f(1, "ip", .string), f(3, "hostname", .string), ptr(4, "nodeName", .string)])
        def("EndpointPort", [f(1, "name", .string), f(2, "port", .int32), f(3, "protocol", .string), ptr(4, "appProtocol", .string)])
        def(
            "Event",
            [
                f(1, "metadata", .message("ObjectMeta")), f(2, "involvedObject", .message("ObjectReference")), f(3, "reason", .string),
                f(4, "message", .string), f(5, "source", .message("EventSource")), f(6, "firstTimestamp", .time), f(7, "lastTimestamp", .time),
                f(8, "count", .int32), f(9, "type", .string), f(12, "action", .string), f(14, "reportingComponent", .string),
                f(15, "reportingInstance", .string),
            ])
        def(
            "ObjectReference",
            [
                f(1, "kind", .string), f(2, "namespace", .string), f(3, "name", .string), f(4, "uid", .string), f(5, "apiVersion", .string),
                f(6, "resourceVersion", .string), f(7, "fieldPath", .string),
            ])
        def("EventSource", [f(1, "component", .string), f(2, "host", .string)])
        // k8s.io/api/apps/v1
        def(
            "Deployment",
            [f(1, "metadata", .message("ObjectMeta")), f(2, "spec", .message("DeploymentSpec")), f(3, "status", .message("DeploymentStatus"))])
        def(
            "DeploymentSpec",
            [
                ptr(1, "replicas", .int32), f(2, "selector", .message("LabelSelector")), f(3, "template", .message("PodTemplateSpec")),
                f(4, "strategy", .message("DeploymentStrategy")), f(5, "minReadySeconds", .int32), ptr(6, "revisionHistoryLimit", .int32),
                f(7, "paused", .bool), ptr(9, "progressDeadlineSeconds", .int32),
            ])
        def("DeploymentStrategy", [f(1, "type", .string), f(2, "rollingUpdate", .message("RollingUpdateDeployment"))])
        def("RollingUpdateDeployment", [f(1, "maxUnavailable", .intOrString), f(2, "maxSurge", .intOrString)])
        def(
            "DeploymentStatus",
            [
                f(1, "observedGeneration", .int64), f(2, "replicas", .int32), f(3, "updatedReplicas", .int32), f(4, "availableReplicas", .int32),
                f(5, "unavailableReplicas", .int32), f(7, "readyReplicas", .int32),
            ])
        // k8s.io/api/autoscaling/v1
        def("Scale", [f(1, "metadata", .message("ObjectMeta")), f(2, "spec", .message("ScaleSpec")), f(3, "status", .message("ScaleStatus"))])
        def("ScaleSpec", [f(1, "replicas", .int32)])
        def("ScaleStatus", [f(1, "replicas", .int32), f(2, "selector", .string)])
        return m
    }()
}
