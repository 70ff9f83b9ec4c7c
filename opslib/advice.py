"""What to run next: one copyable command line, chosen from what the checks found.

Only notebooks that exist are named; where the catalog has none yet, the seed procedure is.
"""

import shlex

from .checks import CRITICAL, ERROR, WARN


def command(notebook: str, incident: str = "", env: str = "sandbox", **params) -> str:
    """`opslib run NOTEBOOK [--env ENV] [--incident ID] -p name=value ...`, quoted for a shell (the sandbox is the default env)."""
    parts = ["opslib", "run", notebook] + (["--env", env] if env != "sandbox" else []) + (["--incident", incident] if incident else [])
    for name, value in params.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        parts += ["-p", f"{name}={text}"]
    return " ".join(shlex.quote(p) for p in parts)


# The notebook that looks further when a row of this check is not OK, whichever notebook made the row:
# only where that notebook looks at the same system with its defaults (a stopped RMS database has none
# yet: database-connection is seed 004's service).
FOLLOW_UP = {
    "http_endpoint_healthy": "service-down", "http_health_fresh": "service-down", "ec2_instance_status": "service-down",
    "docker_container_running": "service-down", "docker_log_errors": "service-down",
    "http_response_time": "high-latency", "alb_latency_p95_recent": "high-latency", "apigateway_latency_p95_recent": "high-latency",
    "ecs_service_tasks_running": "deployment-failed", "ecs_cpu_recent": "scale-service",
    "logs_errors_recent": "high-error-rate", "logs_pattern_matches": "high-error-rate",
    "cloudwatch_alarms_in_alarm": "alarm-review", "cloudwatch_alarm_firing": "performance-review", "ce_cost_yesterday": "cost-review",
    "dynamodb_throttling_recent": "dynamodb-throttling", "dynamodb_latency_recent": "dynamodb-throttling",
    "lambda_duration_recent": "lambda-errors", "cognito_auth_failure_burst": "security-incident",
}


def follow_ups(report, notebook: str, incident: str = "", env: str = "sandbox") -> list[str]:
    """The commands to paste next for the rows that are not OK, worst row first, one per notebook, never
    the notebook that made them: the command a row names itself (its parameters filled in), else FOLLOW_UP's."""
    order = {ERROR: 0, CRITICAL: 1, WARN: 2}
    red = sorted((c for c in report if c.status in order and getattr(c, "phase", "") != "before"), key=lambda c: order[c.status])
    found: dict[str, str] = {}
    for c in red:
        named = _named_command(c.sentence, incident, env)
        name = named[0] if named else FOLLOW_UP.get(c.id)
        if name and name != notebook.split("/")[-1] and name not in found:
            found[name] = named[1] if named else command(name, incident, env)
    return list(found.values())


def _named_command(sentence: str, incident: str, env: str) -> tuple[str, str] | None:
    """(notebook, command) of an `opslib run NAME -p ...` a row's sentence names, with the run's incident and environment."""
    import re

    m = re.search(r"`opslib run ([a-z-]+)((?: -p [^`\s]+)*)`", sentence)
    if not m:
        return None
    params = dict(p.split("=", 1) for p in re.findall(r"-p (\S+)", m[2]) if "=" in p)
    return m[1], command(m[1], incident, env, **params)


def _bad(report, *ids) -> bool:
    return any(c.id in ids and c.status in (CRITICAL, ERROR, WARN) for c in report)


