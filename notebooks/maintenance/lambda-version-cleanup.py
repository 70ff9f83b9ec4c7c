# %% [markdown]
# # Lambda version cleanup
#
# - **Purpose:** The function's published versions older than a date and behind no alias or event source, and their guarded deletion (a plan with its id, applied only when confirmed, verified); a version in use is never deleted, whatever is asked.
# - **When to use:** Monthly, from cron (read-only by default: WARN when versions could go), or before a function nears its code storage limit (seed 001 "Old Resource Cleanup").
# - **Expected time:** under 5 seconds.
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production): `aws lambda delete-function --qualifier N` for each. Not undoable: a deleted version is gone; the plan says so, and each version's code SHA-256 and configuration are kept in the run's evidence.
# - **Replaces:** seed 001 "Old Resource Cleanup" (`aws lambda list-versions-by-function ... | jq ... select(.LastModified < "2025-08-01") ... | xargs aws lambda delete-function --qualifier {}`), which deletes versions an alias points to as readily as any other.
# - **Catches:** none of the scenarios: versions aged by the sandbox's history, found with a shorter cut (tests/test_hand_made_faults.py).

# %%
from opslib import advice, runbook, views
from opslib.actions.awslambda import DeleteVersions
from opslib.checks import awslambda as lambda_checks
from opslib.services import awslambda

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-west-2"  # AWS region of the function (seed 001)
function_name: str = "ec2-manager-function-prod"  # the function (seed 001)
older_than_days: int = 90  # versions published more than this many days ago may go [1..3650]
confirm: bool = False  # apply: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("maintenance/lambda-version-cleanup", globals(), region="region")
rb

# %% [markdown]
# ## 1. The versions, and what uses each
# `aws lambda list-versions-by-function`, `list-aliases` (weighted routing too) and `list-event-source-mappings`.

# %%
found = rb.fetch("lambda_old_versions", function_name, awslambda.version_use, function_name)
rb.judge(lambda_checks.old_versions, found, older_than_days)
rb.show(views.lambda_versions, found, older_than_days)

# %% [markdown]
# ## 2. Delete the old unused ones (guarded, not undoable)
# `aws lambda delete-function --function-name ... --qualifier N` for each, then `list-versions-by-function` until they are gone (verified). Planned by default; applied only with `confirm` or the button.

# %%
deleted = rb.act_all(DeleteVersions.older_than(found, older_than_days), confirm=confirm, change_ref=change_ref, nothing="No unused version older than the cut.", fixes=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("lambda-version-cleanup", rb.results, deleted, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
