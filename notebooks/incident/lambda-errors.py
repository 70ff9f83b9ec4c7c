# %% [markdown]
# # Lambda errors
#
# - **Purpose:** A function fails or times out: its configuration, what its log says of each invocation (errors, memory used against its size, duration against its timeout, cold starts), its error and duration metrics, and a guarded test invocation with the seed's payload; ends with the seed's fix that applies.
# - **When to use:** `ec2-manager-lambda-errors` or `-duration-high` fires, or the API behind it answers 5xx (seed 001 "Lambda Function Issues").
# - **Expected time:** under 15 seconds.
# - **Impact:** Read-only unless `confirm=True`: then invokes the function once with `test_payload` (the function runs, and may act).
# - **Replaces:** seed 001 "Lambda Function Issues" steps 1-3 (`aws lambda get-function-configuration`, `aws logs filter-log-events --filter-pattern "ERROR"`, `aws cloudwatch get-metric-statistics --metric-name Duration`), "Lambda Optimization" (`[report_type="REPORT", ...]`) and "API Gateway Issues" step 5 (`aws lambda invoke --payload '{"test": "data"}'`).
# - **Catches:** sandbox scenario `lambda-errors`.
#
# Thresholds: errors above 5 % of invocations are critical (seed 001's alert), 1 % warns; average duration warns above 10 s, critical above 15 s (seed 001). Memory and timeout have no seed value: 80 % / 95 % of the size, 50 % / 80 % of the timeout.

# %%
from opslib import advice, runbook, views
from opslib.actions.awslambda import TestInvoke
from opslib.checks import awslambda as lambda_checks
from opslib.services import awslambda, cloudwatch

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-west-2"  # AWS region of the function (seed 001: us-west-2)
function_name: str = "ec2-manager-function-prod"  # the function (seed 001)
alias: str = "LIVE"  # the alias the API calls; the test invoke goes through it
window_minutes: int = 60  # how far back to read, minutes (seed 001: the last hour) [5..1440]
error_rate_warn_pct: float = 1.0  # share of invocations failing that warns, % [0..100]
error_rate_critical_pct: float = 5.0  # share of invocations failing that is critical, % (seed 001: > 5 %) [0..100]
duration_warn_ms: float = 10000.0  # average duration that warns, ms (seed 001: > 10 s) [1..900000]
duration_critical_ms: float = 15000.0  # average duration that is critical, ms (seed 001: > 15 s) [1..900000]
memory_warn_pct: float = 80.0  # memory used of its size that warns, % [1..100]
memory_critical_pct: float = 95.0  # memory used of its size that is critical, % [1..100]
timeout_warn_pct: float = 50.0  # longest invocation against its timeout that warns, % [1..100]
timeout_critical_pct: float = 80.0  # longest invocation against its timeout that is critical, % [1..100]
top_n: int = 5  # distinct error messages to list [1..100]
test_payload: dict = {"test": "data"}  # the event of the test invoke (seed 001's)
confirm: bool = False  # invoke the function once with test_payload (otherwise a dry run)
change_ref: str = ""  # change or incident reference, required to invoke in production

# %%
rb = runbook.start("incident/lambda-errors", globals(), region="region")
rb

# %% [markdown]
# ## 1. Configuration
# `aws lambda get-function-configuration --function-name ec2-manager-function-prod`

# %%
config = rb.fetch("lambda_function_state", function_name, awslambda.configuration, function_name)
rb.judge(lambda_checks.function_active, config)
rb.show(views.function_config, config)

# %% [markdown]
# ## 2. What the log says of each invocation
# `aws logs filter-log-events --filter-pattern "ERROR"` and `--filter-pattern '[report_type="REPORT", ...]'` on the function's log: every REPORT line is one invocation, with its duration, memory and, for a cold start, its init duration.

# %%
found = rb.fetch("lambda_log_errors", f"/aws/lambda/{function_name}", awslambda.invocations, function_name, window_minutes)
rb.judge(lambda_checks.from_logs, found, config, window_minutes, error_rate_warn_pct, error_rate_critical_pct, memory_warn_pct, memory_critical_pct, timeout_warn_pct, timeout_critical_pct)
rb.show(views.invocations, found)
rb.show(views.function_errors, found, top_n)

# %% [markdown]
# ## 3. Errors and duration metrics
# `aws cloudwatch get-metric-statistics --namespace AWS/Lambda` for Errors, Invocations, Duration (Average, Maximum) and Throttles, a point every 5 minutes.

# %%
series = rb.fetch("lambda_error_rate", function_name, cloudwatch.metric_data, cloudwatch.function_metrics(function_name), window_minutes, 300)
rb.judge(lambda_checks.from_metrics, series, function_name, window_minutes, error_rate_warn_pct, error_rate_critical_pct, duration_warn_ms, duration_critical_ms)
rb.show(views.bands, series, {"average": "duration_avg", "maximum": "duration_max"}, duration_warn_ms, duration_critical_ms, f"Lambda duration: {function_name}", "ms")

# %% [markdown]
# ## 4. Test invoke (guarded)
# `aws lambda invoke --function-name ec2-manager-function-prod --payload '{"test": "data"}' response.json`, through the alias, with the log tail. The function runs, so only with `confirm=True` (or the button).

# %%
invoked = rb.act(TestInvoke(function_name, alias, test_payload), confirm=confirm, change_ref=change_ref)

# %% [markdown]
# ## Next

# %%
rb.next(advice.lambda_errors(rb.results, config, rb.incident, env, [invoked]))

# %%
rb.summary()