def service_down(report, incident: str, outcomes: list, env: str = "sandbox") -> str:
    """After service-down: apply the planned fix, look again after one, roll back, look at the dependencies, or resolve."""
    planned = [o.action for o in outcomes if o.status == "planned"]
    applied = [o.action for o in outcomes if o.status == "applied"]
    if planned:
        return f"Apply what is planned above ({' and '.join(planned)}):\n  {command('service-down', incident, confirm=True, env=env)}"
    if applied:
        return f"Applied {' and '.join(applied)}. Give it a minute, then look again:\n  {command('service-down', incident, env=env)}"
    if _bad(report, "docker_container_running"):
        return ('The container is gone or will not stay up: roll back to the last good image (seed 000 "Quick Rollback to Previous Version"), '
                f"then look again:\n  {command('service-down', incident, env=env)}")
    if _bad(report, "cloudformation_stack_status", "dynamodb_table_status", "lambda_function_state", "logs_pattern_matches"):
        return ("The host is up; a dependency is not. Read the function's errors:\n  "
                + command("log-search", incident, log_groups='["/aws/lambda/ec2-manager-function-prod"]', logs_region="us-west-2", env=env))
    if _bad(report, "http_endpoint_healthy", "ec2_instance_status"):
        return f"Still not answering: wait a minute for the checks to settle, then look again:\n  {command('service-down', incident, env=env)}"
    if incident:
        return f"Everything answers. If users agree, resolve:\n  {command('incident-update', incident, resolve=True, resolution='...', confirm=True, env=env)}"
    return f"Nothing here is down. The whole morning check:\n  {command('daily-health-check', env=env)}"


def rollback(deployment: dict, incident: str = "", env: str = "sandbox") -> str:
    """The rollback of one deployment: the rollback notebook for a function's alias or an ECS service
    (the plan it prints is applied with its id), the seed's script for a stack."""
    kind, _, name = deployment["where"].partition(":")
    if kind == "lambda":
        return command("rollback-lambda", incident, env=env, function_name=name, to_version=deployment["previous"])
    if kind == "ecs":
        cluster, service = name.split("/", 1)
        return command("rollback-ecs", incident, env=env, cluster=cluster, service=service, to_revision=deployment["previous"])
    if kind == "s3":
        return command("rollback-static-site", incident, env=env, web_bucket=name)
    if kind == "ecs-scale":  # scaled or stopped by hand: scale it back (to the count it had, where CloudTrail shows it)
        cluster, service = name.split("/", 1)
        count = {"desired_count": deployment["previous"]} if deployment["previous"].isdigit() else {}
        return command("scale-service", incident, env=env, region=deployment.get("region") or "us-east-1", cluster=cluster, service=service, **count)
    if kind == "rds":  # stopped or rebooted by hand: no notebook starts a database yet
        return f"aws rds start-db-instance --db-instance-identifier {shlex.quote(name)} --region {shlex.quote(deployment.get('region') or 'us-east-1')}"
    if kind == "rds-class":  # moved to another class by hand: back through scale-service (journaled, guarded), to the class it had
        before = deployment["previous"] if deployment["previous"] != "unknown" else "CLASS"
        back = command("scale-service", incident, env=env, region=deployment.get("region") or "us-east-1", db_instance=name, db_instance_class=before)
        return back if before != "CLASS" else f"{back}   # CLASS: its class before {deployment['when']:%H:%M} UTC (CloudTrail records only the new one)"
    if kind == "lambda-config":  # no notebook changes a function's concurrency yet
        return f"aws lambda delete-function-concurrency --function-name {shlex.quote(name)} --region {shlex.quote(deployment.get('region') or 'us-west-2')}"
    if kind == "cloudformation":  # seed 001's `./scripts/rollback.sh prod previous`: the release before, planned first
        return command("rollback-stack", incident, env=env, stack=name, **({"region": deployment["region"]} if deployment.get("region") else {}))
    return f"(no notebook rolls back {deployment['where']} yet: {deployment['what']})"


def high_error_rate(report, deployments: list[dict], incident: str, env: str = "sandbox") -> str:
    """After high-error-rate: roll back the deployment the errors followed, or search the logs."""
    blamed = next((c for c in report if c.id == "errors_after_deploy" and c.status == CRITICAL), None)
    if blamed is not None:
        from .checks.changes import suspects

        lines = "\n  ".join(rollback(d, incident, env) for d in suspects(deployments, blamed))
        return (f"Roll back what the errors followed (each prints its plan; apply it with the plan id it gives):\n  {lines}\n"
                f"then watch the rate fall:\n  {command('high-error-rate', incident, env=env)}")
    if _bad(report, "errors_rate"):
        return f"Errors with no deployment before them: find the failing call in the logs:\n  {command('log-search', incident, env=env)}"
    return f"Error rates are normal. The whole morning check:\n  {command('daily-health-check', incident, env=env)}"


