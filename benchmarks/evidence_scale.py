"""Evidence at scale: what a run, `history`, `verify` and `report` cost in a runs directory of 1k, 10k
and 100k runs (a year of hourly cron over the catalog is ~324,000).

Each runs directory is synthesized with the project's own chaining code (opslib.ledger.Chain):
one ledger record and 8 journal records a run (run-start, session-start, 4 checks, summary, run-end),
37 notebooks an hour, a file witness holding both heads of every run. Records only: no filed
notebooks (verify hashes those too, linearly in runs). Every measurement runs in a fresh process
(CPU seconds and peak RSS, as cron would see them); a run's own cost is the evidence work a run does
(the index brought up to date, its day's page and the front page, its actions read back), measured
against the same work in an empty runs directory in the same way: the difference is what the
history costs it. Prints the figures and the growth ratio from the smallest size to each.

    .venv/bin/python benchmarks/evidence_scale.py [--sizes 1000,10000,100000]

Targets (issue 22), at 100k runs: a run pays <= 0.1 s and <= 150 MB for the history; a filtered
history <= 1 s; verify --since-last after one run <= 1 s; full verify linear with peak RSS <= 300 MB;
a day's report <= 5 s.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = [f"health/check-{i:02d}" for i in range(37)]

MEASURE = r"""
import json, os, resource, sys, time
sys.argv = ["opslib"] + json.loads(os.environ["BENCH_ARGS"])
from opslib import keep_out_iri_grammar
keep_out_iri_grammar()
import contextlib, io
t0 = time.process_time()
what = os.environ["BENCH_WHAT"]
if what in ("run", "session"):
    import importlib.util
    spec = importlib.util.spec_from_file_location("evidence_scale", os.environ["BENCH_FILE"])
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    (bench.simulated_run if what == "run" else bench.simulated_session)(os.environ["BENCH_RUNS"])
else:
    from opslib.cli import main
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = main(sys.argv[1:])
    if code not in (0,):
        print(out.getvalue()[-2000:], file=sys.stderr)
        sys.exit(f"{what}: exit {code}")
