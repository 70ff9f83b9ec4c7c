"""Every notebook in the catalog, executed for real against the sandbox.

Pairings come from the scenarios themselves (each names the notebooks that must catch it), so
a notebook that claims a scenario, or a scenario that claims a notebook, is held to it here.
"""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest

from conftest import declare, judge_in_process, ledger, opslib
from opslib import catalog, incidents
import opslib_sandbox as sandbox
from opslib_sandbox import scenarios, snapshot

NOTEBOOKS = {nb.name: nb for nb in catalog.all_notebooks()}
PAIRS = sorted((nb, sc.name) for sc in scenarios.REGISTRY.values() for nb in sc.caught_by if nb in NOTEBOOKS)


def test_first_cell_lists_exactly_the_scenarios_that_name_the_notebook():
    for name, nb in NOTEBOOKS.items():
        claimed = set(re.findall(r"`([a-z-]+)`", nb.fields.get("catches", "")))
        expected = {sc for n, sc in PAIRS if n == name}
        assert claimed == expected, f"{name}: first cell says {sorted(claimed)}, scenarios say {sorted(expected)}"


# What the run must say under the scenario (its finding, in the words a responder reads), where one
# execution shows more than "something is red".
FINDINGS = {
    ("high-latency", "high-latency"): [
        "on average over 1 call: SELECT i.id, i.title, (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id) AS alerts FROM incidents i",
        "EXPLAIN ANALYZE it", "CRITICAL elasticache_hit_rate", "of reads hit over the last 5 minutes (CloudWatch CacheHits, CacheMisses)",
        "CRITICAL rds_cpu_recent", "CRITICAL alb_latency_p95_recent", "OK       apigateway_latency_p95_recent",
        "CRITICAL latency_after_change           rds-class:rms-db-prod", "after database class -> db.t3.micro (ModifyDBInstance by"],
    ("database-connection", "db-connections-exhausted"): ["remaining connection slots are reserved"],
    ("deployment-status", "failed-deployment"): ["CRITICAL ecs_deployment_state           rms-backend-service-prod     Deployment of rms-backend-prod:3 is FAILED",
                                                 "rms-backend-prod:2 still serves 3 of 3."],
    ("deployment-status", "bad-deploy"): ["CRITICAL ecs_deployment_state", "CRITICAL http_endpoint_healthy          web app", "version 1.9.0",
                                          "OK       cloudformation_release         EC2Manager-production        EC2Manager-production runs release 1.4.0"],
    ("auth-failures", "auth-failure-burst"): [
        "CRITICAL cognito_auth_failure_burst", "1 address failed 10+ sign-ins within 5 minutes: 203.0.113.66 (25); users tried from 203.0.113.66: admin,"],
    ("rate-limiting", "rate-limit-attack"): ["CRITICAL ratelimit_offenders", "1 address took 100% of", "203.0.113.77 ("],
    ("deployment-failed", "failed-deployment"): [
        "Deployment of rms-backend-prod:3 is FAILED (0 of 3 running, 3 failed to start): ECS deployment circuit breaker: tasks failed to start; "
        "rms-backend-prod:2 still serves 3 of 3.", "exit code 1; its log ends: KeyError: 'DATABASE_URL'."],
    ("rollback-lambda", "bad-deploy"): ["CRITICAL lambda_error_rate", "PLANNED  point-alias ec2-manager-function-prod:LIVE to version 4: "
                                        "ec2-manager-function-prod:LIVE FunctionVersion: 5 -> 4  [PLAN-"],
    ("rollback-ecs", "bad-deploy"): ["CRITICAL ecs_deployment_state", "PLANNED  set-task-definition rms-backend-service-prod to rms-backend-prod:2: "
                                     "rms-cluster-prod/rms-backend-service-prod taskDefinition: rms-backend-prod:3 -> rms-backend-prod:2  [PLAN-"],
    ("deploy-verify", "bad-deploy"): ["CRITICAL deploy_error_trigger           API Gateway (EC2 Manager)",
                                      "CloudFront (EC2 Manager site): the share of failed requests over 10% for all of the last 10 minutes: a rollback trigger"],
    ("rollback-container", "bad-deploy"): ["web app answered HTTP 500", "version 1.9.0", "PLANNED  run-image webapp on secure-webapp-prod from opsteam/secure-webapp:3f9c2e1: "
                                           "secure-webapp-prod:webapp image: opsteam/secure-webapp:latest ("],
    ("security-incident", "security-breach"): ["CRITICAL cloudtrail_denied_calls        arn:aws:iam::123456789012:user/ci-deployer 31 calls",
                                               "CreateAccessKey by arn:aws:iam::123456789012:user/ci-deployer from 185.220.101.4", "PLANNED  export-logs"],
    ("data-corruption", "corrupted-items"): ["CRITICAL dynamodb_corrupt_items         ec2-manager-audit-production 12 records of 50",
                                             "PLANNED  restore-table ec2-manager-audit-production to ec2-manager-audit-recovery (as it was 1 h before it is applied)"],
    ("rollback-static-site", "bad-deploy"): ["CRITICAL cloudfront_error_rate", "/index.html current version: ", " -> invalidated: /index.html /static/app.js  [PLAN-"],
    ("alarm-review", "bad-deploy"): ["CRITICAL cloudwatch_alarm_firing        ec2-manager-api-5xx-high     ec2-manager-api-5xx-high (API Gateway) in ALARM since"],
    ("app-health", "service-down"): [
        "CRITICAL http_endpoint_healthy          web app ", "reports status 'unhealthy'", "(container webapp exited (137))",
        "CRITICAL ec2_instance_status            secure-webapp-prod", "instance status impaired, system status ok; failed: reachability",
        "CRITICAL docker_container_running       webapp", "Exit 137 is SIGKILL, most often the out-of-memory killer", "Worker was sent SIGKILL! Perhaps out of memory?",
        "next:     opslib run service-down"],
    ("service-down", "service-down"): [
        "CRITICAL http_endpoint_healthy          web app ", "CRITICAL ec2_instance_status            secure-webapp-prod",
        "CRITICAL docker_container_running       webapp", "Exit 137 is SIGKILL"],
    ("cost-review", "cost-spike"): [
        "WARN     ce_cost_yesterday", "CRITICAL ce_service_cost_jump           Amazon Elastic Compute Cloud - Compute",
        "WARN     ec2_volumes_unattached         EBS volumes                  3 unattached EBS volumes", "rms-db-prod-manual-migration-test"],
    ("dynamodb-throttling", "dynamodb-throttling"): [
        "CRITICAL dynamodb_capacity_used         ec2-manager-audit-production writes", "of 1 provisioned write units a second",
        "CRITICAL dynamodb_throttled_requests    ec2-manager-audit-production", "partition key i-0a1b2c3d4e5f60718 holds 60 of the", "a hot partition"],
    ("high-error-rate", "bad-deploy"): [
        "CRITICAL errors_rate                    API Gateway (EC2 Manager)", "CRITICAL errors_after_deploy", "after stack update (User Initiated)"],
    ("high-error-rate", "error-spike"): [
        "CRITICAL errors_rate                    ALB (RMS API)", "ALB (RMS API) errors rose at", "with no deployment before them in the last 6 h"],
    ("high-error-rate", "lambda-errors"): [
        "CRITICAL errors_rate                    Lambda (EC2 Manager)", "Lambda (EC2 Manager) errors rose at"],
    ("log-search", "error-spike"): ["CRITICAL logs_pattern_matches           /aws/ecs/rms-backend-prod", "lines matching 'ERROR' in /aws/ecs/rms-backend-prod over the last 60 minutes"],
    ("performance-review", "dynamodb-throttling"): ["CRITICAL dynamodb_throttling_recent     ec2-manager-audit-production"],
    ("performance-review", "high-latency"): [
        "CRITICAL alb_latency_p95_recent", "OK       apigateway_latency_p95_recent  ec2-manager-api-production", "CRITICAL rds_connections_recent         rms-db-prod"],
    ("performance-review", "lambda-errors"): ["WARN     lambda_duration_recent         ec2-manager-function-prod"],
    ("security-incident", "auth-failure-burst"): [
        "CRITICAL cognito_auth_failure_burst     ec2-manager-users-production 1 address failed 10+ sign-ins within 5 minutes: 203.0.113.66 (25)"],
    ("certificate-expiry", "cert-expiring"): [
        "CRITICAL acm_certificate_expiry         api.rms.example.com (us-east-1)", "(4 d 23 h left); served by load balancer rms-alb-prod. ACM does not renew imported certificates",
        "CRITICAL tls_certificate_presented      api.rms.example.com", "OK       acm_certificate_expiry         rms.example.com (us-east-1)"],
    ("backup-verification", "backups-missing"): [
        "CRITICAL dynamodb_backup_rpo            ec2-manager-audit-production ec2-manager-audit-production: point-in-time recovery is OFF (turned off ",
        "UpdateContinuousBackups); 2 on-demand backups, the newest ec2-manager-audit-nightly taken", "against an RPO of 15 minutes",
        "CRITICAL rds_backup_rpo                 rms-db-prod                  rms-db-prod: automated backups are OFF (backup retention 0) (turned off ",
        "the newest manual snapshot rms-db-prod-manual-pre-release-2-14 is 10 d old", "--backup-retention-period 7 --apply-immediately --region us-east-1",
        "OK       rds_backup_rpo                 incident-response-prod", "CRITICAL backup_dumps_nightly", ": the nightly dump job has not written since."],
    ("security-audit", "security-breach"): [
        "CRITICAL iam_policy_escalation          deploy                       deploy (inline) allows IAM writes on any user or role (such as iam:PutUserPolicy on \"*\"), "
        "held by user ci-deployer", "CRITICAL iam_policy_admin               break-glass                  break-glass (inline) allows every action, held by user ci-deployer",
        "WARN     iam_user_keys                  ci-deployer                  ci-deployer has 2 active keys", "next:     Something here may be someone at work"],
    ("credential-rotation", "credential-overdue"): [
        "CRITICAL secret_rotation_age            autostack/production/google-oauth autostack/production/google-oauth last changed ", "(120 days ago), to be "
        "rotated every 90 days: 30 days overdue. Rotate it in the provider's console (https://console.cloud.google.com/apis/credentials)",
        "then restart what reads it (AutoStack backend: docker-compose restart backend, then curl http://localhost:8000/auth/google)",
        "OK       secret_rotation_age            autostack/production/jwt"],
    ("terraform-state-lock", "stale-terraform-lock"): [
        "CRITICAL terraform_state_lock", "held 1 d 2 h by jenkins@ci-runner-7 (OperationTypeApply, Terraform 1.6.6, lock ID 0c7b3e55-1d0a-4f4b-8a1e-5e2f3c9d7a10)",
        "the run that took it has stopped", "PLANNED  release-lock autostack-tfstate/autostack/terraform.tfstate in autostack-tf-locks"],
    ("lambda-errors", "lambda-errors"): [
        "CRITICAL lambda_log_errors", "CRITICAL lambda_error_rate", "CRITICAL lambda_memory_used", "WARN     lambda_timeout_headroom",
        "WARN     lambda_duration_recent", "PLANNED  test-invoke ec2-manager-function-prod:LIVE"],
}


