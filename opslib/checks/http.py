"""Health endpoints."""

from ..services import http
from . import CRITICAL, OK, Check, check


@check("http_endpoint_healthy")
def endpoint_healthy(aws, name: str, url: str, expect: int = 200, token=None, timeout: float = 5.0) -> Check:
    """The seed's `[ "$STATUS" = "200" ]`, plus the /health JSON status when there is one."""
    probe = http.get(url, timeout=timeout, token=token)
    if probe.status is None:
        return Check("http_endpoint_healthy", CRITICAL, name, "no answer", f"HTTP {expect}", f"{name} at {url} did not answer: {probe.error}.")
    detail = ""
    if probe.body and "status" in probe.body:
        detail = f", reports status '{probe.body['status']}'" + (f" version {probe.body['version']}" if probe.body.get("version") else "")
    ok = probe.status == expect and (not probe.body or probe.body.get("status", "healthy") in ("healthy", "ok", "OK", "pass"))
    return Check(
        "http_endpoint_healthy",
        OK if ok else CRITICAL,
        name,
        probe.status,
        f"HTTP {expect}",
        f"{name} answered HTTP {probe.status} in {probe.elapsed_ms:.0f} ms{detail}.",
    )
