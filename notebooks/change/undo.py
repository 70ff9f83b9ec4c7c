# %% [markdown]
# # Undo a run's changes
#
# - **Purpose:** Put back what an earlier run changed: its applied changes as the journal holds them, and the undo of each as a guarded action of its own (a plan with its id, applied only when confirmed, verified); changes that have no undo are named.
# - **When to use:** A change made things worse, or was only meant for a while (a scale-up, an isolated API); `opslib undo RUN-ID` runs this notebook.
# - **Expected time:** under 10 seconds to plan; applying waits as the original change did.
# - **Impact:** Changes nothing unless confirmed (`opslib undo RUN-ID --confirm PLAN-...`; `true` outside production): each undo is the opposite of the change it puts back.
# - **Replaces:** the seeds' rollback steps run in reverse by hand (seed 001 "Rollback Checklist": "Create backup of current state" is the journal's before state here).
# - **Catches:** none: a change made on request (rehearse it on any sandbox after a confirmed run).

# %%
from opslib import advice, runbook, store, undo, views
from opslib.checks import undo as undo_checks

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
undo_run: str = ""  # the run whose changes to put back; empty: the newest run that applied one (`opslib history` lists runs)
confirm: bool = False  # apply: the plan ids the dry run printed (true outside production applies the plans made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("change/undo", globals())
rb

# %% [markdown]
# ## 1. What that run changed
# The journal's records of its applied actions (any machine's, when the environment names an evidence store): each change, before and after, whether it was verified, and how to undo it.

# %%
team = rb.fetch("undo_evidence", "evidence store", store.team_evidence, rb.env, rb.env_data, rb.evidence, default=rb.evidence)
target = undo.which(team, undo_run)
done = undo.applied(team, target)
rb.record(undo_checks.coverage(done, target))
rb.show(views.applied_changes, done, target)

# %% [markdown]
# ## 2. Put it back (guarded)
# Each undo planned from the state now (the newest change first); applied only with `confirm` or the button.

# %%
undone = rb.act_all(undo.actions(done), confirm=confirm, change_ref=change_ref, nothing="Nothing to put back.")

# %% [markdown]
# ## Next

# %%
rb.next(advice.undo(rb.results, undone, rb.run_id, target, rb.incident, env, undo.run_of(team, target)))

# %%
rb.summary()
