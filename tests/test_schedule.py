"""Issue 27: scheduled runs from cron. The schedule file, the crontab lines `install` writes (run here exactly as cron runs
them: `env -i` with cron's PATH and HOME, and once by a real cron daemon), one firing at a time per notebook and
environment, and a page only when the status changes."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import eventually, ledger, opslib
import opslib_sandbox as sandbox

ENTRY = """entries:
  - name: locks
    notebooks: [terraform-state-lock]
    env: sandbox
    cron: "{cron}"
    fail_on: critical
    remind_hours: 24
    notify: {{slack_webhook: "${{OPSLIB_SANDBOX_URL}}/_sandbox/webhooks/slack"}}
"""


def schedule_file(tmp_path: Path, cron: str = "*/5 * * * *", text: str = "") -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text(text or ENTRY.format(cron=cron))
    return path


@pytest.fixture
def crontab():
    """Root's crontab as it was, put back afterwards (these tests write the real one, as `install` does), one test at a
    time across the suite's workers: there is one crontab."""
    import fcntl

    with open("/tmp/opslib-tests-crontab.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        before = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
        yield
        if before.returncode == 0:
            subprocess.run(["crontab", "-"], input=before.stdout, text=True, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True)


def test_list_shows_each_entry_with_its_next_three_runs(tmp_path):
    res = opslib("schedule", "list", "--file", str(schedule_file(tmp_path)), runs=tmp_path)
    assert res.returncode == 0, res.stderr
    line = res.stdout.strip()
    assert line.startswith("locks") and "*/5 * * * *" in line and "terraform-state-lock on sandbox; fail on critical" in line
    times = line.split("next (UTC): ")[1].split(", ")
    assert len(times) == 3 and all(t[-2:] in ("00", "05", "10", "15", "20", "25", "30", "35", "40", "45", "50", "55") for t in times), times


@pytest.mark.parametrize("bad, said", [
    ('    cron: "61 * * * *"', "schedule.yaml line 2: cron '61 * * * *' is not a cron expression: give five fields"),
    ("    notebooks: [terraform-state-lok]", "schedule.yaml line 2: unknown notebook terraform-state-lok: name notebooks `opslib list` shows"),
    ("    env: moon", "schedule.yaml line 2: unknown environment moon: use "),
])
def test_a_bad_schedule_file_is_exit_2_naming_the_line_and_nothing_is_installed(tmp_path, crontab, bad, said):
    key = bad.split(":")[0]
    text = "\n".join(bad if line.startswith(key + ":") else line for line in ENTRY.format(cron="0 7 * * *").splitlines())
    subprocess.run(["crontab", "-"], input="# someone's own line\n", text=True, check=True)
    res = opslib("schedule", "install", "--file", str(schedule_file(tmp_path, text=text)), runs=tmp_path)
    assert res.returncode == 2 and said in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout == "# someone's own line\n"


def test_the_installed_line_runs_in_crons_bare_environment_and_remove_takes_out_only_its_own(healthy, tmp_path, crontab):
    subprocess.run(["crontab", "-"], input="# someone's own line\n17 3 * * * /usr/bin/true\n", text=True, check=True)
    runs = tmp_path / "runs"
    res = opslib("schedule", "install", "--file", str(schedule_file(tmp_path)), "--runs-dir", str(runs))
    assert res.returncode == 0, res.stderr
    table = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    (line,) = [t for t in table.splitlines() if "schedule fire locks" in t]
    assert table.startswith("# someone's own line\n17 3 * * * /usr/bin/true\n") and line.startswith("*/5 * * * * cd ")
    command = line.split(" ", 5)[5]
    ran = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", f"HOME={os.environ.get('HOME', '/root')}", "SHELL=/bin/sh", "/bin/sh", "-c", command],
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, (ran.stdout, ran.stderr, (runs / "schedule.log").read_text() if (runs / "schedule.log").exists() else "")
    (record,) = ledger(runs)
    assert (record["mode"], record["schedule_entry"], record["status"]) == ("scheduled", "locks", "passed")
    assert "== locks: terraform-state-lock on sandbox" in (runs / "schedule.log").read_text()
    gone = opslib("schedule", "remove")
    assert gone.returncode == 0 and subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout == "# someone's own line\n17 3 * * * /usr/bin/true\n"


def test_a_firing_while_the_one_before_still_runs_is_skipped_naming_the_holder(healthy, tmp_path):
    from opslib import schedule

    runs = tmp_path / "runs"
    held, _ = schedule.hold(runs, "terraform-state-lock", "sandbox")
    try:
        res = opslib("schedule", "fire", "locks", "--file", str(schedule_file(tmp_path)), "--runs-dir", str(runs))
    finally:
        held.close()
    assert res.returncode == 1 and f"SKIPPED  terraform-state-lock on sandbox: the firing before still runs (pid {os.getpid()} since " in res.stdout, res.stdout
    journal = [json.loads(r) for r in (runs / "journal.jsonl").read_text().splitlines()]
    assert [(r["event"], r["holder"].split(" since")[0]) for r in journal if r.get("kind") == "schedule"] == [("skipped", f"pid {os.getpid()}")]
    assert not (runs / "ledger.jsonl").exists() or ledger(runs) == []


def test_a_page_goes_once_when_the_status_changes_and_once_when_it_recovers_and_a_failed_one_is_retried(healthy, tmp_path):
    runs, path = tmp_path / "runs", schedule_file(tmp_path)

    def fire():
        return opslib("schedule", "fire", "locks", "--file", str(path), "--runs-dir", str(runs))

    def pages():
        return [m for m in sandbox.inbox() if "opslib locks:" in json.dumps(m)]

    assert fire().returncode == 0 and pages() == []  # green, and nothing before it: nobody is paged
    sandbox.control("scenario/stale-terraform-lock")
    red = fire()
    assert red.returncode == 1 and "page:     paged: passed -> critical (Slack webhook: sent)" in red.stdout, red.stdout
    (page,) = pages()
    text = json.dumps(page)
    assert "terraform-state-lock on sandbox is CRITICAL (was PASSED)" in text and "CRITICAL terraform_state_lock" in text
    assert "Next: " in text and "Evidence: " in text and "jenkins@ci-runner-7" in text
    assert fire().returncode == 1 and len(pages()) == 1  # still red: no page again until the reminder is due

    sandbox.control("scenario/slack-down")  # its reset takes the lock away (green again), and the webhook answers 5xx
    down = fire()
    assert down.returncode == 0 and "page FAILED (retried next time): critical -> passed (Slack webhook: " in down.stdout, down.stdout
    sandbox.control("reset")  # the webhook answers again (and the inbox starts empty)
    again = fire()
    assert again.returncode == 0 and "the page that failed last time: delivered" in again.stdout, again.stdout
    (recovered,) = pages()
    assert "terraform-state-lock on sandbox is PASSED (was CRITICAL)" in json.dumps(recovered)
    events = [r["event"] for r in map(json.loads, (runs / "journal.jsonl").read_text().splitlines()) if r.get("kind") == "schedule"]
    assert events == ["paged", "page-failed", "page-retried"]


def test_the_projects_own_schedule_file_reads(tmp_path):
    """parameters/schedule.yaml, as shipped, is a schedule `install` would accept (and not an environment)."""
    from opslib import environment, schedule

    entries = schedule.load()
    assert {e.name for e in entries} >= {"morning-check", "weekly-maintenance"} and "schedule" not in environment.names()
    weekly = next(e for e in entries if e.name == "weekly-maintenance")
    assert "restore-drill" in weekly.notebooks and all(t.weekday() == 0 and t.hour == 6 for t in weekly.next_times())


def test_a_real_cron_daemon_fires_an_entry_at_the_next_minute(healthy, tmp_path, crontab):
    """Debian's cron (installed by .ci/run) running the installed line: a run filed as scheduled within the minute after."""
    import signal

    runs = tmp_path / "runs"
    assert opslib("schedule", "install", "--file", str(schedule_file(tmp_path, cron="* * * * *")), "--runs-dir", str(runs)).returncode == 0
    running = subprocess.run(["pgrep", "-x", "cron"], capture_output=True).returncode == 0
    daemon = None if running else subprocess.Popen(["/usr/sbin/cron", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        seen = eventually(lambda: ledger(runs) if (runs / "ledger.jsonl").exists() else [], lambda r: len(r) >= 1, timeout=150, every=2)
    finally:
        if daemon is not None:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=10)
        opslib("schedule", "remove")
    assert seen[-1] and seen[-1][0]["mode"] == "scheduled" and seen[-1][0]["schedule_entry"] == "locks", (runs / "schedule.log").read_text()


def test_a_page_goes_to_the_entrys_sns_topic_too(healthy, tmp_path):
    """notify: {sns_topic_arn: ...}: the page is published to the topic (seed 001's, whose subscriber relays to Slack)."""
    runs = tmp_path / "runs"
    text = ENTRY.format(cron="5 * * * *").replace('slack_webhook: "${OPSLIB_SANDBOX_URL}/_sandbox/webhooks/slack"',
                                                  "sns_topic_arn: arn:aws:sns:us-west-2:123456789012:ec2-manager-notifications-production")
    sandbox.control("scenario/stale-terraform-lock")
    red = opslib("schedule", "fire", "locks", "--file", str(schedule_file(tmp_path, text=text)), "--runs-dir", str(runs))
    assert red.returncode == 1 and "paged: passed -> critical (SNS topic ec2-manager-notifications-production: sent)" in red.stdout, red.stdout
    assert any("terraform-state-lock on sandbox is CRITICAL (was PASSED)" in json.dumps(m) for m in sandbox.inbox())
