"""The seeded world: the resources of the five source runbooks, named as the seeds name them.

Seeding goes through boto3 over HTTP, exactly as a script would against AWS (the week of metric
history excepted: it goes straight into the sandbox's CloudWatch); timestamps are relative to now;
ids come from moto's seeded generator at start-up and every reset restores that world (pristine.py).
Each system lives in the region its seed names (`region` in its dict below).
"""

import json
import random
import threading
from datetime import datetime, timedelta, timezone

ACCOUNT = "123456789012"
REGION = "us-west-2"  # the sandbox's default (AWS_DEFAULT_REGION): EC2 Manager's (seed 001), and the web app's (seed 000 names none)
EAST = "us-east-1"  # RMS (seed 003's ARNs, ALB log path, dashboards), the incident-response service (seed 004), AutoStack's state
REGIONS = (EAST, REGION)  # every region the world has something in

RMS = {
    "cluster": "rms-cluster-prod",
    "service": "rms-backend-service-prod",
    "db": "rms-db-prod",
    "log_group": "/aws/ecs/rms-backend-prod",
    "log_export_bucket": f"rms-log-exports-{ACCOUNT}",  # CloudWatch Logs exports only to a bucket in the group's region
    "alb_logs_bucket": "rms-alb-logs",
    "frontend_bucket": f"rms-frontend-prod-{ACCOUNT}",  # seed 003: s3://rms-alb-logs/AWSLogs/<account>/elasticloadbalancing/us-east-1/YYYY/MM/DD/
    "trail": "RMS",  # seed 003: --log-group-name CloudTrail/RMS
    "market_data_parameter": "/rms/prod/market-data-url",  # where the backend finds its upstream (SSM Parameter Store, read per request)
    "market_data_url": "https://market-data.internal.example.com/v2",
    "topic": "rms-notifications-production",  # the RMS team's incident notices (their own relay to Slack)
    "region": EAST,
}
WEBAPP = {"instance_name": "secure-webapp-prod", "security_group": "secure-webapp-sg", "key_name": "secure-webapp-key", "region": REGION}
EC2M = {
    "stack": "EC2Manager-production",
    "function": "ec2-manager-function-prod",
    "table": "ec2-manager-audit-production",
    "api": "ec2-manager-api-production",
    "web_bucket": f"ec2-manager-web-prod-{ACCOUNT}",
    "deploy_bucket": f"ec2-manager-deployments-{ACCOUNT}",  # the pipeline's releases: cloudformation/<stack>/release.json, versioned
    "user_pool": "ec2-manager-users-production",
    "app_log_group": "/aws/ec2-manager/prod",
    "lambda_log_group": "/aws/lambda/ec2-manager-function-prod",
    "access_log_group": "/aws/apigateway/ec2-manager-api-production/access",
    "log_export_bucket": f"ec2-manager-log-exports-{ACCOUNT}",
    "evidence_bucket": "security-incident-logs-bucket",  # seed 001's name for it
    "trail": "ec2-manager-trail-production",
    "dashboard": "EC2Manager-Enhanced-production",  # seed 001: aws cloudwatch get-dashboard
    "region": REGION,
}
AUTOSTACK = {
    "role": "AutoStackTerraformRole",
    "policy": "AutoStackMinimalPolicy",
    "state_bucket": "autostack-tfstate",
    "state_key": "autostack/terraform.tfstate",
    "lock_table": "autostack-tf-locks",
    "backend_log_group": "/autostack/backend",
    "region": EAST,  # the first of the two its IAM policy allows (seed 002)
}
IR = {"db": "incident-response-prod", "cache": "incident-response-cache", "backups_bucket": "backups-incident-response", "queue": "incident-response-jobs",
      "region": EAST}
SITES = {
    # name: (path served, healthy body); the seed 000 /health JSON shape
    "rms-frontend": {"status": "healthy", "version": "2.14.0"},
    "rms-api": {"status": "healthy", "version": "2.14.0"},
    "webapp": {"status": "healthy", "version": "1.8.2"},
}

APP_MESSAGES = {
    "INFO": ["GET /api/v1/portfolios 200", "GET /api/v1/risk/summary 200", "POST /api/v1/positions 201", "cache refresh completed",
             "GET /health 200", "scheduled job risk-recalc finished"],
    "WARN": ["slow query on positions (1450 ms)", "retrying upstream market-data call", "connection pool at 70%"],
    "ERROR": ["Unhandled exception in /api/v1/risk/summary: TimeoutError", "database connection refused: too many clients",
              "upstream market-data returned 502"],
}


def backend(service: str, region: str = REGION):
    """moto's backend of a service for the sandbox account, inside the sandbox process, for what
    AWS's APIs cannot set (ages, running tasks, states a scenario holds)."""
    from moto.backends import get_backend

    return get_backend(service)[ACCOUNT][region]


def instance_named(name: str, region: str = WEBAPP["region"]):
    """The newest EC2 instance (moto's object) tagged Name=`name` and not terminated, or None."""
    newest = None
    for reservation in backend("ec2", region).reservations.values():
        for instance in reservation.instances:
            if any(t["key"] == "Name" and t["value"] == name for t in instance.get_tags()) and instance.state != "terminated":
                newest = instance
    return newest


def clients(url: str):
    import boto3
    from botocore.config import Config

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=20)
    made, lock = {}, threading.Lock()

    def client(service: str, region: str = REGION):
        with lock:  # creating clients is not thread-safe; using them is
            if (service, region) not in made:
                made[service, region] = session.client(service, region_name=region, endpoint_url=url, config=config)
            return made[service, region]

    return client


