"""The first fixes of seed 000 "P0: Service Completely Down": start the stopped container, reboot the impaired instance.

Each is planned only when the checks call for it (a running container is not restarted), and
applied only when confirmed; the state after is read back the way it was read before.
"""

from ..services import docker, ec2, ssm
from . import Action, Change


class RestartContainer(Action):
    """`docker start NAME` on the host through SSM Run Command (seed 000 step 3), instead of SSH."""

    verb = "restart-container"
    permissions = ("ssm:SendCommand", "ssm:GetCommandInvocation")
    max_resources = 1

    def __init__(self, instance_id: str, instance: str, container: str, timeout_s: int = 60):
        self.instance_id, self.instance, self.container, self.timeout_s = instance_id, instance, container, timeout_s

    def describe(self) -> str:
        return f"restart-container {self.container} on {self.instance}"

    def capture(self, aws) -> dict:
        rows = docker.containers(aws, self.instance_id, self.container, self.timeout_s)
        row = next((r for r in rows if r.get("Names") == self.container), {})
        return {"state": row.get("State", "absent"), "status": row.get("Status", "")}

    def plan(self, before: dict) -> list[Change]:
        if before["state"] in ("running", "absent"):  # absent: nothing to start; the container must be run again (a rollback)
            return []
        return [Change(f"{self.instance}:{self.container}", "state", f"{before['state']} ({before['status']})", "running")]

    def apply(self, aws, changes) -> None:
        ssm.run_change(aws, self.instance_id, [f"docker start {self.container}"], self.timeout_s)

    @classmethod
    def if_stopped(cls, rows: list[dict] | None, instance_id: str | None, instance: str, container: str, timeout_s: int = 60) -> list["RestartContainer"]:
        """Planned when `docker ps -a` showed the container and it is not running."""
        row = next((r for r in rows or [] if r.get("Names") == container), None)
        return [cls(instance_id, instance, container, timeout_s)] if instance_id and row and row.get("State") != "running" else []


class RebootInstance(Action):
    """`aws ec2 reboot-instances` (seed 000 step 5): for an impaired instance; the status checks start over."""

    verb = "reboot-instance"
    permissions = ("ec2:RebootInstances", "ec2:DescribeInstanceStatus")
    max_resources = 1

    def __init__(self, instance_id: str, instance: str):
        self.instance_id, self.instance = instance_id, instance

    def describe(self) -> str:
        return f"reboot-instance {self.instance} ({self.instance_id})"

    def capture(self, aws) -> dict:
        st = ec2.instance_status(aws, self.instance_id)
        return {"state": st["InstanceState"]["Name"], "instance_status": st.get("InstanceStatus", {}).get("Status", "not-applicable"),
                "system_status": st.get("SystemStatus", {}).get("Status", "not-applicable")}

    def plan(self, before: dict) -> list[Change]:
        if before["state"] != "running" or "impaired" not in (before["instance_status"], before["system_status"]):
            return []
        return [Change(self.instance, "status checks", f"instance {before['instance_status']}, system {before['system_status']}",
                       "rebooted: the checks start over (a few minutes); a system impairment needs a stop and start instead")]

    def apply(self, aws, changes) -> None:
        ec2.reboot(aws, self.instance_id)

    @classmethod
    def if_impaired(cls, status: dict | None, instance_id: str | None, instance: str) -> list["RebootInstance"]:
        if not instance_id or not status:
            return []
        impaired = "impaired" in (status.get("InstanceStatus", {}).get("Status"), status.get("SystemStatus", {}).get("Status"))
        return [cls(instance_id, instance)] if impaired and status["InstanceState"]["Name"] == "running" else []
