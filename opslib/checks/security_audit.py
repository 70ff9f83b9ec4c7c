"""Seed 001 "Security Hardening" and seed 003 "Security Audit", judged: one row per finding, with the resource, how bad,
and the command that fixes it. A finding the team reviewed and accepted (the environment file's `accepted`) stays a row,
marked so, and OK."""

from datetime import datetime, timezone

from ..units import plural
from . import CRITICAL, OK, WARN, Check

# Actions that let whoever holds them give themselves more (on any resource): as good as `*`.
ESCALATION = ("iam:putuserpolicy", "iam:putrolepolicy", "iam:attachuserpolicy", "iam:attachrolepolicy", "iam:createpolicyversion",
              "iam:setdefaultpolicyversion", "iam:updateassumerolepolicy", "iam:putgrouppolicy", "iam:attachgrouppolicy", "iam:addusertogroup",
              "iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile", "iam:*")
WEB_PORTS = (80, 443)
RISKY_PORTS = (22, 3389, 3306, 5432, 6379, 27017, 9200)  # remote shells and databases: never to the world


def _list(v) -> list:
    return v if isinstance(v, list) else [v] if v is not None else []


def _allows(doc: dict):
    """(actions, resources) of each Allow statement (NotAction counts as everything but a few: treated as `*`)."""
    for st in _list(doc.get("Statement")):
        if isinstance(st, dict) and st.get("Effect") == "Allow":
            actions = ["*"] if "NotAction" in st else [str(a).lower() for a in _list(st.get("Action"))]
            yield actions, [str(r) for r in _list(st.get("Resource") or st.get("NotResource") and ["*"])]


def policies(found: dict) -> list[Check]:
    """Customer-managed and inline policies allowing every action, a way to grant themselves more, or a whole service on every resource."""
    rows = []
    for p in found["policies"]:
        held = ", ".join(p["attached"]) or "nobody (unattached)"
        fix = (f"`aws iam delete-{p['attached'][0].split()[0]}-policy --{p['attached'][0].split()[0]}-name {p['attached'][0].split()[1]} --policy-name {p['name']}`"
               f" (or replace it with the least it needs)" if p["kind"] == "inline" and p["attached"] else
               f"`aws iam create-policy-version --policy-arn {p['arn']} --policy-document file://least-privilege.json --set-as-default`")
        admin = escalate = whole = False
        services = set()
        for actions, resources in _allows(p["document"]):
            anywhere = "*" in resources
            admin |= "*" in actions
            escalate |= anywhere and any(a in ESCALATION for a in actions)
            whole |= anywhere and any(a.endswith(":*") for a in actions)
            services |= {a for a in actions if a.endswith(":*") and anywhere}
        if admin:
            rows.append(Check("iam_policy_admin", CRITICAL, p["name"], "*", "no Action \"*\"", f"{p['name']} ({p['kind']}) allows every action, held by {held}: an administrator. {fix}."))
        elif escalate:
            rows.append(Check("iam_policy_escalation", CRITICAL, p["name"], "escalation", "no IAM writes on \"*\"",
                              f"{p['name']} ({p['kind']}) allows IAM writes on any user or role (such as iam:PutUserPolicy on \"*\"), held by {held}: whoever holds it can "
                              f"make themselves an administrator. {fix}."))
        elif whole:
            rows.append(Check("iam_policy_wildcard", WARN, p["name"], ", ".join(sorted(services)), "no whole service on \"*\"",
                              f"{p['name']} ({p['kind']}) allows {', '.join(sorted(services))} on every resource, held by {held}. {fix}."))
    return rows or [Check("iam_policy_admin", OK, "IAM", len(found["policies"]), "no Action \"*\"", f"None of {plural(len(found['policies']), 'customer policy')} allows too much.")]


def access_keys(found: dict, max_age_days: int) -> list[Check]:
    """Keys older than `max_age_days` (rotate), keys unused as long (deactivate), users with two active keys."""
    now, rows = datetime.now(timezone.utc), []
    by_user: dict = {}
    for k in found["keys"]:
        user, key, age = k["UserName"], k["AccessKeyId"], (now - k["CreateDate"]).days
        if k.get("Status") == "Active":
            by_user.setdefault(user, []).append(k)
        last = k.get("LastUsed")
        if k.get("Status") == "Active" and age > max_age_days and (last is None or (now - last).days > max_age_days):
            rows.append(Check("iam_access_key_unused", WARN, f"{user} {key[:8]}...", f"{age} days", f"used within {max_age_days} days",
                              f"{user}'s key {key[:8]}... ({age} days old) has not been used for {max_age_days} days: `aws iam update-access-key --user-name {user} "
                              f"--access-key-id {key} --status Inactive`, then delete it."))
        elif k.get("Status") == "Active" and age > max_age_days:
            rows.append(Check("iam_access_key_age", WARN, f"{user} {key[:8]}...", f"{age} days", f"rotated within {max_age_days} days",
                              f"{user}'s key {key[:8]}... is {age} days old: rotate it (`aws iam create-access-key --user-name {user}`, move its users, then delete the old one)."))
    for user, keys in by_user.items():
        if len(keys) > 1:
            newest = max(keys, key=lambda k: k["CreateDate"])
            rows.append(Check("iam_user_keys", WARN, user, len(keys), "one active key",
                              f"{user} has {len(keys)} active keys, the newest {newest['AccessKeyId'][:8]}... made {newest['CreateDate']:%Y-%m-%d %H:%M} UTC: a rotation "
                              f"in progress, or a key someone else made (opslib run security-incident shows who)."))
    return rows or [Check("iam_access_key_age", OK, "IAM", len(found["keys"]), f"rotated within {max_age_days} days",
                          f"{plural(len(found['keys']), 'access key')}, none older than {max_age_days} days or unused, one per user.")]


