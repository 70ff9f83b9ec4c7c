"""Cognito user pools as seed 001 "Authentication Issues" reads them, and the pool's sign-in log."""

import json
from datetime import datetime, timezone
from functools import partial

from ..aws import at_once
from . import logs


def user_pool(aws, name: str) -> dict:
    """`aws cognito-idp describe-user-pool`, found by name (seed 001 leaves the id as `<user-pool-id>`), with its clients
    (`describe-user-pool-client` each, at once)."""
    idp = aws.client("cognito-idp")
    pools = [p for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60) for p in page["UserPools"] if name in (p["Name"], p["Id"])]
    if not pools:
        raise LookupError(f"no user pool named {name} in {aws.region}")
    pool = idp.describe_user_pool(UserPoolId=pools[0]["Id"])["UserPool"]
    ids = [c["ClientId"] for page in idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool["Id"], MaxResults=60) for c in page["UserPoolClients"]]
    pool["clients"] = [c["UserPoolClient"] for c in at_once(partial(idp.describe_user_pool_client, UserPoolId=pool["Id"], ClientId=cid) for cid in ids)]
    for client in pool["clients"]:
        client.pop("ClientSecret", None)  # never needed here, never shown
    return pool


def sign_ins(aws, pool: dict, log_group: str, minutes: int) -> list[dict]:
    """The pool's sign-in events of the last minutes (`filter-log-events --filter-pattern '{ $.event = "SignIn" }'`
    on `log_group`, by default the pool's `/aws/cognito/<pool id>`): when, result, user, source address."""
    out = []
    for e in logs.filter_events(aws, log_group or f"/aws/cognito/{pool['Id']}", '{ $.event = "SignIn" }', minutes):
        try:
            body = json.loads(e["message"])
        except ValueError:
            continue
        out.append({"at": datetime.fromtimestamp(e["timestamp"] / 1000, timezone.utc), "result": body.get("result", ""), "user": body.get("user", ""),
                    "source": body.get("sourceIp", "-"), "reason": body.get("reason", "")})
    return out
