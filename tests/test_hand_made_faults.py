"""Faults made by hand through the AWS APIs, as a person or a broken deploy makes them (never a scenario), each
with the notebook a responder would reach for and the finding it must name (issue 24's list; add to it)."""

import pytest
from botocore.exceptions import ClientError

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
    import opslib_sandbox as sandbox

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


def _elapse(minutes: int) -> None:
    """A responder arrives `minutes` after the fault: the world as it stands has stood that long (`opslib sandbox elapse`)."""
    import opslib_sandbox as sandbox

    sandbox.control("elapse", {"minutes": minutes})


def _row(rows: list[str], check: str, resource: str = "") -> str:
    (row,) = [r for r in rows if r.split()[1:2] == [check] and resource in r]
    return row


def test_scaled_to_zero_by_hand_the_load_balancer_answers_503_and_high_error_rate_names_the_scale(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: high-error-rate counted only target 5xx, so an RMS outage (no targets: the ALB answers 503 itself) was invisible."""
    ecs = aws.client("ecs", "us-east-1")
    ecs.update_service(cluster="rms-cluster-prod", service="rms-backend-service-prod", desiredCount=0)
    eventually(lambda: ecs.describe_services(cluster="rms-cluster-prod", services=["rms-backend-service-prod"])["services"][0]["runningCount"], lambda n: n == 0)
    _elapse(12)
    rows = judge_in_process("high-error-rate", tmp_path, monkeypatch)
    alb = _row(rows, "errors_rate", "ALB (RMS API)")
    assert alb.startswith("CRITICAL") and "answered by the load balancer itself (HTTPCode_ELB_5XX_Count: no healthy target" in alb, alb
    assert "100% in the last 10 minutes" in alb, alb
    blamed = _row(rows, "errors_after_deploy")
    assert blamed.startswith("CRITICAL") and "desired count -> 0 (UpdateService by arn:aws:" in blamed, blamed


def test_concurrency_reserved_at_zero_throttles_every_call_and_high_error_rate_names_it(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: reserved concurrency 0 must throttle every invocation, and the API's 5xx follow."""
    aws.client("lambda", "us-west-2").put_function_concurrency(FunctionName="ec2-manager-function-prod", ReservedConcurrentExecutions=0)
    _elapse(12)
    rows = judge_in_process("high-error-rate", tmp_path, monkeypatch)
    fn, api = _row(rows, "errors_rate", "Lambda (EC2 Manager)"), _row(rows, "errors_rate", "API Gateway (EC2 Manager)")
    assert fn.startswith("CRITICAL") and "throttled (Throttles: its concurrency is used up or reserved at 0)" in fn, fn
    assert api.startswith("CRITICAL") and "100% in the last 10 minutes" in api, api
    assert "reserved concurrency -> 0 (PutFunctionConcurrency by arn:aws:" in _row(rows, "errors_after_deploy")


def test_the_alarm_a_throttled_function_sets_off_is_named_by_alarm_review(healthy, aws):
    """The alarms follow the traffic: nobody wrote a metric, CloudWatch's evaluation of the model's does it."""
    from opslib.checks import CRITICAL
    from opslib.checks.cloudwatch import alarms_in_alarm

    aws.client("lambda", "us-west-2").put_function_concurrency(FunctionName="ec2-manager-function-prod", ReservedConcurrentExecutions=0)
    _elapse(12)
    row = alarms_in_alarm(aws.at("us-west-2"), regions=["us-east-1", "us-west-2"])
    assert row.status in (CRITICAL, "WARN") and "ec2-manager-api-5xx-high (us-west-2)" in row.sentence, row


BROKEN = b"""def handler(event, context):
    if event.get("path") == "/instances":
        raise RuntimeError("list_instances() missing 1 required positional argument: 'region'")
    return {"statusCode": 200, "body": "ok"}
"""


def _release_by_hand(lam, source: bytes) -> str:
    """Seed 001 "Lambda Function Rollback" the other way: new code, published, LIVE moved to it; the version."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", source)
    lam.update_function_code(FunctionName="ec2-manager-function-prod", ZipFile=buf.getvalue())
    version = lam.publish_version(FunctionName="ec2-manager-function-prod")["Version"]
    lam.update_alias(FunctionName="ec2-manager-function-prod", Name="LIVE", FunctionVersion=version)
    return version


def test_an_alias_moved_by_hand_to_code_that_fails_serves_failures_and_is_named_as_the_deployment(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: "0 deployment(s) in the last 6 h" after update-alias; the failures of the code the alias serves came from nowhere."""
    lam = aws.client("lambda", "us-west-2")
    version = _release_by_hand(lam, BROKEN)
    answer = lam.invoke(FunctionName="ec2-manager-function-prod", Qualifier="LIVE", Payload=b'{"path": "/instances", "httpMethod": "GET"}')
    assert answer["FunctionError"] == "Unhandled" and b"missing 1 required positional argument" in answer["Payload"].read()
    _elapse(12)
    rows = judge_in_process("high-error-rate", tmp_path, monkeypatch)
    assert _row(rows, "errors_rate", "Lambda (EC2 Manager)").startswith("CRITICAL")  # /instances is 56 % of the API's traffic
    blamed = _row(rows, "errors_after_deploy")
    assert f"alias LIVE -> version {version} (UpdateAlias by arn:aws:" in blamed and "lambda:ec2-manager-function-prod" in blamed, blamed


def test_rms_database_stopped_by_hand_fails_every_request_behind_the_load_balancer(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: a stopped database showed nowhere but its own status row."""
    aws.client("rds", "us-east-1").stop_db_instance(DBInstanceIdentifier="rms-db-prod")
    _elapse(12)
    rows = judge_in_process("high-error-rate", tmp_path, monkeypatch)
    alb = _row(rows, "errors_rate", "ALB (RMS API)")
    assert alb.startswith("CRITICAL") and "100% in the last 10 minutes" in alb and "load balancer itself" not in alb, alb
    blamed = _row(rows, "errors_after_deploy")  # the cause named, as CloudTrail recorded it
    assert blamed.startswith("CRITICAL") and "database stopped (StopDBInstance by arn:aws:" in blamed and "rds:rms-db-prod" in blamed and "undo it" in blamed, blamed
    rows = judge_in_process("log-search", tmp_path, monkeypatch)
    assert _row(rows, "logs_pattern_matches", "/aws/ecs/rms-backend-prod").startswith("CRITICAL")  # its tasks log the refusals


def test_write_capacity_lowered_by_hand_throttles_the_audit_table(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: lowered provisioned capacity under the traffic must produce ThrottledRequests and consumed capacity that match."""
    aws.client("dynamodb", "us-west-2").update_table(TableName="ec2-manager-audit-production",
                                                     ProvisionedThroughput={"ReadCapacityUnits": 25, "WriteCapacityUnits": 1})
    _elapse(15)
    rows = judge_in_process("dynamodb-throttling", tmp_path, monkeypatch)
    throttled = _row(rows, "dynamodb_throttled_requests")
    assert throttled.startswith("CRITICAL") and "ec2-manager-audit-production" in throttled, throttled
    used = _row(rows, "dynamodb_capacity_used", "writes")
    assert used.startswith("CRITICAL") and "of 1 provisioned write units a second" in used, used


def test_a_port_opened_to_the_world_by_hand_is_in_cloudtrail_and_security_incident_names_who(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: CloudTrail held only seeded and scenario records, so "what changed before this broke?" missed hand-made changes."""
    ec2 = aws.client("ec2", "us-west-2")
    (group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["secure-webapp-sg"]}])["SecurityGroups"]
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                                                                   "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    rows = judge_in_process("security-incident", tmp_path, monkeypatch)
    (row,) = [r for r in rows if "AuthorizeSecurityGroupIngress by arn:aws:" in r]
    assert row.startswith("CRITICAL") and "from 127.0.0.1" in row, row


def test_stop_logging_by_hand_is_recorded_and_named(healthy, aws, tmp_path, monkeypatch):
    """An intruder's first move: the trail's own StopLogging is its last record, as on AWS."""
    aws.client("cloudtrail", "us-west-2").stop_logging(Name="ec2-manager-trail-production")
    rows = judge_in_process("security-incident", tmp_path, monkeypatch)
    assert any("StopLogging by arn:aws:" in r and r.startswith("CRITICAL") for r in rows), rows


def test_every_change_is_in_cloudtrail_event_history_with_who_made_it(healthy, aws):
    """`aws cloudtrail lookup-events` (moto lacks it): each call that writes, by whom, with its error; reads are not recorded."""
    import json

    from botocore.exceptions import ClientError

    ecs = aws.client("ecs", "us-east-1")
    ecs.update_service(cluster="rms-cluster-prod", service="rms-backend-service-prod", desiredCount=4)
    with pytest.raises(ClientError):
        ecs.update_service(cluster="rms-cluster-prod", service="no-such-service", desiredCount=1)
    ecs.describe_services(cluster="rms-cluster-prod", services=["rms-backend-service-prod"])
    ct = aws.client("cloudtrail", "us-east-1")
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UpdateService"}], MaxResults=10)["Events"]
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    assert [r["requestParameters"].get("service") for r in records] == ["no-such-service", "rms-backend-service-prod"]  # newest first
    assert records[0]["errorCode"] and not records[1].get("errorCode") and records[1]["requestParameters"]["desiredCount"] == 4
    assert records[1]["userIdentity"]["arn"].startswith("arn:aws:") and records[1]["eventSource"] == "ecs.amazonaws.com"
    assert not ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DescribeServices"}])["Events"]
    writes = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}], MaxResults=50)["Events"]
    assert {"UpdateService"} <= {e["EventName"] for e in writes}  # one query for every write, as high-error-rate asks
    assert records[1]["userIdentity"]["arn"] == "arn:aws:iam::123456789012:user/moto"  # an IAM user's ARN, as AWS writes it

    s3 = aws.client("s3", "us-east-1")  # one route, two operations: a copy is told by its x-amz-copy-source header
    s3.put_object(Bucket="rms-alb-logs", Key="trail-probe/a.txt", Body=b"a")
    s3.copy_object(Bucket="rms-alb-logs", Key="trail-probe/b.txt", CopySource={"Bucket": "rms-alb-logs", "Key": "trail-probe/a.txt"})
    names = [json.loads(e["CloudTrailEvent"])["eventName"] for e in ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "s3.amazonaws.com"}], MaxResults=5)["Events"]]
    assert names[:2] == ["CopyObject", "PutObject"], names


def test_a_release_whose_image_is_not_in_the_registry_is_named_by_deployment_failed(healthy, aws, tmp_path, monkeypatch):
    """A release made by hand (a task definition naming a tag nobody pushed): its tasks never start, and the notebook says why."""
    ecs = aws.client("ecs", "us-east-1")
    base = ecs.describe_task_definition(taskDefinition="rms-backend-prod:2")["taskDefinition"]
    container = dict(base["containerDefinitions"][0], image=base["containerDefinitions"][0]["image"].rsplit(":", 1)[0] + ":9.9.9")
    arn = ecs.register_task_definition(family="rms-backend-prod", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512", memory="1024",
                                       containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster="rms-cluster-prod", service="rms-backend-service-prod", taskDefinition=arn)
    eventually(lambda: ecs.describe_services(cluster="rms-cluster-prod", services=["rms-backend-service-prod"])["services"][0]["deployments"][0].get("rolloutState"),
               lambda state: state == "FAILED", timeout=90)
    rows = judge_in_process("deployment-failed", tmp_path, monkeypatch)
    state = _row(rows, "ecs_deployment_state")
    assert state.startswith("CRITICAL") and "CannotPullContainerError" in state and "rms-backend-prod:2 still serves 3 of 3" in state, state


def test_incident_response_database_stopped_by_hand_refuses_connections_and_is_never_called_connected(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: the connection test connected while the instance was `stopped`, contradicting the status row of the same run."""
    rds = aws.client("rds", "us-east-1")
    rds.stop_db_instance(DBInstanceIdentifier="incident-response-prod")
    rows = judge_in_process("database-connection", tmp_path, monkeypatch)
    status = _row(rows, "rds_instance_available")
    assert status.startswith("CRITICAL") and "stopped" in status, status
    assert not any("postgres_connection" in r and r.startswith("OK") for r in rows), rows
    rds.start_db_instance(DBInstanceIdentifier="incident-response-prod")
    rows = judge_in_process("database-connection", tmp_path, monkeypatch)
    assert _row(rows, "postgres_connection").startswith("OK"), rows


def test_a_cache_flushed_by_hand_shows_in_the_hit_rate_high_latency_reads(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: the hit rate was read from INFO's counters since the node started, so a flush never showed."""
    import json

    import redis

    import opslib_sandbox as sandbox

    cache = json.loads((sandbox.state_dir() / "databases.json").read_text())["redis"]
    redis.Redis(host=cache["host"], port=cache["port"]).flushall()  # redis-cli FLUSHALL, as a person would
    _elapse(4)
    rows = judge_in_process("high-latency", tmp_path, monkeypatch)
    row = _row(rows, "elasticache_hit_rate")
    assert row.startswith("CRITICAL") and "of reads hit over the last 5 minutes (CloudWatch CacheHits, CacheMisses)" in row, row
    _elapse(30)  # the service has put its keys back
    rows = judge_in_process("high-latency", tmp_path, monkeypatch)
    assert _row(rows, "elasticache_hit_rate").startswith("OK"), rows


def test_a_page_released_by_hand_that_loads_a_missing_script_fails_the_site(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: CloudFront's error rate came from the scenario that wrote it, so a broken page uploaded by hand read green."""
    s3 = aws.client("s3", "us-west-2")
    s3.put_object(Bucket="ec2-manager-web-prod-123456789012", Key="index.html", ContentType="text/html",
                  Body=b'<html><body>EC2 Manager<script src="/static/app-9.9.js"></script><link href="/static/app.css" rel="stylesheet"></body></html>')
    _elapse(12)
    rows = judge_in_process("rollback-static-site", tmp_path, monkeypatch)
    row = _row(rows, "cloudfront_error_rate")
    assert row.startswith("CRITICAL") and "66.7%" in row, row  # the page and its two assets, neither uploaded


def test_the_frontends_health_object_deleted_by_hand_fails_the_morning_check(healthy, aws, tmp_path, monkeypatch):
    """The frontend is served from its bucket through CloudFront: its health.json deleted shows as the 404 CloudFront answers."""
    aws.client("s3", "us-east-1").delete_object(Bucket="rms-frontend-prod-123456789012", Key="health.json")
    rows = judge_in_process("daily-health-check", tmp_path, monkeypatch)
    row = _row(rows, "http_endpoint_healthy", "frontend")
    assert row.startswith("CRITICAL") and "404" in row, row


def test_the_databases_ingress_revoked_by_hand_is_named_with_the_command_that_restores_it(healthy, aws, tmp_path, monkeypatch):
    """Seed 004 "Database Connection Errors" step 2; issue 25: the command printed `<db-sg>` and no region, so it did not paste."""
    ec2 = aws.client("ec2", "us-east-1")
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["incident-response-db-sg", "incident-response-app-sg"]}])["SecurityGroups"]}
    db, app = groups["incident-response-db-sg"], groups["incident-response-app-sg"]
    for perm in db["IpPermissions"]:
        ec2.revoke_security_group_ingress(GroupId=db["GroupId"], IpPermissions=[perm])
    rows = judge_in_process("database-connection", tmp_path, monkeypatch)
    row = _row(rows, "ec2_db_ingress")
    assert row.startswith("CRITICAL") and "nothing lets incident-response-app-sg in on port" in row, row
    command = row.split("`")[1]
    assert command.startswith(f"aws ec2 authorize-security-group-ingress --group-id {db['GroupId']} ") and command.endswith(f"--source-group {app['GroupId']} --region us-east-1"), row


def test_the_web_apps_container_stopped_by_hand_through_run_command_is_named_by_app_health(healthy, aws, tmp_path, monkeypatch):
    """Seed 000's `docker stop`, sent as a person would with `aws ssm send-command`: the host model stops it, app-health names it."""
    ec2, ssm = aws.client("ec2", "us-west-2"), aws.client("ssm", "us-west-2")
    (reservation,) = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["secure-webapp-prod"]}, {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]
    instance_id = reservation["Instances"][0]["InstanceId"]
    ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", Parameters={"commands": ["docker stop webapp"]})
    rows = judge_in_process("app-health", tmp_path, monkeypatch)
    row = _row(rows, "docker_container_running")
    assert row.startswith("CRITICAL") and "Container webapp (opsteam/secure-webapp:latest) on secure-webapp-prod: Exited (0)" in row, row
    assert _row(rows, "http_endpoint_healthy").startswith("CRITICAL")


