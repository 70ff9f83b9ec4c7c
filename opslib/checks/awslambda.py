"""Lambda: the function's state, what its log says of each invocation, what a test invocation answers."""

from ..units import duration, number, plural
from . import CRITICAL, OK, WARN, Check, describe_threshold, evaluate


def function_active(config: dict) -> Check:
    """Seed 001 "Complete System Outage" step 4, short of invoking it: the function is Active and its last update succeeded."""
    name, state, update = config["FunctionName"], config.get("State", "Active"), config.get("LastUpdateStatus", "Successful")
    level = OK if (state, update) == ("Active", "Successful") else WARN if state == "Pending" or update == "InProgress" else CRITICAL
    why = config.get("StateReason") or config.get("LastUpdateStatusReason")
    reason = f" ({why})" if level != OK and why else ""
    return Check("lambda_function_state", level, name, f"{state}, last update {update}", "Active, Successful",
                 f"Function {name} is {state}; its last update {update.lower()}{reason}.")


def from_logs(found: dict, config: dict | None, minutes: int, error_warn_pct: float, error_critical_pct: float,
              memory_warn_pct: float, memory_critical_pct: float, timeout_warn_pct: float, timeout_critical_pct: float) -> list[Check]:
    """Seed 001 "Lambda Function Issues": the share of invocations that logged an error, memory used
    against the size, duration against the timeout (each REPORT line is one invocation)."""
    group, reports, errors = found["log_group"], found["reports"], found["errors"]
    if not reports:
        return [Check("lambda_log_errors", WARN if errors else OK, group, f"{len(errors)} errors, 0 invocations", "",
                      f"No invocation logged in the last {minutes} minutes" + (f", yet {plural(len(errors), 'error line')}." if errors else "."))]
    pct = 100 * min(len(errors), len(reports)) / len(reports)
    rows = [Check("lambda_log_errors", evaluate(pct, error_warn_pct, error_critical_pct), group, f"{number(pct)}%", describe_threshold(error_warn_pct, error_critical_pct, "%"),
                  f"{plural(len(errors), 'error line')} in {plural(len(reports), 'invocation')} in the last {minutes} minutes ({number(pct)}%).")]
    worst = max(reports, key=lambda r: r["used_mb"] / r["memory_mb"])
    used_pct = 100 * worst["used_mb"] / worst["memory_mb"]
    rows.append(Check("lambda_memory_used", evaluate(used_pct, memory_warn_pct, memory_critical_pct), group, f"{worst['used_mb']}/{worst['memory_mb']} MB",
                      describe_threshold(memory_warn_pct, memory_critical_pct, "%"),
                      f"At most {worst['used_mb']} MB of its {worst['memory_mb']} MB used ({number(used_pct)}%)"
                      + ("; seed 001: increase the memory (it also buys CPU)." if used_pct >= memory_warn_pct else ".")))
    if config:
        longest, timeout_ms = max(r["duration_ms"] for r in reports), config["Timeout"] * 1000
        share = 100 * longest / timeout_ms
        rows.append(Check("lambda_timeout_headroom", evaluate(share, timeout_warn_pct, timeout_critical_pct), config["FunctionName"],
                          f"{duration(longest / 1000)} of {duration(config['Timeout'])}", describe_threshold(timeout_warn_pct, timeout_critical_pct, "% of the timeout"),
                          f"The longest invocation took {duration(longest / 1000)}, {number(share)}% of its {duration(config['Timeout'])} timeout"
                          + ("; seed 001: raise the timeout or find what is slow." if share >= timeout_warn_pct else ".")))
    return rows


