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

from opslib import incidents, plots, postmortem, runbook, timeline, views

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
incident_id: str = ""  # the incident, INC-YYYY-MMDD-NNN
action_items: list[str] = []  # preventive measures agreed so far (default: the template's placeholders)
lessons: str = ""  # key takeaways, if already known
minutes_around: int = 15  # how much before and after the incident the plot shows, minutes [0..1440]

# %%
rb = runbook.start("incident/postmortem", globals())
inc = incidents.find(rb.evidence, incident_id)
inc

# %% [markdown]
# ## 1. Timeline
# From the incident record, the ledger and the journal.

# %%
events, _ = timeline.build(rb.evidence, incident_id)  # and its runs, which the report copies
views.timeline(events)

# %% [markdown]
# ## 2. What was done when, against the service's key metrics

# %%
series = rb.fetch("postmortem_key_metrics", inc.service, postmortem.key_metrics, inc, minutes_around, default={})
plots.incident(series, events, f"{inc.id}: {inc.service}")

# %% [markdown]
# ## 3. The draft

# %%
draft = postmortem.draft(inc, events, action_items, lessons)
rb.record(postmortem.file(rb, inc, draft))
Markdown(draft)

# %%
rb.summary()
