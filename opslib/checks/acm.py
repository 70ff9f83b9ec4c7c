"""Certificates: what expires, where it is served, and whether anything renews it (seed 003 "Certificate Management";
seed 004 "SSL Certificate Renewal")."""

from datetime import datetime, timezone

from ..units import duration
from . import CRITICAL, ERROR, OK, SEVERITY, WARN, Check, describe_threshold, evaluate


def days_left(not_after) -> int:
    return int((not_after - datetime.now(timezone.utc)).total_seconds() // 86400)


def _left(not_after, warn_days: int) -> str:
    """Whole days left; within the warning, and the hours (a certificate made to last five days reads 4 d 23 h, not 4 days)."""
    left = days_left(not_after)
    hours = int((not_after - datetime.now(timezone.utc)).total_seconds() // 3600) - left * 24  # down, as the days are
    return f"{left} days" if left > warn_days else f"{left} d {hours} h left" if left >= 0 else f"expired {duration(-(not_after - datetime.now(timezone.utc)).total_seconds())} ago"


def where(cert: dict) -> str:
    """Its users as a person names them: `load balancer rms-alb-prod`, `CloudFront E123...`."""
    named = []
    for arn in cert.get("InUseBy") or []:
        if ":loadbalancer/" in arn:
            named.append(f"load balancer {arn.split('/')[-2]}")
        elif ":distribution/" in arn:
            named.append(f"CloudFront {arn.rsplit('/', 1)[-1]}")
        else:
            named.append(arn)
    return ", ".join(named)


def expiry(certs: list[dict], warn_days: int, critical_days: int) -> list[Check]:
    """One row per certificate: days to NotAfter against the thresholds when something serves it (one nothing serves
    is listed, not judged), a status other than ISSUED, and whether ACM will renew it."""
    threshold = describe_threshold(warn_days, critical_days, "days", higher_is_worse=False)
    rows = []
    for cert in sorted(certs, key=lambda c: c["NotAfter"]):
        name, arn, region = cert["DomainName"], cert["CertificateArn"], cert.get("Region", "")
        left, used = days_left(cert["NotAfter"]), where(cert)
        resource = f"{name} ({region})" if region else name
        imported = cert.get("Type") == "IMPORTED"
        renews = cert.get("RenewalEligibility") == "ELIGIBLE" and not imported
        how = ("ACM renews it (DNS validation must still resolve)" if renews else
               f"ACM does not renew imported certificates: import the renewed one over it (`aws acm import-certificate --certificate-arn {arn} "
               "--certificate fileb://cert.pem --private-key fileb://key.pem --certificate-chain fileb://chain.pem`), and its users serve it at once"
               if imported else "ACM cannot renew it (not eligible): request a new one and point its users at it (seed 003 \"Manual Certificate Update\")")
        said = f"{name} expires {cert['NotAfter']:%Y-%m-%d} ({_left(cert['NotAfter'], warn_days)}); " + (f"served by {used}" if used else "not in use")
        if cert.get("Status") not in ("ISSUED", None):
            rows.append(Check("acm_certificate_expiry", CRITICAL if used else WARN, resource, cert.get("Status"), "ISSUED",
                              f"{said}; its status is {cert.get('Status')}. {how}."))
        elif not used:
            rows.append(Check("acm_certificate_expiry", OK, resource, left, threshold, f"{said}: nothing to renew for now."))
        else:
            status = evaluate(left, warn_days, critical_days, higher_is_worse=False)
            short = "ACM renews it" if renews else "imported: the team renews it" if imported else "not eligible for renewal"
            rows.append(Check("acm_certificate_expiry", status, resource, left, threshold, f"{said}. {how}." if status != OK else f"{said} ({short})."))
    return rows or [Check("acm_certificate_expiry", OK, "ACM", 0, threshold, "No certificate in ACM in these regions.")]


def presented(found: list[dict], certs: list[dict] | None, warn_days: int, critical_days: int) -> list[Check]:
    """What each live endpoint presents: days left, whether it covers the name asked for, and whether ACM holds a newer
    certificate for that name than the one served (renewed but not deployed)."""
    threshold = describe_threshold(warn_days, critical_days, "days", higher_is_worse=False)
    rows = []
    for p in found:
        if p.get("error"):
            rows.append(Check("tls_certificate_presented", ERROR, p["name"], "unread", threshold, f"{p['name']} at {p['url']}: no certificate read ({p['error']})."))
            continue
        left = days_left(p["not_after"])
        said = f"{p['name']} at {p['url']} presents {p['subject'] or 'a certificate'} (serial {p['serial']}), valid until {p['not_after']:%Y-%m-%d %H:%M} UTC ({_left(p['not_after'], warn_days)})"
        if not _covers(p["names"] or [p["subject"]], p["name"]):
            rows.append(Check("tls_certificate_presented", CRITICAL, p["name"], left, f"covers {p['name']}",
                              f"{said}, but for {', '.join(p['names']) or p['subject']}: clients asking for {p['name']} refuse it."))
            continue
        newer = [c for c in certs or [] if _covers([c["DomainName"], *c.get("SubjectAlternativeNames", [])], p["name"]) and c["NotAfter"] > p["not_after"]
                 and c.get("Status") == "ISSUED"]
        status = evaluate(left, warn_days, critical_days, higher_is_worse=False)
        if newer:
            best = max(newer, key=lambda c: c["NotAfter"])
            rows.append(Check("tls_certificate_presented", max(status, WARN, key=SEVERITY.get), p["name"], left, threshold,
                              f"{said}; ACM holds a newer one ({best['CertificateArn']}, until {best['NotAfter']:%Y-%m-%d}) that this endpoint does not serve: "
                              "point its listener at it (seed 003: `aws elbv2 modify-listener --certificates CertificateArn=...`) or reload the server that holds a copy."))
        else:
            rows.append(Check("tls_certificate_presented", status, p["name"], left, threshold, f"{said}."))
    return rows


def _covers(names: list[str], host: str) -> bool:
    """Does a certificate for `names` cover `host` (one wildcard label at the left)?"""
    host = host.lower()
    return any(n.lower() == host or (n.startswith("*.") and host.split(".", 1)[-1] == n[2:].lower()) for n in names)
