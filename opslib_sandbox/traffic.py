"""Traffic through the world, a minute at a time: what reached each system's front door and what
became of it, as the world stood that minute; the metrics are written from that, never replayed.

- RMS: the ALB receives its requests whatever happens behind it. No running task: the ALB answers
  503 itself (`HTTPCode_ELB_5XX_Count`, no target time); its database not `available`: every
  request fails in the application (target 5xx); fewer tasks than desired with no deployment
  rolling: one request in `desired` fails and the survivors are slower, as at `/health` (sites.py).
  ECS CPU rises as fewer tasks share the load; a stopped database reports nothing.
  The backend reads its market-data upstream from SSM (`/rms/prod/market-data-url`) per request: a
  value that is not the market-data service fails the requests that need it (MARKET_DATA_SHARE),
  each logged as an ERROR line in its application log, with no deployment at all.
- EC2 Manager: reserved concurrency 0 throttles every invocation (`Throttles`; API Gateway answers
  5xx); otherwise the function fails as its LIVE version behaves (functions.live_behaviour) and the API's
  5xx follow. The audit table's writes past its provisioned capacity are throttled.
- The function's log: a sampled invocation a minute, as Lambda logs it (START, an [ERROR] line when
  it failed, END, REPORT with its duration and memory), from how the version behind LIVE behaves.
- The incident-response queue: depth and oldest age from the queue's real contents.
- The CloudFront sites: each page view fetches the root object and every asset it references
  (`src="/..."`, `href="/..."`); what the origin bucket lacks is a 404, so `TotalErrorRate` is the
  share of those requests that failed (a release whose page loads a script it did not upload).
  A disabled distribution serves nothing.
- The incident-response database: DatabaseConnections is what its real PostgreSQL holds open; its CPU
  follows what the service's statements cost on the data and indexes the real server holds.
- RMS's database carries its load on its instance class (rds_capacity): moved to a smaller class,
  its queries read from storage, connections pile up to what the class allows, requests wait for
  one (TargetResponseTime) and the application logs it.
- EC2 Manager's user pool: sign-ins succeed (`SignInSuccesses`) while one of its app clients allows a
  sign-in flow, tokens are refreshed while one allows refresh; the flows taken away, none.
- The incident-response cache: the service reads the real Redis behind it each minute as it
  does (cache-aside: a miss is read from the database and put back), and `CacheHits` /
  `CacheMisses` are what that sample found, so a flush (`redis-cli FLUSHALL`) shows, then heals.

The model writes each minute once it has begun (the clock) and the current minute again when a
metric is read after the world changed, so a fault made by hand shows at the next read. `elapse`
lets the world as it stands run for minutes already past: what a responder arriving that much
later would find. A series someone else writes (a person's put-metric-data, a scenario) is theirs
for the minutes they write.
"""

import json
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from . import world
from .world import EC2M, IR, RMS

_LOCK = threading.RLock()


@dataclass(frozen=True)
class Point:
    region: str
    namespace: str
    metric: str
    dims: tuple  # ((name, value), ...)
    value: float
    unit: str


def _shape(namespace: str, metric: str, dims: dict) -> tuple[float, float, float]:
    """(night, peak, noise) of a seeded series (seeds/metrics.py): the day's shape the traffic follows."""
    from .seeds import metrics

    for ns, name, d, night, peak, noise, _ in metrics.SERIES:
        if (ns, name, d) == (namespace, metric, dims):
            return night, peak, noise
    raise KeyError(f"{namespace} {metric} {dims}")


def _draw(t: datetime, rng: random.Random, namespace: str, metric: str, dims: dict) -> float:
    from .seeds import metrics

    night, peak, noise = _shape(namespace, metric, dims)
    return metrics.samples(t, night, peak, noise, rng, n=1)[0]


MARKET_DATA_SHARE = 0.15  # of RMS's requests need a risk figure from the market-data service


