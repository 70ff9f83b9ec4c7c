"""opslib's own: the bucket that witnesses the evidence chains' heads (Object Lock, compliance mode).

Environment files name it in `evidence.witness: s3://...`; nothing in it can be deleted or
overwritten until its retention ends, so a forger holding the runs directory cannot rewrite
what it says the chains held.
"""

from ..world import ACCOUNT, REGION, create_bucket

WITNESS_BUCKET = f"opslib-evidence-witness-{ACCOUNT}"


def seed(c, now, rng) -> None:
    s3 = c("s3")
    create_bucket(c, WITNESS_BUCKET, REGION, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=WITNESS_BUCKET, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}}})
