"""What a notebook calls: `rb = runbook.start("area/name", globals())` after its parameters cell.

Under `opslib run` the parameters arrive resolved; by hand in JupyterLab, the environment file
of the `env` the responder picked fills whatever they left at its default. Either way the values
are checked against the parameters cell, secrets become `Secret`, and every check and action is
journaled.
"""

import os
import sys
import uuid
from functools import partial

from . import checks as _checks
from .aws import at_once
from .errors import ActionRefused
from .secrets import Secret


class Runbook:
    def __init__(self, notebook, env: str, env_data: dict, values: dict, sources: dict, region: str | None = None):
        from .aws import Aws, AwsSettings

        self.notebook = notebook
        self.env = env
        self.env_data = env_data
        self.values = values
        self.sources = sources
        self.production = bool(env_data.get("production"))
        self.run_id = os.environ.get("OPSLIB_RUN_ID") or f"interactive-{uuid.uuid4().hex[:8]}"
        self.headless = bool(os.environ.get("OPSLIB_RUN_ID"))
        self.incident = os.environ.get("OPSLIB_INCIDENT") or values.get("incident_id") or ""
        settings = AwsSettings.from_env_file(env_data, user_agent=f"opslib/{notebook.name}")
        settings.region = region or settings.region
        if settings.endpoint_url == "sandbox":
            import opslib_sandbox as sandbox

            if self.headless:  # the runner's sandbox, for the whole run
                settings.endpoint_url = sandbox.endpoint(start=False)
            else:  # by hand: this kernel (and any `!aws` in it) talks to the sandbox only, wherever it restarts
                for k, v in sandbox.kernel_env().items():
                    os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        self.aws = Aws(settings)
        self.results = _checks.Report()
        from .environment import evidence_settings

        self.evidence_key = evidence_settings(env_data, env).hmac_key
        if not self.headless and (env_data.get("http") or {}).get("allow_link_local"):
            from .services.http import LINK_LOCAL_VARIABLE

            os.environ[LINK_LOCAL_VARIABLE] = "1"

    @property
    def asked(self) -> dict:
        """What this run was asked to do (`-p`, or edited in the parameters cell; no secret), for the command
        that applies its plan: a plan id means nothing without the parameters that made the plan."""
        specs = self.notebook.spec()
        return {n: v for n, v in self.values.items() if n in specs and not specs[n].secret and n not in ("env", "confirm", "change_ref", "incident_id")
                and self.sources.get(n) in ("-p", "the parameters cell")}

    # -- journal -----------------------------------------------------------------------
    @property
    def session(self) -> dict:
        return {"run_id": self.run_id, "notebook": f"{self.notebook.area}/{self.notebook.name}", "env": self.env, "incident": self.incident}

    @property
    def evidence(self):
        """This run's runs directory, signing with the environment's key."""
        from . import journal

        found = journal.evidence()
        found.key = self.evidence_key
        return found

    @property
    def record_session(self) -> dict:
        """Who and which run, for records written outside the journal (incident records)."""
        from .journal import who

        return {**who(), **self.session}

    def journal(self, kind: str, **fields) -> dict:
        """Append to the journal. By hand (JupyterLab) each record's head goes to the witness at once: a record
        no head covers is one appended behind the witness's back (a headless run's are covered by its run-end head)."""
        from . import journal

        record = journal.write(kind, self.session, key=self.evidence_key, **fields)
        if not self.headless:
            self._witness_head(record)
        return record

    def _witness_head(self, record: dict) -> None:
        from .witness import Point, for_environment

        try:
            make = for_environment(self.env, self.env_data, self.evidence.root)
            if make is not None:
                make().record(self.evidence.root, [Point("journal", record["seq"], record["hash"], self.run_id)])
        except Exception as exc:  # the record is kept; verify will say it is not witnessed
            import sys

            print(f"opslib: the witness did not take journal seq {record.get('seq')}: {type(exc).__name__}: {str(exc)[:160]}", file=sys.stderr)

    # -- checks --------------------------------------------------------------------------
    def check(self, fn, *args, when=True, **kwargs):
        """Run one check function (it gets this run's AWS clients), show it, journal it. Skipped when
        `when` is None: what it needs could not be fetched, and that fetch's ERROR row says why."""
        from IPython.display import display

        if when is None:
            return
        result = fn(self.aws, *args, **kwargs)
        self._record([result])
        display(result)

    def record(self, *results):
        """Checks computed from data already fetched (a check or a list of them): show and journal them."""
        from IPython.display import display

        flat = _checks.Report(r for item in results for r in (item if isinstance(item, list) else [item]))
        self._record(flat)
        if flat:  # a step with nothing to judge here (deploy-verify's checklist after deploying) shows no empty table
            display(flat)

    def fetch(self, check_id: str, resource: str, fn, *args, default=None):
        """Data a later step needs; a fault becomes an ERROR row (and `default`) instead of a failed run."""
        return self.fetch_all((check_id, resource, fn, *args), default=default)[0]

    def fetch_all(self, *calls, default=None, when=True) -> list:
        """Several independent fetches at once, `(check_id, resource, fn, arg, ...)` each: their data in
        order, each fault its own ERROR row. Waits as long as the slowest, not the sum (an SSM command takes seconds).
        Skipped (all `default`) when `when` is None, as `check` is."""
        if when is None:
            return [default] * len(calls)
        def caught(fn, args):
            def call():
                try:
                    return fn(self.aws, *args), None
                except Exception as exc:  # AccessDenied, throttled past retries, timeout: a finding, the run goes on
                    return default, exc
            return call

        outcomes = at_once(caught(c[2], c[3:]) for c in calls)
        errors = [_checks.error_check(c[0], c[1], exc) for c, (_, exc) in zip(calls, outcomes) if exc is not None]
        if errors:
            self.record(errors)
        return [value for value, _ in outcomes]

    def show(self, fn, data, *args, **kwargs):
        """Display what `fn` (a function of opslib.views) makes of fetched `data`: one thing or a tuple
        of them. Nothing when the fetch failed (`data` is None): its ERROR row already says why."""
        from IPython.display import display

        if data is None:
            return
        made = fn(data, *args, **kwargs)
        for item in made if isinstance(made, tuple) else (made,):
            print(item) if isinstance(item, str) else display(item)  # a sentence reads as text, not as a quoted string

    def judge(self, fn, data, *args):
        """Record the check(s) `fn` makes of fetched `data`; nothing when the fetch failed."""
        if data is not None:
            self.record(fn(data, *args))

    def check_all(self, *calls):
        """Several independent checks at once: `rb.check_all((fn, arg, ...), ...)`."""
        from IPython.display import display

        report = _checks.Report(at_once(partial(fn, self.aws, *args) for fn, *args in calls))
        self._record(report)
        display(report)

    def _record(self, results):
        for r in results:
            self.results[:] = [c for c in self.results if (c.id, c.resource) != (r.id, r.resource)] + [r]
            self.journal("check", check=r.to_dict())

    def next(self, text: str) -> None:
        """The step to take next (opslib.advice), shown here and, read back from the filed notebook, on the console of a headless run."""
        from IPython.display import display

        display({"text/plain": text, _checks.NEXT_MIME: {"text": text}}, raw=True)

    def header(self, fields: dict) -> None:
        """What the filed page opens with instead of the run's verdict (a post-mortem: its incident), one field a line."""
        from IPython.display import display

        display({"text/plain": "\n".join(f"{k}: {v}" for k, v in fields.items()), _checks.HEADER_MIME: {"fields": [[str(k), str(v)] for k, v in fields.items()]}}, raw=True)

    def summary(self):
        """The status table and verdict of everything checked so far, recorded as the run's result."""
        from IPython.display import display

        self.journal("summary", verdict=self.results.verdict(), counts=self.results.counts())
        if not self.headless:  # by hand there is no runner to do it: the reviewer's index lists this session too
            from . import journal, report

            report.write_index(journal.evidence(), self.run_id)
        display(self.results)

    # -- actions -------------------------------------------------------------------------
    def act(self, action, confirm: bool | str = False, change_ref: str = ""):
        """Plan, then apply only if confirmed (`True`, or the plan's id; headless by parameter, by hand the button).
        A stale plan id, or production confirmed without one, shows the plan to review and a CRITICAL row."""
        from IPython.display import display

        from . import actions

        aws = self.aws.at(action.region) if action.region else self.aws
        guard = actions.guard_for(aws, self.env_data, self.journal, self.run_id, self.notebook.name, change_ref or self.incident)
        try:
            outcome = actions.execute(action, guard, confirm=confirm)
        except ActionRefused as refused:
            if refused.outcome is None:
                raise
            outcome = refused.outcome  # stale, or production without a plan id: the plan to review now, and a red row
            self.record(_checks.Check(f"action_{action.verb.replace('-', '_')}", _checks.CRITICAL, action.describe(), outcome.status,
                                      "the reviewed plan, unchanged", f"Not applied: {outcome.message}"))
        except Exception as exc:  # the state could not be read to plan from (AccessDenied, throttled past retries): a finding
            outcome = actions.Outcome(action.describe(), "failed", [], message=f"could not plan: {type(exc).__name__}: {exc}", error=exc)
            self.journal("action", **outcome.to_dict(), dry_run=not confirm)
        display(outcome)
        self._applied(action, outcome)
        if outcome.status in ("planned", "stale") and not self.headless and _in_kernel():
            display(actions.confirm_button(action, guard, outcome, after=self._applied))
        return outcome

    def _applied(self, action, outcome) -> None:
        """What applying came to, as rows: a fault is an ERROR row with the reason (and the run goes on)."""
        rows = action.results() if outcome.status in ("applied", "failed") else []
        if outcome.status == "failed":
            rows = [*rows, _checks.error_check(f"action_{action.verb.replace('-', '_')}", action.describe(), outcome.error)]
        if rows:
            self.record(rows)

    def act_all(self, actions: list, confirm: bool | str = False, change_ref: str = "", nothing: str = "Nothing to do.", fixes: bool = False,
                together: bool = False):
        """`act` on each action in turn; says `nothing` when there is none (e.g. not requested). `fixes`: the actions are the
        fix for what the rows above found (a rollback), so once every one applied and verified, those rows are the world
        before it: kept as evidence, out of the verdict, which then judges what is read after. `together`: the actions touch
        different resources and each waits on AWS for minutes (a restore drill's database and table): confirmed, they are
        applied at once, so the step takes the longest of them, not their sum (planned, in turn: a button each)."""
        from .aws import at_once

        if not actions:
            print(nothing)
        before = list(self.results)
        if together and confirm:
            outcomes = at_once([lambda a=a: self.act(a, confirm=confirm, change_ref=change_ref) for a in actions])
        else:
            outcomes = [self.act(action, confirm=confirm, change_ref=change_ref) for action in actions]
        if fixes and outcomes and all(o.status == "applied" and o.verified for o in outcomes):
            self._supersede(before)
            self.record([_checks.Check(f"action_{a.verb.replace('-', '_')}", _checks.OK, a.describe(), "verified", "applied and read back", o.message)
                         for a, o in zip(actions, outcomes)])
        return outcomes

    def _supersede(self, rows: list) -> None:
        from dataclasses import replace
        from IPython.display import display

        still = [c for c in rows if any(c is r for r in self.results)]  # not replaced by what applying recorded
        if not still:
            return
        marked = _checks.Report(replace(c, phase=_checks.BEFORE) for c in still)
        self._record(marked)
        display({"text/plain": f"The {len(marked)} row(s) above describe the world before the change, which applied and verified: "
                               "kept as evidence, out of the verdict.", _checks.MIME: {"checks": [c.to_dict() for c in marked]}}, raw=True)

    # -- display -------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        from .templating import render

        return render("runbook.html.j2", notebook=self.notebook.name, env=self.env, production=self.production, region=self.aws.region,
                      endpoint=self.aws.endpoint or "AWS", run_id=self.run_id, incident=self.incident,
                      rows=[(k, str(v), self.sources.get(k, "")) for k, v in self.values.items()])

    def __repr__(self) -> str:
        return f"Runbook({self.notebook.name!r}, env={self.env!r}, run={self.run_id!r})"


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None and hasattr(get_ipython(), "kernel")
    except ImportError:
        return False