def _market_data_broken() -> bool:
    """Whether the backend's upstream, as SSM holds it (its latest version), is anything but the market-data service, or gone."""
    versions = world.backend("ssm", RMS["region"])._parameters.get(RMS["market_data_parameter"])
    return not versions or versions[-1].value != RMS["market_data_url"]


RMS_WORKING_SET_GIB = 3.0  # what RMS's queries touch: cached whole on its db.t3.medium (rds_capacity)
RESERVED_CONNECTIONS = 3  # PostgreSQL's superuser_reserved_connections: not the application's
LATENCY_CEILING_S = 30.0  # the application's request timeout: nothing is answered later


def _rms_db():
    return world.backend("rds", RMS["region"]).databases.get(RMS["db"])


def _serving(db) -> bool:
    """Whether an RDS instance takes connections now (a change whose time is up applied first)."""
    from .databases import REFUSING
    from .transitions import settle

    if db is None:
        return False
    settle(db)
    return db.status not in REFUSING


def _rms_database(t: datetime, rng: random.Random, db) -> dict:
    """How rms-db-prod carries the minute's load on its instance class: each query's time (x), the connections the
    application holds (Little's law: arrivals x time each holds one, cut at what PostgreSQL allows), how long requests wait
    for one (x), its CPU."""
    from . import rds_capacity

    dims = {"DBInstanceIdentifier": RMS["db"]}
    slow = rds_capacity.slowdown(db.db_instance_class, RMS_WORKING_SET_GIB)
    wanted = _draw(t, rng, "AWS/RDS", "DatabaseConnections", dims) * slow
    allowed = rds_capacity.max_connections(db.db_instance_class) - RESERVED_CONNECTIONS
    seed_vcpus = rds_capacity.shape("db.t3.medium")[0]
    cpu = _draw(t, rng, "AWS/RDS", "CPUUtilization", dims) * (1 + rds_capacity.spill(db.db_instance_class, RMS_WORKING_SET_GIB))
    return {"slow": slow, "wait": max(1.0, wanted / allowed), "connections": min(wanted, allowed), "allowed": allowed,
            "cpu": min(100.0, cpu * seed_vcpus / rds_capacity.shape(db.db_instance_class)[0])}


def _rms(t: datetime, rng: random.Random) -> list[Point]:
    from .seeds.metrics import ALB

    ecs = world.backend("ecs", RMS["region"])
    svc = ecs.services.get(f"{RMS['cluster']}:{RMS['service']}")
    running, desired = (svc.running_count, svc.desired_count) if svc else (0, 0)
    rolling = bool(svc) and any(d.get("rolloutState") == "IN_PROGRESS" for d in svc.deployments)
    db = _rms_db()
    db_up = _serving(db)
    alb, ecs_dims, db_dims = {"LoadBalancer": ALB}, {"ClusterName": RMS["cluster"], "ServiceName": RMS["service"]}, {"DBInstanceIdentifier": RMS["db"]}
    requests = round(_draw(t, rng, "AWS/ApplicationELB", "RequestCount", alb))
    latency = _draw(t, rng, "AWS/ApplicationELB", "TargetResponseTime", alb)
    elb_5xx, target_5xx = 0, round(_draw(t, rng, "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", alb))
    load = _rms_database(t, rng, db) if db_up else None
    if running == 0:
        elb_5xx, target_5xx, latency = requests, 0, None  # nothing behind it: the load balancer answers 503 itself
    elif not db_up:
        target_5xx, latency = requests, 0.02  # every request needs the database: refused at once
    else:
        latency = min(LATENCY_CEILING_S, latency * load["slow"] * load["wait"])
        if running < desired and not rolling:
            from .sites import SLOWER_S

            target_5xx, latency = target_5xx + requests // desired, latency + SLOWER_S * (desired - running)
    if running and db_up and _market_data_broken():
        target_5xx += round(requests * MARKET_DATA_SHARE)
    out = [Point(RMS["region"], "AWS/ApplicationELB", "RequestCount", tuple(alb.items()), requests, "Count"),
           Point(RMS["region"], "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", tuple(alb.items()), elb_5xx, "Count"),
           Point(RMS["region"], "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", tuple(alb.items()), target_5xx, "Count")]
    if latency is not None:
        out.append(Point(RMS["region"], "AWS/ApplicationELB", "TargetResponseTime", tuple(alb.items()), latency, "Seconds"))
    if running:
        share = desired / running if desired > running else 1.0
        out += [Point(RMS["region"], "AWS/ECS", "CPUUtilization", tuple(ecs_dims.items()), min(100.0, _draw(t, rng, "AWS/ECS", "CPUUtilization", ecs_dims) * share), "Percent"),
                Point(RMS["region"], "AWS/ECS", "MemoryUtilization", tuple(ecs_dims.items()), min(100.0, _draw(t, rng, "AWS/ECS", "MemoryUtilization", ecs_dims) * share ** 0.5), "Percent")]
    if db_up:
        out += [Point(RMS["region"], "AWS/RDS", "DatabaseConnections", tuple(db_dims.items()), load["connections"] if running else load["connections"] * 0.1, "Count"),
                Point(RMS["region"], "AWS/RDS", "CPUUtilization", tuple(db_dims.items()), load["cpu"], "Percent"),
                Point(RMS["region"], "AWS/RDS", "FreeStorageSpace", tuple(db_dims.items()), _draw(t, rng, "AWS/RDS", "FreeStorageSpace", db_dims), "Bytes")]
    return out


