"""The IAM actions each guarded action declares (what `opslib show` tells an administrator to grant)
cover every call it makes: each is planned, applied and verified once against the sandbox, in
process, with every AWS request it sends recorded as IAM would name it (botocore's before-call
event). A call it makes and does not declare fails here, as it would fail on AWS under a role
granted only what it declares. The incident records and notices are left to tests/test_incidents.py
(they need a run around them)."""

import pytest

from opslib import actions
import opslib_sandbox as sandbox
from opslib.actions.audit import CopyItems, DeleteRestoredTable, PutItems, RestoreTable
from opslib.actions.autoscaling import SetScalableTarget, SetTargetTracking
from opslib.actions.cloudformation import UpdateStack
from opslib.actions import awslambda
from opslib.actions.ecs import ScaleService, SetTaskDefinition
from opslib.actions.hosts import RebootInstance, RestartContainer, RunImage, SetInstanceState
from opslib.actions.logs import ExportLogs, SetLogRetention
from opslib.actions.rds import ResizeDatabase
from opslib.actions.security import DENY_ALL, GlobalSignOut, SetApiPolicy
from opslib.actions.iam_roles import SetupRole
from opslib.actions.restore_drill import DatabaseDrill, TableDrill
from opslib.actions.credentials import RestoreSecretVersion, RotateSecret
from opslib.actions.terraform import ReleaseLock, RestoreStateVersion, TakeLock
from opslib.actions.static_site import InvalidatePaths, RestoreVersions
from opslib.aws import Aws, AwsSettings
from opslib_sandbox.seeds import ec2manager
from opslib_sandbox.world import AUTOSTACK, EC2M, RMS, WEBAPP

EAST, WEST = RMS["region"], EC2M["region"]
SERVICE = f"service/{RMS['cluster']}/{RMS['service']}"
IAM_PREFIX = {"monitoring": "cloudwatch"}  # signing name -> IAM service prefix where they differ
IAM_NAME = {"s3:ListObjectVersions": "s3:ListBucketVersions", "lambda:Invoke": "lambda:InvokeFunction"}  # where IAM names a call otherwise


def iam_actions(model, params: dict) -> set[str]:
    """The IAM actions a request needs, as AWS's service authorization reference names them for the calls opslib makes."""
    signing = model.service_model.signing_name
    if signing == "apigateway":  # API Gateway authorizes by HTTP method on the resource
        return {f"apigateway:{model.http['method']}"}
    if signing == "s3" and model.name == "CopyObject":  # reads the source (a version of it, when named) and writes the copy
        source = (params.get("headers") or {}).get("x-amz-copy-source", "")
        return {"s3:PutObject", "s3:GetObjectVersion" if "versionId=" in source else "s3:GetObject"}
    name = f"{IAM_PREFIX.get(signing, signing)}:{model.name}"
    return {IAM_NAME.get(name, name)}


def _setup(url: str, region: str) -> Aws:
    return Aws(AwsSettings(endpoint_url=url, region=region))


def _instance_id(aws) -> str:
    found = aws.client("ec2", WEBAPP["region"]).describe_instances(Filters=[{"Name": "tag:Name", "Values": [WEBAPP["instance_name"]]}])
    return found["Reservations"][0]["Instances"][0]["InstanceId"]


def _older_revision(aws) -> str:
    ecs = aws.client("ecs", EAST)
    now = ecs.describe_services(cluster=RMS["cluster"], services=[RMS["service"]])["services"][0]["taskDefinition"]
    return next(a.rsplit("/", 1)[-1] for a in ecs.list_task_definitions()["taskDefinitionArns"] if a != now)


def _previous_version(aws, key: str) -> str:
    return aws.client("s3").list_object_versions(Bucket=EC2M["web_bucket"], Prefix=key)["Versions"][1]["VersionId"]


TF_LOCK = f"{AUTOSTACK['state_bucket']}/{AUTOSTACK['state_key']}"


def _first_state(aws) -> str:
    found = aws.client("s3").list_object_versions(Bucket=AUTOSTACK["state_bucket"], Prefix=AUTOSTACK["state_key"])["Versions"]
    return min(found, key=lambda v: v["LastModified"])["VersionId"]


