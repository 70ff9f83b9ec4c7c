"""Time in the sandbox: an ECS deployment rolls step by step, its tasks listed as they run, and
one whose image cannot be pulled never reaches steady state (the circuit breaker fails it); an
RDS instance passes through modifying and rebooting, an EC2 reboot through initializing checks."""

import time

import pytest

from conftest import eventually
from opslib_sandbox import rollouts
from opslib_sandbox.world import AUTOSTACK, EC2M, RMS

@pytest.fixture
def ecs(healthy, aws):
    return aws.client("ecs", RMS["region"])


def _service(ecs):
    return ecs.describe_services(cluster=RMS["cluster"], services=[RMS["service"]])["services"][0]


def _tasks(ecs):
    return ecs.list_tasks(cluster=RMS["cluster"], serviceName=RMS["service"])["taskArns"]


def _new_revision(ecs, tag):
    base = ecs.describe_task_definition(taskDefinition="rms-backend-prod:2")["taskDefinition"]
    container = dict(base["containerDefinitions"][0], image=base["containerDefinitions"][0]["image"].replace("2.14.0", tag))
    return ecs.register_task_definition(family="rms-backend-prod", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512",
                                        memory="1024", containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]


def test_a_steady_service_lists_its_tasks(ecs):
    """Measured before: list-tasks was empty for a service running 3 tasks."""
    svc = _service(ecs)
    assert (svc["runningCount"], svc["desiredCount"], svc["deployments"][0]["rolloutState"]) == (3, 3, "COMPLETED")
    arns = _tasks(ecs)
    assert len(arns) == 3
    described = ecs.describe_tasks(cluster=RMS["cluster"], tasks=arns)["tasks"]
    assert {t["lastStatus"] for t in described} == {"RUNNING"} and {t["group"] for t in described} == {f"service:{RMS['service']}"}


def test_a_deployment_rolls_step_by_step(ecs):
    new = _new_revision(ecs, "2.15.0")
    began = time.monotonic()
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], taskDefinition=new)

    def state():
        svc = _service(ecs)
        primary = svc["deployments"][0]
        return primary["rolloutState"], primary["runningCount"], svc["runningCount"], len(svc["deployments"])

    seen = eventually(state, lambda s: s[0] == "COMPLETED", every=rollouts.pace() / 3)
    took = time.monotonic() - began
    assert seen[0][0] == "IN_PROGRESS" and seen[0][1] < 3 and seen[0][3] == 2, seen  # not instant: the old deployment still serves
    assert seen[-1] == ("COMPLETED", 3, 3, 1), seen
    assert [s[1] for s in seen] == sorted(s[1] for s in seen)  # new tasks only ever come up
    assert all(s[2] >= 3 for s in seen)  # running never drops below desired while old tasks are replaced
    assert took >= 2 * rollouts.pace()
    described = ecs.describe_tasks(cluster=RMS["cluster"], tasks=_tasks(ecs))["tasks"]
    assert len(described) == 3 and {t["taskDefinitionArn"] for t in described} == {new}


def test_an_image_that_cannot_be_pulled_never_reaches_steady_state(ecs):
    missing = _new_revision(ecs, "9.9.9")
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], taskDefinition=missing)
    began = time.monotonic()
    seen = eventually(lambda: _service(ecs)["deployments"][0], lambda d: d["rolloutState"] != "IN_PROGRESS", every=rollouts.pace() / 3)
    assert {d["runningCount"] for d in seen} == {0}  # not one task of it ever ran
    svc = _service(ecs)
    assert svc["deployments"][0]["rolloutState"] == "FAILED" and svc["deployments"][0]["failedTasks"] >= 3
    assert "CannotPullContainerError" in svc["deployments"][0]["rolloutStateReason"]
    assert svc["runningCount"] == 3 and len(_tasks(ecs)) == 3  # the previous deployment keeps serving
    assert time.monotonic() - began >= 2 * rollouts.pace()


def test_scaling_moves_a_task_a_step(ecs):
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], desiredCount=5)
    seen = eventually(lambda: _service(ecs)["runningCount"], lambda n: n == 5, every=rollouts.pace() / 3)
    assert seen[0] in (3, 4) and seen == sorted(seen) and seen[-1] == 5  # a task a step, not all at once
    assert len(_tasks(ecs)) == 5


