"""ECS."""


class ServiceMissing(Exception):
    """ECS reports missing services as `failures`, not as an error."""

    def __init__(self, cluster: str, service: str, reason: str):
        super().__init__(f"service {service} in cluster {cluster}: {reason}")
        self.response = {"Error": {"Code": "ServiceNotFound", "Message": str(self)}}


def describe_service(aws, cluster: str, service: str) -> dict:
    resp = aws.client("ecs").describe_services(cluster=cluster, services=[service])
    if resp.get("failures"):
        raise ServiceMissing(cluster, service, resp["failures"][0].get("reason", "MISSING"))
    return resp["services"][0]
