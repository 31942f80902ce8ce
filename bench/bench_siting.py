#!/usr/bin/env python3
"""Benchmark of siting (issue 4): islandcover (HiGHS + reductions) vs PySAL spopt with its
default CBC, the same cost matrix and parameters, one run, both timed here.

Instances: Zhoushan (53 powered islands × 65 candidate landings, calm, workboat, people
weights), and synthetic uniform-random instances (points in a 100 × 100 square, Euclidean
"minutes", weights 1–100, seed 0): 1,000 × 500 and 10,000 × 500 by default.
A ratio (spopt seconds / ours) is printed only when both proved the same objective;
otherwise the row says who stopped at the time limit and with what gap.

Run: ``python bench/bench_siting.py [--sizes zhoushan,1000,10000] [--time-limit 600]``.

Issue 19 cases (``--scale``; weights 1–999, the same seed-0 points):

* ``1000x100-p12``: p-median, ours against plain HiGHS on the textbook (assignment) formulation
  through ``scipy.optimize.milp``, both run here, with the ratio when both prove the same optimum;
* ``10000x1000-p50``: p-median and MCLP (15 min) with a 60 s limit: status, bound and gap.

Each row gives wall time and peak Python memory (tracemalloc: numpy arrays included, HiGHS's
own C++ allocations not) and the process's peak resident size so far (getrusage).

Run: ``python bench/bench_siting.py --scale [--scale-cases 1000x100-p12,10000x1000-p50]``.
"""
from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
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


def synthetic_999(n: int, m: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """As :func:`synthetic`, with the issue-19 weights 1–999."""
    rng = np.random.default_rng(seed)
    d, s = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (m, 2))
    c = np.hypot(d[:, None, 0] - s[None, :, 0], d[:, None, 1] - s[None, :, 1])
    return pd.DataFrame(c, columns=[f"s{j}" for j in range(m)]), rng.integers(1, 1000, n).astype(float)


def textbook_pmedian_highs(c: np.ndarray, w: np.ndarray, p: int, limit: float | None) -> tuple[float, float, str]:
    """Plain HiGHS on the assignment formulation: x_ij ≤ y_j, Σ_j x_ij = 1, Σ y = p."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array, eye, hstack, kron, vstack

    t0 = time.perf_counter()
    n, m = c.shape
    cost = np.concatenate([(w[:, None] * c).ravel(), np.zeros(m)])
    assign = hstack([kron(eye(n), np.ones((1, m))), csr_array((n, m))])
    link = hstack([eye(n * m), -kron(np.ones((n, 1)), eye(m))])
    card = hstack([csr_array((1, n * m)), np.ones((1, m))])
    opts: dict[str, object] = {"mip_rel_gap": 1e-9}
    if limit is not None:
        opts["time_limit"] = limit
    res = milp(cost, integrality=np.concatenate([np.zeros(n * m), np.ones(m)]), bounds=Bounds(0, 1),
               constraints=[LinearConstraint(vstack([assign, card]).tocsr(), np.r_[np.ones(n), p], np.r_[np.ones(n), p]),
                            LinearConstraint(link.tocsr(), -np.inf, 0)], options=opts)
    return time.perf_counter() - t0, float(res.fun) if res.x is not None else float("nan"), \
        "optimal" if res.status == 0 else "time_limit"


def measured(fn):  # type: ignore[no-untyped-def]
    """Run ``fn()``; return (its result, seconds, peak traced MB, peak RSS MB of the process)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, secs, peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale(cases: list[str], time_limit: float) -> None:
    print(f"{'case':>16} {'model':>8} {'ours s':>8} {'status':>10} {'objective':>14} {'bound':>14} {'gap':>8} "
          f"{'peak MB':>8} {'RSS MB':>7}  reference")
    for case in cases:
        if case == "1000x100-p12":
            cost, w = synthetic_999(1000, 100)
            prob = SitingProblem.from_cost_matrix(cost, w)
            r, secs, peak, rss = measured(lambda: prob.solve("pmedian", p=12))
            (ref_s, ref_obj, ref_st), _, ref_peak, ref_rss = measured(
                lambda: textbook_pmedian_highs(prob.cost, w, 12, None))
            same = r.status == ref_st == "optimal" and np.isclose(r.objective, ref_obj, rtol=1e-9)
            ratio = f"{ref_s / secs:.1f}x" if same else "n/a (objectives differ or not proven)"
            print(f"{case:>16} {'pmedian':>8} {secs:>8.2f} {r.status:>10} {r.objective:>14.2f} {r.bound:>14.2f} "
                  f"{r.gap:>8.2%} {peak:>8.0f} {rss:>7.0f}  plain HiGHS textbook {ref_s:.2f} s {ref_st} "
                  f"{ref_obj:.2f}, peak {ref_peak:.0f} MB; ratio {ratio}", flush=True)
        elif case == "10000x1000-p50":
            cost, w = synthetic_999(10000, 1000)
            prob = SitingProblem.from_cost_matrix(cost, w)
            for model in ("pmedian", "mclp"):
                r, secs, peak, rss = measured(lambda: prob.solve(model, p=50, minutes=15.0, time_limit=time_limit))
                print(f"{case:>16} {model:>8} {secs:>8.2f} {r.status:>10} {r.objective:>14.2f} {r.bound:>14.2f} "
                      f"{r.gap:>8.3%} {peak:>8.0f} {rss:>7.0f}  limit {time_limit:g} s; greedy "
                      f"{r.stats.get('greedy', float('nan')):.2f}", flush=True)
        else:
            raise SystemExit(f"unknown case {case!r}")


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
    ap.add_argument("--scale", action="store_true", help="the issue-19 cases instead")
    ap.add_argument("--scale-cases", default="1000x100-p12,10000x1000-p50")
    ap.add_argument("--scale-limit", type=float, default=60.0, help="time limit of the 10000x1000 cases")
    args = ap.parse_args()
    if args.scale:
        scale(args.scale_cases.split(","), args.scale_limit)
        return
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
