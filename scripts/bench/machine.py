"""The machine the run was on: CPU, memory, load, versions."""

import os
import platform

from .common import short_error
from .processes import run_text


def machine(ctx):
    info = {}

    def attempt(key, fn):
        try:
            info[key] = fn()
        except Exception as e:
            info[key] = f"unavailable ({short_error(e)})"

    attempt("nproc", lambda: str(os.cpu_count()))

    def cpu():
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        return platform.processor() or "?"

    def mem():
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
        return f"{kib / 1024 / 1024:.1f} GiB"

    attempt("cpu", cpu)
    attempt("memory", mem)
    attempt("kernel", lambda: platform.release())
    attempt("smitop", lambda: run_text([ctx["bin"], "--version"]).strip().split("\n")[0])
    attempt("kubectl", lambda: " ".join(run_text([ctx["kubectl"], "version", "--client"]).split("\n")[0].split()))
    attempt("curl", lambda: run_text(["curl", "--version"]).split("\n")[0])
    attempt("tmux", lambda: run_text(["tmux", "-V"]).strip())
    attempt("python", lambda: platform.python_version())
    attempt("load", lambda: open("/proc/loadavg").read().split()[:3])
    return info
