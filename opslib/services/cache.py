"""An ElastiCache Redis cluster as the service uses it (seed 004 "High Latency": `redis-cli INFO stats`)."""


def stats(aws, cluster: str, timeout_s: float = 5.0, window_minutes: int = 5) -> dict:
    """The cluster's first node (`aws elasticache describe-cache-clusters --show-cache-node-info`), its `INFO stats`
    and `INFO keyspace` (keys, evictions), and its hits and misses over the last `window_minutes` from CloudWatch
    (`CacheHits`, `CacheMisses` of the node): a flush shows there, while INFO's counters add up since the node's
    statistics began and hide it. Without CloudWatch data, INFO's counters, said so (`window` None)."""
    import redis

    from . import cloudwatch

    found = aws.client("elasticache").describe_cache_clusters(CacheClusterId=cluster, ShowCacheNodeInfo=True)["CacheClusters"][0]
    node = found["CacheNodes"][0]
    endpoint = node["Endpoint"]
    client = redis.Redis(host=endpoint["Address"], port=int(endpoint["Port"]), socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        info, keyspace = client.info("stats"), client.info("keyspace")
    finally:
        client.close()
    dims = (("CacheClusterId", cluster), ("CacheNodeId", node["CacheNodeId"]))
    series = cloudwatch.metric_data(aws, [cloudwatch.Metric("hits", "AWS/ElastiCache", "CacheHits", dims, "Sum"),
                                          cloudwatch.Metric("misses", "AWS/ElastiCache", "CacheMisses", dims, "Sum")], window_minutes, 60)
    hits, misses, window = int(series["hits"].sum()), int(series["misses"].sum()), window_minutes
    if not hits + misses:
        hits, misses, window = int(info["keyspace_hits"]), int(info["keyspace_misses"]), None
    return {"host": endpoint["Address"], "port": int(endpoint["Port"]), "engine": f"{found['Engine']} {found.get('EngineVersion', '')}".strip(),
            "hits": hits, "misses": misses, "hit_rate": 100 * hits / (hits + misses) if hits + misses else None, "window": window,
            "keys": sum(int(db.get("keys", 0)) for db in keyspace.values()), "evicted": int(info.get("evicted_keys", 0))}
