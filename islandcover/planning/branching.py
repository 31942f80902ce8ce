"""A small LP-based branch-and-bound over the site variables, with warm-started HiGHS LPs.

Used by :mod:`islandcover.planning.siting` for the p-median's radius model: its LP relaxation is
often half-integral (a few sites at 0.5), and branching on one of them usually settles both
children at once (one LP above the incumbent, the other integral). HiGHS's MIP gets there too, but
through rounds of cuts and a restart on the whole model (7 s of CPU on the 1,000 × 100 bench case,
where the root LP takes 1.2 s and a child LP, warm-started from its parent's basis, 0.1–0.2 s).

Warm starts need HiGHS's own object, which scipy ships as ``scipy.optimize._highspy._core._Highs``
(a private module: the highspy binding inside scipy). :func:`available` says whether it can be
used; when it cannot, callers fall back to :func:`scipy.optimize.milp`.

The search is exact: a node is dropped only when its LP bound reaches the cutoff (less the
relative tolerance ``rel_gap``, HiGHS's own ``mip_rel_gap``) or its LP is infeasible; sites are
fixed in a subtree by their LP reduced costs against the same cutoff; an integral LP solution is
a solution of the model, and it lowers the cutoff.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csc_array

__all__ = ["MAX_NODES", "BranchResult", "available", "branch_and_bound"]

try:  # scipy's private highspy binding (scipy ≥ 1.15); without it callers use scipy.optimize.milp
    from scipy.optimize._highspy import _core as _hc

    _OK = all(hasattr(_hc, name) for name in ("_Highs", "HighsLp", "MatrixFormat", "HighsModelStatus", "kHighsInf")) \
        and all(hasattr(_hc._Highs, name) for name in ("passModel", "changeColsBounds", "setOptionValue", "run",
                                                        "getSolution", "getInfo", "getModelStatus"))
except ImportError:  # pragma: no cover - depends on the scipy build
    _hc = None
    _OK = False

#: Fractional sites tried both ways (strong branching) before choosing the branching site.
_STRONG = 4
#: LPs solved before :mod:`islandcover.planning.siting` hands the model to HiGHS's MIP instead.
MAX_NODES = 200
#: A value this close to 0 or 1 counts as integral.
_INT_TOL = 1e-6


def available() -> bool:
    """Whether HiGHS's own LP object can be used (scipy's private highspy binding is there)."""
    return _OK


@dataclass
class BranchResult:
    """Outcome of :func:`branch_and_bound` (fields named as :func:`scipy.optimize.milp`'s result).

    Attributes
    ----------
    status : int
        0: ``x`` is optimal; 2: no solution below the cutoff exists (``x`` None, as HiGHS
        reports "infeasible" under an objective bound); 1: the time ran out (``x`` the best
        found below the cutoff, or None).
    x : numpy.ndarray or None
        Best solution found below the cutoff (all variables), or None.
    fun : float
        Its objective (``inf`` without one).
    mip_dual_bound : float
        Proven lower bound on the model's optimum, or on the cutoff when nothing beats it.
    mip_node_count : int
        Nodes whose LP was solved (strong-branching probes included).
    stopped : str
        With status 1, why: ``time``, ``nodes`` (``max_nodes`` reached) or ``lp`` (HiGHS did not
        solve a node's LP, for another reason than the time); else empty.
    """

    status: int
    x: np.ndarray | None
    fun: float
    mip_dual_bound: float
    mip_node_count: int
    stopped: str = ""


def branch_and_bound(c: np.ndarray, a: csc_array, row_lo: np.ndarray, row_hi: np.ndarray, branch_cols: np.ndarray,
                     cutoff: float, *, rel_gap: float = 1e-9, deadline: float | None = None,
                     presolve: bool = True, max_nodes: int | None = None) -> BranchResult:
    """Minimise ``c x`` over ``row_lo ≤ a x ≤ row_hi``, ``0 ≤ x ≤ 1``, ``x[branch_cols]`` binary.

    Depth-first, each node's LP warm-started from the previous one's basis; the branching
    column is chosen by strong branching among the most fractional ones (the one whose weaker
    child bound is highest), children whose bound already reaches the cutoff are not visited.

    Parameters
    ----------
    c : numpy.ndarray
        Objective.
    a : scipy.sparse.csc_array
        Constraint matrix.
    row_lo, row_hi : numpy.ndarray
        Row bounds (``±inf`` for none).
    branch_cols : numpy.ndarray
        Indices of the binary columns (the others are continuous).
    cutoff : float
        Only solutions with objective below ``cutoff`` (less the tolerance) are looked for;
        ``inf`` for none.
    rel_gap : float
        Relative tolerance: a node whose bound is within ``rel_gap`` of the cutoff is dropped.
    deadline : float, optional
        ``time.perf_counter()`` value to stop at.
    presolve : bool
        HiGHS's presolve before the root LP (it does not watch the clock: off for large models
        under a time limit, as in :func:`islandcover.planning.siting._milp`).
    max_nodes : int, optional
        Stop (status 1, ``stopped="nodes"``) once this many LPs are solved: the tree is not
        settling quickly, and a MIP solver with cuts may do better.

    Returns
    -------
    BranchResult
    """
    if not _OK:
        raise RuntimeError("HiGHS's LP object is not available in this scipy")
    hc = _hc
    inf = hc.kHighsInf
    n_col = a.shape[1]
    lp = hc.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, a.shape[0]
    lp.col_cost_ = np.asarray(c, dtype=float)
    lp.col_lower_ = np.zeros(n_col)
    lp.col_upper_ = np.ones(n_col)
    lp.row_lower_ = np.where(np.isfinite(row_lo), row_lo, -inf).astype(float)
    lp.row_upper_ = np.where(np.isfinite(row_hi), row_hi, inf).astype(float)
    lp.a_matrix_.format_ = hc.MatrixFormat.kColwise
    a = csc_array(a)
    a.sort_indices()
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    h = hc._Highs()
    h.setOptionValue("output_flag", False)
    if not presolve:
        h.setOptionValue("presolve", "off")
    h.passModel(lp)
    status_of = hc.HighsModelStatus
    bcols = np.asarray(branch_cols, dtype=int)
    best_x: np.ndarray | None = None
    best = float(cutoff)
    nodes = 0
    stop = {"why": "time"}

    def run_time() -> float:
        return float(h.getRunTime()) if hasattr(h, "getRunTime") else 0.0

    def tol() -> float:
        return rel_gap * max(1.0, abs(best)) if np.isfinite(best) else 0.0

    def solve(fix: dict[int, float]) -> tuple[float, np.ndarray | None, np.ndarray | None] | None:
        """LP of a node (bounds of ``fix``): (value, x, reduced costs); value inf when pruned; None: time."""
        nonlocal nodes
        lower, upper = np.zeros(len(bcols)), np.ones(len(bcols))
        if fix:
            at = np.searchsorted(bcols, list(fix))
            lower[at] = upper[at] = list(fix.values())
        h.changeColsBounds(len(bcols), bcols.astype(np.int32), lower, upper)
        if max_nodes is not None and nodes >= max_nodes:
            stop["why"] = "nodes"
            return None
        if deadline is not None:
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            # HiGHS's time limit is on its run clock, which adds up over every run of this object:
            # the limit alone stopped the search halfway through its time (300 x 60: at 29 s of 58 s)
            h.setOptionValue("time_limit", float(left) + run_time())
        if np.isfinite(best):  # the dual simplex stops once the bound passes the cutoff
            h.setOptionValue("objective_bound", float(best - tol()))
        h.run()
        nodes += 1
        st = h.getModelStatus()
        if st in (status_of.kInfeasible, status_of.kObjectiveBound):
            return np.inf, None, None
        if st != status_of.kOptimal:
            if st != status_of.kTimeLimit:
                stop["why"] = "lp"
            return None
        sol = h.getSolution()
        value = float(h.getInfo().objective_function_value)
        return value, np.asarray(sol.col_value), np.asarray(sol.col_dual)

    order = np.argsort(bcols)
    bcols = bcols[order]
    root = solve({})
    if root is None:
        return BranchResult(1, None, np.inf, -np.inf, nodes, stop["why"])
    stack: list[tuple[float, dict[int, float]]] = [(root[0], {})]
    known: dict[tuple[tuple[int, float], ...], tuple[float, np.ndarray | None, np.ndarray | None]] = {(): root}
    timed_out = False
    while stack:
        bound, fix = stack.pop()
        if bound >= best - tol():
            continue
        key = tuple(sorted(fix.items()))
        got = known.pop(key, None) or solve(fix)
        if got is None:
            stack.append((bound, fix))
            timed_out = True
            break
        value, x, dj = got
        if value >= best - tol():
            continue
        yv = x[bcols]  # type: ignore[index]
        frac = np.flatnonzero(np.abs(yv - np.round(yv)) > _INT_TOL)
        if not len(frac):  # an integral LP optimum: a solution of the model
            best, best_x = value, x.copy()  # type: ignore[union-attr]
            continue
        # reduced-cost fixing in this subtree: pushing y_j off its bound costs at least |d_j|
        fix = dict(fix)
        d_y = dj[bcols]  # type: ignore[index]
        gap = best - tol() - value
        for k in np.flatnonzero((yv <= _INT_TOL) & (d_y >= gap)):
            fix.setdefault(int(bcols[k]), 0.0)
        for k in np.flatnonzero((yv >= 1 - _INT_TOL) & (-d_y >= gap)):
            fix.setdefault(int(bcols[k]), 1.0)
        # strong branching among the most fractional sites
        cand = frac[np.argsort(np.abs(yv[frac] - 0.5), kind="stable")[:_STRONG]]
        choice, score, probes = -1, -np.inf, {}
        for k in cand:
            j = int(bcols[k])
            kids = []
            for v in (0.0, 1.0):
                r = solve({**fix, j: v})
                if r is None:
                    timed_out = True
                    break
                kids.append(r)
            if timed_out:
                break
            probes[j] = kids
            s = min(kids[0][0], kids[1][0])
            if s > score:
                choice, score = j, s
            if s >= best - tol():  # both children settled (or pruned): look no further
                break
        if timed_out:
            stack.append((value, fix))
            break
        kids = probes[choice]
        # the child explored first is pushed last; the 1-branch first (it tends to close quickly)
        for v, r in ((0.0, kids[0]), (1.0, kids[1])):
            child = {**fix, choice: v}
            if r[0] < best - tol():
                known[tuple(sorted(child.items()))] = r
                stack.append((r[0], child))
    if timed_out:
        open_bounds = [b for b, _ in stack]
        lower = min(open_bounds + [best]) if open_bounds else best
        return BranchResult(1, best_x, best if best_x is not None else np.inf, lower, nodes, stop["why"])
    if best_x is None:
        return BranchResult(2, None, np.inf, float(cutoff), nodes)
    return BranchResult(0, best_x, best, best, nodes)
