#!/usr/bin/env python3
"""Benchmark of siting (issue 4): islandcover (HiGHS + reductions) vs PySAL spopt with its
default CBC, the same cost matrix and parameters, one run, both timed here.

Instances: Zhoushan (53 powered islands × 65 candidate landings, calm, workboat, people
weights), and synthetic uniform-random instances (points in a 100 × 100 square, Euclidean
"minutes", weights 1–100, seed 0): 1,000 × 500 and 10,000 × 500 by default.
A ratio (spopt seconds / ours) is printed only when both proved the same objective;
otherwise the row says who stopped at the time limit and with what gap.

Run: ``python bench/bench_siting.py [--sizes zhoushan,1000,10000] [--time-limit 600]``.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from islandcover import Config, SitingProblem

warnings.simplefilter("ignore")


def zhoushan() -> tuple[pd.DataFrame, np.ndarray]:
    from islandcover import (
        Archipelago,
        CoverageModel,
        Router,
        Scenario,
        demand_weights,
        load_network,
    )

    arch = Archipelago.load()
    model = CoverageModel(Router(arch, load_network(arch, cache_dir=Config.from_env().cache_dir)))
    return model.candidate_matrix(Scenario()), demand_weights(model.demand, "people")


def synthetic(n: int, m: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    d, s = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (m, 2))
    c = np.hypot(d[:, None, 0] - s[None, :, 0], d[:, None, 1] - s[None, :, 1])
    return pd.DataFrame(c, columns=[f"s{j}" for j in range(m)]), rng.integers(1, 101, n).astype(float)


def run_spopt(model: str, c: np.ndarray, w: np.ndarray, p: int, minutes: float, limit: float) -> tuple[float, float | None, str]:
    import pulp
    from spopt.locate import LSCP, MCLP, PCenter, PMedian

    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
    t0 = time.perf_counter()
    if model == "mclp":
        r = MCLP.from_cost_matrix(c, w, service_radius=minutes, p_facilities=p)
    elif model == "pmedian":
        r = PMedian.from_cost_matrix(c, w, p_facilities=p)
    elif model == "pcenter":
        r = PCenter.from_cost_matrix(c, p_facilities=p)
    else:
        r = LSCP.from_cost_matrix(c, service_radius=minutes)
    try:
        r.solve(solver)
    except RuntimeError:  # spopt raises when CBC stops at the time limit without a proven solution
        return time.perf_counter() - t0, None, f"stopped at {limit:g} s"
    secs = time.perf_counter() - t0
    status = pulp.LpStatus[r.problem.status]
    return secs, pulp.value(r.problem.objective), status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="zhoushan,1000,10000")
    ap.add_argument("--models", default="mclp,pmedian,pcenter,setcover")
    ap.add_argument("--time-limit", type=float, default=600.0, help="per solve, seconds (both tools)")
    ap.add_argument("--skip-spopt-above", type=int, default=2_000_000,
                    help="do not run spopt when demand × sites exceeds this (its assignment model is too big)")
    args = ap.parse_args()
    print(f"{'instance':>14} {'model':>9} {'ours s':>9} {'status':>10} {'objective':>14} {'spopt s':>9} "
          f"{'status':>10} {'objective':>14} {'ratio':>8}")
    for size in args.sizes.split(","):
        if size == "zhoushan":
            cost, w = zhoushan()
            p, minutes = 4, 60.0
        else:
            cost, w = synthetic(int(size), 500)
            p, minutes = 10, 15.0
        prob = SitingProblem.from_cost_matrix(cost, w)
        name = f"{size}×{cost.shape[1]}" if size != "zhoushan" else "Zhoushan 53×65"
        for model in args.models.split(","):
            ours = prob.solve(model, p=p, minutes=minutes, time_limit=args.time_limit)
            row = f"{name:>14} {model:>9} {ours.seconds:>9.2f} {ours.status:>10} {ours.objective:>14.2f}"
            if cost.size > args.skip_spopt_above and model in ("pmedian", "pcenter"):
                print(row + f" {'not run':>9} (assignment model of {cost.size:,} variables)", flush=True)
                continue
            secs, obj, st = run_spopt(model, prob.cost, w, p, minutes, args.time_limit)
            same = obj is not None and st == "Optimal" and ours.status == "optimal" and np.isclose(obj, ours.objective, rtol=1e-6)
            ratio = f"{secs / ours.seconds:>7.1f}×" if same else "  n/a"
            print(row + f" {secs:>9.2f} {st:>10} {obj if obj is not None else float('nan'):>14.2f} {ratio:>8}"
                  + ("" if same or obj is None else "  (objectives differ or not proven)"), flush=True)


if __name__ == "__main__":
    main()
