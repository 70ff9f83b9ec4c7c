"""The sandbox: the five seeds' world, the scenarios as boto3 sees them, snapshot, lifecycle."""

import json
import os
import re
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import opslib
import opslib_sandbox as sandbox
from opslib_sandbox import databases, scenarios, snapshot, world
from opslib_sandbox.seeds import metrics
from opslib_sandbox.world import AUTOSTACK, EC2M, IR, RMS, WEBAPP


def test_world_holds_what_the_catalog_reads(healthy, aws):
    ec2 = aws.client("ec2")
    (web,) = [i for r in ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [WEBAPP["instance_name"]]}])["Reservations"] for i in r["Instances"]]
    (sg,) = ec2.describe_security_groups(GroupNames=[WEBAPP["security_group"]])["SecurityGroups"]
    assert any(p["FromPort"] == 5000 for p in sg["IpPermissions"]) and web["SecurityGroups"][0]["GroupId"] == sg["GroupId"]

    assert aws.client("cloudformation").describe_stacks(StackName=EC2M["stack"])["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    lam = aws.client("lambda")
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=EC2M["function"])["Versions"]]
    assert versions == ["$LATEST", "1", "2", "3", "4"]
    assert lam.get_alias(FunctionName=EC2M["function"], Name="LIVE")["FunctionVersion"] == "4"
    ddb = aws.client("dynamodb")
    east_ddb = aws.client("dynamodb", AUTOSTACK["region"])
    pitr = ddb.describe_continuous_backups(TableName=EC2M["table"])["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    assert len(ddb.list_backups(TableName=EC2M["table"])["BackupSummaries"]) == 2
    assert [a["name"] for a in aws.client("apigateway").get_rest_apis()["items"]] == [EC2M["api"]]
    assert aws.client("cloudfront").list_distributions()["DistributionList"]["Quantity"] == 2  # EC2 Manager's web app and the RMS frontend
    assert [p["Name"] for p in aws.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"]] == [EC2M["user_pool"]]
    s3 = aws.client("s3")
    assert len([v for v in s3.list_object_versions(Bucket=EC2M["web_bucket"], Prefix="index.html")["Versions"]]) == 3

    iam = aws.client("iam")
    assert iam.list_role_policies(RoleName=AUTOSTACK["role"])["PolicyNames"] == [AUTOSTACK["policy"]]  # seed 002: put-role-policy
    assert len(s3.list_object_versions(Bucket=AUTOSTACK["state_bucket"], Prefix=AUTOSTACK["state_key"])["Versions"]) == 4
    assert east_ddb.describe_table(TableName=AUTOSTACK["lock_table"])["Table"]["KeySchema"][0]["AttributeName"] == "LockID"

    svc = aws.client("ecs", RMS["region"]).describe_services(cluster=RMS["cluster"], services=[RMS["service"]])["services"][0]
    assert (svc["desiredCount"], svc["runningCount"]) == (3, 3)
    rds = aws.client("rds", RMS["region"])
    types = sorted(s["SnapshotType"] for s in rds.describe_db_snapshots(DBInstanceIdentifier=RMS["db"])["DBSnapshots"])
    assert types == ["automated"] * 7 + ["manual"]  # seed 003's daily ones (automated backups, 7 days kept) and the pre-release snapshot
    domains = {c["DomainName"] for c in aws.client("acm", RMS["region"]).list_certificates()["CertificateSummaryList"]}
    assert {"rms.example.com", "api.rms.example.com"} <= domains

    assert rds.describe_db_instances(DBInstanceIdentifier=IR["db"])["DBInstances"][0]["DBInstanceStatus"] == "available"
    dumps = s3.list_objects_v2(Bucket=IR["backups_bucket"], Prefix="postgres/")["Contents"]
    assert len(dumps) == (8 if datetime.now(timezone.utc).hour >= 2 else 7)  # a nightly dump a day at 02:00 UTC, a week back (and latest/)

    groups = {g["logGroupName"] for region in world.REGIONS for g in aws.client("logs", region).describe_log_groups()["logGroups"]}
    assert {RMS["log_group"], EC2M["app_log_group"], EC2M["lambda_log_group"], AUTOSTACK["backend_log_group"]} <= groups
    assert {"CloudTrail/RMS", "CloudTrail/ec2-manager-trail-production", "VPCFlowLogs"} <= groups
    assert any(g.startswith("API-Gateway-Execution-Logs_") for g in groups)
    assert [t["Name"] for t in aws.client("cloudtrail", RMS["region"]).describe_trails()["trailList"]] == [RMS["trail"]]
    elb = aws.client("elbv2", RMS["region"])
    (alb,) = elb.describe_load_balancers(Names=["rms-alb-prod"])["LoadBalancers"]
    assert alb["LoadBalancerArn"].endswith("app/rms-alb-prod/50dc6c495c0c9188")  # seed 003's, the metrics' dimension
    https = next(li for li in elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"] if li["Port"] == 443)
    assert https["ListenerArn"].endswith("/f2f7dc8efc522ab2") and https["Certificates"][0]["CertificateArn"].startswith("arn:aws:acm:us-east-1:")
    (target,) = aws.client("application-autoscaling", RMS["region"]).describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (f"service/{RMS['cluster']}/{RMS['service']}", 2, 10)
    assert aws.client("cloudwatch", EC2M["region"]).get_dashboard(DashboardName=EC2M["dashboard"])["DashboardBody"]
    alarms = [a for region in world.REGIONS for a in aws.client("cloudwatch", region).describe_alarms()["MetricAlarms"]]
    assert len(alarms) == 12 and all(a["StateValue"] != "ALARM" for a in alarms)


def test_seven_days_of_metrics_with_a_daily_shape_and_percentiles(healthy, aws):
    end = datetime.now(timezone.utc)
    query = lambda stat: {"Id": "q" + stat.replace(".", ""), "MetricStat": {"Metric": {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Dimensions": [
        {"Name": "ClusterName", "Value": RMS["cluster"]}, {"Name": "ServiceName", "Value": RMS["service"]}]}, "Period": 3600, "Stat": stat}}
    res = aws.client("cloudwatch", RMS["region"]).get_metric_data(MetricDataQueries=[query("Average"), query("p95")], StartTime=end - timedelta(days=7), EndTime=end)
    avg, p95 = res["MetricDataResults"]
    assert len(avg["Values"]) >= 160
    by_hour = {}
    for t, v in zip(avg["Timestamps"], avg["Values"]):
        by_hour.setdefault(t.hour, []).append(v)
    assert sum(by_hour[15]) / len(by_hour[15]) > 2 * sum(by_hour[3]) / len(by_hour[3])  # busy afternoons, quiet nights
    assert all(p >= a * 0.9 for p, a in zip(p95["Values"], avg["Values"]))


def _alarm(aws, name):
    return next(a["StateValue"] for region in world.REGIONS for a in aws.client("cloudwatch", region).describe_alarms(AlarmNames=[name])["MetricAlarms"])


def _recent_max(aws, namespace, metric, dims, minutes=30):
    end = datetime.now(timezone.utc)
    res = aws.client("cloudwatch", metrics.region(dims)).get_metric_statistics(Namespace=namespace, MetricName=metric, Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
                                                         StartTime=end - timedelta(minutes=minutes), EndTime=end, Period=60, Statistics=["Maximum"])
    return max((p["Maximum"] for p in res["Datapoints"]), default=0)


def _recent_values(aws, namespace, metric, dims, minutes=5):
    """The Sums a minute of the last `minutes` (the cache's series live in the incident-response region)."""
    end = datetime.now(timezone.utc)
    res = aws.client("cloudwatch", IR["region"]).get_metric_statistics(Namespace=namespace, MetricName=metric, Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
                                                                      StartTime=end - timedelta(minutes=minutes), EndTime=end, Period=60, Statistics=["Sum"])
    return [p["Sum"] for p in res["Datapoints"]]


def _count(aws, group, pattern, minutes=60):
    end = datetime.now(timezone.utc)
    region = RMS["region"] if group in (RMS["log_group"], AUTOSTACK["backend_log_group"]) else EC2M["region"]
    pages = aws.client("logs", region).get_paginator("filter_log_events").paginate(logGroupName=group, filterPattern=pattern,
                                                                            startTime=int((end - timedelta(minutes=minutes)).timestamp() * 1000))
    return sum(len(p["events"]) for p in pages)


def _site(name):
    try:
        with urllib.request.urlopen(f"{sandbox.url()}/_sandbox/sites/{name}/health") as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _expect_service_down(aws):
    svc = aws.client("ecs", RMS["region"]).describe_services(cluster=RMS["cluster"], services=[RMS["service"]])["services"][0]
    assert (svc["runningCount"], svc["desiredCount"]) == (0, 3)
    assert _site("rms-api")[0] == 503 and _site("webapp")[0] == 502
    status = aws.client("ec2").describe_instance_status()["InstanceStatuses"][0]
    assert status["InstanceStatus"]["Status"] == "impaired" and status["SystemStatus"]["Status"] == "ok"
    assert _alarm(aws, "rms-alb-5xx-high") == "ALARM"  # no target: the load balancer's own 503s


def _expect_ecs_degraded(aws):
    svc = aws.client("ecs", RMS["region"]).describe_services(cluster=RMS["cluster"], services=[RMS["service"]])["services"][0]
    assert (svc["runningCount"], svc["pendingCount"], svc["desiredCount"]) == (1, 2, 3)


def _expect_ecs_rolling(aws):
    svc = aws.client("ecs", RMS["region"]).describe_services(cluster=RMS["cluster"], services=[RMS["service"]])["services"][0]
    assert (svc["runningCount"], svc["pendingCount"], svc["desiredCount"]) == (2, 1, 3)
    assert [(d["status"], d["rolloutState"]) for d in svc["deployments"]] == [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")]
    assert svc["deployments"][0]["taskDefinition"].endswith("task-definition/rms-backend-prod:3")


def _expect_error_spike(aws):
    assert _count(aws, RMS["log_group"], "ERROR") >= 40 and _alarm(aws, "rms-api-5xx-high") == "ALARM"


def _expect_high_latency(aws):
    assert _recent_max(aws, "AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": "app/rms-alb-prod/50dc6c495c0c9188"}) > 2
    assert _recent_max(aws, "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": RMS["db"]}) == 109  # what db.t3.micro allows the application
    assert _recent_max(aws, "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": IR["db"]}) > 80  # the report's cost on the grown table
    assert _alarm(aws, "rms-api-latency-high") == "ALARM" and _alarm(aws, "rms-db-connections-high") == "ALARM"
    assert _alarm(aws, "ec2-manager-api-latency-high") == "OK"  # nothing changed in EC2 Manager
    import redis

    node = aws.client("elasticache", IR["region"]).describe_cache_clusters(CacheClusterId=IR["cache"], ShowCacheNodeInfo=True)["CacheClusters"][0]["CacheNodes"][0]
    assert redis.Redis(host=node["Endpoint"]["Address"], port=node["Endpoint"]["Port"]).dbsize() < databases.CACHE_KEYS  # flushed, partly put back
    hits, misses = (sum(_recent_values(aws, "AWS/ElastiCache", m, {"CacheClusterId": IR["cache"], "CacheNodeId": "0001"})) for m in ("CacheHits", "CacheMisses"))
    assert hits / (hits + misses) < 0.5  # the service's reads since the flush, as CloudWatch counts them


