"""Log group actions."""

from ..errors import BadInput
from ..services import logs
from ..units import plural
from . import Action, Change

# The only periods CloudWatch Logs accepts (PutRetentionPolicy), in days.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


class SetLogRetention(Action):
    """Give log groups a retention period (seed 001 'Log Rotation and Cleanup')."""

    verb = "set-log-retention"
    permissions = ("logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy")

    def __init__(self, log_groups: list[str], days: int | None):
        self.log_groups = list(log_groups)
        self.days = None if days is None else int(days)  # None: kept forever (no retention policy), as a new group is
        if self.days is not None and self.days not in RETENTION_DAYS:
            nearest = min(RETENTION_DAYS, key=lambda d: abs(d - self.days))
            raise BadInput(f"{self.days} days is not a retention CloudWatch Logs accepts", f"use one of {', '.join(map(str, RETENTION_DAYS))} (nearest: {nearest})")

    def describe(self) -> str:
        return f"set-log-retention {'never-expire' if self.days is None else f'{self.days}d'} on {plural(len(self.log_groups), 'log group')}"

    def args(self) -> dict:
        return {"log_groups": self.log_groups, "days": self.days}

    def undo(self, before: dict, changes: list[Change]) -> list["SetLogRetention"]:
        """Each group back to the retention it had: one action per period it had."""
        by_days: dict = {}
        for c in changes:
            by_days.setdefault(c.before, []).append(c.resource)
        return [SetLogRetention(groups, days) for days, groups in by_days.items()]

    def capture(self, aws) -> dict:
        found = {g["logGroupName"]: g.get("retentionInDays") for g in logs.describe_groups(aws, self.log_groups)}
        return {name: found.get(name, "missing") for name in self.log_groups}

    def plan(self, before: dict) -> list[Change]:
        return [Change(name, "retentionInDays", days, self.days) for name, days in before.items() if days != self.days and days != "missing"]

    def apply(self, aws, changes: list[Change]) -> None:
        for c in changes:
            logs.set_retention(aws, c.resource, self.days)

    @classmethod
    def to_policy(cls, groups: list[dict] | None, days: int) -> list["SetLogRetention"]:
        """The groups kept forever or longer than `days`, given `days`; none when every group keeps to it."""
        out = [g["logGroupName"] for g in groups or [] if g.get("retentionInDays") is None or g["retentionInDays"] > days]
        return [cls(out, days)] if out else []


class ExportLogs(Action):
    """Copy a log group's events of the last `minutes` to S3 (seed 001 'Export logs for analysis';
    'Suspected Security Breach': the last 24 hours as evidence).

    The window is the `minutes` before the export is applied, and the plan says so: a plan that named
    its end time would be stale a minute after it was reviewed. The times applied are journaled."""

    verb = "export-logs"
    permissions = ("logs:CreateExportTask", "logs:DescribeExportTasks", "s3:PutObject")
    max_resources = 5

    def __init__(self, log_group: str, bucket: str, prefix: str, minutes: int):
        if not bucket:
            raise BadInput("no export bucket given", "pass -p export_bucket=NAME (a bucket the logs service may write to)")
        if minutes <= 0:
            raise BadInput("the export window is empty", "give a window_minutes above 0")
        self.log_group, self.bucket, self.prefix, self.minutes = log_group, bucket, prefix.strip("/"), int(minutes)
        self.window: tuple[int, int] | None = None  # (start, end) in ms, once applied

    def describe(self) -> str:
        return f"export-logs {self.log_group} to s3://{self.bucket}/{self.prefix}"

    def capture(self, aws) -> dict:
        tasks = logs.export_tasks(aws, self.log_group)
        return {"export_tasks": sorted(f"{t.get('taskName') or t['taskId']}:{t.get('destination')}/{t.get('destinationPrefix')}" for t in tasks)}

    def plan(self, before: dict) -> list[Change]:
        span = f"{self.minutes // 60} h" if self.minutes % 60 == 0 else f"{self.minutes} min"
        return [Change(self.log_group, "export task", None, f"s3://{self.bucket}/{self.prefix}/<end time> (the {span} before it is applied)")]

    def apply(self, aws, changes: list[Change]) -> None:
        from datetime import UTC, datetime, timedelta

        end = datetime.now(UTC)
        self.window = int((end - timedelta(minutes=self.minutes)).timestamp() * 1000), int(end.timestamp() * 1000)
        logs.start_export(aws, self.log_group, self.bucket, f"{self.prefix}/{end:%Y%m%dT%H%MZ}", *self.window)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        """The export task is listed (every export is a new task, so planning again never comes up empty)."""
        from datetime import UTC, datetime

        new = sorted(set(after["export_tasks"]) - set(before["export_tasks"]))
        start, end = (datetime.fromtimestamp(ms / 1000, UTC) for ms in self.window or (0, 0))
        return (bool(new), f"export task {new[0]} ({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC)" if new else "no new export task listed")

    @classmethod
    def window_of(cls, log_groups: list[str], bucket: str, minutes: int, requested: bool = True, under: str = "log-search") -> list["ExportLogs"]:
        """One export per group of the last `minutes`, under `<under>/<group>/<end>`; none unless requested."""
        if not requested:
            return []
        return [cls(group, bucket, f"{under}/{group.strip('/').replace('/', '-')}", minutes) for group in log_groups]