def dynamodb_throttling(report, table: dict | None, incident: str, env: str = "sandbox") -> str:
    """After dynamodb-throttling: spread a hot key, raise capacity (seed 001 "Temporary relief"), or look elsewhere."""
    again = command("dynamodb-throttling", incident, env=env)
    if table is None:
        return f"The table could not be read (see the ERROR row); fix access, then:\n  {again}"
    name = table["TableName"]
    if _bad(report, "dynamodb_hot_partition"):
        return (f"One partition key takes most writes: find the caller writing it (seed 001 \"Query optimization: review access patterns\"); "
                f"more capacity only buys time. Then:\n  {again}")
    if _bad(report, "dynamodb_throttled_requests", "dynamodb_capacity_used"):
        t = table.get("ProvisionedThroughput", {})
        read, write = int(t.get("ReadCapacityUnits") or 1), int(t.get("WriteCapacityUnits") or 1)
        return ("Throttled at its provisioned capacity: double it (or go on-demand, as seed 001 expects: --billing-mode PAY_PER_REQUEST):\n"
                f"  aws dynamodb update-table --table-name {name} --provisioned-throughput ReadCapacityUnits={read * 2},WriteCapacityUnits={write * 2}\n"
                f"then watch the throttling stop:\n  {again}")
    return f"No throttling on {name}. If the application still fails, its errors:\n  {command('high-error-rate', incident, env=env)}"


def database_connection(report, db: str, incident: str, env: str = "sandbox") -> str:
    """After database-connection: open the network path, find the leak, or look at the service."""
    again = command("database-connection", incident, env=env)
    if _bad(report, "ec2_db_ingress"):
        return f"Open the path (the command is in the ec2_db_ingress row), then:\n  {again}"
    if _bad(report, "postgres_connections_used"):
        return ("Connections are used up: restart the service's workers to drop the leaked ones (seed 002 \"Scenario 4\": restart), "
                "then find the code that does not close them (seed 004 \"Memory Leak\" step 2). Then:\n  " + again)
    if _bad(report, "rds_instance_available", "postgres_connection"):
        return f"The database itself does not answer: its status and events first (`aws rds describe-events --source-identifier {db}`), then:\n  {again}"
    return f"The database answers. If the service still fails, its errors:\n  {command('high-error-rate', incident, env=env)}"


def high_latency(report, deployments: list[dict], db: str, incident: str, env: str = "sandbox") -> str:
    """After high-latency: undo the change the slowness followed, then seed 004's resolution steps that the findings
    call for, in its order, then look again."""
    from .checks.changes import suspects

    again = command("high-latency", incident, env=env)
    steps = []
    blamed = next((c for c in report if c.id == "latency_after_change" and c.status == CRITICAL), None)
    if blamed is not None:
        steps.append("Undo what the slowness followed (seed 004 step 3, recent changes):\n     "
                     + "\n     ".join(rollback(d, incident, env) for d in suspects(deployments, blamed)))
    if _bad(report, "postgres_slow_statements"):
        steps.append("EXPLAIN ANALYZE the slowest statement (postgres_slow_statements row) on the database and add the index it lacks (seed 004 step 1).")
    if _bad(report, "elasticache_hit_rate"):
        steps.append("Warm the cache: most reads miss and go to the database (seed 004 step 2).")
    if _bad(report, "rds_cpu_recent"):
        steps.append(f"Scale the database up if CPU stays over 80 % once the statements are fixed (seed 004 step 4): `aws rds modify-db-instance "
                     f"--db-instance-identifier {db} --db-instance-class <next size> --apply-immediately` (a restart: minutes of downtime).")
    if steps:
        return "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1)) + f"\nThen look again:\n  {again}"
    if _bad(report, "alb_latency_p95_recent", "apigateway_latency_p95_recent"):
        return ("Slow with the database and cache well and no change before it: the errors and the logs (seed 004 step 3)?\n  "
                + command("high-error-rate", incident, env=env))
    return f"Latency is within its thresholds. The week's trend:\n  {command('performance-review', incident, env=env)}"


