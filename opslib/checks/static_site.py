"""A static site: its bucket can be put back, and its distribution's error rate."""

from ..units import number
from . import CRITICAL, OK, WARN, Check, describe_threshold, evaluate


def versioning(status: str, bucket: str) -> Check:
    """Without versioning there is nothing in the bucket to put back (seed 001's sync from a local copy is all that is left)."""
    if status == "Enabled":
        return Check("s3_versioning", OK, bucket, status, "Enabled", f"{bucket} keeps every version of its objects: the previous release can be restored from it.")
    return Check("s3_versioning", CRITICAL, bucket, status, "Enabled",
                 f"{bucket} has versioning {status}: overwritten objects are gone; restore from a copy (seed 001: `aws s3 sync ./previous-version/ s3://{bucket}/ --delete`).")


def error_rate(series: dict | None, distribution: dict | None, bucket: str, minutes: int, warn_pct: float, critical_pct: float) -> Check:
    """Seed 001's rollback trigger (error rate > 10 %), on the share of the site's requests answered 4xx or 5xx."""
    if not distribution:
        return Check("cloudfront_error_rate", WARN, bucket, "no distribution", "a distribution serves the bucket",
                     f"No CloudFront distribution has {bucket} as its origin: nothing to invalidate, and no error rate to read.")
    distribution_id = distribution["Id"]
    rates = series["error_rate"].dropna() if series else []
    if not len(rates):
        return Check("cloudfront_error_rate", WARN, distribution_id, "no data", describe_threshold(warn_pct, critical_pct, "%"),
                     f"No AWS/CloudFront Requests for DistributionId={distribution_id}, Region=Global in the last {minutes} minutes: "
                     "a live site has some; is the distribution serving, or the metric asked for the wrong distribution?")
    pct = float(rates.tail(10).mean())
    return Check("cloudfront_error_rate", evaluate(pct, warn_pct, critical_pct), distribution_id, f"{number(pct)}%", describe_threshold(warn_pct, critical_pct, "%"),
                 f"{number(pct)}% of the site's requests were answered with an error over the last 10 minutes ({number(float(series['requests'].sum()))} requests in {minutes} minutes).")
