"""app-health's parts: the host behind SSM Run Command, the read-only guard, and the /health checks."""

from datetime import datetime, timedelta, timezone

import pytest

import nbformat

from conftest import aws_calls, ledger, opslib
from opslib import checks
import opslib_sandbox as sandbox
from opslib.checks import CRITICAL, ERROR, OK, WARN
from opslib.checks import docker as docker_checks
from opslib.checks import ec2 as ec2_checks
from opslib.checks import http as http_checks
from opslib.errors import ActionRefused
from opslib.services import docker, ec2, ssm
from opslib.services.http import Probe


def _webapp(aws) -> str:
    return ec2.find_instance(aws, "secure-webapp-prod")["InstanceId"]


def test_run_command_answers_from_the_host_through_boto3(healthy, aws):
    instance_id = _webapp(aws)
    client = aws.client("ssm")
    sent = client.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", Parameters={"commands": ["docker ps -a"]})
    inv = client.get_command_invocation(CommandId=sent["Command"]["CommandId"], InstanceId=instance_id)
    assert inv["Status"] == "Success" and inv["ResponseCode"] == 0
    header, row = inv["StandardOutputContent"].splitlines()
    assert header.startswith("CONTAINER ID") and "secure-webapp:latest" in row and "Up " in row and row.endswith("webapp")


def test_a_command_the_host_does_not_know_fails_like_bash(healthy, aws):
    instance_id = _webapp(aws)
    client = aws.client("ssm")
    sent = client.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript", Parameters={"commands": ["kubectl get pods"]})
    inv = client.get_command_invocation(CommandId=sent["Command"]["CommandId"], InstanceId=instance_id)
    assert (inv["Status"], inv["ResponseCode"]) == ("Failed", 127) and "kubectl: command not found" in inv["StandardErrorContent"]
    assert client.list_commands(CommandId=sent["Command"]["CommandId"])["Commands"][0]["Status"] == "Failed"


def test_run_command_refuses_an_instance_that_does_not_exist(healthy, aws):
    with pytest.raises(Exception) as err:
        aws.client("ssm").send_command(InstanceIds=["i-0123456789abcdef0"], DocumentName="AWS-RunShellScript", Parameters={"commands": ["uptime"]})
    assert err.value.response["Error"]["Code"] == "InvalidInstanceId"


def test_containers_and_logs_when_healthy(healthy, aws):
    instance_id = _webapp(aws)
    rows = docker.containers(aws, instance_id, "webapp")
    assert [(r["Names"], r["State"]) for r in rows] == [("webapp", "running")]
    assert docker_checks.container_running(rows, "webapp", "secure-webapp-prod").status == OK
    lines = docker.logs(aws, instance_id, "webapp", tail=20)
    assert len(lines) == 20 and all(ln[:4].isdigit() and "[INFO]" in ln for ln in lines)
    assert docker_checks.log_errors(lines, "webapp", 1, 10).status == OK
    assert ec2_checks.instance_healthy(aws, "secure-webapp-prod", instance_id).status == OK


def test_service_down_is_seen_on_the_host(healthy, aws):
    sandbox.control("scenario/service-down")
    instance_id = _webapp(aws)
    rows = docker.containers(aws, instance_id, "webapp")
    check = docker_checks.container_running(rows, "webapp", "secure-webapp-prod")
    assert check.status == CRITICAL and check.observed.startswith("Exited (137)") and "out-of-memory" in check.sentence
    lines = docker.logs(aws, instance_id, "webapp", tail=100)
    assert "SIGKILL" in lines[-1] and docker_checks.log_errors(lines, "webapp", 1, 10).status == WARN
    status = ec2_checks.instance_healthy(aws, "secure-webapp-prod", instance_id)
    assert status.status == CRITICAL and "impaired" in status.observed and "reachability" in status.sentence


