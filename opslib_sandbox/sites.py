"""The seeded web endpoints answer from the world behind them, as the real ones do, so a fault
made through the AWS APIs (`aws ecs update-service --desired-count 0`, `aws ec2 stop-instances`)
shows at `/health` too, and scenarios change the world rather than the endpoints.

- rms-api: from the RMS ECS service. No task running: 503 "no healthy upstream". Fewer running
  than desired: "degraded", slower, and one request in `desired` is a 503 (the survivors are
  overloaded); while a deployment rolls, healthy but slower. Its version is the image tag of the
  service's task definition.
- webapp: from its EC2 instance (not running: 504, nothing answers behind the proxy) and its
  `webapp` container on that host (not running: 502 with the container's exit).
- rms-frontend: from the CloudFront distribution for rms.example.com and its origin bucket: no
  distribution or a disabled one: 503; the bucket gone: 502; its health.json gone: 404; else the
  object itself.
"""

import itertools
import json
from datetime import datetime, timezone

from . import hosts, rollouts, world

SLOWER_S = 0.15  # added per missing task: the remaining ones queue requests


def answer(name: str, state) -> tuple[int, dict, float]:
    """(HTTP status, seed 000's /health JSON, seconds to wait before answering)."""
    if name in state.sites:  # a scenario's own answer for what the world cannot show yet
        code, body = state.sites[name]
        return code, dict(body), 0.0
    if name == "rms-api":
        code, body, delay = _rms_api(next(_counter(state, name)))
    elif name == "webapp":
        code, body, delay = _webapp()
    elif name == "rms-frontend":
        code, body, delay = _rms_frontend()
    elif name in world.SITES:
        code, body, delay = 200, dict(world.SITES[name]), 0.0
    else:
        return 404, {"error": f"no site {name}"}, 0.0
    body["timestamp"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return code, body, delay


def _rms_frontend() -> tuple[int, dict, float]:
    distribution = next((d for d in world.backend("cloudfront", "global").distributions.values()
                         if "rms.example.com" in (d.distribution_config.Aliases.get("Items") or [])), None)
    if distribution is None:
        return 503, {"status": "unreachable", "error": "no CloudFront distribution serves rms.example.com"}, 0.0
    if str(distribution.distribution_config.Enabled).lower() != "true":
        return 503, {"status": "unreachable", "error": f"distribution {distribution.distribution_id} is disabled"}, 0.0
    bucket_name = distribution.distribution_config.Origins["Items"][0].domain_name.split(".s3")[0]
    bucket = world.backend("s3", "global").buckets.get(bucket_name)
    if bucket is None:
        return 502, {"status": "unhealthy", "error": f"origin bucket {bucket_name} does not exist"}, 0.0
    health = bucket.keys.get("health.json")
    if health is None or not hasattr(health, "value"):  # never put, or deleted (a delete marker)
        return 404, {"status": "unhealthy", "error": f"health.json not found in {bucket_name}"}, 0.0
    return 200, json.loads(health.value), 0.0


def _counter(state, name: str):
    return state.site_requests.setdefault(name, itertools.count())


def _rms_api(request: int) -> tuple[int, dict, float]:
    ecs = world.backend("ecs", world.RMS["region"])
    svc = ecs.services.get(f"{world.RMS['cluster']}:{world.RMS['service']}")
    if svc is None:
        return 503, {"status": "unhealthy", "error": "no healthy upstream (service missing)"}, 0.0
    rollouts.advance(ecs, svc)  # where its tasks are by now
    version = _image_tag(svc.task_definition)
    running, desired = svc.running_count, svc.desired_count
    if running == 0:
        return 503, {"status": "unhealthy", "version": version, "error": f"no healthy upstream: 0 of {desired} tasks running"}, 0.0
    rolling = any(d.get("rolloutState") == "IN_PROGRESS" for d in svc.deployments)
    if running < desired and rolling:  # tasks are being replaced: the load balancer routes to the ones up
        return 200, {"status": "healthy", "version": version}, SLOWER_S * (desired - running)
    if running < desired:
        if request % desired == desired - 1:
            return 503, {"status": "unhealthy", "version": version, "error": "upstream overloaded"}, SLOWER_S * (desired - running)
        return 200, {"status": "degraded", "version": version, "tasks": f"{running}/{desired}"}, SLOWER_S * (desired - running)
    return 200, {"status": "healthy", "version": version}, 0.0


def _image_tag(task_definition: str) -> str:
    try:
        definition = world.backend("ecs", world.RMS["region"]).describe_task_definition(task_definition)
        return definition.container_definitions[0]["image"].rsplit(":", 1)[-1]
    except Exception:  # a task definition moto no longer knows
        return "unknown"


def _webapp() -> tuple[int, dict, float]:
    version = world.SITES["webapp"]["version"]
    instance = world.instance_named(world.WEBAPP["instance_name"])
    if instance is None or instance.state != "running":
        what = "terminated" if instance is None else instance.state
        return 504, {"status": "unreachable", "version": version, "error": f"instance {world.WEBAPP['instance_name']} is {what}"}, 0.0
    container = hosts.containers(instance).get("webapp")
    if container is None or container.get("state") != "running":
        exit_code = (container or {}).get("exit_code")
        reason = f"container webapp exited ({exit_code})" if container else "no container webapp"
        return 502, {"status": "unhealthy", "version": version, "error": reason}, 0.0
    built = next((i for i in hosts.images(instance) if i["id"] == container.get("image_id")), None) or hosts.image_of(instance, container["image"]) or {}
    version = built.get("version", version)
    if not built.get("healthy", True):  # a release that cannot reach its database
        return 500, {"status": "unhealthy", "version": version, "error": "database: connection refused (DB_HOST is not set)"}, 0.0
    return 200, {"status": "healthy", "version": version}, 0.0

