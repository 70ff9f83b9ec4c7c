"""`opslib run`: check the input, execute the notebook with papermill, file the evidence.

Every run that gets past input checks, passed, failed, interrupted or killed, leaves its
executed notebook and HTML under runs/YYYY/MM/DD/ and one ledger record:

- From the moment `execute` starts, a signal (SIGINT, SIGTERM, SIGHUP) never raises: it stops the
  kernel, and the main thread, which only waits on papermill's thread, files the run as
  interrupted within seconds. A signal that arrives while evidence is being filed is noted in the
  record and the filing completes.
- A run killed outright (kill -9) leaves its in-flight notebook and a locked note beside it; the
  next opslib command finds the lock free and files the run as `killed` (`inflight.recover`).
- Secrets are scrubbed from every save of the notebook (papermill writes through `_Scrubbed`),
  from the filed notebook and HTML, the ledger, the journal and the console.
"""

import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import catalog, checks, environment, filing, inflight, keep_out_iri_grammar, params, witness
from . import store as stores
from .errors import BadInput, OpsError
from .journal import who
from .kernel import IMPORTS, EarlyKernel
from .zygote import KERNEL_NAME as zygote_kernel
from .zygote import stands_for_python3
from .ledger import Evidence
from .secrets import refuse_short, register, scrub
from .signals import Signals, describe

EXIT_OK, EXIT_CHECK, EXIT_INPUT, EXIT_NOTEBOOK = 0, 1, 2, 3
_INCIDENT = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
STOP_GRACE_S = 20  # after a stop signal, how long papermill's thread may take to give up


@dataclass
class Plan:
    """Everything decided before a kernel starts."""

    notebook: catalog.Notebook
    env: str
    env_data: dict
    specs: dict
    resolved: params.Resolved
    runs_dir: Path
    settings: environment.EvidenceSettings
    incident: str = ""
    kernel_env: dict = field(default_factory=dict)
    injected: dict = field(default_factory=dict)
    witness: object = None  # witness.for_environment(): None or a callable making it
    store: object = None  # store.for_environment(): None or a callable making the team's evidence store
    notes: list = field(default_factory=list)  # what the console should say before the run
    endpoint: str = "aws"  # where its AWS calls go (environment.endpoint), recorded with the run
    target: str = ""  # one of the environment's targets (account/region, opslib.targets), recorded with the run


@dataclass
class Outcome:
    run_id: str
    status: str
    exit_code: int
    report: checks.Report
    output: Path | None
    html: Path | None
    record: dict
    reason: str = ""
    phases: dict = field(default_factory=dict)  # seconds spent where, for benchmarks/
    notes: list = field(default_factory=list)  # what the console should say besides the checks
    actions: list = field(default_factory=list)  # the run's planned, applied and stale action records, from the journal


def prepare_targets(name: str, env: str, overrides: list[str], incident: str = "", runs_dir: Path | None = None, target: str = "") -> list[Plan]:
    """One plan, or one per target of the environment (account x region): each with the target's account in its kernel's
    AWS settings and its region as the notebook's `region` (or `regions`) unless -p gives one."""
    from . import targets
    from .aws import TARGET_VARIABLE

    found = targets.expand(environment.load(env))
    if target and target not in {t["name"] for t in found}:
        raise BadInput(f"--target {target} is not one of {env}'s targets", f"use one of {', '.join(t['name'] for t in found) or '(none: parameters/' + env + '.yaml names no targets)'}")
    found = [t for t in found if not target or t["name"] == target]
    if not found:
        return [prepare(name, env, overrides, incident, runs_dir)]
    specs, given = catalog.find(name).spec(), params.parse_overrides(overrides)
    plans = []
    for target in found:
        region = ([f"region={target['region']}"] if "region" in specs and "region" not in given else []) + \
                 ([f"regions=[{target['region']}]"] if "regions" in specs and "regions" not in given else [])
        plan = prepare(name, env, [*overrides, *region], incident, runs_dir)
        plan.target = target["name"]
        plan.kernel_env[TARGET_VARIABLE] = targets.variable(target)
        plans.append(plan)
    return plans


