"""Issue 27: every account and region an environment names (`targets:`). The sandbox holds three accounts: the seeds'
systems in the main one, a staging account with a small copy of EC2 Manager's logs, and a legacy one whose role cannot
be assumed. One notebook runs once per target, each filed with its target; the table after them has a `could not check`
cell (ERROR, with AWS's reason in its run) for the account that refused, never a silent gap."""

import re

import pytest

from conftest import ledger, opslib, project

TARGETS = """
targets:
  accounts:
    - {name: main, role_arn: "arn:aws:iam::123456789012:role/OpsAudit", external_id: opslib-sandbox}
    - {name: staging, role_arn: "arn:aws:iam::222222222222:role/OpsAudit", external_id: opslib-sandbox}
    - {name: legacy, role_arn: "arn:aws:iam::333333333333:role/OpsAudit", external_id: opslib-sandbox}
  regions: [us-west-2, us-east-1]
"""


def _staging_groups(aws) -> dict:
    creds = aws.client("sts").assume_role(RoleArn="arn:aws:iam::222222222222:role/OpsAudit", RoleSessionName="test", ExternalId="opslib-sandbox")["Credentials"]
    import boto3

    logs = boto3.client("logs", region_name="us-west-2", endpoint_url=aws.endpoint, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    return {g["logGroupName"]: g.get("retentionInDays") for g in logs.describe_log_groups()["logGroups"]}


def test_a_notebook_runs_once_per_account_and_region_with_a_could_not_check_cell_where_the_role_refuses(healthy, aws, tmp_path):
    home, runs = project(tmp_path, {"multi": TARGETS}), tmp_path / "runs"
    res = opslib("run", "log-retention", "--env", "multi", "--no-progress", "--runs-dir", str(runs), env={"OPSLIB_HOME": str(home)})
    assert res.returncode == 1 and "6 runs: " in res.stdout and "exit 1 (the worst)" in res.stdout, res.stdout + res.stderr
    table = res.stdout.split("== log-retention on every target of multi ==\n")[1]
    cells = dict(re.findall(r"^(\S+/\S+)\s+[0-9a-f]{10}\s+(.+?)\s*$", table, re.M))
    assert cells == {"main/us-west-2": "OK", "main/us-east-1": "WARN", "staging/us-west-2": "WARN", "staging/us-east-1": "WARN",
                     "legacy/us-west-2": "could not check", "legacy/us-east-1": "could not check"}, table
    assert "could not check legacy/us-west-2, legacy/us-east-1 (ERROR: its run says why)." in table
    assert "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/OpsAudit" in res.stdout
    records = ledger(runs)
    assert sorted(r["target"] for r in records) == sorted(cells) and {r["parameters"]["region"] for r in records} == {"us-west-2", "us-east-1"}
    shown = opslib("history", "--runs-dir", str(runs), env={"OPSLIB_HOME": str(home)}).stdout
    assert "multi legacy/us-east-1" in shown and "multi main/us-west-2" in shown, shown
    (page,) = (runs / "summaries").glob("*__log-retention__multi.html")
    assert "could not check" in page.read_text() and "<script" not in page.read_text()

    (line,) = [l for l in res.stdout.splitlines() if "--target staging/us-west-2" in l]  # the staging copy's group kept forever
    apply = re.search(r"run: opslib (run .+)\)$", line)[1].split()
    done = opslib(*apply, "--no-progress", "--runs-dir", str(runs), env={"OPSLIB_HOME": str(home)})
    assert done.returncode == 0 and "(verified)" in done.stdout and _staging_groups(aws)["/aws/ec2-manager/staging"] == 30, done.stdout + done.stderr
    assert aws.client("logs", "us-west-2").describe_log_groups(logGroupNamePrefix="/aws/ec2-manager/staging")["logGroups"] == []  # not the main account
    undone = opslib("undo", ledger(runs)[-1]["run_id"], "--confirm", "true", "--runs-dir", str(runs), env={"OPSLIB_HOME": str(home)})
    assert undone.returncode == 0 and _staging_groups(aws)["/aws/ec2-manager/staging"] is None, undone.stdout + undone.stderr
    assert "opslib run --runs-dir" in undone.stdout and "log-retention --target staging/us-west-2 --env multi" in undone.stdout, undone.stdout  # look again there


@pytest.mark.parametrize("account, said", [
    ("{name: x}", "multi.yaml line 3: account x has neither a profile nor a role: give one: profile: NAME"),
    ('{name: x, role_arn: "OpsAudit"}', "multi.yaml line 3: role_arn 'OpsAudit' is not a role's ARN: write arn:aws:iam::<12-digit account>:role/<role name>"),
    ('{name: x, profile: a, role_arn: "arn:aws:iam::123456789012:role/OpsAudit"}', "account x has both a profile and a role"),
])
def test_a_bad_target_is_exit_2_naming_the_line_before_anything_runs(tmp_path, account, said):
    home = project(tmp_path, {"multi": f"targets:\n  accounts:\n    - {account}\n"}, base=None)
    res = opslib("run", "log-retention", "--env", "multi", "--no-progress", "--runs-dir", str(tmp_path / "runs"), env={"OPSLIB_HOME": str(home)})
    assert res.returncode == 2 and said in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "runs" / "ledger.jsonl").exists()


def test_an_unknown_target_is_exit_2_naming_the_ones_there_are(tmp_path):
    home = project(tmp_path, {"multi": TARGETS})
    res = opslib("run", "log-retention", "--env", "multi", "--target", "prod/us-west-2", "--runs-dir", str(tmp_path / "runs"), env={"OPSLIB_HOME": str(home)})
    assert res.returncode == 2 and "--target prod/us-west-2 is not one of multi's targets: use one of main/us-west-2, main/us-east-1" in res.stderr, res.stderr


def test_a_scheduled_firing_over_an_environments_targets_files_each_as_scheduled(healthy, tmp_path):
    """A schedule entry on an environment with targets: one run per target, each `mode: scheduled` with its target."""
    home, runs = project(tmp_path, {"multi": TARGETS}), tmp_path / "runs"
    (tmp_path / "schedule.yaml").write_text("entries:\n  - name: retention\n    notebooks: [log-retention]\n    env: multi\n    cron: \"0 6 * * 1\"\n")
    res = opslib("schedule", "fire", "retention", "--file", str(tmp_path / "schedule.yaml"), "--runs-dir", str(runs), env={"OPSLIB_HOME": str(home)})
    assert res.returncode == 1 and "== retention: log-retention on multi legacy/us-east-1 (" in res.stdout, res.stdout + res.stderr
    assert sorted((r["mode"], r["target"]) for r in ledger(runs)) == sorted(("scheduled", f"{a}/{r}") for a in ("main", "staging", "legacy")
                                                                              for r in ("us-west-2", "us-east-1"))
