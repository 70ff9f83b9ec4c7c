"""EC2."""

from . import OK, WARN, Check

GB_MONTH_USD = {"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "st1": 0.045, "sc1": 0.015, "standard": 0.05}


def volumes_unattached(volumes: list[dict], scope: str = "EBS volumes") -> Check:
    """Unattached volumes are spend with no use (seed 003 Cost Optimization: unused resources)."""
    monthly = sum(v["Size"] * GB_MONTH_USD.get(v.get("VolumeType", "gp3"), 0.08) for v in volumes)
    ids = ", ".join(f"{v['VolumeId']} ({v['Size']} GiB)" for v in volumes[:8])
    return Check("ec2_volumes_unattached", WARN if volumes else OK, scope, len(volumes), "none unattached",
                 f"{len(volumes)} unattached EBS volume(s), about ${monthly:,.2f} a month" + (f": {ids}." if volumes else "."))
