"""How long a newcomer waits on the sandbox: `opslib sandbox up` from nothing and `opslib sandbox
reset`, against one warm `opslib run daily-health-check` in the same process (issue 12's targets:
up no more than twice a warm run, reset under 1 s). Prints the medians and the ratios.

    .venv/bin/python benchmarks/sandbox_up_and_reset.py [--rounds 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(*args, env) -> float:
    began = time.perf_counter()
    subprocess.run([str(BIN / "opslib"), *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    ups, resets, full_resets, runs = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, OPSLIB_SANDBOX_DIR=str(Path(tmp) / "sandbox"), OPSLIB_RUNS_DIR=str(Path(tmp) / "runs"),
                   OPSLIB_STATE_DIR=str(Path(tmp) / "state"))
        for _ in range(rounds):
            ups.append(timed("sandbox", "up", env=env))
            timed("run", "daily-health-check", "--no-progress", env=env)  # warms the caches a responder's second run has
            runs.append(timed("run", "daily-health-check", "--no-progress", env=env))
            resets.append(timed("sandbox", "reset", env=env))  # after read-only runs: nothing to restore
            timed("sandbox", "scenario", "bad-deploy", env=env)
            full_resets.append(timed("sandbox", "reset", env=env))  # after a scenario: the world restored
            timed("sandbox", "down", env=env)
    up, reset, full, run = (statistics.median(x) for x in (ups, resets, full_resets, runs))
    print(f"sandbox up (from nothing): median {up:.2f} s of {rounds}")
    print(f"sandbox reset, unchanged:  median {reset:.2f} s (target < 1 s)")
    print(f"sandbox reset, after bad-deploy: median {full:.2f} s (target < 1 s)")
    print(f"warm daily-health-check:   median {run:.2f} s")
    print(f"ratio up / warm run: {up / run:.2f} (target <= 2.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
