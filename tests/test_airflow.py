"""Issue 27: the schedule as Apache Airflow DAGs, run by a real Airflow 3 (its own virtual environment, .venv-airflow,
built by the README's test command and .ci/run; SQLite metadata) against the sandbox: each task is one notebook in one
environment through `opslib schedule fire --only`, so the evidence, ledger and pages are a cron firing's."""

import os
import subprocess

import pytest

from conftest import ROOT, ledger, opslib
import opslib_sandbox as sandbox

AIRFLOW = ROOT / ".venv-airflow" / "bin" / "airflow"
SCHEDULE = """entries:
  - name: locks
    notebooks: [terraform-state-lock]
    env: sandbox
    cron: "5 * * * *"
"""


@pytest.fixture
def airflow(tmp_path):
    """A fresh Airflow home (SQLite), its DAG folder holding what `opslib schedule airflow` wrote."""
    assert AIRFLOW.exists(), "no .venv-airflow: python3 -m venv .venv-airflow && .venv-airflow/bin/pip install -q 'apache-airflow>=3,<4' (README)"
    (tmp_path / "schedule.yaml").write_text(SCHEDULE)
    dags, runs = tmp_path / "dags", tmp_path / "runs"
    wrote = opslib("schedule", "airflow", "--file", str(tmp_path / "schedule.yaml"), "--out", str(dags / "opslib_schedule.py"), "--runs-dir", str(runs))
    assert wrote.returncode == 0 and "1 DAGs, 1 tasks" in wrote.stdout, wrote.stdout + wrote.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(AIRFLOW_HOME=str(tmp_path / "airflow"), AIRFLOW__CORE__DAGS_FOLDER=str(dags), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    migrated = subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, capture_output=True, text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stderr[-2000:]

    def test_dag() -> subprocess.CompletedProcess:
        return subprocess.run([str(AIRFLOW), "dags", "test", "opslib_locks", "-f", str(dags / "opslib_schedule.py")], env=env, capture_output=True, text=True, timeout=600)

    return test_dag, runs


def test_a_dag_task_runs_the_notebook_as_a_scheduled_run_and_a_finding_fails_it_without_a_retry(healthy, airflow):
    test_dag, runs = airflow
    green = test_dag()
    log = green.stdout + green.stderr
    (record,) = ledger(runs)
    assert f"opslib run {record['run_id']}: exit 0; evidence: {runs}/" in log and "state=success" in log, log[-3000:]
    assert (record["mode"], record["schedule_entry"]) == ("scheduled", "locks")

    sandbox.control("scenario/stale-terraform-lock")
    red = test_dag()
    log = red.stdout + red.stderr
    assert "terraform-state-lock on sandbox: exit 1 (a finding): not retried" in log, log[-3000:]
    assert [r["status"] for r in ledger(runs)] == ["passed", "critical"]  # one try: a finding is not retried
