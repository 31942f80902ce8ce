"""Optimal station siting: maximal covering, p-median, p-center and location set cover.

Every model is solved exactly with HiGHS (through :func:`scipy.optimize.milp`) after reducing
the instance without changing its optimum:

* times are rounded to 0.01 min, so ties are ties and answers are reproducible;
* demand already served by a site kept open (``fixed``) leaves the covering models;
* demand points with the same coverage set merge (weights add up) and a demand row whose
  coverage set contains another's is implied by it (set cover);
* a candidate whose coverage set is inside another candidate's is dominated and dropped
  (covering models; of identical candidates the first column is kept);
* the p-median: greedy, locate-allocate and fast interchange for the incumbent, a Lagrangian
  relaxation (subgradient) for the bound, sites fixed by their reduced costs (again without the
  closed ones while that helps), then the *radius formulation* of García, Labbé & Marín (2011,
  INFORMS J. Computing 23(4)) on what is left, each demand's levels cut where its reduced cost
  proves no better solution serves it farther (see :mod:`islandcover.planning.lagrangian`),
  solved by a branch-and-bound over the sites on warm-started HiGHS LPs, looking only for
  solutions better than the incumbent (:mod:`islandcover.planning.branching`; HiGHS's MIP
  when scipy's HiGHS LP object is not available);
* the set cover starts from greedy plus 2-for-1 swaps, bounded below by demand points no site
  covers two of; HiGHS then looks for a cover with fewer sites;
* the p-center is a bisection over the sorted distinct times, each step the question "can
  ``p`` sites cover everyone within r?": yes by heuristics, no by packing, by the LP relaxation
  or by HiGHS on a growing subset of the demand (Contardo, Iori & Kramer 2019), so that every
  "no" is proven and the bound holds at any time.

``status`` is ``optimal`` only when the bound proves it; with a time limit the best solution
found is returned with its bound and gap. The limit is kept to within about a second at
10,000 × 1,000 (HiGHS's presolve, which does not watch the clock, is skipped on large models
when limited). Unreachable demand is never dropped silently: the covering models list it (mclp)
or raise naming it (set cover); the p-median and p-center raise :class:`SitingError` when no
candidate reaches a demand, or when no ``p`` sites together reach every demand.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import scipy
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, csc_array, csr_array, issparse, vstack

from islandcover.errors import SitingError
from islandcover.planning import branching, lagrangian

__all__ = ["MAXIMISE", "MODELS", "MODEL_PARAMS", "PRECISION_MIN", "UNITS", "SitingProblem", "SitingResult"]

#: Times are rounded to this many minutes before solving.
PRECISION_MIN = 0.01

#: The models :meth:`SitingProblem.solve` knows, with the parameters each one needs.
MODEL_PARAMS: dict[str, tuple[str, ...]] = {"mclp": ("p", "minutes"), "pmedian": ("p",), "pcenter": ("p",),
                                           "setcover": ("minutes",)}

#: The models :meth:`SitingProblem.solve` knows.
MODELS = tuple(MODEL_PARAMS)

#: What each model's objective counts (``weight="people"``; with island weights, islands).
UNITS: dict[str, str] = {"mclp": "people covered", "pmedian": "people × minutes (the weighted sum of ETAs)",
                         "pcenter": "minutes (the worst island's ETA)", "setcover": "new sites"}
#: Whether a model maximises its objective (the others minimise).
MAXIMISE: dict[str, bool] = {"mclp": True, "pmedian": False, "pcenter": False, "setcover": False}

_SOLVER = f"HiGHS (scipy {scipy.__version__})"
#: Relative gap at which an answer counts as proven (HiGHS's own mip_rel_gap).
_REL_GAP = 1e-9
#: Seconds kept back from a time limit for what follows the MIP (reading its answer, assigning).
_MIP_MARGIN = 0.15
#: Share of the time left that HiGHS's branch-and-bound on the MCLP may run past its own limit: on
#: the 10,000 x 1,000 MCLP within 8 min (bench/, 2026-12-04) it ran 1.7 s past a 26.5 s limit and
#: 4.7 s past a 56 s one, presolve on or off (and not past a 541 s one: at most 10 s are kept).
_MIP_OVERRUN = 0.1
#: Above this many cells, identical demand rows are not looked for (np.unique sorts the whole matrix).
_MERGE_MAX = 2_000_000
#: With a time limit, HiGHS's presolve (which does not watch the clock) is skipped above this many nonzeros.
_PRESOLVE_MAX_NNZ = 300_000
#: Without a time limit, the p-median's subgradient stops once 100 iterations raise its bound by less
#: than this fraction of the incumbent (1000 x 100 bench case: the last 550 of 950 iterations added
#: 5e-5 of it, and the three restricted rounds after them 600-900 iterations each).
_LAG_MIN_GAIN = 1e-5
#: Step factor the p-median's subgradient restarts from when its step has shrunk to nothing with
#: time left (the start is 2.0).
_LAG_RESTART_STEP = 0.05
#: Largest step factor a restart takes (the subgradient's own start).
_PI_MAX = 2.0
#: Random swaps without improvement before a set-cover local search gives up.
_PLATEAU = 20
#: The same for p-center's long local search between its bounds: on 10,000 x 1,000, p = 50
#: (bench/) it finds 50-site covers within 10.0 and 9.8 min in 3 and 7 s, where 20 swaps stop at
#: 55-60 sites (the incumbent stayed at 10.45 min).
_STRONG_PLATEAU = 2000


@dataclass(frozen=True)
class SitingResult:
    """Answer of a siting model.

    Attributes
    ----------
    model : str
        ``mclp``, ``pmedian``, ``pcenter`` or ``setcover``.
    sites : list of str
        The sites chosen by the model (not counting ``fixed`` ones).
    fixed : list of str
        Sites that were kept open.
    objective : float
        People covered (mclp), weighted minutes (pmedian), worst minutes (pcenter) or the
        number of new sites (setcover).
    status : str
        ``optimal`` (proven), ``time_limit`` (best found; see ``bound`` and ``gap``).
    bound : float
        Best proven bound on the objective.
    gap : float
        Relative gap between ``objective`` and ``bound`` (0 when optimal).
    seconds : float
        Wall time of the solve, reductions included.
    assignment : dict
        Demand id → its nearest open site (None if no open site reaches it).
    uncovered : list of str
        Demand left outside the threshold or unreachable (mclp; set cover raises instead).
    stats : dict
        Sizes before and after reduction, solver name, iterations.
    baseline : float or None
        The objective with only the ``fixed`` sites open (None when nothing is kept open).
    no_gain : bool
        No new site improves on ``baseline``: ``sites`` is then empty (the model's ``p`` picks
        would change nothing, so none is proposed).
    """

    model: str
    sites: list[str]
    fixed: list[str]
    objective: float
    status: str
    bound: float
    gap: float
    seconds: float
    assignment: dict[str, str | None] = field(default_factory=dict)
    uncovered: list[str] = field(default_factory=list)
    stats: dict[str, object] = field(default_factory=dict)
    baseline: float | None = None
    no_gain: bool = False

    @property
    def gain(self) -> float | None:
        """How much the new sites improve on the kept ones (positive is better), or None."""
        if self.baseline is None:
            return None
        return self.objective - self.baseline if MAXIMISE[self.model] else self.baseline - self.objective

    def to_dict(self) -> dict[str, object]:
        def num(x: float | None) -> float | None:
            return None if x is None or not np.isfinite(x) else round(float(x), 3)

        return {"model": self.model, "sites": self.sites, "fixed": self.fixed, "units": UNITS[self.model],
                "objective": round(self.objective, 3), "baseline": num(self.baseline), "gain": num(self.gain),
                "no_gain": self.no_gain, "status": self.status, "bound": round(self.bound, 3),
                "gap": round(self.gap, 6), "seconds": round(self.seconds, 3), "uncovered": self.uncovered,
                "assignment": self.assignment, "stats": self.stats}


@dataclass(frozen=True)
class SitingProblem:
    """A siting instance: a cost matrix (minutes), demand weights and sites kept open.

    Build with :meth:`from_cost_matrix`; solve with :meth:`solve` or one model's method.
    """

    cost: np.ndarray  # demand × site, minutes, inf where unreachable
    weights: np.ndarray
    demand_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    fixed: tuple[str, ...] = ()

    @classmethod
    def from_cost_matrix(cls, cost: pd.DataFrame, weights: Sequence[float] | np.ndarray | pd.Series | None = None,
                         fixed: Sequence[str] = ()) -> SitingProblem:
        """Build from a DataFrame (rows demand, columns sites, minutes; NaN = unreachable).

        Parameters
        ----------
        cost : pandas.DataFrame
            Travel times, e.g. :meth:`islandcover.planning.coverage.CoverageModel.candidate_matrix`.
        weights : array-like, optional
            Demand weights (people); default 1 each. Must be finite and ≥ 0.
        fixed : sequence of str
            Site ids kept open (existing stations); they must be columns of ``cost``.
        """
        c = cost.to_numpy(dtype=float)
        if np.any(c[~np.isnan(c)] < 0):
            raise SitingError("cost matrix has negative times")
        c = np.round(np.where(np.isnan(c), np.inf, c) / PRECISION_MIN) * PRECISION_MIN
        w = np.ones(len(cost)) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (len(cost),):
            raise SitingError(f"weights has {w.size} values for {len(cost)} demand points")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise SitingError("weights must be finite and ≥ 0 (fill missing populations first)")
        sites = tuple(str(s) for s in cost.columns)
        unknown = [f for f in fixed if f not in sites]
        if unknown:
            raise SitingError(f"fixed sites {unknown} are not candidate sites")
        return cls(cost=c, weights=w, demand_ids=tuple(str(i) for i in cost.index), site_ids=sites, fixed=tuple(fixed))

    # ------------------------------------------------------------------ dispatch
    def solve(self, model: str, *, p: int | None = None, minutes: float | None = None,
              time_limit: float | None = None,
              capacity: float | dict[str, float] | Sequence[float] | np.ndarray | None = None) -> SitingResult:
        """Solve one model by name (see :data:`MODELS`).

        With ``capacity`` (demand weight each site may serve: one number, or per site), the
        capacitated mclp or p-median of :mod:`islandcover.planning.capacity` is solved instead.
        """
        if model not in MODEL_PARAMS:
            raise SitingError(f"unknown model '{model}' (models: {', '.join(MODELS)})")
        given = {"p": p, "minutes": minutes}
        for name in MODEL_PARAMS[model]:
            if given[name] is None:
                raise SitingError(f"model {model} needs {name}")
        if capacity is not None:
            from islandcover.planning.capacity import solve_capacitated  # it builds on this module

            return solve_capacitated(self, model, capacity, p=p, minutes=minutes, time_limit=time_limit)
        if model == "mclp":
            res = self.mclp(p, minutes, time_limit=time_limit)  # type: ignore[arg-type]
        elif model == "pmedian":
            res = self.pmedian(p, time_limit=time_limit)  # type: ignore[arg-type]
        elif model == "pcenter":
            res = self.pcenter(p, time_limit=time_limit)  # type: ignore[arg-type]
        else:
            res = self.setcover(minutes, time_limit=time_limit)  # type: ignore[arg-type]
        return self._against_kept(res, minutes)

    def objective_of(self, model: str, open_sites: Sequence[str] = (), minutes: float | None = None) -> float:
        """The objective of ``model`` with the kept sites and ``open_sites`` open (no solve).

        mclp: weight within ``minutes``; pmedian: weighted sum of nearest times (inf when a
        demand point of positive weight is unreachable); pcenter: the largest nearest time; setcover: the number of
        ``open_sites`` (inf when some demand is left beyond ``minutes``).
        """
        best = self._nearest_cost(open_sites)
        if model == "mclp":
            return float(self.weights[best <= float(minutes)].sum())  # type: ignore[arg-type]
        if model == "pmedian":  # demand of weight 0 does not count (as in the solve)
            counted = self.weights > 0
            return float((self.weights[counted] * best[counted]).sum()) if np.isfinite(best[counted]).all() \
                else float("inf")
        if model == "pcenter":
            return float(best.max()) if len(best) else 0.0
        return float(len(open_sites)) if (best <= float(minutes)).all() else float("inf")  # type: ignore[arg-type]

    def _against_kept(self, res: SitingResult, minutes: float | None) -> SitingResult:
        """Set the baseline of the kept sites, and drop the picks when they gain nothing."""
        if not self.fixed:
            return res
        base = self.objective_of(res.model, (), minutes)
        res = replace(res, baseline=base)
        gain = res.gain
        tol = 1e-9 * max(1.0, abs(base)) if np.isfinite(base) else 0.0
        if gain is not None and np.isfinite(base) and gain <= tol:
            res = replace(res, sites=[], no_gain=True, assignment=self._assign([]))
        return res

    # ------------------------------------------------------------------ helpers
    def _free(self) -> np.ndarray:
        return np.array([s not in self.fixed for s in self.site_ids])

    def _check_p(self, p: int) -> None:
        free = int(self._free().sum())
        if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 1:
            raise SitingError(f"p must be a whole number ≥ 1, got {p!r}")
        if p > free:
            raise SitingError(f"p = {p} but only {free} candidate sites are free")

    def _assign(self, open_sites: Sequence[str]) -> dict[str, str | None]:
        cols = [self.site_ids.index(s) for s in list(self.fixed) + list(open_sites)]
        if not cols:
            return {d: None for d in self.demand_ids}
        sub = self.cost[:, cols]
        best = np.argmin(sub, axis=1)
        names = [self.site_ids[c] for c in cols]
        return {d: (names[b] if np.isfinite(sub[i, b]) else None) for i, (d, b) in enumerate(zip(self.demand_ids, best))}

    def _pad(self, chosen: list[str], p: int) -> list[str]:
        """Fill up to ``p`` sites when fewer already reach the optimum (the extra ones change
        nothing): the free sites with the lowest mean time to the demand, ties by id."""
        if len(chosen) >= p:
            return sorted(chosen)
        free = [j for j, s in enumerate(self.site_ids) if s not in self.fixed and s not in chosen]
        mean = np.where(np.isfinite(self.cost[:, free]), self.cost[:, free], 1e9).mean(axis=0) if len(self.cost) else np.zeros(len(free))
        order = sorted(range(len(free)), key=lambda k: (mean[k], self.site_ids[free[k]]))
        return sorted(chosen + [self.site_ids[free[k]] for k in order[: p - len(chosen)]])

    def _nearest_cost(self, open_sites: Sequence[str]) -> np.ndarray:
        cols = [self.site_ids.index(s) for s in list(self.fixed) + list(open_sites)]
        return self.cost[:, cols].min(axis=1) if cols else np.full(len(self.demand_ids), np.inf)

    # ------------------------------------------------------------------ MCLP
    def mclp(self, p: int, minutes: float, *, time_limit: float | None = None) -> SitingResult:
        """Maximal covering: open ``p`` more sites to maximise the weight within ``minutes``."""
        t0 = time.perf_counter()
        self._check_p(p)
        cover = self.cost <= minutes + 1e-9
        free = self._free()
        done = cover[:, ~free].any(axis=1)
        reach = cover[:, free].any(axis=1)
        rows = np.flatnonzero(~done & reach & (self.weights > 0))
        a, w, _ = _merge_rows(cover[np.ix_(rows, np.flatnonzero(free))], self.weights[rows])
        cols_free = np.flatnonzero(free)
        keep = _undominated(a)
        a, cols = a[:, keep], cols_free[keep]
        stats: dict[str, object] = {"demand": len(self.demand_ids), "sites": len(self.site_ids),
                                    "demand_reduced": a.shape[0], "sites_reduced": a.shape[1], "solver": _SOLVER}
        base = float(self.weights[done].sum())
        if a.shape[0] == 0:
            chosen: list[str] = []
            obj = bound = base
            status = "optimal"
        else:
            sel, bound_a, status, mstats = _mclp_reduced(a, w, min(p, a.shape[1]), t0, time_limit)
            stats.update(mstats)
            chosen = sorted(self.site_ids[j] for j in cols[sel])
            bound = base + bound_a
        chosen = self._pad(chosen, p)
        obj = float(self.weights[self._nearest_cost(chosen) <= minutes + 1e-9].sum())  # padding may add some
        if bound - obj <= _REL_GAP * max(1.0, abs(bound)):  # the bound is proven: reaching it is optimal
            status = "optimal"
        covered = (self._nearest_cost(chosen) <= minutes + 1e-9)
        return SitingResult("mclp", chosen, list(self.fixed), obj, status, bound, _gap(obj, bound),
                            time.perf_counter() - t0, self._assign(chosen),
                            [d for d, c in zip(self.demand_ids, covered) if not c], stats)

    # ------------------------------------------------------------------ set cover
    def setcover(self, minutes: float, *, time_limit: float | None = None) -> SitingResult:
        """Location set cover: the fewest new sites so that every demand is within ``minutes``.

        After the reductions (identical demand merged, implied demand and dominated sites
        dropped), greedy plus 2-for-1 swaps gives a cover and a family of demand no site covers
        two of a first bound; HiGHS then looks for a cover with fewer sites in the time left.
        """
        t0 = time.perf_counter()
        deadline = None if time_limit is None else t0 + float(time_limit)
        cover = self.cost <= minutes + 1e-9
        free = self._free()
        unreachable = ~cover.any(axis=1)
        if unreachable.any():
            names = [self.demand_ids[i] for i in np.flatnonzero(unreachable)]
            raise SitingError(f"no candidate site reaches {', '.join(names)} within {minutes:g} min; "
                              f"set cover is infeasible (raise the threshold or add candidates)")
        chosen, status, bound, stats = self._cover_min(cover, free, deadline)
        stats["solver"] = _SOLVER
        return SitingResult("setcover", chosen, list(self.fixed), float(len(chosen)), status, bound,
                            _gap(len(chosen), bound), time.perf_counter() - t0, self._assign(chosen), [], stats)

    def _cover_min(self, cover: np.ndarray, free: np.ndarray,
                   deadline: float | None) -> tuple[list[str], str, float, dict[str, object]]:
        """Fewest free sites covering every demand not already covered by a fixed site."""
        rows = np.flatnonzero(~cover[:, ~free].any(axis=1))
        cols_free = np.flatnonzero(free)
        a, _, _ = _merge_rows(cover[np.ix_(rows, cols_free)], np.ones(len(rows)))
        keep = _undominated(a)
        a, cols = a[:, keep], cols_free[keep]
        a = a[_unimplied_rows(a, _share(deadline, 0.15))]  # stopped early it keeps more rows: still exact
        stats: dict[str, object] = {"demand_reduced": a.shape[0], "sites_reduced": a.shape[1]}
        if a.shape[0] == 0:
            return [], "optimal", 0.0, stats
        sel, bound, status, cstats = _cover_reduced(csr_array(a), deadline)
        stats.update(cstats)
        return sorted(self.site_ids[j] for j in cols[sel]), status, bound, stats

    # ------------------------------------------------------------------ p-center
    def pcenter(self, p: int, *, time_limit: float | None = None) -> SitingResult:
        """p-center: open ``p`` more sites to minimise the worst travel time to any demand.

        A bisection over the distinct times r, each step the question "can ``p`` sites serve
        everyone within r?": answered yes by a greedy + swap cover of at most ``p`` sites, no by
        ``p + 1`` demand points no site serves two of, and otherwise by HiGHS on a growing subset
        of the demand (the points the last answer left out are added until a cover of the subset
        serves everyone, or none exists; Contardo, Iori & Kramer, 2019). Every "no" is proven,
        so the radius below the smallest feasible one found is a true bound at any time. With a
        time limit, a long set-cover local search between the bounds (up to 40 % of the time
        left, before the exact checks) looks for a better incumbent: at scale those checks
        settle no radius in time.

        Once the radius is proven optimal, the sites are the ones of least weighted total time
        (people × minutes) among those that keep every demand within it, by a p-median on the
        times within the radius (``stats["tie_break"]``): many choices share the worst time, and
        the worst-served demand alone would leave the others arbitrary. It runs in the time left
        (skipped below 0.5 s), or without a limit for 4× the p-center's own time (2 s at least).
        """
        t0 = time.perf_counter()
        deadline = None if time_limit is None else t0 + float(time_limit)
        self._check_p(p)
        free = self._free()
        self._require_reachable("p-center")
        cols = np.flatnonzero(free)
        cf = self.cost[:, cols]
        kept = self.cost[:, ~free].min(axis=1) if (~free).any() else np.full(len(self.cost), np.inf)
        lower = float(self.cost.min(axis=1).max())  # no solution beats every demand's nearest site
        search = _CenterSearch(cf, kept, p, deadline)
        sol = search.farthest_first()
        upper = search.radius(sol)
        stats: dict[str, object] = {"solver": _SOLVER, "lower_start": lower, "upper_start": upper}
        if not np.isfinite(upper):  # the start leaves someone unreached: is any p-set feasible?
            top = float(self.cost[np.isfinite(self.cost)].max())
            ok, found = search.decide(top)
            if ok is False:
                raise SitingError(f"p-center: no {p} sites together reach every demand; raise p or use mclp")
            if ok is None:
                raise SitingError("p-center: the time limit ran out before any feasible solution was found")
            sol, upper = found, search.radius(found)  # type: ignore[assignment]
        values = np.unique(self.cost[(self.cost >= lower) & (self.cost <= upper)])  # upper is finite here
        lo, hi = 0, len(values) - 1  # values[hi] is feasible (sol), everything below values[lo] is not
        hi = int(np.searchsorted(values, upper))
        # first the quick checks alone (a good solution early), then exact answers between the bounds
        lo, hi, sol = search.heuristic_bisection(values, lo, hi, sol, "quick", _share(deadline, 0.25))
        top = hi  # then the LP bound: cheap, and often close (stepping low: a "maybe" costs more)
        while lo < top and (deadline is None or time.perf_counter() < deadline):
            mid = lo + (top - lo) // 3
            ok, _ = search.decide(float(values[mid]), "lp")
            if ok is False:
                lo = mid + 1
            else:
                top = mid
        # with a time limit, then a long local search between the bounds (40 % of the time left at
        # most): a cover it finds lowers the incumbent, where at scale the exact checks settle no
        # radius in time (without a limit they settle the optimum, and this would only cost time)
        if deadline is not None:
            lo, hi, sol = search.heuristic_bisection(values, lo, hi, sol, "strong", _share(deadline, 0.4))
        while lo < hi and (deadline is None or time.perf_counter() < deadline):
            # "no" gets harder to prove near the optimum, which the quick phase puts near hi: step low
            mid = lo + (hi - lo) // 3
            ok, found = search.decide(float(values[mid]))
            if ok is None:  # undecided within the time limit
                break
            if ok:
                sol = found  # type: ignore[assignment]
                hi = min(mid, int(np.searchsorted(values, search.radius(sol))))
            else:
                lo = mid + 1
        chosen = self._pad([self.site_ids[j] for j in cols[np.asarray(sol, dtype=int)]], p)
        obj = float(self._nearest_cost(chosen).max())
        bound = min(float(values[lo]), obj)
        status = "optimal" if bound >= obj else "time_limit"
        stats.update(search.stats, distinct_times=len(values), decisions=search.log,
                     subset=int(search.subset.sum()), lp_subset=int(search.lp_subset.sum()))
        if status == "optimal":
            # its time: what is left of the limit, or without one 4× what the p-center took (2 s at least)
            end = deadline if deadline is not None else time.perf_counter() + max(2.0, 4.0 * (time.perf_counter() - t0))
            chosen, stats["tie_break"] = self._least_total_within(chosen, obj, p, end)
        return SitingResult("pcenter", chosen, list(self.fixed), obj, status, bound, _gap(obj, bound),
                            time.perf_counter() - t0, self._assign(chosen), [], stats)

    def _least_total_within(self, chosen: list[str], radius: float, p: int,
                            deadline: float) -> tuple[list[str], dict[str, object]]:
        """Among the ``p``-site choices whose worst time is ``radius``, one of least weighted total time.

        The p-center's worst-served demand pins only the sites near it; the rest would be any
        that keep within the radius. A p-median on the times within the radius (the others made
        unreachable; demand of weight 0 given a tiny weight so that it stays within) picks those,
        in the time to ``deadline``; without the time for it, or without an answer (the time ran
        out), ``chosen`` stays.
        """
        t0 = time.perf_counter()
        left = deadline - t0
        eps = 1e-6 * max(float(self.weights.max(initial=0.0)), 1.0)
        w = self.weights + eps

        def total(sites: Sequence[str]) -> float:
            return float(w @ self._nearest_cost(sites))

        before = total(chosen)
        info: dict[str, object] = {"total_before": before}
        # the p-median's greedy start does not watch the clock: about a second per 10 million cells
        if left < max(0.5, 1e-7 * self.cost.size):
            return chosen, {**info, "status": "skipped: no time left"}
        within = replace(self, cost=np.where(self.cost <= radius + 1e-9, self.cost, np.inf), weights=w)
        try:
            res = within.pmedian(p, time_limit=0.9 * left)
        except SitingError:  # no solution within the radius found in the time: keep the p-center's own
            return chosen, {**info, "status": "time_limit", "total_after": before,
                            "seconds": round(time.perf_counter() - t0, 3)}
        worst = float(self._nearest_cost(res.sites).max())
        info.update(status=res.status)
        if np.isfinite(res.objective) and worst <= radius + 1e-9 and total(res.sites) < before:
            chosen = self._pad(list(res.sites), p)
        return chosen, {**info, "total_after": total(chosen), "seconds": round(time.perf_counter() - t0, 3)}

    def _require_reachable(self, model: str, rows: np.ndarray | None = None) -> None:
        bad = np.zeros(len(self.cost), dtype=bool)
        use = np.arange(len(self.cost)) if rows is None else rows
        bad[use] = ~np.isfinite(self.cost[use]).any(axis=1)
        if bad.any():
            names = [self.demand_ids[i] for i in np.flatnonzero(bad)]
            raise SitingError(f"{model}: no candidate site can reach {', '.join(names)}; "
                              "remove them from the demand or use mclp, which reports them")

    # ------------------------------------------------------------------ p-median
    def pmedian(self, p: int, *, time_limit: float | None = None) -> SitingResult:
        """p-median: open ``p`` more sites to minimise the weighted sum of travel times.

        Greedy + interchange gives the incumbent, a Lagrangian relaxation the bound (see
        :mod:`islandcover.planning.lagrangian`); when they meet the answer is proven. Otherwise
        sites are fixed by their Lagrangian reduced costs, each demand's distance levels are cut
        where its multiplier proves no better solution serves it farther, and the radius
        formulation on what is left is solved in the time that remains (branch-and-bound over
        the sites on HiGHS LPs, see :mod:`islandcover.planning.branching`).
        """
        t0 = time.perf_counter()
        deadline = None if time_limit is None else t0 + float(time_limit)
        self._check_p(p)
        rows = np.flatnonzero(self.weights > 0)
        self._require_reachable("p-median", rows)
        free = self._free()
        cost = self.cost[rows] if len(rows) < len(self.cost) else self.cost  # no copy at scale (read only)
        w = self.weights[rows]
        cost_m, w_m, _ = _merge_rows(cost, w) if len(cost) * cost.shape[1] <= _MERGE_MAX else (cost, w, None)
        fixed_best = cost_m[:, ~free].min(axis=1) if (~free).any() else np.full(len(cost_m), np.inf)
        cols = np.flatnonzero(free)
        d = cost_m[:, cols] if len(cols) < cost_m.shape[1] else cost_m
        n, m = d.shape
        wc = w_m[:, None] * d  # weighted costs (inf stays inf: w > 0)
        cap = w_m * fixed_best
        stats: dict[str, object] = {"solver": _SOLVER, "demand_reduced": n, "sites": m}

        def left(margin: float = 0.0) -> float | None:
            return None if deadline is None else deadline - time.perf_counter() - margin

        # 1. incumbent: greedy, then swaps (a quarter of the time left at most when limited)
        start = lagrangian.greedy_median(wc, cap, p)
        # swaps are priced on each demand's cheapest sites (as many as the Lagrangian looks at)
        near = lagrangian.nearest_sites(wc, max(64, 12 * m // p)) if m > 4 * p + 64 else None
        best_cols, ub, swaps = lagrangian.interchange_median(wc, cap, start, deadline=_share(deadline, 0.25),
                                                             near=near)
        stats.update(greedy=lagrangian.median_cost(wc, cap, start), swaps=swaps)
        lb = -np.inf
        status = "time_limit"
        if np.isfinite(ub):
            inc = {"cols": best_cols, "ub": ub}
            lag_end = _share(deadline, 0.6)
            # without a time limit the exact search finishes the job: a stalled subgradient is cut short
            tail = _LAG_MIN_GAIN if deadline is None else 0.0
            spent = {"heuristic": 0.0, "since": time.perf_counter()}

            def heuristic(choice: np.ndarray) -> float:
                """A Lagrangian heuristic: locate-allocate, then swaps, from the relaxed choice (it
                takes at most about 40 % of the Lagrangian's time, each call at most 3 s)."""
                now = time.perf_counter()
                if lag_end is not None and now > lag_end or spent["heuristic"] > 1.0 + 0.4 * (now - spent["since"]):
                    return inc["ub"]
                soon = now + (2.0 if lag_end is None else min(3.0, 0.3 * (lag_end - now)))
                c2 = lagrangian.alternate_median(wc, cap, choice)
                c2, v2, _ = lagrangian.interchange_median(wc, cap, c2, deadline=soon, max_swaps=p, near=near)
                if v2 < inc["ub"]:
                    inc.update(cols=c2, ub=v2)
                spent["heuristic"] += time.perf_counter() - now
                return inc["ub"]

            lag = lagrangian.lagrangian_median(wc, cap, p, ub, deadline=lag_end, on_choice=heuristic, min_gain=tail)
            best_cols, ub = inc["cols"], inc["ub"]
            lb = min(lag.bound, ub)
            stats.update(lagrangian_bound=lag.bound, lagrangian_iterations=lag.iterations)
            if ub - lb <= _REL_GAP * max(1.0, abs(ub)):
                status = "optimal"
            else:
                closed, opened = lagrangian.fix_sites(lag, p, ub, rel_tol=_REL_GAP)
                # every better solution avoids the closed sites: the Lagrangian without them bounds
                # those solutions more tightly, which closes more sites (while it helps)
                stop = _share(deadline, 0.5)
                for _ in range(3):
                    if not closed.any() or (stop is not None and time.perf_counter() > stop):
                        break
                    sub = lagrangian.lagrangian_median(wc, cap, p, ub, allowed=~closed, start=lag.multipliers,
                                                       deadline=stop, min_gain=tail)
                    if not sub.bound > lag.bound + _REL_GAP * max(1.0, abs(ub)):
                        break
                    lag = sub
                    more, opened = lagrangian.fix_sites(lag, p, ub, allowed=~closed, rel_tol=_REL_GAP)
                    closed |= more
                    lb = max(lb, min(lag.bound, ub))
                    stats.update(lagrangian_bound_restricted=lag.bound)
                    if ub - lb <= _REL_GAP * max(1.0, abs(ub)):
                        break
                stats.update(sites_closed=int(closed.sum()), sites_opened=int(opened.sum()))
                # demand i is served within λ_i + (ub − lb) in any better solution (x_ij's reduced cost)
                reach = lag.multipliers + (ub - lag.bound) * (1 + 1e-9) + 1e-9
                if ub - lb <= _REL_GAP * max(1.0, abs(ub)):
                    status, mip_cols = "optimal", None
                else:
                    status, lb, mip_cols = self._pmedian_mip(d, w_m, wc, fixed_best, cap, p, closed, opened,
                                                             reach, ub, lb, left, stats)
                if mip_cols is not None:
                    v = lagrangian.median_cost(wc, cap, mip_cols)
                    if v < ub:
                        best_cols, ub = mip_cols, v
                if str(stats.get("mip", "")).startswith("skipped") and deadline is not None:
                    # the MIP cannot finish: the rest of the time goes to the bound (and the heuristic)
                    lag_end = deadline - _MIP_MARGIN
                    # a step that has shrunk to nothing restarts larger from the best multipliers: the
                    # bound still creeps up, and each restart hands the heuristic new relaxed choices
                    # (one that gains nothing would replay itself: the next takes a 4× larger step)
                    step, iters, restarts = max(lag.step, _LAG_RESTART_STEP), lag.iterations, 0
                    while time.perf_counter() < lag_end - 0.5 and step <= _PI_MAX:
                        ub_before = inc["ub"]
                        more = lagrangian.lagrangian_median(wc, cap, p, inc["ub"], deadline=lag_end,
                                                            on_choice=heuristic, start=lag.multipliers,
                                                            step=step, allowed=~closed)
                        iters += more.iterations
                        restarts += 1
                        gained = more.bound > lag.bound or inc["ub"] < ub_before
                        if more.bound > lag.bound:
                            lag = more
                        step = max(more.step, _LAG_RESTART_STEP) if gained else 4.0 * step
                        if more.iterations <= 1 or inc["ub"] - lag.bound <= _REL_GAP * max(1.0, abs(inc["ub"])):
                            break  # nothing left to move (the relaxed choice was feasible), or proven
                    best_cols, ub = inc["cols"], inc["ub"]
                    lb = max(lb, min(lag.bound, ub))
                    stats.update(lagrangian_bound=lag.bound, lagrangian_iterations=iters,
                                 lagrangian_restarts=restarts)
                    if ub - lb <= _REL_GAP * max(1.0, abs(ub)):
                        status = "optimal"
        else:  # no p sites found that reach everyone: the plain radius model decides
            status, lb, mip_cols = self._pmedian_mip(d, w_m, wc, fixed_best, cap, p, np.zeros(m, bool),
                                                     np.zeros(m, bool), np.full(n, np.inf), np.inf, -np.inf, left, stats)
            if mip_cols is None:
                raise SitingError("p-median: the time limit ran out before any solution reaching every demand was found")
            best_cols = mip_cols
        chosen = sorted(self.site_ids[j] for j in cols[np.asarray(best_cols, dtype=int)])
        obj = float((self._nearest_cost(chosen)[rows] * w).sum())
        bound = obj if status == "optimal" else (min(lb, obj) if np.isfinite(lb) else -np.inf)
        return SitingResult("pmedian", chosen, list(self.fixed), obj, status, bound, _gap(obj, bound),
                            time.perf_counter() - t0, self._assign(chosen), [], stats)

    def _pmedian_mip(self, d: np.ndarray, w: np.ndarray, wc: np.ndarray, fixed_best: np.ndarray, cap: np.ndarray,
                     p: int, closed: np.ndarray, opened: np.ndarray, reach: np.ndarray, ub: float, lb: float,
                     left, stats: dict[str, object]) -> tuple[str, float, np.ndarray | None]:  # type: ignore[no-untyped-def]
        """The radius formulation on the sites not fixed, each demand's levels cut at ``reach``.

        Returns (status, lower bound, open columns of ``d`` or None). With cuts from an
        incumbent of cost ``ub``, an infeasible model proves the incumbent optimal.
        """
        n, m = d.shape
        keep = np.flatnonzero(~closed & ~opened)
        forced = np.flatnonzero(opened)
        p_left = p - len(forced)
        cap_d = np.minimum(fixed_best, d[:, forced].min(axis=1)) if len(forced) else fixed_best
        dk = d[:, keep]
        cut = np.isfinite(reach)
        limit_d = np.where(cut, reach / w, np.inf)
        stats.update(mip_sites=len(keep))
        if p_left == 0 or len(keep) == 0:
            cols = np.concatenate([forced, keep[:p_left]]).astype(int)
            return "optimal", ub, cols
        levels: list[np.ndarray] = []
        capped = np.isfinite(cap_d) & (cap_d <= limit_d)
        for i in range(n):
            row = dk[i]
            lim = min(cap_d[i], limit_d[i])
            lv = row[row <= lim] if np.isfinite(lim) else row[np.isfinite(row)]
            if capped[i]:
                lv = np.append(lv[lv < cap_d[i]], cap_d[i])
            levels.append(np.unique(lv))
        if any(len(lv) == 0 for lv in levels):  # some demand cannot be served as cheaply as a better solution needs
            return ("optimal", ub, None) if np.isfinite(ub) else ("infeasible", lb, None)
        k_of = np.array([len(lv) - 1 for lv in levels])
        stats.update(level_variables=int(k_of.sum()))
        budget = left()
        budget = None if budget is None else budget * 0.98 - _MIP_MARGIN
        # building the model costs about 1 s per 100k level variables here: skip what cannot finish
        if budget is not None and (budget <= 0.05 or k_of.sum() > 1e5 * budget):
            stats.update(mip="skipped: too large for the time left")
            return "time_limit", lb, None
        # only solutions below the incumbent are looked for (with HiGHS's MIP, handing it the cost as
        # objective_bound had made it slower: 22-34 s against 18-19 s; the LP branching prunes by it)
        res, y, bound = _radius_model(dk, w, levels, k_of, capped, p_left,
                                      None if budget is None else time.perf_counter() + budget, cutoff=ub)
        stats.update(mip_status=int(res.status), mip_nodes=int(getattr(res, "mip_node_count", 0) or 0),
                     mip_method="LP branch-and-bound" if isinstance(res, branching.BranchResult) else "HiGHS MIP")
        if res.status == 2:
            if np.isfinite(ub):
                return "optimal", ub, None  # no solution better than the incumbent exists
            raise SitingError(f"p-median: no {p} sites together reach every demand; raise p or use mclp")
        lower = max(lb, min(bound, ub)) if np.isfinite(bound) else lb
        if res.x is None:
            return "time_limit", lower, None
        cols = np.concatenate([forced, keep[y]]).astype(int)
        if _status(res) == "optimal":
            # the levels are cut at ``reach``: exact for every solution better than the incumbent, but
            # the model's optimum may serve some demand farther, and then its value is only a bound
            best = min(ub, lagrangian.median_cost(wc, cap, cols))
            if best - bound <= _REL_GAP * max(1.0, abs(best)):
                return "optimal", best, cols
            return "time_limit", max(lb, min(bound, best)), cols
        return "time_limit", lower, cols


# ---------------------------------------------------------------------- model pieces
def _mclp_reduced(a: np.ndarray, w: np.ndarray, p: int, t0: float,
                  time_limit: float | None) -> tuple[np.ndarray, float, str, dict[str, object]]:
    """MCLP on a reduced coverage matrix: greedy + swaps, Lagrangian bound, fixing, then HiGHS.

    Returns (chosen columns, upper bound on the covered weight, status, stats).
    """
    deadline = None if time_limit is None else t0 + float(time_limit)
    nr, nc = a.shape
    a_sp = csc_array(a.astype(float))
    swap_end = None if deadline is None else t0 + 0.2 * float(time_limit)  # type: ignore[arg-type]
    lag_end = None if deadline is None else t0 + 0.5 * float(time_limit)  # type: ignore[arg-type]
    start = lagrangian.greedy_cover(a_sp, w, p)
    best, lb, swaps = lagrangian.interchange_cover(a_sp, w, start, deadline=swap_end)
    stats: dict[str, object] = {"greedy": float(w[a[:, start].any(axis=1)].sum()), "swaps": swaps}
    if lb >= float(w.sum()) * (1 - _REL_GAP):  # all the demand is covered: nothing can do better
        return best, lb, "optimal", stats
    lag = lagrangian.lagrangian_cover(a_sp, w, p, lb, deadline=lag_end, max_iter=20_000)
    # a Lagrangian heuristic: swaps from the relaxed choice (the p sites worth most under μ)
    relaxed = np.argsort(lag.values, kind="stable")[:p]
    alt, alt_value, _ = lagrangian.interchange_cover(a_sp, w, relaxed, deadline=_share(deadline, 0.2))
    if alt_value > lb:
        best, lb = alt, alt_value
    stats.update(lagrangian_heuristic=alt_value)
    ub = max(min(lag.bound, float(w.sum())), lb)  # no more than all the demand is ever covered
    stats.update(lagrangian_bound=lag.bound, lagrangian_iterations=lag.iterations)
    if ub - lb <= _REL_GAP * max(1.0, abs(ub)):
        return best, lb, "optimal", stats
    closed, opened = lagrangian.fix_sites(lag, p, lb, maximise=True, rel_tol=_REL_GAP)
    keep, forced = np.flatnonzero(~closed & ~opened), np.flatnonzero(opened)
    stats.update(sites_closed=int(closed.sum()), sites_opened=int(opened.sum()), mip_sites=len(keep))
    done = a[:, forced].any(axis=1)
    sub, sw = a[np.ix_(~done, keep)], w[~done]
    got = float(w[done].sum())
    p_left = p - len(forced)
    margin = 0.0 if time_limit is None else \
        _MIP_MARGIN + min(_MIP_OVERRUN * max(deadline - time.perf_counter(), 0.0), 10.0)  # type: ignore[operator]
    budget = None if deadline is None else deadline - time.perf_counter() - margin
    if p_left <= 0 or len(keep) == 0 or (budget is not None and budget <= 0.05):
        if p_left <= 0 or len(keep) == 0:  # every better solution opens the forced sites alone
            cand = np.concatenate([forced, keep[:max(p_left, 0)]]).astype(int)
            value = float(w[a[:, cand].any(axis=1)].sum()) if len(cand) else 0.0
            return (cand, value, "optimal", stats) if value >= lb else (best, lb, "optimal", stats)
        return best, ub, "time_limit", stats
    rows = sub.any(axis=1)
    sub, sw = sub[rows], sw[rows]
    nr2, nc2 = sub.shape
    c = np.concatenate([np.zeros(nc2), -sw])
    link = _hstack(-csr_array(sub.astype(float)), _eye(nr2))  # x_i − Σ y_j ≤ 0
    card = csr_array(np.concatenate([np.ones(nc2), np.zeros(nr2)])[None, :])
    limit = None if deadline is None else max(deadline - time.perf_counter() - margin, 0.01)
    res = _milp(c, [LinearConstraint(link, -np.inf, 0), LinearConstraint(card, 0, min(p_left, nc2))],
                np.concatenate([np.ones(nc2), np.zeros(nr2)]), limit)
    stats.update(mip_status=int(res.status))
    if res.x is not None:
        cand = np.concatenate([forced, keep[res.x[:nc2] > 0.5]]).astype(int)
        value = float(w[a[:, cand].any(axis=1)].sum())
        if value > lb:
            best, lb = cand, value
    if _status(res) == "optimal":  # the restricted optimum or the incumbent: nothing outside beats both
        return best, lb, "optimal", stats
    dual = res.mip_dual_bound if res.x is not None and res.mip_dual_bound is not None else None
    mip_ub = got - float(dual) if dual is not None and np.isfinite(dual) else np.inf  # HiGHS's bound, once it has one
    # a HiGHS bound below the incumbent is no bound at all (seen at the time limit): keep the Lagrangian one
    return best, (min(ub, mip_ub) if mip_ub >= lb else ub), "time_limit", stats


def _radius_model(d: np.ndarray, w: np.ndarray, levels: list[np.ndarray], k_of: np.ndarray,
                  capped: np.ndarray, p: int, deadline: float | None,
                  cutoff: float = np.inf):  # type: ignore[no-untyped-def]
    """Solve the truncated radius formulation.

    For demand i with distinct times L_0 < L_1 < … (capped at a fixed site's time when
    ``capped[i]``), z_i^k (k = 1..K_i, continuous in [0, 1]) is 1 when no open site is within
    L_{k-1}:  z_i^1 + Σ_{d_ij ≤ L_0} y_j ≥ 1  and  z_i^k − z_i^{k−1} + Σ_{d_ij = L_{k−1}} y_j ≥ 0.
    Cost Σ_i w_i (L_0 + Σ_k (L_k − L_{k−1}) z_i^k). With K_i short of the last level this is a
    relaxation (a demand is charged at most L_{K_i}); with all levels of an uncapped demand the
    constraint Σ_{d_ij = L_last} y_j ≥ z_i^last makes sure some site serves it.

    Solved by :func:`islandcover.planning.branching.branch_and_bound` when HiGHS's LP object is
    available (only solutions below ``cutoff``, the incumbent's cost, are looked for: status 2
    then means none exists), otherwise by HiGHS's MIP.

    Returns
    -------
    (result, open mask over the columns of d, relaxation bound)
    """
    n, m = d.shape
    starts = np.concatenate([[0], np.cumsum(k_of)]).astype(int)
    nz = int(starts[-1])
    cost = np.zeros(m + nz)
    const = 0.0
    # per demand: rows t = 0..k-1 (z^{t+1} against the sites at level t; level 0: every site within
    # L_0), then, when all levels are kept (and no cap), row t = k for the sites at the last level
    final = np.array([int(k_of[i]) == len(levels[i]) - 1 and not capped[i] for i in range(n)], dtype=bool)
    n_rows = k_of.astype(int) + final
    rstart = np.concatenate([[0], np.cumsum(n_rows)]).astype(int)
    r = int(rstart[-1])
    lo = np.zeros(r)
    r_idx: list[np.ndarray] = []
    c_idx: list[np.ndarray] = []
    for i in range(n):
        lv, k = levels[i], int(k_of[i])
        const += w[i] * lv[0]
        if k:
            cost[m + starts[i]: m + starts[i] + k] = w[i] * np.diff(lv[: k + 1])
        if n_rows[i]:
            lo[rstart[i]] = 1.0 if k > 0 or final[i] else 0.0
        top = k if final[i] else k - 1  # the last level whose sites appear in a row
        if top < 0:
            continue
        t = np.searchsorted(lv, d[i])  # level of each site (0 for every site within L_0)
        js = np.flatnonzero((d[i] <= lv[top]) & ((t == 0) | (lv[np.minimum(t, len(lv) - 1)] == d[i])))
        r_idx.append(rstart[i] + t[js])
        c_idx.append(js)
    # the z's: +z^{t+1} in row t (t < k), −z^t in row t (1 ≤ t ≤ k)
    zr = np.repeat(rstart[:-1], k_of) + (np.arange(nz) - np.repeat(starts[:-1], k_of))
    zc = m + np.arange(nz)
    last = np.ones(nz, dtype=bool)
    if nz:
        last[starts[1:][k_of > 0] - 1] = False  # z^k of a demand appears in row k only with the final row
    keep_next = last | np.repeat(final, k_of)
    r_all = [np.concatenate(r_idx) if r_idx else np.zeros(0, int), zr, (zr + 1)[keep_next]]
    c_all = [np.concatenate(c_idx) if c_idx else np.zeros(0, int), zc, zc[keep_next]]
    v_all = [np.ones(len(r_all[0])), np.ones(nz), -np.ones(int(keep_next.sum()))]
    r_idx, c_idx = r_all, c_all
    vals = v_all
    cons = [LinearConstraint(csr_array(np.ones((1, m + nz)) * np.concatenate([np.ones(m), np.zeros(nz)])), p, p)]
    if r:
        a = coo_array((np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))), shape=(r, m + nz)).tocsr()
        cons.append(LinearConstraint(a, lo, np.inf))
    limit = None if deadline is None else max(deadline - time.perf_counter(), 0.01)  # the build counts too
    if branching.available():
        # our own branching on warm-started LPs: the LP is often half-integral, and one or two
        # branchings settle it, where HiGHS's MIP spends rounds of cuts and a restart on it
        a_all = vstack([c.A for c in cons], format="csc")
        row_lo = np.concatenate([np.broadcast_to(np.asarray(c.lb, dtype=float), c.A.shape[0]) for c in cons])
        row_hi = np.concatenate([np.broadcast_to(np.asarray(c.ub, dtype=float), c.A.shape[0]) for c in cons])
        res = branching.branch_and_bound(cost, a_all, row_lo, row_hi, np.arange(m), cutoff - const,
                                         rel_gap=_REL_GAP, deadline=None if limit is None else time.perf_counter() + limit,
                                         presolve=limit is None or a_all.nnz <= _PRESOLVE_MAX_NNZ,
                                         max_nodes=branching.MAX_NODES)
        if res.status == 1 and res.stopped in ("nodes", "lp"):  # the tree does not settle: HiGHS's cuts may
            left = None if deadline is None else max(deadline - time.perf_counter(), 0.01)
            mip = _milp(cost, cons, np.concatenate([np.ones(m), np.zeros(nz)]), left)
            if mip.x is not None or res.x is None:  # else HiGHS found nothing: the tree's incumbent stays
                res = mip
    else:
        res = _milp(cost, cons, np.concatenate([np.ones(m), np.zeros(nz)]), limit)
    if res.x is None:
        return res, np.zeros(m, dtype=bool), -np.inf
    dual = res.mip_dual_bound if res.mip_dual_bound is not None and np.isfinite(res.mip_dual_bound) else None
    bound = const + float(dual if dual is not None else (res.fun if res.status == 0 else -np.inf))
    return res, res.x[:m] > 0.5, bound


