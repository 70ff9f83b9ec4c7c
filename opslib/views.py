"""What a notebook cell displays, made from data already fetched: tables, figures, text.

Cells stay one line a step (`rb.show(views.alarms_now, alarms)`); the shaping, sorting and the
"nothing to show" cases live here, where they are tested like any code.
"""

from .display import status_table


def alarms_now(alarms: list[dict]):
    import pandas as pd

    from .services.cloudwatch import service_of

    rows = [{"service": service_of(a), "alarm": a["AlarmName"], "state": a["StateValue"],
             "since (UTC)": f"{a['StateUpdatedTimestamp']:%Y-%m-%d %H:%M}", "reason": a.get("StateReason", "")} for a in alarms]
    frame = pd.DataFrame(rows, columns=["service", "alarm", "state", "since (UTC)", "reason"])
    return status_table(frame.sort_values(["state", "service", "alarm"]), "state", f"{len(frame)} alarms")


def alarm_changes(changes: list[dict], window_hours: int):
    import pandas as pd

    if not changes:
        return f"No state changes in the last {window_hours} h."
    rows = [{"when (UTC)": f"{c['Timestamp']:%Y-%m-%d %H:%M}", "alarm": c["AlarmName"], "change": c["HistorySummary"].removeprefix("Alarm updated from ")}
            for c in changes]
    return pd.DataFrame(rows, columns=["when (UTC)", "alarm", "change"])


def containers(rows: list[dict]):
    import pandas as pd

    return pd.DataFrame(rows, columns=["Names", "Image", "State", "Status", "RunningFor", "Ports"])


def last_lines(lines: list[str], n: int = 15):
    from IPython.display import Pretty

    return Pretty("\n".join(lines[-n:]) if lines else "(no log lines)")


def cost_by_service(by_service, baseline_days: int, warn_pct: float, critical_pct: float, window_days: int):
    """The stacked daily cost with bands against the baseline, and the last days per service."""
    from .plots import stacked_with_bands

    if by_service is None or not len(by_service):
        return "No cost data for the window."
    baseline = by_service.sum(axis=1).iloc[-1 - baseline_days : -1].mean()
    figure = stacked_with_bands(by_service, baseline * (1 + warn_pct / 100), baseline * (1 + critical_pct / 100),
                                f"Daily cost by service, last {window_days} days (bands: against the {baseline_days}-day baseline)", "USD")
    table = by_service.iloc[-baseline_days - 1 :].T.round(2)
    table = table.assign(total=table.sum(axis=1)).sort_values("total", ascending=False)
    return figure, table


def usage_types(by_usage, top: int):
    if by_usage is None or not len(by_usage):
        return "No usage-type data for the window."
    return by_usage.sum().sort_values(ascending=False).head(top).round(2).rename("USD over the window").to_frame()


def matches_per_interval(found: dict, window_minutes: int, interval_minutes: int, warn, critical, pattern: str):
    """Matches per interval for each group; the window's thresholds spread evenly over its intervals."""
    from .plots import with_bands
    from .services.logs import per_interval

    if not found:
        return "No log group answered."
    share = interval_minutes / window_minutes
    series = {group: per_interval(events, window_minutes, interval_minutes) for group, events in found.items()}
    return with_bands(series, warn * share, critical * share, f"{pattern!r} matches per {interval_minutes} min", "matches")


def top_messages(found: dict, n: int):
    import pandas as pd

    from .services.logs import top_messages as top

    events = [e for group in found.values() for e in group]
    return pd.DataFrame(top(events, n), columns=["message", "count"]) if events else "No matches."


def bands(series_by_id: dict, keys, warn, critical, title: str, unit: str, kind: str = "line"):
    """A plot with warning/critical bands of one fetched series (`keys` an id) or several
    (`keys` a mapping of legend label to id)."""
    from .plots import with_bands

    wanted = {"": keys} if isinstance(keys, str) else dict(keys)
    missing = [k for k in wanted.values() if k not in series_by_id]
    if missing:
        return f"No data for {', '.join(missing)}."
    series = series_by_id[keys] if isinstance(keys, str) else {label: series_by_id[k] for label, k in wanted.items()}
    return with_bands(series, warn, critical, title, unit, kind=kind)


