# %% [markdown]
# # High error rate
#
# - **Purpose:** Requests are failing: how many, where (RMS's load balancer, EC2 Manager's API Gateway and function), since when, whether it started after a deployment (stack update, ECS deployment, Lambda alias move), and the top errors; ends with the matching rollback.
# - **When to use:** A 5xx alarm fires or users report errors (seed 004 "High Error Rate", seed 001 "API Gateway Issues").
# - **Expected time:** under 15 seconds.
# - **Impact:** Read-only: changes nothing.
# - **Replaces:** seed 004 "High Error Rate" (5xx share, recent deployments, logs) and seed 001 "API Gateway Issues" (deployments, the function behind the API, its logs).
# - **Catches:** sandbox scenarios `error-spike`, `lambda-errors`, `bad-deploy`.
#
# Thresholds: 5% of requests failing warns, 10% is critical (seed 004 `incident-response_high_error_rate`; seed 000's alert fires at 5%).

# %%
from opslib import advice, runbook, views
from opslib.checks import errors as error_checks
from opslib.services import cloudwatch, deployments, logs

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
rms_region: str = "us-east-1"  # AWS region RMS runs in (seed 003)
ec2m_region: str = "us-west-2"  # AWS region EC2 Manager runs in (seed 001)
load_balancer: str = "app/rms-alb-prod/50dc6c495c0c9188"  # RMS's ALB (dimension value)
api_name: str = "ec2-manager-api-production"  # EC2 Manager's REST API
function_name: str = "ec2-manager-function-prod"  # the function behind it
alias: str = "LIVE"  # the alias the API calls (seed 001 "Lambda Function Rollback")
stack: str = "EC2Manager-production"  # EC2 Manager's stack
ecs_cluster: str = "rms-cluster-prod"  # RMS's cluster
ecs_service: str = "rms-backend-service-prod"  # RMS's service
app_log_group: str = "/aws/ecs/rms-backend-prod"  # RMS's application log
lambda_log_group: str = "/aws/lambda/ec2-manager-function-prod"  # the function's log
window_minutes: int = 30  # how far back to measure, minutes [5..1440]
error_rate_warn_pct: float = 5.0  # share of failed requests that warns, % (seed 004: 5%) [0..100]
error_rate_critical_pct: float = 10.0  # share of failed requests that is critical, % [0..100]
deploy_lookback_hours: int = 6  # how far back to look for deployments, hours [1..168]
top_n: int = 5  # distinct error messages to list per log [1..100]

# %%
rb = runbook.start("incident/high-error-rate", globals(), region="rms_region")
rb

# %% [markdown]
# ## 1. How many requests fail, and where
# `aws cloudwatch get-metric-statistics` of 5xx and requests per source, a point a minute; the share is Sum(errors) / Sum(requests).

# %%
metrics = cloudwatch.error_metrics(load_balancer, api_name, function_name, rms_region, ec2m_region)
series = rb.fetch("errors_rate", "ALB, API Gateway, Lambda", cloudwatch.metric_data, metrics, window_minutes, 60)
rates = cloudwatch.error_rates(series or {})
rb.judge(error_checks.rates, series, window_minutes, error_rate_warn_pct, error_rate_critical_pct)
rb.show(views.error_rates, rates, error_rate_warn_pct, error_rate_critical_pct, window_minutes)

# %% [markdown]
# ## 2. What was deployed lately, and did the errors follow it?
# Stack events (`aws cloudformation describe-stack-events`), ECS deployments (`aws ecs describe-services`), the version alias LIVE points to and when it was published (`aws lambda get-alias`).

# %%
recent = rb.fetch("errors_after_deploy", "deployments", deployments.recent, stack, ecs_cluster, ecs_service, function_name, alias, deploy_lookback_hours, ec2m_region, rms_region)
rb.judge(error_checks.after_deploy, recent, rates, error_rate_warn_pct, deploy_lookback_hours)
rb.show(views.deployments, recent, deploy_lookback_hours)

# %% [markdown]
# ## 3. The top errors
# `aws logs filter-log-events --filter-pattern ERROR` on RMS's application log and the function's log.

# %%
app_errors, fn_errors = rb.fetch_all(("logs_pattern_matches", app_log_group, logs.search, [app_log_group], "ERROR", window_minutes, rms_region),
                                     ("logs_pattern_matches", lambda_log_group, logs.search, [lambda_log_group], "ERROR", window_minutes, ec2m_region))
rb.show(views.top_messages, {**(app_errors or {}), **(fn_errors or {})}, top_n)

# %% [markdown]
# ## Next

# %%
rb.next(advice.high_error_rate(rb.results, recent or [], rb.incident, env))

# %%
rb.summary()
