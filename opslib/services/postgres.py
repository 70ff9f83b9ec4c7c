"""PostgreSQL as the service reaches it: a timed connection test (seed 004 "Database Connection
Errors" step 3: `psql -h <db-host> -U <user> -d <database>`) and its slowest statements (seed 004
"High Latency": `pg_stat_statements`)."""

import time


def _connect(creds: dict, timeout_s: float):
    import psycopg

    return psycopg.connect(host=creds["host"], port=int(creds["port"]), user=creds["username"], password=creds["password"],
                           dbname=creds.get("dbname", "postgres"), connect_timeout=max(1, int(timeout_s)), autocommit=True)


def connect(aws, creds: dict, timeout_s: float = 5.0) -> dict:
    """Connect as the service would, time it, and read how full the server is; a refusal is data, not
    an exception. (`aws` is the run's, as every fetch gets it; the database is reached directly.)"""
    import psycopg

    start = time.perf_counter()
    try:
        with _connect(creds, timeout_s) as conn:
            ms = (time.perf_counter() - start) * 1000
            used, most, reserved = conn.execute("SELECT count(*), current_setting('max_connections')::int, "
                                                "current_setting('superuser_reserved_connections')::int FROM pg_stat_activity WHERE backend_type = 'client backend'").fetchone()
            states = dict(conn.execute("SELECT state, count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1").fetchall())
        return {"ok": True, "ms": ms, "error": "", "connections": used, "max_connections": most, "reserved": reserved, "states": states,
                "host": creds["host"], "port": int(creds["port"]), "user": creds["username"]}
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return {"ok": False, "ms": (time.perf_counter() - start) * 1000, "error": reason, "host": creds["host"], "port": int(creds["port"]),
                "user": creds["username"]}


def slowest(aws, creds: dict, limit: int = 10, timeout_s: float = 5.0) -> list[dict]:
    """Seed 004's `SELECT * FROM pg_stat_statements ORDER BY mean_time DESC LIMIT 10`, for this database
    (`mean_time` is `mean_exec_time` since PostgreSQL 13). Constants are already `$1` placeholders
    there, so no value the service sent is shown."""
    with _connect(creds, timeout_s) as conn:
        rows = conn.execute("SELECT query, calls, mean_exec_time, total_exec_time, rows FROM pg_stat_statements "
                            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                            "ORDER BY mean_exec_time DESC LIMIT %s", (limit,)).fetchall()
    return [{"statement": " ".join(q.split()), "calls": calls, "mean_ms": round(mean, 2), "total_ms": round(total, 1), "rows": n}
            for q, calls, mean, total, n in rows]
