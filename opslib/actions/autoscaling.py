"""Seed 003 "Auto-Scaling Configuration": the service's scalable target (its bounds) and its
target-tracking policy (`aws application-autoscaling put-scaling-policy --policy-type
TargetTrackingScaling`, 70 % CPU, cooldowns 300 s). Each undone by what it replaced, or by
removing what was not there."""

from ..services import autoscaling
from . import Action, Change


class SetScalableTarget(Action):
    verb = "set-scalable-target"
    permissions = ("application-autoscaling:DescribeScalableTargets", "application-autoscaling:RegisterScalableTarget",
                   "application-autoscaling:DeregisterScalableTarget", "iam:CreateServiceLinkedRole")
    max_resources = 2  # its two bounds

    def __init__(self, resource: str, min_capacity: int | None, max_capacity: int | None):
        self.resource = resource  # None bounds: not registered (the undo of a first registration)
        self.min, self.max = (None, None) if min_capacity is None or max_capacity is None else (int(min_capacity), int(max_capacity))

    def describe(self) -> str:
        return f"set-scalable-target {self.resource} " + ("deregistered" if self.min is None else f"to {self.min}-{self.max} tasks")

    def args(self) -> dict:
        return {"resource": self.resource, "min_capacity": self.min, "max_capacity": self.max}

    def capture(self, aws) -> dict:
        found = autoscaling.scalable_target(aws, self.resource) or {}
        return {"min": found.get("MinCapacity"), "max": found.get("MaxCapacity")}

    def plan(self, before: dict) -> list[Change]:
        return [Change(self.resource, name, before[key], want)
                for name, key, want in (("MinCapacity", "min", self.min), ("MaxCapacity", "max", self.max)) if before[key] != want]

    def apply(self, aws, changes) -> None:
        client = aws.client("application-autoscaling")
        where = {"ServiceNamespace": "ecs", "ResourceId": self.resource, "ScalableDimension": autoscaling.ECS_DIMENSION}
        if self.min is None:
            client.deregister_scalable_target(**where)
        else:
            client.register_scalable_target(**where, MinCapacity=self.min, MaxCapacity=self.max)

    def undo(self, before: dict, changes) -> list["SetScalableTarget"]:
        return [SetScalableTarget(self.resource, before["min"], before["max"])]

    @classmethod
    def requested(cls, cluster: str, service: str, min_capacity: int, max_capacity: int) -> list["SetScalableTarget"]:
        return [cls(autoscaling.resource_id(cluster, service), min_capacity, max_capacity)]


class SetTargetTracking(Action):
    verb = "set-target-tracking"
    permissions = ("application-autoscaling:DescribeScalingPolicies", "application-autoscaling:PutScalingPolicy",
                   "application-autoscaling:DeleteScalingPolicy", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms")
    max_resources = 4  # the policy's four values

    def __init__(self, resource: str, policy_name: str, target: float | None, metric: str = "ECSServiceAverageCPUUtilization",
                 scale_out_cooldown_s: int = 300, scale_in_cooldown_s: int = 300):
        self.resource, self.policy_name = resource, policy_name
        self.config = None if target is None else {"metric": metric, "target": float(target), "scale_out_cooldown_s": int(scale_out_cooldown_s),
                                                   "scale_in_cooldown_s": int(scale_in_cooldown_s)}  # None: no such policy (the undo of a first one)

    def describe(self) -> str:
        if self.config is None:
            return f"set-target-tracking {self.policy_name} removed"
        return f"set-target-tracking {self.policy_name} to {self.config['target']:g} % {self.config['metric']}"

    def args(self) -> dict:
        c = self.config or {}
        return {"resource": self.resource, "policy_name": self.policy_name, "target": c.get("target"),
                **({k: c[k] for k in ("metric", "scale_out_cooldown_s", "scale_in_cooldown_s")} if c else {})}

    def capture(self, aws) -> dict:
        mine = [p for p in autoscaling.policies(aws, self.resource) if p["PolicyName"] == self.policy_name]
        return {"config": autoscaling.target_tracking(mine[0]) if mine else None, "alarms": [a["AlarmName"] for p in mine for a in p.get("Alarms", [])]}

    def plan(self, before: dict) -> list[Change]:
        have, want = before["config"] or {}, self.config or {}
        names = {"metric": "PredefinedMetricType", "target": "TargetValue", "scale_out_cooldown_s": "ScaleOutCooldown", "scale_in_cooldown_s": "ScaleInCooldown"}
        return [Change(f"{self.resource} {self.policy_name}", name, have.get(key), want.get(key)) for key, name in names.items() if have.get(key) != want.get(key)]

    def apply(self, aws, changes) -> None:
        client = aws.client("application-autoscaling")
        where = {"PolicyName": self.policy_name, "ServiceNamespace": "ecs", "ResourceId": self.resource, "ScalableDimension": autoscaling.ECS_DIMENSION}
        if self.config is None:
            client.delete_scaling_policy(**where)
            return
        c = self.config
        client.put_scaling_policy(**where, PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
            "TargetValue": c["target"], "PredefinedMetricSpecification": {"PredefinedMetricType": c["metric"]},
            "ScaleOutCooldown": c["scale_out_cooldown_s"], "ScaleInCooldown": c["scale_in_cooldown_s"]})

    def undo(self, before: dict, changes) -> list["SetTargetTracking"]:
        c = before["config"]
        if c is None:
            return [SetTargetTracking(self.resource, self.policy_name, None)]
        return [SetTargetTracking(self.resource, self.policy_name, c["target"], c["metric"], c["scale_out_cooldown_s"], c["scale_in_cooldown_s"])]

    @classmethod
    def requested(cls, cluster: str, service: str, policy_name: str, target_pct: float, scale_out_cooldown_s: int, scale_in_cooldown_s: int) -> list["SetTargetTracking"]:
        return [cls(autoscaling.resource_id(cluster, service), policy_name, target_pct, "ECSServiceAverageCPUUtilization", scale_out_cooldown_s, scale_in_cooldown_s)]
