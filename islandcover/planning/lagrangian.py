"""Lagrangian bounds, greedy + interchange incumbents and reduced-cost fixing for siting at scale.

Used by :mod:`islandcover.planning.siting` before (and often instead of) a MIP:

* **p-median.** The assignment constraints ``Σ_j x_ij = 1`` are relaxed with multipliers
  ``λ_i``; the subproblem is solved in closed form (site ``j`` is worth
  ``ρ_j = Σ_i min(0, c_ij − λ_i)``, open the ``p`` most negative), so every ``λ`` gives a valid
  lower bound ``Σ_i λ_i + Σ_{p smallest} ρ_j``. Subgradient steps (Held–Karp, step
  ``π (UB − L) / ‖g‖²``) raise it. The incumbent is a greedy start improved by best-improvement
  swaps in the fast-interchange bookkeeping of Whitaker (1983) / Resende & Werneck (2007),
  priced on each demand's nearest sites; the relaxed choices along the way, moved by
  locate-allocate (Maranzana) and then swapped, improve it further (a Lagrangian heuristic).
* **MCLP.** The coverage constraints ``z_i ≤ Σ_{j∈N_i} y_j`` are relaxed with ``μ_i ≥ 0``:
  ``L(μ) = Σ_i max(0, w_i − μ_i) + (the p largest Σ_{i: j∈N_i} μ_i)`` is an upper bound; the
  incumbent is greedy plus swaps.
* **Set cover.** Greedy (most uncovered rows first) without redundant columns, improved by
  2-for-1 swaps (two open sites replaced by one that covers what only they covered) and, to
  leave plateaus, random 1-for-1 swaps; a family of rows no site covers two of bounds the
  optimum from below.
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
from scipy.sparse import csc_array, csr_array

__all__ = ["LagrangianBound", "greedy_median", "nearest_sites", "alternate_median", "interchange_median",
           "lagrangian_median",
           "greedy_cover", "interchange_cover", "lagrangian_cover", "fix_sites",
           "greedy_setcover", "improve_setcover", "disjoint_rows"]

_BIG = 1e300
# step factor, non-improving steps before shrinking it, and by how much: on 10,000 × 1,000, p = 50
# (bench/), 10 and 0.7 reach a 0.55 % gap in 200 steps where 50 and 0.5 stood at 1.8 %
_PI0, _STALL, _SHRINK = 2.0, 10, 0.7
# the same for the MCLP, whose steps are cheap: on 10,000 × 1,000, p = 50, 8 min, 100 and 0.7 end
# 0.06 % above the LP bound in 8,000 steps (4 s) where 20 and 0.5 stopped 1.4 % above it
_COVER_STALL, _COVER_SHRINK = 100, 0.7


def _big_of(c: np.ndarray, cap: np.ndarray) -> float:
    """A finite stand-in for "unreachable", large enough that serving such demand always pays,
    small enough that differences of it stay exact in floating point."""
    top = max(float(np.max(c, where=np.isfinite(c), initial=1.0)),  # no copy of c (10 M cells at scale)
              float(cap[np.isfinite(cap)].max(initial=1.0)), 1.0)
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
    step : float
        The step factor reached (to resume the search from ``multipliers``).
    """

    bound: float
    values: np.ndarray
    constant: float
    multipliers: np.ndarray
    iterations: int
    step: float = _PI0


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
    big = c if np.isfinite(c).all() else np.where(np.isfinite(c), c, inf)
    cur = np.where(np.isfinite(cap), cap, inf)
    chosen: list[int] = []
    banned = np.zeros(c.shape[1], dtype=bool) if allowed is None else ~allowed
    buf = np.empty_like(big)  # one buffer for every round: fresh 80 MB temporaries cost more than the sums
    for _ in range(p):
        np.subtract(cur[:, None], big, out=buf)
        np.maximum(buf, 0.0, out=buf)
        saving = buf.sum(axis=0)
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


