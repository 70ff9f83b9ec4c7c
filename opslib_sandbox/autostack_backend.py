"""AutoStack's backend as seed 002 runs it (`docker logs autostack-backend`), served at
`/_sandbox/autostack-backend/<path>`: every request passes its rate-limit middleware
(backend/middleware/rate_limit.py: per client address and path, `"/login": (10, 60)`, any other path
100 a minute), is answered 200 or 429, and is logged as the container logs it, into
`/autostack/backend`: an access line (`ip - - [time] "GET /path HTTP/1.1" status bytes ms`) and, for a
refusal, a `rate_limit` line. The client is the address nginx in front passes in X-Forwarded-For."""

import threading
from collections import deque
from datetime import datetime, timezone

from . import world

LIMITS = {"/login": (10, 60)}  # seed 002 "Scenario 2" step 4: path -> (requests, seconds)
DEFAULT_LIMIT = (100, 60)
STREAM = "autostack-backend/access"
_SEEN: dict[tuple[str, str], deque] = {}
_LOCK = threading.Lock()


def reset() -> None:
    with _LOCK:
        _SEEN.clear()


def handle(method: str, path: str, client: str, now: datetime | None = None) -> tuple[int, dict]:
    """(HTTP status, JSON body) for one request, logged."""
    now = now or datetime.now(timezone.utc)
    limit, seconds = LIMITS.get(path, DEFAULT_LIMIT)
    with _LOCK:
        seen = _SEEN.setdefault((client, path), deque())
        while seen and (now - seen[0]).total_seconds() >= seconds:
            seen.popleft()
        refused = len(seen) >= limit
        if not refused:
            seen.append(now)
    status, body = (429, {"detail": "rate limit exceeded"}) if refused else (200, {"ok": True, "path": path})
    stamp = now.strftime("%d/%b/%Y:%H:%M:%S +0000")
    lines = [f'{client} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {len(str(body))} {1 if refused else 12}ms']
    if refused:
        lines.insert(0, f"{now.isoformat(timespec='milliseconds')} WARNING rate_limit exceeded: {client} {path} ({limit} in {seconds} s)")
    logs = world.backend("logs", world.AUTOSTACK["region"])
    group = world.AUTOSTACK["backend_log_group"]
    if group in logs.groups:
        if STREAM not in logs.groups[group].streams:
            logs.create_log_stream(group, STREAM)
        at = int(now.timestamp() * 1000)
        logs.put_log_events(group, STREAM, [{"timestamp": at, "message": line} for line in lines])
    return status, body