def test_flow_logs_are_the_text_aws_writes_so_the_seeds_json_pattern_finds_nothing(healthy, aws):
    """Issue 24: the sandbox wrote VPC flow logs as JSON, so seed 003's `{ $.action = "REJECT" }` found probes it finds nowhere else."""
    logs = aws.client("logs", "us-east-1")
    assert not logs.filter_log_events(logGroupName="VPCFlowLogs", filterPattern='{ $.action = "REJECT" }')["events"]
    found = logs.filter_log_events(logGroupName="VPCFlowLogs", filterPattern="[version, account, eni, source, destination, srcport, destport, "
                                   "protocol, packets, bytes, start, end, action=REJECT, status]")["events"]
    assert found and all(e["message"].split()[12] == "REJECT" and e["message"].startswith("2 123456789012 eni-") for e in found)


def test_concurrency_reserved_at_zero_is_critical_in_lambda_errors(healthy, aws, tmp_path, monkeypatch):
    """Every call throttled was a WARN ("any throttle warns") beside an OK error rate of 0 invocations."""
    aws.client("lambda", "us-west-2").put_function_concurrency(FunctionName="ec2-manager-function-prod", ReservedConcurrentExecutions=0)
    _elapse(12)
    rows = judge_in_process("lambda-errors", tmp_path, monkeypatch, window_minutes=10)
    row = _row(rows, "lambda_throttles")
    assert row.startswith("CRITICAL") and "calls throttled in the last 10 minutes (100%): its concurrency limit is reached" in row, row