def from_metrics(series: dict, name: str, minutes: int, error_warn_pct: float, error_critical_pct: float, duration_warn_ms: float, duration_critical_ms: float) -> list[Check]:
    """Seed 001's alerts: errors over 5 % of invocations, duration warning > 10 s, critical > 15 s; any throttle warns."""
    errors, calls = float(series["errors"].sum()), float(series["invocations"].sum())
    pct = 100 * errors / calls if calls else 0.0
    rows = [Check("lambda_error_rate", evaluate(pct, error_warn_pct, error_critical_pct), name, f"{number(pct)}%", describe_threshold(error_warn_pct, error_critical_pct, "%"),
                  f"{errors:,.0f} errors in {calls:,.0f} invocations in the last {minutes} minutes ({number(pct)}%).")]
    average = series["duration_avg"]
    if len(average):
        peak = float(average.max())
        rows.append(Check("lambda_duration_recent", evaluate(peak, duration_warn_ms, duration_critical_ms), name, f"{number(peak)} ms",
                          describe_threshold(duration_warn_ms, duration_critical_ms, " ms"),
                          f"Average duration peaked at {duration(peak / 1000)} in the last {minutes} minutes."))
    throttled = float(series["throttles"].sum())
    share = 100 * throttled / (throttled + calls) if throttled else 0.0  # a throttled call is no invocation
    status = max(WARN, evaluate(share, error_warn_pct, error_critical_pct), key=(OK, WARN, CRITICAL).index) if throttled else OK
    rows.append(Check("lambda_throttles", status, name, f"{throttled:,.0f}", describe_threshold(error_warn_pct, error_critical_pct, "% of calls"),
                      f"{throttled:,.0f} of {throttled + calls:,.0f} calls throttled in the last {minutes} minutes ({number(share)}%)"
                      + (": its concurrency limit is reached (a reserved concurrency of 0 lets none run)." if throttled else ".")))
    return rows


def test_invoke(answer: dict, name: str) -> Check:
    """What one test invocation answered, with its REPORT line."""
    r = answer["report"]
    took = f" in {duration(r['duration_ms'] / 1000)} using {r['used_mb']} of {r['memory_mb']} MB" if r else ""
    if answer["function_error"] or answer["status"] >= 300:
        return Check("lambda_test_invoke", CRITICAL, name, answer["function_error"] or answer["status"], "answers without error",
                     f"Test invoke of {name} (version {answer['version']}) failed{took}: {_message(answer['payload'])}")
    return Check("lambda_test_invoke", OK, name, answer["status"], "answers without error", f"Test invoke of {name} (version {answer['version']}) answered {answer['status']}{took}.")


def _message(payload: str) -> str:
    import json

    try:
        body = json.loads(payload)
    except ValueError:
        return payload[:300]
    return f"{body.get('errorType', 'Error')}: {body.get('errorMessage', '')}" if isinstance(body, dict) else payload[:300]


def unused_old(found: dict | None, days: int) -> list[dict]:
    """Versions published more than `days` ago that no alias or event source uses."""
    from datetime import datetime, timedelta, timezone

    if not found:
        return []
    cut = datetime.now(timezone.utc) - timedelta(days=days)

    def published(v) -> datetime:
        return datetime.fromisoformat(str(v.get("LastModified", "")).replace("+0000", "+00:00"))

    return [v for v in found["versions"] if v["Version"] not in found["used"] and published(v) < cut]


def old_versions(found: dict | None, days: int) -> Check:
    """Seed 001 "Old Resource Cleanup": what could go, and what stays because something uses it."""
    from ..units import plural

    old = unused_old(found, days)
    name = found["function"]
    kept = ", ".join(f"{v} ({', '.join(by)})" for v, by in sorted(found["used"].items()))
    if not old:
        return Check("lambda_old_versions", OK, name, 0, f"no unused version older than {days} days",
                     f"{name}: no version older than {days} days outside use ({plural(len(found['versions']), 'version')}; in use: {kept or 'none'}).")
    listed = ", ".join(f"{v['Version']} ({str(v.get('LastModified', ''))[:10]})" for v in old)
    return Check("lambda_old_versions", WARN, name, len(old), f"no unused version older than {days} days",
                 f"{name}: {plural(len(old), 'version')} older than {days} days behind no alias or event source: {listed}; in use: {kept or 'none'}.")
