"""Self-signed certificates with a chosen expiry: for ACM imports and the local TLS endpoint."""

from datetime import datetime, timedelta, timezone


def self_signed(domains: list[str], days: int, now: datetime | None = None, serial: int = 4242) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for `domains`, valid from 300 days ago until `days` from now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = now or datetime.now(timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domains[0]), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "opslib sandbox")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=300))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def front_door() -> tuple[bytes, bytes] | None:
    """What RMS's load balancer presents on :443 (seed 003's rms-alb-prod): its HTTPS listener's certificate, as ACM
    holds it (certificate, key). None when the listener or its certificate is gone."""
    from . import world

    region = world.RMS["region"]
    listeners = [li for lb in world.backend("elbv2", region).load_balancers.values() if lb.name == "rms-alb-prod" for li in lb.listeners.values()]
    https = next((li for li in listeners if li.protocol == "HTTPS" and li.certificate), None)
    if https is None:
        return None
    try:
        bundle = world.backend("acm", region).get_certificate(https.certificate)
    except Exception:  # deleted from ACM under the listener
        return None
    return bundle.cert, bundle.key


def days_left(cert_pem: bytes) -> int:
    from cryptography import x509

    return (x509.load_pem_x509_certificate(cert_pem).not_valid_after_utc - datetime.now(timezone.utc)).days


class FrontDoor:
    """TLS contexts for the local endpoint, one per certificate the load balancer has served: each handshake gets the
    listener's certificate now (an SNI callback runs on every ClientHello), so a certificate imported into ACM or
    a listener pointed at another is what a client reads next, as on AWS."""

    def __init__(self, folder):
        import ssl

        self.folder, self.contexts = folder, {}
        self.default = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._load(self.default, *self_signed(["localhost"], 3650))  # only until the world is seeded
        self.default.sni_callback = self._pick

    def _load(self, ctx, cert: bytes, key: bytes) -> None:
        import hashlib

        name = hashlib.sha256(cert).hexdigest()[:16]
        (self.folder / f"{name}.pem").write_bytes(cert)
        (self.folder / f"{name}.key").write_bytes(key)
        ctx.load_cert_chain(self.folder / f"{name}.pem", self.folder / f"{name}.key")

    def _pick(self, sock, server_name, _ctx) -> None:
        import ssl

        served = front_door()
        if served is None:
            return
        if served[0] not in self.contexts:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._load(ctx, *served)
            self.contexts = {served[0]: ctx}  # one at a time: the old one is never served again
        sock.context = self.contexts[served[0]]

    def days(self) -> int | None:
        served = front_door()
        return days_left(served[0]) if served else None
