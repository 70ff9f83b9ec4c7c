"""Every notebook in the catalog, executed for real against the sandbox.

Pairings come from the scenarios themselves (each names the notebooks that must catch it), so
a notebook that claims a scenario, or a scenario that claims a notebook, is held to it here.
"""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, declare, ledger, opslib
from opslib import catalog, sandbox
from opslib.sandbox import scenarios, snapshot

NOTEBOOKS = {nb.name: nb for nb in catalog.all_notebooks()}
PAIRS = sorted((nb, sc.name) for sc in scenarios.REGISTRY.values() for nb in sc.caught_by if nb in NOTEBOOKS)


def test_first_cell_lists_exactly_the_scenarios_that_name_the_notebook():
    for name, nb in NOTEBOOKS.items():
        claimed = set(re.findall(r"`([a-z-]+)`", nb.fields.get("catches", "")))
        expected = {sc for n, sc in PAIRS if n == name}
        assert claimed == expected, f"{name}: first cell says {sorted(claimed)}, scenarios say {sorted(expected)}"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_defaults_on_a_healthy_sandbox_pass_and_change_nothing(healthy, tmp_path, name):
    need = NOTEBOOKS[name].incident_need
    needs = ["--incident", declare(tmp_path, resolved=need == "declared").id] if need in ("open", "declared") else []
    before = snapshot.take(sandbox.url())
    res = opslib("run", name, "--env", "sandbox", *needs, "--no-progress", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert snapshot.take(sandbox.url()) == before, f"{name} changed the sandbox when run with its defaults"
    (record,) = ledger(tmp_path)
    assert record["status"] == "passed" and sum(record["checks"].values()) >= 1


@pytest.mark.parametrize("name, scenario", [p for p in PAIRS if p[0] != "daily-health-check"])  # that one: tests/test_seed_parity.py
def test_notebook_goes_red_on_the_scenarios_it_catches(healthy, tmp_path, name, scenario):
    sandbox.control(f"scenario/{scenario}")
    res = opslib("run", name, "--env", "sandbox", "--fail-on", "warn", "--no-progress", runs=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    (record,) = ledger(tmp_path)
    assert record["checks"]["WARN"] + record["checks"]["CRITICAL"] + record["checks"]["ERROR"] >= 1


def test_nbval_lax_runs_every_notebook(healthy, tmp_path):
    declare(tmp_path)  # by hand, the incident notebooks take the latest open one
    env = dict(os.environ, OPSLIB_RUNS_DIR=str(tmp_path))
    env.pop("OPSLIB_RUN_ID", None)
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider", "--nbval-lax", str(ROOT / "notebooks"), "--rootdir", str(tmp_path)],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:]
    assert " passed" in res.stdout and "failed" not in res.stdout
    journal = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    assert {r["notebook"] for r in journal} == {f"{nb.area}/{nb.name}" for nb in NOTEBOOKS.values()}


def test_log_search_exports_only_through_the_guard(healthy, aws, tmp_path):
    tasks = lambda: aws.client("logs", "us-east-1").describe_export_tasks().get("exportTasks", [])
    res = opslib("run", "log-search", "-p", "export=true", "--no-progress", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert tasks() == []
    res = opslib("run", "log-search", "-p", "export=true", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    (task,) = tasks()
    assert task["logGroupName"] == "/aws/ecs/rms-backend-prod" and task["destination"] == "rms-log-exports-123456789012"
    actions = [r for r in (json.loads(l) for l in (tmp_path / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action"]
    assert [a["status"] for a in actions] == ["planned", "applied"]
