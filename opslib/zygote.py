"""Kernels forked from one pre-imported process: for the runs of a batch (`opslib run A B C`,
`--area`) and for the warm process that serves later commands (opslib.warm).

A kernel's start is mostly imports: ipykernel and IPython, then what the notebooks import (opslib,
boto3, pandas, matplotlib), over a second of CPU each. One process (the zygote) imports them once
and forks a kernel per run. Each run still has its own kernel process with its own environment
(its secrets included), working folder and connection file; nothing of one run is in another's
kernel, as every fork is taken from a process in which no run's code has executed.

jupyter_client manages a kernel as a process it started, so each run's kernelspec starts a small
launcher (standard library only) that asks the zygote for a fork and then stands for it: signals sent
to it are passed to the kernel, it exits with the kernel's code, and a kernel whose launcher dies
(killed outright, as a stopped run's kernel is) exits at once; so does a launcher whose runner dies.
"""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KERNEL_NAME = "opslib-forked"
MAX_CHILDREN = 64  # live forks at once; past that a request is refused and its run starts a kernel of its own

# What the kernels of the catalog's notebooks import, loaded once. matplotlib reads its backend when
# imported: the inline one ipykernel would choose, so figures show as they do in any kernel.
PRELOAD = ("import opslib; opslib.keep_out_iri_grammar(); import ipykernel.kernelapp, ipykernel.ipkernel, ipykernel.debugger, IPython.display; "
           "import opslib.runbook, opslib.aws, opslib.checks, opslib.views, opslib.advice, opslib.plots, boto3, botocore.session; "
           "import pandas, matplotlib, matplotlib.pyplot, matplotlib_inline.backend_inline")

LAUNCHER = r"""
import json, os, select, signal, socket, sys
path, connection_file = sys.argv[1], sys.argv[2]
runner = os.pidfd_open(os.getppid())
conn = socket.socket(socket.AF_UNIX)
conn.connect(path)
socket.send_fds(conn, [(json.dumps({"kind": "kernel", "connection_file": connection_file, "cwd": os.getcwd(), "env": dict(os.environ),
                                     "launcher": os.getpid(), "argv": sys.argv[3:]}) + "\n").encode()], [1, 2])  # its output goes where a kernel's would
got = b""
def line():
    global got
    while b"\n" not in got:
        ready, _, _ = select.select([conn, runner], [], [])
        if runner in ready:  # the run's process is gone, however it went: so is its kernel
            return None
        more = conn.recv(4096)
        if not more:
            return b""
        got += more
    first, _, got = got.partition(b"\n")
    return first.strip()
first = line()
if not first or not first.isdigit():
    sys.exit(1)
pid = int(first)
def forward(signum, frame):
    try:
        os.kill(pid, signum)
    except OSError:
        pass
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(sig, forward)
code = line()
if code is None:
    forward(signal.SIGKILL, None)
    sys.exit(1)
sys.exit(int(code) if code.lstrip(b"-").isdigit() else 1)
"""


def preload(code: str = PRELOAD) -> None:
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    exec(code, {})
    _import_notebook_modules()
    from .aws import preload_models

    preload_models()


def _import_notebook_modules() -> None:
    """Every module a notebook's cells may import (opslib's checks, services, actions and what they use), so a forked
    kernel finds them loaded: imported in each kernel they cost it a tenth of a second of CPU (the sys.path search)."""
    import importlib
    import pkgutil

    import opslib

    for info in pkgutil.walk_packages(opslib.__path__, "opslib."):
        if info.name.rsplit(".", 1)[-1] not in ("cli", "warm", "zygote", "kernel", "__main__"):
            importlib.import_module(info.name)


def freeze() -> None:
    """After the imports, before the first fork: the collector leaves what is preloaded alone, so a fork
    does not copy (and scan) every page of it the first time it collects."""
    import gc

    gc.collect()
    gc.freeze()


