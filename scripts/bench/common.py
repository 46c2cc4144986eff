"""Constants shared by every section, and the log."""

import os
import subprocess
import sys
import time


# scripts/bench/common.py → the repository.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLK_TCK = os.sysconf("SC_CLK_TCK")
SECTIONS = ("listing", "startup", "routes", "idle", "prometheus", "internal")
# Services in the generated scenario for the Prometheus section (one pod per workload above
# 1,000 services, so as many scrape targets).
PROMETHEUS_SIZES = (500, 5000)
# (services, splits) per listing size; services = splits / 2 as in the issue.
SIZES = (100, 1000, 10000)
STARTUP_SIZE = (5000, 10000)
# (services, HTTPRoutes of three rules each) for the routes section (issue 15).
ROUTES_SIZE = (5000, 10000)
TUI_COLS, TUI_ROWS = 200, 50
SIM_KUBERNETES_MINOR = 32  # what `smitop sim` reports in /version by default


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def short_error(e):
    if isinstance(e, subprocess.TimeoutExpired):
        return f"timed out after {e.timeout:.0f} s: {' '.join(map(str, e.cmd))[:120]}"
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:300]
