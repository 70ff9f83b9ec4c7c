"""The check result: threshold evaluation, the verdict, and results read back as data."""

import pytest

from opslib import checks
from opslib.checks import CRITICAL, ERROR, OK, WARN, Check, Report


@pytest.mark.parametrize("value, warn, critical, higher_is_worse, status", [
    (4, 5, 10, True, OK), (5, 5, 10, True, WARN), (9.9, 5, 10, True, WARN), (10, 5, 10, True, CRITICAL),
    (50, None, 10, True, CRITICAL), (7, 5, None, True, WARN), (7, None, None, True, OK),
    (30, 20, 10, False, OK), (20, 20, 10, False, WARN), (3, 20, 10, False, CRITICAL),  # e.g. days to certificate expiry
])
def test_evaluate_against_warning_and_critical(value, warn, critical, higher_is_worse, status):
    assert checks.evaluate(value, warn, critical, higher_is_worse) == status


def test_threshold_is_described_for_the_reader():
    assert checks.describe_threshold(5, 10) == "warn >= 5, critical >= 10"
    assert checks.describe_threshold(30, 7, " days", higher_is_worse=False) == "warn <= 30 days, critical <= 7 days"


def test_counts_are_written_as_people_write_them():
    from opslib.units import plural
    from opslib.checks.logs import pattern_matches

    assert (plural(1, "line"), plural(2, "line"), plural(0, "check")) == ("1 line", "2 lines", "0 checks")
    assert pattern_matches("/g", [{}], "ERROR", 1, 5, 10).sentence == "1 line matching 'ERROR' in /g over the last 1 minute."


def test_verdict_names_the_worst_first():
    report = Report([Check("a", OK, "r", 1, "-", "."), Check("b", WARN, "r", 1, "-", "."), Check("c", ERROR, "r", 1, "-", ".")])
    assert report.worst == ERROR
    assert report.verdict() == "1 error and 1 warning among 3 checks."
    assert Report([Check("a", CRITICAL, "r", 1, "-", ".")]).verdict() == "The check is CRITICAL."
    assert Report([Check("a", OK, "r", 1, "-", ".")]).verdict() == "The check is OK."
    assert report.counts() == {OK: 1, WARN: 1, CRITICAL: 0, ERROR: 1}
    assert Report([Check("a", OK, "r", 1, "-", ".")] * 2).verdict() == "All 2 checks OK."


def test_html_table_carries_status_colours():
    html = Report([Check("a", CRITICAL, "db<1>", 1, "-", "down.")])._repr_html_()
    assert checks.COLOURS[CRITICAL] in html and "db&lt;1&gt;" in html


def test_check_decorator_turns_an_exception_into_an_error_row_for_its_resource():
    @checks.check("svc_thing_ok")
    def thing_ok(aws, name, limit=3):
        raise TimeoutError("read timed out")

    row = thing_ok(None, "thing-1")
    assert (row.id, row.status, row.resource, row.observed) == ("svc_thing_ok", ERROR, "thing-1", "Timeout")
    assert row.sentence == "Could not check thing-1: Timeout: read timed out"


def test_results_read_back_from_outputs_latest_wins():
    first = Report([Check("a", WARN, "r", 1, "-", "first.")])._repr_mimebundle_()
    second = Report([Check("a", OK, "r", 0, "-", "again."), Check("b", OK, "s", 0, "-", ".")])._repr_mimebundle_()
    nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data", "data": first}]},
                    {"cell_type": "code", "outputs": [{"output_type": "execute_result", "data": second}]}]}
    back = checks.from_notebook(nb)
    assert [(c.id, c.status, c.sentence) for c in back] == [("a", OK, "again."), ("b", OK, ".")]


def test_no_data_where_data_is_expected_is_a_warning_that_names_what_was_asked():
    """Issue 24: "no data" read OK in ce, deploy and static_site (WARN in cloudwatch): on real AWS a wrong dimension reads green."""
    import pandas as pd

    from opslib.checks import WARN
    from opslib.checks.ce import service_jumps
    from opslib.checks.deploy import sustained
    from opslib.checks.static_site import error_rate

    site = error_rate({"error_rate": pd.Series(dtype=float), "requests": pd.Series(dtype=float)}, {"Id": "E2HAND0NODATA"}, "site-bucket", 30, 5, 10)
    assert site.status == WARN and "AWS/CloudFront Requests for DistributionId=E2HAND0NODATA, Region=Global" in site.sentence
    (trigger,) = sustained("deploy_error_trigger", {"ALB (RMS API)": pd.Series(dtype=float)}, 10, 10, "%", "the share of failed requests")
    assert trigger.status == WARN and "ALB (RMS API): no the share" not in trigger.sentence and "a wrong dimension" in trigger.sentence
    (jump,) = service_jumps(None)
    assert jump.status == WARN and "GetCostAndUsage, DAILY, grouped by SERVICE" in jump.sentence


def test_a_sign_in_burst_hands_off_a_pasteable_sign_out_per_user_tried():
    """advice printed `--user-pool-id <pool> --username <user>`: a placeholder the tool already knew; now one command per user."""
    from opslib import advice
    from opslib.checks import Check

    burst = Check("cognito_auth_failure_burst", CRITICAL, "ec2-manager-users-production", "203.0.113.66", "-",
                  "1 address failed 10+ sign-ins within 5 minutes: 203.0.113.66 (25); users tried from 203.0.113.66: alice, root. Seed 001: a security alert.")
    text = advice.auth_failures([burst], {"Id": "us-west-2_x", "Name": "ec2-manager-users-production"}, "INC-7")
    assert "<" not in text and "deny 203.0.113.66;" in text
    for user in ("alice", "root"):
        assert f"opslib run security-incident --incident INC-7 -p user_pool=ec2-manager-users-production -p sign_out_user={user}" in text, text
