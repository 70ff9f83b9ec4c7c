"""The seeded world: the resources of the five source runbooks, named as the seeds name them.

Seeding goes through boto3 over HTTP, exactly as a script would against AWS; timestamps are
relative to now, ids are fixed by moto's seed.
"""

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
    "region": EAST,
}
WEBAPP = {"instance_name": "secure-webapp-prod", "security_group": "secure-webapp-sg", "key_name": "secure-webapp-key", "region": REGION}
EC2M = {
    "stack": "EC2Manager-production",
    "function": "ec2-manager-function-prod",
    "table": "ec2-manager-audit-production",
    "api": "ec2-manager-api-production",
    "web_bucket": f"ec2-manager-web-prod-{ACCOUNT}",
    "user_pool": "ec2-manager-users-production",
    "app_log_group": "/aws/ec2-manager/prod",
    "lambda_log_group": "/aws/lambda/ec2-manager-function-prod",
    "access_log_group": "/aws/apigateway/ec2-manager-api-production/access",
    "log_export_bucket": f"ec2-manager-log-exports-{ACCOUNT}",
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


def seed(url: str, now: datetime | None = None) -> None:
    """Every seed's systems and the metric history; same ids and data on every call.

    One after the other: moto draws ids from one seeded generator, so the order must not vary.
    """
    from .seeds import SEEDS, metrics

    now = now or datetime.now(timezone.utc)
    c = clients(url)
    for module in (*SEEDS, metrics):
        module.seed(c, now, random.Random(42))
