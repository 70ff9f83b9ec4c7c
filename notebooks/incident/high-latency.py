# %% [markdown]
# # High latency
#
# - **Purpose:** Requests are slow: p95 at each front door against the seeds' thresholds, then what is behind the incident-response service: its slowest statements (`pg_stat_statements` of the real database), its cache hit rate (Redis `INFO`), its database CPU; ends with seed 004's resolution steps that apply.
# - **When to use:** `incident-response_high_latency` or a latency alarm fires, or users report slow pages (seed 004 "High Latency", seed 001 "Performance").
# - **Expected time:** under 15 seconds.
# - **Impact:** Read-only: one connection to the database and one to the cache, each closed.
# - **Replaces:** seed 004 "High Latency" (`psql -c "SELECT * FROM pg_stat_statements ORDER BY mean_time DESC LIMIT 10"`, `redis-cli INFO stats`, database CPU > 80 %) and seed 001 "Performance Monitoring" (`aws cloudwatch get-metric-statistics --statistics p95`).
# - **Catches:** sandbox scenario `high-latency`.
#
# Thresholds: p95 above 500 ms warns (seed 004's alert), above 2 s is critical (seed 001); database CPU above 80 % is critical (seed 004 "scale up database if CPU > 80 %"). Statement and cache thresholds have no seed value: a statement averaging 100 ms warns, 1 s is critical; a hit rate under 80 % warns, under 50 % is critical. Credentials come from Secrets Manager and are never shown.

# %%
from opslib import advice, runbook, views
from opslib.checks import cache as cache_checks, changes, postgres as db_checks
from opslib.checks.cloudwatch import metric_recent
from opslib.services import cache, cloudwatch, deployments, postgres, secretsmanager

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
rms_region: str = "us-east-1"  # AWS region RMS runs in (seed 003)
ec2m_region: str = "us-west-2"  # AWS region EC2 Manager runs in (seed 001)
ir_region: str = "us-east-1"  # AWS region of the incident-response service (seed 004)
load_balancer: str = "app/rms-alb-prod/50dc6c495c0c9188"  # RMS's ALB (dimension value)
api_name: str = "ec2-manager-api-production"  # EC2 Manager's REST API
stack: str = "EC2Manager-production"  # EC2 Manager's stack (seed 001)
ecs_cluster: str = "rms-cluster-prod"  # RMS's ECS cluster (seed 003)
ecs_service: str = "rms-backend-service-prod"  # RMS's backend service
function_name: str = "ec2-manager-function-prod"  # EC2 Manager's function (seed 001)
alias: str = "LIVE"  # the alias its API calls
deploy_lookback_hours: int = 6  # how far back to look for deployments and changes, hours [1..168]
database: str = "incident-response-prod"  # the incident-response service's RDS instance (seed 004)
db_secret: str = "incident-response/production/database"  # Secrets Manager secret with username, password, host, port, dbname
cache_cluster: str = "incident-response-cache"  # the service's ElastiCache Redis cluster
window_minutes: int = 30  # how far back to judge, minutes [5..1440]
latency_warn_ms: float = 500.0  # p95 that warns, ms (seed 004: > 500 ms) [1..600000]
latency_critical_ms: float = 2000.0  # p95 that is critical, ms (seed 001: > 2 s) [1..600000]
db_cpu_warn_pct: float = 70.0  # database CPU that warns, % [1..100]
db_cpu_critical_pct: float = 80.0  # database CPU that is critical, % (seed 004: scale up above 80 %) [1..100]
statement_warn_ms: float = 100.0  # a statement's mean time that warns, ms [1..600000]
statement_critical_ms: float = 1000.0  # a statement's mean time that is critical, ms [1..600000]
hit_rate_warn_pct: float = 80.0  # cache hit rate at or under which it warns, % [0..100]
hit_rate_critical_pct: float = 50.0  # cache hit rate at or under which it is critical, % [0..100]
hit_rate_minutes: int = 5  # the cache's hit rate is judged over this many minutes (a flush heals as keys come back) [1..1440]
top_n: int = 10  # statements to list (seed 004: LIMIT 10) [1..100]
connect_timeout_s: float = 5.0  # how long each connection may take, seconds [1..60]

# %%
rb = runbook.start("incident/high-latency", globals(), region="ir_region")
rb

# %% [markdown]
# ## 1. How slow, and where
# `aws cloudwatch get-metric-statistics --statistics p95` of the ALB's TargetResponseTime and API Gateway's Latency, a point a minute, and the database's CPUUtilization.

# %%
series = rb.fetch("cloudwatch_metrics_read", "GetMetricData", cloudwatch.metric_data, cloudwatch.latency_metrics(load_balancer, api_name, database, rms_region, ec2m_region, ir_region), window_minutes, 60, default={})
rb.show(views.latency, series, latency_warn_ms, latency_critical_ms, window_minutes)
rb.record(metric_recent("alb_latency_p95_recent", load_balancer, series.get("alb_p95"), latency_warn_ms / 1000, latency_critical_ms / 1000, " s", "ALB p95 latency", window_minutes))
rb.record(metric_recent("apigateway_latency_p95_recent", api_name, series.get("api_p95"), latency_warn_ms, latency_critical_ms, " ms", "API Gateway p95 latency", window_minutes))
rb.record(metric_recent("rds_cpu_recent", database, series.get("db_cpu"), db_cpu_warn_pct, db_cpu_critical_pct, "%", "Database CPU", window_minutes))

# %% [markdown]
# ## 2. What changed before it slowed down
# Seed 004 step 3 ("recent code changes"): stack events, ECS deployments, the alias LIVE, and what CloudTrail recorded being changed by hand (`aws cloudtrail lookup-events`: a database moved to another class, a service scaled, a function's limits).

# %%
recent = rb.fetch("latency_after_change", "deployments", deployments.recent, stack, ecs_cluster, ecs_service, function_name, alias, deploy_lookback_hours, ec2m_region, rms_region)
rb.judge(changes.latency_after_change, recent, series, latency_warn_ms, deploy_lookback_hours)
rb.show(views.deployments, recent, deploy_lookback_hours)

# %% [markdown]
# ## 3. The slowest statements
# `psql -h <db-host> -U admin -c "SELECT * FROM pg_stat_statements ORDER BY mean_time DESC LIMIT 10;"` with the secret's credentials (`mean_time` is `mean_exec_time` since PostgreSQL 13).

# %%
creds = rb.fetch("postgres_slow_statements", db_secret, secretsmanager.credentials, db_secret)
(slowest,) = rb.fetch_all(("postgres_slow_statements", database, postgres.slowest, creds, top_n, connect_timeout_s), when=creds)
rb.judge(db_checks.slowest_statement, slowest, database, statement_warn_ms, statement_critical_ms)
rb.show(views.statements, slowest)

# %% [markdown]
# ## 4. The cache hit rate
# `aws cloudwatch get-metric-statistics` of the node's `CacheHits` and `CacheMisses` over the last minutes (`redis-cli INFO stats` counts since the node started, which hides a flush), at the node `aws elasticache describe-cache-clusters --show-cache-node-info` names.

# %%
stats = rb.fetch("elasticache_hit_rate", cache_cluster, cache.stats, cache_cluster, connect_timeout_s, hit_rate_minutes)
rb.judge(cache_checks.hit_rate, stats, cache_cluster, hit_rate_warn_pct, hit_rate_critical_pct)

# %% [markdown]
# ## Next

# %%
rb.next(advice.high_latency(rb.results, recent or [], database, rb.incident, env))

# %%
rb.summary()
