"""RDS."""

from ..services import rds
from . import CRITICAL, OK, WARN, Check, check

# statuses that pass on their own (maintenance, backups, changes in flight)
TRANSIENT = {"backing-up", "modifying", "maintenance", "upgrading", "rebooting", "configuring-enhanced-monitoring",
             "configuring-log-exports", "renaming", "resetting-master-credentials", "storage-optimization", "starting"}


@check("rds_instance_available")
def instance_available(aws, db_instance: str) -> Check:
    inst = rds.describe_instance(aws, db_instance)
    status = inst["DBInstanceStatus"]
    level = OK if status == "available" else WARN if status in TRANSIENT else CRITICAL
    return Check(
        "rds_instance_available", level, db_instance, status, "available",
        f"RDS instance {db_instance} ({inst.get('Engine')} {inst.get('DBInstanceClass')}) is {status}.",
    )
