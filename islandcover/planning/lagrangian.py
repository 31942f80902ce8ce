"""Lagrangian bounds, greedy + interchange incumbents and reduced-cost fixing for siting at scale.

Used by :mod:`islandcover.planning.siting` before (and often instead of) a MIP:

* **p-median.** The assignment constraints ``Σ_j x_ij = 1`` are relaxed with multipliers
  ``λ_i``; the subproblem is solved in closed form (site ``j`` is worth
  ``ρ_j = Σ_i min(0, c_ij − λ_i)``, open the ``p`` most negative), so every ``λ`` gives a valid
  lower bound ``Σ_i λ_i + Σ_{p smallest} ρ_j``. Subgradient steps (Held–Karp, step
  ``π (UB − L) / ‖g‖²``) raise it. The incumbent is a greedy start improved by best-improvement
  swaps in the fast-interchange bookkeeping of Whitaker (1983) / Resende & Werneck (2007).
* **MCLP.** The coverage constraints ``z_i ≤ Σ_{j∈N_i} y_j`` are relaxed with ``μ_i ≥ 0``:
  ``L(μ) = Σ_i max(0, w_i − μ_i) + (the p largest Σ_{i: j∈N_i} μ_i)`` is an upper bound; the
  incumbent is greedy plus swaps.
* **Reduced-cost fixing.** With bound ``L`` and site values ``ρ`` (sorted, ``ρ_(p)`` the p-th),
  forcing a site ``j`` outside the chosen ``p`` open gives the bound ``L + ρ_j − ρ_(p)``, forcing a
  chosen one closed ``L − ρ_j + ρ_(p+1)``. A site whose forced bound is no better than the
  incumbent cannot be in (or out of) any strictly better solution and is fixed.

All arrays are dense (demand × site). Costs are *weighted* (``w_i d_ij``); ``inf`` marks an
unreachable pair. A ``cap`` vector stands for the sites kept open: demand ``i`` never costs more
than ``cap_i``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csc_array

__all__ = ["LagrangianBound", "greedy_median", "interchange_median", "lagrangian_median",
           "greedy_cover", "interchange_cover", "lagrangian_cover", "fix_sites"]

_BIG = 1e300
_PI0, _STALL, _SHRINK = 2.0, 50, 0.5  # step factor, non-improving steps before halving it


def _big_of(c: np.ndarray, cap: np.ndarray) -> float:
    """A finite stand-in for "unreachable", large enough that serving such demand always pays,
    small enough that differences of it stay exact in floating point."""
    finite = c[np.isfinite(c)]
    top = max(float(finite.max()) if finite.size else 1.0, float(cap[np.isfinite(cap)].max(initial=1.0)), 1.0)
    return top * 16.0 * (len(c) + 1)


@dataclass(frozen=True)
class LagrangianBound:
    """Best Lagrangian bound found and what fixing needs.

    Attributes
    ----------
    bound : float
        Lower bound (p-median) or upper bound (MCLP) on the optimum.
    values : numpy.ndarray
        Each site's Lagrangian value at the best multipliers (``ρ_j``; for the MCLP, minus the
        covered multiplier sum, so that in both cases the ``p`` smallest are chosen).
    constant : float
        The part of the bound that does not depend on the sites chosen.
    multipliers : numpy.ndarray
        The best multipliers.
    iterations : int
        Subgradient iterations run.
    """

    bound: float
    values: np.ndarray
    constant: float
    multipliers: np.ndarray
    iterations: int


# ---------------------------------------------------------------------- p-median
def median_cost(c: np.ndarray, cap: np.ndarray, open_cols: np.ndarray) -> float:
    """Weighted cost of serving every demand from ``open_cols`` or its cap."""
    best = c[:, open_cols].min(axis=1) if len(open_cols) else np.full(len(c), np.inf)
    return float(np.minimum(best, cap).sum())


def greedy_median(c: np.ndarray, cap: np.ndarray, p: int, *, allowed: np.ndarray | None = None) -> np.ndarray:
    """Greedy p-median: repeatedly open the site that lowers the weighted cost most.

    Parameters
    ----------
    c : numpy.ndarray
        Weighted costs, demand × site (``inf`` unreachable).
    cap : numpy.ndarray
        Cost of each demand with only the kept sites open (``inf`` when none).
    p : int
        Sites to open.
    allowed : numpy.ndarray of bool, optional
        Sites that may be opened (default all).

    Returns
    -------
    numpy.ndarray
        Indices of the ``p`` sites opened, in the order chosen.
    """
    inf = _big_of(c, cap)
    big = np.where(np.isfinite(c), c, inf)
    cur = np.where(np.isfinite(cap), cap, inf)
    chosen: list[int] = []
    banned = np.zeros(c.shape[1], dtype=bool) if allowed is None else ~allowed
    for _ in range(p):
        saving = np.maximum(cur[:, None] - big, 0.0).sum(axis=0)
        # among sites saving nothing, prefer the cheapest total (ties are common once all are served)
        saving[banned] = -1.0
        j = int(np.argmax(saving))
        banned[j] = True
        chosen.append(j)
        cur = np.minimum(cur, big[:, j])
    return np.array(chosen, dtype=int)


def _two_nearest(c: np.ndarray, cap: np.ndarray, open_cols: np.ndarray,
                 inf: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest cost, its slot in ``open_cols`` (``len(open_cols)`` = the cap) and second-nearest cost."""
    sub = np.concatenate([c[:, open_cols], cap[:, None]], axis=1)
    sub = np.where(np.isfinite(sub), sub, inf)
    part = np.argpartition(sub, 1, axis=1)[:, :2] if sub.shape[1] > 1 else np.zeros((len(sub), 2), dtype=int)
    a, b = part[:, 0], part[:, 1]
    va, vb = sub[np.arange(len(sub)), a], sub[np.arange(len(sub)), b]
    swap = vb < va
    first = np.where(swap, b, a)
    d1, d2 = np.minimum(va, vb), np.maximum(va, vb)
    if sub.shape[1] == 1:
        d2 = np.full(len(sub), inf)
    return d1, first, d2


