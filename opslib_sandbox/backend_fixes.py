"""What moto's backends lack that AWS has, added inside the sandbox process only.

- CloudWatch percentiles (p50, p95, p99.9 ...): moto answers None for extended statistics.
- EC2 status checks that can fail (moto reports every running instance as ok).
- CloudWatch DescribeAlarmHistory (moto keeps each alarm's past states but has no such call).
- CloudWatch GetMetricData in one pass over the data (moto rescans all of it for every period of
  every query: seven days of history made one call take seconds).
- SSM Run Command that runs: moto answers Success with empty output for any command on any id;
  here the command runs on the host model (`hosts`) and unknown or stopped instances are refused.
- ECS deployments that take time and run tasks (`rollouts`): moto makes running equal desired
  on an update, runs no task for a service, and ignores list-tasks --service-name.
- CloudWatch Logs filter patterns in full (`filter_patterns`): moto lets JSON and space-delimited
  patterns match every event.
- CloudWatch ListMetrics naming each metric once: moto compares metrics of several dimensions
  wrongly, so it listed one per datapoint (thousands), and took quadratic time doing it.
- DynamoDB's point-in-time window moving with the clock (moto freezes it at the moment recovery
  was turned on): latest about five minutes ago, earliest 35 days back or since it was turned on.
- DynamoDB restores to a point in time that go back in time: moto copies the table as it is now
  whatever the time asked; here a table with point-in-time recovery on keeps a change log of every
  write through the API (`opslib_history`: when, each key and its item as it was before), and a
  restore rewinds the changes made after the time asked.
- Lambda Invoke without Docker (`functions`): moto runs function code only in a container; here
  each invocation is answered as the function would, and logged as Lambda logs it. An invocation
  through an alias runs the alias's version (moto ignored the Qualifier and ran $LATEST).
- What a new AWS account and bucket have by default: S3 blocks public access on every new bucket (since April
  2023; moto blocks nothing), and the sandbox's root user has MFA (no API turns it on; moto reports it off).
  The sandbox's default caller is the IAM user it is, `arn:aws:iam::<account>:user/moto` (moto says
  `arn:aws:sts::<account>:user/moto`, a form AWS never answers).
- Block public access that blocks: S3 refuses a public bucket policy under BlockPublicPolicy and a public ACL
  under BlockPublicAcls (AccessDenied); moto stored both.
- Secrets Manager's AWSCURRENT moved by UpdateSecretVersionStage is what GetSecretValue then returns (moto kept
  returning the version it last put); ListSecretVersionIds gives each version's CreatedDate (moto said now for all).
- RDS automated backups a day, kept for the retention period (`backups`).
- ACM's InUseBy: AWS names the load balancers and CloudFront distributions that serve a certificate; moto
  names only classic load balancers.
- Endpoints where something answers (`databases`): an RDS instance or ElastiCache cluster backed by
  a real local server reports its address; moto's cache clusters list no nodes at all.
"""