def nearest_sites(c: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` cheapest sites of every demand (unordered): (indices, costs), each demand × k.

    Passed to :func:`interchange_median` as ``near``, it prices swaps on these pairs alone
    (all that matter while a demand's second-nearest open site is no farther than its k-th
    cheapest site; the others are priced in full).
    """
    k = int(min(max(k, 1), c.shape[1]))
    idx = np.argpartition(c, k - 1, axis=1)[:, :k] if k < c.shape[1] else np.broadcast_to(
        np.arange(c.shape[1]), c.shape).copy()
    return idx, np.take_along_axis(c, idx, axis=1)


def alternate_median(c: np.ndarray, cap: np.ndarray, open_cols: np.ndarray, *, rounds: int = 5) -> np.ndarray:
    """Locate-allocate (Maranzana 1964): move each open site to the best site of its own demand.

    Each round assigns every demand to its nearest open site (or the cap), then replaces each
    open site by the site that serves the demand assigned to it most cheaply (the sites already
    open excepted). Stops when nothing moves, after at most ``rounds`` rounds; a cheap way to
    turn a rough choice (e.g. a Lagrangian one) into a fair start for :func:`interchange_median`.

    Returns
    -------
    numpy.ndarray
        The open sites (never costlier than ``open_cols``).
    """
    n, m = c.shape
    cols = np.array(open_cols, dtype=int)
    p = len(cols)
    if not p:
        return cols
    inf = _big_of(c, cap)
    best_cost = median_cost(c, cap, cols)
    for _ in range(rounds):
        _, first, _ = _two_nearest(c, cap, cols, inf)
        mine = first < p
        members = csr_array((np.ones(int(mine.sum())), (first[mine], np.flatnonzero(mine))), shape=(p, n))
        total = np.asarray(members @ np.where(np.isfinite(c), c, inf))  # p × m: each cluster served by each site
        new = cols.copy()
        taken = np.zeros(m, dtype=bool)
        taken[cols] = True
        for r in np.argsort(-np.diff(members.indptr), kind="stable"):  # the largest clusters choose first
            row = total[r].copy()
            row[taken & (np.arange(m) != new[r])] = np.inf
            j = int(np.argmin(row))
            if row[j] < row[new[r]]:
                taken[new[r]], taken[j] = False, True
                new[r] = j
        cost = median_cost(c, cap, new)
        if not cost < best_cost:
            break
        cols, best_cost = new, cost
    return cols


def interchange_median(c: np.ndarray, cap: np.ndarray, open_cols: np.ndarray, *,
                       deadline: float | None = None, allowed: np.ndarray | None = None,
                       max_swaps: int = 10_000,
                       near: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, float, int]:
    """Best-improvement swaps (one site in, one out) until none improves.

    Each round prices every (in, out) pair at once: the saving of opening ``j`` alone, the loss
    of closing ``r`` alone, and the correction for demand whose nearest site is ``r`` and that
    ``j`` serves better than its second-nearest (Whitaker's fast interchange). Only pairs
    (demand, site) with the site nearer than the demand's second-nearest open one count; with
    ``near`` (from :func:`nearest_sites`) they are looked for among those sites only.

    Returns
    -------
    (open sites, weighted cost, swaps made)
    """
    n, m = c.shape
    open_cols = np.array(open_cols, dtype=int)
    p = len(open_cols)
    inf = _big_of(c, cap)
    big = np.where(np.isfinite(c), c, inf) if near is None else None
    if near is not None:
        near_idx, near_val = near[0], np.where(np.isfinite(near[1]), near[1], inf)
        kth = near_val.max(axis=1)
    swaps = 0
    may_open = np.ones(m, dtype=bool) if allowed is None else allowed.copy()
    while p and swaps < max_swaps:
        if deadline is not None and time.perf_counter() > deadline:
            break
        d1, first, d2 = _two_nearest(c, cap, open_cols, inf)
        owned = first < p  # demand served by an open (swappable) site, not by the cap
        loss = np.bincount(first[owned], weights=(d2 - d1)[owned], minlength=p)[:p]
        # the only pairs that matter: j nearer than the second
        if big is not None:
            ri, jj = np.nonzero(big < d2[:, None])
            v = big[ri, jj]
        else:
            ri, kk = np.nonzero(near_val < d2[:, None])
            jj, v = near_idx[ri, kk], near_val[ri, kk]
            far = np.flatnonzero(d2 > kth)  # the list may miss some of these demands' pairs: all of them
            if len(far):
                sub = np.where(np.isfinite(c[far]), c[far], inf)
                keep = ~np.isin(ri, far)
                rf, jf = np.nonzero(sub < d2[far, None])
                ri, jj, v = np.r_[ri[keep], far[rf]], np.r_[jj[keep], jf], np.r_[v[keep], sub[rf, jf]]
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
                      allowed: np.ndarray | None = None, on_choice=None,  # type: ignore[no-untyped-def]
                      step: float = _PI0, min_gain: float = 0.0, window: int = 100) -> LagrangianBound:
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
    step : float
        Initial step factor (resuming: the ``step`` of the bound returned before).
    allowed : numpy.ndarray of bool, optional
        Sites that may be opened (the rest are closed).
    on_choice : callable, optional
        Called with the relaxed choice of sites (indices into ``c``) when the bound improves
        markedly; returns a (possibly better) incumbent cost, which then drives the steps
        (a Lagrangian heuristic).
    min_gain : float
        Stop once the best bound has risen by less than ``min_gain × |upper|`` over the last
        ``window`` iterations (the tail of a stalled search; 0 never stops for this).
    window : int
        Iterations over which ``min_gain`` is measured.

    Returns
    -------
    LagrangianBound
    """
    n, m = c.shape
    cols = np.flatnonzero(np.ones(m, dtype=bool) if allowed is None else allowed)
    cc = c if allowed is None else c[:, cols]
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
    flat_vals = finite_vals.ravel()
    # only the pairs with c_ij < λ_i count (a few per demand among the k): they are found with one
    # comparison and a flat index, which costs a seventh of reducing the whole demand × k block
    # (10,000 × 1,000, k = 240: 5 ms an iteration against 38 ms)
    below = np.empty(finite_vals.shape, dtype=bool)  # one buffer for every iteration
    if start is None:
        srt = np.sort(np.where(np.isfinite(vals), vals, np.inf), axis=1)
        lam = srt[:, min(1, srt.shape[1] - 1)].copy()
    else:
        lam = start.copy()
    lam = np.minimum(np.where(np.isfinite(lam), lam, 0.0), np.where(np.isfinite(ceiling), ceiling, _BIG))
    lam = np.maximum(lam, 0.0)
    capf = np.where(np.isfinite(cap), cap, _BIG)
    best = LagrangianBound(-np.inf, np.zeros(m), 0.0, lam.copy(), 0)
    pi, stall, it, last_call = step, 0, 0, -10**9
    pp = min(p, mm)
    history: list[float] = []  # best bound after each iteration (for min_gain)
    while it < max_iter:
        it += 1
        np.less(finite_vals, lam[:, None], out=below)
        idx = np.flatnonzero(below)
        ri, jj = idx // k, flat_part[idx]
        rho = np.bincount(jj, weights=flat_vals[idx] - lam[ri], minlength=mm)
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
        if min_gain > 0:
            history.append(best.bound)
            if len(history) > window and history[-1] - history[-1 - window] < min_gain * max(1.0, abs(upper)):
                break
        y = np.zeros(mm, dtype=bool)
        y[order] = True
        served = np.bincount(ri, weights=y[jj], minlength=n) + (capf < lam)
        g = 1.0 - served
        g[(g > 0) & (lam >= ceiling)] = 0.0  # λ_i is held at its ceiling
        norm = float(g @ g)
        if norm == 0:  # the relaxed solution is feasible: its value is optimal
            break
        length = pi * max(upper - value, 1e-9 * max(1.0, abs(upper))) / norm
        lam = np.clip(lam + length * g, 0.0, np.where(np.isfinite(ceiling), ceiling, _BIG))
    return LagrangianBound(best.bound, best.values, best.constant, best.multipliers, it, pi)


# ---------------------------------------------------------------------- MCLP
def greedy_cover(a: csc_array, w: np.ndarray, p: int, *, allowed: np.ndarray | None = None,
                 start: np.ndarray | None = None) -> np.ndarray:
    """Greedy maximal covering: repeatedly open the site covering the most uncovered weight.

    Parameters
    ----------
    a : scipy.sparse.csc_array
        Coverage, demand × site (1 where the site reaches the demand in time).
    w : numpy.ndarray
        Demand weights.
    p : int
        Sites to open (``start`` included).
    allowed : numpy.ndarray of bool, optional
        Sites that may be opened.
    start : numpy.ndarray, optional
        Sites open from the start (at most ``p``).
    """
    left = w.astype(float).copy()
    m = a.shape[1]
    banned = np.zeros(m, dtype=bool) if allowed is None else ~allowed
    at = a.T.tocsr()
    chosen: list[int] = [] if start is None else [int(j) for j in start][:p]
    for j in chosen:
        banned[j] = True
        left[at.indices[at.indptr[j]:at.indptr[j + 1]]] = 0.0
    for _ in range(min(p, m) - len(chosen)):
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
            if stall >= _COVER_STALL:
                pi, stall = pi * _COVER_SHRINK, 0
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


# ---------------------------------------------------------------------- set cover
def _rows_of(at: csr_array, j: int) -> np.ndarray:
    return at.indices[at.indptr[j]:at.indptr[j + 1]]


def _drop_redundant(at: csr_array, x: np.ndarray, cnt: np.ndarray) -> None:
    """Close open columns whose rows are all covered twice or more, smallest first (in place)."""
    for j in sorted(np.flatnonzero(x), key=lambda j: (at.indptr[j + 1] - at.indptr[j], j)):
        rows = _rows_of(at, j)
        if (cnt[rows] >= 2).all():
            x[j] = False
            cnt[rows] -= 1


def greedy_setcover(a: csr_array, *, allowed: np.ndarray | None = None,
                    start: np.ndarray | None = None) -> np.ndarray | None:
    """Greedy set cover: open the column covering most uncovered rows until every row is covered.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Coverage, rows × columns (nonzero where the column covers the row).
    allowed : numpy.ndarray of bool, optional
        Columns that may be opened (default all).
    start : numpy.ndarray, optional
        Columns open from the start (completed into a cover).

    Returns
    -------
    numpy.ndarray or None
        Sorted indices of the open columns, none of them redundant; None when some row is
        covered by no allowed column.
    """
    n, m = a.shape
    at = csr_array(a.T, dtype=np.int32)
    x = np.zeros(m, dtype=bool)
    if start is not None:
        x[np.asarray(start, dtype=int)] = True
    cnt = np.asarray(csr_array(a, dtype=np.int32) @ x.astype(np.int32), dtype=np.int64)
    left = cnt == 0
    banned = np.zeros(m, dtype=bool) if allowed is None else ~allowed
    while left.any():
        gain = at @ left.astype(np.int32)
        gain[banned | x] = -1
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            return None
        x[j] = True
        rows = _rows_of(at, j)
        cnt[rows] += 1
        left[rows] = False
    _drop_redundant(at, x, cnt)
    return np.flatnonzero(x)


def improve_setcover(a: csr_array, open_cols: np.ndarray, *, deadline: float | None = None,
                     allowed: np.ndarray | None = None, target: int = 0, plateau: int = 200,
                     seed: int = 0) -> np.ndarray:
    """Local search on a set cover: 2-for-1 swaps, random 1-for-1 swaps when none is left.

    A pair of open columns is replaced by one column that covers every row only they cover;
    when no pair can be, an open column is swapped for a random one covering the rows only it
    covers (the cover stays a cover, of the same size) and redundant columns are closed.

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Coverage, rows × columns.
    open_cols : numpy.ndarray
        A cover (column indices).
    deadline : float, optional
        ``time.perf_counter()`` value to stop at.
    allowed : numpy.ndarray of bool, optional
        Columns that may be opened.
    target : int
        Stop as soon as the cover has this many columns or fewer.
    plateau : int
        Random swaps in a row without improvement before giving up.
    seed : int
        Seed of the random swaps (the result is reproducible without a deadline).

    Returns
    -------
    numpy.ndarray
        Sorted indices of the open columns of the best cover found.
    """
    n, m = a.shape
    ar = csr_array(a, dtype=np.int32)
    at = csr_array(a.T, dtype=np.int32)
    may = np.ones(m, dtype=bool) if allowed is None else allowed
    x = np.zeros(m, dtype=bool)
    x[np.asarray(open_cols, dtype=int)] = True
    cnt = np.asarray(ar @ x.astype(np.int32), dtype=np.int64)
    _drop_redundant(at, x, cnt)
    best = np.flatnonzero(x)
    rng = np.random.default_rng(seed)
    idle = 0
    while int(x.sum()) > target and idle < plateau:
        if deadline is not None and time.perf_counter() > deadline:
            break
        sol = np.flatnonzero(x)
        k = len(sol)
        slot = np.full(m, -1)
        slot[sol] = np.arange(k)
        # rows covered once, and by which open column; candidates covering all of a column's own rows
        once = np.flatnonzero(cnt == 1)
        sub = ar[once][:, sol].tocoo()
        owner = np.full(n, -1)
        owner[once[sub.row]] = sub.col
        own = csr_array((np.ones(len(once)), (owner[once], once)), shape=(k, n))
        n_own = np.diff(own.indptr)
        hits = (own @ ar).toarray()  # hits[r, j]: rows only r covers that j covers
        cand = (hits == n_own[:, None]) & may[None, :] & ~x[None, :]
        moved = False
        # 2-for-1: j covers the own rows of r1 and r2 and the rows only the two of them cover
        common = cand.astype(np.int32) @ cand.T.astype(np.int32)
        r1s, r2s = np.nonzero(np.triu(common, 1))
        if len(r1s):
            twice = np.flatnonzero(cnt == 2)
            sub2 = ar[twice][:, sol].tocoo()
            pair_rows: dict[tuple[int, int], list[int]] = {}
            order = np.lexsort((sub2.col, sub2.row))
            rr, cc = sub2.row[order], sub2.col[order]
            for t in range(0, len(rr) - 1, 2):
                pair_rows.setdefault((int(cc[t]), int(cc[t + 1])), []).append(int(twice[rr[t]]))
            for r1, r2 in zip(r1s.tolist(), r2s.tolist()):
                js = np.flatnonzero(cand[r1] & cand[r2])
                rows = pair_rows.get((r1, r2), [])
                if rows:
                    js = js[(ar[rows][:, js].toarray() > 0).all(axis=0)]
                if len(js):
                    j = int(js[0])
                    for r in (sol[r1], sol[r2]):
                        x[r] = False
                        cnt[_rows_of(at, r)] -= 1
                    x[j] = True
                    cnt[_rows_of(at, j)] += 1
                    moved = True
                    break
        if moved:
            _drop_redundant(at, x, cnt)
            best, idle = np.flatnonzero(x), 0
            continue
        idle += 1
        movable = np.flatnonzero(cand.any(axis=1))
        if not len(movable):
            break
        r = int(rng.choice(movable))
        j = int(rng.choice(np.flatnonzero(cand[r])))
        x[sol[r]] = False
        cnt[_rows_of(at, sol[r])] -= 1
        x[j] = True
        cnt[_rows_of(at, j)] += 1
        _drop_redundant(at, x, cnt)
        if x.sum() < len(best):
            best, idle = np.flatnonzero(x), 0
    return best


def disjoint_rows(a: csr_array, *, limit: int | None = None) -> np.ndarray:
    """Rows no two of which share a column (smallest rows first): a lower bound on any cover.

    Every row needs its own column, so a set cover opens at least as many columns as there are
    rows returned (and a p-center radius is infeasible when there are more than ``p``).

    Parameters
    ----------
    a : scipy.sparse.csr_array
        Coverage, rows × columns.
    limit : int, optional
        Stop once this many rows are found.
    """
    ar = csr_array(a)
    size = np.diff(ar.indptr)
    used = np.zeros(a.shape[1], dtype=bool)
    picked: list[int] = []
    for i in np.argsort(size, kind="stable"):
        cols = ar.indices[ar.indptr[i]:ar.indptr[i + 1]]
        if not used[cols].any():
            picked.append(int(i))
            used[cols] = True
            if limit is not None and len(picked) >= limit:
                break
    return np.array(picked, dtype=int)
