"""ECS services that take time, as ECS does (moto makes running equal desired the moment a service
is updated, and runs no task for it).

A new deployment (a new task definition, or `--force-new-deployment`) starts its tasks one step
at a time and stops one of the old deployment's for each that comes up; a change of desired count
moves one task a step. A step takes `pace()` seconds (`OPSLIB_SANDBOX_PACE`, default 3), so tests
run in seconds while nothing a notebook waits for is instant. Tasks whose image the sandbox's ECR
repository does not hold never start (CannotPullContainerError), and a scenario's release may
crash at start (`crash`: exit 1, its last words in the awslogs stream); after as many failures as
the deployment circuit breaker allows (half the desired count, at least 3) the deployment is FAILED
and the old deployment keeps serving. Each failed start is kept as a STOPPED task with its reason. (Rollback is not modelled: moto drops a service's
deploymentConfiguration.) Running tasks are real moto tasks, so `list-tasks --service-name` and
`describe-tasks` show them.

The state lives on each moto Service as `opslib_rollout`; a scenario may cap how many tasks can
run (`opslib_capacity`: the rest crash as they start).
"""

import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone

PACE_VARIABLE = "OPSLIB_SANDBOX_PACE"


def pace() -> float:
    try:
        return max(0.05, float(os.environ.get(PACE_VARIABLE) or 3))
    except ValueError:
        return 3.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Rollout:
    new: dict  # the PRIMARY deployment, as describe-services lists it
    old: dict | None  # the deployment being replaced (ACTIVE), if any
    from_new: int  # tasks the new deployment ran when this began (a scale keeps its deployment)
    from_old: int  # tasks the old deployment ran when this began
    started: datetime
    pull_error: str = ""  # why the new tasks cannot start
    deploying: bool = True  # a new deployment; False: a change of desired count within the primary one
    slowness: float = 1.0  # steps of this rollout take this many paces (a large image, a long health-check grace)
    crash: str = ""  # what each new task prints as it exits 1 at start (its image runs, the application does not)
    recorded: int = 0  # failed starts already kept as STOPPED tasks


def start(backend, service, old: dict | None, old_running: int, new_deployment: bool) -> None:
    """After moto applied an update: begin the deployment (or the scale) from what ran before."""
    now = _now()
    primary = dict(service.deployments[0]) if service.deployments else {}
    if new_deployment:
        from moto.moto_api._internal import mock_random

        primary.update(id=f"ecs-svc/{mock_random.randint(0, 32**12)}", createdAt=now,
                       taskDefinition=service.task_definition, status="PRIMARY", failedTasks=0)
        old = dict(old or {}, status="ACTIVE") if old else None
        from_new, from_old = 0, old_running
    else:
        from_new, from_old, old = old_running, 0, None
    primary.update(desiredCount=service.desired_count, updatedAt=now)
    if not new_deployment:
        primary.update(rolloutState=primary.get("rolloutState") or "COMPLETED", rolloutStateReason=primary.get("rolloutStateReason", ""))
    service.opslib_rollout = Rollout(primary, old, from_new, from_old, now, _pull_error(backend, service.task_definition) if new_deployment else "",
                                     new_deployment)
    advance(backend, service, now)


def replace(backend, service) -> None:
    """A task of the service stopped from outside (`stop-task`, a host lost): running drops now, and the scheduler
    starts a replacement a step later, within the primary deployment, as ECS does (no new deployment)."""
    running = sum(1 for t in backend.tasks.get(service.cluster_name, {}).values()
                  if t.group == f"service:{service.name}" and t.desired_status == "RUNNING")
    r = getattr(service, "opslib_rollout", None)
    if r is not None and r.deploying:
        return  # a deployment under way replaces what it needs as it goes
    primary = dict(service.deployments[0]) if service.deployments else {}
    service.opslib_rollout = Rollout(primary, None, running, 0, _now(), deploying=False)
    advance(backend, service)


def hold(backend, service, capacity: int, revision: str = "", last_words: str = "") -> None:
    """A scenario's fault: at most `capacity` tasks stay up; the rest crash as they start (printing
    `last_words`, where given, in their awslogs streams). With `revision` (a task definition ARN) only
    that release crashes: deploying another lifts it."""
    service.opslib_capacity = capacity
    service.opslib_capacity_revision = revision
    service.opslib_capacity_words = last_words
    if getattr(service, "opslib_rollout", None) is None:
        primary = dict(service.deployments[0]) if service.deployments else {}
        service.opslib_rollout = Rollout(primary, None, service.running_count, 0, _now(), deploying=False)
    advance(backend, service)


def crash(backend, service, message: str) -> None:
    """A scenario's release whose tasks start and exit at once, printing `message` (a missing setting)."""
    r = getattr(service, "opslib_rollout", None)
    if r is not None:
        r.crash = message
        advance(backend, service)


def slow(backend, service, factor: float) -> None:
    """A scenario's deployment whose tasks take `factor` times the pace to come up."""
    r = getattr(service, "opslib_rollout", None)
    if r is not None:
        r.slowness = factor
        advance(backend, service)


