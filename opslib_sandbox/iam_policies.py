"""IAM for the keys of IAM users: a call signed with an IAM user's access key (a CI user's, a leaked
one) is allowed only where that user's policies allow it (inline, attached, its groups'), and is
otherwise refused with AccessDenied and recorded in CloudTrail, read or write, as AWS does. moto can
evaluate policies only for every request at once; the sandbox's own clients (and anyone using the
sandbox's default key) are the account's administrators, as an operator's role is."""

import re

PREFIX = {"monitoring": "cloudwatch", "email": "ses", "tagging": "tag"}  # SigV4 scope -> IAM action prefix where they differ


def refusal(call, environ: dict, body: bytes) -> str | None:
    """AWS's message when the call's signer is an IAM user whose policies do not allow it; None: allowed, or not a user's key."""
    from moto.iam.access_control import CreateAccessKeyFailure, IAMPolicy, IAMUserAccessKey, PermissionResult

    from . import trail, world

    key = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    if not key:
        return None
    try:
        user = IAMUserAccessKey(world.ACCOUNT, "aws", key[1], {})
    except CreateAccessKeyFailure:
        return None
    name, _ = trail._operation(call, environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), body)
    action = f"{PREFIX.get(call.service, call.service)}:{name or call.action}"
    results = [IAMPolicy(policy).is_action_permitted(action) for policy in user.collect_policies()]
    if PermissionResult.PERMITTED in results and PermissionResult.DENIED not in results:
        return None
    return f"User: {user.arn} is not authorized to perform: {action} because no identity-based policy allows the {action} action"
