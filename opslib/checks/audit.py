"""The audit table's integrity and what it can be recovered from (seed 001 "Data Corruption Incident")."""

from datetime import datetime, timezone

from ..units import duration, plural
from . import CRITICAL, OK, WARN, Check


def integrity(items: list[dict], bad: list[dict], table: str) -> Check:
    """`bad`: the corrupt ones among `items` (services.audit.corrupt, which the notebook keeps for its restore)."""
    total = len(items)
    if not bad:
        return Check("dynamodb_corrupt_items", OK, table, 0, "none", f"All {plural(total, 'record')} of {table} are well formed.")
    kinds = sorted({p.split(" ")[0] for item in bad for p in item["problems"]})
    sample = "; ".join(f"{i.get('id')} @ {i.get('timestamp')}: {', '.join(i['problems'])}" for i in bad[:3])
    return Check("dynamodb_corrupt_items", CRITICAL, table, len(bad), "none",
                 f"{plural(len(bad), 'record')} of {total} in {table} are corrupt (bad {', '.join(kinds)}): {sample}{' ...' if len(bad) > 3 else ''}.")


def recoverable(sources: dict, table: str, back_minutes: int) -> Check:
    """Can it be put back as it was `back_minutes` ago: point-in-time recovery covering then, or a backup."""
    pitr, backups = sources["pitr"], sources["backups"]
    newest = f"; newest backup {backups[0]['BackupName']} ({backups[0]['BackupCreationDateTime']:%Y-%m-%d %H:%M} UTC)" if backups else "; no backup"
    if pitr.get("PointInTimeRecoveryStatus") == "ENABLED":
        earliest = pitr["EarliestRestorableDateTime"]
        age = (datetime.now(timezone.utc) - earliest).total_seconds()
        if age >= back_minutes * 60:
            return Check("dynamodb_recovery_window", OK, table, f"{duration(age)} back", f">= {back_minutes} min back",
                         f"Point-in-time recovery reaches back {duration(age)} (to {earliest:%Y-%m-%d %H:%M} UTC){newest}.")
        return Check("dynamodb_recovery_window", WARN, table, f"{duration(age)} back", f">= {back_minutes} min back",
                     f"Point-in-time recovery reaches back only {duration(age)}, not the {back_minutes} minutes asked{newest}.")
    level = WARN if backups else CRITICAL
    return Check("dynamodb_recovery_window", level, table, "no PITR", f">= {back_minutes} min back",
                 f"Point-in-time recovery is off for {table}{newest}" + (": restore from the backup (backup_arn)." if backups else ": nothing to restore from."))


def recovered(compared: dict, recovery: str, actions: list[str]) -> Check:
    """Does the recovery copy hold the corrupt records intact (what copying back would write)?"""
    from ..services.audit import problems

    if compared.get("status") != "ACTIVE":
        return Check("dynamodb_recovery_copy", WARN, recovery, compared.get("status"), "ACTIVE", f"{recovery} is {compared.get('status')}: compare once it is ACTIVE.")
    pairs = compared["pairs"]
    intact = [k for k, kept in pairs if kept is not None and not problems(kept, actions)]
    level = OK if len(intact) == len(pairs) else WARN
    return Check("dynamodb_recovery_copy", level, recovery, f"{len(intact)}/{len(pairs)} intact", "every corrupt record intact in the copy",
                 f"{recovery} holds {compared['recovery_count']} records (live: {compared['live_count']}); {len(intact)} of the {len(pairs)} corrupt records are intact in it.")
