# %% [markdown]
# # DynamoDB throttling
#
# - **Purpose:** Requests to the table are throttled: its status and billing mode, consumed against provisioned capacity, the ThrottledRequests series with the seed's bands, and whether one partition key takes most of the writes (a hot partition, which more capacity alone does not fix).
# - **When to use:** ThrottledRequests above 0, `ProvisionedThroughputExceededException` in the application's log, the `ec2-manager-dynamodb-throttling` alarm (seed 001 "DynamoDB Issues").
# - **Expected time:** under 10 seconds.
# - **Impact:** Read-only: changes nothing (the sample of recent items is a bounded Scan).
# - **Replaces:** seed 001 "DynamoDB Issues" steps 1-3 (`aws dynamodb describe-table`, `get-metric-statistics` of ConsumedRead/WriteCapacityUnits and ThrottledRequests) and its "Hot partition: analyze partition key distribution".
# - **Catches:** sandbox scenario `dynamodb-throttling`.
#
# Thresholds: throttled requests above 0 in a 5-minute period warn, above 5 are critical (seed 001); 80% of provisioned capacity warns, 100% is critical.

# %%
from opslib import advice, runbook, views
from opslib.checks import dynamodb as table_checks
from opslib.services import cloudwatch, dynamodb

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
ec2m_region: str = "us-west-2"  # AWS region of EC2 Manager (seed 001)
table: str = "ec2-manager-audit-production"  # the table (seed 001)
partition_key: str = "id"  # its partition key attribute
time_attribute: str = "timestamp"  # an ISO time attribute saying when an item was written (for the hot-key sample)
window_minutes: int = 60  # how far back to look, minutes (seed 001: 1 hour) [5..1440]
period_minutes: int = 5  # period of each point, minutes (seed 001: --period 300) [1..60]
throttle_warn: float = 1.0  # throttled requests in a period that warn (seed 001: > 0) [0..1000000]
throttle_critical: float = 6.0  # throttled requests in a period that are critical (seed 001: > 5) [0..1000000]
capacity_warn_pct: float = 80.0  # consumed share of provisioned capacity that warns, % [0..1000]
capacity_critical_pct: float = 100.0  # consumed share of provisioned capacity that is critical, % [0..1000]
hot_key_pct: float = 50.0  # share of recent writes under one partition key that makes it hot, % [1..100]
sample_items: int = 5000  # at most this many items read for the hot-key sample [100..1000000]

# %%
rb = runbook.start("incident/dynamodb-throttling", globals(), region="ec2m_region")
rb

# %% [markdown]
# ## 1. The table
# `aws dynamodb describe-table`: status, billing mode, provisioned capacity.

# %%
found = rb.fetch("dynamodb_table_status", table, dynamodb.describe_table, table)
rb.judge(table_checks.table_active, found)
rb.show(views.table_summary, found)

# %% [markdown]
# ## 2. Consumed against provisioned, and throttling
# `aws cloudwatch get-metric-statistics` of ConsumedReadCapacityUnits, ConsumedWriteCapacityUnits and ThrottledRequests (Sum a period).

# %%
series = rb.fetch("dynamodb_throttled_requests", table, cloudwatch.metric_data, cloudwatch.table_metrics(table), window_minutes, period_minutes * 60)
rb.judge(table_checks.capacity_used, series, found, period_minutes * 60, capacity_warn_pct, capacity_critical_pct)
rb.judge(table_checks.throttled, series, table, period_minutes * 60, throttle_warn, throttle_critical)
rb.show(views.bands, series, {"throttled": "throttled"}, throttle_warn, throttle_critical, f"ThrottledRequests a {period_minutes}-minute period: {table}", "requests", "bar")

# %% [markdown]
# ## 3. A hot partition?
# Seed 001: "analyze partition key distribution". The items written in the window (a Scan of at most `sample_items`), counted by partition key.

# %%
keys = rb.fetch("dynamodb_hot_partition", table, dynamodb.recent_keys, table, partition_key, time_attribute, window_minutes, sample_items)
rb.judge(table_checks.hot_key, keys, table, window_minutes, hot_key_pct)

# %% [markdown]
# ## Next

# %%
rb.next(advice.dynamodb_throttling(rb.results, found, rb.incident, env))

# %%
rb.summary()
