"""Log group actions."""

from ..services import logs
from . import Action, Change


class SetLogRetention(Action):
    """Give log groups a retention period (seed 001 'Log Rotation and Cleanup')."""

    verb = "set-log-retention"
    permissions = ("logs:DescribeLogGroups", "logs:PutRetentionPolicy")

    def __init__(self, log_groups: list[str], days: int):
        self.log_groups = list(log_groups)
        self.days = int(days)

    def describe(self) -> str:
        return f"set-log-retention {self.days}d on {len(self.log_groups)} log group(s)"

    def capture(self, aws) -> dict:
        found = {g["logGroupName"]: g.get("retentionInDays") for g in logs.describe_groups(aws, self.log_groups)}
        return {name: found.get(name, "missing") for name in self.log_groups}

    def plan(self, before: dict) -> list[Change]:
        return [Change(name, "retentionInDays", days, self.days) for name, days in before.items() if days != self.days and days != "missing"]

    def apply(self, aws, changes: list[Change]) -> None:
        for c in changes:
            logs.set_retention(aws, c.resource, self.days)
