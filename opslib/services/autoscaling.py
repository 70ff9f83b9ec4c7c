"""Application Auto Scaling: what scales an ECS service, and between which bounds."""

ECS_DIMENSION = "ecs:service:DesiredCount"


def resource_id(cluster: str, service: str) -> str:
    return f"service/{cluster}/{service}"


def scalable_target(aws, resource: str, dimension: str = ECS_DIMENSION, namespace: str = "ecs") -> dict:
    """The registered target (MinCapacity, MaxCapacity); {} when the service is not registered to scale (None is kept for a read that failed)."""
    found = aws.client("application-autoscaling").describe_scalable_targets(ServiceNamespace=namespace, ResourceIds=[resource], ScalableDimension=dimension)
    return next(iter(found["ScalableTargets"]), {})


def policies(aws, resource: str, dimension: str = ECS_DIMENSION, namespace: str = "ecs") -> list[dict]:
    client = aws.client("application-autoscaling")
    pages = client.get_paginator("describe_scaling_policies").paginate(ServiceNamespace=namespace, ResourceId=resource, ScalableDimension=dimension)
    return [p for page in pages for p in page["ScalingPolicies"]]


def target_tracking(policy: dict | None) -> dict | None:
    """A target-tracking policy as the four values seed 003 sets, or None."""
    config = (policy or {}).get("TargetTrackingScalingPolicyConfiguration")
    if not config:
        return None
    metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType") or "custom metric"
    return {"metric": metric, "target": float(config["TargetValue"]), "scale_out_cooldown_s": config.get("ScaleOutCooldown"),
            "scale_in_cooldown_s": config.get("ScaleInCooldown")}
