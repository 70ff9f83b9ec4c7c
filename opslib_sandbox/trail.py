"""CloudTrail for the sandbox: every call that may change the world, made by anyone (opslib, the aws
CLI, a boto3 script, a scenario's broken deploy), is recorded as AWS records it (event name and
source, who made it as STS would name them, source address, user agent, error code) in the
region's event history (`aws cloudtrail lookup-events`, which moto lacks: answered here) and in the
log group of each trail in that region that delivers to CloudWatch Logs.

Request parameters keep only names and ids (a password, a secret string or a policy never lands in
a log a notebook prints), as AWS hides sensitive values.
"""

import functools
import json
import re
import threading
import uuid
from collections import deque
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote

from . import world

HISTORY = 20_000  # events kept per region: a bounded history, so a lookup costs the same in a year
_EVENTS: dict[str, deque] = {}
_LOCK = threading.Lock()
_BACKDATED: list = []  # a scenario's release recorded at the time it went out (trail.at)
_KEEP = re.compile(r"(Name|Id|Identifier|Arn|Version|Count|Bucket|Key|Qualifier|cluster|service|task|taskDefinition|desiredCount|Alias|ConcurrentExecutions|InstanceClass|MemorySize|RetentionPeriod|retentionInDays|PointInTimeRecoverySpecification)$", re.I)
_SOURCES = {"monitoring": "monitoring.amazonaws.com", "elasticloadbalancing": "elasticloadbalancing.amazonaws.com", "cognito-idp": "cognito-idp.amazonaws.com"}


class at:
    """Calls recorded while this is open are recorded at `when` (a scenario's release that went out earlier: AWS has no call
    that backdates) and, given `source`, from that address (a scenario's caller elsewhere: every caller here is local)."""

    def __init__(self, when: datetime, source: str = ""):
        self.when, self.source = when, source

    def __enter__(self):
        _BACKDATED.append((self.when, self.source))

    def __exit__(self, *exc):
        _BACKDATED.pop()


def backdated_to() -> datetime | None:
    """The time a scenario's `at` says it is, inside one (what else the release left, its crashed tasks' logs, is stamped then too)."""
    return _BACKDATED[-1][0] if _BACKDATED else None


def reset() -> None:
    with _LOCK:
        _EVENTS.clear()


def record(call, environ: dict, body: bytes, status: str, answer: bytes, read_only: bool = False) -> None:
    """One call as CloudTrail records it, after its answer (`status`, `answer`) is known (a read: one IAM refused)."""
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
    name, params = _operation(call, method, path, environ.get("QUERY_STRING", ""), body, "HTTP_X_AMZ_COPY_SOURCE" in environ)
    if not name:
        return
    now, source = _BACKDATED[-1] if _BACKDATED else (datetime.now(timezone.utc), "")
    key = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    identity = _identity(key[1] if key else "", call.region)
    event = {"eventVersion": "1.08", "userIdentity": identity, "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "eventSource": _SOURCES.get(call.service, f"{call.service}.amazonaws.com"), "eventName": name, "awsRegion": call.region,
             "sourceIPAddress": source or environ.get("REMOTE_ADDR", "127.0.0.1"), "userAgent": environ.get("HTTP_USER_AGENT", "")[:200],
             "requestParameters": params or None, "requestID": str(uuid.uuid4()), "eventID": str(uuid.uuid4()), "readOnly": read_only,
             "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": world.ACCOUNT}
    code = int(status.split()[0]) if status[:3].isdigit() else 200
    if code >= 400:
        event |= {"errorCode": _error_code(answer) or str(code), "errorMessage": _error_message(answer)}
    with _LOCK:
        _EVENTS.setdefault(call.region, deque(maxlen=HISTORY)).append(event)
    _deliver(call.region, now, event, always=name == "StopLogging")  # a trail records its own stopping, as its last record


def _identity(access_key: str, region: str) -> dict:
    from moto.sts.models import sts_backends

    try:
        user_id, arn, account = sts_backends[world.ACCOUNT]["aws"].get_caller_identity(access_key, region)
    except Exception:  # moto's default caller
        user_id, arn, account = "AKIAIOSFODNN7EXAMPLE", f"arn:aws:iam::{world.ACCOUNT}:user/moto", world.ACCOUNT
    kind = "AssumedRole" if ":assumed-role/" in arn else "IAMUser"
    who = {"type": kind, "principalId": user_id, "arn": arn, "accountId": account, "accessKeyId": access_key[:32]}
    return who | ({"userName": arn.rsplit("/", 1)[-1]} if kind == "IAMUser" else {})


