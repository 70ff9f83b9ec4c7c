# %% [markdown]
# # Post-mortem draft
#
# - **Purpose:** The post-mortem of an incident with its timeline already written: every run tagged with the incident (who, when, verdict, evidence), every check that went red, every action planned, confirmed and applied, every notification; root cause and resolution from the updates; a plot of the key metrics with what was done when. Files the draft as markdown beside the runs.
# - **When to use:** After the incident is resolved, before the review (seed 001: within 24 hours).
# - **Expected time:** under 15 seconds.
# - **Impact:** Read-only for AWS; writes the draft to runs/incidents/INC-YYYY-MMDD-NNN/postmortem.md.
# - **Replaces:** seed 000 "Post-Mortem Template" and seed 004 "Post-Incident Review Template".
# - **Incident:** required (`--incident ID`; by hand, an empty `incident_id` is the latest one).

# %%
from IPython.display import Markdown

from opslib import incidents, plots, postmortem, runbook, store, timeline, views

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
incident_id: str = ""  # the incident, INC-YYYY-MMDD-NNN
action_items: list[str] = []  # preventive measures agreed so far (default: the template's placeholders)
lessons: str = ""  # key takeaways, if already known
before_minutes: int = 120  # how long before the declaration the timeline looks for red runs and changes, minutes [0..10080]
stack: str = "EC2Manager-production"  # EC2 Manager's stack (seed 001)
ecs_cluster: str = "rms-cluster-prod"  # RMS's cluster (seed 003)
ecs_service: str = "rms-backend-service-prod"  # RMS's service
function_name: str = "ec2-manager-function-prod"  # EC2 Manager's function
alias: str = "LIVE"  # the alias its API calls
ec2m_region: str = "us-west-2"  # AWS region of EC2 Manager (seed 001)
rms_region: str = "us-east-1"  # AWS region of RMS (seed 003)
minutes_around: int = 15  # how much before and after the incident the plot shows, minutes [0..1440]

# %%
rb = runbook.start("incident/postmortem", globals())
team = rb.fetch("postmortem_evidence", "evidence store", store.team_evidence, rb.env, rb.env_data, rb.evidence, incident_id, default=rb.evidence)
inc = incidents.find(team, incident_id)
inc

# %% [markdown]
# ## 1. Timeline
# From the incident record, the ledger and the journal (every machine's, when the environment names an evidence store: each run with its person and machine, and whether it reached the store late); from `before_minutes` before the declaration, the red runs not tagged with it, the releases and changes made by hand (`aws cloudformation describe-stack-events`, `aws ecs describe-services`, `aws cloudtrail lookup-events`) and the alarms' state changes (`aws cloudwatch describe-alarm-history`).

# %%
changes = rb.fetch("postmortem_changes", "deployments", postmortem.changes, inc, before_minutes, stack, ecs_cluster, ecs_service, function_name, alias, ec2m_region, rms_region, default=[])
alarms = rb.fetch("postmortem_changes", "alarms", postmortem.alarm_changes, inc, before_minutes, [rms_region, ec2m_region], default=[])
events, _ = timeline.build(team, incident_id, before_minutes=before_minutes, changes=changes + alarms)  # and its runs, which the report copies
rb.header(postmortem.header(inc, events))
views.timeline(events)

# %% [markdown]
# ## 2. What was done when, against the service's key metrics

# %%
series = rb.fetch("postmortem_key_metrics", inc.service, postmortem.key_metrics, inc, minutes_around, timeline.milestones(events)[0][1], default={})
plots.incident(series, events, f"{inc.id}: {inc.service}")

# %% [markdown]
# ## 3. The draft

# %%
draft = postmortem.draft(inc, events, action_items, lessons)
rb.record(postmortem.file(rb, inc, draft))
Markdown(draft)

# %%
rb.summary()
