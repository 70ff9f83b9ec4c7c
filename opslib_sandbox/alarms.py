"""CloudWatch alarms evaluated from metric data, as CloudWatch does it (moto never evaluates them).

Each metric alarm looks at its last `EvaluationPeriods` periods of `Period` seconds ending now,
takes its statistic over each (Average, Sum, Minimum, Maximum, SampleCount or a percentile such
as p95), compares it with the threshold and goes to ALARM when at least `DatapointsToAlarm` of
them breach; `TreatMissingData` says what an empty period counts as (missing, notBreaching,
breaching, ignore). A state change is recorded in the alarm's history and sent to the SNS topics
among its actions (seed 001: CloudWatch -> SNS -> Slack), whose subscribers moto delivers to.

The sandbox evaluates on a clock (every minute, as CloudWatch does) and whenever metric data
arrives; `set-alarm-state` holds until the next evaluation, as on AWS.
"""

import json
from datetime import datetime, timedelta, timezone

from opslib.units import plural
from . import world

CLOCK_S = 60.0
_EMITTED: set = set()  # the minutes keep_metrics_flowing wrote: its own points do not silence it
REGION_NAMES = {"us-west-2": "US West (Oregon)", "us-east-1": "US East (N. Virginia)"}
_COMPARE = {  # operator: (breaches?, as the state reason words it)
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}


