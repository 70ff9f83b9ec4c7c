"""Seed 003 "RMS": ECS service behind the API, RDS, the application log group, ACM, alarms."""

import hashlib
import json
import random
from datetime import datetime, timedelta

from ..tls import self_signed
from .. import world
from ..world import ACCOUNT, RMS, app_log_lines, create_bucket, put_events

R = RMS["region"]


def seed(c, now: datetime, rng: random.Random) -> None:
    c("sns", R).create_topic(Name=RMS["topic"])  # the RMS team's notices, relayed to their Slack (server._wire_local_endpoints)
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
    # seed 003 "Update ECS Auto-Scaling" puts its target-tracking policy on this; the sandbox holds none yet, because
    # moto (as AWS) then creates its TargetTracking-* alarms, whose scale-in half sits in ALARM on any quiet night
    c("application-autoscaling", R).register_scalable_target(ServiceNamespace="ecs", ResourceId=f"service/{RMS['cluster']}/{RMS['service']}",
                                                             ScalableDimension="ecs:service:DesiredCount", MinCapacity=2, MaxCapacity=10)

    rds = c("rds", R)
    rds.create_db_instance(
        DBInstanceIdentifier=RMS["db"], Engine="postgres", EngineVersion="15.4", DBInstanceClass="db.t3.medium", AllocatedStorage=100,
        MasterUsername="dbadmin", MasterUserPassword="sandbox-only-password", MultiAZ=True, BackupRetentionPeriod=7,
        VpcSecurityGroupIds=[db_sg], StorageEncrypted=True,
    )  # moto files its automated snapshot on creation
    rds.create_db_snapshot(DBInstanceIdentifier=RMS["db"], DBSnapshotIdentifier="rms-db-prod-manual-pre-release-2-14")
    # seed 003's daily rms-db-prod-YYYYMMDD are its automated backups (7 days kept): backups.py takes them, ages.py backdates them

    logs = c("logs", R)
    logs.create_log_group(logGroupName=RMS["log_group"])
    logs.put_retention_policy(logGroupName=RMS["log_group"], retentionInDays=30)
    put_events(logs, RMS["log_group"], "ecs/rms-backend/seed", app_log_lines(now, 24, rng, errors_last_hour=2))
    create_bucket(c, RMS["log_export_bucket"], R)
    world.trail(c, R, RMS["trail"], f"rms-cloudtrail-{ACCOUNT}", now, rng)
    _alb_logs(c, now, rng)
    logs.create_log_group(logGroupName="VPCFlowLogs")  # seed 003 filters it with { $.action = "REJECT" }: flow logs in JSON
    put_events(logs, "VPCFlowLogs", "eni-rms-backend", flow_records(now, 6, rng))

    acm = c("acm", R)
    for domains, days in ((["rms.example.com", "www.rms.example.com"], 74), (["api.rms.example.com"], 74),
                          (["rms-staging.example.com", "api-staging.rms.example.com"], 160)):
        cert, key = self_signed(domains, days, now)
        arn = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
        acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "system", "Value": "rms"}, {"Key": "Name", "Value": domains[0]}])
        if domains[0] == "api.rms.example.com":
            _alb(c, vpc, subnets, arn)
        if domains[0] == "rms.example.com":
            _frontend(c, arn)

    cw = c("cloudwatch", R)
    for name, namespace, metric, dims, threshold, op, stat in (
        ("rms-ecs-cpu-high", "AWS/ECS", "CPUUtilization", {"ClusterName": RMS["cluster"], "ServiceName": RMS["service"]}, 80, "GreaterThanThreshold", "Average"),
        ("rms-ecs-memory-high", "AWS/ECS", "MemoryUtilization", {"ClusterName": RMS["cluster"], "ServiceName": RMS["service"]}, 85, "GreaterThanThreshold", "Average"),
        ("rms-db-connections-high", "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": RMS["db"]}, 80, "GreaterThanThreshold", "Average"),
        ("rms-db-free-storage-low", "AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": RMS["db"]}, 20 * 1024**3, "LessThanThreshold", "Average"),
        ("rms-api-latency-high", "AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": "app/rms-alb-prod/50dc6c495c0c9188"}, 2, "GreaterThanThreshold", "Average"),
        ("rms-api-5xx-high", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", {"LoadBalancer": "app/rms-alb-prod/50dc6c495c0c9188"}, 50, "GreaterThanThreshold", "Sum"),
        ("rms-alb-5xx-high", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", {"LoadBalancer": "app/rms-alb-prod/50dc6c495c0c9188"}, 50, "GreaterThanThreshold", "Sum"),  # no healthy target
    ):
        cw.put_metric_alarm(
            AlarmName=name, Namespace=namespace, MetricName=metric, Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
            Statistic=stat, Period=300, EvaluationPeriods=1, Threshold=threshold, ComparisonOperator=op,
            AlarmDescription=f"RMS: {metric} {op} {threshold} for 5 minutes", TreatMissingData="notBreaching" if stat == "Sum" else "missing",
        )


def alb_log_key(t: datetime) -> str:
    """Where an ALB writes the access log of the 5-minute interval ending at `t`."""
    return (f"AWSLogs/{ACCOUNT}/elasticloadbalancing/{R}/{t:%Y/%m/%d}/{ACCOUNT}_elasticloadbalancing_{R}_app.rms-alb-prod.50dc6c495c0c9188_"
            f"{t:%Y%m%dT%H%M}Z_10.0.1.17_5yxwcmqp.log.gz")  # the node's address and a random string, fixed here


def alb_log_now(now: datetime) -> None:
    """The log of the interval that just ended, as the ALB writes one every 5 minutes (in the
    sandbox's process: `reset` and each tick of the alarm clock call it, so today's prefix is never empty)."""
    interval = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    world.backend("s3", "global").put_object(RMS["alb_logs_bucket"], alb_log_key(interval), b"\x1f\x8b" + bytes(254))


def _alb_logs(c, now: datetime, rng: random.Random) -> None:
    """rms-alb-prod's access logs where an ALB writes them, every 6 hours over the last two days (seed 003's `aws s3 ls`)."""
    create_bucket(c, RMS["alb_logs_bucket"], R)
    s3 = c("s3", R)
    last = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    for hours in range(48, 0, -6):
        s3.put_object(Bucket=RMS["alb_logs_bucket"], Key=alb_log_key(last - timedelta(hours=hours)), Body=bytes(rng.randrange(256) for _ in range(256)))


def flow_records(now: datetime, hours: int, rng: random.Random) -> list[dict]:
    """VPC flow log records as AWS writes them to CloudWatch Logs (the default format, space-separated: version
    account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status),
    a few REJECTed probes among the accepted traffic."""
    out, t = [], now - timedelta(hours=hours)
    while t < now - timedelta(seconds=30):
        rejected = rng.random() < 0.05
        fields = [2, ACCOUNT, "eni-0a1b2c3d4e5f60718", f"203.0.113.{rng.randrange(2, 250)}" if rejected else "10.0.1.15", "10.0.2.31",
                  rng.randrange(1024, 65535), rng.choice([22, 3389, 5432]) if rejected else 8000, 6, rng.randrange(1, 40), rng.randrange(60, 9000),
                  int(t.timestamp()), int(t.timestamp()) + 60, "REJECT" if rejected else "ACCEPT", "OK"]
        out.append({"timestamp": int(t.timestamp() * 1000), "message": " ".join(str(f) for f in fields)})
        t += timedelta(seconds=60)
    return out


ALB_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/rms-alb-prod/50dc6c495c0c9188"  # seed 003's, and the metrics' dimension
LISTENER_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:listener/app/rms-alb-prod/50dc6c495c0c9188/f2f7dc8efc522ab2"


def _alb(c, vpc: str, subnets: list[str], certificate: str) -> None:
    """rms-alb-prod in front of the API: HTTPS with the API's certificate to the backend's target
    group, HTTP redirected. It carries the ARNs seed 003 names (AWS draws them; the sandbox keeps
    the seed's so its commands and the metrics' LoadBalancer dimension find it)."""
    ec2, elb = c("ec2", R), c("elbv2", R)
    sg = ec2.create_security_group(GroupName="rms-alb-sg", Description="RMS ALB: HTTPS from anywhere", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                                                                    for port in (80, 443)])
    drawn = elb.create_load_balancer(Name="rms-alb-prod", Subnets=subnets, SecurityGroups=[sg], Scheme="internet-facing", Type="application",
                                     Tags=[{"Key": "system", "Value": "rms"}])["LoadBalancers"][0]["LoadBalancerArn"]
    backend = world.backend("elbv2", R)
    balancer = backend.load_balancers.pop(drawn)
    balancer.arn = ALB_ARN
    backend.load_balancers[ALB_ARN] = balancer
    group = elb.create_target_group(Name="rms-backend-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip", HealthCheckPath="/health",
                                    HealthCheckIntervalSeconds=30, HealthyThresholdCount=3, UnhealthyThresholdCount=3)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=group, Targets=[{"Id": f"10.0.1.{11 + i}", "Port": 8000} for i in range(3)])
    https = elb.create_listener(LoadBalancerArn=ALB_ARN, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": certificate}],
                                SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])["Listeners"][0]["ListenerArn"]
    listener = balancer.listeners.pop(https)
    listener.arn = LISTENER_ARN
    balancer.listeners[LISTENER_ARN] = listener
    elb.create_listener(LoadBalancerArn=ALB_ARN, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])


