"""What an RDS instance class can carry: its memory sets how much of a database's working set stays
cached (what does not is read from storage, each time) and how many connections PostgreSQL allows
(RDS's default `max_connections`: DBInstanceClassMemory / 9531392). A database moved to a smaller
class by hand (`aws rds modify-db-instance --db-instance-class`) is slower and runs out of
connections under the same traffic; one moved back recovers."""

CLASS = {  # instance class: (vCPUs, memory GiB), as AWS lists them
    "db.t3.micro": (2, 1), "db.t3.small": (2, 2), "db.t3.medium": (2, 4), "db.t3.large": (2, 8), "db.t3.xlarge": (4, 16), "db.t3.2xlarge": (8, 32),
    "db.t4g.micro": (2, 1), "db.t4g.small": (2, 2), "db.t4g.medium": (2, 4), "db.t4g.large": (2, 8), "db.t4g.xlarge": (4, 16),
    "db.m5.large": (2, 8), "db.m5.xlarge": (4, 16), "db.m5.2xlarge": (8, 32), "db.m6g.large": (2, 8), "db.m6g.xlarge": (4, 16),
    "db.m6i.large": (2, 8), "db.m6i.xlarge": (4, 16), "db.r5.large": (2, 16), "db.r5.xlarge": (4, 32), "db.r6g.large": (2, 16), "db.r6g.xlarge": (4, 32),
}
CACHED_SHARE = 0.75  # of an instance's memory PostgreSQL and the OS give to caching data
STORAGE_PENALTY = 20  # a read from storage (gp2/gp3) against one from memory, in a query's time


def shape(instance_class: str) -> tuple[int, float]:
    """(vCPUs, memory GiB); a class not listed counts as the seed's db.t3.medium."""
    return CLASS.get(instance_class, CLASS["db.t3.medium"])


def max_connections(instance_class: str) -> int:
    return min(5000, int(shape(instance_class)[1] * 1024**3 / 9531392))


def spill(instance_class: str, working_set_gib: float) -> float:
    """The share of the working set that no longer fits in the cache (0: it all fits)."""
    return max(0.0, working_set_gib - CACHED_SHARE * shape(instance_class)[1]) / working_set_gib


def slowdown(instance_class: str, working_set_gib: float) -> float:
    """How many times longer a query takes than with its working set cached."""
    return 1 + STORAGE_PENALTY * spill(instance_class, working_set_gib)