MOTO = "5.2"  # the minor version whose internals these patch (pyproject pins moto~=5.2.6)
# What each patch replaces or reads inside moto (module, attribute path): checked before any is applied,
# so a moto that moved one fails at start-up naming the patch, never with a wrong answer later.
PATCHED = {
    "_percentiles_fix": [("moto.cloudwatch.models", "Statistics.get_statistics_for_type"), ("moto.cloudwatch.responses", "CloudWatchResponse.get_metric_statistics")],
    "_fast_metric_data_fix": [("moto.cloudwatch.models", "CloudWatchBackend.get_metric_data"), ("moto.cloudwatch.models", "CloudWatchBackend.get_all_metrics")],
    "_instance_status_fix": [("moto.ec2.models.instances", "Instance")],
    "_alarm_history_fix": [("moto.cloudwatch.responses", "CloudWatchResponse"), ("moto.core.responses", "ActionResult")],
    "_run_command_fix": [("moto.ssm.models", "Command.invocation_response"), ("moto.ssm.models", "SimpleSystemManagerBackend.send_command")],
    "_filter_pattern_fix": [("moto.logs.models", "EventMessageFilter"), ("moto.logs.exceptions", "InvalidParameterException")],
    "_ecs_deployment_fix": [("moto.ecs.models", "EC2ContainerServiceBackend.update_service"), ("moto.ecs.models", "EC2ContainerServiceBackend.create_service")],
    "_local_endpoints_fix": [("moto.rds.models", "DBInstance.address"), ("moto.elasticache.models", "CacheCluster")],
    "_pitr_window_fix": [("moto.dynamodb.models", "DynamoDBBackend.describe_continuous_backups")],
    "_pitr_history_fix": [("moto.dynamodb.responses", "DynamoHandler.restore_table_to_point_in_time"), ("moto.dynamodb.models", "DynamoDBBackend.put_item"),
                          ("moto.dynamodb.models", "DynamoDBBackend.update_item"), ("moto.dynamodb.models", "DynamoDBBackend.delete_item")],
    "_list_metrics_fix": [("moto.cloudwatch.models", "CloudWatchBackend.get_filtered_metrics"), ("moto.cloudwatch.models", "Dimension")],
    "_invoke_fix": [("moto.awslambda.models", "LambdaFunction.invoke"), ("moto.awslambda.responses", "LambdaResponse.invoke"),
                    ("moto.awslambda.models", "LambdaStorage._get_version"), ("moto.awslambda.models", "LambdaStorage._get_latest")],
    "_dynamodb_capacity_fix": [("moto.dynamodb.responses", "DynamoHandler.batch_get_item"), ("moto.dynamodb.responses", "DynamoHandler.batch_write_item")],
    "_aws_defaults_fix": [("moto.s3.models", "S3Backend.create_bucket"), ("moto.s3.models", "PublicAccessBlock"), ("moto.iam.models", "AccountSummary.__init__"),
                          ("moto.sts.models", "STSBackend.get_caller_identity")],
    "_public_access_block_fix": [("moto.s3.models", "S3Backend.put_bucket_policy"), ("moto.s3.models", "S3Backend.put_bucket_acl"),
                                 ("moto.s3.models", "S3Backend.put_object_acl"), ("moto.s3.utils", "bucket_policy_is_public"), ("moto.s3.exceptions", "S3ClientError")],
    "_secret_stage_fix": [("moto.secretsmanager.models", "SecretsManagerBackend.update_secret_version_stage"),
                          ("moto.secretsmanager.models", "SecretsManagerBackend.list_secret_version_ids")],
    "_certificate_use_fix": [("moto.acm.models", "CertBundle.describe"), ("moto.elbv2.models", "elbv2_backends"), ("moto.cloudfront.models", "cloudfront_backends")],
    "_refusals_fix": [("moto.cloudwatch.exceptions", "InvalidParameterValue"), ("moto.rds.exceptions", "InvalidParameterValue"), ("moto.rds.responses", "RDSResponse")],
    "backups": [("moto.rds.models", "RDSBackend.describe_db_snapshots"), ("moto.rds.models", "RDSBackend.describe_db_instance_automated_backups"),
                ("moto.rds.models", "RDSBackend.restore_db_instance_from_db_snapshot"), ("moto.rds.models", "RDSBackend.create_auto_snapshot"),
                ("moto.rds.models", "DBInstance.latest_restorable_time")],
    "transitions": [("moto.rds.models", "RDSBackend.describe_db_instances"), ("moto.dynamodb.models.table", "Table.describe"), ("moto.dynamodb.models.table", "Table.all_items"),
                    ("moto.cloudfront.models", "CloudFrontBackend.create_invalidation"), ("moto.cloudfront.models", "CloudFrontBackend.get_invalidation")],
    "traffic": [("moto.cloudwatch.models", "MetricDatum"), ("moto.sqs.models", "Queue.approximate_number_of_messages")],
    "trail": [("moto.sts.models", "STSBackend.get_caller_identity"), ("moto.cloudtrail.models", "TrailStatus")],
    "pristine": [("moto.core.base_backend", "BackendDict._instances"), ("moto.moto_api._internal", "mock_random")],
}


def missing() -> list[str]:
    """Each patched or read moto attribute that is not there, as '<patch>: <module>.<attribute>'."""
    import importlib

    out = []
    for patch, targets in PATCHED.items():
        for module, path in targets:
            try:
                found = importlib.import_module(module)
                for part in path.split("."):
                    found = getattr(found, part)
            except (ImportError, AttributeError):
                out.append(f"{patch}: {module}.{path}")
    return out


def apply() -> None:
    from importlib.metadata import version

    gone = missing()
    if gone or not version("moto").startswith(MOTO + "."):
        raise RuntimeError(f"moto {version('moto')} is not the {MOTO}.x the sandbox patches" + (f"; gone: {', '.join(gone)}" if gone else "")
                           + f": install moto~={MOTO}.6 (pyproject.toml), or port the named patches in opslib_sandbox/backend_fixes.py")
    _percentiles_fix()
    _fast_metric_data_fix()
    _instance_status_fix()
    _alarm_history_fix()
    _run_command_fix()
    _filter_pattern_fix()
    _ecs_deployment_fix()
    _local_endpoints_fix()
    _pitr_window_fix()
    _pitr_history_fix()
    _list_metrics_fix()
    _invoke_fix()
    _dynamodb_capacity_fix()
    _refusals_fix()
    _certificate_use_fix()
    _aws_defaults_fix()
    _public_access_block_fix()
    _secret_stage_fix()
    from . import backups, transitions

    backups.apply()  # RDS automated snapshots a day, kept for the retention period
    transitions.apply()  # RDS modifying/rebooting, EC2 status checks initializing after a reboot


