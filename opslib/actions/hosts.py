"""The first fixes of seed 000 "P0: Service Completely Down": start the stopped container, start the stopped instance, reboot the impaired instance;
and seed 000 "Quick Rollback": the container run again from the previous image.

Each is planned only when the checks call for it (a running container is not restarted), and
applied only when confirmed; the state after is read back the way it was read before.
"""

import re
import shlex

from ..aws import at_once
from ..errors import BadInput
from ..services import docker, ec2, http, ssm
from . import Action, Change

IMAGE = re.compile(r"[a-z0-9][a-z0-9._/-]*:[\w][\w.-]{0,127}")  # REPOSITORY:TAG, as docker accepts them


def _without_age(status: str) -> str:
    """`Exited (137)` of `Exited (137) 12 minutes ago`: a plan made of the state, not of how long ago it
    began, keeps its id until the state changes (else a reviewed plan id was stale a second later)."""
    return re.sub(r"\s+(about |less than )?(an?|\d+) \w+ ago$", "", status, flags=re.I)


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
        return {"state": row.get("State", "absent"), "status": _without_age(row.get("Status", ""))}

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


class SetInstanceState(Action):
    """`aws ec2 start-instances` for a stopped instance (a service is down because its host is: seed 000's
    first question); undone by stopping it again. `stop-instances` is the same action the other way."""

    verb = "set-instance-state"
    permissions = ("ec2:StartInstances", "ec2:StopInstances", "ec2:DescribeInstanceStatus")
    max_resources = 1
    verify_within_s = 180

    def __init__(self, instance_id: str, instance: str, wanted: str = "running"):
        self.instance_id, self.instance, self.wanted = instance_id, instance, wanted

    def describe(self) -> str:
        return f"{'start' if self.wanted == 'running' else 'stop'}-instance {self.instance} ({self.instance_id})"

    def args(self) -> dict:
        return {"instance_id": self.instance_id, "instance": self.instance, "wanted": self.wanted}

    def capture(self, aws) -> dict:
        return {"state": ec2.instance_status(aws, self.instance_id)["InstanceState"]["Name"]}

    def plan(self, before: dict) -> list[Change]:
        settled = {"running": ("running", "pending"), "stopped": ("stopped", "stopping")}[self.wanted]
        return [] if before["state"] in settled else [Change(self.instance, "state", before["state"], self.wanted)]

    def apply(self, aws, changes) -> None:
        ec2.set_state(aws, self.instance_id, self.wanted)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        return after["state"] == self.wanted, f"the instance is {after['state']}"

    def undo(self, before: dict, changes) -> list["SetInstanceState"]:
        return [SetInstanceState(self.instance_id, self.instance, before["state"])] if before["state"] in ("running", "stopped") else []

    @classmethod
    def if_stopped(cls, status: dict | None, instance_id: str | None, instance: str) -> list["SetInstanceState"]:
        """A start when the instance is stopped (a stopped host is the finding, and starting it the first fix)."""
        return [cls(instance_id, instance, "running")] if instance_id and status and status["InstanceState"]["Name"] == "stopped" else []


class RunImage(Action):
    """Seed 000 "Quick Rollback" through SSM Run Command instead of SSH: `docker stop NAME`, `docker rm NAME`,
    `docker run -d --name NAME <options> IMAGE`; verified when the container runs that image and `/health` answers
    healthy; undone by running the image it ran before."""

    verb = "run-image"
    permissions = ("ssm:SendCommand", "ssm:GetCommandInvocation")
    max_resources = 1
    verify_within_s = 120  # the app starts inside its container

    def __init__(self, instance_id: str, instance: str, container: str, image: str, options: str = "", health_url: str = "", timeout_s: int = 60):
        if not IMAGE.fullmatch(image):
            raise BadInput(f"image {image!r} is not REPOSITORY:TAG", "give the image as docker names it, e.g. opsteam/secure-webapp:a41b7d0")
        self.instance_id, self.instance, self.container, self.image = instance_id, instance, container, image
        self.options, self.health_url, self.timeout_s = shlex.split(options), health_url, timeout_s

    def describe(self) -> str:
        return f"run-image {self.container} on {self.instance} from {self.image}"

    def args(self) -> dict:
        return {"instance_id": self.instance_id, "instance": self.instance, "container": self.container, "image": self.image,
                "options": shlex.join(self.options), "health_url": self.health_url, "timeout_s": self.timeout_s}

    def capture(self, aws) -> dict:
        now, held = at_once([lambda: docker.running_image(aws, self.instance_id, self.container, self.timeout_s),
                             lambda: docker.images(aws, self.instance_id, self.timeout_s)])  # two SSM round trips, each seconds on AWS
        wanted = next((r for r in held if f"{r['Repository']}:{r['Tag']}" == self.image), {})
        return {"image": now.get("image", "(none)"), "image_id": now.get("image_id", ""), "state": now.get("state", "absent"), "target_id": wanted.get("ID", "")}

    def plan(self, before: dict) -> list[Change]:
        if before["state"] == "running" and before["image_id"] == before["target_id"]:
            return []
        return [Change(f"{self.instance}:{self.container}", "image", f"{before['image']} ({before['image_id'] or 'unknown id'}, {before['state']})",
                       f"{self.image} ({before['target_id'] or 'not on the host: docker will try to pull it'})")]

    def apply(self, aws, changes) -> None:
        run = shlex.join(["docker", "run", "-d", "--name", self.container, *self.options, self.image])
        ssm.run_change(aws, self.instance_id, [f"docker stop {shlex.quote(self.container)}", f"docker rm {shlex.quote(self.container)}", run], self.timeout_s)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        """The container runs the image, and (with a URL) the app answers healthy (seed 000 step 5: `curl http://localhost:5000/health`)."""
        if after["state"] != "running" or after["image_id"] != after["target_id"]:
            return False, f"{self.container} is {after['state']} on {after['image']}"
        if not self.health_url:
            return True, f"{self.container} runs {self.image}"
        probe = http.get(self.health_url, 10.0)
        body = probe.body or {}
        healthy = probe.status == 200 and body.get("status") == "healthy"
        return healthy, f"{self.container} runs {self.image}; /health answered {probe.status or probe.error} {body.get('status', '')} {body.get('version', '')}".rstrip()

    def undo(self, before: dict, changes) -> list["RunImage"]:
        if not IMAGE.fullmatch(before["image"]):
            return []
        # verified by the image alone: what it ran before need not have been healthy (it is usually why it was rolled back)
        return [RunImage(self.instance_id, self.instance, self.container, before["image"], shlex.join(self.options), "", self.timeout_s)]

    @classmethod
    def rollback(cls, instance_id: str | None, instance: str, container: str, images: list[dict] | None, running: dict | None, to_image: str = "",
                 options: str = "", health_url: str = "", timeout_s: int = 60) -> list["RunImage"]:
        """The container from `to_image`, or from the image built before the one it runs; none when there is none."""
        target = to_image or docker.previous_image(images, running)
        return [cls(instance_id, instance, container, target, options, health_url, timeout_s)] if instance_id and target else []
