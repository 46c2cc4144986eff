"""The official Python client against the simulator's playground kinds: the scale
subresource, the deployment controller's status and ReplicaSets, Events in both APIs (strict
models must accept them), ConfigMaps, and a namespace's Terminating phase.

Usage: playground.py KUBECONFIG SPLIT_VERSION NAMESPACE DEPLOYMENT
Prints one JSON object per line; the Swift test asserts on them.
"""
import time

from kubernetes import client

from simclient import connect, out


def main():
    _, ns, name = connect()
    core = client.CoreV1Api()
    apps = client.AppsV1Api()
    events = client.EventsV1Api()

    scale = apps.read_namespaced_deployment_scale(name, ns)
    out(step="scale", replicas=scale.spec.replicas, selector=scale.status.selector)
    apps.patch_namespaced_deployment_scale(name, ns, {"spec": {"replicas": 3}})
    # The controller takes a few passes; a cluster needs longer.
    for _ in range(100):
        d = apps.read_namespaced_deployment(name, ns)
        if (d.status.ready_replicas or 0) == 3 and d.status.observed_generation == d.metadata.generation:
            break
        time.sleep(0.1)
    out(step="deployment", ready=d.status.ready_replicas, updated=d.status.updated_replicas,
        conditions=sorted(f"{c.type}={c.status}" for c in d.status.conditions))
    rs = [r for r in apps.list_namespaced_replica_set(ns).items if r.metadata.name.startswith(name + "-")]
    out(step="replicasets", desired=[r.spec.replicas for r in rs], ready=[r.status.ready_replicas for r in rs])
    core_events = core.list_namespaced_event(ns, field_selector=f"involvedObject.name={name}").items
    out(step="core-events", reasons=sorted({e.reason for e in core_events}),
        messages=[e.message for e in core_events])
    new_events = events.list_namespaced_event(ns).items
    out(step="events-v1", reasons=sorted({e.reason for e in new_events}),
        regarding=sorted({e.regarding.kind for e in new_events}))

    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py-playground")))
    core.create_namespaced_config_map("py-playground", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="settings"), data={"color": "blue"}))
    out(step="configmap", data=core.read_namespaced_config_map("settings", "py-playground").data)
    core.delete_namespace("py-playground")
    phase = core.read_namespace("py-playground").status.phase
    for _ in range(100):
        try:
            core.read_namespace("py-playground")
        except client.exceptions.ApiException as e:
            out(step="namespace", phase=phase, gone=e.status)
            break
        time.sleep(0.1)


if __name__ == "__main__":
    main()