def alarm_history(backend, name: str | None = None, start=None, end=None) -> list[dict]:
    """Every state change of the alarms, newest first, as DescribeAlarmHistory lists them."""
    import json

    items = []
    for alarm in backend.alarms.values():
        if name and alarm.name != name:
            continue
        states = [(h[3], h[4]) for h in alarm.history if h[0] == "StateUpdate"] + [(alarm.state_value, alarm.state_updated_timestamp)]
        reasons = [h[1] for h in alarm.history if h[0] == "StateUpdate"][1:] + [alarm.state_reason]
        for (old, _), (new, when), reason in zip(states, states[1:], reasons):
            if (start and when < start) or (end and when > end):
                continue
            items.append({"AlarmName": alarm.name, "AlarmType": "MetricAlarm", "Timestamp": when, "HistoryItemType": "StateUpdate",
                          "HistorySummary": f"Alarm updated from {old} to {new}",
                          "HistoryData": json.dumps({"version": "1.0", "oldState": {"stateValue": old}, "newState": {"stateValue": new, "stateReason": reason}})})
    return sorted(items, key=lambda i: i["Timestamp"], reverse=True)


def _ecs_deployment_fix() -> None:
    from moto.ecs import models

    original = models.EC2ContainerServiceBackend.update_service
    if getattr(original, "opslib_fixed", False):
        return

    from . import rollouts

    def update_service(self, service_properties):
        cluster, name = service_properties.get("cluster", "default"), service_properties["service"].split("/")[-1]
        before = self._get_service(cluster, name)
        rollouts.advance(self, before)
        task_definition, desired, running = before.task_definition, before.desired_count, before.running_count
        primary = dict(before.deployments[0]) if before.deployments else None
        forced = bool(service_properties.get("force_new_deployment"))
        service = original(self, service_properties)
        new_deployment = forced or service.task_definition != task_definition
        if new_deployment or service.desired_count != desired:
            rollouts.start(self, service, primary, running, new_deployment)
        return service

    def reading(method):
        def read(self, *args, **kwargs):
            rollouts.advance_all(self)  # where every deployment is by now
            return method(self, *args, **kwargs)
        return read

    def list_tasks(self, cluster_str=None, container_instance=None, family=None, started_by=None, service_name=None, desiredStatus=None):
        found = plain_list_tasks(self, cluster_str, container_instance, family, started_by, None, desiredStatus or "RUNNING")
        return [t for t in found if not service_name or t.group == f"service:{service_name.split('/')[-1]}"]

    def stop_task(self, cluster_str, task_str, reason):
        task = plain_stop_task(self, cluster_str, task_str, reason)
        task.desired_status = "STOPPED"  # moto leaves it RUNNING-bound: the service must see one task fewer
        name = (task.group or "").removeprefix("service:")
        if task.group and task.group.startswith("service:"):
            cluster = self._get_cluster(cluster_str).name
            service = next((s for s in self.services.values() if s.name == name and s.cluster_name == cluster), None)
            if service is not None:
                rollouts.replace(self, service)
        return task

    plain_list_tasks = models.EC2ContainerServiceBackend.list_tasks
    plain_stop_task = models.EC2ContainerServiceBackend.stop_task
    models.EC2ContainerServiceBackend.stop_task = stop_task
    update_service.opslib_fixed = True
    models.EC2ContainerServiceBackend.update_service = update_service
    models.EC2ContainerServiceBackend.describe_services = reading(models.EC2ContainerServiceBackend.describe_services)
    models.EC2ContainerServiceBackend.describe_tasks = reading(models.EC2ContainerServiceBackend.describe_tasks)
    models.EC2ContainerServiceBackend.list_tasks = reading(list_tasks)


def _filter_pattern_fix() -> None:
    from functools import lru_cache

    import moto.logs.models as logs_models
    from moto.logs.exceptions import InvalidParameterException

    from .filter_patterns import PatternError, compile_pattern

    compiled = lru_cache(maxsize=128)(compile_pattern)  # moto builds a filter per event

    class EventMessageFilter:
        def __init__(self, pattern: str):
            try:
                self.matches = compiled(pattern or "")
            except (PatternError, ValueError) as exc:  # re.error is a ValueError
                raise InvalidParameterException(f"Invalid filter pattern: {exc}") from None

    logs_models.EventMessageFilter = EventMessageFilter


def _alarm_history_fix() -> None:
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    if hasattr(CloudWatchResponse, "describe_alarm_history"):
        return

    def describe_alarm_history(self):
        kind = self._get_param("HistoryItemType")
        items = [] if kind not in (None, "StateUpdate") else alarm_history(
            self.cloudwatch_backend, self._get_param("AlarmName"), _when(self._get_param("StartDate")), _when(self._get_param("EndDate")))
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxRecords") or 100)
        result = {"AlarmHistoryItems": items[start : start + size]}
        if start + size < len(items):
            result["NextToken"] = str(start + size)
        return ActionResult(result)

    CloudWatchResponse.describe_alarm_history = describe_alarm_history


