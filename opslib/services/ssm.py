"""SSM Run Command: the seed's `ssh ec2-user@host docker ...` without SSH keys or open port 22.

Only read-only diagnostics are sent from here; anything that changes a host is a guarded action.
"""

import time
from dataclasses import dataclass

from ..errors import ActionRefused

READ_ONLY = ("docker ps", "docker logs", "docker inspect", "docker images", "docker stats --no-stream", "systemctl status", "journalctl", "uptime", "df -h", "free -m")
_SHELL_OPERATORS = (";", "&", "|", "`", "$(", ">", "<", "\n")
_RUNNING = {"Pending", "InProgress", "Delayed"}


@dataclass
class Output:
    instance_id: str
    command_id: str
    status: str  # Success, Failed, TimedOut, ...
    code: int
    stdout: str
    stderr: str


class CommandFailed(Exception):
    """A command that ran and failed, reported like an AWS error so a check can name it."""

    def __init__(self, out: Output, what: str):
        reason = (out.stderr.strip().splitlines() or [f"exit code {out.code}"])[-1]
        super().__init__(f"{what} on {out.instance_id}: {out.status} ({out.code}): {reason}")
        self.output = out
        self.response = {"Error": {"Code": f"Command{out.status}", "Message": f"{what} on {out.instance_id} exited {out.code}: {reason}"}}


def read_only(command: str) -> str:
    """The command, if it is one of the read-only diagnostics with no shell operators."""
    text = command.strip()
    if not text.startswith(READ_ONLY) or any(op in text for op in _SHELL_OPERATORS):
        raise ActionRefused(f"'{command}' is not a read-only diagnostic",
                            f"run only {', '.join(READ_ONLY)} (no shell operators) here; a change to a host goes through a guarded action")
    return text


def run_shell(aws, instance_id: str, commands: list[str], timeout_s: int = 60, poll_s: float = 0.3) -> Output:
    """Send AWS-RunShellScript (read-only diagnostics only) to one instance and wait for its output."""
    return _send(aws, instance_id, [read_only(c) for c in commands], timeout_s, poll_s, "opslib read-only diagnostics")


def run_change(aws, instance_id: str, commands: list[str], timeout_s: int = 60) -> Output:
    """A command that changes the host: for guarded actions only (opslib.actions.hosts)."""
    out = _send(aws, instance_id, commands, timeout_s, 0.3, "opslib guarded action")
    if out.code != 0:
        raise CommandFailed(out, "; ".join(commands))
    return out


def _send(aws, instance_id: str, commands: list[str], timeout_s: int, poll_s: float, comment: str) -> Output:
    ssm = aws.client("ssm")
    command_id = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", TimeoutSeconds=max(30, timeout_s),
                                  Parameters={"commands": commands}, Comment=comment)["Command"]["CommandId"]
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            inv = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        except ssm.exceptions.InvocationDoesNotExist:  # AWS needs a moment before the invocation exists
            inv = {"Status": "Pending"}
        if inv["Status"] not in _RUNNING:
            return Output(instance_id, command_id, inv["Status"], inv.get("ResponseCode", -1),
                          inv.get("StandardOutputContent", ""), inv.get("StandardErrorContent", ""))
        if time.monotonic() > deadline:
            out = Output(instance_id, command_id, "TimedOut", -1, "", f"no result after {timeout_s} s (status {inv['Status']})")
            raise CommandFailed(out, "; ".join(commands))
        time.sleep(poll_s)
        poll_s = min(poll_s * 2, 3.0)
