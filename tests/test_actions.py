"""The guarded action, exercised with a real action (log retention) against the sandbox."""

import re
import uuid

import pytest

from conftest import FIXTURES, ledger, opslib
from opslib import actions, sandbox
from opslib.actions.logs import SetLogRetention
from opslib.errors import ActionRefused, BadInput
from opslib.ledger import Evidence


@pytest.fixture
def groups(aws):
    """Three fresh log groups with 30-day retention, removed afterwards."""
    logs = aws.client("logs")
    prefix = f"/test/actions/{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}/{i}" for i in range(3)]
    for n in names:
        logs.create_log_group(logGroupName=n)
        logs.put_retention_policy(logGroupName=n, retentionInDays=30)
    yield names
    for n in names:
        logs.delete_log_group(logGroupName=n)


def retention(aws, names):
    found = {g["logGroupName"]: g.get("retentionInDays") for g in aws.client("logs").describe_log_groups(logGroupNamePrefix=names[0].rsplit("/", 1)[0])["logGroups"]}
    return [found[n] for n in names]


class Sink(list):
    """Where the guard journals: the records, in order."""

    def __call__(self, kind, **fields):
        self.append({"kind": kind, **fields})


def test_dry_run_is_the_default_and_changes_nothing(aws, groups):
    journal = Sink()
    out = actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal))
    assert out.status == "planned" and len(out.changes) == 3
    assert out.changes[0].before == 30 and out.changes[0].after == 14
    assert retention(aws, groups) == [30, 30, 30]
    assert journal[-1]["kind"] == "action" and journal[-1]["dry_run"] is True and journal[-1]["status"] == "planned"


def test_confirmed_action_applies_and_captures_before_and_after(aws, groups):
    journal = Sink()
    out = actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal), confirm=True)
    assert out.status == "applied"
    assert retention(aws, groups) == [14, 14, 14]
    assert out.before == {n: 30 for n in groups} and out.after == {n: 14 for n in groups}
    assert [r["kind"] for r in journal] == ["action-start", "action"]
    assert journal[-1]["confirmed_by"] == "parameter" and journal[-1]["dry_run"] is False
    again = actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal), confirm=True)
    assert again.status == "nothing-to-do"


def test_production_needs_a_reference(aws, groups):
    journal = Sink()
    pid = actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal)).plan_id
    with pytest.raises(ActionRefused, match="need a change or incident reference"):
        actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal, production=True), confirm=pid)
    assert retention(aws, groups) == [30, 30, 30]
    assert journal[-1]["status"] == "refused"
    out = actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal, production=True, reference="CHG-1042"), confirm=pid)
    assert out.status == "applied" and journal[-1]["reference"] == "CHG-1042"


def test_plans_larger_than_the_cap_are_refused(aws, groups):
    action = SetLogRetention(groups, 7)
    action.max_resources = 2
    with pytest.raises(ActionRefused, match="3 changes exceed the cap of 2"):
        actions.execute(action, actions.Guard(aws, Sink()), confirm=True)
    assert retention(aws, groups) == [30, 30, 30]


def test_invalid_retention_is_refused_before_aws(aws, groups):
    with pytest.raises(BadInput, match="15 days is not a retention CloudWatch Logs accepts: use one of 1, 3, .* \\(nearest: 14\\)"):
        SetLogRetention(groups, 15)


def test_failed_apply_is_journaled_with_state_after(healthy, aws, groups):
    sandbox.control("faults", [{"kind": "deny", "service": "logs", "action": "PutRetentionPolicy"}])
    journal = Sink()
    out = actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal), confirm=True)
    assert out.status == "failed" and "AccessDenied" in str(out.error)
    assert journal[-1]["status"] == "failed" and "AccessDenied" in journal[-1]["message"]
    assert journal[-1]["after"] == {n: 30 for n in groups}


def test_button_applies_exactly_the_plan(aws, groups):
    journal = Sink()
    action = SetLogRetention(groups, 60)
    planned = actions.execute(action, actions.Guard(aws, journal))
    box = actions.confirm_button(action, actions.Guard(aws, journal), planned)
    button = box.children[0]
    assert button.description == "Apply 3 changes"
    assert retention(aws, groups) == [30, 30, 30]
    button.click()
    assert retention(aws, groups) == [60, 60, 60]
    assert button.disabled
    assert journal[-1]["status"] == "applied" and journal[-1]["confirmed_by"] == "button"