def serve(listener: socket.socket, watch: int | None = None, idle_s: float | None = None, on_run=None) -> None:
    """Answer requests until `watch` (a pidfd) is readable or nothing happened for `idle_s` seconds.
    A request is one JSON line; `kind: kernel` forks a kernel here, `kind: run` is handed to `on_run(conn, request, fds)`
    (opslib.warm), which forks and returns the child's pid. Each child's exit code is sent to its connection."""
    kids: dict[int, tuple[socket.socket, int]] = {}  # pidfd -> (connection, pid)
    last = time.monotonic()
    while True:
        watching = [listener, *kids] + ([watch] if watch is not None else [])
        ready, _, _ = select.select(watching, [], [], 1.0)
        if watch is not None and watch in ready:
            break  # the command that started it is gone
        for fd in [fd for fd in ready if fd in kids]:
            conn, pid = kids.pop(fd)
            os.close(fd)
            try:
                _, status = os.waitpid(pid, 0)
                conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
            except OSError:
                pass
            conn.close()
            last = time.monotonic()
        if listener in ready:
            conn, _ = listener.accept()
            try:
                pid = _answer(conn, listener, len(kids), on_run)
            except Exception:
                pid = None
            if pid is None:
                conn.close()
            else:
                kids[os.pidfd_open(pid)] = (conn, pid)
            last = time.monotonic()
        if idle_s is not None and not kids and time.monotonic() - last > idle_s:
            break


def _answer(conn: socket.socket, listener: socket.socket, live: int, on_run) -> int | None:
    if peer_uid(conn) != os.getuid():
        return None
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while not data.endswith(b"\n"):
        more = conn.recv(1 << 16)
        if not more:
            break
        data += more
    try:
        req = json.loads(data)
        if live >= MAX_CHILDREN:
            conn.sendall(b"busy\n")
            return None
        if req.get("kind") == "run" and on_run is not None:
            return on_run(conn, listener, req, fds)
        if req.get("kind") != "kernel":
            return None
        return _fork_kernel(conn, listener, req, fds)
    finally:
        for fd in fds:
            os.close(fd)


def peer_uid(conn: socket.socket) -> int:
    import struct

    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _fork_kernel(conn: socket.socket, listener: socket.socket, req: dict, fds: list[int]) -> int:
    pid = os.fork()
    if pid:
        conn.sendall(f"{pid}\n".encode())
        return pid
    try:
        listener.close()
        conn.close()
        for target, fd in zip((1, 2), fds):
            os.dup2(fd, target)
        os.setsid()
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        launcher = os.pidfd_open(req["launcher"])

        def orphaned():
            select.select([launcher], [], [])
            os._exit(1)

        import threading

        threading.Thread(target=orphaned, daemon=True).start()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        # jupyter_client tells a kernel its parent in the environment, read by ipykernel at import (done here before any run)
        parent = f"--IPKernelApp.parent_handle={int(req['env'].get('JPY_PARENT_PID') or 0)}"
        # matplotlib was imported before any shell existed, so its inline backend could not hook into one: as `%matplotlib inline` does
        sys.argv = ["ipykernel_launcher", "-f", req["connection_file"], parent, "--IPKernelApp.matplotlib=inline", *req["argv"]]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
    finally:
        os._exit(0)


def stands_for_python3() -> bool:
    """Whether a forked kernel is the kernel a run would otherwise start: Jupyter's `python3` kernelspec
    as this environment finds it (JUPYTER_PATH and the rest) is this Python's own ipykernel. A kernelspec
    of the user's (another Python, its own environment or arguments) is started as it says."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec("python3")
    except Exception:
        return False
    argv = list(spec.argv)
    same = argv[:1] and (argv[0] in ("python", "python3") or os.path.realpath(argv[0]) == os.path.realpath(sys.executable))
    return bool(same) and argv[1:3] == ["-m", "ipykernel_launcher"] and not spec.env and len(argv) == 5


def specs(socket_path: Path, folder: Path):
    """A KernelSpecManager whose one kernel (KERNEL_NAME) is forked by the zygote at `socket_path`."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = folder / "kernels" / KERNEL_NAME
    if not (spec / "kernel.json").exists():
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-S", "-c", LAUNCHER, str(socket_path), "{connection_file}"],
            "display_name": "opslib (forked)", "language": "python"}))
    return KernelSpecManager(kernel_dirs=[str(folder / "kernels")])


def main() -> None:
    """The batch's zygote: `python -c 'from opslib import zygote; zygote.main()' SOCKET PARENT_PID`."""
    path, parent = sys.argv[1], int(sys.argv[2])
    watch = os.pidfd_open(parent)
    preload()
    freeze()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)  # seen only once it listens
    serve(listener, watch=watch)


class Zygote:
    """One pre-imported process for a batch; `specs()` is the kernelspec manager its runs' kernels use."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="opslib-zygote-"))  # 0700: the socket takes every run's environment
        self.socket = self.folder / "zygote.sock"
        self.log = open(self.folder / "zygote.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-c", "from opslib import zygote; zygote.main()", str(self.socket), str(os.getpid())],
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
        return specs(self.socket, self.folder)

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
