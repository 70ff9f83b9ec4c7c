"""Seed 001 serverless "EC2 Manager": stack, Lambda with versions and alias LIVE, audit table,
REST API, CloudFront, Cognito, the versioned web bucket, and their logs."""

import io
import json
import random
import zipfile
from datetime import datetime, timedelta

from .. import world
from ..world import ACCOUNT, EC2M, REGION, put_events

TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "EC2 Manager production (sandbox copy of the processed template)",
    "Parameters": {"Environment": {"Type": "String", "Default": "production"}},
    "Resources": {"NotificationsTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "ec2-manager-notifications-production"}}},
    "Outputs": {"ApiUrl": {"Value": "https://api.example.com/prod"}},
}


HANDLER = "VERSION = {version!r}\n\ndef handler(event, context):\n    return {{'statusCode': 200, 'body': VERSION}}\n"
BROKEN_ACTIONS = """VERSION = {version!r}
ACTIONS = {{}}  # 1.4.0 moved start/stop/reboot into a table it never filled


def handler(event, context):
    if event.get("httpMethod") == "POST":
        return ACTIONS[event["path"].rsplit("/", 1)[-1]](event)
    return {{"statusCode": 200, "body": VERSION}}
"""


def _zip(version: str, source: str = HANDLER) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:  # fixed entry time: same code, same CodeSha256
        z.writestr(zipfile.ZipInfo("index.py", date_time=(2026, 1, 1, 0, 0, 0)), source.format(version=version))
    return buf.getvalue()


CI_USER = "ci-deployer"
CI_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Deploy", "Effect": "Allow", "Resource": "*",
     "Action": ["cloudformation:*", "lambda:UpdateFunctionCode", "lambda:PublishVersion", "lambda:UpdateAlias", "lambda:GetFunction", "lambda:GetAlias",
                "ecs:RegisterTaskDefinition", "ecs:UpdateService", "ecs:DescribeServices", "s3:PutObject", "s3:GetObject",
                "cloudfront:CreateInvalidation", "iam:PassRole"]},
    {"Sid": "RotateOwnKey", "Effect": "Allow", "Resource": f"arn:aws:iam::{ACCOUNT}:user/ci-deployer", "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey"]}]}
# What security-breach's fault widens it to, ten days before the key leaks ("let CI manage the deploy users"): IAM writes on
# every user, a way to make itself an administrator (security-audit names it).
CI_POLICY_WIDENED = {**CI_POLICY, "Statement": [*CI_POLICY["Statement"], {"Sid": "ManageDeployUsers", "Effect": "Allow", "Resource": "*",
                                                                          "Action": ["iam:CreateAccessKey", "iam:PutUserPolicy"]}]}


RELEASE_KEY = f"cloudformation/{EC2M['stack']}/release.json"
PARAMETERS = [{"ParameterKey": "Environment", "ParameterValue": "production"}]


def release_template(version: str) -> dict:
    return {**TEMPLATE, "Description": f"EC2 Manager production {version}"}


def publish_release(c, version: str, template: dict, parameters: list) -> None:
    """What the pipeline keeps of each stack release before deploying it (seed 001's `./scripts/rollback.sh prod previous`
    redeploys the one before): the template and parameters, one version of the release object each."""
    body = json.dumps({"release": version, "stack": EC2M["stack"], "template": template, "parameters": parameters}, indent=1).encode()
    c("s3").put_object(Bucket=EC2M["deploy_bucket"], Key=RELEASE_KEY, Body=body, ContentType="application/json")


