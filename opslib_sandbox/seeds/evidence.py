"""opslib's own: the bucket that witnesses the evidence chains' heads (Object Lock, compliance mode),
the bucket every machine files its runs to (`evidence.store`), and the table that holds a copy of every
incident record.

Environment files name the bucket in `evidence.witness: s3://...`; nothing in it can be deleted or
overwritten until its retention ends, so a forger holding the runs directory cannot rewrite
what it says the chains held. They name the table in `incidents.table`: responders on different
machines then see the same incidents and never get the same id.
"""

from ..world import ACCOUNT, REGION, create_bucket

WITNESS_BUCKET = f"opslib-evidence-witness-{ACCOUNT}"
STORE_BUCKET = f"opslib-evidence-store-{ACCOUNT}"  # `evidence.store`: every machine's runs (opslib.store), versioned, Object Lock
INCIDENTS_TABLE = "opslib-incidents"
ACTIONS_TABLE = "opslib-actions"


def seed(c, now, rng) -> None:
    s3 = c("s3")
    create_bucket(c, WITNESS_BUCKET, REGION, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=WITNESS_BUCKET, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}}})
    create_bucket(c, STORE_BUCKET, REGION, ObjectLockEnabledForBucket=True)  # Object Lock turns versioning on with it
    s3.put_object_lock_configuration(Bucket=STORE_BUCKET, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 400}}})
    c("dynamodb").create_table(TableName=INCIDENTS_TABLE, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "incident_id", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "incident_id", "AttributeType": "S"}])
    c("dynamodb").create_table(TableName=ACTIONS_TABLE, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "resource", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "resource", "AttributeType": "S"}])  # opslib.locks
