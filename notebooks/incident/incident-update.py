# %% [markdown]
# # Update or resolve an incident
#
# - **Purpose:** Post a status update (elapsed time since the start, status, root cause, actions taken, ETA) or resolve the incident (duration, root cause, resolution, impact, post-mortem date), to Slack and/or SNS; resolving closes the record with its duration.
# - **When to use:** Every 15 minutes for a P1 and 30 for a P2 (seed 001), and once when it is over.
# - **Expected time:** under 10 seconds.
# - **Impact:** Dry run by default. With `confirm=True`: appends to the incident record and sends the notice; changes no infrastructure.
# - **Replaces:** seed 001 "Status Update Template" and "Resolution Notification"; seed 003 "Resolution Notification" (RMS).
# - **Incident:** required, open (`--incident ID`; by hand, an empty `incident_id` is the latest open one).

# %%
from opslib import incidents, runbook
from opslib.actions.incident import UpdateIncident
from opslib.secrets import Secret
from opslib.services import notify

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
incident_id: str = ""  # the incident, INC-YYYY-MMDD-NNN
status: str = ""  # e.g. "Mitigation in progress" (default: unchanged)
root_cause: str = ""  # what is known of the cause
actions_taken: list[str] = []  # what was done since the last update
eta: str = ""  # e.g. "15 minutes to full resolution"
resolve: bool = False  # resolve the incident instead of posting an update
resolution: str = ""  # what fixed it (needed with resolve)
impact: str = ""  # final impact for the resolution notice, e.g. "~500 users affected, data integrity maintained"
postmortem_at: str = ""  # when the post-mortem review is (default: 10:00 UTC the next day)
slack_webhook: Secret = ""  # Slack incoming webhook URL, as env:VARIABLE
sns_topic_arn: str = ""  # SNS topic to publish to (seed 001: SNS to Slack)
notify_by_service: dict = {}  # each service's own channels, {service: {slack_webhook, sns_topic_arn}}, from the environment file
confirm: bool = False  # record and send (otherwise a dry run)

# %%
rb = runbook.start("incident/incident-update", globals())
rb

# %% [markdown]
# ## 1. The incident, and whether this update is on time
# Seed 001: updates every 15 minutes for P1, 30 for P2.

# %%
inc = incidents.find(rb.evidence, incident_id)
rb.record(incidents.cadence_check(inc))
inc

# %% [markdown]
# ## 2. Update or resolve (guarded)

# %%
update = UpdateIncident(rb, incident_id, status, root_cause, actions_taken, eta, resolve, resolution, impact, postmortem_at, notify.channels_for(inc.service, slack_webhook, sns_topic_arn, notify_by_service))
print(update.message())

# %%
rb.act(update, confirm=confirm)

# %% [markdown]
# ## 3. Next

# %%
print(update.next_steps())

# %%
rb.summary()
