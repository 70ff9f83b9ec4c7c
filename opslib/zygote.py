"""Kernels forked from one pre-imported process, for the runs of a batch (`opslib run A B C`, `--area`).

A kernel's start is mostly imports: ipykernel and IPython, then what the notebooks import (opslib,
boto3, pandas, matplotlib), over a second of CPU each. For a batch, one process (the zygote) imports
them once and forks a kernel per run. Each run still has its own kernel process with its own
environment (its secrets included), working folder and connection file; nothing of one run is in
another's kernel, as the fork is taken before any run's code executes.

jupyter_client manages a kernel as a process it started, so each run's kernelspec starts a small
launcher (standard library only) that asks the zygote for a fork and then stands for it: signals sent
to it are passed to the kernel, it exits with the kernel's code, and a kernel whose launcher dies
(killed outright, as a stopped run's kernel is) exits at once.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KERNEL_NAME = "opslib-forked"

# What the kernels of the catalog's notebooks import, loaded once. matplotlib reads its backend when
# imported: the inline one ipykernel would choose, so figures show as they do in any kernel.
PRELOAD = ("import opslib; opslib.keep_out_iri_grammar(); import ipykernel.kernelapp, ipykernel.ipkernel, IPython.display; "
           "import opslib.runbook, opslib.aws, opslib.checks, opslib.views, opslib.advice, opslib.plots, boto3, botocore.session; "
           "import pandas, matplotlib, matplotlib.pyplot, matplotlib_inline.backend_inline")

SERVER = r"""
import json, os, select, signal, socket, sys, threading
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
exec(sys.argv[2])
path, parent = sys.argv[1], int(sys.argv[3])
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen(16)
watching = [server, os.pidfd_open(parent)]
kids = {}  # pid -> the launcher's connection, told the exit code

def serve(conn):
    req = json.loads(conn.makefile("rb").readline())
    pid = os.fork()
    if pid:
        kids[pid] = conn
        conn.sendall(f"{pid}\n".encode())
        return
    try:
        server.close()
        conn.close()
        os.setsid()
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        launcher = os.pidfd_open(req["launcher"])
        def orphaned():
            select.select([launcher], [], [])
            os._exit(1)
        threading.Thread(target=orphaned, daemon=True).start()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        sys.argv = ["ipykernel_launcher", "-f", req["connection_file"], *req["argv"]]
        from ipykernel.kernelapp import launch_new_instance
        launch_new_instance()
    finally:
        os._exit(0)

while True:
    ready, _, _ = select.select(watching, [], [], 0.5)
    if watching[1] in ready:
        break  # the command that started it is gone
    if server in ready:
        conn, _ = server.accept()
        try:
            serve(conn)
        except Exception:
            conn.close()
    while kids:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if not pid:
            break
        conn = kids.pop(pid, None)
        if conn is not None:
            try:
                conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
            except OSError:
                pass
            conn.close()
"""

LAUNCHER = r"""
import json, os, signal, socket, sys
path, connection_file = sys.argv[1], sys.argv[2]
conn = socket.socket(socket.AF_UNIX)
conn.connect(path)
conn.sendall((json.dumps({"connection_file": connection_file, "cwd": os.getcwd(), "env": dict(os.environ),
                          "launcher": os.getpid(), "argv": sys.argv[3:]}) + "\n").encode())
answers = conn.makefile("rb")
pid = int(answers.readline())
def forward(signum, frame):
    try:
        os.kill(pid, signum)
    except OSError:
        pass
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(sig, forward)
code = answers.readline().strip()
sys.exit(int(code) if code.lstrip("-").isdigit() else 1)
"""


class Zygote:
    """One pre-imported process for a batch; `specs()` is the kernelspec manager its runs' kernels use."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="opslib-zygote-"))  # 0700: the socket takes every run's environment
        self.socket = self.folder / "zygote.sock"
        spec = self.folder / "kernels" / KERNEL_NAME
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-S", "-c", LAUNCHER, str(self.socket), "{connection_file}"],
            "display_name": "opslib (forked)", "language": "python"}))
        self.log = open(self.folder / "zygote.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, str(self.socket), PRELOAD, str(os.getpid())],
                                        stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, start_new_session=True)

    def ready(self, timeout: float = 60) -> bool:
        """Whether it is listening (its imports done): else the batch's kernels start as usual."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.socket.exists():
                return True
            time.sleep(0.05)
        return False

    def specs(self):
        from jupyter_client.kernelspec import KernelSpecManager

        return KernelSpecManager(kernel_dirs=[str(self.folder / "kernels")])

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
