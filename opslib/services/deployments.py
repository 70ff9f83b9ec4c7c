"""What was deployed lately, wherever it was deployed: stack updates (CloudFormation events), ECS
deployments, Lambda alias moves (the version an alias points to, and when it was published), and
a static site's release (the objects of its bucket written together last).

Each becomes one row: {"when", "what", "where", "previous"}; `previous` is what a rollback returns to.
"""

from datetime import datetime, timedelta, timezone

from ..aws import at_once


def _aware(t) -> datetime:
    t = datetime.fromisoformat(t.replace("Z", "+00:00").replace("+0000", "+00:00")) if isinstance(t, str) else t
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


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
    """`aws lambda get-alias` and the version it points to: a move when that version was published since `since`."""
    lam = aws.client("lambda", region or None)
    version = lam.get_alias(FunctionName=function, Name=alias)["FunctionVersion"]
    if version == "$LATEST":
        return []
    published = _aware(lam.get_function_configuration(FunctionName=function, Qualifier=version)["LastModified"])
    if published < since:
        return []
    pages = lam.get_paginator("list_versions_by_function").paginate(FunctionName=function)
    previous = max((int(v["Version"]) for page in pages for v in page["Versions"] if v["Version"].isdigit() and int(v["Version"]) < int(version)), default=None)
    return [{"when": published, "what": f"alias {alias} -> version {version}", "where": f"lambda:{function}", "previous": str(previous) if previous else "none"}]


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
    since = datetime.now(timezone.utc) - timedelta(hours=hours)
    found = at_once([lambda: stack_updates(aws, stack, since, stack_region), lambda: ecs_deployments(aws, cluster, service, since, ecs_region),
                     lambda: alias_moves(aws, function, alias, since, stack_region),
                     lambda: site_release(aws, web_bucket, since, stack_region) if web_bucket else []])
    return sorted((row for rows in found for row in rows), key=lambda r: r["when"], reverse=True)
