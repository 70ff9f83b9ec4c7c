"""An RDS instance to another class (seed 003 "Manual Scaling": `aws rds modify-db-instance
--db-instance-class ... --apply-immediately`). The seed warns it needs downtime: the plan says so."""

from ..services import rds
from . import Action, Change


class ResizeDatabase(Action):
    verb = "resize-database"
    permissions = ("rds:DescribeDBInstances", "rds:ModifyDBInstance")
    max_resources = 1
    verify_within_s = 300  # the instance passes through `modifying`

    def __init__(self, db_instance: str, instance_class: str):
        self.db_instance, self.instance_class = db_instance, instance_class

    def describe(self) -> str:
        return f"resize-database {self.db_instance} to {self.instance_class}"

    def args(self) -> dict:
        return {"db_instance": self.db_instance, "instance_class": self.instance_class}

    def capture(self, aws) -> dict:
        db = rds.describe_instance(aws, self.db_instance)
        return {"instance_class": db["DBInstanceClass"], "status": db["DBInstanceStatus"]}

    def plan(self, before: dict) -> list[Change]:
        if before["instance_class"] == self.instance_class:
            return []
        return [Change(self.db_instance, "DBInstanceClass", before["instance_class"],
                       f"{self.instance_class} (DOWNTIME: the instance restarts, minutes without the database; seed 003)")]

    def apply(self, aws, changes) -> None:
        aws.client("rds").modify_db_instance(DBInstanceIdentifier=self.db_instance, DBInstanceClass=self.instance_class, ApplyImmediately=True)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        return (after["instance_class"] == self.instance_class and after["status"] == "available", f"{after['instance_class']}, {after['status']}")

    def undo(self, before: dict, changes) -> list["ResizeDatabase"]:
        return [ResizeDatabase(self.db_instance, before["instance_class"])]

    @classmethod
    def requested(cls, db_instance: str, instance_class: str) -> list["ResizeDatabase"]:
        """Planned only when a class is asked for (empty keeps it)."""
        return [cls(db_instance, instance_class)] if instance_class else []
