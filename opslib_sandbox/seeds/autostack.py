"""Seed 002 "AutoStack": the Terraform role and policy, state bucket with versions, lock table,
and the backend's access log (for the 429 scenario)."""

import hashlib
import json
import random
from datetime import datetime
from pathlib import Path

from ..world import AUTOSTACK, create_bucket, put_events

from .ec2manager import access_lines

R = AUTOSTACK["region"]

# seed 002 "Minimal IAM Policy" and the role's trust, as parameters/iam holds them for security/iam-role-setup
POLICY_FILE = Path(__file__).resolve().parents[2] / "parameters" / "iam" / "autostack-terraform-policy.json"
TRUST_FILE = POLICY_FILE.with_name("autostack-terraform-trust.json")


def state_document(serial: int, resources: int) -> bytes:
    return json.dumps({"version": 4, "terraform_version": "1.6.6", "serial": serial, "lineage": "5f1c9a4e-7b2d-4c1e-9a55-autostack0001",
                       "outputs": {}, "resources": [{"mode": "managed", "type": "aws_instance", "name": f"node_{i}"} for i in range(resources)]}, indent=2).encode()


def seed(c, now: datetime, rng: random.Random) -> None:
    iam = c("iam", R)  # seed 002 "Setup Commands": create-role, then put-role-policy (inline)
    iam.create_role(RoleName=AUTOSTACK["role"], AssumeRolePolicyDocument=TRUST_FILE.read_text(), Description="Terraform runs for AutoStack")
    iam.put_role_policy(RoleName=AUTOSTACK["role"], PolicyName=AUTOSTACK["policy"], PolicyDocument=POLICY_FILE.read_text())

    s3 = c("s3", R)
    bucket = AUTOSTACK["state_bucket"]
    create_bucket(c, bucket, R)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    for serial, resources in ((41, 12), (42, 13), (43, 13), (44, 14)):
        s3.put_object(Bucket=bucket, Key=AUTOSTACK["state_key"], Body=state_document(serial, resources), ContentType="application/json")

    ddb = c("dynamodb", R)
    ddb.create_table(TableName=AUTOSTACK["lock_table"], BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}], KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}])
    # Terraform's S3 backend keeps the state's checksum beside the locks, keyed "<bucket>/<key>-md5"; a held lock is "<bucket>/<key>"
    digest = hashlib.md5(state_document(44, 14)).hexdigest()  # the newest version above
    ddb.put_item(TableName=AUTOSTACK["lock_table"], Item={"LockID": {"S": f"{bucket}/{AUTOSTACK['state_key']}-md5"}, "Digest": {"S": digest}})

    sm = c("secretsmanager", R)  # seed 002 "Credential rotation": what backend/.env holds, kept where AWS keeps secrets (aged by ages.py)
    for name, keys in (("github-oauth", ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")), ("google-oauth", ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET")),
                       ("jwt", ("JWT_SECRET", "SECRET_KEY"))):
        sm.create_secret(Name=f"autostack/production/{name}", Description=f"AutoStack {name} (backend .env)",
                         SecretString=json.dumps({k: f"sandbox-{k.lower()}-{rng.randrange(16**12):012x}" for k in keys}))

    logs = c("logs", R)
    logs.create_log_group(logGroupName=AUTOSTACK["backend_log_group"])
    logs.put_retention_policy(logGroupName=AUTOSTACK["backend_log_group"], retentionInDays=14)
    put_events(logs, AUTOSTACK["backend_log_group"], "autostack-backend/seed", access_lines(now, 6, rng))
