"""Commands handed to the warm process (opslib.warm): the same console, evidence and exit code as a
cold run, the same answers to signals and kill -9, and nothing of a run left in the warm process."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ledger, opslib, stop_warm
from test_secrets import TRICKY, leaked


@pytest.fixture(scope="module")
def warm(tmp_path_factory, sandbox_url):
    """An environment whose `opslib run` is served by a warm process of its own, already up."""
    runtime = Path(tempfile.mkdtemp(prefix="rt-"))  # a socket's path has room for 107 bytes; pytest's folders are long
    env = {"XDG_RUNTIME_DIR": str(runtime), "OPSLIB_WARM_IDLE_S": "300"}
    res = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path_factory.mktemp("first"), env=env)
    assert res.returncode == 0, res.stderr
    wait_for(lambda: list(runtime.glob("opslib-warm-*/*.sock")), 60)
    yield env
    stop_warm(runtime)
    shutil.rmtree(runtime, ignore_errors=True)


def wait_for(found, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found():
            return found()
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


def start(runs, env, name="slow"):
    full = dict(os.environ, OPSLIB_RUNS_DIR=str(runs), **env)
    return subprocess.Popen([sys.executable, "-m", "opslib.cli", "run", str(FIXTURES / f"{name}.ipynb"), "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full, start_new_session=True)


def in_flight(runs) -> dict:
    """The note of the run in flight, once its first check is saved."""
    wait_for(lambda: any("vnd.opslib.checks+json" in p.read_text() for p in (runs / ".inflight").glob("*.ipynb")), 60)
    (note,) = (runs / ".inflight").glob("*.json")
    return json.loads(note.read_text())


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_run_served_warm_prints_and_files_what_a_cold_run_does(warm, tmp_path):
    served = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "warm", env={**warm, "OPSLIB_TIMINGS": "1"})
    cold = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "cold", env={**warm, "OPSLIB_TIMINGS": "1", "OPSLIB_WARM_IDLE_S": "0"})
    assert served.returncode == cold.returncode == 0, served.stderr + cold.stderr
    assert "timings (warm process " in served.stderr and "timings (warm" not in cold.stderr
    shape = [line.split()[0] for line in served.stdout.splitlines()]
    assert shape == [line.split()[0] for line in cold.stdout.splitlines()] and shape
    (record,) = ledger(tmp_path / "warm")
    assert record["status"] == "passed" and (tmp_path / "warm" / record["html"]).stat().st_size > 1000
    assert opslib("verify", runs=tmp_path / "warm").returncode == 0


@pytest.mark.parametrize("args", [["no-such-notebook"], ["daily-health-check", "-p", "nope=1"], ["daily-health-check", "--jobs", "0"]])
def test_bad_input_is_answered_warm_exactly_as_cold(warm, tmp_path, args):
    served = opslib("run", *args, runs=tmp_path, env=warm)
    cold = opslib("run", *args, runs=tmp_path, env={**warm, "OPSLIB_WARM_IDLE_S": "0"})
    assert (served.returncode, served.stdout, served.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert served.returncode == 2 and len(served.stderr.strip().splitlines()) == 1 and "Traceback" not in served.stderr


def test_sigterm_to_the_command_stops_and_files_the_warm_run(warm, tmp_path):
    proc = start(tmp_path, warm)
    worker = in_flight(tmp_path)["pid"]
    assert worker != proc.pid  # the run is in the warm process's worker, the command stands for it
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3 and "Traceback" not in err, out + err
    (record,) = ledger(tmp_path)
    assert record["status"] == "interrupted" and record["reason"].startswith("interrupted by SIGTERM") and record["checks"]["OK"] == 1
    assert "INTERRUPTED" in out and f"evidence: {tmp_path}" in out
    assert opslib("verify", runs=tmp_path).returncode == 0


def test_a_command_killed_outright_takes_its_warm_run_and_kernel_with_it(warm, tmp_path):
    proc = start(tmp_path, warm)
    worker = in_flight(tmp_path)["pid"]
    kernels = _children(_warm_pid(warm)) - {worker}
    assert kernels, "the run's kernel is forked by the warm process"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    wait_for(lambda: not alive(worker) and not any(alive(k) for k in kernels), 10)
    assert ledger(tmp_path) == []
    res = opslib("verify", runs=tmp_path)
    assert res.returncode == 0 and "was killed; filed as" in res.stderr, res.stdout + res.stderr
    (record,) = ledger(tmp_path)
    assert record["status"] == "killed" and record["checks"]["OK"] == 1


def test_a_warm_run_killed_outright_kills_its_command_with_the_same_signal(warm, tmp_path):
    proc = start(tmp_path, warm)
    os.kill(in_flight(tmp_path)["pid"], signal.SIGKILL)  # the out-of-memory killer picks the worker
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    res = opslib("history", runs=tmp_path)
    assert "was killed; filed as" in res.stderr and "killed" in res.stdout


def test_a_secret_of_a_warm_run_stays_out_of_the_warm_folder(warm, tmp_path):
    res = opslib("run", str(FIXTURES / "leaks.ipynb"), "-p", "token=env:OPSLIB_CANARY", "--no-progress", runs=tmp_path,
                 env={**warm, "OPSLIB_CANARY": TRICKY})
    assert res.returncode == 3 and not leaked(res.stdout + res.stderr, TRICKY)
    for path in Path(warm["XDG_RUNTIME_DIR"]).rglob("*"):
        if path.is_file():
            assert not leaked(path.read_text(errors="replace"), TRICKY), path


def test_a_socket_path_too_long_for_a_socket_runs_cold(sandbox_url, tmp_path):
    runtime = tmp_path / ("r" * 80)
    runtime.mkdir()
    res = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "runs", env={"XDG_RUNTIME_DIR": str(runtime), "OPSLIB_TIMINGS": "1"})
    assert res.returncode == 0 and "timings (warm" not in res.stderr and "Traceback" not in res.stderr


def test_a_socket_folder_that_is_not_private_is_never_used(sandbox_url, tmp_path):
    runtime, elsewhere = tmp_path / "runtime", tmp_path / "elsewhere"
    runtime.mkdir()
    elsewhere.mkdir(mode=0o777)
    (runtime / f"opslib-warm-{os.getuid()}").symlink_to(elsewhere)  # another user's trap, or a mistake
    env = {"XDG_RUNTIME_DIR": str(runtime), "OPSLIB_TIMINGS": "1"}
    for _ in range(2):
        res = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "runs", env=env)
        assert res.returncode == 0 and "timings (warm" not in res.stderr, res.stderr
    assert list(elsewhere.iterdir()) == []


def test_an_idle_warm_process_goes_away(sandbox_url, tmp_path):
    runtime = Path(tempfile.mkdtemp(prefix="rt-"))  # a socket's path has room for 107 bytes; pytest's folders are long
    env = {"XDG_RUNTIME_DIR": str(runtime), "OPSLIB_WARM_IDLE_S": "2"}
    assert opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "runs", env=env).returncode == 0
    (sock,) = wait_for(lambda: list(runtime.glob("opslib-warm-*/*.sock")), 60)
    wait_for(lambda: not sock.exists(), 30)
    wait_for(lambda: not any(b"warm.main()" in args and str(runtime).encode() in args for _, args in _cmdlines()), 10)
    shutil.rmtree(runtime, ignore_errors=True)


def _cmdlines():
    """(/proc/PID/cmdline, what it holds) of every process still there."""
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            yield path, path.read_bytes()
        except OSError:
            continue


def _warm_pid(env: dict) -> int:
    for path, args in _cmdlines():
        if b"warm.main()" in args and env["XDG_RUNTIME_DIR"].encode() in args:
            return int(path.parent.name)
    raise AssertionError("no warm process")


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def test_a_kernelspec_of_the_users_own_is_started_as_it_says_not_forked(warm, tmp_path, kernel_tripwire):
    env, marker = kernel_tripwire
    res = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "runs", env={**warm, **env, "OPSLIB_TIMINGS": "1"})
    assert res.returncode == 0 and "timings (warm process " in res.stderr, res.stderr
    assert marker.exists()
