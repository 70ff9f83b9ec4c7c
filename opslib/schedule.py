"""Scheduled runs from cron: the schedule file (`parameters/schedule.yaml`), the crontab lines that fire it, one run
at a time per notebook and environment, and a page only when a run's status differs from the last one's.

A crontab line runs `opslib schedule fire ENTRY` with absolute paths (cron's environment is bare: PATH=/usr/bin:/bin,
HOME, nothing else). `fire` runs each notebook of the entry in each of its environments, each filed as any run is, its
ledger record `mode: scheduled` with the entry's name. Two firings of one notebook and environment never overlap: the
second is recorded as skipped, naming the holder (a run longer than its interval is a finding). What the last run said
is kept per notebook and environment in `.schedule/` beside the runs (so a run never reads the chains' history), and a
change of status is posted once to the entry's Slack webhook and/or SNS topic; a red run that stays red posts again only
after `remind_hours`. A page that failed is recorded, and retried by the next firing.
"""

import fcntl
import json
import os
import re
import shlex
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .errors import BadInput

BEGIN, END = "# >>> opslib schedule", "# <<< opslib schedule"
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
PINNED = ("OPSLIB_HOME", "OPSLIB_SANDBOX_DIR", "OPSLIB_STATE_DIR", "OPSLIB_SANDBOX_PACE")  # settings (never secrets) a line carries into cron


@dataclass
class Entry:
    name: str
    notebooks: list[str]
    envs: list[str]
    cron: str
    fail_on: str = "critical"
    slack_webhook: str = ""
    sns_topic_arn: str = ""
    remind_hours: float = 24.0
    line: int = 0

    def targets(self) -> list[tuple[str, str]]:
        return [(nb, env) for nb in self.notebooks for env in self.envs]

    def next_times(self, n: int = 3, after: datetime | None = None) -> list[datetime]:
        from croniter import croniter

        it = croniter(self.cron, after or datetime.now(timezone.utc))
        return [it.get_next(datetime) for _ in range(n)]


def default_file() -> Path:
    from .paths import parameters_dir

    return parameters_dir() / "schedule.yaml"


def load(path: Path | None = None) -> list[Entry]:
    """The schedule file's entries, each checked: a name, known notebooks (or an area), known environments, a valid cron
    expression, `fail_on` warn or critical; bad input names the file's line and the fix."""
    import yaml
    from croniter import croniter

    from . import catalog, environment

    path = Path(path or default_file())
    try:
        text = path.read_text()
    except OSError:
        raise BadInput(f"no schedule file at {path}", "write parameters/schedule.yaml (README: Scheduled runs)") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise BadInput(f"{path.name} is not YAML ({str(exc).splitlines()[0]})", "fix the file") from None
    items = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise BadInput(f"{path.name} has no list of entries", "write `entries:` and a list of entries under it (README: Scheduled runs)")
    nodes = next((v.value for k, v in root.value if k.value == "entries"), []) if root is not None else []
    known = {nb.name: nb for nb in catalog.all_notebooks()}
    envs = set(environment.names())
    out, seen = [], set()
    for i, item in enumerate(items):
        line = nodes[i].start_mark.line + 1 if i < len(nodes) else 0
        where = f"{path.name} line {line}"
        if not isinstance(item, dict):
            raise BadInput(f"{where}: an entry is a mapping", "give name, notebooks (or area), env, cron")
        name = str(item.get("name", ""))
        if not NAME.fullmatch(name) or name in seen:
            raise BadInput(f"{where}: name {name!r} is {'taken' if name in seen else 'not a name'}", "give each entry its own lower-case name (letters, digits, -)")
        seen.add(name)
        notebooks = item.get("notebooks") or []
        if isinstance(notebooks, str):
            notebooks = [notebooks]
        if item.get("area"):
            notebooks += [nb.name for nb in known.values() if nb.area == item["area"]]
            if not any(nb.area == item["area"] for nb in known.values()):
                raise BadInput(f"{where}: no area {item['area']!r}", f"use one of {', '.join(sorted({nb.area for nb in known.values()}))}")
        unknown = [nb for nb in notebooks if nb not in known]
        if unknown or not notebooks:
            raise BadInput(f"{where}: {'unknown notebook ' + ', '.join(map(str, unknown)) if unknown else 'no notebook'}", "name notebooks `opslib list` shows, or an area")
        targets = item.get("env") or []
        targets = [targets] if isinstance(targets, str) else targets
        bad = [e for e in targets if e not in envs]
        if bad or not targets:
            raise BadInput(f"{where}: {'unknown environment ' + ', '.join(map(str, bad)) if bad else 'no environment'}", f"use {', '.join(sorted(envs))}")
        cron = str(item.get("cron", ""))
        if not croniter.is_valid(cron) or len(cron.split()) != 5:
            raise BadInput(f"{where}: cron {cron!r} is not a cron expression", "give five fields: minute hour day-of-month month day-of-week, e.g. \"0 7 * * *\"")
        fail_on = str(item.get("fail_on", "critical"))
        if fail_on not in ("warn", "critical"):
            raise BadInput(f"{where}: fail_on {fail_on!r}", "give warn or critical")
        tell = item.get("notify") or {}
        if not isinstance(tell, dict):
            raise BadInput(f"{where}: notify is not a mapping", "give notify: {slack_webhook: ..., sns_topic_arn: ...}")
        try:
            remind = float(item.get("remind_hours", 24))
        except (TypeError, ValueError):
            raise BadInput(f"{where}: remind_hours {item.get('remind_hours')!r}", "give hours, e.g. 24") from None
        out.append(Entry(name, list(dict.fromkeys(notebooks)), targets, cron, fail_on, str(tell.get("slack_webhook") or ""), str(tell.get("sns_topic_arn") or ""),
                         remind, line))
    return out


