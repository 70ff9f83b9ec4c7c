"""The incident lifecycle: declare, notify, update, resolve, post-mortem, the reviewer's bundle.

The drill runs the notebooks as a responder would (`opslib run`), against the sandbox's local
Slack webhook and SNS relay, and reads back what they received, the incident record, the
post-mortem's timeline and the report.
"""

import json
import multiprocessing
import re
import socket
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import ROOT, declare, ledger, opslib
from opslib import catalog, incidents, messages
import opslib_sandbox as sandbox
from opslib.errors import BadInput
from opslib.ledger import Evidence
from opslib.services import notify
from opslib.severity import classify

WEBHOOK_VARIABLE = "DRILL_SLACK_WEBHOOK"


def _declare_in_process(runs: str, queue) -> None:
    queue.put(declare(Path(runs)).id)


# -- severity and messages ------------------------------------------------------------------

@pytest.mark.parametrize("service, answers, expected", [
    ("EC2 Manager Production", (True, False, 0, False), "P1"),  # seed 001: complete outage
    ("EC2 Manager Production", (False, True, 5, True), "P1"),  # data loss
    ("EC2 Manager Production", (False, False, 40, False), "P2"),
    ("EC2 Manager Production", (False, False, 40, True), "P3"),
    ("EC2 Manager Production", (False, False, 0, False), "P4"),
    ("Secure Web Application", (True, False, 100, False), "P0"),  # seed 000 starts at P0
    ("Secure Web Application", (False, False, 0, False), "P3"),
    ("RMS Production", (True, False, 100, False), "Critical"),  # seed 003 names its levels
    ("RMS Production", (False, False, 30, False), "High"),
    ("Incident Response Automation", (False, False, 10, False), "P3"),  # seed 004
])
def test_the_answers_give_the_level_of_the_services_own_scale(service, answers, expected):
    level = classify(service, *answers)
    assert level.name == expected and level.seed.startswith(level.scale) and level.why


def test_levels_carry_response_page_and_cadence_and_overrides_are_checked():
    p1 = classify("EC2 Manager Production", True, False, 0, False)
    assert (p1.response, p1.page, p1.update_minutes) == ("15 minutes", "on-call, notify management", 15)  # seed 001
    assert classify("EC2 Manager Production", False, False, 40, False).update_minutes == 30
    assert classify("EC2 Manager Production", True, False, 0, False, "p2").name == "P2"
    with pytest.raises(BadInput, match="severity 'Critical' is not on EC2 Manager Production's scale: use one of P1, P2, P3, P4"):
        classify("EC2 Manager Production", True, False, 0, False, "Critical")
    with pytest.raises(BadInput, match="unknown service 'RMS Prod'.*did you mean 'RMS Production'"):
        classify("RMS Prod", True, False, 0, False)


def test_messages_follow_the_seeds_templates(tmp_path):
    inc = declare(tmp_path, at=datetime.fromisoformat("2025-09-14T14:30:00+00:00"))
    level = classify(inc.service, True, False, 0, False)
    text = messages.declared(inc, level, "Checking recent deployments, reviewing logs")
    assert text.splitlines()[:3] == ["🚨 INCIDENT DECLARED - P1", "Incident ID: INC-2025-0914-001", "Service: EC2 Manager Production"]
    assert "Started: 2025-09-14 14:30 UTC" in text and "War room: #incident-2025-0914-001, updates every 15 minutes" in text
    update = messages.update(inc, datetime.fromisoformat("2025-09-14T15:00:00+00:00"), "Mitigation in progress", "DynamoDB throttling", ["Increased DynamoDB capacity"], "15 minutes")
    assert update.splitlines()[:2] == ["📊 INCIDENT UPDATE - INC-2025-0914-001", "Time: 15:00 UTC (+30 minutes)"] and "- Increased DynamoDB capacity" in update
    end = datetime.fromisoformat("2025-09-14T15:15:00+00:00")
    done = messages.resolved(inc, end, "DynamoDB capacity exceeded", "Increased capacity", "~500 users affected", messages.postmortem_slot(end))
    assert done.splitlines()[:2] == ["✅ INCIDENT RESOLVED - INC-2025-0914-001", "Duration: 45 minutes (14:30-15:15 UTC)"]
    assert "Post-mortem: Scheduled for 2025-09-15 10:00 UTC" in done
    rms = declare(tmp_path, "RMS Production", at=datetime.fromisoformat("2024-12-16T14:30:00+00:00"))
    rms_done = messages.resolved(rms, datetime.fromisoformat("2024-12-16T15:15:00+00:00"), "Database connection pool exhaustion", "", "", "2024-12-17 10:00 UTC")
    assert rms_done.splitlines()[:4] == ["✅ RESOLVED - RMS Production: Complete service outage", "Status: RESOLVED", "Resolution Time: 2024-12-16 15:15 UTC", "Duration: 45 minutes"]
    assert messages.subject(text) == "INCIDENT DECLARED - P1"


