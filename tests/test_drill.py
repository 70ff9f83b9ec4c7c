"""Drills as issue 25 found the gaps: a responder who follows only what the console prints. Each step
runs a command parsed from the previous step's stdout (its `next:` block, or the dry-run line that
applies a plan), never one the test composes, until the health check is green; the incident is then
resolved and its post-mortem's timeline must start before its declaration."""

import re
import shlex

from conftest import ledger, opslib
import opslib_sandbox as sandbox


def _next(stdout: str) -> list[str]:
    """The `opslib run ...` commands of a run's `next:` lines and blocks, in the order printed."""
    block = stdout.split("\nnext:", 1)[1] if "\nnext:" in stdout else ""
    return re.findall(r"^(?:next:)?\s*(opslib run [^\n]+?)\s*$", "next:" + block, re.M)


def _apply_line(stdout: str) -> str:
    (found,) = re.findall(r"to apply exactly (?:this plan|these plans), run: (opslib run [^\n]+)\)$", stdout, re.M)
    return found


def _run(command: str, runs, incident: str = "") -> "subprocess.CompletedProcess":  # noqa: F821
    args = shlex.split(command)
    assert args[:2] == ["opslib", "run"], command
    if incident and "--incident" not in args:  # the responder works under the incident once it is declared
        args[3:3] = ["--incident", incident]
    return opslib(*args[1:], "--no-progress", runs=runs)


