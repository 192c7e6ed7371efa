"""Benchmark: how long the test suite takes — the whole of it, and the quick run (``-m "not slow"``).

    .venv/bin/python tests/bench/bench_suite.py [--runs 3] [--only whole|quick]

Each run is a fresh ``python -m pytest -q`` process; it prints the wall time and the CPU the run and
its children used (the sandboxes the tests start), the counts pytest reports, and the medians. Not part
of the suite; the machine's other work shows in the figures, so compare medians of one sitting.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = {
    "whole": ["-q", "-p", "no:cacheprovider"],
    "quick": ["-q", "-p", "no:cacheprovider", "-m", "not slow"],
}


def one(args: list[str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = next(
        (line for line in reversed(done.stdout.splitlines()) if re.search(r"\d+ (passed|failed)", line)), ""
    )
    return wall, cpu, summary.strip("= ")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=sorted(RUNS))
    opts = parser.parse_args()
    for name, args in RUNS.items():
        if opts.only and name != opts.only:
            continue
        walls, cpus = [], []
        for i in range(opts.runs):
            wall, cpu, summary = one(args)
            walls.append(wall)
            cpus.append(cpu)
            print(f"{name} run {i + 1}: {wall:.0f} s wall, {cpu:.0f} s CPU — {summary}", flush=True)
        print(
            f"{name}: median {statistics.median(walls):.0f} s wall ({min(walls):.0f}–{max(walls):.0f}), "
            f"median {statistics.median(cpus):.0f} s CPU",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