def test_an_alias_moved_by_hand_to_failing_code_is_planned_back_by_rollback_lambda(healthy, aws, tmp_path, monkeypatch):
    """The notebook that makes the fix: its dry run names the failing version and plans the move back to the one before."""
    lam = aws.client("lambda", "us-west-2")
    version = _release_by_hand(lam, BROKEN)
    _elapse(12)
    from conftest import opslib

    dry = opslib("run", "rollback-lambda", "--no-progress", runs=tmp_path)
    assert "CRITICAL lambda_error_rate" in dry.stdout, dry.stdout
    assert f"PLANNED  point-alias ec2-manager-function-prod:LIVE to version {int(version) - 1}: ec2-manager-function-prod:LIVE FunctionVersion: {version} -> {int(version) - 1}" in dry.stdout, dry.stdout


def test_rms_database_stopped_by_hand_is_the_morning_checks_finding_and_an_alarm(healthy, aws, tmp_path, monkeypatch):
    """daily-health-check names the stopped database; scaled to 0 by hand, alarm-review names the ALB's own 5xx alarm."""
    from opslib.checks.cloudwatch import alarms_in_alarm

    aws.client("rds", "us-east-1").stop_db_instance(DBInstanceIdentifier="rms-db-prod")
    rows = judge_in_process("daily-health-check", tmp_path, monkeypatch)
    row = _row(rows, "rds_instance_available")
    assert row.startswith("CRITICAL") and "stopped" in row, row
    ecs = aws.client("ecs", "us-east-1")
    ecs.update_service(cluster="rms-cluster-prod", service="rms-backend-service-prod", desiredCount=0)
    eventually(lambda: ecs.describe_services(cluster="rms-cluster-prod", services=["rms-backend-service-prod"])["services"][0]["runningCount"], lambda n: n == 0)
    _elapse(6)
    alarms = alarms_in_alarm(aws.at("us-east-1"), regions=["us-east-1"])
    assert "1 alarm in ALARM: rms-alb-5xx-high." in alarms.sentence, alarms


