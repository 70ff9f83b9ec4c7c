"""No run loses its record: signals at any moment, kill -9, torn chains, runs directories that
cannot take evidence."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import FIXTURES, ledger, opslib


def fixture(name):
    return str(FIXTURES / f"{name}.ipynb")


def start(runs, name="slow", *args):
    env = dict(os.environ, OPSLIB_RUNS_DIR=str(runs))
    return subprocess.Popen([sys.executable, "-m", "opslib.cli", "run", fixture(name), "--no-progress", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)


def wait_for_check(runs, proc, timeout=60):
    """Until the slow fixture's first check is in the notebook papermill has saved so far."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any("vnd.opslib.checks+json" in p.read_text() for p in (runs / ".inflight").glob("*.ipynb")):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)


@pytest.mark.parametrize("delay", [0.4, 0.7, 1.0, 1.6, 3.0])
def test_sigterm_at_any_moment_is_never_swallowed_and_never_hangs(sandbox_url, tmp_path, delay):
    proc = start(tmp_path)
    time.sleep(delay)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 30
    assert "Traceback" not in err, err
    records = ledger(tmp_path)
    if proc.returncode == -signal.SIGTERM:  # it arrived before the run got past its input checks
        assert delay < 3.0, "3 s in, the run is under way: the signal must file it"
        assert records == [] and not list(tmp_path.rglob("*.ipynb"))
        return
    assert proc.returncode == 3, (proc.returncode, out, err)
    (record,) = records
    assert record["status"] == "interrupted" and record["reason"].startswith("interrupted by SIGTERM")
    assert (tmp_path / record["output"]).is_file() and (tmp_path / record["html"]).is_file()
    assert not list((tmp_path / ".inflight").iterdir())
    assert opslib("verify", runs=tmp_path).returncode == 0


def test_signals_while_filing_are_noted_and_the_filing_completes(sandbox_url, tmp_path):
    """Ctrl-C pressed again and again, and SIGTERM: the first stops the run, the rest land while it
    winds down and files; one complete record all the same."""
    proc = start(tmp_path)
    wait_for_check(tmp_path, proc)
    proc.send_signal(signal.SIGTERM)  # first, alone: signals pending together are handled lowest number first (SIGINT before SIGTERM)
    time.sleep(0.3)
    deadline, sent = time.monotonic() + 30, 1
    while proc.poll() is None and time.monotonic() < deadline:
        proc.send_signal(signal.SIGINT if sent % 3 else signal.SIGTERM)
        sent += 1
        time.sleep(0.01)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    (record,) = ledger(tmp_path)
    assert record["status"] == "interrupted" and record["reason"].startswith("interrupted by SIGTERM") and "Ctrl-C" in record["reason"]
    assert record["signals_during_filing"], record
    assert "arrived while evidence was being filed; noted in the record" in err
    assert record["checks"]["OK"] == 1
    assert opslib("verify", runs=tmp_path).returncode == 0


