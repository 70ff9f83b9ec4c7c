"""The seeded world: the resources of the five source runbooks, named as the seeds name them.

Seeding goes through boto3 over HTTP, exactly as a script would against AWS; timestamps are
relative to now, ids are fixed by moto's seed.
"""

import random
from datetime import datetime, timedelta, timezone

ACCOUNT = "123456789012"
REGION = "us-west-2"

RMS = {
    "cluster": "rms-cluster-prod",
    "service": "rms-backend-service-prod",
    "db": "rms-db-prod",
    "log_group": "/aws/ecs/rms-backend-prod",
}
SITES = {
    # name: (path served, healthy body); the seed 000 /health JSON shape
    "rms-frontend": {"status": "healthy", "version": "2.14.0"},
    "rms-api": {"status": "healthy", "version": "2.14.0"},
}

APP_MESSAGES = {
    "INFO": ["GET /api/v1/portfolios 200", "GET /api/v1/risk/summary 200", "POST /api/v1/positions 201", "cache refresh completed",
             "GET /health 200", "scheduled job risk-recalc finished"],
    "WARN": ["slow query on positions (1450 ms)", "retrying upstream market-data call", "connection pool at 70%"],
    "ERROR": ["Unhandled exception in /api/v1/risk/summary: TimeoutError", "database connection refused: too many clients",
              "upstream market-data returned 502"],
}


def clients(url: str):
    import boto3
    from botocore.config import Config

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    config = Config(retries={"total_max_attempts": 1})
    return lambda service: session.client(service, endpoint_url=url, config=config)


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
    now = now or datetime.now(timezone.utc)
    rng = random.Random(42)
    c = clients(url)
    seed_rms(c, now, rng)


def seed_rms(c, now: datetime, rng: random.Random) -> None:
    """Seed 003: ECS service behind the API, RDS, the application log group, alarms."""
    ec2 = c("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    sg = ec2.create_security_group(GroupName="rms-backend-sg", Description="RMS backend tasks", VpcId=vpc)["GroupId"]
    db_sg = ec2.create_security_group(GroupName="rms-db-sg", Description="RMS database", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": sg}]}])

    ecs = c("ecs")
    ecs.create_cluster(clusterName=RMS["cluster"])
    for image in ("rms-backend:2.13.1", "rms-backend:2.14.0"):
        ecs.register_task_definition(
            family="rms-backend-prod", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512", memory="1024",
            containerDefinitions=[{"name": "rms-backend", "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{image}",
                                   "portMappings": [{"containerPort": 8000}], "essential": True,
                                   "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": RMS["log_group"], "awslogs-region": REGION}}}],
        )
    ecs.create_service(
        cluster=RMS["cluster"], serviceName=RMS["service"], taskDefinition="rms-backend-prod:2", desiredCount=3, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg], "assignPublicIp": "DISABLED"}},
    )
    # moto starts services with no running tasks; a steady service runs what it wants
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], desiredCount=3)

    rds = c("rds")
    for db, engine_class in ((RMS["db"], "db.t3.medium"), ("incident-response-prod", "db.t3.medium")):
        rds.create_db_instance(
            DBInstanceIdentifier=db, Engine="postgres", EngineVersion="15.4", DBInstanceClass=engine_class, AllocatedStorage=100,
            MasterUsername="dbadmin", MasterUserPassword="sandbox-only-password", MultiAZ=True, BackupRetentionPeriod=7,
            VpcSecurityGroupIds=[db_sg], StorageEncrypted=True,
        )
    rds.create_db_snapshot(DBInstanceIdentifier=RMS["db"], DBSnapshotIdentifier="rms-db-prod-manual-pre-release-2-14")

    logs = c("logs")
    logs.create_log_group(logGroupName=RMS["log_group"])
    logs.put_retention_policy(logGroupName=RMS["log_group"], retentionInDays=30)
    put_events(logs, RMS["log_group"], "ecs/rms-backend/seed", app_log_lines(now, 24, rng, errors_last_hour=2))

    cw = c("cloudwatch")
    for name, namespace, metric, dims, threshold, op, stat in (
        ("rms-ecs-cpu-high", "AWS/ECS", "CPUUtilization", {"ClusterName": RMS["cluster"], "ServiceName": RMS["service"]}, 80, "GreaterThanThreshold", "Average"),
        ("rms-ecs-memory-high", "AWS/ECS", "MemoryUtilization", {"ClusterName": RMS["cluster"], "ServiceName": RMS["service"]}, 85, "GreaterThanThreshold", "Average"),
        ("rms-db-connections-high", "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": RMS["db"]}, 80, "GreaterThanThreshold", "Average"),
        ("rms-db-free-storage-low", "AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": RMS["db"]}, 20 * 1024**3, "LessThanThreshold", "Average"),
        ("rms-api-latency-high", "AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": "app/rms-alb-prod/50dc6c495c0c9188"}, 2, "GreaterThanThreshold", "Average"),
        ("rms-api-5xx-high", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", {"LoadBalancer": "app/rms-alb-prod/50dc6c495c0c9188"}, 50, "GreaterThanThreshold", "Sum"),
    ):
        cw.put_metric_alarm(
            AlarmName=name, Namespace=namespace, MetricName=metric, Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
            Statistic=stat, Period=300, EvaluationPeriods=1, Threshold=threshold, ComparisonOperator=op,
            AlarmDescription=f"RMS: {metric} {op} {threshold} for 5 minutes",
        )
