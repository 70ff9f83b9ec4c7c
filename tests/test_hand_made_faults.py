"""Faults made by hand through the AWS APIs, as a person or a broken deploy makes them (never a scenario), each
with the notebook a responder would reach for and the finding it must name (issue 24's list; add to it)."""

import pytest

from conftest import eventually, judge_in_process


@pytest.fixture
def alarms_west(healthy, aws):
    """Two alarms of EC2 Manager's in us-west-2, breached by the metrics they watch (put by hand, as a client
    failing would make them): the sandbox evaluates them as CloudWatch does."""
    from datetime import datetime, timedelta, timezone

    cloudwatch = aws.client("cloudwatch", "us-west-2")
    names = {"ec2-manager-api-5xx-hand": ("AWS/ApiGateway", "5XXError", "ApiName"), "ec2-manager-lambda-errors-hand": ("AWS/Lambda", "Errors", "FunctionName")}
    now = datetime.now(timezone.utc)
    for name, (namespace, metric, dimension) in names.items():
        dims = [{"Name": dimension, "Value": f"{name}-target"}]
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": metric, "Dimensions": dims, "Timestamp": now - timedelta(seconds=s),
                                                                    "Value": 25.0} for s in (0, 50, 110)])
        cloudwatch.put_metric_alarm(AlarmName=name, Namespace=namespace, MetricName=metric, Statistic="Sum", Period=60, EvaluationPeriods=3, DatapointsToAlarm=1,
                                    Threshold=5, ComparisonOperator="GreaterThanOrEqualToThreshold", Dimensions=dims)
    states = eventually(lambda: {a["AlarmName"]: a["StateValue"] for a in cloudwatch.describe_alarms(AlarmNames=list(names))["MetricAlarms"]},
                        lambda seen: set(seen.values()) == {"ALARM"})
    assert set(states[-1].values()) == {"ALARM"}, states[-1]
    yield list(names)
    cloudwatch.delete_alarms(AlarmNames=list(names))


def test_daily_health_check_reads_alarms_in_every_region_it_covers(alarms_west, tmp_path, monkeypatch):
    """Issue 24: "0 alarms in ALARM" while two us-west-2 alarms fired (it read RMS's region only)."""
    rows = judge_in_process("daily-health-check", tmp_path, monkeypatch)
    (row,) = [r for r in rows if "cloudwatch_alarms_in_alarm" in r]
    assert row.startswith("WARN") or row.startswith("CRITICAL"), row
    assert "in us-east-1, us-west-2" in row and all(f"{name} (us-west-2)" in row for name in alarms_west), row


def test_tasks_stopped_by_hand_are_no_longer_running_and_the_scheduler_replaces_them(healthy, aws):
    """Issue 24: after `ecs stop-task` the sandbox still said 3 of 3 running, so no check could see it."""
    from opslib.checks import CRITICAL, OK
    from opslib.checks.ecs import service_tasks_running

    ecs = aws.client("ecs", "us-east-1")
    cluster, service = "rms-cluster-prod", "rms-backend-service-prod"
    east = aws.at("us-east-1")
    for arn in ecs.list_tasks(cluster=cluster, serviceName=service)["taskArns"][:2]:
        ecs.stop_task(cluster=cluster, task=arn, reason="stopped by hand")
    row = service_tasks_running(east, service, cluster)
    assert row.status == CRITICAL and row.observed == "1/3" and "degraded, and no deployment is rolling" in row.sentence, row
    seen = eventually(lambda: service_tasks_running(east, service, cluster), lambda r: r.status == OK, timeout=60)
    assert seen[-1].observed == "3/3" and any(r.observed == "2/3" for r in seen)  # one a step, as ECS's scheduler does
    assert len(ecs.list_tasks(cluster=cluster, serviceName=service)["taskArns"]) == 3


@pytest.fixture
def low_capacity_table(healthy, aws):
    """A table whose provisioned capacity was lowered by hand to 2 reads and 2 writes a second."""
    ddb = aws.client("dynamodb", "us-east-1")
    name = "audit-low-capacity-hand"
    ddb.create_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    yield name
    ddb.delete_table(TableName=name)


def test_batches_past_a_tables_capacity_are_retried_with_backoff_and_bounded(low_capacity_table, aws):
    """Issue 24: unprocessed items were retried in a tight loop with no backoff (services/audit.py)."""
    import time

    from opslib.services import audit

    east = aws.at("us-east-1")
    items = [{"id": f"i{n:02d}", "v": n} for n in range(9)]
    began = time.monotonic()
    audit.put_many(east, low_capacity_table, items)  # 2 a call: 5 calls, waiting between them
    assert time.monotonic() - began >= 0.1
    assert audit.get_many(east, low_capacity_table, [{"id": i["id"]} for i in items]) == items
    with pytest.raises(audit.Unprocessed, match=f"{low_capacity_table} left \\d+ keys unprocessed after 9 batch calls: its capacity is exceeded"):
        audit.get_many(east, low_capacity_table, [{"id": f"k{n:03d}"} for n in range(60)])  # 60 keys at 2 a call: past the bound


