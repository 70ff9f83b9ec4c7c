"""A live PostgreSQL connection test (seed 004 "Database Connection Errors" step 3: `psql -h <db-host> -U <user> -d <database>`)."""

import time


def connect(aws, creds: dict, timeout_s: float = 5.0) -> dict:
    """Connect as the service would, time it, and read how full the server is; a refusal is data, not
    an exception. (`aws` is the run's, as every fetch gets it; the database is reached directly.)"""
    import psycopg

    start = time.perf_counter()
    try:
        with psycopg.connect(host=creds["host"], port=int(creds["port"]), user=creds["username"], password=creds["password"],
                             dbname=creds.get("dbname", "postgres"), connect_timeout=max(1, int(timeout_s)), autocommit=True) as conn:
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