def timeline(events: list):
    """An incident's timeline (opslib.timeline), whole: no cell cut short, red and changes coloured."""
    import pandas as pd

    from .checks import COLOURS

    colours = {"declared": COLOURS["CRITICAL"], "red": COLOURS["CRITICAL"], "failed": COLOURS["ERROR"], "applied": COLOURS["ERROR"], "resolved": COLOURS["OK"]}
    if not events:
        return "Nothing in the timeline yet: no run was tagged with this incident."
    frame = pd.DataFrame([e.row() for e in events])

    def paint(kind):
        return f"color:{colours[kind]};font-weight:bold" if kind in colours else ""

    from .display import styled

    return styled(frame).map(paint, subset=["what"]).set_properties(**{"text-align": "left", "white-space": "normal"})


def error_rates(rates_by_source: dict, warn: float, critical: float, window_minutes: int):
    from .plots import with_bands

    shown = {source: s for source, s in rates_by_source.items() if len(s)}
    if not shown:
        return f"No requests recorded in the last {window_minutes} minutes."
    return with_bands(shown, warn, critical, f"Share of requests that failed, last {window_minutes} minutes", "%")


def deployments(rows: list[dict], hours: int):
    import pandas as pd

    if not rows:
        return f"No deployment in the last {hours} h (stack updates, ECS deployments, Lambda alias moves, web releases)."
    return pd.DataFrame([{"when (UTC)": f"{r['when']:%Y-%m-%d %H:%M}", "what": r["what"], "where": r["where"], "rolls back to": r["previous"]} for r in rows])


def stack_releases(found: list[dict], state: dict | None):
    """The pipeline's releases of a stack, newest first, the one it runs marked."""
    import pandas as pd

    from .actions.cloudformation import fingerprint
    from .services.cloudformation import running_release

    if not found:
        return "No release of this stack is kept where the pipeline keeps them (the bucket and key above)."
    current, previous = running_release(state, found)
    marks = {id(current): "runs now", id(previous): "the one before"}
    return pd.DataFrame([{"release": r["release"], "released (UTC)": f"{r['when']:%Y-%m-%d %H:%M}", "template and parameters": fingerprint(r["template"], r["parameters"]),
                          "S3 version": r["version_id"], "": marks.get(id(r), "")} for r in found])


def deployment_status(now: dict | None, found: list | None, fn: dict | None, site: dict | None, svc: dict | None, probe):
    """Seed 001's `deployment-status.sh prod all`: one row per system, what runs, since when, the state of its last change."""
    import pandas as pd

    from .services.cloudformation import running_release
    from .services.s3 import last_release

    def when(value) -> str:
        from datetime import datetime

        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
        return f"{value:%Y-%m-%d %H:%M}" if value else "-"

    rows = []
    if now:
        stack, (current, _) = now["stack"], running_release(now, found)
        rows.append(("EC2 Manager stack", stack["StackName"], f"release {current['release']}" if current else "a template of no kept release",
                     when(stack.get("LastUpdatedTime") or stack.get("CreationTime")), stack["StackStatus"]))
    if fn:
        alias = fn["alias"]
        version = next((v for v in fn["versions"] if v["Version"] == alias["FunctionVersion"]), {})
        rows.append(("EC2 Manager function", f"{alias['AliasArn'].split(':')[-2]}:{alias['Name']}", f"version {alias['FunctionVersion']} ({version.get('Description') or 'no description'})",
                     when(version.get("LastModified")), "-"))
    if site is not None:
        release = last_release(site)
        newest = max((v[0]["modified"] for k, v in site.items() if k in release and v), default=None)
        rows.append(("EC2 Manager site", "web bucket", f"{len(release)} objects in its last release" if release else "no release", when(newest), "-"))
    if svc:
        primary = next((d for d in svc.get("deployments", []) if d.get("status") == "PRIMARY"), {})
        rows.append(("RMS backend", svc["serviceName"], primary.get("taskDefinition", svc.get("taskDefinition", "")).rsplit("/", 1)[-1],
                     when(primary.get("createdAt")), f"{primary.get('rolloutState', '-')} ({svc['runningCount']} of {svc['desiredCount']} running)"))
    body = probe.body if probe is not None else None
    rows.append(("web app", "/health", f"version {body.get('version', '?')}" if isinstance(body, dict) else "no answer", "-",
                 f"HTTP {probe.status}" if probe is not None and probe.status else "-"))
    return pd.DataFrame(rows, columns=["system", "what", "runs", "since (UTC)", "state"])


