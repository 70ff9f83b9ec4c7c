"""Who is being rate-limited (seed 002 "Scenario 2"): a few addresses (block them) or everyone (raise the limits)."""

import ipaddress

from ..units import plural
from . import CRITICAL, OK, WARN, Check


def offenders(found: dict, block_at: int, allow: list[str]) -> list[tuple[str, int]]:
    """Addresses with at least `block_at` refusals, none inside an allowed network (the office, a health checker)."""
    nets = [ipaddress.ip_network(a, strict=False) for a in allow]
    out = []
    for address, n in found["tally"].top(1000):
        if n < block_at:
            break
        try:
            allowed = any(ipaddress.ip_address(address) in net for net in nets)
        except ValueError:  # not an address: a proxy's name, a dash
            allowed = True
        if not allowed:
            out.append((address, n))
    return out


def refusals(found: dict, block_at: int, spread_warn: int, allow: list[str]) -> Check:
    """A block list when a few addresses take the refusals; a warning when many are refused with no one to blame."""
    t, group, minutes = found["tally"], found["log_group"], found["minutes"]
    bad = offenders(found, block_at, allow)
    approx = f" (counts may be low by up to {t.error}: more clients than can be counted exactly)" if t.error else ""
    if bad:
        share = 100 * sum(n for _, n in bad) / max(t.total, 1)
        return Check("ratelimit_offenders", CRITICAL, group, ", ".join(a for a, _ in bad[:10]), f"{block_at}+ refusals from one address",
                     f"{plural(len(bad), 'address', 'addresses')} took {share:.0f}% of {t.total:,} {found['status']}s in the last {minutes} minutes: "
                     + ", ".join(f"{a} ({n:,})" for a, n in bad[:5]) + f"{approx}. Block {'it' if len(bad) == 1 else 'them'} (the list below).")
    level = WARN if t.total >= spread_warn else OK
    return Check("ratelimit_offenders", level, group, f"{t.total:,}", f"no address {block_at}+; {spread_warn}+ in all warns",
                 f"{t.total:,} {found['status']}s in the last {minutes} minutes from {plural(len(t.counts), 'address', 'addresses')}, none {block_at}+{approx}"
                 + (": legitimate traffic is hitting the limits (seed 002 step 4: raise them)." if level == WARN else "."))
