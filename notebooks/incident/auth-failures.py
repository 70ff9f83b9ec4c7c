# %% [markdown]
# # Authentication failures
#
# - **Purpose:** Users cannot sign in, or someone is trying too hard to: the user pool and its app clients (OAuth callbacks included), sign-in successes, and failed sign-ins by source address against the seed's security alert (10+ failures in 5 minutes).
# - **When to use:** Users report they cannot log in, a social login fails, or the security alert fires (seed 001 "Authentication Issues", "Security Alert"; seed 002 "Scenario 3: OAuth Callback Failed").
# - **Expected time:** under 10 seconds.
# - **Impact:** Read-only: changes nothing.
# - **Replaces:** seed 001 "Authentication Issues" steps 1-3 (`aws cognito-idp describe-user-pool`, `describe-user-pool-client`, `aws cloudwatch get-metric-statistics --metric-name SignInSuccesses`), seed 001's "Security Alert" (10+ auth failures in 5 min) and seed 002 "Scenario 3" step 2 (callback URLs match).
# - **Catches:** sandbox scenario `auth-failure-burst`.
#
# The sign-in log is the pool's user-activity log group (`/aws/cognito/<pool id>` unless `auth_log_group` names another). App client secrets are never read into the notebook.

# %%
from opslib import advice, runbook, views
from opslib.checks import cognito as cognito_checks
from opslib.services import cloudwatch, cognito

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-west-2"  # AWS region of the user pool (seed 001: us-west-2)
user_pool: str = "ec2-manager-users-production"  # the user pool, by name or id
auth_log_group: str = ""  # the pool's sign-in log; empty: /aws/cognito/<pool id>
expected_callbacks: list = ["https://ec2manager.example.com/auth/callback"]  # where the application expects logins to return (seed 002 Scenario 3)
window_minutes: int = 60  # how far back to read, minutes [5..1440]
burst_failures: int = 10  # failed sign-ins from one address that make a security alert (seed 001: 10+) [1..100000]
burst_minutes: int = 5  # within this many minutes (seed 001: 5) [1..1440]

# %%
rb = runbook.start("incident/auth-failures", globals(), region="region")
rb

# %% [markdown]
# ## 1. The user pool and its app clients
# `aws cognito-idp describe-user-pool --user-pool-id <user-pool-id>` and `describe-user-pool-client` for each client: flows, and the callback URLs a login may return to.

# %%
pool = rb.fetch("cognito_user_pool", user_pool, cognito.user_pool, user_pool)
rb.judge(cognito_checks.user_pool, pool)
rb.judge(cognito_checks.callbacks, pool, expected_callbacks)

# %% [markdown]
# ## 2. Who got in
# `aws cloudwatch get-metric-statistics --namespace AWS/Cognito --metric-name SignInSuccesses`, a Sum every 5 minutes.

# %%
(series,) = rb.fetch_all(("cognito_sign_in_successes", user_pool, cloudwatch.metric_data, cloudwatch.sign_in_metrics(pool), window_minutes, 300), when=pool)
rb.judge(cognito_checks.sign_in_successes, series, user_pool, window_minutes)
rb.show(views.bands, series, "successes", None, None, f"Sign-in successes: {user_pool}", "sign-ins per 5 min")

# %% [markdown]
# ## 3. Who failed, and from where
# `aws logs filter-log-events --filter-pattern '{ $.event = "SignIn" }'` on the pool's sign-in log: failures counted per source address over any 5 minutes (seed 001's security alert).

# %%
(events,) = rb.fetch_all(("cognito_auth_failure_burst", user_pool, cognito.sign_ins, pool, auth_log_group, window_minutes), when=pool)
rb.judge(cognito_checks.failure_bursts, events, user_pool, burst_failures, burst_minutes)
rb.show(views.sign_in_failures, events)

# %% [markdown]
# ## Next

# %%
rb.next(advice.auth_failures(rb.results, pool, rb.incident, env))

# %%
rb.summary()
