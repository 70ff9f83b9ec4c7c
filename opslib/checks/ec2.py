"""EC2."""

from ..services import ec2
from . import CRITICAL, OK, WARN, Check, check
from ..units import plural

GB_MONTH_USD = {"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "st1": 0.045, "sc1": 0.015, "standard": 0.05}


def volumes_unattached(volumes: list[dict], scope: str = "EBS volumes") -> Check:
    """Unattached volumes are spend with no use (seed 003 Cost Optimization: unused resources)."""
    monthly = sum(v["Size"] * GB_MONTH_USD.get(v.get("VolumeType", "gp3"), 0.08) for v in volumes)
    ids = ", ".join(f"{v['VolumeId']} ({v['Size']} GiB)" for v in volumes[:8])
    return Check("ec2_volumes_unattached", WARN if volumes else OK, scope, len(volumes), "none unattached",
                 f"{plural(len(volumes), 'unattached EBS volume')}, about ${monthly:,.2f} a month" + (f": {ids}." if volumes else "."))


@check("ec2_instance_status")
def instance_healthy(aws, instance: str, instance_id: str) -> Check:
    """Seed 000 P0 step 1 (`aws ec2 describe-instance-status`): running, instance and system checks passed."""
    return status_checks(ec2.instance_status(aws, instance_id), instance)


def status_checks(st: dict, instance: str) -> Check:
    """The same, of a status already fetched."""
    instance_id = st["InstanceId"]
    state = st["InstanceState"]["Name"]
    inst, system = st.get("InstanceStatus", {}).get("Status", "not-applicable"), st.get("SystemStatus", {}).get("Status", "not-applicable")
    observed = f"{state}, instance {inst}, system {system}"
    if state != "running" or "impaired" in (inst, system):
        level = CRITICAL
    elif inst == "ok" and system == "ok":
        level = OK
    else:  # initializing, insufficient-data: wait and look again
        level = WARN
    failed = [d["Name"] for part in ("InstanceStatus", "SystemStatus") for d in st.get(part, {}).get("Details", []) if d.get("Status") == "failed"]
    return Check("ec2_instance_status", level, instance, observed, "running, instance ok, system ok",
                 f"Instance {instance_id} ({instance}) is {state}; instance status {inst}, system status {system}"
                 + (f"; failed: {', '.join(failed)}." if failed else "."))