def test_rds_passes_through_modifying_and_rebooting(healthy, aws):
    rds = aws.client("rds", RMS["region"])
    status = lambda: rds.describe_db_instances(DBInstanceIdentifier=RMS["db"])["DBInstances"][0]["DBInstanceStatus"]  # noqa: E731
    rds.modify_db_instance(DBInstanceIdentifier=RMS["db"], BackupRetentionPeriod=14, ApplyImmediately=True)
    seen = eventually(status, lambda s: s == "available")
    assert seen[0] == "modifying" and seen[-1] == "available" and seen.count("modifying") >= 2, seen
    rds.reboot_db_instance(DBInstanceIdentifier=RMS["db"])
    seen = eventually(status, lambda s: s == "available")
    assert seen[0] == "rebooting" and seen[-1] == "available", seen


def test_restores_pass_through_creating(healthy, aws):
    """Seed 003's restore drill and seed 001's data-corruption recovery wait on these."""
    rds = aws.client("rds", RMS["region"])
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="rms-db-restore-test", DBSnapshotIdentifier="rms-db-prod-manual-pre-release-2-14",
                                             DBInstanceClass="db.t3.medium")
    status = lambda: rds.describe_db_instances(DBInstanceIdentifier="rms-db-restore-test")["DBInstances"][0]["DBInstanceStatus"]  # noqa: E731
    seen = eventually(status, lambda s: s == "available")
    assert seen[0] == "creating" and seen[-1] == "available" and seen.count("creating") >= 2, seen

    ddb = aws.client("dynamodb", EC2M["region"])
    ddb.restore_table_to_point_in_time(SourceTableName=EC2M["table"], TargetTableName="ec2-manager-audit-recovery", UseLatestRestorableTime=True)
    table = lambda: ddb.describe_table(TableName="ec2-manager-audit-recovery")["Table"]["TableStatus"]  # noqa: E731
    seen = eventually(table, lambda s: s == "ACTIVE")
    assert seen[0] == "CREATING" and seen[-1] == "ACTIVE", seen
    window = ddb.describe_continuous_backups(TableName=EC2M["table"])["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert (window["LatestRestorableDateTime"] - window["EarliestRestorableDateTime"]).days >= 34  # a window that spans days, as on AWS


def test_an_ec2_reboot_starts_its_status_checks_over(healthy, aws):
    from opslib_sandbox.world import WEBAPP

    ec2 = aws.client("ec2")
    (instance,) = [i["InstanceId"] for r in ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [WEBAPP["instance_name"]]},
                                                                           {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]
                   for i in r["Instances"]]
    checks = lambda: ec2.describe_instance_status(InstanceIds=[instance])["InstanceStatuses"][0]["InstanceStatus"]["Status"]  # noqa: E731
    ec2.reboot_instances(InstanceIds=[instance])
    seen = eventually(checks, lambda s: s == "ok")
    assert seen[0] == "initializing" and seen[-1] == "ok", seen


def test_seeded_snapshots_releases_and_secrets_carry_real_ages(healthy, aws):
    """Seeds 001-003's backup, cleanup and rotation checks need ages, not 'created a second ago'."""
    from datetime import UTC, datetime, timedelta

    from opslib_sandbox.world import EC2M

    now = datetime.now(UTC)
    snaps = aws.client("rds", RMS["region"]).describe_db_snapshots(DBInstanceIdentifier=RMS["db"], SnapshotType="automated")["DBSnapshots"]
    daily = {s["DBSnapshotIdentifier"]: s["SnapshotCreateTime"] for s in snaps}
    newest = 0 if now.hour >= 3 else 1  # today's is taken at 03:00 UTC; seven days are kept
    assert sorted(daily) == [f"{RMS['db']}-{now - timedelta(days=d):%Y%m%d}" for d in range(newest + 6, newest - 1, -1)]
    for name, taken in daily.items():
        assert taken.strftime("%Y%m%d") == name.rsplit("-", 1)[1] and taken.hour == 3
    versions = [v for v in aws.client("lambda").list_versions_by_function(FunctionName=EC2M["function"])["Versions"] if v["Version"] != "$LATEST"]
    modified = [datetime.strptime(v["LastModified"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC) for v in versions]
    assert len(modified) == 4 and [round((b - a) / timedelta(days=1)) for a, b in zip(modified, modified[1:])] == [14, 14, 14]
    assert round((now - modified[-1]) / timedelta(days=1)) == 3
    sm = aws.client("secretsmanager", AUTOSTACK["region"])
    ages = {name: round((now - sm.describe_secret(SecretId=f"autostack/production/{name}")["LastChangedDate"]) / timedelta(days=1))
            for name in ("github-oauth", "google-oauth", "jwt")}
    assert ages == {"github-oauth": 40, "google-oauth": 70, "jwt": 60}