def log_groups(groups: list[dict], policy_days: int):
    """Seed 001's `--query 'logGroups[*].{LogGroupName,RetentionInDays}'`, with what each stores, out-of-policy first."""
    import pandas as pd

    from .units import size

    if not groups:
        return "No log group under this prefix."
    rows = [{"log group": g["logGroupName"], "retention (days)": g.get("retentionInDays") or "never expire", "stored": size(int(g.get("storedBytes") or 0)),
             "within policy": "yes" if g.get("retentionInDays") is not None and g["retentionInDays"] <= policy_days else "NO"} for g in groups]
    return pd.DataFrame(sorted(rows, key=lambda r: r["within policy"] == "yes"))


def lambda_versions(found: dict, days: int):
    """Each published version: when, its code's SHA-256, what uses it, and whether it may go."""
    import pandas as pd

    from .checks.awslambda import unused_old

    old = {v["Version"] for v in unused_old(found, days)}
    return pd.DataFrame([{"version": v["Version"], "published": str(v.get("LastModified", ""))[:19], "description": v.get("Description", ""),
                          "code sha256": str(v.get("CodeSha256", ""))[:16], "used by": ", ".join(found["used"].get(v["Version"], [])) or "-",
                          "may go": "yes" if v["Version"] in old else ""} for v in found["versions"]])


def terraform_locks(found: dict, minutes: int):
    """Seed 002's `aws dynamodb scan --table-name autostack-tf-locks`, read: each lock's holder, age, and the state's last write."""
    import pandas as pd

    from datetime import datetime, timezone

    from .checks.terraform import created, last_write, stale
    from .units import duration

    path = f"{found['bucket']}/{found['key']}"
    written = last_write(found)
    said = (f"Terraform's lock for this state is the item LockID = \"{path}\" (the S3 backend's <bucket>/<key>). Seed 002's "
            f"`delete-item --key '{{\"LockID\": {{\"S\": \"{found['key']}\"}}}}'` names no item, and DynamoDB deletes nothing without saying so. "
            f"The state was last written {f'{written:%Y-%m-%d %H:%M} UTC' if written else 'never'}.")
    if not found["locks"]:
        return said
    now, dead = datetime.now(timezone.utc), {lock["lock_id"] for lock in stale(found, minutes)}
    return said, pd.DataFrame([{"LockID": lock["lock_id"], "who": lock.get("who", "?"), "operation": lock.get("operation", "?"),
                                "taken (UTC)": lock.get("created", "?")[:19], "held": duration((now - t).total_seconds()) if (t := created(lock)) else "?",
                                "Terraform": lock.get("version", "?"), "lock ID": lock.get("id", "?"), "stale": "yes" if lock["lock_id"] in dead else ""}
                               for lock in found["locks"]])


def terraform_versions(versions: list[dict], compare_with: str = ""):
    """Seed 002's `aws s3api list-object-versions` of the state, read: each version's serial, lineage and resources, and what
    the current one adds and drops against `compare_with` (default: the version before it)."""
    import pandas as pd

    if not versions:
        return "The state object has no version."
    table = pd.DataFrame([{"version": v["version"], "written (UTC)": f"{v['modified']:%Y-%m-%d %H:%M}", "serial": v["serial"] if v["readable"] else "not a state",
                           "lineage": v["lineage"][:13], "resources": len(v["addresses"]), "Terraform": v["terraform_version"], "bytes": v["size"],
                           "current": "yes" if i == 0 else ""} for i, v in enumerate(versions)])
    other = next((v for v in versions if v["version"] == compare_with), None) if compare_with else (versions[1] if len(versions) > 1 else None)
    if other is None:
        return (table, f"No version {compare_with} among the newest {len(versions)} to compare with.") if compare_with else table
    current = versions[0]
    added, removed = sorted(set(current["addresses"]) - set(other["addresses"])), sorted(set(other["addresses"]) - set(current["addresses"]))
    said = (f"The current version against {other['version']} (serial {other['serial']}): "
            + (f"{len(added)} resources only in the current ({', '.join(added[:10])}{' ...' if len(added) > 10 else ''}); " if added else "none added; ")
            + (f"{len(removed)} only in {other['version']} ({', '.join(removed[:10])}{' ...' if len(removed) > 10 else ''})." if removed else "none dropped."))
    return table, said