def _expect_dynamodb_throttling(aws):
    assert _recent_max(aws, "AWS/DynamoDB", "ThrottledRequests", {"TableName": EC2M["table"]}) > 5
    assert _count(aws, EC2M["app_log_group"], "ProvisionedThroughputExceededException") >= 30
    assert _alarm(aws, "ec2-manager-dynamodb-throttling") == "ALARM"


def _expect_lambda_errors(aws):
    assert _recent_max(aws, "AWS/Lambda", "Errors", {"FunctionName": EC2M["function"]}) >= 2
    assert _count(aws, EC2M["lambda_log_group"], "ERROR") >= 3
    assert _recent_max(aws, "AWS/Lambda", "Duration", {"FunctionName": EC2M["function"]}) > 10000
    assert _alarm(aws, "ec2-manager-lambda-errors") == "ALARM"
    answer = aws.client("lambda").invoke(FunctionName=EC2M["function"], Qualifier="LIVE", Payload=b'{"test": "data"}')  # seed 001's test invoke fails too
    assert answer["FunctionError"] == "Unhandled" and "UnauthorizedOperation" in answer["Payload"].read().decode()


def _expect_cert_expiring(aws):
    acm = aws.client("acm", RMS["region"])
    arn = next(c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"] if c["DomainName"] == "api.rms.example.com")
    left = acm.describe_certificate(CertificateArn=arn)["Certificate"]["NotAfter"] - datetime.now(timezone.utc)
    assert 4 <= left.days <= 5
    host, port = sandbox.status()["tls_url"].removeprefix("https://").split(":")
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((host, int(port))) as raw, ctx.wrap_socket(raw) as tls:
        from cryptography import x509

        cert = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
    assert 4 <= (cert.not_valid_after_utc - datetime.now(timezone.utc)).days <= 5


def _expect_slack_down(aws):
    request = urllib.request.Request(sandbox.webhook_url(), data=b'{"text": "x"}', headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(request, timeout=10)
    assert failed.value.code == 500


def _expect_credential_overdue(aws):
    secret = aws.client("secretsmanager", AUTOSTACK["region"]).describe_secret(SecretId="autostack/production/google-oauth")
    assert datetime.now(timezone.utc) - secret["LastChangedDate"] > timedelta(days=119)


def _expect_stale_terraform_lock(aws):
    items = {i["LockID"]["S"]: i for i in aws.client("dynamodb", AUTOSTACK["region"]).scan(TableName=AUTOSTACK["lock_table"])["Items"]}
    state = f"{AUTOSTACK['state_bucket']}/{AUTOSTACK['state_key']}"
    assert set(items) == {state, f"{state}-md5"}  # the lock beside the checksum Terraform always keeps
    info = json.loads(items[state]["Info"]["S"])
    age = datetime.now(timezone.utc) - datetime.fromisoformat(info["Created"].replace("Z", "+00:00"))
    assert info["Who"] == "jenkins@ci-runner-7" and age > timedelta(hours=24)


def _expect_bad_deploy(aws):
    assert aws.client("lambda").get_alias(FunctionName=EC2M["function"], Name="LIVE")["FunctionVersion"] == "5"
    svc = aws.client("ecs", RMS["region"]).describe_services(cluster=RMS["cluster"], services=[RMS["service"]])["services"][0]
    assert svc["taskDefinition"].endswith("rms-backend-prod:3") and svc["runningCount"] == 1
    code, body = _site("rms-api")
    assert (code, body["status"], body["version"]) == (200, "degraded", "2.15.0")
    assert aws.client("cloudformation").describe_stacks(StackName=EC2M["stack"])["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    index = aws.client("s3").get_object(Bucket=EC2M["web_bucket"], Key="index.html")["Body"].read().decode()
    assert "EC2 Manager 1.4.0" in index and "app-1.4.0.js" in index  # the web release, whose script is not there
    code, body = _site("webapp")
    assert (code, body["status"], body["version"]) == (500, "unhealthy", "1.9.0")  # the web app's host runs image c7d41f9


def _expect_corrupted_items(aws):
    items = aws.client("dynamodb").scan(TableName=EC2M["table"])["Items"]
    assert sum(i["action"]["S"] == "NaN" and i["user"]["S"] == "undefined" for i in items) == 12


def _expect_security_breach(aws):
    import json

    events = aws.client("logs").filter_log_events(logGroupName=f"CloudTrail/{EC2M['trail']}", filterPattern='{ $.sourceIPAddress = "185.220.101.4" }')["events"]
    records = [json.loads(e["message"]) for e in events]
    assert sum(bool(r.get("errorCode")) for r in records) == 31 and [r["eventName"] for r in records if not r.get("errorCode")] == ["CreateAccessKey", "PutUserPolicy"]
    iam = aws.client("iam", "us-east-1")  # what it did stands in IAM: a second key, a policy allowing everything
    assert len(iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]) == 2 and "break-glass" in iam.list_user_policies(UserName="ci-deployer")["PolicyNames"]


def _expect_auth_failure_burst(aws):
    pool = aws.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    assert _count(aws, f"/aws/cognito/{pool}", "FAILED", minutes=5) >= 25


def _expect_rate_limit_attack(aws):
    assert _count(aws, AUTOSTACK["backend_log_group"], '"203.0.113.77"', minutes=11) >= 600
    assert _count(aws, AUTOSTACK["backend_log_group"], '" 429 "', minutes=11) >= 500


def _expect_backups_missing(aws):
    rds = aws.client("rds", RMS["region"])
    assert rds.describe_db_snapshots(DBInstanceIdentifier=RMS["db"], SnapshotType="automated")["DBSnapshots"] == []  # AWS deletes them at retention 0
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=RMS["db"])["DBInstances"]
    assert db["BackupRetentionPeriod"] == 0 and "LatestRestorableTime" not in db
    pitr = aws.client("dynamodb").describe_continuous_backups(TableName=EC2M["table"])["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "DISABLED"
    newest = max(o["LastModified"] for o in aws.client("s3").list_objects_v2(Bucket=IR["backups_bucket"], Prefix="postgres/")["Contents"])
    assert newest < datetime.now(timezone.utc) - timedelta(hours=26)  # the last two nights' dumps were never written


def _expect_cost_spike(aws):
    from datetime import date

    day = (date.today() - timedelta(days=1)).isoformat()
    res = aws.client("ce").get_cost_and_usage(TimePeriod={"Start": day, "End": date.today().isoformat()}, Granularity="DAILY", Metrics=["UnblendedCost"],
                                              GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}])
    ec2 = next(g for g in res["ResultsByTime"][0]["Groups"] if g["Keys"] == ["Amazon Elastic Compute Cloud - Compute"])
    assert float(ec2["Metrics"]["UnblendedCost"]["Amount"]) > 100
    assert len(aws.client("ec2").describe_volumes(Filters=[{"Name": "status", "Values": ["available"]}])["Volumes"]) == 3
    snaps = aws.client("rds", RMS["region"]).describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert min(s["SnapshotCreateTime"] for s in snaps) < datetime.now(timezone.utc) - timedelta(days=180)


