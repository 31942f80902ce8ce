#!/usr/bin/env python3
"""Benchmark of siting (issue 4): islandcover (HiGHS + reductions) vs PySAL spopt with its
default CBC, the same cost matrix and parameters, one run, both timed here.

Instances: Zhoushan (53 powered islands × 65 candidate landings, calm, workboat, people
weights), and synthetic uniform-random instances (points in a 100 × 100 square, Euclidean
"minutes", weights 1–100, seed 0): 1,000 × 500 and 10,000 × 500 by default.
A ratio (spopt seconds / ours) is printed only when both proved the same objective;
otherwise the row says who stopped at the time limit and with what gap.

Run: ``python bench/bench_siting.py [--sizes zhoushan,1000,10000] [--time-limit 600]``.

Issue 19 cases (``--scale``; weights 1–999, the same seed-0 points), each solve in a fresh
process of its own:

* ``1000x100-p12``: p-median, ours against plain HiGHS on the textbook (assignment) formulation
  through ``scipy.optimize.milp``, both run here, with the ratio when both prove the same optimum;
* ``10000x1000-p50``: p-median (p = 50), MCLP (p = 50, 15 min: the issue's case, where 50 sites
  can cover everyone; and 8 min, where they cannot), p-center (p = 50) and set cover (15 min),
  each with a 60 s limit: time, status, bound and gap. Beside the MCLPs and the set cover,
  plain HiGHS on the textbook model with the same limit (``--no-baselines`` skips them); the
  textbook p-median and p-center (10 million assignment variables) are not built.

Memory: each solve runs in its own process, which builds the instance, then resets its
peak-RSS mark (``/proc/self/clear_refs``) and reports ``VmHWM`` after the solve: the peak
resident memory *during the solve*, everything included (numpy, scipy, HiGHS's own C++
allocations, which tracemalloc cannot see), beside the resident size before it (the loaded
instance and the interpreter). Where ``clear_refs`` is unavailable the process peak
(getrusage) is reported instead, marked ``*``.

Run: ``python bench/bench_siting.py --scale [--scale-cases 1000x100-p12,10000x1000-p50]``.
"""
from __future__ import annotations

import argparse
import resource
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


def textbook_mclp_highs(c: np.ndarray, w: np.ndarray, p: int, minutes: float,
                        limit: float | None) -> dict[str, object]:
    """Plain HiGHS on the textbook MCLP: max Σ w_i z_i, z_i ≤ Σ_{j covers i} y_j, Σ y = p."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array, eye, hstack

    n, m = c.shape
    a = csr_array((c <= minutes + 1e-9).astype(float))
    opts: dict[str, object] = {"mip_rel_gap": 1e-9}
    if limit is not None:
        opts["time_limit"] = limit
    res = milp(np.r_[np.zeros(m), -w], integrality=np.r_[np.ones(m), np.zeros(n)], bounds=Bounds(0, 1),
               constraints=[LinearConstraint(hstack([-a, eye(n)]).tocsr(), -np.inf, 0),
                            LinearConstraint(csr_array(np.r_[np.ones(m), np.zeros(n)][None, :]), p, p)],
               options=opts)
    obj = -float(res.fun) if res.x is not None else float("nan")
    bound = -float(res.mip_dual_bound) if res.mip_dual_bound is not None else float("inf")
    return {"status": "optimal" if res.status == 0 else "time_limit", "objective": obj, "bound": bound}


def textbook_setcover_highs(c: np.ndarray, minutes: float, limit: float | None) -> dict[str, object]:
    """Plain HiGHS on the textbook set cover: min Σ y, Σ_{j covers i} y_j ≥ 1."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    m = c.shape[1]
    opts: dict[str, object] = {"mip_rel_gap": 1e-9}
    if limit is not None:
        opts["time_limit"] = limit
    res = milp(np.ones(m), integrality=np.ones(m), bounds=Bounds(0, 1), options=opts,
               constraints=[LinearConstraint(csr_array((c <= minutes + 1e-9).astype(float)), 1, np.inf)])
    obj = float(res.fun) if res.x is not None else float("nan")
    bound = float(np.ceil(res.mip_dual_bound - 1e-6)) if res.mip_dual_bound is not None else float("-inf")
    return {"status": "optimal" if res.status == 0 else "time_limit", "objective": obj, "bound": bound}


