"""Real PostgreSQL and Redis behind the incident-response service's RDS instance and ElastiCache
cluster (seed 004), so a notebook reads `pg_stat_statements` and Redis `INFO` and opens a real
connection where the seed runs `psql` and `redis-cli`.

Started with the sandbox when they are installed (Debian's `postgresql` and `redis-server`),
stopped with it. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (or
`nobody`), its data in a private directory under /tmp. `describe-db-instances` and
`describe-cache-clusters` then answer with their local endpoints, and the credentials are in
Secrets Manager (`SECRET`), as RDS keeps them. Without them the endpoints stay AWS-shaped, nothing
answers there, and `status` says which is missing.
"""

import json
import os
import pwd
import secrets as _random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SECRET = "incident-response/production/database"  # as RDS names a managed master secret: username, password, host, port, dbname
USER = "admin"  # seed 004: psql -h <db-host> -U admin
DBNAME = "incident_response"
MAX_CONNECTIONS = 100  # seed 004: "ensure max_connections not exceeded"
WORKLOAD = [  # what the service runs all day: pg_stat_statements has something true to rank
    ("SELECT id, title, severity FROM incidents WHERE status = %s ORDER BY opened DESC LIMIT 20", ("open",), 40),
    ("SELECT count(*) FROM alerts WHERE incident_id = %s", (7,), 60),
    ("SELECT i.id, count(a.id) FROM incidents i LEFT JOIN alerts a ON a.incident_id = i.id GROUP BY i.id", (), 8),
    ("UPDATE incidents SET updated = now() WHERE id = %s", (3,), 15),
]
SLOW_REPORT = "SELECT i.id, i.title, (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id) AS alerts FROM incidents i ORDER BY i.id"
CACHE_KEYS, CACHE_HITS, CACHE_MISSES = 200, 180, 20  # a warm cache: 90 % of reads hit


SERVING: "Databases | None" = None  # the servers behind seed 004's instance and cache, once published
REFUSING = {"stopped", "stopping", "starting", "rebooting", "deleted", "deleting", "failed"}  # RDS states in which nothing connects (modifying still serves)