# ---------------------------------------------------------------------- set cover and p-center pieces
def _share(deadline: float | None, frac: float) -> float | None:
    """The moment ``frac`` of the way from now to ``deadline`` (None without one)."""
    if deadline is None:
        return None
    now = time.perf_counter()
    return now + frac * max(deadline - now, 0.0)


def _left(deadline: float | None) -> float | None:
    """Seconds HiGHS may run before ``deadline``, :data:`_MIP_MARGIN` kept back (None: no limit)."""
    return None if deadline is None else max(deadline - time.perf_counter() - _MIP_MARGIN, 0.01)


def _cover_reduced(a: csr_array, deadline: float | None) -> tuple[np.ndarray, float, str, dict[str, object]]:
    """Set cover on a reduced coverage matrix (every row coverable).

    Returns (open columns, lower bound on the number of columns, status, stats).
    """
    lb = len(lagrangian.disjoint_rows(a))
    start = lagrangian.greedy_setcover(a)
    if start is None:  # callers only pass coverable rows
        raise SitingError("set cover: some demand is reached by no candidate site")
    best = lagrangian.improve_setcover(a, start, deadline=_share(deadline, 0.3), target=lb,
                                       plateau=_PLATEAU if deadline is None else 5 * _PLATEAU)
    stats: dict[str, object] = {"greedy": len(start), "heuristic": len(best), "packing_bound": lb}
    if len(best) <= lb:
        return best, float(len(best)), "optimal", stats
    nc = a.shape[1]
    cons = [LinearConstraint(csr_array(a, dtype=float), 1, np.inf),
            LinearConstraint(csr_array(np.ones((1, nc))), 0, len(best) - 1)]  # only fewer columns are news
    res = _milp(np.ones(nc), cons, np.ones(nc), _left(deadline))
    stats["mip_status"] = int(res.status)
    if res.status == 2:  # no cover with fewer columns than the heuristic's
        return best, float(len(best)), "optimal", stats
    if res.x is not None:
        sel = np.flatnonzero(res.x > 0.5)
        if len(sel) < len(best) and (a[:, sel].sum(axis=1) > 0).all():
            best = sel
    if res.status == 0:
        return best, float(len(best)), "optimal", stats
    dual = res.mip_dual_bound
    bound = float(lb) if dual is None or not np.isfinite(dual) else max(float(lb), float(np.ceil(dual - 1e-6)))
    bound = min(bound, float(len(best)))
    return best, bound, "optimal" if bound >= len(best) else "time_limit", stats


