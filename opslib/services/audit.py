"""EC2 Manager's audit table (seed 001 "Data Corruption Incident"): its records, which of them are
corrupt, what it can be restored from, and how a recovery copy differs from it."""

import re
from datetime import datetime

from ..aws import at_once

BAD_WORDS = ("", "undefined", "null", "none", "nan")  # what a writer with a bug puts where a value belongs


def scan(aws, table: str, max_items: int = 100_000) -> list[dict]:
    """Every item (plain values), all pages, at most `max_items` (seed 001's scope query looks at one key; a scan sees them all)."""
    from boto3.dynamodb.types import TypeDeserializer

    plain, items = TypeDeserializer(), []
    for page in aws.client("dynamodb").get_paginator("scan").paginate(TableName=table, PaginationConfig={"MaxItems": max_items}):
        items += [{k: plain.deserialize(v) for k, v in item.items()} for item in page.get("Items", [])]
    return items


def problems(item: dict, actions: list[str]) -> list[str]:
    """What is wrong with one audit record: an id that is not an instance id, a time that is not a time,
    an action the service does not perform, a user that is a placeholder."""
    wrong = []
    if not re.fullmatch(r"i-[0-9a-f]{8,17}", str(item.get("id", ""))):
        wrong.append(f"id {item.get('id')!r}")
    try:
        datetime.fromisoformat(str(item.get("timestamp", "")))
    except ValueError:
        wrong.append(f"timestamp {item.get('timestamp')!r}")
    if item.get("action") not in actions:
        wrong.append(f"action {item.get('action')!r}")
    if str(item.get("user", "")).strip().lower() in BAD_WORDS:
        wrong.append(f"user {item.get('user')!r}")
    return wrong


def corrupt(items: list[dict] | None, actions: list[str]) -> list[dict]:
    """The corrupt records, each with what is wrong with it."""
    return [{**item, "problems": problems(item, actions)} for item in items or [] if problems(item, actions)]


def recovery_sources(aws, table: str) -> dict:
    """Seed 001 "Check recent backups" and the point-in-time window: `list-backups`, `describe-continuous-backups`."""
    ddb = aws.client("dynamodb")
    backups, continuous = at_once([lambda: ddb.list_backups(TableName=table).get("BackupSummaries", []),
                                   lambda: ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]])
    return {"backups": sorted(backups, key=lambda b: b["BackupCreationDateTime"], reverse=True),
            "pitr": continuous.get("PointInTimeRecoveryDescription") or {"PointInTimeRecoveryStatus": "DISABLED"}}


def compare(aws, live: str, recovery: str, keys: list[dict], max_items: int = 100_000) -> dict | None:
    """How the recovery copy differs from the live table: counts, and the corrupt records side by side; None before it exists."""
    ddb = aws.client("dynamodb")
    try:
        status = ddb.describe_table(TableName=recovery)["Table"]["TableStatus"]
    except ddb.exceptions.ResourceNotFoundException:
        return None
    if status != "ACTIVE":
        return {"status": status}
    now, then = at_once([lambda: scan(aws, live, max_items), lambda: scan(aws, recovery, max_items)])
    by_key = {(i.get("id"), i.get("timestamp")): i for i in then}
    pairs = [(k, by_key.get((k.get("id"), k.get("timestamp")))) for k in keys]
    return {"status": status, "live_count": len(now), "recovery_count": len(then), "pairs": pairs}


def get_many(aws, table: str, keys: list[dict]) -> list[dict | None]:
    """The items with these keys (plain values), in the keys' order, None where there is none: BatchGetItem,
    100 keys a call, the calls at once, unprocessed keys asked again."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    ddb, wire, plain = aws.client("dynamodb"), TypeSerializer(), TypeDeserializer()

    def batch(chunk: list[dict]) -> list[dict]:
        found, asked = [], {table: {"Keys": [{k: wire.serialize(v) for k, v in key.items()} for key in chunk], "ConsistentRead": True}}
        for attempt in _attempts(table, "keys"):
            answer = ddb.batch_get_item(RequestItems=asked)
            found += answer["Responses"].get(table, [])
            asked = answer.get("UnprocessedKeys") or {}
            if not asked:
                break
            attempt(len(asked.get(table, {}).get("Keys", [])))
        return [{k: plain.deserialize(v) for k, v in item.items()} for item in found]

    items = [item for chunk in at_once([lambda c=keys[i : i + 100]: batch(c) for i in range(0, len(keys), 100)]) for item in chunk]
    by_key = {tuple(sorted((k, str(item.get(k))) for k in keys[0])): item for item in items} if keys else {}
    return [by_key.get(tuple(sorted((k, str(v)) for k, v in key.items()))) for key in keys]


def put_many(aws, table: str, items: list[dict]) -> None:
    """BatchWriteItem, 25 items a call, unprocessed items written again."""
    from boto3.dynamodb.types import TypeSerializer

    ddb, wire = aws.client("dynamodb"), TypeSerializer()
    for i in range(0, len(items), 25):
        asked = {table: [{"PutRequest": {"Item": {k: wire.serialize(v) for k, v in item.items()}}} for item in items[i : i + 25]]}
        for attempt in _attempts(table, "items"):
            asked = ddb.batch_write_item(RequestItems=asked).get("UnprocessedItems") or {}
            if not asked:
                break
            attempt(len(asked.get(table, [])))


class Unprocessed(Exception):
    """DynamoDB kept leaving part of a batch unprocessed: the table's capacity is exceeded."""


RETRIES = 8  # waits between batch calls: 0.05 s doubling, at most 2 s each, with jitter (about 6 s in all)


def _attempts(table: str, what: str):
    """Batch attempts with a bounded, jittered exponential backoff between them: each yields a `wait(left)` to call
    when part of the batch came back unprocessed; past the bound, Unprocessed says how much was left."""
    import random
    import time

    def wait_for(n: int):
        def wait(left: int) -> None:
            if n >= RETRIES:
                raise Unprocessed(f"{table} left {left} {what} unprocessed after {RETRIES + 1} batch calls: its capacity is exceeded "
                                  "(ProvisionedThroughputExceededException); retry later or raise its capacity")
            time.sleep(min(2.0, 0.05 * 2 ** n) * random.uniform(0.5, 1.0))
        return wait

    for n in range(RETRIES + 1):
        yield wait_for(n)