# %% [markdown]
# # Roll back the web app's container
#
# - **Purpose:** Run the web app's container again from the image built before the one it runs: what the host holds and runs, the app's `/health`, the guarded stop, remove and run through SSM Run Command (a plan with its id, applied only when confirmed, verified by `/health`, undoable).
# - **When to use:** A release of the web app is unhealthy (app-health or deploy-verify points at it; seed 000 "Quick Rollback to Previous Version").
# - **Expected time:** under 15 seconds to plan; applying takes as long as the app takes to start (seed 000: 2-3 minutes by hand).
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production): `docker stop webapp`, `docker rm webapp`, `docker run -d --name webapp ... IMAGE` on the host (the app is down for the seconds between). Undo: `opslib undo RUN-ID` runs the image it ran before.
# - **Replaces:** seed 000 "Quick Rollback to Previous Version" (`ssh` to the host, `docker images | grep secure-webapp`, `docker stop webapp`, `docker rm webapp`, `docker run -d --name webapp -p 5000:5000 --restart unless-stopped -e ENVIRONMENT=production YOUR_DOCKERHUB_USERNAME/secure-webapp:<PREVIOUS_SHA>`, `curl http://localhost:5000/health`), through SSM instead of SSH.
# - **Catches:** sandbox scenario `bad-deploy`.

# %%
from opslib import advice, runbook, views
from opslib.actions.hosts import RunImage
from opslib.checks import http as http_checks
from opslib.services import docker, ec2, http

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
webapp_region: str = "us-west-2"  # AWS region the web app's instance runs in (seed 000 names none)
app_url: str = "http://secure-webapp.example.com:5000/health"  # the app's /health URL (seed 000: http://<EC2_IP>:5000/health)
instance: str = "secure-webapp-prod"  # EC2 instance running the app: its Name tag or its id
container: str = "webapp"  # container name on the host (seed 000)
to_image: str = ""  # the image to run, REPOSITORY:TAG; empty: the one built before the image running now
run_options: str = "-p 5000:5000 --restart unless-stopped"  # docker run options (seed 000's), without its environment
run_environment: dict = {"ENVIRONMENT": "production"}  # the container's environment: each name and value passed with -e (seed 000)
http_deadline_s: float = 10.0  # the whole /health request, seconds [0.1..300]
ssm_timeout_s: int = 60  # how long to wait for an SSM command's output, seconds [1..3600]
confirm: bool = False  # apply the rollback: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("change/rollback-container", globals(), region="webapp_region")
rb

# %% [markdown]
# ## 1. Does the app answer?
# `curl http://<EC2_IP>:5000/health`: HTTP 200 and `"status": "healthy"`, with the version it runs.

# %%
probe = http.get(app_url, http_deadline_s)
rb.record(http_checks.health_payload("web app", probe))

# %% [markdown]
# ## 2. What the host holds and runs
# Seed 000 step 2: `docker images | grep secure-webapp`, and `docker inspect webapp`, through SSM Run Command instead of SSH.

# %%
host = rb.fetch("ec2_instance", instance, ec2.find_instance, instance)
instance_id = ec2.instance_id(host)
images, running = rb.fetch_all(("docker_images", instance, docker.images, instance_id, ssm_timeout_s), ("docker_container", container, docker.running_image, instance_id, container, ssm_timeout_s), when=instance_id)
rb.show(views.images, images, running)

# %% [markdown]
# ## 3. Run the previous image (guarded)
# Seed 000 steps 3-5: `docker stop webapp`, `docker rm webapp`, `docker run -d --name webapp <options> <previous image>`, then `/health` until it answers healthy (verified). Planned by default; applied only with `confirm` or the button.

# %%
rolled = rb.act_all(RunImage.rollback(instance_id, instance, container, images, running, to_image, docker.run_options(run_options, run_environment), app_url, ssm_timeout_s), confirm=confirm, change_ref=change_ref, nothing="No earlier image on the host to roll back to.", fixes=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("rollback-container", rb.results, rolled, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
