"""Hostile and clumsy input: exit 2, one line that names the fix, no kernel, no AWS call, nothing
written under the runs directory. Hundreds of invocations in-process through the CLI's entry
point, and one of each family as a separate process with a tripwire kernel."""

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, aws_calls, opslib
from opslib import cli

HEALTH = ["daily-health-check", "app-health", "alarm-review", "performance-review", "cost-review", "log-search"]
ACT = str(FIXTURES / "act.ipynb")

BAD_ENV_FILES = {
    "yaml-error": ("aws: [unclosed\n", "is not valid YAML at line"),
    "yaml-tab": ("aws:\n\tregion: x\n", "is not valid YAML"),
    "unsafe-tag": ("aws: !!python/object/apply:os.system ['touch /tmp/opslib-pwned']\n", "is not valid YAML"),
    "a-list": ("- 1\n- 2\n", "is a list, not a mapping"),
    "a-string": ("just text\n", "is a str, not a mapping"),
    "params-list": ("parameters: [1, 2]\n", "parameters is a list"),
    "aws-string": ("aws: us-west-2\n", "aws is a str"),
    "nb-list": ("notebooks:\n  daily-health-check: [1]\n", "notebooks.daily-health-check is a list"),
    "prod-text": ("production: 'yes please'\n", "production is 'yes please'"),
    "unknown-section": ("paramters:\n  x: 1\n", "unknown section 'paramters'"),
    "alias-bomb": ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nparameters: {x: *d}\n", "expands to more than"),
    "confirm-set": ("parameters:\n  confirm: true\n", "sets confirm"),
    "standing-change-ref": ("parameters:\n  change_ref: CHG-1234\n", "sets change_ref"),  # issue 23: every production change would carry it
    "lock-negative": ("actions:\n  table: t\n  lock_minutes: -1\n", "actions.lock_minutes is '-1'"),  # two applies at once both applied
    "lock-text": ("actions:\n  table: t\n  lock_minutes: abc\n", "actions.lock_minutes is 'abc'"),
    "approval-text": ("actions:\n  table: t\n  approval: maybe\n", "actions.approval is 'maybe'"),
    "world-writable": ("evidence:\n  mode: '0666'\n", "others could rewrite the evidence"),
    "confirm-set-nb": ("notebooks:\n  act:\n    confirm: true\n", "sets confirm"),
    "bad-pattern": ("change_ref_pattern: '(['\n", "is not a regular expression"),
    "bad-mode": ("evidence:\n  mode: '0777x'\n", "evidence.mode is '0777x'"),
    "world-mode": ("evidence:\n  mode: '0200'\n", "evidence.mode is '0200'"),
    "key-literal": ("evidence:\n  hmac_key: hunter2hunter2\n", "evidence.hmac_key must name a variable"),
    "key-unset": ("evidence:\n  hmac_key: env:OPSLIB_TEST_NO_SUCH_KEY\n", "OPSLIB_TEST_NO_SUCH_KEY, which is not set"),
    "witness-scheme": ("evidence:\n  witness: 'ftp://x/y'\n", "evidence.witness is 'ftp://x/y'"),
    "http-setting": ("http:\n  follow_redirects: true\n", "http.follow_redirects is not a setting"),
    "bad-aws-key": ("aws:\n  regoin: us-west-2\n", "unknown aws setting(s) regoin"),
}

SANDBOX_BASED = {
    "no-profile": ("aws:\n  region: us-west-2\n  profile: opslib-no-such-profile\n", "AWS profile 'opslib-no-such-profile' (parameters/no-profile.yaml) is not configured on this machine: create it with `aws configure --profile opslib-no-such-profile`"),
    "recursive": ("parameters:\n  frontend_url: '${OPSLIB_TEST_LOOP}'\n", "${OPSLIB_TEST_LOOP} expands to another ${...} reference"),
    "unset-var": ("parameters:\n  frontend_url: '${OPSLIB_TEST_UNSET_VAR}/health'\n", "${OPSLIB_TEST_UNSET_VAR} in an environment file is not set"),
    "prodlike": ("production: true\n", None),
    "witness-inside": ("evidence:\n  witness: 'file:{runs}/witness.jsonl'\n", "is inside the runs directory"),
}

