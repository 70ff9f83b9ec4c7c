"""Named incidents the sandbox can be switched into, for drills and tests.

Each scenario says what it changes and which notebooks must catch it. Where moto cannot hold
the state (ECS running count, fault answers), the scenario sets it in the server's own backend
or at its HTTP boundary, so boto3 sees what AWS would send.
"""

import contextlib
import functools
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from botocore.config import Config
from botocore.exceptions import ClientError

from . import functions, hosts, rollouts, trail, traffic, transitions, world
from .seeds import ec2manager
from .world import AUTOSTACK, EC2M, IR, RMS, WEBAPP


@dataclass(frozen=True)
class Scenario:
    name: str
    changes: str
    caught_by: tuple[str, ...]  # the plan: notebooks that must catch it, built or still to come
    apply: Callable

    def caught_now(self, known) -> tuple[str, ...]:
        """The notebooks of the plan that exist: the only ones a responder may be sent to."""
        return tuple(n for n in self.caught_by if n in known)


REGISTRY: dict[str, Scenario] = {}


def scenario(name: str, changes: str, caught_by: tuple[str, ...]):
    def register(fn):
        REGISTRY[name] = Scenario(name, changes, caught_by, fn)
        return fn

    return register


def _now() -> datetime:
    return datetime.now(timezone.utc)


def overnight_flaps() -> None:
    """A quiet night still has history: RMS CPU alarmed for 20 minutes around 6 hours ago, back OK since."""
    alarm = world.backend("cloudwatch", RMS["region"]).alarms["rms-ecs-cpu-high"]
    alarm.update_state("Threshold Crossed: 1 datapoint [86.4] > 80.0", None, "ALARM")
    alarm.update_state("Threshold Crossed: 1 datapoint [41.2] was not greater than 80.0", None, "OK")
    now = _now().replace(tzinfo=None)  # moto keeps naive UTC
    kind, reason, data, value, _ = alarm.history[-1]
    alarm.history[-1] = (kind, reason, data, value, now - timedelta(hours=6, minutes=5))
    alarm.state_updated_timestamp = now - timedelta(hours=5, minutes=45)


def _rms_service():
    """(ECS backend, the RMS backend service) for the rollouts model."""
    ecs = world.backend("ecs", RMS["region"])
    return ecs, ecs.services[f"{RMS['cluster']}:{RMS['service']}"]


def _release(ecs, tag: str) -> str:
    """A new revision of the RMS task definition running image `tag`; its ARN."""
    base = ecs.describe_task_definition(taskDefinition="rms-backend-prod:2")["taskDefinition"]
    container = dict(base["containerDefinitions"][0], image=base["containerDefinitions"][0]["image"].replace("2.14.0", tag))
    return ecs.register_task_definition(family="rms-backend-prod", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512",
                                        memory="1024", containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]


def ecs_running(count: int) -> None:
    """Only `count` of the RMS service's tasks stay up; the others crash as ECS starts them (rollouts)."""
    rollouts.hold(*_rms_service(), count)


@scenario("healthy", "Nothing: the seeded world as it runs on a good day.", ())
def healthy(state, c):
    pass


@scenario("service-down", "RMS backend runs 0 of 3 tasks, for 10 minutes now (its API /health answers 503, and so does its load balancer "
          "to every request: rms-alb-5xx-high in ALARM); the web app's instance fails its "
          "status checks and its container `webapp` exited (137, out of memory) (so its /health answers 502).",
          ("daily-health-check", "service-down", "app-health", "alarm-review"))
def service_down(state, c):
    ecs_running(0)  # the API's /health and the web app's follow (sites.py)
    instance = world.instance_named(WEBAPP["instance_name"])
    instance.opslib_status = {"instance": "impaired", "system": "ok"}
    stopped = _now() - timedelta(minutes=12)
    instance.opslib_host = {"webapp": {"image": f"{hosts.REPOSITORY}:latest", "state": "exited", "exit_code": 137, "oom": True,
                                       "restarts": 3, "created": stopped - timedelta(days=3), "started": stopped - timedelta(minutes=9), "finished": stopped}}
    traffic.elapse(10)  # the load balancer's 503s, the alarm on them: from the model


@scenario("ecs-degraded", "RMS backend runs 1 of 3 tasks (2 pending).", ("daily-health-check",))
def ecs_degraded(state, c):
    ecs_running(1)


