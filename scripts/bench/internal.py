"""The internal section: the in-process figures `smitop-bench` prints."""

import json
import os
import signal
import subprocess


def internal(args, ctx):
    bench_bin = os.path.join(os.path.dirname(ctx["bin"]), "smitop-bench")
    # A missing tool is a failed measurement, reported on the page, never an aborted run.
    if not os.access(bench_bin, os.X_OK):
        return {"error": f"`{bench_bin}` is not there (build it: swift build -c release --product smitop-bench)"}
    with subprocess.Popen([bench_bin], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=dict(os.environ, HOME=ctx["home"]), start_new_session=True) as p:
        try:
            out, err = p.communicate(timeout=ctx["internal_timeout"])
        except BaseException as e:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            if isinstance(e, subprocess.TimeoutExpired):
                return {"error": f"`smitop-bench` did not finish within {ctx['internal_timeout']} s"}
            raise
    r = subprocess.CompletedProcess(p.args, p.returncode, out, err)
    if r.returncode != 0:
        msg = r.stderr.decode(errors="replace").strip().splitlines()
        return {"error": f"`smitop-bench` exited {r.returncode}" + (f": {msg[0][:200]}" if msg else "")}
    try:
        return {"data": json.loads(r.stdout)}
    except ValueError as e:
        return {"error": f"`smitop-bench` printed no JSON object ({e})"}