def test_records_overwritten_and_deleted_by_hand_are_found_and_a_restore_rewinds_them(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: point-in-time restore rewound only what a scenario recorded; any change through the API is in the window."""
    ddb = aws.client("dynamodb", "us-west-2")
    table = "ec2-manager-audit-production"
    items = sorted(ddb.scan(TableName=table)["Items"], key=lambda i: i["timestamp"]["S"], reverse=True)[:6]
    for item in items[:3]:
        ddb.put_item(TableName=table, Item={**item, "user": {"S": "undefined"}, "action": {"S": "NaN"}})  # a bad script, by hand
    ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {**items[3], "user": {"S": "undefined"}}}},
                                               {"DeleteRequest": {"Key": {"id": items[4]["id"], "timestamp": items[4]["timestamp"]}}}]})
    ddb.update_item(TableName=table, Key={"id": items[5]["id"], "timestamp": items[5]["timestamp"]}, UpdateExpression="SET #a = :v",
                    ExpressionAttributeNames={"#a": "action"}, ExpressionAttributeValues={":v": {"S": "NaN"}})
    ddb.put_item(TableName=table, Item={"id": {"S": "i-0000000000000dead"}, "timestamp": {"S": "2026-12-06T00:00:00"}, "action": {"S": "NaN"}})
    rows = judge_in_process("data-corruption", tmp_path, monkeypatch)
    row = _row(rows, "dynamodb_corrupt_items")
    assert row.startswith("CRITICAL") and "ec2-manager-audit-production" in row, row
    ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName="audit-rewound-by-hand", UseLatestRestorableTime=True)  # 5 minutes ago
    try:
        rewound = {(i["id"]["S"], i["timestamp"]["S"]): i for i in ddb.scan(TableName="audit-rewound-by-hand")["Items"]}
        assert all(rewound[(i["id"]["S"], i["timestamp"]["S"])] == i for i in items)  # overwritten, batch-written, updated and deleted: as they were
        assert ("i-0000000000000dead", "2026-12-06T00:00:00") not in rewound  # put after the time asked: not there
    finally:
        ddb.delete_table(TableName="audit-rewound-by-hand")
    from datetime import datetime, timezone

    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="InvalidRestoreTimeException"):  # AWS restores up to about five minutes ago
        ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName="audit-too-recent", RestoreDateTime=datetime.now(timezone.utc))


def test_incident_response_database_rebooted_by_hand_refuses_connections_until_it_is_available(healthy, aws, tmp_path, monkeypatch):
    """A reboot refuses connections while `rebooting`, and the real database serves again once RDS says `available`."""
    rds = aws.client("rds", "us-east-1")
    rds.reboot_db_instance(DBInstanceIdentifier="incident-response-prod")
    rows = judge_in_process("database-connection", tmp_path, monkeypatch)
    assert _row(rows, "rds_instance_available").startswith(("CRITICAL", "WARN")) and not _row(rows, "postgres_connection").startswith("OK"), rows
    eventually(lambda: rds.describe_db_instances(DBInstanceIdentifier="incident-response-prod")["DBInstances"][0]["DBInstanceStatus"], lambda s: s == "available")
    rows = judge_in_process("database-connection", tmp_path, monkeypatch)
    assert _row(rows, "postgres_connection").startswith("OK"), rows


def test_a_change_refused_by_a_fault_is_in_cloudtrail_with_its_error(healthy, aws):
    """A throttled or denied call that would have changed something is recorded with its error code, as AWS records it."""
    import json

    import opslib_sandbox as sandbox
    from botocore.exceptions import ClientError

    sandbox.control("faults", [{"kind": "deny", "service": "ecs"}])
    with pytest.raises(ClientError):
        aws.client("ecs", "us-east-1").update_service(cluster="rms-cluster-prod", service="rms-backend-service-prod", desiredCount=5)
    sandbox.control("faults", [])
    (event,) = aws.client("cloudtrail", "us-east-1").lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UpdateService"}])["Events"]
    assert json.loads(event["CloudTrailEvent"])["errorCode"] == "AccessDeniedException"


def test_rms_upstream_setting_deleted_by_hand_fails_its_market_data_calls_with_no_deployment(healthy, aws, tmp_path, monkeypatch):
    """The backend reads its upstream from SSM per request: the parameter deleted by hand fails the 15 % of requests that
    need it, logged in its application log; high-error-rate says no deployment came before, log-search finds the lines."""
    aws.client("ssm", "us-east-1").delete_parameter(Name="/rms/prod/market-data-url")
    _elapse(20)
    rows = judge_in_process("high-error-rate", tmp_path, monkeypatch)
    alb = _row(rows, "errors_rate", "ALB (RMS API)")
    assert alb.startswith("CRITICAL") and "load balancer itself" not in alb, alb  # the targets answered: the application failed
    assert "with no deployment before them in the last 6 h" in _row(rows, "errors_after_deploy")
    rows = judge_in_process("log-search", tmp_path, monkeypatch)
    found = _row(rows, "logs_pattern_matches", "/aws/ecs/rms-backend-prod")
    assert found.startswith("CRITICAL"), found


def test_a_database_moved_to_a_smaller_class_by_hand_slows_rms_and_high_latency_names_the_change(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: RMS's latency and connections came from the scenario that wrote them; a database resized by hand read green.
    Its working set no longer fits the class's memory: queries read from storage, connections pile up, requests wait."""
    from opslib import advice

    rds = aws.client("rds", "us-east-1")
    rds.modify_db_instance(DBInstanceIdentifier="rms-db-prod", DBInstanceClass="db.t3.small", ApplyImmediately=True)
    _elapse(12)
    rows = judge_in_process("high-latency", tmp_path, monkeypatch)
    alb = _row(rows, "alb_latency_p95_recent")
    assert not alb.startswith("OK") and "ALB p95 latency for app/rms-alb-prod/50dc6c495c0c9188 peaked at" in alb, rows
    change = _row(rows, "latency_after_change")
    assert change.startswith("CRITICAL") and "rds-class:rms-db-prod" in change and "database class -> db.t3.small (ModifyDBInstance by" in change, change
    assert _row(rows, "apigateway_latency_p95_recent").startswith("OK"), rows  # EC2 Manager's database was not touched
    rows = judge_in_process("performance-review", tmp_path, monkeypatch)
    assert not _row(rows, "rds_connections_recent", "rms-db-prod").startswith("OK"), rows
    printed = advice.rollback({"where": "rds-class:rms-db-prod", "previous": "db.t3.medium", "region": "us-east-1"})
    assert printed == "opslib run scale-service -p region=us-east-1 -p db_instance=rms-db-prod -p db_instance_class=db.t3.medium"  # journaled, guarded


def test_a_table_grown_by_hand_raises_database_cpu_and_cleaning_it_up_brings_it_down(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: incident-response-prod's CPU was written by the scenario; here the service's own statements, priced by the real
    PostgreSQL on the data it holds, are what the CPU follows: a table grown twentyfold shows, and so does its clean-up."""
    import json

    import psycopg

    creds = json.loads(aws.client("secretsmanager", "us-east-1").get_secret_value(SecretId="incident-response/production/database")["SecretString"])
    connect = dict(host=creds["host"], port=creds["port"], user=creds["username"], password=creds["password"], dbname=creds["dbname"], autocommit=True)
    with psycopg.connect(**connect) as conn:  # psql, as a runaway alerting job would
        conn.execute("INSERT INTO alerts (incident_id, name) SELECT 1 + n % 200, 'alert ' || n FROM generate_series(2001, 40000) n")
    _elapse(5)
    rows = judge_in_process("high-latency", tmp_path, monkeypatch)
    assert _row(rows, "rds_cpu_recent").startswith("CRITICAL"), rows
    with psycopg.connect(**connect) as conn:  # the runaway job's alerts deleted, the index seed 004 asks for added
        conn.execute("DELETE FROM alerts WHERE id > 2000")
        conn.execute("CREATE INDEX alerts_incident_id ON alerts (incident_id)")
        conn.execute("ANALYZE alerts")
    _elapse(30)
    rows = judge_in_process("high-latency", tmp_path, monkeypatch)
    assert _row(rows, "rds_cpu_recent").startswith("OK"), rows


def test_passwords_guessed_by_hand_show_in_the_sign_in_log_and_auth_failures_names_the_address(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: the sign-in burst was log lines the scenario wrote; here each InitiateAuth answered is what the pool's sign-in
    log records (user, address, AWS's error code), and the password tried is in no log."""
    from botocore.exceptions import ClientError

    idp = aws.client("cognito-idp", "us-west-2")
    pool = idp.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client = idp.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"][0]["ClientId"]
    for n in range(12):
        with pytest.raises(ClientError):
            idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", UserContextData={"IpAddress": "192.0.2.201"},
                              AuthParameters={"USERNAME": "carol", "PASSWORD": f"Guessed-Pa55word-{n}"})
    rows = judge_in_process("auth-failures", tmp_path, monkeypatch)
    row = _row(rows, "cognito_auth_failure_burst")
    assert row.startswith("CRITICAL") and "192.0.2.201 (12); users tried from 192.0.2.201: carol" in row, row
    logged = aws.client("logs", "us-west-2").filter_log_events(logGroupName=f"/aws/cognito/{pool}", filterPattern="carol")["events"]
    assert len([e for e in logged if "192.0.2.201" in e["message"]]) == 12 and not any("Guessed-Pa55word" in e["message"] for e in logged)


def test_requests_sent_by_hand_past_the_login_limit_are_refused_and_rate_limiting_names_the_address(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: the 429s were log lines the scenario wrote; here the AutoStack backend the sandbox serves refuses past its
    rate limit (seed 002: /login 10 a minute) and logs each refusal as the container does."""
    import urllib.error
    import urllib.request

    import opslib_sandbox as sandbox

    codes = []
    for _ in range(120):
        request = urllib.request.Request(f"{sandbox.url()}/_sandbox/autostack-backend/login", method="POST", data=b"{}",
                                         headers={"X-Forwarded-For": "198.18.0.9", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                codes.append(answer.status)
        except urllib.error.HTTPError as exc:
            codes.append(exc.code)
    assert codes.count(200) == 10 and codes.count(429) == 110, codes
    rows = judge_in_process("rate-limiting", tmp_path, monkeypatch)
    row = _row(rows, "ratelimit_offenders")
    assert row.startswith("CRITICAL") and "198.18.0.9 (110)" in row, row
    lines = aws.client("logs", "us-east-1").filter_log_events(logGroupName="/autostack/backend", filterPattern="rate_limit")["events"]
    assert sum("198.18.0.9 /login (10 in 60 s)" in e["message"] for e in lines) == 110


def test_calls_an_iam_users_policy_does_not_allow_are_refused_recorded_and_named_by_security_incident(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: the breach's refused calls were CloudTrail lines the scenario wrote; here a user's own key is held to its policy
    (as AWS does), each refusal recorded in CloudTrail with its error, read or write."""
    import json

    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    import opslib_sandbox as sandbox

    iam = aws.client("iam", "us-east-1")
    iam.create_user(UserName="report-reader")
    iam.put_user_policy(UserName="report-reader", PolicyName="reports", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="report-reader")["AccessKey"]
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name="us-west-2")
    theirs = session.client("secretsmanager", endpoint_url=sandbox.url(), config=Config(retries={"max_attempts": 1}))
    for _ in range(26):
        with pytest.raises(ClientError) as refused:
            theirs.list_secrets()
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "user/report-reader is not authorized to perform: secretsmanager:ListSecrets" in refused.value.response["Error"]["Message"]
    rows = judge_in_process("security-incident", tmp_path, monkeypatch)
    row = _row(rows, "cloudtrail_denied_calls")
    assert row.startswith("CRITICAL") and "26 calls by arn:aws:iam::123456789012:user/report-reader refused" in row and "ListSecrets" in row, row
    assert aws.client("secretsmanager", "us-west-2").list_secrets()["SecretList"] is not None  # the operator's key is not held to it


def test_an_upstream_pointed_wrong_by_hand_turns_the_morning_check_red_and_green_again_once_put_back(healthy, aws, tmp_path, monkeypatch):
    """Issue 25: after a fix the health check stayed red for up to an hour ("25 ERROR lines over the last 60 minutes"): the
    recent interval is judged, and the window's count is said per interval with when the errors stopped."""
    ssm = aws.client("ssm", "us-east-1")
    good = ssm.get_parameter(Name="/rms/prod/market-data-url")["Parameter"]["Value"]
    ssm.put_parameter(Name="/rms/prod/market-data-url", Value="https://market-data-staging.internal.example.com/v2", Type="String", Overwrite=True)
    _elapse(15)
    row = _row(judge_in_process("daily-health-check", tmp_path, monkeypatch), "logs_errors_recent")
    assert row.startswith("CRITICAL") and "lines in the last 10 minutes" in row and "(per 10 minutes, oldest first: " in row, row
    ssm.put_parameter(Name="/rms/prod/market-data-url", Value=good, Type="String", Overwrite=True)
    _elapse(11)  # a responder looking again a quarter of an hour later
    row = _row(judge_in_process("daily-health-check", tmp_path, monkeypatch), "logs_errors_recent")
    assert row.startswith("OK") and "; none since " in row, row


def test_a_service_scaled_to_zero_by_hand_is_critical_in_scale_service_which_hands_back_the_count_it_ran(healthy, aws, tmp_path, monkeypatch):
    """Issue 25: scaled to 0, the row said "runs 0 of 0 tasks", the count was lost, and scale-service said PASSED while nothing served."""
    from opslib import advice
    from opslib.checks import Report

    ecs = aws.client("ecs", "us-east-1")
    ecs.update_service(cluster="rms-cluster-prod", service="rms-backend-service-prod", desiredCount=4)  # by hand: CloudTrail keeps the count
    ecs.update_service(cluster="rms-cluster-prod", service="rms-backend-service-prod", desiredCount=0)
    rows = judge_in_process("scale-service", tmp_path, monkeypatch)
    row = _row(rows, "ecs_service_tasks_running")
    assert row.startswith("CRITICAL") and "it ran 4 before (the count CloudTrail shows it was last given" in row, row
    said = advice.follow_ups(Report(judge_in_process("scale-service", tmp_path, monkeypatch, checks=True)), "daily-health-check", "INC-9")
    assert "opslib run scale-service --incident INC-9 -p cluster=rms-cluster-prod -p service=rms-backend-service-prod -p desired_count=4" in said, said


def test_sign_in_flows_taken_off_the_web_client_by_hand_stop_the_sign_ins_auth_failures_counts(healthy, aws, tmp_path, monkeypatch):
    """Issue 24: Cognito's metrics came from the seed, whatever the pool allowed; here its sign-ins follow what its clients allow."""
    idp = aws.client("cognito-idp", "us-west-2")
    pool = idp.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client = idp.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"][0]["ClientId"]
    idp.update_user_pool_client(UserPoolId=pool, ClientId=client, ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"])  # a config change that removed sign-in
    _elapse(60)  # an hour later
    row = _row(judge_in_process("auth-failures", tmp_path, monkeypatch), "cognito_sign_in_successes")
    assert not row.startswith("OK") and "0 successful sign-ins in the last 60 minutes" in row, row


def test_log_groups_kept_forever_or_too_long_by_hand_are_named_by_log_retention_set_to_policy_and_undone(healthy, aws, tmp_path):
    """Issue 26 (maintenance/log-retention, seed 001 "Log Rotation and Cleanup"): a group made by hand with no retention and
    one raised to ten years are named with what they store; the guarded policy applies, verifies, and is undone."""
    import re

    from conftest import ledger, opslib

    logs = aws.client("logs", "us-west-2")
    logs.create_log_group(logGroupName="/aws/ec2-manager/debug")
    logs.put_retention_policy(logGroupName="/aws/ec2-manager/prod", retentionInDays=3653)
    dry = opslib("run", "log-retention", "--fail-on", "warn", "--no-progress", runs=tmp_path)  # as cron runs it: red when a group needs a person
    assert dry.returncode == 1 and "WARN     logs_retention_policy          /aws/ec2-manager/debug       /aws/ec2-manager/debug: kept forever (no retention policy)" in dry.stdout, dry.stdout
    assert "/aws/ec2-manager/prod: kept 3653 days, over seed 001's 30 days; it stores " in dry.stdout
    (plan,) = re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout)
    done = opslib("run", "log-retention", "-p", f"confirm={plan}", "--no-progress", runs=tmp_path)
    assert done.returncode == 0 and "(verified)" in done.stdout, done.stdout
    kept = lambda: {g["logGroupName"]: g.get("retentionInDays") for g in logs.describe_log_groups(logGroupNamePrefix="/aws/ec2-manager")["logGroups"]}  # noqa: E731
    assert kept() == {"/aws/ec2-manager/debug": 30, "/aws/ec2-manager/prod": 30}
    undone = opslib("undo", ledger(tmp_path)[-1]["run_id"], "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0 and kept() == {"/aws/ec2-manager/debug": None, "/aws/ec2-manager/prod": 3653}, undone.stdout + undone.stderr


def test_lambda_versions_older_than_the_cut_and_unused_are_deleted_never_one_an_alias_uses(healthy, aws, tmp_path):
    """Issue 26 (maintenance/lambda-version-cleanup, seed 001 "Old Resource Cleanup"): with a cut the sandbox's release history
    crosses (a release every two weeks, the newest 3 days old), the versions behind no alias go; LIVE's stays, and a version an
    alias was pointed at by hand stays too; the plan and the Next say it cannot be undone."""
    import re

    from conftest import ledger, opslib

    lam = aws.client("lambda", "us-west-2")
    lam.create_alias(FunctionName="ec2-manager-function-prod", Name="CANARY", FunctionVersion="1")  # by hand: version 1 is in use now
    dry = opslib("run", "lambda-version-cleanup", "-p", "older_than_days=20", "--fail-on", "warn", "--no-progress", runs=tmp_path)
    assert dry.returncode == 1 and "1 version older than 20 days behind no alias or event source: 2 (" in dry.stdout, dry.stdout
    assert "in use: 1 (alias CANARY), 4 (alias LIVE)" in dry.stdout and "(deleted: no undo)" in dry.stdout
    (plan,) = re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout)
    done = opslib("run", "lambda-version-cleanup", "-p", "older_than_days=20", "-p", f"confirm={plan}", "--no-progress", runs=tmp_path)
    assert done.returncode == 0 and "(verified)" in done.stdout and "It cannot be undone: a deleted Lambda version cannot be restored" in done.stdout, done.stdout
    assert "opslib undo" not in done.stdout
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="ec2-manager-function-prod")["Versions"]] == ["$LATEST", "1", "3", "4"]
    (applied,) = [r for r in (tmp_path / "journal.jsonl").read_text().splitlines() if '"status": "applied"' in r and "delete-versions" in r]
    assert '"sha256": "' in applied  # each deleted version's code hash, kept as evidence
    assert opslib("undo", ledger(tmp_path)[-1]["run_id"], runs=tmp_path).returncode != 0


