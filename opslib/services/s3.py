"""S3 object versions: what a versioned bucket can be put back to."""

from datetime import timedelta


def versioning(aws, bucket: str) -> str:
    """Enabled, Suspended, or Disabled (never turned on)."""
    return aws.client("s3").get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")


def object_versions(aws, bucket: str, prefix: str = "") -> dict[str, list[dict]]:
    """{key: its versions newest first}: version id, modified, ETag, size, and whether it is a delete marker."""
    pages = aws.client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
    found: dict[str, list[dict]] = {}
    for page in pages:
        for v in page.get("Versions", []):
            found.setdefault(v["Key"], []).append({"version": v["VersionId"], "modified": v["LastModified"], "etag": v["ETag"], "size": v["Size"], "deleted": False})
        for m in page.get("DeleteMarkers", []):
            found.setdefault(m["Key"], []).append({"version": m["VersionId"], "modified": m["LastModified"], "etag": None, "size": 0, "deleted": True})
    return {key: sorted(vs, key=lambda v: v["modified"], reverse=True) for key, vs in sorted(found.items())}


def last_release(versions: dict[str, list[dict]] | None, window_minutes: int = 10) -> dict[str, dict | None]:
    """The objects the newest upload changed (current versions written within `window_minutes` of the
    newest), each with the version it replaced (None: the release added it); none when unread."""
    versions = versions or {}
    # content seen before (a restored copy, an identical re-upload) is not a release: after a rollback there is none to undo again
    current = {key: vs[0] for key, vs in versions.items() if vs and vs[0]["etag"] not in {v["etag"] for v in vs[1:]}}
    live = [v["modified"] for v in current.values() if not v["deleted"]]
    if not live:
        return {}
    since = max(live) - timedelta(minutes=window_minutes)
    return {key: next((v for v in versions[key][1:] if v["modified"] < since), None) for key, v in current.items() if not v["deleted"] and v["modified"] >= since}