def prepare(name: str, env: str, overrides: list[str], incident: str = "", runs_dir: Path | None = None) -> Plan:
    """All input checks; raises BadInput before anything starts, is written or touches AWS."""
    if incident and not _INCIDENT.fullmatch(incident):
        raise BadInput(f"--incident {incident!r} holds characters other than letters, digits, '.', '_' and '-'", "e.g. --incident INC-2026-1123-001")
    from .paths import runs_dir as default_runs_dir

    runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    nb = catalog.find(name)
    env_data = environment.load(env)
    environment.check_endpoint(env, env_data)
    settings = environment.evidence_settings(env_data, env)
    filing.check_runs_dir(runs_dir)
    specs = nb.spec()
    resolved = params.resolve(specs, nb.name, env, env_data, params.parse_overrides(overrides))
    if incident and "incident_id" in specs:
        resolved.values["incident_id"], resolved.sources["incident_id"] = incident, "--incident"
    from . import incidents

    store = stores.for_environment(env, env_data, runs_dir)
    incidents.require(nb, Evidence(runs_dir), incident or resolved.values.get("incident_id") or "", elsewhere=stores.incident_copy(store, runs_dir))
    incidents.check_declaration(nb, resolved.values)
    params.needed_with(specs, resolved.values, nb.name, "-p")
    _check_authorization(nb, env, env_data, resolved.values, incident)
    _check_profile(env, env_data)
    plan = Plan(nb, env, env_data, specs, resolved, runs_dir, settings, incident)
    plan.witness = witness.for_environment(env, env_data, runs_dir)
    plan.store = store
    if (env_data.get("aws") or {}).get("endpoint_url") == "sandbox":
        import opslib_sandbox as sandbox

        was_up, began = sandbox.status() is not None, time.monotonic()
        plan.kernel_env.update(sandbox.kernel_env())
        if not was_up:
            plan.notes.append(f"started the sandbox at {plan.kernel_env['OPSLIB_SANDBOX_URL']} in {time.monotonic() - began:.0f} s; "
                              "it stays up for the next runs (`opslib sandbox down` stops it)")
    environ = {**os.environ, **{k: v for k, v in plan.kernel_env.items() if v is not None}}
    plan.endpoint = environment.endpoint(env_data, environ)
    for pname, value in resolved.values.items():
        spec = specs.get(pname)
        if spec and spec.secret:
            plan.injected[pname] = _secret(pname, value, resolved.sources.get(pname), plan, environ)
        else:
            value = params.expand(value, strict=True, environ=environ) if resolved.from_file(pname) else value
            plan.injected[pname] = value
    resolved.values.update({k: v for k, v in plan.injected.items() if not specs[k].secret})
    allow = bool((env_data.get("http") or {}).get("allow_link_local"))
    _check_urls(plan.injected, specs, allow)
    from .services.http import LINK_LOCAL_VARIABLE

    plan.kernel_env[LINK_LOCAL_VARIABLE] = "1" if allow else None
    plan.kernel_env[filing.MODE_VARIABLE] = settings.mode
    plan.kernel_env[params.SOURCES_VARIABLE] = json.dumps(resolved.sources)
    return plan


def prepare_many(names: list[str], area: str, env: str, overrides: list[str], incident: str = "", runs_dir: Path | None = None, target: str = "") -> list[Plan]:
    """Every run of a batch checked before any starts. A `-p` goes to each notebook that declares it;
    one that none of them declares is bad input."""
    from .errors import did_you_mean

    if area:
        known = sorted({nb.area for nb in catalog.all_notebooks()})
        if area not in known:
            raise BadInput(f"no area '{area}'", did_you_mean(area, known) or f"the areas are: {', '.join(known)}")
        names = [*names, *(nb.name for nb in catalog.all_notebooks() if nb.area == area)]
    names = list(dict.fromkeys(names))
    if not names:
        raise BadInput("no notebook named", "e.g. opslib run daily-health-check, or opslib run --area health (`opslib list` lists them)")
    if len(names) == 1:
        return prepare_targets(names[0], env, overrides, incident, runs_dir, target)
    given = params.parse_overrides(overrides)
    specs = {name: catalog.find(name).spec() for name in names}
    for pname in given:
        if not any(pname in spec for spec in specs.values()):
            every = sorted({p for spec in specs.values() for p in spec})
            raise BadInput(f"none of {', '.join(names)} has a parameter '{pname}' (from -p)", did_you_mean(pname, every) or "`opslib show NOTEBOOK` lists its parameters")
    return [plan for name in names for plan in prepare_targets(name, env, [o for o in overrides if o.partition("=")[0].strip() in specs[name]], incident, runs_dir, target)]


