"""`verify` finds what a forger does: truncation, forged appends, rewritten chains, cut journals,
paths out of the runs directory; HMAC keys; witnesses on file and in S3 with Object Lock."""

import hashlib
import json
import shutil

import pytest

from conftest import FIXTURES, ledger, opslib, project
from opslib.ledger import GENESIS


def sandbox_like(tmp_path, name, old, new):
    """A project whose environment `name` is the sandbox's with `old` replaced by `new`."""
    home = project(tmp_path, {name: ""})
    path = home / "parameters" / f"{name}.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    return home


def verify(runs, *args, env=None):
    res = opslib("verify", *args, runs=runs, env=env)
    return res.returncode, res.stdout + res.stderr


def rechain(lines: list[dict], start: int) -> list[dict]:
    """What a forger without a key does: recompute every hash from `start` to the end."""
    for i in range(start, len(lines)):
        rec = lines[i]
        rec["prev"] = lines[i - 1]["hash"] if i else GENESIS
        body = {k: v for k, v in rec.items() if k != "hash"}
        rec["hash"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return lines


def write(path, records):
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))


def test_intact_runs_verify_against_the_witness(runs):
    code, out = verify(runs)
    assert code == 0, out
    assert "witness: file:" in out and "verified: 3 run record(s)" in out


def test_deleting_the_last_record_and_its_files_is_found(runs):
    records = ledger(runs)
    last = records[-1]
    (runs / last["output"]).unlink()
    (runs / last["html"]).unlink()
    write(runs / "ledger.jsonl", records[:-1])
    code, out = verify(runs)
    assert code == 1
    assert "ledger ends at seq 2; the witness file:" in out and f"holds seq 3 (run {last['run_id']}): records were removed from its end" in out


def test_forged_append_is_found(runs):
    records = ledger(runs)
    forged = dict(records[-1], run_id="f0f0f0f0f0", status="passed", checks={"OK": 1, "WARN": 0, "CRITICAL": 0, "ERROR": 0}, seq=4)
    records = rechain(records + [forged], 3)
    write(runs / "ledger.jsonl", records)
    code, out = verify(runs)
    assert code == 1
    assert "ledger seq 4 (run f0f0f0f0f0) is not in the witness" in out
    assert "run f0f0f0f0f0 (ledger seq 4) has no journal records" in out


def test_edited_record_with_the_chain_recomputed_is_found(runs):
    records = ledger(runs)
    records[2]["status"] = "passed"
    write(runs / "ledger.jsonl", rechain(records, 2))
    code, out = verify(runs)
    assert code == 1
    assert "ledger seq 3 differs from the witness" in out and "rewritten" in out
    assert "record was edited" not in out  # the chain itself is consistent: only the witness can tell


def test_edited_counts_disagree_with_the_journal(runs):
    records = ledger(runs)
    records[2]["checks"] = {"OK": 1, "WARN": 0, "CRITICAL": 0, "ERROR": 0}
    write(runs / "ledger.jsonl", rechain(records, 2))
    code, out = verify(runs)
    assert code == 1 and f"run {records[2]['run_id']} (ledger seq 3): check counts" in out and "differ from its journal" in out


def test_dropping_the_journals_last_records_is_found(runs):
    path = runs / "journal.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-3]))
    code, out = verify(runs)
    assert code == 1
    assert f"journal ends at seq {len(lines) - 3}; the witness" in out


