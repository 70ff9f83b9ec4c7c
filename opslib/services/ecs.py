"""ECS."""


class ServiceMissing(Exception):
    """ECS reports missing services as `failures`, not as an error."""

    def __init__(self, cluster: str, service: str, reason: str):
        super().__init__(f"service {service} in cluster {cluster}: {reason}")
        self.response = {"Error": {"Code": "ServiceNotFound", "Message": str(self)}}


def describe_service(aws, cluster: str, service: str, region: str = "") -> dict:
    resp = aws.client("ecs", region or None).describe_services(cluster=cluster, services=[service])
    if resp.get("failures"):
        raise ServiceMissing(cluster, service, resp["failures"][0].get("reason", "MISSING"))
    return resp["services"][0]


def stopped_tasks(aws, cluster: str, service: str, limit: int = 10) -> list[dict]:
    """The service's tasks that stopped lately (ECS keeps them about an hour), newest first: why each
    stopped, its container's exit code, and where its log is (from the task definition's awslogs)."""
    ecs = aws.client("ecs")
    arns = [a for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, serviceName=service, desiredStatus="STOPPED") for a in page["taskArns"]]
    tasks = [t for i in range(0, len(arns), 100) for t in ecs.describe_tasks(cluster=cluster, tasks=arns[i : i + 100])["tasks"]]
    definitions = {arn: ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"] for arn in {t["taskDefinitionArn"] for t in tasks}}
    rows = []
    for t in tasks:
        spec = definitions[t["taskDefinitionArn"]]["containerDefinitions"][0]
        options = (spec.get("logConfiguration") or {}).get("options", {})
        container = (t.get("containers") or [{}])[0]
        task_id = t["taskArn"].rsplit("/", 1)[-1]
        rows.append({"task": task_id, "revision": t["taskDefinitionArn"].rsplit("/", 1)[-1], "reason": t.get("stoppedReason", ""),
                     "stop_code": t.get("stopCode", ""), "exit_code": container.get("exitCode"), "container_reason": container.get("reason", ""),
                     "log_group": options.get("awslogs-group", ""),
                     "log_stream": f"{options['awslogs-stream-prefix']}/{spec['name']}/{task_id}" if options.get("awslogs-stream-prefix") else ""})
    return rows[-limit:][::-1]


def failed(rows: list[dict]) -> list[dict]:
    """The stopped tasks that failed (not the ones a scale-in or a replaced deployment stopped)."""
    return [r for r in rows if r["stop_code"] in ("TaskFailedToStart", "EssentialContainerExited") or (r["exit_code"] not in (None, 0))]


def task_log(aws, rows: list[dict], lines: int = 20) -> list[str]:
    """The last lines of the newest failed task's container log (`aws logs get-log-events`); none when it never ran."""
    row = next((r for r in failed(rows) if r["log_stream"]), None)
    if row is None:
        return []
    events = aws.client("logs").get_log_events(logGroupName=row["log_group"], logStreamName=row["log_stream"], limit=lines, startFromHead=False)["events"]
    return [e["message"] for e in events]


def remembered_count(aws, cluster: str, service: str) -> tuple[int, str] | None:
    """What the service ran before it was scaled to 0, and where that is written: the last count above 0 an UpdateService set in
    the last 7 days (`aws cloudtrail lookup-events`, EventName=UpdateService), else its scalable target's minimum
    (`aws application-autoscaling describe-scalable-targets`); None when neither says."""
    import json
    from datetime import datetime, timedelta, timezone

    ct = aws.client("cloudtrail")
    pages = ct.get_paginator("lookup_events").paginate(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UpdateService"}],
                                                       StartTime=datetime.now(timezone.utc) - timedelta(days=7))
    for page in pages:  # newest first
        for event in page.get("Events", []):
            try:
                p = json.loads(event["CloudTrailEvent"]).get("requestParameters") or {}
            except (KeyError, ValueError):
                continue
            named = str(p.get("service") or "")
            if (named == service or named.endswith(f"/{service}")) and str(p.get("desiredCount", "0")).isdigit() and int(p["desiredCount"]) > 0:
                return int(p["desiredCount"]), f"the count CloudTrail shows it was last given ({event['EventTime']:%Y-%m-%d %H:%M} UTC)"
    targets = aws.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{service}"])
    least = max((t.get("MinCapacity", 0) for t in targets.get("ScalableTargets", [])), default=0)
    return (int(least), "its scalable target's minimum") if least else None