BROKEN_NOTEBOOKS = {
    "not-json": ("{ this is not json", "is not a readable notebook"),
    "no-cells": (json.dumps({"cells": 5, "metadata": {}}), "has no list of cells"),
    "not-literal": ("x: int = len('abc')  # computed", "parameter x in the parameters cell of not-literal.ipynb is not a literal"),
    "syntax": ("x: int = = 1", "is not valid Python (line 1"),
    "bad-type": ("x: numpy.ndarray = 1", "parameter x has type numpy.ndarray"),
    "no-value": ("x: int", "parameter x in the parameters cell of no-value.ipynb has no value"),
}


@pytest.fixture(scope="module")
def home(tmp_path_factory, sandbox_url):
    """A project with the real notebooks and environments plus the hostile ones."""
    root = tmp_path_factory.mktemp("hostile")
    runs = root / "runs"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "parameters", root / "parameters")
    for name, (text, _) in BAD_ENV_FILES.items():
        (root / "parameters" / f"{name}.yaml").write_text(text)
    sandbox = (ROOT / "parameters" / "sandbox.yaml").read_text()
    for name, (text, _) in SANDBOX_BASED.items():
        base = sandbox.replace("aws:\n  region: us-west-2\n  endpoint_url: sandbox", "aws:\n  region: us-west-2\n  endpoint_url: sandbox\n  profile: opslib-no-such-profile") if name == "no-profile" else sandbox
        (root / "parameters" / f"{name}.yaml").write_text(base + text.replace("{runs}", str(runs)) if name != "no-profile" else base)
    (root / "parameters" / "huge.yaml").write_text("description: " + "x" * 300_000 + "\n")
    broken = root / "notebooks" / "broken"
    broken.mkdir()
    for name, (text, _) in BROKEN_NOTEBOOKS.items():
        if name in ("not-json", "no-cells"):
            (broken / f"{name}.ipynb").write_text(text)
        else:
            nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# broken"},
                            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": text, "outputs": [], "execution_count": None}],
                  "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
            (broken / f"{name}.ipynb").write_text(json.dumps(nb))
    return root, runs


def numeric_params() -> list[tuple[str, str, str, float | None, float | None]]:
    from opslib import catalog

    out = []
    for name in HEALTH:
        for p in catalog.find(name).spec().values():
            if p.type in ("int", "float"):
                out.append((name, p.name, p.type, p.low, p.high))
    return out


