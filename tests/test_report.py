"""Evidence a person reads first: the filed page opens with the verdict, and runs/index.html lists every run."""

import re
from html.parser import HTMLParser

from conftest import ledger


class Rows(HTMLParser):
    """The index's table rows: their data-* attributes, cell texts and links."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-status" in attrs:
            self.rows.append({"data": {k[5:]: v for k, v in attrs.items() if k.startswith("data-")}, "cells": [], "href": None, "style": []})
        elif tag == "td" and self.rows:
            self._cell = ""
            self.rows[-1]["style"].append(attrs.get("style", ""))
        elif tag == "a" and self.rows:
            self.rows[-1]["href"] = attrs["href"]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1]["cells"].append(self._cell)
            self._cell = None


def test_filed_page_opens_with_the_verdict_and_the_rows_that_are_not_ok(runs):
    record = [r for r in ledger(runs) if r["status"] == "critical"][0]
    page = (runs / record["html"]).read_text()
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert re.fullmatch(r"ok · sandbox · \d{4}-\d\d-\d\d \d\d:\d\d UTC · CRITICAL", title), title
    summary = page.index('class="opslib-summary')
    assert summary < page.index('<div class="jp-Cell'), "the summary comes before the first cell"
    head = page[summary: page.index("</header>", summary)]
    assert "CRITICAL: The check is CRITICAL." in head and "fixture_value_level" in head and "thing is CRITICAL." in head
    assert page.count("<details class=\"opslib-input\">") >= 4  # every code input folded, parameters included
    assert "<summary>parameters</summary>" in page


def test_passing_page_shows_no_rows(runs):
    record = [r for r in ledger(runs) if r["status"] == "passed"][0]
    head = (runs / record["html"]).read_text().split('class="opslib-summary', 1)[1].split("</header>", 1)[0]
    assert "PASSED: The check is OK." in head and "<table>" not in head


def test_index_lists_every_run_newest_first_with_links_and_filters(runs):
    page = (runs / "index.html").read_text()
    parser = Rows()
    parser.feed(page)
    records = ledger(runs)
    assert [r["data"]["status"] for r in parser.rows] == [r["status"] for r in reversed(records)]
    for row, record in zip(parser.rows, reversed(records)):
        assert (runs / row["href"]).is_file() and row["href"] == record["html"]
        assert row["data"] == {"notebook": record["notebook"], "env": "sandbox", "status": record["status"], "incident": ""}
        assert "background:" in row["style"][0]
    for key in ("notebook", "env", "status", "incident"):
        assert f'data-filter="{key}"' in page
    assert "<script src" not in page and "http" not in page.split("<script>", 1)[1]


def test_check_tables_are_not_typeset_as_maths():
    from opslib.checks import OK, Check, Report

    page = Report([Check("ce_cost_yesterday", OK, "account", 1, "-", "Cost was $120.04, against $138.96.")])._repr_html_()
    assert page.startswith('<div class="tex2jax_ignore mathjax_ignore">')


def test_every_filed_run_says_where_each_parameter_came_from(runs):
    """`-p level=WARN` reads `-p` in the ledger and in the kernel's own journal record (whose values
    the notebook's parameters table shows), not `run`."""
    from opslib.ledger import Evidence

    record = [r for r in ledger(runs) if r["status"] == "warn"][0]
    assert record["parameter_sources"] == {"env": "--env", "level": "-p"}
    (start,) = [r for r in Evidence(runs).journal.records() if r["kind"] == "session-start" and r["run_id"] == record["run_id"]]
    assert start["mode"] == "headless" and start["parameters"] == {"env": "sandbox", "level": "WARN"}
    assert start["parameter_sources"] == {"env": "--env", "level": "-p"}
