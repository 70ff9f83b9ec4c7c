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


def test_a_session_by_hand_is_in_history_with_its_parameters_and_their_sources(healthy, tmp_path, monkeypatch):
    """A JupyterLab (or nbconvert) session has no filed notebook, but history lists it, marked
    interactive, and its journal says which values it used and where each came from."""
    from conftest import opslib

    run_by_hand(ROOT / "notebooks" / "health" / "alarm-review.ipynb", tmp_path, monkeypatch,
                edit=lambda s: s.replace("window_hours: int = 12", "window_hours: int = 6"))
    (start,) = [r for r in Evidence(tmp_path).journal.records() if r["kind"] == "session-start"]
    assert start["mode"] == "interactive"
    assert start["parameters"]["window_hours"] == 6 and start["parameter_sources"]["window_hours"] == "the parameters cell"
    assert start["parameter_sources"]["flap_warn"] == "parameters/sandbox.yaml"  # left at its default, filled from the file
    assert start["parameter_sources"]["alarm_prefix"] == "default"
    shown = opslib("history", runs=tmp_path)
    assert shown.returncode == 0, shown.stderr
    (row,) = [line.split() for line in shown.stdout.splitlines() if line.startswith("20")]
    assert row[1] == start["run_id"] and row[2:6] == ["health/alarm-review", "sandbox", "passed", "2/0/0/0"] and row[-1] == "interactive"
    assert opslib("history", "--status", "passed", runs=tmp_path).stdout.count("interactive-") == 1
    detail = opslib("history", "--run", start["run_id"], runs=tmp_path).stdout
    assert "interactive session; parameters: " in detail and "window_hours=6 (the parameters cell)" in detail
    assert "flap_warn=4 (parameters/sandbox.yaml)" in detail and "2 defaults" in detail


def test_a_kernel_left_open_reaches_a_restarted_sandbox(tmp_path, monkeypatch):
    """A responder's kernel outlives `opslib sandbox down` / `up`, even when the old port is taken:
    the next cell reaches the new sandbox instead of failing every check with the old port."""
    import socket

    import opslib_sandbox as sandbox

    monkeypatch.setenv("OPSLIB_SANDBOX_DIR", str(tmp_path / "sandbox"))
    for variable in ("OPSLIB_RUN_ID", "OPSLIB_SANDBOX_URL", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OPSLIB_RUNS_DIR", str(tmp_path / "runs"))
    path = ROOT / "notebooks" / "health" / "alarm-review.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    first = sandbox.up()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            sandbox.down()
            with socket.socket() as squatter:  # another program took the old port meanwhile
                squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                squatter.bind(("127.0.0.1", int(first.rsplit(":", 1)[1])))
                squatter.listen()
                second = sandbox.up()
            assert second != first
            later = [i for i, c in enumerate(nb.cells) if "rb.check" in c.source or "rb.fetch" in c.source or "rb.judge" in c.source]
            for index in later:
                client.execute_cell(nb.cells[index], index)
    finally:
        sandbox.down()
    checks = [r["check"] for r in Evidence(tmp_path / "runs").journal.records() if r["kind"] == "check"]
    assert len(checks) == 4 and {c["status"] for c in checks} == {"OK"}, [c["sentence"] for c in checks]


def test_a_restarted_sandbox_keeps_its_port_when_it_is_free(tmp_path):
    from opslib_sandbox.server import _bind

    def app(environ, start_response):
        start_response("204 No Content", [])
        return [b""]

    remembered = tmp_path / "last-port"
    first = _bind(remembered, app)
    port = first.port
    first.server_close()
    again = _bind(remembered, app)
    assert again.port == port and remembered.read_text() == str(port)
    again.server_close()