def test_a_copied_runs_directory_is_not_vouched_for_by_the_witness(runs, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(runs, copy)
    code, out = verify(copy)
    assert code == 1 and "holds no head of this runs directory, though it holds sandbox runs" in out


def test_record_paths_outside_the_runs_directory_are_not_followed(runs, tmp_path):
    outside = tmp_path / "outside.ipynb"
    outside.write_text("{}")
    records = ledger(runs)
    records[0]["output"] = "../../" + outside.name
    records[0]["html"] = str(outside)
    write(runs / "ledger.jsonl", rechain(records, 0))
    code, out = verify(runs)
    assert code == 1
    assert f"its output path '../../{outside.name}' leads outside the runs directory; not followed" in out
    assert f"its html path '{outside}' leads outside the runs directory" in out


def test_missing_and_empty_runs_directories_are_not_verified(sandbox_url, tmp_path):
    code, out = verify(tmp_path / "nothing-here")
    assert code == 2 and "no runs directory at" in out
    (tmp_path / "empty").mkdir()
    code, out = verify(tmp_path / "empty")
    assert code == 1 and "holds no ledger" in out


def test_filed_html_fetches_nothing_from_the_network(runs):
    import re

    page = (runs / ledger(runs)[0]["html"]).read_text()
    assert not re.search(r"<script[^>]+src=", page) and not re.search(r"<link[^>]+href=[\"']?(https?:)?//", page)
    assert "MathJax" not in page and "require.js" not in page and "@import url(http" not in page


def test_hmac_records_cannot_be_recomputed_without_the_key(sandbox_url, tmp_path):
    home = sandbox_like(tmp_path, "signed", 'witness: "file:witness.jsonl"', 'witness: "file:witness.jsonl"\n  hmac_key: env:OPSLIB_TEST_LEDGER_KEY')
    env = {"OPSLIB_HOME": str(home), "OPSLIB_TEST_LEDGER_KEY": "k3y-only-the-team-holds-5521"}
    runs = tmp_path / "runs"
    assert opslib("run", str(FIXTURES / "ok.ipynb"), "--env", "signed", "--no-progress", runs=runs, env=env).returncode == 0
    (record,) = ledger(runs)
    assert record["mac"] == "hmac-sha256"
    assert all(r["mac"] == "hmac-sha256" for r in map(json.loads, (runs / "journal.jsonl").read_text().splitlines()))
    assert verify(runs, env=env)[0] == 0
    code, out = verify(runs, env={"OPSLIB_HOME": str(home)})
    assert code == 1 and "carry an HMAC and its key is not set here" in out
    record["status"] = "passed"
    write(runs / "ledger.jsonl", rechain([record], 0))
    code, out = verify(runs, env=env)
    assert code == 1 and "record was edited" in out


@pytest.mark.parametrize("key_here", [True, False])
def test_a_signed_chain_stripped_of_its_macs_and_rechained_plain_is_not_evidence(sandbox_url, tmp_path, key_here):
    """The HMAC downgrade (issue 23): no witness to catch the new hashes, so the MAC is all there is."""
    home = sandbox_like(tmp_path, "signed", 'witness: "file:witness.jsonl"', "hmac_key: env:OPSLIB_TEST_LEDGER_KEY")
    env = {"OPSLIB_HOME": str(home), "OPSLIB_TEST_LEDGER_KEY": "k3y-only-the-team-holds-5521"}
    runs = tmp_path / "runs"
    assert opslib("run", str(FIXTURES / "ok.ipynb"), "--env", "signed", "--no-progress", runs=runs, env=env).returncode == 0
    assert verify(runs, env=env)[0] == 0
    for chain in ("ledger", "journal"):
        records = [json.loads(line) for line in (runs / f"{chain}.jsonl").read_text().splitlines()]
        for r in records:
            r.pop("mac")
        write(runs / f"{chain}.jsonl", rechain(records, 0))
    code, out = verify(runs, env=env if key_here else {"OPSLIB_HOME": str(home)})
    assert code == 1 and "carries no HMAC, though env signed signs its records (evidence.hmac_key): not evidence" in out, out
    assert "ledger.jsonl line 1" in out and "journal.jsonl line 1" in out


def test_s3_witness_with_object_lock(sandbox_url, tmp_path, aws):
    bucket = "opslib-evidence-witness-123456789012"
    home = sandbox_like(tmp_path, "locked", 'witness: "file:witness.jsonl"', f'witness: "s3://{bucket}/heads"')
    env = {"OPSLIB_HOME": str(home)}
    runs = tmp_path / "runs"
    for _ in range(2):
        assert opslib("run", str(FIXTURES / "ok.ipynb"), "--env", "locked", "--no-progress", runs=runs, env=env).returncode == 0
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="heads/")["Contents"]]
    assert len([k for k in keys if "/ledger/" in k]) == 2
    head = s3.head_object(Bucket=bucket, Key=keys[0])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    code, out = verify(runs, "--env", "locked", env=env)
    assert code == 0 and f"witness: s3://{bucket}/heads (4 head(s))" in out, out
    records = ledger(runs)
    write(runs / "ledger.jsonl", records[:1])
    (runs / records[1]["output"]).unlink()
    (runs / records[1]["html"]).unlink()
    code, out = verify(runs, "--env", "locked", env=env)
    assert code == 1 and f"ledger ends at seq 1; the witness s3://{bucket}/heads holds seq 2" in out