def age(backend, service, steps: int) -> None:
    """A scenario's deployment that began `steps` steps ago (its circuit breaker may have tripped)."""
    from datetime import timedelta

    r = getattr(service, "opslib_rollout", None)
    if r is not None:
        r.started -= timedelta(seconds=steps * pace() * r.slowness)
        advance(backend, service)


def advance(backend, service, now: datetime | None = None) -> None:
    """Bring the service, its deployments and its tasks to where they are by now."""
    r = getattr(service, "opslib_rollout", None)
    if r is None:
        return
    now = now or _now()
    steps = int((now - r.started).total_seconds() / (pace() * r.slowness))
    desired, cap = service.desired_count, getattr(service, "opslib_capacity", None)
    if cap is not None and getattr(service, "opslib_capacity_revision", "") not in ("", r.new.get("taskDefinition")):
        cap = service.opslib_capacity = None  # a release that does not crash replaced the one that did
    room = desired if cap is None else min(desired, cap)
    failed = 0
    threshold = min(max(math.ceil(desired / 2), 3), 200)
    if r.pull_error or r.crash:
        new_running, failed = 0, min(steps, threshold)  # the circuit breaker stops the attempts
    elif r.from_new <= desired:
        attempted = r.from_new + steps
        new_running = min(desired, attempted, room)
        failed = min(max(0, attempted - room), threshold) if cap is not None and r.deploying else 0  # each start past capacity crashes, until the circuit breaker stops them
    else:  # scaling in
        new_running = min(max(desired, r.from_new - steps), room)
    old_running = max(0, min(r.from_old - new_running, room - new_running)) if r.old else 0
    if not r.deploying:
        state = "COMPLETED"
    elif failed >= threshold:
        state = "FAILED"
    elif new_running >= desired and not old_running:
        state = "COMPLETED"
    else:
        state = "IN_PROGRESS"
    pending = min(1, desired - new_running) if state == "IN_PROGRESS" else (desired - new_running if not r.deploying else 0)
    r.new.update(runningCount=new_running, pendingCount=pending, failedTasks=failed, rolloutState=state, updatedAt=now,
                 **({"rolloutStateReason": _reason(r, state)} if r.deploying else {}))
    deployments = [r.new] + ([dict(r.old, runningCount=old_running, pendingCount=0)] if r.old and (old_running or state != "COMPLETED") else [])
    service.deployments = deployments
    service.running_count = new_running + old_running
    service.pending_count = r.new["pendingCount"]
    _sync_tasks(backend, service, {r.new["id"]: (r.new["taskDefinition"], new_running),
                                   **({r.old["id"]: (r.old["taskDefinition"], old_running)} if r.old else {})})
    if r.pull_error or r.crash or (failed and cap is not None and getattr(service, "opslib_capacity_words", "")):
        _record_failures(backend, service, r, failed, now, r.crash or getattr(service, "opslib_capacity_words", ""))
    if new_running == desired and state == "COMPLETED" and cap is None:
        service.opslib_rollout = None


def advance_all(backend, now: datetime | None = None) -> None:
    for service in list(backend.services.values()):
        advance(backend, service, now)


def settle_all(backend) -> None:
    """Every service steady at once: the seeded world starts where a live one would be."""
    for service in list(backend.services.values()):
        service.opslib_rollout = None
        service.running_count, service.pending_count = service.desired_count, 0
        if service.deployments:
            service.deployments = [dict(service.deployments[0], runningCount=service.desired_count, pendingCount=0, rolloutState="COMPLETED",
                                        desiredCount=service.desired_count, taskDefinition=service.task_definition,
                                        rolloutStateReason=f"ECS deployment {service.deployments[0]['id']} completed.")]
            _sync_tasks(backend, service, {service.deployments[0]["id"]: (service.task_definition, service.desired_count)})


def _reason(r: Rollout, state: str) -> str:
    did = r.new.get("id", "")
    if state == "FAILED":
        why = f" ({r.pull_error})" if r.pull_error else ""
        return f"ECS deployment circuit breaker: tasks failed to start{why}."
    return f"ECS deployment {did} completed." if state == "COMPLETED" else f"ECS deployment {did} in progress."


def _pull_error(backend, task_definition: str) -> str:
    """CannotPullContainerError when the image is in one of the sandbox's ECR repositories' names
    but that repository holds no such tag; images from elsewhere are taken to exist."""
    try:
        image = backend.describe_task_definition(task_definition).container_definitions[0]["image"]
    except Exception:
        return ""
    host, _, rest = image.partition("/")
    if ".dkr.ecr." not in host or ":" not in rest:
        return ""
    repo, tag = rest.rsplit(":", 1)
    account, region = host.split(".")[0], host.split(".")[3]
    from moto.backends import get_backend

    try:
        repository = get_backend("ecr")[account][region].repositories.get(repo)
    except Exception:
        return ""
    if repository is None:
        return ""
    tags = {t for image_obj in repository.images for t in image_obj.image_tags}
    return "" if tag in tags else f"CannotPullContainerError: {image} not found"


