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
