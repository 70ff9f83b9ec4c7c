# %% [markdown]
# # Deployment status
#
# - **Purpose:** What is deployed where, for every system, and when each changed: EC2 Manager's stack (status, last update, the release it runs), its function's alias and the version behind it, its web release; RMS's ECS task definition and rollout; the web app's version at its `/health`. A deployment still rolling or failed, or a stack not `*_COMPLETE`, is the finding.
# - **When to use:** Before and after a deployment or rollback, when an alert fires ("Step 3: Check recent deployments"), or to see what runs before changing anything (seed 001 `./scripts/deployment-status.sh prod all`).
# - **Expected time:** under 10 seconds.
# - **Impact:** Read-only.
# - **Replaces:** seed 001 `./scripts/deployment-status.sh prod all` (and `aws cloudformation describe-stacks`, `aws lambda get-alias`, `aws ecs describe-services`).
# - **Catches:** sandbox scenario `bad-deploy`, `failed-deployment`.

# %%
from opslib import runbook, views
from opslib.checks import cloudformation as stack_checks, ecs as ecs_checks, http as http_checks
from opslib.services import awslambda, cloudformation, ecs, http, s3

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
ec2m_region: str = "us-west-2"  # AWS region of EC2 Manager (seed 001)
rms_region: str = "us-east-1"  # AWS region of RMS (seed 003)
stack: str = "EC2Manager-production"  # EC2 Manager's stack (seed 001)
releases_bucket: str = "ec2-manager-deployments-123456789012"  # where the pipeline keeps each stack release (versioned)
release_key: str = "cloudformation/EC2Manager-production/release.json"  # the stack's release object
function_name: str = "ec2-manager-function-prod"  # EC2 Manager's function (seed 001)
alias: str = "LIVE"  # the alias its API calls
web_bucket: str = "ec2-manager-web-prod-123456789012"  # EC2 Manager's site bucket (seed 001)
ecs_cluster: str = "rms-cluster-prod"  # RMS's cluster (seed 003)
ecs_service: str = "rms-backend-service-prod"  # RMS's backend service
app_url: str = "http://secure-webapp.example.com:5000/health"  # the web app's /health (seed 000), which names the version it runs
http_deadline_s: float = 10.0  # the whole /health request, seconds [0.1..300]

# %%
rb = runbook.start("health/deployment-status", globals(), region="ec2m_region")
rb

# %% [markdown]
# ## 1. What runs where, and since when
# `aws cloudformation describe-stacks` and `get-template` (with the pipeline's releases), `aws lambda get-alias` and `list-versions-by-function`, `aws s3api list-object-versions` of the site, `aws ecs describe-services` (in RMS's region), and `curl` of the web app's `/health`.

# %%
now, found, fn, site, svc = rb.fetch_all(("cloudformation_stack_status", stack, cloudformation.deployed, stack), ("cloudformation_release", f"s3://{releases_bucket}/{release_key}", cloudformation.releases, releases_bucket, release_key),
                                         ("lambda_alias", f"{function_name}:{alias}", awslambda.versions, function_name, alias), ("s3_release", web_bucket, s3.object_versions, web_bucket),
                                         ("ecs_deployment_state", ecs_service, ecs.describe_service, ecs_cluster, ecs_service, rms_region))
probe = http.get(app_url, http_deadline_s)

# %% [markdown]
# ## 2. Is any of it half-way?
# The stack in a `*_COMPLETE` state and running a release of the pipeline, the ECS deployment completed, the web app answering healthy with its version.

# %%
rb.judge(stack_checks.stack_status, (now or {}).get("stack"))
rb.judge(stack_checks.release, stack, now, found, f"s3://{releases_bucket}/{release_key}")
rb.judge(ecs_checks.deployment_state, svc)
rb.record(http_checks.health_payload("web app", probe))

# %% [markdown]
# ## 3. The table
# One row per system: what runs, since when, and the state of its last change.

# %%
rb.show(views.deployment_status, now, found, fn, site, svc, probe)

# %%
rb.summary()
