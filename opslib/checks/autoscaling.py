"""Application Auto Scaling."""

from . import OK, WARN, Check


def headroom(target: dict, svc: dict | None) -> list[Check]:
    """Can the service scale on its own from where it is: registered, and running below its maximum (none when
    the service could not be read: that read's ERROR row says why)."""
    return [_headroom(target, svc)] if svc else []


def _headroom(target: dict, svc: dict) -> Check:
    name, desired = svc["serviceName"], svc["desiredCount"]
    if not target:
        return Check("autoscaling_headroom", WARN, name, f"{desired} tasks, not registered", "registered, desired below max",
                     f"{name} is not registered with Application Auto Scaling: it runs {desired} tasks until someone changes it (the plan below registers it).")
    low, high = target["MinCapacity"], target["MaxCapacity"]
    if desired >= high:
        return Check("autoscaling_headroom", WARN, name, f"{desired} of max {high}", "desired below max",
                     f"{name} runs at its maximum of {high} tasks: it cannot scale out further (raise max_capacity).")
    if desired < low:
        return Check("autoscaling_headroom", WARN, name, f"{desired} below min {low}", f"{low}..{high}", f"{name} runs {desired} tasks, below its minimum of {low}.")
    return Check("autoscaling_headroom", OK, name, f"{desired} in {low}..{high}", "desired below max",
                 f"{name} runs {desired} tasks and may scale between {low} and {high}.")