def _expect_access_denied(aws):
    with pytest.raises(Exception, match="AccessDenied"):
        aws.client("rds", RMS["region"]).describe_db_instances()
    assert aws.client("ecs", RMS["region"]).list_clusters()["clusterArns"]


def _expect_throttling_storm(aws):
    from opslib_sandbox import world

    once = world.clients(aws.settings.endpoint_url)("ecs")  # one attempt, no client-side rate limiting
    failures = 0
    for _ in range(30):
        try:
            once.list_clusters()
        except Exception as exc:
            assert "Throttl" in str(exc)
            failures += 1
    assert 3 <= failures <= 20


def _expect_healthy(aws):
    _expect_ecs_healthy = aws.client("ecs", RMS["region"]).describe_services(cluster=RMS["cluster"], services=[RMS["service"]])["services"][0]
    assert _expect_ecs_healthy["runningCount"] == 3 and _site("rms-api")[0] == 200


def _expect_db_connections_exhausted(aws):
    import psycopg

    creds = json.loads(aws.client("secretsmanager", "us-east-1").get_secret_value(SecretId="incident-response/production/database")["SecretString"])
    with pytest.raises(psycopg.OperationalError, match="remaining connection slots are reserved"):
        psycopg.connect(host=creds["host"], port=creds["port"], user=creds["username"], password=creds["password"], dbname=creds["dbname"], connect_timeout=5)
    held = _recent_values(aws, "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": IR["db"]}, minutes=10)
    assert held and min(held) >= databases.MAX_CONNECTIONS - 5  # what the real server holds open, as RDS counts it