@scenario("ecs-rolling", "RMS backend deploys a new task definition (update-service) whose tasks take minutes to start; "
          "2 of 3 tasks run while the deployment is IN_PROGRESS (capacity for 2).", ("daily-health-check",))
def ecs_rolling(state, c):
    ecs = c("ecs", RMS["region"])
    new = _release(ecs, "2.15.0")
    ecs_running(2)
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], taskDefinition=new)
    rollouts.slow(*_rms_service(), 60)  # a large image: minutes a task


@scenario("error-spike", "20 minutes ago someone pointed RMS's market-data upstream (SSM /rms/prod/market-data-url) at a host that answers 502, "
          "by hand, with no deployment: the 15% of the ALB's requests that need a risk figure fail since, each an ERROR line in the RMS "
          "application log (40 in the hour); rms-api-5xx-high in ALARM.",
          ("daily-health-check", "high-error-rate", "log-search", "alarm-review"))
def error_spike(state, c):
    c("ssm", RMS["region"]).put_parameter(Name=RMS["market_data_parameter"], Value="https://market-data-staging.internal.example.com/v2", Type="String",
                                          Overwrite=True)
    traffic.elapse(20)  # the failed requests, their log lines and the alarm: from the model


@scenario("high-latency", "Half an hour ago someone moved rms-db-prod to a smaller class by hand (modify-db-instance, db.t3.medium to "
          "db.t3.micro): its working set no longer fits in memory, so each query reads from storage, the application's connections pile "
          "up to what the class allows (rms-db-connections-high) and requests wait for one: the ALB's response time is seconds "
          "(rms-api-latency-high). Behind the incident-response service: its alerts table grew tenfold past a report that counts each "
          "incident's alerts with no index to use (tenths of a second a call, in the real PostgreSQL's pg_stat_statements; the "
          "database's CPU follows its statements' cost to the top), and its cache flushed 5 minutes ago (about a quarter of reads hit "
          "since, as the service puts keys back).",
          ("high-latency", "performance-review", "alarm-review"))
def high_latency(state, c):
    with trail.at(_now() - timedelta(minutes=31)):
        c("rds", RMS["region"]).modify_db_instance(DBInstanceIdentifier=RMS["db"], DBInstanceClass="db.t3.micro", ApplyImmediately=True)
    transitions.settle_now(world.backend("rds", RMS["region"]).databases[RMS["db"]])  # the half hour since: long applied
    if state.databases:
        state.databases.outgrow_index()
    traffic.elapse(30)  # latency, connections, CPU and the alarms on them: from the model
    if state.databases:
        state.databases.flush_cache()
    traffic.elapse(4)  # the cache's hits and misses since the flush


@scenario("dynamodb-throttling", "The audit table's write capacity was lowered to 1 unit by hand half an hour ago (update-table): its writes are "
          "throttled every minute since (ThrottledRequests, ProvisionedThroughputExceededException in the EC2 Manager log), and one instance id "
          "takes most of the recent writes (a runaway poller).", ("dynamodb-throttling", "performance-review", "alarm-review"))
def dynamodb_throttling(state, c):
    ddb = c("dynamodb")
    now = _now()
    hot = [{"PutRequest": {"Item": {"id": {"S": "i-0a1b2c3d4e5f60718"}, "timestamp": {"S": (now - timedelta(seconds=27 * n)).isoformat()},
                                    "action": {"S": "describe"}, "user": {"S": "ops-bot"}}}} for n in range(60)]  # a runaway poller: one instance, every 27 s
    for i in range(0, len(hot), 25):  # written while the table still had its 25 units
        ddb.batch_write_item(RequestItems={EC2M["table"]: hot[i : i + 25]})
    ddb.update_table(TableName=EC2M["table"], ProvisionedThroughput={"ReadCapacityUnits": 25, "WriteCapacityUnits": 1})
    traffic.elapse(30)  # the throttling, the log lines and the alarm: from the model


@scenario("lambda-errors", "ec2-manager-function-prod fails 15% of invocations (UnauthorizedOperation: its role lost "
          "ec2:DescribeInstances), and so does a test invoke; runs near its 512 MB and 12 s for the last hour.", ("lambda-errors", "performance-review", "high-error-rate", "alarm-review"))
