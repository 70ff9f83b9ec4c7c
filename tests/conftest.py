"""Tests run against a real sandbox (moto server over HTTP) started once per session."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opslib import keep_out_iri_grammar

keep_out_iri_grammar()  # each worker imports nbformat (and so jsonschema): 2 s of CPU for a grammar nothing here uses

ROOT = Path(__file__).resolve().parent.parent


def jupyter(app_module: str) -> list[str]:
    """`python -m jupyterlab` (or `jupyter server`), its IRI grammar kept out as opslib's own processes do (2-3 s of CPU a start)."""
    return [sys.executable, "-c", f"import sys, opslib; opslib.keep_out_iri_grammar(); from {app_module} import main; sys.exit(main())"]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"


@pytest.fixture(scope="session", autouse=True)
def sandbox_dir(tmp_path_factory):
    """An isolated sandbox for the session; stopped at the end with nothing left running."""
    folder = tmp_path_factory.mktemp("sandbox")
    os.environ["OPSLIB_SANDBOX_DIR"] = str(folder)
    os.environ["OPSLIB_HOME"] = str(ROOT)
    os.environ["OPSLIB_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))  # the sandbox env's file witness
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("OPSLIB_SANDBOX_PACE", "1")  # ECS rollouts a second a step: not instant, not slow
    import tempfile

    runtime = Path(tempfile.mkdtemp(prefix="rt-"))  # short: a socket's path has room for 107 bytes
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)  # this worker's own warm process (opslib.warm), not the developer's
    os.environ["OPSLIB_WARM_IDLE_S"] = "120"
    yield folder
    import opslib_sandbox as sandbox

    sandbox.down()
    stop_warm(runtime)
    import shutil

    shutil.rmtree(runtime, ignore_errors=True)


def stop_warm(runtime: Path) -> None:
    """Stop the warm processes whose socket is under `runtime`."""
    import signal

    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a.startswith(str(runtime).encode()) for a in args) and b"from opslib import warm; warm.main()" in args:
            try:
                os.kill(int(cmdline.parent.name), signal.SIGTERM)
            except OSError:
                pass


@pytest.fixture(scope="session")
def sandbox_url(sandbox_dir):
    import opslib_sandbox as sandbox

    return sandbox.up()


@pytest.fixture
def healthy(sandbox_url):
    """A freshly reset, healthy sandbox. Whoever needs it healthy resets it first; afterwards only
    faults are cleared (cheap), so tests that merely read the sandbox are not refused."""
    import opslib_sandbox as sandbox

    sandbox.control("reset")
    yield sandbox_url
    sandbox.control("faults", [])


@pytest.fixture
def aws(sandbox_url, monkeypatch):
    import opslib_sandbox as sandbox
    from opslib.aws import Aws, AwsSettings

    for k, v in sandbox.FAKE_CREDENTIALS.items():
        monkeypatch.setenv(k, v)
    return Aws(AwsSettings(endpoint_url=sandbox_url, max_attempts=3))


@pytest.fixture
def kernel_tripwire(tmp_path):
    """A `python3` kernelspec found first on JUPYTER_PATH that leaves a file when started."""
    marker = tmp_path / "kernel-started"
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    code = f"open({str(marker)!r}, 'w').close(); import runpy, sys; sys.argv[0] = 'ipykernel_launcher'; runpy.run_module('ipykernel_launcher', run_name='__main__')"
    (spec / "kernel.json").write_text(json.dumps({"argv": [sys.executable, "-c", code, "-f", "{connection_file}"], "display_name": "tripwire", "language": "python"}))
    return {"JUPYTER_PATH": str(tmp_path / "jupyter")}, marker


@pytest.fixture(scope="session")
def filed_runs(sandbox_url, tmp_path_factory):
    """Three runs (OK, WARN, CRITICAL), witnessed, and a pristine copy of them."""
    import shutil

    base = tmp_path_factory.mktemp("three-runs")
    runs, pristine = base / "runs", base / "pristine"
    for level in ("OK", "WARN", "CRITICAL"):
        assert opslib("run", str(FIXTURES / "ok.ipynb"), "-p", f"level={level}", "--no-progress", runs=runs).returncode in (0, 1)
    assert len(ledger(runs)) == 3
    shutil.copytree(runs, pristine)
    return runs, pristine


