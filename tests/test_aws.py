"""The one AWS session/client factory: endpoint, region, profile, role, retries, timeouts, user agent."""

import pytest

from opslib import checks
import opslib_sandbox as sandbox
from opslib.aws import Aws, AwsSettings, at_once


def test_endpoint_and_region_reach_the_sandbox(aws):
    assert aws.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert aws.client("rds").meta.region_name == "us-west-2"
    assert aws.client("rds", "eu-west-1").meta.region_name == "eu-west-1"
    assert aws.client("rds") is aws.client("rds")


def test_aws_endpoint_url_from_the_environment_is_used(sandbox_url, monkeypatch):
    for k, v in sandbox.FAKE_CREDENTIALS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox_url)
    client = Aws(AwsSettings()).client("sts")
    assert client.meta.endpoint_url == sandbox_url
    assert client.get_caller_identity()["Account"] == "123456789012"


def test_profile_gives_credentials_and_region(sandbox_url, tmp_path, monkeypatch):
    (tmp_path / "config").write_text("[profile oncall]\nregion = eu-central-1\n")
    (tmp_path / "credentials").write_text("[oncall]\naws_access_key_id = AKIAONCALLPROFILE000\naws_secret_access_key = secret\n")
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    aws = Aws(AwsSettings(profile="oncall", endpoint_url=sandbox_url))
    assert aws.region == "eu-central-1"
    assert aws.session().get_credentials().access_key == "AKIAONCALLPROFILE000"
    assert aws.client("sts").meta.region_name == "eu-central-1"
    assert Aws(AwsSettings(profile="oncall", region="us-east-1", endpoint_url=sandbox_url)).region == "us-east-1"


def test_assumed_role_credentials_are_used(aws, sandbox_url):
    role = aws.client("iam").create_role(RoleName="OpslibFactoryTest", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    try:
        assumed = Aws(AwsSettings(endpoint_url=sandbox_url, role_arn=role))
        creds = assumed.session().get_credentials()
        assert creds.token and creds.access_key != sandbox.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
        arn = assumed.client("sts").get_caller_identity()["Arn"]
        assert arn.startswith("arn:aws:sts::123456789012:assumed-role/OpslibFactoryTest/opslib-")
    finally:
        aws.client("iam").delete_role(RoleName="OpslibFactoryTest")


def test_throttling_is_retried_adaptively(healthy, aws):
    assert aws.client("rds").meta.config.retries == {"mode": "adaptive", "total_max_attempts": 3}
    sandbox.control("faults", [{"kind": "throttle", "service": "rds", "count": 2}])
    assert aws.client("rds", "us-east-1").describe_db_instances(DBInstanceIdentifier="rms-db-prod")["DBInstances"]
    assert sandbox.status()["faults"][0]["hits"] == 2


def test_throttling_beyond_the_attempts_is_an_error_row(healthy, aws, sandbox_url):
    from opslib.checks.rds import instance_available

    sandbox.control("faults", [{"kind": "throttle", "service": "rds"}])
    row = instance_available(Aws(AwsSettings(endpoint_url=sandbox_url, max_attempts=2)), "rms-db-prod")
    assert row.status == checks.ERROR and row.observed == "Throttling"
    assert "Could not check rms-db-prod: Throttling: Rate exceeded" in row.sentence


def test_a_timeout_is_an_error_row_naming_it(healthy, aws, sandbox_url):
    from opslib.checks.rds import instance_available

    sandbox.control("faults", [{"kind": "delay", "service": "rds", "delay": 2.0}])
    aws = Aws(AwsSettings(endpoint_url=sandbox_url, max_attempts=1, read_timeout=0.5))
    row = instance_available(aws, "rms-db-prod")
    assert row.status == checks.ERROR and row.observed == "Timeout"
    assert "Read timeout" in row.sentence


def test_missing_resource_is_an_error_row_with_the_aws_code(healthy, aws):
    from opslib.checks.rds import instance_available

    row = instance_available(aws, "no-such-db")
    assert row.status == checks.ERROR and row.observed == "DBInstanceNotFound"


def test_user_agent_names_the_notebook(aws, sandbox_url):
    seen = []
    client = Aws(AwsSettings(endpoint_url=sandbox_url, user_agent="opslib/daily-health-check")).client("sts")
    client.meta.events.register("before-send", lambda request, **_: seen.append(request.headers["User-Agent"]))
    client.get_caller_identity()
    assert "opslib/daily-health-check" in seen[0].decode() if isinstance(seen[0], bytes) else seen[0]


def test_unknown_aws_setting_in_an_environment_file_is_bad_input():
    from opslib.errors import BadInput

    with pytest.raises(BadInput, match="unknown aws setting\\(s\\) regoin"):
        AwsSettings.from_env_file({"aws": {"regoin": "us-west-2"}})


def test_at_once_runs_calls_together_keeps_order_and_raises():
    import threading

    meet = threading.Barrier(3, timeout=5)  # passes only if all three calls are in flight together
    assert at_once(lambda i=i: (meet.wait(), i)[1] for i in range(3)) == [0, 1, 2]
    with pytest.raises(KeyError):
        at_once([lambda: 1, lambda: {}["missing"]])
    assert at_once([]) == [] and at_once([lambda: "one"]) == ["one"]