def _ec2_manager(t: datetime, rng: random.Random) -> list[Point]:
    from . import functions

    api, fn_dims, table_dims = {"ApiName": EC2M["api"]}, {"FunctionName": EC2M["function"]}, {"TableName": EC2M["table"]}
    r = EC2M["region"]
    calls = round(_draw(t, rng, "AWS/ApiGateway", "Count", api))
    invocations = round(_draw(t, rng, "AWS/Lambda", "Invocations", fn_dims))
    api_5xx = round(_draw(t, rng, "AWS/ApiGateway", "5XXError", api))
    latency = _draw(t, rng, "AWS/ApiGateway", "Latency", api)
    behaviour = functions.live_behaviour(EC2M["function"], r)
    out = [Point(r, "AWS/ApiGateway", "Count", tuple(api.items()), calls, "Count")]
    if behaviour is None or behaviour["throttled"]:  # no function to call, or none of it may run
        out += [Point(r, "AWS/Lambda", "Throttles", tuple(fn_dims.items()), invocations if behaviour else 0, "Count"),
                Point(r, "AWS/Lambda", "Invocations", tuple(fn_dims.items()), 0, "Count"),
                Point(r, "AWS/Lambda", "Errors", tuple(fn_dims.items()), 0, "Count")]
        api_5xx, latency = calls, 12.0
    else:
        errors = round(invocations * behaviour["error_share"]) + (round(_draw(t, rng, "AWS/Lambda", "Errors", fn_dims)) if not behaviour["error_share"] else 0)
        duration = _draw(t, rng, "AWS/Lambda", "Duration", fn_dims) if behaviour["healthy"] else rng.gauss(behaviour["duration_ms"], behaviour["duration_ms"] * 0.05)
        api_5xx += round(calls * behaviour["error_share"])
        latency = max(latency, duration + 40) if not behaviour["healthy"] else latency
        out += [Point(r, "AWS/Lambda", "Throttles", tuple(fn_dims.items()), 0, "Count"),
                Point(r, "AWS/Lambda", "Invocations", tuple(fn_dims.items()), invocations, "Count"),
                Point(r, "AWS/Lambda", "Errors", tuple(fn_dims.items()), errors, "Count"),
                Point(r, "AWS/Lambda", "Duration", tuple(fn_dims.items()), max(1.0, duration), "Milliseconds")]
    out += [Point(r, "AWS/ApiGateway", "5XXError", tuple(api.items()), api_5xx, "Count"),
            Point(r, "AWS/ApiGateway", "Latency", tuple(api.items()), latency, "Milliseconds")]
    return out + _table(t, rng, r, table_dims)


