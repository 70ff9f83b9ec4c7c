"""The incident notebooks that find the cause (issue "Diagnose"): what each catches, what its guarded
fix changes (read back through plain boto3, as a responder's terminal would), and how it fares
under faults. Green-on-healthy and red-under-scenario come from tests/test_notebooks.py."""

import json
import re
from datetime import timedelta

import pytest

from conftest import declare, eventually, ledger, opslib
from opslib import advice, incidents
import opslib_sandbox as sandbox


def _container_state(aws, instance_id: str) -> str:
    """`docker ps -a` on the host through SSM, as the seed's responder would run it."""
    ssm = aws.client("ssm", "us-west-2")
    command = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                               Parameters={"commands": ["docker ps -a --filter name=webapp --format '{{json .}}'"]})["Command"]["CommandId"]
    out = eventually(lambda: ssm.get_command_invocation(CommandId=command, InstanceId=instance_id), lambda r: r["Status"] not in ("Pending", "InProgress"))[-1]
    return json.loads(out["StandardOutputContent"].splitlines()[0])["State"]


def _webapp(aws) -> str:
    reservations = aws.client("ec2", "us-west-2").describe_instances(Filters=[{"Name": "tag:Name", "Values": ["secure-webapp-prod"]}])["Reservations"]
    return reservations[0]["Instances"][0]["InstanceId"]


def _instance_status(aws, instance_id: str) -> str:
    return aws.client("ec2", "us-west-2").describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"][0]["InstanceStatus"]["Status"]


