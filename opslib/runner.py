"""`opslib run`: check the input, execute the notebook with papermill, file the evidence.

Every run that gets past input checks, passed, failed or interrupted, leaves its executed
notebook and HTML under runs/YYYY/MM/DD/ and one ledger record.
"""

import json
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import catalog, checks, params
from .errors import BadInput
from .journal import who
from .kernel import EarlyKernel
from .ledger import Evidence, sha256_file
from .secrets import Secret, redact

EXIT_OK, EXIT_CHECK, EXIT_INPUT, EXIT_NOTEBOOK = 0, 1, 2, 3


class Interrupted(BaseException):
    """SIGTERM (a scheduler's timeout) handled like Ctrl-C: stop, then file what ran."""


@dataclass
class Plan:
    """Everything decided before a kernel starts."""

    notebook: catalog.Notebook
    env: str
    env_data: dict
    specs: dict
    resolved: params.Resolved
    incident: str = ""
    kernel_env: dict = field(default_factory=dict)
    secret_values: list = field(default_factory=list)
    injected: dict = field(default_factory=dict)


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


def prepare(name: str, env: str, overrides: list[str], incident: str = "") -> Plan:
    """All input checks; raises BadInput before anything starts or touches AWS."""
    nb = catalog.find(name)
    env_data = params.load_environment(env)
    specs = nb.spec()
    resolved = params.resolve(specs, nb.name, env, env_data, params.parse_overrides(overrides))
    if incident and "incident_id" in specs:
        resolved.values["incident_id"] = incident
    if env_data.get("production") and resolved.values.get("confirm") and not (incident or resolved.values.get("change_ref")):
        raise BadInput(f"{nb.name} would change production with no reference", "pass --incident INC-... or -p change_ref=CHG-...")
    plan = Plan(nb, env, env_data, specs, resolved, incident)
    for pname, value in resolved.values.items():
        if pname in specs and specs[pname].secret:
            text = "" if value is None else str(value)
            if text and not text.startswith("env:"):
                var = f"OPSLIB_SECRET_{pname.upper()}"
                plan.kernel_env[var] = text
                text = f"env:{var}"
            if text.startswith("env:"):
                value = plan.kernel_env.get(text[4:], os.environ.get(text[4:]))
                if value is None:
                    raise BadInput(f"secret {pname} reads ${text[4:]}, which is not set", f"export {text[4:]}=... or pass -p {pname}=env:OTHER_VARIABLE")
                plan.secret_values.append(value)
            plan.injected[pname] = text
        else:
            plan.injected[pname] = value
    return plan


def _keep_out_iri_grammar():
    # jsonschema builds an IRI grammar (~2 s of CPU) when rfc3987_syntax is importable; notebooks
    # never use IRI formats. Must happen before anything imports nbformat.
    sys.modules.setdefault("rfc3987_syntax", None)


class _HtmlRenderer:
    """The HTML exporter, made ready (imports, compiled templates) while the kernel works.

    The first rendering in a process costs twice what later ones do; doing a one-cell rendering
    on a thread while the main thread only waits on the kernel takes that off the end of the run.
    """

    def __init__(self):
        self.exporter = None
        self._thread = threading.Thread(target=self._load, daemon=True)
        self._thread.start()

    def _load(self):
        try:
            import nbformat
            from nbconvert import HTMLExporter

            exporter = HTMLExporter()
            exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("warm")]))
            self.exporter = exporter
        except Exception:  # render() tries again and reports
            pass

    def render(self, nb) -> str:
        """A rendering failure must not cost the run its ledger record."""
        if self._thread.is_alive():
            self._thread.join()
        try:
            if self.exporter is None:
                from nbconvert import HTMLExporter

                self.exporter = HTMLExporter()
            body, _ = self.exporter.from_notebook_node(nb)
            return body
        except Exception as exc:
            return f"<html><body><h1>HTML rendering failed: {type(exc).__name__}: {exc}</h1><p>Open the .ipynb beside this file.</p></body></html>"


def _papermill():
    _keep_out_iri_grammar()
    import papermill

    return papermill


