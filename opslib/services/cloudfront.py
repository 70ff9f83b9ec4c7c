"""CloudFront: the distribution in front of a bucket, and its error rates."""

from .cloudwatch import Metric


def distribution_for_bucket(aws, bucket: str) -> dict | None:
    """The distribution whose origin is the bucket (`<bucket>.s3.amazonaws.com` or a regional name), or None."""
    pages = aws.client("cloudfront").get_paginator("list_distributions").paginate()
    for page in pages:
        for d in (page.get("DistributionList") or {}).get("Items", []):
            if any(o["DomainName"].split(".s3")[0] == bucket for o in d["Origins"]["Items"]):
                return d
    return None


def error_metrics(distribution: dict | None) -> list[Metric]:
    """Seed 001 "Post-Rollback Validation" step 5 for the site: the share of requests answered 4xx or 5xx
    (CloudFront's metrics live in us-east-1); none without a distribution."""
    if not distribution:
        return []
    dims = (("DistributionId", distribution["Id"]), ("Region", "Global"))
    return [Metric("error_rate", "AWS/CloudFront", "TotalErrorRate", dims, "Average", "errors %", region="us-east-1"),
            Metric("requests", "AWS/CloudFront", "Requests", dims, "Sum", "requests", region="us-east-1")]