def _check_authorization(nb: catalog.Notebook, env: str, env_data: dict, values: dict, incident: str) -> None:
    if not (env_data.get("production") and values.get("confirm")) or nb.incident_need == "declares":
        return  # declaring an incident is how its reference comes to exist
    name = nb.name
    reference = (incident or values.get("change_ref") or "").strip()
    pattern = env_data.get("change_ref_pattern", environment.DEFAULT_CHANGE_REF)
    if not reference:
        raise BadInput(f"{name} would change production with no reference", "pass --incident INC-... or -p change_ref=CHG-...")
    if not re.search(pattern, reference):
        raise BadInput(f"reference {reference!r} does not match {pattern} (parameters/{env}.yaml change_ref_pattern)", "pass a real change or incident id, e.g. --incident INC-2026-1123-001")


def _check_profile(env: str, env_data: dict) -> None:
    profile = (env_data.get("aws") or {}).get("profile")
    if not profile:
        return
    import botocore.session

    if profile not in botocore.session.Session().available_profiles:
        raise BadInput(f"AWS profile '{profile}' (parameters/{env}.yaml) is not configured on this machine", f"create it with `aws configure --profile {profile}` (or `aws configure sso --profile {profile}`)")


def _secret(pname: str, value, source: str | None, plan: Plan, environ: dict) -> str:
    """A secret reaches the kernel only through its environment, and only by reference."""
    text = "" if value is None else str(value)
    if not text:
        return text
    if not text.startswith("env:"):
        if source == "-p":
            variable = pname.upper()
            raise BadInput(f"secret {pname} was given in clear with -p, where every user of this machine can read it in the process list",
                           f"export {variable}=... and pass -p {pname}=env:{variable}")
        text = params.expand(text, strict=True, environ=environ)
        variable = f"OPSLIB_SECRET_{pname.upper()}"
        plan.kernel_env[variable] = text
        secret, text = text, f"env:{variable}"
    else:
        secret = environ.get(text[4:])
        if secret is None:
            raise BadInput(f"secret {pname} reads ${text[4:]}, which is not set", f"export {text[4:]}=... or pass -p {pname}=env:OTHER_VARIABLE")
    refuse_short(pname, secret)
    register(secret)
    return text


def _check_urls(values: dict, specs: dict, allow_link_local: bool) -> None:
    from .services.http import refusal

    for pname, value in values.items():
        if not pname.endswith(("url", "urls")) or specs[pname].secret:
            continue
        for url in value if isinstance(value, list) else [value]:
            if not url:
                continue
            problem = refusal(str(url), allow_link_local, resolve=False)
            if problem:
                raise BadInput(f"{pname} {str(url)[:80]!r}: {problem}", "give an http:// or https:// URL" + ("" if "metadata" not in problem else ", or set http.allow_link_local: true in the environment file"))


