"""Evidence at scale (issue 22): the index beside the chains, verify from a checkpoint, and batches of runs.

The index is a convenience the chains overrule: a missing, corrupt or foreign one is rebuilt with
one line saying so, and a run it claims that the chains do not hold is never shown. Timings live
in benchmarks/evidence_scale.py."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ledger, opslib
from opslib.evidence_index import NAME

OK = str(FIXTURES / "ok.ipynb")


def history(runs, *args):
    res = opslib("history", *args, runs=runs)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stdout + res.stderr
    return [line.split()[1] for line in res.stdout.splitlines()[1:]], res.stderr


def test_history_reads_the_index_and_a_missing_or_corrupt_one_is_rebuilt_and_said(runs):
    ids = [r["run_id"] for r in ledger(runs)]
    assert history(runs) == (ids, "")
    (runs / NAME).unlink()
    shown, said = history(runs, "--status", "warn")
    assert shown == [ledger(runs)[1]["run_id"]] and f"{NAME} was missing: built from ledger.jsonl and journal.jsonl" in said
    (runs / NAME).write_bytes(b"this is not a database" * 100)
    shown, said = history(runs)
    assert shown == ids and f"{NAME} was unreadable" in said and "rebuilt from ledger.jsonl" in said
    assert history(runs) == (ids, "")  # rebuilt once, then quiet


def test_an_index_claiming_a_run_the_chains_do_not_hold_shows_nothing_of_it(runs):
    history(runs)
    db = sqlite3.connect(runs / NAME)
    seq, off, length = db.execute("SELECT seq, off, len FROM runs ORDER BY seq DESC LIMIT 1").fetchone()
    db.execute("INSERT INTO runs VALUES (?, 'f0f0f0f0f0', '2026-01-01T00:00:00+00:00', '2026-01-01', 'health/forged', 'sandbox', 'passed', '', ?, ?)",
               (seq + 1, off, length))  # points at a real record
    db.commit()
    db.close()
    shown, said = history(runs)
    assert "f0f0f0f0f0" not in shown and shown == [r["run_id"] for r in ledger(runs)]
    assert f"{NAME} disagreed with the chains" in said and "rebuilt" in said


def test_an_index_of_another_runs_directory_is_not_used(runs, tmp_path):
    history(runs)
    other = tmp_path / "other"
    assert opslib("run", OK, "--no-progress", runs=other).returncode == 0
    shutil.copyfile(runs / NAME, other / NAME)  # foreign: names three runs that are not here
    shown, said = history(other)
    assert shown == [ledger(other)[0]["run_id"]] and "disagreed with the chains" in said and "first line differs" in said


def test_the_front_page_and_each_days_page_come_from_the_index(runs):
    day = ledger(runs)[0]["started"][:10]
    page = (runs / "days" / f"{day}.html").read_text()
    for record in ledger(runs):
        assert f'href="../{record["html"]}"' in page
    front = (runs / "index.html").read_text()
    assert f'href="days/{day}.html"' in front and "3 runs, 1 red" in front


def test_verify_since_last_reads_only_what_came_after_and_still_finds_tampering(sandbox_url, tmp_path):
    runs = tmp_path / "runs"  # its own: the runs added here are witnessed, which the shared three runs must not be
    assert opslib("run", OK, "--no-progress", runs=runs).returncode == 0
    first = opslib("verify", "--since-last", runs=runs)
    assert first.returncode == 0 and "NOTE no checkpoint of a clean verify here yet: everything was verified" in first.stdout, first.stdout
    assert opslib("run", OK, "-p", "level=WARN", "--no-progress", runs=runs).returncode == 0
    quick = opslib("verify", "--since-last", runs=runs)
    assert quick.returncode == 0 and "verified: 1 run record(s)" in quick.stdout and "since the last clean verify" in quick.stdout, quick.stdout
    assert "(2 head(s) since the checkpoint)" in quick.stdout

    # an edit after the checkpoint is found; the checkpoint does not move past it
    assert opslib("run", OK, "--no-progress", runs=runs).returncode == 0
    path = runs / "ledger.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    last = json.loads(lines[-1])
    last["status"] = "critical"
    path.write_text("".join(lines[:-1]) + json.dumps(last, sort_keys=True) + "\n")
    for _ in range(2):
        edited = opslib("verify", "--since-last", runs=runs)
        assert edited.returncode == 1 and "(seq 3, run" in edited.stdout and "record was edited" in edited.stdout, edited.stdout

    # a chain cut back before the checkpoint is found without reading the rest
    path.write_text("".join(lines[:1]))
    cut = opslib("verify", "--since-last", runs=runs)
    assert cut.returncode == 1 and "ledger.jsonl no longer holds seq 2 as the last verify" in cut.stdout and "run a full `opslib verify`" in cut.stdout, cut.stdout
    assert "ledger ends at seq 1; the witness" in opslib("verify", runs=runs).stdout


def test_a_batch_is_one_command_and_each_run_is_its_own(sandbox_url, tmp_path):
    res = opslib("run", OK, str(FIXTURES / "fails.ipynb"), str(FIXTURES / "required.ipynb"), "-p", "level=CRITICAL", "-p", "ticket=T-1",
                 "--no-progress", runs=tmp_path)
    records = ledger(tmp_path)
    by_name = {r["notebook"].split("/")[-1]: r for r in records}
    assert sorted(by_name) == ["fails", "ok", "required"] and len(records) == 3
    assert by_name["ok"]["status"] == "critical" and by_name["ok"]["parameters"] == {"env": "sandbox", "level": "CRITICAL"}  # no ticket: not its parameter
    assert by_name["required"]["parameters"]["ticket"] == "T-1" and by_name["fails"]["status"] == "failed"
    assert res.returncode == 3, res.stdout + res.stderr  # the worst: a notebook that failed
    assert "== notebooks/ok ==" in res.stdout and "3 runs: 1 exited 0, 1 exited 1, 1 exited 3; exit 3 (the worst)" in res.stdout
    assert opslib("verify", runs=tmp_path).returncode == 0


def test_a_batch_with_bad_input_starts_nothing(sandbox_url, tmp_path, kernel_tripwire):
    env, marker = kernel_tripwire
    for args, said in [((OK, OK.replace("ok.", "fails."), "-p", "levle=WARN"), "has a parameter 'levle'"),
                       (("--area", "helth"), "no area 'helth'"), ((), "no notebook named")]:
        res = opslib("run", *args, "--no-progress", runs=tmp_path, env=env)
        assert res.returncode == 2 and said in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not marker.exists() and not (tmp_path / "ledger.jsonl").exists()


def test_the_runner_works_from_a_process_that_imported_nbformat_first(sandbox_url, tmp_path):
    """The kernel's thread and papermill's imported jupyter_client at once: 'cannot import name AsyncKernelManager'."""
    code = ("import nbformat, sys; from opslib import runner; "
            f"plans = runner.prepare_many([{OK!r}, {OK!r}.replace('ok.', 'required.')], '', 'sandbox', ['level=WARN', 'ticket=T-1']); "
            "from opslib.signals import Signals\n"
            "with Signals() as s: out = runner.run_many(plans, 'critical', 60, s, 2, lambda p, o: None)\n"
            "sys.exit(0 if all(o is not None and o.status in ('warn', 'passed') for o in out) else 1)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, OPSLIB_RUNS_DIR=str(tmp_path)))
    assert res.returncode == 0 and "ImportError" not in res.stderr, res.stderr[-2000:]
    assert len(ledger(tmp_path)) == 2


def test_a_signal_stops_every_run_of_a_batch_each_is_filed_and_no_kernel_is_left(sandbox_url, tmp_path):
    """Kernels of a batch are forked from one pre-imported process (opslib.zygote): SIGTERM stops them all."""
    import signal
    import time

    env = dict(os.environ, OPSLIB_RUNS_DIR=str(tmp_path / "runs"))
    proc = subprocess.Popen([sys.executable, "-m", "opslib.cli", "run", str(FIXTURES / "slow.ipynb"), OK, "--jobs", "1",
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any("fixture_started" in p.read_text() for p in (tmp_path / "runs" / ".inflight").glob("*.ipynb")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 3 and "Traceback" not in err, out + err
    statuses = {r["notebook"].split("/")[-1]: r["status"] for r in ledger(tmp_path / "runs")}
    assert statuses == {"slow": "interrupted"}, (statuses, out, err)
    assert "ok was not started: stopped by SIGTERM" in err and "2 runs: 2 exited 3" in out  # the next never started
    assert _zygotes_of(proc.pid) == []
    assert opslib("verify", runs=tmp_path / "runs").returncode == 0


def test_an_index_with_tables_of_its_own_making_is_not_used(runs):
    """The index lives where an attacker may write: a view in place of its table is not queried."""
    history(runs)
    db = sqlite3.connect(runs / NAME)
    db.executescript("DROP TABLE runs; CREATE VIEW runs AS SELECT seq, run_id, started, day, notebook, env, 'passed' AS status, incident, off, len FROM journal;")
    db.close()
    shown, said = history(runs, "--status", "critical")
    assert shown == [ledger(runs)[2]["run_id"]] and "its tables are not the index's own" in said


def test_an_index_that_cannot_be_written_is_kept_in_memory_for_the_command(runs):
    (runs / NAME).unlink(missing_ok=True)
    (runs / NAME).mkdir()  # what a read-only runs directory does to root too: no index file can be made there
    shown, said = history(runs, "--status", "warn")
    assert shown == [ledger(runs)[1]["run_id"]] and "keeps one in memory" in said


def test_a_forged_start_names_no_page_outside_the_runs_directory(runs):
    from opslib.ledger import Evidence
    from opslib.report import write_index

    path = runs / "ledger.jsonl"
    lines = path.read_text().splitlines()
    forged = json.loads(lines[-1])
    forged.update(seq=forged["seq"] + 1, run_id="f0f0f0f0f0", started="../../../escaped", html="javascript:alert(1)")
    path.write_text("\n".join(lines + [json.dumps(forged, sort_keys=True)]) + "\n")
    write_index(Evidence(runs), "f0f0f0f0f0")  # what the next run or session does (verify names the forgery)
    assert not list(runs.parent.parent.rglob("escaped*"))
    page = (runs / "index.html").read_text()
    assert "f0f0f0f0f0" in page and "javascript:" not in page


def _zygotes_of(pid: int) -> list[str]:
    """Zygote processes (opslib.zygote) started by the command `pid`: its last argument is that pid."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"zygote.sock") for a in args) and args[-2:] and str(pid).encode() in args[-2:]:
            found.append(cmdline.parent.name)
    return found


def test_an_index_pointing_nowhere_reads_nothing_it_says(runs):
    history(runs)
    db = sqlite3.connect(runs / NAME)
    db.execute("UPDATE runs SET off = -5 WHERE seq = 1")
    db.execute("UPDATE runs SET len = 1099511627776 WHERE seq = 2")  # a terabyte: read no more than a record
    db.commit()
    db.close()
    shown, said = history(runs)
    assert shown == [r["run_id"] for r in ledger(runs)] and "disagreed with the chains" in said
    db = sqlite3.connect(runs / NAME)
    db.execute("UPDATE meta SET value = '-1' WHERE key = 'ledger_at'")
    db.commit()
    db.close()
    shown, said = history(runs)
    assert shown == [r["run_id"] for r in ledger(runs)] and "disagreed with the chains" in said