def cases(home: Path, runs: Path) -> list[tuple[str, list[str], str | None]]:
    """(family, argv, what the one line must say)."""
    out = []
    for env in ["../../x", "../sandbox", "a/b", "/etc/passwd", "..", ".", ".hidden", "sand box", "x" * 80, "sandbox;id", "$(id)", "~root", "sandbox/", "\\sandbox", "-"]:
        for nb in HEALTH:
            out.append(("env name", ["run", nb, f"--env={env}"], "is not a plain name"))
    for env, (_, says) in BAD_ENV_FILES.items():
        for nb in ("daily-health-check", "log-search"):
            out.append(("env file", ["run", nb, "--env", env], says))
    out.append(("env file", ["run", "daily-health-check", "--env", "huge"], "is larger than 256 KiB"))
    for env, (_, says) in SANDBOX_BASED.items():
        if says:
            out.append(("env file", ["run", "daily-health-check", "--env", env], says))
    for name, (_, says) in BROKEN_NOTEBOOKS.items():
        out.append(("notebook", ["run", str(home / "notebooks" / "broken" / f"{name}.ipynb")], says))
        out.append(("notebook", ["show", str(home / "notebooks" / "broken" / f"{name}.ipynb")], says))
    a_file = runs.parent / "a-file"
    for bad, says in [(str(a_file), "is a file"), ("", "--runs-dir is empty"), ("/proc/opslib-runs", "cannot be written"), (str(a_file / "x"), "is a file, so runs directory")]:
        for nb in ("daily-health-check", "cost-review", "app-health"):
            out.append(("runs dir", ["run", nb, "--runs-dir", bad], says))
    for incident in ["INC 1", "INC/../x", "$(rm -rf /)", "a;b", "INC-ü", " ", "\t", "x" * 65, "INC-1\nINC-2", "INC`id`", "a|b", "../../etc"]:
        for nb in ("daily-health-check", "alarm-review", "log-search"):
            out.append(("incident", ["run", nb, "--incident", incident], "holds characters other than"))
    for nb, pname, kind, low, high in numeric_params():
        for value in ("nan", "inf", "-inf", "1e300", "-1e300"):
            out.append(("numbers", ["run", nb, "-p", f"{pname}={value}"], "not an int" if kind == "int" else None))
        if low is not None:
            below = low - 1 if kind == "int" else low - 0.5
            out.append(("numbers", ["run", nb, "-p", f"{pname}={int(below) if kind == 'int' else below}"], "outside ["))
        if high is not None:
            out.append(("numbers", ["run", nb, "-p", f"{pname}={int(high) + 1 if kind == 'int' else high * 2 + 1}"], "outside ["))
    for value, says in [("[1, 2]", "has int 1 at position 1"), ("[true]", "has bool True at position 1"), ("[[a]]", "has list ['a'] at position 1"),
                        ("{a: b}", "is dict"), ("[/a, 5]", "has int 5 at position 2")]:
        out.append(("lists", ["run", "log-search", "-p", f"log_groups={value}"], says))
    out.append(("size", ["run", "daily-health-check", "-p", "db_instance=" + "x" * 20000], "is 20000 characters long"))
    out.append(("size", ["run", "log-search", "-p", "log_groups=[" + ",".join(["/g"] * 2000) + "]"], "has 2000 elements"))
    for args, says in [(["--incident", " "], "holds characters other than"), (["-p", "change_ref= "], "would change production with no reference"),
                       (["-p", "change_ref=whenever"], "does not match"), (["-p", "change_ref=CHG"], "does not match"),
                       ([], "would change production with no reference")]:
        out.append(("authorization", ["run", ACT, "--env", "prodlike", "-p", "log_group=/aws/x", "-p", "confirm=true", *args], says))
    for value, says in [("env:OPSLIB_TEST_SHORT", "characters long"), ("hunter2-in-clear", "given in clear with -p"), ("env:OPSLIB_TEST_UNSET", "which is not set")]:
        out.append(("secrets", ["run", "daily-health-check", "-p", f"api_token={value}"], says))
    for url in ["file:///etc/passwd", "ftp://x/health", "gopher://x/", "javascript:alert(1)", "data:text/plain,hi", "//no-scheme/health",
                "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[fe80::1]/x", "http://169.254.1.1/", "http://", "http://[::1"]:
        for pname in ("frontend_url", "api_url"):
            out.append(("urls", ["run", "daily-health-check", "-p", f"{pname}={url}"], None))
    return out


def test_hundreds_of_bad_invocations_exit_2_with_one_line(home, tmp_path, monkeypatch, capsys, kernel_tripwire):
    root, runs = home
    (runs.parent / "a-file").write_text("x")
    tripwire_env, marker = kernel_tripwire
    monkeypatch.setenv("JUPYTER_PATH", tripwire_env["JUPYTER_PATH"])
    monkeypatch.setenv("OPSLIB_HOME", str(root))
    monkeypatch.setenv("OPSLIB_RUNS_DIR", str(runs))
    monkeypatch.setenv("OPSLIB_TEST_LOOP", "${OPSLIB_TEST_LOOP}")
    monkeypatch.setenv("OPSLIB_TEST_SHORT", "abc")
    monkeypatch.delenv("OPSLIB_TEST_UNSET", raising=False)
    monkeypatch.delenv("OPSLIB_TEST_UNSET_VAR", raising=False)
    all_cases = cases(root, runs)
    assert len(all_cases) >= 300
    before = aws_calls()
    wrong = []
    for family, argv, says in all_cases:
        code = cli.main(argv)
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        if code != 2 or len(lines) != 1 or "Traceback" in err or not lines[0].startswith("opslib: ") or ": " not in lines[0][8:] or (says and says not in lines[0]):
            wrong.append((family, argv[:4], code, err[-300:]))
    assert not wrong, wrong[:10]
    assert not marker.exists(), "a kernel was started"
    assert aws_calls() == before, "AWS was called"
    assert not runs.exists(), "something was written under the runs directory"
    assert not Path("/tmp/opslib-pwned").exists()


