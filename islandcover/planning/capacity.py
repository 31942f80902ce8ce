"""Capacitated siting: p-median and maximal covering where each open site serves at most its capacity.

A site's *capacity* is the most demand weight it may serve: people with ``weight="people"``,
islands with ``weight="islands"`` (the same units as the demand weights of the
:class:`~islandcover.planning.siting.SitingProblem`). It is given either as one number for every
site, or per site, e.g. from the teams based there (:func:`site_capacities`: a numeric column of
the teams table, ``head_count``, summed over the site's teams, times a scale such as "people one
crew member answers for").

The models (the textbook ones)::

    p-median   min  Σ_ij w_i d_ij x_ij
               s.t. Σ_j x_ij = 1                 every demand point is served in full
                    Σ_i w_i x_ij ≤ C_j y_j       a site serves at most its capacity, and only if open
                    x_ij ≤ y_j                   (the strong linking; implied when w_i ≥ C_j)
                    Σ_{j free} y_j = p,  y_j = 1 for the sites kept open
    MCLP       max  Σ_ij w_i x_ij  over the pairs with d_ij ≤ minutes
               s.t. Σ_j x_ij ≤ 1, and the same capacity, linking and cardinality rows

with ``y_j ∈ {0, 1}`` and ``x_ij ∈ [0, 1]`` **continuous**: ``x_ij`` is the share of demand
point i's weight served from site j, so an island's people may be split between sites (the
common textbook form, and the one spopt users asked for in pysal/spopt#415). Single sourcing
(each island served by one site) is not offered: the Dinghai part of the main island (ZS-0001)
alone holds 38 % of the archipelago's people, more than any one station could be given, and
several stations do share it in practice. Pairs that cannot be travelled (``inf``) get no
variable; demand of weight 0 takes no capacity and is assigned to its nearest open site.

How they are solved:

* MCLP: the model above, by HiGHS (:func:`scipy.optimize.milp`).
* p-median: a Lagrangian bound first (assignment rows relaxed; each site is then a continuous
  knapsack, solved by sorting), whose site choices are priced exactly by a transport LP (the
  incumbent, starting from greedy + swaps on the uncapacitated cost); then the sites the bound
  rules out are closed and HiGHS solves the model above on the rest, with the incumbent as a
  cutoff. HiGHS's own LP relaxation of the full model takes minutes at 1,000 × 100 here; the
  Lagrangian reaches the same bound in seconds.

``status`` is ``optimal`` only when proven (the bound meets the incumbent, or HiGHS finishes;
relative gap 1e-9); with a time limit the best solution found is returned with the best proven
bound and the gap. Every error about the capacity itself (bad values, too little of it) is a
:class:`~islandcover.errors.SitingError` whose message starts with ``capacity``, so that callers
can name the field.
"""
from __future__ import annotations

import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array, vstack

from islandcover.errors import SitingError
from islandcover.planning.siting import SitingProblem, SitingResult

__all__ = ["CAPACITY_MODELS", "TEAM_COUNT", "Capacity", "parse_capacity", "site_capacities", "capacity_array",
           "capacitated_pmedian", "capacitated_mclp", "solve_capacitated"]

#: The models that take a capacity.
CAPACITY_MODELS = ("mclp", "pmedian")

#: The column name that counts a site's teams (instead of summing a column of them).
TEAM_COUNT = "teams"

#: A column name as the command line and the API accept it.
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

_SOLVER = f"HiGHS (scipy {scipy.__version__})"
_REL_GAP = 1e-9
#: Seconds kept back from a time limit for reading the answer.
_MARGIN_S = 0.1
#: A share below this is solver noise, not a split.
_SHARE_TOL = 1e-6
#: Shares are reported to 4 decimals: a site serving less than this is not listed in a split.
_SHOWN_SHARE = 5e-5

#: One capacity for every site, or one per site (by id, or in the order of ``site_ids``).
Capacity = float | Mapping[str, float] | Sequence[float] | np.ndarray


# ---------------------------------------------------------------------- capacities
def parse_capacity(value: str | float) -> float | str:
    """A capacity as typed: a positive number, or the name of a team column.

    Parameters
    ----------
    value : str or float
        ``"150000"``, ``150000`` or ``"head_count"``.

    Returns
    -------
    float or str
        The number, or the column name (checked against the teams by :func:`site_capacities`).

    Raises
    ------
    SitingError
        For a number that is not finite and positive, or text that is neither a number nor a
        column name.
    """
    if isinstance(value, bool):
        raise SitingError(f"capacity must be a positive number or a team column, got {value!r}")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            if not _COLUMN.match(text):
                raise SitingError("capacity must be a positive number or a team column name "
                                  f"(e.g. head_count, or {TEAM_COUNT} for the number of teams)") from None
            return text
    if not (np.isfinite(number) and number > 0):
        raise SitingError(f"capacity must be a positive number (demand weight per site), got {number:g}")
    return number