@dataclass
class Databases:
    folder: Path  # the sandbox's state directory: where the record of what runs is kept for `down`
    postgres: dict = field(default_factory=dict)  # host, port, data, user; empty: not installed
    redis: dict = field(default_factory=dict)  # host, port, pid
    password: str = ""
    missing: list = field(default_factory=list)
    held: list = field(default_factory=list)  # connections a scenario keeps open (a leak)
    normal_cost: float = 0.0  # the service's statements' planned cost on a normal day (load's 1.0)
    _starting: threading.Thread | None = None

    def start_in_background(self) -> None:
        self._starting = threading.Thread(target=self.start, daemon=True)
        self._starting.start()

    def start(self) -> None:
        """Both servers, each started as far as its binaries are here (seconds: run beside the seeding)."""
        bindir = _postgres_bindir()
        try:
            if bindir:
                self.password = _random.token_urlsafe(18)
                self.postgres = _start_postgres(bindir, self.password)
            if shutil.which("redis-server"):
                self.redis = _start_redis()
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:  # the sandbox still serves AWS; status says why these do not
            print(f"databases: {type(exc).__name__}: {getattr(exc, 'stderr', '') or exc}", file=sys.stderr, flush=True)
        self.missing = [name for name, server in (("PostgreSQL", self.postgres), ("Redis", self.redis)) if not server]
        (self.folder / "databases.json").write_text(json.dumps({"postgres": self.postgres, "redis": self.redis}))

    def describe(self) -> dict:
        """Where each server is, and whether it answers (a dead one is not advertised as if it served)."""
        shown = {name: _address(server) + ("" if not server or _answers(server) else " (not answering: `opslib sandbox reset` starts it again)")
                 for name, server in (("postgres", self.postgres), ("redis", self.redis))}
        return {**shown, "missing": self.missing}

    def revive(self) -> list[str]:
        """Start again, on its own port and data, a server that died (killed, out of memory): what was started."""
        started = []
        if self.postgres and not _answers(self.postgres):
            for attempt in range(20):  # a killed postmaster's children hold its shared memory for a moment after it
                try:
                    _pg_start(Path(self.postgres["bindir"]), Path(self.postgres["data"]), self.postgres["port"], self.postgres["user"])
                    break
                except RuntimeError as exc:
                    if attempt == 19 or "another postmaster" not in str(exc):
                        raise
                    time.sleep(0.5)
            started.append("PostgreSQL")
        if self.redis and not _answers(self.redis):
            self.redis = _start_redis(self.redis["port"])
            started.append("Redis")
        if started:
            (self.folder / "databases.json").write_text(json.dumps({"postgres": self.postgres, "redis": self.redis}))
        return started

    def follow_rds(self, status: str) -> None:
        """The real PostgreSQL behind incident-response-prod serves while the RDS instance is `available`: stopped
        (`aws rds stop-db-instance`), it refuses connections, as the instance does; started again, it serves."""
        if not self.postgres:
            return
        refusing = status in REFUSING
        if refusing and _answers(self.postgres):
            for conn in self.held:
                conn.close()
            self.held = []
            subprocess.run([self.postgres["bindir"] + "/pg_ctl", "-D", self.postgres["data"] + "/data", "-m", "fast", "-w", "stop"], user=self.postgres["user"],
                           capture_output=True, timeout=60)
        elif not refusing and not _answers(self.postgres):
            self.revive()

    def connections(self) -> int | None:
        """Client connections open on the real PostgreSQL now (what RDS's DatabaseConnections counts), or None when it does not answer."""
        if not self.postgres or not _answers(self.postgres):
            return None
        import psycopg

        try:
            with psycopg.connect(**_superuser(self.postgres), dbname=DBNAME, autocommit=True, connect_timeout=2) as conn:
                (count,) = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()").fetchone()
        except psycopg.Error:
            return None
        return int(count)

    def load(self) -> float | None:
        """The planned cost of the service's statements now against a normal day's (1.0), as PostgreSQL's planner
        prices them on the data and indexes it holds: what the instance's CPU follows. A report the service has
        started running counts from its first call; an index added makes it cheaper. None: not answering."""
        if not self.postgres or not self.normal_cost or not _answers(self.postgres):
            return None
        import psycopg

        try:
            return _cost(self.postgres) / self.normal_cost
        except psycopg.Error:
            return None

    def publish(self, c, region: str) -> None:
        """The endpoints into the RDS instance and cache cluster, the credentials into Secrets Manager
        (once both servers are up)."""
        from . import world

        if self._starting:
            self._starting.join()
        global SERVING
        SERVING = self  # the traffic model reads the real servers' state through this

        if self.postgres:
            db = world.backend("rds", region).databases[world.IR["db"]]
            db.opslib_address, db.port = self.postgres["host"], self.postgres["port"]
            _open_port(c("ec2", region), self.postgres["port"])
            c("secretsmanager", region).create_secret(Name=SECRET, Description="incident-response-prod master credentials (seed 004)", SecretString=json.dumps(
                {"username": USER, "password": self.password, "engine": "postgres", "host": self.postgres["host"], "port": self.postgres["port"], "dbname": DBNAME}))
        if self.redis:
            cluster = world.backend("elasticache", region).cache_clusters[world.IR["cache"]]
            cluster.port = self.redis["port"]
            cluster.opslib_endpoint = {"Address": self.redis["host"], "Port": self.redis["port"]}

    def hold(self, leave: int) -> int:
        """Open the service role's connections until only `leave` are left to it, and keep them
        (seed 004 "ensure max_connections not exceeded": a pool that leaks); how many were opened."""
        import psycopg

        with psycopg.connect(**_superuser(self.postgres), dbname=DBNAME, autocommit=True) as conn:
            used, most, reserved = conn.execute("SELECT count(*), current_setting('max_connections')::int, "
                                                "current_setting('superuser_reserved_connections')::int FROM pg_stat_activity WHERE backend_type = 'client backend'").fetchone()
        for _ in range(max(0, most - reserved - (used - 1) - leave)):  # `used` counts the superuser's own (reserved) one
            self.held.append(psycopg.connect(host=self.postgres["host"], port=self.postgres["port"], user=USER, password=self.password,
                                             dbname=DBNAME, autocommit=True))
        return len(self.held)

    def outgrow_index(self) -> None:
        """What makes the service slow (seed 004 "High Latency"): its alerts table grown tenfold, and a report
        that counts each incident's alerts with no index on alerts.incident_id, which the service now runs."""
        if not self.postgres:
            return
        import psycopg

        with psycopg.connect(**_superuser(self.postgres), dbname=DBNAME, autocommit=True) as conn:
            conn.execute("INSERT INTO alerts (incident_id, name) SELECT 1 + n % 200, 'alert ' || n FROM generate_series(2001, 20000) n")
            conn.execute("SELECT pg_stat_statements_reset((SELECT oid FROM pg_roles WHERE rolname = 'postgres'))")  # the growth is not the service's
        with psycopg.connect(host=self.postgres["host"], port=self.postgres["port"], user=USER, password=self.password, dbname=DBNAME, autocommit=True) as conn:
            conn.execute(SLOW_REPORT)

    def flush_cache(self) -> None:
        """`redis-cli FLUSHALL`: reads miss until the service has put each key back."""
        if self.redis:
            import redis

            redis.Redis(host=self.redis["host"], port=self.redis["port"]).flushall()

    def reset(self) -> None:
        """Statistics and cache back to a normal day's: the workload's statements, a warm cache; a server that died is started again."""
        self.revive()
        for conn in self.held:
            conn.close()
        self.held = []
        if self.postgres:
            import psycopg
            from psycopg import sql

            with psycopg.connect(**_superuser(self.postgres), dbname=DBNAME, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()", (USER,))
                conn.execute("DELETE FROM alerts WHERE id > 2000")
                for (index,) in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT IN ('incidents_pkey', 'alerts_pkey')").fetchall():
                    conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))  # one a person added
                conn.execute("ANALYZE")
                conn.execute("SELECT pg_stat_statements_reset()")
            _workload(self.postgres, self.password)
            self.normal_cost = _cost(self.postgres)
            drop_copies(self.postgres)  # restored instances are gone with the reset
        if self.redis:
            _warm_cache(self.redis)

    def follow_restores(self, backend, action: str, params: dict) -> None:
        """A restore of incident-response-prod (from its snapshot or to a point in time) serves a copy of its data: the restored
        instance's endpoint is this server and its DBName that copy's database. A deleted instance's copy goes."""
        from . import world

        target = backend.databases.get(params.get("DBInstanceIdentifier", ""))
        if action == "DeleteDBInstance" or target is None:
            drop_copies(self.postgres, keep={copy_name(i) for i in backend.databases})
            return
        snapshot = backend.database_snapshots.get(params.get("DBSnapshotIdentifier", ""))
        source = snapshot.database.db_instance_identifier if snapshot is not None else params.get("SourceDBInstanceIdentifier")
        if source == world.IR["db"] and self.postgres:
            name = restore_copy(self.postgres, target.db_instance_identifier)
            if name:
                target.opslib_address, target.port, target.db_name = self.postgres["host"], self.postgres["port"], name

    def stop(self) -> None:
        stop_recorded(self.folder)