def _sync_tasks(backend, service, wanted: dict) -> None:
    """Exactly `count` running tasks per deployment id; the rest stopped, as ECS replaces them."""
    cluster = backend._get_cluster(service.cluster_name)
    tasks = backend.tasks.setdefault(cluster.name, {})
    group = f"service:{service.name}"
    mine = [t for t in tasks.values() if t.group == group and t.desired_status == "RUNNING"]
    for deployment_id, (task_definition, count) in wanted.items():
        running = [t for t in mine if t.started_by == deployment_id]
        for task in running[count:]:
            _stop(task, "Scaling activity initiated by (deployment " + deployment_id + ")")
        for _ in range(count - len(running)):
            _start(backend, cluster, service, task_definition, deployment_id, tasks)
    for task in mine:
        if task.started_by not in wanted:
            _stop(task, "Scaling activity initiated by (deployment replaced)")


def _start(backend, cluster, service, task_definition: str, deployment_id: str, tasks: dict) -> None:
    import copy

    from moto.ecs.models import Task

    definition = copy.copy(backend.describe_task_definition(task_definition))
    definition.network_mode = "bridge"  # no ENI per task: the sandbox's network stays as seeded
    task = Task(cluster=cluster, task_definition=definition, container_instance_arn=None,
                resource_requirements=None, backend=backend, group=f"service:{service.name}", launch_type="FARGATE",
                started_by=deployment_id, networking_configuration=None)
    task._transitions = [("RUNNING", "RUNNING")]  # moto advances tasks on every describe; ours run until stopped
    tasks[task.task_arn] = task


def _record_failures(backend, service, r: Rollout, failed: int, now: datetime, last_words: str) -> None:
    """Each failed start as ECS keeps it for an hour: a STOPPED task with its reason and its
    container's exit code, and (a crash) what the container printed, in its awslogs stream."""
    from . import trail

    cluster = backend._get_cluster(service.cluster_name)
    tasks = backend.tasks.setdefault(cluster.name, {})
    for _ in range(r.recorded, failed):
        _start(backend, cluster, service, r.new["taskDefinition"], r.new["id"], tasks)
        task = list(tasks.values())[-1]
        container = task.containers[0]
        container.last_status = "STOPPED"
        if r.pull_error:
            _stop(task, f"CannotPullContainerError: {r.pull_error.split(': ', 1)[-1]}")
            task.stop_code, container.reason, container.exitCode = "TaskFailedToStart", r.pull_error, None
        else:
            _stop(task, "Essential container in task exited")
            task.stop_code, container.exitCode = "EssentialContainerExited", 1
            _log_crash(backend, task, last_words, trail.backdated_to() or now)
    r.recorded = max(r.recorded, failed)


def _log_crash(backend, task, message: str, now: datetime) -> None:
    """The container's last words where awslogs puts them: <group>/<prefix>/<container>/<task id>."""
    from moto.logs.models import logs_backends

    spec = backend.describe_task_definition(task.task_definition_arn).container_definitions[0]
    options = (spec.get("logConfiguration") or {}).get("options", {})
    group = options.get("awslogs-group")
    if not group:
        return
    logs = logs_backends[backend.account_id][options.get("awslogs-region", backend.region_name)]
    stream = f"{options.get('awslogs-stream-prefix', 'ecs')}/{spec['name']}/{task.id}"
    logs.ensure_log_stream(group, stream)
    at = int(now.timestamp() * 1000)
    lines = [f"{now.isoformat(timespec='milliseconds')} INFO starting {spec['image'].rsplit('/', 1)[-1]}", *message.splitlines()]
    logs.put_log_events(group, stream, [{"timestamp": at + i, "message": line} for i, line in enumerate(lines)])


def _stop(task, reason: str) -> None:
    task.desired_status = "STOPPED"
    task._transitions = [("STOPPED", "STOPPED")]
    task.last_status = "STOPPED"
    task.stopped_reason = reason


def backdate_task_logs(minutes: int, now: datetime | None = None) -> None:
    """`opslib sandbox elapse`: what the services' tasks printed in the last `minutes` (a crash's last words) was printed
    `minutes` ago, as the rest of what made the world so (trail.backdate)."""
    import re
    from datetime import timedelta

    from . import world

    now = now or _now()
    edge = int((now - timedelta(minutes=minutes)).replace(second=0, microsecond=0).timestamp() * 1000)  # as trail.backdate and the traffic model
    task_stream = re.compile(r"^[\w.-]+/[\w.-]+/[0-9a-f-]{32,36}$")  # awslogs: <prefix>/<container>/<task id>
    for region in world.REGIONS:
        for group in world.backend("logs", region).groups.values():
            for name, stream in group.streams.items():
                if task_stream.match(name) and any(e.timestamp >= edge for e in stream.events):
                    for event in stream.events:
                        event.timestamp = min(event.timestamp, edge)
                    stream._update()
