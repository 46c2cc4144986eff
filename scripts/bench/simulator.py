"""Cluster setup: a `smitop sim` with a generated scenario of a given size."""

import base64
import json
import os
import re
import signal
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request

import yaml

from .common import log
from .processes import status_kib


class Simulator:
    def __init__(self, binary, services, splits, workdir, scenario="generated", extra_args=(), trace=True):
        self.binary, self.services, self.splits, self.scenario = binary, services, splits, scenario
        self.extra_args, self.trace = list(extra_args), trace
        self.dir = tempfile.mkdtemp(prefix=f"sim-{splits}-", dir=workdir)
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.proc = None
        self.lines = []
        self.ready_seconds = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=240):
        argv = [self.binary, "sim", "--address", "127.0.0.1", "--port", "0", "--scenario", self.scenario,
                "--write-kubeconfig", self.kubeconfig]
        if self.scenario == "generated":
            argv += ["--services", str(self.services), "--splits", str(self.splits)]
        argv += self.extra_args
        self.err = open(os.path.join(self.dir, "sim.err"), "wb")
        t0 = time.monotonic()
        # One stderr line per request (method, path, status; never a credential): the start-up
        # section counts what the TUI asked for.
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.err,
                                     start_new_session=True,
                                     env=dict(os.environ, SMITOP_SIM_TRACE="1") if self.trace else dict(os.environ))
        ready = threading.Event()

        def reader():
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.lines.append(line)
                if line.startswith("ready in"):
                    ready.set()
            ready.set()

        threading.Thread(target=reader, daemon=True).start()
        if not ready.wait(timeout) or self.proc.poll() is not None:
            raise RuntimeError(f"simulator ({self.services}/{self.splits}) not ready within {timeout} s: "
                               f"{self.proc.poll()=} {self.lines[-3:]} {self.stderr_tail()}")
        self.ready_seconds = time.monotonic() - t0
        with open(self.kubeconfig) as f:
            kc = yaml.safe_load(f)
        ctx_name = kc.get("current-context")
        ctx = next(c["context"] for c in kc["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in kc["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in kc["users"] if u["name"] == "sim-admin")
        self.server = cluster["server"].rstrip("/")
        self.ca_pem = base64.b64decode(cluster["certificate-authority-data"]).decode()
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.header_file = os.path.join(self.dir, "auth.header")
        for path, text in ((self.ca_file, self.ca_pem), (self.header_file, f"Authorization: Bearer {user['token']}\n")):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
        self._token = user["token"]
        self._ssl = ssl.create_default_context(cadata=self.ca_pem)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.version = json.loads(self.get("/version"))
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        group = json.loads(self.get("/apis/split.smi-spec.io"))
        self.split_version = group["preferredVersion"]["version"]
        log(f"simulator ({self.scenario}, {self.services} services / {self.splits} splits) at {self.server} "
            f"(ready in {self.ready_seconds:.1f} s, TrafficSplit {self.split_version})")

    def get(self, path, timeout=30):
        req = urllib.request.Request(self.server + path, headers={"Authorization": f"Bearer {self._token}"})
        with urllib.request.urlopen(req, context=self._ssl, timeout=timeout) as r:
            return r.read()

    def cpu_seconds(self):
        """CPU time of every thread, in ns from /proc/PID/task/*/schedstat (clock ticks of
        /proc/PID/stat are 10 ms, too coarse for a 20 ms curl run)."""
        total = 0
        for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return total / 1e9

    def rss_kib(self):
        return status_kib(self.proc.pid, "VmRSS")

    def trace_size(self):
        try:
            return os.path.getsize(os.path.join(self.dir, "sim.err"))
        except OSError:
            return 0

    def requests_since(self, offset):
        """Requests the simulator traced since `offset`, by kind."""
        counts = {}
        try:
            with open(os.path.join(self.dir, "sim.err"), "rb") as f:
                f.seek(offset)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return counts
        for line in text.splitlines():
            parts = line.split()
            if len(parts) < 2 or not parts[1].startswith("/"):
                continue
            path, _, query = parts[1].partition("?")
            if "watch=true" in query:
                kind = "watch"
            elif path.startswith("/apis/metrics.smi-spec.io/"):
                kind = "metrics: per-deployment /edges" if path.endswith("/edges") else "metrics: lists"
            elif "limit=" in query or path.count("/") >= 4 and parts[0] == "GET":
                kind = "list pages and gets"
            else:
                kind = "discovery, access reviews, other"
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def stderr_tail(self):
        try:
            with open(os.path.join(self.dir, "sim.err"), "rb") as f:
                f.seek(max(0, self.trace_size() - 20000))
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        lines = [l for l in lines if not re.match(r"^[A-Z]+ /", l)]  # not the request trace
        return " / ".join(lines[-3:])[-300:]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "err", None):
            self.err.close()