def _frontend(c, certificate: str) -> None:
    """The RMS frontend: a bucket behind a CloudFront distribution for rms.example.com (its /health
    is the bucket's health.json, as the distribution serves it: sites.py follows both)."""
    s3 = c("s3", R)
    create_bucket(c, RMS["frontend_bucket"], R)
    s3.put_object(Bucket=RMS["frontend_bucket"], Key="index.html", Body=b"<html><body>RMS 2.14.0</body></html>", ContentType="text/html")
    s3.put_object(Bucket=RMS["frontend_bucket"], Key="health.json", Body=json.dumps({"status": "healthy", "version": "2.14.0"}).encode(),
                  ContentType="application/json")
    c("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": "rms-frontend-production", "Comment": "RMS frontend (production)", "Enabled": True, "DefaultRootObject": "index.html",
        "Aliases": {"Quantity": 2, "Items": ["rms.example.com", "www.rms.example.com"]},
        "Origins": {"Quantity": 1, "Items": [{"Id": "frontend-bucket", "DomainName": f"{RMS['frontend_bucket']}.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "frontend-bucket", "ViewerProtocolPolicy": "redirect-to-https", "MinTTL": 0,
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, "TrustedSigners": {"Enabled": False, "Quantity": 0}},
        "ViewerCertificate": {"ACMCertificateArn": certificate, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
    })
