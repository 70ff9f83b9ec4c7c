"""One notebook over 16 targets (4 accounts x 4 regions) against one target, wall clock, on the sandbox (issue 27's
target: <= 2x). Both are whole `opslib run` processes, interleaved round by round; the accounts are the sandbox's two
that let the operator in, each named twice (its role assumed per target, as distinct accounts would be).

Beside the wall clock it prints the machine's CPU per run (all processes: runner, kernels, sandbox), which bounds
the ratio: each target is its own run with its own kernel, so 16 targets cost 16 kernels' CPU, and on a 2-core
machine against the local sandbox (no network latency) that, not waiting, is what the 16 take.

    .venv/bin/python benchmarks/targets.py [--rounds 3] [--notebook log-retention] [--jobs 6]
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
ACCOUNTS = [("a", "123456789012"), ("b", "222222222222"), ("c", "123456789012"), ("d", "222222222222")]
REGIONS = ["us-west-2", "us-east-1", "eu-west-1", "ap-southeast-2"]


def project(folder: Path, accounts, regions) -> Path:
    (folder / "parameters").mkdir(parents=True)
    (folder / "notebooks").symlink_to(ROOT / "notebooks")
    for path in (ROOT / "parameters").glob("*.yaml"):
        (folder / "parameters" / path.name).write_text(path.read_text())
    (folder / "parameters" / "incidents").symlink_to(ROOT / "parameters" / "incidents")
    lines = ["targets:", "  accounts:"] + [f'    - {{name: {n}, role_arn: "arn:aws:iam::{a}:role/OpsAudit", external_id: opslib-sandbox}}' for n, a in accounts]
    lines.append(f"  regions: [{', '.join(regions)}]")
    (folder / "parameters" / "multi.yaml").write_text((ROOT / "parameters" / "sandbox.yaml").read_text() + "\n" + "\n".join(lines) + "\n")
    return folder


def cpu_s() -> float:
    """Seconds of CPU the whole machine has spent (user + system), from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def timed(home: Path, notebook: str, jobs: int) -> tuple[float, float]:
    runs = Path(tempfile.mkdtemp(prefix="bench-runs-"))
    began, cpu = time.perf_counter(), cpu_s()
    subprocess.run([str(Path(sys.executable).parent / "opslib"), "run", notebook, "--env", "multi", "--jobs", str(jobs), "--no-progress", "--runs-dir", str(runs)],
                   env=dict(os.environ, OPSLIB_HOME=str(home)), capture_output=True, check=False)
    took, used = time.perf_counter() - began, cpu_s() - cpu
    shutil.rmtree(runs, ignore_errors=True)
    return took, used


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--notebook", default="log-retention")
    ap.add_argument("--jobs", type=int, default=6)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-targets-"))
    one, many = project(base / "one", ACCOUNTS[:1], REGIONS[:1]), project(base / "many", ACCOUNTS, REGIONS)
    timed(one, args.notebook, args.jobs)  # the sandbox up, the warm process started: not what is measured
    single, sixteen = [], []
    for _ in range(args.rounds):
        single.append(timed(one, args.notebook, args.jobs))
        sixteen.append(timed(many, args.notebook, args.jobs))
    a, b = statistics.median(t for t, _ in single), statistics.median(t for t, _ in sixteen)
    ca, cb = statistics.median(c for _, c in single), statistics.median(c for _, c in sixteen)
    print(f"{args.notebook}: 1 target {a:.2f} s, 16 targets {b:.2f} s (--jobs {args.jobs}): ratio {b / a:.2f} (target <= 2.0)")
    print(f"CPU: 1 target {ca:.2f} s, 16 targets {cb:.2f} s ({(cb - ca) / 15:.2f} s for each target more); on {os.cpu_count()} cores "
          f"16 targets take at least {cb / os.cpu_count():.2f} s, a ratio of {cb / os.cpu_count() / a:.2f}")
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