# -- the record ------------------------------------------------------------------------------

def test_two_declares_at_once_get_two_ids_and_the_chain_stays_whole(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_declare_in_process, args=(str(tmp_path), queue)) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    ids = sorted(queue.get(timeout=5) for _ in workers)
    assert ids == [f"INC-{incidents.now():%Y-%m%d}-{n:03d}" for n in range(1, 7)]  # numbered per (UTC) day, none twice
    assert Evidence(tmp_path).incidents.verify() == []


def test_an_edited_incident_record_fails_verify(tmp_path):
    declare(tmp_path)
    path = tmp_path / "incidents.jsonl"
    path.write_text(path.read_text().replace("Complete service outage", "Minor blip"))
    assert any("record was edited" in p for p in Evidence(tmp_path).verify())


def test_updates_are_due_at_the_severitys_cadence(tmp_path):
    inc = declare(tmp_path)
    assert incidents.cadence_check(inc, inc.started + timedelta(minutes=10)).status == "OK"
    late = incidents.cadence_check(inc, inc.started + timedelta(minutes=20))
    assert late.status == "WARN" and "declared 20 minutes ago; P1 wants an update every 15 minutes: this update is late" in late.sentence


def test_an_unreachable_webhook_is_not_sent_with_the_reason(aws):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    delivery = notify.send(aws, notify.Channel("Slack webhook", "slack", f"http://127.0.0.1:{port}/hook"), "🚨 test", "test")
    assert not delivery.sent and delivery.attempts == notify.ATTEMPTS and "no answer" in delivery.reason


def test_a_refusing_webhook_is_not_retried(healthy, aws):
    delivery = notify.send(aws, notify.Channel("Slack webhook", "slack", f"{sandbox.url()}/_sandbox/no-such-hook"), "🚨 test", "test")
    assert not delivery.sent and delivery.attempts == 1 and "refused it: HTTP 404" in delivery.reason


# -- input ----------------------------------------------------------------------------------

