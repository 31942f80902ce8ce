"""Members per second of ``islandcover ensemble``: serially in one process vs a dask LocalCluster.

Run: ``python bench/bench_ensemble.py [--members 20] [--workers 2] [--from 2022-09-13T08:00+08:00]``
(default: 20 members of 梅花 Muifa 2022 over its whole best track, 256 hourly steps each). The
serial run and the cluster's use one seed, and the bench checks that they give the same answer.
The cluster's time includes starting it and sending it the network (what a user waits for).
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

import numpy as np

from islandcover import Archipelago, Config, load_network
from islandcover.typhoon.ensemble import EnsembleRouter, run_ensemble
from islandcover.typhoon.tracks import shipped_track


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--storm", default="梅花")
    ap.add_argument("--from", dest="start", default=None, help="lead time 0, ISO 8601 with offset")
    ap.add_argument("--seed", type=int, default=2022)
    args = ap.parse_args()
    cfg = Config.from_env()
    arch = Archipelago.load(cfg.data_folder())
    net = load_network(arch, cache_dir=cfg.cache_dir)
    track = shipped_track(args.storm)
    start = datetime.fromisoformat(args.start) if args.start else None
    runs = {}
    for label, workers in (("serial", 0), (f"LocalCluster({args.workers} processes)", args.workers)):
        t = time.perf_counter()
        ens = run_ensemble(EnsembleRouter(arch, net), track, args.members, seed=args.seed, start=start,
                           workers=workers)
        runs[label] = (ens, time.perf_counter() - t)
        print(f"{label:28s} {args.members} members in {runs[label][1]:6.1f} s: "
              f"{args.members / runs[label][1]:.3f} members/s", flush=True)
    (a, ta), (b, tb) = runs.values()
    same = np.array_equal(a.hours_cut_off, b.hours_cut_off) and np.array_equal(a.peak_bft, b.peak_bft)
    print(f"ratio cluster/serial (members/s): {ta / tb:.2f}; same answer: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