def test_one_of_each_family_through_the_command_line(home, tmp_path, kernel_tripwire):
    root, runs = home
    (runs.parent / "a-file").write_text("x")
    tripwire_env, marker = kernel_tripwire
    env = {**tripwire_env, "OPSLIB_HOME": str(root), "OPSLIB_TEST_LOOP": "${OPSLIB_TEST_LOOP}", "OPSLIB_TEST_SHORT": "abc"}
    firsts = {}
    for family, argv, says in cases(root, runs):
        firsts.setdefault(family, (argv, says))
    before = aws_calls()
    for family, (argv, says) in firsts.items():
        res = opslib(*argv, runs=runs, env=env)
        assert res.returncode == 2, (family, res.stdout, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and (not says or says in lines[0]) and "Traceback" not in res.stderr, (family, res.stderr)
    assert len(firsts) == 11
    assert not marker.exists() and aws_calls() == before and not runs.exists()


# Data loss (issue 23): a report never deletes or overwrites what it did not write.
def test_a_report_pointed_at_the_runs_directory_or_a_full_folder_touches_nothing(runs, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    before = {p: p.read_bytes() for p in runs.rglob("*") if p.is_file()}
    for out, says in [(runs, "is not empty"), (folder, "is not empty"), (folder / "notes.txt", "is a file"), (folder / "notes.txt" / "x", "is a file")]:
        res = opslib("report", "--since", "7d", "--out", str(out), runs=runs)
        assert res.returncode == 2 and says in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert {p: p.read_bytes() for p in runs.rglob("*") if p.is_file()} == before
    assert [p.name for p in folder.iterdir()] == ["notes.txt"] and (folder / "notes.txt").read_text() == "mine"
    (tmp_path / "taken.zip").write_text("not yours")
    res = opslib("report", "--since", "7d", "--out", str(tmp_path / "taken"), runs=runs)
    assert res.returncode == 2 and "taken.zip already exists" in res.stderr and (tmp_path / "taken.zip").read_text() == "not yours"


def test_a_report_made_again_is_a_new_folder_and_its_files_are_evidence_mode(runs):
    first, again = (opslib("report", "--since", "7d", runs=runs) for _ in range(2))
    assert first.returncode == again.returncode == 0, first.stdout + again.stdout
    folders = [Path(r.stdout.split("report: ", 1)[1].split()[0]).parent for r in (first, again)]
    assert folders[0] != folders[1]  # never the same folder twice
    assert folders[1].name == folders[0].name + "-2" or folders[1].name[:-len("-to-now")] > folders[0].name[:-len("-to-now")]  # or the minute turned between them
    for folder in folders:
        assert (folder / "MANIFEST.sha256").is_file()
        for path in [*folder.rglob("*"), folder.with_name(folder.name + ".zip")]:
            if path.is_file():
                assert path.stat().st_mode & 0o777 == 0o600, path


def test_a_notebook_nested_past_the_parser_is_bad_input(sandbox_url, tmp_path):
    path = tmp_path / "deep.ipynb"
    path.write_text('{"cells": ' + "[" * 200000 + "]" * 200000 + "}")
    res = opslib("run", str(path), runs=tmp_path / "runs")
    assert res.returncode == 2 and "deep.ipynb is not a readable notebook (RecursionError)" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "runs").exists()


def test_an_environment_file_whose_alias_contains_itself_is_bad_input_and_breaks_no_other_command(sandbox_url, tmp_path):
    from conftest import project

    home = project(tmp_path, {"loop": "parameters: &a\n  x: *a\n"}, base=None)
    env = {"OPSLIB_HOME": str(home)}
    res = opslib("run", "daily-health-check", "--env", "loop", runs=tmp_path / "runs", env=env)
    assert res.returncode == 2 and "parameters/loop.yaml expands to more than" in res.stderr and "Traceback" not in res.stderr
    shown = opslib("show", "daily-health-check", env=env)
    assert shown.returncode == 0 and "environments: production, sandbox, staging" in shown.stdout, shown.stderr


# Issue 23's list of inputs that still ended in a traceback or were silently accepted: each exit 2, one line, nothing filed.
STILL_ACCEPTED = [
    (["history", "--since", "1000000d"], "reaches back before the year 1"),
    (["report", "--since", "99999999999d"], "reaches back before the year 1"),
    (["run", "daily-health-check", "--incident", "INC-1\n"], "holds characters other than"),  # `$` matched before the newline
    (["run", "daily-health-check", "--env", "sandbox\n"], "is not a plain name"),
    (["run", "daily-health-check", "--cell-timeout", "0"], "--cell-timeout 0: give the seconds one cell may run"),
    (["run", "daily-health-check", "-p", "env="], "the environment is chosen with --env"),
    (["run", "daily-health-check", "-p", "env=production"], "run it with --env production instead"),
    (["history", "--runs-dir", "{file}"], "is a file"),
    (["verify", "--runs-dir", "{loop}"], "cannot be used (Symlink loop)"),
    (["run", "daily-health-check", "--runs-dir", "{loop}"], "cannot be used (Symlink loop)"),
    (["history", "--runs-dir", "{long}"], "cannot be used (File name too long)"),
    (["sandbox", "snapshot", "{missing}/snap.json"], "pass a file in a folder that exists"),
    (["run", "lambda-errors", "-p", "test_payload={{a: &a [x,x,x,x,x,x,x,x,x,x], b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], "
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c], e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]}}"], "test_payload from -p expands to more than 20000 values"),  # {{ }}: format
    (["run", "lambda-errors", "-p", "test_payload=[" + "x" * 5000], "test_payload from -p is '[xxxxxxxx"),  # and not 5,000 characters of it (below)
]


