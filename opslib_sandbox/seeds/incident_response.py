"""Seed 004 incident-response service: its Postgres and Redis (real servers behind them:
databases.py), the backups bucket, the work queue."""

import random
from datetime import datetime, timedelta

from ..world import IR, create_bucket

R = IR["region"]


def seed(c, now: datetime, rng: random.Random) -> None:
    ec2 = c("ec2", R)  # seed 004 "Database Connection Errors": the path from the service to its database
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    app = ec2.create_security_group(GroupName="incident-response-app-sg", Description="incident-response service tasks", VpcId=vpc)["GroupId"]
    db_sg = ec2.create_security_group(GroupName="incident-response-db-sg", Description="incident-response database", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app}]}])
    rds = c("rds", R)
    rds.create_db_instance(VpcSecurityGroupIds=[db_sg], 
        DBInstanceIdentifier=IR["db"], Engine="postgres", EngineVersion="15.4", DBInstanceClass="db.t3.medium", AllocatedStorage=50,
        MasterUsername="admin", MasterUserPassword="sandbox-only-password", MultiAZ=False, BackupRetentionPeriod=7, StorageEncrypted=True,
        # seed 004: psql -U admin; the password that opens the real server is in Secrets Manager (databases.SECRET)
    )
    c("elasticache", R).create_cache_cluster(CacheClusterId=IR["cache"], Engine="redis", EngineVersion="7.0", CacheNodeType="cache.t3.small", NumCacheNodes=1)
    s3 = c("s3", R)
    create_bucket(c, IR["backups_bucket"], R)
    s3.put_bucket_versioning(Bucket=IR["backups_bucket"], VersioningConfiguration={"Status": "Enabled"})
    for days_ago in range(7, -1 if now.hour >= 2 else 0, -1):  # a dump a night at 02:00 UTC (ages.py), tonight's once it is past
        day = (now - timedelta(days=days_ago)).strftime("%Y-%m-%d")
        s3.put_object(Bucket=IR["backups_bucket"], Key=f"postgres/{IR['db']}/{day}/dump.sql.gz", Body=bytes(rng.randrange(256) for _ in range(512)))
    s3.put_object(Bucket=IR["backups_bucket"], Key=f"latest/{IR['db']}.sql.gz", Body=bytes(rng.randrange(256) for _ in range(512)))  # seed 004: s3 ls .../latest/
    c("sqs", R).create_queue(QueueName=IR["queue"], Attributes={"VisibilityTimeout": "60", "MessageRetentionPeriod": "345600"})