GLOBAL_SOURCES = ("iam.amazonaws.com", "sts.amazonaws.com", "cloudfront.amazonaws.com")  # recorded in us-east-1, delivered to trails that include global events


def _deliver(region: str, now: datetime, event: dict, always: bool = False) -> None:
    """Into the log group of each trail that sends to CloudWatch Logs and covers the event, as the trail delivers: a trail
    in `region`, a multi-region trail, or (IAM, STS, CloudFront) one that includes global service events."""
    worldwide = event.get("eventSource") in GLOBAL_SOURCES
    for home in world.REGIONS:
        logs = world.backend("logs", home)
        for trail in list(world.backend("cloudtrail", home).trails.values()):
            if not (home == region or trail.is_multi_region or (worldwide and trail.include_global_service_events)):
                continue
            arn = getattr(trail, "cw_log_group_arn", None) or ""
            group = arn.split(":log-group:")[-1].rstrip("*").rstrip(":") if ":log-group:" in arn else ""
            if not group or group not in logs.groups or (not always and not trail.status.is_logging):
                continue
            stream = live_stream(region)
            if stream not in logs.groups[group].streams:
                logs.create_log_stream(group, stream)
            logs.put_log_events(group, stream, [{"timestamp": int(now.timestamp() * 1000), "message": json.dumps(event)}])


def backdate(minutes: int, now: datetime | None = None) -> None:
    """`opslib sandbox elapse`: the world as it stands has stood `minutes`, so what made it so happened then: the calls
    recorded within the last `minutes` are recorded `minutes` ago (in event history and in the trails' log groups)."""
    now = now or datetime.now(timezone.utc)
    edge = (now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)  # where the traffic model starts the minutes it rewrites
    stamp = edge.strftime("%Y-%m-%dT%H:%M:%SZ")
    with _LOCK:
        for events in _EVENTS.values():
            for e in events:
                if e["eventTime"] >= stamp:
                    e["eventTime"] = stamp
    for region in world.REGIONS:
        logs = world.backend("logs", region)
        for group in [g for name, g in logs.groups.items() if name.startswith("CloudTrail/")]:
            for event in (e for r in world.REGIONS for e in getattr(group.streams.get(live_stream(r)), "events", [])):
                if event.timestamp >= int(edge.timestamp() * 1000):
                    event.timestamp = int(edge.timestamp() * 1000)
                    event.message = re.sub(r'"eventTime": "[^"]+"', f'"eventTime": "{stamp}"', event.message)


def live_stream(region: str) -> str:
    """The stream the trail delivers live records to (beside the seeded day's `<account>_CloudTrail_<region>`, as AWS numbers a second)."""
    return f"{world.ACCOUNT}_CloudTrail_{region}_2"


