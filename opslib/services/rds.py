"""RDS."""


def describe_instance(aws, db_instance: str) -> dict:
    return aws.client("rds").describe_db_instances(DBInstanceIdentifier=db_instance)["DBInstances"][0]