def certificates(certs: list[dict], found: list[dict] | None = None):
    """Seed 003's `describe-certificate --query 'Certificate.[DomainName,Status,NotAfter]'` for every certificate, with where
    each is served and whether ACM renews it; then what each live endpoint presents (seed 004's `openssl s_client`)."""
    import pandas as pd

    from .checks.acm import days_left, where

    table = pd.DataFrame([{"domain": c["DomainName"], "region": c.get("Region", ""), "status": c.get("Status"), "type": c.get("Type"),
                           "expires (UTC)": f"{c['NotAfter']:%Y-%m-%d}", "days left": days_left(c["NotAfter"]), "served by": where(c) or "-",
                           "renewal": c.get("RenewalEligibility", "")} for c in sorted(certs, key=lambda c: c["NotAfter"])]) if certs else "No certificate in ACM."
    if not found:
        return table
    live = pd.DataFrame([{"name": p["name"], "url": p["url"], "presents": p.get("subject", ""), "valid until (UTC)": f"{p['not_after']:%Y-%m-%d %H:%M}" if "not_after" in p else "-",
                          "days left": days_left(p["not_after"]) if "not_after" in p else "-", "sha256": p.get("sha256", "")[:16], "error": p.get("error", "")} for p in found])
    return table, live


def backups(tables: list[dict] | None, dbs: list[dict] | None):
    """Each table's and instance's backups: what a restore now would reach back to, and the newest copy kept."""
    import pandas as pd

    rows = []
    for t in tables or []:
        pitr = t["pitr"]
        rows.append({"what": f"DynamoDB {t['table']}", "continuous": pitr.get("PointInTimeRecoveryStatus", "?"),
                     "restorable from": f"{pitr['EarliestRestorableDateTime']:%Y-%m-%d %H:%M}" if pitr.get("EarliestRestorableDateTime") else "-",
                     "restorable to": f"{pitr['LatestRestorableDateTime']:%Y-%m-%d %H:%M}" if pitr.get("LatestRestorableDateTime") else "-",
                     "newest copy": f"{t['backups'][0]['BackupName']} ({t['backups'][0]['BackupCreationDateTime']:%Y-%m-%d %H:%M})" if t["backups"] else "-",
                     "copies": len(t["backups"])})
    for db in dbs or []:
        rows.append({"what": f"RDS {db['db']}", "continuous": f"{db['retention_days']} days kept" if db["retention_days"] else "OFF",
                     "restorable from": f"{db['automated'][-1]['SnapshotCreateTime']:%Y-%m-%d %H:%M}" if db["automated"] else "-",
                     "restorable to": f"{db['latest_restorable']:%Y-%m-%d %H:%M}" if db["latest_restorable"] else "-",
                     "newest copy": f"{db['automated'][0]['DBSnapshotIdentifier']} ({db['automated'][0]['SnapshotCreateTime']:%Y-%m-%d %H:%M})" if db["automated"]
                     else (f"{db['manual'][0]['DBSnapshotIdentifier']} (manual)" if db["manual"] else "-"),
                     "copies": len(db["automated"]) + len(db["manual"])})
    return pd.DataFrame(rows) if rows else "Nothing read."


def secret_ages(found: list[dict], policies: dict):
    """Each secret's age against its policy, and its versions' stages (never a value)."""
    import pandas as pd

    from datetime import datetime, timezone

    from .checks.credentials import changed

    now = datetime.now(timezone.utc)
    return pd.DataFrame([{"secret": s["Name"], "last changed": f"{changed(s):%Y-%m-%d}" if changed(s) else "-",
                          "age (days)": (now - changed(s)).days if changed(s) else "-", "every (days)": policies.get(s["Name"], "-"),
                          "rotation": "automatic" if s.get("RotationEnabled") else "by hand",
                          "versions": ", ".join(f"{v[:8]} {'/'.join(st)}" for v, st in (s.get("VersionIdsToStages") or {}).items())} for s in found])