def _open_port(ec2, port: int) -> None:
    """The database's group lets the application's in on the port it really listens on (seed 004: 5432)."""
    groups = {g["GroupName"]: g["GroupId"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["incident-response-app-sg", "incident-response-db-sg"]}])["SecurityGroups"]}
    pair = [{"GroupId": groups["incident-response-app-sg"]}]
    db = groups["incident-response-db-sg"]
    ec2.revoke_security_group_ingress(GroupId=db, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": pair}])
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": pair}])


def stop_recorded(folder: Path) -> None:
    """Stop what `databases.json` says runs and remove its data: from the sandbox as it exits, or
    from `opslib sandbox down` when the sandbox could not."""
    record = folder / "databases.json"
    try:
        running = json.loads(record.read_text())
    except (OSError, ValueError):
        return
    pg, redis = running.get("postgres") or {}, running.get("redis") or {}
    if pg:
        subprocess.run([pg["bindir"] + "/pg_ctl", "-D", pg["data"] + "/data", "-m", "immediate", "stop"], user=pg["user"],
                       capture_output=True, timeout=30)
        shutil.rmtree(pg["data"], ignore_errors=True)
    if redis:
        try:
            os.kill(redis["pid"], signal.SIGTERM)
        except OSError:
            pass
    record.unlink(missing_ok=True)


def _address(server: dict) -> str:
    return f"{server['host']}:{server['port']}" if server else "not installed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_bindir() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    found = versions[-1] if versions else shutil.which("initdb")
    return Path(found).parent if found else None


def _unprivileged() -> str | None:
    """Who PostgreSQL runs as: ourselves, unless we are root (which it refuses)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root with no unprivileged user for PostgreSQL")


def _start_postgres(bindir: Path, password: str) -> dict:
    user = _unprivileged()
    home = Path(tempfile.mkdtemp(prefix="opslib-sandbox-pg-"))  # under /tmp: reachable by that user, unlike a root-only state directory
    if user:
        entry = pwd.getpwnam(user)
        os.chown(home, entry.pw_uid, entry.pw_gid)
    run = dict(user=user, capture_output=True, text=True, timeout=120, check=True)
    subprocess.run([str(bindir / "initdb"), "-D", f"{home}/data", "-U", "postgres", "-E", "UTF8", "--no-sync",
                    "--auth-local=trust", "--auth-host=scram-sha-256"], **run)
    for attempt in range(3):  # a free port can be taken by another process before PostgreSQL binds it: take another
        port = _free_port()
        try:
            _pg_start(bindir, home, port, user)
            break
        except RuntimeError as exc:
            if attempt == 2 or "in use" not in str(exc):
                raise
    server = {"host": "127.0.0.1", "port": port, "data": str(home), "socket": str(home), "user": user, "bindir": str(bindir)}
    _create_database(server, password)
    return server


def _pg_start(bindir: Path, home: Path, port: int, user: str | None) -> None:
    """`pg_ctl start` on `home`'s data at `port` (after a crash too: PostgreSQL recovers its data as it starts)."""
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={home} -c max_connections={MAX_CONNECTIONS} "
               "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c fsync=off -c synchronous_commit=off")
    try:
        subprocess.run([str(bindir / "pg_ctl"), "-D", f"{home}/data", "-l", f"{home}/postgres.log", "-w", "-o", options, "start"],
                       user=user, capture_output=True, text=True, timeout=120, check=True)
    except subprocess.CalledProcessError as exc:
        log = Path(home, "postgres.log").read_text(errors="replace")[-2000:] if Path(home, "postgres.log").exists() else ""
        raise RuntimeError(f"pg_ctl could not start PostgreSQL: {log.strip().splitlines()[-1] if log.strip() else exc.stderr}") from exc


