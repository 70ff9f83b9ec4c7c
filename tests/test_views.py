"""What cells display and act on, built in opslib: the shaping and the empty cases."""

from datetime import UTC, datetime

import pandas as pd

from opslib import views
from opslib.actions.logs import ExportLogs
from opslib.checks import CRITICAL, OK
from opslib.checks.logs import pattern_matches_all
from opslib.services.cloudwatch import performance_metrics


def test_alarm_changes_say_when_there_are_none():
    assert views.alarm_changes([], 12) == "No state changes in the last 12 h."
    when = datetime(2026, 11, 23, 3, 4, tzinfo=UTC)
    frame = views.alarm_changes([{"Timestamp": when, "AlarmName": "a", "HistorySummary": "Alarm updated from OK to ALARM"}], 12)
    assert frame.to_dict("records") == [{"when (UTC)": "2026-11-23 03:04", "alarm": "a", "change": "OK to ALARM"}]


def test_bands_name_the_series_that_is_missing():
    assert views.bands({}, "ecs_cpu", 70, 80, "ECS CPU", "%") == "No data for ecs_cpu."
    assert views.bands({"a": pd.Series([1.0])}, {"avg": "a", "p95": "b"}, 1, 2, "t", "s") == "No data for b."


def test_cost_by_service_shows_the_figure_and_the_last_days():
    days = pd.date_range("2026-11-01", periods=9, freq="D")
    frame = pd.DataFrame({"EC2": [10.0] * 8 + [50.0], "S3": [1.0] * 9}, index=days)
    figure, table = views.cost_by_service(frame, 7, 50, 100, 9)
    assert figure.axes[0].get_title().startswith("Daily cost by service") and list(table.index) == ["EC2", "S3"]
    assert table.loc["EC2", "total"] == 120.0
    assert views.cost_by_service(frame.iloc[0:0], 7, 50, 100, 9) == "No cost data for the window."


def test_top_messages_over_every_group():
    found = {"/a": [{"message": "ERROR x 1", "timestamp": 0}], "/b": [{"message": "ERROR x 2", "timestamp": 0}]}
    assert views.top_messages(found, 5)["count"].sum() == 2
    assert views.top_messages({"/a": []}, 5) == "No matches."


def test_checks_for_every_group_searched():
    found = {"/a": [{}] * 12, "/b": []}
    assert [(c.resource, c.status) for c in pattern_matches_all(found, "ERROR", 60, 5, 10)] == [("/a", CRITICAL), ("/b", OK)]


def test_export_window_one_action_per_group_and_none_unless_requested():
    actions = ExportLogs.window_of(["/aws/a", "/aws/b"], "bucket", 60, requested=True, under="security-incident")
    assert [a.prefix for a in actions] == ["security-incident/aws-a", "security-incident/aws-b"]
    (change,) = actions[0].plan({"export_tasks": []})
    assert change.after == "s3://bucket/security-incident/aws-a/<end time> (the 1 h before it is applied)"  # a plan that stays the same until applied
    assert ExportLogs.window_of(["/aws/a"], "bucket", 60, requested=False) == []


def test_performance_metrics_have_unique_ids():
    ids = [m.id for m in performance_metrics("c", "s", "db", "lb", "api", "fn", "table")]
    assert len(ids) == len(set(ids)) == 12 and {"alb_p95", "api_p99", "ddb_throttled"} <= set(ids)


def test_thresholds_and_times_are_shown_as_people_write_them():
    from opslib.plots import with_bands
    from opslib.units import number

    assert [number(x) for x in (0.41666666666666663, 1000.0, 2.5, 10, 0, 123456.7, 0.0001234)] == ["0.417", "1,000", "2.5", "10", "0", "123,457", "0.000123"]
    series = pd.Series([1.0, 2.0], index=pd.date_range("2026-11-23 07:00", periods=2, freq="5min", tz="UTC"))
    ax = with_bands(series, 5 / 12, 10 / 12, "t", "matches").axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["warning ≥ 0.417", "critical ≥ 0.833"]
    assert ax.get_xlabel() == "time (UTC)"
    assert ax.xaxis.get_major_formatter()(ax.get_xticks()[0]).count(":") == 1


