"""Bad input: exit 2 and one line naming the fix, before any kernel starts or AWS is called."""

import pytest

from conftest import FIXTURES, aws_calls, opslib


def test_tripwire_kernel_is_the_one_started(sandbox_url, tmp_path, kernel_tripwire):
    env, marker = kernel_tripwire
    res = opslib("run", str(FIXTURES / "ok.ipynb"), "--no-progress", runs=tmp_path / "runs", env=env)
    assert res.returncode == 0, res.stderr
    assert marker.exists()


@pytest.mark.parametrize("args, says", [
    (["daily-healthcheck"], "opslib: unknown notebook 'daily-healthcheck': did you mean 'daily-health-check'?"),
    (["daily-health-check", "-p", "error_wran=5"], "daily-health-check has no parameter 'error_wran' (from -p): did you mean 'error_warn'?"),
    (["daily-health-check", "-p", "error_warn=many"], "error_warn from -p is 'many', not an int: give error_warn an int value, e.g. -p error_warn=10"),
    (["daily-health-check", "--env", "prod"], "unknown environment 'prod': did you mean 'production'? known: production, sandbox, staging"),
    (["daily-health-check", "-p", "nonsense"], "-p 'nonsense' is not NAME=VALUE"),
    (["daily-health-check", "-p", "rms_region=us-east1"], "rms_region from -p: 'us-east1' is not an AWS region: give a region name such as us-east-1"),
    (["alarm-review", "-p", "regions=[us-east-1, Oregon]"], "regions from -p: 'Oregon' is not an AWS region"),
    ([str(FIXTURES / "required.ipynb")], "required needs a value for ticket: -p ticket=text"),
    (["deploy-verify", "-p", "stage=prod"], "stage from -p is 'prod': use one of pre, post"),
    ([str(FIXTURES / "required.ipynb"), "-p", "ticket=T-1", "-p", "flag=maybe"], "flag from -p is 'maybe', not a bool"),
    ([str(FIXTURES / "secret.ipynb"), "-p", "token=env:OPSLIB_TEST_UNSET_VARIABLE"], "secret token reads $OPSLIB_TEST_UNSET_VARIABLE, which is not set"),
])
def test_bad_input_exits_2_with_one_line_and_nothing_started(sandbox_url, tmp_path, kernel_tripwire, args, says):
    env, marker = kernel_tripwire
    before = aws_calls()
    res = opslib("run", *args, "--env", "sandbox", runs=tmp_path / "runs", env=env) if "--env" not in args else opslib("run", *args, runs=tmp_path / "runs", env=env)
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], res.stderr
    assert not marker.exists(), "a kernel was started"
    assert aws_calls() == before, "AWS was called"
    assert not (tmp_path / "runs").exists(), "something was filed"