class _HtmlRenderer:
    """The HTML exporter, made ready (imports, compiled templates) while the kernel works.

    The first rendering in a process costs twice what later ones do; doing a one-cell rendering
    on a thread while the main thread only waits on the kernel takes that off the end of the run.
    Filed pages stand alone: no script or stylesheet is fetched from the network.
    """

    def __init__(self):
        if _PRELOADED is not None:  # the warm process's, ready before it forked this command
            self.exporter, self._lock = _PRELOADED
            self._thread = None
            return
        self.exporter = None
        self._lock = threading.Lock()  # one exporter renders one notebook at a time (a batch shares it)
        self._thread = threading.Thread(target=self._load, daemon=True)
        self._thread.start()

    @staticmethod
    def _make():
        from .html_cache import html_exporter

        return html_exporter(extra_template_basedirs=[str(Path(__file__).parent / "templates")], template_name="evidence")

    def _load(self):
        try:
            self.exporter = self._warmed()
        except Exception:  # render() tries again and reports
            pass

    @classmethod
    def _warmed(cls):
        import nbformat

        exporter = cls._make()
        exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("warm")]))
        return exporter

    def render(self, nb) -> str:
        """A rendering failure must not cost the run its ledger record."""
        if self._thread is not None and self._thread.is_alive():
            self._thread.join()
        try:
            with self._lock:
                if self.exporter is None:
                    self.exporter = self._make()
                body, _ = self.exporter.from_notebook_node(nb)
            return body
        except Exception as exc:
            from .templating import render

            return render("render_failed.html.j2", kind=type(exc).__name__, message=str(exc))


_PRELOADED = None  # (exporter, its lock): made once in the warm process (opslib.warm), shared by the commands it serves


def preload() -> None:
    """What the warm process loads before it serves any command: what `opslib run` imports, and a
    rendered-once HTML exporter. Nothing here starts a thread: commands are forked from this state."""
    global _PRELOADED
    from jupyter_client import AsyncKernelManager  # noqa: F401

    from . import advice, cli, evidence_index, inflight, report, secrets, templating, verification, witness  # noqa: F401

    _papermill()
    _PRELOADED = (_HtmlRenderer._warmed(), threading.Lock())


def _papermill():
    keep_out_iri_grammar()  # before anything imports nbformat
    with IMPORTS:
        import papermill
        from papermill.iorw import papermill_io

        if not any(scheme == _Scrubbed.SCHEME for scheme, _ in papermill_io._handlers):
            papermill_io.register(_Scrubbed.SCHEME, _SCRUBBED)
    return papermill


class _Scrubbed:
    """papermill's output handler: every save of the in-flight notebook is scrubbed of secrets and
    written whole, at the evidence mode. A notebook left by a killed run holds no secret."""

    SCHEME = "opslib-scrubbed://"

    def __init__(self):
        self.found: dict[str, int] = {}  # path -> secrets masked in its latest save

    def write(self, buf, path):
        import json

        from .secrets import scrub_tree

        nb, self.found[path[len(self.SCHEME):]] = scrub_tree(json.loads(buf))
        filing.write_text(Path(path[len(self.SCHEME):]), json.dumps(nb, indent=1, ensure_ascii=False) + "\n", durable=False)

    def read(self, path):
        return Path(path[len(self.SCHEME):]).read_text()

    def listdir(self, path):
        return os.listdir(path[len(self.SCHEME):])

    def pretty_path(self, path):
        return path[len(self.SCHEME):]


_SCRUBBED = _Scrubbed()


def execute(plan: Plan, fail_on: str = "critical", cell_timeout: int | None = None, progress: bool = True,
            signals: Signals | None = None) -> Outcome:
    """Run and file under `plan.runs_dir`. Pass `signals` to stay shielded after filing too (the CLI, while it prints)."""
    from .warm import resident

    if signals is not None:
        return _execute(plan, fail_on, cell_timeout, progress, signals, zygote=resident())
    with Signals() as own:
        return _execute(plan, fail_on, cell_timeout, progress, own, zygote=resident())