def _terraform_lock(aws, who: str, minutes_ago: int) -> dict:
    """A lock item as Terraform's S3 backend writes it, taken `minutes_ago` by `who`."""
    import json
    from datetime import datetime, timedelta, timezone

    info = {"ID": "hand-made-lock", "Operation": "OperationTypeApply", "Info": "https://ci.example.com/autostack/412", "Who": who, "Version": "1.6.6",
            "Created": (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z"), "Path": "autostack-tfstate/autostack/terraform.tfstate"}
    item = {"LockID": {"S": "autostack-tfstate/autostack/terraform.tfstate"}, "Info": {"S": json.dumps(info)}}
    aws.client("dynamodb", "us-east-1").put_item(TableName="autostack-tf-locks", Item=item)
    return item


def test_an_old_terraform_state_pushed_by_hand_is_named_and_restored_under_the_lock_never_while_one_is_held(healthy, aws, tmp_path):
    """Issue 26 (maintenance/terraform-state-restore and terraform-state-lock, seed 002): an old state copied over the
    current one by hand (`aws s3 cp`) breaks the checksum Terraform keeps and sends the serial back; the restore the row
    names is refused while a lock is held, applies once it is released, keeps the checksum, and is undone."""
    import re

    from conftest import ledger, opslib

    s3, ddb = aws.client("s3", "us-east-1"), aws.client("dynamodb", "us-east-1")
    key = dict(Bucket="autostack-tfstate", Key="autostack/terraform.tfstate")
    versions = sorted(s3.list_object_versions(Bucket=key["Bucket"], Prefix=key["Key"])["Versions"], key=lambda v: v["LastModified"])
    oldest, newest = versions[0]["VersionId"], versions[-1]["VersionId"]
    s3.put_object(**key, Body=s3.get_object(**key, VersionId=oldest)["Body"].read())  # by hand: serial 41 over 44
    lock = opslib("run", "terraform-state-lock", "--no-progress", runs=tmp_path)
    assert lock.returncode == 1 and "CRITICAL terraform_state_digest" in lock.stdout and "Terraform refuses it" in lock.stdout, lock.stdout
    state = opslib("run", "terraform-state-restore", "--no-progress", runs=tmp_path)
    assert state.returncode == 1 and "has serial 41, below 44 of " + newest in state.stdout, state.stdout
    assert f"opslib run terraform-state-restore -p restore_version={newest}" in state.stdout.split("next:")[1]

    held = _terraform_lock(aws, "alice@laptop", 5)  # someone's apply, just begun: not stale, never released
    young = opslib("run", "terraform-state-lock", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "OK       terraform_state_lock" in young.stdout and "held 5 min by alice@laptop" in young.stdout and "noted 'https://ci.example.com/autostack/412'" in young.stdout and "CHANGED" not in young.stdout, young.stdout
    refused = opslib("run", "terraform-state-restore", "-p", f"restore_version={newest}", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert refused.returncode == 1 and "the state's lock is held by alice@laptop (OperationTypeApply)" in refused.stdout, refused.stdout
    assert ddb.get_item(TableName="autostack-tf-locks", Key={"LockID": held["LockID"]})["Item"] == held

    ddb.delete_item(TableName="autostack-tf-locks", Key={"LockID": held["LockID"]})  # alice's run finished
    dry = opslib("run", "terraform-state-restore", "-p", f"restore_version={newest}", "--no-progress", runs=tmp_path)
    (plan,) = re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout)
    assert "(serial 41) -> a copy of " + newest + " (serial 44)" in dry.stdout, dry.stdout
    done = opslib("run", "terraform-state-restore", "-p", f"restore_version={newest}", "-p", f"confirm={plan}", "--no-progress", runs=tmp_path)
    assert done.returncode == 0 and "(verified)" in done.stdout, done.stdout
    assert len(s3.list_object_versions(Bucket=key["Bucket"], Prefix=key["Key"])["Versions"]) == 6  # copied over: nothing deleted
    assert opslib("run", "terraform-state-lock", "--no-progress", runs=tmp_path).returncode == 0  # the checksum follows the copy; no lock left
    undone = opslib("undo", ledger(tmp_path)[-2]["run_id"], "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0 and b'"serial": 41' in s3.get_object(**key)["Body"].read(), undone.stdout + undone.stderr


def test_a_renewed_certificate_the_load_balancer_does_not_serve_is_named_until_its_listener_points_at_it(healthy, aws, tmp_path):
    """Issue 26 (maintenance/certificate-expiry, seed 003 "Manual Certificate Update"): a renewed certificate imported into
    ACM as a new one, the listener left on the old: the endpoint presents the old (read over the network), and the row says
    ACM holds a newer one; `aws elbv2 modify-listener` to it, and the endpoint presents it."""
    from conftest import opslib
    from opslib_sandbox.tls import self_signed

    acm, elb = aws.client("acm", "us-east-1"), aws.client("elbv2", "us-east-1")
    cert, key = self_signed(["api.rms.example.com"], 400, serial=777)
    renewed = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    before = opslib("run", "certificate-expiry", "--fail-on", "warn", "--no-progress", runs=tmp_path)
    assert before.returncode == 1 and "WARN     tls_certificate_presented" in before.stdout, before.stdout
    assert f"ACM holds a newer one ({renewed}, until " in before.stdout and "point its listener at it" in before.stdout.split("next:")[1]
    assert "api.rms.example.com (us-east-1) api.rms.example.com expires " in before.stdout and "not in use: nothing to renew for now" in before.stdout

    (balancer,) = elb.describe_load_balancers(Names=["rms-alb-prod"])["LoadBalancers"]
    (https,) = [li for li in elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"] if li["Protocol"] == "HTTPS"]
    elb.modify_listener(ListenerArn=https["ListenerArn"], Certificates=[{"CertificateArn": renewed}])
    after = opslib("run", "certificate-expiry", "--fail-on", "warn", "--no-progress", runs=tmp_path)
    assert after.returncode == 0 and "presents api.rms.example.com (serial 777)" in after.stdout, after.stdout
    assert acm.describe_certificate(CertificateArn=renewed)["Certificate"]["InUseBy"] == [balancer["LoadBalancerArn"]]


def test_backups_turned_off_by_hand_are_named_with_who_and_come_back_when_turned_on(healthy, aws, tmp_path):
    """Issue 26 (maintenance/backup-verification, seeds 001/003/004): a database's backup retention set to 0 by hand (AWS then
    deletes its automated snapshots: the sandbox's model does too) and a bucket's versioning suspended are named with the
    command that turns each back on and who turned it off; turned back on, RDS takes a backup at once and the row is green."""
    from conftest import opslib

    rds, s3 = aws.client("rds", "us-east-1"), aws.client("s3", "us-east-1")
    rds.modify_db_instance(DBInstanceIdentifier="incident-response-prod", BackupRetentionPeriod=0, ApplyImmediately=True)
    s3.put_bucket_versioning(Bucket="autostack-tfstate", VersioningConfiguration={"Status": "Suspended"})
    assert rds.describe_db_snapshots(DBInstanceIdentifier="incident-response-prod", SnapshotType="automated")["DBSnapshots"] == []
    off = opslib("run", "backup-verification", "--no-progress", runs=tmp_path)
    assert off.returncode == 1 and "incident-response-prod: automated backups are OFF (backup retention 0) (turned off " in off.stdout, off.stdout
    assert "ModifyDBInstance): no point-in-time restore" in off.stdout and "OK       rds_backup_rpo                 rms-db-prod" in off.stdout
    assert "CRITICAL s3_versioning                  autostack-tfstate            autostack-tfstate: versioning Suspended" in off.stdout
    assert "`aws s3api put-bucket-versioning --bucket autostack-tfstate --versioning-configuration Status=Enabled`" in off.stdout

    rds.modify_db_instance(DBInstanceIdentifier="incident-response-prod", BackupRetentionPeriod=7, ApplyImmediately=True)
    s3.put_bucket_versioning(Bucket="autostack-tfstate", VersioningConfiguration={"Status": "Enabled"})
    on = opslib("run", "backup-verification", "--no-progress", runs=tmp_path)
    assert on.returncode == 0 and "incident-response-prod: 1 automated snapshot, the newest incident-response-prod-" in on.stdout, on.stdout


def test_a_bucket_made_public_a_port_opened_and_an_admin_policy_made_by_hand_are_each_a_finding_with_its_fix(healthy, aws, tmp_path, monkeypatch):
    """Issue 26 (security/security-audit, seeds 001/003): each standing risk made by hand through the APIs is its own row, named
    with the command that fixes it; what the environment file accepted stays accepted and says so."""
    import json

    s3, ec2, iam = aws.client("s3", "us-east-1"), aws.client("ec2", "us-west-2"), aws.client("iam", "us-east-1")
    bucket = "rms-alb-logs"
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    group = ec2.describe_security_groups(GroupNames=["secure-webapp-sg"])["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    arn = iam.create_policy(PolicyName="ops-everything", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="AutoStackTerraformRole", PolicyArn=arn)

    rows = judge_in_process("security-audit", tmp_path, monkeypatch)
    said = "\n".join(rows)
    assert f"CRITICAL s3_bucket_public               {bucket}" in said and "is public through its bucket policy" in said, said
    assert f"put-public-access-block --bucket {bucket}" in said
    assert "CRITICAL ec2_security_group_open        secure-webapp-sg:22" in said and f"revoke-security-group-ingress --group-id {group} --protocol tcp --port 22" in said
    assert "CRITICAL iam_policy_admin               ops-everything" in said and "held by role AutoStackTerraformRole" in said
    assert "OK       ec2_security_group_open        secure-webapp-sg:5000        Accepted in parameters/sandbox.yaml" in said

    # The row's first command shuts the bucket at once; the grant, still there, is one setting away from public until removed.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True))
    with pytest.raises(ClientError, match="AccessDenied.*BlockPublicPolicy"):  # as S3 refuses a public policy under the block
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}]}))
    with pytest.raises(ClientError, match="AccessDenied.*BlockPublicAcls"):
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    s3.put_object(Bucket=bucket, Key="probe.txt", Body=b"x")
    with pytest.raises(ClientError, match="AccessDenied.*BlockPublicAcls"):
        s3.put_object_acl(Bucket=bucket, Key="probe.txt", ACL="public-read")
    s3.put_object_acl(Bucket=bucket, Key="probe.txt", ACL="private")  # a private ACL is no public one
    said = "\n".join(judge_in_process("security-audit", tmp_path, monkeypatch))
    assert f"WARN     s3_bucket_public               {bucket}" in said and "held back only by its public access block" in said, said
    assert f"`aws s3api delete-bucket-policy --bucket {bucket}` when it is the only one" in said
    s3.delete_bucket_policy(Bucket=bucket)
    assert bucket not in "\n".join(r for r in judge_in_process("security-audit", tmp_path, monkeypatch) if "s3_" in r)


def test_a_rotated_secret_is_staged_as_rotation_does_never_shown_and_undone_to_the_previous_version(healthy, aws, tmp_path):
    """Issue 26 (security/credential-rotation, seed 002 "Rotate JWT Secrets"): the guarded rotation puts fresh values as a new
    version, AWSPENDING then AWSCURRENT (the old one AWSPREVIOUS); the values reach no sink (console, notebook, HTML, ledger,
    journal), only their length and SHA-256 prefix; undo makes the previous version current again."""
    import hashlib
    import json
    import re

    from conftest import ledger, opslib

    sm = aws.client("secretsmanager", "us-east-1")
    name = "autostack/production/jwt"
    old = sm.get_secret_value(SecretId=name)
    dry = opslib("run", "credential-rotation", "-p", f"rotate={name}", "--no-progress", runs=tmp_path)
    (plan,) = re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout)
    done = opslib("run", "credential-rotation", "-p", f"rotate={name}", "-p", f"confirm={plan}", "--no-progress", runs=tmp_path)
    assert done.returncode == 0 and "(verified)" in done.stdout, done.stdout
    assert "Restart what reads it (AutoStack backend: docker-compose restart backend (seed 002; every session ends)), then look again:" in done.stdout
    new = sm.get_secret_value(SecretId=name)
    values = json.loads(new["SecretString"])
    assert new["VersionId"] != old["VersionId"] and len(values["JWT_SECRET"]) == 43 and values["JWT_SECRET"] != json.loads(old["SecretString"])["JWT_SECRET"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages[new["VersionId"]] == ["AWSCURRENT"] and stages[old["VersionId"]] == ["AWSPREVIOUS"]
    leaked = [p.name for p in tmp_path.rglob("*") if p.is_file() and any(v in p.read_text(errors="replace") for v in values.values())]
    assert leaked == [] and not any(v in done.stdout + done.stderr for v in values.values())
    journal = (tmp_path / "journal.jsonl").read_text()
    assert f"sha256 {hashlib.sha256(values['JWT_SECRET'].encode()).hexdigest()[:12]}" in journal  # its fingerprint is the evidence
    undone = opslib("undo", ledger(tmp_path)[-1]["run_id"], "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0 and sm.get_secret_value(SecretId=name)["SecretString"] == old["SecretString"], undone.stdout + undone.stderr


def test_a_role_policy_widened_by_hand_is_caught_by_the_simulator_put_right_and_a_new_role_is_undone_to_nothing(healthy, aws, tmp_path):
    """Issue 26 (security/iam-role-setup, seed 002 "IAM Setup"): AutoStack's inline policy widened by hand lets the role create
    users (IAM's simulator says so); the guarded setup puts the document back; the rotation's successor role is created
    from the same documents and its undo deletes it and nothing else."""
    import json
    import re

    from conftest import ledger, opslib

    iam = aws.client("iam", "us-east-1")
    doc = json.loads(open("parameters/iam/autostack-terraform-policy.json").read())
    doc["Statement"].append({"Sid": "ByHand", "Effect": "Allow", "Action": ["iam:CreateUser"], "Resource": "*"})
    iam.put_role_policy(RoleName="AutoStackTerraformRole", PolicyName="AutoStackMinimalPolicy", PolicyDocument=json.dumps(doc))
    dry = opslib("run", "iam-role-setup", "--no-progress", runs=tmp_path)
    assert dry.returncode == 1 and "its inline policy AutoStackMinimalPolicy differs from the documents" in dry.stdout, dry.stdout
    assert "CRITICAL iam_role_simulated" in dry.stdout and "allowed though it must not be: iam:CreateUser" in dry.stdout
    (plan,) = re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout)
    fixed = opslib("run", "iam-role-setup", "-p", f"confirm={plan}", "--no-progress", runs=tmp_path)
    assert fixed.returncode == 0 and "(verified)" in fixed.stdout and "OK       iam_role_simulated" in fixed.stdout, fixed.stdout

    made = opslib("run", "iam-role-setup", "-p", "role_name=AutoStackTerraformRoleV2", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert made.returncode == 0 and "arn:aws:iam::123456789012:role/AutoStackTerraformRoleV2: IAM's simulator allows all" in made.stdout, made.stdout
    undone = opslib("undo", ledger(tmp_path)[-1]["run_id"], "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert "AutoStackTerraformRoleV2" not in roles and "AutoStackTerraformRole" in roles


def test_a_policy_added_beside_the_roles_documents_is_named_with_what_grants_it_taken_off_and_put_back_by_undo(healthy, aws, tmp_path):
    """Issue 26 (security/iam-role-setup): what someone puts on the role beside its documents (another inline policy, an
    attached managed one) is named; IAM's simulator says which policy lets it do what it must not; the guarded setup takes
    both off; undo puts both back, and its Next looks again as the undone run looked."""
    import json
    import re

    from conftest import ledger, opslib

    iam = aws.client("iam", "us-east-1")
    iam.put_role_policy(RoleName="AutoStackTerraformRole", PolicyName="break-glass", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}))
    arn = iam.create_policy(PolicyName="ops-describe", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="AutoStackTerraformRole", PolicyArn=arn)

    dry = opslib("run", "iam-role-setup", "--no-progress", runs=tmp_path)
    assert dry.returncode == 1, dry.stdout
    assert f"it also holds inline policy break-glass, managed policy {arn}, which the documents do not name" in dry.stdout, dry.stdout
    assert ("allowed though it must not be: iam:CreateAccessKey, iam:CreateUser, iam:PutUserPolicy (granted by policy break-glass)." in dry.stdout)
    assert "AutoStackTerraformRole/break-glass other inline policy: 1 statement, 1 action -> (none)" in dry.stdout
    (plan,) = set(re.findall(r"-p confirm=(PLAN-[0-9a-f]{12})", dry.stdout))
    fixed = opslib("run", "iam-role-setup", "-p", f"confirm={plan}", "--no-progress", runs=tmp_path)
    assert fixed.returncode == 0 and "OK       iam_role_simulated" in fixed.stdout, fixed.stdout
    assert iam.list_role_policies(RoleName="AutoStackTerraformRole")["PolicyNames"] == ["AutoStackMinimalPolicy"]
    assert iam.list_attached_role_policies(RoleName="AutoStackTerraformRole")["AttachedPolicies"] == []

    run_id = ledger(tmp_path)[-1]["run_id"]
    undone = opslib("undo", run_id, "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert f"Look again as run {run_id} looked:\n            opslib run iam-role-setup -p confirm=" not in undone.stdout  # never the confirm
    assert f"Look again as run {run_id} looked:\n            opslib run iam-role-setup\n" in undone.stdout, undone.stdout
    assert sorted(iam.list_role_policies(RoleName="AutoStackTerraformRole")["PolicyNames"]) == ["AutoStackMinimalPolicy", "break-glass"]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="AutoStackTerraformRole")["AttachedPolicies"]] == [arn]