def _secret_version(aws) -> str:
    """The version AWSCURRENT was on before the rotation the case starts from."""
    stages = aws.client("secretsmanager").describe_secret(SecretId="autostack/production/jwt")["VersionIdsToStages"]
    return next(v for v, s in stages.items() if "AWSPREVIOUS" in s)


def _distribution(aws) -> str:
    return next(d["Id"] for d in aws.client("cloudfront").list_distributions()["DistributionList"]["Items"] if d["Comment"].startswith("EC2 Manager"))


def _corrupt_keys(aws) -> list[dict]:
    items = aws.client("dynamodb", WEST).scan(TableName=EC2M["table"])["Items"]
    return [{"id": i["id"]["S"], "timestamp": i["timestamp"]["S"]} for i in items if i["action"]["S"] == "NaN"][:3]


def _recovered(aws) -> list[dict]:
    """The corrupt records as the recovery copy holds them."""
    keys = {(k["id"], k["timestamp"]) for k in _corrupt_keys(aws)}
    items = aws.client("dynamodb", WEST).scan(TableName="permissions-recovery")["Items"]
    return [{k: v["S"] for k, v in i.items()} for i in items if (i["id"]["S"], i["timestamp"]["S"]) in keys]


# verb: (scenario to start from, region, the action made from the sandbox's ids, actions applied first to reach its state)
CASES = {
    "set-log-retention": (None, EAST, lambda a: SetLogRetention([RMS["log_group"]], 7), []),
    "export-logs": (None, EAST, lambda a: ExportLogs(RMS["log_group"], f"rms-log-exports-{EC2M['web_bucket'].rsplit('-', 1)[-1]}", "permissions", 60), []),
    "test-invoke": (None, WEST, lambda a: awslambda.TestInvoke(EC2M["function"], "LIVE", {"test": "data"}), []),
    "update-stack": (None, WEST, lambda a: UpdateStack(EC2M["stack"], ec2manager.release_template("1.2.0"), {"Environment": "production"}, "1.2.0"), []),
    "release-lock": ("stale-terraform-lock", EAST, lambda a: ReleaseLock(AUTOSTACK["lock_table"], TF_LOCK, 120), []),
    "take-lock": (None, EAST, lambda a: TakeLock(AUTOSTACK["lock_table"], TF_LOCK, '{"ID": "x", "Who": "permissions", "Created": "2026-01-01T00:00:00Z"}'), []),
    "restore-state": (None, EAST, lambda a: RestoreStateVersion(AUTOSTACK["lock_table"], AUTOSTACK["state_bucket"], AUTOSTACK["state_key"], _first_state(a)), []),
    "restore-drill-db": (None, EAST, lambda a: DatabaseDrill("incident-response-prod", "permissions-restore-test", "db.t3.micro",
                                                             "incident-response/production/database", 60, 5, "permissions"), []),
    "restore-drill-table": (None, WEST, lambda a: TableDrill(EC2M["table"], "permissions-restore-test", 60, 5, "permissions"), []),
    "setup-role": (None, EAST, lambda a: SetupRole("PermissionsRole", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}, "p", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}), []),
    "rotate-secret": (None, EAST, lambda a: RotateSecret("autostack/production/jwt", ["JWT_SECRET"]), []),
    "restore-secret-version": (None, EAST, lambda a: RestoreSecretVersion("autostack/production/jwt", _secret_version(a)),
                               [lambda a: RotateSecret("autostack/production/jwt", ["JWT_SECRET"])]),
    "delete-versions": (None, WEST, lambda a: awslambda.DeleteVersions(EC2M["function"], ["1"]), []),
    "point-alias": (None, WEST, lambda a: awslambda.PointAlias(EC2M["function"], "LIVE", "3"), []),
    "set-task-definition": (None, EAST, lambda a: SetTaskDefinition(RMS["cluster"], RMS["service"], _older_revision(a)), []),
    "scale-service": (None, EAST, lambda a: ScaleService(RMS["cluster"], RMS["service"], 4), []),
    "resize-database": (None, EAST, lambda a: ResizeDatabase(RMS["db"], "db.t3.large"), []),
    "set-scalable-target": (None, EAST, lambda a: SetScalableTarget(SERVICE, 2, 12), []),
    "set-target-tracking": (None, EAST, lambda a: SetTargetTracking(SERVICE, "rms-backend-scaling-policy", 70.0), []),
    "restore-object-versions": (None, WEST, lambda a: RestoreVersions(EC2M["web_bucket"], {"index.html": _previous_version(a, "index.html")}), []),
    "invalidate-paths": (None, WEST, lambda a: InvalidatePaths(_distribution(a), ["/index.html"]), []),
    "run-image": (None, WEST, lambda a: RunImage(_instance_id(a), WEBAPP["instance_name"], "webapp", "opsteam/secure-webapp:a41b7d0"), []),
    "restart-container": ("service-down", WEST, lambda a: RestartContainer(_instance_id(a), WEBAPP["instance_name"], "webapp"), []),
    "reboot-instance": ("service-down", WEST, lambda a: RebootInstance(_instance_id(a), WEBAPP["instance_name"]), []),
    "set-instance-state": (None, WEST, lambda a: SetInstanceState(_instance_id(a), WEBAPP["instance_name"], "running"),
                           [lambda a: SetInstanceState(_instance_id(a), WEBAPP["instance_name"], "stopped")]),
    "set-api-policy": (None, WEST, lambda a: SetApiPolicy(a.client("apigateway", WEST).get_rest_apis()["items"][0]["id"], DENY_ALL), []),
    "global-sign-out": (None, WEST, lambda a: GlobalSignOut(a.client("cognito-idp", WEST).list_user_pools(MaxResults=10)["UserPools"][0]["Id"], "bob"), []),
    "restore-table": ("corrupted-items", WEST, lambda a: RestoreTable(EC2M["table"], "permissions-recovery", 60), []),
    "copy-items": ("corrupted-items", WEST, lambda a: CopyItems("permissions-recovery", EC2M["table"], _corrupt_keys(a)),
                   [lambda a: RestoreTable(EC2M["table"], "permissions-recovery", 60)]),
    "put-items": ("corrupted-items", WEST, lambda a: PutItems(EC2M["table"], _recovered(a)), [lambda a: RestoreTable(EC2M["table"], "permissions-recovery", 60)]),
    "delete-restored-table": ("corrupted-items", WEST, lambda a: DeleteRestoredTable("permissions-recovery"),
                              [lambda a: RestoreTable(EC2M["table"], "permissions-recovery", 60)]),
}


