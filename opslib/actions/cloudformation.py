"""Seed 001 "Production Rollback (Emergency)": the stack back to the template and parameters of an earlier release."""

import hashlib
import json
import time

from . import Action, Change

SETTLED = ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "UPDATE_FAILED", "CREATE_COMPLETE")


def fingerprint(template: dict, parameters: dict) -> str:
    """A template and parameters as one short id: what a person compares, not 50 KB of JSON."""
    return hashlib.sha256(json.dumps([template, parameters], sort_keys=True).encode()).hexdigest()[:12]


class UpdateStack(Action):
    """`aws cloudformation update-stack --template-body <release> --parameters <release>`, watched (`describe-stacks`) until the
    update settles, verified by `get-template`; undone by updating it back to the template and parameters it had."""

    verb = "update-stack"
    permissions = ("cloudformation:DescribeStacks", "cloudformation:GetTemplate", "cloudformation:UpdateStack")
    max_resources = 1
    verify_within_s = 600  # a stack update takes minutes on AWS

    def __init__(self, stack: str, template: dict, parameters: dict, release: str, region: str = ""):
        self.stack, self.template, self.parameters, self.release, self.region = stack, template, dict(parameters), release, region

    def describe(self) -> str:
        return f"update-stack {self.stack} to release {self.release}"

    def args(self) -> dict:
        return {"stack": self.stack, "template": self.template, "parameters": self.parameters, "release": self.release, "region": self.region}

    def capture(self, aws) -> dict:
        from ..services.cloudformation import deployed

        now = deployed(aws, self.stack)
        return {"status": now["stack"]["StackStatus"], "template": now["template"], "parameters": now["parameters"],
                "release": fingerprint(now["template"], now["parameters"])}

    def plan(self, before: dict) -> list[Change]:
        wanted = fingerprint(self.template, self.parameters)
        if before["release"] == wanted:
            return []
        return [Change(self.stack, "template and parameters", before["release"], f"{wanted} (release {self.release})")]

    def apply(self, aws, changes) -> None:
        cf = aws.client("cloudformation")
        cf.update_stack(StackName=self.stack, TemplateBody=json.dumps(self.template),
                        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()])
        deadline = time.monotonic() + self.verify_within_s
        while time.monotonic() < deadline:  # watch it, as seed 001's `watch -n 30 'aws cloudformation describe-stacks ...'`
            status = cf.describe_stacks(StackName=self.stack)["Stacks"][0]["StackStatus"]
            print(f"{self.stack}: {status}", flush=True)
            if status in SETTLED:
                return
            time.sleep(min(30.0, max(1.0, self.verify_within_s / 60)))

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        if after["status"] != "UPDATE_COMPLETE":
            return False, f"the stack is {after['status']}: CloudFormation did not complete the update (its events say why)"
        return super().verify(aws, before, after)

    def undo(self, before: dict, changes) -> list["UpdateStack"]:
        return [UpdateStack(self.stack, before["template"], before["parameters"], f"as before ({before['release']})", self.region)]

    @classmethod
    def rollback(cls, stack: str, now: dict | None, target: dict | None, region: str = "") -> list["UpdateStack"]:
        """Back to `target` (a release from services.cloudformation.releases); none when there is nothing to go back to."""
        if not now or not target:
            return []
        return [cls(stack, target["template"], target["parameters"], target["release"], region)]