def opslib_command() -> str:
    """This install's `opslib`, by absolute path: cron's PATH does not hold the virtual environment."""
    here = Path(sys.executable).parent / "opslib"
    return str(here if here.exists() else Path(sys.argv[0]).resolve())


def _q(text: str) -> str:
    return shlex.quote(str(text)).replace("%", "\\%")  # cron reads % as a newline


def crontab_block(entries: list[Entry], schedule_file: Path, runs: Path, log: Path) -> list[str]:
    """The lines `install` writes: one per entry, between markers naming this project, so `remove` takes out these and no other."""
    from .paths import project_root

    root = project_root()
    pinned = "".join(f"{k}={_q(os.environ[k])} " for k in PINNED if os.environ.get(k))  # where this shell's runs go: cron has none of it
    lines = [f"{BEGIN} {root}", f"# from {schedule_file}: `opslib schedule remove` takes these lines out"]
    for e in entries:
        lines.append(f"{e.cron} cd {_q(root)} && {pinned}{_q(opslib_command())} schedule fire {e.name} --file {_q(schedule_file)} --runs-dir {_q(runs)} "
                     f">> {_q(log)} 2>&1")
    return lines + [f"{END} {root}"]


def _crontab() -> str:
    import subprocess

    got = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    if got.returncode and "no crontab" not in got.stderr.lower():
        raise BadInput(f"crontab -l failed: {got.stderr.strip()[:120]}", "is cron installed (Debian: apt-get install cron)?")
    return got.stdout if got.returncode == 0 else ""


def _write_crontab(text: str) -> None:
    import subprocess

    done = subprocess.run(["crontab", "-"], input=text, capture_output=True, text=True)
    if done.returncode:
        raise BadInput(f"crontab refused the lines: {done.stderr.strip()[:160]}", "check the schedule file's cron expressions")


def _without_ours(text: str) -> list[str]:
    from .paths import project_root

    root, out, inside = str(project_root()), [], False
    for line in text.splitlines():
        if line == f"{BEGIN} {root}":
            inside = True
        elif line == f"{END} {root}":
            inside = False
        elif not inside:
            out.append(line)
    return out


def install(entries: list[Entry], schedule_file: Path, runs: Path, log: Path) -> list[str]:
    """The user's crontab with this project's lines replaced by the schedule's: what was written."""
    block = crontab_block(entries, schedule_file, runs, log)
    for folder in {runs, log.parent}:  # the shell's `>> LOG` needs its folder before opslib runs
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_crontab("\n".join(_without_ours(_crontab()) + block) + "\n")
    return block


def remove() -> int:
    """This project's lines out of the user's crontab (nothing else): how many lines went."""
    text = _crontab()
    kept = _without_ours(text)
    gone = len(text.splitlines()) - len(kept)
    if gone:
        _write_crontab("\n".join(kept) + ("\n" if kept else ""))
    return gone


# One firing at a time per notebook and environment --------------------------------------------------------------

