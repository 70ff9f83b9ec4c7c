# %% [markdown]
# # Backup verification
#
# - **Purpose:** Whether each backup is there and what it allows: DynamoDB point-in-time recovery and on-demand backups, RDS automated backups (seed 003's daily `rms-db-prod-YYYYMMDD`), versioning on the buckets that need it, seed 004's nightly dumps and the Terraform state's versions, each judged against seed 004's RPO of 15 minutes.
# - **When to use:** Weekly (seed 001 Weekly Tasks: "Review backup status"; seed 003 Weekly Performance Review), daily from cron. Read-only: red only when a backup is missing or would lose more than the RPO.
# - **Expected time:** under 5 seconds.
# - **Impact:** None: reads backups' state. Each red row names the command that turns the backup back on.
# - **Replaces:** seed 001 "Backup Verification" (`aws dynamodb describe-continuous-backups`, `aws dynamodb list-backups`, `aws s3api get-bucket-versioning`), seed 003 "Database Backup Verification" (`aws rds describe-db-snapshots --db-instance-identifier rms-db-prod --snapshot-type automated --max-records 7`), seed 004 (`aws s3 ls s3://backups-incident-response/latest/`), seed 002 "Terraform State Backups".
# - **Catches:** `backups-missing`.

# %%
from opslib import advice, runbook, views
from opslib.checks import backups as backup_checks
from opslib.services import backups

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
rpo_minutes: int = 15  # the most data a restore may lose (seed 004: RPO 15 minutes) [1..1440]
max_age_hours: int = 26  # a daily backup older than this is missing (a day, and the backup window's slack) [1..720]
dynamodb_region: str = "us-west-2"  # the tables' region (seed 001)
dynamodb_tables: list = ["ec2-manager-audit-production"]  # tables that need backups (seed 001)
rds_region: str = "us-east-1"  # the databases' region (seeds 003 and 004)
db_instances: list = ["rms-db-prod", "incident-response-prod"]  # databases that need backups (seeds 003 and 004)
versioned_buckets: list = ["autostack-tfstate", "backups-incident-response"]  # buckets whose objects must be recoverable (the environment file adds the account's)
dump_bucket: str = "backups-incident-response"  # seed 004's backups bucket
dump_prefix: str = "postgres/incident-response-prod/"  # its nightly dumps, one folder a day (YYYY-MM-DD/)
dump_days: int = 7  # the nights to look back over [1..90]
state_bucket: str = "autostack-tfstate"  # the Terraform state's bucket (seed 002)
state_key: str = "autostack/terraform.tfstate"  # ... and key

# %%
rb = runbook.start("maintenance/backup-verification", globals())
rb

# %% [markdown]
# ## 1. Databases: what a restore now would lose
# `aws dynamodb describe-continuous-backups` and `list-backups` of each table; `aws rds describe-db-instances` (backup retention, latest restorable time) and `describe-db-snapshots --snapshot-type automated` of each instance; CloudTrail's record of backups turned off in the last 30 days (who, when).

# %%
tables, dbs = rb.fetch_all(("dynamodb_backup_rpo", "DynamoDB", backups.dynamodb_tables, dynamodb_region, dynamodb_tables),
                           ("rds_backup_rpo", "RDS", backups.rds_instances, rds_region, db_instances))
off = rb.fetch("cloudtrail_backups_off", "CloudTrail", backups.switched_off, rds_region, dynamodb_region, 30)
rb.judge(backup_checks.dynamodb, tables, rpo_minutes, max_age_hours, off)
rb.judge(backup_checks.rds, dbs, rpo_minutes, max_age_hours, off)

# %%
rb.show(views.backups, tables, dbs)

# %% [markdown]
# ## 2. Buckets, nightly dumps and the Terraform state
# `aws s3api get-bucket-versioning` of each bucket; seed 004's `aws s3 ls` of the dumps (only the last `dump_days` nights listed); the state's newest versions.

# %%
buckets, dumped = rb.fetch_all(("s3_versioning", "buckets", backups.versioning, versioned_buckets),
                               ("backup_dumps_nightly", dump_bucket, backups.dumps, rds_region, dump_bucket, dump_prefix, dump_days))
rb.judge(backup_checks.versioning, buckets)
rb.judge(backup_checks.dumps, dumped, max_age_hours)

# %%
state = rb.fetch("terraform_state_versions", state_bucket, backups.state_versions, rds_region, state_bucket, state_key)
rb.judge(backup_checks.state_versions, state)

# %% [markdown]
# ## Next

# %%
rb.next(advice.backups(rb.results, rb.incident, env))

# %%
rb.summary()
