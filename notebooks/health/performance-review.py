# %% [markdown]
# # Performance review
#
# - **Purpose:** The week's trends against the seeds' thresholds: ECS CPU, RDS connections, API latency (average, p95, p99), Lambda duration, DynamoDB latency and throttling; each plotted with its warning and critical bands, and the last half hour judged.
# - **When to use:** Weekly (seed 003 Weekly Performance Review), and when something "feels slow".
# - **Expected time:** under 15 seconds.
# - **Impact:** Read-only: changes nothing.
# - **Replaces:** seed 003 "Weekly Performance Review" (`aws cloudwatch get-metric-statistics` per metric) and seed 001 "Performance Monitoring".
# - **Catches:** sandbox scenarios `high-latency`, `dynamodb-throttling`, `lambda-errors`.
#
# Thresholds (parameters/<env>.yaml): API latency warning > 1 s, critical > 2 s and Lambda duration warning > 10 s, critical > 15 s (seed 001); DynamoDB throttling any is a warning, more than 5 critical (seed 001); CPU critical above 80 % (seed 003); connections warning at 80 (seed 003: 80 % of the app's 100-connection pool). DynamoDB latency has no seed threshold: 25 / 50 ms here.

# %%
from opslib import runbook, views
from opslib.checks.cloudwatch import metric_recent
from opslib.services.cloudwatch import metric_data, performance_metrics

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
rms_region: str = "us-east-1"  # AWS region RMS runs in (seed 003)
ec2m_region: str = "us-west-2"  # AWS region EC2 Manager runs in (seed 001)
window_days: int = 7  # how much history to plot, days [1..365]
period_minutes: int = 60  # one point per this many minutes in the plots [1..1440]
recent_minutes: int = 30  # the stretch judged against thresholds, minutes [5..1440]
ecs_cluster: str = "rms-cluster-prod"  # ECS cluster
ecs_service: str = "rms-backend-service-prod"  # ECS service
db_instance: str = "rms-db-prod"  # RDS instance
load_balancer: str = "app/rms-alb-prod/50dc6c495c0c9188"  # ALB in front of the API (dimension value)
api_name: str = "ec2-manager-api-production"  # API Gateway REST API
function_name: str = "ec2-manager-function-prod"  # Lambda function
table_name: str = "ec2-manager-audit-production"  # DynamoDB table
cpu_warn: float = 70.0  # ECS CPU %, warning [0..100]
cpu_critical: float = 80.0  # ECS CPU %, critical (seed 003: > 80 % for 5 minutes) [0..100]
connections_warn: float = 80.0  # RDS connections, warning [0..100000]
connections_critical: float = 100.0  # RDS connections, critical [0..100000]
latency_warn_s: float = 1.0  # API latency p95 in seconds, warning (seed 001) [0..600]
latency_critical_s: float = 2.0  # API latency p95 in seconds, critical (seed 001) [0..600]
lambda_warn_ms: float = 10000.0  # Lambda average duration, warning (seed 001) [0..900000]
lambda_critical_ms: float = 15000.0  # Lambda average duration, critical (seed 001) [0..900000]
ddb_latency_warn_ms: float = 25.0  # DynamoDB PutItem latency, warning [0..60000]
ddb_latency_critical_ms: float = 50.0  # DynamoDB PutItem latency, critical [0..60000]
throttle_warn: float = 1.0  # DynamoDB throttled requests per 5 minutes, warning (seed 001: > 0) [0..1000000]
throttle_critical: float = 6.0  # DynamoDB throttled requests per 5 minutes, critical (seed 001: > 5) [0..1000000]

# %%
rb = runbook.start("health/performance-review", globals(), region="rms_region")
rb

# %% [markdown]
# ## 1. Fetch every series at once
# One `GetMetricData` call for the week, one for the last half hour, instead of a `get-metric-statistics` per metric.

