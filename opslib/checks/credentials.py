"""Secrets' ages against their rotation policy (seed 002 "Credential Rotation": GitHub and Google OAuth every 90 days,
JWT every 180)."""

from datetime import datetime, timezone

from . import CRITICAL, OK, WARN, Check


def changed(secret: dict) -> datetime | None:
    """When its value last changed: the later of LastChangedDate and LastRotatedDate (CreatedDate when neither is there)."""
    found = [t for t in (secret.get("LastChangedDate"), secret.get("LastRotatedDate")) if t]
    return max(found) if found else secret.get("CreatedDate")


def ages(found: list[dict], policies: dict, warn_before_days: int, oauth: dict, consumers: dict) -> list[Check]:
    """One row per secret; one due or overdue names how to rotate it (the provider's console for an OAuth secret, else this
    notebook) and what to restart after, in the row itself: the console is where a cron run's reader reads it."""
    rows, now = [], datetime.now(timezone.utc)
    for s in found:
        name, every = s["Name"], int(policies.get(s["Name"], 0))
        when = changed(s)
        age = (now - when).days if when else None
        left = every - age if age is not None else None
        said = f"{name} last changed {when:%Y-%m-%d} ({age} days ago), to be rotated every {every} days" if when else f"{name}: never changed"
        how = (f"Rotate it in the provider's console ({oauth[name]}), store the new one (`aws secretsmanager put-secret-value --secret-id {name} "
               "--secret-string file://new.json`), then restart what reads it" + (f" ({consumers[name]})" if name in consumers else "") if name in oauth
               else f"Rotate it (planned first): `opslib run credential-rotation -p rotate={name}`")
        if left is None or left < 0:
            rows.append(Check("secret_rotation_age", CRITICAL, name, age, f"rotated within {every} days",
                              f"{said}: {-left if left is not None else '?'} days overdue. {how}."))
        elif left <= warn_before_days:
            rows.append(Check("secret_rotation_age", WARN, name, age, f"rotated within {every} days", f"{said}: due in {left} days. {how}."))
        else:
            rows.append(Check("secret_rotation_age", OK, name, age, f"rotated within {every} days", f"{said}: due in {left} days."))
    return rows