def test_a_record_nested_past_the_parser_or_numbered_past_memory_is_named_and_verify_goes_on(runs):
    """Issue 23: a deeply nested line was a RecursionError; seq 10**12 must not allocate the gap."""
    lines = (runs / "ledger.jsonl").read_text().splitlines()
    huge = json.loads(lines[-1]) | {"seq": 10**12}
    deep = '{"seq": 9, "hash": "x", "a": ' + "[" * 200000 + "]" * 200000 + "}"
    (runs / "ledger.jsonl").write_text("\n".join(lines + [deep, json.dumps(huge)]) + "\n")
    code, out = verify(runs)
    assert code == 1 and "Traceback" not in out
    assert "ledger.jsonl line 4: not a readable record" in out and "seq 1000000000000" in out
    res = opslib("history", runs=runs)
    assert res.returncode == 0 and "Traceback" not in res.stderr


def test_a_journal_record_appended_behind_the_witness_is_not_evidence_and_undo_will_not_act_on_it(sandbox_url, tmp_path):
    """Issue 23: a forged 'applied' record with a valid hash made `opslib undo` plan 3 -> 0; a forged session appeared in a
    report marked verified. Every journal record must be covered by a witnessed head (by hand: each append's own)."""
    runs = tmp_path / "runs"
    assert opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=runs).returncode == 0
    victim = ledger(runs)[0]["run_id"]
    journal = [json.loads(line) for line in (runs / "journal.jsonl").read_text().splitlines()]
    forged = {"kind": "action", "status": "applied", "run_id": victim, "notebook": "change/scale-service", "env": "sandbox", "user": "root", "host": "x",
              "at": journal[-1]["at"], "action": "scale-service rms-backend-service-prod to 3", "dry_run": False, "plan_id": "PLAN-0123456789ab",
              "changes": [{"resource": "rms-cluster-prod/rms-backend-service-prod", "attribute": "desiredCount", "before": 0, "after": 3}],
              "undo": [{"verb": "scale-service", "args": {"cluster": "rms-cluster-prod", "service": "rms-backend-service-prod", "desired": 0}, "region": "us-east-1"}],
              "seq": journal[-1]["seq"] + 1}
    write(runs / "journal.jsonl", rechain(journal + [forged], len(journal)))
    code, out = verify(runs)
    assert code == 1 and f"journal seq {forged['seq']} (action, run {victim}) not covered by the witness" in out, out
    res = opslib("undo", victim, runs=runs)
    assert res.returncode == 3 and "undo refused: the evidence in" in res.stderr and "does not verify" in res.stderr, res.stdout + res.stderr
    assert len(ledger(runs)) == 1  # no undo run was made


@pytest.fixture(scope="module")
def filed_incident(sandbox_url, tmp_path_factory):
    """A declared, resolved incident with its post-mortem, filed through the CLI (witnessed), and a pristine copy."""
    import re

    base = tmp_path_factory.mktemp("incident")
    runs = base / "runs"
    declared = opslib("run", "incident-declare", "-p", "service=EC2 Manager Production", "-p", "service_down=true", "-p", "confirm=true", "--no-progress", runs=runs)
    iid = re.findall(r"INC-\d{4}-\d{4}-\d{3}", declared.stdout)[0]
    assert opslib("run", "incident-update", "--incident", iid, "-p", "resolve=true", "-p", "resolution=scaled back", "-p", "confirm=true",
                  "--no-progress", runs=runs).returncode == 0
    assert opslib("run", "postmortem", "--incident", iid, "--no-progress", runs=runs).returncode == 0
    assert verify(runs)[0] == 0
    shutil.copytree(runs, base / "pristine")
    return runs, base / "pristine", iid


