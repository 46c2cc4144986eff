#!/usr/bin/env python3
"""A soak of the TUI against a large simulated mesh with churn, watching for leaks.

    scripts/soak.py [--bin .build/debug/smitop] [--minutes N] [--services S --splits M]
                    [--refresh SECONDS] [--sample-seconds N] [--check] [--report FILE]

It starts `smitop sim --scenario generated` (5,000 services and 10,000 splits unless told
otherwise) with its admin endpoint, runs the real TUI on it in a private tmux server (`-A`,
every namespace), and for the run's length:

- a writer (the official Python client, as a user's script would be) changes one split's
  weights every second;
- the simulator drops every watch once a minute (`dropWatchesEverySeconds: 60`);
- a third of the way in (in a run shorter than 4.5 minutes, a third into the warm-up), a
  burst of 500s (an outage of the API and the metrics it serves) with every watch expired
  (410) at its start, so that every kind relists at once, as after a long outage (a burst
  alone can be used up by a few polls before any watch notices it);
- every `--sample-seconds` (10), the TUI's heap in use (glibc's `malloc_info` over every
  arena, which the TUI writes to `SMITOP_HEAP_STATS_FILE` at quiet points: after the frame
  that applied a metrics poll, when no poll holds what it read), resident memory (VmRSS),
  open file descriptors and threads are sampled, and the screen is checked to be smitop's.

Warm-up is the first 150 s (half of a run shorter than 4.5 minutes), and at least until the
TUI's first edge sweep is done (it says so in the same file): an edge is seen, and takes its
history (reserved whole) and its place in the graph, only when its deployment's `/edges` are
first asked, 200 deployments a poll, so on 5,000 services the memory that smitop holds by
design grows until every deployment with traffic has been asked once (14 polls: minutes where
a poll takes seconds, but a debug build's poll took one to two minutes on two cores loaded by
other builds). A run whose sweep never ends cannot be judged and fails. On `make test`'s
200 services the first poll asks them all. After it, `--check` compares the last third of
the samples with the first third and fails (exit 1) when the floor (the lowest sample: a
relist in flight raises a sample for a moment, a leak raises the floor) of the heap in use
rose by more
than `--heap-limit-mb` (2), when descriptors or threads left their band (the last third's
lowest above the first third's highest: descriptors move as watches are dropped and
reopened, a leak lifts the whole band), or, in runs of 10 minutes or more, when the floor of
resident memory rose by more than 5 MB (over a few minutes resident memory moves with glibc's
page keeping, not only with what smitop holds, so short runs judge the heap).
The table and a text chart go to stdout and, with `--report`, to a Markdown file.
`make soak` runs it for SOAK_MINUTES; `make test` runs 3 minutes of it after the tests.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sh(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def wait_for(cond, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    raise SystemExit(f"soak: timed out waiting for {what}")


def proc_sample(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss_kib = int(fields["VmRSS"].split()[0])
    threads = int(fields["Threads"].strip())
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss_kib, fds, threads


def heap_sample(path):
    """The TUI's last written heap in use in KiB, and whether its first edge sweep was done
    ((None, False) before its first sample)."""
    try:
        fields = Path(path).read_text().split()
        return int(fields[0]) // 1024, fields[1:2] == ["1"]
    except (OSError, ValueError, IndexError):
        return None, False


def chart(values, width=60, height=8, label="RSS MB", every=10):
    """A text chart of one series: rows from max to min, one column per sample (resampled)."""
    if not values:
        return ""
    n = len(values)
    cols = values if n <= width else [values[int(i * n / width)] for i in range(width)]
    lo, hi = min(cols), max(cols)
    span = (hi - lo) or 1
    rows = []
    for r in range(height, -1, -1):
        level = lo + span * r / height
        line = "".join("█" if v >= level else " " for v in cols)
        rows.append(f"{level:8.1f} │{line}")
    rows.append(" " * 9 + "└" + "─" * len(cols))
    rows.append(f"{'':9} {label}, {n} samples, {every:g} s apart")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / ".build/debug/smitop"))
    ap.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "3")))
    ap.add_argument("--services", type=int, default=5000)
    ap.add_argument("--splits", type=int, default=10000)
    ap.add_argument("--refresh", type=float, default=2, help="the TUI's metrics refresh in seconds")
    ap.add_argument("--sample-seconds", type=float, default=10)
    ap.add_argument("--heap-limit-mb", type=float, default=2)
    ap.add_argument("--check", action="store_true", help="exit 1 on a leak")
    ap.add_argument("--report", help="write the table and chart to this Markdown file")
    a = ap.parse_args()

    import kubernetes  # the real client, installed by make (PY_DEPS)

    tmp = tempfile.mkdtemp(prefix="smitop-soak-")
    kubeconfig = os.path.join(tmp, "kubeconfig")
    env = dict(os.environ, HOME=tmp, XDG_STATE_HOME=os.path.join(tmp, "state"))
    sim = subprocess.Popen(
        [a.bin, "sim", "--scenario", "generated", "--services", str(a.services), "--splits", str(a.splits),
         "--admin", "--write-kubeconfig", kubeconfig],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "sim.err"), "w"), env=env)
    socket = f"smitop-soak-{os.getpid()}"
    try:
        wait_for(lambda: os.path.exists(kubeconfig) and os.path.getsize(kubeconfig) > 0, 300, "the simulator's kubeconfig")
        kubernetes.config.load_kube_config(config_file=kubeconfig)
        api = kubernetes.client.CustomObjectsApi()
        server = kubernetes.client.Configuration.get_default_copy().host

        def admin(body):
            r = sh(["curl", "-sk", "-X", "POST", "--data", json.dumps(body), server + "/sim/admin/faults"])
            if r.returncode != 0:
                raise SystemExit(f"soak: the admin endpoint did not answer: {r.stderr}")

        # The preferred served version, found as a client would (profiles serve different ones).
        group = next(g for g in kubernetes.client.ApisApi().get_api_versions().groups if g.name == "split.smi-spec.io")
        version = group.preferred_version.version
        splits = wait_for(lambda: api.list_cluster_custom_object("split.smi-spec.io", version, "trafficsplits", limit=1)["items"],
                          300, "a TrafficSplit")
        target = splits[0]
        ns, name = target["metadata"]["namespace"], target["metadata"]["name"]
        backends = [b["service"] for b in target["spec"]["backends"]]

        heap_file = os.path.join(tmp, "heap")
        command = f"{a.bin} --kubeconfig {kubeconfig} -A --refresh {a.refresh:g} 2>{tmp}/tui.err"
        tmux_env = ["-e", f"SMITOP_HEAP_STATS_FILE={heap_file}"]
        for k in ("HOME", "XDG_STATE_HOME"):
            tmux_env += ["-e", f"{k}={env[k]}"]
        sh(["tmux", "-L", socket, "new-session", "-d", "-s", "t", "-x", "160", "-y", "45"] + tmux_env + [command + "; sleep 600"],
           env=dict(env, TERM="xterm-256color", LANG="C.UTF-8"))

        def screen():
            return sh(["tmux", "-L", socket, "capture-pane", "-t", "t", "-p"]).stdout

        def pid():
            r = sh(["pgrep", "-f", f"^{a.bin} --kubeconfig {kubeconfig}"])
            return int(r.stdout.split()[0]) if r.stdout.split() else None

        wait_for(lambda: "LIVE" in screen() and f"{a.splits} ts" in screen(), 600, "the TUI's first complete frame")
        tui = pid()
        admin({"dropWatchesEverySeconds": 60})

        seconds = a.minutes * 60
        start = time.time()
        samples = []
        next_sample = start
        # A third of the way in; in a short run inside the warm-up (its recovery, relists and
        # refilled histories included), so that the steady part compares like with like.
        warm = 150 if seconds >= 270 else seconds / 2
        outage_at = start + (seconds / 3 if seconds >= 270 else warm / 3)
        outage_done = False
        i = 0
        failed_writes = 0
        sweep_done_at = None
        while time.time() - start < seconds:
            now = time.time()
            weights = [(i * 7 + 11 * k) % 100 + 1 for k in range(len(backends))]
            try:
                api.patch_namespaced_custom_object(
                    "split.smi-spec.io", version, ns, "trafficsplits", name,
                    {"spec": {"backends": [{"service": s, "weight": w} for s, w in zip(backends, weights)]}})
                i += 1
            except kubernetes.client.exceptions.ApiException:
                failed_writes += 1  # the 500 burst: the writer carries on, as a script would
            if not outage_done and now >= outage_at:
                admin({"errorBurst": 60, "expireWatchesNow": True})
                outage_done = True
            if now >= next_sample:
                if pid() != tui:
                    raise SystemExit("soak: the TUI is gone (see " + tmp + "/tui.err)")
                rss, fds, threads = proc_sample(tui)
                heap, swept = heap_sample(heap_file)
                samples.append((round(now - start), rss, fds, threads, heap))
                if swept and sweep_done_at is None:
                    sweep_done_at = round(now - start)
                next_sample += a.sample_seconds
            time.sleep(max(0, 1 - (time.time() - now)))
        if "smitop" not in screen():
            raise SystemExit("soak: the screen is no longer smitop's:\n" + screen())
    finally:
        sh(["tmux", "-L", socket, "kill-server"])
        sim.terminate()
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()

    # Warm-up covers what fills up by design before the steady state: the first relists, and
    # every edge being seen for the first time (its history, its place in the graph and the
    # layout), which ends with the first edge sweep. After it, memory must stay flat.
    base_warm = warm
    if sweep_done_at is not None:
        warm = max(warm, sweep_done_at)
    steady = [s for s in samples if s[0] >= warm]
    if len(steady) < 3:
        raise SystemExit(
            f"soak: only {len(steady)} samples after warm-up (the first edge sweep "
            + (f"ended at {sweep_done_at} s" if sweep_done_at is not None else "did not end") + "); run longer")
    third = max(1, len(steady) // 3)

    def growth(col, pick=statistics.median):
        first = pick(s[col] for s in steady[:third])
        last = pick(s[col] for s in steady[-third:])
        return last - first

    def band_shift(col):
        """How far the last third's floor is above the first third's ceiling: descriptors move
        within a band as watches are dropped and reopened, and a leak lifts the whole band."""
        return min(s[col] for s in steady[-third:]) - max(s[col] for s in steady[:third])

    # Memory compares floors (the lowest sample of each third): a relist raises memory for a
    # moment, a leak raises the floor.
    rss_growth_mb = growth(1, min) / 1024
    fd_growth, thread_growth = band_shift(2), band_shift(3)
    heap_known = all(s[4] is not None for s in steady)
    heap_growth_mb = growth(4, min) / 1024 if heap_known else None
    heap_text = f"heap floor {heap_growth_mb:+.2f} MB, " if heap_known else "heap not reported, "
    lines = [
        f"Soak: {a.minutes:g} min, {a.services} services, {a.splits} splits, refresh {a.refresh:g} s, {i} weight writes "
        f"({failed_writes} refused by the 500 burst), watches dropped every 60 s, "
        f"500 burst at {round(outage_at - start)} s; warm-up {round(warm)} s "
        f"({round(base_warm)} s, or until the first edge sweep ended: "
        + (f"at {sweep_done_at} s)." if sweep_done_at is not None else "it did not)."),
        "",
        "| t (s) | heap (MB) | RSS (MB) | open fds | threads |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {t} | {'-' if heap is None else f'{heap / 1024:.1f}'} | {rss / 1024:.1f} | {fds} | {th} |"
        for t, rss, fds, th, heap in samples
    ]
    lines += [
        "",
        f"After warm-up, last third against first third: {heap_text}RSS floor {rss_growth_mb:+.1f} MB, "
        f"fds {fd_growth:+g} and threads {thread_growth:+g} above the first third's band.",
        "",
        "```",
        chart([s[1] / 1024 for s in samples], every=a.sample_seconds),
        "```",
    ]
    if any(s[4] is not None for s in samples):
        lines += ["", "```", chart([(s[4] or 0) / 1024 for s in samples], label="heap in use MB",
                                   every=a.sample_seconds), "```"]
    text = "\n".join(lines)
    print(text)
    if a.report:
        Path(a.report).write_text(text + "\n")
    shutil.rmtree(tmp, ignore_errors=True)
    if a.check:
        problems = []
        if heap_growth_mb is None:
            problems.append("the TUI did not report its heap (SMITOP_HEAP_STATS_FILE)")
        elif sweep_done_at is None:
            problems.append("the first edge sweep did not end, so memory was still being filled by design: run longer")
        elif heap_growth_mb > a.heap_limit_mb:
            problems.append(f"heap in use grew {heap_growth_mb:.2f} MB after warm-up (limit {a.heap_limit_mb:g})")
        if a.minutes >= 10 and rss_growth_mb > 5:
            problems.append(f"resident memory grew {rss_growth_mb:.1f} MB after warm-up (limit 5)")
        if fd_growth > 0:
            problems.append(f"open file descriptors left their band: {fd_growth:+g} above the first third's highest")
        if thread_growth > 0:
            problems.append(f"threads left their band: {thread_growth:+g} above the first third's highest")
        if problems:
            print("soak: LEAK: " + "; ".join(problems), file=sys.stderr)
            sys.exit(1)
        print("soak: no leak (heap, descriptors and threads flat after warm-up)")


if __name__ == "__main__":
    main()
