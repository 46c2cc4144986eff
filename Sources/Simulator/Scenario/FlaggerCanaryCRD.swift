// swift-format-ignore-file
// Flagger's Canary CRD (flagger.app/v1beta1), trimmed from the real one: fluxcd/flagger
// artifacts/flagger/crd.yaml (commit 023004dabdcb8b7077e56947321f214d581264cc), Apache-2.0,
// (c) the Flux authors. Kept as released: the names, the version, the status subresource, the
// printer columns and the schema of what the simulator and smitop read (targetRef, provider,
// service.port, suspend, the analysis' step fields, status phase and canaryWeight). Trimmed:
// the other properties of `service` and `analysis` (Istio traffic policy, match, metrics,
// webhooks, alerts, session affinity…), the autoscaler/ingress/upstream references, and
// descriptions; the trimmed objects carry `x-kubernetes-preserve-unknown-fields` so a real
// Canary manifest is stored whole instead of pruned. Not enforced: `oneOf` on analysis and
// `pattern` on interval (the simulator enforces neither; see docs/simulator.md).

extension EmbeddedFlagger {
    static let canaryCRD = #"""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: canaries.flagger.app
          annotations:
            helm.sh/resource-policy: keep
        spec:
          group: flagger.app
          names:
            kind: Canary
            listKind: CanaryList
            plural: canaries
            singular: canary
            categories:
              - all
          scope: Namespaced
          versions:
            - name: v1beta1
              served: true
              storage: true
              subresources:
                status: {}
              additionalPrinterColumns:
                - name: Status
                  type: string
                  jsonPath: .status.phase
                - name: Weight
                  type: string
                  jsonPath: .status.canaryWeight
                - name: Suspended
                  type: boolean
                  jsonPath: .spec.suspend
                  priority: 1
                - name: FailedChecks
                  type: string
                  jsonPath: .status.failedChecks
                  priority: 1
                - name: Interval
                  type: string
                  jsonPath: .spec.analysis.interval
                  priority: 1
                - name: Mirror
                  type: boolean
                  jsonPath: .spec.analysis.mirror
                  priority: 1
                - name: StepWeight
                  type: string
                  jsonPath: .spec.analysis.stepWeight
                  priority: 1
                - name: StepWeights
                  type: string
                  jsonPath: .spec.analysis.stepWeights
                  priority: 1
                - name: MaxWeight
                  type: string
                  jsonPath: .spec.analysis.maxWeight
                  priority: 1
                - name: LastTransitionTime
                  type: string
                  jsonPath: .status.lastTransitionTime
              schema:
                openAPIV3Schema:
                  description: Canary is the Schema for the Canary API.
                  type: object
                  properties:
                    apiVersion:
                      type: string
                    kind:
                      type: string
                    metadata:
                      type: object
                    spec:
                      description: CanarySpec defines the desired state of a Canary.
                      type: object
                      required:
                        - targetRef
                        - analysis
                      x-kubernetes-preserve-unknown-fields: true
                      properties:
                        provider:
                          description: Traffic managent provider
                          type: string
                          enum:
                            - apisix
                            - appmesh
                            - appmesh:v1beta2
                            - contour
                            - gatewayapi:v1
                            - gatewayapi:v1beta1
                            - gloo
                            - istio
                            - knative
                            - kubernetes
                            - kuma
                            - linkerd
                            - nginx
                            - osm
                            - skipper
                            - smi:v1alpha1
                            - smi:v1alpha2
                            - smi:v1alpha3
                            - traefik
                        metricsServer:
                          type: string
                        progressDeadlineSeconds:
                          type: number
                        targetRef:
                          type: object
                          required: ["apiVersion", "kind", "name"]
                          properties:
                            apiVersion:
                              type: string
                            kind:
                              type: string
                              enum:
                                - DaemonSet
                                - Deployment
                                - Service
                            name:
                              type: string
                        service:
                          type: object
                          required: ["port"]
                          x-kubernetes-preserve-unknown-fields: true
                          properties:
                            name:
                              type: string
                            port:
                              type: number
                            portName:
                              type: string
                            targetPort:
                              x-kubernetes-int-or-string: true
                        skipAnalysis:
                          type: boolean
                        revertOnDeletion:
                          type: boolean
                        suspend:
                          description: Suspend Canary disabling/pausing all canary runs
                          type: boolean
                        analysis:
                          type: object
                          x-kubernetes-preserve-unknown-fields: true
                          properties:
                            interval:
                              type: string
                            iterations:
                              type: number
                            threshold:
                              type: number
                            maxWeight:
                              type: number
                            stepWeight:
                              type: number
                            stepWeights:
                              type: array
                              items:
                                type: number
                            stepWeightPromotion:
                              type: number
                            mirror:
                              type: boolean
                    status:
                      description: CanaryStatus defines the observed state of a canary.
                      type: object
                      x-kubernetes-preserve-unknown-fields: true
                      properties:
                        phase:
                          type: string
                          enum:
                            - ""
                            - Initializing
                            - Initialized
                            - Waiting
                            - Progressing
                            - WaitingPromotion
                            - Promoting
                            - Finalising
                            - Succeeded
                            - Failed
                            - Terminating
                            - Terminated
                        failedChecks:
                          type: number
                        canaryWeight:
                          type: number
                        iterations:
                          type: number
                        lastTransitionTime:
                          format: date-time
                          type: string
                        conditions:
                          type: array
                          items:
                            type: object
                            required: [ "type", "status", "reason" ]
                            properties:
                              lastTransitionTime:
                                format: date-time
                                type: string
                              lastUpdateTime:
                                format: date-time
                                type: string
                              message:
                                type: string
                              reason:
                                type: string
                              status:
                                type: string
                              type:
                                type: string
        """#
}

enum EmbeddedFlagger {}
