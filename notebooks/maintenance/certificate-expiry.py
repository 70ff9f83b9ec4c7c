# %% [markdown]
# # Certificate expiry
#
# - **Purpose:** Every ACM certificate in every region with its days to expiry, what serves it (load balancer listener, CloudFront) and whether ACM renews it; and what each live TLS endpoint actually presents, read over the network (seed 003 "Certificate Management", seed 004 "SSL Certificate Renewal").
# - **When to use:** Monthly (seed 003's checklist: "Verify SSL certificate expiration dates"), or daily from cron: read-only, red only when a certificate in use nears its end (warn at 30 days, critical at 7) or an endpoint serves an older one than ACM holds.
# - **Expected time:** under 5 seconds.
# - **Impact:** None: reads ACM and opens a TLS connection to each endpoint. Renewing is the team's (seed 003 "Manual Certificate Update"); each row names the command.
# - **Replaces:** seed 003 "SSL Certificate Renewal" (`aws acm list-certificates --certificate-statuses ISSUED`, `aws acm describe-certificate --query 'Certificate.[DomainName,Status,NotAfter]'`), seed 004 (`openssl s_client -connect api.example.com:443 -servername api.example.com | openssl x509 -noout -dates`).
# - **Catches:** `cert-expiring`.

# %%
from opslib import advice, runbook, views
from opslib.aws import in_regions
from opslib.checks import acm as acm_checks
from opslib.services import acm, tls

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
regions: list = ["us-east-1", "us-west-2"]  # where to list certificates (CloudFront's are always in us-east-1)
warn_days: int = 30  # a certificate in use with this many days left or fewer is a warning [1..365]
critical_days: int = 7  # ... and critical (seed 004: renew before it lapses) [0..90]
tls_endpoints: dict = {}  # the live endpoints to read, server name to https URL (the environment file names them)

# %%
rb = runbook.start("maintenance/certificate-expiry", globals())
rb

# %% [markdown]
# ## 1. Every certificate in ACM, and what serves it
# `aws acm list-certificates` (every key type: by default it lists RSA only) and `describe-certificate` of each, in each region: NotAfter, status, type (ACM renews the ones it issued; imported ones are the team's to renew) and InUseBy.

# %%
certs = rb.fetch("acm_certificate_expiry", "ACM", in_regions, regions, acm.certificates)
rb.judge(acm_checks.expiry, certs, warn_days, critical_days)

# %% [markdown]
# ## 2. What each live endpoint presents
# A TLS handshake with each endpoint, asking for its name by SNI as `openssl s_client -servername` does: the certificate a client gets, and whether ACM holds a newer one it does not serve.

# %%
found = rb.fetch("tls_certificate_presented", "endpoints", tls.all_presented, tls_endpoints)
rb.judge(acm_checks.presented, found, certs, warn_days, critical_days)
rb.show(views.certificates, certs, found)

# %% [markdown]
# ## Next

# %%
rb.next(advice.certificates(rb.results, rb.incident, env))

# %%
rb.summary()