def test_alarm_scope_names_the_prefix_or_all_alarms():
    from opslib.services.cloudwatch import alarm_scope

    assert (alarm_scope(""), alarm_scope("rms-")) == ("all alarms", "rms-")


def test_durations_sizes_and_units_read_as_people_write_them():
    from opslib.checks import describe_threshold
    from opslib.units import duration, quantity, size

    assert [duration(s) for s in (0.0057, 0.2737, 1.5, 45, 300, 330, 5400, 86400 + 3 * 3600, 7200, 5 * 86400 - 60, 2 * 3600 - 10)] == [
        "5.7 ms", "274 ms", "1.5 s", "45 s", "5 min", "5 min 30 s", "1 h 30 min", "1 d 3 h", "2 h", "5 d", "2 h"]  # never "4 d 24 h"
    assert [size(b) for b in (0, 512, 1536, 3 * 2**30, 5 * 2**40)] == ["0 B", "512 B", "1.5 KiB", "3 GiB", "5 TiB"]
    assert [quantity(1000.0, " ms"), quantity(629.6, "ms"), quantity(1, "lines"), quantity(3, "lines"), quantity(50.0, "% over average"), quantity(47.1)] == [
        "1 s", "630 ms", "1 line", "3 lines", "50% over average", "47.1"]
    assert describe_threshold(10000.0, 15000.0, " ms") == "warn >= 10 s, critical >= 15 s"
    assert describe_threshold(70.0, None, "%") == "warn >= 70%"


def test_the_last_release_is_what_changed_together_last_and_a_rollback_is_not_one():
    from datetime import timedelta

    from opslib.services.s3 import last_release

    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    v = lambda vid, etag, age_min: {"version": vid, "etag": etag, "modified": now - timedelta(minutes=age_min), "size": 1, "deleted": False}
    versions = {"index.html": [v("i3", "E3", 20), v("i2", "E2", 3 * 1440), v("i1", "E1", 17 * 1440)],
                "static/app.js": [v("a3", "A3", 21), v("a2", "A2", 3 * 1440)],
                "favicon.ico": [v("f1", "F1", 60 * 1440)],
                "static/new.js": [v("n1", "N1", 22)]}
    release = last_release(versions, window_minutes=10)
    assert {k: (r or {}).get("version") for k, r in release.items()} == {"index.html": "i2", "static/app.js": "a2", "static/new.js": None}
    rolled_back = {**versions, "index.html": [v("i4", "E2", 0), *versions["index.html"]], "static/app.js": [v("a4", "A2", 0), *versions["static/app.js"]]}
    assert set(last_release(rolled_back, window_minutes=10)) == {"static/new.js"}  # only what the rollback left as the release had it


def test_the_incident_plot_marks_each_kind_once_a_minute():
    """Issue 25: a line per event (a release's three changes, each run) smeared the plot."""
    from datetime import datetime, timedelta, timezone

    from opslib import plots
    from opslib.timeline import Event

    t = datetime(2026, 12, 6, 22, 30, 5, tzinfo=timezone.utc)
    events = [Event(t, "changed", "", f"change {n}") for n in range(3)] + [Event(t + timedelta(seconds=20), "run", "", "a"),
                                                                          Event(t + timedelta(seconds=40), "run", "", "b"),
                                                                          Event(t + timedelta(minutes=2), "run", "", "c"), Event(t, "red", "", "not marked")]
    assert [(e.kind, e.what) for e in plots.distinct(events)] == [("changed", "change 0"), ("run", "a"), ("run", "c")]
    assert plots.incident({}, events, "INC") is not None
