"""Containers on an EC2 host, read through SSM Run Command (seed 000: `docker ps -a | grep webapp`)."""

import json

from . import ssm


def containers(aws, instance_id: str, name: str, timeout_s: int = 60) -> list[dict]:
    """`docker ps -a` rows for containers whose name contains `name` (docker's own JSON rows)."""
    out = ssm.run_shell(aws, instance_id, [f"docker ps -a --no-trunc --filter name={name} --format '{{{{json .}}}}'"], timeout_s)
    if out.code != 0:
        raise ssm.CommandFailed(out, "docker ps")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip().startswith("{")]


def logs(aws, instance_id: str, name: str, tail: int = 100, timeout_s: int = 60) -> list[str]:
    """The container's last `tail` log lines, with timestamps (`docker logs NAME --tail N --timestamps`)."""
    out = ssm.run_shell(aws, instance_id, [f"docker logs {name} --tail {int(tail)} --timestamps"], timeout_s)
    if out.code != 0:
        raise ssm.CommandFailed(out, "docker logs")
    return out.stdout.splitlines()
