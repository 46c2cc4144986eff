"""The prometheus section: what one metrics refresh costs when the source is Prometheus.

A generated simulator (Linkerd profile) whose proxies a real Prometheus (Debian's) scrapes
every 10 s, as linkerd-viz does, at two mesh sizes. One `smitop metrics -A --edges` run is one
refresh; Prometheus' own counters say how many queries it answered
(`prometheus_http_requests_total{handler="/api/v1/query"}`) and how many bytes it sent
(`prometheus_http_response_size_bytes_sum`), which must not grow with the number of edges.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from .common import PROMETHEUS_SIZES, log, short_error
from .processes import timed_run
from .simulator import Simulator
from .tmux import Tmux


def history_frame(ctx, sim, base, work):
    """The TUI on this Prometheus: launch → first complete frame → first frame with history
    (the start-up backfill's `query_range`), from the SMITOP_STARTUP_REPORT lines."""
    report = os.path.join(work, "startup.jsonl")
    t = Tmux(work, "promtui", ctx["home"])
    try:
        launched = time.time()
        t.start(f"exec env SMITOP_STARTUP_REPORT={report} {ctx['bin']} --kubeconfig {sim.kubeconfig} -A "
                f"--metrics linkerd --prometheus-url {base} 2>{os.path.join(work, 'tui.err')}")
        deadline = time.monotonic() + 180
        lines = []
        while time.monotonic() < deadline:
            try:
                with open(report) as f:
                    lines = [json.loads(l) for l in f.read().splitlines() if l.strip()]
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            if any("historyAt" in l for l in lines):
                break
            time.sleep(0.1)
        frame = next((l for l in lines if "frameAt" in l), None)
        hist = next((l for l in lines if "historyAt" in l), None)
        if not frame or not hist:
            raise RuntimeError(f"no {'history' if frame else 'first'} frame within 180 s")
        return {"frame": frame["frameAt"] - launched, "history": hist["historyAt"] - launched, "points": hist["historyPoints"]}
    finally:
        t.kill()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def own_counters(base):
    """(queries answered, bytes sent) by /api/v1/query, from Prometheus' own /metrics."""
    text = get(base + "/metrics").decode("utf-8", "replace")
    queries = bytes_sent = 0.0
    for line in text.splitlines():
        if 'handler="/api/v1/query"' not in line:
            continue
        value = float(line.rsplit(" ", 1)[1])
        if line.startswith("prometheus_http_requests_total{"):
            queries += value
        elif line.startswith("prometheus_http_response_size_bytes_sum{"):
            bytes_sent += value
    return queries, bytes_sent


def wait_up(base, timeout):
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            targets = json.loads(get(base + "/api/v1/targets?state=active", timeout=60))["data"]["activeTargets"]
            up = sum(1 for t in targets if t.get("health") == "up")
            last = f"{up}/{len(targets)} up"
            if targets and up == len(targets):
                return len(targets)
        except Exception as e:
            last = short_error(e)
        time.sleep(2)
    raise RuntimeError(f"prometheus targets not all up within {timeout} s ({last})")


def one_size(ctx, services):
    prom_port = free_port()
    prom_dir = tempfile.mkdtemp(prefix=f"prom-{services}-", dir=ctx["tmp"])
    config = os.path.join(prom_dir, "prometheus.yml")
    sim = Simulator(ctx["bin"], services, services, ctx["tmp"], extra_args=[
        "--profile", "linkerd", "--write-prometheus-config", config, "--prometheus-scrape-interval", "10s",
        "--prometheus-upstream", f"http://127.0.0.1:{prom_port}"], trace=False)
    prom = None
    try:
        sim.start()
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={prom_dir}/data",
             f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(os.path.join(prom_dir, "err"), "wb"),
            start_new_session=True)
        base = f"http://127.0.0.1:{prom_port}"
        targets = wait_up(base, 300)
        up_at = time.monotonic()
        # Two scrapes of every target, so increase() over 30 s has something to say.
        time.sleep(25)
        before = own_counters(base)
        out = os.path.join(prom_dir, "edges.json")
        argv = [ctx["bin"], "metrics", "-A", "--edges", "--metrics", "linkerd", "--prometheus-url", base,
                "--window", "30s", "-o", "json", "--kubeconfig", sim.kubeconfig]
        run = timed_run(argv, 120, prom_dir, env=dict(os.environ, HOME=ctx["home"]), stdout_path=out)
        # A query smitop gave up on (its 10 s timeout) is still counted once Prometheus ends it,
        # which a loaded machine has taken more than 5 s to do.
        time.sleep(15)
        after = own_counters(base)
        if run.rc != 0:
            raise RuntimeError(f"smitop metrics exited {run.rc}: {run.stderr[-200:]}")
        with open(out) as f:
            edges = len(json.load(f))
        result = {"services": services, "targets": targets, "edges": edges, "queries": after[0] - before[0],
                  "bytes": after[1] - before[1], "wall": run.wall, "cpu": run.cpu, "maxrss_kib": run.maxrss_kib}
        try:
            # History to backfill: two minutes of scrapes (the sparkline's length at the default
            # 2 s refresh), counted from when every target was up.
            time.sleep(max(0, 120 - (time.monotonic() - up_at)))
            result["tui"] = history_frame(ctx, sim, base, prom_dir)
        except Exception as e:
            result["tui_error"] = short_error(e)
        return result
    finally:
        if prom and prom.poll() is None:
            os.killpg(prom.pid, signal.SIGTERM)
            try:
                prom.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(prom.pid, signal.SIGKILL)
                prom.wait(5)
        sim.stop()
        shutil.rmtree(prom_dir, ignore_errors=True)


def prometheus_section(args, ctx):
    if not shutil.which("prometheus"):
        return {"error": "prometheus is not installed (make deps installs it)"}
    out = {}
    for n in getattr(args, "prometheus_sizes", None) or PROMETHEUS_SIZES:
        log(f"prometheus: {n:,} services")
        try:
            out[n] = one_size(ctx, n)
            r = out[n]
            log(f"prometheus {n:,}: {r['targets']:,} targets, {r['edges']:,} edges, {r['queries']:.0f} queries, "
                f"{r['bytes'] / 1e3:.0f} kB, {r['wall'] * 1000:.0f} ms")
        except Exception as e:
            out[n] = {"error": short_error(e)}
            log(f"prometheus {n} failed: {short_error(e)}")
    return {"sizes": out}