def _answers(server: dict) -> bool:
    try:
        socket.create_connection((server["host"], server["port"]), timeout=1).close()
        return True
    except OSError:
        return False


def _superuser(server: dict) -> dict:
    return {"host": server["socket"], "port": server["port"], "user": "postgres"}  # over the socket: trusted, no password


def _create_database(server: dict, password: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(**_superuser(server), dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(USER), sql.Literal(password)))
        conn.execute(sql.SQL("GRANT pg_read_all_stats TO {}").format(sql.Identifier(USER)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DBNAME), sql.Identifier(USER)))
    with psycopg.connect(**_superuser(server), dbname=DBNAME, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
    with psycopg.connect(host=server["host"], port=server["port"], user=USER, password=password, dbname=DBNAME, autocommit=True) as conn:
        conn.execute("CREATE TABLE incidents (id serial PRIMARY KEY, title text, severity text, status text, opened timestamptz DEFAULT now(), updated timestamptz)")
        conn.execute("CREATE TABLE alerts (id serial PRIMARY KEY, incident_id int REFERENCES incidents(id), name text, fired timestamptz DEFAULT now())")
        conn.execute("INSERT INTO incidents (title, severity, status) SELECT 'incident ' || n, (ARRAY['P1','P2','P3'])[1 + n % 3], "
                     "(ARRAY['open','resolved','resolved','resolved'])[1 + n % 4] FROM generate_series(1, 200) n")
        conn.execute("INSERT INTO alerts (incident_id, name) SELECT 1 + n % 200, 'alert ' || n FROM generate_series(1, 2000) n")


def _workload(server: dict, password: str) -> None:
    import psycopg

    with psycopg.connect(host=server["host"], port=server["port"], user=USER, password=password, dbname=DBNAME, autocommit=True) as conn:
        for statement, args, times in WORKLOAD:
            for _ in range(times):
                conn.execute(statement, args)


REPORT_RUNS = 1  # the report's runs for each round of WORKLOAD, once the service runs it


def _cost(server: dict) -> float:
    """The planner's total cost of a round of the service's statements (WORKLOAD's counts, and the report once the
    service has run it), priced untracked: pricing is not the service's work."""
    import psycopg

    with psycopg.connect(**_superuser(server), dbname=DBNAME, autocommit=True, connect_timeout=2) as conn:
        conn.execute("SET pg_stat_statements.track = 'none'")
        (report,) = conn.execute("SELECT count(*) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
                                 "WHERE r.rolname = %s AND s.query = %s", (USER, SLOW_REPORT)).fetchone()
        mix = WORKLOAD + ([(SLOW_REPORT, (), REPORT_RUNS)] if report else [])
        return sum(times * conn.execute("EXPLAIN (FORMAT JSON) " + statement, args).fetchone()[0][0]["Plan"]["Total Cost"]
                   for statement, args, times in mix)


def _start_redis(port: int | None = None) -> dict:
    port = port or _free_port()
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True)
    server = {"host": "127.0.0.1", "port": port, "pid": proc.pid}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("redis-server did not start within 10 s")


