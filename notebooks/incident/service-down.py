# %% [markdown]
# # Service down
#
# - **Purpose:** The service answers nothing: which layer is down, and the first fix. The web app's `/health`, its instance's status checks, its `webapp` container and last log lines (through SSM), EC2 Manager's stack, its critical dependencies (the audit table, the function) and recent log errors; a guarded container restart or instance reboot when one is called for; seed 000's escalation path against the time since the incident started.
# - **When to use:** `/health` fails, every request times out, the P0/P1 alarms fire (seed 000 "P0: Service Completely Down", seed 001 "Complete System Outage").
# - **Expected time:** under 20 seconds (SSM commands take a few seconds each on AWS).
# - **Impact:** Read-only unless `confirm=True`: then starts the stopped instance, restarts the stopped container (`docker start` through SSM Run Command) and/or reboots the impaired instance, whichever the checks call for.
# - **Replaces:** seed 000 "P0: Service Completely Down" (steps 1-5, escalation path) and seed 001 "Complete System Outage" (steps 2-4).
# - **Catches:** sandbox scenario `service-down`.

# %%
from opslib import advice, escalation, runbook, views
from opslib.actions.hosts import RebootInstance, RestartContainer, SetInstanceState
from opslib.checks import awslambda as lambda_checks, cloudformation as stack_checks, docker as docker_checks, dynamodb as table_checks
from opslib.checks import ec2 as ec2_checks, http as http_checks, logs as log_checks
from opslib.services import awslambda, cloudformation, docker, dynamodb, ec2, http, logs

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
webapp_region: str = "us-west-2"  # AWS region the web app's instance runs in (seed 000 names none)
app_url: str = "http://secure-webapp.example.com:5000/health"  # the app's /health URL (seed 000: http://<EC2_IP>:5000/health)
instance: str = "secure-webapp-prod"  # EC2 instance running the app: its Name tag or its id
container: str = "webapp"  # container name on the host
log_lines: int = 50  # container log lines to read (seed 000: docker logs webapp --tail 50) [1..10000]
ec2m_region: str = "us-west-2"  # AWS region of EC2 Manager (seed 001)
stack: str = "EC2Manager-production"  # EC2 Manager's stack (seed 001 step 2)
table: str = "ec2-manager-audit-production"  # its critical table (seed 001 step 3)
function: str = "ec2-manager-function-prod"  # its function (seed 001 step 4)
log_groups: list[str] = ["/aws/lambda/ec2-manager-function-prod", "/aws/ec2-manager/prod"]  # where recent errors would show
log_minutes: int = 15  # how far back to count ERROR lines, minutes [1..1440]
log_errors_warn: int = 10  # ERROR lines per group in that window that warn [1..1000000]
log_errors_critical: int = 30  # ERROR lines per group in that window that are critical [1..1000000]
http_deadline_s: float = 10.0  # the whole /health request, seconds [0.1..300]
ssm_timeout_s: int = 60  # how long to wait for an SSM command's output, seconds [1..3600]
confirm: bool = False  # apply the restart/reboot the checks call for (otherwise a dry run)
change_ref: str = ""  # change or incident reference (required in production)

# %%
rb = runbook.start("incident/service-down", globals(), region="webapp_region")
rb

# %% [markdown]
# ## 1. Does it answer?
# `curl http://<EC2_IP>:5000/health`: HTTP 200 and `"status": "healthy"`.

# %%
probe = http.get(app_url, http_deadline_s)
rb.record(http_checks.health_payload("web app", probe))

# %% [markdown]
# ## 2. The instance
# Seed 000 step 1: `aws ec2 describe-instance-status --instance-ids <INSTANCE_ID>`.

# %%
host = rb.fetch("ec2_instance_status", instance, ec2.find_instance, instance)
instance_id = ec2.instance_id(host)
(status,) = rb.fetch_all(("ec2_instance_status", instance, ec2.instance_status, instance_id), when=instance_id)
rb.judge(ec2_checks.status_checks, status, instance)

# %% [markdown]
# ## 3. The container and its last lines
# Seed 000 steps 2 and 4: `docker ps -a | grep webapp`, `docker logs webapp --tail 50`, through SSM Run Command instead of SSH.

# %%
rows, lines = rb.fetch_all(("docker_container_running", container, docker.containers, instance_id, container, ssm_timeout_s),
                           ("docker_log_errors", container, docker.logs, instance_id, container, log_lines, ssm_timeout_s), when=ec2.running_id(status))
rb.judge(docker_checks.container_running, rows, container, instance)
rb.show(views.containers, rows)
rb.show(views.last_lines, lines, log_lines)

# %% [markdown]
# ## 4. EC2 Manager: its stack and critical dependencies
# Seed 001 "Complete System Outage" steps 2-3: `aws cloudformation describe-stacks`, `aws dynamodb describe-table`; the function's state instead of invoking it.

# %%
found_stack, found_table, found_function = rb.fetch_all(("cloudformation_stack_status", stack, cloudformation.stack, stack, ec2m_region),
                                                        ("dynamodb_table_status", table, dynamodb.describe_table, table, ec2m_region),
                                                        ("lambda_function_state", function, awslambda.configuration, function, ec2m_region))

# %%
rb.judge(stack_checks.stack_status, found_stack)
rb.judge(table_checks.table_active, found_table)
rb.judge(lambda_checks.function_active, found_function)

# %% [markdown]
# ## 5. Recent errors

# %%
found = rb.fetch("logs_pattern_matches", ", ".join(log_groups), logs.search, log_groups, "ERROR", log_minutes, ec2m_region, default={})
rb.record(log_checks.pattern_matches_all(found, "ERROR", log_minutes, log_errors_warn, log_errors_critical))

# %% [markdown]
# ## 6. The first fix (guarded)
# Seed 000 steps 3 and 5: `aws ec2 start-instances` when the instance is stopped, `docker start webapp` when the container stopped, `aws ec2 reboot-instances` when the instance is impaired. Planned only when called for; applied only with `confirm=True` (or the button).

# %%
fixes = (SetInstanceState.if_stopped(status, instance_id, instance) + RestartContainer.if_stopped(rows, instance_id, instance, container, ssm_timeout_s)
         + RebootInstance.if_impaired(status, instance_id, instance))
done = rb.act_all(fixes, confirm=confirm, change_ref=change_ref, nothing="Nothing to start, restart or reboot: the instance runs and passes its checks, and the container runs.")

# %% [markdown]
# ## 7. Escalation path
# Seed 000: attempt restart (5 min), roll back (10 min), AWS Support, stakeholders; timed from the incident's start (`--incident`).

# %%
since = escalation.started(rb.evidence, rb.incident)
rb.record(escalation.judge(since, rb.incident, rb.results))
escalation.path(since)

# %% [markdown]
# ## Next

# %%
rb.next(advice.service_down(rb.results, rb.incident, done, env))

# %%
rb.summary()