def lambda_errors(state, c):
    functions.break_function(EC2M["function"], EC2M["region"], functions.DENIED, 11800, 496, share=0.15)
    traffic.elapse(60)  # its errors, duration, log lines and the alarms on them: from the model


@scenario("cert-expiring", "api.rms.example.com's certificate (imported into ACM: ACM does not renew it) was last re-imported with one "
          "that expires in 5 days; the load balancer's listener serves it.", ("certificate-expiry",))
def cert_expiring(state, c):
    from .tls import self_signed

    acm = c("acm", RMS["region"])
    for summary in acm.list_certificates()["CertificateSummaryList"]:
        if summary["DomainName"] == "api.rms.example.com":
            cert, key = self_signed(["api.rms.example.com"], 5)
            acm.import_certificate(CertificateArn=summary["CertificateArn"], Certificate=cert, PrivateKey=key)


@scenario("credential-overdue", "Nobody rotated AutoStack's Google OAuth client secret last quarter: it was last changed 120 days ago "
          "(seed 002: every 90).", ("credential-rotation",))
def credential_overdue(state, c):
    from .ages import SECRET_AGES_DAYS

    for secret in world.backend("secretsmanager", AUTOSTACK["region"]).secrets.values():  # AWS has no call that ages a secret: the sandbox holds it
        if secret.name == "autostack/production/google-oauth":
            secret.created_date = secret.last_changed_date = int((_now() - timedelta(days=SECRET_AGES_DAYS["google-oauth"] + 50)).timestamp())
            for version in secret.versions.values():
                version["createdate"] = secret.created_date


@scenario("stale-terraform-lock", "autostack-tf-locks holds a lock on autostack/terraform.tfstate taken 26 hours ago by a CI "
          "runner that is gone.", ("terraform-state-lock",))
def stale_terraform_lock(state, c):
    created = _now() - timedelta(hours=26)
    info = {"ID": "0c7b3e55-1d0a-4f4b-8a1e-5e2f3c9d7a10", "Operation": "OperationTypeApply", "Info": "",
            "Who": "jenkins@ci-runner-7", "Version": "1.6.6", "Created": created.isoformat().replace("+00:00", "Z"), "Path": f"{AUTOSTACK['state_bucket']}/{AUTOSTACK['state_key']}"}
    c("dynamodb", AUTOSTACK["region"]).put_item(TableName=AUTOSTACK["lock_table"], Item={"LockID": {"S": f"{AUTOSTACK['state_bucket']}/{AUTOSTACK['state_key']}"}, "Info": {"S": json.dumps(info)}})


@scenario("bad-deploy", "A release 20 minutes ago: Lambda alias LIVE moved to version 5 (12% of invocations and API requests fail since), RMS service moved to task "
          "definition rms-backend-prod:3 (image 2.15.0) with 1 of 3 tasks running, a stack update, and EC2 Manager's web release 1.4.0 "
          "(its index.html loads a script it did not upload: half the site's requests fail), and the web app's image 1.9.0 "
          "(commit c7d41f9, pushed as latest and run on its host: /health answers 500).",
          ("deploy-verify", "high-error-rate", "rollback-lambda", "rollback-ecs", "rollback-static-site", "rollback-container", "alarm-review", "deployment-status"))
def bad_deploy(state, c):
    with trail.at(_now() - timedelta(minutes=21)):
        _bad_release(c)
    traffic.elapse(20)  # the function's errors (its code fails the POST actions: 12 % of the API's traffic), the API's 5xx and the alarms: from the model


def _bad_release(c):
    lam = c("lambda")
    lam.update_function_code(FunctionName=EC2M["function"], ZipFile=ec2manager._zip("1.4.0", ec2manager.BROKEN_ACTIONS))
    version = lam.publish_version(FunctionName=EC2M["function"], Description="release 1.4.0")["Version"]
    lam.update_alias(FunctionName=EC2M["function"], Name="LIVE", FunctionVersion=version, Description="release 1.4.0")
    ecs = c("ecs", RMS["region"])
    release = _release(ecs, "2.15.0")
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], taskDefinition=release)
    rollouts.hold(*_rms_service(), 1, revision=release, last_words=CRASH_UNDER_LOAD)  # 2.15.0's tasks crash; rolling back to 2.14.0 lifts it
    rollouts.age(*_rms_service(), 10)  # its circuit breaker has tripped
    ec2manager.publish_release(c, "1.4.0", ec2manager.release_template("1.4.0"), ec2manager.PARAMETERS)
    c("cloudformation").update_stack(StackName=EC2M["stack"], TemplateBody=json.dumps(ec2manager.release_template("1.4.0")), Parameters=ec2manager.PARAMETERS)
    s3 = c("s3")
    s3.put_object(Bucket=EC2M["web_bucket"], Key="index.html", ContentType="text/html",
                  Body=b'<html><body>EC2 Manager 1.4.0<script src="/static/app-1.4.0.js"></script></body></html>')
    s3.put_object(Bucket=EC2M["web_bucket"], Key="static/app.js", Body=b"console.log('ec2-manager 1.4.0');", ContentType="application/javascript")
    _web_app_release(_now() - timedelta(minutes=21))
    _released(_now() - timedelta(minutes=21), version)


