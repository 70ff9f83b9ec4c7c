"""An ECS service back to an earlier task definition revision (seed 003's `aws ecs update-service`,
with `--task-definition`), watched to steady state as seed 003 watches its scaling."""

from ..services import ecs
from . import Action, Change


def _revision(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


class SetTaskDefinition(Action):
    verb = "set-task-definition"
    permissions = ("ecs:DescribeServices", "ecs:UpdateService")
    max_resources = 1
    verify_within_s = 180  # tasks come up one at a time

    def __init__(self, cluster: str, service: str, task_definition: str):
        self.cluster, self.service, self.task_definition = cluster, service, _revision(task_definition)

    def describe(self) -> str:
        return f"set-task-definition {self.service} to {self.task_definition}"

    def args(self) -> dict:
        return {"cluster": self.cluster, "service": self.service, "task_definition": self.task_definition}

    def capture(self, aws) -> dict:
        svc = ecs.describe_service(aws, self.cluster, self.service)
        primary = next((d for d in svc.get("deployments", []) if d.get("status") == "PRIMARY"), {})
        return {"task_definition": _revision(svc["taskDefinition"]), "running": svc["runningCount"], "desired": svc["desiredCount"],
                "rollout": primary.get("rolloutState", "COMPLETED")}

    def plan(self, before: dict) -> list[Change]:
        if before["task_definition"] == self.task_definition:
            return []
        return [Change(f"{self.cluster}/{self.service}", "taskDefinition", before["task_definition"], self.task_definition)]

    def apply(self, aws, changes) -> None:
        aws.client("ecs").update_service(cluster=self.cluster, service=self.service, taskDefinition=self.task_definition)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        """Steady: every desired task runs the revision, and the rollout completed."""
        steady = after["task_definition"] == self.task_definition and after["rollout"] == "COMPLETED" and after["running"] == after["desired"]
        return steady, f"{after['running']}/{after['desired']} running, rollout {after['rollout']} on {after['task_definition']}"

    def undo(self, before: dict, changes) -> list["SetTaskDefinition"]:
        return [SetTaskDefinition(self.cluster, self.service, before["task_definition"])]

    @classmethod
    def rollback(cls, svc: dict | None, cluster: str, service: str, to_revision: str = "") -> list["SetTaskDefinition"]:
        """Back to `to_revision`, or to the revision the previous deployment ran (the one still serving,
        when the circuit breaker stopped the new one), or else the revision before the current one."""
        if not svc:
            return []
        current = _revision(svc["taskDefinition"])
        older = [_revision(d["taskDefinition"]) for d in svc.get("deployments", []) if d.get("status") != "PRIMARY"]
        family, _, number = current.rpartition(":")
        target = to_revision or (older[0] if older else f"{family}:{int(number) - 1}" if number.isdigit() and int(number) > 1 else "")
        return [cls(cluster, service, target)] if target and target != current else []


class ScaleService(Action):
    """Seed 003 "Scale ECS Service": `aws ecs update-service --desired-count N`, watched with
    `describe-services` until running equals desired; undone by the count it had."""

    verb = "scale-service"
    permissions = ("ecs:DescribeServices", "ecs:UpdateService")
    max_resources = 1
    verify_within_s = 180

    def __init__(self, cluster: str, service: str, desired: int):
        self.cluster, self.service, self.desired = cluster, service, int(desired)

    def describe(self) -> str:
        return f"scale-service {self.service} to {self.desired}"

    def args(self) -> dict:
        return {"cluster": self.cluster, "service": self.service, "desired": self.desired}

    def capture(self, aws) -> dict:
        svc = ecs.describe_service(aws, self.cluster, self.service)
        return {"desired": svc["desiredCount"], "running": svc["runningCount"], "pending": svc.get("pendingCount", 0)}

    def plan(self, before: dict) -> list[Change]:
        return [] if before["desired"] == self.desired else [Change(f"{self.cluster}/{self.service}", "desiredCount", before["desired"], self.desired)]

    def apply(self, aws, changes) -> None:
        aws.client("ecs").update_service(cluster=self.cluster, service=self.service, desiredCount=self.desired)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        return (after["desired"] == self.desired == after["running"], f"{after['running']}/{after['desired']} running, {after['pending']} pending")

    def undo(self, before: dict, changes) -> list["ScaleService"]:
        return [ScaleService(self.cluster, self.service, before["desired"])]

    @classmethod
    def requested(cls, cluster: str, service: str, desired: int) -> list["ScaleService"]:
        """Planned only when a count is asked for (-1 keeps it)."""
        return [cls(cluster, service, desired)] if desired >= 0 else []
