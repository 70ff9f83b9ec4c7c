"""The whole sandbox state in a canonical, diffable form: sorted JSON of what each resource is.

Read through the same APIs a notebook uses, each regional service in every region the world uses.
Days in names (snapshot ids, S3 keys) are blanked and snapshot days are counted back from today. Left out on purpose: creation and modification
times, metric datapoints, the load balancer's access-log objects (they move with the clock: the ALB writes one every 5 minutes) and the
trails' live records (every call that writes adds one, a snapshot's own included) and the traffic model's log lines (a line a minute, as
datapoints are); log groups are summarised by event
count and a digest of their messages, so a new line shows as a changed digest.
"""

import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor


_TIMES = re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})?|\[\d{2}/\w{3}/\d{4}:[\d:]+ [+-]\d{4}\]|\b1\d{9}\b")  # ISO, CLF, epoch seconds


def take(url: str) -> dict:
    from . import world

    c = world.clients(url)
    parts = {name[len("_read_"):]: fn for name, fn in globals().items() if name.startswith("_read_")}
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: {region: pool.submit(fn, lambda service, region=region: c(service, region)) for region in _regions(name, world)}
                   for name, fn in parts.items()}
        state = {name: _one_or_each({region: f.result() for region, f in regional.items()}) for name, regional in futures.items()}
    _name_local_ports(state, c, world)
    status = _get(f"{url}/_sandbox/status")[1]
    sites = {}
    for name in world.SITES:
        code, body = _get(f"{url}/_sandbox/sites/{name}/health")
        body.pop("timestamp", None)
        sites[name] = {"http_status": code, **body}
    state["sandbox"] = {"scenario": status["scenario"], "faults": [{k: v for k, v in f.items() if k != "hits"} for f in status["faults"]],
                        "tls_days": status["tls_days"], "sites": sites}
    return json.loads(dumps(_canonical(state)))  # plain JSON types: equal to a snapshot read back from a file


def _name_local_ports(state: dict, c, world) -> None:
    """The port the sandbox's own PostgreSQL listens on differs between sandboxes: a rule that opens it
    says `<database port>`, so two sandboxes' worlds compare equal."""
    try:
        port = c("rds", world.IR["region"]).describe_db_instances(DBInstanceIdentifier=world.IR["db"])["DBInstances"][0]["Endpoint"]["Port"]
    except Exception:  # no such instance in this world: nothing to name
        return
    for groups in (g["security_groups"] for g in state["ec2"].values()):
        for group in groups:
            for perm in group.get("IpPermissions", []):
                for key in ("FromPort", "ToPort"):
                    if perm.get(key) == port:
                        perm[key] = "<database port>"


GLOBAL = {"s3", "cloudfront", "iam"}  # one view for the account: read once


def _regions(name: str, world) -> tuple:
    return (world.REGION,) if name in GLOBAL else world.REGIONS


def _one_or_each(by_region: dict):
    """A global service's state as is; a regional one's by region."""
    return next(iter(by_region.values())) if len(by_region) == 1 else by_region