def _state_dir(runs: Path) -> Path:
    folder = runs / ".schedule"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def hold(runs: Path, notebook: str, env: str):
    """The lock of (notebook, env), or None and who holds it: a file locked by the process that runs it (flock: released
    if that process dies), holding who it is."""
    path = _state_dir(runs) / f"{notebook}__{env}.lock"
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "another run"
        fh.close()
        return None, holder
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()} since {datetime.now(timezone.utc).isoformat(timespec='seconds')}")
    fh.flush()
    return fh, ""


def _last(runs: Path, notebook: str, env: str) -> dict:
    try:
        return json.loads((_state_dir(runs) / f"{notebook}__{env}.json").read_text())
    except (OSError, ValueError):
        return {}


def _keep(runs: Path, notebook: str, env: str, state: dict) -> None:
    path = _state_dir(runs) / f"{notebook}__{env}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(path)


# A page when the status changes --------------------------------------------------------------------------------

def page_text(entry: Entry, notebook: str, env: str, before: str, outcome) -> str:
    """What changed, the rows not OK, the command to run next, and where the evidence is."""
    rows = [c for c in outcome.report if c.status != "OK" and c.phase != "before"][:10]
    said = str(outcome.record.get("next") or "").strip()
    lines = [f"opslib {entry.name}: {notebook} on {env} is {outcome.status.upper()} (was {before.upper()})."]
    lines += [f"{c.status} {c.id} {c.resource}: {c.sentence}"[:400] for c in rows]
    if said:
        lines.append(f"Next: {said}")
    elif outcome.status != "passed":
        from .advice import command

        lines.append(f"Next: {command(notebook, env=env)}")
    lines.append(f"Evidence: {outcome.output} (run {outcome.record.get('run_id')})")
    return "\n".join(lines)


def deliver(entry: Entry, env: str, text: str) -> list:
    """The page to the entry's channels (webhook URL from the environment when written `env:NAME`)."""
    from .aws import Aws, AwsSettings
    from .environment import load as load_env
    from .secrets import register
    from .services import notify

    from .params import expand

    hook = entry.slack_webhook
    hook = os.environ.get(hook[4:], "") if hook.startswith("env:") else expand(hook)  # ${VAR} as in environment files (the run's own variables are set)
    register(hook)
    channels = notify.channels(hook, entry.sns_topic_arn)
    if not channels:
        return []
    aws = Aws(AwsSettings.from_env_file(load_env(env), user_agent="opslib/schedule"))
    return [notify.send(aws, c, text, f"opslib {entry.name}: {text.splitlines()[0][:80]}") for c in channels]


def after_run(entry: Entry, notebook: str, env: str, runs: Path, outcome, evidence, target: str = "") -> list[str]:
    """Page when the status changed (or a red one is due a reminder, or an earlier page failed); say what was done. Each
    target of an environment is its own history."""
    now = datetime.now(timezone.utc)
    where = f"{env}__{target.replace('/', '_')}" if target else env
    last = _last(runs, notebook, where)
    before = last.get("status") or "passed"
    said = []
    pending = last.get("pending")
    if pending:  # the last page was not delivered: now it is, or it waits again
        sent = deliver(entry, env, pending)
        ok = bool(sent) and all(d.sent for d in sent)
        evidence.journal.append({"kind": "schedule", "event": "page-retried", "at": now.isoformat(timespec="seconds"), "entry": entry.name, "notebook": notebook,
                                 "env": env, "delivered": [vars(d) for d in sent]})
        said.append("the page that failed last time: " + ("delivered" if ok else "failed again"))
        pending = None if ok else pending
    changed = outcome.status != before
    paged_at = datetime.fromisoformat(last["paged_at"]) if last.get("paged_at") else None
    remind = outcome.status != "passed" and not changed and (paged_at is None or now - paged_at >= timedelta(hours=entry.remind_hours))
    paged = last.get("paged_at")
    if changed or remind:
        text = page_text(entry, notebook, f"{env} {target}" if target else env, before, outcome) + ("\n(a reminder: it has not changed)" if remind else "")
        sent = deliver(entry, env, text)
        ok = bool(sent) and all(d.sent for d in sent)
        evidence.journal.append({"kind": "schedule", "event": "paged" if ok else "page-failed", "at": now.isoformat(timespec="seconds"), "entry": entry.name,
                                 "notebook": notebook, "env": env, "from": before, "to": outcome.status,
                                 "of_run": outcome.record.get("run_id"), "delivered": [vars(d) for d in sent]})
        if sent:
            said.append(("paged" if ok else "page FAILED (retried next time)") + f": {before} -> {outcome.status} (" + ", ".join(
                f"{d.channel}: {'sent' if d.sent else d.reason}" for d in sent) + ")")
        paged = now.isoformat(timespec="seconds") if ok else paged
        pending = None if ok or not sent else text
    _keep(runs, notebook, where, {"status": outcome.status, "run_id": outcome.record.get("run_id"), "at": now.isoformat(timespec="seconds"),
                                "paged_at": paged, "pending": pending})
    return said