def interchange_median(c: np.ndarray, cap: np.ndarray, open_cols: np.ndarray, *,
                       deadline: float | None = None, allowed: np.ndarray | None = None,
                       max_swaps: int = 10_000) -> tuple[np.ndarray, float, int]:
    """Best-improvement swaps (one site in, one out) until none improves.

    Each round prices every (in, out) pair at once: the saving of opening ``j`` alone, the loss
    of closing ``r`` alone, and the correction for demand whose nearest site is ``r`` and that
    ``j`` serves better than its second-nearest (Whitaker's fast interchange).

    Returns
    -------
    (open sites, weighted cost, swaps made)
    """
    n, m = c.shape
    open_cols = np.array(open_cols, dtype=int)
    p = len(open_cols)
    inf = _big_of(c, cap)
    big = np.where(np.isfinite(c), c, inf)
    swaps = 0
    may_open = np.ones(m, dtype=bool) if allowed is None else allowed.copy()
    while p and swaps < max_swaps:
        if deadline is not None and time.perf_counter() > deadline:
            break
        d1, first, d2 = _two_nearest(c, cap, open_cols, inf)
        owned = first < p  # demand served by an open (swappable) site, not by the cap
        loss = np.bincount(first[owned], weights=(d2 - d1)[owned], minlength=p)[:p]
        ri, jj = np.nonzero(big < d2[:, None])  # the only pairs that matter: j nearer than the second
        v = big[ri, jj]
        profit = np.bincount(jj, weights=np.maximum(d1[ri] - v, 0.0), minlength=m)  # opening j alone
        mine = owned[ri]
        ri, jj, v = ri[mine], jj[mine], v[mine]
        vals = np.maximum(v, d1[ri]) - d2[ri]  # ≤ 0: credit when j replaces r for i
        extra = np.bincount(jj * p + first[ri], weights=vals, minlength=m * p).reshape(m, p)
        delta = (loss[None, :] - profit[:, None] + extra).astype(float)  # change in cost of (open j, close r)
        blocked = np.zeros(m, dtype=bool)
        blocked[open_cols] = True
        delta[blocked | ~may_open] = np.inf
        j, r = np.unravel_index(int(np.argmin(delta)), delta.shape)
        base = float(d1.sum())
        if not delta[j, r] < -1e-9 * max(1.0, abs(base)):
            break
        open_cols[r] = j
        swaps += 1
    return open_cols, median_cost(c, cap, open_cols), swaps


