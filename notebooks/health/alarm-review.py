# %% [markdown]
# # Alarm review
#
# - **Purpose:** Alarms in ALARM now and every alarm state change over the night, grouped by service.
# - **When to use:** Each morning (seed 001 Daily Tasks, seed 003 Daily Checklist), and at the start of an incident to see what has been paging.
# - **Expected time:** under 10 seconds.
# - **Impact:** Read-only: changes nothing.
# - **Replaces:** seed 001 "Daily Tasks" (`aws cloudwatch describe-alarms --state-value ALARM`) and seed 003 "Daily Checklist" (review overnight alerts).
# - **Catches:** sandbox scenarios `service-down`, `error-spike`, `high-latency`, `dynamodb-throttling`, `lambda-errors`, `bad-deploy`.
#
# Each alarm in ALARM is a red row: somebody acts on it. An alarm that changed state many times overnight is flagged as flapping (noise that hides real pages).

# %%
from opslib import runbook, views
from opslib.checks import cloudwatch as alarm_checks
from opslib.services import cloudwatch

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
regions: list[str] = ["us-east-1", "us-west-2"]  # AWS regions whose alarms are reviewed (RMS's and EC2 Manager's)
window_hours: int = 12  # how far back "overnight" reaches, hours [1..336]
alarm_prefix: str = ""  # only alarms whose name starts with this (empty: all)
flap_warn: int = 4  # state changes of one alarm in the window that count as flapping [1..1000]

# %%
rb = runbook.start("health/alarm-review", globals())
rb

# %% [markdown]
# ## 1. Alarms now
# `aws cloudwatch describe-alarms`, every page, grouped by service.

# %%
scope = cloudwatch.alarm_scope(alarm_prefix)
alarms = rb.fetch("cloudwatch_alarm_firing", scope, cloudwatch.all_alarms, alarm_prefix, regions, default=None)
rb.show(views.alarms_now, alarms)
rb.judge(alarm_checks.alarms_firing, alarms, scope)

# %% [markdown]
# ## 2. What changed overnight
# `aws cloudwatch describe-alarm-history --history-item-type StateUpdate` over the window.

# %%
changes = rb.fetch("cloudwatch_alarms_flapping", scope, cloudwatch.state_changes, window_hours, alarm_prefix, regions, default=None)
rb.show(views.alarm_changes, changes, window_hours)
rb.judge(alarm_checks.alarms_flapping, changes, window_hours, flap_warn, scope)

# %% [markdown]
# ## Verdict
# A red row names the alarm, its service and why it fired. Next, by the alarm's service: its trend in
# `opslib run performance-review`, its log lines in `opslib run log-search -p pattern=ERROR`, then the seed procedure:
# 001 "API Gateway Issues", "Lambda Function Issues" or "DynamoDB Issues"; 003/004 "High Error Rate" or "High Latency".

# %%
rb.summary()