def keep_metrics_flowing(now: datetime | None = None) -> int:
    """The seeded series the traffic model does not write go on as a live system's do: for each one
    that nobody else (a scenario, a person with `put-metric-data`) is writing, a point for this minute in its daily shape. Without
    it every alarm would go to INSUFFICIENT_DATA five minutes after the sandbox started."""
    import random

    from . import traffic
    from .seeds import metrics

    now = now or datetime.now(timezone.utc)
    model = traffic.owned()
    quiet_since = now - timedelta(seconds=90)  # someone else wrote it within the last minute or so: leave it to them
    latest: dict = {}
    for region in world.REGIONS:
        for datum in world.backend("cloudwatch", region).get_all_metrics():
            when = _aware(datum.timestamp)
            if when <= quiet_since or when in _EMITTED:
                continue
            key = (region, datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
            latest[key] = max(when, latest.get(key, when))
    now = now.replace(second=0, microsecond=0)
    _EMITTED.add(now)
    rng, written = random.Random(int(now.timestamp()) // 60), 0
    for namespace, metric, dims, night, peak, noise, unit in metrics.all_series():
        key = (metrics.region(dims), namespace, metric, frozenset(dims.items()))
        if latest.get(key, quiet_since) > quiet_since or (key[0], namespace, metric, tuple(dims.items())) in model:
            continue
        world.backend("cloudwatch", key[0]).put_metric_data(namespace, [{"MetricName": metric, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                                        "Timestamp": now.replace(tzinfo=None), "Values": metrics.samples(now, night, peak, noise, rng, n=1), "Unit": unit}])  # naive UTC, as moto keeps what the API receives
        written += 1
    return written


def evaluate_all(now: datetime | None = None, metric: tuple[str, str] | None = None) -> list[tuple[str, str, str]]:
    """Evaluate every metric alarm (or those on one (namespace, metric)), in every region; (alarm, old, new) per change."""
    now = now or datetime.now(timezone.utc)
    return [change for region in world.REGIONS for change in _evaluate(world.backend("cloudwatch", region), now, metric)]


def _evaluate(cw, now: datetime, metric: tuple[str, str] | None) -> list[tuple[str, str, str]]:
    watched = [a for a in list(cw.alarms.values()) if a.metric_name and a.comparison_operator in _COMPARE  # not metric math or bands
               and (metric is None or (a.namespace, a.metric_name) == metric)]
    if not watched:
        return []
    oldest = now - timedelta(seconds=max(int(a.period) * int(a.evaluation_periods) for a in watched) + 60)
    by_metric: dict = {}
    naive = oldest.astimezone(timezone.utc).replace(tzinfo=None)
    for datum in cw.get_all_metrics():  # one pass over the data for all alarms (the time test inline: a call per datum was most of it)
        if datum.timestamp >= (oldest if datum.timestamp.tzinfo else naive):
            by_metric.setdefault((datum.namespace, datum.name), []).append(datum)
    changes = []
    for alarm in watched:
        new, reason, data = _state(alarm, by_metric.get((alarm.namespace, alarm.metric_name), []), now)
        if new is not None and new != alarm.state_value:
            old = alarm.state_value
            alarm.update_state(reason, json.dumps(data), new)
            _notify(alarm, old, now)
            changes.append((alarm.name, old, new))
    return changes


def _state(alarm, data_points: list, now: datetime):
    period, n = int(alarm.period), int(alarm.evaluation_periods)
    m = int(alarm.datapoints_to_alarm or n)
    end = now + timedelta(seconds=1)  # the periods up to this evaluation, the point written this second included
    start = end - timedelta(seconds=period * n)
    wanted = {(d.name, d.value) for d in alarm.dimensions}
    buckets: list[list] = [[] for _ in range(n)]
    for datum in data_points:
        when = _aware(datum.timestamp)
        if not (start <= when < end) or {(d.name, d.value) for d in datum.dimensions} != wanted:
            continue
        buckets[int((when - start).total_seconds() // period)].extend(_values(datum))
    stat = alarm.extended_statistic or alarm.statistic
    values = [_statistic(stat, b) if b else None for b in buckets]
    compare, word = _COMPARE[alarm.comparison_operator]
    missing = alarm.treat_missing_data or "missing"
    present = [v for v in values if v is not None]
    if not present and missing in ("missing", "ignore"):
        return ("INSUFFICIENT_DATA" if missing == "missing" else None), "Insufficient Data: no datapoints were received.", {}
    breaching = sum(1 for v in values if (missing == "breaching" if v is None else compare(v, alarm.threshold)))
    recent = present[-m:]
    data = {"version": "1.0", "queryDate": now.isoformat(), "startDate": start.isoformat(), "statistic": stat, "period": period,
            "recentDatapoints": recent, "threshold": alarm.threshold, "evaluatedDatapoints": len(present)}
    state, shown, transition = ("ALARM", f" [{', '.join(f'{v:g}' for v in recent)}]", "OK -> ALARM") if breaching >= m else ("OK", "", "ALARM -> OK")
    return state, (f"Threshold Crossed: {breaching} out of the last {n} datapoints{shown} was {word} the threshold ({alarm.threshold:g}) "
                   f"(minimum {plural(m, 'datapoint')} for {transition} transition)."), data


def _values(datum) -> list[tuple[float, float, float, float]]:
    """(sum, sample count, minimum, maximum) per value or statistic set: how CloudWatch combines them."""
    if hasattr(datum, "value"):
        v = float(datum.value)
        return [(v, 1.0, v, v)]
    return [(float(datum.sum), float(datum.sample_count), float(datum.min), float(datum.max))]


def _statistic(stat: str, sets: list[tuple[float, float, float, float]]) -> float | None:
    total, count = sum(s[0] for s in sets), sum(s[1] for s in sets)
    if stat == "Average":
        return total / count
    if stat == "Sum":
        return total
    if stat == "Minimum":
        return min(s[2] for s in sets)
    if stat == "Maximum":
        return max(s[3] for s in sets)
    if stat == "SampleCount":
        return count
    if stat.startswith("p"):  # from single values only: a statistic set has no distribution
        singles = [s[0] for s in sets if s[1] == 1 and s[2] == s[3]]
        return percentile(singles, float(stat[1:])) if singles else None
    raise ValueError(f"statistic {stat}")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile, interpolated between neighbours (GetMetricData, GetMetricStatistics and alarms alike)."""
    ordered = sorted(values)
    rank = p / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _notify(alarm, old: str, now: datetime) -> None:
    """The message CloudWatch publishes to each SNS topic among the alarm's actions for its new state."""
    if not alarm.actions_enabled:
        return
    arns = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions, "INSUFFICIENT_DATA": alarm.insufficient_data_actions}[alarm.state_value]
    topics = [a for a in arns or [] if a.startswith("arn:aws:sns:")]
    if not topics:
        return
    message = json.dumps({
        "AlarmName": alarm.name, "AlarmDescription": alarm.description, "AWSAccountId": world.ACCOUNT,
        "NewStateValue": alarm.state_value, "NewStateReason": alarm.state_reason, "OldStateValue": old,
        "StateChangeTime": now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "Region": REGION_NAMES.get(alarm.region_name, alarm.region_name), "AlarmArn": alarm.alarm_arn,
        "Trigger": {"MetricName": alarm.metric_name, "Namespace": alarm.namespace, "Statistic": (alarm.statistic or "").upper(),
                    "Period": alarm.period, "EvaluationPeriods": alarm.evaluation_periods, "ComparisonOperator": alarm.comparison_operator,
                    "Threshold": alarm.threshold, "TreatMissingData": alarm.treat_missing_data or "missing",
                    "Dimensions": [{"name": d.name, "value": d.value} for d in alarm.dimensions]},
    })
    subject = f'{alarm.state_value}: "{alarm.name}" in {REGION_NAMES.get(alarm.region_name, alarm.region_name)}'[:100]
    for arn in topics:
        region = arn.split(":")[3]
        try:
            world.backend("sns", region).publish(message, arn=arn, subject=subject)
        except Exception as exc:  # a deleted topic: CloudWatch records the failed action and carries on
            alarm.history.append(("Action", f"Failed to execute action {arn}: {exc}", "{}", alarm.state_value, now.replace(tzinfo=None)))
