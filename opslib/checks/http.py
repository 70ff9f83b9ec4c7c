"""Health endpoints."""

from datetime import datetime, timezone

from ..services import http
from . import CRITICAL, OK, WARN, Check, check, describe_threshold, evaluate
from ..units import duration

_HEALTHY = ("healthy", "ok", "OK", "pass")
_DEGRADED = ("degraded", "warn", "warning")  # answering, but says it is not at full strength


@check("http_endpoint_healthy")
def endpoint_healthy(aws, name: str, url: str, expect: int = 200, token=None, deadline_s: float = http.DEFAULT_DEADLINE_S) -> Check:
    """The seed's `[ "$STATUS" = "200" ]`, plus the /health JSON status when there is one."""
    return answered(name, http.get(url, timeout=deadline_s, token=token), expect)


def answered(name: str, probe: http.Probe, expect: int = 200) -> Check:
    if probe.status is None:
        return Check("http_endpoint_healthy", CRITICAL, name, "no answer", f"HTTP {expect}, status healthy", f"{name} at {probe.url} did not answer: {probe.error}.")
    detail = ""
    if probe.body and "status" in probe.body:
        detail = f", reports status '{probe.body['status']}'" + (f" version {probe.body['version']}" if probe.body.get("version") else "")
        if probe.body.get("error"):
            detail += f" ({probe.body['error']})"
    if probe.redirect:
        detail += f"; it redirects to {probe.redirect}, another origin, which was not followed (credentials are not sent there)"
    said = (probe.body or {}).get("status", "healthy")
    level = CRITICAL if probe.status != expect else OK if said in _HEALTHY else WARN if said in _DEGRADED else CRITICAL
    return Check("http_endpoint_healthy", level, name, probe.status, f"HTTP {expect}, status healthy",
                 f"{name} answered HTTP {probe.status} in {probe.elapsed_ms:.0f} ms{detail}.")


def health_payload(name: str, probe: http.Probe, expected_version: str = "", max_age_s: int = 300,
                   latency_warn_ms: float | None = None, latency_critical_ms: float | None = None) -> list[Check]:
    """Seed 000's /health JSON read whole: status, version, a fresh timestamp, and how long it took."""
    checks = [answered(name, probe)]
    if probe.status is None:
        return checks
    checks.append(Check("http_response_time", evaluate(probe.elapsed_ms, latency_warn_ms, latency_critical_ms), name,
                        round(probe.elapsed_ms), describe_threshold(latency_warn_ms, latency_critical_ms, " ms"),
                        f"{name} /health took {duration(probe.elapsed_ms / 1000)}."))
    body = probe.body or {}
    version = body.get("version")
    if expected_version:
        checks.append(Check("http_health_version", OK if version == expected_version else WARN, name, version, expected_version,
                            f"{name} runs version {version}" + ("." if version == expected_version else f", expected {expected_version}.")))
    elif not version:
        checks.append(Check("http_health_version", WARN, name, None, "a version", f"{name} /health reports no version."))
    checks.append(_fresh(name, body.get("timestamp"), max_age_s))
    return checks


def _fresh(name: str, stamp, max_age_s: int) -> Check:
    """A /health that answers an old timestamp is a cache or a stuck worker, not a live check."""
    threshold = f"age <= {duration(max_age_s)}"
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return Check("http_health_fresh", WARN, name, stamp, threshold, f"{name} /health has no readable timestamp ({stamp!r}).")
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    age = (datetime.now(timezone.utc) - when).total_seconds()
    level = WARN if abs(age) > max_age_s else OK
    return Check("http_health_fresh", level, name, round(age), threshold,
                 f"{name} /health timestamp {stamp} is {duration(round(abs(age)))} {'old' if age >= 0 else 'in the future'}.")