def lambda_errors(report, config: dict | None, incident: str, env: str = "sandbox", outcomes: list = ()) -> str:
    """After lambda-errors: seed 001's "Common Issues and Solutions" that the findings call for, then look again."""
    again = command("lambda-errors", incident, env=env)
    if any(o.status == "planned" for o in outcomes) and not _bad(report, "lambda_log_errors", "lambda_error_rate"):
        return f"Nothing failing in the log or the metrics. To see one invocation through, invoke it with the test payload:\n  {command('lambda-errors', incident, env=env, confirm=True)}"
    name = config["FunctionName"] if config else "<function>"
    steps = []
    if _bad(report, "lambda_log_errors", "lambda_error_rate", "lambda_test_invoke"):
        steps.append("Read the failing calls (top errors above). An AccessDenied or UnauthorizedOperation is the function's role (seed 001: check IAM roles): "
                     f"`aws iam list-attached-role-policies --role-name {config['Role'].rsplit('/', 1)[-1] if config else '<role>'}`; "
                     f"if the errors began with a deployment:\n  {command('high-error-rate', incident, env=env)}")
    if _bad(report, "lambda_memory_used"):
        size = int(config["MemorySize"]) * 2 if config else 1024
        steps.append(f"Give it more memory (seed 001): `aws lambda update-function-configuration --function-name {name} --memory-size {size}`.")
    if _bad(report, "lambda_timeout_headroom", "lambda_duration_recent"):
        steps.append(f"Near its timeout: raise it or find what is slow (seed 001): `aws lambda update-function-configuration --function-name {name} --timeout <seconds>`.")
    if _bad(report, "lambda_throttles"):
        steps.append(f"Throttled: its concurrency is used up: `aws lambda get-function-concurrency --function-name {name}`.")
    if steps:
        return "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1)) + f"\nThen look again:\n  {again}"
    return f"The function is healthy. If the API still fails, the errors at each front door:\n  {command('high-error-rate', incident, env=env)}"


def auth_failures(report, pool: dict | None, incident: str, env: str = "sandbox") -> str:
    """After auth-failures: a burst is a security alert (seed 001: 2 minutes to respond); a callback
    that does not match breaks every login; no sign-ins at all is an outage of sign-in."""
    again = command("auth-failures", incident, env=env)
    burst = next((c for c in report if c.id == "cognito_auth_failure_burst" and c.status == CRITICAL), None)
    if burst is not None:
        first = str(burst.observed).split(",")[0]
        declare = "" if incident else f"\n  {command('incident-declare', env=env, service='EC2 Manager Production', impact='Brute-force sign-in attempts', summary=f'Failed sign-ins from {first}')}"
        from .checks.cognito import users_tried

        sign_out = "".join(f"\n  {command('security-incident', incident, env=env, user_pool=(pool or {}).get('Name', 'ec2-manager-users-production'), sign_out_user=user)}"
                           for user in users_tried(burst))
        return (f"A security alert (seed 001: respond within 2 minutes). Block {first} at the edge (seed 002: `deny {first};`), "
                f"and sign each user it tried out everywhere (security-incident plans it; a name the pool does not hold is said so):{sign_out}"
                + (f"\nDeclare it:{declare}" if declare else "") + f"\nThen look again:\n  {again}")
    if _bad(report, "cognito_client_callbacks"):
        return ("Make the client's callback URLs match the application's (seed 002 \"Scenario 3\" step 2): "
                "`aws cognito-idp update-user-pool-client ... --callback-urls <url>` keeps only what you pass, so pass them all. Then:\n  " + again)
    if _bad(report, "cognito_sign_in_successes", "cognito_user_pool"):
        return f"Nobody signs in: is the front end up?\n  {command('service-down', incident, env=env)}"
    return f"Sign-in is healthy. If users still cannot get in, the API's errors:\n  {command('high-error-rate', incident, env=env)}"


