"""The sandbox's endpoints follow the world: a fault made through the AWS APIs, as a person would
make it with the aws CLI, shows at /health and in the notebooks, with no scenario involved."""

import json
import urllib.error
import urllib.request

from conftest import eventually, ledger, opslib
import opslib_sandbox as sandbox
from opslib_sandbox.world import RMS, WEBAPP


def _until(name: str, code: int) -> tuple[int, dict]:
    """ECS stops and starts tasks a step at a time (rollouts): wait as a responder would."""
    return eventually(lambda: _health(name), lambda answer: answer[0] == code)[-1]


def _health(name: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{sandbox.url()}/_sandbox/sites/{name}/health", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_rms_api_answers_from_its_ecs_service(healthy, aws):
    ecs = aws.client("ecs", RMS["region"])
    assert _health("rms-api")[0] == 200
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], desiredCount=0)
    code, body = _until("rms-api", 503)
    assert code == 503 and "no healthy upstream" in body["error"]
    ecs.update_service(cluster=RMS["cluster"], service=RMS["service"], desiredCount=3)
    seen = eventually(lambda: _health("rms-api"), lambda answer: answer[1]["status"] == "healthy")
    assert seen[-1][0] == 200 and seen[-1][1]["version"] == "2.14.0"
    assert {answer[1]["status"] for answer in seen} <= {"unhealthy", "degraded", "healthy"}  # tasks come back a step at a time


def test_scaled_to_zero_by_hand_fails_the_morning_check(healthy, tmp_path, aws):
    """Measured before: the API still answered 200 and daily-health-check passed."""
    aws.client("ecs", RMS["region"]).update_service(cluster=RMS["cluster"], service=RMS["service"], desiredCount=0)
    assert _until("rms-api", 503)[0] == 503  # its tasks drained
    res = opslib("run", "daily-health-check", "--env", "sandbox", "--no-progress", runs=tmp_path)
    assert res.returncode == 1, res.stdout
    rows = {line.split()[1] + " " + line.split()[2]: line.split()[0] for line in res.stdout.splitlines() if line.split()[:1] in (["OK"], ["WARN"], ["CRITICAL"], ["ERROR"])}
    assert rows["http_endpoint_healthy api"] == "CRITICAL" and rows["ecs_service_tasks_running rms-backend-service-prod"] == "CRITICAL"
    assert "scaled to 0 tasks" in res.stdout
    assert ledger(tmp_path)[0]["status"] == "critical"


def test_web_app_answers_from_its_instance_and_container(healthy, aws):
    ec2 = aws.client("ec2")
    (instance_id,) = [i["InstanceId"] for r in ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [WEBAPP["instance_name"]]}])["Reservations"]
                      for i in r["Instances"] if i["State"]["Name"] == "running"]
    assert _health("webapp")[0] == 200
    ec2.stop_instances(InstanceIds=[instance_id])
    code, body = _health("webapp")
    assert code == 504 and body["error"] == f"instance {WEBAPP['instance_name']} is stopped"
    ec2.start_instances(InstanceIds=[instance_id])
    assert _health("webapp")[0] == 200


def test_a_service_below_desired_is_slower_and_sometimes_fails(healthy):
    sandbox.control("scenario/ecs-degraded")  # 1 of 3 running
    answers = [_health("rms-api") for _ in range(3)]
    assert [code for code, _ in answers] == [200, 200, 503]
    assert answers[0][1]["status"] == "degraded" and answers[0][1]["tasks"] == "1/3"


def test_rms_frontend_answers_from_its_distribution_and_bucket(healthy, aws):
    """The frontend is a CloudFront distribution in front of a bucket: turning either off by hand shows."""
    cf, s3 = aws.client("cloudfront"), aws.client("s3", RMS["region"])
    code, body = _health("rms-frontend")
    assert (code, body["status"], body["version"]) == (200, "healthy", "2.14.0")
    (dist,) = [d for d in cf.list_distributions()["DistributionList"]["Items"] if "rms.example.com" in d["Aliases"].get("Items", [])]
    s3.delete_object(Bucket=RMS["frontend_bucket"], Key="health.json")
    code, body = _health("rms-frontend")
    assert code == 404 and "health.json" in body["error"]
    answer = cf.get_distribution_config(Id=dist["Id"])
    cf.update_distribution(Id=dist["Id"], IfMatch=answer["ETag"], DistributionConfig=answer["DistributionConfig"] | {"Enabled": False})
    code, body = _health("rms-frontend")
    assert code == 503 and "disabled" in body["error"]
