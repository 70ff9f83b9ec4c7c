# %% [markdown]
# # Roll back an ECS service
#
# - **Purpose:** Put the service back on the task definition revision that worked: its deployments now, the guarded move to the previous revision (a plan with its id, applied only when confirmed), watched until every task runs it, then the service's health.
# - **When to use:** A release of the service fails or degrades it (deployment-failed or high-error-rate points at it; seed 003 ECS).
# - **Expected time:** under 10 seconds to plan; applying waits for the tasks (a minute or more).
# - **Impact:** Changes the service only with `confirm` (`-p confirm=PLAN-...`; `true` outside production): `aws ecs update-service --task-definition`. Undo: `opslib undo RUN-ID`.
# - **Replaces:** seed 003's `aws ecs update-service` and `aws ecs describe-services --query 'services[0].[desiredCount,runningCount,pendingCount]'` (watching it settle), for a task definition instead of a count.
# - **Catches:** sandbox scenario `bad-deploy`.

# %%
from opslib import advice, runbook, views
from opslib.actions.ecs import SetTaskDefinition
from opslib.checks import ecs as ecs_checks, http as http_checks
from opslib.services import ecs

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-east-1"  # AWS region of the cluster (seed 003: RMS)
cluster: str = "rms-cluster-prod"  # the ECS cluster (seed 003)
service: str = "rms-backend-service-prod"  # the service (seed 003)
to_revision: str = ""  # the task definition to go back to (family:revision); empty: the one the previous deployment ran
api_url: str = "https://api.rms.example.com/health"  # the service's /health URL (seed 003)
confirm: bool = False  # apply the rollback: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("change/rollback-ecs", globals(), region="region")
rb

# %% [markdown]
# ## 1. The service's deployments
# `aws ecs describe-services`: which revision each deployment runs, and how far it got.

# %%
svc = rb.fetch("ecs_deployment_state", service, ecs.describe_service, cluster, service)
rb.judge(ecs_checks.deployment_state, svc)
rb.show(views.ecs_deployments, svc)

# %% [markdown]
# ## 2. Back to the previous revision (guarded)
# `aws ecs update-service --task-definition <previous>`, then `describe-services` until every desired task runs it and the rollout completed (progress printed). Planned by default; applied only with `confirm` or the button.

# %%
moved = rb.act_all(SetTaskDefinition.rollback(svc, cluster, service, to_revision), confirm=confirm, change_ref=change_ref, nothing="No earlier revision to roll back to.", fixes=True)

# %% [markdown]
# ## 3. Is it healthy?
# The service's `/health` (seed 003's morning check), as its users reach it.

# %%
rb.check(http_checks.endpoint_healthy, "api", api_url)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("rollback-ecs", rb.results, moved, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
