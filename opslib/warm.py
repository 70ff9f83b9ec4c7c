"""A warm process for `opslib run`: a run's imports loaded once and kept between commands.

A cold `opslib run` spends most of its CPU importing (papermill, nbconvert and jupyter_client in the
command; ipykernel, IPython, boto3, pandas and matplotlib in its kernel) before the first cell runs.
The first `opslib run` starts a warm process beside it; later ones, until it has been idle for
OPSLIB_WARM_IDLE_S seconds (default 600; 0 turns it off), hand it their command. It forks a worker
per command that becomes that command: its arguments, environment, working folder, umask and limits,
and its stdin, stdout and stderr (passed over the socket), so what is printed and filed, and the exit
code, are what the command would have made itself. The run's kernel is forked from the same process
(opslib.zygote), in which no run's code has executed.

The command stays in front. Signals it receives are passed to the worker, which stops and files the
run as a cold run does; a worker that dies by a signal makes the command die by the same one. If the
command is killed outright (kill -9), the worker kills its kernel and itself, and the next command
files the run as killed. The socket sits in a folder only this user can enter (checked, never
followed through a link), answers only this user, and is named for the code it runs (Python,
opslib's files, site-packages): after an upgrade or an edit, no command runs the old code.
"""

import hashlib
import json
import os
import signal
import socket
import stat
import sys
import sysconfig
from pathlib import Path

IDLE_VARIABLE = "OPSLIB_WARM_IDLE_S"
IN_WORKER = False  # set in a worker: its command runs here, never handed over again
SERVING: Path | None = None  # the warm process's socket, in it and in its workers
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
              "MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_PATH")
LIMITS = ("RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_CORE", "RLIMIT_NPROC")


def idle_s() -> float:
    try:
        return max(0.0, float(os.environ.get(IDLE_VARIABLE, "600")))
    except ValueError:
        return 600.0


def folder() -> Path:
    """This user's folder for warm sockets: made 0700, and refused unless it is a real folder of ours with that mode."""
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp")
    path = base / f"opslib-warm-{os.getuid()}"
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) != 0o700:
        raise PermissionError(f"{path} is not a private folder of this user")
    return path


def key() -> str:
    """Names the code a warm process runs: a change to any of it starts a new one."""
    import opslib

    package = Path(opslib.__file__).parent
    parts = [sys.executable, sys.version, str(package), os.environ.get("PYTHONPATH", "")]
    for top, dirs, files in (*os.walk(package), *os.walk(package.parent / "opslib_sandbox")):  # the sandbox's client is on a run's path too
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".j2", ".json")):
                st = os.stat(os.path.join(top, name))
                parts.append(f"{top}/{name}:{st.st_mtime_ns}:{st.st_size}")
    parts.append(str(os.stat(sysconfig.get_paths()["purelib"]).st_mtime_ns))  # a package installed or removed
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


class Resident:
    """The warm process as a batch's zygote (opslib.zygote.Zygote's interface): kernels forked there."""

    def __init__(self, path: Path):
        self.path = path

    def ready(self) -> bool:
        return True

    def specs(self):
        from .zygote import specs

        return specs(self.path, self.path.with_suffix(".kernels"))

    def close(self) -> None:
        pass


def resident() -> Resident | None:
    """In a worker: the warm process it was forked from, to fork its kernels too."""
    return Resident(SERVING) if IN_WORKER and SERVING is not None else None


def hand_over(argv: list[str]) -> int | None:
    """Run the command in the warm process and return its exit code; None: run it here (one is started for next time)."""
    if IN_WORKER or idle_s() <= 0:
        return None
    try:
        path = folder() / f"{key()}.sock"
    except OSError:
        return None
    if len(os.fsencode(path)) > 100:  # a Unix socket's path has room for 107 bytes
        return None
    conn = socket.socket(socket.AF_UNIX)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        _start(path)
        return None
    from .zygote import peer_uid

    if peer_uid(conn) != os.getuid():
        conn.close()
        return None
    import resource

    limits = {name: resource.getrlimit(getattr(resource, name)) for name in LIMITS}
    umask = os.umask(0)
    os.umask(umask)
    request = {"kind": "run", "argv": argv, "env": dict(os.environ), "cwd": os.getcwd(), "umask": umask, "limits": limits, "client": os.getpid()}
    try:
        socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
    except OSError:  # a stream closed, or the process went away
        conn.close()
        return None
    return _follow(conn)