LOG_STREAM = "traffic"  # the model's streams end with it: `YYYY/MM/DD/[version]traffic`, `ecs/rms-backend/traffic`


def model_stream(name: str) -> bool:
    """Whether a log stream is the traffic model's (rewritten by elapse, left out of snapshots)."""
    return name.endswith((f"]{LOG_STREAM}", f"/{LOG_STREAM}"))


def _function_log(t: datetime, rng: random.Random) -> list[tuple[str, str, str, list[dict]]]:
    """(region, group, stream, events) of the minute's sampled invocation of EC2 Manager's function."""
    import uuid

    from . import functions

    behaviour = functions.live_behaviour(EC2M["function"], EC2M["region"])
    if behaviour is None or behaviour["throttled"]:
        return []  # nothing ran
    latest = world.backend("lambda", EC2M["region"])._lambdas._get_latest(EC2M["function"])
    rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    at = t + timedelta(seconds=rng.uniform(0, 50))
    duration = max(40.0, rng.gauss(behaviour["duration_ms"], behaviour["duration_ms"] * 0.3))  # as seeds/ec2manager.lambda_lines draws them
    used = int(min(latest.memory_size, rng.gauss(behaviour["used_mb"], 4)))
    failed = rng.random() < behaviour["error_share"]  # one sample a minute stands for ~180 calls: a healthy function's rare error is not one in 60
    version = functions.live_version(EC2M["function"], EC2M["region"])
    lines = [f"START RequestId: {rid} Version: {version}"]
    if failed:
        lines.append(f"[ERROR]\t{at.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}\t{rid}\t{behaviour['error'] or 'ClientError: An error occurred'}")
    lines += [f"END RequestId: {rid}", f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
                                       f"Memory Size: {latest.memory_size} MB\tMax Memory Used: {used} MB"]
    start = int(at.timestamp() * 1000)
    events = [{"timestamp": start + (int(duration) if line.startswith(("END", "REPORT")) else i), "message": line} for i, line in enumerate(lines)]
    return [(EC2M["region"], EC2M["lambda_log_group"], f"{t:%Y/%m/%d}/[{version}]{LOG_STREAM}", events)]