def test_bad_incident_input_is_refused_before_anything_starts(tmp_path):
    inc = declare(tmp_path, resolved=True)
    cases = [
        (["incident-update", "--incident", "INC-2026-0101-042"], "no incident INC-2026-0101-042 in"),
        (["incident-update", "--incident", inc.id, "-p", "status=Still broken"], f"incident {inc.id} was resolved at"),
        (["incident-update"], "incident-update works on a declared incident and none was given: pass --incident"),
        (["postmortem", "--incident", "INC-1"], "'INC-1' is not an incident id"),
        (["incident-update", "--incident", declare(tmp_path).id, "-p", "resolve=true"], "incident-update with resolve needs resolution: -p resolution=..."),
        (["incident-declare", "-p", "service=RMS Prod"], "unknown service 'RMS Prod': did you mean 'RMS Production'?"),
        (["incident-declare", "-p", "severity=Sev1"], "severity 'Sev1' is not on EC2 Manager Production's scale"),
    ]
    for args, says in cases:
        res = opslib("run", *args, "--no-progress", runs=tmp_path)
        assert res.returncode == 2 and says in res.stderr and "Traceback" not in res.stderr, (args, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1
    assert [r for r in ledger(tmp_path)] == []  # nothing ran


# -- the drill ------------------------------------------------------------------------------

def test_the_drill_declare_diagnose_act_update_resolve_postmortem_report(healthy, aws, tmp_path):
    runs = tmp_path / "runs"
    hook = f"{sandbox.webhook_url('slack')}?token=drill-webhook-secret-7f3a"
    env = {WEBHOOK_VARIABLE: hook}
    slack = ["-p", f"slack_webhook=env:{WEBHOOK_VARIABLE}"]

    def run(*args, code=0):
        res = opslib("run", *args, "--no-progress", runs=runs, env=env)
        assert res.returncode == code, res.stdout[-2000:] + res.stderr[-2000:]
        return res

    sandbox.control("scenario/service-down")
    declared = run("incident-declare", "-p", "service=EC2 Manager Production", "-p", "service_down=true", "-p", "impact=Complete service outage",
                   "-p", "summary=API Gateway returning 5xx", *slack, "-p", "confirm=true")
    (iid,) = re.findall(r"INC-\d{4}-\d{4}-\d{3}", re.search(r"incident_record .*", declared.stdout)[0])[:1]
    assert f"{iid} declared: P1 EC2 Manager Production" in declared.stdout
    run("daily-health-check", "--incident", iid, code=1)  # red: the API answers 503
    run("app-health", "--incident", iid, code=1)
    run("log-search", "--incident", iid, "-p", "export=true", "-p", "confirm=true", code=0)  # the guarded action, applied
    run("incident-update", "--incident", iid, "-p", "status=Mitigation in progress", "-p", "root_cause=ECS service scaled to 0",
        "-p", 'actions_taken=["Restored desired count"]', *slack, "-p", "confirm=true")
    run("incident-update", "--incident", iid, "-p", "resolve=true", "-p", "resolution=Desired count back to 3", "-p", "impact=All users for 10 minutes",
        *slack, "-p", "confirm=true")
    run("postmortem", "--incident", iid)
    report = opslib("report", "--incident", iid, runs=runs)
    assert report.returncode == 0 and "verified: every file in it matches its record" in report.stdout, report.stdout + report.stderr

    # what the channels received: the webhook and, through SNS, the relay
    inbox = sandbox.inbox()
    texts = [json.loads(m["body"])["text"] for m in inbox if m["webhook"] == "slack"]
    assert [t.splitlines()[0] for t in texts] == ["🚨 INCIDENT DECLARED - P1", f"📊 INCIDENT UPDATE - {iid}", f"✅ INCIDENT RESOLVED - {iid}"]
    assert f"Incident ID: {iid}" in texts[0] and "Status: Mitigation in progress" in texts[1] and "Resolution: Desired count back to 3" in texts[2]

    # the record: resolved, with its duration
    inc = incidents.all_incidents(Evidence(runs))[iid]
    (resolved,) = [u for u in inc.updates if u["kind"] == incidents.RESOLVED]
    assert inc.status == "Resolved" and resolved["duration_s"] == pytest.approx((inc.resolved - inc.started).total_seconds(), abs=1)
    assert not inc.unsent and len(inc.notifications) == 6  # each notice to the webhook and to the SNS topic
    item = aws.client("dynamodb").get_item(TableName="opslib-incidents", Key={"incident_id": {"S": iid}})["Item"]  # the environment file's copy
    assert (item["status"]["S"], item["duration_s"]["N"], item["not_sent"]["N"]) == ("Resolved", str(round(resolved["duration_s"])), "0")
    relayed = [json.loads(m["body"]) for m in inbox if m["webhook"] == "slack-relay"]
    relayed = [m for m in relayed if m.get("Type") == "Notification" and "INCIDENT" in m.get("Subject", "")]  # not the alarms' own
    assert [m["Subject"] for m in relayed] == ["INCIDENT DECLARED - P1", f"INCIDENT UPDATE - {iid}", f"INCIDENT RESOLVED - {iid}"]

    # the post-mortem: every run and the applied action, in order, with times
    filed = {r["run_id"]: r for r in ledger(runs)}
    text = (runs / inc.postmortem["path"]).read_text()
    lines = [line for line in text.splitlines() if re.match(r"- \d\d:\d\d:\d\d: \*\*", line)]
    order = [re.search(r"\*\*(\w+)\*\* (\S+)", line).groups() for line in lines]
    notebooks_in_order = [what.rstrip(":") for kind, what in order if kind == "run"]
    assert notebooks_in_order == ["incident-declare", "daily-health-check", "app-health", "log-search", "incident-update", "incident-update"]
    assert [r["notebook"].split("/")[-1] for r in sorted(filed.values(), key=lambda r: r["started"])][:6] == notebooks_in_order
    kinds = [kind for kind, _ in order]
    assert kinds.index("declared") < kinds.index("red") < kinds.index("applied", kinds.index("red")) < kinds.index("update") < kinds.index("resolved")
    assert any("export-logs" in line and "**applied**" in line and ", verified" in line for line in lines), lines
    assert any("**confirmed**" in line and re.search(r"export-logs .* PLAN-[0-9a-f]{12} confirmed by", line) for line in lines), lines  # which plan, verified
    times = [line[2:10] for line in lines]
    assert times == sorted(times)
    assert "## Root Cause\n\nECS service scaled to 0" in text and "## Resolution\n\nDesired count back to 3" in text and "- [ ] [Preventive measure 1]" in text

    (pm,) = [r for r in filed.values() if r["notebook"] == "incident/postmortem"]
    assert '"image/png"' in (runs / pm["output"]).read_text()  # the plot of what was done when

    # the bundle: every run's page in order, the post-mortem, verified, zipped; the webhook's secret nowhere
    folder = runs / "reports" / iid
    pages = sorted(p.name for p in (folder / "runs").iterdir())
    assert len(pages) == len(filed) and pages[0].startswith("01-incident-declare")
    assert (folder / "postmortem.md").read_text() == text
    assert "verified: every file matches its record" in (folder / "index.html").read_text()
    with zipfile.ZipFile(folder.with_suffix(".zip")) as z:
        assert f"{iid}/index.html" in z.namelist() and f"{iid}/MANIFEST.sha256" in z.namelist()
    leaked = [p for p in runs.rglob("*") if p.is_file() and p.suffix != ".zip" and "drill-webhook-secret-7f3a" in p.read_text(errors="replace")]
    assert leaked == []


def test_an_id_taken_elsewhere_is_skipped_and_a_failing_webhook_gives_an_error_row_and_the_record_says_what_was_not_sent(healthy, aws, tmp_path):
    taken = f"INC-{incidents.now():%Y-%m%d}-001"  # declared on another machine: only the shared table knows
    aws.client("dynamodb").put_item(TableName="opslib-incidents", Item={"incident_id": {"S": taken}, "service": {"S": "RMS Production"}})
    sandbox.control("scenario/slack-down")
    res = opslib("run", "incident-declare", "-p", "impact=Partial outage", "-p", "summary=5xx on one route", "-p", "users_affected_pct=40",
                 "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert re.search(r"ERROR +incident_notification +Slack webhook +Slack webhook: NOT sent: HTTP 500 .* after 3 attempts", res.stdout), res.stdout
    (record,) = ledger(tmp_path)
    assert record["status"] == "error" and record["checks"]["ERROR"] == 1
    (inc,) = incidents.all_incidents(Evidence(tmp_path)).values()
    assert inc.id == taken[:-3] + "002"
    (unsent,) = inc.unsent
    assert unsent["channel"] == "Slack webhook" and "HTTP 500" in unsent["reason"] and unsent["message"].startswith("🚨 INCIDENT DECLARED - P2")
    assert len([m for m in sandbox.inbox() if m["webhook"] == "slack"]) == notify.ATTEMPTS  # retried, then gave up


def test_the_notebooks_say_what_incident_they_need():
    needs = {nb.name: nb.incident_need for nb in catalog.all_notebooks() if nb.area == "incident"}
    assert (needs["incident-declare"], needs["incident-update"], needs["postmortem"], needs["service-down"]) == ("declares", "open", "declared", "")
    assert (ROOT / "parameters" / "incidents" / "severity.yaml").is_file()


def test_a_report_for_a_time_window_without_an_incident(runs, tmp_path):
    res = opslib("report", "--since", "yesterday", "--out", str(tmp_path / "window"), runs=runs)
    assert res.returncode == 0 and "verified: every file in it matches its record" in res.stdout, res.stdout + res.stderr
    assert len(list((tmp_path / "window" / "runs").glob("*.html"))) == 3 and (tmp_path / "window.zip").is_file()
    assert opslib("report", runs=runs).returncode == 2
    page = next(runs.glob("[0-9]*/*/*/*.html"))
    page.write_text(page.read_text() + "<!-- edited -->")
    res = opslib("report", "--since", "7d", "--out", str(tmp_path / "tampered"), runs=runs)
    assert res.returncode == 1 and "differs from the SHA-256 its record holds" in res.stdout, res.stdout


XSS = ["<script>alert('summary')</script>", "<img src=x onerror=alert('impact')>", "<svg onload=alert('status')>",
       "<a href=javascript:alert('resolution')>fix</a>", "[click](javascript:alert('cause'))", "<iframe srcdoc=\"<script>alert('p')</script>\">"]


class _Executable(__import__("html.parser").parser.HTMLParser):
    """What a browser would run from a page: script bodies, on* handlers, javascript: links and frames."""

    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:") or name == "srcdoc":
                self.found.append(f"<{tag} {name}={value}>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.found.append(f"<script>{data[:80]}")


def test_what_responders_type_is_text_on_every_page_never_markup(healthy, tmp_path):
    """Issue 23: six payloads in an incident's summary, impact, status, root cause, resolution and a -p string ran in
    Chromium from the post-mortem's page and its report copy."""
    runs = tmp_path / "runs"

    def run(*args, code=0):
        res = opslib("run", *args, "--no-progress", runs=runs)
        assert res.returncode == code, res.stdout[-2000:] + res.stderr[-2000:]
        return res

    sandbox.control("scenario/service-down")
    declared = run("incident-declare", "-p", "service=EC2 Manager Production", "-p", "service_down=true", "-p", f"impact={XSS[1]}",
                   "-p", f"summary={XSS[0]}", "-p", "confirm=true")
    iid = re.findall(r"INC-\d{4}-\d{4}-\d{3}", declared.stdout)[0]
    run("daily-health-check", "--incident", iid, "-p", f"db_instance={XSS[5]}", code=1)
    run("incident-update", "--incident", iid, "-p", f"status={XSS[2]}", "-p", f"root_cause={XSS[4]}", "-p", "confirm=true")
    run("incident-update", "--incident", iid, "-p", "resolve=true", "-p", f"resolution={XSS[3]}", "-p", "confirm=true")
    run("postmortem", "--incident", iid)
    report = opslib("report", "--incident", iid, runs=runs)
    assert report.returncode == 0, report.stdout + report.stderr
    folder = Path(report.stdout.split("report: ", 1)[1].split()[0]).parent
    pages = [*runs.rglob("*.html"), *folder.rglob("*.html")]
    assert any("postmortem" in p.name for p in pages)
    for page in pages:
        parser = _Executable()
        parser.feed(page.read_text())
        assert not parser.found, (page, parser.found)
    text = (runs / "incidents" / iid / "postmortem.md").read_text()
    assert "&lt;script&gt;" in text or "&lt;img" in text  # shown as written, as text


def test_a_notice_carrying_slack_markup_from_a_responder_pages_nobody(healthy):
    """Issue 23: a reviewed update plan sent "<!channel> FALSE ALARM - stop paging" as Slack read it."""
    channel = notify.Channel("Slack webhook", "slack", sandbox.webhook_url("slack"))
    text = "Status: <!channel> FALSE ALARM - stop paging <https://evil.example|the runbook> @here <!here> @everyone"
    assert notify.send(None, channel, text, "s").sent
    (got,) = [json.loads(m["body"])["text"] for m in sandbox.inbox() if m["webhook"] == "slack"]
    assert "<!" not in got and "<https" not in got and "|the runbook>" not in got
    assert "&lt;!channel&gt; FALSE ALARM" in got and "@here" not in got and "@everyone" not in got


def test_a_reviewed_update_plan_sends_only_the_words_that_were_reviewed(healthy, tmp_path):
    """Issue 23: the plan id covered a notice's first line only; a reviewed update went out as "FALSE ALARM - stop paging"."""
    runs = tmp_path / "runs"
    inc = declare(runs)
    reviewed = ["-p", "status=Mitigation in progress", "-p", "root_cause=ECS service scaled to 0"]
    dry = opslib("run", "incident-update", "--incident", inc.id, *reviewed, "--no-progress", runs=runs)
    (pid,) = set(re.findall(r"confirm=(PLAN-[0-9a-f]{12})", dry.stdout))
    swapped = opslib("run", "incident-update", "--incident", inc.id, "-p", "status=Mitigation in progress", "-p", "root_cause=FALSE ALARM - stop paging",
                     "-p", f"confirm={pid}", "--no-progress", runs=runs)  # same status, same first line, same length: another notice
    assert swapped.returncode == 1 and f"{pid} is stale" in swapped.stdout, swapped.stdout
    assert not [m for m in sandbox.inbox() if m["webhook"] == "slack"]
    assert incidents.all_incidents(Evidence(runs))[inc.id].root_cause != "FALSE ALARM - stop paging"


def test_a_declare_whose_previewed_id_was_taken_records_the_id_it_got(tmp_path):
    """Issue 23: the plan and journal named the preview (...-011) while ...-014 was created."""
    from types import SimpleNamespace

    from opslib.actions.incident import DeclareIncident
    from opslib.journal import who

    runs = tmp_path / "runs"
    rb = SimpleNamespace(evidence=Evidence(runs), env_data={}, env="sandbox", aws=None,
                         record_session={**who(), "run_id": "r1", "env": "sandbox", "notebook": "incident/incident-declare", "incident": ""})
    action = DeclareIncident(rb, classify("EC2 Manager Production", True, False, 0, False), "EC2 Manager Production", "down", "s", "@me")
    changes = action.plan(action.capture(None))
    previewed = changes[0].after.split()[0]
    taken = declare(runs)  # another responder declares first and takes the previewed id
    action.apply(None, changes)
    assert taken.id == previewed and action.incident.id != previewed
    assert changes[0].after.split()[0] == action.incident.id  # what the applied record says is the id the record took


def test_each_services_incident_notices_go_to_its_own_topic(healthy, tmp_path):
    """Issue 25: RMS incident notices went to EC2 Manager's SNS topic; the environment file now names each service's channels."""
    declared = opslib("run", "incident-declare", "-p", "service=RMS Production", "-p", "users_affected_pct=20", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "SNS topic rms-notifications-production: sent" in declared.stdout and "ec2-manager-notifications-production" not in declared.stdout, declared.stdout
    relayed = [json.loads(m["body"]) for m in sandbox.inbox() if m["webhook"] == "slack-relay"]
    (notice,) = [m for m in relayed if m.get("Type") == "Notification" and "INCIDENT DECLARED" in m.get("Subject", "")]
    assert notice["TopicArn"].endswith(":rms-notifications-production")
