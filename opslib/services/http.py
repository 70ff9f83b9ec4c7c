"""HTTP endpoints: /health probes (the seed's `curl -w "%{http_code}"`)."""

import json
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass
class Probe:
    url: str
    status: int | None  # None when no HTTP answer came back
    elapsed_ms: float
    body: dict | None
    error: str = ""


def get(url: str, timeout: float = 5.0, token=None, verify_tls: bool = True) -> Probe:
    """GET a URL; a refused connection or timeout is a probe with no status, not an exception."""
    headers = {"User-Agent": "opslib"}
    if token:
        headers["Authorization"] = f"Bearer {token.reveal() if hasattr(token, 'reveal') else token}"
    context = None if verify_tls else ssl._create_unverified_context()
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout, context=context) as resp:
            status, raw = resp.status, resp.read(65536)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(65536)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Probe(url, None, (time.perf_counter() - start) * 1000, None, str(reason))
    elapsed = (time.perf_counter() - start) * 1000
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    return Probe(url, status, elapsed, body if isinstance(body, dict) else None)