def app_log_lines(now: datetime, hours: int, rng: random.Random, errors_last_hour: int) -> list[dict]:
    """Application log events, one every 90 s, with a few WARN/ERROR; `errors_last_hour` ERRORs in the last hour."""
    events = []
    t = now - timedelta(hours=hours)
    hour_ago = now - timedelta(hours=1)
    while t < now - timedelta(seconds=30):
        if t < hour_ago and rng.random() < 0.01:
            level = "ERROR"
        else:
            level = "WARN" if rng.random() < 0.05 else "INFO"
        events.append(_event(t, level, rng.choice(APP_MESSAGES[level])))
        t += timedelta(seconds=90)
    for i in range(errors_last_hour):
        when = now - timedelta(minutes=55) + timedelta(seconds=i * (50 * 60 // max(errors_last_hour, 1)))
        events.append(_event(when, "ERROR", APP_MESSAGES["ERROR"][i % 3]))
    return sorted(events, key=lambda e: e["timestamp"])


def _event(t: datetime, level: str, message: str) -> dict:
    return {"timestamp": int(t.timestamp() * 1000), "message": f"{t.isoformat(timespec='milliseconds')} {level} [rms-backend] {message}"}


def put_events(client, group: str, stream: str, events: list[dict]) -> None:
    try:
        client.create_log_stream(logGroupName=group, logStreamName=stream)
    except client.exceptions.ResourceAlreadyExistsException:
        pass
    for i in range(0, len(events), 5000):
        client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i : i + 5000])


def seed(c, now: datetime | None = None) -> None:
    """Every seed's systems and the metric history through the sandbox's clients `c`; same ids and
    data on every call.

    One after the other: moto draws ids from one seeded generator, so the order must not vary.
    """
    from .seeds import SEEDS, metrics

    now = now or datetime.now(timezone.utc)
    for module in (*SEEDS, metrics):
        module.seed(c, now, random.Random(42))
    c("ssm", RMS["region"]).put_parameter(Name=RMS["market_data_parameter"], Value=RMS["market_data_url"], Type="String",
                                          Description="RMS backend: the market-data service it calls for risk figures")  # last: no id drawn before the others


def cloudtrail_events(now: datetime, hours: int, rng: random.Random, region: str, errors_last_hour: int = 2) -> list[dict]:
    """CloudTrail records as a trail delivers them to CloudWatch Logs (one JSON object per event):
    an API call every 2 minutes, and a few denied ones (seeds 001 and 003 look for errorCode)."""
    calls = [("ec2.amazonaws.com", "DescribeInstances"), ("ecs.amazonaws.com", "DescribeServices"), ("logs.amazonaws.com", "FilterLogEvents"),
             ("rds.amazonaws.com", "DescribeDBInstances"), ("sts.amazonaws.com", "AssumeRole"), ("lambda.amazonaws.com", "GetFunction")]
    who = [f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}" for role in ("OpsOnCall/alice", "OpsOnCall/bob", "ci-deployer/github-actions")]

    def record(t: datetime, error: bool) -> dict:
        source, name = rng.choice(calls)
        return cloudtrail_record(t, rng, region, {"type": "AssumedRole", "arn": rng.choice(who), "accountId": ACCOUNT}, source, name,
                                 f"198.51.100.{rng.randrange(2, 60)}", error)

    events, t = [], now - timedelta(hours=hours)
    while t < now - timedelta(minutes=1):
        events.append(record(t, rng.random() < 0.01))
        t += timedelta(minutes=2)
    events += [record(now - timedelta(minutes=50 - 20 * i), True) for i in range(errors_last_hour)]
    return sorted(events, key=lambda e: e["timestamp"])


def cloudtrail_record(t: datetime, rng: random.Random, region: str, identity: dict, source: str, name: str, address: str, error: bool = False,
                      parameters: dict | None = None, user_agent: str = "aws-cli/2.15.0") -> dict:
    """One record as a trail delivers it to CloudWatch Logs (a log event); `error`: refused as AccessDenied."""
    body = {"eventVersion": "1.08", "userIdentity": identity, "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": source, "eventName": name,
            "awsRegion": region, "sourceIPAddress": address, "userAgent": user_agent, "requestID": f"{rng.randrange(16**12):012x}",
            "eventID": f"{rng.randrange(16**12):012x}", "readOnly": name.startswith(("Describe", "List", "Get")), "eventType": "AwsApiCall",
            "recipientAccountId": ACCOUNT, **({"requestParameters": parameters} if parameters else {})}
    if error:
        body |= {"errorCode": "AccessDenied", "errorMessage": f"User is not authorized to perform: {source.split('.')[0]}:{name}"}
    return {"timestamp": int(t.timestamp() * 1000), "message": json.dumps(body)}


def create_bucket(c, name: str, region: str, **kwargs) -> None:
    """A bucket in `region`, asked for as S3 wants it (us-east-1 takes no location constraint)."""
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    c("s3", region).create_bucket(Bucket=name, **where, **kwargs)


def trail(c, region: str, name: str, bucket: str, now: datetime, rng: random.Random) -> str:
    """A trail delivering to S3 and to the log group `CloudTrail/<name>` (seeds 001 and 003), with a day of records; the group's name."""
    group = f"CloudTrail/{name}"
    logs = c("logs", region)
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=90)
    create_bucket(c, bucket, region)
    c("cloudtrail", region).create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=False,
                                         CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{group}:*",
                                         CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role")
    c("cloudtrail", region).start_logging(Name=name)  # it records from here on (trail.py)
    put_events(logs, group, f"{ACCOUNT}_CloudTrail_{region}", cloudtrail_events(now, 24, rng, region))
    return group
