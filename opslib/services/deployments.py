"""What was deployed lately, wherever it was deployed: stack updates (CloudFormation events), ECS
deployments, Lambda alias moves (CloudTrail's UpdateAlias events; without them, the version an alias
points to and when it was published), a static site's release (the objects of its bucket written
together last), and the changes made by hand that stop a service as surely as a bad release
(CloudTrail: an ECS service scaled, a function's concurrency reserved).

Each becomes one row: {"when", "what", "where", "previous"}; `previous` is what a rollback returns to.
"""

from datetime import datetime, timedelta, timezone

from ..aws import at_once


def _aware(t) -> datetime:
    t = datetime.fromisoformat(t.replace("Z", "+00:00").replace("+0000", "+00:00")) if isinstance(t, str) else t
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def hours_ago(hours: float) -> datetime:
    """Where a lookback of `hours` starts (UTC)."""
    return datetime.now(timezone.utc) - timedelta(hours=hours)


def stack_updates(aws, stack: str, since: datetime, region: str = "") -> list[dict]:
    """`aws cloudformation describe-stack-events`: the stack's own UPDATE_IN_PROGRESS events since `since`."""
    pages = aws.client("cloudformation", region or None).get_paginator("describe_stack_events").paginate(StackName=stack)
    events = [e for page in pages for e in page["StackEvents"]]
    return [{"when": _aware(e["Timestamp"]), "what": f"stack update ({e.get('ResourceStatusReason') or 'user initiated'})", "where": f"cloudformation:{stack}",
             "previous": "the template before this update"}
            for e in events if e["ResourceType"] == "AWS::CloudFormation::Stack" and e["ResourceStatus"] == "UPDATE_IN_PROGRESS" and _aware(e["Timestamp"]) >= since]


def ecs_deployments(aws, cluster: str, service: str, since: datetime, region: str = "") -> list[dict]:
    """`aws ecs describe-services`: deployments created since `since`, with the task definition they replaced."""
    svc = aws.client("ecs", region or None).describe_services(cluster=cluster, services=[service])["services"][0]
    deployments = sorted(svc.get("deployments", []), key=lambda d: (d.get("status") == "PRIMARY", _aware(d["createdAt"])))  # PRIMARY is the newest
    older = [d["taskDefinition"].rsplit("/", 1)[-1] for d in deployments]
    rows = []
    for i, d in enumerate(deployments):
        if _aware(d["createdAt"]) >= since and i > 0:
            rows.append({"when": _aware(d["createdAt"]), "what": f"task definition {older[i]} ({d.get('rolloutState', d.get('status'))})",
                         "where": f"ecs:{cluster}/{service}", "previous": older[i - 1]})
    return rows


def alias_moves(aws, function: str, alias: str, since: datetime, region: str = "") -> list[dict]:
    """Each move of the alias since `since` that CloudTrail recorded (`aws cloudtrail lookup-events`, UpdateAlias), with the
    version it left; else `aws lambda get-alias`: a move when the version it points to was published since `since`."""
    lam = aws.client("lambda", region or None)
    version = lam.get_alias(FunctionName=function, Name=alias)["FunctionVersion"]
    moves = [e for e in trail_events(aws, since, region, ("UpdateAlias",))
             if _named(e, "FunctionName", function) and (e.get("requestParameters") or {}).get("Name") == alias and not e.get("errorCode")]
    if moves:
        rows, left = [], None
        for e in sorted(moves, key=lambda e: e["eventTime"]):
            to = str((e.get("requestParameters") or {}).get("FunctionVersion") or "?")
            rows.append({"when": _aware(e["eventTime"]), "what": f"alias {alias} -> version {to} (UpdateAlias by {_who(e)})", "where": f"lambda:{function}",
                         "previous": left or _version_before(lam, function, to)})
            left = to
        return rows
    if version == "$LATEST":
        return []
    published = _aware(lam.get_function_configuration(FunctionName=function, Qualifier=version)["LastModified"])
    if published < since:
        return []
    return [{"when": published, "what": f"alias {alias} -> version {version}", "where": f"lambda:{function}", "previous": _version_before(lam, function, version)}]


def _version_before(lam, function: str, version: str) -> str:
    if not version.isdigit():
        return "none"
    pages = lam.get_paginator("list_versions_by_function").paginate(FunctionName=function)
    previous = max((int(v["Version"]) for page in pages for v in page["Versions"] if v["Version"].isdigit() and int(v["Version"]) < int(version)), default=None)
    return str(previous) if previous else "none"


def trail_events(aws, since: datetime, region: str, names: tuple) -> list[dict]:
    """`aws cloudtrail lookup-events --lookup-attributes AttributeKey=ReadOnly,AttributeValue=false` since `since`: the
    records of the calls that wrote, those named kept. One query however many names (LookupEvents allows 2 a second)."""
    import json

    ct = aws.client("cloudtrail", region or None)
    pages = ct.get_paginator("lookup_events").paginate(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}], StartTime=since,
                                                       EndTime=datetime.now(timezone.utc) + timedelta(minutes=1))
    out = []
    for page in pages:
        for event in page.get("Events", []):
            if event.get("EventName") in names:
                try:
                    out.append(json.loads(event["CloudTrailEvent"]))
                except (KeyError, ValueError):
                    continue
    return out


