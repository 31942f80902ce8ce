"""Members per second of ``islandcover ensemble``: serially in one process, on a dask LocalCluster, and
against the full replay as the baseline.

Run: ``python bench/bench_ensemble.py [--members 200] [--workers 2] [--baseline 4] [--from 2022-09-13T08:00+08:00]
[--no-serial]``
(default: 200 members of 梅花 Muifa 2022 over its whole best track, 256 hourly steps each).

Three measurements in one run, on one network and one seed:

* **serial**: ``run_ensemble(..., workers=0)`` in this process (members replayed by
  :func:`islandcover.typhoon.replay.cut_off_hours`, the replay's core without its display);
* **LocalCluster**: the same on ``--workers`` dask processes; its time includes starting the cluster
  and sending it the network (what a user waits for), so it is reported with and without that;
* **baseline**: the first ``--baseline`` members, each replayed by the full
  :func:`islandcover.typhoon.replay.replay` (the wind on every link of the network at every step the
  storm is near, as an ensemble member was replayed before ``cut_off_hours``).

The bench checks that the three give the same numbers for the members they share and exits 1 if
not. The machine's other load makes single timings noisy: compare ratios from one run.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

import numpy as np

from islandcover import Archipelago, Config, load_network
from islandcover.typhoon.ensemble import (
    EnsembleRouter,
    ErrorModel,
    forecast_track,
    member_seeds,
    member_track,
    run_ensemble,
)
from islandcover.typhoon.replay import replay
from islandcover.typhoon.tracks import shipped_track


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster processes (0: skip the cluster)")
    ap.add_argument("--baseline", type=int, default=4, help="members replayed in full as the baseline (0: skip)")
    ap.add_argument("--storm", default="梅花")
    ap.add_argument("--from", dest="start", default=None, help="lead time 0, ISO 8601 with offset")
    ap.add_argument("--seed", type=int, default=2022)
    ap.add_argument("--no-serial", action="store_true", help="skip the serial run (and the checks against it)")
    args = ap.parse_args()
    cfg = Config.from_env()
    arch = Archipelago.load(cfg.data_folder())
    net = load_network(arch, cache_dir=cfg.cache_dir)
    track = shipped_track(args.storm)
    start = datetime.fromisoformat(args.start) if args.start else None
    ok = True
    print(f"{args.storm}: {args.members} members, seed {args.seed}", flush=True)

    serial = None
    if not args.no_serial:
        router = EnsembleRouter(arch, net)
        t = time.perf_counter()
        serial = run_ensemble(router, track, args.members, seed=args.seed, start=start, workers=0)
        t_serial = time.perf_counter() - t
        print(f"{'serial':34s} {args.members / t_serial:8.2f} members/s ({t_serial:.1f} s)", flush=True)

    if args.workers:
        t = time.perf_counter()
        cluster = run_ensemble(EnsembleRouter(arch, net), track, args.members, seed=args.seed, start=start,
                               workers=args.workers)
        t_cluster = time.perf_counter() - t
        same = serial is None or all(np.array_equal(getattr(serial, f), getattr(cluster, f), equal_nan=True)
                                     for f in ("hours_cut_off", "longest_h", "peak_bft", "cut_from_h", "links_closed_h"))
        ok &= same
        print(f"{f'LocalCluster({args.workers} processes)':34s} {args.members / t_cluster:8.2f} members/s "
              f"({t_cluster:.1f} s with start-up; same answer as serial: "
              f"{'not run' if serial is None else same})", flush=True)

    if args.baseline and serial is not None:
        n = min(args.baseline, args.members)
        base = forecast_track(track, start)
        _, seeds = member_seeds(args.seed, args.members)
        full = EnsembleRouter(arch, net)
        rows = []
        t = time.perf_counter()
        for k in range(n):
            rp = replay(full, member_track(base, ErrorModel(), np.random.Generator(np.random.PCG64(seeds[k])), k), "1h")
            by_id = {s.id: s for s in rp.islands}
            rows.append([(by_id[i].hours_cut_off, by_id[i].longest_isolation_h, by_id[i].peak_bft)
                         for i in serial.island_ids])
        t_base = time.perf_counter() - t
        got = np.stack([serial.hours_cut_off[:n], serial.longest_h[:n], serial.peak_bft[:n]], axis=-1)
        same = bool(np.array_equal(np.array(rows, dtype=float), got.astype(float)))
        ok &= same
        print(f"{'baseline (full replay per member)':34s} {n / t_base:8.2f} members/s ({t_base:.1f} s for {n}; "
              f"same answer: {same})", flush=True)
        print(f"serial / baseline: {t_base / n / (t_serial / args.members):.0f}x faster per member")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
