# %% [markdown]
# # Cost review
#
# - **Purpose:** Where the money goes: daily cost by service and by usage type over a window, day-over-day jumps (account and per service), and resources billed for nothing (unattached EBS volumes, old manual RDS snapshots).
# - **When to use:** Daily glance (seed 001 Daily Tasks), weekly review (seed 003 Cost Review / Cost Optimization), and whenever a bill looks wrong.
# - **Expected time:** under 15 seconds.
# - **Impact:** Read-only: changes nothing.
# - **Replaces:** seed 003 "Cost Review" and "Cost Optimization" (`aws ce get-cost-and-usage --group-by Type=DIMENSION,Key=SERVICE`, `aws ec2 describe-volumes --filters Name=status,Values=available`, `aws rds describe-db-snapshots --snapshot-type manual`) and seed 001 "Daily Tasks" (cost).
# - **Catches:** sandbox scenario `cost-spike`.

# %%
from opslib import runbook, views
from opslib.checks import ce as cost_checks
from opslib.checks import ec2 as ec2_checks
from opslib.checks import rds as rds_checks
from opslib.services import ce, ec2, rds

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
regions: list[str] = ["us-east-1", "us-west-2"]  # AWS regions searched for idle volumes and old snapshots
window_days: int = 30  # days of history to show [1..365]
baseline_days: int = 7  # days before the last one that make its baseline [1..90]
jump_warn_pct: float = 50.0  # last day's cost above the baseline that warns, % [0..100000]
jump_critical_pct: float = 100.0  # last day's cost above the baseline that is critical, % [0..100000]
min_service_usd: float = 1.0  # services cheaper than this a day are not judged (noise) [0..1000000]
top_usage_types: int = 10  # usage types listed [1..100]
snapshot_max_age_days: int = 90  # manual RDS snapshots older than this are flagged [1..3650]

# %%
rb = runbook.start("health/cost-review", globals())
rb

# %% [markdown]
# ## 1. Daily cost by service
# `aws ce get-cost-and-usage --granularity DAILY --group-by Type=DIMENSION,Key=SERVICE`, every page.

# %%
by_service = rb.fetch("ce_service_cost_jump", "all services", ce.cost_by, window_days, "SERVICE", default=None)
rb.show(views.cost_by_service, by_service, baseline_days, jump_warn_pct, jump_critical_pct, window_days)

# %% [markdown]
# ## 2. Day-over-day jumps
# The last full day against the average of the days before it, for the account and for each service.

# %%
rb.check(cost_checks.yesterday_cost, "account", baseline_days, jump_warn_pct, jump_critical_pct)
rb.judge(cost_checks.service_jumps, by_service, baseline_days, jump_warn_pct, jump_critical_pct, min_service_usd)

# %% [markdown]
# ## 3. Top usage types
# The same window grouped by `USAGE_TYPE`.

# %%
by_usage = rb.fetch("ce_service_cost_jump", "usage types", ce.cost_by, window_days, "USAGE_TYPE", default=None)
rb.show(views.usage_types, by_usage, top_usage_types)

# %% [markdown]
# ## 4. Resources billed for nothing
# Unattached EBS volumes; manual RDS snapshots older than the limit.

# %%
volumes, snapshots = rb.fetch_all(("ec2_volumes_unattached", "EBS volumes", ec2.unattached_volumes, regions),
                                  ("rds_snapshots_old", "manual RDS snapshots", rds.manual_snapshots, regions))
rb.judge(ec2_checks.volumes_unattached, volumes)
rb.judge(rds_checks.snapshots_old, snapshots, snapshot_max_age_days)

# %% [markdown]
# ## Verdict
# A jump names the service; the usage types say what kind of use. Unused resources: delete or snapshot-and-delete after checking with their owner.

# %%
rb.summary()
