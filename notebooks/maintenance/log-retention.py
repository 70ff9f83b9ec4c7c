# %% [markdown]
# # Log retention
#
# - **Purpose:** The log groups kept forever or longer than seed 001's policy (30 days), each with what it stores and costs a month, and the guarded retention policy that brings them to it (a plan with its id, applied only when confirmed, verified, undoable).
# - **When to use:** Monthly, from cron (read-only by default: red only when a group needs a person), or when the CloudWatch Logs bill grows (seed 001 "Log Rotation and Cleanup").
# - **Expected time:** under 5 seconds.
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production): `aws logs put-retention-policy --retention-in-days 30` on each group out of policy. Events older than the retention are then deleted by CloudWatch Logs: that part cannot be undone; `opslib undo RUN-ID` puts each group's retention back.
# - **Replaces:** seed 001 "Log Rotation and Cleanup" (`aws logs describe-log-groups --log-group-name-prefix "/aws/ec2-manager" --query 'logGroups[*].{LogGroupName:logGroupName,RetentionInDays:retentionInDays}'`, `aws logs put-retention-policy --retention-in-days 30`).
# - **Catches:** none of the scenarios: a log group made or changed by hand (tests/test_hand_made_faults.py).

# %%
from opslib import advice, runbook, views
from opslib.actions.logs import SetLogRetention
from opslib.checks import logs as log_checks
from opslib.services import logs

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-west-2"  # AWS region of the log groups (seed 001)
prefix: str = "/aws/ec2-manager"  # the log groups to look at, by name prefix (seed 001); empty: every group in the region
retention_days: int = 30  # the policy: the most days a group keeps its events (seed 001: 30) [1..3653]
confirm: bool = False  # apply: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("maintenance/log-retention", globals(), region="region")
rb

# %% [markdown]
# ## 1. Each group's retention and what it stores
# `aws logs describe-log-groups --log-group-name-prefix PREFIX`: retention (none: kept forever) and stored bytes, against the policy.

# %%
groups = rb.fetch("logs_retention_policy", prefix or region, logs.groups_under, prefix)
rb.judge(log_checks.retention, groups, retention_days, prefix, region)
rb.show(views.log_groups, groups, retention_days)

# %% [markdown]
# ## 2. The policy on each group out of it (guarded)
# `aws logs put-retention-policy --log-group-name NAME --retention-in-days 30` for each, then `describe-log-groups` until it shows (verified). Planned by default; applied only with `confirm` or the button.

# %%
set_ = rb.act_all(SetLogRetention.to_policy(groups, retention_days), confirm=confirm, change_ref=change_ref, nothing="Every group keeps to the policy.", fixes=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("log-retention", rb.results, set_, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
