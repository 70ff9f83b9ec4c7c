"""How the sandbox's Lambda functions behave: moto runs function code only in Docker (not here), so
the sandbox runs a Python handler's own code in a child Python (`python -I`, its package unpacked
in a temporary folder, killed at its timeout) for each Invoke, and logs it as Lambda logs it
(START, the function's lines, END, REPORT in /aws/lambda/<name>, the tail returned with LogType=Tail).

The traffic model (traffic.py) asks how the version behind LIVE behaves under EC2 Manager's
traffic: its handler run once over a fixed mix of the API's requests (`TRAFFIC`), the share that
raised kept per code SHA-256. A release whose code fails some requests fails that share of them.

A fault outside the code may break a function (`break_function`, as a role that lost a permission
does): every invocation then fails with that error, near its timeout and memory.
"""

import base64
import functools
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import uuid
import zipfile
from datetime import datetime, timezone

HEALTHY = {"duration_ms": 380.0, "used_mb": 180, "error": ""}  # as seeds/ec2manager.lambda_lines draws a normal day
DENIED = "An error occurred (UnauthorizedOperation) when calling the DescribeInstances operation: You are not authorized to perform this operation."


def break_function(name: str, region: str, error: str, duration_ms: float, used_mb: int, share: float = 1.0) -> None:
    """From now on the requests of `name` that reach the broken call (`share` of its traffic, every test invoke) fail with
    `error` (a ClientError message), taking about `duration_ms`."""
    from .world import backend

    faults = backend("lambda", region).__dict__.setdefault("opslib_faults", {})
    faults[name] = {"duration_ms": duration_ms, "used_mb": used_mb, "error": error, "share": share}


# EC2 Manager's API traffic as its handler sees it (API Gateway proxy events): (share in 50, method, path)
TRAFFIC = ((28, "GET", "/instances"), (13, "GET", "/instances/i-0a1b2c3d4e5f60718"), (2, "POST", "/instances/i-0a1b2c3d4e5f60718/start"),
           (2, "POST", "/instances/i-0a1b2c3d4e5f60718/stop"), (2, "POST", "/instances/i-0a1b2c3d4e5f60718/reboot"), (3, "GET", "/health"))

_RUNNER = """
import json, sys, traceback
sys.path.insert(0, '.')
module, _, name = sys.argv[1].rpartition('.')
handler = getattr(__import__(module), name)
out = []
for event in json.load(sys.stdin):
    try:
        out.append({'ok': handler(event, None)})
    except Exception as exc:
        out.append({'error': type(exc).__name__, 'message': str(exc), 'trace': traceback.format_exc().splitlines()[-3:]})
print(json.dumps(out, default=str))
"""


def live_behaviour(name: str, region: str, alias: str = "LIVE") -> dict | None:
    """How the function behind `alias` (else $LATEST) behaves under the API's traffic, or None when
    there is no such function: throttled (reserved concurrency 0), the share of requests that fail
    and why, its duration and memory."""
    from .world import backend

    lambdas = backend("lambda", region)._lambdas
    try:
        latest = lambdas._get_latest(name)
    except KeyError:
        return None
    throttled = latest.reserved_concurrency is not None and int(latest.reserved_concurrency) == 0
    broken = getattr(backend("lambda", region), "opslib_faults", {}).get(name)
    if broken:
        return {"throttled": throttled, "error_share": broken["share"], "healthy": False, **broken, "error": f"ClientError: {broken['error']}"}
    try:
        version = lambdas.get_alias(alias, name).function_version
        fn = lambdas._get_version(name, version) if version != "$LATEST" else latest
    except Exception:  # no alias: the API calls $LATEST
        fn = latest
    ran = run_traffic(fn.code_bytes, fn.handler, fn.timeout) if fn is not None and fn.code_bytes else {"error_share": 0.0, "error": ""}
    return {"throttled": throttled, "healthy": not ran["error_share"], **HEALTHY, **ran}


def live_version(name: str, region: str, alias: str = "LIVE") -> str:
    """The version `alias` points to ($LATEST without the alias)."""
    from .world import backend

    try:
        return str(backend("lambda", region)._lambdas.get_alias(alias, name).function_version)
    except Exception:
        return "$LATEST"


def run_traffic(code: bytes, handler: str, timeout: int) -> dict:
    """{error_share, error}: the handler run over TRAFFIC (kept per code and handler)."""
    return dict(_run_traffic(hashlib.sha256(code).hexdigest(), code, handler, min(int(timeout or 3), 30)))