def hand_changes(aws, cluster: str, service: str, function: str, since: datetime, ecs_region: str = "", fn_region: str = "") -> list[dict]:
    """What CloudTrail recorded being done by hand to the service, its region's databases or the function since `since` (a scale,
    a stopped task, a stopped database or one moved to another class, a concurrency limit): rows like a deployment's, `previous` what undoing it returns to
    where CloudTrail shows it."""
    rows, count = [], None
    regional = trail_events(aws, since, ecs_region, ("UpdateService", "StopTask", "StopDBInstance", "RebootDBInstance", "ModifyDBInstance"))  # one query for the region
    for e in sorted((e for e in regional if e["eventName"] in ("UpdateService", "StopTask")), key=lambda e: e["eventTime"]):
        p = e.get("requestParameters") or {}
        if e.get("errorCode") or not (_named(e, "service", service) or e["eventName"] == "StopTask") or (p.get("cluster") or cluster).rsplit("/", 1)[-1] != cluster:
            continue
        if e["eventName"] == "UpdateService" and "desiredCount" not in p:
            continue  # a new task definition: an ECS deployment, listed as one
        what = f"desired count -> {p['desiredCount']}" if e["eventName"] == "UpdateService" else "a task stopped"
        rows.append({"when": _aware(e["eventTime"]), "what": f"{what} ({e['eventName']} by {_who(e)})", "where": f"ecs-scale:{cluster}/{service}",
                     "previous": str(count) if count is not None else "unknown", "region": ecs_region})
        count = p.get("desiredCount", count)
    for e in (e for e in regional if e["eventName"] in ("StopDBInstance", "RebootDBInstance")):  # the service's database, in its region
        db = (e.get("requestParameters") or {}).get("DBInstanceIdentifier")
        if not e.get("errorCode") and db:
            rows.append({"when": _aware(e["eventTime"]), "what": f"database {'stopped' if e['eventName'] == 'StopDBInstance' else 'rebooted'} ({e['eventName']} by {_who(e)})",
                         "where": f"rds:{db}", "previous": "available", "region": ecs_region})
    classes = {}
    for e in sorted((e for e in regional if e["eventName"] == "ModifyDBInstance"), key=lambda e: e["eventTime"]):  # a class changed by hand
        p = e.get("requestParameters") or {}
        db, to = p.get("DBInstanceIdentifier"), p.get("DBInstanceClass")
        if not e.get("errorCode") and db and to:
            rows.append({"when": _aware(e["eventTime"]), "what": f"database class -> {to} ({e['eventName']} by {_who(e)})", "where": f"rds-class:{db}",
                         "previous": classes.get(db, "unknown"), "region": ecs_region})
            classes[db] = to
    for e in trail_events(aws, since, fn_region, ("PutFunctionConcurrency", "DeleteFunctionConcurrency", "UpdateFunctionConfiguration")):
        if e.get("errorCode") or not _named(e, "FunctionName", function):
            continue
        p = e.get("requestParameters") or {}
        what = f"reserved concurrency -> {p['ReservedConcurrentExecutions']}" if "ReservedConcurrentExecutions" in p else e["eventName"]
        rows.append({"when": _aware(e["eventTime"]), "what": f"{what} ({e['eventName']} by {_who(e)})", "where": f"lambda-config:{function}", "previous": "unknown",
                     "region": fn_region})
    return rows


def _named(event: dict, key: str, name: str) -> bool:
    value = str((event.get("requestParameters") or {}).get(key) or "")
    return value == name or value.endswith((f":{name}", f"/{name}"))


def _who(event: dict) -> str:
    who = event.get("userIdentity") or {}
    return who.get("arn") or who.get("userName") or "unknown"


def site_release(aws, bucket: str, since: datetime, region: str = "") -> list[dict]:
    """`aws s3api list-object-versions`: the bucket's last release (`s3.last_release`) when it was written since `since`."""
    from . import s3

    versions = s3.object_versions(aws.at(region) if region else aws, bucket)
    release = s3.last_release(versions)
    when = max((_aware(versions[key][0]["modified"]) for key in release), default=None)
    if when is None or when < since:
        return []
    return [{"when": when, "what": f"web release ({len(release)} objects: {', '.join(sorted(release)[:3])}{', ...' if len(release) > 3 else ''})",
             "where": f"s3:{bucket}", "previous": "the versions it replaced"}]


def recent(aws, stack: str, cluster: str, service: str, function: str, alias: str, hours: int, stack_region: str = "", ecs_region: str = "",
           web_bucket: str = "") -> list[dict]:
    """All of them at once, newest first (`stack_region`: the stack's, its function's and its web bucket's; `ecs_region`: the cluster's)."""
    start = hours_ago(hours)
    found = at_once([lambda: stack_updates(aws, stack, start, stack_region), lambda: ecs_deployments(aws, cluster, service, start, ecs_region),
                     lambda: alias_moves(aws, function, alias, start, stack_region),
                     lambda: hand_changes(aws, cluster, service, function, start, ecs_region, stack_region),
                     lambda: site_release(aws, web_bucket, start, stack_region) if web_bucket else []])
    return sorted((row for rows in found for row in rows), key=lambda r: r["when"], reverse=True)
