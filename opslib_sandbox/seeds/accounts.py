"""The sandbox's other accounts (issue 27: every account and region): the seeds' systems live in the main account; a
staging account holds a small copy of EC2 Manager's logging; a legacy account has no role to assume. Each account that
lets the operator in has the role `OpsAudit`, trusting the main account with an external id, as an environment's
`targets` would name it; the sandbox refuses AssumeRole of a role that does not exist, or without its external id."""

import json

import boto3

from ..world import ACCOUNT, REGION

STAGING, LEGACY = "222222222222", "333333333333"
ROLE, EXTERNAL_ID = "OpsAudit", "opslib-sandbox"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole",
                                                 "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]}


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{ROLE}"


def seed(c, now, rng) -> None:
    c("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST), Description="read-only audits from opslib targets")
    url = c("sts").meta.endpoint_url
    creds = c("sts").assume_role(RoleArn=f"arn:aws:iam::{STAGING}:role/OrganizationAccountAccessRole", RoleSessionName="sandbox-seed")["Credentials"]
    staging = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    staging.client("iam", region_name=REGION, endpoint_url=url).create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    logs = staging.client("logs", region_name=REGION, endpoint_url=url)
    logs.create_log_group(logGroupName="/aws/ec2-manager/staging")  # kept forever: log-retention names it there
    logs.create_log_group(logGroupName="/aws/ec2-manager/prod")
    logs.put_retention_policy(logGroupName="/aws/ec2-manager/prod", retentionInDays=30)