def _when(value):
    from datetime import datetime, timezone

    if value in (None, ""):  # moto keeps naive UTC times
        return None
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, timezone.utc)
    elif not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def _percentiles_fix() -> None:
    from moto.cloudwatch import models

    original = models.Statistics.get_statistics_for_type
    if getattr(original, "opslib_fixed", False):
        return

    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    from .alarms import percentile

    def get_statistics_for_type(self, stat):
        if isinstance(stat, str) and stat.startswith("p") and stat[1:].replace(".", "", 1).isdigit():
            values = self.metric_single_values_list
            return percentile(values, float(stat[1:])) if values else None
        return original(self, stat)

    get_statistics_for_type.opslib_fixed = True
    models.Statistics.get_statistics_for_type = get_statistics_for_type
    plain = CloudWatchResponse.get_metric_statistics

    def get_metric_statistics(self):
        """GetMetricStatistics with ExtendedStatistics (p95, p99), which moto ignores."""
        extended = self._get_param("ExtendedStatistics") or []
        if not extended:
            return plain(self)
        statistics = self._get_param("Statistics", [])
        found = self.cloudwatch_backend.get_metric_statistics(
            self._get_param("Namespace"), self._get_param("MetricName"), self._get_param("StartTime"), self._get_param("EndTime"),
            self._get_int_param("Period"), statistics + extended, unit=self._get_param("Unit"), dimensions=self._get_param("Dimensions", []))
        points = [{"Timestamp": s.timestamp, "Unit": s.unit or "None", **{k: s.get_statistics_for_type(k) for k in statistics},
                   "ExtendedStatistics": {k: s.get_statistics_for_type(k) for k in extended}} for s in found]
        return ActionResult({"Label": self._get_param("MetricName"), "Datapoints": points})

    CloudWatchResponse.get_metric_statistics = get_metric_statistics


def _instance_status_fix() -> None:
    """EC2 instance/system status checks: moto says "ok" for every running instance; a scenario
    can set `impaired` on one (attribute `opslib_status` = {"instance": ..., "system": ...})."""
    from moto.ec2.models import instances

    if getattr(instances.Instance, "opslib_fixed", False):
        return
    plain_instance, plain_system = instances.Instance.instance_status.fget, instances.Instance.system_status.fget

    def status(kind, plain):
        def get(self):
            wanted = getattr(self, "opslib_status", {}).get(kind)
            if wanted is None or self.state_code != 16:
                return plain(self)
            reachability = {"ok": "passed", "initializing": "initializing"}.get(wanted, "failed")
            return {"Details": [{"Name": "reachability", "Status": reachability}], "Status": wanted}

        return property(get)

    instances.Instance.instance_status = status("instance", plain_instance)
    instances.Instance.system_status = status("system", plain_system)
    instances.Instance.opslib_fixed = True