def _expect_failed_deployment(aws):
    ecs = aws.client("ecs", RMS["region"])
    svc = ecs.describe_services(cluster=RMS["cluster"], services=[RMS["service"]])["services"][0]
    new, old = svc["deployments"]
    assert (new["rolloutState"], new["failedTasks"], old["runningCount"], svc["runningCount"]) == ("FAILED", 3, 3, 3)
    arns = ecs.list_tasks(cluster=RMS["cluster"], serviceName=RMS["service"], desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster=RMS["cluster"], tasks=arns)["tasks"]
    assert len(tasks) == 3 and {(t["stopCode"], t["containers"][0]["exitCode"]) for t in tasks} == {("EssentialContainerExited", 1)}
    stream = f"ecs/rms-backend/{tasks[0]['taskArn'].rsplit('/', 1)[-1]}"
    events = aws.client("logs", RMS["region"]).get_log_events(logGroupName=RMS["log_group"], logStreamName=stream)["events"]
    assert events[-1]["message"] == "KeyError: 'DATABASE_URL'"


@pytest.mark.parametrize("name", sorted(scenarios.REGISTRY))
def test_each_scenario_produces_the_state_it_claims(healthy, aws, name):
    opslib("sandbox", "scenario", name).check_returncode()
    assert sandbox.status()["scenario"] == name
    globals()[f"_expect_{name.replace('-', '_')}"](aws)


