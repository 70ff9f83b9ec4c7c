"""The `opslib` command. Imports stay inside each subcommand: start-up time is paid per run."""

import argparse
import os
import re
import shlex
import sys


def main(argv=None) -> int:
    """`argv` None: the process's own command line, which a warm process may run (opslib.warm)."""
    if argv is None and sys.argv[1:2] == ["run"]:
        from .warm import hand_over

        code = hand_over(sys.argv[1:])
        if code is not None:
            return code
    from . import keep_out_iri_grammar

    keep_out_iri_grammar()  # for every command, whatever it goes on to import (opslib report renders HTML through nbconvert)
    parser = argparse.ArgumentParser(prog="opslib", description="Executable runbook notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="every notebook: area, purpose, whether it can change infrastructure")

    p = sub.add_parser("show", help="a notebook's parameters and the environments it can run in")
    p.add_argument("notebook")

    p = sub.add_parser("run", help="execute notebooks headless and file the evidence of each")
    p.add_argument("notebooks", nargs="*", metavar="notebook", help="one or more (each a run of its own)")
    p.add_argument("--area", default="", help="every notebook of an area too (e.g. health)")
    p.add_argument("--jobs", type=int, default=6, help="runs of a batch at once (default 6; their kernels share one pre-imported image)")
    p.add_argument("--env", default="sandbox", help="parameters/<env>.yaml (default: sandbox)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    p.add_argument("--incident", default="", help="incident id to tag the run with (e.g. INC-2026-1122-001)")
    p.add_argument("--target", default="", metavar="ACCOUNT/REGION", help="one of the environment's targets (default: every one it names)")
    p.add_argument("--fail-on", choices=("warn", "critical"), default="critical", help="lowest check status that exits 1")
    p.add_argument("--runs-dir", default=None, help="where evidence goes (default: $OPSLIB_RUNS_DIR or ./runs)")
    p.add_argument("--cell-timeout", type=int, default=600, help="seconds any one cell may run (default 600)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("history", help="runs from the ledger")
    p.add_argument("--notebook")
    p.add_argument("--env", help="only this environment's runs; every machine's when its file names an evidence store")
    p.add_argument("--incident")
    p.add_argument("--status", help="passed, warn, critical, error, failed, interrupted or killed (any case)")
    p.add_argument("--since", help="YYYY-MM-DD, today, yesterday, or an age such as 7d or 12h")
    p.add_argument("--run", help="one run's journal: every check and action step, with its time")
    p.add_argument("--runs-dir", default=None)

    p = sub.add_parser("verify", help="check the chains, every filed output, and the witnesses' heads")
    p.add_argument("--runs-dir", default=None)
    p.add_argument("--env", action="append", default=[], help="consult this environment's witness (default: every environment that names one)")
    p.add_argument("--since-last", action="store_true", help="only what was added since the last clean verify (its checkpoint); a full verify checks everything")
    p.add_argument("--report", default=None, metavar="DIR", help="a report folder (opslib report): each file in it against the runs directory's records")

    p = sub.add_parser("incidents", help="incidents declared in this runs directory: severity, status, duration")
    p.add_argument("--runs-dir", default=None)

    p = sub.add_parser("approve", help="approve a plan a colleague reviewed (when the environment asks for a second person's approval)")
    p.add_argument("plan_id", help="the plan's id, as its dry run printed it (PLAN-...)")
    p.add_argument("--env", default="sandbox", help="the environment the plan was made in (default: sandbox)")

    p = sub.add_parser("undo", help="put back what a run's guarded actions changed (a dry run unless --confirm)")
    p.add_argument("run_id", help="the run whose changes to undo (`opslib history` lists runs)")
    p.add_argument("--confirm", default="", help="PLAN-... (the plan the dry run printed; several joined by commas), or true outside production")
    p.add_argument("--env", default="", help="the environment (default: the run's)")
    p.add_argument("--incident", default="", help="the incident this undo belongs to (default: the run's)")
    p.add_argument("--runs-dir", default=None)

    p = sub.add_parser("report", help="a folder and zip for a reviewer: an incident's runs, timeline, post-mortem and verify result")
    p.add_argument("--incident", default="", help="the incident (INC-YYYY-MMDD-NNN)")
    p.add_argument("--since", help="without --incident: runs from (YYYY-MM-DD, today, yesterday, 7d, 12h)")
    p.add_argument("--until", help="without --incident: runs before (same forms)")
    p.add_argument("--out", default=None, help="folder to write (default: <runs dir>/reports/<incident or window>)")
    p.add_argument("--env", default="", help="an environment whose file names an evidence store: every machine's runs, from the store")
    p.add_argument("--runs-dir", default=None)

    p = sub.add_parser("schedule", help="scheduled runs from cron: list the schedule file, install or remove its crontab lines, fire an entry")
    p.add_argument("action", choices=("list", "install", "remove", "fire", "airflow"))
    p.add_argument("entry", nargs="?", default="", help="fire: the entry's name")
    p.add_argument("--file", default=None, help="the schedule file (default: parameters/schedule.yaml)")
    p.add_argument("--runs-dir", default=None, help="where evidence goes (default: $OPSLIB_RUNS_DIR or ./runs)")
    p.add_argument("--log", default=None, help="install: where cron's output goes (default: <runs>/schedule.log)")
    p.add_argument("--only", default="", metavar="NOTEBOOK@ENV", help="fire: one target of the entry (an Airflow task's)")
    p.add_argument("--out", default=None, help="airflow: the DAG file to write (default: airflow/dags/opslib_schedule.py)")

    p = sub.add_parser("sandbox", help="the local AWS the sandbox environment runs against")
    p.add_argument("action", choices=("up", "down", "status", "reset", "env", "scenarios", "scenario", "snapshot", "inbox", "elapse"))
    p.add_argument("name", nargs="?", help="scenario name (for `scenario`); output file (for `snapshot`, default: stdout); webhook (for `inbox`, default: all); "
                   "minutes (for `elapse`: the world as it stands has stood that long, its traffic and metrics follow)")

    args = parser.parse_args(argv)
    from .errors import OpsError
    from .secrets import scrub

    try:
        return COMMANDS[args.command](args)
    except OpsError as exc:
        print(f"opslib: {scrub(str(exc))[0]}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # before a run started (input checks); a started run files itself
        print("opslib: interrupted before anything was started; nothing was filed", file=sys.stderr)
        return 130


def _runs(args):
    """The runs directory the user chose, refused when it names nothing usable."""
    from .errors import BadInput
    from .paths import runs_dir

    if args.runs_dir is not None and not args.runs_dir.strip():
        raise BadInput("--runs-dir is empty", "pass a folder, e.g. --runs-dir runs (or leave it out for $OPSLIB_RUNS_DIR, else the project's runs/)")
    given = args.runs_dir or os.environ.get("OPSLIB_RUNS_DIR") or ""
    try:
        root = runs_dir(args.runs_dir)
        os.stat(root)
    except (FileNotFoundError, NotADirectoryError):  # not there yet, or under a file: `run` says which
        return root
    except (OSError, RuntimeError) as exc:  # a link that leads to itself, a name longer than the system takes
        reason = getattr(exc, "strerror", None) or str(exc).split(" from ")[0]
        raise BadInput(f"runs directory {given[:80]!r} cannot be used ({reason})", "pass --runs-dir a folder") from None
    if not root.is_dir():
        raise BadInput(f"runs directory {root} is a file", "pass --runs-dir a folder (or remove the file)")
    return root


def _recover(root, command: str) -> None:
    """File runs whose runner was killed before it could; say so on stderr."""
    from . import inflight

    if (root / ".inflight").is_dir():
        for line in inflight.recover(root, command):
            print(f"opslib: {line}", file=sys.stderr)


def cmd_list(args) -> int:
    from .catalog import all_notebooks

    rows = [(f"{nb.area}/{nb.name}", "can change infra" if nb.mutating else "read-only", nb.purpose) for nb in all_notebooks()]
    _table(("notebook", "impact", "purpose"), rows)
    return 0


def cmd_show(args) -> int:
    from . import catalog, params

    nb = catalog.find(args.notebook)
    print(f"{nb.area}/{nb.name}: {nb.purpose}")
    for key in ("when to use", "expected time", "impact", "replaces"):
        if key in nb.fields:
            print(f"  {key}: {nb.fields[key]}")
    specs = nb.spec()
    rows = [(p.name, p.type, "(required)" if p.required else repr(p.default), params._range(p) if p.low is not None or p.high is not None else " | ".join(p.choices), p.help)
            for p in specs.values()]
    print()
    _table(("parameter", "type", "default", "range", "help"), rows)
    from . import environment
    from .errors import OpsError

    usable = []
    for env in environment.names():
        try:
            params.resolve(specs, nb.name, env, environment.load(env), {})
            usable.append(env)
        except OpsError:
            pass
    print(f"\nenvironments: {', '.join(usable) or 'none'}")
    acts = nb.actions()
    if acts:
        from .actions import TABLE_PERMISSIONS

        print("\nchanges it can make (guarded: a dry run unless confirmed), and the IAM actions each needs:")
        _table(("action", "IAM actions"), [(cls.verb, ", ".join(cls.permissions)) for cls in acts])
        print(f"and, for the environment's actions table (locks, approvals): {', '.join(TABLE_PERMISSIONS)}")
    return 0


def cmd_run(args) -> int:
    from . import runner
    from .errors import BadInput
    from .signals import Signals, describe

    root = _runs(args)
    if args.jobs < 1:
        raise BadInput(f"--jobs {args.jobs}", "give at least 1")
    if args.cell_timeout < 1:
        raise BadInput(f"--cell-timeout {args.cell_timeout}", "give the seconds one cell may run, at least 1 (default 600)")
    plans = runner.prepare_many(args.notebooks, args.area, args.env, args.param, args.incident, root, target=args.target)
    for note in plans[0].notes:
        print(f"opslib: {note}", file=sys.stderr)
    with Signals() as signals:  # from here every signal is noted; the run stops, files, and says so
        _recover(root, "run")
        if len(plans) == 1:
            outcome = runner.execute(plans[0], args.fail_on, args.cell_timeout, progress=not args.no_progress, signals=signals)
            signals.then_ignore = True
            return _report(outcome, root, given=args.runs_dir)
        codes, after = [], {}

        by_target: dict = {}

        def report(plan, outcome):
            print(f"== {plan.notebook.area}/{plan.notebook.name}" + (f" on {plan.target}" if plan.target else "") + " ==")
            if plan.target:
                by_target.setdefault(plan.notebook.name, []).append((plan.target, outcome))
            if outcome is None:
                print(f"opslib: {plan.notebook.name} was not started: stopped by {describe(signals.received)}", file=sys.stderr)
                codes.append(runner.EXIT_NOTEBOOK)
            else:
                nexts: list = []
                codes.append(_report(outcome, root, nexts=nexts, given=args.runs_dir))
                after.update(dict.fromkeys(c for c in nexts if c.split()[2] not in {p.notebook.name for p in plans}))
            sys.stdout.flush()

        runner.run_many(plans, args.fail_on, args.cell_timeout, signals, args.jobs, report)
        signals.then_ignore = True
        worst = max(codes)
        for name, results in by_target.items():  # every account and region: one table, one page
            from . import targets

            text, page = targets.summary(name, args.env, results, root)
            print(f"== {name} on every target of {args.env} ==\n{text}\nsummary:  {page}")
        print(f"{len(plans)} runs: " + ", ".join(f"{codes.count(c)} exited {c}" for c in sorted(set(codes))) + f"; exit {worst} (the worst)")
        for command in after:
            print(_keep_runs_dir(f"next:     {command}", args.runs_dir))
        return worst


def _apply_command(record: dict, plan_ids: str) -> str:
    """The run again with the plan ids: a plan id means nothing without the parameters that made it."""
    from .advice import rerun

    return rerun(record, confirm=plan_ids)  # on its target: that target's plan, not every target's


def _next(outcome) -> list[str]:
    """The commands a red run sends the responder to (opslib.advice.FOLLOW_UP)."""
    from .advice import follow_ups

    record = outcome.record
    return follow_ups(outcome.report, str(record.get("notebook", "")), str(record.get("incident") or ""), str(record.get("env") or "sandbox"))


_TAKES_RUNS_DIR = re.compile(r"\bopslib (?:run|undo|history|verify|incidents|report)(?= |$)", re.M)


def _keep_runs_dir(text: str, given: str | None) -> str:
    """Commands printed to paste keep the --runs-dir this one was given: what they file or read belongs with this run."""
    if not given:
        return text
    return _TAKES_RUNS_DIR.sub(lambda m: f"{m[0]} --runs-dir {shlex.quote(given)}", text)


def _report(outcome, root, apply_with: str = "", nexts: list | None = None, given: str | None = None) -> int:
    """The run's rows, its changes, and (for a dry run) the command that applies exactly its plans: `apply_with` and the ids, or -p confirm=."""
    from .secrets import scrub
    from .signals import describe

    lines = [f"{c.status:<8} {c.id:<30} {c.resource:<28} {c.sentence}" + (f" [threshold: {c.threshold}]" if c.threshold not in ("", "-") else "")
             + (" [before the change]" if c.phase == "before" else "") for c in outcome.report]
    verdict = outcome.reason or (outcome.report.verdict() if outcome.report else "no checks recorded.")
    done = _changes(outcome.actions)
    lines += [f"{ {'applied': 'CHANGED', 'interrupted': 'MAYBE'}.get(status, 'PLANNED')}  {change}" for status, change, _ in done]
    planned = sorted({r.get("plan_id") for r in outcome.actions if r.get("status") in ("planned", "stale") and r.get("plan_id")})
    if outcome.record.get("unwritten"):
        lines += [f"{outcome.status.upper()}: {verdict}", "evidence: not written (its ledger record says so); free space, then run it again"]
    else:
        lines += [f"{outcome.status.upper()}: {verdict}", f"evidence: {outcome.output}", f"html:     {outcome.html}"]
    if planned:  # last but the follow-ups: the line to paste once the plan is reviewed
        apply = f"{apply_with} {','.join(planned)}" if apply_with else _apply_command(outcome.record, ",".join(planned))
        lines.append(f"(dry run: nothing PLANNED was changed; to apply exactly {'this plan' if len(planned) == 1 else 'these plans'}, run: {apply})")
    said = str(outcome.record.get("next") or "").strip() if outcome.status != "passed" or done or planned else ""
    if planned and any(pid in said for pid in planned):
        said = ""  # it says what the dry-run line above says: apply the plans
    if said:  # the notebook's own Next, as its last cell showed it: the command to paste is on the console
        first, *rest = said.splitlines()
        lines += [f"next:     {first}", *(f"          {line}" for line in rest)]
    others = [c for c in _next(outcome) if c not in said]
    if nexts is None:  # a batch says them all at its end
        lines += [f"next:     {c}" for c in others]
    else:
        nexts += others
    print(_keep_runs_dir(scrub("\n".join(lines))[0], given))
    noted = outcome.record.get("signals_during_filing")
    for note in outcome.notes + ([f"{describe(noted)} arrived while evidence was being filed; noted in the record"] if noted else []):
        print(f"opslib: {note}", file=sys.stderr)
    if os.environ.get("OPSLIB_TIMINGS"):
        from . import warm

        where = f" (warm process {os.getppid()})" if warm.IN_WORKER else ""
        print(f"timings{where}: " + ", ".join(f"{k} {v:.2f}s" for k, v in outcome.phases.items()), file=sys.stderr)
    return outcome.exit_code


def _team_store(root, env: str, env_data: dict):
    """The evidence store `env`'s file names (None when it names none), after sending it what waits here: any
    command naming the environment is the "next command" an offline run said its records would go with."""
    from . import environment, witness
    from . import store as stores
    from .ledger import Evidence
    from .runner import send_to_store

    made = stores.for_environment(env, env_data, root)
    if made is None:
        return None
    store = made()
    if (root / "ledger.jsonl").is_file():
        evidence = Evidence(root, environment.evidence_settings(env_data, env).hmac_key)
        for note in send_to_store(store, evidence, "", env, witness.for_environment(env, env_data, root)):
            print(f"opslib: {note}", file=sys.stderr)
    return store


def _from_store(root, env: str, acting: str = "", since: str = ""):
    """The runs directory to read for `env`: when its file names an evidence store, this machine's copy of the
    store brought up to date (its root) and the store; (None, None) otherwise. `acting`: a command that acts on what the records say
    (undo), refused when the copy met a problem, as it is on a runs directory that does not verify. `since`: only
    what reached the store from then on is needed (a fresh machine does not copy the whole store for a week's runs)."""
    from . import environment
    from . import store as stores
    from .errors import OpsError

    store = _team_store(root, env, environment.load(env)) if env else None
    if store is None:
        return None, None
    try:
        mirror, problems = store.mirror(since)
    except stores.StoreError as exc:
        mirror, problems = None, [f"evidence store {store.url} not read ({exc}): this machine's runs only"]
    if acting and problems:
        raise OpsError(f"{acting} acts only on records that verify, and the store's do not: {problems[0]}", f"run `opslib verify --env {env}`")
    for note in problems:
        print(f"opslib: {note}", file=sys.stderr)
    return mirror, store


def cmd_history(args) -> int:
    from . import history
    from .evidence_index import Index
    from .ledger import Evidence

    root = _runs(args)
    if args.run:
        return _one_run(_from_store(root, args.env)[0] or root, args.run)
    since = _since(args.since) if args.since else ""
    status = args.status.lower() if args.status else ""
    _recover(root, "history")
    team = _from_store(root, args.env, since=since)[0]
    root = team or root
    with Index.open(Evidence(root)) as index:
        found = index.runs(notebook=args.notebook or "", env=args.env or "", incident=args.incident or "", status=status, since=since)
        applied = index.applied_counts(r.get("run_id") for r in found)
        unreadable = index.unreadable("ledger")
        notes = index.notes + ([f"{unreadable} unreadable line(s) in ledger.jsonl skipped; run `opslib verify`"] if unreadable else [])
        notes += [f"every machine's runs, as pages: {team / 'index.html'}"] if team else []
    rows = []
    for r in found:
        g = {k: str(r.get(k) if r.get(k) is not None else "-") for k in ("started", "run_id", "notebook", "env", "status", "incident", "user", "mode")}
        n = r.get("checks") if isinstance(r.get("checks"), dict) else {}
        counts = "/".join(str(n.get(k, 0)) for k in ("OK", "WARN", "CRITICAL", "ERROR"))
        env = f"{g['env']} {r['target']}" if r.get("target") else g["env"]  # one of the environment's targets: account/region
        rows.append((g["started"].replace("+00:00", "Z"), g["run_id"], g["notebook"], env, g["status"], counts, applied.get(g["run_id"], 0),
                     g["incident"] if g["incident"] not in ("", "-") else "-", history.took(r), history.who(r) or "-", g["mode"]))
    _table(("started", "run", "notebook", "env", "status", "ok/warn/crit/err", "changes", "incident", "took", "who", "mode"), rows)
    for note in notes:
        print(f"opslib: {note}", file=sys.stderr)
    return 0


def _environments(asked: list[str]) -> dict:
    """Environment name -> its file's data: those asked for (a broken one is bad input), else every
    readable one (a broken one is left out: verify still checks everything else)."""
    from . import environment
    from .errors import BadInput

    if asked:
        return {env: environment.load(env) for env in asked}
    loaded = {}
    for env in environment.names():
        try:
            loaded[env] = environment.load(env)
        except BadInput as exc:
            print(f"NOTE environment {env} not consulted: {exc}")
    return loaded


def _one_run(root, run_id: str) -> int:
    """`history --run ID`: what the journal holds of one run (by `opslib run` or a JupyterLab session)."""
    from .actions import Change
    from .errors import BadInput
    from .ledger import Evidence

    from .evidence_index import Index

    with Index.open(Evidence(root)) as index:
        records = index.journal_of(run_id)
    if not records:
        raise BadInput(f"no run {run_id!r} in {root / 'journal.jsonl'}", "see `opslib history` for run ids")
    rows = []
    for r in records:
        kind = r.get("kind", "")
        if kind == "check":
            c = r.get("check") or {}
            what = f"{c.get('status', ''):<8} {c.get('id', '')} {c.get('resource', '')}: {c.get('sentence', '')}"
        elif kind.startswith("action"):
            what = f"{r.get('status', 'applying')} {r.get('action', '')}: " + "; ".join(str(Change.from_record(c)) for c in r.get("changes") or [])
        elif kind == "session-start":
            what = f"{r.get('mode', '')} session; parameters: " + _parameters_line(r.get("parameters") or {}, r.get("parameter_sources") or {})
        elif kind in ("run-start", "run-end", "summary"):
            what = " ".join(str(x) for x in (r.get("notebook", ""), r.get("env", ""), r.get("status", ""), r.get("verdict", "")) if x)
        else:
            what = kind
        rows.append((str(r.get("at", "")).replace("+00:00", "Z"), kind, what))
    _table(("at", "kind", "what"), rows)
    return 0


def _parameters_line(values: dict, sources: dict) -> str:
    """`error_critical=20 (-p), api_url=http://... (parameters/sandbox.yaml), 9 defaults`."""
    from .units import plural

    given = [f"{k}={str(v)[:60]} ({sources[k]})" for k, v in values.items() if sources.get(k, "default") != "default"]
    defaults = sum(1 for k in values if sources.get(k, "default") == "default")
    return ", ".join(given + ([plural(defaults, "default")] if defaults else [])) or "none"


def _changes(records: list[dict]) -> list[tuple[str, str, str]]:
    """(applied | planned, one line per change, plan id) of a run's guarded actions, from its journal
    records: what a dry run would change is said as plainly as what was changed."""
    from .actions import Change

    out = []
    for rec in records:
        if rec.get("kind") == "action" and rec.get("status") in ("applied", "planned", "interrupted"):
            pid = rec.get("plan_id") or ""
            maybe = " (the run was killed while applying it: it may have applied)" if rec["status"] == "interrupted" else ""
            read_back = {True: " (verified)", False: " (NOT verified: read it back before relying on it)"}.get(rec.get("verified"), "") if rec["status"] == "applied" else ""
            for c in rec.get("changes") or [{}]:
                out.append((rec["status"], f"{rec.get('action')}: {Change.from_record(c)}" + (f"  [{pid}]" if pid else "") + maybe + read_back, pid))
    return out


def _since(text: str) -> str:
    """An ISO time to compare ledger `started` values with: a date, today, yesterday, or 7d / 12h ago."""
    import re
    from datetime import UTC, datetime, timedelta

    from .errors import BadInput

    now = datetime.now(UTC)
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        day = now.date() - timedelta(days=word == "yesterday")
        return day.isoformat()
    m = re.fullmatch(r"(\d+)\s*([dhm])", word)
    if m:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[m[2]]
        try:
            return (now - timedelta(**{unit: int(m[1])})).isoformat(timespec="seconds")
        except (OverflowError, ValueError):
            raise BadInput(f"--since {text[:40]!r} reaches back before the year 1", "give a smaller age, e.g. --since 3650d") from None
    try:
        return datetime.fromisoformat(word).isoformat()
    except ValueError:
        raise BadInput(f"--since {text!r} is not a date or an age", "e.g. --since 2026-11-01, --since yesterday or --since 7d") from None


def cmd_verify(args) -> int:
    from pathlib import Path

    from . import environment, inflight, verification
    from .errors import BadInput
    from .ledger import Evidence

    root = _runs(args)
    loaded = _environments(args.env)
    store_problems = _verify_stores(root, args.env, loaded)
    if store_problems is not None and not (root / "ledger.jsonl").is_file():  # a reviewer's machine: the store is the evidence
        return 1 if store_problems else 0
    if not root.is_dir():
        raise BadInput(f"no runs directory at {root}", "pass --runs-dir (or set OPSLIB_RUNS_DIR) to the folder your runs were filed in")
    _recover(root, "verify")
    evidence = Evidence(root, keys=environment.all_keys(loaded))
    if not evidence.ledger.path.is_file():
        print(f"NOT verified: {root} holds no ledger (no run was ever filed there, or ledger.jsonl was deleted)")
        return 1
    if args.report is not None:
        return _verify_report(Path(args.report), evidence)
    found = verification.verify(evidence, loaded, bool(args.env), inflight.running(root), since_last=args.since_last, keep=True)
    for p in found.problems:
        print(f"FAIL {p}")
    for note in found.notes:
        print(f"NOTE {note}")
    if found.consulted:
        print("witness: " + "; ".join(found.consulted))
    scope = f" since the last clean verify ({found.since})" if found.since else ""
    print(f"{'verified' if not found.problems else 'NOT verified'}: {found.runs} run record(s), {found.journal} journal record(s){scope}, {len(found.problems)} problem(s)")
    return 1 if found.problems or store_problems else 0


def _verify_stores(root, asked: list[str], loaded: dict):
    """Each asked environment's evidence store read whole and checked (after sending what waits here); its problems,
    or None when no asked environment names a store."""
    from . import environment, witness
    from . import store as stores

    problems, any_store = [], False
    for env in asked:
        store = _team_store(root, env, loaded[env])
        if store is None:
            continue
        any_store = True
        try:
            seen = witness.for_environment(env, loaded[env], root)
            found, count = store.verify(environment.all_keys(loaded), seen() if seen else None)
        except stores.StoreError as exc:
            found, count = [f"evidence store {store.url} could not be read: {exc}"], 0
        for p in found:
            print(f"FAIL {p}")
        print(f"store {store.url}: {'verified' if not found else 'NOT verified'}: {count} record(s) from every machine, {len(found)} problem(s)")
        problems += found
    return problems if any_store else None


def _verify_report(folder, evidence) -> int:
    from . import bundle, inflight, verification
    from .errors import BadInput

    if not folder.is_dir():
        raise BadInput(f"--report {str(folder)[:80]} is not a folder", "pass the report folder `opslib report` printed (not its zip: unzip it first)")
    problems = bundle.check(folder, evidence)
    chains = verification.verify(evidence, _environments([]), False, inflight.running(evidence.root))  # and the chains it was read from
    for p in problems + chains.problems:
        print(f"FAIL {p}")
    print(f"{'verified' if not problems + chains.problems else 'NOT verified'}: report {folder} against {evidence.root}, "
          f"{len(problems) + len(chains.problems)} problem(s)")
    return 1 if problems or chains.problems else 0


def cmd_incidents(args) -> int:
    from . import incidents
    from .ledger import Evidence
    from .units import duration

    found = sorted(incidents.all_incidents(Evidence(_runs(args))).values(), key=lambda inc: inc.started)
    _table(("incident", "severity", "service", "status", "started", "duration", "updates", "not sent", "commander"),
           [(inc.id, inc.severity, inc.service, inc.status, f"{inc.started:%Y-%m-%d %H:%M}Z", duration(inc.elapsed().total_seconds()) + ("" if inc.resolved else " so far"),
             len(inc.updates), len(inc.unsent), inc.commander) for inc in found])
    if not found:
        print("no incident declared here; declare one with `opslib run incident-declare`")
    return 0


def cmd_approve(args) -> int:
    """Record a second person's approval of a plan (opslib.approvals): its requester cannot."""
    from . import approvals, environment, locks
    from .actions import PLAN_ID
    from .aws import Aws, AwsSettings, caller
    from .errors import BadInput

    if not PLAN_ID.fullmatch(args.plan_id) or "," in args.plan_id:
        raise BadInput(f"{args.plan_id!r} is not a plan id", "give the PLAN-xxxxxxxxxxxx the dry run printed")
    env_data = environment.load(args.env)
    table, _, approval = locks.settings(env_data)
    if not (table and approval):
        raise BadInput(f"environment {args.env} does not ask for approval", "apply the plan with -p confirm=PLAN-...; or set actions.approval: true and actions.table")
    aws = Aws(AwsSettings.from_env_file(env_data, user_agent="opslib/approve"))
    found = approvals.approve(aws, table, args.plan_id, caller(aws))  # the approver is who AWS says, not $USER
    print(f"{args.plan_id} ({found['action']}), requested by {found['requester']} at {found['requested']}, approved by {found['approver']} at {found['approved']}:")
    print("\n".join(f"  {line}" for line in found["changes"].splitlines()))
    print(f"apply it: opslib run {found['notebook']} --env {args.env} -p confirm={args.plan_id}")
    return 0


def cmd_undo(args) -> int:
    """The undo notebook (change/undo) on the run: a dry run that plans the undo of each change, applied
    with --confirm; filed like any run. A run that changed nothing, or nothing undoable, is bad input."""
    from . import actions, runner, undo
    from .errors import BadInput
    from .ledger import Evidence
    from .signals import Signals

    root = _runs(args)
    _refuse_unverified(root, "undo")
    evidence = Evidence(root)
    done = undo.applied(evidence, args.run_id) if (root / "ledger.jsonl").is_file() else []
    team = _from_store(root, args.env, acting="undo")[0] if not done and args.env else None
    if team:  # a run filed on another machine: the team's store holds what it changed
        evidence = Evidence(team)
        done = undo.applied(evidence, args.run_id)
    if not done:
        where = f"{root} nor in {args.env}'s evidence store" if team else str(root)
        stored = [] if args.env else [env for env, data in _environments([]).items() if (data.get("evidence") or {}).get("store")]
        raise BadInput(f"run {args.run_id} applied no change in {where}", _keep_runs_dir("`opslib history` lists runs and how many changes each applied"
                       + "".join(f"; filed on another machine: opslib undo {args.run_id} --env {env} (its team's evidence store)" for env in stored[:3]), args.runs_dir))
    if not any(r.get("undo") for r in done):
        raise BadInput(f"nothing run {args.run_id} changed can be undone ({'; '.join(undo.cannot(done))})", "undo it by hand, as a new change")
    if args.confirm and args.confirm.lower() != "true" and not actions.PLAN_ID.fullmatch(args.confirm):
        raise BadInput(f"--confirm {args.confirm!r} is neither a plan id nor true", "give the PLAN-... the dry run printed")
    overrides = [f"undo_run={args.run_id}"] + ([f"confirm={args.confirm}"] if args.confirm else [])
    env = args.env or done[0].get("env") or "sandbox"
    target = undo.target_of(evidence, args.run_id)  # a run on one of the environment's targets is undone in that account
    (plan,) = runner.prepare_targets("undo", env, overrides, args.incident or done[0].get("incident") or "", root, target) if target else \
        [runner.prepare("undo", env, overrides, args.incident or done[0].get("incident") or "", root)]
    with Signals() as signals:
        _recover(root, "undo")
        outcome = runner.execute(plan, "critical", None, progress=False, signals=signals)
        signals.then_ignore = True
        again = f"opslib undo {args.run_id}" + (f" --env {args.env}" if args.env else "")  # the run may be in the team's store only
        return _report(outcome, root, apply_with=f"{again} --confirm", given=args.runs_dir)


def _refuse_unverified(root, command: str) -> None:
    """A command that acts on what the journal says (undo) acts only on records that verify (from the last
    clean verify on: a forged 'applied' record must not make it change anything)."""
    from . import environment, inflight, verification
    from .errors import OpsError
    from .ledger import Evidence

    if not (root / "ledger.jsonl").is_file():
        return
    loaded = _environments([])
    found = verification.verify(Evidence(root, keys=environment.all_keys(loaded)), loaded, False, inflight.running(root), since_last=True)
    if found.problems:
        more = f" (and {len(found.problems) - 1} more)" if len(found.problems) > 1 else ""
        raise OpsError(f"{command} refused: the evidence in {root} does not verify: {found.problems[0]}{more}",
                       "run `opslib verify`, settle what it finds, then run this again")


def cmd_report(args) -> int:
    from pathlib import Path

    from . import bundle, environment
    from .errors import BadInput
    from .ledger import Evidence

    if not args.incident and not (args.since or args.until):
        raise BadInput("report of what?", "pass --incident INC-YYYY-MMDD-NNN, or --since/--until for a time window")
    if args.incident and (args.since or args.until):
        raise BadInput("--incident takes no --since/--until", "an incident's report holds its own runs; drop --since/--until")
    root = _runs(args)
    since, until = (_since(args.since) if args.since else ""), (_since(args.until) if args.until else "")
    name = args.incident or f"runs-{(since or 'start')[:16]}-to-{(until or 'now')[:16]}".replace(":", "")
    if args.out is not None and not args.out.strip():
        raise BadInput("--out is empty", "pass a folder, or leave it out for <runs dir>/reports/")
    out = bundle.place(Path(args.out).resolve() if args.out else None, root / "reports" / name)
    _recover(root, "report")
    from .store import incident_since

    team, store = _from_store(root, args.env, since=since or incident_since(args.incident))
    evidence = Evidence(team, keys={}) if team else Evidence(root, keys=environment.all_keys(_environments([])))  # the store's copies were checked as they came
    folder, archive, problems = bundle.make(evidence, out, args.incident, since, until)
    print(f"report: {folder / 'index.html'}")
    print(f"zip:    {archive}")
    if team:
        print(_put_report(store, archive))
    for p in problems:
        print(f"FAIL {p}")
    print("verified: every file in it matches its record" if not problems else f"NOT verified: {len(problems)} problem(s)")
    return 1 if problems else 0


def _put_report(store, archive) -> str:
    """The report's zip beside the runs it was made from, for the next reviewer; a reviewer who may only read is told."""
    from .store import StoreError

    try:
        return f"store:  {store.put_report(archive)}"
    except StoreError as exc:
        return f"store:  not put there ({exc}); the zip above is the report"


def cmd_schedule(args) -> int:
    """`list` each entry with its next three runs; `install` the crontab lines; `remove` them; `fire` an entry (what cron runs)."""
    from pathlib import Path

    from . import schedule
    from .errors import BadInput

    if args.action == "remove":
        print(f"removed {schedule.remove()} crontab lines this project wrote")
        return 0
    path = Path(args.file).resolve() if args.file else schedule.default_file()
    entries = schedule.load(path)
    root = _runs(args)
    if args.action == "list":
        for e in entries:
            runs = ", ".join(f"{t:%Y-%m-%d %H:%M}" for t in e.next_times())
            print(f"{e.name:<24} {e.cron:<16} {', '.join(e.notebooks)} on {', '.join(e.envs)}; fail on {e.fail_on}; next (UTC): {runs}")
        return 0
    if args.action == "airflow":
        from .paths import project_root

        out = Path(args.out).resolve() if args.out else project_root() / "airflow" / "dags" / "opslib_schedule.py"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(schedule.airflow_dag(entries, path, root))
        print(f"wrote {out}: {len(entries)} DAGs, {sum(len(e.targets()) for e in entries)} tasks (AIRFLOW__CORE__DAGS_FOLDER={out.parent})")
        return 0
    if args.action == "install":
        log = Path(args.log).resolve() if args.log else root / "schedule.log"
        for line in schedule.install(entries, path, root, log):
            print(line)
        return 0
    found = next((e for e in entries if e.name == args.entry), None)
    if found is None:
        raise BadInput(f"no entry {args.entry!r} in {path.name}", f"use one of {', '.join(e.name for e in entries)}")
    return schedule.fire(schedule.only(found, args.only) if args.only else found, root)


def cmd_sandbox(args) -> int:
    import opslib_sandbox as sandbox

    if args.action == "up":
        print(f"sandbox running at {sandbox.up()}")
    elif args.action == "down":
        print("sandbox stopped" if sandbox.down() else "sandbox was not running")
    elif args.action == "status":
        st = sandbox.status()
        if not st:
            print("sandbox not running")
            return 1
        print(f"sandbox running at {st['url']} (pid {st['pid']}), scenario {st['scenario']}, {st['aws_calls']} AWS calls served")
        print(f"TLS endpoint {st['tls_url']} (certificate expires in {st['tls_days']} days)")
        dbs = st.get("databases") or {}
        if dbs:
            print(f"incident-response-prod: PostgreSQL {dbs['postgres']}; its cache: Redis {dbs['redis']}"
                  + (f" (install {' and '.join(dbs['missing'])} to have them: `apt-get install postgresql redis-server`)" if dbs["missing"] else ""))
    elif args.action == "reset":
        sandbox.up()
        sandbox.control("reset")
        print("sandbox reset to healthy")
    elif args.action == "env":
        sandbox.up()
        print(sandbox.env_lines())
    elif args.action == "snapshot":
        from opslib_sandbox import snapshot

        text = snapshot.dumps(snapshot.take(sandbox.up()))
        if args.name:
            from pathlib import Path

            from .errors import BadInput

            try:
                Path(args.name).write_text(text)
            except OSError as exc:
                raise BadInput(f"sandbox snapshot to {args.name[:80]!r}: {exc.strerror}", "pass a file in a folder that exists, or leave it out for stdout") from None
            print(f"sandbox snapshot written to {args.name}")
        else:
            sys.stdout.write(text)
    elif args.action == "inbox":
        sandbox.up()
        received = [m for m in sandbox.inbox() if not args.name or m["webhook"] == args.name]
        print(f"{len(received)} message(s) received by the sandbox's webhooks since the last reset"
              + (f"; post to {sandbox.webhook_url()} (Slack) to add one" if not received else ""))
        for m in received:
            print(f"{m['at']}  {m['webhook']:<12} {m['answered']}  {_gist(m['body'])}")
    elif args.action == "scenarios":
        from opslib_sandbox.scenarios import REGISTRY

        from .catalog import all_notebooks

        known = {nb.name for nb in all_notebooks()}
        _table(("scenario", "what it changes", "caught by"),
               [(s.name, s.changes, ", ".join(s.caught_now(known)) or ("no notebook yet" if s.caught_by else "-")) for s in REGISTRY.values()])
    elif args.action == "elapse":
        from .errors import BadInput

        if not (args.name or "").isdigit() or not 0 < int(args.name) <= 180:
            raise BadInput(f"sandbox elapse needs minutes from 1 to 180, not {(args.name or '')[:20]!r}", "write `opslib sandbox elapse 20`")
        sandbox.up()
        sandbox.control("elapse", {"minutes": int(args.name)})
        print(f"sandbox: the world as it stands has stood for {args.name} minutes; its metrics of those minutes follow from it")
    elif args.action == "scenario":
        from .errors import BadInput, did_you_mean
        from opslib_sandbox.scenarios import REGISTRY

        if not args.name:
            raise BadInput("no scenario named", "write `opslib sandbox scenario NAME`; `opslib sandbox scenarios` lists them")
        if args.name not in REGISTRY:
            raise BadInput(f"unknown scenario '{args.name}'", did_you_mean(args.name, REGISTRY) or "see `opslib sandbox scenarios`")
        sandbox.up()
        sandbox.control(f"scenario/{args.name}")
        print(f"sandbox scenario {args.name}: {REGISTRY[args.name].changes}")
    return 0


def _gist(body: str) -> str:
    """A received message in one line: a Slack payload's text, an SNS notification's subject."""
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return body[:120]
    text = data.get("text") or data.get("Subject") or data.get("Message") or body if isinstance(data, dict) else body
    return " ".join(str(text).split())[:120]


def _table(headers, rows) -> None:
    rows = [tuple(str(c) for c in r) for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    widths[-1] = len(headers[-1])  # last column runs free
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


COMMANDS = {"list": cmd_list, "show": cmd_show, "run": cmd_run, "history": cmd_history, "verify": cmd_verify, "incidents": cmd_incidents, "approve": cmd_approve, "undo": cmd_undo, "report": cmd_report, "schedule": cmd_schedule,
            "sandbox": cmd_sandbox}

if __name__ == "__main__":
    sys.exit(main())