def seed(c, now: datetime, rng: random.Random) -> None:
    world.create_bucket(c, EC2M["deploy_bucket"], REGION)
    c("s3").put_bucket_versioning(Bucket=EC2M["deploy_bucket"], VersioningConfiguration={"Status": "Enabled"})
    for version in ("1.2.0", "1.3.0"):
        publish_release(c, version, release_template(version), PARAMETERS)
    c("cloudformation").create_stack(StackName=EC2M["stack"], TemplateBody=json.dumps(release_template("1.3.0")), Parameters=PARAMETERS,
                                     Tags=[{"Key": "system", "Value": "ec2-manager"}])

    iam = c("iam")
    role = iam.create_role(RoleName="ec2-manager-lambda-role-production", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    # seed 001 "Security Hardening" lists the ec2-manager-* policies attached: the function's own, what its actions need
    policy = iam.create_policy(PolicyName="ec2-manager-function-policy-production", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:Query"], "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{EC2M['table']}"},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{EC2M['function']}:*"}]}))
    iam.attach_role_policy(RoleName="ec2-manager-lambda-role-production", PolicyArn=policy["Policy"]["Arn"])
    lam = c("lambda")
    fn = EC2M["function"]
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": _zip("1.0.0")},
                        MemorySize=512, Timeout=30, Environment={"Variables": {"TABLE_NAME": EC2M["table"], "STAGE": "production"}},
                        Tags={"system": "ec2-manager"})
    for version in ("1.0.0", "1.1.0", "1.2.0", "1.3.0"):
        lam.update_function_code(FunctionName=fn, ZipFile=_zip(version))
        lam.publish_version(FunctionName=fn, Description=f"release {version}")
    lam.create_alias(FunctionName=fn, Name="LIVE", FunctionVersion="4", Description="production traffic")

    ddb = c("dynamodb")
    ddb.create_table(TableName=EC2M["table"], BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 25, "WriteCapacityUnits": 25},
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "timestamp", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "timestamp", "KeyType": "RANGE"}])  # seed 001 queries "id = :id"
    ddb.update_continuous_backups(TableName=EC2M["table"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    items = [{"PutRequest": {"Item": {"id": {"S": f"i-0{rng.randrange(16**16):016x}"}, "timestamp": {"S": (now - timedelta(minutes=37 * i)).isoformat()},
                                      "action": {"S": rng.choice(["start", "stop", "reboot", "describe"])}, "user": {"S": rng.choice(["alice", "bob", "ops-bot"])}}}}
             for i in range(50)]
    for i in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={EC2M["table"]: items[i : i + 25]})
    for name in ("ec2-manager-audit-nightly", "ec2-manager-audit-pre-release-1-3"):
        ddb.create_backup(TableName=EC2M["table"], BackupName=name)

    apigw = c("apigateway")
    api = apigw.create_rest_api(name=EC2M["api"], description="EC2 Manager REST API", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")
    for path in ("instances", "health"):
        res = apigw.create_resource(restApiId=api, parentId=root, pathPart=path)["id"]
        apigw.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                              uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn}:LIVE/invocations")
    apigw.create_deployment(restApiId=api, stageName="prod", description="release 1.3.0")

    s3 = c("s3")
    bucket = EC2M["web_bucket"]
    world.create_bucket(c, bucket, REGION)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    for release in ("1.1.0", "1.2.0", "1.3.0"):
        s3.put_object(Bucket=bucket, Key="index.html", Body=f"<html><body>EC2 Manager {release}</body></html>".encode(), ContentType="text/html")
        s3.put_object(Bucket=bucket, Key="static/app.js", Body=f"console.log('ec2-manager {release}');".encode(), ContentType="application/javascript")

    world.create_bucket(c, EC2M["log_export_bucket"], REGION)
    world.create_bucket(c, EC2M["evidence_bucket"], REGION)  # seed 001 "Suspected Security Breach": create-export-task --destination

    c("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": "ec2-manager-web-production", "Comment": "EC2 Manager web (production)", "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": ["app.example.com"]}, "DefaultRootObject": "index.html",
        "Origins": {"Quantity": 1, "Items": [{"Id": "web-bucket", "DomainName": f"{bucket}.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "web-bucket", "ViewerProtocolPolicy": "redirect-to-https", "MinTTL": 0,
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, "TrustedSigners": {"Enabled": False, "Quantity": 0}},
    })

    iam = c("iam")  # the pipeline's user (seed 001 "CI/CD"): deploys, and may rotate its own key
    iam.create_user(UserName=CI_USER, Tags=[{"Key": "purpose", "Value": "GitHub Actions deploys EC2 Manager"}])
    iam.put_user_policy(UserName=CI_USER, PolicyName="deploy", PolicyDocument=json.dumps(CI_POLICY))
    iam.create_access_key(UserName=CI_USER)

    idp = c("cognito-idp")
    pool = idp.create_user_pool(PoolName=EC2M["user_pool"], MfaConfiguration="OFF", Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": True}})["UserPool"]["Id"]
    idp.create_user_pool_client(UserPoolId=pool, ClientName="ec2-manager-web", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                                PreventUserExistenceErrors="ENABLED",
                                AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email"], AllowedOAuthFlowsUserPoolClient=True,
                                CallbackURLs=["https://ec2manager.example.com/auth/callback"], LogoutURLs=["https://ec2manager.example.com/"],
                                SupportedIdentityProviders=["COGNITO"])  # the hosted sign-in page returns here (seed 002 "Scenario 3")
    for user in ("alice", "bob", "carol", "ops-bot"):
        idp.admin_create_user(UserPoolId=pool, Username=user, UserAttributes=[{"Name": "email", "Value": f"{user}@example.com"}], MessageAction="SUPPRESS")

    cw = c("cloudwatch")  # seed 001's alerting table
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:ec2-manager-notifications-production"  # the stack's NotificationsTopic
    for name, namespace, metric, dims, threshold, stat, periods, description in (
        ("ec2-manager-api-latency-high", "AWS/ApiGateway", "Latency", {"ApiName": EC2M["api"]}, 2000, "Average", 3, "High Latency: >2s average for 15 min"),
        ("ec2-manager-api-5xx-high", "AWS/ApiGateway", "5XXError", {"ApiName": EC2M["api"]}, 10, "Sum", 2, "Error rate >10% for >10 minutes"),
        ("ec2-manager-lambda-errors", "AWS/Lambda", "Errors", {"FunctionName": fn}, 5, "Sum", 1, "Lambda Function Errors: >5% error rate"),
        ("ec2-manager-lambda-duration-high", "AWS/Lambda", "Duration", {"FunctionName": fn}, 10000, "Average", 1, "Lambda Duration: warning > 10s"),
        ("ec2-manager-dynamodb-throttling", "AWS/DynamoDB", "ThrottledRequests", {"TableName": EC2M["table"]}, 0, "Sum", 1, "DynamoDB Throttling: > 0"),
    ):
        cw.put_metric_alarm(AlarmName=name, Namespace=namespace, MetricName=metric, Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
                            Statistic=stat, Period=300, EvaluationPeriods=periods, Threshold=threshold, ComparisonOperator="GreaterThanThreshold",
                            AlarmDescription=f"EC2 Manager: {description}", AlarmActions=[topic], OKActions=[topic],  # seed 001: CloudWatch -> SNS -> Slack
                            TreatMissingData="notBreaching" if stat == "Sum" else "missing")

    logs = c("logs")
    for group, retention in ((EC2M["app_log_group"], 30), (EC2M["lambda_log_group"], None), (f"/aws/cognito/{pool}", 90), (EC2M["access_log_group"], 14)):
        logs.create_log_group(logGroupName=group)
        if retention:
            logs.put_retention_policy(logGroupName=group, retentionInDays=retention)
    history = now - timedelta(hours=1)  # the last hour is the traffic model's (traffic.elapse at reset)
    put_events(logs, EC2M["lambda_log_group"], "2026/seed/[4]lambda", [e for e in lambda_lines(now, 24, rng) if e["timestamp"] < history.timestamp() * 1000])
    put_events(logs, EC2M["app_log_group"], "app/seed", app_lines(now, 24, rng))
    put_events(logs, f"/aws/cognito/{pool}", "auth/seed", auth_lines(now, 24, rng, failures_last_5min=0))
    put_events(logs, EC2M["access_log_group"], "access/seed", access_lines(now, 6, rng))
    execution = f"API-Gateway-Execution-Logs_{api}/prod"  # what API Gateway names a stage's execution log group
    logs.create_log_group(logGroupName=execution)
    put_events(logs, execution, "execution/seed", execution_lines(now, 6, rng))
    world.trail(c, REGION, EC2M["trail"], f"ec2-manager-cloudtrail-{ACCOUNT}", now, rng)
    cw.put_dashboard(DashboardName=EC2M["dashboard"], DashboardBody=json.dumps({"widgets": [
        {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {"title": title, "region": REGION, "stat": stat, "period": 300,
                                                                                   "metrics": [[namespace, metric, key, value]]}}
        for title, namespace, metric, key, value, stat in (
            ("API latency", "AWS/ApiGateway", "Latency", "ApiName", EC2M["api"], "p95"), ("API 5xx", "AWS/ApiGateway", "5XXError", "ApiName", EC2M["api"], "Sum"),
            ("Lambda errors", "AWS/Lambda", "Errors", "FunctionName", fn, "Sum"), ("Lambda duration", "AWS/Lambda", "Duration", "FunctionName", fn, "Average"),
            ("DynamoDB throttles", "AWS/DynamoDB", "ThrottledRequests", "TableName", EC2M["table"], "Sum"))]}))


def _ev(t: datetime, message: str) -> dict:
    return {"timestamp": int(t.timestamp() * 1000), "message": message}


def lambda_lines(now: datetime, hours: int, rng: random.Random, error_share: float = 0.002, memory_mb: int = 512,
                 duration_ms: float = 380, used_mb: int = 180) -> list[dict]:
    """START / REPORT (and some ERROR) lines, one invocation every 2 minutes, each taking about
    `duration_ms` and `used_mb` (the sandbox's Invoke answers with the same: `functions.HEALTHY`)."""
    out, t = [], now - timedelta(hours=hours)
    while t < now - timedelta(seconds=20):
        rid = f"{rng.randrange(16**8):08x}-{rng.randrange(16**4):04x}-4{rng.randrange(16**3):03x}-a{rng.randrange(16**3):03x}-{rng.randrange(16**12):012x}"
        duration = max(40.0, rng.gauss(duration_ms, duration_ms * 0.3))
        used = int(min(memory_mb, rng.gauss(used_mb, used_mb * 0.05 + 10)))
        out.append(_ev(t, f"START RequestId: {rid} Version: 4"))
        if rng.random() < error_share:
            out.append(_ev(t + timedelta(milliseconds=duration * 0.8), f"[ERROR]\t{t.isoformat()}Z\t{rid}\tClientError: An error occurred (UnauthorizedOperation) when calling DescribeInstances"))
        out.append(_ev(t + timedelta(milliseconds=duration), f"END RequestId: {rid}"))
        out.append(_ev(t + timedelta(milliseconds=duration + 1), f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\tMemory Size: {memory_mb} MB\tMax Memory Used: {used} MB"))
        t += timedelta(minutes=2)
    return out


def app_lines(now: datetime, hours: int, rng: random.Random, errors_last_hour: int = 1) -> list[dict]:
    """`timestamp request_id LEVEL message` lines (the seed's `[timestamp, request_id, level=ERROR, ...]`)."""
    messages = {"INFO": ["listed instances", "started instance", "stopped instance", "audit record written"],
                "WARN": ["DescribeInstances slow (1200 ms)", "retrying DynamoDB write"], "ERROR": ["DynamoDB write failed: ProvisionedThroughputExceededException", "EC2 call failed: UnauthorizedOperation"]}
    out, t = [], now - timedelta(hours=hours)
    while t < now - timedelta(seconds=30):
        level = "WARN" if rng.random() < 0.03 else "INFO"
        out.append(_ev(t, f"{t.isoformat(timespec='milliseconds')} req-{rng.randrange(16**8):08x} {level} {rng.choice(messages[level])}"))
        t += timedelta(minutes=3)
    for i in range(errors_last_hour):
        when = now - timedelta(minutes=50 - i)
        out.append(_ev(when, f"{when.isoformat(timespec='milliseconds')} req-{rng.randrange(16**8):08x} ERROR {messages['ERROR'][i % 2]}"))
    return sorted(out, key=lambda e: e["timestamp"])


def auth_lines(now: datetime, hours: int, rng: random.Random, failures_last_5min: int) -> list[dict]:
    out, t = [], now - timedelta(hours=hours)
    users = ["alice", "bob", "carol", "ops-bot"]
    while t < now - timedelta(minutes=6):
        outcome = "FAILED" if rng.random() < 0.02 else "SUCCESS"
        out.append(_ev(t, json.dumps({"event": "SignIn", "result": outcome, "user": rng.choice(users), "sourceIp": f"198.51.100.{rng.randrange(2, 60)}"})))
        t += timedelta(minutes=7)
    for i in range(failures_last_5min):
        when = now - timedelta(seconds=280 - i * (270 // max(failures_last_5min, 1)))
        out.append(_ev(when, json.dumps({"event": "SignIn", "result": "FAILED", "user": rng.choice(users + ["admin", "root"]), "sourceIp": "203.0.113.66", "reason": "NotAuthorizedException"})))
    return sorted(out, key=lambda e: e["timestamp"])


def access_lines(now: datetime, hours: int, rng: random.Random, attacker: str | None = None, attack_requests: int = 0) -> list[dict]:
    """API access log lines: `ip - user [time] "METHOD path HTTP/1.1" status bytes ms`."""
    clients = [f"198.51.100.{i}" for i in range(2, 40)]
    paths = ["/prod/instances", "/prod/instances/i-0abc", "/prod/health"]
    out, t = [], now - timedelta(hours=hours)
    while t < now - timedelta(seconds=10):
        status = rng.choices([200, 201, 400, 403, 404, 500, 429], [80, 5, 3, 2, 4, 1, 1])[0]
        out.append(_ev(t, _clf(t, rng.choice(clients), rng.choice(["GET", "POST"]), rng.choice(paths), status, rng)))
        t += timedelta(seconds=20)
    for i in range(attack_requests):
        when = now - timedelta(seconds=600 - i * (590 / max(attack_requests, 1)))
        out.append(_ev(when, _clf(when, attacker, "GET", "/prod/instances", 429 if i > 20 else 200, rng)))
    return sorted(out, key=lambda e: e["timestamp"])


def execution_lines(now: datetime, hours: int, rng: random.Random) -> list[dict]:
    """Execution log lines in the fields seed 001's filter names: `[timestamp, request_id, ip, user, timestamp, method, resource, protocol, status, ...]`."""
    out, t = [], now - timedelta(hours=hours)
    while t < now - timedelta(seconds=10):
        status = rng.choices([200, 201, 400, 403, 404, 500], [85, 5, 3, 3, 3, 1])[0]
        out.append(_ev(t, f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')} {rng.randrange(16**8):08x} 198.51.100.{rng.randrange(2, 40)} - "
                          f"[{t.strftime('%d/%b/%Y:%H:%M:%S +0000')}] {rng.choice(['GET', 'POST'])} /prod/instances HTTP/1.1 {status} {rng.randrange(200, 9000)}"))
        t += timedelta(seconds=45)
    return out


def _clf(t: datetime, ip: str, method: str, path: str, status: int, rng: random.Random) -> str:
    return f'{ip} - - [{t.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "{method} {path} HTTP/1.1" {status} {rng.randrange(200, 9000)} {rng.randrange(20, 400)}ms'
