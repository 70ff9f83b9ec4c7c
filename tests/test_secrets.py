"""A secret never leaves in clear, through any sink, in any form a sink writes it in."""

import html
import json
import stat
from urllib.parse import quote

import nbformat
import pytest

from conftest import FIXTURES, ledger, opslib, project
from opslib.secrets import MASK, Secret, scrub, scrub_tree

# a quote, a backslash, <, & and a newline: each survives a naive redaction in some format
TRICKY = 'p"ss\\w<rd>&x\nsecond-line-7f3a'


def forms(value: str) -> set[str]:
    """Every way the files and console could hold `value`, computed here independently."""
    out = set()
    for base in [value, *value.splitlines()]:
        out |= {base, json.dumps(base)[1:-1], json.dumps(base, ensure_ascii=False)[1:-1], html.escape(base), html.escape(base, quote=False),
                html.escape(json.dumps(base)[1:-1]), quote(base, safe=""), repr(base)[1:-1], repr(base.encode())[2:-1],
                json.dumps(repr(base)[1:-1])[1:-1], json.dumps(repr(base.encode())[2:-1])[1:-1], html.escape(repr(base.encode())[2:-1])}
    return {f for f in out if len(f) >= 8}


def leaked(text: str, value: str) -> list[str]:
    return [f for f in forms(value) if f in text]


def test_scrub_masks_every_form_and_keeps_json_parsable():
    Secret(TRICKY)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=json.dumps({"t": TRICKY}) + "\n" + TRICKY),
        nbformat.v4.new_output("display_data", data={"text/html": html.escape(TRICKY), "application/json": {TRICKY: TRICKY}}),
    ])])
    clean, found = scrub_tree(nb)
    text = nbformat.writes(nbformat.from_dict(clean))
    assert found >= 5 and not leaked(text, TRICKY)
    json.loads(text)
    assert scrub(f"<td>{html.escape(TRICKY)}</td>")[0] == f"<td>{MASK}</td>"


def test_values_that_are_json_words_cannot_corrupt_a_notebook():
    """`null` and `true` are refused (under 8 characters); longer JSON-ish words mask inside strings only."""
    Secret("execution_count")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('execution_count')", execution_count=3)])
    clean, found = scrub_tree(nb)
    assert clean["cells"][0]["execution_count"] == 3  # the notebook keeps its shape
    assert clean["cells"][0]["source"] == f"print('{MASK}')" and found == 1
    nbformat.validate(nbformat.from_dict(clean))


def test_leaked_secret_reaches_no_sink(sandbox_url, tmp_path):
    runs = tmp_path / "runs"
    res = opslib("run", str(FIXTURES / "leaks.ipynb"), "-p", "token=env:OPSLIB_CANARY", "--no-progress", runs=runs, env={"OPSLIB_CANARY": TRICKY})
    assert res.returncode == 3, res.stdout + res.stderr  # the last cell raises, with the secret in its message
    assert not leaked(res.stdout + res.stderr, TRICKY)
    runtime = "runtime-secrets-manager-from-secret"  # a secret the kernel learns at run time; the runner never knew it
    assert runtime not in res.stdout + res.stderr
    files = [p for p in runs.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"ledger.jsonl", "journal.jsonl"}
    for path in files:
        text = path.read_text(errors="replace")
        assert not leaked(text, TRICKY) and runtime not in text, path
    (record,) = ledger(runs)
    assert record["status"] == "failed" and "gave up with ******** and ********" in record["reason"]
    assert record["secrets_redacted"] >= 1  # what the kernel printed before runbook.start could scrub it at source
    nb = nbformat.read(runs / record["output"], as_version=4)  # still a valid notebook
    assert {c["id"] for c in nb.metadata["opslib"]["checks"]} == {"fixture_leak", "fixture_denied"}
    assert "AccessDenied for key ********" in json.dumps(nb.metadata["opslib"]["checks"])
    assert "ERROR    fixture_denied" in res.stdout and "********" in res.stdout
    assert (runs / record["html"]).stat().st_size > 1000


@pytest.mark.parametrize("value", ["null", "true", "short7!"])
def test_secret_shorter_than_8_characters_is_refused(sandbox_url, tmp_path, value):
    res = opslib("run", str(FIXTURES / "secret.ipynb"), "-p", "token=env:OPSLIB_CANARY", runs=tmp_path / "runs", env={"OPSLIB_CANARY": value})
    assert res.returncode == 2
    assert f"secret token is {len(value)} characters long" in res.stderr and "8 characters or more" in res.stderr
    assert not (tmp_path / "runs").exists()