def root(found: dict) -> Check:
    s = found["summary"]
    if s.get("AccountAccessKeysPresent"):
        return Check("iam_root", CRITICAL, "root", "access keys", "no root keys, MFA on",
                     "The root account has access keys: delete them (only the root user can, in the console's Security credentials).")
    if not s.get("AccountMFAEnabled"):
        return Check("iam_root", CRITICAL, "root", "no MFA", "no root keys, MFA on", "The root account has no MFA: turn it on (the root user, in the console).")
    return Check("iam_root", OK, "root", "MFA on", "no root keys, MFA on", f"Root: MFA on, no access keys ({plural(found['users'], 'user')}, {plural(found['roles'], 'role')}).")


def _world(perm: dict) -> bool:
    return any(r.get("CidrIp") == "0.0.0.0/0" for r in perm.get("IpRanges", [])) or any(r.get("CidrIpv6") == "::/0" for r in perm.get("Ipv6Ranges", []))


def open_ports(networks: list[dict]) -> list[Check]:
    """Security groups open to 0.0.0.0/0 or ::/0 on anything but 80 and 443; and the running instances with public addresses."""
    rows, public = [], []
    for net in networks:
        names = {g["GroupId"]: g["GroupName"] for g in net["groups"]}
        for g in net["groups"]:
            for perm in g.get("IpPermissions", []):
                if not _world(perm):
                    continue
                proto, lo, hi = perm.get("IpProtocol"), perm.get("FromPort"), perm.get("ToPort")
                if proto != "-1" and lo is not None and lo == hi and lo in WEB_PORTS:
                    continue
                ports = "all traffic" if proto == "-1" else f"{proto} {lo}" if lo == hi else f"{proto} {lo}-{hi}"
                risky = proto == "-1" or any(lo <= p <= hi for p in RISKY_PORTS if lo is not None)
                revoke = f"--protocol {proto} --port {lo if lo == hi else f'{lo}-{hi}'}" if proto != "-1" else "--protocol all"
                rows.append(Check("ec2_security_group_open", CRITICAL if risky else WARN, f"{g['GroupName']}:{lo if lo == hi else ports}",
                                  ports, "open to the world on 80/443 only",
                                  f"{g['GroupName']} ({g['GroupId']}, {net['region']}) admits {ports} from anywhere. `aws ec2 revoke-security-group-ingress "
                                  f"--group-id {g['GroupId']} {revoke} --cidr 0.0.0.0/0 --region {net['region']}` (or narrow it to the addresses that need it)."))
        public += [f"{next((t['Value'] for t in i.get('Tags', []) if t['Key'] == 'Name'), i['InstanceId'])} ({i['PublicIpAddress']}, "
                   f"{', '.join(names.get(s['GroupId'], s['GroupId']) for s in i.get('SecurityGroups', []))})" for i in net["instances"] if i.get("PublicIpAddress")]
    rows.append(Check("ec2_public_instances", OK, "EC2", len(public), "listed",
                      f"{plural(len(public), 'running instance')} with a public address" + (f": {'; '.join(public)}." if public else ".")))
    return rows