# %%
metrics = performance_metrics(ecs_cluster, ecs_service, db_instance, load_balancer, api_name, function_name, table_name, ec2m_region)
week = rb.fetch("cloudwatch_metrics_read", "GetMetricData", metric_data, metrics, window_days * 24 * 60, period_minutes * 60, default={})
recent = rb.fetch("cloudwatch_metrics_read", "GetMetricData", metric_data, metrics, recent_minutes, 300, default={})

# %% [markdown]
# ## 2. ECS CPU and RDS connections (seed 003)

# %%
rb.show(views.bands, week, "ecs_cpu", cpu_warn, cpu_critical, f"ECS CPU: {ecs_service}", "%")
rb.show(views.bands, week, "rds_connections", connections_warn, connections_critical, f"RDS connections: {db_instance}", "connections")
rb.record(metric_recent("ecs_cpu_recent", ecs_service, recent.get("ecs_cpu"), cpu_warn, cpu_critical, "%", "ECS CPU", recent_minutes))
rb.record(metric_recent("rds_connections_recent", db_instance, recent.get("rds_connections"), connections_warn, connections_critical, "", "RDS connections", recent_minutes))

# %% [markdown]
# ## 3. API latency: average, p95, p99 (seed 001: warning > 1 s, critical > 2 s)

# %%
rb.show(views.bands, week, {"average": "alb_average", "p95": "alb_p95", "p99": "alb_p99"}, latency_warn_s, latency_critical_s, f"ALB target response time: {load_balancer}", "seconds")
rb.show(views.bands, week, {"average": "api_average", "p95": "api_p95", "p99": "api_p99"}, latency_warn_s * 1000, latency_critical_s * 1000, f"API Gateway latency: {api_name}", "ms")
rb.record(metric_recent("alb_latency_p95_recent", load_balancer, recent.get("alb_p95"), latency_warn_s, latency_critical_s, " s", "ALB p95 latency", recent_minutes))
rb.record(metric_recent("apigateway_latency_p95_recent", api_name, recent.get("api_p95"), latency_warn_s * 1000, latency_critical_s * 1000, " ms", "API Gateway p95 latency", recent_minutes))

# %% [markdown]
# ## 4. Lambda duration (seed 001: warning > 10 s, critical > 15 s)

# %%
rb.show(views.bands, week, {"average": "lambda_average", "maximum": "lambda_maximum"}, lambda_warn_ms, lambda_critical_ms, f"Lambda duration: {function_name}", "ms")
rb.record(metric_recent("lambda_duration_recent", function_name, recent.get("lambda_average"), lambda_warn_ms, lambda_critical_ms, " ms", "Lambda average duration", recent_minutes))

# %% [markdown]
# ## 5. DynamoDB latency and throttling (seed 001: any throttling is a warning, more than 5 critical)

# %%
rb.show(views.bands, week, "ddb_put_latency", ddb_latency_warn_ms, ddb_latency_critical_ms, f"DynamoDB PutItem latency: {table_name}", "ms")
rb.show(views.bands, week, "ddb_throttled", throttle_warn, throttle_critical, f"DynamoDB throttled requests: {table_name}", "requests", kind="bar")
rb.record(metric_recent("dynamodb_latency_recent", table_name, recent.get("ddb_put_latency"), ddb_latency_warn_ms, ddb_latency_critical_ms, " ms", "PutItem latency", recent_minutes))
rb.record(metric_recent("dynamodb_throttling_recent", table_name, recent.get("ddb_throttled"), throttle_warn, throttle_critical, "", "Throttled requests per 5 minutes", recent_minutes))

# %% [markdown]
# ## Verdict
# Red latency: seed 004 "High Latency" and 001 "API Gateway Issues". Red throttling: seed 001 "DynamoDB Issues".
# Red Lambda duration: seed 001 "Lambda Function Issues". CPU or connections: seed 003 "Scale ECS Service" / "Scale RDS Instance".
# Their log lines: `opslib run log-search -p pattern=ERROR`.

# %%
rb.summary()
