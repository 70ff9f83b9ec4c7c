"""A responder running cells in JupyterLab (no papermill, no `opslib run`): still journaled."""

import re

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import FIXTURES, ROOT
from opslib.ledger import Evidence


def run_by_hand(path, runs, monkeypatch, edit=None):
    """Execute a notebook the way a Jupyter frontend does: cell by cell, in its folder."""
    monkeypatch.delenv("OPSLIB_RUN_ID", raising=False)
    monkeypatch.setenv("OPSLIB_RUNS_DIR", str(runs))
    nb = nbformat.read(path, as_version=4)
    if edit:
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        cell.source = edit(cell.source)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def test_checks_run_by_hand_are_journaled(healthy, tmp_path, monkeypatch):
    run_by_hand(ROOT / "notebooks" / "health" / "daily-health-check.ipynb", tmp_path, monkeypatch)
    records = Evidence(tmp_path).journal.records()
    checks = [r for r in records if r["kind"] == "check"]
    assert len(checks) == 7
    assert {r["run_id"] for r in records} == {checks[0]["run_id"]} and checks[0]["run_id"].startswith("interactive-")
    assert records[-1]["kind"] == "summary" and records[-1]["counts"]["OK"] == 7
    assert all(r["notebook"] == "health/daily-health-check" and r["env"] == "sandbox" for r in records)
    assert Evidence(tmp_path).verify() == []
    assert not (tmp_path / "ledger.jsonl").exists()  # a ledger record is for `opslib run` only


def test_edited_parameter_cell_is_checked_by_hand_too(healthy, tmp_path, monkeypatch):
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match=re.escape("BadInput\x1b[39m: error_warn from the parameters cell is 'five', not an int: set error_warn = 10 (an int) in the parameters cell\n")):
        run_by_hand(ROOT / "notebooks" / "health" / "daily-health-check.ipynb", tmp_path, monkeypatch,
                    edit=lambda s: s.replace("error_warn: int = 5", 'error_warn: int = "five"'))


def test_action_by_hand_offers_the_button_and_journals_the_plan(aws, healthy, tmp_path, monkeypatch):
    aws.client("logs").create_log_group(logGroupName="/test/by-hand")
    nb = run_by_hand(FIXTURES / "act.ipynb", tmp_path, monkeypatch,
                     edit=lambda s: s.replace("log_group: str = ...", 'log_group: str = "/test/by-hand"'))
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), "no confirm button shown"
    (action,) = [r for r in Evidence(tmp_path).journal.records() if r["kind"] == "action"]
    assert action["status"] == "planned" and action["dry_run"] is True
    group = aws.client("logs").describe_log_groups(logGroupNamePrefix="/test/by-hand")["logGroups"][0]
    assert "retentionInDays" not in group
