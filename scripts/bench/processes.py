"""Processes: /proc readings, the spawn helper that starts measured clients, timed runs."""

import json
import os
import subprocess
import sys
import threading


def proc_stat(pid, tid=None):
    """(utime + stime) in clock ticks of a process or one of its threads."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    with open(path) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


def proc_status(pid, tid=None):
    path = f"/proc/{pid}/status" if tid is None else f"/proc/{pid}/task/{tid}/status"
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def status_kib(pid, key):
    try:
        return int(proc_status(pid)[key].split()[0])
    except (OSError, KeyError, ValueError, IndexError):
        return None


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


def children_of(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if int(rest[1]) == pid:
                kids.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return kids


def comm(pid, tid=None):
    path = f"/proc/{pid}/comm" if tid is None else f"/proc/{pid}/task/{tid}/comm"
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "?"


class Run:
    def __init__(self, wall, cpu, maxrss_kib, rc, timed_out, stderr, sim_cpu=None, stdout_path=None):
        self.wall, self.cpu, self.maxrss_kib, self.rc = wall, cpu, maxrss_kib, rc
        self.timed_out, self.stderr, self.sim_cpu, self.stdout_path = timed_out, stderr, sim_cpu, stdout_path

    @property
    def ok(self):
        return self.rc == 0 and not self.timed_out


# Clients are started by a small helper process, not by this script. Linux's ru_maxrss of a
# child is at least the RSS of the process that forked it (the copied page tables count, and
# exec records the old mm's high-water mark, vfork/posix_spawn included): spawned from this
# script after it has parsed an 18 MB list, curl would "peak" at 150 MB. The helper is a fresh
# `python3 -I -S` that never grows, so the floor is its own ~10 MB (measured and reported).
SPAWNER = r"""
import json, os, signal, sys, threading, time
def run(req):
    fa = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
          (os.POSIX_SPAWN_OPEN, 1, req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
          (os.POSIX_SPAWN_OPEN, 2, req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)]
    killed = []
    t0 = time.perf_counter()
    try:
        pid = os.posix_spawnp(req["argv"][0], req["argv"], req["env"], file_actions=fa)
    except OSError as e:
        return {"error": str(e)}
    def kill():
        killed.append(1)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    timer = threading.Timer(req["timeout"], kill)
    timer.start()
    while True:
        try:
            _, status, ru = os.wait4(pid, 0)
            break
        except InterruptedError:
            pass
    t1 = time.perf_counter()
    timer.cancel()
    return {"wall": t1 - t0, "cpu": ru.ru_utime + ru.ru_stime, "maxrss": ru.ru_maxrss,
            "rc": os.waitstatus_to_exitcode(status), "timed_out": bool(killed)}
for line in sys.stdin:
    sys.stdout.write(json.dumps(run(json.loads(line))) + "\n")
    sys.stdout.flush()
"""


class Spawner:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", SPAWNER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lock = threading.Lock()
        self.floor_kib = None

    def run(self, argv, timeout, env, stdout_path, stderr_path):
        req = {"argv": list(argv), "env": env, "stdout": stdout_path, "stderr": stderr_path, "timeout": timeout}
        with self.lock:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the spawn helper exited")
        r = json.loads(line)
        if "error" in r:
            raise RuntimeError(f"cannot start {argv[0]}: {r['error']}")
        return r

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(5)
        except Exception:
            self.proc.kill()


SPAWN = None


def timed_run(argv, timeout, workdir, env=None, stdout_path=None, sim=None):
    """Runs argv to completion (through the spawn helper); wall time, CPU and peak RSS of the
    child from wait4, and the simulator's CPU time meanwhile."""
    err_path = os.path.join(workdir, "run.err")
    sim_before = sim.cpu_seconds() if sim else None
    r = SPAWN.run(argv, timeout, dict(env if env is not None else os.environ), stdout_path or os.devnull, err_path)
    sim_cpu = sim.cpu_seconds() - sim_before if sim else None
    with open(err_path, "rb") as f:
        stderr = f.read()[-2000:].decode("utf-8", "replace").strip()
    return Run(r["wall"], r["cpu"], r["maxrss"], r["rc"], r["timed_out"], stderr, sim_cpu, stdout_path)


def run_text(argv, timeout=20, env=None):
    """stdout of a short command, or raises."""
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{os.path.basename(argv[0])} exited {r.returncode}: {r.stderr.decode(errors='replace').strip()[:200]}")
    return r.stdout.decode("utf-8", "replace")