CRASH_UNDER_LOAD = "\n".join(["ERROR [rms-backend] unhandled exception in GET /api/v1/positions", "Traceback (most recent call last):",
                              '  File "/app/rms/positions.py", line 88, in exposure', "    return limit.currency.convert(total)",
                              "AttributeError: 'NoneType' object has no attribute 'currency'", "ERROR [rms-backend] worker exited (exit 1)"])  # 2.15.0 under load


def _web_app_release(when: datetime) -> None:
    """Seed 000 "Manual Deployment": the pipeline pushed 1.9.0 (latest moves to it), and its host pulled it and ran it as webapp."""
    instance = world.instance_named(WEBAPP["instance_name"])
    instance.opslib_images = hosts.tag_latest(hosts.images(instance) + [hosts.image("c7d41f9", "1.9.0", when - timedelta(minutes=4), healthy=False)])
    container = hosts.containers(instance)["webapp"]
    container.update(image=f"{hosts.REPOSITORY}:latest", image_id=hosts.image_of(instance, f"{hosts.REPOSITORY}:latest")["id"], created=when, started=when)
    instance.opslib_host = {"webapp": container}


def _released(when: datetime, version: str) -> None:
    """The release went out at `when`, before the errors it brought (AWS has no call that backdates
    one): the published version, the stack's update events, the ECS deployment."""
    world.backend("lambda", EC2M["region"])._lambdas._get_version(EC2M["function"], version).last_modified = when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    stack = next(s for s in world.backend("cloudformation", EC2M["region"]).stacks.values() if s.name == EC2M["stack"])
    for event in stack.events:
        if event.resource_status.startswith("UPDATE"):
            event.timestamp = when.replace(tzinfo=None)
    for bucket_name, keys in ((EC2M["web_bucket"], ("index.html", "static/app.js")), (EC2M["deploy_bucket"], (ec2manager.RELEASE_KEY,))):
        bucket = world.backend("s3", "global").buckets[bucket_name]
        for key in keys:
            bucket.keys.getlist(key)[-1].last_modified = when.astimezone(timezone.utc).replace(tzinfo=None)
    _, service = _rms_service()
    service.opslib_rollout.new["createdAt"] = when
    if service.deployments:
        service.deployments[0]["createdAt"] = when


CRASH = "\n".join(["Traceback (most recent call last):", '  File "/app/rms/settings.py", line 14, in <module>',
                   '    DATABASE_URL = os.environ["DATABASE_URL"]', "KeyError: 'DATABASE_URL'"])  # what a release without its setting prints


@scenario("failed-deployment", "RMS backend release 2.15.0, deployed 8 minutes ago, dropped DATABASE_URL from its task definition: "
          "every new task exits 1 at start (KeyError in its log), the circuit breaker failed the deployment after 3, and the "
          "previous revision still serves 3 of 3.", ("deployment-failed", "deployment-status"))
def failed_deployment(state, c):
    ecs = c("ecs", RMS["region"])
    base = ecs.describe_task_definition(taskDefinition="rms-backend-prod:2")["taskDefinition"]["containerDefinitions"][0]
    logging = {"logDriver": "awslogs", "options": {**base["logConfiguration"]["options"], "awslogs-stream-prefix": "ecs"}}
    container = dict(base, image=base["image"].replace("2.14.0", "2.15.0"), logConfiguration=logging)
    release = ecs.register_task_definition(family="rms-backend-prod", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512",
                                           memory="1024", containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], taskDefinition=release)
    rollouts.crash(*_rms_service(), CRASH)
    rollouts.age(*_rms_service(), 4)
    _, service = _rms_service()
    for deployment in (service.opslib_rollout.new, service.deployments[0]):
        deployment["createdAt"] = _now() - timedelta(minutes=8)