# alarm-review's claims beyond its end-to-end run, judged in process by the notebook's own code against the
# sandbox: the alarms each scenario's fault sets off, as CloudWatch evaluates them.
ALARMS_FIRED = {"service-down": ["rms-alb-5xx-high"], "error-spike": ["rms-api-5xx-high"], "high-latency": ["rms-api-latency-high", "rms-db-connections-high"],
                "dynamodb-throttling": ["ec2-manager-dynamodb-throttling"], "lambda-errors": ["ec2-manager-api-5xx-high", "ec2-manager-api-latency-high", "ec2-manager-lambda-duration-high", "ec2-manager-lambda-errors"]}

# One end-to-end run per notebook (papermill, a kernel, evidence filed); its other scenarios judged in process
# (tests/conftest.py judge_in_process), where the kernel adds nothing.
END_TO_END = {"alarm-review": "bad-deploy", "security-incident": "security-breach"}  # the runs that also plan a change or read more
for _nb, _sc in PAIRS:
    if _nb != "daily-health-check":  # tests/test_seed_parity.py runs it under each of its scenarios, against the seed's own script
        END_TO_END.setdefault(_nb, _sc)
IN_PROCESS = {p for p in PAIRS if p[0] != "daily-health-check" and END_TO_END[p[0]] != p[1]}