def test_scenarios_list_what_they_change_and_who_catches_them():
    out = opslib("sandbox", "scenarios").stdout
    assert len(scenarios.REGISTRY) >= 15
    for name in ("healthy", "service-down", "error-spike", "high-latency", "ecs-degraded", "dynamodb-throttling", "lambda-errors", "cert-expiring",
                 "stale-terraform-lock", "bad-deploy", "auth-failure-burst", "rate-limit-attack", "backups-missing", "access-denied", "throttling-storm"):
        assert name in scenarios.REGISTRY and name in out
    res = opslib("sandbox", "scenario", "eror-spike")
    assert res.returncode == 2 and "did you mean 'error-spike'" in res.stderr


def test_snapshot_shows_exactly_what_changed_and_reset_restores_it(healthy, tmp_path):
    before = tmp_path / "before.json"
    assert opslib("sandbox", "snapshot", str(before)).returncode == 0
    opslib("sandbox", "scenario", "stale-terraform-lock").check_returncode()
    during = snapshot.take(sandbox.url())
    baseline = json.loads(before.read_text())
    changed = {k for k in baseline if baseline[k] != during[k]}
    assert changed == {"dynamodb", "sandbox"}
    opslib("sandbox", "reset").check_returncode()
    assert snapshot.take(sandbox.url()) == baseline


