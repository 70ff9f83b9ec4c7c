# %% [markdown]
# # Scale a service
#
# - **Purpose:** More (or fewer) tasks for the ECS service, a larger (or smaller) class for its database: what runs now, the guarded changes (plans with ids, applied only when confirmed), each watched until it is stable.
# - **When to use:** Sustained high CPU or connections (performance-review, high-latency), or ahead of known load (seed 003 "Manual Scaling").
# - **Expected time:** under 10 seconds to plan; applying waits for the tasks (a minute or two) and for the database to leave `modifying` (minutes: it restarts).
# - **Impact:** Changes nothing unless asked (`desired_count`, `db_instance_class`) and confirmed (`-p confirm=PLAN-...`; `true` outside production). Resizing the database means downtime (seed 003): the plan says so. Undo: `opslib undo RUN-ID`.
# - **Replaces:** seed 003 "Manual Scaling" (`aws ecs update-service --desired-count 5`, `aws ecs describe-services --query 'services[0].[desiredCount,runningCount,pendingCount]'`, `aws rds modify-db-instance --db-instance-class ... --apply-immediately`).
# - **Catches:** none: a change made on request (rehearse it on any sandbox).

# %%
from opslib import advice, runbook, views
from opslib.actions.ecs import ScaleService
from opslib.actions.rds import ResizeDatabase
from opslib.checks import ecs as ecs_checks, rds as rds_checks
from opslib.services import ecs, rds

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-east-1"  # AWS region of the service (seed 003: RMS)
cluster: str = "rms-cluster-prod"  # the ECS cluster (seed 003)
service: str = "rms-backend-service-prod"  # the service (seed 003)
desired_count: int = -1  # tasks wanted; -1 keeps the count (seed 003 scales to 5) [-1..1000]
db_instance: str = "rms-db-prod"  # the service's database (seed 003)
db_instance_class: str = ""  # the database class wanted, e.g. db.r5.xlarge; empty keeps it
confirm: bool = False  # apply: the plan ids the dry run printed (true outside production applies the plans made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("change/scale-service", globals(), region="region")
rb

# %% [markdown]
# ## 1. What runs now
# `aws ecs describe-services` and `aws rds describe-db-instances`.

# %%
svc, db = rb.fetch_all(("ecs_deployment_state", service, ecs.describe_service, cluster, service), ("rds_instance_available", db_instance, rds.describe_instance, db_instance))
rb.judge(ecs_checks.deployment_state, svc)
rb.check(ecs_checks.service_tasks_running, service, cluster)
rb.judge(rds_checks.available, db)

# %%
rb.show(views.ecs_deployments, svc)
rb.show(views.database, db)

# %% [markdown]
# ## 2. Scale (guarded)
# `aws ecs update-service --desired-count N`, watched until running equals desired; `aws rds modify-db-instance --db-instance-class ... --apply-immediately`, watched until `available` again. Each planned only when asked for; applied only with `confirm` or the button.

# %%
scaled = rb.act_all(ScaleService.requested(cluster, service, desired_count) + ResizeDatabase.requested(db_instance, db_instance_class), confirm=confirm, change_ref=change_ref, nothing="Nothing asked: desired_count and db_instance_class keep what runs.", fixes=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("scale-service", rb.results, scaled, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
