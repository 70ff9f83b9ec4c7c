# %% [markdown]
# # Deployment failed
#
# - **Purpose:** A release did not go out: the deployment's state and why the circuit breaker stopped it, the tasks that failed and what their container printed, what else changed lately, and the rollback to the revision that still serves.
# - **When to use:** A deployment is stuck or FAILED, or the service runs fewer tasks after a release (seed 002 "Scenario 1: Deployment Failed").
# - **Expected time:** under 10 seconds.
# - **Impact:** Read-only: changes nothing; the rollback is handed off as a command.
# - **Replaces:** seed 002 "Scenario 1" steps 1-3 (`kubectl logs deployment/app-name`, `git log --oneline -10`, the rollback call), on ECS: `aws ecs describe-services`, `list-tasks --desired-status STOPPED`, `describe-tasks`, `aws logs get-log-events`.
# - **Catches:** sandbox scenario `failed-deployment`.

# %%
from opslib import advice, runbook, views
from opslib.checks import ecs as ecs_checks
from opslib.services import deployments, ecs

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-east-1"  # AWS region of the cluster (seed 003: RMS)
cluster: str = "rms-cluster-prod"  # the ECS cluster
service: str = "rms-backend-service-prod"  # the service whose deployment failed
stack: str = "EC2Manager-production"  # a stack whose updates count as recent changes
function_name: str = "ec2-manager-function-prod"  # a function whose alias moves count as recent changes
alias: str = "LIVE"  # that function's alias
stack_region: str = "us-west-2"  # the stack's and the function's region
lookback_hours: int = 6  # how far back recent changes go, hours [1..168]
log_lines: int = 20  # lines of the failed task's log to show [1..1000]

# %%
rb = runbook.start("incident/deployment-failed", globals(), region="region")
rb

# %% [markdown]
# ## 1. The deployment
# `aws ecs describe-services`: each deployment's rollout state, running, desired and failed tasks, and the circuit breaker's reason.

# %%
svc = rb.fetch("ecs_deployment_state", service, ecs.describe_service, cluster, service)
rb.judge(ecs_checks.deployment_state, svc)
rb.show(views.ecs_deployments, svc)

# %% [markdown]
# ## 2. The tasks that failed, and what they printed
# `aws ecs list-tasks --desired-status STOPPED` and `describe-tasks` (stopped reason, exit code), then the newest failed task's container log (`aws logs get-log-events`; seed 002: `kubectl logs`).

# %%
stopped = rb.fetch("ecs_task_failures", service, ecs.stopped_tasks, cluster, service)
(log,) = rb.fetch_all(("ecs_task_failures", service, ecs.task_log, stopped, log_lines), when=stopped)
rb.judge(ecs_checks.task_failures, stopped, service, log)
rb.show(views.stopped_tasks, stopped)
rb.show(views.last_lines, log, log_lines)

# %% [markdown]
# ## 3. What else changed
# Seed 002's `git log --oneline -10`, in AWS's terms: stack updates, ECS deployments and Lambda alias moves of the last hours.

# %%
recent = rb.fetch("recent_changes", "deployments", deployments.recent, stack, cluster, service, function_name, alias, lookback_hours, stack_region, region)
rb.show(views.deployments, recent, lookback_hours)

# %% [markdown]
# ## Next

# %%
rb.next(advice.deployment_failed(rb.results, svc, rb.incident, env))

# %%
rb.summary()
