"""RDS."""

from ..aws import in_regions


def describe_instance(aws, db_instance: str) -> dict:
    return aws.client("rds").describe_db_instances(DBInstanceIdentifier=db_instance)["DBInstances"][0]


def manual_snapshots(aws, regions: list[str] | None = None) -> list[dict]:
    """Manual DB snapshots in each region, each marked with its `Region`."""
    return in_regions(aws, regions, _manual)


def _manual(aws) -> list[dict]:
    paginator = aws.client("rds").get_paginator("describe_db_snapshots")
    return [s for page in paginator.paginate(SnapshotType="manual") for s in page.get("DBSnapshots", [])]
