# %% [markdown]
# # Roll back the stack
#
# - **Purpose:** Put EC2 Manager's CloudFormation stack back to the template and parameters of an earlier release: the stack's status and recent updates, the releases the pipeline kept (each version of its release object in S3) and which one runs, the guarded update back to the one before (a plan with its id, applied only when confirmed), watched until it settles, verified with `get-template`, undoable.
# - **When to use:** A stack update broke the system: high-error-rate or deploy-verify names a `cloudformation:` deployment (seed 001 "Production Rollback (Emergency)").
# - **Expected time:** under 10 seconds to plan; applying watches the update (minutes on AWS).
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production): `aws cloudformation update-stack` with the earlier release's template and parameters. Undo: `opslib undo RUN-ID` updates it back to what it ran.
# - **Replaces:** seed 001 "Manual Rollback Procedures" (`./scripts/rollback.sh prod previous`, then `watch -n 30 'aws cloudformation describe-stacks --stack-name EC2Manager-production --query "Stacks[0].StackStatus"'`).
# - **Catches:** none: it rolls back what high-error-rate and deploy-verify name (rehearse it after the sandbox's bad deploy).

# %%
from opslib import advice, runbook, views
from opslib.actions.cloudformation import UpdateStack
from opslib.checks import cloudformation as stack_checks
from opslib.services import cloudformation, deployments

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-west-2"  # AWS region of the stack (seed 001)
stack: str = "EC2Manager-production"  # the stack (seed 001)
releases_bucket: str = "ec2-manager-deployments-123456789012"  # where the pipeline keeps each release (versioned)
release_key: str = "cloudformation/EC2Manager-production/release.json"  # the release object: template, parameters, release name
to_release: str = ""  # the release to go back to (its name, e.g. 1.3.0); empty: the one before the release the stack runs
lookback_hours: int = 24  # the stack's updates to list, hours [1..720]
confirm: bool = False  # apply the rollback: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("change/rollback-stack", globals(), region="region")
rb

# %% [markdown]
# ## 1. The stack now, and its updates
# `aws cloudformation describe-stacks` and `describe-stack-events` (its own UPDATE_IN_PROGRESS events, newest first).

# %%
now, updates = rb.fetch_all(("cloudformation_stack_status", stack, cloudformation.deployed, stack), ("cloudformation_stack_status", stack, deployments.stack_updates, stack, deployments.hours_ago(lookback_hours)))
rb.judge(stack_checks.stack_status, (now or {}).get("stack"))
rb.show(views.deployments, updates, lookback_hours)

# %% [markdown]
# ## 2. The releases, and which one runs
# `aws s3api list-object-versions` of the release object, then `get-object --version-id` of each (newest five): the template and parameters each release deployed, compared with `get-template` and the stack's parameters.

# %%
found = rb.fetch("cloudformation_release", f"s3://{releases_bucket}/{release_key}", cloudformation.releases, releases_bucket, release_key)
rb.judge(stack_checks.release, stack, now, found, f"s3://{releases_bucket}/{release_key}")
rb.show(views.stack_releases, found, now)

# %% [markdown]
# ## 3. Back to the release before (guarded)
# `aws cloudformation update-stack --template-body <that release's template> --parameters <its parameters>`, then `describe-stacks` until it settles (progress printed) and `get-template` shows it (verified). Planned by default; applied only with `confirm` or the button.

# %%
target = cloudformation.target_release(now, found, to_release)
moved = rb.act_all(UpdateStack.rollback(stack, now, target, region), confirm=confirm, change_ref=change_ref, nothing="No earlier release to roll back to.", fixes=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("rollback-stack", rb.results, moved, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