class _CenterSearch:
    """The p-center decisions: can ``p`` free sites (columns of ``cf``) serve all demand within r?

    Answers are "yes" with a cover, "no" (proven) or None (the time ran out). The demand subset
    of the exact check grows across calls: points that mattered at one radius matter at others.
    """

    def __init__(self, cf: np.ndarray, kept: np.ndarray, p: int, deadline: float | None) -> None:
        self.cf, self.kept, self.p, self.deadline = cf, kept, p, deadline
        nearest = np.minimum(cf.min(axis=1), kept)
        self.subset = np.zeros(len(cf), dtype=bool)
        self.subset[np.argsort(-nearest, kind="stable")[: p + 1]] = True
        self.lp_subset = self.subset.copy()  # the LP's own: it grows far larger than HiGHS can branch on
        self.stats: dict[str, int] = {"mip_solves": 0}
        self.log: list[tuple[float, str, float]] = []  # (radius, answer and how, seconds)

    def radius(self, sol: np.ndarray) -> float:
        """Worst time with the kept sites and the columns ``sol`` open."""
        best = self.cf[:, np.asarray(sol, dtype=int)].min(axis=1) if len(sol) else np.full(len(self.cf), np.inf)
        return float(np.minimum(best, self.kept).max()) if len(self.cf) else 0.0

    def farthest_first(self) -> np.ndarray:
        """Start: up to ``p`` times, open the free site nearest the worst-served demand."""
        cur = self.kept.copy()
        avail = np.ones(self.cf.shape[1], dtype=bool)
        chosen: list[int] = []
        for _ in range(self.p):
            i = int(np.argmax(cur))
            row = np.where(avail, self.cf[i], np.inf)
            j = int(np.argmin(row))
            if not row[j] < cur[i]:
                break
            chosen.append(j)
            avail[j] = False
            cur = np.minimum(cur, self.cf[:, j])
        return np.array(chosen, dtype=int)

    def heuristic_bisection(self, values: np.ndarray, lo: int, hi: int, sol: np.ndarray, how: str,
                            end: float | None) -> tuple[int, int, np.ndarray]:
        """Bisect between ``values[lo]`` (nothing below is feasible) and ``values[hi]`` (``sol`` is).

        Each step asks :meth:`decide` with ``how`` (``quick`` or ``strong``), which answers "no"
        only when proven: an unproven failure moves the guess up without moving ``lo``. Stops at
        ``end`` (None: when the guess meets ``hi``). Returns the new (lo, hi, sol).
        """
        guess = lo
        while guess < hi and (end is None or time.perf_counter() < end):
            mid = (guess + hi) // 2
            ok, found = self.decide(float(values[mid]), how, until=end)
            if ok:
                sol = found  # type: ignore[assignment]
                hi = min(mid, int(np.searchsorted(values, self.radius(sol))))
            else:
                guess = mid + 1
                lo = mid + 1 if ok is False else lo
        return lo, hi, sol

    def decide(self, r: float, how: str = "exact", *, until: float | None = None) -> tuple[bool | None, np.ndarray | None]:
        """Can ``p`` sites serve every demand within ``r``? (answer, a cover when yes).

        ``how``: ``quick`` (packing, then heuristics), ``strong`` (packing, then the set-cover
        local search run far longer), ``lp`` (packing, then the LP relaxation, no heuristics) or
        ``exact`` (all of these, then HiGHS). "No" is always proven; None means undecided (by the
        checks asked for, or within the time). ``until``: when the long local search stops at the
        latest (``time.perf_counter()`` value; also at half the time left).
        """
        t = time.perf_counter()
        ok, sol, how = self._decide(r, how, until)
        self.log.append((round(r, 4), {True: "yes", False: "no", None: "undecided"}[ok] + " by " + how,
                         round(time.perf_counter() - t, 2)))
        return ok, sol

    def _lp_exceeds_p(self, a: np.ndarray, rows: np.ndarray) -> bool:
        """Whether the fractional cover number exceeds ``p`` (then ``p`` sites cannot do).

        The LP is solved on the subset, adding the demand its solution leaves under-covered,
        until the solution covers everyone (its value is then the full LP's) or exceeds ``p``.
        """
        self.lp_subset |= self.subset
        while self.deadline is None or time.perf_counter() < self.deadline - _MIP_MARGIN:
            sub_at = np.flatnonzero(self.lp_subset[rows])
            sub = a[sub_at]
            cols = np.flatnonzero(sub.any(axis=0))
            y = np.zeros(a.shape[1])
            if len(sub_at):
                if not len(cols):
                    return False  # a row no site covers: the LP has no solution to say no with
                res = _milp(np.ones(len(cols)), [LinearConstraint(csr_array(sub[:, cols], dtype=float), 1, np.inf)],
                            np.zeros(len(cols)), _left(self.deadline))
                if res.x is None:
                    return False
                if res.fun > self.p + 1e-6:
                    return True
                y[cols] = res.x
            res_fun = float(y.sum())  # an empty subset: no row yet, the LP's value is 0
            got = a @ y
            short = np.flatnonzero(got < 1 - 1e-6)
            # topping each short row up through one of its sites gives a full fractional cover:
            # at most p, the full LP is too and cannot say no
            if res_fun + float((1 - got[short]).sum()) <= self.p + 1e-6:
                return False
            # spread out (no site covers two), then the most under-covered: a few hundred a round
            spread = short[lagrangian.disjoint_rows(csr_array(a[short]), limit=4 * self.p)]
            worst = short[np.argsort(got[short], kind="stable")[: 4 * self.p]]
            self.lp_subset[rows[spread]] = True
            self.lp_subset[rows[worst]] = True
        return False

    def _yes(self, ac: csr_array, start: np.ndarray | None, *, plateau: int = _PLATEAU,
             until: float | None = None) -> np.ndarray | None:
        """A cover of at most ``p`` columns of ``ac`` found by heuristics (from ``start``), or None.

        The set-cover local search gives up after ``plateau`` swaps without a gain, or at
        ``until`` (default: 5 % of the time left).
        """
        n = ac.shape[0]
        a_sp = csc_array(ac, dtype=float)
        ones = np.ones(n)
        sol = lagrangian.greedy_cover(a_sp, ones, self.p, start=start)
        sol, got, _ = lagrangian.interchange_cover(a_sp, ones, sol, deadline=_share(self.deadline, 0.05))
        if got >= n:
            return sol
        fill = lagrangian.greedy_setcover(ac, start=sol)
        if fill is not None and len(fill) > self.p:
            fill = lagrangian.improve_setcover(ac, fill, target=self.p, plateau=plateau,
                                               deadline=_share(self.deadline, 0.05) if until is None else until)
        return fill if fill is not None and len(fill) <= self.p else None

    def _decide(self, r: float, mode: str, until: float | None = None) -> tuple[bool | None, np.ndarray | None, str]:
        rows = np.flatnonzero(self.kept > r + 1e-9)  # demand the kept sites do not serve within r
        if not len(rows):
            return True, np.zeros(0, dtype=int), "kept sites"
        a = self.cf[rows] <= r + 1e-9
        if not a.any(axis=1).all():
            return False, None, "unreachable demand"
        ac = csr_array(a)
        pack = lagrangian.disjoint_rows(ac, limit=self.p + 1)
        if len(pack) > self.p:  # p + 1 demand points, no site serving two of them
            self.subset[rows[pack]] = True
            return False, None, "packing"
        if mode == "strong":
            end = _share(self.deadline, 0.5)
            sol = self._yes(ac, None, plateau=_STRONG_PLATEAU,
                            until=end if until is None or end is None else min(end, until))
            return (True, sol, "long local search") if sol is not None else (None, None, "long local search failing")
        if mode != "quick" and self._lp_exceeds_p(a, rows):
            return False, None, f"LP relaxation on {int(self.lp_subset[rows].sum())} demand points"
        if mode == "lp":
            return None, None, "LP relaxation"
        sol = self._yes(ac, None)
        if sol is not None:
            return True, sol, "heuristic"
        if mode == "quick":
            return None, None, "heuristic failing"
        while True:  # exact, on the subset; grown by what each answer leaves out
            if self.deadline is not None and time.perf_counter() > self.deadline - _MIP_MARGIN:
                return None, None, "time limit"
            sub = a[np.flatnonzero(self.subset[rows])]
            cols = np.flatnonzero(sub.any(axis=0))
            keep = _undominated(sub[:, cols])
            sub, cols = sub[:, cols[keep]], cols[keep]
            nc = len(cols)
            cons = [LinearConstraint(csr_array(sub, dtype=float), 1, np.inf),
                    LinearConstraint(csr_array(np.ones((1, nc))), 0, self.p)]
            res = _milp(np.ones(nc), cons, np.ones(nc), _left(self.deadline), first_solution=True)
            self.stats["mip_solves"] += 1
            if res.status == 2:
                return False, None, f"HiGHS on {int(self.subset[rows].sum())} demand points"
            if res.x is None:
                return None, None, "time limit"
            y = cols[res.x > 0.5]
            covered = a[:, y].any(axis=1)
            if covered.all():
                return True, y, "HiGHS"
            fill = lagrangian.greedy_setcover(ac, start=y)
            if fill is not None and len(fill) <= self.p:
                return True, fill, "HiGHS + greedy"
            miss = np.flatnonzero(~covered)
            more = lagrangian.disjoint_rows(csr_array(a[miss]), limit=max(2 * self.p, 10))
            self.subset[rows[miss[more]]] = True


