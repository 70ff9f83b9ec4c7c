"""What runs on the sandbox's EC2 hosts, so SSM Run Command has something true to answer.

moto runs no command and always answers Success with empty output. Here each running instance
tagged with an `image` runs one container (named by its `container` tag, default `webapp`),
healthy unless a scenario set `opslib_host` on the instance. A small shell answers the
commands a responder runs on such a host: `docker ps`, `docker logs`, `docker inspect`, and the
ones that change it, `docker start`, `docker restart` and `docker stop` (seed 000 "P0: Service
Completely Down"), whose effect stays on the instance; anything else fails as bash would, with
exit code 127. A reboot brings the containers back up (their restart policy: unless-stopped).
"""

import json
import random
import shlex
from datetime import datetime, timedelta, timezone

COMMAND = "gunicorn -b 0.0.0.0:5000 app:app"


def containers(instance) -> dict[str, dict]:
    """The instance's containers by name: what a scenario set, else the healthy default."""
    host = getattr(instance, "opslib_host", None)
    if host is not None:
        return host
    tags = {t["key"]: t["value"] for t in instance.get_tags()}
    if "image" not in tags:
        return {}
    launched = _aware(instance.launch_time)
    name = tags.get("container", "webapp")
    return {name: {"image": tags["image"], "state": "running", "exit_code": 0, "started": launched,
                   "created": launched, "restarts": 0, "oom": False, "finished": None}}


