# %% [markdown]
# # Daily health check (RMS)
#
# - **Purpose:** Morning health check: frontend and API `/health`, RDS status, ECS running vs desired tasks, ERROR lines in the application log over the last hour, alarms in ALARM, yesterday's cost.
# - **When to use:** Every morning before business hours (cron), and first thing when something feels wrong.
# - **Expected time:** under 10 seconds.
# - **Impact:** Read-only: changes nothing.
# - **Replaces:** seed 003 "Morning Health Check" (`scripts/daily-health-check.sh`) and seed 001 "Daily Tasks" (alarms, cost).
# - **Catches:** sandbox scenarios `service-down`, `ecs-degraded`, `ecs-rolling` (as WARN), `error-spike`, `cost-spike`, `access-denied` (as ERROR).
#
# Thresholds: fewer than 10 ERROR lines an hour is normal (seed 003); alarms in ALARM and a day-over-day cost jump are flagged (seed 001).

# %%
from opslib import runbook
from opslib.checks import ce, cloudwatch, ecs, http, logs, rds
from opslib.secrets import Secret

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
rms_region: str = "us-east-1"  # AWS region RMS runs in (seed 003: its ARNs and dashboards)
frontend_url: str = "https://rms.example.com/health"  # frontend /health URL
api_url: str = "https://api.rms.example.com/health"  # API /health URL
api_token: Secret = ""  # bearer token for the API /health endpoint, as env:VARIABLE (optional)
http_deadline_s: float = 10.0  # the whole of each /health request (connect, headers, body), seconds [0.1..300]
db_instance: str = "rms-db-prod"  # RDS instance identifier
ecs_cluster: str = "rms-cluster-prod"  # ECS cluster
ecs_service: str = "rms-backend-service-prod"  # ECS service behind the API
app_log_group: str = "/aws/ecs/rms-backend-prod"  # application log group
error_window_minutes: int = 60  # look-back for ERROR lines, minutes [1..1440]
error_warn: int = 5  # ERROR lines in the last 10 minutes of the window that warn (the window's are listed per 10 minutes) [1..1000000]
error_critical: int = 10  # ERROR lines in the last 10 minutes that are critical (seed 003: < 10 is normal) [1..1000000]
regions: list[str] = ["us-east-1", "us-west-2"]  # regions whose alarms are read (RMS's and EC2 Manager's, seed 001's daily tasks)
alarms_warn: int = 1  # alarms in ALARM that warn [1..10000]
alarms_critical: int = 3  # alarms in ALARM that are critical [1..10000]
cost_warn_pct: float = 50.0  # yesterday's cost above the 7-day average that warns, % [0..100000]
cost_critical_pct: float = 100.0  # yesterday's cost above the 7-day average that is critical, % [0..100000]

# %%
rb = runbook.start("health/daily-health-check", globals(), region="rms_region")
rb

# %% [markdown]
# ## 1. Frontend and API health
# `curl -s -o /dev/null -w "%{http_code}" .../health`: anything but 200 fails.

# %%
rb.check_all(
    (http.endpoint_healthy, "frontend", frontend_url, 200, None, http_deadline_s),
    (http.endpoint_healthy, "api", api_url, 200, api_token, http_deadline_s),
)

# %% [markdown]
# ## 2. Database status
# `aws rds describe-db-instances --db-instance-identifier rms-db-prod`: must be `available`.

# %%
rb.check(rds.instance_available, db_instance)

# %% [markdown]
# ## 3. ECS service health
# `aws ecs describe-services`: running tasks must equal desired.

# %%
rb.check(ecs.service_tasks_running, ecs_service, ecs_cluster)

# %% [markdown]
# ## 4. Recent errors in the application log
# `aws logs filter-log-events --filter-pattern ERROR` over the last hour.

# %%
rb.check(logs.error_count, app_log_group, error_window_minutes, "ERROR", error_warn, error_critical)

# %% [markdown]
# ## 5. Overnight alarms
# `aws cloudwatch describe-alarms --state-value ALARM`, in each region of `regions`.

# %%
rb.check(cloudwatch.alarms_in_alarm, "all alarms", alarms_warn, alarms_critical, regions)

# %% [markdown]
# ## 6. Yesterday's cost
# `aws ce get-cost-and-usage --granularity DAILY --metrics BlendedCost`, against the week before.

# %%
rb.check(ce.yesterday_cost, "account", 7, cost_warn_pct, cost_critical_pct)

# %% [markdown]
# ## Verdict
# On a red row, the notebook that looks further (seed 003's action items; the console prints the command for each red row):
# frontend or API FAIL: `opslib run service-down`; ECS DEGRADED: `opslib run deployment-failed`, or `opslib run scale-service`
# when it was scaled; high error rate: `opslib run high-error-rate` (recent deployments and changes, the top errors);
# slow: `opslib run high-latency`; alarms: `opslib run alarm-review`; cost: `opslib run cost-review`.

# %%
rb.summary()
