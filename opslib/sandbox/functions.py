"""How the sandbox's Lambda functions answer Invoke: moto runs function code only in Docker (not
here), so each invocation is answered as the function would answer it, and logged as Lambda logs it
(START, the function's lines, END, REPORT in /aws/lambda/<name>, the tail returned with LogType=Tail).

A scenario may break a function (`break_function`): every invocation then fails with that error,
runs near its timeout and memory, as the scenario's log lines and metrics say it does.
"""

import base64
import json
import random
import uuid
from datetime import datetime, timezone

HEALTHY = {"duration_ms": 380.0, "used_mb": 180, "error": ""}  # as seeds/ec2manager.lambda_lines draws a normal day
DENIED = "An error occurred (UnauthorizedOperation) when calling the DescribeInstances operation: You are not authorized to perform this operation."


def break_function(name: str, region: str, error: str, duration_ms: float, used_mb: int) -> None:
    """From now on `name` fails every invocation with `error` (a ClientError message), taking about `duration_ms`."""
    from .world import backend

    faults = backend("lambda", region).__dict__.setdefault("opslib_faults", {})
    faults[name] = {"duration_ms": duration_ms, "used_mb": used_mb, "error": error}


def invoke(fn, body) -> tuple[bytes, str, str]:
    """(payload, function error or "", base64 log tail) for one invocation of `fn` (a moto LambdaFunction)."""
    from moto.awslambda.models import lambda_backends

    behaviour = getattr(lambda_backends[fn.account_id][fn.region], "opslib_faults", {}).get(fn.function_name, HEALTHY)
    now, rid = datetime.now(timezone.utc), str(uuid.uuid4())
    rng = random.Random(rid)
    duration = max(1.0, rng.gauss(behaviour["duration_ms"], behaviour["duration_ms"] * 0.05))
    used = min(fn.memory_size, int(rng.gauss(behaviour["used_mb"], 3)))
    lines = [f"START RequestId: {rid} Version: {fn.version}"]
    if behaviour["error"]:
        payload = {"errorMessage": behaviour["error"], "errorType": "ClientError", "requestId": rid, "stackTrace": ['  File "/var/task/index.py", line 41, in handler']}
        lines.append(f"[ERROR]\t{now.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}\t{rid}\tClientError: {behaviour['error']}")
    else:
        payload = {"statusCode": 200, "body": json.dumps({"ok": True, "event": _event(body)})}
    lines += [f"END RequestId: {rid}",
              f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\tMemory Size: {fn.memory_size} MB\tMax Memory Used: {used} MB"]
    _log(fn, now, lines)
    tail = base64.b64encode("\n".join(lines).encode()[-4096:] + b"\n").decode()
    return json.dumps(payload).encode(), "Unhandled" if behaviour["error"] else "", tail


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
