"""The official Python client against the simulator: typed core/apps lists (strict models
must accept the simulator's objects), TrafficSplit list, merge patch and JSON patch.

Usage: list_and_patch.py KUBECONFIG SPLIT_VERSION NAMESPACE NAME
Prints one JSON object per line; the Swift test asserts on them.
"""
import json

from kubernetes import client

from simclient import GROUP, connect, out


def main():
    version, ns, name = connect()
    core = client.CoreV1Api()
    apps = client.AppsV1Api()
    custom = client.CustomObjectsApi()

    out(step="version", git=client.VersionApi().get_code().git_version)
    out(step="namespaces", names=sorted(n.metadata.name for n in core.list_namespace().items))
    svcs = core.list_namespaced_service(ns).items
    out(step="services", names=sorted(s.metadata.name for s in svcs),
        ports=sorted({p.port for s in svcs for p in (s.spec.ports or [])}))
    out(step="all-services", count=len(core.list_service_for_all_namespaces().items))
    out(step="pods", count=len(core.list_namespaced_pod(ns).items))
    out(step="deployments", names=sorted(d.metadata.name for d in apps.list_namespaced_deployment(ns).items))

    splits = custom.list_cluster_custom_object(GROUP, version, "trafficsplits")
    out(step="splits", rv=splits["metadata"]["resourceVersion"],
        names=sorted(f'{i["metadata"]["namespace"]}/{i["metadata"]["name"]}' for i in splits["items"]),
        apiVersions=sorted({i["apiVersion"] for i in splits["items"]}))

    before = custom.get_namespaced_custom_object(GROUP, version, ns, "trafficsplits", name)
    backends = before["spec"]["backends"]
    new = [dict(b, weight=w) for b, w in zip(backends, [33, 67])]
    # A dict body is sent as application/merge-patch+json.
    patched = custom.patch_namespaced_custom_object(GROUP, version, ns, "trafficsplits", name, {"spec": {"backends": new}})
    after = custom.get_namespaced_custom_object(GROUP, version, ns, "trafficsplits", name)
    out(step="merge-patch", before_rv=before["metadata"]["resourceVersion"],
        patched_rv=patched["metadata"]["resourceVersion"], after_rv=after["metadata"]["resourceVersion"],
        weights=[b["weight"] for b in after["spec"]["backends"]])

    ops = [{"op": "test", "path": "/spec/backends/0/weight", "value": 33},
           {"op": "replace", "path": "/spec/backends/0/weight", "value": 44},
           {"op": "replace", "path": "/spec/backends/1/weight", "value": 56}]
    custom.patch_namespaced_custom_object(GROUP, version, ns, "trafficsplits", name, ops,
                                          _content_type="application/json-patch+json")
    after = custom.get_namespaced_custom_object(GROUP, version, ns, "trafficsplits", name)
    out(step="json-patch", weights=[b["weight"] for b in after["spec"]["backends"]])

    try:
        custom.get_namespaced_custom_object(GROUP, version, ns, "trafficsplits", "no-such-split")
        out(step="missing", status=200)
    except client.exceptions.ApiException as e:
        out(step="missing", status=e.status, reason=json.loads(e.body).get("reason"))


if __name__ == "__main__":
    main()