def test_every_pair_is_held_to_its_finding():
    judged = {p for p in PAIRS if p[0] != "daily-health-check"}  # daily-health-check: tests/test_seed_parity.py, row by row
    assert {p for p in judged if not FINDINGS.get(p) and p[0] != "alarm-review"} == set()
    assert {("alarm-review", sc) for sc in ALARMS_FIRED} <= IN_PROCESS and all(p[0] == "alarm-review" or FINDINGS.get(p) for p in IN_PROCESS)


@pytest.mark.parametrize("name, scenario", sorted(p for p in IN_PROCESS if p[0] != "alarm-review"))
def test_notebook_judged_in_process_finds_what_each_scenario_does(healthy, tmp_path, monkeypatch, name, scenario):
    sandbox.control(f"scenario/{scenario}")
    rows = judge_in_process(name, tmp_path, monkeypatch)
    said = "\n".join(rows)
    missing = [text for text in FINDINGS[(name, scenario)] if text not in said]
    assert not missing, said


@pytest.mark.parametrize("scenario", sorted(ALARMS_FIRED))
def test_alarm_review_names_each_alarm_its_scenarios_set_off(healthy, aws, scenario):
    from opslib.checks import CRITICAL
    from opslib.checks import cloudwatch as alarm_checks
    from opslib.services import cloudwatch

    regions = NOTEBOOKS["alarm-review"].spec()["regions"].default
    assert {r.resource for r in alarm_checks.alarms_firing(cloudwatch.all_alarms(aws, "", regions), "all alarms")} == {"all alarms"}  # healthy: one OK row
    sandbox.control(f"scenario/{scenario}")
    rows = alarm_checks.alarms_firing(cloudwatch.all_alarms(aws, "", regions), "all alarms")
    assert sorted(r.resource for r in rows if r.status == CRITICAL) == ALARMS_FIRED[scenario], rows
    assert all("in ALARM since" in r.sentence and "Threshold Crossed" in r.sentence for r in rows)


