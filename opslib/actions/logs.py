"""Log group actions."""

from ..errors import BadInput
from ..services import logs
from . import Action, Change

# The only periods CloudWatch Logs accepts (PutRetentionPolicy), in days.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


class SetLogRetention(Action):
    """Give log groups a retention period (seed 001 'Log Rotation and Cleanup')."""

    verb = "set-log-retention"
    permissions = ("logs:DescribeLogGroups", "logs:PutRetentionPolicy")

    def __init__(self, log_groups: list[str], days: int):
        self.log_groups = list(log_groups)
        self.days = int(days)
        if self.days not in RETENTION_DAYS:
            nearest = min(RETENTION_DAYS, key=lambda d: abs(d - self.days))
            raise BadInput(f"{self.days} days is not a retention CloudWatch Logs accepts", f"use one of {', '.join(map(str, RETENTION_DAYS))} (nearest: {nearest})")

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
