"""CloudFormation."""


def stack(aws, name: str, region: str = "") -> dict:
    """`aws cloudformation describe-stacks --stack-name NAME` (its one stack)."""
    return aws.client("cloudformation", region or None).describe_stacks(StackName=name)["Stacks"][0]


def processed_template(aws, name: str, region: str = "") -> dict | str:
    """Seed 001 "Preserve evidence": `aws cloudformation get-template --template-stage Processed` (JSON when it is JSON)."""
    import json

    body = aws.client("cloudformation", region or None).get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def deployed(aws, name: str, region: str = "") -> dict:
    """What the stack runs now: `describe-stacks` (status, when it last changed, parameters) and `get-template` (the body, as JSON)."""
    import json

    from ..aws import at_once

    cf = aws.client("cloudformation", region or None)
    described, body = at_once([lambda: cf.describe_stacks(StackName=name)["Stacks"][0], lambda: cf.get_template(StackName=name)["TemplateBody"]])
    template = json.loads(body) if isinstance(body, str) else body
    return {"stack": described, "template": template, "parameters": _params(described.get("Parameters", []))}


def releases(aws, bucket: str, key: str, region: str = "", most: int = 5) -> list[dict]:
    """The pipeline's releases of a stack, newest first: each version of its release object (`aws s3api list-object-versions`,
    then `get-object --version-id`, at most `most`), with the template and parameters it deployed."""
    import json

    from ..aws import at_once
    from . import s3

    s3_client = (aws.at(region) if region else aws).client("s3")
    versions = [v for v in s3.object_versions(aws.at(region) if region else aws, bucket, key).get(key, []) if not v["deleted"]][:most]

    def read(v):
        body = json.loads(s3_client.get_object(Bucket=bucket, Key=key, VersionId=v["version"])["Body"].read())
        return {"release": str(body.get("release", "")), "version_id": v["version"], "when": v["modified"], "template": body.get("template"),
                "parameters": _params(body.get("parameters", []))}

    return at_once([lambda v=v: read(v) for v in versions])


def _params(items: list) -> dict:
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in items if "ParameterKey" in p}


def running_release(state: dict | None, found: list[dict] | None) -> tuple[dict | None, dict | None]:
    """(the release the stack runs now, the one before it) by template and parameters; (None, None) when it runs none of them."""
    if not state or not found:
        return None, None
    for i, r in enumerate(found):
        if r["template"] == state["template"] and r["parameters"] == state["parameters"]:
            return r, (found[i + 1] if i + 1 < len(found) else None)
    return None, None


def target_release(state: dict | None, found: list[dict] | None, name: str = "") -> dict | None:
    """The release to go back to: the newest kept release called `name`, else the one before the release the stack runs."""
    if name:
        return next((r for r in found or [] if r["release"] == name), None)
    return running_release(state, found)[1]
