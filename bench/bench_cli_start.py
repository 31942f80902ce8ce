#!/usr/bin/env python3
"""Benchmark of a warm command-line answer (issue 19): ``islandcover nearest 蚂蚁岛`` as a process.

Baselines measured in the same run, alternating with the command (A B C A B C …):

- the import floor: a process that imports the libraries the answer cannot do without
  (geopandas for the model, SQLAlchemy for the live state, scipy's sparse graphs);
- ``import islandcover`` alone (the package imports its parts lazily, so this is Python's start).

The command is run once first so that the model, the network and the search skeletons are in
the cache (``$ISLANDCOVER_CACHE``): what is timed is a warm start. Wall seconds and the peak
resident memory of each process (``ru_maxrss`` of the child) are reported as medians.

Run: ``python bench/bench_cli_start.py [--runs 7]``.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

COMMAND = [sys.executable, "-m", "islandcover.cli", "nearest", "蚂蚁岛"]
FLOOR = [sys.executable, "-c", "import islandcover, geopandas, sqlalchemy, scipy.sparse.csgraph, scipy.spatial"]
PACKAGE = [sys.executable, "-c", "import islandcover"]


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one run of ``argv``."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    return wall, usage.ru_maxrss / 1024  # kB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    args = ap.parse_args()
    subprocess.run(COMMAND, check=True, stdout=subprocess.DEVNULL)  # fills the caches
    cases = {"islandcover nearest 蚂蚁岛 (warm)": COMMAND, "import floor (geopandas, sqlalchemy, scipy)": FLOOR,
             "import islandcover": PACKAGE}
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
    for _ in range(args.runs):
        for name, argv in cases.items():
            runs[name].append(timed(argv))
    wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    print(f"warm command-line start, median of {args.runs} runs each (alternating); "
          f"this process's own peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    for name in cases:
        peak = statistics.median(m for _, m in runs[name])
        print(f"  {name:44s} {wall[name]:6.2f} s  peak {peak:6.1f} MiB")
    command, floor = wall["islandcover nearest 蚂蚁岛 (warm)"], wall["import floor (geopandas, sqlalchemy, scipy)"]
    print(f"  ratio command / import floor: {command / floor:.2f}x (goal: within 2x)")


if __name__ == "__main__":
    main()