def _brief_ops_errors() -> None:
    """In a kernel, an OpsError shows as its one line (what is wrong: the fix), not a traceback."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    from .errors import OpsError

    def show(shell, etype, value, tb, tb_offset=None):
        lines = [f"\x1b[31m{etype.__name__}\x1b[39m: {value}"]
        shell._showtraceback(etype, value, lines)
        return lines

    shell.set_custom_exc((OpsError,), show)


def _scrub_outputs() -> None:
    """In a kernel, every output leaves scrubbed of the secrets this kernel knows, including ones it
    only learns at run time (a password read from Secrets Manager): the runner can scrub only the
    values it handed over, and a responder's JupyterLab has no runner at all."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_opslib_scrubbed", False) or not hasattr(shell, "display_pub"):
        return
    from .secrets import scrub_tree

    kinds = {"stream", "display_data", "update_display_data", "execute_result", "error", "execute_reply"}

    def scrubbing(send):
        def scrubbed_send(stream, msg_or_type, content=None, *args, **kwargs):
            if isinstance(msg_or_type, dict):
                if (msg_or_type.get("msg_type") or (msg_or_type.get("header") or {}).get("msg_type")) in kinds:
                    msg_or_type["content"] = scrub_tree(msg_or_type.get("content", {}))[0]
            elif msg_or_type in kinds and content is not None:
                content = scrub_tree(content)[0]
            return send(stream, msg_or_type, content, *args, **kwargs)
        return scrubbed_send

    # Every output leaves the kernel as a message through its Session: one place to scrub them all
    # (streams flushed whole, displays, results, tracebacks), on whatever thread sends them.
    sessions = {id(x): x for x in (getattr(sys.stdout, "session", None), getattr(sys.stderr, "session", None),
                                   getattr(shell.display_pub, "session", None), getattr(shell.displayhook, "session", None),
                                   getattr(getattr(shell, "kernel", None), "session", None)) if x is not None}
    for session in sessions.values():
        session.send = scrubbing(session.send)
    shell._opslib_scrubbed = True


