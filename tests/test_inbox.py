"""The sandbox's local webhooks: a Slack incoming webhook and the SNS relay to it (seed 001:
CloudWatch -> SNS -> Slack) keep what they receive, so a notification can be seen, and fail on cue."""

import json
import urllib.error
import urllib.request

import pytest

from conftest import eventually, opslib
import opslib_sandbox as sandbox


def _post(url: str, payload: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_posted_slack_message_is_in_the_inbox_until_reset(healthy):
    assert sandbox.inbox() == []
    assert _post(sandbox.webhook_url(), {"text": "🚨 INCIDENT DECLARED - P1"}) == 200
    (message,) = sandbox.inbox()
    assert (message["webhook"], message["answered"], json.loads(message["body"])["text"]) == ("slack", 200, "🚨 INCIDENT DECLARED - P1")
    res = opslib("sandbox", "inbox")
    assert res.returncode == 0 and "1 message(s)" in res.stdout and "slack" in res.stdout and "INCIDENT DECLARED - P1" in res.stdout
    sandbox.control("reset")
    assert sandbox.inbox() == []


def test_an_alarm_reaches_the_slack_relay_through_sns(healthy):
    sandbox.control("scenario/lambda-errors")  # its alarms go to ALARM; their topic relays to the local webhook
    relayed = eventually(sandbox.inbox, lambda got: any(m["webhook"] == "slack-relay" for m in got), timeout=20)[-1]
    notes = [json.loads(m["body"]) for m in relayed if m["webhook"] == "slack-relay"]
    assert any(n["Type"] == "Notification" and n["Subject"].startswith('ALARM: "ec2-manager-lambda') for n in notes), notes


@pytest.mark.parametrize("name", ["slack", "slack-relay"])
def test_slack_down_makes_the_webhooks_answer_500_and_still_records(healthy, name):
    sandbox.control("scenario/slack-down")
    assert _post(sandbox.webhook_url(name), {"text": "update"}) == 500
    assert [(m["webhook"], m["answered"]) for m in sandbox.inbox()] == [(name, 500)]