def test_reset_equals_a_fresh_sandbox_and_down_leaves_nothing(healthy, tmp_path):
    sandbox.control("scenario/bad-deploy")
    sandbox.control("reset")
    mine = snapshot.take(sandbox.url())
    env = dict(os.environ, OPSLIB_SANDBOX_DIR=str(tmp_path / "fresh"))
    code = ("import json, sys; import opslib_sandbox as sandbox; from opslib_sandbox import snapshot; "
            "url = sandbox.up(); st = sandbox.status(); print(json.dumps({'pid': st['pid'], 'url': url, 'tls': st['tls_url'], 'dbs': st['databases'], 'snap': snapshot.take(url)}))")
    down = lambda: subprocess.run([sys.executable, "-m", "opslib.cli", "sandbox", "down"], env=env, capture_output=True, text=True).stdout.strip()  # noqa: E731
    try:
        fresh = json.loads(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=180).stdout)
        assert fresh["snap"] == mine
        data = Path(json.loads((tmp_path / "fresh" / "databases.json").read_text())["postgres"]["data"])
        assert data.is_dir()
    finally:  # a failed comparison must not leave a sandbox and its databases running
        stopped = down()
    assert stopped == "sandbox stopped"
    with pytest.raises(OSError):
        os.kill(fresh["pid"], 0)
    assert not fresh["dbs"]["missing"] and not data.exists()  # PostgreSQL and Redis ran beside it (.ci/run installs them) ...
    for address in (fresh["url"], fresh["tls"], f"//{fresh['dbs']['postgres']}", f"//{fresh['dbs']['redis']}"):  # ... and stopped with it
        host, port = address.split("//")[1].split(":")
        with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=2):
            pass


