# %% [markdown]
# # Application health (secure web app)
#
# - **Purpose:** Is the web app up and answering? Its `/health` JSON (status, version, a fresh timestamp, response time), the EC2 instance and system status checks, and the `webapp` container on the host with its last log lines, read through SSM Run Command instead of SSH.
# - **When to use:** After a deploy, when a user reports the site down or slow, and as the first step of a P0/P1 (seed 000 "P0: Service Completely Down", steps 1, 2 and 4).
# - **Expected time:** under 15 seconds (SSM commands take a few seconds each on AWS).
# - **Impact:** Read-only: sends only read-only diagnostics (`docker ps`, `docker logs`) through SSM; changes nothing. Restarting the container or rebooting the instance is seed 000 "P0: Service Completely Down" (see the end).
# - **Replaces:** seed 000 "Checking Application Health" (`curl http://<EC2_IP>:5000/health`, `ssh ... docker ps -a | grep webapp`, `docker logs webapp --tail 100`) and `aws ec2 describe-instance-status`.
# - **Catches:** sandbox scenario `service-down`.
#
# Thresholds: response time warns above 1 s and is critical above 2 s (seed 001 API latency); a `/health` timestamp older than 5 minutes is a cached or stuck answer.

# %%
from opslib import runbook, views
from opslib.checks import docker as docker_checks
from opslib.checks import ec2 as ec2_checks
from opslib.checks import http as http_checks
from opslib.services import docker, ec2, http

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
webapp_region: str = "us-west-2"  # AWS region the web app's instance runs in (seed 000 names none)
app_url: str = "http://secure-webapp.example.com:5000/health"  # the app's /health URL (seed 000: http://<EC2_IP>:5000/health)
instance: str = "secure-webapp-prod"  # EC2 instance running the app: its Name tag or its id
container: str = "webapp"  # container name on the host
expected_version: str = ""  # version /health must report after a deploy; empty accepts any
health_max_age_s: int = 300  # a /health timestamp older than this warns, seconds [1..86400]
latency_warn_ms: float = 1000.0  # /health response time that warns, ms (seed 001: > 1 s) [0..600000]
latency_critical_ms: float = 2000.0  # /health response time that is critical, ms (seed 001: > 2 s) [0..600000]
log_lines: int = 100  # container log lines to read (seed 000: --tail 100) [1..10000]
log_errors_warn: int = 1  # error lines among them that warn [1..100000]
log_errors_critical: int = 10  # error lines among them that are critical [1..100000]
http_deadline_s: float = 10.0  # the whole /health request (connect, headers, body), seconds [0.1..300]
ssm_timeout_s: int = 60  # how long to wait for an SSM command's output, seconds [1..3600]

# %%
rb = runbook.start("health/app-health", globals(), region="webapp_region")
rb

# %% [markdown]
# ## 1. Health endpoint
# `curl http://<EC2_IP>:5000/health`: HTTP 200 and `"status": "healthy"`, the version, a timestamp from now.

# %%
probe = http.get(app_url, http_deadline_s)
rb.record(http_checks.health_payload("web app", probe, expected_version, health_max_age_s, latency_warn_ms, latency_critical_ms))
probe.body

# %% [markdown]
# ## 2. Instance status
# `aws ec2 describe-instance-status --instance-ids <INSTANCE_ID>`: running, instance and system reachability passed.

# %%
host = rb.fetch("ec2_instance_status", instance, ec2.find_instance, instance)
instance_id = ec2.instance_id(host)
rb.check(ec2_checks.instance_healthy, instance, instance_id, when=instance_id)

# %% [markdown]
# ## 3. Container state
# `docker ps -a | grep webapp` and `docker logs webapp --tail 100 --timestamps`, sent together through SSM Run Command (`AWS-RunShellScript`) instead of SSH.

# %%
rows, lines = rb.fetch_all(("docker_container_running", container, docker.containers, instance_id, container, ssm_timeout_s),
                           ("docker_log_errors", container, docker.logs, instance_id, container, log_lines, ssm_timeout_s), when=instance_id)
rb.judge(docker_checks.container_running, rows, container, instance)
rb.show(views.containers, rows)

# %% [markdown]
# ## 4. Container logs
# Error lines among the last lines counted, the last lines shown.

# %%
rb.judge(docker_checks.log_errors, lines, container, log_errors_warn, log_errors_critical)
rb.show(views.last_lines, lines, 15)

# %% [markdown]
# ## Verdict
# Seed 000's escalation path on a red row ("P0: Service Completely Down"): container stopped: restart it (5 min):
# `aws ssm send-command --document-name AWS-RunShellScript --instance-ids <INSTANCE_ID> --parameters 'commands=["docker start webapp"]'`;
# keeps crashing: its logs above, then roll back to the last good image (10 min, seed 000 "Quick Rollback to Previous Version");
# instance impaired: `aws ec2 reboot-instances --instance-ids <INSTANCE_ID>`, then AWS Support; notify stakeholders
# (seed 001 "Communication Templates").

# %%
rb.summary()
