# %% [markdown]
# # Terraform state restore
#
# - **Purpose:** The Terraform state's versions with serial, lineage and resources, what the current one adds and drops against another, and the guarded restore of a chosen version (seed 002 "Terraform State Backups").
# - **When to use:** When `terraform plan` wants to create or destroy what exists (a state pushed by hand, an old copy written over a newer one), before restoring anything; weekly from cron (red when the current state does not continue the one before it).
# - **Expected time:** under 5 seconds.
# - **Impact:** Changes nothing unless `restore_version` is given and confirmed (`-p confirm=PLAN-...`; `true` outside production): copies that version over the state key as a new version (nothing is deleted) under Terraform's own lock, and sets the checksum Terraform keeps; refused while anyone holds the lock. `opslib undo RUN-ID` copies back the version that was current.
# - **Replaces:** seed 002 "Terraform State Backups" (`aws s3api list-object-versions --bucket autostack-tfstate --prefix autostack/terraform.tfstate`, `aws s3api get-object --version-id VERSION_ID terraform.tfstate`).
# - **Catches:** none of the scenarios: a state written over by hand (tests/test_hand_made_faults.py).

# %%
from opslib import advice, runbook, views
from opslib.actions.terraform import RestoreStateVersion
from opslib.checks import terraform as tf_checks
from opslib.services import terraform

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-east-1"  # AWS region of the state bucket and lock table (seed 002)
lock_table: str = "autostack-tf-locks"  # the S3 backend's dynamodb_table (seed 002)
state_bucket: str = "autostack-tfstate"  # the S3 backend's bucket, versioned (seed 002)
state_key: str = "autostack/terraform.tfstate"  # the S3 backend's key (seed 002)
newest: int = 10  # how many of the newest versions to list and read [2..100]
compare_with: str = ""  # a version id to compare the current one with; empty: the version before it
restore_version: str = ""  # the version id to make current again (from the table); empty: restore nothing
confirm: bool = False  # apply: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("maintenance/terraform-state-restore", globals(), region="region")
rb

# %% [markdown]
# ## 1. The state's versions, and whether the current one continues them
# `aws s3api list-object-versions --prefix KEY` and `get-object --version-id` of the newest: serial (Terraform adds one per write), lineage (one per state's life) and resources. A current version with another lineage, or a serial below an earlier one, was written outside Terraform.

# %%
versions = rb.fetch("terraform_state_history", state_key, terraform.state_history, state_bucket, state_key, newest)
rb.judge(tf_checks.history, versions, state_bucket, state_key)
rb.show(views.terraform_versions, versions, compare_with)

# %% [markdown]
# ## 2. Restore a version (guarded)
# `aws s3api copy-object --copy-source BUCKET/KEY?versionId=VERSION_ID` over the key, under Terraform's lock (`LockID` `<bucket>/<key>`), then the `<bucket>/<key>-md5` checksum set to the copy's, as Terraform would leave it. Only with `-p restore_version=VERSION_ID`; planned by default.

# %%
restored = rb.act_all(RestoreStateVersion.asked(lock_table, state_bucket, state_key, restore_version), confirm=confirm, change_ref=change_ref, nothing="No restore asked.", fixes=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("terraform-state-restore", rb.results, restored, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
