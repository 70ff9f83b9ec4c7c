# %% [markdown]
# # Data corruption
#
# - **Purpose:** Which records of the audit table are corrupt, what the table can be restored from (point-in-time window, backups), a guarded restore to a recovery table, the recovery copy compared with the live table, and the corrupt records copied back from it (each guarded: a plan with its id, applied only when confirmed, verified, undoable).
# - **When to use:** Records look wrong (a bad release wrote them, the application reports invalid data; seed 001 "Data Corruption Incident").
# - **Expected time:** under 10 seconds to plan; a restore takes minutes on AWS (seconds in the sandbox).
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production): `aws dynamodb restore-table-to-point-in-time` (or `restore-table-from-backup`) into `recovery_table` (undo: deleting that copy); with `-p copy_back=true`, `put-item` of each corrupt record as the copy holds it (undo: the records as they were).
# - **Replaces:** seed 001 "Data Corruption Incident" (`aws dynamodb query` to assess the scope, `list-backups`, `restore-table-to-point-in-time --target-table-name ec2-manager-audit-recovery --restore-date-time <1 hour ago>`, `restore-table-from-backup`).
# - **Catches:** sandbox scenario `corrupted-items`.

# %%
from opslib import advice, runbook, views
from opslib.actions.audit import CopyItems, RestoreTable
from opslib.checks import audit as audit_checks
from opslib.services import audit

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-west-2"  # AWS region of the table (seed 001)
table: str = "ec2-manager-audit-production"  # the audit table (seed 001)
recovery_table: str = "ec2-manager-audit-recovery"  # where the restore goes (seed 001)
valid_actions: list[str] = ["start", "stop", "reboot", "describe"]  # the actions an audit record may hold
max_items: int = 100000  # most records to read [1..10000000]
back_minutes: int = 60  # restore the table as it was this long before the restore is applied (seed 001: 1 hour) [5..50400]
restore_to: str = ""  # or restore it as it was at this time, ISO 8601 with a zone (e.g. 2026-12-02T08:00:00+00:00)
backup_arn: str = ""  # or restore it from this backup (listed below) instead of a point in time
restore: bool = False  # plan the restore even when no record is corrupt
copy_back: bool = False  # plan copying the corrupt records back from the recovery table (once it is ACTIVE)
confirm: bool = False  # apply: the plan ids the dry run printed (true outside production applies the plans made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("incident/data-corruption", globals(), region="region")
rb

# %% [markdown]
# ## 1. The scope: which records are corrupt
# Seed 001 "Assess scope of corruption" (`aws dynamodb query` on one key): here every record is read (`scan`, all pages) and checked: an instance id, a time, a known action, a real user.

# %%
items = rb.fetch("dynamodb_corrupt_items", table, audit.scan, table, max_items)
bad = audit.corrupt(items, valid_actions)
rb.judge(audit_checks.integrity, items, bad, table)
rb.show(views.corrupt_records, bad)

# %% [markdown]
# ## 2. What it can be restored from
# Seed 001 "Check recent backups": `aws dynamodb list-backups`, and `describe-continuous-backups` for the point-in-time window.

# %%
sources = rb.fetch("dynamodb_recovery_window", table, audit.recovery_sources, table)
rb.judge(audit_checks.recoverable, sources, table, back_minutes)
rb.show(views.recovery_sources, sources)

# %% [markdown]
# ## 3. Restore to a recovery table (guarded)
# `aws dynamodb restore-table-to-point-in-time --source-table-name ... --target-table-name ec2-manager-audit-recovery` (or `restore-table-from-backup --backup-arn`), watched until the copy is `ACTIVE`. Planned when records are corrupt (or `restore=true`); applied only with `confirm` or the button.

# %%
restored = rb.act_all(RestoreTable.when_needed(bad, table, recovery_table, back_minutes, restore_to, backup_arn, restore), confirm=confirm, change_ref=change_ref, nothing="Nothing corrupt to restore.")

# %% [markdown]
# ## 4. The recovery copy against the live table
# Both read in full: how many records each holds, and each corrupt record side by side with its copy.

# %%
compared = rb.fetch("dynamodb_recovery_copy", recovery_table, audit.compare, table, recovery_table, bad, max_items)
rb.judge(audit_checks.recovered, compared, recovery_table, valid_actions)
rb.show(views.recovery_comparison, compared)

# %% [markdown]
# ## 5. Copy the records back (guarded)
# `aws dynamodb put-item` of each corrupt record as the recovery copy holds it. Planned with `copy_back=true` once the copy is `ACTIVE`; applied only with `confirm` or the button.

# %%
copied = rb.act_all(CopyItems.when_asked(compared, recovery_table, table, copy_back), confirm=confirm, change_ref=change_ref, nothing="Nothing to copy back (ask with copy_back=true once the copy is ACTIVE).")

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("data-corruption", rb.results, restored + copied, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
