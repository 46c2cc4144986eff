"""The startup section: the TUI's first complete frame against 5,000 services / 10,000 splits."""

import json
import mmap
import os
import tempfile
import time

from .common import CLK_TCK, log, short_error
from .fmt import mb, ms
from .processes import alive, proc_stat, status_kib
from .tmux import Tmux


def has_string(binary, s):
    try:
        with open(binary, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(s.encode()) >= 0
    except (OSError, ValueError):
        return None


def startup(args, ctx, sim):
    res = {"runs": [], "errors": [], "supported": has_string(ctx["bin"], "SMITOP_STARTUP_REPORT")}
    runs = ctx["runs"] if res["supported"] else 1
    # Generous: with 5,000 deployments the first metrics poll competes with the lists.
    wait_for = 150 if res["supported"] else 25
    for i in range(runs):
        work = tempfile.mkdtemp(prefix=f"startup-{i}-", dir=ctx["tmp"])
        report = os.path.join(work, "startup.jsonl")
        t = Tmux(work, f"startup{i}", ctx["home"])
        try:
            launched = time.time()
            sim_cpu0 = sim.cpu_seconds()
            trace0 = sim.trace_size()
            t.start(f"exec env SMITOP_STARTUP_REPORT={report} {ctx['bin']} --kubeconfig {sim.kubeconfig} -A "
                    f"2>{os.path.join(work, 'tui.err')}")
            pid = t.app_pid()
            line = None
            deadline = time.monotonic() + wait_for
            while time.monotonic() < deadline and alive(pid):
                try:
                    with open(report) as f:
                        text = f.read()
                    if text.endswith("\n"):
                        line = json.loads(text.splitlines()[0])
                        break
                except FileNotFoundError:
                    pass
                time.sleep(0.05)
            hwm_at_frame = status_kib(pid, "VmHWM")
            sim_cpu = sim.cpu_seconds() - sim_cpu0
            detected = time.time()
            requests = sim.requests_since(trace0)
            try:
                app_cpu = proc_stat(pid) / CLK_TCK
            except OSError:
                app_cpu = None
            time.sleep(2)  # anything the first frames still allocate
            run = {"launched": launched, "hwm_at_frame_kib": hwm_at_frame, "hwm_kib": status_kib(pid, "VmHWM"),
                   "rss_after_kib": status_kib(pid, "VmRSS"), "report": line, "sim_cpu": sim_cpu, "app_cpu": app_cpu,
                   "wall": detected - launched, "requests": requests}
            if not alive(pid):
                raise RuntimeError(f"smitop exited: {open(os.path.join(work, 'tui.err'), errors='replace').read()[-300:]}")
            if line is None:
                screen = [l.strip() for l in t.screen().splitlines() if l.strip()]
                cpu = f", smitop used {app_cpu:.1f} s of CPU and the simulator {sim_cpu:.1f} s" if app_cpu else ""
                run["error"] = (f"no start-up report within {wait_for} s"
                                + ("" if res["supported"] else " (this binary has no SMITOP_STARTUP_REPORT)")
                                + cpu + (f"; screen: “{screen[0][:100]}” … “{screen[-1][:100]}”" if screen else ""))
            res["runs"].append(run)
            if line:
                log(f"start-up run {i + 1}: frame {ms(line['frameAt'] - line['listsDoneAt'])} after the last list, "
                    f"RSS {mb(line['rssKiB'])}, peak {mb(run['hwm_kib'] or 0)}, {line.get('objects')} objects")
            else:
                log(f"start-up run {i + 1}: {run['error']}; peak RSS {mb(run['hwm_kib'] or 0)}")
        except Exception as e:
            res["errors"].append(f"run {i + 1}: {short_error(e)}")
            log(f"start-up run {i + 1} failed: {short_error(e)}")
        finally:
            t.kill()
    return res
