"""A database as its service sees it: can it connect, how full is it, may the network let it in."""

from ..units import duration, number, plural
from . import CRITICAL, OK, WARN, Check, describe_threshold, evaluate


def connection(test: dict, db: str, slow_ms: float) -> Check:
    """Seed 004 step 3: `psql -h <db-host> -U <user> -d <database>`, timed."""
    where = f"{test['user']}@{test['host']}:{test['port']}"
    if not test["ok"]:
        return Check("postgres_connection", CRITICAL, db, "refused", "connects", f"{db}: connecting as {where} failed after {duration(test['ms'] / 1000)}: {test['error']}.")
    level = WARN if test["ms"] > slow_ms else OK
    return Check("postgres_connection", level, db, f"{number(test['ms'])} ms", f"connects within {duration(slow_ms / 1000)}",
                 f"{db}: connected as {where} in {duration(test['ms'] / 1000)}.")


def connections_used(test: dict, db: str, warn_pct: float, critical_pct: float) -> Check:
    """Seed 004 step 4: "ensure max_connections not exceeded" (the superuser's reserved slots are not the service's)."""
    if not test["ok"]:
        refused = "too many" in test["error"] or "reserved" in test["error"]
        return Check("postgres_connections_used", CRITICAL if refused else WARN, db, "unknown", describe_threshold(warn_pct, critical_pct, "%"),
                     f"{db}: " + ("every connection the service may open is taken (the server refused one more): a pool that leaks, or too many workers."
                                  if refused else "could not connect to count connections."))
    usable = test["max_connections"] - test["reserved"]
    pct = 100 * test["connections"] / usable
    idle = test["states"].get("idle", 0) + test["states"].get("idle in transaction", 0)
    return Check("postgres_connections_used", evaluate(pct, warn_pct, critical_pct), db, f"{test['connections']}/{usable}",
                 describe_threshold(warn_pct, critical_pct, "%"),
                 f"{db}: {test['connections']} of the {usable} connections the service may open are in use ({number(pct)}%), {idle} of them idle.")


def network_path(path: dict, db: str) -> Check:
    """Seed 004 step 2: the rule that lets the application's group reach the port, or none."""
    app = [r for r in path["rules"] if r["app"]]
    if app:
        return Check("ec2_db_ingress", OK, db, f"{app[0]['group']} <- {app[0]['from']}", f"port {path['port']} from {path['app_group']}",
                     f"{db}: {app[0]['group']} lets {path['app_group']} ({path['app_id']}) in on port {path['port']}.")
    others = ", ".join(f"{r['group']} <- {r['from']}" for r in path["rules"]) or "no rule for the port at all"
    groups = path.get("db_groups") or []
    fix = (f"`aws ec2 authorize-security-group-ingress --group-id {groups[0]} --protocol tcp --port {path['port']} --source-group {path['app_id'] or path['app_group']}"
           f"{' --region ' + path['region'] if path.get('region') else ''}`" if groups else "give the database a security group that lets it in")
    return Check("ec2_db_ingress", CRITICAL, db, "no rule", f"port {path['port']} from {path['app_group']}",
                 f"{db}: nothing lets {path['app_group']} in on port {path['port']} ({others}): {fix}.")


def slowest_statement(statements: list[dict], db: str, warn_ms: float, critical_ms: float) -> Check:
    """Seed 004 "High Latency" step 1: "identify slow database queries and add indexes"."""
    if not statements:
        return Check("postgres_slow_statements", OK, db, None, describe_threshold(warn_ms, critical_ms, " ms"),
                     f"{db}: pg_stat_statements has nothing recorded since its last reset.")
    top = statements[0]
    status = evaluate(top["mean_ms"], warn_ms, critical_ms)
    hint = " EXPLAIN ANALYZE it: seed 004 says add the index it lacks." if status != OK else ""
    return Check("postgres_slow_statements", status, db, f"{number(top['mean_ms'])} ms", describe_threshold(warn_ms, critical_ms, " ms"),
                 f"{db}: the slowest statement takes {duration(top['mean_ms'] / 1000)} on average over {plural(top['calls'], 'call')}: "
                 f"{_clip(top['statement'])}.{hint}")


def _clip(statement: str, most: int = 120) -> str:
    return statement if len(statement) <= most else statement[: most - 1] + "…"
