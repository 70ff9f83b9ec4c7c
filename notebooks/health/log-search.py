# %% [markdown]
# # Log search
#
# - **Purpose:** Find log lines by pattern (plain words or a JSON pattern such as `{ $.level = "ERROR" }`) across log groups over a time window: how many, when (per interval), and which messages; optionally export the window to S3.
# - **When to use:** Investigating errors or a symptom a user reported; before a post-mortem, to keep the evidence.
# - **Expected time:** under 15 seconds for a few groups over an hour.
# - **Impact:** Read-only unless `export=True` and `confirm=True`: then changes S3 (starts a CloudWatch Logs export task).
# - **Replaces:** seed 001 "Log Analysis" (`aws logs filter-log-events ... --filter-pattern`, `aws logs create-export-task`) and seed 003 "Log Analysis".
# - **Catches:** sandbox scenario `error-spike`.

# %%
from opslib import runbook, views
from opslib.actions.logs import ExportLogs
from opslib.checks import logs as log_checks
from opslib.services import logs

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
logs_region: str = "us-east-1"  # AWS region of the log groups and the export bucket (RMS's, seed 003)
log_groups: list[str] = ["/aws/ecs/rms-backend-prod"]  # log groups to search
pattern: str = "ERROR"  # CloudWatch Logs filter pattern
window_minutes: int = 60  # how far back to search, minutes [1..20160]
interval_minutes: int = 5  # bucket size of the per-interval plot, minutes [1..1440]
top_n: int = 10  # how many distinct messages to list [1..1000]
matches_warn: int = 5  # matches in the window (per group) that warn [1..1000000]
matches_critical: int = 10  # matches in the window (per group) that are critical (seed 003: < 10 an hour is normal) [1..1000000]
export: bool = False  # plan an export of the window to S3
export_bucket: str = ""  # bucket the export goes to
confirm: bool = False  # apply the export (otherwise a dry run)
change_ref: str = ""  # change or incident reference (required in production)

# %%
rb = runbook.start("health/log-search", globals(), region="logs_region")
rb

# %% [markdown]
# ## 1. Search
# `aws logs filter-log-events --log-group-name G --start-time ... --filter-pattern P`, every page, all groups at once.

# %%
found = rb.fetch("logs_pattern_matches", ", ".join(log_groups), logs.search, log_groups, pattern, window_minutes, default={})
rb.record(log_checks.pattern_matches_all(found, pattern, window_minutes, matches_warn, matches_critical))

# %% [markdown]
# ## 2. Matches per interval
# Bands: the window's thresholds spread evenly over its intervals.

# %%
rb.show(views.matches_per_interval, found, window_minutes, interval_minutes, matches_warn, matches_critical, pattern)

# %% [markdown]
# ## 3. Top messages
# Times, ids and numbers folded, so alike lines count together.

# %%
rb.show(views.top_messages, found, top_n)

# %% [markdown]
# ## 4. Export the window to S3 (optional, guarded)
# `aws logs create-export-task`: planned only with `export=True`, applied only with `confirm=True`.

# %%
exports = ExportLogs.window_of(log_groups, export_bucket, window_minutes, requested=export)
rb.act_all(exports, confirm=confirm, change_ref=change_ref, nothing="No export requested (export=False).")

# %%
rb.summary()