@pytest.fixture
def runs(filed_runs):
    """The three runs as filed, restored at the path their witness knows (tests tamper with them)."""
    import shutil

    runs, pristine = filed_runs
    shutil.rmtree(runs)
    shutil.copytree(pristine, runs)
    return runs


def opslib(*args, runs=None, env=None, timeout=300, **kw) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: a separate process."""
    full_env = dict(os.environ, **(env or {}))
    if runs is not None:
        full_env["OPSLIB_RUNS_DIR"] = str(runs)
    return subprocess.run([sys.executable, "-m", "opslib.cli", *args], capture_output=True, text=True, env=full_env, timeout=timeout, **kw)


def eventually(read, done, timeout: float = 30, every: float = 0.25) -> list:
    """Everything `read()` returned, polled until `done(last)` or the timeout (the sandbox takes
    time, as AWS does): a test asserts on the last and on the way there."""
    import time

    seen, deadline = [read()], time.monotonic() + timeout
    while not done(seen[-1]) and time.monotonic() < deadline:
        time.sleep(every)
        seen.append(read())
    return seen


def ledger(runs: Path) -> list[dict]:
    path = runs / "ledger.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def aws_calls() -> int:
    import opslib_sandbox as sandbox

    return sandbox.status()["aws_calls"]


def project(tmp_path: Path, envs: dict, base: str | None = "sandbox", notebooks: Path | None = None) -> Path:
    """A project folder (OPSLIB_HOME) with the real notebooks and environments plus `envs`:
    name -> YAML appended to parameters/<base>.yaml (or the whole file when base is None)."""
    home = tmp_path / "project"
    (home / "parameters").mkdir(parents=True)
    (home / "notebooks").symlink_to(notebooks or ROOT / "notebooks")
    for path in (ROOT / "parameters").glob("*.yaml"):
        (home / "parameters" / path.name).write_text(path.read_text())
    (home / "parameters" / "incidents").symlink_to(ROOT / "parameters" / "incidents")  # severity scales
    start = (ROOT / "parameters" / f"{base}.yaml").read_text() if base else ""
    for name, text in envs.items():
        (home / "parameters" / f"{name}.yaml").write_text(start + text)
    return home


def declare(runs: Path, service: str = "EC2 Manager Production", at=None, resolved: bool = False):
    """A P1 incident in `runs`, the records as incident-declare (and incident-update, `resolved`) write them."""
    from opslib import incidents
    from opslib.journal import who
    from opslib.ledger import Evidence
    from opslib.severity import classify

    level = classify(service, True, False, 0, False)
    session = {**who(), "run_id": "setup", "env": "sandbox"}
    inc = incidents.declare(Evidence(runs), session, level, service, "Complete service outage", "set up by a test", "@tester", at)
    if resolved:
        incidents.append(Evidence(runs), incidents.RESOLVED, inc.id, session, root_cause="a test", resolution="the test ended", duration_s=1)
    return inc


def judge_in_process(name: str, runs: Path, monkeypatch, checks: bool = False, **values) -> list:
    """A notebook's own code (its jupytext script, cell by cell) run in this process against the sandbox,
    as a responder steps through it: no kernel, no papermill, no filing. Its rows as `opslib run` prints
    them (`checks=True`: the rows). For the scenario matrices, where the kernel adds nothing; every notebook keeps one end-to-end run."""
    import contextlib
    import io
    import re

    from opslib import catalog

    nb = catalog.find(name)
    monkeypatch.setenv("OPSLIB_RUNS_DIR", str(runs))
    monkeypatch.delenv("OPSLIB_RUN_ID", raising=False)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "OPSLIB_SANDBOX_URL"):
        monkeypatch.setenv(key, os.environ.get(key, ""))  # the by-hand path sets these in the process: put back after
        if not os.environ[key]:
            monkeypatch.delenv(key)
    namespace: dict = {"__name__": "__main__"}
    cells = re.split(r"^# %%(.*)$", nb.path.with_suffix(".py").read_text(), flags=re.M)
    with contextlib.redirect_stdout(io.StringIO()):
        for header, body in zip(cells[1::2], cells[2::2]):
            if "[markdown]" in header:
                continue
            exec(compile(body, f"{nb.path.name} cell", "exec"), namespace)
            if "parameters" in header:
                namespace.update(values)
    if checks:  # the rows themselves, for code that takes a report
        return list(namespace["rb"].results)
    return [f"{c.status:<8} {c.id:<30} {c.resource:<28} {c.sentence}" for c in namespace["rb"].results]
