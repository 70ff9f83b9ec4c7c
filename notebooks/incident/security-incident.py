# %% [markdown]
# # Security incident
#
# - **Purpose:** A suspected breach: what the trail shows (calls refused again and again, IAM, trail and key changes that succeeded), who failed to sign in and from where; then the seed's containment as guarded actions: the API isolated by a deny-all resource policy (undoable), a compromised user signed out everywhere, the last 24 hours of logs exported to the evidence bucket; the processed stack template kept in this run; seed 001's security checklist, with what this run did about each item.
# - **When to use:** A security alert, or anything that looks like someone else is using the system (seed 001 "Suspected Security Breach"; "Security Event Detection").
# - **Expected time:** under 15 seconds to plan.
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production). Isolating the API (`-p isolate_api=true`) stops every caller, users included: `aws apigateway update-rest-api --patch-ops op=replace,path=/policy,...`; undo: `opslib undo RUN-ID`. Signing out a user (`-p sign_out_user=NAME`) has no undo. The export writes to the evidence bucket.
# - **Replaces:** seed 001 "Suspected Security Breach" (`update-rest-api` deny-all policy, `admin-user-global-sign-out`, `logs create-export-task --from 24 hours ago --destination security-incident-logs-bucket`, `cloudformation get-template --template-stage Processed`), "Security Event Detection" (`filter-log-events --filter-pattern '{$.errorCode = "*"}'` on the trail, Cognito `FAILED`) and its "Security Incident Checklist".
# - **Catches:** sandbox scenarios `auth-failure-burst`, `security-breach`.
#
# Thresholds: calls refused for one identity within `denied_minutes` warn at 10 and are critical at 25 (a day here has a few); any successful high-risk call (IAM user, key or policy, trail, bucket policy, KMS key) is critical; 10+ failed sign-ins from one address in 5 minutes is seed 001's security alert.

# %%
from opslib import advice, runbook, views
from opslib.actions.logs import ExportLogs
from opslib.actions.security import GlobalSignOut, SetApiPolicy
from opslib.checks import cognito as cognito_checks, security as security_checks
from opslib.services import apigateway, cloudformation, cloudtrail, cognito

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-west-2"  # AWS region of EC2 Manager (seed 001)
trail_log_group: str = "CloudTrail/ec2-manager-trail-production"  # where the trail delivers its records (seed 001: CloudTrail/<trail-name>)
trail_hours: int = 24  # how far back to look for high-risk calls, hours [1..168]
denied_minutes: int = 60  # how far back to count refused calls, minutes (seed 001: the last hour) [5..1440]
denied_warn: int = 10  # calls refused for one identity in that window that warn [1..100000]
denied_critical: int = 25  # calls refused for one identity in that window that are critical [1..100000]
user_pool: str = "ec2-manager-users-production"  # the user pool, by name or id (seed 001)
burst_failures: int = 10  # failed sign-ins from one address that make a security alert (seed 001: 10+) [1..100000]
burst_minutes: int = 5  # within this many minutes (seed 001: 5) [1..1440]
api_name: str = "ec2-manager-api-production"  # the API to isolate (seed 001's <api-id> is its id)
isolate_api: bool = False  # plan the deny-all resource policy on the API (stops every caller)
sign_out_user: str = ""  # a compromised user to sign out everywhere (seed 001: <compromised-user>)
evidence_log_groups: list[str] = ["/aws/ec2-manager/prod", "CloudTrail/ec2-manager-trail-production"]  # logs to preserve (seed 001: /aws/ec2-manager/prod)
evidence_bucket: str = "security-incident-logs-bucket"  # where the export goes (seed 001)
evidence_hours: int = 24  # how much of each log to export, hours (seed 001: 24) [1..168]
stack: str = "EC2Manager-production"  # the stack whose processed template is kept (seed 001)
confirm: bool = False  # apply: the plan ids the dry run printed (true outside production applies the plans made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("incident/security-incident", globals(), region="region")
rb

# %% [markdown]
# ## 1. What the trail shows
# `aws logs filter-log-events --log-group-name CloudTrail/<trail-name>` over the last day: calls refused per identity (seed 001: `{$.errorCode = "*"}` in the last hour), and the IAM, trail, key and bucket-policy changes that succeeded.

# %%
found = rb.fetch("cloudtrail_high_risk_calls", trail_log_group, cloudtrail.records, trail_log_group, trail_hours * 60)
rb.judge(security_checks.denied_calls, found, denied_minutes, denied_warn, denied_critical)
rb.judge(security_checks.high_risk_calls, found, trail_hours)
rb.show(views.security_events, found, denied_minutes)

# %% [markdown]
# ## 2. Who failed to sign in, and from where
# Seed 001 "Monitor authentication failures": the pool's sign-in log, failures per source address over any 5 minutes.

# %%
pool = rb.fetch("cognito_user_pool", user_pool, cognito.user_pool, user_pool)
(events,) = rb.fetch_all(("cognito_auth_failure_burst", user_pool, cognito.sign_ins, pool, "", 60), when=pool)
rb.judge(cognito_checks.failure_bursts, events, user_pool, burst_failures, burst_minutes)

# %% [markdown]
# ## 3. The stack as it is now (kept as evidence)
# `aws cloudformation get-template --stack-name EC2Manager-production --template-stage Processed`: kept in this run's filed notebook, whose hash the ledger holds.

# %%
template = rb.fetch("cloudformation_template", stack, cloudformation.processed_template, stack, region)
rb.show(views.template, template)

# %% [markdown]
# ## 4. Contain and preserve (guarded)
# Isolate the API with the seed's deny-all resource policy (when asked), sign the compromised user out everywhere (when named), export the last day of each log to the evidence bucket. Planned by default; applied only with `confirm` or the button.

# %%
api = rb.fetch("apigateway_rest_api", api_name, apigateway.rest_api, api_name)
wanted = SetApiPolicy.isolate(api, isolate_api) + GlobalSignOut.requested(pool, sign_out_user) + ExportLogs.window_of(evidence_log_groups, evidence_bucket, evidence_hours * 60, under="security-incident")
contained = rb.act_all(wanted, confirm=confirm, change_ref=change_ref, nothing="Nothing asked.")

# %% [markdown]
# ## 5. Seed 001's security checklist

# %%
rb.show(views.security_checklist, contained, rb.incident, env)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("security-incident", rb.results, contained, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
