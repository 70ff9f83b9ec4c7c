"""EC2."""

from ..aws import in_regions


def unattached_volumes(aws, regions: list[str] | None = None) -> list[dict]:
    """EBS volumes in state `available` in each region: attached to nothing, still billed."""
    return in_regions(aws, regions, _unattached)


def _unattached(aws) -> list[dict]:
    paginator = aws.client("ec2").get_paginator("describe_volumes")
    return [v for page in paginator.paginate(Filters=[{"Name": "status", "Values": ["available"]}]) for v in page.get("Volumes", [])]


class InstanceNotFound(Exception):
    def __init__(self, name: str):
        super().__init__(f"no instance with id or Name tag '{name}'")
        self.response = {"Error": {"Code": "InvalidInstanceID.NotFound", "Message": str(self)}}


def find_instance(aws, name_or_id: str) -> dict:
    """One instance by id (`i-...`) or by its Name tag; the newest when several share a name."""
    by = {"InstanceIds": [name_or_id]} if name_or_id.startswith("i-") else {"Filters": [{"Name": "tag:Name", "Values": [name_or_id]}]}
    pages = aws.client("ec2").get_paginator("describe_instances").paginate(**by)
    found = [i for page in pages for r in page.get("Reservations", []) for i in r.get("Instances", [])
             if i["State"]["Name"] not in ("terminated", "shutting-down")]
    if not found:
        raise InstanceNotFound(name_or_id)
    return max(found, key=lambda i: i["LaunchTime"])


def instance_id(instance: dict | None) -> str | None:
    """The id of an instance `find_instance` found; None when it found none."""
    return instance["InstanceId"] if instance else None


def instance_status(aws, instance_id: str) -> dict:
    """`aws ec2 describe-instance-status`, including instances that are not running."""
    statuses = aws.client("ec2").describe_instance_status(InstanceIds=[instance_id], IncludeAllInstances=True)["InstanceStatuses"]
    return statuses[0] if statuses else {"InstanceId": instance_id, "InstanceState": {"Name": "unknown"}}


def running_id(status: dict | None) -> str | None:
    """The instance's id when it runs, else None: what runs on it (SSM, its containers) can be asked only then, and
    its status row already says why not."""
    return status["InstanceId"] if status and status.get("InstanceState", {}).get("Name") == "running" else None


def reboot(aws, instance_id: str) -> None:
    """`aws ec2 reboot-instances` (guarded: opslib.actions.hosts)."""
    aws.client("ec2").reboot_instances(InstanceIds=[instance_id])


def set_state(aws, instance_id: str, wanted: str) -> None:
    """`aws ec2 start-instances` / `stop-instances` (guarded: opslib.actions.hosts)."""
    client = aws.client("ec2")
    (client.start_instances if wanted == "running" else client.stop_instances)(InstanceIds=[instance_id])


def ingress_path(aws, db: dict, app_group: str) -> dict:
    """Seed 004 step 2 (`aws ec2 describe-security-groups`): which rule of the database's groups (`db`:
    its RDS description) lets its port in from the application's group (name or id), from an address range, or none."""
    ec2 = aws.client("ec2")
    db_groups = [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])]
    port = int((db.get("Endpoint") or {}).get("Port") or db.get("DbInstancePort") or 5432)
    by = {"GroupIds": [app_group]} if app_group.startswith("sg-") else {"Filters": [{"Name": "group-name", "Values": [app_group]}]}
    app = ec2.describe_security_groups(**by)["SecurityGroups"]
    app_id = app[0]["GroupId"] if app else None
    rules = []
    for group in ec2.describe_security_groups(GroupIds=db_groups)["SecurityGroups"]:
        for perm in group.get("IpPermissions", []):
            if perm.get("IpProtocol") not in ("tcp", "-1") or not perm.get("FromPort", 0) <= port <= perm.get("ToPort", 65535):
                continue
            rules += [{"group": group["GroupName"], "from": f"group {p['GroupId']}", "app": p["GroupId"] == app_id} for p in perm.get("UserIdGroupPairs", [])]
            rules += [{"group": group["GroupName"], "from": r["CidrIp"], "app": False} for r in perm.get("IpRanges", [])]
    return {"app_group": app_group, "app_id": app_id, "port": port, "rules": rules, "db_groups": db_groups, "region": ec2.meta.region_name}
