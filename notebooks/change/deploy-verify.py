# %% [markdown]
# # Verify a deployment
#
# - **Purpose:** Before a deployment, the checklist gate; after it, the seed's rollback triggers: the stack's status, `/health` of the frontend and API, the error rate at each front door and the site, the response time; what was deployed lately, and the rollback notebook for each with its parameters filled in.
# - **When to use:** Before deploying (`-p stage=pre` with the checklist answered), and after every deployment for its first 15 minutes (seed 001 "Post-Deployment Validation"; seed 004 "Deployment Steps" 5-6).
# - **Expected time:** under 10 seconds.
# - **Impact:** Read-only.
# - **Replaces:** seed 004 "Pre-Deployment Checklist"; seed 001 "Post-Deployment Validation" (`./scripts/deployment-status.sh prod all`, `curl -f .../health`) and "Deployment Rollback Triggers" (health failing > 5 min, error rate > 10 % for > 10 min, response > 5 s average for > 15 min).
# - **Catches:** sandbox scenario `bad-deploy`.
#
# Triggers: seed 001's, as parameters (`error_trigger_pct` over `error_trigger_minutes`, `latency_trigger_s` over `latency_trigger_minutes`): every minute over the limit is critical (roll back), some minutes over it warns.

# %%
from opslib import advice, runbook, views
from opslib.checks import cloudformation as stack_checks, deploy, http as http_checks
from opslib.services import cloudformation, cloudfront, cloudwatch, deployments

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
stage: str = "post"  # pre: the checklist gate before deploying; post: the rollback triggers after {pre|post}
tests_passing: bool = False  # pre: all tests passing in CI/CD (seed 004)
security_scan_done: bool = False  # pre: security scan completed (seed 004)
change_ticket: str = ""  # pre: the approved change ticket (seed 004)
window_confirmed: bool = False  # pre: deployment window confirmed (seed 004)
team_notified: bool = False  # pre: team notified in #deployments (seed 004)
rms_region: str = "us-east-1"  # AWS region RMS runs in (seed 003)
ec2m_region: str = "us-west-2"  # AWS region EC2 Manager runs in (seed 001)
frontend_url: str = "https://rms.example.com/health"  # frontend /health URL
api_url: str = "https://api.rms.example.com/health"  # API /health URL
http_deadline_s: float = 10.0  # the whole of each /health request, seconds [0.1..300]
stack: str = "EC2Manager-production"  # EC2 Manager's stack (seed 001)
load_balancer: str = "app/rms-alb-prod/50dc6c495c0c9188"  # RMS's ALB (dimension value)
api_name: str = "ec2-manager-api-production"  # EC2 Manager's REST API
function_name: str = "ec2-manager-function-prod"  # the function behind it
alias: str = "LIVE"  # the alias the API calls
ecs_cluster: str = "rms-cluster-prod"  # RMS's cluster
ecs_service: str = "rms-backend-service-prod"  # RMS's service
web_bucket: str = "ec2-manager-web-prod-123456789012"  # EC2 Manager's site (seed 001: ec2-manager-web-prod-<account-id>)
error_trigger_pct: float = 10.0  # share of failed requests that triggers a rollback, % (seed 001: 10) [0..100]
error_trigger_minutes: int = 10  # for how long, minutes (seed 001: 10) [1..120]
latency_trigger_s: float = 5.0  # average response time that triggers a rollback, seconds (seed 001: 5) [0.1..60]
latency_trigger_minutes: int = 15  # for how long, minutes (seed 001: 15) [1..120]
deploy_lookback_hours: int = 2  # what counts as the deployment being verified, hours [1..48]

# %%
rb = runbook.start("change/deploy-verify", globals(), region="rms_region")
rb

# %% [markdown]
# ## 1. The checklist gate (before deploying)
# Seed 004 "Pre-Deployment Checklist", one row per item; nothing here after the deployment (`stage=post`).

# %%
rb.record(deploy.checklist(stage, {"tests_passing": tests_passing, "security_scan_done": security_scan_done, "change_ticket": change_ticket,
                                   "window_confirmed": window_confirmed, "team_notified": team_notified}))

# %% [markdown]
# ## 2. The stack and `/health`
# `aws cloudformation describe-stacks` (seed 001 `./scripts/deployment-status.sh prod all`), `curl -f .../health` for the frontend and the API, and the CloudFront distribution in front of the site's bucket.

# %%
found_stack = rb.fetch("cloudformation_stack_status", stack, cloudformation.stack, stack, ec2m_region)
rb.judge(stack_checks.stack_status, found_stack)
site = rb.fetch("cloudfront_distribution", web_bucket, cloudfront.distribution_for_bucket, web_bucket)
rb.check_all((http_checks.endpoint_healthy, "frontend", frontend_url, 200, None, http_deadline_s), (http_checks.endpoint_healthy, "api", api_url, 200, None, http_deadline_s))

# %% [markdown]
# ## 3. The rollback triggers: error rate and response time
# `aws cloudwatch get-metric-statistics`, a point a minute: 5xx against requests at the ALB, API Gateway and the function, the site's CloudFront `TotalErrorRate`; the average `TargetResponseTime` and `Latency`.

# %%
front_doors, site_errors, response = rb.fetch_all(("deploy_error_trigger", "ALB, API Gateway, Lambda", cloudwatch.metric_data, cloudwatch.error_metrics(load_balancer, api_name, function_name, rms_region, ec2m_region), error_trigger_minutes, 60),
                                                  ("deploy_error_trigger", web_bucket, cloudwatch.metric_data, cloudfront.error_metrics(site), error_trigger_minutes, 60),
                                                  ("deploy_latency_trigger", "ALB, API Gateway", cloudwatch.metric_data, cloudwatch.response_metrics(load_balancer, api_name, rms_region, ec2m_region), latency_trigger_minutes, 60))
rb.record(deploy.error_triggers(front_doors, site_errors, error_trigger_pct, error_trigger_minutes))
rb.record(deploy.latency_triggers(response, latency_trigger_s, latency_trigger_minutes))

# %% [markdown]
# ## 4. What was deployed
# Stack updates, ECS deployments, where LIVE points, the site's last release (seed 001 "Blue-Green Deployment Simulation": `aws lambda get-alias`), within `deploy_lookback_hours`.

# %%
recent = rb.fetch("deployments", "recent", deployments.recent, stack, ecs_cluster, ecs_service, function_name, alias, deploy_lookback_hours, ec2m_region, rms_region, web_bucket)
rb.show(views.deployments, recent, deploy_lookback_hours)

# %% [markdown]
# ## Next

# %%
rb.next(advice.deploy_verify(rb.results, stage, recent or [], rb.incident, env))

# %%
rb.summary()