def rate_limiting(report, incident: str, env: str = "sandbox") -> str:
    """After rate-limiting: block the few (seed 002 step 3), or raise the limits for the many (step 4)."""
    again = command("rate-limiting", incident, env=env)
    found = next((c for c in report if c.id == "ratelimit_offenders"), None)
    if found is not None and found.status == CRITICAL:
        return f"Block the addresses listed above at the edge (seed 002 step 3: nginx `deny`, or the WAF IP set), then watch the 429s stop:\n  {again}"
    if found is not None and found.status == WARN:
        return ("Many clients are refused, none stands out: raise the limit of the busiest route if the traffic is legitimate "
                f"(seed 002 step 4: backend/middleware/rate_limit.py), then:\n  {again}")
    return f"Nobody is being rate-limited much. If users still see errors:\n  {command('high-error-rate', incident, env=env)}"


def deployment_failed(report, svc: dict | None, incident: str, env: str = "sandbox") -> str:
    """After deployment-failed: hand off the rollback to the revision that still serves (seed 002 step 3), then the root cause (step 4)."""
    again = command("deployment-failed", incident, env=env)
    if svc is None:
        return f"The service could not be read (see the ERROR row); fix access, then:\n  {again}"
    old = [d for d in svc.get("deployments", []) if d.get("status") != "PRIMARY"]
    if _bad(report, "ecs_deployment_state", "ecs_task_failures") and old:
        previous = old[0]["taskDefinition"].rsplit("/", 1)[-1]
        where = f"ecs:{svc['clusterArn'].rsplit('/', 1)[-1]}/{svc['serviceName']}"
        return (f"Roll back to {previous}, which still serves (the notebook prints its plan; apply it with the plan id it gives):\n"
                f"  {rollback({'where': where, 'previous': previous}, incident, env)}\n"
                "then find why the release does not start (seed 002 step 4: the task's log above, its settings, its limits, what it depends on), and look again:\n  " + again)
    if _bad(report, "ecs_deployment_state"):
        return f"The deployment is still rolling: give it a few minutes, then:\n  {again}"
    return f"The last deployment completed. If errors followed it:\n  {command('high-error-rate', incident, env=env)}"


def security_audit(report, incident: str, env: str = "sandbox") -> str:
    """After security-audit: a sign of someone inside comes first; then fix what the rows name, or accept it in the environment file."""
    again = command("security-audit", incident, env=env)
    if _bad(report, "cloudtrail_denied_calls", "iam_user_keys"):
        return f"Something here may be someone at work, not a standing risk: look at the trail first:\n  {command('security-incident', incident, env=env)}"
    if _bad(report, "cloudtrail_logging"):  # the trail security-incident reads may be another: the row names the stopper and their calls
        return ("A trail was stopped: start it again and see what else the one who stopped it did (the row's two commands: "
                f"CloudTrail's event history keeps their calls, trail or not); then look again:\n  {again}")
    if any(c.status != "OK" for c in report):
        return (f"Fix each finding with the command its row names, or, reviewed, accept it (`accepted` in parameters/{env}.yaml, "
                f"check_id:resource and why); then look again:\n  {again}")
    return f"No finding. Look again next month (seed 001 Monthly Tasks), or from cron:\n  {again}"


def backups(report, incident: str, env: str = "sandbox") -> str:
    """After backup-verification: turn each backup back on with the command its row names, then look again."""
    again = command("backup-verification", incident, env=env)
    if _bad(report, "dynamodb_backup_rpo", "dynamodb_backup_age", "rds_backup_rpo", "rds_snapshot_daily", "s3_versioning", "backup_dumps_nightly", "terraform_state_versions"):
        return f"Turn each backup back on with the command its row names (the row says who turned it off, from CloudTrail), then look again:\n  {again}"
    return f"Every backup is there and within the RPO. Look again next week (seed 001 Weekly Tasks), or from cron:\n  {again}"


def certificates(report, incident: str, env: str = "sandbox") -> str:
    """After certificate-expiry: renew what the red rows name (seed 003 "Manual Certificate Update"), then read again."""
    again = command("certificate-expiry", incident, env=env)
    if _bad(report, "tls_certificate_presented") and not _bad(report, "acm_certificate_expiry"):
        return f"ACM holds a sound certificate the endpoint does not serve: point its listener at it (the row's modify-listener), then read again:\n  {again}"
    if _bad(report, "acm_certificate_expiry", "tls_certificate_presented"):
        return f"Renew each certificate the rows name (the import command in the row; ACM-issued ones: check DNS validation), then read again:\n  {again}"
    return f"Every certificate in use has time left. Read again on the seed's monthly schedule (or from cron):\n  {again}"