def _app_log(t: datetime, rng: random.Random) -> list[tuple[str, str, str, list[dict]]]:
    """EC2 Manager's application log: a write the table throttled is logged as the application logs it (one line a minute
    stands for that minute's throttled writes)."""
    throttled = sum(p.value for p in _table(t, random.Random(int(t.timestamp()) // 60), EC2M["region"], {"TableName": EC2M["table"]})
                    if p.metric == "ThrottledRequests")
    if not throttled:
        return []
    at = t + timedelta(seconds=rng.uniform(0, 55))
    line = f"{at.isoformat(timespec='milliseconds')} req-{rng.getrandbits(32):08x} ERROR DynamoDB write failed: ProvisionedThroughputExceededException"
    return [(EC2M["region"], EC2M["app_log_group"], f"{t:%Y/%m/%d}/[app]{LOG_STREAM}", [{"timestamp": int(at.timestamp() * 1000), "message": line}])]


def _rms_log(t: datetime, rng: random.Random) -> list[tuple[str, str, str, list[dict]]]:
    """RMS's application log: the minute's failures of its running tasks (its database refusing them, its market-data
    calls failing, requests waiting for a database connection), two lines a minute standing for them."""
    svc = world.backend("ecs", RMS["region"]).services.get(f"{RMS['cluster']}:{RMS['service']}")
    db = _rms_db()
    if not svc or not svc.running_count:
        return []  # nothing runs to log
    load = _rms_database(t, random.Random(int(t.timestamp()) // 60), db) if _serving(db) else None
    if load is None:
        level, message = "ERROR", f"database connection refused: {RMS['db']} is not accepting connections"
    elif _market_data_broken():
        level, message = "ERROR", "upstream market-data returned 502 (GET /api/v1/risk/summary)"
    elif load["wait"] > 1:
        level, message = "WARN", f"database pool exhausted: all {load['allowed']} connections to {RMS['db']} in use, request waited for one"
    else:
        return []
    events = []
    for _ in range(2):
        at = t + timedelta(seconds=rng.uniform(0, 59))
        events.append({"timestamp": int(at.timestamp() * 1000), "message": f"{at.isoformat(timespec='milliseconds')} {level} [rms-backend] {message}"})
    return [(RMS["region"], RMS["log_group"], f"ecs/rms-backend/{LOG_STREAM}", sorted(events, key=lambda e: e["timestamp"]))]


LOGS = (_function_log, _app_log, _rms_log)


def _table(t: datetime, rng: random.Random, region: str, dims: dict) -> list[Point]:
    """Consumed capacity as the traffic asks for it, cut at what is provisioned; the rest throttled."""
    try:
        table = world.backend("dynamodb", region).get_table(dims["TableName"])
    except Exception:  # deleted: nothing reaches it
        return []
    provisioned = (table.billing_mode or "PROVISIONED") == "PROVISIONED"
    out, throttled = [], 0
    for metric, units in (("ConsumedWriteCapacityUnits", "WriteCapacityUnits"), ("ConsumedReadCapacityUnits", "ReadCapacityUnits")):
        asked = _draw(t, rng, "AWS/DynamoDB", metric, dims)
        most = 60 * int(table.throughput.get(units) or 0) if provisioned else asked
        out.append(Point(region, "AWS/DynamoDB", metric, tuple(dims.items()), min(asked, most), "Count"))
        throttled += max(0, round(asked - most))
    return out + [Point(region, "AWS/DynamoDB", "ThrottledRequests", tuple(dims.items()), throttled, "Count")]


def _queue(t: datetime, rng: random.Random) -> list[Point]:
    """Depth and oldest age of seed 004's work queue, from what it holds."""
    queue = world.backend("sqs", IR["region"]).queues.get(IR["queue"])
    if queue is None:
        return []
    dims = (("QueueName", IR["queue"]),)
    messages = [m for m in list(queue._messages) if m.visible]
    oldest = min((m.sent_timestamp for m in messages if m.sent_timestamp), default=None)
    age = max(0.0, t.timestamp() + 60 - oldest / 1000) if oldest else 0.0
    return [Point(IR["region"], "AWS/SQS", "ApproximateNumberOfMessagesVisible", dims, len(messages), "Count"),
            Point(IR["region"], "AWS/SQS", "ApproximateAgeOfOldestMessage", dims, age, "Seconds")]


def _sites(t: datetime, rng: random.Random) -> list[Point]:
    import re

    from .seeds import metrics

    out = []
    for dist_id, dist in list(world.backend("cloudfront", "global").distributions.items()):
        config = dist.distribution_config
        if str(config.Enabled).lower() != "true":
            continue
        bucket = world.backend("s3", "global").buckets.get(config.Origins["Items"][0].domain_name.split(".s3")[0])
        page = _object(bucket, getattr(config, "DefaultRootObject", "") or "index.html")
        if page is None:
            failed, fetched = 1, 1
        else:
            assets = set(re.findall(rb'(?:src|href)="/([^"?#]+)', page))
            failed, fetched = sum(1 for a in assets if _object(bucket, a.decode("utf-8", "replace")) is None), 1 + len(assets)
        dims = (("DistributionId", dist_id), ("Region", "Global"))
        views = metrics.samples(t, 200, 4000, 0.1, rng, n=1)[0]
        out += [Point("us-east-1", "AWS/CloudFront", "Requests", dims, round(views * fetched), "None"),
                Point("us-east-1", "AWS/CloudFront", "TotalErrorRate", dims, 100 * failed / fetched + (rng.uniform(0.1, 0.4) if not failed else 0), "Percent")]
    return out


def _object(bucket, key: str) -> bytes | None:
    """An object's body, or None when the bucket, the key, or all but a delete marker is gone."""
    if bucket is None:
        return None
    found = bucket.keys.get(key)
    return found.value if found is not None and hasattr(found, "value") else None


def _ir_db(t: datetime, rng: random.Random) -> list[Point]:
    """incident-response-prod's DatabaseConnections: the client connections open on the real PostgreSQL behind it
    (a leaking pool shows as what it holds); its CPU: a normal day's times the service's statements' cost on the data
    and indexes the real server holds now (Databases.load: a table grown past its indexes shows, an index added heals);
    nothing while the instance is not available, as RDS reports nothing."""
    from . import databases

    db = world.backend("rds", IR["region"]).databases.get(IR["db"])
    if not _serving(db) or databases.SERVING is None:
        return []
    dims = (("DBInstanceIdentifier", IR["db"]),)
    count = _now_cached("ir_connections", databases.SERVING.connections)
    load = _now_cached("ir_load", databases.SERVING.load)
    out = [Point(IR["region"], "AWS/RDS", "DatabaseConnections", dims, count, "Count")] if count is not None else []
    if load is not None:
        out.append(Point(IR["region"], "AWS/RDS", "CPUUtilization", dims, min(100.0, _draw(t, rng, "AWS/RDS", "CPUUtilization", dict(dims)) * load), "Percent"))
    return out


_CACHED: dict = {}


def _now_cached(name: str, read):
    """`read()` once an elapse (which asks for every minute what is only known now)."""
    if name not in _CACHED:
        _CACHED[name] = read()
    return _CACHED[name]


CACHE_NODE = "0001"
CACHE_READS = 40  # the service's reads sampled a minute (each stands for READS_SCALE of them)
READS_SCALE = 25


def _cache(t: datetime, rng: random.Random) -> list[Point]:
    """Hits and misses of the service's reads of its cache, sampled on the real Redis (where the world says it is)."""
    from .databases import CACHE_KEYS

    cluster = world.backend("elasticache", IR["region"]).cache_clusters.get(IR["cache"])
    endpoint = getattr(cluster, "opslib_endpoint", None) if cluster else None
    if not endpoint:
        return []
    import redis

    keys = [f"incident:{rng.randrange(CACHE_KEYS)}" for _ in range(CACHE_READS * 9 // 10)] + [f"incident:missing:{n}" for n in range(CACHE_READS // 10)]
    r = redis.Redis(host=endpoint["Address"], port=int(endpoint["Port"]), socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        found = r.mget(keys)
        missed = {k for k, v in zip(keys, found) if v is None and ":missing:" not in k}  # what the database has
        if missed:
            with r.pipeline(transaction=False) as p:
                for k in missed:  # read from the database, then kept for the next reader
                    p.set(k, json.dumps({"id": int(k.rsplit(":", 1)[1]), "status": "resolved"}), ex=3600)
                p.execute()
    except redis.RedisError:  # not answering: nothing to count (ElastiCache reports no hits from a dead node)
        return []
    finally:
        r.close()
    misses = sum(1 for v in found if v is None)
    dims = (("CacheClusterId", IR["cache"]), ("CacheNodeId", CACHE_NODE))
    return [Point(IR["region"], "AWS/ElastiCache", "CacheHits", dims, (len(keys) - misses) * READS_SCALE, "Count"),
            Point(IR["region"], "AWS/ElastiCache", "CacheMisses", dims, misses * READS_SCALE, "Count")]


SIGN_IN_FLOWS = {"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH"}


def _cognito(t: datetime, rng: random.Random) -> list[Point]:
    """EC2 Manager's users sign in through its pool's app clients: the day's sign-ins succeed while a client allows a sign-in
    flow, tokens are refreshed while one allows refresh; a pool or client deleted, or its flows taken away, shows as none."""
    from .seeds import metrics

    out = []
    for pool in list(world.backend("cognito-idp", EC2M["region"]).user_pools.values()):
        if pool.name != EC2M["user_pool"]:
            continue
        flows = {flow for c in pool.clients.values() for flow in c.extended_config.get("ExplicitAuthFlows") or []}
        dims = (("UserPool", pool.id), ("UserPoolClient", "ALL"))
        signed_in = metrics.samples(t, 1, 40, 0.3, rng, n=1)[0] if flows & SIGN_IN_FLOWS else 0.0
        refreshed = metrics.samples(t, 5, 90, 0.2, rng, n=1)[0] if "ALLOW_REFRESH_TOKEN_AUTH" in flows else 0.0
        out += [Point(EC2M["region"], "AWS/Cognito", "SignInSuccesses", dims, round(signed_in), "Count"),
                Point(EC2M["region"], "AWS/Cognito", "TokenRefreshSuccesses", dims, round(refreshed), "Count")]
    return out


SYSTEMS = (_rms, _ec2_manager, _queue, _sites, _cache, _ir_db, _cognito)


def owned() -> set[tuple]:
    """(region, namespace, metric, dims) of every series the model writes."""
    from .seeds.metrics import ALB

    alb, ecs = (("LoadBalancer", ALB),), (("ClusterName", RMS["cluster"]), ("ServiceName", RMS["service"]))
    fn, api, table = (("FunctionName", EC2M["function"]),), (("ApiName", EC2M["api"]),), (("TableName", EC2M["table"]),)
    e, w = RMS["region"], EC2M["region"]
    return {*((e, "AWS/ApplicationELB", m, alb) for m in ("RequestCount", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "TargetResponseTime")),
            *((e, "AWS/ECS", m, ecs) for m in ("CPUUtilization", "MemoryUtilization")),
            *((e, "AWS/RDS", m, (("DBInstanceIdentifier", RMS["db"]),)) for m in ("DatabaseConnections", "CPUUtilization", "FreeStorageSpace")),
            *((w, "AWS/ApiGateway", m, api) for m in ("Count", "5XXError", "Latency")),
            *((w, "AWS/Lambda", m, fn) for m in ("Throttles", "Invocations", "Errors", "Duration")),
            *((w, "AWS/DynamoDB", m, table) for m in ("ConsumedWriteCapacityUnits", "ConsumedReadCapacityUnits", "ThrottledRequests")),
            *((IR["region"], "AWS/RDS", m, (("DBInstanceIdentifier", IR["db"]),)) for m in ("DatabaseConnections", "CPUUtilization")),
            *((IR["region"], "AWS/SQS", m, (("QueueName", IR["queue"]),)) for m in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")),
            *(("us-east-1", "AWS/CloudFront", m, (("DistributionId", d), ("Region", "Global")))
              for d in world.backend("cloudfront", "global").distributions for m in ("Requests", "TotalErrorRate")),
            *((IR["region"], "AWS/ElastiCache", m, (("CacheClusterId", IR["cache"]), ("CacheNodeId", CACHE_NODE))) for m in ("CacheHits", "CacheMisses")),
            *((w, "AWS/Cognito", m, (("UserPool", pool), ("UserPoolClient", "ALL")))
              for pool in world.backend("cognito-idp", w).user_pools for m in ("SignInSuccesses", "TokenRefreshSuccesses"))}


def _safe(system, t: datetime, rng: random.Random) -> list[Point]:
    try:
        return system(t, rng)
    except Exception as exc:  # one system's surprise must not silence the others; the log says why
        import sys

        print(f"traffic: {system.__name__}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return []


def tick(now: datetime | None = None) -> int:
    """The current minute as the world stands now (written again if it was already); points written."""
    return elapse(0, now)


def elapse(minutes: int, now: datetime | None = None) -> int:
    """The world as it stands now has stood for the last `minutes` minutes (0: this minute only):
    the model's points for them are written again from it; points written."""
    from moto.cloudwatch.models import MetricDatum

    from . import rollouts

    now = now or datetime.now(timezone.utc)
    this_minute = now.replace(second=0, microsecond=0)
    since = this_minute - timedelta(minutes=minutes)
    with _LOCK:
        _CACHED.clear()
        rollouts.advance_all(world.backend("ecs", RMS["region"]), now)
        theirs = _written_by_others(since)
        by_region: dict[str, list] = {}
        for step in range(minutes, -1, -1):
            t = this_minute - timedelta(minutes=step)
            rng = random.Random(int(t.timestamp()) // 60)
            for system in SYSTEMS:
                for p in _safe(system, t, rng):
                    if (p.region, p.namespace, p.metric, p.dims, _naive(t)) in theirs:
                        continue
                    datum = MetricDatum(p.namespace, p.metric, float(p.value), [{"Name": k, "Value": v} for k, v in p.dims], t.replace(tzinfo=None), p.unit)
                    datum.opslib_model = True
                    by_region.setdefault(p.region, []).append(datum)
        naive, aware = _naive(since), _naive(since).replace(tzinfo=timezone.utc)
        for region in world.REGIONS:
            cw = world.backend("cloudwatch", region)
            cw.metric_data = [d for d in cw.metric_data if not (d.timestamp >= (aware if d.timestamp.tzinfo else naive) and getattr(d, "opslib_model", False))
                              ] + by_region.get(region, [])
        _write_logs(since, this_minute, minutes)
    return sum(len(v) for v in by_region.values())


def _write_logs(since: datetime, this_minute: datetime, minutes: int) -> None:
    """The model's log lines of the minutes since `since`, in place of those it wrote for them before."""
    edge = int(since.timestamp() * 1000)
    for region in world.REGIONS:
        for group in world.backend("logs", region).groups.values():
            for name, stream in group.streams.items():
                if model_stream(name) and any(e.timestamp >= edge for e in stream.events):
                    stream.events = [e for e in stream.events if e.timestamp < edge]
                    stream._update()
    by_stream: dict = {}
    for step in range(minutes, -1, -1):
        t = this_minute - timedelta(minutes=step)
        rng = random.Random(int(t.timestamp()) // 60 + 1)
        for source in LOGS:
            for region, group, stream, events in _safe(source, t, rng):
                by_stream.setdefault((region, group, stream), []).extend(events)
    for (region, group, stream), events in by_stream.items():
        logs = world.backend("logs", region)
        if group not in logs.groups:
            continue
        if stream not in logs.groups[group].streams:
            logs.create_log_stream(group, stream)
        logs.put_log_events(group, stream, sorted(events, key=lambda e: e["timestamp"]))


def yield_to_others(hours: int = 3) -> None:
    """A series someone else wrote for a minute (a person's put-metric-data, a scenario) is theirs for that minute:
    the model's point there goes."""
    since = datetime.now(timezone.utc) - timedelta(hours=hours)
    naive, aware = _naive(since), _naive(since).replace(tzinfo=timezone.utc)
    with _LOCK:
        theirs = _written_by_others(since)
        for region in world.REGIONS:
            cw = world.backend("cloudwatch", region)
            cw.metric_data = [d for d in cw.metric_data if not (d.timestamp >= (aware if d.timestamp.tzinfo else naive) and getattr(d, "opslib_model", False) and
                                                                (region, d.namespace, d.name, tuple((x.name, x.value) for x in d.dimensions),
                                                                 _naive(d.timestamp).replace(second=0, microsecond=0)) in theirs)]


def _written_by_others(since: datetime) -> set[tuple]:
    """(region, namespace, metric, dims, minute) of points at or after `since` that the model did not write."""
    out = set()
    naive, aware = _naive(since), _naive(since).replace(tzinfo=timezone.utc)
    for region in world.REGIONS:
        for d in world.backend("cloudwatch", region).metric_data:  # the week's history: the time test first, inline (a call per datum was most of a tick)
            if d.timestamp >= (aware if d.timestamp.tzinfo else naive) and not getattr(d, "opslib_model", False):
                out.add((region, d.namespace, d.name, tuple((x.name, x.value) for x in d.dimensions), _naive(d.timestamp).replace(second=0, microsecond=0)))
    return out


def _naive(t: datetime) -> datetime:
    """UTC without its zone, as moto keeps what the API receives."""
    return t.astimezone(timezone.utc).replace(tzinfo=None) if t.tzinfo else t
