"""The idle section: CPU, wakeups and terminal bytes of the TUI left alone."""

import os
import platform
import tempfile
import time

from .common import CLK_TCK, TUI_COLS, TUI_ROWS, log, short_error
from .processes import alive, comm, proc_stat, proc_status, status_kib
from .simulator import Simulator
from .tmux import Tmux


SYSCALLS_X86_64 = {0: "read", 7: "poll", 23: "select", 35: "nanosleep", 202: "futex", 230: "clock_nanosleep",
                   232: "epoll_wait", 270: "pselect6", 271: "ppoll", 281: "epoll_pwait", 441: "epoll_pwait2"}


def blocked_in(pid, tid):
    """The system call a thread sleeps in (/proc/PID/task/TID/syscall), to tell unnamed threads apart."""
    try:
        with open(f"/proc/{pid}/task/{tid}/syscall") as f:
            first = f.read().split()[0]
    except (OSError, IndexError):
        return "?"
    if first == "running":
        return "running"
    try:
        n = int(first)
    except ValueError:
        return first
    if platform.machine() == "x86_64":
        return SYSCALLS_X86_64.get(n, f"syscall {n}")
    return f"syscall {n}"


def snapshot(pid):
    """Process CPU ticks and, per thread: name, context switches, CPU ticks."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            st = proc_status(pid, tid)
            threads[tid] = {"comm": comm(pid, tid),
                            "switches": int(st["voluntary_ctxt_switches"]) + int(st["nonvoluntary_ctxt_switches"]),
                            "ticks": proc_stat(pid, tid), "blocked": blocked_in(pid, tid)}
        except (OSError, KeyError, ValueError):
            pass
    return {"t": time.monotonic(), "ticks": proc_stat(pid), "threads": threads}


def idle_window(pid, seconds):
    """CPU and wakeups of every thread of pid over `seconds` of leaving it alone."""
    a = snapshot(pid)
    time.sleep(seconds)
    b = snapshot(pid)
    span = b["t"] - a["t"]
    m = {"seconds": span, "cpu_s": (b["ticks"] - a["ticks"]) / CLK_TCK}
    m["cpu_pct"] = 100.0 * m["cpu_s"] / span
    threads = []
    for tid, tb in b["threads"].items():
        ta = a["threads"].get(tid, {"switches": 0, "ticks": 0})
        threads.append({"tid": int(tid), "comm": tb["comm"], "blocked": tb["blocked"], "new": tid not in a["threads"],
                        "switches": tb["switches"] - ta["switches"], "ticks": tb["ticks"] - ta["ticks"]})
    threads.sort(key=lambda x: (-x["switches"], x["tid"]))
    m["threads"] = threads
    m["thread_count"] = len(b["threads"])
    m["exited_threads"] = len(set(a["threads"]) - set(b["threads"]))
    m["switches"] = sum(x["switches"] for x in threads)
    m["wakeups_per_s"] = m["switches"] / span
    # Each thread may wake once per clock second; anything above that is beyond the clock.
    m["beyond_clock_per_s"] = sum(max(0.0, x["switches"] - span) for x in threads) / span
    m["rss_kib"] = status_kib(pid, "VmRSS")
    return m


def changed_cells(a, b):
    la, lb = a.split("\n"), b.split("\n")
    n = 0
    for i in range(max(len(la), len(lb))):
        x = (la[i] if i < len(la) else "").ljust(TUI_COLS)
        y = (lb[i] if i < len(lb) else "").ljust(TUI_COLS)
        n += sum(1 for p, q in zip(x, y) if p != q) + abs(len(x) - len(y))
    return n


def pipe_bytes(t, work, seconds, tag, capture_every=0.5):
    """Bytes smitop writes to its terminal over `seconds`, and the screen cells that changed."""
    out = os.path.join(work, f"pipe-{tag}.out")
    open(out, "wb").close()
    prev = t.screen()
    cells = 0
    t.tmux("pipe-pane", "-o", "-t", t.name, f"cat >> {out}")
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < seconds:
            time.sleep(min(capture_every, max(0.0, seconds - (time.monotonic() - t0))))
            cur = t.screen()
            cells += changed_cells(prev, cur)
            prev = cur
    finally:
        t.tmux("pipe-pane", "-t", t.name, check=False)
    elapsed = time.monotonic() - t0
    time.sleep(0.3)  # let cat flush
    return {"bytes": os.path.getsize(out), "seconds": elapsed, "changed_cells": cells}


def repaint_bytes(t, work):
    """Bytes of a full repaint: the window is resized (SIGWINCH → smitop redraws everything)
    to 199 columns and back, twice, while the pane is piped; the figure is per repaint."""
    out = os.path.join(work, "pipe-repaint.out")
    open(out, "wb").close()
    t.tmux("pipe-pane", "-o", "-t", t.name, f"cat >> {out}")
    try:
        for cols in (TUI_COLS - 1, TUI_COLS):
            t.tmux("resize-window", "-t", t.name, "-x", str(cols), "-y", str(TUI_ROWS))
            time.sleep(0.8)
    finally:
        t.tmux("pipe-pane", "-t", t.name, check=False)
    time.sleep(0.3)
    return os.path.getsize(out) / 2


IDLE_MODES = (
    # key, label, program, refresh
    ("demo-2", "`smitop demo`", "demo", "2"),
    ("demo-0", "`smitop demo --refresh 0`", "demo", "0"),
    ("ui-2", "`smitop -A` against an external `smitop sim` (bookstore)", "ui", "2"),
    ("ui-0", "`smitop -A --refresh 0` against an external `smitop sim` (bookstore)", "ui", "0"),
)


def idle(args, ctx):
    """The demo as the issue states it, plus the TUI alone against an external bookstore
    simulator (the demo hosts its simulator in-process; this separates the two)."""
    res = {"window": ctx["window"], "settle": ctx["settle"], "pipe_window": ctx["pipe_window"], "modes": {}, "errors": []}
    sim = None
    try:
        for key, label, program, refresh in IDLE_MODES:
            mode = {"label": label, "refresh": refresh}
            res["modes"][key] = mode
            work = tempfile.mkdtemp(prefix=f"idle-{key}-", dir=ctx["tmp"])
            t = Tmux(work, f"idle{key}", ctx["home"])
            try:
                err = os.path.join(work, "tui.err")
                if program == "demo":
                    t.start(f"exec {ctx['bin']} demo --refresh {refresh} "
                            f"--write-kubeconfig {os.path.join(work, 'demo-kubeconfig')} 2>{err}")
                else:
                    if sim is None:
                        sim = Simulator(ctx["bin"], 0, 0, ctx["tmp"], scenario="bookstore")
                        sim.start()
                    t.start(f"exec {ctx['bin']} --kubeconfig {sim.kubeconfig} -A --refresh {refresh} 2>{err}")
                pid = t.app_pid()
                log(f"idle {key}: pid {pid}, settling {ctx['settle']} s")
                time.sleep(ctx["settle"])
                if not alive(pid):
                    raise RuntimeError("smitop exited: " + open(err, errors="replace").read()[-300:])
                mode.update(idle_window(pid, ctx["window"]))
                log(f"idle {key}: CPU {mode['cpu_pct']:.2f} % of a core, {mode['wakeups_per_s']:.1f} wakeups/s")
                if program == "demo":
                    mode["pipe"] = pipe_bytes(t, work, ctx["pipe_window"], key)
                    log(f"idle {key}: {mode['pipe']['bytes']} bytes to the terminal in {mode['pipe']['seconds']:.0f} s, "
                        f"{mode['pipe']['changed_cells']} changed cells")
                    if refresh == "2":
                        mode["capture_e_bytes"] = len(t.screen(escapes=True).encode())
                        try:
                            mode["repaint_bytes"] = repaint_bytes(t, work)
                        except Exception as e:
                            res["errors"].append(f"repaint measurement: {short_error(e)}")
            except Exception as e:
                res["errors"].append(f"{label}: {short_error(e)}")
                log(f"idle {key} failed: {short_error(e)}")
            finally:
                t.kill()
    finally:
        if sim:
            sim.stop()
    return res
