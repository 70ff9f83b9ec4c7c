"""Secrets Manager: a new value staged as rotation stages it, and the undo that makes the previous one current again
(seed 002 "Rotate JWT Secrets"). Values are never planned, shown, journaled or kept: only their length and SHA-256 prefix."""

from ..errors import BadInput
from ..services import secretsmanager
from . import Action, Change


class RotateSecret(Action):
    """Fresh values for `keys` of a JSON secret, in a new version staged AWSPENDING then made AWSCURRENT."""

    verb = "rotate-secret"
    permissions = ("secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage", "secretsmanager:DescribeSecret")
    max_resources = 10  # one change per key

    def __init__(self, name: str, keys: list[str]):
        if not keys:
            raise BadInput(f"no key of {name} to generate", "name the keys, e.g. -p rotate_keys=[JWT_SECRET,SECRET_KEY]")
        self.name, self.keys = name, list(keys)

    def describe(self) -> str:
        return f"rotate-secret {self.name} ({', '.join(self.keys)})"

    def args(self) -> dict:
        return {"name": self.name, "keys": self.keys}

    def capture(self, aws) -> dict:
        return secretsmanager.current_fingerprints(aws, self.name)

    def plan(self, before: dict) -> list[Change]:
        missing = [k for k in self.keys if k not in before["keys"]]
        if missing:
            raise BadInput(f"{self.name} has no key {', '.join(missing)}", f"use one of {', '.join(before['keys'])}")
        return [Change(f"{self.name}:{k}", "AWSCURRENT value", f"{before['keys'][k]} (version {before['version'][:8]})", "a new value, generated when applied")
                for k in self.keys]

    def apply(self, aws, changes) -> None:
        secretsmanager.stage_new(aws, self.name, self.keys)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        changed = [k for k in self.keys if after["keys"].get(k) != before["keys"].get(k)]
        ok = after["version"] != before["version"] and changed == self.keys
        return ok, (f"AWSCURRENT is version {after['version'][:8]}: " + "; ".join(f"{k} {after['keys'][k]}" for k in self.keys) if ok
                    else f"AWSCURRENT still version {after['version'][:8]}")

    def undo(self, before: dict, changes) -> list["RestoreSecretVersion"]:
        return [RestoreSecretVersion(self.name, before["version"])] if changes else []

    @classmethod
    def asked(cls, name: str, keys: list[str], policies: dict) -> list["RotateSecret"]:
        """The rotation asked for (`-p rotate=NAME`, one of the secrets with a policy); none when none was asked."""
        if name and name not in policies:
            raise BadInput(f"{name} is not one of the secrets this notebook rotates", f"use one of {', '.join(policies)}")
        return [cls(name, keys)] if name else []


class RestoreSecretVersion(Action):
    """AWSCURRENT moved back to an earlier version (the undo of rotate-secret)."""

    verb = "restore-secret-version"
    permissions = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecretVersionStage")
    max_resources = 1

    def __init__(self, name: str, version: str):
        self.name, self.version = name, version

    def describe(self) -> str:
        return f"restore-secret-version {self.name} to {self.version[:8]}"

    def args(self) -> dict:
        return {"name": self.name, "version": self.version}

    def capture(self, aws) -> dict:
        return secretsmanager.current_fingerprints(aws, self.name)

    def plan(self, before: dict) -> list[Change]:
        return [] if before["version"] == self.version else [Change(self.name, "AWSCURRENT version", before["version"][:8], self.version[:8])]

    def apply(self, aws, changes) -> None:
        secretsmanager.make_current(aws, self.name, self.version)
