"""Watch TrafficSplits with the official Python client, see a change made by another client,
survive a forced 410 the way a controller must (re-list, watch from the list's
resourceVersion), and see a later change.

Usage: watch_recover.py KUBECONFIG SPLIT_VERSION NAMESPACE NAME
Phases are driven by the label `phase` the Swift test sets on NAME. Prints JSON lines.
"""
import sys

from kubernetes import client, watch

from simclient import GROUP, connect, out


def main():
    version, ns, name = connect()
    custom = client.CustomObjectsApi()

    def relist():
        lst = custom.list_namespaced_custom_object(GROUP, version, ns, "trafficsplits")
        return lst["metadata"]["resourceVersion"]

    rv = relist()
    out(step="listed", rv=rv)
    seen_one = False
    try:
        # No timeout_seconds: the client then retries one 410 by itself from the same
        # resourceVersion, and raises on the second.
        for ev in watch.Watch().stream(custom.list_namespaced_custom_object, GROUP, version, ns,
                                       "trafficsplits", resource_version=rv):
            obj = ev["object"]
            labels = obj.get("metadata", {}).get("labels") or {}
            out(step="event", type=ev["type"], name=obj["metadata"].get("name"),
                rv=obj["metadata"].get("resourceVersion"), phase=labels.get("phase"))
            if ev["type"] == "MODIFIED" and obj["metadata"]["name"] == name and labels.get("phase") == "one":
                seen_one = True
        out(step="stream-ended", seen_one=seen_one)
        sys.exit(2)
    except client.exceptions.ApiException as e:
        out(step="gone", status=e.status, seen_one=seen_one)
        if e.status != 410:
            sys.exit(3)

    rv = relist()
    out(step="relisted", rv=rv)
    for ev in watch.Watch().stream(custom.list_namespaced_custom_object, GROUP, version, ns,
                                   "trafficsplits", resource_version=rv, timeout_seconds=60):
        obj = ev["object"]
        labels = obj.get("metadata", {}).get("labels") or {}
        out(step="event", type=ev["type"], name=obj["metadata"].get("name"),
            rv=obj["metadata"].get("resourceVersion"), phase=labels.get("phase"))
        if ev["type"] == "MODIFIED" and obj["metadata"]["name"] == name and labels.get("phase") == "two":
            out(step="done")
            return
    out(step="timeout")
    sys.exit(4)


if __name__ == "__main__":
    main()