def test_a_restore_drill_cleans_up_when_its_comparison_fails_and_never_touches_a_test_name_it_did_not_make(healthy, aws, tmp_path):
    """Issue 26 (maintenance/restore-drill, seeds 003/004): the database is restored from its newest automated snapshot to a
    real copy, watched creating -> available and timed against the RTO; with credentials that cannot open it the comparison
    is an ERROR row and the test instance is still deleted. A table made by hand under the drill's test name is refused,
    and stays."""
    import re

    from conftest import opslib

    # A sound drill restores both at once, as a recovery would: the table is created while the database is still creating.
    sound = opslib("run", "restore-drill", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert sound.returncode == 0 and sound.stdout.count("OK       restore_drill_cleaned") == 2, sound.stdout
    (db_done,) = re.findall(r"creating \((\d\d:\d\d:\d\d)\) -> available \((\d\d:\d\d:\d\d)\)", sound.stdout)
    (table_done,) = re.findall(r"CREATING \((\d\d:\d\d:\d\d)\) -> ACTIVE \((\d\d:\d\d:\d\d)\)", sound.stdout)
    assert table_done[0] < db_done[1] and db_done[0] < table_done[1], (db_done, table_done)

    ddb, rds = aws.client("dynamodb", "us-west-2"), aws.client("rds", "us-east-1")
    ddb.create_table(TableName="ec2-manager-audit-restore-test", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])  # someone's own table, by that name
    res = opslib("run", "restore-drill", "-p", "confirm=true", "-p", "db_secret=autostack/production/jwt", "--no-progress", runs=tmp_path)
    assert res.returncode == 1, res.stdout
    assert "creating (" in res.stdout and ") -> available (" in res.stdout and "within seed 004's RTO of 60 minutes" in res.stdout
    assert "ERROR    restore_drill_compared" in res.stdout and "not compared (KeyError" in res.stdout
    assert "OK       restore_drill_cleaned          incident-response-restore-test incident-response-restore-test: deleted" in res.stdout
    assert "ec2-manager-audit-restore-test exists: the drill never touches a table it did not make" in res.stdout
    assert [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]] == ["rms-db-prod", "incident-response-prod"]
    assert ddb.describe_table(TableName="ec2-manager-audit-restore-test")["Table"]["TableStatus"] == "ACTIVE"


