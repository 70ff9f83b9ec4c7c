"""CloudWatch alarms in the sandbox are evaluated from metric data as CloudWatch does it, and
their state changes reach the alarm's SNS topic and its subscribers, all through the AWS APIs."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

from opslib_sandbox.world import ACCOUNT, EC2M, RMS, REGION

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:ec2-manager-notifications-production"


def _put(cw, namespace, metric, dims, values, minutes_apart=1, unit="None"):
    now = datetime.now(UTC)
    data = [{"MetricName": metric, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()], "Value": v,
             "Timestamp": now - timedelta(minutes=minutes_apart * (len(values) - 1 - i)), "Unit": unit} for i, v in enumerate(values)]
    cw.put_metric_data(Namespace=namespace, MetricData=data)


def _state(cw, name):
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def test_cpu_at_99_percent_for_15_minutes_sets_off_its_alarm(healthy, aws):
    """Measured before: rms-ecs-cpu-high stayed OK forever (moto never evaluates alarms)."""
    cw = aws.client("cloudwatch", RMS["region"])
    assert _state(cw, "rms-ecs-cpu-high")["StateValue"] == "OK"
    now = datetime.now(UTC)  # as ECS publishes it: a statistic set a minute (here 60 samples of 99 %)
    cw.put_metric_data(Namespace="AWS/ECS", MetricData=[
        {"MetricName": "CPUUtilization", "Dimensions": [{"Name": "ClusterName", "Value": RMS["cluster"]}, {"Name": "ServiceName", "Value": RMS["service"]}],
         "Timestamp": now - timedelta(minutes=m), "StatisticValues": {"SampleCount": 60, "Sum": 99.0 * 60, "Minimum": 99.0, "Maximum": 99.0},
         "Unit": "Percent"} for m in range(15)])
    alarm = _state(cw, "rms-ecs-cpu-high")
    assert alarm["StateValue"] == "ALARM", alarm["StateReason"]
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [") and "greater than the threshold (80)" in alarm["StateReason"]
    history = cw.describe_alarm_history(AlarmName="rms-ecs-cpu-high", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert history[0]["HistorySummary"] == "Alarm updated from OK to ALARM"


def test_an_alarm_reaches_its_topic_and_the_topics_subscribers(healthy, aws):
    """Seed 001: CloudWatch -> SNS -> Slack. The sandbox delivers to SQS queues and HTTP endpoints."""
    got = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sns, sqs, cw = aws.client("sns"), aws.client("sqs"), aws.client("cloudwatch")  # EC2 Manager: the default region
    queue = sqs.create_queue(QueueName=f"alarm-inbox-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=TOPIC, Protocol="sqs", Endpoint=queue_arn)
    sns.subscribe(TopicArn=TOPIC, Protocol="http", Endpoint=f"http://127.0.0.1:{server.server_port}/slack-relay")
    try:
        got.clear()  # the subscription confirmation
        _put(cw, "AWS/Lambda", "Errors", {"FunctionName": EC2M["function"]}, [4.0, 3.0, 5.0], unit="Count")  # 12 in 5 minutes > 5
        assert _state(cw, "ec2-manager-lambda-errors")["StateValue"] == "ALARM"
        (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
        note = json.loads(json.loads(message["Body"])["Message"])
        assert (note["AlarmName"], note["OldStateValue"], note["NewStateValue"]) == ("ec2-manager-lambda-errors", "OK", "ALARM")
        assert note["Trigger"]["MetricName"] == "Errors" and note["Trigger"]["Threshold"] == 5
        posted = [g for g in got if g.get("Type") == "Notification"]
        assert len(posted) == 1 and json.loads(posted[0]["Message"])["NewStateValue"] == "ALARM"
        assert posted[0]["Subject"] == 'ALARM: "ec2-manager-lambda-errors" in US West (Oregon)'
    finally:
        server.shutdown()


def test_periods_datapoints_to_alarm_and_missing_data_as_cloudwatch_counts_them(healthy, aws):
    cw = aws.client("cloudwatch", RMS["region"])
    ns, metric = "Test/Alarms", f"m{uuid.uuid4().hex[:6]}"

    def alarm(name, **kw):
        cw.put_metric_alarm(AlarmName=name, Namespace=ns, MetricName=metric, Statistic=kw.pop("Statistic", "Maximum"), Period=60,
                            EvaluationPeriods=3, Threshold=10, ComparisonOperator="GreaterThanThreshold", **kw)
        return name

    missing, not_breaching, breaching = alarm(f"{metric}-missing"), alarm(f"{metric}-nb", TreatMissingData="notBreaching"), alarm(f"{metric}-b", TreatMissingData="breaching")
    assert [_state(cw, a)["StateValue"] for a in (missing, not_breaching, breaching)] == ["INSUFFICIENT_DATA", "OK", "ALARM"]
    two_of_three = alarm(f"{metric}-2of3", DatapointsToAlarm=2)
    p95 = cw.put_metric_alarm(AlarmName=f"{metric}-p95", Namespace=ns, MetricName=metric, ExtendedStatistic="p95", Period=60, EvaluationPeriods=1,
                              Threshold=50, ComparisonOperator="GreaterThanOrEqualToThreshold") and f"{metric}-p95"
    _put(cw, ns, metric, {}, [20.0, 1.0, 1.0])  # one of three periods breaches: not enough for either
    assert [_state(cw, a)["StateValue"] for a in (missing, two_of_three, p95)] == ["OK", "OK", "OK"]
    _put(cw, ns, metric, {}, [1.0, 30.0])  # now two of the last three: enough for 2 of 3, not for 3 of 3
    assert [_state(cw, a)["StateValue"] for a in (missing, two_of_three)] == ["OK", "ALARM"]
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": metric, "Values": [float(v) for v in range(1, 101)]}])
    assert _state(cw, p95)["StateValue"] == "ALARM"  # the 95th of 1..100 is 95


def test_get_metric_statistics_answers_percentiles(healthy, aws):
    cw = aws.client("cloudwatch", RMS["region"])
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName="TargetResponseTime",
                                      Dimensions=[{"Name": "LoadBalancer", "Value": "app/rms-alb-prod/50dc6c495c0c9188"}],
                                      StartTime=now - timedelta(hours=3), EndTime=now, Period=3600, ExtendedStatistics=["p95", "p99"])["Datapoints"]
    assert len(points) >= 2
    for p in points:
        assert 0 < p["ExtendedStatistics"]["p95"] <= p["ExtendedStatistics"]["p99"] < 5


def test_list_metrics_names_each_metric_once(healthy, aws):
    """moto listed a metric of two dimensions once per datapoint (about a thousand for a week)."""
    cw = aws.client("cloudwatch", RMS["region"])
    found = cw.list_metrics(Namespace="AWS/ECS", MetricName="CPUUtilization")["Metrics"]
    assert [sorted((d["Name"], d["Value"]) for d in m["Dimensions"]) for m in found] == [[("ClusterName", RMS["cluster"]), ("ServiceName", RMS["service"])]]
    only = cw.list_metrics(Namespace="AWS/ECS", Dimensions=[{"Name": "ServiceName", "Value": RMS["service"]}])["Metrics"]
    assert sorted(m["MetricName"] for m in only) == ["CPUUtilization", "MemoryUtilization"]
