"""What moto's backends lack that AWS has, added inside the sandbox process only.

- CloudWatch percentiles (p50, p95, p99.9 ...): moto answers None for extended statistics.
- EC2 status checks that can fail (moto reports every running instance as ok).
"""


def apply() -> None:
    _percentiles_fix()
    _instance_status_fix()


def _percentiles_fix() -> None:
    from moto.cloudwatch import models

    original = models.Statistics.get_statistics_for_type
    if getattr(original, "opslib_fixed", False):
        return

    def get_statistics_for_type(self, stat):
        if isinstance(stat, str) and stat.startswith("p") and stat[1:].replace(".", "", 1).isdigit():
            values = sorted(self.metric_single_values_list)
            if not values:
                return None
            rank = float(stat[1:]) / 100 * (len(values) - 1)
            low = int(rank)
            high = min(low + 1, len(values) - 1)
            return values[low] + (values[high] - values[low]) * (rank - low)
        return original(self, stat)

    get_statistics_for_type.opslib_fixed = True
    models.Statistics.get_statistics_for_type = get_statistics_for_type


def _instance_status_fix() -> None:
    """EC2 instance/system status checks: moto says "ok" for every running instance; a scenario
    can set `impaired` on one (attribute `opslib_status` = {"instance": ..., "system": ...})."""
    from moto.ec2.models import instances

    if getattr(instances.Instance, "opslib_fixed", False):
        return
    plain_instance, plain_system = instances.Instance.instance_status.fget, instances.Instance.system_status.fget

    def status(kind, plain):
        def get(self):
            wanted = getattr(self, "opslib_status", {}).get(kind)
            if wanted is None or self.state_code != 16:
                return plain(self)
            return {"Details": [{"Name": "reachability", "Status": "passed" if wanted == "ok" else "failed"}], "Status": wanted}

        return property(get)

    instances.Instance.instance_status = status("instance", plain_instance)
    instances.Instance.system_status = status("system", plain_system)
    instances.Instance.opslib_fixed = True
