"""Every next step is real: text that sends a responder to a notebook names one `opslib list` knows.

Until a notebook of the catalog lands, the text names the command or the seed procedure to follow.
"""

import ast
import re

from conftest import ROOT
from opslib import catalog
from opslib_sandbox.scenarios import REGISTRY

# Every notebook of ../shared/CATALOG.md, the scope: built or still to come.
CATALOG = """daily-health-check app-health performance-review alarm-review cost-review log-search incident-declare incident-update
service-down high-error-rate high-latency dynamodb-throttling lambda-errors auth-failures rate-limiting database-connection
deployment-failed security-incident data-corruption postmortem deploy-verify rollback-lambda rollback-ecs rollback-static-site
rollback-container scale-service autoscaling-policy backup-verification restore-drill certificate-expiry log-retention
lambda-version-cleanup terraform-state-lock terraform-state-restore security-audit iam-role-setup credential-rotation""".split()


def _texts() -> dict[str, str]:
    """What a responder reads: every notebook's cells, every sentence in the check modules."""
    out = {}
    for script in sorted((ROOT / "notebooks").rglob("*.py")):
        # the first cell's Catches line names sandbox scenarios, some of which share a notebook's name
        out[script.name] = "\n".join(line for line in script.read_text().splitlines() if "**Catches:**" not in line)
    for module in sorted((ROOT / "opslib" / "checks").glob("*.py")):
        strings = [n.value for n in ast.walk(ast.parse(module.read_text())) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        out[f"opslib/checks/{module.name}"] = "\n".join(strings)
    return out


def _mentions(text: str, name: str) -> bool:
    return bool(re.search(rf"`{re.escape(name)}`|\b{re.escape(name)} notebook|notebook `?{re.escape(name)}\b", text))


def test_no_text_sends_a_responder_to_a_notebook_that_does_not_exist():
    known = {nb.name for nb in catalog.all_notebooks()}
    missing = [(where, name) for where, text in _texts().items() for name in CATALOG if name not in known and _mentions(text, name)]
    assert missing == [], "name the command or seed procedure to follow until these notebooks land"


def test_the_scenario_table_names_only_notebooks_that_exist(capsys):
    from opslib import cli

    assert cli.main(["sandbox", "scenarios"]) == 0
    table = capsys.readouterr().out
    known = {nb.name for nb in catalog.all_notebooks()}
    rows = {line.split()[0]: line for line in table.splitlines()[1:]}
    assert set(rows) == set(REGISTRY)
    for name, scenario in REGISTRY.items():
        named = rows[name].rsplit("  ", 1)[-1].strip()
        assert named == (", ".join(scenario.caught_now(known)) or ("no notebook yet" if scenario.caught_by else "-")), rows[name]
        assert not [n for n in CATALOG if n not in known and re.search(rf"\b{n}\b", named)]


def test_the_check_finds_a_missing_notebook_when_there_is_one():
    assert _mentions("then the `service-down` notebook", "service-down") and _mentions("open the rollback-ecs notebook", "rollback-ecs")
    assert not _mentions("sandbox scenario error-spike", "service-down")


def test_deploy_verify_gates_on_the_checklist_and_hands_each_deployment_to_its_rollback():
    from datetime import datetime, timezone

    from opslib import advice
    from opslib.checks import CRITICAL, Check, deploy

    gate = deploy.checklist("pre", {"tests_passing": True, "change_ticket": "CHG-42"})
    assert [(c.resource, c.status) for c in gate] == [("tests_passing", "OK"), ("security_scan_done", "CRITICAL"), ("change_ticket", "OK"),
                                                      ("window_confirmed", "CRITICAL"), ("team_notified", "CRITICAL")]
    assert "Change ticket approved: yes (CHG-42)." in gate[2].sentence and deploy.checklist("post", {}) == []
    said = advice.deploy_verify(gate, "pre", [], "")
    assert "opslib run deploy-verify -p stage=pre -p security_scan_done=true -p window_confirmed=true -p team_notified=true" in said
    when = datetime.now(timezone.utc)
    fired = [Check("deploy_error_trigger", CRITICAL, "API Gateway (EC2 Manager)", "12%", "< 10%", "")]
    rows = [{"when": when, "what": "", "where": "lambda:ec2-manager-function-prod", "previous": "4"},
            {"when": when, "what": "", "where": "ecs:rms-cluster-prod/rms-backend-service-prod", "previous": "rms-backend-prod:2"},
            {"when": when, "what": "", "where": "s3:ec2-manager-web-prod-123456789012", "previous": "the versions it replaced"}]
    said = advice.deploy_verify(fired, "post", rows, "INC-2026-1202-001")
    assert "opslib run rollback-lambda --incident INC-2026-1202-001 -p function_name=ec2-manager-function-prod -p to_version=4" in said
    assert "-p cluster=rms-cluster-prod -p service=rms-backend-service-prod -p to_revision=rms-backend-prod:2" in said
    assert "opslib run rollback-static-site --incident INC-2026-1202-001 -p web_bucket=ec2-manager-web-prod-123456789012" in said
    known = {nb.name for nb in catalog.all_notebooks()}
    assert set(re.findall(r"opslib run ([\w-]+)", said)) <= known
    # issue 25: "A rollback trigger fired" beside WARN rows saying the trigger has not held long enough
    from opslib.checks import WARN

    held_not = [Check("deploy_error_trigger", WARN, "API Gateway (EC2 Manager)", "12%", "< 10%", "over the threshold for 4 of the last 10 minutes")]
    said = advice.deploy_verify(held_not, "post", rows, "")
    assert "fired" not in said and said.endswith("opslib run deploy-verify"), said
    stack = advice.deploy_verify(fired, "post", [{"when": when, "what": "", "where": "cloudformation:EC2Manager-production", "previous": ""}], "")
    assert "opslib run rollback-stack -p stack=EC2Manager-production" in stack and "rollback.sh" not in stack, stack


def test_after_a_change_the_apply_command_repeats_what_made_the_plan_and_every_notebook_named_exists():
    from opslib import advice
    from opslib.actions import Outcome
    from opslib.checks import OK, Check

    planned = [Outcome("scale-service x", "planned", [], plan_id="PLAN-0123456789ab"), Outcome("resize-database y", "planned", [], plan_id="PLAN-ba9876543210")]
    said = advice.after_change("scale-service", [], planned, "r1", "", "sandbox", {"desired_count": 5})
    assert "opslib run scale-service -p desired_count=5 -p confirm=PLAN-0123456789ab,PLAN-ba9876543210" in said  # without the count, the plan is another
    applied = [Outcome("point-alias f:LIVE to version 4", "applied", [], plan_id="PLAN-0123456789ab", verified=True)]
    said = advice.after_change("rollback-lambda", [], applied, "r2", "INC-2026-1202-001")
    assert "Applied (verified)." in said and "opslib run high-error-rate --incident INC-2026-1202-001" in said and "opslib undo r2" in said
    copy_ok = [Check("dynamodb_recovery_copy", OK, "ec2-manager-audit-recovery", "12/12 intact", "", "")]
    said = advice.after_change("data-corruption", copy_ok, [Outcome("restore-table a to b", "nothing-to-do", [])], "r3", "", "sandbox", {"copy_back": True})
    assert said.endswith("opslib run data-corruption -p copy_back=true")
    known = {nb.name for nb in catalog.all_notebooks()}
    for name, (_, (then_nb, _), _, (else_nb, _)) in advice.AFTER_CHANGE.items():
        assert {name, then_nb, else_nb} <= known, name
        assert advice.after_change(name, [], [], "r", "").count("opslib run ") == 1


def test_a_red_row_sends_the_responder_to_the_notebook_that_looks_further():
    from opslib import advice
    from opslib import catalog
    from opslib.checks import CRITICAL, OK, WARN, Check, Report

    known = {nb.name for nb in catalog.all_notebooks()}
    assert set(advice.FOLLOW_UP.values()) <= known
    report = Report([Check("cloudwatch_alarms_in_alarm", WARN, "all alarms", 1, "-", "1 alarm in ALARM."),
                     Check("docker_container_running", CRITICAL, "webapp", "exited", "running", "Exited (137)."),
                     Check("http_endpoint_healthy", CRITICAL, "web app", 502, "200", "HTTP 502."),
                     Check("ce_cost_yesterday", OK, "account", 1, "-", "fine.")])
    assert advice.follow_ups(report, "health/app-health", "INC-2026-1206-001", "staging") == [
        "opslib run service-down --env staging --incident INC-2026-1206-001", "opslib run alarm-review --env staging --incident INC-2026-1206-001"]
    assert advice.follow_ups(report, "incident/service-down") == ["opslib run alarm-review"]  # never the notebook that ran


def test_a_stopped_containers_plan_keeps_its_id_while_the_container_stays_stopped():
    """A reviewed plan id pasted a minute later still applies: the plan holds the state, not its age."""
    from opslib.actions import plan_id
    from opslib.actions.hosts import RestartContainer, _without_age

    action = RestartContainer("i-1", "web", "webapp")
    befores = [{"state": "exited", "status": _without_age(s)} for s in ("Exited (137) 5 seconds ago", "Exited (137) About a minute ago", "Exited (137) 12 minutes ago")]
    assert {plan_id(action, b, action.plan(b)) for b in befores} == {plan_id(action, befores[0], action.plan(befores[0]))}
    assert befores[0]["status"] == "Exited (137)" and _without_age("Exited (0) an hour ago") == "Exited (0)"


def test_the_commands_printed_to_paste_keep_the_runs_dir_the_run_was_given(healthy, tmp_path):
    """A responder who filed the dry run with --runs-dir pastes its apply line and then its undo line: both file beside
    the dry run (they went to $OPSLIB_RUNS_DIR or ./runs, and the undo found no such run there)."""
    import shlex

    from conftest import ledger, opslib
    import opslib_sandbox as sandbox

    mine, elsewhere = tmp_path / "mine", tmp_path / "elsewhere"
    sandbox.control("scenario/stale-terraform-lock")

    def paste(line):
        argv = shlex.split(line.split("#")[0])
        assert argv[0] == "opslib", line
        return opslib(*argv[1:], runs=elsewhere)

    dry = opslib("run", "terraform-state-lock", "--runs-dir", str(mine), "--no-progress", runs=elsewhere)
    apply_line = re.search(r"to apply exactly this plan, run: (.+)\)$", dry.stdout, re.M)[1]
    assert f"--runs-dir {mine}" in apply_line, dry.stdout
    applied = paste(apply_line)
    assert applied.returncode == 0 and "(verified)" in applied.stdout, applied.stdout + applied.stderr
    undo_line = next(line.strip() for line in applied.stdout.splitlines() if line.strip().startswith("opslib undo "))
    assert paste(undo_line).returncode == 0
    assert len(ledger(mine)) == 3 and ledger(elsewhere) == []