def test_secret_in_clear_on_the_command_line_is_refused(sandbox_url, tmp_path):
    res = opslib("run", str(FIXTURES / "secret.ipynb"), "-p", "token=s3cr3t-canary-value-91b2", runs=tmp_path / "runs")
    assert res.returncode == 2
    assert res.stderr.strip() == ("opslib: secret token was given in clear with -p, where every user of this machine can read it in the process list: "
                                  "export TOKEN=... and pass -p token=env:TOKEN")
    assert "s3cr3t-canary-value-91b2" not in res.stdout + res.stderr
    assert not (tmp_path / "runs").exists()


def _modes(runs):
    return ({oct(stat.S_IMODE(p.stat().st_mode)) for p in [runs, *runs.rglob("*")] if p.is_dir()},
            {oct(stat.S_IMODE(p.stat().st_mode)) for p in runs.rglob("*") if p.is_file()})


def test_evidence_is_owner_only(sandbox_url, tmp_path):
    res = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "runs", env={"UMASK_IS_IGNORED": "1"})
    assert res.returncode == 0, res.stderr
    assert _modes(tmp_path / "runs") == ({"0o700"}, {"0o600"})


def test_environment_file_can_share_evidence_with_a_group(sandbox_url, tmp_path):
    home = project(tmp_path, {"shared": "evidence:\n  mode: '0640'\n"})
    res = opslib("run", str(FIXTURES / "ok.ipynb"), "--env", "shared", "--no-progress", runs=tmp_path / "runs", env={"OPSLIB_HOME": str(home)})
    assert res.returncode == 0, res.stderr
    assert _modes(tmp_path / "runs") == ({"0o750"}, {"0o640"})


def test_a_secret_urls_token_parts_are_secrets_of_their_own():
    """Issue 23: a receiver that echoed the webhook's path put T.../B.../token raw into incidents.jsonl and the post-mortem."""
    Secret("https://hooks.slack.com/services/T0ABCD1234/B0EFGH5678/q8Zr2XwL9mNvB4kT7yPs?key=k3y-value-551")
    echoed = "404 no_service: /services/T0ABCD1234/B0EFGH5678/q8Zr2XwL9mNvB4kT7yPs (key k3y-value-551)"
    text, found = scrub(echoed)
    assert "T0ABCD1234" not in text and "B0EFGH5678" not in text and "q8Zr2XwL9mNvB4kT7yPs" not in text and "k3y-value-551" not in text
    assert found == 4 and "/services/" in text  # a plain word of the path stays readable


def test_the_sandboxs_cloudtrail_keeps_names_and_ids_never_a_secret_value(healthy, aws):
    """CloudTrail records land in log groups notebooks print (security-incident): a secret string, a SecureString
    parameter's value or a password sent in a call that writes is not in them, in event history or the trail's log group."""
    import base64

    secret = "hunter2-cloudtrail-canary-9f3a"
    east = aws.client("secretsmanager", "us-east-1")
    east.create_secret(Name="canary/cloudtrail", SecretString=json.dumps({"password": secret}))
    aws.client("ssm", "us-west-2").put_parameter(Name="/canary/cloudtrail", Value=secret, Type="SecureString")
    iam = aws.client("iam")
    iam.create_user(UserName="canary-cloudtrail")
    iam.create_login_profile(UserName="canary-cloudtrail", Password=secret)
    found = []
    for region in ("us-east-1", "us-west-2"):
        ct = aws.client("cloudtrail", region)
        found += [e["CloudTrailEvent"] for page in ct.get_paginator("lookup_events").paginate() for e in page["Events"]]
    logs = aws.client("logs", "us-west-2")
    found += [e["message"] for e in logs.filter_log_events(logGroupName="CloudTrail/ec2-manager-trail-production")["events"]]
    assert any('"CreateSecret"' in f and "canary/cloudtrail" in f for f in found) and any('"PutParameter"' in f for f in found)
    assert any('"CreateLoginProfile"' in f and "canary-cloudtrail" in f for f in found)
    for encoded in (secret, base64.b64encode(secret.encode()).decode(), quote(secret)):
        assert not any(encoded in f for f in found), encoded


def test_the_runbook_header_escapes_what_a_parameter_holds(healthy, tmp_path, monkeypatch):
    """The header a notebook shows under its parameters renders through a template with autoescape, never an f-string."""
    import re

    from opslib import catalog, runbook

    monkeypatch.setenv("OPSLIB_RUNS_DIR", str(tmp_path))
    source = catalog.find("log-search").path.with_suffix(".py").read_text()
    namespace: dict = {}
    for header, body in zip(*[iter(re.split(r"^# %%(.*)$", source, flags=re.M)[1:])] * 2):
        if "[markdown]" not in header:
            exec(compile(body, "log-search cell", "exec"), namespace)
            if "parameters" in header:
                break
    namespace["pattern"] = '<img src=x onerror="alert(1)">'
    page = runbook.start("health/log-search", namespace, region="logs_region")._repr_html_()
    assert "<img" not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert page.startswith('<div class="tex2jax_ignore mathjax_ignore">') and "<td>pattern</td>" in page