def _guarded(notebook: str, outcomes: list, run_id: str, incident: str, env: str, then: str, **params) -> str:
    """After a notebook's guarded steps: apply the reviewed plans (with the parameters that made them),
    or (applied) what to look at next and how to undo it; "" when nothing was planned."""
    planned = [o.plan_id for o in outcomes if o.status in ("planned", "stale")]
    if planned:
        return f"Apply exactly the plan{'s' if len(planned) > 1 else ''} above:\n  {command(notebook, incident, env=env, **params, confirm=','.join(planned))}"
    applied = [o for o in outcomes if o.status == "applied"]
    if applied:
        verified = "verified" if all(o.verified for o in applied) else "NOT verified"
        if all(o.undo_note for o in applied):  # none of it has an undo: say so, never offer one
            return f"Applied ({verified}). {then}\nIt cannot be undone: {applied[0].undo_note}."
        return f"Applied ({verified}). {then}\nTo undo it:\n  opslib undo {run_id}"
    return ""





def incident(inc) -> str:
    """After declaring or updating: the lifecycle's next commands, with the incident and its environment filled in."""
    env = inc.env or "sandbox"
    return "\n".join([f"Tag every run with the incident:  {command('daily-health-check', inc.id, env=env)}",
                      f"Post an update:                  {command('incident-update', inc.id, env=env, status='...', confirm=True)}",
                      f"Resolve:                         {command('incident-update', inc.id, env=env, resolve=True, resolution='...', confirm=True)}",
                      f"Draft the post-mortem:           {command('postmortem', inc.id, env=env)}",
                      f"Reviewer's bundle:               opslib report --incident {inc.id}"])




def deploy_verify(report, stage: str, deployments: list[dict], incident: str, env: str = "sandbox") -> str:
    """After deploy-verify: before, deploy or finish the checklist; after, roll back what was deployed when a trigger fired."""
    if stage == "pre":
        missing = [c.resource for c in report if c.id == "deploy_checklist" and c.status != "OK"]
        if missing:
            return f"Not ready: confirm {', '.join(missing)} first, then:\n  {command('deploy-verify', incident, env=env, stage='pre', **{m: 'true' if m != 'change_ticket' else 'CHG-...' for m in missing})}"
        return f"Ready to deploy (seed 004 \"Deployment Steps\"). Afterwards, the rollback triggers:\n  {command('deploy-verify', incident, env=env)}"
    fired = any(c.id in ("deploy_error_trigger", "deploy_latency_trigger", "http_endpoint_healthy", "cloudformation_stack_status") and c.status in (CRITICAL, ERROR)
                for c in report)
    if not fired and _bad(report, "deploy_error_trigger", "deploy_latency_trigger"):
        return ("Over a trigger's threshold, not yet for the seed's minutes (the WARN rows above): look again in a few minutes:\n  "
                + command("deploy-verify", incident, env=env))
    if fired:
        if deployments:
            lines = "\n  ".join(rollback(d, incident, env) for d in deployments)
            return f"A rollback trigger fired after these deployments: roll back (each prints its plan; apply it with the plan id it gives):\n  {lines}"
        return f"A trigger fired with nothing deployed lately: find the cause:\n  {command('high-error-rate', incident, env=env)}"
    return f"No rollback trigger fired. Watch for the seed's 15 minutes, then the morning check:\n  {command('daily-health-check', incident, env=env)}"





def rerun(record: dict, **extra) -> str:
    """A filed run again as it was asked (its `-p` parameters, no secret, no confirm; on its target, when it ran on one of
    its environment's), with `extra`."""
    sources = record.get("parameter_sources") or {}
    asked = {k: v for k, v in (record.get("parameters") or {}).items() if sources.get(k) == "-p" and k != "confirm" and v != "********"}
    notebook = str(record.get("notebook", "")).split("/")[-1]
    said = command(notebook, str(record.get("incident") or ""), str(record.get("env") or "sandbox"), **asked, **extra)
    target = str(record.get("target") or "")
    return said.replace(f"opslib run {notebook}", f"opslib run {notebook} --target {shlex.quote(target)}", 1) if target else said


