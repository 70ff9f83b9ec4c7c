"""Issue 28: one evidence store for the team (`evidence.store: s3://...`): every machine's runs filed to the sandbox's
store bucket (versioned, Object Lock) in one chain; a reviewer with an empty runs directory reads them all, verified."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from conftest import ROOT, declare, ledger, opslib, project
import opslib_sandbox as sandbox
from opslib_sandbox.seeds.evidence import STORE_BUCKET

TEAM = "team"


def team_env(store: str) -> dict:
    text = (ROOT / "parameters" / "sandbox.yaml").read_text()
    assert "\nevidence:\n" in text
    return {TEAM: text.replace("\nevidence:\n", f'\nevidence:\n  store: "{store}"\n', 1)}


@pytest.fixture
def s3(healthy):
    env = {k: v for k, v in sandbox.kernel_env().items() if v is not None}
    return boto3.client("s3", region_name="us-west-2", endpoint_url=env["AWS_ENDPOINT_URL"],
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


@pytest.fixture
def home(tmp_path, healthy, request):
    prefix = f"test-{request.node.name[:40]}-{os.getpid()}"
    return project(tmp_path, team_env(f"s3://{STORE_BUCKET}/{prefix}"), base=None), prefix


def run(home, runs, notebook="log-retention", *more):
    return opslib("run", notebook, "--env", TEAM, "--runs-dir", str(runs), "--no-progress", *more, env={"OPSLIB_HOME": str(home)})


def cli(home, *args):
    return opslib(*args, env={"OPSLIB_HOME": str(home)})


APPENDER = r"""
import json, os, sys
from pathlib import Path
from opslib.aws import Aws, AwsSettings
from opslib.ledger import Evidence
from opslib.store import Store
runs, bucket, prefix, n = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
evidence = Evidence(runs)
runs.mkdir(parents=True, exist_ok=True)
store = Store(bucket, prefix, Aws(AwsSettings(endpoint_url=os.environ["AWS_ENDPOINT_URL"], region="us-west-2")), runs)
for i in range(n):
    rec = evidence.ledger.append({"run_id": f"{runs.name}-{i:04d}", "notebook": "health/daily-health-check", "env": "team", "status": "passed",
                                  "started": "2026-12-06T00:00:00+00:00", "finished": "2026-12-06T00:00:01+00:00"})
    store.send(evidence, rec["run_id"])
"""


def test_two_machines_appending_at_once_make_one_chain_with_nothing_lost(healthy, tmp_path):
    """Two processes, each with its own runs directory, file 100 runs each to one store at the same time: the store's chain
    holds all 200 with no fork (each position taken once, each link intact) and each machine's records in its own order."""
    from opslib.aws import Aws, AwsSettings
    from opslib.store import Store

    env = dict(os.environ, **{k: v for k, v in sandbox.kernel_env().items() if v is not None})
    prefix = f"race-{os.getpid()}"
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(tmp_path / name), STORE_BUCKET, prefix, "100"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("laptop-a", "laptop-b")]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    os.environ.update({k: v for k, v in sandbox.kernel_env().items() if v is not None})
    store = Store(STORE_BUCKET, prefix, Aws(AwsSettings(endpoint_url=env["AWS_ENDPOINT_URL"], region="us-west-2")), tmp_path / "reviewer")
    problems, count = store.verify()
    assert problems == [] and count == 200
    entries, missing = store.entries(0)
    assert missing == [] and [e["seq"] for e in entries] == list(range(1, 201))
    for name in ("laptop-a", "laptop-b"):
        mine = [e["record"]["run_id"] for e in entries if e["record"]["run_id"].startswith(name)]
        assert mine == [f"{name}-{i:04d}" for i in range(100)]  # none lost, none twice, in the order filed
    assert len({e["machine"] for e in entries}) == 2