def test_aws_cli_pointed_by_sandbox_env_sees_the_same_world(healthy):
    """As a person would: `eval "$(opslib sandbox env)"`, then the seeds' commands as written, in a
    script too (aws-cli v1 ignores AWS_ENDPOINT_URL for RDS in us-east-1, where RMS runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PATH"] = f"{os.path.dirname(sys.executable)}:{env.get('PATH', '')}"
    script = (f'eval "$({sys.executable} -m opslib.cli sandbox env)" && '
              'bash -c \'aws rds describe-db-instances --region us-east-1 --query "DBInstances[].DBInstanceIdentifier" --output text\'')
    res = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.split()) == sorted([RMS["db"], IR["db"]])


def test_scenario_without_a_name_says_how_to_name_one(sandbox_url):
    from conftest import opslib

    res = opslib("sandbox", "scenario")
    assert res.returncode == 2
    assert res.stderr.strip() == "opslib: no scenario named: write `opslib sandbox scenario NAME`; `opslib sandbox scenarios` lists them"


def test_the_run_that_starts_the_sandbox_says_so_and_leaves_it_up(sandbox_url, tmp_path):
    from conftest import FIXTURES, opslib

    env = {"OPSLIB_SANDBOX_DIR": str(tmp_path / "own-sandbox")}
    try:
        first = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "runs", env=env)
        assert first.returncode == 0, first.stderr
        assert re.search(r"^opslib: started the sandbox at http://127\.0\.0\.1:\d+ in \d+ s; it stays up for the next runs "
                         r"\(`opslib sandbox down` stops it\)$", first.stderr, re.M), first.stderr
        second = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "runs", env=env)
        assert second.returncode == 0 and "started the sandbox" not in second.stderr
    finally:
        assert opslib("sandbox", "down", env=env).stdout.strip() == "sandbox stopped"


def test_a_reset_moves_the_seeded_world_on_with_the_clock(healthy, aws):
    """reset restores the world seeded at start-up, its times moved on by the time since: the
    newest log line and datapoint move with the clock, and a line's own text keeps its time. (A
    reset with nothing written since a full one minutes ago keeps the world as it is: see below.)"""
    import time

    logs, cw = aws.client("logs", RMS["region"]), aws.client("cloudwatch", RMS["region"])

    def newest():
        stream = logs.describe_log_streams(logGroupName=RMS["log_group"], orderBy="LastEventTime", descending=True, limit=1)["logStreams"][0]
        event = logs.get_log_events(logGroupName=RMS["log_group"], logStreamName=stream["logStreamName"], limit=1, startFromHead=False)["events"][-1]
        now = datetime.now(timezone.utc)
        points = cw.get_metric_statistics(Namespace="AWS/RDS", MetricName="ReadLatency", StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1),
                                          Period=1, Statistics=["Maximum"], Dimensions=[{"Name": "DBInstanceIdentifier", "Value": IR["db"]}])["Datapoints"]  # a seeded series (the traffic model writes whole minutes)
        return event, max(p["Timestamp"] for p in points)

    def touch():  # something for the reset to undo: a full reset, not the quick one
        aws.client("s3").put_object(Bucket="autostack-tfstate", Key="stray.txt", Body=b"x")

    touch()
    began = time.monotonic()
    sandbox.control("reset")
    event, point = newest()
    time.sleep(3)
    touch()
    sandbox.control("reset")
    elapsed = time.monotonic() - began
    later_event, later_point = newest()
    assert 3 <= (later_event["timestamp"] - event["timestamp"]) / 1000 <= elapsed
    assert 3 <= (later_point - point).total_seconds() <= elapsed + 1  # datapoints keep whole seconds
    written = datetime.fromisoformat(later_event["message"].split(" ")[0]).replace(tzinfo=timezone.utc)
    assert abs(written.timestamp() * 1000 - later_event["timestamp"]) < 1000


def test_a_reset_with_nothing_written_keeps_the_world_and_one_after_a_write_undoes_it(healthy, aws):
    """Reading never dirties the world, so the reset before the next test can skip restoring it."""
    assert sandbox.status()["changed"] is False
    aws.client("s3").list_buckets()
    aws.client("logs", "us-east-1").filter_log_events(logGroupName="/aws/ecs/rms-backend-prod", limit=5)
    assert sandbox.status()["changed"] is False
    aws.client("s3").put_object(Bucket="autostack-tfstate", Key="stray.txt", Body=b"x")
    assert sandbox.status()["changed"] is True
    sandbox.control("reset")
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket="autostack-tfstate").get("Contents", [])]
    assert "stray.txt" not in keys and sandbox.status()["changed"] is False


def test_moto_is_the_version_the_sandbox_patches_and_a_moved_internal_is_named(monkeypatch):
    """Issue 24: the sandbox patches some twenty moto internals; moto is pinned to their minor version, and a moto
    that moved one refuses to start the sandbox naming the patch (never a wrong answer later)."""
    from importlib.metadata import version

    import pytest
    from moto.cloudwatch import models

    from opslib_sandbox import backend_fixes

    assert version("moto").startswith(backend_fixes.MOTO + "."), f"moto {version('moto')}: pyproject pins ~={backend_fixes.MOTO}"
    assert backend_fixes.missing() == []
    monkeypatch.delattr(models.CloudWatchBackend, "get_filtered_metrics")  # as a moto that renamed it
    assert backend_fixes.missing() == ["_list_metrics_fix: moto.cloudwatch.models.CloudWatchBackend.get_filtered_metrics"]
    with pytest.raises(RuntimeError, match="gone: _list_metrics_fix: moto.cloudwatch.models.CloudWatchBackend.get_filtered_metrics: install moto~=5.2.6"):
        backend_fixes.apply()


def test_elapse_lets_the_world_stand_and_refuses_what_is_not_minutes(healthy, aws):
    """`opslib sandbox elapse MINUTES`: after a fault made by hand, its minutes follow from the world; bad input is exit 2, one line."""
    for bad in ("abc", "0", "500", "-3"):
        res = opslib("sandbox", "elapse", bad)
        assert res.returncode == 2 and res.stderr.count("\n") == 1 and "write `opslib sandbox elapse 20`" in res.stderr, res.stderr
    aws.client("ecs", RMS["region"]).update_service(cluster=RMS["cluster"], service=RMS["service"], desiredCount=0)
    from conftest import eventually

    eventually(lambda: _site("rms-api")[0], lambda code: code == 503)
    res = opslib("sandbox", "elapse", "15")
    assert res.returncode == 0, res.stderr
    end = datetime.now(timezone.utc)
    points = aws.client("cloudwatch", RMS["region"]).get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName="HTTPCode_ELB_5XX_Count", Dimensions=[{"Name": "LoadBalancer", "Value": "app/rms-alb-prod/50dc6c495c0c9188"}],
        StartTime=end - timedelta(minutes=15), EndTime=end, Period=60, Statistics=["Sum"])["Datapoints"]
    assert len(points) >= 15 and all(p["Sum"] > 0 for p in points)  # every minute of them: the load balancer's own 503s