def _vm(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def one_case(spec: dict[str, object]) -> dict[str, object]:
    """Build one scale instance, solve it once, measure time and peak memory (run in a child)."""
    import gc

    n, m, p = int(spec["n"]), int(spec["m"]), int(spec["p"])  # type: ignore[call-overload]
    minutes, limit, model = float(spec["minutes"]), spec["limit"], str(spec["model"])  # type: ignore[arg-type]
    cost, w = synthetic_999(n, m)
    prob = SitingProblem.from_cost_matrix(cost, w)
    del cost
    gc.collect()
    rss0 = _vm("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as fh:  # reset the peak-RSS mark to the current size
            fh.write("5")
        exact_peak = True
    except OSError:
        exact_peak = False
    t0 = time.perf_counter()
    if spec["solver"] == "ours":
        r = prob.solve(model, p=p, minutes=minutes, time_limit=limit)  # type: ignore[arg-type]
        out: dict[str, object] = {"status": r.status, "objective": r.objective, "bound": r.bound,
                                  "greedy": r.stats.get("greedy")}
    elif model == "pmedian":
        _, obj, st = textbook_pmedian_highs(prob.cost, w, p, limit)  # type: ignore[arg-type]
        out = {"status": st, "objective": obj, "bound": obj if st == "optimal" else float("-inf")}
    elif model == "mclp":
        out = textbook_mclp_highs(prob.cost, w, p, minutes, limit)  # type: ignore[arg-type]
    else:
        out = textbook_setcover_highs(prob.cost, minutes, limit)  # type: ignore[arg-type]
    out["seconds"] = time.perf_counter() - t0
    peak = _vm("VmHWM") if exact_peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.update(rss_before_mb=rss0, peak_mb=peak, exact_peak=exact_peak)
    return out


def _child(spec: dict[str, object]) -> dict[str, object]:
    import json
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, __file__, "--one", json.dumps(spec)], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"status": f"failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _gap(obj: float, bound: float) -> float:
    if not (np.isfinite(obj) and np.isfinite(bound)):
        return float("inf")
    return abs(obj - bound) / max(abs(obj), 1e-9)


def scale(cases: list[str], time_limit: float, baselines: bool = True) -> None:
    print(f"{'case':>15} {'model':>9} {'solver':>12} {'limit s':>7} {'time s':>7} {'peak MB':>8} {'RSS0 MB':>8} "
          f"{'status':>10} {'objective':>14} {'bound':>14} {'gap':>8}  note", flush=True)

    def row(case: str, model: str, solver: str, limit: float | None, r: dict[str, object], note: str = "") -> None:
        if "seconds" not in r:
            print(f"{case:>15} {model:>9} {solver:>12} {r['status']}", flush=True)
            return
        obj, bound = float(r["objective"]), float(r["bound"])  # type: ignore[arg-type]
        star = "" if r["exact_peak"] else "*"
        print(f"{case:>15} {model:>9} {solver:>12} {'-' if limit is None else f'{limit:g}':>7} "
              f"{float(r['seconds']):>7.2f} {float(r['peak_mb']):>7.0f}{star} {float(r['rss_before_mb']):>8.0f} "  # type: ignore[arg-type]
              f"{r['status']:>10} {obj:>14.2f} {bound:>14.2f} {_gap(obj, bound):>8.3%}  {note}", flush=True)

    for case in cases:
        if case == "1000x100-p12":
            base = {"n": 1000, "m": 100, "p": 12, "minutes": 15.0, "limit": None, "model": "pmedian"}
            ours = _child({**base, "solver": "ours"})
            ref = _child({**base, "solver": "plain HiGHS"})
            same = ours.get("status") == ref.get("status") == "optimal" and \
                np.isclose(float(ours["objective"]), float(ref["objective"]), rtol=1e-9)  # type: ignore[arg-type]
            ratio = f"{float(ref['seconds']) / float(ours['seconds']):.1f}x faster than plain HiGHS" if same \
                else "no ratio (objectives differ or not proven)"  # type: ignore[arg-type]
            row(case, "pmedian", "islandcover", None, ours, ratio)
            row(case, "pmedian", "plain HiGHS", None, ref, "textbook assignment model")
        elif case == "10000x1000-p50":
            for model, minutes in (("pmedian", None), ("mclp", 15.0), ("mclp", 8.0), ("pcenter", None),
                                   ("setcover", 15.0)):
                spec = {"n": 10000, "m": 1000, "p": 50, "minutes": minutes or 15.0, "limit": time_limit,
                        "model": model}
                name = model if minutes is None else f"{model} {minutes:g}'"
                ours = _child({**spec, "solver": "ours"})
                greedy = ours.get("greedy")
                note = f"greedy {float(greedy):.2f}" if isinstance(greedy, int | float) else ""
                row(case, name, "islandcover", time_limit, ours, note)
                if baselines and model in ("mclp", "setcover"):
                    ref = _child({**spec, "solver": "plain HiGHS"})
                    row(case, name, "plain HiGHS", time_limit, ref, "textbook model, same limit")
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
    ap.add_argument("--no-baselines", action="store_true", help="skip plain HiGHS beside the 10000x1000 cases")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: one scale solve, in a child process
    args = ap.parse_args()
    if args.one:
        import json

        print(json.dumps(one_case(json.loads(args.one))))
        return
    if args.scale:
        scale(args.scale_cases.split(","), args.scale_limit, baselines=not args.no_baselines)
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