def _status(res) -> str:  # type: ignore[no-untyped-def]
    return "optimal" if res.status == 0 else ("infeasible" if res.status == 2 else "time_limit")


def _gap(obj: float, bound: float) -> float:
    if not np.isfinite(bound) or not np.isfinite(obj):
        return float("inf")
    return abs(obj - bound) / max(abs(obj), 1e-9) if obj != bound else 0.0


def _milp(c: np.ndarray, constraints: list[LinearConstraint], integrality: np.ndarray,
          time_limit: float | None, *, first_solution: bool = False):  # type: ignore[no-untyped-def]
    """HiGHS through scipy's milp, variables in [0, 1].

    HiGHS's presolve does not look at the clock: on a 10,000 × 1,000 MCLP (550k nonzeros) it
    ran 22 s past a 9 s limit here. With a time limit, models above :data:`_PRESOLVE_MAX_NNZ`
    nonzeros are therefore solved without it. ``first_solution`` stops at the first feasible
    solution (for feasibility questions, whose constraints already say what is good enough).
    """
    opts: dict[str, object] = {"mip_rel_gap": 1e-9, "disp": False}
    if time_limit is not None:
        opts["time_limit"] = max(float(time_limit), 0.01)
        nnz = sum(int(k.A.nnz) if issparse(k.A) else int(np.count_nonzero(k.A)) for k in constraints)
        if nnz > _PRESOLVE_MAX_NNZ:
            opts["presolve"] = False
    if first_solution:
        opts["mip_max_improving_sols"] = 1
    with warnings.catch_warnings():  # scipy warns that it passes HiGHS options it does not know verbatim
        warnings.simplefilter("ignore", RuntimeWarning)
        return milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(0, 1), options=opts)