@pytest.mark.parametrize("argv, says", STILL_ACCEPTED)
def test_inputs_that_ended_in_a_traceback_or_were_ignored_are_bad_input(sandbox_url, tmp_path, argv, says):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    where = {"file": tmp_path / "a-file", "loop": tmp_path / "loop", "long": tmp_path / ("x" * 300), "missing": tmp_path / "missing"}
    res = opslib(*[a.format(**where) for a in argv], runs=tmp_path / "runs")
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2 and len(lines) == 1 and says in lines[0], res.stderr[-2000:]
    assert len(lines[0]) < 400 and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS"])
def test_the_sandbox_never_answers_for_production(sandbox_url, tmp_path, variable):
    """After `eval "$(opslib sandbox env)"`, --env production went to the fake AWS and filed its answers as production's."""
    res = opslib("run", "daily-health-check", "--env", "production", runs=tmp_path / "runs", env={variable: sandbox_url})
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2 and len(lines) == 1 and f"${variable} is {sandbox_url}, this machine (the sandbox?), and production is production" in lines[0]
    assert f"unset {variable}" in lines[0] and not (tmp_path / "runs").exists()


def test_every_run_records_where_its_aws_calls_went(runs, sandbox_url):
    from conftest import ledger

    assert {r["endpoint"] for r in ledger(runs)} == {sandbox_url}


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB filesystem of its own (tmpfs), for a runs directory that fills up."""
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_while_filing_is_exit_3_one_line_no_partial_file_and_a_record_that_says_so(sandbox_url, small_disk):
    runs = small_disk / "runs"
    assert opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=runs).returncode == 0
    free = shutil.disk_usage(small_disk).free
    (small_disk / "filler").write_bytes(b"\0" * (free - 24 * 1024))  # room for records, not for a notebook and its page
    res = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=runs)
    assert res.returncode == 3 and "Traceback" not in res.stderr, res.stdout + res.stderr
    assert "FAILED:" in res.stdout and "could not be written (No space left on device" in res.stdout
    assert "evidence: not written (its ledger record says so)" in res.stdout
    assert not [p for p in runs.rglob("*") if p.name.endswith(".tmp")] and not list((runs / ".inflight").iterdir())
    from conftest import ledger

    last = ledger(runs)[-1]
    assert last["status"] == "failed" and last["unwritten"] == ["notebook", "html"] and last["output"] == "" and last["exit_code"] == 3
    assert len(list(runs.rglob("*.ipynb"))) == 1  # the first run's only
    (small_disk / "filler").unlink()
    later = opslib("history", runs=runs)
    assert later.returncode == 0 and "killed" not in later.stdout  # a run that said why it failed is not filed again as killed
    assert opslib("verify", runs=runs).returncode == 0


def test_a_disk_too_full_to_start_a_run_is_exit_3_and_leaves_nothing(sandbox_url, small_disk):
    runs = small_disk / "runs"
    assert opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=runs).returncode == 0
    with open(small_disk / "filler", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    res = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=runs)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 3 and len(lines) == 1 and "ok was not started: No space left on device" in lines[0], res.stderr
    assert not list((runs / ".inflight").iterdir())
    (small_disk / "filler").unlink()
    assert opslib("verify", runs=runs).returncode == 0
