"""Cognito: the pool, its clients' OAuth callbacks, sign-ins, and bursts of failed sign-ins."""

from ..units import number, plural
from . import CRITICAL, OK, WARN, Check, describe_threshold


def user_pool(pool: dict) -> Check:
    """Seed 001 step 1: the pool answers, and how it signs people in."""
    mfa, policy = pool.get("MfaConfiguration", "OFF"), pool.get("Policies", {}).get("PasswordPolicy", {})
    return Check("cognito_user_pool", OK, pool["Name"], pool["Id"], "exists",
                 f"User pool {pool['Name']} ({pool['Id']}): MFA {mfa}, passwords of {policy.get('MinimumLength', '?')}+ characters, "
                 f"{plural(len(pool['clients']), 'app client')}.")


def callbacks(pool: dict, expected: list[str]) -> list[Check]:
    """Seed 002 "Scenario 3" step 2, "verify callback URLs match", as far as AWS shows them: each OAuth
    client lists the callbacks the sign-in page may return to, https only (localhost aside)."""
    rows = []
    for client in pool["clients"]:
        name, urls = client["ClientName"], client.get("CallbackURLs", [])
        if not client.get("AllowedOAuthFlows"):
            rows.append(Check("cognito_client_callbacks", OK, name, "no OAuth flows", "", f"{name} signs in without OAuth redirects (no callback to check)."))
            continue
        missing = [u for u in expected if u not in urls]
        plain = [u for u in urls if u.startswith("http://") and not u.startswith(("http://localhost", "http://127.0.0.1"))]
        if missing or not urls:
            rows.append(Check("cognito_client_callbacks", CRITICAL, name, ", ".join(urls) or "none", ", ".join(expected) or "at least one",
                              f"{name}: the sign-in page cannot return to {', '.join(missing) or 'any address'} (callbacks: {', '.join(urls) or 'none'}); "
                              "a login ends in redirect_mismatch."))
        elif plain:
            rows.append(Check("cognito_client_callbacks", WARN, name, ", ".join(plain), "https", f"{name}: callbacks over plain http: {', '.join(plain)}."))
        else:
            rows.append(Check("cognito_client_callbacks", OK, name, ", ".join(urls), ", ".join(expected) or "https",
                              f"{name}: returns to {', '.join(urls)} (flows {', '.join(client['AllowedOAuthFlows'])})."))
    return rows


def sign_in_successes(series: dict, pool: str, minutes: int) -> Check:
    """Seed 001 step 3: SignInSuccesses; none at all in the window is what "users unable to authenticate" looks like."""
    total = float(series["successes"].sum()) if len(series["successes"]) else 0.0
    return Check("cognito_sign_in_successes", OK if total > 0 else WARN, pool, f"{total:,.0f}", "> 0",
                 f"{total:,.0f} successful sign-ins in the last {minutes} minutes" + ("." if total else ": nobody got in; are users unable to authenticate?"))


def failure_bursts(events: list[dict], pool: str, threshold: int, window_minutes: int) -> Check:
    """Seed 001 "Security Alert": 10+ failed sign-ins within 5 minutes, counted per source address."""
    failed: dict = {}  # source -> its failures, in one pass
    for e in events:
        if e["result"] == "FAILED":
            failed.setdefault(e["source"], []).append(e)
    worst = sorted(((most_within(sorted(e["at"] for e in mine), window_minutes * 60), s) for s, mine in failed.items()), reverse=True)
    limit = describe_threshold(None, threshold, f" failures in {window_minutes} min")
    if not worst or worst[0][0] < threshold:
        most = worst[0][0] if worst else 0
        return Check("cognito_auth_failure_burst", OK, pool, most, limit,
                     f"No address failed {threshold}+ sign-ins within {window_minutes} minutes (most: {most}).")
    bursts = [(n, s) for n, s in worst if n >= threshold]
    users = sorted({e["user"] for e in failed[bursts[0][1]]})
    return Check("cognito_auth_failure_burst", CRITICAL, pool, ", ".join(s for _, s in bursts), limit,
                 f"{plural(len(bursts), 'address', 'addresses')} failed {threshold}+ sign-ins within {window_minutes} minutes: "
                 + ", ".join(f"{s} ({number(n)})" for n, s in bursts) + f"; users tried from {bursts[0][1]}: {', '.join(users)}. Seed 001: a security alert.")


def users_tried(burst: Check) -> list[str]:
    """The user names a CRITICAL cognito_auth_failure_burst row says were tried (its sentence is written above)."""
    import re

    found = re.search(r"; users tried from [^:]+: (.*)\. Seed 001", burst.sentence)
    return found[1].split(", ") if found else []


def most_within(times: list, seconds: float) -> int:
    """The most of the (sorted) times that fall within any `seconds` of each other."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while (t - times[start]).total_seconds() > seconds:
            start += 1
        best = max(best, end - start + 1)
    return best
