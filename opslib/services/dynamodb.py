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
