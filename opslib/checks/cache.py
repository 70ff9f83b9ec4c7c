"""A cache as its service sees it (seed 004 "High Latency" step 2: "check cache hit rate, warm cache if needed")."""

from ..units import number
from . import OK, Check, describe_threshold, evaluate


def hit_rate(stats: dict, cluster: str, warn_pct: float, critical_pct: float) -> Check:
    """The share of reads the cache answered over the window (CloudWatch CacheHits / CacheMisses), else since its
    statistics began (Redis keyspace_hits / misses)."""
    threshold = describe_threshold(warn_pct, critical_pct, "%", higher_is_worse=False)
    over = f"over the last {stats['window']} minutes (CloudWatch CacheHits, CacheMisses)" if stats.get("window") else "since its statistics began (INFO stats)"
    if stats["hit_rate"] is None:
        return Check("elasticache_hit_rate", OK, cluster, None, threshold, f"{cluster}: no reads {over}.")
    status = evaluate(stats["hit_rate"], warn_pct, critical_pct, higher_is_worse=False)
    cold = " A cold or flushed cache sends every read to the database: warm it (seed 004)." if status != OK else ""
    return Check("elasticache_hit_rate", status, cluster, f"{number(stats['hit_rate'])}%", threshold,
                 f"{cluster} ({stats['engine']}): {number(stats['hit_rate'])}% of reads hit {over} ({stats['hits']} hits, {stats['misses']} misses), "
                 f"{stats['keys']} keys, {stats['evicted']} evicted.{cold}")