def _follow(conn: socket.socket) -> int | None:
    """Stand for the worker: pass it the signals, return its exit code (or die of its signal)."""
    answers = conn.makefile("rb")  # only this command reads the connection: a buffered reader loses nothing

    def line() -> bytes:
        return answers.readline().strip()

    first = line()
    if not first.isdigit():
        return None  # busy, or gone before it forked: run here
    worker = int(first)

    def forward(signum, frame):
        try:
            os.kill(worker, signum)
        except OSError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    code = line()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # the run is filed: later signals are ignored, as a cold run ignores them
        signal.signal(sig, signal.SIG_IGN)  # (Python's own handler would be reset to the default while the interpreter exits)
    if not code.lstrip(b"-").isdigit():
        print("opslib: the warm process ended before the command did; `opslib history` shows what was filed", file=sys.stderr)
        return 3
    code = int(code)
    if code < 0:  # it died of a signal: so does the command
        if -code not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code
    return code


def _start(path: Path) -> None:
    import subprocess

    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    import opslib

    with open(path.with_suffix(".log"), "ab") as log:
        subprocess.Popen([sys.executable, "-c", "from opslib import warm; warm.main()", str(path), opslib.__file__, str(idle_s())],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd="/", start_new_session=True)


def main() -> None:
    """The warm process: `python -c 'from opslib import warm; warm.main()' SOCKET OPSLIB_FILE IDLE_S`."""
    import fcntl

    path, expected, idle = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    lock = open(path.with_suffix(".lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another is starting or serving
    import opslib

    if opslib.__file__ != expected:
        return
    from . import runner, zygote

    global SERVING
    zygote.preload()
    runner.preload()
    zygote.specs(path, path.with_suffix(".kernels"))  # written once, before any worker reads it
    zygote.freeze()
    SERVING = path
    listener = socket.socket(socket.AF_UNIX)
    path.with_suffix(".tmp").unlink(missing_ok=True)
    listener.bind(str(path.with_suffix(".tmp")))
    listener.listen(64)
    os.rename(path.with_suffix(".tmp"), path)  # seen only once it listens
    ours = os.stat(path).st_ino
    try:
        zygote.serve(listener, idle_s=idle, on_run=_fork_worker)
    finally:
        try:
            if os.stat(path).st_ino == ours:  # not one a newer process put in its place
                path.unlink()
        except OSError:
            pass


def _fork_worker(conn: socket.socket, listener: socket.socket, req: dict, fds: list[int]) -> int:
    pid = os.fork()
    if pid:
        conn.sendall(f"{pid}\n".encode())
        return pid
    code = 1
    try:
        global IN_WORKER
        IN_WORKER = True
        listener.close()
        conn.close()
        _become(req, fds)
        from . import cli

        code = cli.main(req["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _become(req: dict, fds: list[int]) -> None:
    """Take the command's place: its streams, folder, environment, umask and limits; die with it."""
    import resource
    import threading

    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.setpgid(0, 0)  # its launchers follow it into the group, and out with it
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL if sig != signal.SIGPIPE else signal.SIG_IGN)
    env = req["env"]
    unbuffered = bool(env.get("PYTHONUNBUFFERED"))
    encoding = sys.__stdout__.encoding if sys.__stdout__ else "utf-8"
    sys.stdin = open(0, encoding=encoding, closefd=False)
    sys.stdout = open(1, "w", encoding=encoding, closefd=False, buffering=1 if (unbuffered or os.isatty(1)) else -1)
    sys.stderr = open(2, "w", encoding=encoding, errors="backslashreplace", closefd=False, buffering=1)
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(env)
    os.umask(int(req["umask"]))
    sys.argv = ["opslib", *req["argv"]]
    for name, (soft, hard) in req["limits"].items():
        try:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        except (ValueError, OSError, AttributeError):
            pass
    client = os.pidfd_open(int(req["client"]))

    def abandoned():
        import select

        select.select([client], [], [])
        os.killpg(0, signal.SIGKILL)  # the command was killed outright: so are its worker and kernel

    threading.Thread(target=abandoned, daemon=True).start()
