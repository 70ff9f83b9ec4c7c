# %% [markdown]
# # Roll back a Lambda function
#
# - **Purpose:** Point the function's alias back at the version before the bad release: where it points now and what was published, the errors since, the guarded alias move (a plan with its id, applied only when confirmed, verified, undoable).
# - **When to use:** A release of the function fails (high-error-rate or lambda-errors points at it; seed 001 "Lambda Function Rollback").
# - **Expected time:** under 10 seconds.
# - **Impact:** Changes the alias only with `confirm` (`-p confirm=PLAN-...`, the plan id the dry run prints; `true` outside production): `aws lambda update-alias`. Undo: `opslib undo RUN-ID`.
# - **Replaces:** seed 001 "Lambda Function Rollback" (`aws lambda update-alias --name LIVE --function-version <previous-version>`, then `aws lambda get-alias` to verify) and "Post-Rollback Validation" step 5 (the error rate).
# - **Catches:** sandbox scenario `bad-deploy`.
#
# Thresholds: errors above 5 % of invocations are critical (seed 001), 1 % warns; duration as in lambda-errors (seed 001: 10 s / 15 s).

# %%
from opslib import advice, runbook, views
from opslib.actions.awslambda import PointAlias
from opslib.checks import awslambda as lambda_checks
from opslib.services import awslambda, cloudwatch

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-west-2"  # AWS region of the function (seed 001)
function_name: str = "ec2-manager-function-prod"  # the function (seed 001)
alias: str = "LIVE"  # the alias the API calls (seed 001)
to_version: str = ""  # the version to point the alias to; empty: the one before the version it points to now
window_minutes: int = 30  # how far back to measure errors, minutes [5..1440]
error_rate_warn_pct: float = 1.0  # share of invocations failing that warns, % [0..100]
error_rate_critical_pct: float = 5.0  # share of invocations failing that is critical, % (seed 001: > 5 %) [0..100]
duration_warn_ms: float = 10000.0  # average duration that warns, ms (seed 001: > 10 s) [1..900000]
duration_critical_ms: float = 15000.0  # average duration that is critical, ms (seed 001: > 15 s) [1..900000]
confirm: bool = False  # apply the rollback: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("change/rollback-lambda", globals(), region="region")
rb

# %% [markdown]
# ## 1. Where the alias points, and what was published
# `aws lambda get-alias --name LIVE` and `aws lambda list-versions-by-function`.

# %%
found = rb.fetch("lambda_alias", f"{function_name}:{alias}", awslambda.versions, function_name, alias)
rb.show(views.function_versions, found)

# %% [markdown]
# ## 2. The errors since
# `aws cloudwatch get-metric-statistics --namespace AWS/Lambda` for Errors, Invocations, Duration and Throttles (seed 001 "Post-Rollback Validation": monitor error rates).

# %%
series = rb.fetch("lambda_error_rate", function_name, cloudwatch.metric_data, cloudwatch.function_metrics(function_name), window_minutes, 300)
rb.judge(lambda_checks.from_metrics, series, function_name, window_minutes, error_rate_warn_pct, error_rate_critical_pct, duration_warn_ms, duration_critical_ms)

# %% [markdown]
# ## 3. Point the alias back (guarded)
# `aws lambda update-alias --function-name ec2-manager-function-prod --name LIVE --function-version <previous-version>`, then `get-alias` until it shows (verified). Planned by default; applied only with `confirm` or the button.

# %%
moved = rb.act_all(PointAlias.rollback(found, function_name, alias, to_version), confirm=confirm, change_ref=change_ref, nothing="No earlier version to roll back to.", fixes=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("rollback-lambda", rb.results, moved, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
