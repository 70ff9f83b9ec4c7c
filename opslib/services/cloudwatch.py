"""CloudWatch metrics and alarms."""


def alarms_in_state(aws, state: str = "ALARM") -> list[dict]:
    paginator = aws.client("cloudwatch").get_paginator("describe_alarms")
    return [a for page in paginator.paginate(StateValue=state) for a in page.get("MetricAlarms", [])]