def site_capacities(teams: pd.DataFrame, site_ids: Sequence[str], capacity: str | float, *,
                    scale: float = 1.0, new_site: float | None = None) -> dict[str, float]:
    """Each site's capacity, in demand weight (people, or islands with ``weight="islands"``).

    Parameters
    ----------
    teams : pandas.DataFrame
        The teams table (:attr:`islandcover.archipelago.Archipelago.teams`): ``station_id`` and
        numeric columns such as ``head_count``. Every team on the roster counts, whatever its
        status today: capacity is a planning figure.
    site_ids : sequence of str
        The candidate sites (:attr:`SitingProblem.site_ids`).
    capacity : str or float
        A number N: every site serves at most N. A column name: the column summed over the
        site's teams (``head_count``: the crew; ``teams``: how many teams), times ``scale``.
    scale : float
        Demand weight one unit of the column serves, e.g. 10,000 people per crew member
        (default 1). Only with a column.
    new_site : float, optional
        The column's value for a site without teams (service points and added sites: a new
        site's crew, e.g. a head count of 10), scaled the same way. Only with a column; without
        it, a site without teams is an error naming it.

    Returns
    -------
    dict
        Site id → capacity.

    Raises
    ------
    SitingError
        Unknown or non-numeric column, non-positive values, a site without teams and no
        ``new_site``, ``scale``/``new_site`` given with a number.
    """
    spec = parse_capacity(capacity)
    for name, v in (("capacity_scale", scale), ("capacity_new", new_site)):
        if v is not None and (isinstance(v, bool) or not np.isfinite(float(v)) or float(v) <= 0):
            raise SitingError(f"capacity: {name} must be a positive number, got {v!r}")
    if isinstance(spec, float):
        if float(scale) != 1.0 or new_site is not None:
            raise SitingError("capacity: capacity_scale and capacity_new (--capacity-scale, --capacity-new) go with "
                              f"a team column, not a number (capacity {spec:g} is already the demand weight each "
                              "site serves)")
        return {str(s): spec for s in site_ids}
    numeric = [c for c in teams.columns if pd.api.types.is_numeric_dtype(teams[c]) and not pd.api.types.is_bool_dtype(teams[c])]
    if spec == TEAM_COUNT:
        per_station = teams.groupby("station_id").size().astype(float)
    elif spec in numeric:
        per_station = teams.groupby("station_id")[spec].sum().astype(float)
    else:
        kind = "is not numeric" if spec in teams.columns else "is not a column of the teams table"
        raise SitingError(f"capacity: '{spec}' {kind}; use a number, {TEAM_COUNT} (the number of teams) "
                          f"or a numeric team column ({', '.join(numeric) or 'none loaded'})")
    out: dict[str, float] = {}
    missing: list[str] = []
    for s in map(str, site_ids):
        if s in per_station.index:
            out[s] = float(per_station[s]) * float(scale)
        elif new_site is not None:
            out[s] = float(new_site) * float(scale)
        else:
            missing.append(s)
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise SitingError(f"capacity: {len(missing)} candidate sites have no teams and so no {spec} ({shown}); "
                          f"give capacity_new (--capacity-new: the {spec} of a site without teams) or one "
                          "number for every site")
    bad = [s for s, v in out.items() if not v > 0]
    if bad:
        raise SitingError(f"capacity: {spec} gives {', '.join(bad[:5])} no capacity (0); every site needs a positive one")
    return out