def test_a_stopped_instance_is_the_finding_of_service_down_and_starting_it_the_guarded_fix(healthy, aws, tmp_path):
    """Issue 24: service-down on a stopped instance said "Nothing to restart or reboot: the instance passes its checks"."""
    import re

    from conftest import ledger, opslib

    ec2 = aws.client("ec2", "us-west-2")
    (reservation,) = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["secure-webapp-prod"]}])["Reservations"]
    instance_id = reservation["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance_id])  # by hand, as a person in the console would
    dry = opslib("run", "service-down", "--no-progress", runs=tmp_path)
    assert re.search(rf"CRITICAL ec2_instance_status .* Instance {instance_id} \(secure-webapp-prod\) is stopped", dry.stdout), dry.stdout
    assert "PLANNED  start-instance secure-webapp-prod" in dry.stdout and "state: stopped -> running" in dry.stdout, dry.stdout
    assert "Nothing to start, restart or reboot" not in dry.stdout
    assert "docker_container_running" not in dry.stdout  # not asked of a stopped host: its status row already says why (no ERROR noise)
    (pid,) = set(re.findall(r"confirm=(PLAN-[0-9a-f]{12})", dry.stdout))
    done = opslib("run", "service-down", "-p", f"confirm={pid}", "--no-progress", runs=tmp_path)
    assert "CHANGED  start-instance secure-webapp-prod" in done.stdout, done.stdout
    state = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "running"
    undo = opslib("undo", ledger(tmp_path)[-1]["run_id"], runs=tmp_path)
    assert "state: running -> stopped" in undo.stdout, undo.stdout + undo.stderr  # planned only: the undo stops it again


def test_the_sandbox_refuses_what_aws_refuses_where_the_seeds_trip(healthy, aws):
    """Issue 24: `--max-records 5` and `p95` in `--statistics` were answered; AWS refuses both (InvalidParameterValue)."""
    from datetime import datetime, timedelta, timezone

    from botocore.exceptions import ClientError

    rds, cloudwatch = aws.client("rds", "us-east-1"), aws.client("cloudwatch", "us-east-1")
    with pytest.raises(ClientError, match="InvalidParameterValue.*Invalid max records value 5: it must be between 20 and 100"):
        rds.describe_db_instances(MaxRecords=5)
    assert rds.describe_db_instances(MaxRecords=20)["DBInstances"]
    end = datetime.now(timezone.utc)
    asked = {"Namespace": "AWS/RDS", "MetricName": "CPUUtilization", "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "rms-db-prod"}],
             "StartTime": end - timedelta(hours=1), "EndTime": end, "Period": 300}
    with pytest.raises(ClientError, match="Statistics.member.1 must be a value in the set"):
        cloudwatch.get_metric_statistics(**asked, Statistics=["p95"])
    assert cloudwatch.get_metric_statistics(**asked, ExtendedStatistics=["p95"])["Datapoints"]


def test_a_sandbox_database_that_died_is_said_and_started_again_by_reset(healthy):
    """Issue 24: after its real PostgreSQL or Redis died, `opslib sandbox reset` failed with a misleading message and
    `status` still advertised the dead database."""
    import json
    import os
    import signal
    import socket
    import time
    from pathlib import Path

    from conftest import opslib
    from opslib import sandbox

    running = json.loads((sandbox.state_dir() / "databases.json").read_text())
    pg, cache = running["postgres"], running["redis"]
    os.kill(int(Path(pg["data"], "data", "postmaster.pid").read_text().split()[0]), signal.SIGKILL)  # the out-of-memory killer
    os.kill(cache["pid"], signal.SIGKILL)

    def answers(server):
        try:
            socket.create_connection((server["host"], server["port"]), timeout=1).close()
            return True
        except OSError:
            return False

    deadline = time.monotonic() + 10
    while (answers(pg) or answers(cache)) and time.monotonic() < deadline:
        time.sleep(0.1)
    status = opslib("sandbox", "status")
    assert "not answering: `opslib sandbox reset` starts it again" in status.stdout, status.stdout
    res = opslib("sandbox", "reset")
    assert res.returncode == 0, res.stdout + res.stderr
    assert answers(pg) and answers(cache)
    assert "not answering" not in opslib("sandbox", "status").stdout
