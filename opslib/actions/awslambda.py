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