def test_a_trail_stopped_by_hand_is_named_with_who_stopped_it_and_what_else_they_did(healthy, aws, tmp_path):
    """Issue 26 (security/security-audit, seed 003 "CloudTrail logging enabled"): the RMS trail stopped by hand names who
    stopped it (CloudTrail's event history keeps the StopLogging call whether or not a trail logs) and how to see what
    else they did; Next restarts it rather than sending to security-incident, which reads another system's trail."""
    from conftest import opslib

    ct = aws.client("cloudtrail", "us-east-1")
    ct.stop_logging(Name="RMS")
    res = opslib("run", "security-audit", "--no-progress", runs=tmp_path)
    assert res.returncode == 1, res.stdout
    row = next(line for line in res.stdout.splitlines() if line.startswith("CRITICAL cloudtrail_logging"))
    assert "Trail RMS (us-east-1) is not logging (stopped " in row and " UTC by arn:aws:iam::123456789012:user/moto from " in row, row
    assert "`aws cloudtrail start-logging --name RMS --region us-east-1`" in row
    assert "`aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=Username,AttributeValue=moto`" in row
    said = res.stdout.split("next:")[1]
    assert "A trail was stopped: start it again" in said and "opslib run security-audit" in said and "security-incident" not in said, said
    ct.start_logging(Name="RMS")
    again = opslib("run", "security-audit", "--no-progress", runs=tmp_path)
    assert again.returncode == 0 and "cloudtrail_logging" in again.stdout and "CRITICAL" not in again.stdout, again.stdout


