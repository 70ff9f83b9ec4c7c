"""An ElastiCache Redis cluster as the service uses it (seed 004 "High Latency": `redis-cli INFO stats`)."""


def stats(aws, cluster: str, timeout_s: float = 5.0) -> dict:
    """The cluster's first node (`aws elasticache describe-cache-clusters --show-cache-node-info`), then
    its `INFO stats` and `INFO keyspace`: hits, misses, the hit rate, keys, evictions."""
    import redis

    found = aws.client("elasticache").describe_cache_clusters(CacheClusterId=cluster, ShowCacheNodeInfo=True)["CacheClusters"][0]
    endpoint = found["CacheNodes"][0]["Endpoint"]
    client = redis.Redis(host=endpoint["Address"], port=int(endpoint["Port"]), socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        info, keyspace = client.info("stats"), client.info("keyspace")
    finally:
        client.close()
    hits, misses = int(info["keyspace_hits"]), int(info["keyspace_misses"])
    return {"host": endpoint["Address"], "port": int(endpoint["Port"]), "engine": f"{found['Engine']} {found.get('EngineVersion', '')}".strip(),
            "hits": hits, "misses": misses, "hit_rate": 100 * hits / (hits + misses) if hits + misses else None,
            "keys": sum(int(db.get("keys", 0)) for db in keyspace.values()), "evicted": int(info.get("evicted_keys", 0))}
