"""Secrets Manager: credentials a notebook uses and never shows."""

import json

from ..secrets import register


def credentials(aws, name: str, region: str = "") -> dict:
    """`aws secretsmanager get-secret-value`: the JSON secret RDS keeps (username, password, host, port, dbname).
    The password is registered as a secret at once, so no sink can show it."""
    found = json.loads(aws.client("secretsmanager", region or None).get_secret_value(SecretId=name)["SecretString"])
    if found.get("password"):
        register(found["password"])
    return found


def described(aws, names: list[str]) -> list[dict]:
    """`aws secretsmanager describe-secret` and `list-secret-version-ids` of each (never its value): its rotation, and
    each version's stages and when it was put (`Versions`): LastChangedDate moves with any change, a tag or a pending
    version too, so a value's age is its current version's."""
    from ..aws import at_once

    sm = aws.client("secretsmanager")

    def one(name: str) -> dict:
        versions, token = [], {}
        while True:  # botocore has no paginator for it
            page = sm.list_secret_version_ids(SecretId=name, MaxResults=100, **token)
            versions += page["Versions"]
            if not page.get("NextToken"):
                return {**sm.describe_secret(SecretId=name), "Versions": versions}
            token = {"NextToken": page["NextToken"]}

    return at_once([lambda n=n: one(n) for n in names])


def fingerprint(value: str) -> str:
    """What evidence may say of a secret value: its length and the first 12 hex digits of its SHA-256."""
    import hashlib

    return f"{len(value)} characters, sha256 {hashlib.sha256(value.encode()).hexdigest()[:12]}"


def current_fingerprints(aws, name: str) -> dict:
    """The AWSCURRENT version's id and, for each key of its JSON (or the whole string), a fingerprint: never the value."""
    got = aws.client("secretsmanager").get_secret_value(SecretId=name)
    text = got.get("SecretString") or ""
    register(text)
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        for v in doc.values():
            register(str(v))
        return {"version": got["VersionId"], "keys": {k: fingerprint(str(v)) for k, v in sorted(doc.items())}}
    return {"version": got["VersionId"], "keys": {"(value)": fingerprint(text)}}


def stage_new(aws, name: str, keys: list[str]) -> str:
    """Rotate as Secrets Manager's rotation does: a new version with fresh values for `keys` (the rest kept) staged
    AWSPENDING, then AWSCURRENT moved to it (the old one becomes AWSPREVIOUS). Values never leave this function unmasked."""
    import secrets
    import uuid

    sm = aws.client("secretsmanager")
    old = sm.get_secret_value(SecretId=name)
    doc = json.loads(old["SecretString"])
    for key in keys:
        doc[key] = secrets.token_urlsafe(32)  # seed 002: python -c "import secrets; print(secrets.token_urlsafe(32))"
        register(doc[key])
    token = str(uuid.uuid4())
    sm.put_secret_value(SecretId=name, ClientRequestToken=token, SecretString=json.dumps(doc), VersionStages=["AWSPENDING"])
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=old["VersionId"])
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=token)
    return token


def make_current(aws, name: str, version: str) -> None:
    """AWSCURRENT back to `version` (the one it was): the undo of a rotation."""
    sm = aws.client("secretsmanager")
    now = sm.describe_secret(SecretId=name)
    current = next(v for v, stages in now["VersionIdsToStages"].items() if "AWSCURRENT" in stages)
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=version, RemoveFromVersionId=current)