def _execute(plan: Plan, fail_on: str, cell_timeout, progress: bool, signals, batch: bool = False, zygote=None, shared_renderer=None) -> Outcome:
    """`batch`: the process's environment and umask were set once for all the batch's runs (run_many);
    `zygote`: the batch's pre-imported process its kernel is forked from; `shared_renderer`: the batch's HTML renderer."""
    keep_out_iri_grammar()  # before anything imports nbformat
    runs_dir = plan.runs_dir
    run_id = uuid.uuid4().hex[:10]
    env = _run_env(plan, run_id)
    kernel_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    saved_env = {k: os.environ.get(k) for k in env}
    if not batch:
        _set_env(env)  # the evidence mode included: files of this process and of the kernel come out at it
        old_umask = os.umask(filing.umask())
    evidence = Evidence(runs_dir, plan.settings.hmac_key)
    started = datetime.now(timezone.utc)
    notebook = f"{plan.notebook.area}/{plan.notebook.name}"
    meta = {"run_id": run_id, "notebook": notebook, "source": str(plan.notebook.path), "env": plan.env, "incident": plan.incident,
            "started": started.isoformat(timespec="seconds"), "parameters": plan.resolved.masked(plan.specs),
            "parameter_sources": plan.resolved.sources, "endpoint": plan.endpoint, "target": plan.target, **who()}
    flight = None
    try:
        flight = inflight.begin(runs_dir, meta)
        early = _index_notes(evidence)
        evidence.journal.append({"kind": "run-start", "at": meta["started"], **{k: meta[k] for k in ("run_id", "notebook", "env", "incident", "user", "host")}})
    except OSError as exc:
        if flight is not None:
            flight.done()
        if not batch:
            os.umask(old_umask)
            _set_env(saved_env)
        if not filing.no_room(exc):
            raise
        raise OpsError(f"{plan.notebook.name} was not started: {exc.strerror} in {runs_dir}", "free space there and run it again") from None
    status, reason = "passed", ""
    t0 = time.perf_counter()
    wall0 = time.time()
    phases: dict = {}
    renderer = shared_renderer
    kernel = None
    try:
        if not signals.stopped:
            forked = {"kernel_name": zygote_kernel, "specs": zygote.specs()} if zygote is not None and stands_for_python3() else {}
            kernel = EarlyKernel(cwd=str(plan.notebook.path.parent), env=kernel_env, **forked)
            signals.on_stop = kernel.kill
            if signals.stopped:  # arrived while the kernel was being made
                kernel.kill()
            outcome: dict = {}
            worker = threading.Thread(target=_papermill_thread, args=(plan, flight.notebook, kernel, cell_timeout, progress, outcome, phases, t0), daemon=True)
            worker.start()
            renderer = renderer or _HtmlRenderer()
            deadline = None
            while worker.is_alive():
                worker.join(0.2)
                if signals.stopped and deadline is None:
                    deadline = time.monotonic() + STOP_GRACE_S
                if deadline is not None and time.monotonic() > deadline:
                    break
            if "error" in outcome:
                status, reason = "failed", _reason(outcome["error"])
    finally:
        # every output is in hand: the kernel is shut down while the run is filed, and waited for before returning
        stopper = threading.Thread(target=kernel.stop, kwargs={"timeout": 10}, daemon=True) if kernel is not None else None
        if stopper is not None:
            stopper.start()
            phases["kernel answered"] = kernel.ready_after or 0.0
        signals.filing = True  # from here on a signal is noted, not obeyed
    if signals.stopped:
        status, reason = "interrupted", "interrupted by " + describe(signals.received)
    duration = time.perf_counter() - t0
    phases["papermill"] = duration - phases.get("import papermill", 0)
    try:
        nb = _load_output(flight.notebook, plan.notebook.path)
        phases.update(_cell_phases(nb, wall0 + phases.get("import papermill", 0), wall0 + duration))
        try:
            outcome = file_run(evidence, meta, nb, status, reason, fail_on, duration, plan.witness, renderer,
                               noted=signals.during_filing, masked=_SCRUBBED.found.pop(str(flight.notebook), 0), store=plan.store)
        except OSError as exc:
            if not filing.no_room(exc):
                raise
            raise OpsError(f"run {run_id} could not be filed: {exc.strerror} in {runs_dir}",  # not even its record: the note in .inflight stays
                           "free space there; the next opslib command files it (as killed)") from None
        phases["file evidence"] = time.perf_counter() - t0 - duration
        outcome.phases = phases
        outcome.notes[:0] = early
        flight.done()
        return outcome
    finally:
        if stopper is not None:
            stopper.join(25)
        if not batch:
            os.umask(old_umask)
            _set_env(saved_env)


def _run_env(plan: Plan, run_id: str) -> dict:
    """What the run's kernel is told (None: unset), on top of this process's environment."""
    return {"OPSLIB_RUN_ID": run_id, "OPSLIB_RUNS_DIR": str(plan.runs_dir), "OPSLIB_INCIDENT": plan.incident, **plan.kernel_env}


