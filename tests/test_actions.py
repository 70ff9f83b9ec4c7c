"""The guarded action, exercised with a real action (log retention) against the sandbox."""

import json
import re
import uuid

import pytest

from conftest import FIXTURES, ledger, opslib
from opslib import actions
import opslib_sandbox as sandbox
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
    assert out.verified is True and journal[-1]["verified"] is True and out.message.endswith("; verified.")
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

    # undo: a guarded action of its own, planned first, then applied by its plan id; plain boto3 sees the before state again
    planned = opslib("undo", records[1]["run_id"], runs=tmp_path)
    assert planned.returncode == 0 and retention(aws, groups) == [14, 30, 30], planned.stdout + planned.stderr
    (pid,) = re.findall(r"--confirm (PLAN-[0-9a-f]{12})", planned.stdout)
    assert f"PLANNED  set-log-retention 30d on 1 log group: {groups[0]} retentionInDays: 14 -> 30  [{pid}]" in planned.stdout
    assert f"run: opslib undo {records[1]['run_id']} --confirm {pid})" in planned.stdout
    undone = opslib("undo", records[1]["run_id"], "--confirm", pid, runs=tmp_path)
    assert undone.returncode == 0 and retention(aws, groups) == [30, 30, 30], undone.stdout + undone.stderr
    (undo,) = [r for r in Evidence(tmp_path).journal.records() if r["kind"] == "action" and r["status"] == "applied" and r.get("undoes")]
    assert undo["undoes"] == records[1]["run_id"] and undo["plan_id"] == pid and undo["verified"] is True and undo["notebook"] == "change/undo"
    assert ledger(tmp_path)[-1]["run_id"] == undo["run_id"]  # filed like any run
    nothing = opslib("undo", "no-such-run", runs=tmp_path)
    assert nothing.returncode == 2 and "applied no change" in nothing.stderr and nothing.stderr.count("\n") == 1
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
    hand, the reviewed id is refused (exit 1, nothing invoked, the new plan shown); the new id waits
    while another responder holds the function's lock (refused with their name), then applies."""
    lam, logs = aws.client("lambda", "us-west-2"), aws.client("logs", "us-west-2")
    streams = lambda: {s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/aws/lambda/ec2-manager-function-prod")["logStreams"]
                       if not s["logStreamName"].endswith("]traffic")}  # the API's own traffic (the sandbox's model) is not our invocation
    dry = opslib("run", "lambda-errors", "--no-progress", runs=tmp_path)
    (reviewed,) = re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout)
    lam.update_alias(FunctionName="ec2-manager-function-prod", Name="LIVE", FunctionVersion="3")
    before = streams()
    stale = opslib("run", "lambda-errors", "-p", f"confirm={reviewed}", "--no-progress", runs=tmp_path)
    assert stale.returncode == 1 and f"{reviewed} is stale" in stale.stdout and "CRITICAL action_test_invoke" in stale.stdout, stale.stdout
    assert streams() == before  # nothing was invoked
    (fresh,) = re.findall(r"the plan now is (PLAN-[0-9a-f]{12})", stale.stdout)
    db = aws.client("dynamodb")  # meanwhile a second responder is invoking it: the lock is theirs
    db.put_item(TableName="opslib-actions", Item={"resource": {"S": "ec2-manager-function-prod:LIVE"}, "holder": {"S": "erin@laptop"}, "run_id": {"S": "run-erin"},
                                                "plan_id": {"S": "PLAN-0123456789ab"}, "since": {"S": "2026-12-02T07:00:00+00:00"}, "expires": {"N": "9999999999"}})
    locked = opslib("run", "lambda-errors", "-p", f"confirm={fresh}", "--no-progress", runs=tmp_path)
    assert locked.returncode == 1 and "ec2-manager-function-prod:LIVE is locked by erin@laptop (run run-erin, plan PLAN-0123456789ab)" in locked.stdout, locked.stdout
    assert streams() == before
    db.delete_item(TableName="opslib-actions", Key={"resource": {"S": "ec2-manager-function-prod:LIVE"}})
    done = opslib("run", "lambda-errors", "-p", f"confirm={fresh}", "--no-progress", runs=tmp_path)
    assert "CHANGED  test-invoke ec2-manager-function-prod:LIVE: ec2-manager-function-prod:LIVE test invocation: version 3 -> invoked once" in done.stdout, done.stdout
    assert len(streams() - before) == 1


def _locks(aws, who: str, run: str, minutes: int = 15):
    from opslib.locks import Locks

    return Locks(aws, "opslib-actions", who, run, minutes)