def rotation_checklist(consumers: dict, oauth: dict, role: str) -> str:
    """What rotation leaves to people (seed 002 "Credential Rotation"): consumers to restart, OAuth secrets the provider issues,
    and the IAM role's quarterly review."""
    lines = ["After a rotation, restart what reads the secret (it holds the old value until then):"]
    lines += [f"  [ ] {name}: {what}" for name, what in consumers.items()]
    lines += ["OAuth client secrets are issued by the provider: rotate each in its console, then store the new one (never pasted into a notebook):"]
    lines += [f"  [ ] {name}: {where}, then `aws secretsmanager put-secret-value --secret-id {name} --secret-string file://new.json`, restart the consumers, "
              "revoke the old secret in the provider" for name, where in oauth.items()]
    lines += [f"The IAM role (seed 002 \"Rotate AWS IAM Role\", quarterly, or when compromised): create its successor from the same policy "
              f"(`opslib run iam-role-setup -p role_name={role}V2`), point AutoStack at the new ARN, then delete {role}."]
    return "\n".join(lines)


def table_summary(table: dict):
    import pandas as pd

    billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    t = table.get("ProvisionedThroughput", {})
    return pd.DataFrame([{"table": table["TableName"], "status": table["TableStatus"], "billing": billing,
                          "read units": t.get("ReadCapacityUnits", "-") if billing == "PROVISIONED" else "on demand",
                          "write units": t.get("WriteCapacityUnits", "-") if billing == "PROVISIONED" else "on demand",
                          "items": table.get("ItemCount", "-"), "keys": ", ".join(f"{k['AttributeName']} ({k['KeyType']})" for k in table.get("KeySchema", []))}])


def latency(series: dict, warn_ms: float, critical_ms: float, window_minutes: int):
    """p95 at both front doors on one axis, in ms (the ALB reports seconds)."""
    from .plots import with_bands

    shown = {label: s for label, s in (("ALB (RMS API)", series.get("alb_p95", []) * 1000), ("API Gateway (EC2 Manager)", series.get("api_p95", [])))
             if len(s)}
    if not shown:
        return f"No latency recorded in the last {window_minutes} minutes."
    return with_bands(shown, warn_ms, critical_ms, f"p95 latency, last {window_minutes} minutes", "ms")


def statements(rows: list[dict]):
    """pg_stat_statements' slowest, whole statements (they are what a responder EXPLAINs)."""
    import pandas as pd

    if not rows:
        return "pg_stat_statements has recorded nothing since its last reset."
    frame = pd.DataFrame(rows, columns=["mean_ms", "calls", "total_ms", "rows", "statement"])
    from .display import styled

    return styled(frame).set_properties(subset=["statement"], **{"text-align": "left", "white-space": "normal", "font-family": "monospace"})


def function_config(config: dict):
    """Seed 001 step 1's `get-function-configuration`, the fields a responder reads."""
    import pandas as pd

    return pd.DataFrame([{"function": config["FunctionName"], "runtime": config.get("Runtime", "-"), "memory (MB)": config.get("MemorySize"),
                          "timeout (s)": config.get("Timeout"), "state": config.get("State", "Active"), "last update": config.get("LastUpdateStatus", "-"),
                          "modified": config.get("LastModified", "-"), "role": config.get("Role", "-").rsplit("/", 1)[-1]}])


def function_errors(found: dict, n: int):
    """The function's top error lines (its log's ERROR matches, folded as top_messages folds them)."""
    return top_messages({found["log_group"]: found["errors"]}, n)


def invocations(found: dict):
    """What the REPORT lines add up to: invocations, cold starts, duration and memory (seed 001 "Lambda Optimization")."""
    import pandas as pd

    reports = found["reports"]
    if not reports:
        return f"No REPORT line in {found['log_group']} in the window."
    frame = pd.DataFrame(reports)
    cold = frame["init_ms"].notna()
    return pd.DataFrame([{"invocations": len(frame), "error lines": len(found["errors"]), "cold starts": int(cold.sum()),
                          "duration p50 (ms)": round(frame["duration_ms"].median(), 1), "duration max (ms)": round(frame["duration_ms"].max(), 1),
                          "memory used max (MB)": int(frame["used_mb"].max()), "memory size (MB)": int(frame["memory_mb"].max()),
                          "init max (ms)": round(frame.loc[cold, "init_ms"].max(), 1) if cold.any() else "-"}])