def run_many(plans: list[Plan], fail_on: str, cell_timeout, signals: Signals, jobs: int, report) -> list:
    """Several runs from one command, `jobs` at a time: the process, its imports and its sandbox are
    paid for once; each run is still a run of its own (kernel, evidence, exit code). `report(plan,
    outcome)` is called in the plans' order as each completes (outcome None: not started, a signal came first).
    The plans share an environment, so its settings (evidence mode, sandbox credentials) are set once."""
    from concurrent.futures import ThreadPoolExecutor

    shared = {k: v for k, v in plans[0].kernel_env.items() if all(p.kernel_env.get(k) == v for p in plans)
              and not k.startswith("OPSLIB_SECRET_") and k != params.SOURCES_VARIABLE}
    saved_env = {k: os.environ.get(k) for k in shared}
    _set_env(shared)
    old_umask = os.umask(filing.umask())
    results: list = [None] * len(plans)
    from .warm import resident
    from .zygote import Zygote

    zygote = resident() or Zygote()
    renderer = _HtmlRenderer()

    def one(i: int):
        if signals.stopped:
            return None
        return _execute(plans[i], fail_on, cell_timeout, False, signals.watch(), batch=True, zygote=zygote if zygote.ready() else None,
                        shared_renderer=renderer)

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="opslib-run") as pool:
            futures = [pool.submit(one, i) for i in range(len(plans))]
            for i, future in enumerate(futures):
                while not future.done():  # the main thread waits in short steps: signal handlers run between
                    time.sleep(0.1)
                results[i] = future.result()
                report(plans[i], results[i])
    finally:
        zygote.close()
        os.umask(old_umask)
        _set_env(saved_env)
    return results


def _index_notes(evidence) -> list[str]:
    """Bring the evidence index up to date before the run adds to the chains: a missing or broken
    one is rebuilt now, and said, rather than mistaken for a new runs directory at filing."""
    from .evidence_index import Index

    try:
        with Index.open(evidence) as index:
            return index.notes
    except Exception as exc:  # filing tries again
        return [f"evidence index: {type(exc).__name__}: {exc}"]


def _papermill_thread(plan: Plan, output: Path, kernel: EarlyKernel, cell_timeout, progress: bool, outcome: dict, phases: dict, t0: float) -> None:
    try:
        pm = _papermill()
        phases["import papermill"] = time.perf_counter() - t0
        pm.execute_notebook(
            str(plan.notebook.path), _Scrubbed.SCHEME + str(output), parameters=plan.injected, kernel_name="python3",
            cwd=str(plan.notebook.path.parent), progress_bar=progress, request_save_on_cell_execute=True,
            execution_timeout=cell_timeout, report_mode=False, km=_started(kernel),
        )
    except BaseException as exc:  # PapermillExecutionError, CellTimeoutError, DeadKernelError, ...
        outcome["error"] = exc


