# %% [markdown]
# # Terraform state lock
#
# - **Purpose:** Who holds AutoStack's Terraform state lock, since when, and whether their run still writes the state; the guarded release of a lock whose holder is gone (seed 002 Scenario 5 "Terraform State Locked").
# - **When to use:** When a plan or apply fails with "Error acquiring the state lock", or hourly from cron (read-only by default: red only when a lock outlived its run, or the state's checksum no longer matches).
# - **Expected time:** under 5 seconds.
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production): deletes the lock item read, and only a lock older than `stale_after_minutes` with no state write since (a run in progress keeps its lock). `opslib undo RUN-ID` puts the lock back while nobody else holds one.
# - **Replaces:** seed 002 Scenario 5 (`aws dynamodb scan --table-name autostack-tf-locks`, `ps aux | grep terraform`, `terraform force-unlock LOCK_ID`, `aws dynamodb delete-item --table-name autostack-tf-locks --key '{"LockID": {"S": "autostack/terraform.tfstate"}}'`).
# - **Catches:** `stale-terraform-lock`.

# %%
from opslib import advice, runbook, views
from opslib.actions.terraform import ReleaseLock
from opslib.checks import terraform as tf_checks
from opslib.services import terraform

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-east-1"  # AWS region of the state bucket and lock table (seed 002)
lock_table: str = "autostack-tf-locks"  # the S3 backend's dynamodb_table (seed 002)
state_bucket: str = "autostack-tfstate"  # the S3 backend's bucket (seed 002)
state_key: str = "autostack/terraform.tfstate"  # the S3 backend's key (seed 002)
stale_after_minutes: int = 120  # a lock held longer, with no state write for as long, has lost its run; none younger is ever released [5..10080]
confirm: bool = False  # apply: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("maintenance/terraform-state-lock", globals(), region="region")
rb

# %% [markdown]
# ## 1. Who holds the lock, and is their run alive?
# `aws dynamodb scan --table-name autostack-tf-locks` read as Terraform writes it, and `aws s3api list-object-versions` of the state: a run that holds the lock writes the state as it goes (Terraform persists it during an apply). `ps aux | grep terraform` sees only this machine: the state's last write sees every runner.
#
# Seed 002's `delete-item` example uses the key `autostack/terraform.tfstate`: the S3 backend's LockID is `<bucket>/<key>` (`autostack-tfstate/autostack/terraform.tfstate`), so that command deletes nothing, and DynamoDB says nothing about it. The release below deletes the item the scan found.

# %%
found = rb.fetch("terraform_state_lock", lock_table, terraform.lock_and_state, lock_table, state_bucket, state_key)
rb.judge(tf_checks.lock_held, found, stale_after_minutes)
rb.judge(tf_checks.digest, found)
rb.show(views.terraform_locks, found, stale_after_minutes)

# %% [markdown]
# ## 2. Release a stale lock (guarded)
# `aws dynamodb delete-item --table-name autostack-tf-locks --key '{"LockID": {"S": "autostack-tfstate/autostack/terraform.tfstate"}}'` with a condition on the lock read (a lock taken again since is never deleted), as `terraform force-unlock LOCK_ID` does. Planned by default; applied only with `confirm` or the button.

# %%
released = rb.act_all(ReleaseLock.stale(found, stale_after_minutes), confirm=confirm, change_ref=change_ref, nothing="No stale lock to release.", fixes=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("terraform-state-lock", rb.results, released, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