def _warm_cache(server: dict, hits: int = CACHE_HITS, misses: int = CACHE_MISSES) -> None:
    import redis

    r = redis.Redis(host=server["host"], port=server["port"])
    r.flushall()
    r.config_resetstat()
    with r.pipeline(transaction=False) as p:
        for i in range(CACHE_KEYS):
            p.set(f"incident:{i}", json.dumps({"id": i, "status": "resolved"}), ex=3600)
        for i in range(hits):
            p.get(f"incident:{i % CACHE_KEYS}")
        for i in range(misses):
            p.get(f"incident:missing:{i}")
        p.execute()


def copy_name(instance: str) -> str:
    """The database a restored instance holds in the sandbox's PostgreSQL (its DBName): one per restored instance."""
    return f"{DBNAME}__{instance.replace('-', '_')}"[:63]


def restore_copy(server: dict, instance: str) -> str | None:
    """A restored instance's database: the source's data copied (`pg_dump | psql`) into a database of its own on the same
    server, which the restored instance's endpoint and DBName name. None: no server answers."""
    import psycopg
    from psycopg import sql

    if not server or not _answers(server):
        return None
    name = copy_name(instance)
    with psycopg.connect(**_superuser(server), dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(USER)))
    where = ["-h", server["socket"], "-p", str(server["port"]), "-U", "postgres"]
    dump = subprocess.run([server["bindir"] + "/pg_dump", *where, DBNAME], user=server["user"], capture_output=True, timeout=120, check=True)
    subprocess.run([server["bindir"] + "/psql", *where, "-d", name, "-q", "-v", "ON_ERROR_STOP=1"], input=dump.stdout, user=server["user"],
                   capture_output=True, timeout=120, check=True)
    return name


def drop_copies(server: dict, keep: set[str] = frozenset()) -> None:
    """Every restored instance's database but `keep`'s (a reset, a deleted instance)."""
    import psycopg
    from psycopg import sql

    if not server or not _answers(server):
        return
    with psycopg.connect(**_superuser(server), dbname="postgres", autocommit=True) as conn:
        for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{DBNAME}\\_\\_%",)).fetchall():
            if name not in keep:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
