"""Notebook sources are Python: each percent script and its .ipynb say the same, ruff reads the
scripts like any code, and JupyterLab's save (jupytext's contents manager) keeps a pair in step."""

import ast
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import jupytext
import pytest

from conftest import ROOT, jupyter

def _sources(pattern: str) -> list:
    """Committed sources, not the checkpoints JupyterLab keeps beside them."""
    return sorted(p for p in (ROOT / "notebooks").rglob(pattern) if ".ipynb_checkpoints" not in p.parts)


NOTEBOOKS = _sources("*.ipynb") + sorted((ROOT / "tests" / "fixtures" / "notebooks").glob("*.ipynb"))
SCRIPTS = _sources("*.py") + sorted((ROOT / "tests" / "fixtures" / "notebooks").glob("*.py"))


def cells(path):
    nb = jupytext.read(path)
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_its_script_and_they_say_the_same(path):
    script = path.with_suffix(".py")
    assert script.is_file(), f"{script.name} is missing: run `jupytext --sync {path.relative_to(ROOT)}`"
    assert cells(script) == cells(path), f"{path.name} and {script.name} drifted: run `jupytext --sync {script.relative_to(ROOT)}`"


def test_every_script_has_its_notebook():
    assert [p.name for p in SCRIPTS if not p.with_suffix(".ipynb").is_file()] == []


def test_parameters_cell_is_tagged_in_the_scripts():
    for script in SCRIPTS:
        assert '# %% tags=["parameters"]' in script.read_text(), script.name


def test_papermill_reads_every_parameter_of_every_notebook(capsys):
    """Issue 25: "Unable to parse line 7 'run_options...'. Passed unknown parameter: run_options" on every rollback-container run
    (papermill cannot read a parameter line holding "=" in its value or comment)."""
    from papermill.translators import PythonTranslator

    for path in NOTEBOOKS:
        cell = next(c for c in jupytext.read(path).cells if "parameters" in c.metadata.get("tags", []))
        declared = [line.split(":")[0] for line in cell.source.splitlines() if line and not line.startswith("#")]
        assert [p.name for p in PythonTranslator.inspect(cell)] == declared, path.name
    assert "Unable to parse" not in capsys.readouterr().out


def test_ruff_reads_the_scripts_like_any_code():
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout[-3000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_saving_the_notebook_in_jupyterlab_updates_its_script(tmp_path):
    """A real Jupyter server (what JupyterLab talks to) with the project's jupytext.toml: a notebook
    saved through its contents API writes the paired script too."""
    work = tmp_path / "project"
    (work / "notebooks" / "health").mkdir(parents=True)
    (work / "jupytext.toml").write_text((ROOT / "jupytext.toml").read_text())
    source = ROOT / "notebooks" / "health" / "daily-health-check.ipynb"
    (work / "notebooks" / "health" / source.name).write_text(source.read_text())
    (work / "notebooks" / "health" / "daily-health-check.py").write_text(source.with_suffix(".py").read_text())
    port, token = _free_port(), "opslib-test-token"
    server = subprocess.Popen([*jupyter("jupyter_server.serverapp"), f"--port={port}", "--ip=127.0.0.1", "--no-browser",
                               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--allow-root"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "rt")))
    base = f"http://127.0.0.1:{port}/api/contents/notebooks/health/daily-health-check.ipynb"

    def call(method, body=None):
        req = urllib.request.Request(base, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                model = call("GET")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "jupyter server did not start"
                time.sleep(0.3)
        nb = model["content"]
        cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown" and "## 2." in "".join(c["source"]))
        cell["source"] = "".join(cell["source"]) + "\nEdited in JupyterLab."
        call("PUT", {"type": "notebook", "format": "json", "content": nb})
        assert "# Edited in JupyterLab." in (work / "notebooks" / "health" / "daily-health-check.py").read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)


FORBIDDEN = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.IfExp, ast.Match, ast.Try, ast.With, ast.ListComp, ast.SetComp, ast.DictComp,
             ast.GeneratorExp, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def cell_problems(source: str) -> list[str]:
    """Why a code cell is more than orchestration: over five lines, or a loop, branch or comprehension."""
    lines = [line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
    problems = [f"{len(lines)} lines"] if len(lines) > 5 else []
    problems += sorted({type(node).__name__ for node in ast.walk(ast.parse(source)) if isinstance(node, FORBIDDEN)})
    return problems


@pytest.mark.parametrize("script", _sources("*.py"), ids=lambda p: p.name)
def test_cells_orchestrate_and_display(script):
    """At most five lines a code cell; no loops, branches or comprehensions (logic lives in opslib);
    the parameters cell excepted."""
    bad = {}
    for i, cell in enumerate(jupytext.read(script).cells):
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            problems = cell_problems(cell.source)
            if problems:
                bad[f"cell {i}: {cell.source.splitlines()[0][:60]}"] = problems
    assert bad == {}


def test_the_cell_rule_finds_what_it_forbids():
    assert cell_problems("for g in groups:\n    rb.act(g)") == ["For"]
    assert cell_problems("x = [a for a in b]\ny = 1 if x else 2") == ["IfExp", "ListComp"]
    assert cell_problems("\n".join(f"a{i} = {i}" for i in range(6))) == ["6 lines"]
    assert cell_problems('rb.show(views.alarms_now, alarms)\nrb.judge(checks.firing, alarms, "all")') == []