def undo(report, outcomes: list, run_id: str, undone_run: str, incident: str, env: str = "sandbox", undone: dict | None = None) -> str:
    """After the undo notebook: apply the reviewed undo plans, or look again as the undone run looked (`undone`: its
    ledger record), where the change was made."""
    planned = [o.plan_id for o in outcomes if o.status in ("planned", "stale")]
    if planned:
        return f"Put it back, exactly as planned above:\n  opslib undo {undone_run} --confirm {','.join(planned)}" + (f" --env {env}" if env != "sandbox" else "")
    if any(o.status == "applied" for o in outcomes):
        again = (f"Look again as run {undone_run} looked:\n  {rerun(undone)}" if undone and str(undone.get("notebook") or "change/undo") != "change/undo"
                 else f"The whole morning check:\n  {command('daily-health-check', incident, env=env)}")
        return f"Put back. {again}\nThis undo is itself a run: opslib undo {run_id}"
    return "Nothing to put back. The runs and what each changed:\n  opslib history"


# After a notebook that changes things: what to look at once its change is applied, and what to say when it planned nothing
# (each a sentence and the notebook, with parameters, that it names).
AFTER_CHANGE = {
    "rollback-lambda": ("Watch the errors fall (seed 001 \"Post-Rollback Validation\")", ("high-error-rate", {}),
                        "Nothing to roll back to. The function's health", ("lambda-errors", {})),
    "log-retention": ("Look again: every group within the policy", ("log-retention", {}),
                      "Every group keeps to the policy. The month's cost by service", ("cost-review", {})),
    "lambda-version-cleanup": ("Look again: what is left, and what uses it", ("lambda-version-cleanup", {}),
                               "Nothing to delete. The function's health", ("lambda-errors", {})),
    "terraform-state-lock": ("Look again: no lock held, and Terraform can run (terraform plan)", ("terraform-state-lock", {}),
                             "No stale lock. The state's versions", ("terraform-state-restore", {})),
    "terraform-state-restore": ("Look again, then let Terraform confirm it: terraform plan should change nothing you did not mean", ("terraform-state-restore", {}),
                                "No restore asked. Whether a lock stands in the way", ("terraform-state-lock", {})),
    "credential-rotation": ("Restart what reads it, then look again", ("credential-rotation", {}),
                            "No rotation asked. The secrets' ages again, after a rotation by hand", ("credential-rotation", {})),
    "iam-role-setup": ("Give AutoStack the role's ARN (above), then look again", ("iam-role-setup", {}),
                       "Nothing to change: the role holds what its documents say (a red simulator row then comes from outside its own policies, its permissions boundary say). The account's standing risks", ("security-audit", {})),
    "restore-drill": ("Record the drill's times against the RTO (the rows above); the backups it relies on", ("backup-verification", {}),
                      "Nothing to restore from. Why", ("backup-verification", {})),
    "rollback-stack": ("Watch the errors fall (seed 001 \"Post-Rollback Validation\")", ("high-error-rate", {}),
                       "No earlier release to roll back to. What else changed", ("high-error-rate", {})),
    "rollback-ecs": ("The morning check of health, tasks and errors", ("daily-health-check", {}),
                     "Nothing to roll back to. Why the service is unwell", ("deployment-failed", {})),
    "rollback-static-site": ("Validate against the rollback triggers (seed 001 \"Post-Rollback Validation\")", ("deploy-verify", {}),
                             "Nothing to restore. The rest of the release", ("high-error-rate", {})),
    "rollback-container": ("The app, its instance and container (seed 000 \"Checking Application Health\")", ("app-health", {}),
                           "No earlier image on the host to roll back to. Why the app is down", ("service-down", {})),
    "scale-service": ("Watch the load settle (seed 003 Weekly Performance Review)", ("performance-review", {}),
                      "Nothing asked: give -p desired_count=N and/or -p db_instance_class=db.x.y (seed 003 \"Manual Scaling\"). The load", ("performance-review", {})),
    "autoscaling-policy": ("Watch CPU and the task count against the target (seed 003 Weekly Performance Review)", ("performance-review", {}),
                           "The service already scales as asked. To change how many tasks run now", ("scale-service", {"desired_count": 5})),
    "security-incident": ("Keep watching the trail (and record the incident: opslib run incident-declare, or incident-update with --incident)",
                          ("security-incident", {}), "Nothing to contain here. The sign-in side", ("auth-failures", {})),
    "data-corruption": ("Check again that nothing is corrupt", ("data-corruption", {}), "No corrupt record. What the function wrote lately", ("lambda-errors", {})),
}


