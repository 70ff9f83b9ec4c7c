"""CloudFormation."""


def stack(aws, name: str, region: str = "") -> dict:
    """`aws cloudformation describe-stacks --stack-name NAME` (its one stack)."""
    return aws.client("cloudformation", region or None).describe_stacks(StackName=name)["Stacks"][0]
