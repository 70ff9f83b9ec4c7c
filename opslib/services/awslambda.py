"""Lambda (`lambda` is a keyword, hence the name)."""


def configuration(aws, name: str, region: str = "") -> dict:
    """`aws lambda get-function-configuration --function-name NAME`."""
    return aws.client("lambda", region or None).get_function_configuration(FunctionName=name)