def airflow_dag(entries: list[Entry], schedule_file: Path, runs: Path) -> str:
    """A DAG file of the schedule for Apache Airflow (one DAG per entry, one task per notebook and environment), every value
    written as a Python literal (repr), never pasted in as text."""
    from importlib.resources import files

    text = (files("opslib") / "templates" / "airflow" / "dag.py.txt").read_text()
    values = {"__OPSLIB__": opslib_command(), "__SCHEDULE__": str(schedule_file), "__RUNS__": str(runs),
              "__PINNED__": {k: os.environ[k] for k in PINNED if os.environ.get(k)},
              "__ENTRIES__": [(e.name, e.cron, e.targets()) for e in entries]}
    for key, value in values.items():
        text = text.replace(key, repr(value))
    return text


def only(entry: Entry, target: str) -> Entry:
    """The entry narrowed to one `NOTEBOOK@ENV` of its own (an Airflow task's)."""
    notebook, _, env = target.partition("@")
    if (notebook, env) not in entry.targets():
        raise BadInput(f"{target} is not a target of {entry.name}", f"use one of {', '.join(f'{n}@{e}' for n, e in entry.targets())}")
    return Entry(entry.name, [notebook], [env], entry.cron, entry.fail_on, entry.slack_webhook, entry.sns_topic_arn, entry.remind_hours, entry.line)


class _environment:
    """`variables` set in this process while open (None: unset), as they were afterwards."""

    def __init__(self, variables: dict):
        self.variables, self.saved = variables, {}

    def __enter__(self):
        from .runner import _set_env

        self.saved = {k: os.environ.get(k) for k in self.variables}
        _set_env(self.variables)

    def __exit__(self, *exc):
        from .runner import _set_env

        _set_env(self.saved)


def fire(entry: Entry, runs: Path, cell_timeout: int = 600) -> int:
    """Each notebook of the entry in each environment, one after another, each under its lock: filed as `mode: scheduled`,
    its console lines and any page said; skipped (exit 1) when a firing before it still runs. The worst exit code."""
    from . import runner
    from .cli import _report
    from .ledger import Evidence
    from .signals import Signals

    os.environ["OPSLIB_SCHEDULE_ENTRY"] = entry.name  # the runner puts it in the ledger record (mode: scheduled)
    evidence, codes = Evidence(runs), []
    for notebook, env in entry.targets():
        lock, holder = hold(runs, notebook, env)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if lock is None:
            evidence.journal.append({"kind": "schedule", "event": "skipped", "at": now, "entry": entry.name, "notebook": notebook, "env": env, "holder": holder})
            print(f"SKIPPED  {notebook} on {env}: the firing before still runs ({holder}); a run longer than the schedule's interval "
                  f"({entry.cron}) is a finding: `opslib history --notebook {notebook}` shows how long they take")
            codes.append(runner.EXIT_CHECK)
            continue
        try:
            for plan in runner.prepare_many([notebook], "", env, [], "", runs):  # one, or one per target the environment names
                print(f"== {entry.name}: {notebook} on {env}{' ' + plan.target if plan.target else ''} ({now}) ==")
                with Signals() as signals:
                    outcome = runner.execute(plan, entry.fail_on, cell_timeout, progress=False, signals=signals)
                    signals.then_ignore = True
                codes.append(_report(outcome, runs))
                with _environment(plan.kernel_env):  # the run's own AWS credentials and endpoint (the sandbox's, for env sandbox)
                    for line in after_run(entry, notebook, env, runs, outcome, evidence, plan.target):
                        print(f"page:     {line}")
        except BadInput as exc:
            print(f"opslib: {exc}", file=sys.stderr)
            codes.append(2)
        finally:
            lock.close()
        sys.stdout.flush()
    return max(codes) if codes else 0
