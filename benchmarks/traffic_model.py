"""What the sandbox's traffic model costs a client (issue 24): a GetMetricData after a call that
writes (the model writes this minute again first) against the same read with nothing changed, and
`opslib sandbox elapse 30`, all in one sandbox. Prints the medians and the ratio.

    .venv/bin/python benchmarks/traffic_model.py [--rounds 20]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["OPSLIB_SANDBOX_DIR"] = str(Path(tmp) / "sandbox")
        import boto3

        import opslib_sandbox as sandbox

        url = sandbox.up()
        try:
            keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "endpoint_url": url}
            cw, s3 = boto3.client("cloudwatch", region_name="us-east-1", **keys), boto3.client("s3", region_name="us-east-1", **keys)
            end = datetime.now(timezone.utc)
            query = [{"Id": "r", "MetricStat": {"Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount",
                                                           "Dimensions": [{"Name": "LoadBalancer", "Value": "app/rms-alb-prod/50dc6c495c0c9188"}]},
                                                "Period": 60, "Stat": "Sum"}}]

            def read() -> float:
                began = time.perf_counter()
                cw.get_metric_data(MetricDataQueries=query, StartTime=end - timedelta(minutes=30), EndTime=end + timedelta(minutes=1))
                return time.perf_counter() - began

            read()
            quiet = [read() for _ in range(rounds)]
            after = []
            for n in range(rounds):
                s3.put_object(Bucket="autostack-tfstate", Key=f"bench-{n}", Body=b"x")  # a call that writes: the world moved
                after.append(read())
            began = time.perf_counter()
            sandbox.control("elapse", {"minutes": 30})
            elapse = time.perf_counter() - began
        finally:
            sandbox.down()
    q, a = statistics.median(quiet), statistics.median(after)
    print(f"read, nothing changed:      {q * 1000:7.1f} ms (median of {rounds})")
    print(f"read after a write:         {a * 1000:7.1f} ms  ratio {a / q:.1f}x (the model writes this minute again first)")
    print(f"elapse 30 minutes:          {elapse * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
