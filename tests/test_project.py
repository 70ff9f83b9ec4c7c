"""The project as a new user meets it: install files in step, README commands, clean notebooks, list/show."""

import re
import tomllib

import nbformat
import pytest
import yaml

from conftest import ROOT, opslib
from opslib import catalog, params
from opslib.errors import BadInput


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower()


CONDA_NAMES = {"redis-py": "redis"}  # conda-forge's name for the client ("redis" there is the server)


def _spec(requirement: str) -> str:
    spec = re.sub(r"\[.*?\]", "", requirement).replace(" ", "").lower()
    return next((pip + spec[len(conda):] for conda, pip in CONDA_NAMES.items() if spec.startswith(conda)), spec)


def test_pyproject_and_environment_yml_list_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    conda = [d for d in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"] if isinstance(d, str) and _name(d) not in ("python", "pip")]
    assert sorted(map(_spec, pip)) == sorted(map(_spec, conda))


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    lines = [l for l in (ROOT / "README.md").read_text().splitlines() if l.strip()]
    commands = [l.strip().strip("`") for l in lines[1:6] if l.strip().startswith("`")]
    assert len(commands) == 2, lines[:6]
    main, tests = commands
    assert "opslib run daily-health-check --env sandbox" in main
    assert tests in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").rglob("*.ipynb")) + sorted((ROOT / "tests" / "fixtures").rglob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs before committing"


@pytest.mark.parametrize("nb", catalog.all_notebooks(), ids=lambda nb: nb.name)
def test_every_notebook_says_what_it_is_and_has_a_typed_parameters_cell(nb):
    for key in ("purpose", "when to use", "expected time", "impact", "replaces"):
        assert nb.fields.get(key), f"{nb.name}: first cell lacks **{key.capitalize()}:**"
    specs = nb.spec()
    assert "env" in specs and all(p.help for p in specs.values()), f"{nb.name}: every parameter needs a # help comment"


def test_list_shows_area_purpose_and_impact():
    res = opslib("list")
    assert res.returncode == 0
    row = next(l for l in res.stdout.splitlines() if l.startswith("health/daily-health-check"))
    assert "read-only" in row and "Morning health check" in row
    row = next(l for l in res.stdout.splitlines() if l.startswith("health/log-search"))
    assert "can change infra" in row  # its export is a guarded action


def test_show_gives_parameters_and_environments():
    res = opslib("show", "health/daily-health-check")
    assert res.returncode == 0
    assert re.search(r"^error_critical\s+int\s+10\s+\[1\.\.1000000\]\s+ERROR lines in the last 10 minutes that are critical", res.stdout, re.M)
    assert re.search(r"^api_token\s+Secret\s+''", res.stdout, re.M)
    assert "environments: production, sandbox, staging" in res.stdout


def test_show_unknown_notebook_is_bad_input():
    res = opslib("show", "daily-helth-check")
    assert res.returncode == 2 and "did you mean 'daily-health-check'?" in res.stderr


SPEC = params.parse_spec('env: str = "sandbox"  # environment\nn: int = 5  # count\nratio: float = 0.5  # share\nnames: list = []  # names\ntoken: Secret = ""  # secret\nticket: str = ...  # required\n')


def test_precedence_defaults_then_env_file_then_notebook_section_then_cli():
    env_data = {"parameters": {"n": 7, "ratio": 0.7, "unrelated": 1}, "notebooks": {"nb": {"ratio": 0.8}}}
    r = params.resolve(SPEC, "nb", "staging", env_data, {"ticket": "T-1", "names": "[a, b]"})
    assert r.values == {"env": "staging", "n": 7, "ratio": 0.8, "names": ["a", "b"], "token": "", "ticket": "T-1"}
    assert r.sources["n"] == "parameters/staging.yaml" and r.sources["ticket"] == "-p" and r.sources["token"] == "default" and r.sources["env"] == "--env"
    assert params.resolve(SPEC, "nb", "staging", env_data, {"ticket": "T", "n": "9"}).values["n"] == 9


def test_notebook_section_of_an_env_file_is_strict():
    with pytest.raises(BadInput, match=r"nb has no parameter 'ration' \(from parameters/staging.yaml notebooks.nb\): did you mean 'ratio'\?"):
        params.resolve(SPEC, "nb", "staging", {"notebooks": {"nb": {"ration": 1}}}, {"ticket": "T"})


def test_wrong_type_in_an_env_file_names_the_file():
    with pytest.raises(BadInput, match=r"n from parameters/staging.yaml is str 'x'|n from parameters/staging.yaml is 'x', not an int: set n: 10 \(an int\) in parameters/staging.yaml"):
        params.resolve(SPEC, "nb", "staging", {"parameters": {"n": "x"}}, {"ticket": "T"})


def test_secrets_are_masked_unless_they_name_a_variable():
    r = params.resolve(SPEC, "nb", "sandbox", {}, {"ticket": "T", "token": "hunter2"})
    assert r.masked(SPEC)["token"] == "********"
    r = params.resolve(SPEC, "nb", "sandbox", {}, {"ticket": "T", "token": "env:WEBHOOK"})
    assert r.masked(SPEC)["token"] == "env:WEBHOOK"


@pytest.mark.parametrize("env", sorted(p.stem for p in (ROOT / "parameters").glob("*.yaml") if p.stem != "schedule"))
def test_every_threshold_lives_in_each_environment_file(env):
    sections = yaml.safe_load((ROOT / "parameters" / f"{env}.yaml").read_text()).get("notebooks", {})
    missing = [f"{nb.name}.{name}" for nb in catalog.all_notebooks() for name in nb.spec()
               if re.search(r"(^|_)(warn|critical)(_|$)", name) and name not in sections.get(nb.name, {})]
    assert not missing, f"parameters/{env}.yaml lacks thresholds: {missing}"