def test_a_rotation_left_halfway_is_named_and_does_not_make_the_old_value_look_new(healthy, aws, tmp_path, monkeypatch):
    """Issue 26 (security/credential-rotation): a new value put as AWSPENDING and never made current (a rotation function
    that failed midway) is a warning with the two ways out; the age is still the current value's (LastChangedDate moved
    with the pending put: a 60-day-old secret looked rotated today)."""
    import os
    import re
    import shlex
    import subprocess
    import sys
    from pathlib import Path

    import opslib_sandbox as sandbox

    sm = aws.client("secretsmanager", "us-east-1")
    name = "autostack/production/jwt"
    new = sm.put_secret_value(SecretId=name, SecretString='{"JWT_SECRET": "x", "SECRET_KEY": "y"}', VersionStages=["AWSPENDING"])["VersionId"]
    rows = judge_in_process("credential-rotation", tmp_path, monkeypatch)
    said = "\n".join(rows)
    assert f"WARN     secret_rotation_pending        {name}" in said and f"version {new[:8]} is AWSPENDING since" in said, said
    assert f"{name} last changed " in said and "(60 days ago)" in said, said  # the value in use, not the pending put
    drop = re.search(r"or drop it: `([^`]+)`", said)[1]
    env = {**os.environ, **{k: v for k, v in sandbox.kernel_env().items() if v is not None}, "AWS_DEFAULT_REGION": "us-east-1"}
    argv = shlex.split(drop)
    subprocess.run([str(Path(sys.executable).parent / argv[0]), *argv[1:]], check=True, env=env, capture_output=True)  # pasted, as the row says
    assert "OK       secret_rotation_pending" in "\n".join(judge_in_process("credential-rotation", tmp_path, monkeypatch))