@pytest.mark.parametrize("name, scenario", sorted(END_TO_END.items()))  # daily-health-check: tests/test_seed_parity.py
def test_notebook_goes_red_on_the_scenarios_it_catches(healthy, aws, tmp_path, name, scenario):
    sandbox.control(f"scenario/{scenario}")
    res = opslib("run", name, "--env", "sandbox", "--fail-on", "warn", "--no-progress", runs=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    (record,) = ledger(tmp_path)
    assert record["checks"]["WARN"] + record["checks"]["CRITICAL"] + record["checks"]["ERROR"] >= 1
    missing = [text for text in FINDINGS.get((name, scenario), []) if text not in res.stdout]
    assert not missing, res.stdout
    secret = aws.client("secretsmanager", "us-east-1").get_secret_value(SecretId="incident-response/production/database")["SecretString"]
    password = json.loads(secret)["password"]  # the notebooks that connect read it; none may show it
    leaked = [p.name for p in tmp_path.rglob("*") if p.is_file() and password in p.read_text(errors="replace")]
    assert leaked == [] and password not in res.stdout + res.stderr


GROUPS = [sorted(NOTEBOOKS)[i : i + 6] for i in range(0, len(NOTEBOOKS), 6)]  # one nbval session each, in parallel


@pytest.mark.parametrize("names", GROUPS, ids=lambda names: f"{names[0]}..{names[-1]}")
def test_each_notebook_by_hand_with_its_defaults_is_green_and_changes_nothing(healthy, tmp_path, names):
    """nbval (--nbval-lax) runs each notebook as a responder does in JupyterLab: no runner, no
    parameters injected, every cell in order. Each session's verdict (journaled by its summary
    cell) must be all OK, and the sandbox must be exactly as it was. The runner's own path with
    defaults is the same code under papermill (tests/test_run.py, the red runs below)."""
    # By hand an incident notebook takes the latest incident it may work on: incident-update the open
    # one, postmortem the latest (resolved, so it has its duration); incident-declare's service has none open.
    declare(tmp_path, "RMS Production", at=incidents.now() - timedelta(minutes=10))
    declare(tmp_path, "Secure Web Application", resolved=True)
    env = dict(os.environ, OPSLIB_RUNS_DIR=str(tmp_path))
    env.pop("OPSLIB_RUN_ID", None)
    before = snapshot.take(sandbox.url())
    pytest_cli = "import sys, opslib, pytest; opslib.keep_out_iri_grammar(); sys.exit(pytest.main(sys.argv[1:]))"  # nbval's jsonschema: 2 s of CPU otherwise
    res = subprocess.run([sys.executable, "-c", pytest_cli, "-q", "-o", "addopts=", "-p", "no:cacheprovider", "--nbval-lax",
                          *[str(NOTEBOOKS[n].path) for n in names], "--rootdir", str(tmp_path)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0 and "failed" not in res.stdout, res.stdout[-3000:]
    journal = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    verdicts = {r["notebook"].split("/")[-1]: r["verdict"] for r in journal if r["kind"] == "summary"}
    assert set(verdicts) == set(names), verdicts
    checked = {r["notebook"].split("/")[-1]: sum(r["counts"].values()) for r in journal if r["kind"] == "summary"}
    assert {n: c for n, c in checked.items() if c < 1} == {}  # green means something was checked, not nothing
    assert {n: v for n, v in verdicts.items() if not v.endswith(("checks OK.", "The check is OK."))} == {}
    assert snapshot.take(sandbox.url()) == before, f"one of {names} changed the sandbox when run with its defaults"


def test_log_search_exports_only_through_the_guard(healthy, aws, tmp_path):
    tasks = lambda: aws.client("logs", "us-east-1").describe_export_tasks().get("exportTasks", [])
    res = opslib("run", "log-search", "-p", "export=true", "--no-progress", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert tasks() == []
    res = opslib("run", "log-search", "-p", "export=true", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    (task,) = tasks()
    assert task["logGroupName"] == "/aws/ecs/rms-backend-prod" and task["destination"] == "rms-log-exports-123456789012"
    actions = [r for r in (json.loads(l) for l in (tmp_path / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action"]
    assert [a["status"] for a in actions] == ["planned", "applied"]