def sign_in_failures(events: list[dict], n: int = 10):
    """Failed sign-ins by source address: how many, which users were tried, from when to when."""
    import pandas as pd

    failed = pd.DataFrame([e for e in events if e["result"] == "FAILED"], columns=["at", "result", "user", "source", "reason"])
    if failed.empty:
        return "No failed sign-in in the window."
    rows = failed.groupby("source").agg(failures=("user", "size"), users=("user", lambda u: ", ".join(sorted(set(u)))),
                                        first=("at", "min"), last=("at", "max")).sort_values("failures", ascending=False).head(n)
    return rows.assign(first=rows["first"].dt.strftime("%H:%M:%S"), last=rows["last"].dt.strftime("%H:%M:%S")).reset_index()


def refusals(found: dict, n: int = 10):
    """The top refused addresses and the refusals a minute (seed 002: `... | sort | uniq -c`)."""
    import pandas as pd

    from .plots import with_bands

    t = found["tally"]
    if not t.total:
        return f"No {found['status']} in {found['log_group']} in the last {found['minutes']} minutes."
    table = pd.DataFrame([{"address": a, f"{found['status']}s": c, "share %": round(100 * c / t.total, 1)} for a, c in t.top(n)])
    minutes = pd.Series(found["per_minute"], dtype=float)
    minutes.index = pd.to_datetime(minutes.index, unit="s", utc=True)
    return table, with_bands(minutes.sort_index(), None, None, f"{found['status']}s a minute: {found['log_group']}", "per minute", kind="bar")


def block_list(found: dict, block_at: int, allow: list[str]):
    """What to paste (seed 002 step 3: `deny 1.2.3.4;` for nginx) and the AWS WAF equivalent; nothing is applied here."""
    from IPython.display import Pretty

    from .checks.ratelimit import offenders

    bad = offenders(found, block_at, allow)
    if not bad:
        return Pretty(f"Nothing to block: no address has {block_at}+ refusals outside the allowed networks.")
    lines = ["# nginx (seed 002 step 3)", *[f"deny {a};  # {n} refusals" for a, n in bad], "",
             "# AWS WAF: add them to the web ACL's block IP set (get-ip-set gives the lock token)",
             "aws wafv2 update-ip-set --scope REGIONAL --name <blocked> --id <id> --lock-token <token> --addresses "
             + " ".join(f"{a}/32" if ":" not in a else f"{a}/128" for a, _ in bad)]
    return Pretty("\n".join(lines))


def ecs_deployments(svc: dict):
    """`aws ecs describe-services`' deployments, newest first."""
    import pandas as pd

    return pd.DataFrame([{"deployment": d.get("id", ""), "status": d.get("status", ""), "task definition": d.get("taskDefinition", "").rsplit("/", 1)[-1],
                          "rollout": d.get("rolloutState", "-"), "running": d.get("runningCount", 0), "desired": d.get("desiredCount", 0),
                          "failed": d.get("failedTasks", 0), "created (UTC)": f"{d['createdAt']:%Y-%m-%d %H:%M}" if d.get("createdAt") else "-"}
                         for d in svc.get("deployments", [])])


def stopped_tasks(rows: list[dict]):
    import pandas as pd

    if not rows:
        return "No stopped task in the last hour."
    return pd.DataFrame(rows, columns=["task", "revision", "reason", "stop_code", "exit_code", "container_reason"])


def function_versions(found: dict):
    """The published versions, newest first, with where the alias points and the rollback target marked."""
    import pandas as pd

    live, previous = found["alias"]["FunctionVersion"], found["previous"]
    rows = [{"version": v["Version"], "": f"{found['alias']['Name']} (now)" if v["Version"] == live else "rollback target" if v["Version"] == previous else "",
             "published": v.get("LastModified", "")[:19], "description": v.get("Description", ""), "code": v.get("CodeSha256", "")[:12]}
            for v in reversed(found["versions"])]
    return pd.DataFrame(rows, columns=["version", "", "published", "description", "code"])