def test_service_down_plans_the_fix_applies_it_only_when_confirmed_and_times_the_escalation(healthy, aws, tmp_path):
    sandbox.control("scenario/service-down")
    inc = declare(tmp_path, "Secure Web Application", at=incidents.now() - timedelta(minutes=7))
    instance_id = _webapp(aws)

    first = opslib("run", "service-down", "--incident", inc.id, "--no-progress", runs=tmp_path)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "CHANGED" not in first.stdout
    assert f"7 minutes into {inc.id}: the restart window has passed; roll back to the last known good version" in first.stdout
    said = ledger(tmp_path)[-1]["next"]  # the notebook's Next, filed with the run
    assert f"opslib run service-down --incident {inc.id} -p confirm=true" in said  # the copyable next step
    assert "next:     " in first.stdout and f"opslib run service-down --incident {inc.id} -p confirm=true" in first.stdout  # on the console too
    assert (_container_state(aws, instance_id), _instance_status(aws, instance_id)) == ("exited", "impaired")  # the dry run changed nothing

    fixed = opslib("run", "service-down", "--incident", inc.id, "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "CHANGED  restart-container webapp on secure-webapp-prod: secure-webapp-prod:webapp state: exited" in fixed.stdout, fixed.stdout
    assert "CHANGED  reboot-instance secure-webapp-prod" in fixed.stdout
    assert _container_state(aws, instance_id) == "running"
    assert eventually(lambda: _instance_status(aws, instance_id), lambda s: s == "ok", timeout=30)[-1] == "ok"

    again = opslib("run", "service-down", "--incident", inc.id, "--no-progress", runs=tmp_path)
    assert again.returncode == 0, again.stdout
    actions = [r for r in json.loads("[" + ",".join((tmp_path / "journal.jsonl").read_text().splitlines()) + "]") if r["kind"] == "action" and not r["dry_run"]]
    assert sorted(a["action"].split()[0] for a in actions) == ["reboot-instance", "restart-container"] and all(a["incident"] == inc.id for a in actions)
    reboot = next(a for a in actions if a["action"].startswith("reboot"))
    assert (reboot["before"]["instance_status"], reboot["after"]["instance_status"]) == ("impaired", "initializing")  # the checks start over


DENIED = {  # notebook: (calls denied, the rows that must say so, with the code AWS answers)
    "service-down": ([{"kind": "deny", "service": "cloudformation", "action": "DescribeStacks"}, {"kind": "deny", "service": "ec2", "action": "DescribeInstanceStatus"}],
                     {"cloudformation_stack_status": "AccessDenied", "ec2_instance_status": "UnauthorizedOperation"}),  # EC2's word for it, as on AWS
    "high-error-rate": ([{"kind": "deny", "service": "cloudwatch"}, {"kind": "deny", "service": "cloudformation"}],
                        {"errors_rate": "AccessDeniedException", "errors_after_deploy": "AccessDenied"}),  # CloudWatch speaks JSON now
    "database-connection": ([{"kind": "deny", "service": "secretsmanager"}, {"kind": "deny", "service": "ec2", "action": "DescribeSecurityGroups"}],
                            {"postgres_connection": "AccessDeniedException", "ec2_db_ingress": "UnauthorizedOperation"}),
    "high-latency": ([{"kind": "deny", "service": "secretsmanager"}, {"kind": "deny", "service": "elasticache"}],
                     {"postgres_slow_statements": "AccessDeniedException", "elasticache_hit_rate": "AccessDenied"}),
    "auth-failures": ([{"kind": "deny", "service": "cloudwatch"}, {"kind": "deny", "service": "logs"}],
                      {"cognito_sign_in_successes": "AccessDeniedException", "cognito_auth_failure_burst": "AccessDeniedException"}),
    "rate-limiting": ([{"kind": "deny", "service": "logs", "action": "FilterLogEvents"}], {"ratelimit_offenders": "AccessDeniedException"}),
    "lambda-errors": ([{"kind": "deny", "service": "lambda"}, {"kind": "deny", "service": "logs"}],  # the test invoke cannot even be planned
                      {"lambda_function_state": "AccessDeniedException", "lambda_log_errors": "AccessDeniedException", "action_test_invoke": "AccessDeniedException"}),
    "deployment-failed": ([{"kind": "deny", "service": "ecs"}],
                          {"ecs_deployment_state": "AccessDeniedException", "ecs_task_failures": "AccessDeniedException", "recent_changes": "AccessDeniedException"}),
    "dynamodb-throttling": ([{"kind": "deny", "service": "dynamodb"}],
                            {"dynamodb_table_status": "AccessDeniedException", "dynamodb_hot_partition": "AccessDeniedException"}),
}


@pytest.mark.parametrize("name", sorted(DENIED))
def test_under_faults_each_completes_with_error_rows_naming_the_code(healthy, tmp_path, name):
    """One run under both: the calls denied, and a third of the rest throttled (the throttling-storm
    scenario's rule), so the run also completes through retries. A call throttled past its retries
    is an ERROR row too, naming the throttling code."""
    denied, expected = DENIED[name]
    sandbox.control("faults", denied + [{"kind": "throttle", "rate": 0.33}])
    res = opslib("run", name, "--no-progress", runs=tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stdout + res.stderr, res.stdout + res.stderr
    errors = {e.split()[1]: re.search(r"Could not check .+?: (\w+): ", e)[1] for e in res.stdout.splitlines() if e.startswith("ERROR    ")}
    assert {k: v for k, v in errors.items() if k in expected} == expected, errors
    assert all("Throttl" in code for k, code in errors.items() if k not in expected), errors
    assert ledger(tmp_path)[-1]["status"] == "error"


def test_next_steps_are_copyable_command_lines():
    assert advice.command("incident-update", "INC-2026-1202-001", resolve=True, resolution="Desired count back to 3") == \
        "opslib run incident-update --incident INC-2026-1202-001 -p resolve=true -p 'resolution=Desired count back to 3'"


def test_lambda_test_invoke_runs_the_alias_version_only_when_confirmed(healthy, aws, tmp_path):
    """The dry run (its red run is in tests/test_notebooks.py) invokes nothing; confirmed, the function
    runs once through LIVE, and Lambda's log has that invocation, as a terminal reads it."""
    sandbox.control("scenario/lambda-errors")
    logs = aws.client("logs", "us-west-2")
    group = "/aws/lambda/ec2-manager-function-prod"
    streams = lambda: {s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]}
    live = aws.client("lambda", "us-west-2").get_alias(FunctionName="ec2-manager-function-prod", Name="LIVE")["FunctionVersion"]
    before = streams()
    res = opslib("run", "lambda-errors", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert f"CRITICAL lambda_test_invoke             ec2-manager-function-prod    Test invoke of ec2-manager-function-prod (version {live}) failed in" in res.stdout, res.stdout
    assert "ClientError: An error occurred (UnauthorizedOperation) when calling the DescribeInstances operation" in res.stdout
    (new,) = streams() - before
    lines = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=new, startFromHead=True)["events"]]
    assert f"[{live}]" in new and lines[0].startswith("START RequestId:") and lines[-1].startswith("REPORT RequestId:") and len(lines) == 4
    (action,) = [r for r in map(json.loads, (tmp_path / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action"]
    assert action["status"] == "applied" and action["before"]["version"] == live and action["confirmed_by"] == "parameter"


# Issue 26's notebooks under a service denied (and a third of the rest throttled), judged in process: the row that
# reads the denied service is an ERROR naming AWS's code; every other non-OK row is a throttle past its retries.
DENIED_26 = {
    "log-retention": ("logs", "logs_retention_policy", "AccessDeniedException"),
    "lambda-version-cleanup": ("lambda", "lambda_old_versions", "AccessDeniedException"),
    "terraform-state-lock": ("dynamodb", "terraform_state_lock", "AccessDeniedException"),
    "terraform-state-restore": ("s3", "terraform_state_history", "AccessDenied"),
    "certificate-expiry": ("acm", "acm_certificate_expiry", "AccessDeniedException"),
    "backup-verification": ("rds", "rds_backup_rpo", "AccessDenied"),
    "restore-drill": ("rds", "restore_drill_source", "AccessDenied"),
    "security-audit": ("iam", "iam_policy_admin", "AccessDenied"),
    "iam-role-setup": ("iam", "iam_role_matches", "AccessDenied"),
    "credential-rotation": ("secretsmanager", "secret_rotation_age", "AccessDeniedException"),
}


@pytest.mark.parametrize("name", sorted(DENIED_26))
def test_issue_26s_notebooks_under_denial_and_throttling_say_the_code(healthy, tmp_path, monkeypatch, name):
    from conftest import judge_in_process

    service, check, code = DENIED_26[name]
    sandbox.control("faults", [{"kind": "deny", "service": service}, {"kind": "throttle", "rate": 0.33}])
    rows = judge_in_process(name, tmp_path, monkeypatch)
    errors = {r.split()[1]: re.search(r"Could not check .+?: (\w+): ", r)[1] for r in rows if r.startswith("ERROR    ") and "Could not check" in r}
    assert errors.get(check) == code, rows
    assert all(c == code or "Throttl" in c for c in errors.values()), errors


def test_a_guarded_notebook_that_could_read_nothing_never_says_all_is_well(healthy, tmp_path):
    """log-retention with CloudWatch Logs denied planned nothing because it read nothing: its Next says so and names it
    again, instead of "Every group keeps to the policy"."""
    sandbox.control("faults", [{"kind": "deny", "service": "logs"}])
    res = opslib("run", "log-retention", "--no-progress", runs=tmp_path)
    said = res.stdout.split("next:")[1]
    assert "1 read failed (the ERROR rows name AWS's reason), so nothing was judged or planned there" in said and "opslib run log-retention" in said, res.stdout
    assert "keeps to the policy" not in said
    assert "Once access is back, run it again" in said


def test_a_name_aws_does_not_know_is_sent_back_to_its_parameter_not_to_wait_for_access(healthy, tmp_path):
    """A lock table that does not exist is no refusal: Next says to check the name where it was given, with the run's -p."""
    res = opslib("run", "terraform-state-lock", "-p", "lock_table=autostack-tf-lock", "--no-progress", runs=tmp_path)
    assert "ERROR    terraform_state_lock           autostack-tf-lock" in res.stdout and "ResourceNotFoundException" in res.stdout, res.stdout
    said = res.stdout.split("next:")[1]
    assert "AWS knows no such resource: check its name (parameters/sandbox.yaml, or the -p that named it), then run it again" in said, said
    assert "opslib run terraform-state-lock -p lock_table=autostack-tf-lock" in said and "access is back" not in said
