"""The sandbox's filter-log-events applies CloudWatch Logs filter patterns as AWS documents them
(patterns and events from "Filter pattern syntax for metric filters, subscription filters, filter
log events, and Live Tail"), through boto3 like any AWS call."""

import json
import os
import time
import uuid

import pytest

from conftest import opslib

UNSTRUCTURED = ["[ERROR 400] BAD REQUEST", "[ERROR 401] UNAUTHORIZED REQUEST", "[ERROR 419] MISSING ARGUMENTS",
                "[ERROR 420] INVALID ARGUMENTS", "[ERROR 500] INTERNAL SERVER ERROR", "[WARN 103] ARGUMENTS ARE DEPRECATED",
                "[INFO 200] OK"]
EVENT = {"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"],
         "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": None, "cluster.name": "c1",
         "ThisFlag": True, "user": {"id": 1, "email": "John.Doe@example.com"}, "latency": 1200}
OTHER = {"eventType": "CreateTrail", "sourceIPAddress": "123.123.0.7", "ThisFlag": False, "latency": 80, "SomeObject": {"a": 1}}
APACHE = ['127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
          '127.0.0.2 - jane [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 404 209',
          '10.0.0.9 - - [10/Oct/2000:13:36:01 -0700] "POST /login HTTP/1.1" 500 12']

CASES = [  # pattern, which of the events match (by index into the group's events)
    ("ERROR", [0, 1, 2, 3, 4]),
    ("ERROR ARGUMENTS", [2, 3]),
    ("?ERROR ?ARGUMENTS", [0, 1, 2, 3, 4, 5]),
    ('"INTERNAL SERVER ERROR"', [4]),
    ("ERROR -ARGUMENTS", [0, 1, 4]),
    ("-ERROR", [5, 6]),
    ('" "', [0, 1, 2, 3, 4, 5, 6]),
    ("error", []),  # case-sensitive
    ("%UNAUTHORI[SZ]ED%", [1]),
    ("%^\\[WARN%", [5]),
]
JSON_CASES = [
    ('{ $.eventType = "UpdateTrail" }', [0]),
    ("{ $.eventType = UpdateTrail }", [0]),
    ("{ $.sourceIPAddress != 123.123.* }", [0]),
    ("{ $.sourceIPAddress = 123.123.* }", [1]),
    ('{ $.arrayKey[0] = "value" }', [0]),
    ("{ $.objectList[1].id = 2 }", [0]),
    ("{ $.SomeObject IS NULL }", [0]),
    ("{ $.SomeOtherObject NOT EXISTS }", [0, 1]),
    ("{ $.ThisFlag IS TRUE }", [0]),
    ("{ $.ThisFlag IS FALSE }", [1]),
    ("{ $.['cluster.name'] = \"c1\" }", [0]),
    ("{ $.latency > 1000 }", [0]),
    ("{ $.latency <= 80 }", [1]),
    ('{ ($.user.id = 1) && ($.user.email = "John.Doe@example.com") }', [0]),
    ('{ ($.user.id = 2 && $.user.email = "nonmatch") || $.eventType = Create* }', [1]),
    ('{ $.result = "NOPE" }', []),
]
DELIMITED_CASES = [
    ("[ip, user, username, timestamp, request, status_code, bytes]", [0, 1, 2]),
    ("[ip, user, ..., status_code = 4*, ...]", [1]),
    ("[..., status_code = 4* || status_code = 5*, bytes]", [1, 2]),
    ("[ip, user, username, timestamp, request, status_code = 200, bytes > 1000]", [0]),
    ("[ip = 10.*, ...]", [2]),
    ("[ip, user]", []),  # too few fields, no ellipsis
    ('[..., request = "POST*", status_code, bytes < 100]', [2]),
]


@pytest.fixture(scope="module")
def groups(sandbox_url):
    import opslib_sandbox as sandbox
    from opslib.aws import Aws, AwsSettings

    for k, v in sandbox.FAKE_CREDENTIALS.items():
        os.environ.setdefault(k, v)
    logs = Aws(AwsSettings(endpoint_url=sandbox_url, max_attempts=2)).client("logs")
    made, now_ms = {}, int(time.time() * 1000)
    for kind, lines in (("plain", UNSTRUCTURED), ("json", [json.dumps(EVENT), json.dumps(OTHER), "not json at all"]), ("apache", APACHE)):
        name = f"/test/patterns/{kind}/{uuid.uuid4().hex[:6]}"
        logs.create_log_group(logGroupName=name)
        logs.create_log_stream(logGroupName=name, logStreamName="s")
        logs.put_log_events(logGroupName=name, logStreamName="s",
                            logEvents=[{"timestamp": now_ms - 60_000 + i, "message": line} for i, line in enumerate(lines)])
        made[kind] = (name, lines)
    return logs, made


def _matched(groups, kind, pattern):
    logs, made = groups
    name, lines = made[kind]
    events = logs.filter_log_events(logGroupName=name, filterPattern=pattern)["events"]
    return [lines.index(e["message"]) for e in events]


@pytest.mark.parametrize("pattern, expected", CASES, ids=[c[0] for c in CASES])
def test_unstructured_patterns(groups, pattern, expected):
    assert _matched(groups, "plain", pattern) == expected


@pytest.mark.parametrize("pattern, expected", JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_json_patterns(groups, pattern, expected):
    assert _matched(groups, "json", pattern) == expected


@pytest.mark.parametrize("pattern, expected", DELIMITED_CASES, ids=[c[0] for c in DELIMITED_CASES])
def test_space_delimited_patterns(groups, pattern, expected):
    assert _matched(groups, "apache", pattern) == expected


def test_a_pattern_aws_would_refuse_is_refused(groups):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="InvalidParameterException"):
        _matched(groups, "json", "{ $.eventType = ")


def test_log_search_with_a_json_pattern_that_matches_nothing_is_ok(healthy, tmp_path):
    """Measured before: `{ $.result = "NOPE" }` matched all 204 lines, CRITICAL."""
    res = opslib("run", "log-search", "--env", "sandbox", "-p", 'pattern={ $.result = "NOPE" }', "--no-progress", runs=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 lines matching '{ $.result = \"NOPE\" }'" in res.stdout
