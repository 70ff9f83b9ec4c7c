"""What runs on the sandbox's EC2 hosts, so SSM Run Command has something true to answer.

moto runs no command and always answers Success with empty output. Here each running instance
tagged with an `image` runs one container (named by its `container` tag, default `webapp`),
healthy unless a scenario set `opslib_host` on the instance. A small shell answers the
commands a responder runs on such a host: `docker ps`, `docker logs`, `docker inspect`, `docker
images`, and the ones that change it, `docker start`, `docker restart` and `docker stop` (seed 000
"P0: Service Completely Down"), `docker rm` and `docker run` (seed 000 "Quick Rollback"), whose
effect stays on the instance; anything else fails as bash would, with exit code 127. A reboot
brings the containers back up (their restart policy: unless-stopped).

The host holds the images seed 000's pipeline pushed, `:latest` and `:<commit SHA>` (RELEASES);
a container's /health reports the version of the image it runs (sites.py), and an image a
scenario marks unhealthy answers 500.
"""

import json
import random
import shlex
from datetime import datetime, timedelta, timezone

COMMAND = "gunicorn -b 0.0.0.0:5000 app:app"
REPOSITORY = "opsteam/secure-webapp"  # seed 000: YOUR_DOCKERHUB_USERNAME/secure-webapp
RELEASES = (("3f9c2e1", "1.8.2", 2), ("a41b7d0", "1.8.1", 9), ("9e0d5c3", "1.8.0", 16))  # (commit SHA, version, days since built), newest first


def images(instance) -> list[dict]:
    """The host's images, newest first: each SHA's, and `latest` on the newest (what a scenario pulled, else the pipeline's releases)."""
    found = getattr(instance, "opslib_images", None)
    if found is None:
        now = datetime.now(timezone.utc)
        found = [image(sha, version, now - timedelta(days=days)) for sha, version, days in RELEASES]
        instance.opslib_images = found = tag_latest(found)
    return found


def image(sha: str, version: str, built: datetime, healthy: bool = True) -> dict:
    return {"repository": REPOSITORY, "tag": sha, "id": _id(f"image/{sha}")[:12], "created": built, "version": version, "healthy": healthy, "size": "182MB"}


def tag_latest(found: list[dict]) -> list[dict]:
    """`latest` moves to the newest build, as the pipeline's push does."""
    builds = sorted((i for i in found if i["tag"] != "latest"), key=lambda i: i["created"], reverse=True)
    return [{**builds[0], "tag": "latest"}, *builds] if builds else []


def image_of(instance, reference: str) -> dict | None:
    """The image a reference (`repo:tag`, or a bare tag) names on this host."""
    repository, _, tag = reference.rpartition(":") if ":" in reference else (reference, "", "latest")
    return next((i for i in images(instance) if i["tag"] == tag and (not repository or i["repository"] == repository)), None)


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
    return {name: {"image": tags["image"], "image_id": (image_of(instance, tags["image"]) or {}).get("id", ""), "state": "running", "exit_code": 0, "started": launched,
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
    if verb == "images":
        return _images(instance, rest)
    if verb == "rm":
        return _rm(instance, found, [a for a in rest if not a.startswith("-")], "-f" in rest or "--force" in rest)
    if verb == "run":
        return _run(instance, found, rest)
    if verb in ("logs", "inspect"):
        names = [a for a in rest if not a.startswith("-") and not _is_value(rest, a)]
        missing = [n for n in names if n not in found]
        if not names or missing:
            return 1, "", f"Error: No such container: {(missing or ['(none given)'])[0]}\n"
        if verb == "inspect":
            return 0, json.dumps([_inspect(n, found[n]) for n in names], indent=4) + "\n", ""
        return 0, _logs(instance, names[0], found[names[0]], _option(rest, "--tail", "-n"), "--timestamps" in rest or "-t" in rest), ""
    return 1, "", f"docker: '{verb}' is not a docker command the sandbox host answers (ps, logs, inspect, images, start, restart, stop, rm, run).\n"


def _images(instance, args: list[str]) -> tuple[int, str, str]:
    now = datetime.now(timezone.utc)
    rows = [{"Containers": "N/A", "CreatedAt": i["created"].strftime("%Y-%m-%d %H:%M:%S +0000 UTC"), "CreatedSince": f"{_ago(now - i['created'])} ago",
             "Digest": "<none>", "ID": i["id"], "Repository": i["repository"], "SharedSize": "N/A", "Size": i["size"], "Tag": i["tag"],
             "UniqueSize": "N/A", "VirtualSize": i["size"]} for i in images(instance)]
    fmt = _option(args, "--format")
    if fmt and "json" in fmt:
        return 0, "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows), ""
    head = f"{'REPOSITORY':<26}{'TAG':<10}{'IMAGE ID':<15}{'CREATED':<16}SIZE\n"
    return 0, head + "".join(f"{r['Repository']:<26}{r['Tag']:<10}{r['ID']:<15}{r['CreatedSince']:<16}{r['Size']}\n" for r in rows), ""


def _rm(instance, found: dict, names: list[str], force: bool) -> tuple[int, str, str]:
    """`docker rm NAME`: a running container is refused unless forced."""
    missing = [n for n in names if n not in found]
    if not names or missing:
        return 1, "", f"Error response from daemon: No such container: {(missing or ['(none given)'])[0]}\n"
    running = [n for n in names if found[n]["state"] == "running"]
    if running and not force:
        return 1, "", (f"Error response from daemon: cannot remove container \"/{running[0]}\": container is running: "
                       "stop the container before removing or force remove\n")
    for n in names:
        del found[n]
    instance.opslib_host = found
    return 0, "".join(f"{n}\n" for n in names), ""


def _run(instance, found: dict, args: list[str]) -> tuple[int, str, str]:
    """`docker run -d --name NAME [-p ..] [--restart ..] [-e ..] IMAGE`: a new container from an image the host holds."""
    takes_value = ("--name", "-p", "--publish", "--restart", "-e", "--env", "-v", "--volume", "--network")
    positional, i = [], 0
    while i < len(args):
        if args[i] in takes_value:
            i += 2
            continue
        if not args[i].startswith("-"):
            positional.append(args[i])
        i += 1
    name, reference = _option(args, "--name"), positional[0] if positional else ""
    if not reference:
        return 125, "", "\"docker run\" requires at least 1 argument.\n"
    if name in found:
        return 125, "", f"docker: Error response from daemon: Conflict. The container name \"/{name}\" is already in use by container \"{_id(name)}\".\n"
    built = image_of(instance, reference)
    if built is None:
        return 125, "", (f"Unable to find image '{reference}' locally\ndocker: Error response from daemon: manifest for {reference} not found: "
                         "manifest unknown: manifest unknown.\n")
    now = datetime.now(timezone.utc)
    found[name or "container"] = {"image": reference, "image_id": built["id"], "state": "running", "exit_code": 0, "started": now, "created": now,
                                  "restarts": 0, "oom": False, "finished": None}
    instance.opslib_host = found
    return 0, _id(f"{name}/{now.isoformat()}") + "\n", ""


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
    return {"Id": _id(name), "Name": f"/{name}", "RestartCount": c["restarts"], "Image": f"sha256:{c.get('image_id', '')}", "Config": {"Image": c["image"]},
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
