# %% [markdown]
# # Declare an incident
#
# - **Purpose:** Classify the severity from four impact answers, open an incident record (`INC-YYYY-MMDD-NNN`) every responder's runs can see, and send the initial notification to Slack and/or SNS.
# - **When to use:** As soon as an alert or a report looks like an incident (seed 001: declare a P1 within 2 minutes).
# - **Expected time:** under 10 seconds.
# - **Impact:** Dry run by default. With `confirm=True`: writes the incident record (runs/incidents.jsonl) and sends the notification; changes no infrastructure.
# - **Replaces:** seed 001 "Incident Classification" and "Initial Incident Notification"; the severity tables of seeds 000, 003 and 004 (parameters/incidents/severity.yaml).
# - **Incident:** declares one; then tag every run with `--incident ID`.

# %%
from opslib import incidents, runbook
from opslib.actions.incident import DeclareIncident
from opslib.secrets import Secret
from opslib.services import notify
from opslib.severity import classify

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
service: str = "EC2 Manager Production"  # the affected service, as parameters/incidents/severity.yaml names it
impact: str = ""  # what users see, e.g. "Complete service outage" (default: what the answers say)
summary: str = ""  # initial assessment, e.g. "API Gateway returning 5xx errors" (default: to follow)
service_down: bool = False  # is the service down for everyone?
data_lost: bool = False  # was data lost or corrupted?
users_affected_pct: float = 0.0  # share of users affected, % [0..100]
workaround: bool = False  # can affected users work around it?
severity: str = ""  # a level of the service's scale (e.g. P2) to use instead of the answers
commander: str = ""  # incident commander (default: whoever runs this)
current_actions: str = ""  # what is being done now, e.g. "Checking recent deployments, reviewing logs"
slack_webhook: Secret = ""  # Slack incoming webhook URL, as env:VARIABLE
sns_topic_arn: str = ""  # SNS topic to publish to (seed 001: SNS to Slack)
notify_by_service: dict = {}  # each service's own channels, {service: {slack_webhook, sns_topic_arn}}, from the environment file
confirm: bool = False  # declare and send (otherwise a dry run)

# %%
rb = runbook.start("incident/incident-declare", globals())
rb

# %% [markdown]
# ## 1. Severity
# The answers give a tier; the service's own scale (seed 000, 001, 003 or 004) names it, with its response time, who to page and how often to post an update.

# %%
level = classify(service, service_down, data_lost, users_affected_pct, workaround, severity)
level

# %% [markdown]
# ## 2. Is one already open?

# %%
rb.record(incidents.already_open(rb.evidence, service))

# %% [markdown]
# ## 3. Declare and notify (guarded)
# The record and seed 001's "🚨 INCIDENT DECLARED" message, sent only with `confirm=True` (or the button).

# %%
declare = DeclareIncident(rb, level, service, impact, summary, commander, current_actions, notify.channels_for(service, slack_webhook, sns_topic_arn, notify_by_service))
print(declare.message())

# %%
rb.act(declare, confirm=confirm)

# %% [markdown]
# ## 4. Next

# %%
print(declare.next_steps())

# %%
rb.summary()
