"""Seed 004's database and cache are real servers behind the sandbox's RDS instance and ElastiCache
cluster, found the way a responder finds them: the endpoints AWS describes, the credentials Secrets
Manager holds (never printed by the sandbox)."""

import json

import psycopg
import pytest
import redis

import opslib_sandbox as sandbox
from opslib_sandbox import databases
from opslib_sandbox.world import IR

R = IR["region"]


def _credentials(aws) -> dict:
    endpoint = aws.client("rds", R).describe_db_instances(DBInstanceIdentifier=IR["db"])["DBInstances"][0]["Endpoint"]
    secret = json.loads(aws.client("secretsmanager", R).get_secret_value(SecretId=databases.SECRET)["SecretString"])
    assert (secret["host"], secret["port"]) == (endpoint["Address"], endpoint["Port"])
    return {"host": endpoint["Address"], "port": endpoint["Port"], "user": secret["username"], "password": secret["password"], "dbname": secret["dbname"]}


def _cache(aws) -> redis.Redis:
    (cluster,) = aws.client("elasticache", R).describe_cache_clusters(CacheClusterId=IR["cache"], ShowCacheNodeInfo=True)["CacheClusters"]
    endpoint = cluster["CacheNodes"][0]["Endpoint"]
    return redis.Redis(host=endpoint["Address"], port=endpoint["Port"])


def test_the_incident_response_database_is_postgres_with_its_statement_statistics(healthy, aws):
    creds = _credentials(aws)
    with psycopg.connect(**creds, connect_timeout=5) as conn:
        assert conn.execute("SHOW max_connections").fetchone()[0] == str(databases.MAX_CONNECTIONS)
        rows = conn.execute("SELECT query, calls FROM pg_stat_statements ORDER BY mean_exec_time DESC LIMIT 10").fetchall()  # seed 004, as PostgreSQL 13+ names it
    calls = {query: n for query, n in rows}
    assert calls["SELECT count(*) FROM alerts WHERE incident_id = $1"] == 60
    assert any("LEFT JOIN alerts" in query for query in calls)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**(creds | {"password": "wrong"}), connect_timeout=5)
    assert "password" not in json.dumps(sandbox.status())


def test_the_cache_is_redis_with_a_warm_hit_rate(healthy, aws):
    stats = _cache(aws).info("stats")  # seed 004: redis-cli INFO stats | grep keyspace (the service's reads go on: the traffic model)
    assert stats["keyspace_hits"] >= databases.CACHE_HITS and stats["keyspace_hits"] / (stats["keyspace_hits"] + stats["keyspace_misses"]) >= 0.85


def test_reset_puts_statistics_and_cache_back(healthy, aws):
    creds, cache = _credentials(aws), _cache(aws)
    with psycopg.connect(**creds) as conn:
        for _ in range(5):
            conn.execute("SELECT pg_sleep(0.01)")
    cache.get("incident:missing:by-hand")
    cache.flushall()
    sandbox.control("reset")
    with psycopg.connect(**_credentials(aws)) as conn:
        queries = [q for (q,) in conn.execute("SELECT query FROM pg_stat_statements")]
    assert not any("pg_sleep" in q for q in queries)
    assert _cache(aws).get("incident:7") is not None and _cache(aws).dbsize() == databases.CACHE_KEYS
