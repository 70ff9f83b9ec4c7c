"""Terraform's S3 backend as AWS holds it: the lock table's items and the state object's versions (seed 002)."""

import json


def locks(aws, table: str) -> dict:
    """`aws dynamodb scan --table-name TABLE` (seed 002 Scenario 5), read as Terraform writes it: a held lock is an item
    `LockID` = `<bucket>/<key>` whose `Info` is the lock's JSON (ID, Operation, Who, Version, Created, Path); the state's
    checksum is `<bucket>/<key>-md5` with its `Digest`."""
    pages = aws.client("dynamodb").get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    held, digests = [], {}
    for page in pages:
        for item in page.get("Items", []):
            lock_id = item["LockID"]["S"]
            if "Digest" in item:
                digests[lock_id.removesuffix("-md5")] = item["Digest"]["S"]
            elif "Info" in item:
                held.append({"lock_id": lock_id, "raw": item["Info"]["S"], **lock_info(item["Info"]["S"])})
    return {"table": table, "locks": held, "digests": digests}


def lock_info(raw: str) -> dict:
    try:
        info = json.loads(raw)
    except ValueError:
        return {"unreadable": True}
    return {k.lower(): str(info.get(k, "")) for k in ("ID", "Operation", "Info", "Who", "Version", "Created", "Path")} if isinstance(info, dict) else {"unreadable": True}


def lock_and_state(aws, table: str, bucket: str, key: str) -> dict:
    """The locks and the state object's newest version (when it was last written, its ETag), read at once: whether a
    holder still writes the state. Only the newest is listed: the cost does not grow with the state's history."""
    from ..aws import at_once

    found, newest = at_once([lambda: locks(aws, table), lambda: recent_versions(aws, bucket, key, 1)])
    versions = [{"version": v["VersionId"], "modified": v["LastModified"], "etag": v["ETag"], "size": v["Size"]} for v in newest]
    return {**found, "bucket": bucket, "key": key, "versions": versions}


def state_history(aws, bucket: str, key: str, newest: int) -> list[dict]:
    """The state's newest `newest` versions, each read (`get-object --version-id`, at once): serial, lineage, Terraform's
    version and the resources' addresses. Only the newest are listed and read: the cost does not grow with the history."""
    from ..aws import at_once

    s3 = aws.client("s3")
    listed = recent_versions(aws, bucket, key, newest)
    bodies = at_once([lambda v=v: s3.get_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])["Body"].read() for v in listed])
    return [{"version": v["VersionId"], "modified": v["LastModified"], "etag": v["ETag"].strip('"'), "size": v["Size"], "current": v.get("IsLatest", False),
             **parse_state(body)} for v, body in zip(listed, bodies)]


def recent_versions(aws, bucket: str, key: str, newest: int) -> list[dict]:
    """The object's newest `newest` versions as S3 lists them (newest first), without reading further back."""
    pages = aws.client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key, PaginationConfig={"MaxItems": newest * 2, "PageSize": newest * 2})
    listed = [v for page in pages for v in page.get("Versions", []) if v["Key"] == key]
    return sorted(listed, key=lambda v: v["LastModified"], reverse=True)[:newest]


def parse_state(body: bytes) -> dict:
    """A state file's serial, lineage, Terraform version and resource addresses (`module.x.type.name`, data sources `data.`)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return {"readable": False, "serial": None, "lineage": "", "terraform_version": "", "addresses": []}
    if not isinstance(doc, dict):
        return {"readable": False, "serial": None, "lineage": "", "terraform_version": "", "addresses": []}
    addresses = []
    for r in doc.get("resources") or []:
        prefix = f"{r['module']}." if r.get("module") else ""
        kind = "data." if r.get("mode") == "data" else ""
        addresses.append(f"{prefix}{kind}{r.get('type')}.{r.get('name')}")
    return {"readable": True, "serial": doc.get("serial"), "lineage": str(doc.get("lineage", "")), "terraform_version": str(doc.get("terraform_version", "")),
            "addresses": sorted(addresses)}


class LockHeld(Exception):
    """Someone holds the state's lock: Terraform (and a restore) must not write it."""


def restore_version(aws, table: str, bucket: str, key: str, version: str, who: str) -> str:
    """Make `version` the current state again as Terraform would write it: take the lock (refused while anyone holds one),
    copy the version over (a new version; nothing deleted), set the checksum Terraform keeps to the copy's MD5, release."""
    import uuid
    from datetime import datetime, timezone

    ddb, s3, lock_id = aws.client("dynamodb"), aws.client("s3"), f"{bucket}/{key}"
    info = {"ID": str(uuid.uuid4()), "Operation": "OperationTypeInvalid", "Info": f"opslib terraform-state-restore of version {version}", "Who": who,
            "Version": "", "Created": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"), "Path": lock_id}
    try:
        ddb.put_item(TableName=table, Item={"LockID": {"S": lock_id}, "Info": {"S": json.dumps(info)}}, ConditionExpression="attribute_not_exists(LockID)")
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise LockHeld(f"a Terraform lock is held on {lock_id}: nothing was copied (opslib run terraform-state-lock says by whom)") from None
        raise
    try:
        copied = s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key, "VersionId": version}, ContentType="application/json",
                                MetadataDirective="REPLACE")
        etag = copied["CopyObjectResult"]["ETag"].strip('"')
        ddb.put_item(TableName=table, Item={"LockID": {"S": f"{lock_id}-md5"}, "Digest": {"S": etag}})
    finally:
        ddb.delete_item(TableName=table, Key={"LockID": {"S": lock_id}})
    return etag
