"""What a run costs beyond its checks: `opslib run daily-health-check` against a plain Python script
making the same seven checks (boto3 and urllib, no notebook, no evidence), and the health area run as
one command (`opslib run --area health`, kernels forked from one pre-imported process) against one run.

Each is a whole process (CPU of it and its children, plus what the warm process (opslib.warm) and the
workers and kernels it forked spent meanwhile; and wall time), interleaved round by round so load on
the machine hits all alike; prints medians and the ratios, and a cold run (no warm process) beside. Targets (issue 22): a run's CPU
<= 1.0 s, its wall <= 2.5x the plain script's; the health area <= 2x one run.

    .venv/bin/python benchmarks/warm_start.py [--rounds 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

PLAIN = r"""
import json, os, time, urllib.request
from datetime import date, timedelta
import boto3
base = os.environ["OPSLIB_SANDBOX_URL"]
s = boto3.session.Session(region_name="us-east-1")
c = lambda name: s.client(name, endpoint_url=base)
for site in ("rms-frontend", "rms-api"):
    with urllib.request.urlopen(f"{base}/_sandbox/sites/{site}/health", timeout=10) as r:
        print(site, r.status, json.loads(r.read()).get("status"))
print("db", c("rds").describe_db_instances(DBInstanceIdentifier="rms-db-prod")["DBInstances"][0]["DBInstanceStatus"])
svc = c("ecs").describe_services(cluster="rms-cluster-prod", services=["rms-backend-service-prod"])["services"][0]
print("ecs", svc["runningCount"], svc["desiredCount"])
events = c("logs").get_paginator("filter_log_events").paginate(logGroupName="/aws/ecs/rms-backend-prod", filterPattern="ERROR",
                                                                startTime=int((time.time() - 3600) * 1000))
print("errors", sum(len(p["events"]) for p in events))
print("alarms", sum(len(p["MetricAlarms"]) for p in c("cloudwatch").get_paginator("describe_alarms").paginate(StateValue="ALARM")))
today = date.today()
cost = c("ce").get_cost_and_usage(TimePeriod={"Start": str(today - timedelta(days=1)), "End": str(today)}, Granularity="DAILY", Metrics=["BlendedCost"])
print("cost", cost["ResultsByTime"][0]["Total"]["BlendedCost"]["Amount"])
"""

MEASURED = r"""
import resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - t0
c = resource.getrusage(resource.RUSAGE_CHILDREN)
if code.returncode not in (0,):
    sys.exit(f"{sys.argv[1:]} exited {code.returncode}: {code.stderr[-2000:]}")
print(wall, c.ru_utime + c.ru_stime)
"""


def warm_cpu() -> float:
    """CPU of the warm processes (opslib.warm) and of the workers and kernels they forked and reaped: what a
    command handed to one costs is there, not in the command's own process."""
    total = 0.0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"from opslib import warm" not in cmdline.read_bytes():
                continue
            fields = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime, stime, cutime, cstime
    return total


def measure(cmd, env) -> tuple[float, float]:
    before = warm_cpu()
    res = subprocess.run([sys.executable, "-c", MEASURED, *cmd], capture_output=True, text=True, env=env)
    if res.returncode != 0:
        sys.exit(res.stderr)
    wall, cpu = map(float, res.stdout.split())
    time.sleep(0.3)  # the workers reaped, their CPU counted
    return wall, cpu + warm_cpu() - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    env = dict(os.environ)
    env.update({k: v for k, v in json.loads(subprocess.run([str(BIN / "python"), "-c", "import json; import opslib_sandbox as sandbox; sandbox.up(); "
                                                                                           "print(json.dumps(sandbox.kernel_env()))"],
                                                             capture_output=True, text=True, check=True).stdout).items() if v is not None})
    env["OPSLIB_RUNS_DIR"] = tempfile.mkdtemp(prefix="opslib-warm-")
    subprocess.run([str(BIN / "opslib"), "sandbox", "reset"], env=env, check=True, capture_output=True)
    run = [str(BIN / "opslib"), "run", "daily-health-check", "--no-progress"]
    cases = {"plain script": [sys.executable, "-c", PLAIN], "opslib run daily-health-check": run,
             "opslib run --area health (6 runs)": [str(BIN / "opslib"), "run", "--area", "health", "--no-progress"],
             "cold run (OPSLIB_WARM_IDLE_S=0)": ["env", "OPSLIB_WARM_IDLE_S=0", *run]}
    before = warm_cpu()
    measure(run, env)  # warm the machine's caches once, and start the warm process
    for _ in range(100):
        time.sleep(0.2)
        if warm_cpu() > before:
            break
    time.sleep(5)
    print(f"starting the warm process (once per {os.environ.get('OPSLIB_WARM_IDLE_S', '600')} s idle): {warm_cpu() - before:.2f} s CPU")
    for cmd in cases.values():
        measure(cmd, env)
    seen = {name: [] for name in cases}
    for _ in range(rounds):
        for name, cmd in cases.items():
            seen[name].append(measure(cmd, env))
    med = {name: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for name, v in seen.items()}
    for name, (wall, cpu) in med.items():
        print(f"{name:36} wall {wall:5.2f} s   CPU {cpu:5.2f} s")
    plain, run, area = med["plain script"], med["opslib run daily-health-check"], med["opslib run --area health (6 runs)"]
    print(f"\na run's CPU: {run[1]:.2f} s (target <= 1.0)")
    print(f"a run's wall against the plain script: {run[0] / plain[0]:.1f}x (target <= 2.5)")
    print(f"the health area as one command against one run: {area[0] / run[0]:.1f}x wall (target <= 2), {area[1] / run[1]:.1f}x CPU for 6 runs")
    print(f"a run within that batch: {area[1] / 6:.2f} s CPU, {area[0] / 6:.2f} s wall ({area[0] / 6 / plain[0]:.1f}x the plain script)")
    cold = med["cold run (OPSLIB_WARM_IDLE_S=0)"]
    print(f"a cold run (no warm process): {cold[1]:.2f} s CPU, {cold[0] / plain[0]:.1f}x the plain script's wall")


if __name__ == "__main__":
    main()