ATTACKER = "203.0.113.66"


@scenario("auth-failure-burst", f"{ATTACKER} tries 25 passwords against EC2 Manager's user pool (InitiateAuth, through the web app, "
          "which passes the visitor's address): every one refused, each a FAILED line in the pool's sign-in log.", ("auth-failures", "security-incident"))
def auth_failure_burst(state, c):
    idp = c("cognito-idp")
    pool = idp.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client = idp.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"][0]["ClientId"]
    rng = random.Random(5)
    for n in range(25):
        try:
            idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", UserContextData={"IpAddress": ATTACKER},
                              AuthParameters={"USERNAME": rng.choice(["admin", "root", "alice", "bob", "ops-bot"]), "PASSWORD": f"Winter2026!{n}"})
        except ClientError:
            pass  # refused, as the attacker's every guess is


@scenario("corrupted-items", "A bad build of the function, 25 minutes ago, overwrote 12 audit records: action 'NaN', user 'undefined' "
          "(point-in-time recovery from before it holds them intact).", ("data-corruption",))
def corrupted_items(state, c):
    ddb = c("dynamodb")
    items = sorted(ddb.scan(TableName=EC2M["table"])["Items"], key=lambda i: i["timestamp"]["S"], reverse=True)[:12]
    for item in items:  # the table's change log keeps what each was (point-in-time recovery is on)
        ddb.put_item(TableName=EC2M["table"], Item={**item, "action": {"S": "NaN"}, "user": {"S": "undefined"}})


INTRUDER = "185.220.101.4"  # a Tor exit: nobody at the company calls AWS from it


PROBES = (("iam", "list_users", {}), ("secretsmanager", "get_secret_value", {"SecretId": "incident-response/production/database"}), ("s3", "list_buckets", {}),
          ("iam", "list_attached_user_policies", {"UserName": ec2manager.CI_USER}), ("kms", "list_keys", {}), ("rds", "describe_db_instances", {}))


@scenario("security-breach", f"Ten days ago ci-deployer's policy was widened to write keys and policies on any user; its access key, leaked, "
          f"used from {INTRUDER} for the last 40 minutes: 30 calls its policy refused while it probed (IAM, secrets, buckets, keys, databases), "
          "a StopLogging refused, then it made itself a second access key and an inline policy allowing everything.",
          ("security-incident", "security-audit"))
def security_breach(state, c):
    import boto3

    from .seeds.ec2manager import CI_POLICY_WIDENED, CI_USER

    with trail.at(_now() - timedelta(days=10)):  # a person, "to let CI manage the deploy users": the hole
        c("iam").put_user_policy(UserName=CI_USER, PolicyName="deploy", PolicyDocument=json.dumps(CI_POLICY_WIDENED))

    user = world.backend("iam", "aws").get_user(CI_USER)  # the secret half of the leaked key (no API returns it)
    leaked = user.access_keys[0]
    session = boto3.Session(aws_access_key_id=leaked.access_key_id, aws_secret_access_key=leaked.secret_access_key, region_name=EC2M["region"])
    attacker = functools.partial(session.client, endpoint_url=state.url, config=Config(retries={"max_attempts": 1}))
    now = _now()
    for i in range(30):
        service, call, args = PROBES[i % len(PROBES)]
        with trail.at(now - timedelta(minutes=40 - i), source=INTRUDER), contextlib.suppress(ClientError):
            getattr(attacker(service), call)(**args)
    with trail.at(now - timedelta(minutes=9), source=INTRUDER), contextlib.suppress(ClientError):
        attacker("cloudtrail").stop_logging(Name=EC2M["trail"])
    with trail.at(now - timedelta(minutes=8), source=INTRUDER):
        attacker("iam").create_access_key(UserName=CI_USER)
    with trail.at(now - timedelta(minutes=7), source=INTRUDER):
        attacker("iam").put_user_policy(UserName=CI_USER, PolicyName="break-glass",
                                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))


@scenario("rate-limit-attack", "203.0.113.77 sends 600 requests to the AutoStack backend's /api/stacks through nginx: after the first 100 in a "
          "minute its rate limit answers 429 (seed 002 \"Scenario 2\"), each refusal a rate_limit line and a 429 access line in its log.",
          ("rate-limiting",))