def capacity_array(problem: SitingProblem, capacity: Capacity) -> np.ndarray:
    """The capacity of each site of ``problem``, in the order of its ``site_ids``.

    Parameters
    ----------
    problem : SitingProblem
        The instance.
    capacity : float, mapping or sequence
        One number for every site; site id → capacity (every site must be there); or one value
        per site in the order of ``problem.site_ids``.

    Raises
    ------
    SitingError
        For a missing site, or a value that is not finite and positive.
    """
    m = len(problem.site_ids)
    if isinstance(capacity, Mapping):
        missing = [s for s in problem.site_ids if s not in capacity]
        if missing:
            raise SitingError(f"capacity: no value for sites {', '.join(missing[:5])}"
                              + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
        values = np.array([_number(capacity[s], s) for s in problem.site_ids], dtype=float)
    elif isinstance(capacity, str):
        raise SitingError(f"capacity: '{capacity}' is a name; resolve it with site_capacities (or "
                          "CoverageModel.site_capacities) first")
    elif np.ndim(capacity) == 0:
        values = np.full(m, _number(capacity, None))  # type: ignore[arg-type]
    else:
        arr = list(capacity)  # type: ignore[arg-type]
        if len(arr) != m:
            raise SitingError(f"capacity has {len(arr)} values for {m} sites")
        values = np.array([_number(v, s) for v, s in zip(arr, problem.site_ids)], dtype=float)
    return values


def _number(v: object, site: str | None) -> float:
    where = f" of {site}" if site is not None else ""
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SitingError(f"capacity{where} must be a number, got {v!r}") from None
    if isinstance(v, bool) or not (np.isfinite(x) and x > 0):
        raise SitingError(f"capacity{where} must be a positive number (demand weight), got {v!r}")
    return x


# ---------------------------------------------------------------------- models
def solve_capacitated(problem: SitingProblem, model: str, capacity: Capacity, *, p: int | None = None,
                      minutes: float | None = None, time_limit: float | None = None) -> SitingResult:
    """Solve the capacitated variant of ``model`` (``mclp`` or ``pmedian``).

    :meth:`SitingProblem.solve` calls this when given a ``capacity``; :func:`capacitated_pmedian`
    and :func:`capacitated_mclp` are this with the model named. The checks of the arguments and
    the set-up common to both models are here.

    Parameters
    ----------
    problem : SitingProblem
        Cost matrix (minutes), weights and the sites kept open.
    model : str
        ``pmedian`` or ``mclp``.
    capacity : float, mapping or sequence
        Demand weight each site may serve (:func:`capacity_array`).
    p : int
        New sites to open (both models need it).
    minutes : float, optional
        Coverage threshold of ``mclp`` (needed there; ``pmedian`` ignores it).
    time_limit : float, optional
        Seconds; the best solution found is returned with its bound and gap.

    Raises
    ------
    SitingError
        For another model, a missing or bad ``p`` or ``minutes``, a bad ``capacity``, or a model
        that cannot be solved (see :func:`capacitated_pmedian`).
    """
    if model not in CAPACITY_MODELS:
        raise SitingError(f"capacity applies to {' and '.join(CAPACITY_MODELS)}, not to {model}")
    if p is None:
        raise SitingError(f"model {model} needs p")
    if model == "mclp":
        if minutes is None:
            raise SitingError("model mclp needs minutes")
        if not (np.isfinite(float(minutes)) and float(minutes) > 0):
            raise SitingError(f"minutes must be a positive number, got {minutes!r}")
        minutes = float(minutes)
    else:
        minutes = None
    t0 = time.perf_counter()
    caps = capacity_array(problem, capacity)
    free = np.array([s not in problem.fixed for s in problem.site_ids])
    n_free = int(free.sum())
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 1:
        raise SitingError(f"p must be a whole number ≥ 1, got {p!r}")
    if p > n_free:
        raise SitingError(f"p = {p} but only {n_free} candidate sites are free")
    pairs = _Pairs.of(problem, minutes)
    deadline = None if time_limit is None else t0 + float(time_limit)
    stats: dict[str, object] = {
        "solver": _SOLVER, "formulation": "capacitated, continuous assignment (a demand point's weight may be "
                                          "split between sites)",
        "demand": len(problem.demand_ids), "sites": len(problem.site_ids), "demand_reduced": len(pairs.rows),
        "pairs": len(pairs.ii)}
    if model == "pmedian":
        _check_feasible(problem, caps, free, p, pairs)
        sol = _pmedian(caps, free, p, pairs, deadline, stats)
    else:
        sol = _milp_model(caps, free, p, True, pairs, deadline, stats)
    if sol.open is None:
        raise SitingError(f"{model} with capacity: the time limit ran out before a feasible solution was found; "
                          "raise the time limit")
    result = _result(problem, model, caps, sol, pairs, minutes, stats, t0)
    if not problem.fixed:
        return result
    # the kept sites alone: the same model with no new site (an infeasible p-median has no baseline value)
    base = _transport(caps, ~free, pairs, minutes is not None)
    baseline = base.objective
    gain = (result.objective - baseline) if model == "mclp" else (baseline - result.objective)
    tol = _REL_GAP * max(1.0, abs(baseline)) if np.isfinite(baseline) else 0.0
    if np.isfinite(baseline) and gain <= tol:
        kept = _result(problem, model, caps, base, pairs, minutes, dict(stats), t0)
        return SitingResult(model, [], list(problem.fixed), result.objective, result.status, result.bound, result.gap,
                            time.perf_counter() - t0, kept.assignment, kept.uncovered, kept.stats,
                            baseline=baseline, no_gain=True)
    return SitingResult(model, result.sites, result.fixed, result.objective, result.status, result.bound,
                        result.gap, time.perf_counter() - t0, result.assignment, result.uncovered, result.stats,
                        baseline=baseline)


def capacitated_pmedian(problem: SitingProblem, p: int, capacity: Capacity, *,
                        time_limit: float | None = None) -> SitingResult:
    """Capacitated p-median: open ``p`` more sites to minimise the weighted sum of travel times,
    each site serving at most its capacity (an island's demand may be split between sites).

    Parameters
    ----------
    problem : SitingProblem
        Cost matrix (minutes), weights and the sites kept open.
    p : int
        New sites to open.
    capacity : float, mapping or sequence
        Demand weight each site may serve (:func:`capacity_array`).
    time_limit : float, optional
        Seconds; the best solution found is returned with its bound and gap.

    Raises
    ------
    SitingError
        When some demand cannot be reached, when the capacity of the kept sites and the ``p``
        largest free ones is less than the demand, or when no ``p`` sites can serve it all.
    """
    return solve_capacitated(problem, "pmedian", capacity, p=p, time_limit=time_limit)


def capacitated_mclp(problem: SitingProblem, p: int, minutes: float, capacity: Capacity, *,
                     time_limit: float | None = None) -> SitingResult:
    """Capacitated maximal covering: open ``p`` more sites to maximise the demand weight served
    within ``minutes``, each site serving at most its capacity.

    Parameters
    ----------
    problem : SitingProblem
        Cost matrix (minutes), weights and the sites kept open.
    p : int
        New sites to open.
    minutes : float
        Coverage threshold: only pairs within it serve.
    capacity : float, mapping or sequence
        Demand weight each site may serve (:func:`capacity_array`).
    time_limit : float, optional
        Seconds.
    """
    return solve_capacitated(problem, "mclp", capacity, p=p, minutes=minutes, time_limit=time_limit)


@dataclass(frozen=True)
class _Solution:
    open: np.ndarray | None  # bool over sites (kept ones included); None: no solution found
    x: np.ndarray            # share of each pair
    objective: float
    bound: float
    status: str


@dataclass(frozen=True)
class _Pairs:
    """The demand points of positive weight (``rows``) and the pairs that may serve (``ii``: index
    into ``rows``, ``jj``: site), with the weight and minutes of each pair."""

    rows: np.ndarray
    ii: np.ndarray
    jj: np.ndarray
    w: np.ndarray   # weight of each row
    wk: np.ndarray  # weight of each pair's demand
    d: np.ndarray   # minutes of each pair

    @classmethod
    def of(cls, problem: SitingProblem, minutes: float | None) -> _Pairs:
        rows = np.flatnonzero(problem.weights > 0)
        cost = problem.cost[rows]
        ii, jj = np.nonzero(np.isfinite(cost) if minutes is None else cost <= minutes + 1e-9)
        w = problem.weights[rows]
        return cls(rows, ii, jj, w, w[ii], cost[ii, jj])


def _check_feasible(problem: SitingProblem, caps: np.ndarray, free: np.ndarray, p: int, pairs: _Pairs) -> None:
    """Refuse before solving what no choice of sites can serve (p-median)."""
    lost = pairs.rows[np.bincount(pairs.ii, minlength=len(pairs.rows)) == 0]
    if len(lost):
        names = [problem.demand_ids[i] for i in lost]
        raise SitingError(f"p-median: no candidate site can reach {', '.join(names)}; "
                          "remove them from the demand or use mclp, which reports them")
    demand = float(pairs.w.sum())
    most = float(caps[~free].sum() + np.sort(caps[free])[::-1][:p].sum())
    if most < demand * (1 - 1e-12):
        kept = int((~free).sum())
        which = (f"the {kept} kept sites and the {p} largest free ones" if kept
                 else f"the {p} sites with the largest capacity")
        raise SitingError(f"capacity: {which} serve at most {most:,.2f} of a demand weight of {demand:,.2f}; "
                          "raise the capacity or p")


def _infeasible(p: int) -> SitingError:
    return SitingError(f"capacity: no {p} sites can serve every demand within their capacities (there is enough "
                       "in total, but not where the demand can be reached); raise the capacity or p")


# ---------------------------------------------------------------------- p-median: bound, incumbent, MIP
def _pmedian(caps: np.ndarray, free: np.ndarray, p: int, pairs: _Pairs, deadline: float | None,
             stats: dict[str, object]) -> _Solution:
    """Capacitated p-median: a Lagrangian bound with transport-problem incumbents, then HiGHS on
    the textbook model over the sites the bound cannot rule out.

    The assignment rows ``Σ_j x_ij = 1`` are relaxed with multipliers ``λ_i``; what is left splits
    by site into a continuous knapsack (fill site j, up to ``C_j``, with the demand of most
    negative ``d_ij − λ_i / w_i``), whose value ``ρ_j`` is found by sorting; the bound is
    ``Σ_i λ_i + Σ_kept ρ_j + (the p smallest free ρ_j)``. The subproblem has the integrality
    property, so at the best ``λ`` this is the LP relaxation's bound; subgradient steps approach
    it (5,353,590 against the LP's 5,354,372 on the 1,000 × 100 bench instance) without solving
    that LP, which HiGHS's simplex took 93 s over there. Each new choice of sites is priced
    exactly by a transport LP (the incumbent). A site whose forced opening (closing) lifts the
    bound to the incumbent is closed (kept open) in the MIP.
    """
    t0 = time.perf_counter()
    nr, m = len(pairs.rows), len(caps)
    if nr == 0:  # no demand of any weight: every choice costs 0
        open_ = ~free.copy()
        open_[np.flatnonzero(free)[:p]] = True
        return _Solution(open_, np.zeros(0), 0.0, 0.0, "optimal")
    d = np.full((nr, m), np.inf)
    d[pairs.ii, pairs.jj] = pairs.d
    w = pairs.w
    inc: dict[str, object] = {"ub": np.inf, "sol": None, "calls": 0}
    seen: set[bytes] = set()

    def price(open_: np.ndarray) -> None:
        key = np.packbits(open_).tobytes()
        if key in seen:
            return
        seen.add(key)
        inc["calls"] = int(inc["calls"]) + 1  # type: ignore[call-overload]
        sol = _transport(caps, open_, pairs, False)
        if sol.objective < float(inc["ub"]):  # type: ignore[arg-type]
            inc.update(ub=sol.objective, sol=sol)

    price(_median_swaps(d, w, free, p))  # the uncapacitated optimum's neighbourhood is a good start
    lag_end = None if deadline is None else t0 + 0.4 * (deadline - t0)
    lb, rho, iterations = _lagrangian(d, w, caps, free, p, price, inc, lag_end)
    ub = float(inc["ub"])  # type: ignore[arg-type]
    stats.update(lagrangian_bound=lb, lagrangian_iterations=iterations, transport_solves=inc["calls"],
                 lagrangian_seconds=round(time.perf_counter() - t0, 3))
    best: _Solution | None = inc["sol"]  # type: ignore[assignment]
    tol = _REL_GAP * max(1.0, abs(ub)) if np.isfinite(ub) else 0.0
    if best is not None and ub - lb <= tol:
        return replace(best, bound=ub, status="optimal")
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    if np.isfinite(ub):  # reduced-cost fixing on the sites
        fj = np.flatnonzero(free)
        order = fj[np.argsort(rho[fj], kind="stable")]
        pth, nxt = rho[order[p - 1]], (rho[order[p]] if len(order) > p else np.inf)
        in_choice = np.zeros(m, dtype=bool)
        in_choice[order[:p]] = True
        closed = free & ~in_choice & (lb + rho - pth >= ub - tol)
        opened = free & in_choice & (lb - rho + nxt >= ub - tol)
    stats.update(sites_closed=int(closed.sum()), sites_opened=int(opened.sum()))
    keep = ~closed[pairs.jj]
    sub = _Pairs(pairs.rows, pairs.ii[keep], pairs.jj[keep], w, pairs.wk[keep], pairs.d[keep])
    mip = _milp_model(caps, free, p, False, sub, deadline, stats, closed=closed, opened=opened,
                      must_solve=not np.isfinite(ub), cutoff=ub - tol)
    x_full = np.zeros(len(pairs.ii))
    if mip.open is not None:
        x_full[keep] = mip.x
        if best is None or mip.objective < best.objective:
            best = _Solution(mip.open, x_full, mip.objective, mip.bound, mip.status)
    if best is None:
        return _Solution(None, x_full, np.inf, lb, "time_limit")
    if mip.status in ("optimal", "infeasible"):  # nothing outside the MIP beats the incumbent
        return replace(best, bound=best.objective, status="optimal")
    bound = max(lb, min(best.objective, mip.bound)) if np.isfinite(mip.bound) else lb
    return replace(best, bound=min(bound, best.objective), status="time_limit")


def _median_swaps(d: np.ndarray, w: np.ndarray, free: np.ndarray, p: int, max_passes: int = 50) -> np.ndarray:
    """Greedy plus best-improvement swaps on the *uncapacitated* weighted minutes: a start for the
    capacitated search (priced exactly afterwards). Returns the open mask (kept sites included)."""
    big = np.where(np.isfinite(d), d, 1e6 * (np.nanmax(np.where(np.isfinite(d), d, 0)) + 1))
    open_ = ~free.copy()
    cur = big[:, open_].min(axis=1) if open_.any() else np.full(len(d), np.inf)
    for _ in range(p):
        total = (w[:, None] * np.minimum(cur[:, None], big)).sum(axis=0)
        total[~free | open_] = np.inf
        j = int(np.argmin(total))
        open_[j] = True
        cur = np.minimum(cur, big[:, j])
    for _ in range(max_passes):
        cols = np.flatnonzero(open_)
        sub = big[:, cols]
        part = np.argpartition(sub, 1, axis=1) if len(cols) > 1 else np.zeros((len(d), 2), dtype=int)
        first = sub[np.arange(len(d)), part[:, 0]]
        second = sub[np.arange(len(d)), part[:, 1]] if len(cols) > 1 else np.full(len(d), np.inf)
        now = float((w * first).sum())
        best, move = now, None
        for k, o in enumerate(cols):
            if not free[o]:
                continue
            without = np.where(part[:, 0] == k, second, first)
            total = (w[:, None] * np.minimum(without[:, None], big)).sum(axis=0)
            total[open_] = np.inf
            total[~free] = np.inf
            j = int(np.argmin(total))
            if total[j] < best * (1 - 1e-12):
                best, move = float(total[j]), (o, j)
        if move is None:
            break
        open_[move[0]], open_[move[1]] = False, True
    return open_


def _lagrangian(d: np.ndarray, w: np.ndarray, caps: np.ndarray, free: np.ndarray, p: int, price,  # type: ignore[no-untyped-def]
                inc: dict[str, object], deadline: float | None, max_iter: int = 400
                ) -> tuple[float, np.ndarray, int]:
    """Subgradient ascent on the multipliers; returns (best bound, ρ at it, iterations).

    ``price`` is called with promising site choices (it updates ``inc["ub"]``, the incumbent)."""
    nr, m = d.shape
    nearest = np.where(np.isfinite(d), d, np.inf).min(axis=1)
    lam = w * nearest  # every reduced cost ≥ 0: the bound starts at Σ w_i (nearest time)
    fj = np.flatnonzero(free)
    best_lb, best_rho, best_open = -np.inf, np.zeros(m), ~free
    step, stall = 2.0, 0
    it = 0
    for it in range(max_iter):
        ratio = d - (lam / w)[:, None]  # (w_i d_ij − λ_i) / w_i, inf where no pair
        order = np.argsort(ratio, axis=0, kind="stable")
        r_sorted = np.take_along_axis(ratio, order, axis=0)
        w_sorted = np.where(r_sorted < 0, w[order], 0.0)
        before = np.cumsum(w_sorted, axis=0) - w_sorted
        take = np.where(r_sorted < 0, np.clip((caps[None, :] - before) / np.where(w_sorted > 0, w_sorted, 1.0), 0, 1), 0)
        rho = (np.where(r_sorted < 0, r_sorted, 0.0) * w_sorted * take).sum(axis=0)
        pick = fj[np.argsort(rho[fj], kind="stable")[:p]]
        open_ = ~free.copy()
        open_[pick] = True
        lb = float(lam.sum() + rho[open_].sum())
        if lb > best_lb + 1e-12 * max(1.0, abs(lb)):
            best_lb, best_rho, best_open, stall = lb, rho, open_, 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        if stall == 0 and it % 10 == 0:
            price(open_)
        ub = float(inc["ub"])  # type: ignore[arg-type]
        if ub - best_lb <= _REL_GAP * max(1.0, abs(ub)) or step < 1e-3 \
                or (deadline is not None and time.perf_counter() > deadline):
            break
        x = np.zeros_like(d)
        np.put_along_axis(x, order, take, axis=0)
        g = 1.0 - x[:, open_].sum(axis=1)
        norm = float(g @ g)
        if norm <= 1e-18:  # the relaxed choice serves everyone exactly once: it is optimal
            break
        target = ub if np.isfinite(ub) else best_lb + 0.05 * abs(best_lb) + 1.0
        lam = lam + step * max(target - lb, 1e-9 * max(1.0, abs(lb))) / norm * g
    price(best_open)
    return best_lb, best_rho, it + 1


def _transport(caps: np.ndarray, open_: np.ndarray, pairs: _Pairs, cover: bool) -> _Solution:
    """The best assignment to the open sites (a transport LP): the p-median's weighted minutes
    (inf when the open sites cannot serve every demand), or the MCLP's covered weight."""
    use = np.flatnonzero(open_[pairs.jj])
    nr, k = len(pairs.rows), len(use)
    x = np.zeros(len(pairs.ii))
    if k == 0:
        if cover or nr == 0:
            return _Solution(open_.copy(), x, 0.0, 0.0, "optimal")
        return _Solution(None, x, np.inf, np.inf, "infeasible")
    ii, jj, wk = pairs.ii[use], pairs.jj[use], pairs.wk[use]
    cols = np.flatnonzero(open_)
    col_of = np.full(len(caps), -1)
    col_of[cols] = np.arange(len(cols))
    a_rows = coo_array((np.ones(k), (ii, np.arange(k))), shape=(nr, k)).tocsr()
    cap_rows = coo_array((wk / caps[jj], (col_of[jj], np.arange(k))), shape=(len(cols), k)).tocsr()
    c = -wk if cover else wk * pairs.d[use]
    if cover:
        res = linprog(c, A_ub=vstack([a_rows, cap_rows]), b_ub=np.ones(nr + len(cols)), bounds=(0, 1), method="highs")
    else:
        res = linprog(c, A_ub=cap_rows, b_ub=np.ones(len(cols)), A_eq=a_rows, b_eq=np.ones(nr), bounds=(0, 1),
                      method="highs")
    if res.status != 0:
        return _Solution(None, x, np.inf, np.inf, "infeasible")
    x[use] = res.x
    x = _tidy(x, pairs, caps, cover)
    obj = float((wk * x[use]).sum()) if cover else float((wk * pairs.d[use] * x[use]).sum())
    return _Solution(open_.copy(), x, obj, obj, "optimal")


def _tidy(x: np.ndarray, pairs: _Pairs, caps: np.ndarray, cover: bool) -> np.ndarray:
    """Remove the solver's tolerance (about 1e-6) from an assignment so that what is reported is
    what the assignment does: covering, loads within capacity and no demand counted twice (scaled
    down, so the covered weight is never overstated); p-median, every demand served exactly once."""
    x = np.clip(x, 0.0, 1.0)
    if cover:
        load = np.bincount(pairs.jj, weights=pairs.wk * x, minlength=len(caps))
        x = x * np.minimum(1.0, caps / np.maximum(load, 1e-300))[pairs.jj]
    row = np.bincount(pairs.ii, weights=x, minlength=len(pairs.rows))
    scale = np.maximum(row, 1.0) if cover else np.where(row > 0, row, 1.0)
    return x / scale[pairs.ii]


# ---------------------------------------------------------------------- the textbook model for HiGHS
def _milp_model(caps: np.ndarray, free: np.ndarray, p: int, cover: bool, pairs: _Pairs, deadline: float | None,
                stats: dict[str, object], *, closed: np.ndarray | None = None, opened: np.ndarray | None = None,
                must_solve: bool = True, cutoff: float | None = None) -> _Solution:
    """Build the textbook model (variables y for every site, then x for every pair) and solve it.

    ``closed``/``opened`` fix sites (the others stay free); ``open`` is None when no solution was
    found in time. An infeasible model raises when ``must_solve`` (it is the whole problem),
    else it is reported (status ``infeasible``: nothing better than the incumbent exists).
    """
    m, k, nr = len(caps), len(pairs.ii), len(pairs.rows)
    ii, jj, wk = pairs.ii, pairs.jj, pairs.wk
    xs = m + np.arange(k)
    # assignment: Σ_j x_ij = 1 (p-median) or ≤ 1 (mclp); capacity scaled by C_j: Σ_i (w_i / C_j) x_ij − y_j ≤ 0
    r_idx = [ii.astype(int), nr + jj.astype(int), nr + np.arange(m)]
    c_idx = [xs, xs, np.arange(m)]
    vals = [np.ones(k), wk / caps[jj], -np.ones(m)]
    lo = [np.zeros(nr) if cover else np.ones(nr), np.full(m, -np.inf)]
    hi = [np.ones(nr), np.zeros(m)]
    r0 = nr + m
    # strong linking x_ij ≤ y_j for free sites, where the capacity row does not imply it
    link = np.flatnonzero(free[jj] & (wk < caps[jj]))
    nl = len(link)
    r_idx += [r0 + np.arange(nl), r0 + np.arange(nl)]
    c_idx += [xs[link], jj[link].astype(int)]
    vals += [np.ones(nl), -np.ones(nl)]
    lo.append(np.full(nl, -np.inf))
    hi.append(np.zeros(nl))
    r0 += nl
    # cardinality: Σ_{j free} y_j = p
    fj = np.flatnonzero(free)
    r_idx.append(np.full(len(fj), r0))
    c_idx.append(fj)
    vals.append(np.ones(len(fj)))
    lo.append(np.array([float(p)]))
    hi.append(np.array([float(p)]))
    r0 += 1
    a = coo_array((np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))), shape=(r0, m + k)).tocsr()
    c = np.concatenate([np.zeros(m), -wk if cover else wk * pairs.d])
    lb = np.concatenate([(~free | (opened if opened is not None else False)).astype(float), np.zeros(k)])
    ub = np.concatenate([np.where(closed, 0.0, 1.0) if closed is not None else np.ones(m), np.ones(k)])
    integrality = np.concatenate([free.astype(int), np.zeros(k, dtype=int)])
    # presolve off: HiGHS's presolve-and-transform path printed a debug line to the process's
    # stdout (into `islandcover site --json`) on the Zhoushan instance, and saved no time there
    opts: dict[str, object] = {"mip_rel_gap": _REL_GAP, "disp": False, "presolve": False}
    if deadline is not None:
        opts["time_limit"] = max(deadline - time.perf_counter() - _MARGIN_S, 0.01)
    if cutoff is not None and np.isfinite(cutoff):
        opts["objective_bound"] = float(cutoff)  # HiGHS: only solutions below it are sought
    stats.update(mip_sites=int(m - (closed.sum() if closed is not None else 0)), mip_pairs=k, mip_rows=r0)
    with warnings.catch_warnings():  # scipy warns that it passes options it does not know to HiGHS verbatim
        warnings.simplefilter("ignore", RuntimeWarning)
        res = milp(c, constraints=[LinearConstraint(a, np.concatenate(lo), np.concatenate(hi))],
                   integrality=integrality, bounds=Bounds(lb, ub), options=opts)
    stats.update(mip_status=int(res.status))
    if res.status == 2:
        if must_solve and not cover:
            raise _infeasible(p)
        return _Solution(None, np.zeros(k), np.inf, np.inf, "infeasible")
    dual = getattr(res, "mip_dual_bound", None)
    known = dual is not None and np.isfinite(dual)
    if res.x is None:  # the time ran out first; HiGHS's bound may still say something
        bound = (-float(dual) if cover else float(dual)) if known else (np.inf if cover else -np.inf)  # type: ignore[arg-type]
        return _Solution(None, np.zeros(k), np.inf, bound, "time_limit")
    is_open = (res.x[:m] > 0.5) | ~free
    x = _tidy(np.where(is_open[jj], res.x[m:], 0.0), pairs, caps, cover)
    obj = float((wk * x).sum()) if cover else float((wk * pairs.d * x).sum())
    optimal = res.status == 0
    if cover:
        bound = obj if optimal else (max(-float(dual), obj) if known else np.inf)  # type: ignore[arg-type]
    else:
        bound = obj if optimal else (min(float(dual), obj) if known else -np.inf)  # type: ignore[arg-type]
    return _Solution(is_open, x, obj, bound, "optimal" if optimal else "time_limit")


