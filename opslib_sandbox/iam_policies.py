"""IAM for the keys of IAM users: a call signed with an IAM user's access key (a CI user's, a leaked
one) is allowed only where that user's policies allow it (inline, attached, its groups'), and is
otherwise refused with AccessDenied and recorded in CloudTrail, read or write, as AWS does. moto can
evaluate policies only for every request at once; the sandbox's own clients (and anyone using the
sandbox's default key) are the account's administrators, as an operator's role is. SimulatePrincipalPolicy
answers from the same evaluator (moto has no such call)."""

import re

PREFIX = {"monitoring": "cloudwatch", "email": "ses", "tagging": "tag"}  # SigV4 scope -> IAM action prefix where they differ
# S3 operations whose IAM action has another name (the S3 authorization reference): a listing is ListBucket, a HEAD is
# a GET, and an operation on one version of an object is its *Version action.
S3_ACTIONS = {"ListObjectsV2": "ListBucket", "ListObjects": "ListBucket", "HeadBucket": "ListBucket", "ListObjectVersions": "ListBucketVersions",
              "HeadObject": "GetObject", "ListBuckets": "ListAllMyBuckets", "CopyObject": "PutObject"}  # a copy is a put to its target (and a read of its source)
ALWAYS_ALLOWED = ("sts:GetCallerIdentity",)  # no policy can deny it (AWS: "No permissions are required")
S3_VERSIONED = {"GetObject": "GetObjectVersion", "HeadObject": "GetObjectVersion", "DeleteObject": "DeleteObjectVersion"}


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
    name, params = trail._operation(call, environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), body,
                                   "HTTP_X_AMZ_COPY_SOURCE" in environ)
    name, resource = name or call.action, "*"
    if call.service == "s3":  # S3 policies name buckets and objects: decided on the one asked for
        name = S3_VERSIONED.get(name, name) if "versionId=" in environ.get("QUERY_STRING", "") else S3_ACTIONS.get(name, name)
        resource = f"arn:aws:s3:::{params['Bucket']}" + (f"/{params['Key']}" if params.get("Key") else "") if params.get("Bucket") else "*"
    action = f"{PREFIX.get(call.service, call.service)}:{name}"
    if action in ALWAYS_ALLOWED:
        return None
    results = [IAMPolicy(policy).is_action_permitted(action, resource) for policy in user.collect_policies()]
    if PermissionResult.PERMITTED in results and PermissionResult.DENIED not in results:
        return None
    return f"User: {user.arn} is not authorized to perform: {action} because no identity-based policy allows the {action} action"


def simulate(body: bytes) -> tuple[str, list, bytes]:
    """IAM SimulatePrincipalPolicy (moto has none): each action (on each resource, `*` by default) decided by the
    principal's identity policies, inline and attached, as IAM decides them: allowed, explicitDeny, or implicitDeny, with
    the policies that decided it (MatchedStatements: SourcePolicyId and SourcePolicyType)."""
    from urllib.parse import parse_qs
    from xml.sax.saxutils import escape

    from moto.iam.access_control import IAMPolicy, PermissionResult

    from . import world

    q = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    source = q.get("PolicySourceArn", "")
    actions = [q[k] for k in sorted((k for k in q if k.startswith("ActionNames.member.")), key=lambda k: int(k.rsplit(".", 1)[1]))]
    resources = [q[k] for k in q if k.startswith("ResourceArns.member.")] or ["*"]
    backend = world.backend("iam", "aws")
    kind, _, name = source.partition(":")[2].rpartition(":")[2].partition("/")
    try:
        if kind == "role":  # (SourcePolicyId, SourcePolicyType, document) as MatchedStatements names them
            policies = [(p, "role", doc) for p, doc in (backend.get_role_policy(name, p) for p in backend.list_role_policies(name))]
            attached = backend.list_attached_role_policies(name)[0]
        elif kind == "user":
            policies = [(p, "user", backend.get_user_policy(name, p)) for p in backend.list_user_policies(name)]
            attached = backend.list_attached_user_policies(name)[0]
        else:
            raise KeyError(source)
    except Exception:
        out = (f'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>'
               f"<Message>The principal {escape(source)} cannot be found.</Message></Error></ErrorResponse>").encode()
        return "404 Not Found", [("Content-Type", "text/xml")], out
    policies += [(p.name, "aws-managed" if p.arn.startswith("arn:aws:iam::aws:") else "user-managed", p) for p in attached]
    members = []
    for action in actions:
        for resource in resources:
            found = [(pid, kind, IAMPolicy(doc).is_action_permitted(action, resource)) for pid, kind, doc in policies]
            decision = ("explicitDeny" if any(r == PermissionResult.DENIED for *_, r in found) else
                        "allowed" if any(r == PermissionResult.PERMITTED for *_, r in found) else "implicitDeny")
            deciding = {"explicitDeny": PermissionResult.DENIED, "allowed": PermissionResult.PERMITTED}.get(decision)
            matched = "".join(f"<member><SourcePolicyId>{escape(pid)}</SourcePolicyId><SourcePolicyType>{kind}</SourcePolicyType></member>"
                              for pid, kind, r in found if r == deciding)
            members.append(f"<member><EvalActionName>{escape(action)}</EvalActionName><EvalResourceName>{escape(resource)}</EvalResourceName>"
                           f"<EvalDecision>{decision}</EvalDecision><MatchedStatements>{matched}</MatchedStatements><MissingContextValues/></member>")
    out = (f'<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult>'
           f"<IsTruncated>false</IsTruncated><EvaluationResults>{''.join(members)}</EvaluationResults></SimulatePrincipalPolicyResult>"
           f"<ResponseMetadata><RequestId>sandbox</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>").encode()
    return "200 OK", [("Content-Type", "text/xml")], out


def assume_refusal(body: bytes, environ: dict) -> str | None:
    """AWS's refusal of an AssumeRole (moto assumes any role, even one that does not exist): the role must exist in its
    account, and an external id its trust policy asks for must be given. None: allowed."""
    import json
    from urllib.parse import parse_qs, unquote

    from moto.iam.models import iam_backends

    q = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    arn = q.get("RoleArn", "")
    parts = arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("role/"):
        return None  # moto answers a malformed ARN itself
    account, name = parts[4], parts[5].split("/")[-1]
    who = "arn:aws:iam::123456789012:user/moto"
    refused = f"User: {who} is not authorized to perform: sts:AssumeRole on resource: {arn}"
    try:
        role = iam_backends[account]["aws"].get_role(name)
    except Exception:
        return refused
    trust = role.assume_role_policy_document
    trust = json.loads(unquote(trust)) if isinstance(trust, str) else trust
    wanted = [((st.get("Condition") or {}).get("StringEquals") or {}).get("sts:ExternalId") for st in trust.get("Statement", [])]
    if any(wanted) and q.get("ExternalId") not in wanted:
        return refused
    return None