def rate_limit_attack(state, c):
    from . import autostack_backend

    for _ in range(600):  # each request as the backend receives it (the server is handling this call: no request to itself)
        autostack_backend.handle("GET", "/api/stacks", "203.0.113.77")


@scenario("backups-missing", "Three days ago rms-db-prod's automated backups were turned off (backup retention 0: AWS deletes its "
          "automated snapshots and point-in-time restore with them) and the audit table's point-in-time recovery too; seed 004's "
          "nightly dumps of incident-response-prod stopped two nights ago.", ("backup-verification",))
def backups_missing(state, c):
    with trail.at(_now() - timedelta(days=3)):
        c("rds", RMS["region"]).modify_db_instance(DBInstanceIdentifier=RMS["db"], BackupRetentionPeriod=0, ApplyImmediately=True)
        c("dynamodb").update_continuous_backups(TableName=EC2M["table"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    transitions.settle_now(world.backend("rds", RMS["region"]).databases[RMS["db"]])  # applied three days ago
    s3 = c("s3", IR["region"])
    dumps = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=IR["backups_bucket"], Prefix=f"postgres/{IR['db']}/")["Contents"])
    for key in dumps[-2:]:  # the dump job wrote nothing the last two nights: no object, not a deleted one
        for version in s3.list_object_versions(Bucket=IR["backups_bucket"], Prefix=key).get("Versions", []):
            s3.delete_object(Bucket=IR["backups_bucket"], Key=key, VersionId=version["VersionId"])


@scenario("db-connections-exhausted", "incident-response-prod's connections are used up: a leaking pool holds every connection "
          "its role may open (seed 004 \"Database Connection Errors\"), so the service's next connection is refused.", ("database-connection",))
def db_connections_exhausted(state, c):
    if state.databases and state.databases.postgres:
        state.databases.hold(leave=0)
    traffic.elapse(10)  # DatabaseConnections: what the real server holds open, from the model


@scenario("slack-down", "The team's Slack webhook and the SNS relay to it answer 500 (what a notification must survive: a confirmed "
          "incident-declare or incident-update shows an ERROR row and the record says what was not sent).", ())
def slack_down(state, c):
    state.webhooks_failing = {"slack", "slack-relay"}


@scenario("access-denied", "Every RDS call answers AccessDenied (a role missing rds:Describe*).", ("daily-health-check",))
def access_denied(state, c):
    state.faults.set([{"kind": "deny", "service": "rds"}])


@scenario("throttling-storm", "A third of all AWS calls answer with a throttling error; every notebook must still complete "
          "(retries), so none is listed as catching it.", ())
def throttling_storm(state, c):
    state.faults.set([{"kind": "throttle", "rate": 0.33}])


@scenario("cost-spike", "Yesterday at 00:05 someone launched an m5.24xlarge for a load test and forgot it: it has run since, so "
          "yesterday's EC2 compute cost is about four times its usual (Cost Explorer, from what ran); three unattached EBS volumes; "
          "a manual RDS snapshot from 200 days ago.", ("cost-review", "daily-health-check"))
def cost_spike(state, c):
    from datetime import date

    launched = datetime.combine(date.today() - timedelta(days=1), datetime.min.time(), timezone.utc) + timedelta(minutes=5)
    ec2 = c("ec2")
    with trail.at(launched):
        ec2.run_instances(ImageId="ami-04681a1dbd79675a5", InstanceType="m5.24xlarge", MinCount=1, MaxCount=1,
                                        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "load-test-tmp"}]}])
    instance = world.instance_named("load-test-tmp", world.REGION)
    instance.launch_time = launched.replace(tzinfo=None)  # AWS has no call that backdates a launch
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    for size in (100, 250, 500):
        ec2.create_volume(AvailabilityZone=zone, Size=size, VolumeType="gp3",
                          TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"scratch-{size}"}]}])
    c("rds", RMS["region"]).create_db_snapshot(DBInstanceIdentifier=RMS["db"], DBSnapshotIdentifier="rms-db-prod-manual-migration-test")
    snap = world.backend("rds", RMS["region"]).database_snapshots["rms-db-prod-manual-migration-test"]
    snap.created = _now() - timedelta(days=200)  # AWS has no call that ages a snapshot
    snap.original_snapshot_create_time = snap.created
