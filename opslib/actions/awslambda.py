"""A test invocation (seed 001 "API Gateway Issues" step 5: `aws lambda invoke --payload '{"test": "data"}'`).

Guarded like a change: the function runs, and it may act (this one starts and stops instances), so
it is invoked only when confirmed; what it answered becomes a check row.
"""

import json

from ..checks import awslambda as checks
from ..services import awslambda
from . import Action, Change


class TestInvoke(Action):
    verb = "test-invoke"
    permissions = ("lambda:InvokeFunction", "lambda:GetFunctionConfiguration")
    max_resources = 1

    def __init__(self, name: str, qualifier: str, payload: dict):
        self.name, self.qualifier, self.payload = name, qualifier, payload
        self.answer: dict | None = None

    def describe(self) -> str:
        return f"test-invoke {self.name}:{self.qualifier}"

    def capture(self, aws) -> dict:
        config = awslambda.configuration(aws, self.name, qualifier=self.qualifier)
        return {"version": config.get("Version"), "state": config.get("State", "Active"), "last_modified": config.get("LastModified"),
                "code_sha256": config.get("CodeSha256")}

    def plan(self, before: dict) -> list[Change]:
        return [Change(f"{self.name}:{self.qualifier}", "test invocation", f"version {before['version']}",
                       f"invoked once with {json.dumps(self.payload)}: the function runs and may act")]

    def apply(self, aws, changes) -> None:
        self.answer = awslambda.test_invoke(aws, self.name, self.qualifier, self.payload)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        """It ran: an answer came back (whether the function failed is the result row's business)."""
        return (self.answer is not None, f"answered {self.answer['status']}" if self.answer else "no answer")

    def results(self) -> list:
        return [checks.test_invoke(self.answer, self.name)] if self.answer else []


class PointAlias(Action):
    """Seed 001 "Lambda Function Rollback": `aws lambda update-alias --name LIVE --function-version <previous-version>`,
    verified with `get-alias`; undone by pointing it back."""

    verb = "point-alias"
    permissions = ("lambda:GetAlias", "lambda:UpdateAlias")
    max_resources = 1

    def __init__(self, function: str, alias: str, version: str):
        self.function, self.alias, self.version = function, alias, str(version)

    def describe(self) -> str:
        return f"point-alias {self.function}:{self.alias} to version {self.version}"

    def args(self) -> dict:
        return {"function": self.function, "alias": self.alias, "version": self.version}

    def capture(self, aws) -> dict:
        found = aws.client("lambda").get_alias(FunctionName=self.function, Name=self.alias)
        return {"version": found["FunctionVersion"], "description": found.get("Description", "")}

    def plan(self, before: dict) -> list[Change]:
        if not self.version or before["version"] == self.version:
            return []
        return [Change(f"{self.function}:{self.alias}", "FunctionVersion", before["version"], self.version)]

    def apply(self, aws, changes) -> None:
        aws.client("lambda").update_alias(FunctionName=self.function, Name=self.alias, FunctionVersion=self.version)

    def undo(self, before: dict, changes) -> list["PointAlias"]:
        return [PointAlias(self.function, self.alias, before["version"])]

    @classmethod
    def rollback(cls, found: dict | None, function: str, alias: str, to_version: str = "") -> list["PointAlias"]:
        """The alias back to `to_version`, or to the version before the one it points to; none when there is none."""
        target = to_version or (found or {}).get("previous", "")
        return [cls(function, alias, target)] if found and target else []


class DeleteVersions(Action):
    """Seed 001 "Old Resource Cleanup": `aws lambda delete-function --qualifier N` for each version older than the cut and behind
    no alias or event source. There is no undo: a deleted version is gone (its code's SHA-256 and configuration are kept in
    the evidence, as the plan says)."""

    verb = "delete-versions"
    permissions = ("lambda:ListVersionsByFunction", "lambda:ListAliases", "lambda:ListEventSourceMappings", "lambda:DeleteFunction")
    max_resources = 50
    undo_note = "a deleted Lambda version cannot be restored: its code's SHA-256 and configuration are in this run's evidence"

    def __init__(self, function: str, versions: list[str]):
        self.function, self.versions = function, [str(v) for v in versions]

    def describe(self) -> str:
        return f"delete-versions {self.function} {', '.join(self.versions)}"

    def args(self) -> dict:
        return {"function": self.function, "versions": self.versions}

    def capture(self, aws) -> dict:
        found = awslambda.version_use(aws, self.function)
        return {v["Version"]: {"sha256": v.get("CodeSha256"), "last_modified": v.get("LastModified"), "description": v.get("Description", ""),
                               "used_by": found["used"].get(v["Version"], [])} for v in found["versions"] if v["Version"] in self.versions}

    def plan(self, before: dict) -> list[Change]:
        return [Change(f"{self.function}:{version}", "version", f"published {state['last_modified']} (code {state['sha256']})", "(deleted: no undo)")
                for version, state in sorted(before.items(), key=lambda kv: int(kv[0])) if not state["used_by"]]  # never one in use, even if asked

    def apply(self, aws, changes) -> None:
        lam = aws.client("lambda")
        for c in changes:
            lam.delete_function(FunctionName=self.function, Qualifier=c.resource.rsplit(":", 1)[-1])

    @classmethod
    def older_than(cls, found: dict | None, days: int) -> list["DeleteVersions"]:
        """The versions published more than `days` ago that no alias or event source uses; none when there are none."""
        from ..checks.awslambda import unused_old

        old = unused_old(found, days)
        return [cls(found["function"], [v["Version"] for v in old])] if old else []
