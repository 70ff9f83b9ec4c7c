"""Filed evidence: `verify` finds tampering; secrets never reach a file or the console."""

import json

from conftest import FIXTURES, ledger, opslib


def verify(runs):
    res = opslib("verify", runs=runs)
    return res.returncode, res.stdout + res.stderr


def test_untouched_evidence_verifies(runs):
    code, out = verify(runs)
    assert code == 0, out
    assert "verified: 3 run record(s)" in out


def test_one_byte_changed_in_an_output_is_named(runs):
    record = ledger(runs)[1]
    path = runs / record["output"]
    data = bytearray(path.read_bytes())
    at = data.index(b"WARN")
    data[at] = ord("X")
    path.write_bytes(bytes(data))
    code, out = verify(runs)
    assert code != 0
    assert f"run {record['run_id']}: {record['output']} was changed after it was filed" in out


def test_missing_output_is_named(runs):
    record = ledger(runs)[0]
    (runs / record["html"]).unlink()
    code, out = verify(runs)
    assert code != 0 and f"{record['html']} is missing" in out


def test_deleted_ledger_line_is_named(runs):
    path = runs / "ledger.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    removed = json.loads(lines[1])
    path.write_text(lines[0] + lines[2])
    code, out = verify(runs)
    assert code != 0
    assert "record seq 2 was removed" in out
    assert f"{removed['output']} has no ledger record" in out


def test_swapped_ledger_lines_are_named(runs):
    path = runs / "ledger.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + lines[2] + lines[1])
    code, out = verify(runs)
    assert code != 0
    assert "line 3 (seq 2" in out and "out of order" in out


def test_edited_ledger_field_is_named(runs):
    path = runs / "ledger.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"critical"', '"passed"', 1)
    path.write_text("".join(lines))
    code, out = verify(runs)
    assert code != 0 and "line 3 (seq 3" in out and "record was edited" in out


def test_canary_secret_never_reaches_files_or_console(sandbox_url, tmp_path):
    canary = "hooks.slack.example/T000/B000/canary-7f3a9c"
    runs = tmp_path / "runs"
    res = opslib("run", str(FIXTURES / "secret.ipynb"), "-p", "token=env:OPSLIB_CANARY", "--no-progress", runs=runs, env={"OPSLIB_CANARY": canary})
    assert res.returncode == 0, res.stdout + res.stderr
    for text in (res.stdout, res.stderr, *(p.read_text(errors="replace") for p in runs.rglob("*") if p.is_file())):
        assert canary not in text
    (record,) = ledger(runs)
    assert record["parameters"]["token"] == "env:OPSLIB_CANARY"
    nb = (runs / record["output"]).read_text()
    assert "masked: ********" in nb and "leaked on purpose: ********" in nb  # the cell that revealed it on purpose was caught
