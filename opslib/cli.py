"""The `opslib` command. Imports stay inside each subcommand: start-up time is paid per run."""

import argparse
import os
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="opslib", description="Executable runbook notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="every notebook: area, purpose, whether it can change infrastructure")

    p = sub.add_parser("show", help="a notebook's parameters and the environments it can run in")
    p.add_argument("notebook")

    p = sub.add_parser("run", help="execute a notebook headless and file the evidence")
    p.add_argument("notebook")
    p.add_argument("--env", default="sandbox", help="parameters/<env>.yaml (default: sandbox)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    p.add_argument("--incident", default="", help="incident id to tag the run with (e.g. INC-2026-1122-001)")
    p.add_argument("--fail-on", choices=("warn", "critical"), default="critical", help="lowest check status that exits 1")
    p.add_argument("--runs-dir", default=None, help="where evidence goes (default: $OPSLIB_RUNS_DIR or ./runs)")
    p.add_argument("--cell-timeout", type=int, default=600, help="seconds any one cell may run (default 600)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("history", help="runs from the ledger")
    p.add_argument("--notebook")
    p.add_argument("--env")
    p.add_argument("--incident")
    p.add_argument("--status")
    p.add_argument("--since", help="YYYY-MM-DD")
    p.add_argument("--runs-dir", default=None)

    p = sub.add_parser("verify", help="check the ledger's hash chain and every filed output")
    p.add_argument("--runs-dir", default=None)

    p = sub.add_parser("sandbox", help="the local AWS the sandbox environment runs against")
    p.add_argument("action", choices=("up", "down", "status", "reset", "env", "scenarios", "scenario", "snapshot"))
    p.add_argument("name", nargs="?", help="scenario name (for `scenario`); output file (for `snapshot`, default: stdout)")

    args = parser.parse_args(argv)
    from .errors import OpsError

    try:
        return COMMANDS[args.command](args)
    except OpsError as exc:
        print(f"opslib: {exc}", file=sys.stderr)
        return exc.exit_code


def cmd_list(args) -> int:
    from .catalog import all_notebooks

    rows = [(f"{nb.area}/{nb.name}", "changes infra" if nb.mutating else "read-only", nb.purpose) for nb in all_notebooks()]
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
    rows = [(p.name, p.type, "(required)" if p.required else repr(p.default), p.help) for p in specs.values()]
    print()
    _table(("parameter", "type", "default", "help"), rows)
    from .errors import OpsError

    usable = []
    for env in params.environments():
        try:
            params.resolve(specs, nb.name, env, params.load_environment(env), {})
            usable.append(env)
        except OpsError:
            pass
    print(f"\nenvironments: {', '.join(usable) or 'none'}")
    return 0


def cmd_run(args) -> int:
    from . import runner
    from .paths import runs_dir

    plan = runner.prepare(args.notebook, args.env, args.param, args.incident)
    outcome = runner.execute(plan, runs_dir(args.runs_dir), args.fail_on, args.cell_timeout, progress=not args.no_progress)
    for c in outcome.report:
        print(f"{c.status:<8} {c.id:<30} {c.resource:<28} {c.sentence}")
    verdict = outcome.report.verdict() if outcome.report else "no checks recorded"
    if outcome.reason:
        verdict = f"{outcome.status}: {outcome.reason}"
    print(f"{outcome.status.upper()}: {verdict}")
    print(f"evidence: {outcome.output}")
    print(f"html:     {outcome.html}")
    if os.environ.get("OPSLIB_TIMINGS"):
        print("timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in outcome.phases.items()), file=sys.stderr)
    return outcome.exit_code


def cmd_history(args) -> int:
    from .ledger import Evidence
    from .paths import runs_dir

    rows = []
    for r in Evidence(runs_dir(args.runs_dir)).ledger.records():
        if args.notebook and args.notebook not in (r["notebook"], r["notebook"].split("/")[-1]):
            continue
        if (args.env and r["env"] != args.env) or (args.incident and r.get("incident") != args.incident):
            continue
        if (args.status and r["status"] != args.status) or (args.since and r["started"][:10] < args.since):
            continue
        n = r.get("checks", {})
        counts = "/".join(str(n.get(k, 0)) for k in ("OK", "WARN", "CRITICAL", "ERROR"))
        rows.append((r["started"].replace("+00:00", "Z"), r["run_id"], r["notebook"], r["env"], r["status"], counts, r.get("incident") or "-", f"{r['duration_s']:.1f}s", r["user"]))
    _table(("started", "run", "notebook", "env", "status", "ok/warn/crit/err", "incident", "took", "who"), rows)
    return 0


def cmd_verify(args) -> int:
    from .ledger import Evidence
    from .paths import runs_dir

    evidence = Evidence(runs_dir(args.runs_dir))
    problems = evidence.verify()
    n = len(evidence.ledger.records())
    for p in problems:
        print(f"FAIL {p}")
    print(f"{'verified' if not problems else 'NOT verified'}: {n} run record(s), {len(evidence.journal.records())} journal record(s), {len(problems)} problem(s)")
    return 1 if problems else 0


def cmd_sandbox(args) -> int:
    from . import sandbox

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
    elif args.action == "reset":
        sandbox.up()
        sandbox.control("reset")
        print("sandbox reset to healthy")
    elif args.action == "env":
        sandbox.up()
        print(sandbox.env_lines())
    elif args.action == "snapshot":
        from .sandbox import snapshot

        text = snapshot.dumps(snapshot.take(sandbox.up()))
        if args.name:
            from pathlib import Path

            Path(args.name).write_text(text)
            print(f"sandbox snapshot written to {args.name}")
        else:
            sys.stdout.write(text)
    elif args.action == "scenarios":
        from .sandbox.scenarios import REGISTRY

        _table(("scenario", "what it changes", "caught by"), [(s.name, s.changes, ", ".join(s.caught_by) or "-") for s in REGISTRY.values()])
    elif args.action == "scenario":
        from .errors import BadInput, did_you_mean
        from .sandbox.scenarios import REGISTRY

        if args.name not in REGISTRY:
            raise BadInput(f"unknown scenario '{args.name}'", did_you_mean(args.name or "", REGISTRY) or "see `opslib sandbox scenarios`")
        sandbox.up()
        sandbox.control(f"scenario/{args.name}")
        print(f"sandbox scenario {args.name}: {REGISTRY[args.name].changes}")
    return 0


def _table(headers, rows) -> None:
    rows = [tuple(str(c) for c in r) for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    widths[-1] = len(headers[-1])  # last column runs free
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


COMMANDS = {"list": cmd_list, "show": cmd_show, "run": cmd_run, "history": cmd_history, "verify": cmd_verify, "sandbox": cmd_sandbox}

if __name__ == "__main__":
    sys.exit(main())
