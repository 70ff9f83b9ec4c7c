"""`opslib run` end to end: a real kernel, a real sandbox, evidence on disk."""

import json
import re
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import FIXTURES, ledger, opslib, project
import opslib_sandbox as sandbox


def fixture(name):
    return str(FIXTURES / f"{name}.ipynb")


def test_daily_health_check_healthy_exits_0_and_files_evidence(healthy, tmp_path):
    res = opslib("run", "daily-health-check", "--env", "sandbox", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert sum(1 for l in lines if l.startswith("OK ")) == 7
    assert "PASSED: All 7 checks OK." in res.stdout
    assert "errors_recent             /aws/ecs/rms-backend-prod" in res.stdout and "[threshold: warn >= 5, critical >= 10 in the last 10 minutes]" in res.stdout
    (record,) = ledger(tmp_path)
    assert record["status"] == "passed" and record["exit_code"] == 0
    assert record["checks"] == {"OK": 7, "WARN": 0, "CRITICAL": 0, "ERROR": 0}
    assert record["notebook"] == "health/daily-health-check" and record["env"] == "sandbox"
    for key in ("user", "host", "started", "duration_s", "parameters", "output_sha256", "html_sha256", "prev", "hash"):
        assert record[key] not in (None, "")
    out = tmp_path / record["output"]
    assert out.parent.relative_to(tmp_path).as_posix().count("/") == 2  # YYYY/MM/DD
    assert out.name.startswith("daily-health-check__sandbox__T") and out.suffix == ".ipynb"
    assert (tmp_path / record["html"]).read_text().count("rds_instance_available") >= 1
    assert f"evidence: {out}" in res.stdout
    nb = json.loads(out.read_text())
    assert nb["metadata"]["opslib"]["status"] == "passed"
    assert len(nb["metadata"]["opslib"]["checks"]) == 7


def test_short_and_area_names_are_the_same_notebook(tmp_path):
    """Both name the one notebook: its parameters are checked (bad input) before anything runs."""
    for name in ("health/daily-health-check", "daily-health-check"):
        res = opslib("run", name, "-p", "error_critical=many", "--no-progress", runs=tmp_path)
        assert res.returncode == 2 and "error_critical from -p is 'many', not an int: give error_critical an int value" in res.stderr, res.stderr


def test_warn_exits_0_unless_fail_on_warn():
    """What a scheduler acts on (the runs themselves: tests/test_seed_parity.py, ecs-rolling and ecs-degraded)."""
    from opslib.runner import _exit_code

    assert [_exit_code(s, "critical") for s in ("passed", "warn", "critical", "error", "failed")] == [0, 0, 1, 1, 3]
    assert [_exit_code(s, "warn") for s in ("passed", "warn", "critical")] == [0, 1, 1]


def test_throttled_calls_are_retried(healthy, tmp_path):
    sandbox.control("faults", [{"kind": "throttle", "service": "rds", "count": 2}, {"kind": "throttle", "service": "logs", "count": 2}])
    res = opslib("run", "daily-health-check", "--env", "sandbox", runs=tmp_path)
    assert res.returncode == 0, res.stdout
    hits = {f["service"]: f["hits"] for f in sandbox.status()["faults"]}
    assert hits == {"rds": 2, "logs": 2}


def test_notebook_failure_exits_3_and_still_files(sandbox_url, tmp_path):
    res = opslib("run", fixture("fails"), "--env", "sandbox", runs=tmp_path)
    assert res.returncode == 3
    assert re.search(r"^FAILED: cell \d+ raised RuntimeError: disk 97% full on i-0abc$", res.stdout, re.M), res.stdout
    (record,) = ledger(tmp_path)
    assert record["status"] == "failed"
    assert "RuntimeError: disk 97% full on i-0abc" in record["reason"]
    assert record["checks"]["OK"] == 1  # the check before the failure was recorded
    nb = json.loads((tmp_path / record["output"]).read_text())
    assert "papermill-error-cell-tag" in nb["cells"][0]["metadata"].get("tags", [])
    assert (tmp_path / record["html"]).exists()


def test_cell_timeout_exits_3_and_says_so(sandbox_url, tmp_path):
    res = opslib("run", fixture("slow"), "--env", "sandbox", "--cell-timeout", "2", runs=tmp_path)
    assert res.returncode == 3
    (record,) = ledger(tmp_path)
    assert record["status"] == "failed" and "CellTimeoutError" in record["reason"]
    nb = json.loads((tmp_path / record["output"]).read_text())
    assert nb["cells"][0]["metadata"]["tags"] == ["opslib-status-banner"]
    assert nb["metadata"]["opslib"]["status"] == "failed"


def test_kernel_death_exits_3_and_still_files(sandbox_url, tmp_path):
    res = opslib("run", fixture("dies"), "--env", "sandbox", runs=tmp_path)
    assert res.returncode == 3
    (record,) = ledger(tmp_path)
    assert record["status"] == "failed"
    assert (tmp_path / record["output"]).exists()


@pytest.mark.parametrize("sig, said", [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")])
def test_interrupted_run_still_files_evidence(sandbox_url, tmp_path, sig, said):
    env = dict(os.environ, OPSLIB_RUNS_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "opslib.cli", "run", fixture("slow"), "--env", "sandbox", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    journal = tmp_path / "journal.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (journal.exists() and "fixture_started" in journal.read_text()):
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    (record,) = ledger(tmp_path)
    assert record["status"] == "interrupted" and said in record["reason"]
    assert record["checks"]["OK"] == 1
    assert (tmp_path / record["output"]).exists() and (tmp_path / record["html"]).exists()
    assert opslib("verify", runs=tmp_path).returncode == 0


def test_twenty_concurrent_runs_give_twenty_valid_entries(sandbox_url, tmp_path):
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: opslib("run", fixture("ok"), "--env", "sandbox", "--no-progress", runs=tmp_path), range(20)))
    assert [r.returncode for r in results] == [0] * 20, [r.stderr[-500:] for r in results if r.returncode]
    records = ledger(tmp_path)
    assert len(records) == 20 and len({r["run_id"] for r in records}) == 20
    assert [r["seq"] for r in records] == list(range(1, 21))
    res = opslib("verify", runs=tmp_path)
    assert res.returncode == 0, res.stdout
    assert "verified: 20 run record(s)" in res.stdout


def test_results_are_read_back_without_rerunning(sandbox_url, tmp_path):
    opslib("run", fixture("ok"), "--env", "sandbox", "-p", "level=WARN", runs=tmp_path)
    (record,) = ledger(tmp_path)
    from opslib.checks import from_notebook

    report = from_notebook(json.loads((tmp_path / record["output"]).read_text()))
    assert [(c.id, c.status, c.sentence) for c in report] == [("fixture_value_level", "WARN", "thing is WARN.")]
    assert record["status"] == "warn"


def test_history_filters_runs(sandbox_url, tmp_path):
    opslib("run", fixture("ok"), "--env", "sandbox", "--incident", "INC-2026-1122-001", runs=tmp_path)
    opslib("run", fixture("ok"), "--env", "sandbox", "-p", "level=CRITICAL", runs=tmp_path)
    res = opslib("history", "--incident", "INC-2026-1122-001", runs=tmp_path)
    assert res.returncode == 0
    body = res.stdout.splitlines()[1:]
    assert len(body) == 1 and "INC-2026-1122-001" in body[0] and "passed" in body[0]
    crit = opslib("history", "--status", "CRITICAL", runs=tmp_path).stdout.splitlines()[1:]
    assert len(crit) == 1 and "0/0/1/0" in crit[0]
    assert len(opslib("history", "--since", "2999-01-01", runs=tmp_path).stdout.splitlines()) == 1
    for since in ("yesterday", "today", "7d", "12h", "2026-01-01"):
        assert len(opslib("history", "--since", since, runs=tmp_path).stdout.splitlines()) == 3, since
    bad = opslib("history", "--since", "last week", runs=tmp_path)
    assert bad.returncode == 2 and "e.g. --since 2026-11-01, --since yesterday or --since 7d" in bad.stderr
    assert len(opslib("history", "--notebook", "ok", "--env", "sandbox", runs=tmp_path).stdout.splitlines()) == 3


def test_runs_dir_from_flag_then_env_then_the_projects_wherever_the_command_starts(sandbox_url, tmp_path):
    a, b, c, d = tmp_path / "a", tmp_path / "b", tmp_path / "c", tmp_path / "d"
    c.mkdir()
    d.mkdir()
    home = project(tmp_path, {})
    opslib("run", fixture("ok"), "--runs-dir", str(a), env={"OPSLIB_RUNS_DIR": str(b)})
    opslib("run", fixture("ok"), env={"OPSLIB_RUNS_DIR": str(b)})
    env = {k: v for k, v in os.environ.items() if k != "OPSLIB_RUNS_DIR"} | {"OPSLIB_HOME": str(home)}
    for cwd in (c, d):
        subprocess.run([sys.executable, "-m", "opslib.cli", "run", fixture("ok")], cwd=cwd, env=env, capture_output=True, check=True)
    assert len(ledger(a)) == 1 and len(ledger(b)) == 1 and len(ledger(home / "runs")) == 2
    assert not (c / "runs").exists() and not (d / "runs").exists()


def test_the_seed_deployment_status_script_runs_the_notebook(healthy, tmp_path):
    """Issue 25: seed 001's `./scripts/deployment-status.sh prod all`, as the seed types it (an unknown environment is bad input)."""
    import subprocess

    from conftest import ROOT

    env = {**os.environ, "OPSLIB_RUNS_DIR": str(tmp_path)}
    res = subprocess.run([str(ROOT / "scripts" / "deployment-status.sh"), "sandbox", "all", "--no-progress"], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0 and "OK       cloudformation_release         EC2Manager-production        EC2Manager-production runs release 1.3.0" in res.stdout, res.stdout + res.stderr
    assert subprocess.run([str(ROOT / "scripts" / "deployment-status.sh"), "moon"], capture_output=True, text=True).returncode == 2
