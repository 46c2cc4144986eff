"""The routes section: 5,000 services with 10,000 HTTPRoutes of three rules each (issue 15's
size), listed by `smitop routes` beside kubectl, and the TUI's start-up on them."""

import os
import shutil
import tempfile

from .common import ROUTES_SIZE, log, short_error
from .fmt import mb, med, ms
from .listing import warm_up
from .processes import timed_run
from .simulator import Simulator
from .startup import startup


def routes_section(args, ctx):
    services, routes = ROUTES_SIZE
    res = {"services": services, "routes": routes, "runs": {"smitop": [], "kubectl": []}, "items": {}, "bytes": {}, "errors": []}
    # Linkerd 2.18 style: Gateway API v1 routes and no TrafficSplits, so every weighted
    # split on screen is a route rule.
    sim = Simulator(ctx["bin"], services, 0, ctx["tmp"], extra_args=["--profile", "linkerd-gamma", "--routes", str(routes)])
    try:
        sim.start()
        res["sim_ready_s"] = sim.ready_seconds
        work = tempfile.mkdtemp(prefix="routes-", dir=ctx["tmp"])
        cache = os.path.join(work, "kubectl-cache")
        env = dict(os.environ, HOME=ctx["home"])
        env.pop("KUBECONFIG", None)

        def argv(tool):
            if tool == "smitop":
                return [ctx["bin"], "routes", "-A", "-o", "json", "--kubeconfig", sim.kubeconfig]
            return [ctx["kubectl"], "--kubeconfig", sim.kubeconfig, "--cache-dir", cache,
                    "get", "httproutes.gateway.networking.k8s.io", "-A", "-o", "json"]

        tools = ("smitop", "kubectl")
        for tool in tools:
            items = warm_up(tool, lambda out: argv(tool), work, env, res, expected=routes, timeout=180, what="routes")
            if tool == "smitop":
                res["rules"] = sum(len(i.get("rules") or []) for i in items)
        for i in range(ctx["runs"]):
            for tool in tools if i % 2 == 0 else tools[::-1]:
                try:
                    r = timed_run(argv(tool), 180, work, env=env, sim=sim)
                except Exception as e:
                    res["errors"].append(f"{tool} run {i + 1}: {short_error(e)}")
                    continue
                if r.ok:
                    res["runs"][tool].append(r)
                else:
                    res["errors"].append(f"{tool} run {i + 1} failed (exit {r.rc}): {r.stderr[-200:]}")
        shutil.rmtree(work, ignore_errors=True)
        runs = res["runs"]
        log(f"routes {routes}: " + ", ".join(
            f"{t} {ms(med([r.wall for r in runs[t]]))} / {mb(med([r.maxrss_kib for r in runs[t]]))}" for t in tools if runs[t]))
        try:
            res["startup"] = startup(args, ctx, sim)
        except Exception as e:
            res["startup"] = {"error": short_error(e)}
    finally:
        sim.stop()
    return res