def test_notebook_action_is_dry_run_by_default_and_applies_when_confirmed(aws, groups, tmp_path):
    nb = str(FIXTURES / "act.ipynb")
    res = opslib("run", nb, "-p", f"log_group={groups[0]}", "--no-progress", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert retention(aws, groups) == [30, 30, 30]
    res = opslib("run", nb, "-p", f"log_group={groups[0]}", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert retention(aws, groups) == [14, 30, 30]
    records = [r for r in Evidence(tmp_path).journal.records() if r["kind"] == "action"]
    assert [r["status"] for r in records] == ["planned", "applied"]
    assert [r["run_id"] for r in records] == [r["run_id"] for r in ledger(tmp_path)]
    assert records[1]["before"] == {groups[0]: 30} and records[1]["after"] == {groups[0]: 14}
    assert f"CHANGED  set-log-retention 14d on 1 log group: {groups[0]} retentionInDays: 30 -> 14" in res.stdout
    history = opslib("history", runs=tmp_path).stdout.splitlines()
    applied = opslib("history", "--run", records[1]["run_id"], runs=tmp_path).stdout
    assert re.search(rf"action\s+applied set-log-retention 14d on 1 log group: {re.escape(groups[0])} retentionInDays: 30 -> 14", applied), applied
    assert "run-start" in applied.splitlines()[1] and "run-end" in applied.splitlines()[-1]
    assert opslib("history", "--run", "nope", runs=tmp_path).returncode == 2
    assert "changes" in history[0].split() and [line.split()[6] for line in history[1:]] == ["0", "1"]  # the dry run changed nothing; the confirmed run one thing


def test_a_plan_has_an_id_and_only_that_plan_is_applied(aws, groups):
    journal = Sink()
    first = actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal))
    assert re.fullmatch(r"PLAN-[0-9a-f]{12}", first.plan_id) and f"confirm={first.plan_id}" in first.message
    assert actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal)).plan_id == first.plan_id  # same state, same plan
    assert actions.execute(SetLogRetention(groups, 7), actions.Guard(aws, journal)).plan_id != first.plan_id
    aws.client("logs").put_retention_policy(logGroupName=groups[0], retentionInDays=60)  # someone changed it by hand since the review
    with pytest.raises(ActionRefused, match=f"{first.plan_id} is stale") as refused:
        actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal), confirm=first.plan_id)
    assert retention(aws, groups) == [60, 30, 30]  # nothing applied
    fresh = refused.value.outcome
    assert fresh.status == "stale" and fresh.plan_id != first.plan_id and fresh.changes[0].before == 60
    assert journal[-1]["status"] == "stale" and journal[-1]["confirmed_plan"] == first.plan_id
    out = actions.execute(SetLogRetention(groups, 14), actions.Guard(aws, journal), confirm=fresh.plan_id)
    assert out.status == "applied" and retention(aws, groups) == [14, 14, 14] and journal[-1]["plan_id"] == fresh.plan_id


def test_production_applies_only_a_reviewed_plan_id(aws, groups):
    journal = Sink()
    guard = actions.Guard(aws, journal, production=True, reference="CHG-1042")
    with pytest.raises(ActionRefused, match="Production applies only a reviewed plan") as refused:
        actions.execute(SetLogRetention(groups, 14), guard, confirm=True)
    assert retention(aws, groups) == [30, 30, 30]
    out = actions.execute(SetLogRetention(groups, 14), guard, confirm=refused.value.outcome.plan_id)
    assert out.status == "applied" and retention(aws, groups) == [14, 14, 14]


def test_a_reviewed_plan_id_is_refused_as_stale_after_a_change_by_hand(healthy, aws, tmp_path):
    """Headless, as a responder does it: review the dry run's plan id, someone moves the alias by
    hand, the reviewed id is refused (exit 1, nothing invoked, the new plan shown), the new id applies."""
    lam, logs = aws.client("lambda", "us-west-2"), aws.client("logs", "us-west-2")
    streams = lambda: {s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/aws/lambda/ec2-manager-function-prod")["logStreams"]}
    dry = opslib("run", "lambda-errors", "--no-progress", runs=tmp_path)
    (reviewed,) = re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout)
    lam.update_alias(FunctionName="ec2-manager-function-prod", Name="LIVE", FunctionVersion="3")
    before = streams()
    stale = opslib("run", "lambda-errors", "-p", f"confirm={reviewed}", "--no-progress", runs=tmp_path)
    assert stale.returncode == 1 and f"{reviewed} is stale" in stale.stdout and "CRITICAL action_test_invoke" in stale.stdout, stale.stdout
    assert streams() == before  # nothing was invoked
    (fresh,) = re.findall(r"the plan now is (PLAN-[0-9a-f]{12})", stale.stdout)
    done = opslib("run", "lambda-errors", "-p", f"confirm={fresh}", "--no-progress", runs=tmp_path)
    assert "CHANGED  test-invoke ec2-manager-function-prod:LIVE: ec2-manager-function-prod:LIVE (version 3)" in done.stdout, done.stdout
    assert len(streams() - before) == 1