def run(instance, script: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of a shell script, one command per line, stopping at the first failure."""
    found = containers(instance)
    out, err = [], []
    for line in [ln.strip() for ln in script.splitlines() if ln.strip() and not ln.strip().startswith("#")]:
        code, stdout, stderr = _one(found, instance, line)
        out.append(stdout)
        err.append(stderr)
        if code:
            return code, "".join(out), "".join(err)
    return 0, "".join(out), "".join(err)


def _one(found: dict, instance, line: str) -> tuple[int, str, str]:
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        return 2, "", f"bash: line 1: {exc}\n"
    if not argv:
        return 0, "", ""
    if argv[0] != "docker" or not _has_docker(instance):
        return 127, "", f"bash: line 1: {argv[0]}: command not found\n"
    verb, rest = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if verb == "ps":
        return _ps(found, rest)
    if verb in ("start", "restart", "stop"):
        return _change(instance, found, verb, [a for a in rest if not a.startswith("-")])
    if verb in ("logs", "inspect"):
        names = [a for a in rest if not a.startswith("-") and not _is_value(rest, a)]
        missing = [n for n in names if n not in found]
        if not names or missing:
            return 1, "", f"Error: No such container: {(missing or ['(none given)'])[0]}\n"
        if verb == "inspect":
            return 0, json.dumps([_inspect(n, found[n]) for n in names], indent=4) + "\n", ""
        return 0, _logs(instance, names[0], found[names[0]], _option(rest, "--tail", "-n"), "--timestamps" in rest or "-t" in rest), ""
    return 1, "", f"docker: '{verb}' is not a docker command the sandbox host answers (ps, logs, inspect, start, restart, stop).\n"


def _change(instance, found: dict, verb: str, names: list[str]) -> tuple[int, str, str]:
    """`docker start|restart|stop NAME`: prints the name, as docker does; the host remembers."""
    missing = [n for n in names if n not in found]
    if not names or missing:
        return 1, "", f"Error response from daemon: No such container: {(missing or ['(none given)'])[0]}\n"
    now = datetime.now(timezone.utc)
    for name in names:
        c = found[name]
        if verb == "stop":
            c.update(state="exited", exit_code=0, finished=now, oom=False)
        elif verb == "restart" or c["state"] != "running":
            c.update(state="running", exit_code=0, started=now, finished=None, oom=False, restarts=c["restarts"] + (verb == "restart"))
    instance.opslib_host = found  # from now on this host runs what was done to it
    return 0, "".join(f"{n}\n" for n in names), ""


def rebooted(instance) -> None:
    """After a reboot every container comes back up, freshly started."""
    found = containers(instance)
    if found:
        now = datetime.now(timezone.utc)
        for c in found.values():
            c.update(state="running", exit_code=0, started=now, finished=None, oom=False)
        instance.opslib_host = found


def _has_docker(instance) -> bool:
    return "image" in {t["key"] for t in instance.get_tags()} or getattr(instance, "opslib_host", None) is not None


def _is_value(args: list[str], arg: str) -> bool:
    i = args.index(arg)
    return i > 0 and args[i - 1] in ("--tail", "-n", "--filter", "-f", "--format", "--since", "--until")


def _option(args: list[str], *names: str) -> str | None:
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
    return None


def _ps(found: dict, args: list[str]) -> tuple[int, str, str]:
    show_all = "-a" in args or "--all" in args
    wanted = _option(args, "--filter", "-f")
    rows = []
    for name, c in sorted(found.items()):
        if not show_all and c["state"] != "running":
            continue
        if wanted and wanted.startswith("name=") and wanted[5:].strip("^$/") not in name:
            continue
        rows.append(_ps_row(name, c))
    fmt = _option(args, "--format")
    if fmt and "json" in fmt:
        return 0, "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows), ""
    head = f"{'CONTAINER ID':<15}{'IMAGE':<24}{'COMMAND':<26}{'CREATED':<17}{'STATUS':<28}{'PORTS':<25}NAMES\n"
    return 0, head + "".join(
        f"{r['ID'][:12]:<15}{r['Image']:<24}{r['Command'][:23]:<26}{r['RunningFor']:<17}{r['Status']:<28}{r['Ports']:<25}{r['Names']}\n" for r in rows), ""


def _ps_row(name: str, c: dict) -> dict:
    now = datetime.now(timezone.utc)
    if c["state"] == "running":
        status = f"Up {_ago(now - c['started'])}"
    elif c["state"] == "restarting":
        status = f"Restarting ({c['exit_code']}) {_ago(now - c['finished'])} ago"
    else:
        status = f"Exited ({c['exit_code']}) {_ago(now - c['finished'])} ago"
    return {"Command": f'"{COMMAND}"', "CreatedAt": c["created"].strftime("%Y-%m-%d %H:%M:%S +0000 UTC"), "ID": _id(name),
            "Image": c["image"], "Labels": "", "LocalVolumes": "0", "Mounts": "", "Names": name, "Networks": "bridge",
            "Ports": "0.0.0.0:5000->5000/tcp" if c["state"] == "running" else "", "RunningFor": f"{_ago(now - c['created'])} ago",
            "Size": "0B", "State": c["state"], "Status": status}


def _inspect(name: str, c: dict) -> dict:
    zero = "0001-01-01T00:00:00Z"
    return {"Id": _id(name), "Name": f"/{name}", "RestartCount": c["restarts"], "Config": {"Image": c["image"]},
            "State": {"Status": c["state"], "Running": c["state"] == "running", "Restarting": c["state"] == "restarting",
                      "OOMKilled": c["oom"], "ExitCode": c["exit_code"], "StartedAt": c["started"].isoformat().replace("+00:00", "Z"),
                      "FinishedAt": c["finished"].isoformat().replace("+00:00", "Z") if c["finished"] else zero}}


def _logs(instance, name: str, c: dict, tail: str | None, stamps: bool) -> str:
    """Access lines for the last hour; a stopped container's log ends with why it stopped."""
    end = c["finished"] or datetime.now(timezone.utc)
    rng = random.Random(f"{instance.id}/{name}")
    lines, t = [], end - timedelta(hours=1)
    while t < end:
        path, code = rng.choice([("/health", 200)] * 6 + [("/api/items", 200), ("/api/items/42", 200), ("/login", 302), ("/api/items/999", 404)])
        lines.append((t, f"[INFO] 10.0.{rng.randint(0, 3)}.{rng.randint(2, 250)} \"GET {path} HTTP/1.1\" {code} {rng.randint(2, 40)}ms"))
        t += timedelta(seconds=rng.randint(20, 90))
    if c["state"] != "running":
        lines += [(end - timedelta(seconds=50), "[ERROR] worker timeout (pid:7): request exceeded 30 s"),
                  (end - timedelta(seconds=20), "[ERROR] MemoryError: cannot allocate 268435456 bytes"),
                  (end - timedelta(seconds=1), "[CRITICAL] Worker was sent SIGKILL! Perhaps out of memory?")]
    if tail not in (None, "all"):
        lines = lines[-int(tail):] if int(tail) > 0 else []
    return "".join((f"{when.isoformat(timespec='microseconds').replace('+00:00', 'Z')} " if stamps else "") + text + "\n" for when, text in lines)


def _id(name: str) -> str:
    return random.Random(name).getrandbits(256).to_bytes(32, "big").hex()


def _ago(delta: timedelta) -> str:
    s = int(delta.total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if s >= size:
            n = s // size
            return f"{n} {unit}{'s' if n > 1 else ''}" if n > 1 or unit != "hour" else "About an hour"
    return "Less than a second" if s < 1 else "1 second" if s == 1 else f"{s} seconds"


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