def test_a_resource_being_changed_is_locked_against_a_second_responder(aws, groups):
    import threading
    import time

    class Slow(SetLogRetention):  # an apply that takes a while, as a real change does
        def apply(self, aws_, changes):
            time.sleep(1.5)
            super().apply(aws_, changes)

    results, journals = {}, {"alice": Sink(), "bob": Sink()}

    def responder(who, delay):
        time.sleep(delay)
        try:
            results[who] = actions.execute(Slow(groups[:1], 14), actions.Guard(aws, journals[who], locks=_locks(aws, f"{who}@host", f"run-{who}")), confirm=True).status
        except ActionRefused as refused:
            results[who] = str(refused)

    threads = [threading.Thread(target=responder, args=("alice", 0)), threading.Thread(target=responder, args=("bob", 0.5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["alice"] == "applied", results
    assert f"{groups[0]} is locked by alice@host (run run-alice, plan PLAN-" in results["bob"], results
    assert journals["bob"][-1]["status"] == "locked" and retention(aws, groups)[0] == 14
    assert "Item" not in aws.client("dynamodb").get_item(TableName="opslib-actions", Key={"resource": {"S": groups[0]}})  # released


def test_a_lock_left_by_a_killed_run_lapses(aws, groups):
    db = aws.client("dynamodb")
    db.put_item(TableName="opslib-actions", Item={"resource": {"S": groups[1]}, "holder": {"S": "carol@laptop"}, "run_id": {"S": "run-killed"},
                                                "plan_id": {"S": "PLAN-000000000000"}, "since": {"S": "2026-12-02T05:00:00+00:00"}, "expires": {"N": "1"}})
    out = actions.execute(SetLogRetention(groups[1:2], 7), actions.Guard(aws, Sink(), locks=_locks(aws, "dave@host", "run-dave")), confirm=True)
    assert out.status == "applied" and retention(aws, groups)[1] == 7
    assert "Item" not in db.get_item(TableName="opslib-actions", Key={"resource": {"S": groups[1]}})


def test_a_plan_needs_a_second_persons_approval_when_the_environment_asks(aws, groups):
    from opslib import approvals

    def guard(who):
        return actions.Guard(aws, Sink(), approvals=approvals.Approvals(aws, "opslib-actions", who, "log-search"))

    planned = actions.execute(SetLogRetention(groups[2:], 7), guard("alice@laptop"))
    assert "needs a second person's approval first: `opslib approve" in planned.message
    with pytest.raises(ActionRefused, match=f"{planned.plan_id} is not approved"):
        actions.execute(SetLogRetention(groups[2:], 7), guard("alice@laptop"), confirm=planned.plan_id)
    with pytest.raises(BadInput, match="alice@laptop requested .* and cannot approve it"):
        approvals.approve(aws, "opslib-actions", planned.plan_id, "alice@laptop")
    assert retention(aws, groups)[2] == 30
    approvals.approve(aws, "opslib-actions", planned.plan_id, "bob@desk")
    out = actions.execute(SetLogRetention(groups[2:], 7), guard("alice@laptop"), confirm=planned.plan_id)
    assert out.status == "applied" and "approved by bob@desk" in out.message and retention(aws, groups)[2] == 7
    # one approval, one apply (issue 23): undone, the same plan id applied again without a new approval was accepted
    aws.client("logs").put_retention_policy(logGroupName=groups[2], retentionInDays=30)
    with pytest.raises(ActionRefused, match=f"{planned.plan_id}'s approval was already used"):
        actions.execute(SetLogRetention(groups[2:], 7), guard("alice@laptop"), confirm=planned.plan_id)
    assert retention(aws, groups)[2] == 30
    again = actions.execute(SetLogRetention(groups[2:], 7), guard("alice@laptop"))  # planned afresh: a new request
    assert again.plan_id == planned.plan_id
    with pytest.raises(ActionRefused, match="is not approved"):
        actions.execute(SetLogRetention(groups[2:], 7), guard("alice@laptop"), confirm=planned.plan_id)
    approvals.approve(aws, "opslib-actions", planned.plan_id, "carol@desk")
    out = actions.execute(SetLogRetention(groups[2:], 7), guard("alice@laptop"), confirm=planned.plan_id)
    assert out.status == "applied" and "approved by carol@desk" in out.message


def test_approving_from_the_command_line(healthy, tmp_path):
    """An approver is who AWS says they are: alice and bob are two IAM users of the sandbox, each with their own key
    (OPSLIB_SANDBOX_AS picks whose). Issue 23: USER=bob LOGNAME=bob with alice's credentials approved alice's plan."""
    from conftest import ROOT, project

    text = (ROOT / "parameters" / "sandbox.yaml").read_text().replace("actions:\n", "actions:\n  approval: true\n")
    home = project(tmp_path, {"approving": text}, base=None)
    alice, bob = ({"OPSLIB_HOME": str(home), "OPSLIB_SANDBOX_AS": name} for name in ("alice", "bob"))
    dry = opslib("run", "lambda-errors", "--env", "approving", "--no-progress", runs=tmp_path, env=alice)
    (pid,) = re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout)
    own = opslib("approve", pid, "--env", "approving", env={**alice, "USER": "bob", "LOGNAME": "bob"})
    assert own.returncode == 2 and own.stderr.count("\n") == 1 and "user/alice requested" in own.stderr and "cannot approve it" in own.stderr, own.stderr
    unapproved = opslib("run", "lambda-errors", "--env", "approving", "-p", f"confirm={pid}", "--no-progress", runs=tmp_path, env=alice)
    assert unapproved.returncode == 1 and f"{pid} is not approved" in unapproved.stdout
    ok = opslib("approve", pid, "--env", "approving", env={**bob, "USER": "alice", "LOGNAME": "alice"})
    assert ok.returncode == 0 and "requested by arn:aws:iam::123456789012:user/alice" in ok.stdout, ok.stdout + ok.stderr
    assert "approved by arn:aws:iam::123456789012:user/bob" in ok.stdout
    assert f"apply it: opslib run lambda-errors --env approving -p confirm={pid}" in ok.stdout
    done = opslib("run", "lambda-errors", "--env", "approving", "-p", f"confirm={pid}", "--no-progress", runs=tmp_path, env=alice)
    assert "CHANGED  test-invoke" in done.stdout, done.stdout
    (applied,) = [r for r in map(json.loads, (tmp_path / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action" and r["status"] == "applied"]
    assert applied["approved_by"] == "arn:aws:iam::123456789012:user/bob" and applied["plan_id"] == pid


def test_every_action_declares_the_iam_actions_it_needs_and_show_lists_them():
    assert len(actions.load_all()) >= 7
    for verb, cls in actions.REGISTRY.items():
        assert cls.permissions and all(re.fullmatch(r"[a-z0-9-]+:[A-Z][A-Za-z]+", p) for p in cls.permissions), f"{verb} declares {cls.permissions!r}"
    from opslib import catalog

    users = {nb.name: nb for nb in catalog.all_notebooks() if nb.acts}
    assert {cls.verb for nb in users.values() for cls in nb.actions()} >= {"restart-container", "reboot-instance", "test-invoke", "export-logs", "declare-incident"}
    shown = opslib("show", "service-down").stdout
    assert re.search(r"restart-container +ssm:SendCommand, ssm:GetCommandInvocation", shown) and "dynamodb:PutItem, dynamodb:GetItem" in shown
    assert re.search(r"set-instance-state +ec2:StartInstances, ec2:StopInstances", shown)


def test_a_change_that_does_not_take_effect_is_recorded_unverified(aws, groups):
    class Ignored(SetLogRetention):  # the call is accepted and nothing changes, as an eventually-consistent API can
        verify_within_s = 2

        def apply(self, aws_, changes):
            pass

    journal = Sink()
    out = actions.execute(Ignored(groups[:1], 14), actions.Guard(aws, journal), confirm=True)
    assert out.status == "applied" and out.verified is False and "NOT verified within 2 s: still to take effect" in out.message
    assert journal[-1]["verified"] is False and "retentionInDays: 30 -> 14" in journal[-1]["verify_note"]


def test_a_plan_id_covers_everything_that_shapes_the_change():
    """Issue 23: an approved rollback ran `docker run --privileged -v /:/host ...` under the id of a plan with other options."""
    from opslib.actions import Change, plan_id
    from opslib.actions.hosts import RunImage

    before, changes = {"image": "app:2"}, [Change("i-1/webapp", "image", "app:2", "app:1")]
    reviewed = RunImage("i-1", "web", "webapp", "app:1", "-p 5000:5000 --restart unless-stopped")
    swapped = RunImage("i-1", "web", "webapp", "app:1", "-p 5000:5000 --privileged -v /:/host --pid=host")
    assert plan_id(reviewed, before, changes) != plan_id(swapped, before, changes)
    assert plan_id(reviewed, before, changes) == plan_id(RunImage("i-1", "web", "webapp", "app:1", "-p 5000:5000 --restart unless-stopped"), before, changes)