def after_change(notebook: str, report, outcomes: list, run_id: str, incident: str, env: str = "sandbox", asked: dict | None = None,
                 then: str = "") -> str:
    """After a notebook that changes things: apply exactly the reviewed plans (with the parameters that made them), or,
    once applied, what to look at (`then`: what to do first, where the run knows better than AFTER_CHANGE) and how to undo
    it; when it planned nothing, where to look instead."""
    said_then, (then_nb, then_params), nothing, (else_nb, else_params) = AFTER_CHANGE[notebook]
    then = then or said_then
    said = _guarded(notebook, outcomes, run_id, incident, env, f"{then}:\n  {command(then_nb, incident, env=env, **then_params)}", **(asked or {}))
    planned = any(o.status in ("planned", "stale") for o in outcomes)
    named = next((_named_command(c.sentence, incident, env) for c in report if c.status != "OK" and c.id == "ecs_service_tasks_running"), None)
    if notebook == "scale-service" and not said and named:
        return f"Nothing serves. Scale it back (planned first):\n  {named[1]}"
    fix = next((n for c in report if c.status != "OK" and (n := _named_command(c.sentence, incident, env)) and n[0] == notebook), None)
    if not said and fix:  # a red row names this notebook's own fix, with its parameters
        return f"The fix the row above names (planned first):\n  {fix[1]}"
    if notebook == "data-corruption" and not planned and _copy_ready(report, outcomes):
        return f"The recovery copy holds the records intact. Copy them back (planned first):\n  {command(notebook, incident, env=env, **{**(asked or {}), 'copy_back': True})}"
    unread = [c for c in report if c.status == ERROR and c.phase != "before"]
    if not said and unread and not planned:  # nothing was planned because nothing could be read: never "all is well"
        return (f"{len(unread)} read{'s' if len(unread) > 1 else ''} failed (the ERROR rows name AWS's reason), so nothing was judged or planned there. "
                f"{_when_again(unread, env)}:\n  {command(notebook, incident, env=env, **(asked or {}))}")
    return said or f"{nothing}:\n  {command(else_nb, incident, env=env, **else_params)}"


def restart_then(consumers: dict, secret: str) -> str:
    """After a rotation, before looking again: what reads the secret and how to restart it (the console shows no checklist)."""
    return f"Restart what reads it ({consumers.get(secret, 'see the checklist in this run')}), then look again"


def _when_again(unread: list, env: str) -> str:
    """What to do before reading again, from AWS's codes in the ERROR rows: a name AWS does not know is fixed by a person,
    a throttle passes, a refusal needs access."""
    codes = {str(c.observed) for c in unread}
    if codes and all("NotFound" in code or code.startswith("NoSuch") for code in codes):
        return f"AWS knows no such resource: check its name (parameters/{env}.yaml, or the -p that named it), then run it again"
    if codes and all(any(t in code for t in ("Throttl", "SlowDown", "TooManyRequests", "RequestLimitExceeded")) for code in codes):
        return "AWS throttled past the retries: run it again in a minute"
    return "Once access is back, run it again"


def _copy_ready(report, outcomes: list) -> bool:
    """data-corruption: the recovery copy exists and holds the records intact, and nothing was copied back yet."""
    copied = any(o.action.startswith("copy-items") and o.status == "applied" for o in outcomes)
    restored = any(o.action.startswith("restore-table") and o.status in ("applied", "nothing-to-do") for o in outcomes)
    return restored and not copied and any(c.id == "dynamodb_recovery_copy" and c.status == "OK" for c in report)