def _fast_metric_data_fix() -> None:
    from collections import defaultdict
    from datetime import timedelta

    from moto.cloudwatch import models

    original = models.CloudWatchBackend.get_metric_data
    if getattr(original, "opslib_fixed", False):
        return

    def get_metric_data(self, queries, start_time, end_time, scan_by="TimestampAscending"):
        if not queries or any("MetricStat" not in q for q in queries) or start_time >= end_time:
            return original(self, queries, start_time, end_time, scan_by)  # expressions, and moto's own validation
        start_time, end_time = _rounded_start(start_time), end_time.replace(microsecond=0)
        by_name = defaultdict(list)
        for md in self.get_all_metrics():
            if start_time <= md.timestamp < end_time + timedelta(seconds=1):
                by_name[(md.namespace, md.name)].append(md)
        results = []
        for query in queries:
            ms = query["MetricStat"]
            metric, stat, period = ms["Metric"], ms["Stat"], int(ms["Period"])
            dims = sorted(models.Dimension(name=d["Name"], value=d["Value"]) for d in metric.get("Dimensions", []))
            buckets = defaultdict(list)
            for md in by_name[(metric["Namespace"], metric["MetricName"])]:
                if (not dims or sorted(md.dimensions) == dims) and (not ms.get("Unit") or md.unit == ms["Unit"]):
                    buckets[int((md.timestamp - start_time).total_seconds() // period)].append(md)
            timestamps, values = [], []
            for k in sorted(buckets):
                stats = models.Statistics([stat], start_time + timedelta(seconds=k * period))
                stats.metric_data = buckets[k]
                timestamps.append(stats.timestamp)
                values.append(stats.get_statistics_for_type(stat))
            if scan_by == "TimestampDescending":
                timestamps.reverse()
                values.reverse()
            if query.get("ReturnData", True):
                results.append({"id": query["Id"], "label": query.get("Label") or f"{metric['MetricName']} {stat}",
                                "values": values, "timestamps": timestamps, "status_code": "Complete"})
        return results

    get_metric_data.opslib_fixed = True
    models.CloudWatchBackend.get_metric_data = get_metric_data


def _rounded_start(start):
    """As CloudWatch rounds a query's start: down to the minute when under 15 days old, to 5 minutes under 63 days, else the hour
    (moto keeps the seconds, so each period's label was off the minute every datum sits on)."""
    from datetime import datetime, timedelta, timezone

    age = datetime.now(timezone.utc).replace(tzinfo=None) - (start.astimezone(timezone.utc).replace(tzinfo=None) if start.tzinfo else start)
    step = 60 if age < timedelta(days=15) else 300 if age < timedelta(days=63) else 3600
    epoch = int(start.timestamp()) if start.tzinfo else int(start.replace(tzinfo=timezone.utc).timestamp())
    rounded = datetime.fromtimestamp(epoch - epoch % step, timezone.utc)
    return rounded if start.tzinfo else rounded.replace(tzinfo=None)


def _run_command_fix() -> None:
    from moto.ec2.models import ec2_backends
    from moto.ssm import models
    from moto.ssm.exceptions import SSMException

    from . import hosts

    if getattr(models.Command, "opslib_fixed", False):
        return
    plain_send = models.SimpleSystemManagerBackend.send_command

    def instance(account: str, region: str, instance_id: str):
        for reservation in ec2_backends[account][region].reservations.values():
            for i in reservation.instances:
                if i.id == instance_id:
                    return i
        return None

    def send_command(self, *args, **kwargs):
        ids = kwargs.get("instance_ids") or (args[3] if len(args) > 3 else [])
        bad = [i for i in ids or [] if getattr(instance(self.account_id, self.region_name, i), "state_code", None) != 16]
        if bad:  # AWS refuses ids that are not running, SSM-managed instances
            raise SSMException("InvalidInstanceId", f"Instances [[{', '.join(bad)}]] not in a valid state for account {self.account_id}")
        command = plain_send(self, *args, **kwargs)
        failed = sum(inv["Status"] != "Success" for inv in command.invocations)
        command.error_count = failed
        command.status = "Failed" if failed else "Success"
        command.status_details = command.status
        return command

    def invocation_response(self, instance_id: str, plugin_name: str) -> dict:
        from datetime import datetime, timezone

        response = plain_invocation(self, instance_id, plugin_name)
        host = instance(self.account_id, self.backend_region, instance_id)
        if host is None or self.document_name != "AWS-RunShellScript":
            return response
        done = self.__dict__.setdefault("opslib_ran", {})  # a command runs once; every read of its invocation sees that run
        if instance_id not in done:
            started = datetime.now(timezone.utc)
            code, out, err = hosts.run(host, "\n".join(self.parameters.get("commands", [])))
            done[instance_id] = (started, max((datetime.now(timezone.utc) - started).total_seconds(), 0.05), code, out, err)
        started, elapsed, code, out, err = done[instance_id]
        status = "Success" if code == 0 else "Failed"
        return {**response, "ResponseCode": code, "Status": status, "StatusDetails": status, "ExecutionElapsedTime": f"PT{elapsed:.3f}S",
                "ExecutionEndDateTime": started.isoformat(), "StandardOutputContent": out[-24000:], "StandardErrorContent": err[-8000:]}

    plain_invocation = models.Command.invocation_response
    models.Command.invocation_response = invocation_response
    models.SimpleSystemManagerBackend.send_command = send_command
    models.Command.opslib_fixed = True


def _local_endpoints_fix() -> None:
    from moto.elasticache.models import CacheCluster
    from moto.rds.models import DBInstance

    aws_address = DBInstance.address
    DBInstance.address = property(lambda self: getattr(self, "opslib_address", None) or aws_address.fget(self))

    def cache_nodes(self):
        region = self.arn.split(":")[3]
        endpoint = getattr(self, "opslib_endpoint", None) or {"Address": f"{self.cache_cluster_id}.abc123.0001.{region}.cache.amazonaws.com", "Port": self.port}
        return [{"CacheNodeId": f"{i + 1:04d}", "CacheNodeStatus": "available", "CacheNodeCreateTime": self.cache_cluster_create_time,
                 "Endpoint": endpoint, "ParameterGroupStatus": "in-sync", "CustomerAvailabilityZone": f"{region}a"}
                for i in range(self.num_cache_nodes)]

    CacheCluster.cache_nodes = property(cache_nodes)


def _pitr_window_fix() -> None:
    import time

    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.describe_continuous_backups

    def describe_continuous_backups(self, table_name: str) -> dict:
        answer = original(self, table_name)
        pitr = answer.get("PointInTimeRecoveryDescription") or {}
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            return answer
        now, since = time.time(), getattr(self.get_table(table_name), "opslib_pitr_since", pitr.get("EarliestRestorableDateTime"))
        return {**answer, "PointInTimeRecoveryDescription": {**pitr, "EarliestRestorableDateTime": max(since, now - 35 * 86400), "LatestRestorableDateTime": now - 300}}

    DynamoDBBackend.describe_continuous_backups = describe_continuous_backups


def pitr_history(table) -> list:
    """[(when, [(key, the item as it was before then, or None: absent)])]: the table's change log while point-in-time
    recovery is on (every put, update and delete through the API, batch writes included), which restores rewind."""
    if not hasattr(table, "opslib_history"):
        table.opslib_history = []
    return table.opslib_history


def forget_changes() -> None:
    """The seeded world has no change log: its items were there before any window a restore can reach."""
    from moto.dynamodb.models import dynamodb_backends

    for regions in dynamodb_backends.values():
        for backend in regions.values():
            for table in backend.tables.values():
                table.opslib_history = []


CHANGE_LOG_MAX = 100_000  # changes kept per table (35 days of a busy table is more: a bound, so a write costs the same in a year)


def _pitr_history_fix() -> None:
    import time
    from datetime import datetime, timezone

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    def pitr_on(table) -> bool:
        return (table.continuous_backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus") == "ENABLED"

    def logged(method, key_of):
        def write(self, table_name, *args, **kwargs):
            table = self.get_table(table_name)
            if not pitr_on(table):
                return method(self, table_name, *args, **kwargs)
            key = {k: v for k, v in key_of(args, kwargs).items() if k in (table.hash_key_attr, table.range_key_attr)}
            before = self.get_item(table_name, key)
            was = before.to_json()["Attributes"] if before is not None else None  # now: an update changes the item in place
            answer = method(self, table_name, *args, **kwargs)
            history = pitr_history(table)
            history.append((time.time(), [(key, was)]))
            del history[:-CHANGE_LOG_MAX]
            return answer
        return write

    DynamoDBBackend.put_item = logged(DynamoDBBackend.put_item, lambda a, kw: a[0] if a else kw["item_attrs"])
    DynamoDBBackend.update_item = logged(DynamoDBBackend.update_item, lambda a, kw: a[0] if a else kw["key"])
    DynamoDBBackend.delete_item = logged(DynamoDBBackend.delete_item, lambda a, kw: a[0] if a else kw["key"])
    original = DynamoHandler.restore_table_to_point_in_time

    def restore_table_to_point_in_time(self):
        from moto.core.exceptions import JsonRESTError
        from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX

        body = self.body
        asked, latest = body.get("RestoreDateTime"), datetime.now(timezone.utc).timestamp() - 300
        if body.get("UseLatestRestorableTime") or asked is None:
            when = latest
        else:  # epoch seconds on the wire; moto may have parsed it already
            when = asked.timestamp() if isinstance(asked, datetime) else float(asked)
        if when > latest + 1:  # AWS restores up to about five minutes ago
            raise JsonRESTError(ERROR_TYPE_PREFIX + "InvalidRestoreTimeException",
                                "RestoreDateTime is after LatestRestorableDateTime: ask for a time at least five minutes ago, or UseLatestRestorableTime")
        answer = original(self)
        source, target = body["SourceTableName"], body["TargetTableName"]
        for changed, entries in reversed(pitr_history(self.dynamodb_backend.get_table(source))):  # newest first: each key ends as it was at `when`
            if changed <= when:
                break
            for key, item in entries:
                if item is None:
                    self.dynamodb_backend.delete_item(target, key)
                else:
                    self.dynamodb_backend.put_item(target, item)
        return answer

    DynamoHandler.restore_table_to_point_in_time = restore_table_to_point_in_time


def _list_metrics_fix() -> None:
    from moto.cloudwatch.models import CloudWatchBackend, Dimension

    def get_filtered_metrics(self, metric_name, namespace, dimensions):
        wanted = [Dimension(d["Name"], d.get("Value")) for d in dimensions or []]
        seen, found = set(), []
        for datum in self.get_all_metrics():
            if (namespace and datum.namespace != namespace) or (metric_name and datum.name != metric_name):
                continue
            if any(w not in datum.dimensions for w in wanted):
                continue
            key = (datum.namespace, datum.name, tuple(sorted((d.name, d.value) for d in datum.dimensions)))
            if key not in seen:
                seen.add(key)
                found.append(datum)
        return found

    CloudWatchBackend.get_filtered_metrics = get_filtered_metrics


def _invoke_fix() -> None:
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda.responses import LambdaResponse

    from . import functions

    plain_response = LambdaResponse.invoke

    def invoke_response(self):  # boto3 sends ?Qualifier=LIVE; moto reads `qualifier` and ran $LATEST
        if "Qualifier" in self.querystring:
            self.querystring.setdefault("qualifier", self.querystring["Qualifier"])
        return plain_response(self)

    LambdaResponse.invoke = invoke_response

    def invoke(self, body, request_headers, response_headers):
        kind = request_headers.get("x-amz-invocation-type") or request_headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        payload, error, tail = functions.invoke(self, body)
        if error:
            response_headers["x-amz-function-error"] = error
        response_headers["x-amz-log-result"] = tail
        response_headers["x-amz-executed-version"] = str(self.version)
        return payload if kind == "RequestResponse" else b""

    LambdaFunction.invoke = invoke


def _dynamodb_capacity_fix() -> None:
    """A provisioned table's capacity bounds what one batch call does, as DynamoDB's throttling does: BatchGetItem
    reads at most ReadCapacityUnits keys of a table a call and BatchWriteItem writes at most WriteCapacityUnits
    items, the rest answered as UnprocessedKeys / UnprocessedItems for the caller to retry (moto processed all)."""
    from moto.dynamodb.responses import DynamoHandler

    plain_get, plain_write = DynamoHandler.batch_get_item, DynamoHandler.batch_write_item
    if getattr(plain_get, "opslib_fixed", False):
        return

    def cap(self, table_name: str, kind: str) -> int | None:
        table = self.dynamodb_backend.get_table(table_name)
        if getattr(table, "billing_mode", None) == "PAY_PER_REQUEST":
            return None
        units = int((getattr(table, "throughput", None) or {}).get(kind) or 0)
        return units if units > 0 else None

    def batch_get_item(self):
        held = {}
        for name, request in list(self.body["RequestItems"].items()):
            most = cap(self, name, "ReadCapacityUnits")
            if most is not None and len(request["Keys"]) > most:
                held[name] = dict(request, Keys=request["Keys"][most:])
                self.body["RequestItems"][name] = dict(request, Keys=request["Keys"][:most])
        answer = plain_get(self)
        if held:
            answer.result["UnprocessedKeys"].update(held)
        return answer

    def batch_write_item(self):
        held = {}
        for name, requests in list(self.body["RequestItems"].items()):
            most = cap(self, name, "WriteCapacityUnits")
            if most is not None and len(requests) > most:
                held[name] = requests[most:]
                self.body["RequestItems"][name] = requests[:most]
        answer = plain_write(self)
        if held:
            answer.result["UnprocessedItems"].update(held)
        return answer

    batch_get_item.opslib_fixed = True
    DynamoHandler.batch_get_item = batch_get_item
    DynamoHandler.batch_write_item = batch_write_item


STANDARD_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


def _refusals_fix() -> None:
    """What AWS refuses and moto accepted, where the seeds' commands trip on it: RDS's MaxRecords outside 20-100, and
    a percentile in GetMetricStatistics' Statistics (it belongs in ExtendedStatistics)."""
    from moto.cloudwatch.exceptions import InvalidParameterValue as CloudWatchInvalid
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.rds.exceptions import InvalidParameterValue as RdsInvalid
    from moto.rds.responses import RDSResponse

    if getattr(CloudWatchResponse.get_metric_statistics, "opslib_fixed", False):
        return

    def bounded(method):
        def describe(self, *args, **kwargs):
            n = self.params.get("MaxRecords")
            if n is not None and not 20 <= int(n) <= 100:
                raise RdsInvalid(f"Invalid max records value {n}: it must be between 20 and 100")
            return method(self, *args, **kwargs)
        return describe

    for name in [n for n in vars(RDSResponse) if n.startswith("describe_")]:
        setattr(RDSResponse, name, bounded(getattr(RDSResponse, name)))

    plain = CloudWatchResponse.get_metric_statistics

    def get_metric_statistics(self):
        for i, stat in enumerate(self._get_param("Statistics", []) or [], 1):
            if stat not in STANDARD_STATISTICS:
                raise CloudWatchInvalid(f"The parameter Statistics.member.{i} must be a value in the set [ {', '.join(STANDARD_STATISTICS)} ]; "
                                        "percentiles go in ExtendedStatistics.")
        return plain(self)

    get_metric_statistics.opslib_fixed = True
    CloudWatchResponse.get_metric_statistics = get_metric_statistics


def _certificate_use_fix() -> None:
    """describe-certificate's InUseBy: each load balancer with a listener serving the certificate, each distribution whose
    viewer certificate it is (ARNs, as AWS lists them)."""
    from moto.acm.models import CertBundle
    from moto.cloudfront.models import cloudfront_backends
    from moto.elbv2.models import elbv2_backends

    described = CertBundle.describe

    def describe(self):
        out = described(self)
        _, _, _, region, account, _ = self.arn.split(":", 5)
        users = {arn for arn in self.in_use_by if ":listener/" not in arn}  # moto's own note is the listener as first created
        for lb in elbv2_backends[account][region].load_balancers.values():
            if any(self.arn == li.certificate or self.arn in (c.get("CertificateArn") if isinstance(c, dict) else c for c in li.certificates)
                   for li in lb.listeners.values()):
                users.add(lb.arn)
        for dist in cloudfront_backends[account]["global"].distributions.values():
            if getattr(dist.distribution_config.__dict__.get("ViewerCertificate"), "acm_certificate_arn", "") == self.arn:
                users.add(dist.arn)
        out["Certificate"]["InUseBy"] = sorted(users)
        return out

    CertBundle.describe = describe


def _aws_defaults_fix() -> None:
    """A new bucket blocks public access (all four settings, as S3 sets them since April 2023); the root user has MFA; the
    default caller is an IAM user's ARN."""
    from moto.iam.models import AccountSummary
    from moto.s3.models import PublicAccessBlock, S3Backend
    from moto.sts.models import STSBackend

    create, init, identity = S3Backend.create_bucket, AccountSummary.__init__, STSBackend.get_caller_identity

    def create_bucket(self, *args, **kwargs):
        bucket = create(self, *args, **kwargs)
        bucket.public_access_block = PublicAccessBlock(True, True, True, True)
        return bucket

    def iam_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._account_mfa_enabled = 1

    def caller(self, access_key_id, region):
        user_id, arn, account = identity(self, access_key_id, region)
        return user_id, arn.replace(f":sts::{account}:user/", f":iam::{account}:user/"), account

    S3Backend.create_bucket = create_bucket
    AccountSummary.__init__ = iam_init
    STSBackend.get_caller_identity = caller


def _public_access_block_fix() -> None:
    """PutBucketPolicy with a public policy under BlockPublicPolicy, and a public ACL under BlockPublicAcls, are refused as
    S3 refuses them (what is already there stays: RestrictPublicBuckets and IgnorePublicAcls decide whether it counts)."""
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import ALL_USERS_GRANTEE, AUTHENTICATED_USERS_GRANTEE, S3Backend
    from moto.s3.utils import bucket_policy_is_public

    put_policy, put_acl, put_key_acl = S3Backend.put_bucket_policy, S3Backend.put_bucket_acl, S3Backend.put_object_acl

    def refuse(bucket, setting: str, what: str, action: str):
        block = getattr(bucket, "public_access_block", None)
        if block is not None and getattr(block, setting):
            raise S3ClientError("AccessDenied", f"User is not authorized to perform: s3:{action} on resource: \"arn:aws:s3:::{bucket.name}\" "
                                f"because public {what} are blocked by the {''.join(w.title() for w in setting.split('_'))} block public access setting.")

    def public(acl) -> bool:
        return any(g in (ALL_USERS_GRANTEE, AUTHENTICATED_USERS_GRANTEE) for grant in (acl.grants if acl else []) for g in grant.grantees)

    def put_bucket_policy(self, bucket_name, policy):
        if bucket_policy_is_public(policy):
            refuse(self.get_bucket(bucket_name), "block_public_policy", "policies", "PutBucketPolicy")
        return put_policy(self, bucket_name, policy)

    def put_bucket_acl(self, bucket_name, acl):
        if public(acl):
            refuse(self.get_bucket(bucket_name), "block_public_acls", "ACLs", "PutBucketAcl")
        return put_acl(self, bucket_name, acl)

    def put_object_acl(self, bucket_name, key_name, acl, *args, **kwargs):
        if public(acl):
            refuse(self.get_bucket(bucket_name), "block_public_acls", "ACLs", "PutObjectAcl")
        return put_key_acl(self, bucket_name, key_name, acl, *args, **kwargs)

    S3Backend.put_bucket_policy, S3Backend.put_bucket_acl, S3Backend.put_object_acl = put_bucket_policy, put_bucket_acl, put_object_acl


def _secret_stage_fix() -> None:
    """GetSecretValue without a stage or version answers AWSCURRENT: after AWSCURRENT moves, the version it moved to.
    ListSecretVersionIds: each version's own CreatedDate."""
    from moto.secretsmanager.models import SecretsManagerBackend

    update, listed = SecretsManagerBackend.update_secret_version_stage, SecretsManagerBackend.list_secret_version_ids

    def update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id=None, move_to_version_id=None):
        out = update(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
        if version_stage == "AWSCURRENT" and move_to_version_id:
            self.secrets[secret_id].default_version_id = move_to_version_id
        return out

    def list_secret_version_ids(self, secret_id):
        import json

        out = json.loads(listed(self, secret_id))
        versions = self.secrets[secret_id].versions
        for v in out["Versions"]:
            v["CreatedDate"] = versions[v["VersionId"]].get("createdate", v["CreatedDate"])
        return json.dumps(out)

    SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage
    SecretsManagerBackend.list_secret_version_ids = list_secret_version_ids