def test_every_registered_action_is_exercised_here_or_said_where():
    elsewhere = {"declare-incident", "update-incident"}  # a run around them: tests/test_incidents.py
    registered = set(actions.load_all())
    assert elsewhere <= registered and set(CASES) <= registered and registered - elsewhere == set(CASES)


@pytest.mark.parametrize("verb", sorted(CASES))
def test_an_action_makes_only_the_calls_it_declares(healthy, monkeypatch, verb):
    for k, v in sandbox.FAKE_CREDENTIALS.items():
        monkeypatch.setenv(k, v)
    scenario, region, make, first = CASES[verb]
    if scenario:
        sandbox.control(f"scenario/{scenario}")
    setup = _setup(healthy, region)
    silent = actions.Guard(setup, lambda kind, **fields: None)
    for step in first:  # the state this action acts on
        assert actions.execute(step(setup), silent, confirm=True).status == "applied"
    action = make(setup)
    aws, calls = _setup(healthy, region), []
    aws.session().events.register("before-call", lambda model, params, **kw: calls.append((model, params)))
    outcome = actions.execute(action, actions.Guard(aws, lambda kind, **fields: None), confirm=True)
    assert (outcome.status, outcome.verified) == ("applied", True), outcome
    made = set().union(*(iam_actions(model, params) for model, params in calls))
    assert made - set(action.permissions) == set(), f"{verb} calls {sorted(made - set(action.permissions))} without declaring them"
