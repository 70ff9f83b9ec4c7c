# %% [markdown]
# # Restore drill
#
# - **Purpose:** Prove the backups restore, within the RTO: the latest RDS snapshot and the DynamoDB table restored to test resources, watched until they serve, compared with the live ones (row and item counts, a sample read back), the time judged against seed 004's RTO of 1 hour, then the test resources deleted, whatever the comparison found (seed 003 "Backup and Recovery Testing", seed 004 DR drill).
# - **When to use:** Quarterly (seed 003's checklist: "Test backup and recovery procedures"; seed 004's weekly DR drill), and after changing how backups are made. Read-only by default: the dry run shows what would be restored, from which snapshot.
# - **Expected time:** the restores' own time (minutes on AWS; seconds here), bounded by the RTO.
# - **Impact:** Only when confirmed (`-p confirm=PLAN-...`; `true` outside production): creates `<name>-restore-test` resources tagged `opslib:restore-drill` and deletes them again; never touches a live resource's name, nor a test name that exists and is not the drill's. Nothing is left to undo.
# - **Replaces:** seed 003 "Backup and Recovery Testing" (`aws rds restore-db-instance-from-db-snapshot --db-instance-identifier rms-db-restore-test --db-snapshot-identifier rms-db-prod-$(date +%Y%m%d) --db-instance-class db.t3.micro`, `aws rds describe-db-snapshots --snapshot-type automated --max-records 7`), seed 001 "Test backup restoration" (`aws dynamodb restore-table-from-backup --target-table-name ec2-manager-audit-test`), seed 004 (`python3 scripts/dr_drill.py`).
# - **Catches:** none of the scenarios: a drill made to fail by hand (tests/test_hand_made_faults.py).

# %%
from opslib import advice, runbook
from opslib.actions.restore_drill import DatabaseDrill, TableDrill
from opslib.checks import restore_drill as drill_checks
from opslib.services import restore_drill

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
rds_region: str = "us-east-1"  # the database's region (seed 004)
source_db: str = "incident-response-prod"  # the database to restore (seed 004's DR drill; seed 003's is rms-db-prod)
db_target: str = "incident-response-restore-test"  # the test instance (seed 003: rms-db-restore-test); never a live name
db_class: str = "db.t3.micro"  # the test instance's class (seed 003)
db_secret: str = "incident-response/production/database"  # the master credentials (Secrets Manager), to compare the two databases
dynamodb_region: str = "us-west-2"  # the table's region (seed 001)
table: str = "ec2-manager-audit-production"  # the table to restore (seed 001)
table_target: str = "ec2-manager-audit-restore-test"  # the test table (seed 001: ec2-manager-audit-test); never a live name
rto_minutes: int = 60  # the most a restore may take (seed 004: RTO 1 hour) [1..1440]
sample: int = 20  # rows (items) of each table read back from both and compared [1..1000]
confirm: bool = False  # apply: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("maintenance/restore-drill", globals(), region="rds_region")
rb

# %% [markdown]
# ## 1. What would be restored
# `aws rds describe-db-snapshots --db-instance-identifier DB --snapshot-type automated` (the newest), and the table's point-in-time recovery or newest backup.

# %%
snapshot = rb.fetch("restore_drill_source", source_db, restore_drill.latest_snapshot, source_db)
rb.judge(drill_checks.source, snapshot, source_db)

# %% [markdown]
# ## 2. The database and the table: restore, watch, compare, delete (guarded)
# The database restored to `db_target`, watched through `creating` to `available`, each table's rows counted in both and a sample read back, then `delete-db-instance --skip-final-snapshot` of the test instance; the table restored with `restore-table-to-point-in-time --use-latest-restorable-time` (else from the newest backup) to `table_target`, watched to `ACTIVE`, items counted and sampled, then deleted. Each clean-up is in a `finally`: it runs whatever the comparison found. Confirmed, both restore at once, as a recovery would: the drill takes the longer of the two.

# %%
drills = [DatabaseDrill(source_db, db_target, db_class, db_secret, rto_minutes, sample, rb.run_id), TableDrill(table, table_target, rto_minutes, sample, rb.run_id, dynamodb_region)]
restored = rb.act_all(drills, confirm=confirm, change_ref=change_ref, together=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("restore-drill", rb.results, restored, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