cpu = time.process_time() - t0
print(json.dumps({"cpu": cpu, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def synthesize(runs: Path, witness_file: Path, n: int) -> str:
    """`n` runs ending now, 37 an hour; returns the day of the last full day (for history and report)."""
    from opslib.ledger import Chain
    from opslib.witness import runs_key

    runs.mkdir(parents=True)
    ledger, journal = Chain(runs / "ledger.jsonl"), Chain(runs / "journal.jsonl")
    key = runs_key(runs)
    now = datetime.now(UTC).replace(microsecond=0)
    first = now - timedelta(hours=n / 37)
    prev = {"ledger": None, "journal": None}
    out = {"ledger": open(ledger.path, "w"), "journal": open(journal.path, "w")}
    heads = open(witness_file, "a")

    def add(chain_name, chain, record):
        entry = chain._entry(record, prev[chain_name])
        out[chain_name].write(json.dumps(entry, sort_keys=True) + "\n")
        prev[chain_name] = entry
        return entry

    for i in range(n):
        started = first + timedelta(seconds=i * 3600 / 37)
        at = started.isoformat()
        run_id = f"{i:010x}"
        nb = NOTEBOOKS[i % 37]
        session = {"run_id": run_id, "notebook": nb, "env": "sandbox", "incident": "", "user": "cron", "host": "ops-1"}
        statuses = ["OK", "OK", "OK", "WARN" if i % 7 == 0 else "OK"]
        add("journal", journal, {"kind": "run-start", "at": at, **session})
        add("journal", journal, {"kind": "session-start", "at": at, **session, "mode": "headless", "parameters": {"env": "sandbox"}, "parameter_sources": {"env": "--env"}})
        for j, status in enumerate(statuses):
            add("journal", journal, {"kind": "check", "at": at, **session, "check": {"id": f"check_{j}", "resource": "thing", "status": status,
                                                                                  "observed": j, "threshold": "-", "sentence": f"thing {j} is {status}."}})
        counts = {s: statuses.count(s) for s in ("OK", "WARN", "CRITICAL", "ERROR")}
        add("journal", journal, {"kind": "summary", "at": at, **session, "verdict": "checks done.", "counts": counts})
        status = "warn" if counts["WARN"] else "passed"
        rec = add("ledger", ledger, {"run_id": run_id, "user": "cron", "host": "ops-1", "started": at, "finished": at, "duration_s": 2.0, "notebook": nb,
                                     "env": "sandbox", "parameters": {"env": "sandbox"}, "parameter_sources": {"env": "--env"}, "incident": "",
                                     "status": status, "exit_code": 0, "reason": "", "checks": counts, "secrets_redacted": 0})
        end = add("journal", journal, {"kind": "run-end", "at": at, **session, "status": status, "counts": counts, "ledger_seq": rec["seq"]})
        for chain_name, head in (("ledger", rec), ("journal", end)):
            heads.write(json.dumps({"runs": key, "at": at, "chain": chain_name, "seq": head["seq"], "hash": head["hash"], "run_id": run_id}, sort_keys=True) + "\n")
    for fh in (*out.values(), heads):
        fh.close()
    return (now - timedelta(days=1)).date().isoformat()


def simulated_run(runs: str) -> None:
    """The evidence work of one run, as the runner does it (no kernel, no notebook file)."""
    import uuid

    from opslib import environment, runner, witness
    from opslib.evidence_index import Index
    from opslib.ledger import Evidence
    from opslib.report import write_index

    evidence = Evidence(Path(runs))
    runner._index_notes(evidence)
    run_id = uuid.uuid4().hex[:10]
    at = datetime.now(UTC).isoformat(timespec="seconds")
    session = {"run_id": run_id, "notebook": NOTEBOOKS[0], "env": "sandbox", "incident": "", "user": "cron", "host": "ops-1"}
    evidence.journal.append({"kind": "run-start", "at": at, **session})
    for j in range(4):
        evidence.journal.append({"kind": "check", "at": at, **session, "check": {"id": f"check_{j}", "resource": "thing", "status": "OK"}})
    evidence.journal.append({"kind": "summary", "at": at, **session, "counts": {"OK": 4}})
    counts = {"OK": 4, "WARN": 0, "CRITICAL": 0, "ERROR": 0}
    rec = evidence.ledger.append({"run_id": run_id, "started": at, "notebook": NOTEBOOKS[0], "env": "sandbox", "incident": "", "status": "passed",
                                  "checks": counts, "user": "cron", "host": "ops-1"})
    end = evidence.journal.append({"kind": "run-end", "at": at, **session, "status": "passed", "counts": counts, "ledger_seq": rec["seq"]})
    witness.for_environment("sandbox", environment.load("sandbox"), Path(runs))().record(
        Path(runs), [witness.Point("ledger", rec["seq"], rec["hash"], run_id), witness.Point("journal", end["seq"], end["hash"], run_id)])
    with Index.open(evidence) as index:
        write_index(evidence, run_id, index)
        index.actions(run_id)


def simulated_session(runs: str) -> None:
    """rb.summary() by hand in JupyterLab: its journal record, then the pages."""
    from opslib import journal, report
    from opslib.ledger import Evidence

    os.environ["OPSLIB_RUNS_DIR"] = runs
    session = {"run_id": "interactive-0badcafe", "notebook": NOTEBOOKS[1], "env": "sandbox", "incident": ""}
    journal.write("summary", session, verdict="checks done.", counts={"OK": 1})
    report.write_index(Evidence(Path(runs)), session["run_id"])


def measure(what: str, args: list, env: dict, runs: Path) -> dict:
    bench_env = dict(env, BENCH_WHAT=what, BENCH_ARGS=json.dumps(args), BENCH_RUNS=str(runs), BENCH_FILE=str(Path(__file__).resolve()))
    res = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True, env=bench_env)
    if res.returncode != 0:
        sys.exit(f"{what} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    base = Path(tempfile.mkdtemp(prefix="opslib-scale-"))
    try:
        home = base / "project"
        (home / "parameters").mkdir(parents=True)
        (home / "notebooks").symlink_to(ROOT / "notebooks")
        (home / "parameters" / "incidents").symlink_to(ROOT / "parameters" / "incidents")
        shutil.copyfile(ROOT / "parameters" / "sandbox.yaml", home / "parameters" / "sandbox.yaml")
        rows = {}
        empty = base / "empty"
        for n in [0, *sizes]:
            state = base / f"state-{n}"
            state.mkdir()
            env = dict(os.environ, OPSLIB_HOME=str(home), OPSLIB_STATE_DIR=str(state))
            runs = base / f"runs-{n}"
            if n:
                day = synthesize(runs, state / "witness.jsonl", n)
            else:
                runs, day = empty, datetime.now(UTC).date().isoformat()
                runs.mkdir()
            next_day = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
            r = {"index build (once)": measure("history", ["history", "--runs-dir", str(runs), "--notebook", "nothing"], env, runs) if n else None}
            r["run"] = measure("run", [], env, runs)
            r["history --notebook X --since DAY"] = measure("history", ["history", "--runs-dir", str(runs), "--notebook", NOTEBOOKS[3].split("/")[1], "--since", day], env, runs)
            if n:
                r["verify (full)"] = measure("verify", ["verify", "--runs-dir", str(runs)], env, runs)
                measure("run", [], env, runs)
                r["verify --since-last after a run"] = measure("verify", ["verify", "--runs-dir", str(runs), "--since-last"], env, runs)
                r["report --since DAY --until DAY+1"] = measure("report", ["report", "--runs-dir", str(runs), "--since", day, "--until", next_day,
                                                                           "--out", str(base / f"report-{n}")], env, runs)
            r["rb.summary() by hand"] = measure("session", [], env, runs)
            rows[n] = r
            shutil.rmtree(runs, ignore_errors=True)
            print(f"{n:>7} runs: " + "; ".join(f"{k} {v['cpu']:.2f} s CPU, {v['rss_mb']:.0f} MB" for k, v in r.items() if v), flush=True)
        print()
        smallest = sizes[0]
        print(f"{'':40}" + "".join(f"{n:>18,}" for n in sizes) + f"   growth {smallest:,} -> {sizes[-1]:,}")
        for key in rows[smallest]:
            if rows[smallest][key] is None:
                continue
            cells = []
            for n in sizes:
                v = rows[n][key]
                cost = v["cpu"] - (rows[0][key]["cpu"] if key in ("run", "rb.summary() by hand") else 0)
                cells.append(f"{cost:8.3f} s {v['rss_mb']:5.0f} MB")
            a, b = rows[smallest][key]["cpu"], rows[sizes[-1]][key]["cpu"]
            print(f"{key:40}" + "".join(f"{c:>18}" for c in cells) + f"   x{b / a:.1f}")
        print(f"\n(run and rb.summary(): CPU beyond the same work in an empty runs directory, {rows[0]['run']['cpu']:.3f} s and "
              f"{rows[0]['rb.summary() by hand']['cpu']:.3f} s there; RSS is the whole process's)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
