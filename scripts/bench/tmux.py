"""A tmux server and window for the TUI measurements."""

import os
import signal
import subprocess
import time

from .common import TUI_COLS, TUI_ROWS, short_error
from .processes import alive, children_of, comm


class Tmux:
    """One tmux server of our own (-L), so nothing else's sessions are touched."""

    def __init__(self, workdir, name, home):
        self.socket = f"smitop-bench-{os.getpid()}-{name}"
        self.name = name
        self.home = home
        self.workdir = workdir
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm-256color", "LANG": "C.UTF-8",
                    "HOME": home, "SHELL": "/bin/sh"}
        self.pid = None

    def tmux(self, *args, timeout=10, check=True):
        r = subprocess.run(["tmux", "-L", self.socket, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, env=self.env)
        if check and r.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}")
        return r.stdout.decode("utf-8", "replace")

    def start(self, command):
        # stdout of new-session to /dev/null: the server daemon must not hold a pipe of ours.
        with open(os.path.join(self.workdir, "tmux.err"), "wb") as err:
            r = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d", "-s", self.name,
                                "-x", str(TUI_COLS), "-y", str(TUI_ROWS),
                                "-e", "TERM=xterm-256color", "-e", "LANG=C.UTF-8", command],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, timeout=15, env=self.env)
        if r.returncode != 0:
            raise RuntimeError(f"tmux new-session exited {r.returncode}")

    def app_pid(self, program="smitop", timeout=10):
        """The pane runs `exec env ... smitop`, so the pane pid is smitop's; searched if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                pane = int(self.tmux("list-panes", "-t", self.name, "-F", "#{pane_pid}").split()[0])
            except (RuntimeError, ValueError, IndexError):
                time.sleep(0.05)
                continue
            todo = [pane]
            while todo:
                p = todo.pop(0)
                if comm(p) == program:
                    self.pid = p
                    return p
                todo.extend(children_of(p))
            time.sleep(0.05)
        raise RuntimeError(f"no {program} process in the tmux pane after {timeout} s: {self.screen()[:300]!r}")

    def screen(self, escapes=False):
        try:
            return self.tmux("capture-pane", "-t", self.name, "-p", *(["-e"] if escapes else []))
        except Exception as e:
            return f"(capture failed: {short_error(e)})"

    def kill(self):
        """Quit smitop politely (q), then end our tmux server; SIGKILL what is left of ours."""
        try:
            if self.pid and alive(self.pid):
                self.tmux("send-keys", "-t", self.name, "q", check=False)
                deadline = time.monotonic() + 3
                while alive(self.pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
        except Exception:
            pass
        try:
            self.tmux("kill-server", check=False)
        except Exception:
            pass
        if self.pid and alive(self.pid):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