def _result(problem: SitingProblem, model: str, caps: np.ndarray, sol: _Solution, pairs: _Pairs,
            minutes: float | None, stats: dict[str, object], t0: float) -> SitingResult:
    """The answer: sites, each demand point's main site, splits, loads and what is left uncovered."""
    assert sol.open is not None
    rows, ii, jj, wk = pairs.rows, pairs.ii, pairs.jj, pairs.wk
    free = np.array([s not in problem.fixed for s in problem.site_ids])
    sites = sorted(problem.site_ids[j] for j in np.flatnonzero(sol.open & free))
    w = problem.weights
    served = np.bincount(jj, weights=wk * sol.x, minlength=len(problem.site_ids))
    share = np.bincount(ii, weights=sol.x, minlength=len(rows))
    # each demand point's main site: the open site serving the largest share (ties: the nearer, then the first)
    assignment: dict[str, str | None] = {}
    split: dict[str, dict[str, float]] = {}
    order = np.lexsort((jj, pairs.d, -sol.x, ii))
    first: dict[int, int] = {}
    for e in order:
        first.setdefault(int(ii[e]), int(e))
    by_row: dict[int, list[int]] = {}
    for e in np.flatnonzero(sol.x >= _SHOWN_SHARE):
        by_row.setdefault(int(ii[e]), []).append(int(e))
    open_cols = np.flatnonzero(sol.open)
    for r, i in enumerate(rows):
        d = problem.demand_ids[i]
        es = by_row.get(r, [])
        assignment[d] = problem.site_ids[int(jj[first[r]])] if es else None
        if len(es) > 1:
            split[d] = {problem.site_ids[int(jj[e])]: round(float(sol.x[e]), 4)
                        for e in sorted(es, key=lambda e: -sol.x[e])}
    zero = np.flatnonzero(w <= 0)
    near = problem.cost[np.ix_(zero, open_cols)] if len(open_cols) else np.full((len(zero), 0), np.inf)
    for r, i in enumerate(zero):  # no weight, no capacity taken: the nearest open site
        b = int(np.argmin(near[r])) if near.shape[1] else -1
        ok = b >= 0 and np.isfinite(near[r, b]) and (minutes is None or near[r, b] <= minutes + 1e-9)
        assignment[problem.demand_ids[i]] = problem.site_ids[int(open_cols[b])] if ok else None
    assignment = {d: assignment[d] for d in problem.demand_ids}
    uncovered: list[str] = []
    if minutes is not None:
        partly = {problem.demand_ids[i]: round(float(share[r]), 4) for r, i in enumerate(rows)
                  if share[r] < 1 - _SHARE_TOL}
        uncovered = [d for d in problem.demand_ids if d in partly or assignment[d] is None]
        stats["served_share"] = {d: s for d, s in partly.items() if s > 0}
    stats["load"] = {problem.site_ids[j]: {"served": round(float(served[j]), 3), "capacity": round(float(caps[j]), 3)}
                     for j in open_cols}
    stats["split"] = split
    obj = sol.objective
    return SitingResult(model, sites, list(problem.fixed), obj, sol.status, sol.bound, _gap(obj, sol.bound),
                        time.perf_counter() - t0, assignment, uncovered, stats)


def _gap(obj: float, bound: float) -> float:
    if not np.isfinite(bound) or not np.isfinite(obj):
        return float("inf")
    return abs(obj - bound) / max(abs(obj), 1e-9) if obj != bound else 0.0
