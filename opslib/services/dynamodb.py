"""DynamoDB: tables, and items of the incident table (the environment file's `incidents.table`)."""

import json


def describe_table(aws, name: str, region: str = "") -> dict:
    """`aws dynamodb describe-table --table-name NAME`."""
    return aws.client("dynamodb", region or None).describe_table(TableName=name)["Table"]


def claim(aws, table: str, key: str, value: str, fields: dict) -> bool:
    """Write the item only if no item has this key yet; False when someone else holds it."""
    try:
        aws.client("dynamodb").put_item(TableName=table, Item=_item(key, value, fields), ConditionExpression=f"attribute_not_exists({key})")
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def put(aws, table: str, key: str, value: str, fields: dict) -> None:
    aws.client("dynamodb").put_item(TableName=table, Item=_item(key, value, fields))


def get(aws, table: str, key: str, value: str) -> dict | None:
    item = aws.client("dynamodb").get_item(TableName=table, Key={key: {"S": value}}, ConsistentRead=True).get("Item")
    return None if item is None else {k: v.get("S", v.get("N")) for k, v in item.items()}


def _item(key: str, value: str, fields: dict) -> dict:
    item = {key: {"S": value}}
    for name, v in fields.items():
        if isinstance(v, bool) or v is None:
            continue
        item[name] = {"N": str(v)} if isinstance(v, (int, float)) else {"S": v if isinstance(v, str) else json.dumps(v, default=str)}
    return {k: v for k, v in item.items() if v.get("S", "x") != ""}


def recent_keys(aws, table: str, key: str, time_attribute: str, minutes: int, max_items: int = 5000) -> list[str]:
    """Partition keys of the items whose `time_attribute` (ISO time) falls in the last `minutes`: a Scan of at most `max_items`."""
    from datetime import datetime, timedelta, timezone

    since = (datetime.now(timezone.utc) - timedelta(minutes=minutes)).isoformat()
    pages = aws.client("dynamodb").get_paginator("scan").paginate(TableName=table, ProjectionExpression="#k, #t",
                                                                  ExpressionAttributeNames={"#k": key, "#t": time_attribute},
                                                                  PaginationConfig={"MaxItems": max_items, "PageSize": 1000})
    items = [item for page in pages for item in page.get("Items", [])]
    return [str(next(iter(i[key].values()))) for i in items if key in i and str(next(iter(i.get(time_attribute, {"S": ""}).values()))) >= since]