def database(db: dict):
    """`aws rds describe-db-instances`, the fields scaling is about."""
    import pandas as pd

    return pd.DataFrame([{"instance": db["DBInstanceIdentifier"], "class": db["DBInstanceClass"], "status": db["DBInstanceStatus"],
                          "engine": f"{db.get('Engine', '')} {db.get('EngineVersion', '')}".strip(), "multi-AZ": db.get("MultiAZ", False),
                          "storage (GB)": db.get("AllocatedStorage")}])


def scaling(target: dict | None, policies: list[dict]):
    """The scalable target's bounds and each policy on it (seed 003: `describe-scalable-targets`, `describe-scaling-policies`)."""
    import pandas as pd

    from .services.autoscaling import target_tracking

    bounds = f"{target['MinCapacity']}..{target['MaxCapacity']} tasks" if target else "not registered"
    rows = [{"policy": p["PolicyName"], "type": p["PolicyType"], **(target_tracking(p) or {}), "alarms": len(p.get("Alarms", []))} for p in policies]
    frame = pd.DataFrame(rows, columns=["policy", "type", "metric", "target", "scale_out_cooldown_s", "scale_in_cooldown_s", "alarms"])
    return f"Scalable target: {bounds}; {len(rows)} scaling {'policy' if len(rows) == 1 else 'policies'}.", frame


def release(found: dict, versions: dict):
    """The last release's objects: the version live now and the one it replaced (what a rollback restores)."""
    import pandas as pd

    if versions is None:
        return "The bucket's object versions could not be read (the ERROR row says why)."
    rows = [{"object": key, "live since (UTC)": f"{versions[key][0]['modified']:%Y-%m-%d %H:%M}", "size": versions[key][0]["size"],
             "restores": f"{before['modified']:%Y-%m-%d %H:%M} ({before['size']} bytes)" if before else "(removed: the release added it)"}
            for key, before in found.items()]
    if not rows:
        return "No object in the bucket: nothing was released."
    return pd.DataFrame(rows, columns=["object", "live since (UTC)", "size", "restores"])


def images(rows: list[dict], running: dict | None):
    """`docker images` for the app's repository, marking the one the container runs."""
    import pandas as pd

    current = (running or {}).get("image_id")
    frame = pd.DataFrame([{"image": f"{r['Repository']}:{r['Tag']}", "id": r["ID"], "built": r["CreatedSince"], "size": r["Size"],
                           "runs now": "<- webapp" if r["ID"] == current and r["Tag"] != "latest" else ""} for r in rows],
                         columns=["image", "id", "built", "size", "runs now"])
    return f"The container runs {(running or {}).get('image', 'nothing')} ({(running or {}).get('state', 'absent')}).", frame


def security_events(found: list[dict], minutes: int):
    """The high-risk calls and who was refused most, from the trail's records."""
    import pandas as pd

    from .services import cloudtrail

    risky = pd.DataFrame([{"when (UTC)": r.get("eventTime", ""), "call": r.get("eventName", ""), "by": cloudtrail.actor(r), "from": r.get("sourceIPAddress", ""),
                           "on": json_brief(r.get("requestParameters"))} for r in cloudtrail.high_risk(found)], columns=["when (UTC)", "call", "by", "from", "on"])
    refused = pd.DataFrame([{"identity": who, "refused": len(calls), "from": ", ".join(sorted({c.get("sourceIPAddress", "?") for c in calls}))}
                            for who, calls in list(cloudtrail.denied(cloudtrail.since(found, minutes)).items())[:10]], columns=["identity", "refused", "from"])
    return f"High-risk calls: {len(risky)}", risky, f"Refused calls in the last {minutes} minutes, by identity:", refused


def json_brief(value, limit: int = 80) -> str:
    import json

    text = json.dumps(value, sort_keys=True) if value else ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def template(body):
    """The processed template, kept in the run's evidence as it was when the breach was handled."""
    import json

    from IPython.display import Pretty

    return Pretty(json.dumps(body, indent=2, sort_keys=True) if isinstance(body, dict) else str(body))


