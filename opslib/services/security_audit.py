"""What seed 001 "Security Hardening" and seed 003 "Security Audit" read, all at once: IAM (customer-managed and inline
policies, users' access keys, the root account), security groups and instances in each region, buckets' public access
and encryption, and CloudTrail's trails."""

import json

from ..aws import at_once
from .iam_roles import policy_json


def _policy(doc) -> dict:
    return policy_json(doc) or {}


def iam(aws) -> dict:
    """Customer-managed policies (`aws iam list-policies --scope Local`) with their default version's document and who has
    them; users and roles with their inline policies; each user's access keys and when each was last used; the account
    summary (root MFA, root access keys)."""
    client = aws.client("iam")
    policies, users, roles, summary = at_once([
        lambda: [p for page in client.get_paginator("list_policies").paginate(Scope="Local") for p in page["Policies"]],
        lambda: [u for page in client.get_paginator("list_users").paginate() for u in page["Users"]],
        lambda: [r for page in client.get_paginator("list_roles").paginate() for r in page["Roles"]],
        lambda: client.get_account_summary()["SummaryMap"]])

    def managed(p):
        doc, entities = at_once([lambda: client.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])["PolicyVersion"]["Document"],
                                 lambda: client.list_entities_for_policy(PolicyArn=p["Arn"])])
        attached = [f"user {u['UserName']}" for u in entities.get("PolicyUsers", [])] + [f"role {r['RoleName']}" for r in entities.get("PolicyRoles", [])]
        return {"kind": "managed", "name": p["PolicyName"], "arn": p["Arn"], "document": _policy(doc), "attached": attached}

    def user(u):
        names, keys = at_once([lambda: client.list_user_policies(UserName=u["UserName"])["PolicyNames"],
                               lambda: client.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"]])
        inline = at_once([lambda n=n: {"kind": "inline", "name": n, "arn": f"{u['Arn']} (inline {n})",
                                       "document": _policy(client.get_user_policy(UserName=u["UserName"], PolicyName=n)["PolicyDocument"]),
                                       "attached": [f"user {u['UserName']}"]} for n in names])
        used = at_once([lambda k=k: client.get_access_key_last_used(AccessKeyId=k["AccessKeyId"]).get("AccessKeyLastUsed", {}) for k in keys])
        return inline, [{**k, "LastUsed": last.get("LastUsedDate")} for k, last in zip(keys, used)]

    def role(r):
        names = client.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]
        return at_once([lambda n=n: {"kind": "inline", "name": n, "arn": f"{r['Arn']} (inline {n})",
                                     "document": _policy(client.get_role_policy(RoleName=r["RoleName"], PolicyName=n)["PolicyDocument"]),
                                     "attached": [f"role {r['RoleName']}"]} for n in names])

    found_managed = at_once([lambda p=p: managed(p) for p in policies])
    per_user = at_once([lambda u=u: user(u) for u in users])
    per_role = at_once([lambda r=r: role(r) for r in roles if not r.get("Path", "/").startswith("/aws-service-role/")])
    inline = [p for ps, _ in per_user for p in ps] + [p for ps in per_role for p in ps]
    keys = [k for _, ks in per_user for k in ks]
    return {"policies": found_managed + inline, "keys": keys, "summary": summary, "users": len(users), "roles": len(roles)}


def network(aws, region: str) -> dict:
    """`aws ec2 describe-security-groups` and the running instances (`describe-instances`) of a region."""
    ec2 = aws.at(region).client("ec2")
    groups, reservations = at_once([
        lambda: [g for page in ec2.get_paginator("describe_security_groups").paginate() for g in page["SecurityGroups"]],
        lambda: [i for page in ec2.get_paginator("describe_instances").paginate(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
                 for r in page["Reservations"] for i in r["Instances"]]])
    return {"region": region, "groups": groups, "instances": reservations}


def buckets(aws) -> list[dict]:
    """Each bucket's public access block, policy status, ACL grants and default encryption (`get-public-access-block`,
    `get-bucket-policy-status`, `get-bucket-acl`, `get-bucket-encryption`), at once."""
    s3 = aws.client("s3")

    def quiet(call, **kw):
        try:
            return call(**kw)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("NoSuchPublicAccessBlockConfiguration", "NoSuchBucketPolicy", "ServerSideEncryptionConfigurationNotFoundError"):
                return None
            raise

    def one(name):
        block, status, acl, enc = at_once([lambda: quiet(s3.get_public_access_block, Bucket=name), lambda: quiet(s3.get_bucket_policy_status, Bucket=name),
                                           lambda: s3.get_bucket_acl(Bucket=name), lambda: quiet(s3.get_bucket_encryption, Bucket=name)])
        rules = ((enc or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or [{}]
        return {"bucket": name, "block": (block or {}).get("PublicAccessBlockConfiguration"), "policy_public": bool(((status or {}).get("PolicyStatus") or {}).get("IsPublic")),
                "acl_public": [g.get("Permission") for g in acl.get("Grants", []) if (g.get("Grantee") or {}).get("URI", "").endswith(("/global/AllUsers", "/global/AuthenticatedUsers"))],
                "encryption": (rules[0].get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm", "AES256 (default)")}

    return at_once([lambda n=b["Name"]: one(n) for b in s3.list_buckets()["Buckets"]])


def trails(aws, region: str) -> list[dict]:
    """Each trail of a region and whether it logs (`aws cloudtrail describe-trails`, `get-trail-status`); a stopped one
    with who stopped it (`stopped_by`: the StopLogging call in CloudTrail's event history, which keeps 90 days of
    management events whether or not a trail logs)."""
    ct = aws.at(region).client("cloudtrail")
    found = [t for t in ct.describe_trails(includeShadowTrails=False)["trailList"]]
    status = at_once([lambda t=t: ct.get_trail_status(Name=t["TrailARN"]) for t in found])
    out = [{"region": region, "name": t["Name"], "arn": t["TrailARN"], "logging": s.get("IsLogging", False), "multi_region": t.get("IsMultiRegionTrail", False),
            "global": t.get("IncludeGlobalServiceEvents", False), "stopped": s.get("StopLoggingTime")} for t, s in zip(found, status)]
    stopped = [t for t in out if not t["logging"] and t["stopped"]]
    for t, who in zip(stopped, at_once([lambda t=t: _stopped_by(ct, t) for t in stopped])):
        t["stopped_by"] = who
    return out


def _stopped_by(ct, trail: dict) -> dict | None:
    """The StopLogging call that stopped `trail` (the last one that succeeded by its stop time): who, from where."""
    from datetime import timedelta

    from .cloudtrail import actor

    at = trail["stopped"]
    pages = ct.get_paginator("lookup_events").paginate(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "StopLogging"}],
                                                       StartTime=at - timedelta(minutes=15), EndTime=at + timedelta(minutes=5))
    for event in (e for page in pages for e in page["Events"]):  # newest first
        record = json.loads(event.get("CloudTrailEvent") or "{}")
        asked = {str(v) for k, v in (record.get("requestParameters") or {}).items() if k.lower() == "name"}
        if not record.get("errorCode") and asked & {trail["name"], trail["arn"]}:
            return {"who": actor(record), "from": record.get("sourceIPAddress", ""), "username": event.get("Username", "")}
    return None


def everything(aws, regions: list[str]) -> dict:
    """All of the above at once: the audit's one wait."""
    got = at_once([lambda: iam(aws), lambda: buckets(aws)] + [lambda r=r: network(aws, r) for r in regions] + [lambda r=r: trails(aws, r) for r in regions])
    n = len(regions)
    return {"iam": got[0], "buckets": got[1], "networks": got[2:2 + n], "trails": [t for ts in got[2 + n:] for t in ts]}
