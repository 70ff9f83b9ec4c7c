"""DynamoDB."""

from ..units import number
from . import CRITICAL, OK, WARN, Check, describe_threshold, evaluate


def table_active(table: dict) -> Check:
    """Seed 001 "Complete System Outage" step 3: the critical table is ACTIVE."""
    name, status = table["TableName"], table["TableStatus"]
    level = OK if status == "ACTIVE" else WARN if status == "UPDATING" else CRITICAL
    return Check("dynamodb_table_status", level, name, status, "ACTIVE", f"Table {name} is {status}.")


def capacity_used(series: dict, table: dict | None, period_s: int, warn_pct: float, critical_pct: float) -> list[Check]:
    """Seed 001 "DynamoDB Issues" step 2: consumed against provisioned capacity, the busiest period of the window."""
    if table is None:  # its describe failed: that row says why
        return []
    name = table["TableName"]
    if (table.get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST":
        return [Check("dynamodb_capacity_used", OK, name, "on-demand", "-", f"Table {name} is on-demand (PAY_PER_REQUEST): no provisioned ceiling to hit.")]
    rows = []
    for kind, key in (("read", "ReadCapacityUnits"), ("write", "WriteCapacityUnits")):
        provisioned = float(table.get("ProvisionedThroughput", {}).get(key) or 0)
        consumed = series.get(f"consumed_{kind}")
        peak = float(consumed.max()) / period_s if consumed is not None and len(consumed) else 0.0
        pct = 100 * peak / provisioned if provisioned else 0.0
        rows.append(Check("dynamodb_capacity_used", evaluate(pct, warn_pct, critical_pct), f"{name} {kind}s", f"{number(pct)}%",
                          describe_threshold(warn_pct, critical_pct, "%"),
                          f"{name}: busiest {period_s // 60}-minute period used {number(peak)} of {number(provisioned)} provisioned {kind} units a second ({number(pct)}%)."))
    return rows


def throttled(series: dict, name: str, period_s: int, warn: float, critical: float) -> Check:
    """Seed 001: ThrottledRequests (Sum a period) above 0 warns, above 5 is critical."""
    s = series.get("throttled")
    worst = float(s.max()) if s is not None and len(s) else 0.0
    total = float(s.sum()) if s is not None and len(s) else 0.0
    return Check("dynamodb_throttled_requests", evaluate(worst, warn, critical), name, number(worst), describe_threshold(warn, critical, "requests"),
                 f"{name}: {number(total)} throttled requests in the window, at most {number(worst)} in one {period_s // 60}-minute period.")


def hot_key(keys: list[str], name: str, window_minutes: int, share_pct: float, min_items: int = 20) -> Check:
    """Seed 001 "Hot partition: analyze partition key distribution": one key taking most recent writes."""
    from collections import Counter

    if len(keys) < min_items:
        return Check("dynamodb_hot_partition", OK, name, len(keys), f"no key >= {number(share_pct)}% of writes",
                     f"{name}: {len(keys)} item(s) written in the last {window_minutes} minutes: too few to have a hot key.")
    key, n = Counter(keys).most_common(1)[0]
    pct = 100 * n / len(keys)
    return Check("dynamodb_hot_partition", WARN if pct >= share_pct else OK, name, f"{number(pct)}%", f"no key >= {number(share_pct)}% of writes",
                 f"{name}: partition key {key} holds {n} of the {len(keys)} items written in the last {window_minutes} minutes ({number(pct)}%)"
                 + (": a hot partition; spread the writes (or cache the reads) rather than only raise capacity." if pct >= share_pct else "."))
