"""`opslib run daily-health-check` against the seed's bash script, on the same sandbox.

Both are timed as whole processes, interleaved round by round, so load on the machine hits
both alike. The bash side does the six checks the way seed 003's `daily-health-check.sh`
(plus seed 001's alarm and cost commands) does them: curl for the two /health URLs and one
aws CLI process per call. The opslib side includes filing the notebook, the HTML and the
ledger record. Prints the medians and the ratio (target: <= 1.0).

    .venv/bin/python benchmarks/daily_health_check_vs_bash.py [--rounds 5]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

BASH = r"""
set -u
FRONTEND_STATUS=$(curl -s -o /dev/null -w "%{http_code}" "$OPSLIB_SANDBOX_URL/_sandbox/sites/rms-frontend/health")
[ "$FRONTEND_STATUS" = "200" ] && echo "Frontend OK" || echo "Frontend FAIL"
API_STATUS=$(curl -s -o /dev/null -w "%{http_code}" "$OPSLIB_SANDBOX_URL/_sandbox/sites/rms-api/health")
[ "$API_STATUS" = "200" ] && echo "API OK" || echo "API FAIL"
DB_STATUS=$(aws rds describe-db-instances --db-instance-identifier rms-db-prod \
  --query 'DBInstances[0].DBInstanceStatus' --output text 2>/dev/null)
[ "$DB_STATUS" = "available" ] && echo "Database OK" || echo "Database FAIL"
HEALTHY_TASKS=$(aws ecs describe-services --cluster rms-cluster-prod --services rms-backend-service-prod \
  --query 'services[0].runningCount' --output text 2>/dev/null)
DESIRED_TASKS=$(aws ecs describe-services --cluster rms-cluster-prod --services rms-backend-service-prod \
  --query 'services[0].desiredCount' --output text 2>/dev/null)
[ "$HEALTHY_TASKS" = "$DESIRED_TASKS" ] && echo "ECS Service OK" || echo "ECS Service DEGRADED"
ERROR_COUNT=$(aws logs filter-log-events --log-group-name /aws/ecs/rms-backend-prod \
  --start-time $(($(date +%s) - 3600))000 --filter-pattern "ERROR" --query 'length(events)' --output text 2>/dev/null)
[ "$ERROR_COUNT" -lt 10 ] && echo "Error Rate Normal" || echo "High Error Rate"
ALARMS=$(aws cloudwatch describe-alarms --state-value ALARM --query 'length(MetricAlarms)' --output text 2>/dev/null)
[ "$ALARMS" = "0" ] && echo "Alarms OK" || echo "Alarms: $ALARMS in ALARM"
COST=$(aws ce get-cost-and-usage --time-period Start=$(date -u -d yesterday +%F),End=$(date -u +%F) \
  --granularity DAILY --metrics BlendedCost --query 'ResultsByTime[0].Total.BlendedCost.Amount' --output text 2>/dev/null)
echo "Yesterday's cost: $COST"
"""


def timed(cmd, env) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("aws", path=str(BIN)):
        sys.exit("the aws CLI is not installed in this environment: pip install -e '.[test]'")

    sys.path.insert(0, str(ROOT))
    import opslib_sandbox as sandbox

    sandbox.up()
    sandbox.control("reset")
    runs = Path(tempfile.mkdtemp(prefix="opslib-bench-"))
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", OPSLIB_RUNS_DIR=str(runs))
    bash_env = dict(env)
    for k, v in sandbox.kernel_env().items():
        if v is None:
            bash_env.pop(k, None)
        else:
            bash_env[k] = v
    script = runs / "daily-health-check.sh"
    script.write_text(BASH)

    bash_cmd = ["bash", str(script)]
    opslib_cmd = [str(BIN / "opslib"), "run", "daily-health-check", "--env", "sandbox", "--no-progress"]
    timed(bash_cmd, bash_env), timed(opslib_cmd, env)  # warm the page cache for both
    bash, notebook = [], []
    for i in range(args.rounds):
        order = [(bash, bash_cmd, bash_env), (notebook, opslib_cmd, env)]
        for samples, cmd, e in order if i % 2 == 0 else reversed(order):
            samples.append(timed(cmd, e))
    b, n = statistics.median(bash), statistics.median(notebook)
    print(f"bash + aws CLI (8 processes): median {b:.2f}s  {' '.join(f'{x:.2f}' for x in bash)}")
    print(f"opslib run (with evidence):   median {n:.2f}s  {' '.join(f'{x:.2f}' for x in notebook)}")
    print(f"ratio opslib/bash: {n / b:.2f} (target <= 1.0)")
    res = subprocess.run(opslib_cmd, env=dict(env, OPSLIB_TIMINGS="1"), capture_output=True, text=True)
    print("where opslib's time goes (one more run):", next((l[9:] for l in res.stderr.splitlines() if l.startswith("timings: ")), "?"))
    shutil.rmtree(runs, ignore_errors=True)


if __name__ == "__main__":
    main()
