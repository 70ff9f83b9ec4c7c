"""Secrets' ages against their rotation policy (seed 002 "Credential Rotation": GitHub and Google OAuth every 90 days,
JWT every 180)."""

from datetime import datetime, timezone

from . import CRITICAL, OK, WARN, Check


def changed(secret: dict) -> datetime | None:
    """When the value in use was put: its AWSCURRENT version's CreatedDate (without versions listed: the later of
    LastChangedDate and LastRotatedDate, else CreatedDate)."""
    current = _staged(secret, "AWSCURRENT")
    if current is not None and current.get("CreatedDate"):
        return current["CreatedDate"]
    found = [t for t in (secret.get("LastChangedDate"), secret.get("LastRotatedDate")) if t]
    return max(found) if found else secret.get("CreatedDate")


def _staged(secret: dict, stage: str) -> dict | None:
    return next((v for v in secret.get("Versions") or [] if stage in (v.get("VersionStages") or [])), None)


def pending(found: list[dict]) -> list[Check]:
    """A rotation left halfway: AWSPENDING on a version that is not AWSCURRENT (a rotation function that failed after
    putting the new value, or one put by hand): the consumers still read the current one; the next rotation would start over it."""
    rows = []
    for s in found:
        new, current = _staged(s, "AWSPENDING"), _staged(s, "AWSCURRENT")
        if new is None or current is None or new["VersionId"] == current["VersionId"]:
            continue
        name, vid, cur = s["Name"], new["VersionId"], current["VersionId"]
        when = f" since {new['CreatedDate']:%Y-%m-%d %H:%M} UTC" if new.get("CreatedDate") else ""
        rows.append(Check("secret_rotation_pending", WARN, name, vid[:8], "no rotation left halfway",
                          f"{name}: a rotation was left halfway: version {vid[:8]} is AWSPENDING{when}, not current; its consumers still read "
                          f"version {cur[:8]}. Once they accept the new value, finish it as rotation does: `aws secretsmanager update-secret-version-stage "
                          f"--secret-id {name} --version-stage AWSCURRENT --move-to-version-id {vid} --remove-from-version-id {cur}`; or drop it: "
                          f"`aws secretsmanager update-secret-version-stage --secret-id {name} --version-stage AWSPENDING --remove-from-version-id {vid}`."))
    return rows or [Check("secret_rotation_pending", OK, "secrets", len(found), "no rotation left halfway",
                          f"No rotation left halfway: no AWSPENDING version apart from the current one in {len(found)} secret{'s' if len(found) != 1 else ''}.")]


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