def start(name: str, namespace: dict, region: str | None = None) -> Runbook:
    """Check this notebook's parameters, fill them in for the chosen env, and open the run. `region`
    names the parameter holding the region of the system the notebook looks at (`rms_region`): the
    run's AWS calls go there unless a step names another."""
    from . import catalog, environment, params
    from .secrets import refuse_short

    _brief_ops_errors()
    _scrub_outputs()
    nb = catalog.find(name)
    specs = nb.spec()
    env = namespace.get("env", "sandbox")
    env_data = environment.load(env)
    environment.check_endpoint(env, env_data)
    current = {n: namespace.get(n, p.default) for n, p in specs.items()}
    if os.environ.get("OPSLIB_RUN_ID"):
        values = {n: params.coerce(specs[n], v, "the injected parameters") if v is not None else v for n, v in current.items()}
        sources = {n: "opslib run" for n in specs} | _injected_sources()
    else:
        edited = {n: v for n, v in current.items() if v != specs[n].default and n != "env"}
        resolved = params.resolve(specs, nb.name, env, env_data, edited, origin="the parameters cell")
        values, sources = resolved.values, resolved.sources
        if "env" in sources:
            sources["env"] = "default" if env == specs["env"].default else "the parameters cell"
    rb = Runbook(nb, env, env_data, values, sources, region=values[region] if region else None)
    if not rb.headless:  # the runner checked these before the kernel started
        from . import incidents

        rb.incident = incidents.require(nb, rb.evidence, rb.incident, headless=False)
        if "incident_id" in values:
            values["incident_id"] = rb.incident
        params.needed_with(specs, values, nb.name, "the parameters cell")
    masked = params.Resolved(dict(values), sources).masked(specs)
    for n, p in specs.items():
        value = params.expand(values[n])  # by hand, a secret from the environment file may be `${OPSLIB_SANDBOX_URL}/...`
        values[n] = Secret.parse(value) if p.secret else value
        refuse_short(n, values[n].reveal() if p.secret else "")
    namespace.update(values)
    rb.journal("session-start", mode="headless" if rb.headless else "interactive", parameters=masked, parameter_sources=sources)
    return rb


def _injected_sources() -> dict:
    """Where the runner found each value it injected (`-p`, the environment file, a default)."""
    import json

    from .params import SOURCES_VARIABLE

    try:
        found = json.loads(os.environ.get(SOURCES_VARIABLE) or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