def test_killed_run_is_filed_by_the_next_command(sandbox_url, tmp_path):
    proc = start(tmp_path)
    wait_for_check(tmp_path, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its kernel, as the OOM killer or a power cut would
    proc.communicate(timeout=30)
    assert ledger(tmp_path) == []
    res = opslib("verify", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "was killed; filed as" in res.stderr
    (record,) = ledger(tmp_path)
    assert record["status"] == "killed" and record["filed_by"] == "verify" and record["exit_code"] == 3
    assert "died without filing it" in record["reason"]
    assert record["checks"]["OK"] == 1  # the check made before the kill is in the filed notebook
    nb = json.loads((tmp_path / record["output"]).read_text())
    assert nb["metadata"]["opslib"]["status"] == "killed"
    assert "opslib-status-banner" in nb["cells"][0]["metadata"]["tags"]
    assert not list((tmp_path / ".inflight").iterdir())
    assert "killed" in opslib("history", runs=tmp_path).stdout


def test_a_run_in_flight_is_not_filed_by_another_command(sandbox_url, tmp_path):
    proc = start(tmp_path)
    try:
        wait_for_check(tmp_path, proc)
        res = opslib("verify", runs=tmp_path)
        assert "was killed" not in res.stderr and ledger(tmp_path) == []
        assert res.returncode == 1 and "holds no ledger" in res.stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert [r["status"] for r in ledger(tmp_path)] == ["interrupted"]


@pytest.mark.parametrize("chain", ["ledger", "journal"])
def test_torn_last_line_is_set_aside_and_later_runs_still_file(sandbox_url, tmp_path, chain):
    assert opslib("run", fixture("ok"), "--no-progress", runs=tmp_path).returncode == 0
    path = tmp_path / f"{chain}.jsonl"
    torn = b'{"seq": 99, "run_id": "torn", "stat'
    with open(path, "ab") as fh:
        fh.write(torn)
    history = opslib("history", runs=tmp_path)
    assert history.returncode == 0 and "Traceback" not in history.stderr
    res = opslib("run", fixture("ok"), "--no-progress", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert len(ledger(tmp_path)) == 2 + (chain == "ledger")
    repair = [json.loads(line) for line in path.read_text().splitlines() if '"repair"' in line]
    assert len(repair) == 1 and repair[0]["quarantined"]["bytes"] == len(torn)
    (kept,) = [json.loads(line) for line in (tmp_path / f"{chain}.quarantine.jsonl").read_text().splitlines()]
    import base64
    import hashlib

    assert base64.b64decode(kept["base64"]) == torn and kept["sha256"] == hashlib.sha256(torn).hexdigest()
    res = opslib("verify", runs=tmp_path)
    assert res.returncode == 0, res.stdout
    assert f"NOTE {chain}.jsonl seq" in res.stdout and f"{len(torn)} unreadable byte(s)" in res.stdout


def test_unreadable_middle_line_is_named_not_a_traceback(sandbox_url, tmp_path):
    for _ in range(2):
        opslib("run", fixture("ok"), "--no-progress", runs=tmp_path)
    path = tmp_path / "ledger.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0][:40] + "\n" + lines[1])
    for command in ("verify", "history"):
        res = opslib(command, runs=tmp_path)
        assert "Traceback" not in res.stderr + res.stdout
    res = opslib("verify", runs=tmp_path)
    assert res.returncode == 1 and "ledger.jsonl line 1: not a readable record" in res.stdout


def _bad_runs_dirs(tmp_path):
    file_dir = tmp_path / "a-file"
    file_dir.write_text("x")
    ledger_dir = tmp_path / "ledger-dir"
    (ledger_dir / "ledger.jsonl").mkdir(parents=True)
    year_file = tmp_path / "year-file"
    year_file.mkdir()
    (year_file / time.strftime("%Y", time.gmtime())).write_text("x")
    return {
        str(file_dir): "is a file",
        str(ledger_dir): "ledger.jsonl is not a file",
        str(year_file): "is a file where opslib files runs",
        "/proc/opslib-runs": "cannot be written",
        str(file_dir / "below"): "is a file, so runs directory",
        "": "--runs-dir is empty",
    }


def test_runs_dir_that_cannot_take_evidence_is_bad_input(sandbox_url, tmp_path):
    for runs, says in _bad_runs_dirs(tmp_path).items():
        res = opslib("run", fixture("ok"), "--runs-dir", runs)
        assert res.returncode == 2, (runs, res.stderr)
        assert says in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_runs_dir_without_write_permission_is_bad_input(sandbox_url, tmp_path_factory):
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="opslib-ro-")  # outside pytest's 0700 folder, so another user can reach it
    try:
        os.chmod(folder, 0o755)
        command = [sys.executable, "-m", "opslib.cli", "run", fixture("ok"), "--runs-dir", os.path.join(folder, "runs")]
        if os.geteuid() == 0:  # root writes anywhere: try as nobody
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        else:
            os.chmod(folder, 0o555)
        res = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert res.returncode == 2, res.stderr
        assert "cannot be written (Permission denied)" in res.stderr
        assert os.listdir(folder) == []
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)


def test_a_run_filing_itself_while_another_command_recovers_is_never_refiled_nor_a_traceback(tmp_path):
    """Runs begin and file themselves (note unlinked, lock released) while another command recovers the runs directory,
    as twenty cron runs at once do: a note gone since the listing, or unlinked between its open and its lock, is a run
    already filed: skipped, never filed again as killed, never a FileNotFoundError."""
    import threading
    from datetime import datetime, timezone

    from opslib import inflight

    stop, said, failed = threading.Event(), [], []

    def runs():
        for i in range(3000):
            meta = {"run_id": f"{i:010x}", "env": "sandbox", "notebook": "fixture", "started": datetime.now(timezone.utc).isoformat()}
            inflight.begin(tmp_path, meta).done()
        stop.set()

    def recovers():
        while not stop.is_set():
            try:
                said.extend(inflight.recover(tmp_path, "history"))
                inflight.running(tmp_path)
            except Exception as exc:  # noqa: BLE001 - the race's traceback is the failure
                failed.append(repr(exc))
                return

    threads = [threading.Thread(target=runs), threading.Thread(target=recovers), threading.Thread(target=recovers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failed == [] and said == [] and not (tmp_path / "ledger.jsonl").exists(), (failed[:3], said[:3])
