# %% [markdown]
# # Security audit
#
# - **Purpose:** The account's standing risks, one row per finding with its resource, severity and the command that fixes it: IAM policies that allow everything, let their holder grant themselves more, or a whole service on every resource (and who holds them); access keys old, unused or doubled; the root account's keys and MFA; security groups open to the world beyond 80/443 and the instances with public addresses; buckets public or not blocking public access, and SSE-KMS where it is asked for; CloudTrail trails logging, and the calls refused lately (seed 001 "Security Hardening", seed 003 "Security Audit").
# - **When to use:** Monthly (seed 001 Monthly Tasks: "Security audit"; seed 003's checklist), or weekly from cron: read-only, red only on a finding nobody accepted.
# - **Expected time:** under 10 seconds.
# - **Impact:** None: reads IAM, EC2, S3 and CloudTrail. Findings the team reviewed and accepted are listed in the environment file (`accepted`), each shown as such.
# - **Replaces:** seed 001 "Security Hardening" (`aws iam list-policies --only-attached`, `aws iam get-account-summary`, `aws ec2 describe-security-groups`, `aws s3api get-bucket-encryption`), seed 003 "Security Audit" (`aws iam list-policies --scope Local`, `aws iam list-roles`, `describe-security-groups`, `describe-instances --query '...PublicIpAddress...'`) and "Security Review" (`aws logs filter-log-events --log-group-name CloudTrail/RMS --filter-pattern "{ $.errorCode = * }"`).
# - **Catches:** `security-breach`.

# %%
from opslib import advice, runbook
from opslib.checks import security as security_checks
from opslib.checks import security_audit as audit
from opslib.services import cloudtrail, security_audit

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
regions: list = ["us-east-1", "us-west-2"]  # where to read security groups, instances and trails
key_max_age_days: int = 90  # access keys older (or unused as long) are findings (seed 003's quarterly review) [1..3650]
kms_buckets: list = ["autostack-tfstate"]  # buckets that must use SSE-KMS (Terraform's state holds secrets in plain text)
trail_log_group: str = "CloudTrail/RMS"  # seed 003's trail log group, for the calls refused lately
trail_region: str = "us-east-1"  # ... and its region
trail_hours: int = 24  # how far back to read refused calls [1..168]
denied_warn: int = 10  # calls refused for one identity in the window (a day has a few) [1..10000]
denied_critical: int = 25  # ... and critical [1..10000]
accepted: list = []  # findings reviewed and accepted, `check_id:resource` and why (the environment file lists them)

# %%
rb = runbook.start("security/security-audit", globals(), region="trail_region")
rb

# %% [markdown]
# ## 1. IAM: policies, keys and the root account
# `aws iam list-policies --scope Local` with each default version and who holds it, every user's and role's inline policies, `list-access-keys` and `get-access-key-last-used`, `get-account-summary`; read together with the rest below.

# %%
found = rb.fetch("iam_policy_admin", "account", security_audit.everything, regions)
rb.judge(audit.iam_findings, found, key_max_age_days, accepted, env)

# %% [markdown]
# ## 2. What the world can reach: security groups, instances, buckets
# `aws ec2 describe-security-groups` and running instances in each region; each bucket's public access block, policy status, ACL and encryption.

# %%
rb.judge(audit.exposure, found, kms_buckets, accepted, env)

# %% [markdown]
# ## 3. CloudTrail: logging, and the calls refused lately
# `aws cloudtrail describe-trails` / `get-trail-status` in each region; seed 003's `filter-log-events --filter-pattern "{ $.errorCode = * }"` over the window.

# %%
refused = rb.fetch("cloudtrail_denied_calls", trail_log_group, cloudtrail.records, trail_log_group, trail_hours * 60)
rb.judge(audit.logging, found, accepted, env)
rb.judge(security_checks.denied_calls, refused, trail_hours * 60, denied_warn, denied_critical)

# %% [markdown]
# ## Next

# %%
rb.next(advice.security_audit(rb.results, rb.incident, env))

# %%
rb.summary()
