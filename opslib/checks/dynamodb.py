"""DynamoDB."""

from . import CRITICAL, OK, WARN, Check


def table_active(table: dict) -> Check:
    """Seed 001 "Complete System Outage" step 3: the critical table is ACTIVE."""
    name, status = table["TableName"], table["TableStatus"]
    level = OK if status == "ACTIVE" else WARN if status == "UPDATING" else CRITICAL
    return Check("dynamodb_table_status", level, name, status, "ACTIVE", f"Table {name} is {status}.")
