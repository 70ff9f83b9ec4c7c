"""HTTP endpoints: /health probes (the seed's `curl -w "%{http_code}"`), fetched safely.

URLs come from parameters, so they are treated as hostile: http and https only; cloud metadata
addresses refused unless the environment file allows them (checked on the address actually
connected to, so a name that resolves there is refused too); credentials never follow a redirect
to another origin (such a redirect is reported, not followed); one total deadline covers connect,
headers and body, so a server that trickles bytes cannot hold a check.
"""

import http.client
import ipaddress
import json
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

MAX_BODY = 65536
MAX_REDIRECTS = 5
DEFAULT_DEADLINE_S = 10.0
_METADATA = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"), ipaddress.ip_network("fd00:ec2::254/128"))


@dataclass
class Probe:
    url: str
    status: int | None  # None when no HTTP answer came back
    elapsed_ms: float
    body: dict | None
    error: str = ""
    redirect: str = ""  # a redirect to another origin, reported instead of followed


LINK_LOCAL_VARIABLE = "OPSLIB_ALLOW_LINK_LOCAL"  # the environment file's `http.allow_link_local`, handed to the kernel


def link_local_allowed() -> bool:
    return os.environ.get(LINK_LOCAL_VARIABLE) == "1"


def refusal(url: str, allow_link_local: bool = False, resolve: bool = True) -> str:
    """Why `url` may not be fetched, or "" when it may."""
    return _vet(url, allow_link_local, resolve)[0]


def _vet(url: str, allow_link_local: bool, resolve: bool = True) -> tuple[str, list | None]:
    """(why not, or ""; the addresses to connect to). The fetch connects only to addresses vetted
    here, so a name that resolves elsewhere a moment later cannot slip past."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL ({exc})", None
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'}:// is not allowed, only http and https", None
    if not parts.hostname:
        return "no host", None
    if not resolve:
        return ("" if allow_link_local or not _metadata(parts.hostname) else f"{parts.hostname} is a link-local (cloud metadata) address, refused"), None
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except OSError:
        return "", None  # unresolvable: the fetch reports it
    addresses = [info[4][0] for info in infos]
    if not allow_link_local:
        for address in addresses:
            if _metadata(address):
                return f"{address} is a link-local (cloud metadata) address, refused", None
    return "", addresses or None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _metadata(address: str) -> bool:
    """A link-local (cloud metadata) address, however it is spelled: IPv4-mapped (::ffff:169.254.169.254),
    IPv4-compatible (::169.254.169.254), 6to4 (2002:a9fe:a9fe::) and NAT64 (64:ff9b::a9fe:a9fe) reach the same host."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    spellings = [ip]
    if ip.version == 6:
        packed = ip.packed
        spellings += [ipaddress.IPv4Address(v) for v in (ip.ipv4_mapped, ip.sixtofour) if v is not None]
        if packed[:12] == bytes(12) or ip in _NAT64:  # IPv4-compatible (deprecated, still routed by some stacks), NAT64
            spellings.append(ipaddress.IPv4Address(packed[12:]))
    return any(candidate in net for candidate in spellings for net in _METADATA if candidate.version == net.version)


def get(url: str, timeout: float = DEFAULT_DEADLINE_S, token=None, verify_tls: bool = True) -> Probe:
    """GET a URL within `timeout` seconds in all; no answer is a probe with no status, not an exception."""
    start = time.perf_counter()
    deadline = time.monotonic() + timeout
    secret = token.reveal() if hasattr(token, "reveal") else token
    origin = _origin(url)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        problem, addresses = _vet(current, link_local_allowed())
        if problem:
            return Probe(url, None, _ms(start), None, f"refused: {problem}")
        headers = {"User-Agent": "opslib", "Accept": "application/json, */*"}
        if secret and _origin(current) == origin:
            headers["Authorization"] = f"Bearer {secret}"
        try:
            status, location, raw = _fetch(current, headers, deadline, verify_tls, addresses)
        except _Deadline:
            return Probe(url, None, _ms(start), None, f"no complete answer within {timeout:g} s")
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            return Probe(url, None, _ms(start), None, _describe(exc))
        if status in (301, 302, 303, 307, 308) and location:
            target = urljoin(current, location)
            if _origin(target) != origin:
                return Probe(url, status, _ms(start), None, f"redirected to another origin ({_origin(target)}); not followed", redirect=target)
            current = target
            continue
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        return Probe(url, status, _ms(start), body if isinstance(body, dict) else None)
    return Probe(url, None, _ms(start), None, f"more than {MAX_REDIRECTS} redirects")


class _Deadline(Exception):
    pass


def post(url: str, body: bytes, content_type: str = "application/json", timeout: float = DEFAULT_DEADLINE_S) -> Probe:
    """POST once (a webhook): vetted as a GET is, no redirect followed; no answer is a probe with no status."""
    start = time.perf_counter()
    problem, addresses = _vet(url, link_local_allowed())
    if problem:
        return Probe(url, None, _ms(start), None, f"refused: {problem}")
    headers = {"User-Agent": "opslib", "Content-Type": content_type}
    try:
        status, _, raw = _fetch(url, headers, time.monotonic() + timeout, True, addresses, method="POST", body=body)
    except _Deadline:
        return Probe(url, None, _ms(start), None, f"no complete answer within {timeout:g} s")
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return Probe(url, None, _ms(start), None, _describe(exc))
    return Probe(url, status, _ms(start), None, "" if 200 <= status < 300 else raw[:200].decode("utf-8", "replace"))


def _fetch(url: str, headers: dict, deadline: float, verify_tls: bool, addresses: list | None = None, method: str = "GET",
           body: bytes | None = None) -> tuple[int, str, bytes]:
    """One request, to one of `addresses` when given (TLS still checks the URL's host name); a timer
    closes the socket at the deadline, whatever the server is doing."""
    parts = urlsplit(url)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Deadline()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        context = ssl.create_default_context() if verify_tls else ssl._create_unverified_context()
        conn = http.client.HTTPSConnection(parts.hostname, port, timeout=remaining, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=remaining)
    if addresses:
        conn._create_connection = lambda where, *args, **kwargs: _connect(addresses, where[1], *args, **kwargs)
    expired = threading.Event()

    def expire():
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(remaining, expire)
    timer.daemon = True
    timer.start()
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        chunks, size = [], 0
        while size < MAX_BODY:
            if time.monotonic() > deadline:
                raise _Deadline()
            chunk = resp.read1(MAX_BODY - size) if hasattr(resp, "read1") else resp.read(MAX_BODY - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if expired.is_set():
            raise _Deadline()
        return resp.status, resp.getheader("Location") or "", b"".join(chunks)
    except (OSError, http.client.HTTPException):
        if expired.is_set() or time.monotonic() > deadline:
            raise _Deadline() from None
        raise
    finally:
        timer.cancel()
        conn.close()


def _connect(addresses: list, port: int, *args, **kwargs):
    error = None
    for address in dict.fromkeys(addresses):
        try:
            return socket.create_connection((address, port), *args, **kwargs)
        except OSError as exc:
            error = exc
    raise error


def _origin(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(reason)
