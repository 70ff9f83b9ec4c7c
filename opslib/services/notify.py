"""Where incident notifications go: a Slack incoming webhook and/or an SNS topic (seed 001: SNS -> Slack).

A webhook URL is a secret (whoever holds it can post to the channel): it is sent to, never shown;
a channel is named by what it is, not by its URL. Delivery retries what may pass on a second try
(no answer, 429, 5xx) and stops at a refusal (other 4xx), saying which.
"""

import json
import time
from dataclasses import dataclass

from ..units import plural
from . import http

ATTEMPTS = 3
BACKOFF_S = (0.5, 1.5)  # waits between attempts


@dataclass(frozen=True)
class Channel:
    name: str  # what a reader sees: "Slack webhook", "SNS topic ec2-manager-notifications-production"
    kind: str  # slack or sns
    target: object  # a Secret URL, or a topic ARN


@dataclass(frozen=True)
class Delivery:
    channel: str
    sent: bool
    attempts: int
    reason: str = ""


def channels_for(service: str, slack_webhook, sns_topic_arn: str, by_service: dict | None = None) -> list[Channel]:
    """`channels` for one service's incidents: its own entry of `by_service` ({service: {slack_webhook, sns_topic_arn}}, from the
    environment file), else the defaults."""
    own = (by_service or {}).get(service) or {}
    if not isinstance(own, dict):
        from ..errors import BadInput

        raise BadInput(f"notify_by_service[{service!r}] is {type(own).__name__}", "give each service a mapping: {slack_webhook: ..., sns_topic_arn: ...}")
    return channels(own.get("slack_webhook") or slack_webhook, own.get("sns_topic_arn") or sns_topic_arn)


def channels(slack_webhook, sns_topic_arn: str) -> list[Channel]:
    found = []
    if slack_webhook:
        found.append(Channel("Slack webhook", "slack", slack_webhook))
    if sns_topic_arn:
        found.append(Channel(f"SNS topic {sns_topic_arn.rsplit(':', 1)[-1]}", "sns", sns_topic_arn))
    return found


def slack_text(text: str) -> str:
    """Text Slack shows as written: its control characters escaped as its docs say (&, <, >), so a summary
    holding <!channel>, <!here> or <https://x|a label> pages nobody and links nowhere; @here, @channel and
    @everyone broken by a zero-width space. The notices themselves use no Slack markup."""
    import re

    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"@(here|channel|everyone)\b", "@\u200b\\1", text, flags=re.IGNORECASE)


def send(aws, channel: Channel, text: str, subject: str) -> Delivery:
    if channel.kind == "sns":
        return _publish(aws, channel, text, subject)
    url = channel.target.reveal() if hasattr(channel.target, "reveal") else str(channel.target)
    body = json.dumps({"text": slack_text(text)}).encode()
    reason = ""
    for attempt in range(1, ATTEMPTS + 1):
        probe = http.post(url, body)
        if probe.status is not None and 200 <= probe.status < 300:
            return Delivery(channel.name, True, attempt)
        reason = f"HTTP {probe.status}" + (f" ({probe.error.strip()[:80]})" if probe.error.strip() else "") if probe.status else f"no answer: {probe.error}"
        if probe.status is not None and 400 <= probe.status < 500 and probe.status != 429:
            return Delivery(channel.name, False, attempt, f"the webhook refused it: {reason}; check the URL (is the webhook revoked?)")
        if attempt < ATTEMPTS:
            time.sleep(BACKOFF_S[attempt - 1])
    return Delivery(channel.name, False, ATTEMPTS, f"{reason} after {plural(ATTEMPTS, 'attempt')}")


def _publish(aws, channel: Channel, text: str, subject: str) -> Delivery:
    from ..checks import fault_reason

    region = channel.target.split(":")[3] if channel.target.count(":") >= 5 else None
    try:
        aws.client("sns", region).publish(TopicArn=channel.target, Message=text, Subject=subject)
    except Exception as exc:  # AccessDenied, NotFound, throttled past retries: not sent, and why
        code, message = fault_reason(exc)
        return Delivery(channel.name, False, 1, f"{code}: {message}")
    return Delivery(channel.name, True, 1)