def buckets(found: list[dict], kms_buckets: list[str]) -> list[Check]:
    """Buckets public by policy or ACL, or without all four public access blocks; SSE-KMS where it is asked for."""
    rows = []
    for b in found:
        name, block = b["bucket"], b["block"] or {}
        put_block = (f"`aws s3api put-public-access-block --bucket {name} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,"
                     "BlockPublicPolicy=true,RestrictPublicBuckets=true`")
        grants = (["its bucket policy"] if b["policy_public"] else []) + ([f"its ACL ({', '.join(b['acl_public'])} to everyone)"] if b["acl_public"] else [])
        remove = ([f"`aws s3api get-bucket-policy --bucket {name}` shows the statement to take out (`aws s3api delete-bucket-policy --bucket {name}` when it is the only one)"]
                  if b["policy_public"] else []) + ([f"`aws s3api put-bucket-acl --bucket {name} --acl private`"] if b["acl_public"] else [])
        public = (b["policy_public"] and not block.get("RestrictPublicBuckets")) or (b["acl_public"] and not block.get("IgnorePublicAcls"))
        if public:
            rows.append(Check("s3_bucket_public", CRITICAL, name, "public", "not public",
                              f"{name} is public through {' and '.join(grants)}. {put_block} shuts it at once; then remove the grant: {'; '.join(remove)}."))
        elif grants:  # RestrictPublicBuckets / IgnorePublicAcls hold the grant back: one setting away from public
            rows.append(Check("s3_bucket_public", WARN, name, "public grant held back", "no public grant",
                              f"{name} grants the public access through {' and '.join(grants)}, held back only by its public access block: "
                              f"remove the grant: {'; '.join(remove)}."))
        elif not all(block.get(k) for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")):
            off = [k for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets") if not block.get(k)]
            rows.append(Check("s3_block_public_access", WARN, name, ", ".join(off), "all four on",
                              f"{name} does not block public access ({', '.join(off)} off): one policy or ACL away from public. {put_block}."))
        if name in kms_buckets and b["encryption"] != "aws:kms":
            rows.append(Check("s3_encryption_kms", WARN, name, b["encryption"], "aws:kms",
                              f"{name} is encrypted with {b['encryption']}, not SSE-KMS as asked: `aws s3api put-bucket-encryption --bucket {name} "
                              "--server-side-encryption-configuration '{\"Rules\": [{\"ApplyServerSideEncryptionByDefault\": {\"SSEAlgorithm\": \"aws:kms\"}}]}'`."))
    if not rows:
        kms = [b["bucket"] for b in found if b["encryption"] == "aws:kms"]
        rows.append(Check("s3_block_public_access", OK, "S3", len(found), "all four on",
                          f"{plural(len(found), 'bucket')}: none public, all blocking public access, all encrypted (S3 encrypts every object since 2023)"
                          + (f"; SSE-KMS on {', '.join(kms)}." if kms else ".")))
    return rows


def trails(found: list[dict]) -> list[Check]:
    """Every trail logging, and one of them recording IAM's (global) events."""
    rows = [Check("cloudtrail_logging", CRITICAL, t["name"], "stopped", "logging",
                  f"Trail {t['name']} ({t['region']}) is not logging" + (f" (stopped {t['stopped']:%Y-%m-%d %H:%M} UTC{_by(t)})" if t.get("stopped") else "")
                  + f": nothing is recorded. `aws cloudtrail start-logging --name {t['name']} --region {t['region']}`, then {_what_else(t)}.")
            for t in found if not t["logging"]]
    if not any(t["global"] and t["logging"] for t in found):
        rows.append(Check("cloudtrail_global_events", CRITICAL, "CloudTrail", 0, "a trail with global events",
                          "No logging trail records IAM's (global) events: a new key or policy would leave no trace. "
                          "`aws cloudtrail update-trail --name NAME --include-global-service-events`."))
    return rows or [Check("cloudtrail_logging", OK, "CloudTrail", len(found), "logging",
                          f"{plural(len(found), 'trail')} logging ({', '.join(t['name'] for t in found)}), IAM's events recorded.")]


def _by(trail: dict) -> str:
    who = trail.get("stopped_by")
    return f" by {who['who']}" + (f" from {who['from']}" if who.get("from") else "") if who else ""


def _what_else(trail: dict) -> str:
    """What the one who stopped it did (the event history keeps it, trail or not); unknown: the calls around then."""
    who = trail.get("stopped_by") or {}
    if who.get("username"):
        return (f"what else {who['username']} did: `aws cloudtrail lookup-events --region {trail['region']} "
                f"--lookup-attributes AttributeKey=Username,AttributeValue={who['username']}`")
    return f"who stopped it and what else they did: `aws cloudtrail lookup-events --region {trail['region']} --lookup-attributes AttributeKey=EventName,AttributeValue=StopLogging`"


def accept(rows: list[Check], accepted: list[str], env: str) -> list[Check]:
    """Findings the team reviewed and accepted (`check_id:resource` in the environment file): kept as rows, OK, and said so."""
    keys = {a.split(" ", 1)[0] for a in accepted}
    return [Check(r.id, OK, r.resource, r.observed, r.threshold, f"Accepted in parameters/{env}.yaml: {r.sentence}")
            if r.status != OK and f"{r.id}:{r.resource}" in keys else r for r in rows]


def iam_findings(found: dict, key_max_age_days: int, accepted: list[str], env: str) -> list[Check]:
    """Section 1 of the audit: policies, keys, root."""
    return accept(policies(found["iam"]) + access_keys(found["iam"], key_max_age_days) + [root(found["iam"])], accepted, env)


def exposure(found: dict, kms_buckets: list[str], accepted: list[str], env: str) -> list[Check]:
    """Section 2: what the world can reach."""
    return accept(open_ports(found["networks"]) + buckets(found["buckets"], kms_buckets), accepted, env)


def logging(found: dict, accepted: list[str], env: str) -> list[Check]:
    """Section 3: the trails."""
    return accept(trails(found["trails"]), accepted, env)