def test_a_bad_release_drilled_from_the_console_alone_ends_green_resolved_and_with_a_truthful_post_mortem(healthy, tmp_path):
    sandbox.control("scenario/bad-deploy")
    first = opslib("run", "high-error-rate", "--no-progress", runs=tmp_path)  # the alert fired: the first look, before any incident
    assert first.returncode == 1, first.stdout
    steps = _next(first.stdout)
    rollbacks = [c for c in steps if c.startswith("opslib run rollback-")]
    assert {c.split()[2] for c in rollbacks} == {"rollback-stack", "rollback-ecs", "rollback-lambda"}, first.stdout
    assert "scripts/rollback.sh" not in first.stdout  # every command it names exists

    declared = opslib("run", "incident-declare", "-p", "users_affected_pct=12", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    (incident,) = set(re.findall(r"INC-\d{4}-\d{4}-\d{3}", declared.stdout))

    for command in rollbacks:  # each prints its plan; the line it prints applies exactly that plan
        dry = _run(command, tmp_path, incident)
        assert "PLANNED" in dry.stdout and "CHANGED" not in dry.stdout, dry.stdout
        done = _run(_apply_line(dry.stdout), tmp_path, incident)
        assert done.returncode == 0 and "(verified)" in done.stdout and "PASSED" in done.stdout, done.stdout  # judged on the world after it
        assert re.search(r"^next:\s+Applied \(verified\)", done.stdout, re.M), done.stdout

    sandbox.control("elapse", {"minutes": 11})  # the responder looks again a quarter of an hour later
    again = _run(steps[-1], tmp_path, incident)  # "then watch the rate fall"
    assert steps[-1].split()[2] == "high-error-rate" and again.returncode == 0, again.stdout
    health = opslib("run", "daily-health-check", "--incident", incident, "--no-progress", runs=tmp_path)
    assert health.returncode == 0, health.stdout

    resolved = opslib("run", "incident-update", "--incident", incident, "-p", "resolve=true", "-p", "resolution=Rolled back release 1.4.0",
                      "-p", "confirm=true", "--no-progress", runs=tmp_path)
    (postmortem,) = re.findall(r"`(opslib run postmortem[^`]*)`", resolved.stdout)
    _run(postmortem, tmp_path, incident).check_returncode()
    text = (tmp_path / "incidents" / incident / "postmortem.md").read_text()
    timeline = text.split("## Timeline", 1)[1]
    declared_at = timeline.index("**declared**")
    assert timeline.index("**changed** alias LIVE -&gt; version 5") < declared_at  # the release, from CloudTrail and the alias
    assert timeline.index("(untagged: run without --incident") < declared_at  # the first red look, before anyone declared
    assert timeline.index("**alarm** alarm ") < declared_at and "Alarm updated from OK to ALARM" in timeline  # the alarms that fired, from their history
    began, detected = (re.search(rf"\*\*{name}\*\*: (\S+ \S+) UTC", text)[1] for name in ("impact began", "detected"))
    assert began < detected and "Time to mitigate: " in text and "of impact (" in text, text[:1200]
    page = (tmp_path / ledger(tmp_path)[-1]["html"]).read_text()
    header = page.split('class="opslib-summary', 1)[1].split("</header>", 1)[0]
    assert "<dt>Incident</dt><dd>" + incident in header and "<dt>Status</dt><dd>Resolved</dd>" in header and "PASSED:" not in header  # its own header
    assert timeline.count("confirmed by") == timeline.count("**confirmed**") and " (root) (root)" not in timeline
    applied = [r["status"] for r in ledger(tmp_path) if str((r.get("parameters") or {}).get("confirm", "")).startswith("PLAN-")]
    assert applied == ["passed"] * 3, applied  # the runs index shows each rollback that worked as green


def test_a_service_scaled_to_zero_by_hand_drilled_from_the_console_alone_ends_green(healthy, aws, tmp_path):
    aws.client("ecs", "us-east-1").update_service(cluster="rms-cluster-prod", service="rms-backend-service-prod", desiredCount=0)  # by hand
    morning = opslib("run", "daily-health-check", "--no-progress", runs=tmp_path)
    assert morning.returncode == 1
    (scale,) = [c for c in _next(morning.stdout) if c.split()[2] == "scale-service"]
    assert "-p desired_count=2" in scale, morning.stdout  # its scalable target's minimum: what the service may not run below
    dry = _run(scale, tmp_path)
    assert "CRITICAL ecs_service_tasks_running" in dry.stdout and "PLANNED  scale-service" in dry.stdout, dry.stdout
    done = _run(_apply_line(dry.stdout), tmp_path)
    assert done.returncode == 0 and "desiredCount: 0 -> 2" in done.stdout and "(verified)" in done.stdout, done.stdout
    assert opslib("run", "daily-health-check", "--no-progress", runs=tmp_path).returncode == 0


def test_a_database_resized_by_hand_drilled_from_an_alarm_names_the_change_and_ends_green(healthy, aws, tmp_path):
    """From the morning check's alarm row to the cause: alarm-review hands each firing alarm to the notebook that looks behind
    it, high-latency names the ModifyDBInstance, and its undo (the class the responder fills in, as its comment asks) goes
    through scale-service; once the latency is over, the rows are green and say when it stopped."""
    aws.client("rds", "us-east-1").modify_db_instance(DBInstanceIdentifier="rms-db-prod", DBInstanceClass="db.t3.small", ApplyImmediately=True)
    sandbox.control("elapse", {"minutes": 12})
    morning = opslib("run", "daily-health-check", "--no-progress", runs=tmp_path)
    (review,) = _next(morning.stdout)
    alarms = _run(review, tmp_path)
    assert "rms-api-latency-high (ALB) in ALARM" in alarms.stdout and _next(alarms.stdout) == ["opslib run high-latency"], alarms.stdout
    latency = _run(_next(alarms.stdout)[0], tmp_path)
    assert re.search(r"CRITICAL latency_after_change\s+rds-class:rms-db-prod .*database class -> db.t3.small \(ModifyDBInstance by", latency.stdout), latency.stdout
    (undo,) = [c for c in _next(latency.stdout) if c.split()[2] == "scale-service"]
    dry = _run(undo.split("   #")[0].replace("db_instance_class=CLASS", "db_instance_class=db.t3.medium"), tmp_path)
    done = _run(_apply_line(dry.stdout), tmp_path)
    assert done.returncode == 0 and "DBInstanceClass: db.t3.small -> db.t3.medium" in done.stdout and "(verified)" in done.stdout, done.stdout
    sandbox.control("elapse", {"minutes": 11})
    again = _run(_next(latency.stdout)[-1], tmp_path)
    assert again.returncode == 0 and "at most in the last 10 minutes" in again.stdout and "; none since " in again.stdout, again.stdout