def lagrangian_median(c: np.ndarray, cap: np.ndarray, p: int, upper: float, *, deadline: float | None = None,
                      max_iter: int = 3000, tol: float = 1e-9, start: np.ndarray | None = None,
                      allowed: np.ndarray | None = None, on_choice=None) -> LagrangianBound:  # type: ignore[no-untyped-def]
    """Subgradient optimisation of the p-median Lagrangian (assignment constraints relaxed).

    Parameters
    ----------
    c : numpy.ndarray
        Weighted costs, demand × site (``inf`` unreachable).
    cap : numpy.ndarray
        Cost of each demand with only the kept sites open (``inf`` when none).
    p : int
        Sites to open.
    upper : float
        An incumbent's cost (drives the step length; the search stops once the bound reaches it).
    deadline : float, optional
        ``time.perf_counter()`` value to stop at.
    max_iter : int
        Iteration cap.
    tol : float
        Stop when the relative gap to ``upper`` is below this.
    start : numpy.ndarray, optional
        Initial multipliers (default: each demand's second-smallest cost).
    allowed : numpy.ndarray of bool, optional
        Sites that may be opened (the rest are closed).
    on_choice : callable, optional
        Called with the relaxed choice of sites (indices into ``c``) when the bound improves
        markedly; returns a (possibly better) incumbent cost, which then drives the steps
        (a Lagrangian heuristic).

    Returns
    -------
    LagrangianBound
    """
    n, m = c.shape
    cols = np.flatnonzero(np.ones(m, dtype=bool) if allowed is None else allowed)
    cc = c[:, cols]
    mm = len(cols)
    # only the k nearest sites of each demand take part when λ_i is capped at the k-th cost
    k = mm if mm <= 4 * max(p, 1) + 64 else int(min(mm, max(64, 12 * mm // max(p, 1))))
    if k < mm:
        part = np.argpartition(cc, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(cc, part, axis=1)
        ceiling = vals.max(axis=1)
    else:
        part = np.broadcast_to(np.arange(mm), (n, mm))
        vals = cc
        ceiling = np.full(n, np.inf)
    ceiling = np.minimum(ceiling, cap)  # above the cap λ_i only loses
    finite_vals = np.where(np.isfinite(vals), vals, _BIG)
    flat_part = np.ascontiguousarray(part).ravel()
    if start is None:
        srt = np.sort(np.where(np.isfinite(vals), vals, np.inf), axis=1)
        lam = srt[:, min(1, srt.shape[1] - 1)].copy()
    else:
        lam = start.copy()
    lam = np.minimum(np.where(np.isfinite(lam), lam, 0.0), np.where(np.isfinite(ceiling), ceiling, _BIG))
    lam = np.maximum(lam, 0.0)
    capf = np.where(np.isfinite(cap), cap, _BIG)
    best = LagrangianBound(-np.inf, np.zeros(m), 0.0, lam.copy(), 0)
    pi, stall, it, last_call = _PI0, 0, 0, -10**9
    pp = min(p, mm)
    while it < max_iter:
        it += 1
        red = np.minimum(finite_vals - lam[:, None], 0.0)
        rho = np.bincount(flat_part, weights=red.ravel(), minlength=mm)
        order = np.argpartition(rho, pp - 1)[:pp] if pp < mm else np.arange(mm)
        const = float(lam.sum() + np.minimum(capf - lam, 0.0).sum())
        value = const + float(rho[order].sum())
        if value > best.bound:
            full = np.zeros(m)
            full[cols] = rho
            if on_choice is not None and (it - last_call >= 25 or it <= 2):
                upper = min(upper, float(on_choice(cols[order])))
                last_call = it
            best = LagrangianBound(value, full, const, lam.copy(), it)
            stall = 0
        else:
            stall += 1
            if stall >= _STALL:
                pi, stall = pi * _SHRINK, 0
        if upper - best.bound <= tol * max(1.0, abs(upper)) or pi < 1e-5:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        y = np.zeros(mm, dtype=bool)
        y[order] = True
        served = ((red < 0) & y[part]).sum(axis=1) + (capf < lam)
        g = 1.0 - served
        g[(g > 0) & (lam >= ceiling)] = 0.0  # λ_i is held at its ceiling
        norm = float(g @ g)
        if norm == 0:  # the relaxed solution is feasible: its value is optimal
            break
        step = pi * max(upper - value, 1e-9 * max(1.0, abs(upper))) / norm
        lam = np.clip(lam + step * g, 0.0, np.where(np.isfinite(ceiling), ceiling, _BIG))
    return LagrangianBound(best.bound, best.values, best.constant, best.multipliers, it)


# ---------------------------------------------------------------------- MCLP
def greedy_cover(a: csc_array, w: np.ndarray, p: int, *, allowed: np.ndarray | None = None) -> np.ndarray:
    """Greedy maximal covering: repeatedly open the site covering the most uncovered weight.

    Parameters
    ----------
    a : scipy.sparse.csc_array
        Coverage, demand × site (1 where the site reaches the demand in time).
    w : numpy.ndarray
        Demand weights.
    p : int
        Sites to open.
    allowed : numpy.ndarray of bool, optional
        Sites that may be opened.
    """
    left = w.astype(float).copy()
    m = a.shape[1]
    banned = np.zeros(m, dtype=bool) if allowed is None else ~allowed
    at = a.T.tocsr()
    chosen: list[int] = []
    for _ in range(min(p, m)):
        gain = at @ left
        gain[banned] = -1.0
        j = int(np.argmax(gain))
        banned[j] = True
        chosen.append(j)
        left[at.indices[at.indptr[j]:at.indptr[j + 1]]] = 0.0
    return np.array(chosen, dtype=int)


def interchange_cover(a: csc_array, w: np.ndarray, open_cols: np.ndarray, *, deadline: float | None = None,
                      allowed: np.ndarray | None = None, max_swaps: int = 10_000) -> tuple[np.ndarray, float, int]:
    """Best-improvement swaps for the MCLP.

    With ``k_i`` the number of open sites covering demand ``i``: opening ``j`` gains the weight it
    covers with ``k_i = 0``; closing ``r`` loses the weight with ``k_i = 1`` covered by ``r``; the
    pair (``j`` in, ``r`` out) gets back the weight with ``k_i = 1`` covered by both.

    Returns
    -------
    (open sites, covered weight, swaps made)
    """
    m = a.shape[1]
    open_cols = np.array(open_cols, dtype=int)
    p = len(open_cols)
    ar = a.tocsr()
    at = a.T.tocsr()
    swaps = 0
    may_open = np.ones(m, dtype=bool) if allowed is None else allowed.copy()
    while p and swaps < max_swaps:
        if deadline is not None and time.perf_counter() > deadline:
            break
        y = np.zeros(m)
        y[open_cols] = 1.0
        k = ar @ y
        gain = at @ (w * (k == 0))
        single = w * (k == 1)
        loss = (at @ single)[open_cols]
        # extra[j, r] = Σ_{i: k_i = 1, r covers i} w_i [j covers i]
        sub = ar[:, open_cols]
        owner_rows = np.flatnonzero(k == 1)
        owner = np.full(ar.shape[0], -1)
        sr = sub[owner_rows].tocoo()
        owner[owner_rows[sr.row]] = sr.col
        cand = ar[owner_rows].tocoo()
        extra = np.bincount(cand.col * p + owner[owner_rows[cand.row]], weights=w[owner_rows[cand.row]],
                            minlength=m * p).reshape(m, p)
        delta = gain[:, None] - loss[None, :] + extra
        blocked = np.zeros(m, dtype=bool)
        blocked[open_cols] = True
        delta[blocked | ~may_open] = -np.inf
        j, r = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if not delta[j, r] > 1e-9 * max(1.0, float(w.sum())):
            break
        open_cols[r] = j
        swaps += 1
    y = np.zeros(m)
    y[open_cols] = 1.0
    return open_cols, float(w[(ar @ y) > 0].sum()), swaps


def lagrangian_cover(a: csc_array, w: np.ndarray, p: int, lower: float, *, deadline: float | None = None,
                     max_iter: int = 3000, tol: float = 1e-9) -> LagrangianBound:
    """Subgradient optimisation of the MCLP Lagrangian (coverage constraints relaxed).

    ``L(μ) = Σ_i max(0, w_i − μ_i) + Σ_{p largest} (Aᵀμ)_j`` bounds the covered weight from
    above for every ``μ ≥ 0``. ``values`` holds ``−(Aᵀμ)_j`` so that, as for the p-median, the
    ``p`` smallest values are the ones chosen.
    """
    m = a.shape[1]
    at = a.T.tocsr()
    ar = a.tocsr()
    deg = np.maximum(np.diff(ar.indptr), 1)
    mu = w / deg  # share each demand's weight among its sites
    pp = min(p, m)
    best = LagrangianBound(np.inf, np.zeros(m), 0.0, mu.copy(), 0)
    pi, stall, it = 2.0, 0, 0
    while it < max_iter:
        it += 1
        s = at @ mu
        order = np.argpartition(-s, pp - 1)[:pp] if pp < m else np.arange(m)
        const = float(np.maximum(w - mu, 0.0).sum())
        value = const + float(s[order].sum())
        if value < best.bound:
            best = LagrangianBound(value, -s, const, mu.copy(), it)
            stall = 0
        else:
            stall += 1
            if stall >= 20:
                pi, stall = pi / 2, 0
        if best.bound - lower <= tol * max(1.0, abs(lower)) or pi < 1e-5:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        y = np.zeros(m)
        y[order] = 1.0
        z = (w > mu).astype(float)
        g = (ar @ y) - z  # ∂L/∂μ_i = −z_i + Σ_j a_ij y_j; descend
        g[(mu <= 0) & (g > 0)] = 0.0
        norm = float(g @ g)
        if norm == 0:
            break
        step = pi * max(value - lower, 1e-9 * max(1.0, abs(lower))) / norm
        mu = np.maximum(mu - step * g, 0.0)
    return LagrangianBound(best.bound, best.values, best.constant, best.multipliers, it)


# ---------------------------------------------------------------------- fixing
def fix_sites(lag: LagrangianBound, p: int, incumbent: float, *, maximise: bool = False,
              allowed: np.ndarray | None = None, rel_tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Reduced-cost fixing: sites that no strictly better solution opens, and sites it must open.

    Parameters
    ----------
    lag : LagrangianBound
        Bound and site values (the ``p`` smallest values are the relaxed choice).
    p : int
        Sites to open.
    incumbent : float
        Objective of the best solution known.
    maximise : bool
        True for the MCLP (the bound is an upper bound).
    allowed : numpy.ndarray of bool, optional
        Sites still free; the others are ignored.
    rel_tol : float
        Relative tolerance, the solver's own gap.

    Returns
    -------
    (closed, opened) : boolean masks over the sites
    """
    v = lag.values
    m = len(v)
    free = np.ones(m, dtype=bool) if allowed is None else allowed
    idx = np.flatnonzero(free)
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    if len(idx) <= p:
        return closed, opened
    srt = np.sort(v[idx])
    vp, vp1 = srt[p - 1], srt[p]
    chosen = np.zeros(m, dtype=bool)
    chosen[idx[np.argsort(v[idx], kind="stable")[:p]]] = True
    tol = rel_tol * max(1.0, abs(incumbent))
    if not maximise:  # bound rises when forced: prune when it reaches the incumbent
        closed[idx] = ~chosen[idx] & (lag.bound + v[idx] - vp >= incumbent - tol)
        opened[idx] = chosen[idx] & (lag.bound - v[idx] + vp1 >= incumbent - tol)
    else:  # upper bound falls when forced (values are −covered multiplier sums)
        closed[idx] = ~chosen[idx] & (lag.bound - v[idx] + vp <= incumbent + tol)
        opened[idx] = chosen[idx] & (lag.bound + v[idx] - vp1 <= incumbent + tol)
    return closed, opened