def test_a_reviewer_with_nothing_filed_reads_every_machines_runs_verified(home, tmp_path):
    home, prefix = home
    a, b, reviewer = tmp_path / "alice", tmp_path / "bob", tmp_path / "reviewer"
    first = subprocess.Popen([sys.executable, "-m", "opslib.cli", "run", "daily-health-check", "--env", TEAM, "--runs-dir", str(a), "--no-progress"],
                             env=dict(os.environ, OPSLIB_HOME=str(home)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = run(home, b)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, out + err + second.stdout + second.stderr
    assert "evidence store" not in out + err + second.stdout + second.stderr  # sent as filed: nothing to say
    (ran_a,), (ran_b,) = ledger(a), ledger(b)

    history = cli(home, "history", "--env", TEAM, "--runs-dir", str(reviewer))
    assert history.returncode == 0, history.stderr
    assert ran_a["run_id"] in history.stdout and ran_b["run_id"] in history.stdout, history.stdout
    assert "reached the store late" not in history.stdout
    pages = history.stderr.strip().removeprefix("opslib: every machine's runs, as pages: ")
    assert pages.endswith("index.html") and ran_a["run_id"] in Path(pages).read_text() and ran_b["run_id"] in Path(pages).read_text()

    verify = cli(home, "verify", "--env", TEAM, "--runs-dir", str(reviewer))
    assert verify.returncode == 0 and f"s3://{STORE_BUCKET}/{prefix}: verified:" in verify.stdout, verify.stdout + verify.stderr

    report = cli(home, "report", "--since", "today", "--env", TEAM, "--runs-dir", str(reviewer))
    assert report.returncode == 0 and "verified: every file in it matches its record" in report.stdout, report.stdout + report.stderr
    put = next(line for line in report.stdout.splitlines() if line.startswith("store:"))
    assert put.startswith(f"store:  s3://{STORE_BUCKET}/{prefix}/reports/runs-") and put.endswith(".zip")  # beside the runs, for the next reviewer
    page = next((reviewer / "reports").glob("*/index.html")).read_text()
    assert ran_a["run_id"] in page and ran_b["run_id"] in page


def test_a_store_out_of_reach_leaves_the_run_filed_here_and_it_goes_later_marked_late(home, tmp_path):
    home, prefix = home
    runs, reviewer = tmp_path / "runs", tmp_path / "reviewer"
    sandbox.control("faults", [{"kind": "deny", "service": "s3"}])  # the store refuses this machine (S3's REST calls are told apart by service only)
    done = run(home, runs)
    said = done.stdout + done.stderr
    assert done.returncode == 0, said  # the notebook's verdict: the store is not a check
    assert f"evidence store s3://{STORE_BUCKET}/{prefix} not reached (AccessDenied" in said and "Traceback" not in said, said
    assert "record(s) wait and go with the next opslib command naming --env team" in said
    (filed,) = ledger(runs)
    assert (runs / filed["output"]).is_file()
    journal = [json.loads(line) for line in (runs / "journal.jsonl").read_text().splitlines()]
    assert [r for r in journal if r["kind"] == "store-unreached"][0]["reason"].startswith("AccessDenied")

    sandbox.control("faults", [])
    synced = cli(home, "history", "--env", TEAM, "--runs-dir", str(runs))  # the next command naming the environment sends them
    assert synced.returncode == 0 and filed["run_id"] in synced.stdout, synced.stdout + synced.stderr
    seen = cli(home, "history", "--env", TEAM, "--runs-dir", str(reviewer))
    line = next(row for row in seen.stdout.splitlines() if filed["run_id"] in row)
    assert "@" in line and "(reached the store late, " in line, seen.stdout  # reached the store after its run: shown as such, in its place
    again = cli(home, "history", "--env", TEAM, "--runs-dir", str(runs))
    assert again.stdout.count(filed["run_id"]) == 1  # nothing sent twice


def test_verify_names_a_record_deleted_from_the_store(home, tmp_path, s3):
    from opslib.ledger import _digest

    home, prefix = home
    runs, reviewer = tmp_path / "runs", tmp_path / "reviewer"
    assert run(home, runs).returncode == 0
    s3.delete_object(Bucket=STORE_BUCKET, Key=f"{prefix}/chain/000000000002.json")  # what anyone with s3:DeleteObject can do: a delete marker
    verify = cli(home, "verify", "--env", TEAM, "--runs-dir", str(reviewer))
    assert verify.returncode == 1, verify.stdout
    fails = [line for line in verify.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1 and f"s3://{STORE_BUCKET}/{prefix}: chain record 2 was deleted at " in fails[0], verify.stdout  # the gap, not its echoes
    assert "(Object Lock keeps it until " in fails[0] and "deleted before its retention" in fails[0]
    restore = fails[0].split("removing the marker: ")[1]
    assert restore.startswith(f"aws s3api delete-object --bucket {STORE_BUCKET} --key {prefix}/chain/000000000002.json --version-id ")
    s3.delete_object(Bucket=STORE_BUCKET, Key=f"{prefix}/chain/000000000002.json", VersionId=restore.rsplit(" ", 1)[1])  # as the line says
    again = cli(home, "verify", "--env", TEAM, "--runs-dir", str(reviewer))
    assert again.returncode == 0 and ": verified:" in again.stdout, again.stdout

    key = f"{prefix}/chain/000000000001.json"  # rewritten by hand, hashes and all: only the versions tell
    entry = json.loads(s3.get_object(Bucket=STORE_BUCKET, Key=key)["Body"].read())
    entry["host"] = "someone-else"
    entry["hash"] = _digest(entry)
    s3.put_object(Bucket=STORE_BUCKET, Key=key, Body=json.dumps(entry).encode())
    forged = cli(home, "verify", "--env", TEAM, "--runs-dir", str(reviewer))
    assert forged.returncode == 1 and f"FAIL s3://{STORE_BUCKET}/{prefix}: {key} was rewritten at " in forged.stdout, forged.stdout
    assert "(2 versions); the one first written: aws s3api get-object" in forged.stdout


def test_a_store_that_is_not_s3_is_bad_input_and_a_bucket_without_versioning_is_named(tmp_path, healthy, s3):
    home = project(tmp_path, team_env("https://example.com/evidence"), base=None)
    bad = run(home, tmp_path / "runs")
    assert bad.returncode == 2 and "evidence.store is 'https://example.com/evidence'" in bad.stderr and "s3://bucket/prefix" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "runs" / "ledger.jsonl").exists()

    s3.create_bucket(Bucket="plain-bucket-no-versioning", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    home = project(tmp_path / "second", team_env("s3://plain-bucket-no-versioning/runs"), base=None)
    done = run(home, tmp_path / "runs2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bucket plain-bucket-no-versioning has no versioning" in done.stdout + done.stderr
    assert "aws s3api put-bucket-versioning --bucket plain-bucket-no-versioning --versioning-configuration Status=Enabled" in done.stdout + done.stderr


def test_an_incidents_timeline_merges_every_machines_runs_and_marks_the_late_ones(home, tmp_path):
    """Alice declares and runs a notebook; Bob's run for the incident cannot reach the store and goes with his next
    command: the reviewer's report and Alice's post-mortem both hold Bob's run, in its place, marked late."""
    home, prefix = home
    alice, bob, reviewer = tmp_path / "alice", tmp_path / "bob", tmp_path / "reviewer"
    inc = declare(alice)
    assert run(home, alice, "daily-health-check", "--incident", inc.id).returncode == 0
    sandbox.control("faults", [{"kind": "deny", "service": "s3"}])
    offline = run(home, bob, "log-retention", "--incident", inc.id)
    assert offline.returncode == 0 and "not reached" in offline.stdout + offline.stderr
    sandbox.control("faults", [])
    assert cli(home, "history", "--env", TEAM, "--runs-dir", str(bob)).returncode == 0  # Bob's next command sends it
    (bobs,) = ledger(bob)

    report = cli(home, "report", "--incident", inc.id, "--env", TEAM, "--runs-dir", str(reviewer))
    assert report.returncode == 0 and "verified: every file in it matches its record" in report.stdout, report.stdout + report.stderr
    page = (reviewer / "reports" / inc.id / "index.html").read_text()
    assert bobs["run_id"] in page and ledger(alice)[0]["run_id"] in page
    assert "reached the store late" in page

    drafted = run(home, alice, "postmortem", "--incident", inc.id)
    assert drafted.returncode in (0, 1), drafted.stdout + drafted.stderr  # WARN: the incident is still open
    draft = (alice / "incidents" / inc.id / "postmortem.md").read_text()
    line = next(row for row in draft.splitlines() if "log-retention" in row)
    assert "reached the store late" in line, draft

    # Carol, reviewing on a laptop that never saw the incident, drafts the same post-mortem from the store.
    carol = tmp_path / "carol"
    drafted = run(home, carol, "postmortem", "--incident", inc.id)
    assert drafted.returncode in (0, 1), drafted.stdout + drafted.stderr
    assert "log-retention" in (carol / "incidents" / inc.id / "postmortem.md").read_text()
    unknown = run(home, carol, "postmortem", "--incident", "INC-2026-0101-001")
    assert unknown.returncode == 2 and "no incident INC-2026-0101-001" in unknown.stderr, unknown.stdout + unknown.stderr


def test_a_store_that_goes_away_midway_or_throttles_loses_nothing_and_sends_nothing_twice(healthy, tmp_path, s3):
    """Thirty runs wait; the store goes away while they are being sent (503 from then on), then throttles everything,
    then is back: each failed send names AWS's reason, and the last sends the rest: every record once, in order, every
    file once."""
    import hashlib
    import threading
    import time

    from opslib.aws import Aws, AwsSettings
    from opslib.ledger import Evidence
    from opslib.store import Store, StoreError

    os.environ.update({k: v for k, v in sandbox.kernel_env().items() if v is not None})
    runs, prefix, n = tmp_path / "runs", f"midway-{os.getpid()}", 30
    evidence = Evidence(runs)
    for i in range(n):
        rel = f"2026/12/06/ok__team__T0000{i:02d}Z__{i:010d}.html"
        (runs / rel).parent.mkdir(parents=True, exist_ok=True)
        (runs / rel).write_text(f"<p>run {i}</p>")
        evidence.ledger.append({"run_id": f"{i:010d}", "env": "team", "status": "passed", "finished": "2026-12-06T00:00:00+00:00", "html": rel,
                                "html_sha256": hashlib.sha256(f"<p>run {i}</p>".encode()).hexdigest()})
    store = Store(STORE_BUCKET, prefix, Aws(AwsSettings(endpoint_url=os.environ["AWS_ENDPOINT_URL"], region="us-west-2", max_attempts=2)), runs, TEAM)

    failed = []
    sending = threading.Thread(target=lambda: failed.append(pytest.raises(StoreError, store.send, evidence)))
    sending.start()
    while store.waiting(evidence) > n - 5 and sending.is_alive():
        time.sleep(0.005)
    sandbox.control("faults", [{"kind": "unavailable", "service": "s3"}])  # gone, five or so records in
    sending.join(60)
    assert failed and "ServiceUnavailable" in str(failed[0].value)
    assert 0 < store.waiting(evidence) < n  # some went before it failed
    sandbox.control("faults", [{"kind": "throttle", "service": "s3"}])
    with pytest.raises(StoreError, match="SlowDown"):
        store.send(evidence)
    sandbox.control("faults", [])
    left = store.waiting(evidence)
    assert store.send(evidence) == left and store.waiting(evidence) == 0

    problems, count = store.verify()
    assert problems == [] and count == n
    files = s3.list_objects_v2(Bucket=STORE_BUCKET, Prefix=f"{prefix}/2026/")["Contents"]
    assert len(files) == n and all(len(s3.list_object_versions(Bucket=STORE_BUCKET, Prefix=f["Key"])["Versions"]) == 1 for f in files)


def test_a_change_applied_on_one_machine_is_undone_from_another_through_the_store(home, tmp_path):
    """Alice's log-retention run sets a group's retention; Bob, who filed nothing, undoes it by its run id with the
    environment's store: the dry run plans it from Alice's journal in the store, the confirmation puts it back."""
    home, prefix = home
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    env = {k: v for k, v in sandbox.kernel_env().items() if v is not None}
    logs = boto3.client("logs", region_name="us-west-2", endpoint_url=env["AWS_ENDPOINT_URL"],
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    group = logs.describe_log_groups(logGroupNamePrefix="/aws/ec2-manager")["logGroups"][0]["logGroupName"]
    logs.delete_retention_policy(logGroupName=group)  # by hand: kept forever
    assert run(home, alice, "log-retention", "-p", "confirm=true").returncode == 0
    (applied,) = [r for r in ledger(alice) if r["status"] == "passed"]
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0].get("retentionInDays") == 30

    unaware = cli(home, "undo", applied["run_id"], "--runs-dir", str(bob))
    assert unaware.returncode == 2, unaware.stderr
    assert f"filed on another machine: opslib undo --runs-dir {bob} {applied['run_id']} --env {TEAM} (its team's evidence store)" in unaware.stderr, unaware.stderr
    planned = cli(home, "undo", applied["run_id"], "--env", TEAM, "--runs-dir", str(bob))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "PLANNED" in planned.stdout and group in planned.stdout, planned.stdout
    paste = planned.stdout.rsplit("run: ", 1)[1].strip().rstrip(")").split()  # the line the console ends with, as Bob pastes it
    assert paste[:7] == ["opslib", "undo", "--runs-dir", str(bob), applied["run_id"], "--env", TEAM] and paste[7] == "--confirm", planned.stdout
    done = cli(home, *paste[1:])  # it names Bob's runs directory itself
    assert done.returncode == 0, done.stdout + done.stderr
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]  # kept forever again, as before Alice


def test_a_fresh_machine_reads_a_weeks_runs_without_copying_the_whole_store(home, tmp_path, s3):
    """A store holding a month of older records (written as machines wrote them, reaching it then): `history --since
    today` on a machine with nothing copies only today's, finding where they begin by halves; asking for everything
    later makes the copy again from the start."""
    from datetime import datetime, timedelta, timezone

    from conftest import aws_calls
    from opslib.ledger import _digest

    home, prefix = home
    began, prev = datetime(2026, 11, 1, tzinfo=timezone.utc), "0" * 64
    for seq in range(1, 301):
        when = (began + timedelta(hours=seq)).isoformat(timespec="seconds")
        record = {"seq": seq, "prev": "0" * 64 if seq == 1 else f"{seq - 1:064d}", "run_id": f"old{seq:07d}", "notebook": "health/daily-health-check",
                  "env": TEAM, "status": "passed", "started": when, "finished": when, "user": "carol"}
        record["hash"] = f"{seq:064d}"  # another machine's chain: its own hashes (what the store chain links is the entry)
        entry = {"seq": seq, "prev": prev, "chain": "ledger", "machine": "carolsmachine0000", "host": "carol-laptop", "record": record,
                 "stored_at": when, "late": False}
        entry["hash"] = prev = _digest(entry)
        s3.put_object(Bucket=STORE_BUCKET, Key=f"{prefix}/chain/{seq:012d}.json", Body=json.dumps(entry).encode())
    s3.put_object(Bucket=STORE_BUCKET, Key=f"{prefix}/chain/HEAD.json", Body=json.dumps({"seq": 300, "hash": prev}).encode())
    assert run(home, tmp_path / "alice", "log-retention").returncode == 0
    (today,) = ledger(tmp_path / "alice")

    reviewer = tmp_path / "reviewer"
    calls = aws_calls()
    recent = cli(home, "history", "--since", "today", "--env", TEAM, "--runs-dir", str(reviewer))
    assert recent.returncode == 0 and today["run_id"] in recent.stdout and "old" not in recent.stdout, recent.stdout + recent.stderr
    copied = next((reviewer / ".store").glob("*/ledger.jsonl")).read_text().splitlines()
    assert len(copied) == 1 and aws_calls() - calls < 40  # today's run: not 300 records read, and no LIST of them all
    everything = cli(home, "history", "--env", TEAM, "--runs-dir", str(reviewer))
    assert everything.stdout.count("old0") == 300 and today["run_id"] in everything.stdout


def test_a_history_rewritten_whole_is_caught_by_what_the_witness_saw(home, tmp_path, s3):
    """Someone allowed to bypass the bucket's retention rewrites the chain's last record (its hash recomputed) and removes
    the version first written: the store alone looks whole; the environment's witness saw the end the run left."""
    from opslib.ledger import _digest

    home, prefix = home
    runs = tmp_path / "runs"
    assert run(home, runs).returncode == 0
    clean = cli(home, "verify", "--env", TEAM, "--runs-dir", str(tmp_path / "reviewer"))
    assert clean.returncode == 0, clean.stdout
    last = max(o["Key"] for o in s3.list_objects_v2(Bucket=STORE_BUCKET, Prefix=f"{prefix}/chain/0")["Contents"])
    entry = json.loads(s3.get_object(Bucket=STORE_BUCKET, Key=last)["Body"].read())
    entry["record"]["status"] = "passed" if entry["record"].get("status") != "passed" else "warn"
    entry["record"]["hash"] = _digest(entry["record"])
    entry["hash"] = _digest(entry)
    (first,) = s3.list_object_versions(Bucket=STORE_BUCKET, Prefix=last)["Versions"]
    s3.put_object(Bucket=STORE_BUCKET, Key=last, Body=json.dumps(entry).encode())
    s3.delete_object(Bucket=STORE_BUCKET, Key=last, VersionId=first["VersionId"], BypassGovernanceRetention=True)
    forged = cli(home, "verify", "--env", TEAM, "--runs-dir", str(tmp_path / "reviewer"))
    fails = [line for line in forged.stdout.splitlines() if line.startswith("FAIL")]
    seq = int(last.rsplit("/", 1)[1][:12])
    assert forged.returncode == 1 and len(fails) == 1, forged.stdout
    assert f"chain record {seq} is not what file:" in fails[0] and "(rewritten): the store's history was changed" in fails[0]


def test_a_reviewer_with_the_readmes_read_only_policy_gets_every_runs_report_verified(home, tmp_path):
    """The IAM policy the README gives a reviewer, on an IAM user of the sandbox (which decides S3 calls on the bucket or
    object asked for, by S3's action names): history, report and verify work; the report's zip is not put, and says so."""
    home, prefix = home
    assert run(home, tmp_path / "alice", "log-retention").returncode == 0
    (filed,) = ledger(tmp_path / "alice")
    readme = (ROOT / "README.md").read_text()
    policy = readme.split("Read-only access is all a reviewer needs:", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert STORE_BUCKET in policy and "s3:PutObject" not in policy
    sandbox.principal("reviewer")
    env = {k: v for k, v in sandbox.kernel_env().items() if v is not None}
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=env["AWS_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    iam.put_user_policy(UserName="reviewer", PolicyName="on-call", PolicyDocument=policy)  # instead of a responder's
    as_reviewer = {"OPSLIB_HOME": str(home), "OPSLIB_SANDBOX_AS": "reviewer"}
    reviewer = tmp_path / "reviewer"

    history = opslib("history", "--env", TEAM, "--runs-dir", str(reviewer), env=as_reviewer)
    assert history.returncode == 0 and filed["run_id"] in history.stdout, history.stdout + history.stderr
    report = opslib("report", "--since", "today", "--env", TEAM, "--runs-dir", str(reviewer), env=as_reviewer)
    assert report.returncode == 0 and "verified: every file in it matches its record" in report.stdout, report.stdout + report.stderr
    assert "store:  not put there (AccessDenied: User: arn:aws:iam::123456789012:user/reviewer is not authorized to perform: s3:PutObject" in report.stdout
    verify = opslib("verify", "--env", TEAM, "--runs-dir", str(tmp_path / "elsewhere"), env=as_reviewer)
    assert verify.returncode == 0 and ": verified:" in verify.stdout, verify.stdout + verify.stderr
