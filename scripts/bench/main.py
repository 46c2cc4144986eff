"""The command line: which sections run, in what order, and the page written at the end."""

import argparse
import datetime
import os
import shutil
import signal
import sys
import tempfile
import traceback

from .common import REPO, SECTIONS, SIM_KUBERNETES_MINOR, SIZES, STARTUP_SIZE, log, short_error
from .idle import idle
from .internal import internal
from .listing import listing_size, pick_kubectl
from .machine import machine
from . import processes
from .processes import Spawner, timed_run
from .prometheus import prometheus_section
from .report import render
from .routes import routes_section
from .simulator import Simulator
from .startup import startup


def main():
    ap = argparse.ArgumentParser(description="smitop benchmarks (make bench); writes docs/benchmarks.md")
    ap.add_argument("--bin", default=".build/release/smitop", help="the smitop binary (default .build/release/smitop)")
    ap.add_argument("--quick", action="store_true", help="3 runs and 15 s windows instead of 5 runs and 60 s")
    ap.add_argument("--runs", type=int, help="runs per measurement (default 5, --quick 3)")
    ap.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    ap.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")], default=list(SIZES),
                    help="TrafficSplit counts for the listing (services = splits / 2; default 100,1000,10000)")
    ap.add_argument("--prometheus-sizes", type=lambda v: [int(x) for x in v.split(",")],
                    help="services for the prometheus section (default 500,5000)")
    ap.add_argument("--kubectl", help="kubectl binary (default: kubectl on PATH, past gcloud's dispatcher)")
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks.md"), help="the page to write")
    args = ap.parse_args()

    binary = args.bin
    if not os.path.isabs(binary) and not os.path.exists(binary) and os.path.exists(os.path.join(REPO, binary)):
        binary = os.path.join(REPO, binary)
    if not os.access(binary, os.X_OK):
        print(f"bench: {args.bin} is not an executable (build it with `make release`, or pass --bin)", file=sys.stderr)
        return 2
    only = set(SECTIONS)
    if args.only:
        only = {s.strip() for s in args.only.split(",") if s.strip()}
        bad = only - set(SECTIONS)
        if bad:
            print(f"bench: unknown section(s) {', '.join(sorted(bad))}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
            return 2
    for tool in ("tmux", "curl"):
        if not shutil.which(tool):
            print(f"bench: {tool} is not installed", file=sys.stderr)
            return 2

    # SIGTERM (make interrupted, a CI timeout) unwinds like Ctrl-C: every finally runs, so
    # simulators and tmux servers are stopped and the temporary directory removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="smitop-bench-")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    ctx = {
        "bin": os.path.abspath(binary), "bin_display": args.bin, "quick": args.quick, "tmp": tmp, "home": home,
        "runs": args.runs or (3 if args.quick else 5),
        "window": 15 if args.quick else 60, "settle": 10, "pipe_window": 10 if args.quick else 20,
        "internal_timeout": 600,
    }
    ctx["kubectl"], ctx["kubectl_note"] = pick_kubectl(args, SIM_KUBERNETES_MINOR)
    ctx["kubectl_name"] = "kubectl"
    started = datetime.datetime.now(datetime.timezone.utc)
    results = {}
    log(f"smitop {ctx['bin']}, kubectl {ctx['kubectl']}, {ctx['runs']} runs, temp {tmp}")
    # The one spawn helper of the run; `timed_run` (processes.py) uses it.
    processes.SPAWN = Spawner()
    try:
        try:
            ctx["rss_floor_kib"] = timed_run(["true"], 10, tmp).maxrss_kib
        except Exception as e:
            log(f"spawn helper: {short_error(e)}")
        info = machine(ctx)
        if "listing" in only or "startup" in only:
            listing = {}
            sizes = [(n // 2, n) for n in args.sizes] if "listing" in only else []
            if "startup" in only and STARTUP_SIZE not in sizes:
                sizes.append(STARTUP_SIZE)
            for services, splits in sizes:
                sim = None
                try:
                    sim = Simulator(ctx["bin"], services, splits, tmp)
                    sim.start()
                    if "listing" in only and splits in args.sizes:
                        try:
                            listing[splits] = listing_size(args, ctx, sim)
                        except Exception as e:
                            listing[splits] = {"error": short_error(e)}
                            log(f"listing {splits} failed: {traceback.format_exc()}")
                    if (services, splits) == STARTUP_SIZE and "startup" in only:
                        try:
                            results["startup"] = startup(args, ctx, sim)
                        except Exception as e:
                            results["startup"] = {"error": short_error(e)}
                            log(f"start-up failed: {traceback.format_exc()}")
                except Exception as e:
                    msg = f"simulator {services}/{splits}: {short_error(e)}"
                    log(msg)
                    if "listing" in only and splits in args.sizes:
                        listing[splits] = {"error": msg}
                    if (services, splits) == STARTUP_SIZE and "startup" in only:
                        results["startup"] = {"error": msg}
                finally:
                    if sim:
                        sim.stop()
            if "listing" in only:
                results["listing"] = listing
        if "routes" in only:
            try:
                results["routes"] = routes_section(args, ctx)
            except Exception as e:
                results["routes"] = {"error": short_error(e)}
                log(f"routes failed: {traceback.format_exc()}")
        if "idle" in only:
            try:
                results["idle"] = idle(args, ctx)
            except Exception as e:
                results["idle"] = {"error": short_error(e)}
                log(f"idle failed: {traceback.format_exc()}")
        if "prometheus" in only:
            try:
                results["prometheus"] = prometheus_section(args, ctx)
            except Exception as e:
                results["prometheus"] = {"error": short_error(e)}
                log(f"prometheus failed: {traceback.format_exc()}")
        if "internal" in only:
            log("smitop bench-internal")
            results["internal"] = internal(args, ctx)
    finally:
        processes.SPAWN.close()
        shutil.rmtree(tmp, ignore_errors=True)
    finished = datetime.datetime.now(datetime.timezone.utc)
    try:
        info["load_end"] = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    page, summary = render(ctx, info, results, started, finished)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(page)
    print(f"smitop benchmarks ({(finished - started).total_seconds() / 60:.1f} min, {ctx['runs']} runs"
          f"{', quick' if args.quick else ''}) → {args.out}")
    for s in summary:
        print("  " + s)
    return 0