def execute(plan: Plan, runs_dir: Path, fail_on: str = "critical", cell_timeout: int | None = None, progress: bool = True) -> Outcome:
    _keep_out_iri_grammar()
    evidence = Evidence(runs_dir)
    run_id = uuid.uuid4().hex[:10]
    started = datetime.now(timezone.utc)
    inflight = runs_dir / ".inflight" / f"{run_id}.ipynb"
    inflight.parent.mkdir(parents=True, exist_ok=True)

    env = {"OPSLIB_RUN_ID": run_id, "OPSLIB_RUNS_DIR": str(runs_dir), "OPSLIB_INCIDENT": plan.incident, **plan.kernel_env}
    aws = plan.env_data.get("aws") or {}
    if aws.get("endpoint_url") == "sandbox":
        from . import sandbox

        env.update(sandbox.kernel_env())
    saved_env = {k: os.environ.get(k) for k in env}
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupted)
    injected = {k: params.expand(v) for k, v in plan.injected.items()}
    plan.resolved.values.update({k: v for k, v in injected.items() if not plan.specs[k].secret})

    status, reason = "passed", ""
    t0 = time.perf_counter()
    wall0 = time.time()
    phases = {}
    kernel = EarlyKernel(cwd=str(plan.notebook.path.parent), env=dict(os.environ))
    renderer = None
    try:
        pm = _papermill()
        phases["import papermill"] = time.perf_counter() - t0
        renderer = _HtmlRenderer()  # now, not earlier: until here the kernel start and papermill import need the GIL
        pm.execute_notebook(
            str(plan.notebook.path), str(inflight), parameters=injected, kernel_name="python3",
            cwd=str(plan.notebook.path.parent), progress_bar=progress, request_save_on_cell_execute=True,
            execution_timeout=cell_timeout, report_mode=False, km=_started(kernel),
        )
    except (KeyboardInterrupt, Interrupted) as exc:
        status, reason = "interrupted", "interrupted by " + ("SIGTERM" if isinstance(exc, Interrupted) else "Ctrl-C")
    except Exception as exc:  # PapermillExecutionError, CellTimeoutError, DeadKernelError, ...
        status, reason = "failed", _reason(exc)
    finally:
        stopping = time.perf_counter()
        kernel.stop()
        phases["kernel answered"] = kernel.ready_after or 0.0
        phases["kernel stop"] = time.perf_counter() - stopping
        signal.signal(signal.SIGTERM, previous_term)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    duration = time.perf_counter() - t0
    phases["papermill"] = duration - phases.get("import papermill", 0)

    nb = _load_output(inflight, plan.notebook.path)
    phases.update(_cell_phases(nb, wall0 + phases.get("import papermill", 0), wall0 + duration))
    report = checks.from_notebook(nb)
    if status == "passed":
        status = {checks.OK: "passed", checks.WARN: "warn", checks.CRITICAL: "critical", checks.ERROR: "error"}[report.worst]
        if not report:
            status = "passed"
    exit_code = _exit_code(status, fail_on)
    nb.setdefault("metadata", {})["opslib"] = {
        "run_id": run_id, "notebook": f"{plan.notebook.area}/{plan.notebook.name}", "env": plan.env,
        "incident": plan.incident, "status": status, "reason": reason, "exit_code": exit_code,
        "checks": [c.to_dict() for c in report],
    }
    if status in ("failed", "interrupted") and not _has_banner(nb):
        nb["cells"].insert(0, _banner(status, reason))

    stamp = started.strftime("%Y/%m/%d")
    base = runs_dir / stamp / f"{plan.notebook.name}__{plan.env}__{started.strftime('T%H%M%SZ')}__{run_id}"
    base.parent.mkdir(parents=True, exist_ok=True)
    import nbformat

    text, found_nb = redact(nbformat.writes(nbformat.from_dict(nb)), plan.secret_values)
    output = base.with_suffix(".ipynb")
    output.write_text(text)
    renderer = renderer or _HtmlRenderer()
    html_text, found_html = redact(renderer.render(nbformat.reads(text, as_version=4)), plan.secret_values)
    html = base.with_suffix(".html")
    html.write_text(html_text)
    inflight.unlink(missing_ok=True)

    record = {
        "run_id": run_id, **who(), "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), "duration_s": round(duration, 2),
        "notebook": f"{plan.notebook.area}/{plan.notebook.name}", "env": plan.env,
        "parameters": plan.resolved.masked(plan.specs), "incident": plan.incident, "status": status, "exit_code": exit_code,
        "reason": reason, "checks": report.counts(),
        "output": output.relative_to(runs_dir).as_posix(), "output_sha256": sha256_file(output),
        "html": html.relative_to(runs_dir).as_posix(), "html_sha256": sha256_file(html),
        "secrets_redacted": found_nb + found_html,
    }
    record = evidence.ledger.append(record)
    phases["file evidence"] = time.perf_counter() - t0 - duration
    return Outcome(run_id, status, exit_code, report, output, html, record, reason, phases)


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


def _raise_interrupted(signum, frame):
    raise Interrupted()


def _reason(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "PapermillExecutionError":
        return f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}"
    return f"{name}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


def _exit_code(status: str, fail_on: str) -> int:
    if status in ("failed", "interrupted"):
        return EXIT_NOTEBOOK
    if status in ("critical", "error") or (status == "warn" and fail_on == "warn"):
        return EXIT_CHECK
    return EXIT_OK


def _load_output(inflight: Path, source: Path) -> dict:
    import nbformat

    for path in (inflight, source):
        try:
            return nbformat.read(path, as_version=4)
        except (OSError, ValueError):
            continue
    raise BadInput(f"cannot read {source}", "check the notebook file")


def _has_banner(nb: dict) -> bool:
    return any("papermill-error-cell-tag" in c.get("metadata", {}).get("tags", []) for c in nb["cells"][:2])


def _banner(status: str, reason: str) -> dict:
    text = f'<span style="color:red;font-size:1.3em">Run {status}: {reason}. Cells after the last one with output did not run.</span>'
    return {"cell_type": "markdown", "id": f"opslib-{status}", "metadata": {"tags": ["opslib-status-banner"]}, "source": [text]}