def file_run(evidence: Evidence, meta: dict, nb: dict, status: str, reason: str, fail_on: str, duration: float,
             witness, renderer=None, noted=(), filed_by: str = "", masked: int = 0, store=None) -> Outcome:
    """File one run: the scrubbed notebook and its HTML under the dated path, the ledger record, the
    journal's run-end record, and both heads to the witness. Shared by runs and killed-run recovery."""
    import nbformat

    from .secrets import scrub_tree

    keep_out_iri_grammar()  # before anything imports nbformat
    runs_dir = evidence.root
    nb, found_nb = scrub_tree(nb)
    report = checks.from_notebook(nb)
    next_step = checks.next_from_notebook(nb)
    if status == "passed":
        status = checks.RUN_STATUS[report.worst] if report else "passed"
    exit_code = _exit_code(status, fail_on)
    reason, _ = scrub(reason)
    started = datetime.fromisoformat(meta["started"])
    name = meta["notebook"].split("/")[-1]
    nb.setdefault("metadata", {})["opslib"] = {
        "run_id": meta["run_id"], "notebook": meta["notebook"], "env": meta["env"], "incident": meta["incident"],
        "status": status, "reason": reason, "exit_code": exit_code, "checks": [c.to_dict() for c in report],
        "started": meta["started"], "started_text": f"{started:%Y-%m-%d %H:%M} UTC",
        "verdict": reason or (report.verdict() if report else "no checks recorded."),
        "header": checks.header_from_notebook(nb),
    }
    nb["metadata"]["title"] = f"{name} · {meta['env']} · {started:%Y-%m-%d %H:%M} UTC · {status.upper()}"
    if status in ("failed", "interrupted", "killed") and not _has_banner(nb):
        nb["cells"].insert(0, _banner(status, reason))
    base = runs_dir / started.strftime("%Y/%m/%d") / f"{name}__{meta['env']}__{started.strftime('T%H%M%SZ')}__{meta['run_id']}"
    node = nbformat.from_dict(nb)
    text = nbformat.writes(node)
    output, html = base.with_suffix(".ipynb"), base.with_suffix(".html")
    renderer = renderer or _HtmlRenderer()
    html_text, found_html = scrub(renderer.render(node))
    unwritten = ""
    try:
        filing.write_text(output, text)
        filing.write_text(html, html_text)
    except OSError as exc:
        if not filing.no_room(exc):
            raise
        for path in (output, html):  # neither, rather than half of the evidence
            path.unlink(missing_ok=True)
        unwritten = f"its notebook and HTML could not be written ({exc.strerror}: {Path(exc.filename or output).name})"
        status, exit_code = "failed", EXIT_NOTEBOOK
        reason = f"{reason}; {unwritten}" if reason else unwritten
    from .ledger import sha256_file

    record = {
        "run_id": meta["run_id"], "user": meta["user"], "host": meta["host"], "started": meta["started"],
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), "duration_s": round(duration, 2),
        "notebook": meta["notebook"], "env": meta["env"], "parameters": meta["parameters"], "parameter_sources": meta.get("parameter_sources", {}), "incident": meta["incident"],
        "status": status, "exit_code": exit_code, "reason": reason, "checks": report.counts(),
        "output": "" if unwritten else output.relative_to(runs_dir).as_posix(), "output_sha256": "" if unwritten else sha256_file(output),
        "html": "" if unwritten else html.relative_to(runs_dir).as_posix(), "html_sha256": "" if unwritten else sha256_file(html),
        "secrets_redacted": masked + found_nb + found_html,
    }
    if next_step:
        record["next"] = next_step  # what the run said to do next: the console's last lines, the post-mortem's
    if unwritten:
        record["unwritten"] = ["notebook", "html"]  # the record says what is missing, and verify does not look for it
    if meta.get("endpoint"):
        record["endpoint"] = meta["endpoint"]  # where its AWS calls went: AWS, or which fake
    if noted:
        record["signals_during_filing"] = list(noted)
    if filed_by:
        record["filed_by"] = filed_by
    if meta.get("target"):
        record["target"] = meta["target"]  # which account/region of the environment's targets
    if os.environ.get("OPSLIB_SCHEDULE_ENTRY"):  # started by `opslib schedule fire` (cron): which entry
        record["mode"], record["schedule_entry"] = "scheduled", os.environ["OPSLIB_SCHEDULE_ENTRY"]
    record = evidence.ledger.append(record)
    journal_head = evidence.journal.append({"kind": "run-end", "at": record["finished"], "run_id": meta["run_id"], "notebook": meta["notebook"],
                                            "env": meta["env"], "incident": meta["incident"], "status": status, "counts": report.counts(),
                                            "ledger_seq": record["seq"], "user": meta["user"], "host": meta["host"]})
    notes = []
    if witness is not None:  # first: a run killed during the slower work below is still witnessed
        from .witness import Point

        try:
            witness().record(runs_dir, [Point("ledger", record["seq"], record["hash"], meta["run_id"]),
                                      Point("journal", journal_head["seq"], journal_head["hash"], meta["run_id"])])
        except Exception as exc:  # the run is filed; say loudly that its head is not witnessed
            notes.append(f"witness: the head (ledger seq {record['seq']}) could not be recorded: {type(exc).__name__}: {scrub(str(exc))[0][:200]}")
    if store is not None:
        notes += send_to_store(store(), evidence, meta["run_id"], meta["env"], witness)
    actions = []
    try:
        from .evidence_index import Index
        from .report import write_index

        with Index.open(evidence) as index:  # takes in this run's records only
            write_index(evidence, meta["run_id"], index)
            actions = index.actions(meta["run_id"], statuses=("applied", "planned", "stale"))  # stale: refused, and the plan now
            notes += index.notes
    except Exception as exc:  # the run is filed; the pages catch up at the next run
        notes.append(f"runs/index.html not updated: {'no space left on the device' if unwritten else f'{type(exc).__name__}: {exc}'}")
    return Outcome(meta["run_id"], status, exit_code, report, output, html, record, reason, notes=notes, actions=actions)


