"""The notebooks that change things (issue "Contain, recover, change"): each applies only what was
planned, verifies it, and can be undone; plain boto3 reads the state before and after, as a
responder's terminal would. Their dry runs (red under their scenarios, nothing changed) are
tests/test_notebooks.py's."""

import json
import os
import re

import pytest

from conftest import ledger, opslib
import opslib_sandbox as sandbox


def _alias(aws) -> str:
    return aws.client("lambda", "us-west-2").get_alias(FunctionName="ec2-manager-function-prod", Name="LIVE")["FunctionVersion"]


def test_rollback_lambda_moves_the_alias_back_verifies_it_and_is_undone(healthy, aws, tmp_path):
    sandbox.control("scenario/bad-deploy")  # LIVE moved to version 5, which fails 12 % of calls
    assert _alias(aws) == "5"
    res = opslib("run", "rollback-lambda", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "CHANGED  point-alias ec2-manager-function-prod:LIVE to version 4: ec2-manager-function-prod:LIVE FunctionVersion: 5 -> 4" in res.stdout, res.stdout
    # issue 25: a rollback that worked is judged on the world after it; the error rate read before it stays as evidence
    assert res.returncode == 0 and "PASSED: The check is OK (after the change; 3 rows before it kept as evidence)." in res.stdout, res.stdout
    assert re.search(r"CRITICAL lambda_error_rate .* \[before the change\]", res.stdout) and "(verified)" in res.stdout
    assert _alias(aws) == "4"
    (applied,) = [r for r in map(json.loads, (tmp_path / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action" and r["status"] == "applied"]
    assert applied["verified"] is True and applied["undo"] == [{"verb": "point-alias", "args": {"function": "ec2-manager-function-prod", "alias": "LIVE", "version": "5"},
                                                                 "region": "us-west-2"}]
    run_id = ledger(tmp_path)[-1]["run_id"]
    undone = opslib("undo", run_id, "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0 and "FunctionVersion: 4 -> 5" in undone.stdout, undone.stdout + undone.stderr
    assert _alias(aws) == "5"  # back where the responder found it


def test_rollback_ecs_waits_for_the_previous_revision_to_be_steady_and_plans_its_undo(healthy, aws, tmp_path):
    sandbox.control("scenario/bad-deploy")  # rms-backend-prod:3 crashes: 1 of 3 running
    ecs = aws.client("ecs", "us-east-1")
    res = opslib("run", "rollback-ecs", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "CHANGED  set-task-definition rms-backend-service-prod to rms-backend-prod:2" in res.stdout, res.stdout
    svc = ecs.describe_services(cluster="rms-cluster-prod", services=["rms-backend-service-prod"])["services"][0]
    assert (svc["taskDefinition"].rsplit("/", 1)[-1], svc["runningCount"], svc["deployments"][0]["rolloutState"]) == ("rms-backend-prod:2", 3, "COMPLETED")
    assert "OK       http_endpoint_healthy          api" in res.stdout  # and its users get answers again
    assert res.returncode == 0 and "[before the change]" in res.stdout, res.stdout  # the failed deployment it read first is evidence, not the verdict
    (applied,) = [r for r in map(json.loads, (tmp_path / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action" and r["status"] == "applied"]
    assert applied["verified"] is True and applied["verify_note"].startswith("3/3 running, rollout COMPLETED")
    undo = opslib("undo", ledger(tmp_path)[-1]["run_id"], runs=tmp_path)  # planned only: it would bring the crashing release back
    assert undo.returncode == 0 and "taskDefinition: rms-backend-prod:2 -> rms-backend-prod:3" in undo.stdout, undo.stdout + undo.stderr


def test_scale_service_scales_tasks_and_database_until_stable_and_plans_both_undos(healthy, aws, tmp_path):
    res = opslib("run", "scale-service", "-p", "desired_count=5", "-p", "db_instance_class=db.r5.xlarge", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "desiredCount: 3 -> 5" in res.stdout and "DBInstanceClass: db.t3.medium -> db.r5.xlarge (DOWNTIME" in res.stdout, res.stdout
    svc = aws.client("ecs", "us-east-1").describe_services(cluster="rms-cluster-prod", services=["rms-backend-service-prod"])["services"][0]
    db = aws.client("rds", "us-east-1").describe_db_instances(DBInstanceIdentifier="rms-db-prod")["DBInstances"][0]
    assert (svc["desiredCount"], svc["runningCount"], db["DBInstanceClass"], db["DBInstanceStatus"]) == (5, 5, "db.r5.xlarge", "available")
    applied = [r for r in map(json.loads, (tmp_path / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action" and r["status"] == "applied"]
    assert [(r["action"].split()[0], r["verified"]) for r in applied] == [("scale-service", True), ("resize-database", True)]
    undo = opslib("undo", ledger(tmp_path)[-1]["run_id"], runs=tmp_path)
    assert "desiredCount: 5 -> 3" in undo.stdout and "DBInstanceClass: db.r5.xlarge -> db.t3.medium" in undo.stdout, undo.stdout + undo.stderr


def _applied(runs) -> list[dict]:
    return [r for r in map(json.loads, (runs / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action" and r["status"] == "applied"]


def test_autoscaling_policy_puts_seed_003s_target_tracking_and_its_undo_removes_it_with_its_alarms(healthy, aws, tmp_path):
    scaling, cloudwatch = aws.client("application-autoscaling", "us-east-1"), aws.client("cloudwatch", "us-east-1")
    tracking = lambda: [a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNamePrefix="TargetTracking-service/rms-cluster-prod/rms-backend-service-prod")["MetricAlarms"]]
    res = opslib("run", "autoscaling-policy", "-p", "max_capacity=12", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "MaxCapacity: 10 -> 12" in res.stdout and "TargetValue: (none) -> 70.0" in res.stdout, res.stdout
    (policy,) = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId="service/rms-cluster-prod/rms-backend-service-prod")["ScalingPolicies"]
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert (policy["PolicyName"], config["TargetValue"], config["PredefinedMetricSpecification"]["PredefinedMetricType"], config["ScaleOutCooldown"], config["ScaleInCooldown"]) == \
        ("rms-backend-scaling-policy", 70.0, "ECSServiceAverageCPUUtilization", 300, 300)
    assert scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]["MaxCapacity"] == 12
    assert len(tracking()) == 2  # AWS's own high and low alarms for the policy
    low = next(name for name in tracking() if "AlarmLow" in name)
    cloudwatch.set_alarm_state(AlarmName=low, StateValue="ALARM", StateReason="a quiet night: CPU under the target")  # as AWS leaves it
    from opslib.services.cloudwatch import alarms_in_state, all_alarms

    assert low not in [a["AlarmName"] for a in alarms_in_state(aws.at("us-east-1")) + all_alarms(aws.at("us-east-1"))]  # Auto Scaling's, paging nobody
    assert [(r["action"].split()[0], r["verified"]) for r in _applied(tmp_path)] == [("set-scalable-target", True), ("set-target-tracking", True)]
    undone = opslib("undo", ledger(tmp_path)[-1]["run_id"], "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0 and "MaxCapacity: 12 -> 10" in undone.stdout, undone.stdout + undone.stderr
    assert scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == [] and tracking() == []
    assert scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]["MaxCapacity"] == 10


def test_rollback_static_site_restores_the_release_s_objects_invalidates_them_and_is_undone(healthy, aws, tmp_path):
    sandbox.control("scenario/bad-deploy")  # web release 1.4.0: index.html loads a script that is not there
    s3, bucket = aws.client("s3"), "ec2-manager-web-prod-123456789012"
    body = lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    assert "1.4.0" in body("index.html")
    res = opslib("run", "rollback-static-site", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "CRITICAL cloudfront_error_rate" in res.stdout and "CHANGED  invalidate-paths" in res.stdout, res.stdout
    assert body("index.html") == "<html><body>EC2 Manager 1.3.0</body></html>" and body("static/app.js") == "console.log('ec2-manager 1.3.0');"
    distribution = next(d["Id"] for d in aws.client("cloudfront").list_distributions()["DistributionList"]["Items"] if d["Comment"].startswith("EC2 Manager"))
    (listed,) = aws.client("cloudfront").list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
    invalidation = aws.client("cloudfront").get_invalidation(DistributionId=distribution, Id=listed["Id"])["Invalidation"]
    assert (invalidation["Status"], sorted(invalidation["InvalidationBatch"]["Paths"]["Items"])) == ("Completed", ["/index.html", "/static/app.js"])
    applied = _applied(tmp_path)
    assert [(r["action"].split()[0], r["verified"]) for r in applied] == [("restore-object-versions", True), ("invalidate-paths", True)]
    assert applied[1]["undo"] == [] and applied[1]["undo_note"].startswith("an invalidation has no undo")
    undone = opslib("undo", ledger(tmp_path)[-1]["run_id"], "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "1.4.0" in body("index.html") and body("static/app.js") == "console.log('ec2-manager 1.4.0');"  # the release back, as the responder found it


def _docker(aws, script: str) -> str:
    """A command on the web app's host through SSM Run Command, as a responder's terminal would send it."""
    import time

    ssm, ec2 = aws.client("ssm", "us-west-2"), aws.client("ec2", "us-west-2")
    (instance,) = [i["InstanceId"] for r in ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["secure-webapp-prod"]}])["Reservations"] for i in r["Instances"]]
    command = ssm.send_command(InstanceIds=[instance], DocumentName="AWS-RunShellScript", Parameters={"commands": [script]})["Command"]["CommandId"]
    for _ in range(50):
        answer = ssm.get_command_invocation(CommandId=command, InstanceId=instance)
        if answer["Status"] not in ("Pending", "InProgress"):
            return answer["StandardOutputContent"]
        time.sleep(0.2)
    raise AssertionError("no answer from the host")


def test_rollback_container_runs_the_previous_image_through_ssm_verifies_health_and_is_undone(healthy, aws, tmp_path):
    from urllib.request import urlopen

    sandbox.control("scenario/bad-deploy")  # the host runs 1.9.0 (commit c7d41f9), whose /health answers 500
    health = lambda: json.loads(urlopen(f"{sandbox.url()}/_sandbox/sites/webapp/health").read())
    res = opslib("run", "rollback-container", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "CRITICAL http_endpoint_healthy          web app                      web app answered HTTP 500" in res.stdout, res.stdout
    assert "CHANGED  run-image webapp on secure-webapp-prod from opsteam/secure-webapp:3f9c2e1" in res.stdout, res.stdout
    (inspected,) = json.loads(_docker(aws, "docker inspect webapp"))
    assert (inspected["Config"]["Image"], inspected["State"]["Status"]) == ("opsteam/secure-webapp:3f9c2e1", "running")
    assert (health()["status"], health()["version"]) == ("healthy", "1.8.2")
    (applied,) = _applied(tmp_path)
    assert applied["verified"] is True and applied["verify_note"].endswith("/health answered 200 healthy 1.8.2")
    undone = opslib("undo", ledger(tmp_path)[-1]["run_id"], "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0 and "-> opsteam/secure-webapp:latest" in undone.stdout, undone.stdout + undone.stderr
    assert json.loads(_docker(aws, "docker inspect webapp"))[0]["Config"]["Image"] == "opsteam/secure-webapp:latest"  # 1.9.0 again, as found


def test_security_incident_isolates_the_api_signs_the_user_out_exports_the_evidence_and_undoes_the_isolation(healthy, aws, tmp_path):
    sandbox.control("scenario/security-breach")  # ci-deployer's key probing from a Tor exit, then CreateAccessKey and AttachUserPolicy
    apigw = aws.client("apigateway", "us-west-2")
    api = next(a["id"] for a in apigw.get_rest_apis()["items"] if a["name"] == "ec2-manager-api-production")
    res = opslib("run", "security-incident", "-p", "isolate_api=true", "-p", "sign_out_user=bob", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "CRITICAL cloudtrail_high_risk_calls" in res.stdout and "PutUserPolicy by arn:aws:iam::123456789012:user/ci-deployer from 185.220.101.4" in res.stdout, res.stdout
    policy = json.loads(apigw.get_rest_api(restApiId=api)["policy"].replace('\\"', '"'))
    assert policy["Statement"] == [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]
    tasks = aws.client("logs", "us-west-2").describe_export_tasks()["exportTasks"]
    assert sorted((t["logGroupName"], t["destination"]) for t in tasks) == [("/aws/ec2-manager/prod", "security-incident-logs-bucket"),
                                                                             ("CloudTrail/ec2-manager-trail-production", "security-incident-logs-bucket")]
    assert all(t["to"] - t["from"] == 24 * 3_600_000 for t in tasks)
    applied = _applied(tmp_path)
    assert [(r["action"].split()[0], r["verified"]) for r in applied] == [("set-api-policy", True), ("global-sign-out", True), ("export-logs", True), ("export-logs", True)]
    assert [r["undo_note"] for r in applied][1].startswith("a sign-out has no undo")
    evidence = json.loads(next(tmp_path.rglob("security-incident__*.ipynb")).read_text())
    assert any("AWSTemplateFormatVersion" in "".join(o.get("data", {}).get("text/plain", "")) for c in evidence["cells"] for o in c.get("outputs", []))  # the template, kept
    undone = opslib("undo", ledger(tmp_path)[-1]["run_id"], "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0 and "resource policy: deny-all (isolated) -> (none: open)" in undone.stdout, undone.stdout + undone.stderr
    assert not apigw.get_rest_api(restApiId=api).get("policy")  # open again


def test_data_corruption_restores_a_copy_copies_the_records_back_and_both_are_undone(healthy, aws, tmp_path):
    sandbox.control("scenario/corrupted-items")  # 12 records overwritten 25 minutes ago: action 'NaN', user 'undefined'
    ddb = aws.client("dynamodb", "us-west-2")
    corrupt = lambda table: sorted(i["id"]["S"] for i in ddb.scan(TableName=table)["Items"] if i["action"]["S"] == "NaN")
    assert len(corrupt("ec2-manager-audit-production")) == 12
    first = opslib("run", "data-corruption", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "CRITICAL dynamodb_corrupt_items" in first.stdout and "12 of the 12 corrupt records are intact in it" in first.stdout, first.stdout
    assert ddb.describe_table(TableName="ec2-manager-audit-recovery")["Table"]["TableStatus"] == "ACTIVE" and corrupt("ec2-manager-audit-recovery") == []
    restore_run = ledger(tmp_path)[-1]["run_id"]
    second = opslib("run", "data-corruption", "-p", "copy_back=true", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "CHANGED  copy-items 12 records from ec2-manager-audit-recovery to ec2-manager-audit-production" in second.stdout, second.stdout
    assert corrupt("ec2-manager-audit-production") == []
    assert [(r["action"].split()[0], r["verified"]) for r in _applied(tmp_path)] == [("restore-table", True), ("copy-items", True)]
    undone = opslib("undo", ledger(tmp_path)[-1]["run_id"], "--confirm", "true", runs=tmp_path)  # the records as they were: corrupt again
    assert undone.returncode == 0 and len(corrupt("ec2-manager-audit-production")) == 12, undone.stdout + undone.stderr
    undone = opslib("undo", restore_run, "--confirm", "true", runs=tmp_path)  # and the copy gone
    assert undone.returncode == 0 and "ec2-manager-audit-recovery table: ACTIVE (a restored copy) -> (none)" in undone.stdout, undone.stdout + undone.stderr
    assert "ec2-manager-audit-recovery" not in ddb.list_tables()["TableNames"]


DENIED = {  # notebook: (-p given, calls denied, the rows that must say so with the code AWS answers); a plan that cannot read its state is an ERROR row too
    "autoscaling-policy": ([], [{"kind": "deny", "service": "application-autoscaling"}],
                           {"autoscaling_target": "AccessDeniedException", "autoscaling_policies": "AccessDeniedException", "action_set_scalable_target": "AccessDeniedException",
                            "action_set_target_tracking": "AccessDeniedException"}),
    "rollback-static-site": ([], [{"kind": "deny", "service": "s3"}, {"kind": "deny", "service": "cloudfront"}],
                             {"s3_versioning": "AccessDenied", "s3_object_versions": "AccessDenied", "cloudfront_distribution": "AccessDenied"}),
    "rollback-container": ([], [{"kind": "deny", "service": "ssm"}], {"docker_images": "AccessDeniedException", "docker_container": "AccessDeniedException"}),
    "security-incident": (["-p", "isolate_api=true"], [{"kind": "deny", "service": "logs"}, {"kind": "deny", "service": "apigateway"}],
                          {"cloudtrail_high_risk_calls": "AccessDeniedException", "cognito_auth_failure_burst": "AccessDeniedException",
                           "apigateway_rest_api": "AccessDeniedException", "action_export_logs": "AccessDeniedException"}),
    "data-corruption": (["-p", "restore=true"], [{"kind": "deny", "service": "dynamodb"}],
                        {"dynamodb_corrupt_items": "AccessDeniedException", "dynamodb_recovery_window": "AccessDeniedException",
                         "action_restore_table": "AccessDeniedException", "dynamodb_recovery_copy": "AccessDeniedException"}),
    "deploy-verify": ([], [{"kind": "deny", "service": "cloudwatch"}, {"kind": "deny", "service": "cloudformation"}],
                      {"deploy_error_trigger": "AccessDeniedException", "deploy_latency_trigger": "AccessDeniedException", "cloudformation_stack_status": "AccessDenied",
                       "deployments": "AccessDenied"}),
}


@pytest.mark.parametrize("name", sorted(DENIED))
def test_change_notebooks_under_faults_complete_with_error_rows_naming_the_code(healthy, tmp_path, name):
    """As tests/test_diagnose.py's: the calls denied and a third of the rest throttled, in one run; nothing is applied."""
    given, denied, expected = DENIED[name]
    sandbox.control("faults", denied + [{"kind": "throttle", "rate": 0.33}])
    res = opslib("run", name, *given, "--no-progress", runs=tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stdout + res.stderr, res.stdout + res.stderr
    errors = {e.split()[1]: re.search(r"Could not check .+?: (\w+): ", e)[1] for e in res.stdout.splitlines() if e.startswith("ERROR    ")}
    assert {k: v for k, v in errors.items() if k in expected} == expected, errors
    assert all("Throttl" in code for k, code in errors.items() if k not in expected), errors
    assert "CHANGED" not in res.stdout


def test_a_run_killed_after_its_change_applied_still_shows_it_and_undo_offers_it(healthy, aws, tmp_path):
    """Issue 23: killed with kill -9 while the new count rolled out, the run was filed `killed` with no change and undo said
    it applied nothing. The intent is journaled before applying; the run that files the killed one closes it as `interrupted`."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = dict(os.environ, OPSLIB_RUNS_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "opslib.cli", "run", "scale-service", "-p", "desired_count=12", "-p", "confirm=true", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    ecs = aws.client("ecs", "us-east-1")
    desired = lambda: ecs.describe_services(cluster="rms-cluster-prod", services=["rms-backend-service-prod"])["services"][0]["desiredCount"]
    deadline = time.monotonic() + 120
    while desired() != 12 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # the change is live; the run is waiting for the tasks to start
    proc.communicate(timeout=30)
    assert ledger(tmp_path) == []
    history = opslib("history", runs=tmp_path)
    assert "was killed; filed as" in history.stderr
    (record,) = ledger(tmp_path)
    assert record["status"] == "killed" and re.search(rf"{record['run_id']}\s.*killed\s+\S+\s+1\s", history.stdout), history.stdout
    (closed,) = [r for r in map(json.loads, (tmp_path / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action"]
    assert closed["status"] == "interrupted" and "may have applied" in closed["message"] and closed["changes"][0]["after"] == 12
    undo = opslib("undo", record["run_id"], runs=tmp_path)
    assert undo.returncode == 0 and "desiredCount: 12 -> 3" in undo.stdout, undo.stdout + undo.stderr
    assert opslib("verify", runs=tmp_path).returncode == 0


def test_rollback_stack_through_the_seed_script_goes_back_to_the_release_before_watches_it_and_is_undone(healthy, aws, tmp_path):
    """Issue 25: high-error-rate sent responders to `./scripts/rollback.sh prod previous`, which did not exist."""
    import subprocess

    from conftest import ROOT

    sandbox.control("scenario/bad-deploy")  # the stack updated to release 1.4.0 with the rest of the release
    cf = aws.client("cloudformation", "us-west-2")
    described = lambda: cf.get_template(StackName="EC2Manager-production")["TemplateBody"]["Description"]  # noqa: E731
    assert described() == "EC2 Manager production 1.4.0"
    env = {**os.environ, "OPSLIB_RUNS_DIR": str(tmp_path)}
    script = lambda *args: subprocess.run([str(ROOT / "scripts" / "rollback.sh"), "sandbox", *args, "--no-progress"], capture_output=True, text=True, env=env, timeout=300)  # noqa: E731
    dry = script("previous")
    assert dry.returncode == 0 and "OK       cloudformation_release         EC2Manager-production        EC2Manager-production runs release 1.4.0" in dry.stdout, dry.stdout + dry.stderr
    assert "the release before it: 1.3.0" in dry.stdout and described() == "EC2 Manager production 1.4.0"  # a dry run changes nothing
    (plan,) = re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout)
    done = script("previous", "-p", f"confirm={plan}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CHANGED  update-stack EC2Manager-production to release 1.3.0" in done.stdout and "(verified)" in done.stdout
    assert "EC2Manager-production: UPDATE_COMPLETE" in (tmp_path / ledger(tmp_path)[-1]["output"]).read_text()  # watched, as seed 001's `watch -n 30 ...`
    assert described() == "EC2 Manager production 1.3.0" and cf.describe_stacks(StackName="EC2Manager-production")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert "opslib run high-error-rate" in done.stdout  # what to watch next, on the console
    undone = opslib("undo", ledger(tmp_path)[-1]["run_id"], "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0 and described() == "EC2 Manager production 1.4.0", undone.stdout + undone.stderr
    assert subprocess.run([str(ROOT / "scripts" / "rollback.sh"), "moon"], capture_output=True, text=True).returncode == 2
