"""A live endpoint's certificate, read over the network as seed 004's `openssl s_client -servername NAME | openssl x509
-noout -dates` does: whatever it presents (expired or self-signed too), with the name sent by SNI."""

import hashlib
import socket
import ssl
import time
from urllib.parse import urlsplit


def presented(server_name: str, url: str, timeout: float = 10.0) -> dict:
    """The certificate `url` (https only, vetted as every URL from parameters) presents to a client asking for `server_name`."""
    from cryptography import x509
    from cryptography.x509.oid import ExtensionOID, NameOID

    from .http import _vet, link_local_allowed

    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError(f"{url} is not an https:// URL")
    problem, addresses = _vet(url, link_local_allowed())
    if problem:
        raise ValueError(f"refused: {problem}")
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # read what is presented, valid or not: judging it is the point
    started = time.monotonic()
    address = (addresses or [parts.hostname])[0]
    with socket.create_connection((address, parts.port or 443), timeout=timeout) as raw, ctx.wrap_socket(raw, server_hostname=server_name) as conn:
        der = conn.getpeercert(binary_form=True)
    cert = x509.load_der_x509_certificate(der)
    try:
        names = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return {"name": server_name, "url": url, "not_after": cert.not_valid_after_utc, "not_before": cert.not_valid_before_utc,
            "subject": common[0].value if common else "", "names": names, "serial": str(cert.serial_number),
            "sha256": hashlib.sha256(der).hexdigest(), "elapsed_ms": round((time.monotonic() - started) * 1000, 1)}


def all_presented(aws, endpoints: dict, timeout: float = 10.0) -> list[dict]:
    """Each endpoint's certificate at once (`{server name: https URL}`); one that cannot be read is a row with its `error`.
    `aws` is unused: fetched as every read is (rb.fetch), so a fault is a row."""
    from ..aws import at_once

    def read(name, url):
        try:
            return presented(name, url, timeout)
        except (OSError, ssl.SSLError, ValueError) as exc:
            return {"name": name, "url": url, "error": f"{type(exc).__name__}: {exc}"}

    return at_once([lambda n=n, u=u: read(n, u) for n, u in endpoints.items()])