@functools.lru_cache(maxsize=64)
def _run_traffic(sha: str, code: bytes, handler: str, timeout: int) -> tuple:
    events = [_proxy_event(method, path, n) for share, method, path in TRAFFIC for n in range(share)]
    try:
        results = run_handler(code, handler, events, timeout)
    except (subprocess.SubprocessError, OSError, ValueError) as exc:  # it does not even start: every request fails
        return (("error_share", 1.0), ("error", f"Runtime.ExitError: {exc}"))
    failed = [r for r in results if "error" in r]
    first = f"{failed[0]['error']}: {failed[0]['message']}" if failed else ""
    return (("error_share", len(failed) / len(results)), ("error", first))


def run_handler(code: bytes, handler: str, events: list, timeout: int) -> list[dict]:
    """Each event through `handler` of the package `code`, in a child Python: [{ok: answer} | {error, message, trace}]."""
    with tempfile.TemporaryDirectory(prefix="opslib-lambda-") as folder:
        with zipfile.ZipFile(io.BytesIO(code)) as z:
            for member in z.namelist():
                if member.startswith("/") or ".." in member.split("/"):
                    raise ValueError(f"unsafe path in the package: {member}")
            z.extractall(folder)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "AWS_LAMBDA_FUNCTION_NAME": "sandbox"}
        done = subprocess.run([sys.executable, "-I", "-c", _RUNNER, handler], input=json.dumps(events), capture_output=True, text=True,
                              cwd=folder, env=env, timeout=timeout + 10)
    if done.returncode != 0:
        raise ValueError((done.stderr.strip().splitlines() or ["the runtime exited"])[-1])
    return json.loads(done.stdout)


def _proxy_event(method: str, path: str, n: int) -> dict:
    return {"httpMethod": method, "path": path, "resource": path, "requestContext": {"requestId": f"sandbox-{n}", "stage": "prod"},
            "headers": {"Accept": "application/json"}, "queryStringParameters": None, "body": None, "isBase64Encoded": False}


def invoke(fn, body) -> tuple[bytes, str, str]:
    """(payload, function error or "", base64 log tail) for one invocation of `fn` (a moto LambdaFunction)."""
    from moto.awslambda.models import lambda_backends

    behaviour = getattr(lambda_backends[fn.account_id][fn.region], "opslib_faults", {}).get(fn.function_name, HEALTHY)
    now, rid = datetime.now(timezone.utc), str(uuid.uuid4())
    rng = random.Random(rid)
    duration = max(1.0, rng.gauss(behaviour["duration_ms"], behaviour["duration_ms"] * 0.05))
    used = min(fn.memory_size, int(rng.gauss(behaviour["used_mb"], 3)))
    lines = [f"START RequestId: {rid} Version: {fn.version}"]
    error, answer = behaviour["error"], None
    if not error and fn.code_bytes:
        try:
            (answer,) = run_handler(fn.code_bytes, fn.handler, [_event(body)], min(int(fn.timeout or 3), 30))
        except (subprocess.SubprocessError, OSError, ValueError) as exc:
            answer = {"error": "Runtime.ExitError", "message": str(exc), "trace": []}
        if "error" in answer:
            error = f"{answer['error']}: {answer['message']}"
    if error:
        kind = "ClientError" if behaviour["error"] else error.split(":")[0]
        payload = {"errorMessage": error, "errorType": kind, "requestId": rid, "stackTrace": (answer or {}).get("trace") or ['  File "/var/task/index.py", line 41, in handler']}
        lines.append(f"[ERROR]\t{now.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}\t{rid}\t{'ClientError: ' if behaviour['error'] else ''}{error}")
    elif answer is not None:
        payload = answer["ok"]
    else:
        payload = {"statusCode": 200, "body": json.dumps({"ok": True, "event": _event(body)})}
    lines += [f"END RequestId: {rid}",
              f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\tMemory Size: {fn.memory_size} MB\tMax Memory Used: {used} MB"]
    _log(fn, now, lines)
    tail = base64.b64encode("\n".join(lines).encode()[-4096:] + b"\n").decode()
    return json.dumps(payload).encode(), "Unhandled" if error else "", tail


def _event(body) -> object:
    try:
        return json.loads(body) if body else {}
    except (TypeError, ValueError):
        return str(body)


def _log(fn, now: datetime, lines: list[str]) -> None:
    from moto.logs.models import logs_backends

    logs = logs_backends[fn.account_id][fn.region]
    group, stream = f"/aws/lambda/{fn.function_name}", f"{now:%Y/%m/%d}/[{fn.version}]{uuid.uuid4().hex}"
    if group not in logs.groups:
        logs.create_log_group(group, {})
    logs.create_log_stream(group, stream)
    at = int(now.timestamp() * 1000)
    logs.put_log_events(group, stream, [{"timestamp": at + i, "message": line} for i, line in enumerate(lines)])
