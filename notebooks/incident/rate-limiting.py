# %% [markdown]
# # Rate limiting
#
# - **Purpose:** Users get 429s: who is being refused, how much of it is a few addresses, and the block list to paste; or, when nobody stands out, that the limits are too low for the traffic.
# - **When to use:** Users report 429 (Too Many Requests), or a flood of requests (seed 002 "Scenario 2: Rate Limiting Triggered").
# - **Expected time:** under 10 seconds (a million log lines count in about a second: benchmarks/rate_limit_counting.py).
# - **Impact:** Read-only: changes nothing; the block list is printed to paste, not applied.
# - **Replaces:** seed 002 "Scenario 2" steps 1-3 (`docker logs autostack-backend | grep "429" | awk '{print $1}' | sort | uniq -c`, `deny 1.2.3.4;`).
# - **Catches:** sandbox scenario `rate-limit-attack`.
#
# The seed's `grep "429"` also counts a line whose size or time holds 429; here CloudWatch matches the status field (`[ip, ident, user, time, request, status=429, ...]`) and the pages are counted as they stream, in bounded memory.

# %%
from opslib import advice, runbook, views
from opslib.checks import ratelimit as ratelimit_checks
from opslib.services import access_logs

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-east-1"  # AWS region of the backend's log (seed 002: AutoStack)
log_group: str = "/autostack/backend"  # the backend's access log (seed 002: docker logs autostack-backend)
window_minutes: int = 15  # how far back to count, minutes [1..1440]
status: int = 429  # the refusal to count [100..599]
block_at: int = 100  # refusals from one address in the window that put it on the block list [1..10000000]
spread_warn: int = 200  # refusals in all, with no address to blame, that warn (limits too low?) [1..10000000]
allow: list = ["10.0.0.0/8"]  # networks never to block (the office, health checkers, your own NAT)
top_n: int = 10  # addresses to list [1..1000]

# %%
rb = runbook.start("incident/rate-limiting", globals(), region="region")
rb

# %% [markdown]
# ## 1. Who is refused
# `grep "429" | awk '{print $1}' | sort | uniq -c`, at CloudWatch: the lines answered 429, counted by client address.

# %%
found = rb.fetch("ratelimit_offenders", log_group, access_logs.refused_by_client, log_group, window_minutes, status)
rb.judge(ratelimit_checks.refusals, found, block_at, spread_warn, allow)
rb.show(views.refusals, found, top_n)

# %% [markdown]
# ## 2. The block list
# Seed 002 step 3, for the addresses with `block_at`+ refusals outside `allow`: nginx `deny` lines and the AWS WAF IP set update.

# %%
rb.show(views.block_list, found, block_at, allow)

# %% [markdown]
# ## Next

# %%
rb.next(advice.rate_limiting(rb.results, rb.incident, env))

# %%
rb.summary()
