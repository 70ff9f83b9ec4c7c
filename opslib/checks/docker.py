"""Containers on a host (rows of `docker ps -a`, lines of `docker logs`)."""

from ..units import plural
from . import CRITICAL, OK, Check, describe_threshold, evaluate


def container_running(rows: list[dict], name: str, host: str) -> Check:
    """Seed 000 P0 step 2 (`docker ps -a | grep webapp`): the container exists and is Up."""
    row = next((r for r in rows if r.get("Names") == name), None)
    threshold = "running"
    if row is None:
        return Check("docker_container_running", CRITICAL, name, "absent", threshold,
                     f"No container named {name} on {host}: it was removed, or the app was never started.")
    state, status = row.get("State", ""), row.get("Status", "")
    level = OK if state == "running" else CRITICAL
    hint = "" if level == OK else f" Next: `docker logs` below, then restart it (seed 000 \"P0: Service Completely Down\": `docker start {name}` through `aws ssm send-command`)."
    if status.startswith("Exited (137)"):
        hint = " Exit 137 is SIGKILL, most often the out-of-memory killer." + hint
    return Check("docker_container_running", level, name, status, threshold,
                 f"Container {name} ({row.get('Image')}) on {host}: {status}.{hint}")


def log_errors(lines: list[str], name: str, warn: int | None, critical: int | None) -> Check:
    """ERROR/CRITICAL lines among the last lines of the container's log."""
    bad = [ln for ln in lines if any(level in ln for level in ("[ERROR]", "[CRITICAL]", " ERROR ", " CRITICAL "))]
    return Check("docker_log_errors", evaluate(len(bad), warn, critical), name, len(bad), describe_threshold(warn, critical, "lines"),
                 f"{plural(len(bad), 'error line')} in the last {plural(len(lines), 'line')} of {name}'s log"
                 + (f"; the last: {bad[-1][:160]}" if bad else "."))
