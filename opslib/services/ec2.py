"""EC2."""


def unattached_volumes(aws) -> list[dict]:
    """EBS volumes in state `available`: attached to nothing, still billed."""
    paginator = aws.client("ec2").get_paginator("describe_volumes")
    return [v for page in paginator.paginate(Filters=[{"Name": "status", "Values": ["available"]}]) for v in page.get("Volumes", [])]
