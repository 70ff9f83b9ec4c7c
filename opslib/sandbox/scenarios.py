"""Named incidents the sandbox can be switched into, for drills and tests.

Each scenario says what it changes and which notebooks must catch it. Where moto cannot hold
the state (ECS running count, fault answers), the scenario sets it in the server's own backend
or at its HTTP boundary, so boto3 sees what AWS would send.
"""

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from . import world


@dataclass(frozen=True)
class Scenario:
    name: str
    changes: str
    caught_by: tuple[str, ...]
    apply: Callable


REGISTRY: dict[str, Scenario] = {}


def scenario(name: str, changes: str, caught_by: tuple[str, ...]):
    def register(fn):
        REGISTRY[name] = Scenario(name, changes, caught_by, fn)
        return fn

    return register


def ecs_running(count: int, cluster: str = world.RMS["cluster"], service: str = world.RMS["service"]) -> None:
    """moto makes running follow desired on any update; set what a failing service reports."""
    from moto.backends import get_backend

    svc = get_backend("ecs")[world.ACCOUNT][world.REGION].services[f"{cluster}:{service}"]
    svc.running_count = count
    svc.pending_count = max(svc.desired_count - count, 0)


@scenario("healthy", "Nothing: the seeded world as it runs on a good day.", ())
def healthy(state, c):
    pass


@scenario("service-down", "RMS backend runs 0 of 3 tasks; the API /health answers 503; rms-api-5xx-high in ALARM.",
          ("daily-health-check", "service-down", "app-health"))
def service_down(state, c):
    ecs_running(0)
    state.sites["rms-api"] = (503, {"status": "unhealthy", "version": "2.14.0", "error": "no healthy upstream"})
    c("cloudwatch").set_alarm_state(AlarmName="rms-api-5xx-high", StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint [412.0] > 50.0")


@scenario("ecs-degraded", "RMS backend runs 1 of 3 tasks (2 pending).", ("daily-health-check",))
def ecs_degraded(state, c):
    ecs_running(1)


@scenario("error-spike", "40 ERROR lines in the RMS application log in the last hour; rms-api-5xx-high in ALARM.",
          ("daily-health-check", "high-error-rate", "log-search"))
def error_spike(state, c):
    import random

    now = datetime.now(timezone.utc)
    events = [e for e in world.app_log_lines(now, 1, random.Random(7), errors_last_hour=40) if " ERROR " in e["message"]]
    world.put_events(c("logs"), world.RMS["log_group"], "ecs/rms-backend/spike", events)
    c("cloudwatch").set_alarm_state(AlarmName="rms-api-5xx-high", StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint [187.0] > 50.0")


@scenario("access-denied", "Every RDS call answers AccessDenied (a role missing rds:Describe*).", ("daily-health-check",))
def access_denied(state, c):
    state.faults.set([{"kind": "deny", "service": "rds"}])


@scenario("throttling-storm", "A third of all AWS calls answer with a throttling error.", ("daily-health-check",))
def throttling_storm(state, c):
    state.faults.set([{"kind": "throttle", "rate": 0.33}])
