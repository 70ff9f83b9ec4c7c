# %% [markdown]
# # Database connection errors
#
# - **Purpose:** The service cannot reach its database: is the instance available, does a security-group rule let the application in on the port, can a connection be made now (timed, with the server's answer), and how many of its connections are used.
# - **When to use:** `could not connect to server`, `too many clients`, "database connection failed" in the service's log (seed 004 "Database Connection Errors", seed 002 "Scenario 4").
# - **Expected time:** under 10 seconds.
# - **Impact:** Read-only: opens one connection to the database and closes it.
# - **Replaces:** seed 004 "Database Connection Errors" steps 1-4 (`aws rds describe-db-instances`, `aws ec2 describe-security-groups`, `psql -h <db-host> -U <user> -d <database>`, max_connections) and seed 002 "Scenario 4" steps 1-2.
# - **Catches:** sandbox scenario `db-connections-exhausted`.
#
# Credentials come from Secrets Manager (the secret RDS keeps) and are never shown.

# %%
from opslib import advice, runbook
from opslib.checks import postgres as db_checks, rds as rds_checks
from opslib.services import ec2, postgres, rds, secretsmanager

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
ir_region: str = "us-east-1"  # AWS region of the incident-response service (seed 004)
database: str = "incident-response-prod"  # the service's RDS instance (seed 004)
db_secret: str = "incident-response/production/database"  # Secrets Manager secret with username, password, host, port, dbname
app_security_group: str = "incident-response-app-sg"  # the application's security group (name or id)
connect_timeout_s: float = 5.0  # how long the connection test may take, seconds [1..60]
slow_connect_ms: float = 1000.0  # a connection slower than this warns, ms [1..60000]
connections_warn_pct: float = 80.0  # share of usable connections in use that warns, % [1..100]
connections_critical_pct: float = 95.0  # share of usable connections in use that is critical, % [1..100]

# %%
rb = runbook.start("incident/database-connection", globals(), region="ir_region")
rb

# %% [markdown]
# ## 1. Is the database running?
# `aws rds describe-db-instances --db-instance-identifier incident-response-prod`

# %%
found = rb.fetch("rds_instance_available", database, rds.describe_instance, database)
rb.judge(rds_checks.available, found)

# %% [markdown]
# ## 2. May the application reach it?
# `aws ec2 describe-security-groups`: the rule of the database's groups that lets the application's group in on its port.

# %%
(path,) = rb.fetch_all(("ec2_db_ingress", database, ec2.ingress_path, found, app_security_group), when=found)
rb.judge(db_checks.network_path, path, database)

# %% [markdown]
# ## 3. Connect, as the service does
# `psql -h <db-host> -U <user> -d <database>` with the secret's credentials, timed; then how many connections are in use of those the service may open.

# %%
creds = rb.fetch("postgres_connection", db_secret, secretsmanager.credentials, db_secret)
(test,) = rb.fetch_all(("postgres_connection", database, postgres.connect, creds, connect_timeout_s), when=creds)
rb.judge(db_checks.connection, test, database, slow_connect_ms)
rb.judge(db_checks.connections_used, test, database, connections_warn_pct, connections_critical_pct)

# %% [markdown]
# ## Next

# %%
rb.next(advice.database_connection(rb.results, database, rb.incident, env))

# %%
rb.summary()