def send_to_store(store, evidence: Evidence, run_id: str = "", env: str = "", witness=None) -> list[str]:
    """What waits for the team's store goes now, and the witness (a maker, as file_run's) sees where the store's chain
    ends; when it cannot, one line and a journal record say so (sent later, marked late)."""
    try:
        store.send(evidence, run_id)
    except Exception as exc:  # unreachable, denied, a full disk here: the run is filed; it is said, and sent later
        reason, _ = scrub(str(exc) if isinstance(exc, stores.StoreError) else f"{type(exc).__name__}: {exc}"[:200])
        evidence.journal.append({"kind": "store-unreached", "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "run_id": run_id,
                                 "env": env, "store": store.url, "reason": reason, **who()})
        return [f"evidence store {store.url} not reached ({reason}); filed here only: {store.waiting(evidence)} record(s) wait "
                f"and go with the next opslib command naming --env {env} (history, verify, report or run)"]
    if witness is None or store.head is None:
        return []
    from .witness import Point

    try:
        witness().record(store.witness_key, [Point("store", store.head[0], store.head[1], run_id)])
        return []
    except Exception as exc:
        return [f"witness: the evidence store's end (record {store.head[0]}) could not be recorded: {type(exc).__name__}: {scrub(str(exc))[0][:200]}"]


def _set_env(env: dict) -> None:
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _cell_phases(nb: dict, started: float, returned: float) -> dict:
    """Split papermill's time into kernel start, cells and kernel shutdown, from its cell stamps."""
    stamps = [c.get("metadata", {}).get("papermill", {}) for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    stamps = [s for s in stamps if s.get("start_time") and s.get("end_time")]
    if not stamps:
        return {}
    first = datetime.fromisoformat(stamps[0]["start_time"]).timestamp()
    last = datetime.fromisoformat(stamps[-1]["end_time"]).timestamp()
    return {"kernel ready": first - started, "cells": last - first}


def _started(kernel: EarlyKernel):
    manager = kernel.ready_manager()
    if manager is None:
        raise RuntimeError(f"kernel did not start: {type(kernel.error).__name__}: {kernel.error}")
    return manager


def _reason(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "PapermillExecutionError":
        return f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}"
    return f"{name}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


def _exit_code(status: str, fail_on: str) -> int:
    if status in ("failed", "interrupted", "killed"):
        return EXIT_NOTEBOOK
    if status in ("critical", "error") or (status == "warn" and fail_on == "warn"):
        return EXIT_CHECK
    return EXIT_OK


def _load_output(output: Path, source: Path) -> dict:
    import nbformat

    for path in (output, source):
        try:
            return nbformat.read(path, as_version=4)
        except (OSError, ValueError):
            continue
    return nbformat.v4.new_notebook()


def _has_banner(nb: dict) -> bool:
    return any("papermill-error-cell-tag" in c.get("metadata", {}).get("tags", []) for c in nb["cells"][:2])


def _banner(status: str, reason: str) -> dict:
    from .templating import render

    text = render("banner.html.j2", status=status, reason=reason).strip()
    return {"cell_type": "markdown", "id": f"opslib-{status}", "metadata": {"tags": ["opslib-status-banner"]}, "source": [text]}
