# %% [markdown]
# # Credential rotation
#
# - **Purpose:** Each secret's age against its rotation policy, and the guarded rotation of a generated secret as Secrets Manager rotation does it (a new version staged `AWSPENDING`, then made `AWSCURRENT`); the consumers to restart, the OAuth secrets a provider issues, and the IAM role's review as a checklist (seed 002 "Credential Rotation").
# - **When to use:** Monthly from cron (read-only by default: red only when a secret is due within `warn_before_days` or overdue), and to rotate one (seed 000/003 checklists: "Rotate secrets").
# - **Expected time:** under 5 seconds.
# - **Impact:** Changes nothing unless `rotate` names a secret and it is confirmed (`-p confirm=PLAN-...`; `true` outside production): fresh values for `rotate_keys`, never shown, saved or journaled (their length and SHA-256 prefix only). Rotating JWT_SECRET signs out every user (seed 002): tell them first. `opslib undo RUN-ID` makes the previous version current again.
# - **Replaces:** seed 002 "Rotate JWT Secrets" (`python -c "import secrets; print(secrets.token_urlsafe(32))"`, edit backend .env, `docker-compose restart backend`), "Rotate GitHub OAuth Secrets", "Rotate Google OAuth Secrets", "Rotate AWS IAM Role".
# - **Catches:** `credential-overdue`.

# %%
from opslib import advice, runbook, views
from opslib.actions.credentials import RotateSecret
from opslib.checks import credentials as credential_checks
from opslib.services import secretsmanager

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-east-1"  # where the secrets are kept (AutoStack's region, seed 002)
policies: dict = {"autostack/production/github-oauth": 90, "autostack/production/google-oauth": 90, "autostack/production/jwt": 180}  # secret: rotate every N days (seed 002)
warn_before_days: int = 14  # a secret due within this many days is a warning [0..90]
rotate: str = ""  # the secret to rotate now (one of policies); empty: rotate nothing
rotate_keys: list = ["JWT_SECRET", "SECRET_KEY"]  # the keys of its JSON given fresh values (seed 002: the JWT secrets)
consumers: dict = {"autostack/production/jwt": "AutoStack backend: docker-compose restart backend (seed 002; every session ends)", "autostack/production/github-oauth": "AutoStack backend: docker-compose restart backend, then curl http://localhost:8000/auth/github", "autostack/production/google-oauth": "AutoStack backend: docker-compose restart backend, then curl http://localhost:8000/auth/google"}  # secret: what reads it and how to restart it
oauth: dict = {"autostack/production/github-oauth": "https://github.com/settings/developers", "autostack/production/google-oauth": "https://console.cloud.google.com/apis/credentials"}  # provider-issued secrets: where they are rotated
role: str = "AutoStackTerraformRole"  # the IAM role reviewed quarterly (seed 002)
confirm: bool = False  # apply: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("security/credential-rotation", globals(), region="region")
rb

# %% [markdown]
# ## 1. Each secret's age against its policy
# `aws secretsmanager describe-secret` and `list-secret-version-ids` of each (its value is never read here): the age of the value in use (its current version's), its versions' stages, and a rotation left halfway (`AWSPENDING` on another version).

# %%
found = rb.fetch("secret_rotation_age", "secrets", secretsmanager.described, list(policies))
rb.judge(credential_checks.ages, found, policies, warn_before_days, oauth, consumers)
rb.judge(credential_checks.pending, found)
rb.show(views.secret_ages, found, policies)

# %% [markdown]
# ## 2. Rotate one (guarded)
# A new version with fresh values (`secrets.token_urlsafe(32)` each, as seed 002 makes them) put as `AWSPENDING`, then `update-secret-version-stage` moves `AWSCURRENT` to it; the old one stays as `AWSPREVIOUS`. Only with `-p rotate=NAME`; planned by default.

# %%
rotated = rb.act_all(RotateSecret.asked(rotate, rotate_keys, policies), confirm=confirm, change_ref=change_ref, nothing="No rotation asked.")

# %% [markdown]
# ## 3. What rotation leaves to people

# %%
print(views.rotation_checklist(consumers, oauth, role))

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("credential-rotation", rb.results, rotated, rb.run_id, rb.incident, env, rb.asked, then=advice.restart_then(consumers, rotate)))

# %%
rb.summary()