def _rewrite_severity(runs, iid):
    records = [json.loads(line) for line in (runs / "incidents.jsonl").read_text().splitlines()]
    records[0]["severity"] = "P4"
    write(runs / "incidents.jsonl", rechain(records, 0))


@pytest.mark.parametrize("tamper, says", [
    (_rewrite_severity, "incidents.jsonl seq 1 (incident-declared of {iid}) differs from the journal's anchor of it: rewritten"),
    (lambda runs, iid: write(runs / "incidents.jsonl", [json.loads(x) for x in (runs / "incidents.jsonl").read_text().splitlines()][:2]),
     "incident records were cut or deleted"),
    (lambda runs, iid: (runs / "incidents.jsonl").unlink(), "incident records were cut or deleted"),
    (lambda runs, iid: (runs / "incidents" / iid / "postmortem.md").write_text("# Nothing happened\n"),
     "{iid}: its post-mortem incidents/{iid}/postmortem.md was changed after it was filed"),
])
def test_incident_records_and_post_mortems_are_anchored(filed_incident, tamper, says):
    """Issue 23: severity or resolution rewritten, the tail cut, the file deleted, the post-mortem edited: all passed verify."""
    runs, pristine, iid = filed_incident
    shutil.rmtree(runs)
    shutil.copytree(pristine, runs)
    tamper(runs, iid)
    code, out = verify(runs)
    assert code == 1 and says.format(iid=iid) in out, out


def test_a_report_is_verified_on_its_own_against_the_records_it_was_made_from(filed_incident, tmp_path):
    """Issue 23: a report folder edited with its MANIFEST regenerated could not be told from the real one."""
    import hashlib

    runs, pristine, iid = filed_incident
    shutil.rmtree(runs)
    shutil.copytree(pristine, runs)
    made = opslib("report", "--incident", iid, "--out", str(tmp_path / "report"), runs=runs)
    assert made.returncode == 0, made.stdout + made.stderr
    report = tmp_path / "report"
    ok = opslib("verify", "--report", str(report), runs=runs)
    assert ok.returncode == 0 and f"verified: report {report}" in ok.stdout, ok.stdout + ok.stderr
    page = sorted((report / "runs").glob("*.html"))[0]
    page.write_text(page.read_text().replace("PASSED", "CRITICAL", 1) + "<!-- edited -->")
    listing = json.loads((report / "report.json").read_text())
    for entry in listing["files"]:
        entry["sha256"] = hashlib.sha256((report / entry["file"]).read_bytes()).hexdigest()  # the forger regenerates everything it can
    (report / "report.json").write_text(json.dumps(listing))
    (report / "MANIFEST.sha256").write_text("".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(report).as_posix()}\n"
                                                    for p in sorted(report.rglob("*")) if p.is_file() and p.name != "MANIFEST.sha256"))
    (report / "runs" / "99-extra.html").write_text("<p>a page nobody filed</p>")
    bad = opslib("verify", "--report", str(report), runs=runs)
    assert bad.returncode == 1 and f"runs/{page.name} differs from run" in bad.stdout and "changed after it was filed" in bad.stdout, bad.stdout
    assert "runs/99-extra.html is in the report but not in its listing: added, not evidence" in bad.stdout
    (report / "postmortem.md").write_text("# Nothing to see\n")
    assert f"the post-mortem of {iid}" in opslib("verify", "--report", str(report), runs=runs).stdout


def test_a_ledger_record_that_is_not_a_run_is_named(runs):
    """Issue 23: a non-run ledger record was accepted (skipped, so nothing it claimed was checked)."""
    records = ledger(runs)
    records.append({"kind": "approval", "plan_id": "PLAN-0123456789ab", "approver": "root", "seq": records[-1]["seq"] + 1})
    write(runs / "ledger.jsonl", rechain(records, len(records) - 1))
    code, out = verify(runs)
    assert code == 1 and f"ledger.jsonl seq {records[-1]['seq']}: a 'approval' record, which the ledger never holds: not evidence" in out, out
