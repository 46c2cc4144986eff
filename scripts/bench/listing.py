"""The listing section: smitop vs kubectl vs curl on lists of 100 to 10,000 splits."""

import json
import os
import shutil
import tempfile

from .common import REPO, log, short_error
from .fmt import mb, med, ms
from .processes import timed_run


def pick_kubectl(args, minor):
    """kubectl on PATH; gcloud's version dispatcher is bypassed for the versioned binary it
    would run, so that kubectl is measured, not the dispatcher in front of it."""
    if args.kubectl:
        return args.kubectl, "as given (--kubectl)"
    path = shutil.which("kubectl") or os.path.join(REPO, ".build/kubectl/usr/bin/kubectl")
    real = os.path.realpath(path)
    if os.path.basename(real) == "kubectl" and "google-cloud-sdk" in real:
        cand = os.path.join(os.path.dirname(real), f"kubectl.1.{minor}")
        if os.access(cand, os.X_OK):
            return cand, f"`{cand}`, the binary gcloud's kubectl dispatcher (`{path}`) runs for a 1.{minor} server, called directly"
    return path, f"`{path}`"


def warm_up(tool, argv, work, env, res, expected, timeout, to_stdout=True, what="items"):
    """One run of `tool` whose JSON output is kept, checked (its `items`, against `expected`)
    and deleted; bytes and items go into `res`, problems into `res["errors"]`. Returns the
    items (empty after a failure)."""
    out = os.path.join(work, f"warmup-{tool}.out")
    try:
        r = timed_run(argv(out), timeout, work, env=env, stdout_path=out if to_stdout else None)
        if not r.ok:
            res["errors"].append(f"{tool} warm-up failed (exit {r.rc}{', timed out' if r.timed_out else ''}): {r.stderr[-200:]}")
            return []
        res["bytes"][tool] = os.path.getsize(out)
        with open(out, "rb") as f:
            items = json.load(f).get("items") or []
        res["items"][tool] = len(items)
        if len(items) != expected:
            res["errors"].append(f"{tool} returned {len(items)} {what}, expected {expected}")
        return items
    except Exception as e:
        res["errors"].append(f"{tool} warm-up: {short_error(e)}")
        return []
    finally:
        if os.path.exists(out):
            os.remove(out)


def listing_size(args, ctx, sim):
    """Interleaved runs of smitop, kubectl and curl against one simulator."""
    res = {"services": sim.services, "splits": sim.splits, "runs": {"smitop": [], "kubectl": [], "curl": []},
           "bytes": {}, "items": {}, "errors": [], "sim_ready_s": sim.ready_seconds}
    work = tempfile.mkdtemp(prefix=f"list-{sim.splits}-", dir=ctx["tmp"])
    cache = os.path.join(work, "kubectl-cache")
    env = dict(os.environ, HOME=ctx["home"])
    env.pop("KUBECONFIG", None)
    url = f"{sim.server}/apis/split.smi-spec.io/{sim.split_version}/trafficsplits"
    res["url_path"] = f"/apis/split.smi-spec.io/{sim.split_version}/trafficsplits"

    def argv(tool, out):
        if tool == "smitop":
            return [ctx["bin"], "splits", "-A", "-o", "json", "--kubeconfig", sim.kubeconfig]
        if tool == "kubectl":
            return [ctx["kubectl"], "--kubeconfig", sim.kubeconfig, "--cache-dir", cache,
                    "get", "trafficsplits", "-A", "-o", "json"]
        return ["curl", "-sS", "--fail", "--cacert", sim.ca_file, "-H", "@" + sim.header_file,
                "-o", out or os.devnull, url]

    timeout = 120
    tools = ("smitop", "kubectl", "curl")
    # Warm-up: one run each, outputs kept and checked (then deleted).
    for tool in tools:
        warm_up(tool, lambda out: argv(tool, out), work, env, res, expected=sim.splits, timeout=timeout,
                to_stdout=tool != "curl")
    # Measured rounds; the order rotates so that position effects hit every tool alike.
    for i in range(ctx["runs"]):
        order = tools[i % 3:] + tools[: i % 3]
        for tool in order:
            try:
                r = timed_run(argv(tool, None), timeout, work, env=env, sim=sim)
            except Exception as e:
                res["errors"].append(f"{tool} run {i + 1}: {short_error(e)}")
                continue
            if r.ok:
                res["runs"][tool].append(r)
            else:
                res["errors"].append(f"{tool} run {i + 1} failed (exit {r.rc}{', timed out' if r.timed_out else ''}): {r.stderr[-200:]}")
    res["sim_rss_kib"] = sim.rss_kib()
    shutil.rmtree(work, ignore_errors=True)
    runs = res["runs"]
    log(f"listing {sim.splits}: " + ", ".join(
        f"{t} {ms(med([r.wall for r in runs[t]]))} / {mb(med([r.maxrss_kib for r in runs[t]]))}" for t in tools if runs[t]))
    return res