def test_a_missing_container_is_critical_and_its_logs_an_error(healthy, aws):
    instance_id = _webapp(aws)
    assert docker_checks.container_running(docker.containers(aws, instance_id, "api"), "api", "host").status == CRITICAL
    with pytest.raises(ssm.CommandFailed) as err:
        docker.logs(aws, instance_id, "api")
    assert err.value.response["Error"]["Code"] == "CommandFailed" and "No such container: api" in str(err.value)


@pytest.mark.parametrize("command", ["docker start webapp", "docker ps; rm -rf /", "docker logs webapp | tee /tmp/x",
                                     "sudo reboot", "docker ps $(whoami)"])
def test_only_read_only_diagnostics_are_sent(healthy, aws, command):
    before = aws_calls()
    with pytest.raises(ActionRefused) as err:
        ssm.run_shell(aws, _webapp(aws), [command])
    assert "guarded action" in str(err.value)
    assert aws_calls() == before + 1  # only the instance lookup above; nothing was sent


def test_denied_run_command_becomes_an_error_row(healthy, aws):
    sandbox.control("faults", [{"kind": "deny", "service": "ssm", "action": "SendCommand"}])
    from opslib.checks import check

    fetch = check("docker_container_running")(lambda aws, name: docker.containers(aws, _webapp(aws), name))
    row = fetch(aws, "webapp")
    assert (row.status, row.observed, row.resource) == (ERROR, "AccessDeniedException", "webapp")


def test_denied_run_command_fails_both_host_rows_and_the_rest_still_runs(healthy, tmp_path):
    """The two SSM reads go out together; each fault is its own ERROR row, the evidence is filed."""
    sandbox.control("faults", [{"kind": "deny", "service": "ssm", "action": "SendCommand"}])
    res = opslib("run", "app-health", "--env", "sandbox", "--no-progress", runs=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    (record,) = ledger(tmp_path)
    rows = {c.id: c for c in checks.from_notebook(nbformat.read(tmp_path / record["output"], as_version=4))}
    assert {i: (c.status, c.observed) for i, c in rows.items() if i.startswith("docker_")} == {
        "docker_container_running": (ERROR, "AccessDeniedException"), "docker_log_errors": (ERROR, "AccessDeniedException")}
    assert rows["ec2_instance_status"].status == OK and rows["http_endpoint_healthy"].status == OK


def _probe(status=200, body=None, ms=12.0):
    return Probe("http://app/health", status, ms, body)


def test_health_payload_reads_status_version_age_and_time():
    now = datetime.now(timezone.utc).isoformat()
    good = http_checks.health_payload("app", _probe(body={"status": "healthy", "version": "1.8.2", "timestamp": now}), "1.8.2", 300, 1000, 2000)
    assert [(c.id, c.status) for c in good] == [("http_endpoint_healthy", OK), ("http_response_time", OK),
                                                ("http_health_version", OK), ("http_health_fresh", OK)]
    old = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    bad = {c.id: c for c in http_checks.health_payload("app", _probe(body={"status": "healthy", "version": "1.8.1", "timestamp": old}, ms=2500),
                                                       "1.8.2", 300, 1000, 2000)}
    assert (bad["http_response_time"].status, bad["http_health_version"].status, bad["http_health_fresh"].status) == (CRITICAL, WARN, WARN)
    assert bad["http_health_version"].sentence == "app runs version 1.8.1, expected 1.8.2."
    assert bad["http_health_fresh"].observed >= 7199


def test_health_payload_without_an_answer_or_a_timestamp():
    silent = http_checks.health_payload("app", Probe("http://app/health", None, 5000, None, "connection refused"))
    assert [(c.id, c.status, c.observed) for c in silent] == [("http_endpoint_healthy", CRITICAL, "no answer")]
    bare = {c.id: c for c in http_checks.health_payload("app", _probe(body={"status": "healthy"}))}
    assert bare["http_health_version"].status == WARN and bare["http_health_fresh"].status == WARN