def security_checklist(outcomes: list, incident: str, env: str) -> str:
    """Seed 001 "Security Incident Checklist" as the seed writes it, each item ticked when this run did it, else with
    what this run planned or the command that does it (in full: it is there to be copied)."""
    from .advice import command

    def state(verb: str, asked: str) -> tuple[bool, str]:
        mine = [o for o in outcomes if o.action.startswith(verb)]
        if not mine:
            return False, f"not asked ({asked})"
        return all(o.status == "applied" for o in mine), "; ".join(f"{o.status}{' (verified)' if o.verified else ''} {o.plan_id}".rstrip() for o in mine)

    inc = incident or "INC-..."
    notify = (command("incident-update", incident, env=env, status="...", confirm=True) if incident
              else command("incident-declare", env=env, service="EC2 Manager Production", impact="Suspected security breach"))
    items = [("Isolate affected systems immediately", *state("set-api-policy", "-p isolate_api=true")),
             ("Preserve evidence and logs", *state("export-logs", "-p evidence_log_groups=[...]")),
             ("Notify security team and management", False, notify),
             ("Document timeline of events", False, f"every run tagged with the incident is on it: {command('postmortem', inc, env=env)}"),
             ("Reset compromised credentials", *state("global-sign-out", "-p sign_out_user=NAME")),
             ("Review and update security measures", False, "seed 001 \"Security Hardening\" (IAM policies, security groups, bucket encryption)"),
             ("Conduct post-incident security review", False, command("postmortem", inc, env=env))]
    lines = [f"- [{'x' if done else ' '}] {item}: {said}" for item, done, said in items]
    return "\n".join(["Seed 001 security incident checklist (the stack's processed template is kept in this run, section 3;",
                      "IAM access keys: aws iam update-access-key --status Inactive):", *lines])


def corrupt_records(bad: list[dict], n: int = 20):
    import pandas as pd

    if not bad:
        return "No corrupt record."
    return pd.DataFrame([{"id": i.get("id"), "timestamp": i.get("timestamp"), "action": i.get("action"), "user": i.get("user"), "wrong": ", ".join(i["problems"])}
                         for i in bad[:n]], columns=["id", "timestamp", "action", "user", "wrong"])


def recovery_sources(sources: dict):
    import pandas as pd

    pitr = sources["pitr"]
    window = (f"point-in-time recovery {pitr['PointInTimeRecoveryStatus']}: {pitr['EarliestRestorableDateTime']:%Y-%m-%d %H:%M} to "
              f"{pitr['LatestRestorableDateTime']:%Y-%m-%d %H:%M} UTC") if pitr.get("EarliestRestorableDateTime") else f"point-in-time recovery {pitr['PointInTimeRecoveryStatus']}"
    backups = pd.DataFrame([{"backup": b["BackupName"], "taken (UTC)": f"{b['BackupCreationDateTime']:%Y-%m-%d %H:%M}", "status": b.get("BackupStatus", ""),
                             "arn": b["BackupArn"]} for b in sources["backups"]], columns=["backup", "taken (UTC)", "status", "arn"])
    return window, backups


def recovery_comparison(compared: dict):
    import pandas as pd

    if compared.get("status") != "ACTIVE":
        return f"The recovery table is {compared.get('status')}."
    rows = [{"id": k.get("id"), "timestamp": k.get("timestamp"), "live": f"{k.get('action')!r} by {k.get('user')!r}",
             "recovery copy": f"{kept.get('action')!r} by {kept.get('user')!r}" if kept else "(not in the copy)"} for k, kept in compared["pairs"]]
    return f"Records: live {compared['live_count']}, recovery copy {compared['recovery_count']}.", pd.DataFrame(rows, columns=["id", "timestamp", "live", "recovery copy"])


def applied_changes(done: list[dict], run_id: str):
    """What a run changed, as its journal says: each action, its changes, whether it was verified, and its undo."""
    import pandas as pd

    if not done:
        return f"Run {run_id or '(none)'}: no applied change."
    rows = [{"when (UTC)": r.get("at", "")[:19], "action": r.get("action"), "changes": "; ".join(f"{c['resource']} {c['attribute']}: {c['before']} -> {c['after']}" for c in r.get("changes", [])),
             "verified": r.get("verified"), "undo": ", ".join(u["verb"] for u in r.get("undo") or []) or r.get("undo_note", "")} for r in done]
    return pd.DataFrame(rows, columns=["when (UTC)", "action", "changes", "verified", "undo"])
