# %% [markdown]
# # Auto-scaling policy
#
# - **Purpose:** How the ECS service scales on its own: the scalable target's bounds, the policies on it, and the guarded change to seed 003's target-tracking policy (70 % average CPU, cooldowns 300 s), each a plan with its id, applied only when confirmed, verified, undoable.
# - **When to use:** The service does not scale with its load (performance-review shows CPU pinned, scale-service was needed by hand), or ahead of a change of its bounds (seed 003 "Auto-Scaling Configuration").
# - **Expected time:** under 10 seconds.
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production): `aws application-autoscaling register-scalable-target` and `put-scaling-policy` (which creates the policy's CloudWatch alarms). Undo: `opslib undo RUN-ID`.
# - **Replaces:** seed 003 "Auto-Scaling Configuration" (`aws application-autoscaling put-scaling-policy --policy-name rms-backend-scaling-policy --policy-type TargetTrackingScaling ...`).
# - **Catches:** none: a change made on request (rehearse it on any sandbox).

# %%
from opslib import advice, runbook, views
from opslib.actions.autoscaling import SetScalableTarget, SetTargetTracking
from opslib.checks import autoscaling as autoscaling_checks
from opslib.services import autoscaling, ecs

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-east-1"  # AWS region of the service (seed 003: RMS)
cluster: str = "rms-cluster-prod"  # the ECS cluster (seed 003)
service: str = "rms-backend-service-prod"  # the service (seed 003)
min_capacity: int = 2  # fewest tasks auto scaling may leave [0..1000]
max_capacity: int = 10  # most tasks auto scaling may start [1..1000]
policy_name: str = "rms-backend-scaling-policy"  # the target-tracking policy (seed 003)
target_cpu_pct: float = 70.0  # average CPU the service is kept at, % (seed 003: 70) [10..90]
scale_out_cooldown_s: int = 300  # seconds after a scale-out before the next (seed 003: 300) [0..3600]
scale_in_cooldown_s: int = 300  # seconds after a scale-in before the next (seed 003: 300) [0..3600]
confirm: bool = False  # apply: the plan ids the dry run printed (true outside production applies the plans made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("change/autoscaling-policy", globals(), region="region")
rb

# %% [markdown]
# ## 1. How the service scales now
# `aws application-autoscaling describe-scalable-targets`, `describe-scaling-policies` and `aws ecs describe-services`.

# %%
resource = autoscaling.resource_id(cluster, service)
target, policies, svc = rb.fetch_all(("autoscaling_target", resource, autoscaling.scalable_target, resource), ("autoscaling_policies", resource, autoscaling.policies, resource),
                                     ("ecs_service", service, ecs.describe_service, cluster, service))
rb.judge(autoscaling_checks.headroom, target, svc)
rb.show(views.scaling, target, policies)

# %% [markdown]
# ## 2. The bounds and the target-tracking policy (guarded)
# `aws application-autoscaling register-scalable-target --min-capacity 2 --max-capacity 10`, then `put-scaling-policy --policy-type TargetTrackingScaling` with seed 003's configuration. Each planned only where it differs from what is there; applied only with `confirm` or the button.

# %%
wanted = SetScalableTarget.requested(cluster, service, min_capacity, max_capacity) + SetTargetTracking.requested(cluster, service, policy_name, target_cpu_pct, scale_out_cooldown_s, scale_in_cooldown_s)
changed = rb.act_all(wanted, confirm=confirm, change_ref=change_ref, nothing="The service already scales as asked.")

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("autoscaling-policy", rb.results, changed, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
