"""Seed 003 "RMS": ECS service behind the API, RDS, the application log group, ACM, alarms."""

import hashlib
import json
import random
from datetime import datetime, timedelta

from ..tls import self_signed
from .. import world
from ..world import ACCOUNT, RMS, app_log_lines, put_events

R = RMS["region"]


def seed(c, now: datetime, rng: random.Random) -> None:
    ec2 = c("ec2", R)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    sg = ec2.create_security_group(GroupName="rms-backend-sg", Description="RMS backend tasks", VpcId=vpc)["GroupId"]
    db_sg = ec2.create_security_group(GroupName="rms-db-sg", Description="RMS database", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": sg}]}])

    ecr = c("ecr", R)  # the images the task definitions name: a tag missing here cannot be pulled (rollouts)
    ecr.create_repository(repositoryName="rms-backend")
    for tag in ("2.13.1", "2.14.0", "2.15.0"):
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                               "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                                          "digest": "sha256:" + hashlib.sha256(tag.encode()).hexdigest()}, "layers": []})
        ecr.put_image(repositoryName="rms-backend", imageManifest=manifest, imageTag=tag)

    ecs = c("ecs", R)
    ecs.create_cluster(clusterName=RMS["cluster"])
    for image in ("rms-backend:2.13.1", "rms-backend:2.14.0"):
        ecs.register_task_definition(
            family="rms-backend-prod", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512", memory="1024",
            containerDefinitions=[{"name": "rms-backend", "image": f"{ACCOUNT}.dkr.ecr.{R}.amazonaws.com/{image}",
                                   "portMappings": [{"containerPort": 8000}], "essential": True,
                                   "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": RMS["log_group"], "awslogs-region": R}}}],
        )
    ecs.create_service(
        cluster=RMS["cluster"], serviceName=RMS["service"], taskDefinition="rms-backend-prod:2", desiredCount=3, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg], "assignPublicIp": "DISABLED"}},
    )
    # moto starts services with no running tasks; a steady service runs what it wants
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], desiredCount=3)

    rds = c("rds", R)
    rds.create_db_instance(
        DBInstanceIdentifier=RMS["db"], Engine="postgres", EngineVersion="15.4", DBInstanceClass="db.t3.medium", AllocatedStorage=100,
        MasterUsername="dbadmin", MasterUserPassword="sandbox-only-password", MultiAZ=True, BackupRetentionPeriod=7,
        VpcSecurityGroupIds=[db_sg], StorageEncrypted=True,
    )  # moto files its automated snapshot on creation
    rds.create_db_snapshot(DBInstanceIdentifier=RMS["db"], DBSnapshotIdentifier="rms-db-prod-manual-pre-release-2-14")
    for days_ago in range(1, 8):  # seed 003 "Backup and Recovery Testing": a snapshot a day, rms-db-prod-YYYYMMDD (aged by ages.py)
        day = now - timedelta(days=days_ago)
        rds.create_db_snapshot(DBInstanceIdentifier=RMS["db"], DBSnapshotIdentifier=f"{RMS['db']}-{day:%Y%m%d}")

    logs = c("logs", R)
    logs.create_log_group(logGroupName=RMS["log_group"])
    logs.put_retention_policy(logGroupName=RMS["log_group"], retentionInDays=30)
    put_events(logs, RMS["log_group"], "ecs/rms-backend/seed", app_log_lines(now, 24, rng, errors_last_hour=2))
    c("s3", R).create_bucket(Bucket=RMS["log_export_bucket"])
    world.trail(c, R, RMS["trail"], f"rms-cloudtrail-{ACCOUNT}", now, rng)
    _alb_logs(c("s3", R), now, rng)
    logs.create_log_group(logGroupName="VPCFlowLogs")  # seed 003 filters it with { $.action = "REJECT" }: flow logs in JSON
    put_events(logs, "VPCFlowLogs", "eni-rms-backend", flow_records(now, 6, rng))

    acm = c("acm", R)
    for domains, days in ((["rms.example.com", "www.rms.example.com"], 74), (["api.rms.example.com"], 74),
                          (["rms-staging.example.com", "api-staging.rms.example.com"], 160)):
        cert, key = self_signed(domains, days, now)
        arn = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
        acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "system", "Value": "rms"}, {"Key": "Name", "Value": domains[0]}])

    cw = c("cloudwatch", R)
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
            AlarmDescription=f"RMS: {metric} {op} {threshold} for 5 minutes", TreatMissingData="notBreaching" if stat == "Sum" else "missing",
        )


def _alb_logs(s3, now: datetime, rng: random.Random) -> None:
    """rms-alb-prod's access logs where an ALB writes them, for yesterday and today (seed 003's `aws s3 ls`)."""
    s3.create_bucket(Bucket=RMS["alb_logs_bucket"])
    for day in (now - timedelta(days=1), now):
        prefix = f"AWSLogs/{ACCOUNT}/elasticloadbalancing/{R}/{day:%Y/%m/%d}/"
        for hour in range(0, 24, 6):
            stamp = day.replace(hour=hour, minute=5, second=0)
            if stamp > now:
                break
            key = f"{prefix}{ACCOUNT}_elasticloadbalancing_{R}_app.rms-alb-prod.50dc6c495c0c9188_{stamp:%Y%m%dT%H%MZ}_10.0.1.{rng.randrange(2, 250)}_{rng.randrange(16**8):08x}.log.gz"
            s3.put_object(Bucket=RMS["alb_logs_bucket"], Key=key, Body=bytes(rng.randrange(256) for _ in range(256)))


def flow_records(now: datetime, hours: int, rng: random.Random) -> list[dict]:
    """VPC flow log records in JSON, a few REJECTed probes among the accepted traffic."""
    out, t = [], now - timedelta(hours=hours)
    while t < now - timedelta(seconds=30):
        rejected = rng.random() < 0.05
        record = {"version": 2, "account-id": ACCOUNT, "interface-id": "eni-0a1b2c3d4e5f60718", "srcaddr": f"203.0.113.{rng.randrange(2, 250)}" if rejected else "10.0.1.15",
                  "dstaddr": "10.0.2.31", "srcport": rng.randrange(1024, 65535), "dstport": rng.choice([22, 3389, 5432]) if rejected else 8000, "protocol": 6,
                  "packets": rng.randrange(1, 40), "bytes": rng.randrange(60, 9000), "start": int(t.timestamp()), "end": int(t.timestamp()) + 60,
                  "action": "REJECT" if rejected else "ACCEPT", "log-status": "OK"}
        out.append({"timestamp": int(t.timestamp() * 1000), "message": json.dumps(record)})
        t += timedelta(seconds=60)
    return out
