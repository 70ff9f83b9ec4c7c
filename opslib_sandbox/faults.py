"""Faults at the HTTP boundary: which AWS call a request is, and how AWS would say no to it.

Errors are rendered in each protocol's own shape (json, query, ec2, rpc-v2-cbor, rest-json,
rest-xml), so botocore parses them as it would real AWS errors and its retries run for real.
"""

import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
ALIASES = {"cloudwatch": "monitoring", "cognito": "cognito-idp", "elbv2": "elasticloadbalancing", "autoscaling-plans": "autoscaling"}


@dataclass
class Call:
    service: str  # signing name: rds, ecs, logs, monitoring, ...
    action: str  # DescribeDBInstances, ... ('' for REST protocols)
    protocol: str  # json, query, ec2, cbor, rest-json, rest-xml
    region: str


_READS = ("Describe", "List", "Get", "Search", "Scan", "Query", "Filter", "Lookup", "BatchGet", "Head", "Test", "Select", "Estimate")


def writes(call: Call, method: str) -> bool:
    """Whether a call may change the world (a reset then has something to undo): REST calls other
    than GET and HEAD, other protocols' actions not named as reads."""
    if call.protocol.startswith("rest"):
        return method not in ("GET", "HEAD")
    return not call.action.startswith(_READS)


def identify(environ: dict, body: bytes) -> Call | None:
    m = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not m:
        return None
    service, region = m["service"], m["region"]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    path = environ.get("PATH_INFO", "")
    ctype = environ.get("CONTENT_TYPE", "")
    if target:
        return Call(service, target.rsplit(".", 1)[-1], "json", region)
    if "/operation/" in path and "cbor" in ctype:
        return Call(service, path.rsplit("/operation/", 1)[-1], "cbor", region)
    if "x-www-form-urlencoded" in ctype:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        return Call(service, action, "ec2" if service == "ec2" else "query", region)
    return Call(service, "", "rest-xml" if service in ("s3", "cloudfront") else "rest-json", region)


# (json code, query code, ec2 code, rest code, status)
KINDS = {
    "throttle": ("ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException", 400, "Rate exceeded"),
    "deny": ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "AccessDenied", 403,
             "User: arn:aws:sts::123456789012:assumed-role/OnCall/opslib is not authorized to perform this action"),
    "unavailable": ("ServiceUnavailableException", "ServiceUnavailable", "Unavailable", "ServiceUnavailable", 503, "Service is unavailable"),
}


def error_response(call: Call, kind: str, message: str | None = None) -> tuple[str, list, bytes]:
    json_code, query_code, ec2_code, rest_code, status, default = KINDS[kind]
    message = message or default
    rid = str(uuid.uuid4())
    if call.protocol == "rest-xml" and kind == "throttle":
        rest_code, status = "SlowDown", 503
    if call.protocol == "json":
        body = json.dumps({"__type": json_code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", rid)]
    elif call.protocol == "cbor":
        body = _cbor_map({"__type": query_code, "message": message})
        headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                   ("x-amzn-query-error", f"{query_code};Sender"), ("x-amzn-RequestId", rid)]
    elif call.protocol == "query":
        body = (f'<ErrorResponse><Error><Type>Sender</Type><Code>{query_code}</Code><Message>{message}</Message></Error>'
                f"<RequestId>{rid}</RequestId></ErrorResponse>").encode()
        headers = [("Content-Type", "text/xml")]
    elif call.protocol == "ec2":
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{ec2_code}</Code><Message>{message}</Message>'
                f"</Error></Errors><RequestID>{rid}</RequestID></Response>").encode()
        headers = [("Content-Type", "text/xml")]
        status = 503 if kind == "throttle" else status
    elif call.protocol == "rest-xml":
        body = f"<Error><Code>{rest_code}</Code><Message>{message}</Message><RequestId>{rid}</RequestId></Error>".encode()
        headers = [("Content-Type", "application/xml")]
    else:
        body = json.dumps({"message": message}).encode()  # Lambda, API Gateway: AccessDeniedException, TooManyRequestsException
        code = rest_code if kind == "throttle" else json_code
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", rid)]
        status = 429 if kind == "throttle" else status
    reason = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests", 503: "Service Unavailable"}[status]
    return f"{status} {reason}", headers + [("Content-Length", str(len(body)))], body


def _cbor_map(d: dict) -> bytes:
    """CBOR for a map of short text strings: all an error body needs."""

    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")

    out = head(5, len(d))
    for k, v in d.items():
        for s in (k, v):
            b = s.encode()
            out += head(3, len(b)) + b
    return out


@dataclass
class Rule:
    """Answer matching calls with a fault: all of them, a share (`rate`), or the first `count`."""

    kind: str  # throttle, deny, unavailable, delay
    service: str = "*"
    action: str = "*"
    rate: float = 1.0
    count: int | None = None
    delay: float = 0.0
    message: str | None = None
    hits: int = 0

    def matches(self, call: Call) -> bool:
        service = ALIASES.get(self.service, self.service)
        return service in ("*", call.service) and self.action in ("*", call.action)


@dataclass
class Faults:
    rules: list[Rule] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(42))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, specs: list[dict]) -> None:
        with self.lock:
            self.rules = [Rule(**{k: v for k, v in s.items() if k != "hits"}) for s in specs]
            self.rng = random.Random(42)

    def pick(self, call: Call) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if not rule.matches(call):
                    continue
                if rule.count is not None and rule.hits >= rule.count:
                    continue
                if rule.rate < 1.0 and self.rng.random() >= rule.rate:
                    continue
                rule.hits += 1
                return rule
        return None

    def describe(self) -> list[dict]:
        with self.lock:
            return [vars(r).copy() for r in self.rules]


def apply_delay(rule: Rule) -> None:
    time.sleep(rule.delay)