def lookup(region: str, body: bytes) -> dict:
    """LookupEvents: newest first, filtered by one lookup attribute and a time range, paged."""
    ask = json.loads(body or b"{}")
    start, end = _time(ask.get("StartTime")), _time(ask.get("EndTime"))
    wanted = (ask.get("LookupAttributes") or [{}])[0]
    field = {"EventName": "eventName", "EventSource": "eventSource", "Username": "userName", "EventId": "eventID", "AccessKeyId": "accessKeyId",
             "ReadOnly": "readOnly", "ResourceName": "resourceName"}.get(wanted.get("AttributeKey", ""), "")
    with _LOCK:
        events = list(_EVENTS.get(region, ()))
    out = []
    for e in reversed(events):
        when = datetime.strptime(e["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        if (start and when < start) or (end and when > end) or (field and _shown(_attribute(e, field)) != str(wanted.get("AttributeValue"))
                                                                  and not (field == "resourceName" and wanted.get("AttributeValue") in _resources(e))):
            continue
        out.append(e)
    offset = int(ask.get("NextToken") or 0)
    size = max(1, min(int(ask.get("MaxResults") or 50), 50))
    page = out[offset : offset + size]
    answer = {"Events": [{"EventId": e["eventID"], "EventName": e["eventName"], "ReadOnly": "false", "AccessKeyId": e["userIdentity"].get("accessKeyId", ""),
                          "EventTime": datetime.strptime(e["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp(),
                          "EventSource": e["eventSource"], "Username": e["userIdentity"].get("userName") or e["userIdentity"]["arn"].rsplit("/", 1)[-1],
                          "Resources": [{"ResourceName": r} for r in _resources(e)], "CloudTrailEvent": json.dumps(e)} for e in page]}
    if offset + size < len(out):
        answer["NextToken"] = str(offset + size)
    return answer


def _shown(value) -> str:
    """A record's value as LookupEvents compares it (ReadOnly is the text "true" or "false")."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _attribute(e: dict, field: str):
    if field in ("userName", "accessKeyId"):
        return e["userIdentity"].get(field) or (e["userIdentity"]["arn"].rsplit("/", 1)[-1] if field == "userName" else "")
    return e.get(field)


def _resources(e: dict) -> list[str]:
    return [str(v) for k, v in (e.get("requestParameters") or {}).items() if isinstance(v, str) and re.search(r"(Name|Id|Identifier|Arn)$", k, re.I)]


def _time(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


COPIES = {"PutObject": "CopyObject", "UploadPart": "UploadPartCopy"}  # one route each: a copy is told by its x-amz-copy-source header


def _operation(call, method: str, path: str, query: str, body: bytes, copy: bool = False) -> tuple[str, dict]:
    """(event name, the request's names and ids) of a call; `copy`: the request names a copy source."""
    if not call.protocol.startswith("rest"):
        if call.protocol == "json":
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                data = {}
        elif call.protocol == "cbor":
            data = {}
        else:
            data = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        return call.action, _kept(data)
    match = _rest_match(call.service, method, unquote(path), set(parse_qs(query, keep_blank_values=True)))
    if match is None:
        return "", {}
    name, params = match
    if call.service == "s3":
        plain = {v: k for k, v in COPIES.items()}.get(name, name)
        name = COPIES.get(plain, plain) if copy else plain
    if call.protocol == "rest-json" and body[:1] == b"{":
        try:
            params |= _kept(json.loads(body))
        except ValueError:
            pass
    return name, params


def _kept(data) -> dict:
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if _KEEP.search(k) and (isinstance(v, (str, int, float, bool)) and len(str(v)) <= 256  # a small structure too
                                                                   or isinstance(v, dict) and len(json.dumps(v)) <= 256)}


def _rest_match(service: str, method: str, path: str, query_keys: set) -> tuple[str, dict] | None:
    best = None
    for name, verb, pattern, needs, literal in _routes(service):
        if verb != method or not needs <= query_keys:
            continue
        m = pattern.fullmatch(path)
        if m and (best is None or (len(needs), literal) > best[0]):
            best = ((len(needs), literal), name, {k: v for k, v in m.groupdict().items() if v})
    return (best[1], _kept(best[2]) | {k: v for k, v in best[2].items() if k in ("Bucket", "Key")}) if best else None


@functools.lru_cache(maxsize=None)
def _routes(service: str) -> tuple:
    """Each operation of a REST service: (name, method, path regex, query keys it needs, literal length), from botocore's model."""
    import botocore.session

    names = {"monitoring": "cloudwatch", "elasticloadbalancing": "elbv2"}
    session = botocore.session.get_session()
    try:
        model = session.get_service_model(names.get(service, service))
    except Exception:
        return ()
    out = []
    for op in model.operation_names:
        http = model.operation_model(op).http
        uri = http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        needs = frozenset(q.split("=")[0] for q in query.split("&") if q)
        regex, literal = "", 0
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                key = part[1:-1]
                greedy = key.endswith("+")
                key = re.sub(r"\W", "", key)
                regex += f"(?P<{key}>.+)" if greedy else f"(?P<{key}>[^/]+)"
            else:
                regex += re.escape(part)
                literal += len(part)
        out.append((op, http.get("method", "GET"), re.compile(regex.rstrip("/") + "/?" if regex != "/" else "/"), needs, literal))
    return tuple(out)


def _error_code(answer: bytes) -> str:
    text = answer[:4000].decode("utf-8", "replace")
    m = re.search(r"<Code>([\w.]+)</Code>", text) or re.search(r'"__type"\s*:\s*"(?:[^"#]*#)?([\w.]+)"', text) or re.search(r'"(?:code|Code)"\s*:\s*"([\w.]+)"', text)
    return m[1] if m else ""


def _error_message(answer: bytes) -> str:
    text = answer[:4000].decode("utf-8", "replace")
    m = re.search(r"<Message>([^<]{0,300})</Message>", text) or re.search(r'"(?:message|Message)"\s*:\s*"([^"]{0,300})"', text)
    return m[1] if m else ""