def _get(address: str) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(address, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def dumps(state: dict) -> str:
    return json.dumps(state, indent=1, sort_keys=True, default=str) + "\n"


def _canonical(value):
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return value


_DATES = re.compile(r"\d{4}([-/]?)\d{2}\1\d{2}(T\d{4}Z)?")  # in names: rms-db-prod-20261122, .../2026/11/23/..._20261123T0005Z_...


def _undated(name: str) -> str:
    """A name without the day in it: a world seeded before midnight and one seeded after are the same world."""
    return _DATES.sub("<day>", name)


def _days_old(when) -> int | None:
    from datetime import datetime, timezone

    return (datetime.now(timezone.utc).date() - when.astimezone(timezone.utc).date()).days if when else None


def _pick(d: dict, *keys) -> dict:
    return {k: d.get(k) for k in keys if k in d}


def _pages(client, op: str, key: str, **kw) -> list:
    return [item for page in client.get_paginator(op).paginate(**kw) for item in page.get(key, [])]


def _read_ec2(c):
    ec2 = c("ec2")
    instances = [_pick(i, "InstanceId", "InstanceType", "ImageId", "KeyName") | {"State": i["State"]["Name"], "Tags": i.get("Tags", []),
                                                                                  "SecurityGroups": [g["GroupName"] for g in i.get("SecurityGroups", [])]}
                 for r in _pages(ec2, "describe_instances", "Reservations") for i in r["Instances"]]
    status = {s["InstanceId"]: {"instance": s["InstanceStatus"]["Status"], "system": s["SystemStatus"]["Status"]}
              for s in _pages(ec2, "describe_instance_status", "InstanceStatuses")}
    for i in instances:
        i["Status"] = status.get(i["InstanceId"])
    groups = [_pick(g, "GroupName", "Description", "IpPermissions") for g in _pages(ec2, "describe_security_groups", "SecurityGroups") if g["GroupName"] != "default"]
    return {"instances": instances, "security_groups": groups}


def _read_ecs(c):
    ecs = c("ecs")
    out = {}
    for arn in _pages(ecs, "list_clusters", "clusterArns"):
        services = _pages(ecs, "list_services", "serviceArns", cluster=arn)
        described = ecs.describe_services(cluster=arn, services=services)["services"] if services else []
        out[arn.rsplit("/", 1)[-1]] = [_pick(s, "serviceName", "desiredCount", "runningCount", "pendingCount", "taskDefinition", "status") for s in described]
    return {"clusters": out, "task_definitions": _pages(ecs, "list_task_definitions", "taskDefinitionArns")}


def _read_rds(c):
    rds = c("rds")
    return {
        "instances": [_pick(d, "DBInstanceIdentifier", "DBInstanceStatus", "DBInstanceClass", "Engine", "EngineVersion", "AllocatedStorage", "MultiAZ", "BackupRetentionPeriod")
                      for d in _pages(rds, "describe_db_instances", "DBInstances")],
        "snapshots": [_pick(s, "DBInstanceIdentifier", "SnapshotType", "Status") | {"DaysOld": _days_old(s.get("SnapshotCreateTime"))}
                      | ({"DBSnapshotIdentifier": _undated(s["DBSnapshotIdentifier"])} if s["SnapshotType"] == "manual" else {})  # automated ids carry the minute
                      for s in _pages(rds, "describe_db_snapshots", "DBSnapshots")],
    }


def _read_logs(c):
    from .traffic import model_stream
    from .trail import live_stream

    logs = c("logs")
    out = {}
    live = {live_stream(region) for region in ("us-east-1", "us-west-2")}
    for g in _pages(logs, "describe_log_groups", "logGroups"):
        digest, count = hashlib.sha256(), 0
        streams = _pages(logs, "describe_log_streams", "logStreams", logGroupName=g["logGroupName"])
        for stream in sorted(s["logStreamName"] for s in streams if s["logStreamName"] not in live and not model_stream(s["logStreamName"])):
            events = logs.get_log_events(logGroupName=g["logGroupName"], logStreamName=stream, startFromHead=True, limit=10000)["events"]
            count += len(events)
            for e in events:
                digest.update(_TIMES.sub("<t>", e["message"]).encode())  # the words, not when they were seeded
        out[g["logGroupName"]] = {"retentionInDays": g.get("retentionInDays"), "events": count, "messages_sha256": digest.hexdigest()[:16]}
    return out


def _read_cloudwatch(c):
    cw = c("cloudwatch")
    alarms = [_pick(a, "AlarmName", "StateValue", "MetricName", "Namespace", "Threshold", "ComparisonOperator") for a in _pages(cw, "describe_alarms", "MetricAlarms")]
    series = sorted({f"{m['Namespace']} {m['MetricName']} " + ",".join(f"{d['Name']}={d['Value']}" for d in sorted(m.get("Dimensions", []), key=lambda d: d["Name"]))
                     for m in _pages(cw, "list_metrics", "Metrics")})
    return {"alarms": alarms, "metric_series": series}


def _read_lambda(c):
    lam = c("lambda")
    out = {}
    for f in _pages(lam, "list_functions", "Functions"):
        name = f["FunctionName"]
        out[name] = {**_pick(f, "Runtime", "Handler", "MemorySize", "Timeout", "CodeSha256"),
                     "versions": [_pick(v, "Version", "CodeSha256", "Description") for v in _pages(lam, "list_versions_by_function", "Versions", FunctionName=name)],
                     "aliases": [_pick(a, "Name", "FunctionVersion") for a in _pages(lam, "list_aliases", "Aliases", FunctionName=name)]}
    return out


def _read_dynamodb(c):
    ddb = c("dynamodb")
    out = {}
    for name in _pages(ddb, "list_tables", "TableNames"):
        t = ddb.describe_table(TableName=name)["Table"]
        items = [i for page in ddb.get_paginator("scan").paginate(TableName=name) for i in page["Items"]]
        pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        out[name] = {"status": t["TableStatus"], "billing": t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
                     "throughput": _pick(t.get("ProvisionedThroughput", {}), "ReadCapacityUnits", "WriteCapacityUnits"),
                     "items": len(items), "items_sha256": hashlib.sha256(_TIMES.sub("<t>", json.dumps(sorted(items, key=lambda i: json.dumps(i, sort_keys=True)), sort_keys=True)).encode()).hexdigest()[:16],
                     "point_in_time_recovery": pitr,
                     "backups": sorted(b["BackupName"] for b in ddb.list_backups(TableName=name)["BackupSummaries"])}
    return out


def _read_s3(c):
    s3 = c("s3")
    out = {}
    from .world import RMS

    for b in s3.list_buckets()["Buckets"]:
        name = b["Name"]
        if name == RMS["alb_logs_bucket"]:  # the world's own writes, every 5 minutes
            out[name] = {"versioning": s3.get_bucket_versioning(Bucket=name).get("Status", "Off"), "objects": "written by the load balancer as time passes"}
            continue
        versions = _pages(s3, "list_object_versions", "Versions", Bucket=name)
        markers = _pages(s3, "list_object_versions", "DeleteMarkers", Bucket=name)
        out[name] = {"versioning": s3.get_bucket_versioning(Bucket=name).get("Status", "Off"),
                     "objects": [_pick(v, "ETag", "Size", "IsLatest") | {"Key": _undated(v["Key"])} for v in versions],
                     "delete_markers": sorted(m["Key"] for m in markers)}
    return out


def _read_apigateway(c):
    api = c("apigateway")
    out = {}
    for r in _pages(api, "get_rest_apis", "items"):
        out[r["name"]] = {"resources": sorted(x["path"] for x in _pages(api, "get_resources", "items", restApiId=r["id"])),
                          "stages": sorted(s["stageName"] for s in api.get_stages(restApiId=r["id"])["item"])}
    return out


def _read_cloudfront(c):
    items = c("cloudfront").list_distributions()["DistributionList"].get("Items", [])
    return [_pick(d, "Id", "Comment", "Enabled", "Status") | {"Aliases": d.get("Aliases", {}).get("Items", [])} for d in items]


def _read_cognito(c):
    idp = c("cognito-idp")
    out = {}
    for p in idp.list_user_pools(MaxResults=60)["UserPools"]:
        out[p["Name"]] = {"id": p["Id"], "clients": sorted(x["ClientName"] for x in idp.list_user_pool_clients(UserPoolId=p["Id"], MaxResults=60)["UserPoolClients"]),
                          "users": sorted((u["Username"], u.get("Enabled", True), u.get("UserStatus")) for u in idp.list_users(UserPoolId=p["Id"])["Users"])}
    return out


def _read_iam(c):
    iam = c("iam")
    roles = {r["RoleName"]: sorted(p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=r["RoleName"])["AttachedPolicies"])
             for r in _pages(iam, "list_roles", "Roles")}
    policies = sorted(p["PolicyName"] for p in _pages(iam, "list_policies", "Policies", Scope="Local"))
    return {"roles": roles, "policies": policies}


def _read_acm(c):
    acm = c("acm")
    out = []
    for s in acm.list_certificates()["CertificateSummaryList"]:
        d = acm.describe_certificate(CertificateArn=s["CertificateArn"])["Certificate"]
        out.append({"DomainName": d["DomainName"], "SubjectAlternativeNames": d.get("SubjectAlternativeNames", []), "Status": d["Status"],
                    "NotAfterDay": str(d.get("NotAfter", ""))[:10]})
    return out


def _read_cloudformation(c):
    cfn = c("cloudformation")
    return [_pick(s, "StackName", "StackStatus", "Description", "Parameters") for s in _pages(cfn, "describe_stacks", "Stacks")]


def _read_sqs(c):
    return sorted(u.rsplit("/", 1)[-1] for u in c("sqs").list_queues().get("QueueUrls", []))
