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