def _eye(n: int) -> csr_array:
    return csr_array((np.ones(n), (np.arange(n), np.arange(n))), shape=(n, n))


def _hstack(a: csr_array, b: csr_array) -> csr_array:
    from scipy.sparse import hstack

    return csr_array(hstack([a, b], format="csr"))


def _merge_rows(a: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge identical rows, adding their weights; returns (rows, weights, inverse index)."""
    if len(a) == 0:
        return a, w, np.zeros(0, dtype=int)
    # rows as single byte strings (bits for a coverage matrix): far faster than np.unique(axis=0)
    key = np.ascontiguousarray(np.packbits(a, axis=1) if a.dtype == bool else a)
    rows = key.view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).ravel()
    _, first, inv = np.unique(rows, return_index=True, return_inverse=True)
    inv = inv.ravel()
    return a[first], np.bincount(inv, weights=w, minlength=len(first)), inv


def _undominated(a: np.ndarray) -> np.ndarray:
    """Columns whose coverage set is not inside another column's (ties keep the first)."""
    if a.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    s = csc_array(a.astype(np.int32))
    inter = (s.T @ s).toarray()
    size = np.diag(inter)
    inside = inter == size[:, None]  # inside[j, k]: cover(j) ⊆ cover(k)
    np.fill_diagonal(inside, False)
    idx = np.arange(a.shape[1])
    strictly = inside & ~inside.T
    same_earlier = inside & inside.T & (idx[None, :] < idx[:, None])
    return ~(strictly | same_earlier).any(axis=1) & (size > 0)


def _unimplied_rows(a: np.ndarray, deadline: float | None = None) -> np.ndarray:
    """Rows not implied by another: a row whose set contains another row's set is redundant.

    Of identical rows the first is kept; empty rows imply nothing. The row × row intersection
    counts are formed a block of rows at a time (at most about 32 MB each); past ``deadline``
    the rows not yet looked at are kept, which is always safe (a kept row is merely redundant).
    """
    n = a.shape[0]
    keep = np.ones(n, dtype=bool)
    if n <= 1:
        return keep
    s = csr_array(a.astype(np.int32))
    st = csr_array(s.T)
    size = np.diff(s.indptr)
    block = max(1, 8_000_000 // n)
    for b0 in range(0, n, block):
        if deadline is not None and time.perf_counter() > deadline:
            break
        b1 = min(n, b0 + block)
        contains = (s[b0:b1] @ st).toarray() == size[None, :]  # contains[i, k]: set(k) ⊆ set(i)
        same = size[b0:b1, None] == size[None, :]  # then set(k) = set(i): only an earlier k implies i
        contains &= (~same | (np.arange(n)[None, :] < np.arange(b0, b1)[:, None])) & (size[None, :] > 0)
        keep[b0:b1] = ~contains.any(axis=1)
    return keep
