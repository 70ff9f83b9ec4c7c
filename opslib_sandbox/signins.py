"""Cognito sign-ins as EC2 Manager's sign-in log records them (`/aws/cognito/<pool>`, the log seed 001's
"Authentication Issues" reads): each InitiateAuth or AdminInitiateAuth answered, by anyone, is a line
with the user tried, the address it came from (the end user's, which an application passes in
`UserContextData.IpAddress` / `ContextData.SourceIp`, else the caller's) and the outcome with AWS's
error code. The password never: only the user name is kept."""

import json
from datetime import datetime, timezone

from . import world

ACTIONS = ("InitiateAuth", "AdminInitiateAuth")
STREAM = "auth/signins"


def record(action: str, body: bytes, status: str, answer: bytes, remote_addr: str) -> None:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return
    backend = world.backend("cognito-idp", world.EC2M["region"])
    pool = request.get("UserPoolId") or next((p.id for p in backend.user_pools.values() if request.get("ClientId") in p.clients), None)
    group = f"/aws/cognito/{pool}"
    logs = world.backend("logs", world.EC2M["region"])
    if not pool or group not in logs.groups:
        return
    user = str((request.get("AuthParameters") or {}).get("USERNAME") or "")[:128]
    source = (request.get("UserContextData") or {}).get("IpAddress") or (request.get("ContextData") or {}).get("SourceIp") or remote_addr
    line = {"event": "SignIn", "result": "SUCCESS" if status.startswith("200") else "FAILED", "user": user, "sourceIp": str(source)[:64]}
    if not status.startswith("200"):
        try:
            line["reason"] = json.loads(answer).get("__type", "").rsplit("#", 1)[-1] or status
        except ValueError:
            line["reason"] = status
    if STREAM not in logs.groups[group].streams:
        logs.create_log_stream(group, STREAM)
    logs.put_log_events(group, STREAM, [{"timestamp": int(datetime.now(timezone.utc).timestamp() * 1000), "message": json.dumps(line)}])
