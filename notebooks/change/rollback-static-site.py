# %% [markdown]
# # Roll back the static site
#
# - **Purpose:** Put the web bucket's objects back to the versions the last release replaced and invalidate them at CloudFront: what the release changed, the site's error rate since, the guarded restore and invalidation (plans with ids, applied only when confirmed, verified; the restore is undoable).
# - **When to use:** A frontend release broke the site (deploy-verify or the site's error rate points at it; seed 001 "S3 Content Rollback").
# - **Expected time:** under 10 seconds to plan; applying waits for the invalidation to complete (minutes on AWS).
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production): `aws s3api copy-object` from each previous version (a new version on top: nothing is deleted) and `aws cloudfront create-invalidation`. Undo: `opslib undo RUN-ID` restores the release's versions (an invalidation has none). Run again after a rollback, it finds nothing to roll back: content the bucket held before is not a release.
# - **Replaces:** seed 001 "S3 Content Rollback" (`aws s3 sync ./previous-version/ s3://ec2-manager-web-prod-<account-id>/ --delete`, `aws cloudfront create-invalidation --paths "/*"`).
# - **Catches:** sandbox scenario `bad-deploy`.
#
# Thresholds: the site's error rate (4xx and 5xx) warns above 5 % and is critical above 10 % (seed 001's rollback trigger).

# %%
from opslib import advice, runbook, views
from opslib.actions.static_site import InvalidatePaths, RestoreVersions
from opslib.checks import static_site as site_checks
from opslib.services import cloudfront, cloudwatch, s3

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
region: str = "us-west-2"  # AWS region of the bucket (seed 001)
web_bucket: str = "ec2-manager-web-prod-123456789012"  # the site's bucket (seed 001: ec2-manager-web-prod-<account-id>)
release_window_minutes: int = 10  # objects written within this of the newest upload are one release, minutes [1..1440]
window_minutes: int = 30  # how far back to read the site's error rate, minutes [10..1440]
error_rate_warn_pct: float = 5.0  # share of the site's requests answered with an error that warns, % [0..100]
error_rate_critical_pct: float = 10.0  # share that is critical, % (seed 001's rollback trigger: > 10 %) [0..100]
confirm: bool = False  # apply: the plan ids the dry run printed (true outside production applies the plans made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("change/rollback-static-site", globals(), region="region")
rb

# %% [markdown]
# ## 1. What the last release changed
# `aws s3api get-bucket-versioning` and `list-object-versions`: the objects written together last, and the version each replaced.

# %%
status, versions = rb.fetch_all(("s3_versioning", web_bucket, s3.versioning, web_bucket), ("s3_object_versions", web_bucket, s3.object_versions, web_bucket))
release = s3.last_release(versions, release_window_minutes)
rb.judge(site_checks.versioning, status, web_bucket)
rb.show(views.release, release, versions)

# %% [markdown]
# ## 2. The site's errors since
# `aws cloudfront list-distributions` (the one in front of the web_bucket) and `aws cloudwatch get-metric-statistics --namespace AWS/CloudFront --metric-name TotalErrorRate` (seed 001 "Post-Rollback Validation" step 5).

# %%
distribution = rb.fetch("cloudfront_distribution", web_bucket, cloudfront.distribution_for_bucket, web_bucket)
series = rb.fetch("cloudfront_error_rate", web_bucket, cloudwatch.metric_data, cloudfront.error_metrics(distribution), window_minutes, 60)
rb.judge(site_checks.error_rate, series, distribution, web_bucket, window_minutes, error_rate_warn_pct, error_rate_critical_pct)

# %% [markdown]
# ## 3. Restore the previous versions, then invalidate them (guarded)
# `aws s3api copy-object --copy-source <web_bucket>/<key>?versionId=<previous>` for each object of the release (one the release added is removed), then `aws cloudfront create-invalidation --paths` for those paths, watched until `Completed`. Planned by default; applied only with `confirm` or the button.

# %%
restored = rb.act_all(RestoreVersions.rollback(web_bucket, release) + InvalidatePaths.after_restore(distribution, release), confirm=confirm, change_ref=change_ref, nothing="No release to roll back.", fixes=True)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("rollback-static-site", rb.results, restored, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
