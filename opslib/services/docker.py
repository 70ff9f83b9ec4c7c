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


def images(aws, instance_id: str, timeout_s: int = 60) -> list[dict]:
    """`docker images` rows (docker's own JSON rows), newest first as docker lists them."""
    out = ssm.run_shell(aws, instance_id, ["docker images --format '{{json .}}'"], timeout_s)
    if out.code != 0:
        raise ssm.CommandFailed(out, "docker images")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip().startswith("{")]


def running_image(aws, instance_id: str, name: str, timeout_s: int = 60) -> dict:
    """What the container runs: its image reference, that image's id, and its state (`docker inspect NAME`); absent: {}."""
    out = ssm.run_shell(aws, instance_id, [f"docker inspect {name}"], timeout_s)
    if out.code != 0:
        return {}
    (found,) = json.loads(out.stdout)
    return {"image": found["Config"]["Image"], "image_id": found.get("Image", "").removeprefix("sha256:")[:12], "state": found["State"]["Status"]}


def previous_image(rows: list[dict] | None, running: dict | None) -> str:
    """The image built before the one the container runs (seed 000 "Quick Rollback" step 2: `docker images | grep secure-webapp`), as REPOSITORY:TAG; "" when none."""
    if not rows or not running:
        return ""
    current = next((r for r in rows if r["ID"] == running.get("image_id")), None)
    if current is None:
        return ""
    older = sorted((r for r in rows if r["Repository"] == current["Repository"] and r["CreatedAt"] < current["CreatedAt"] and r["Tag"] not in ("latest", "<none>")),
                   key=lambda r: r["CreatedAt"], reverse=True)
    return f"{older[0]['Repository']}:{older[0]['Tag']}" if older else ""


def run_options(options: str, environment: dict | None = None) -> str:
    """`docker run` options with `-e NAME=VALUE` for each of `environment` (a parameter of its own: papermill cannot read a
    parameter whose value holds "=")."""
    import shlex

    return " ".join([options.strip(), *(f"-e {shlex.quote(f'{k}={v}')}" for k, v in (environment or {}).items())]).strip()
