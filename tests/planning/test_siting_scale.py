"""Siting at scale (issue 19): the Lagrangian path (greedy + interchange incumbent, Lagrangian
bound, reduced-cost fixing, HiGHS on what is left) against the textbook models solved directly
with scipy's milp; bounds and gaps honest; time limits end in a real answer."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, eye, hstack, kron, vstack

from islandcover.planning import lagrangian
from islandcover.planning.siting import SitingProblem


def textbook_pmedian(c: np.ndarray, w: np.ndarray, p: int) -> float:
    """min Σ w_i d_ij x_ij, Σ_j x_ij = 1, x_ij ≤ y_j, Σ y_j = p (every pair finite)."""
    n, m = c.shape
    cost = np.concatenate([(w[:, None] * c).ravel(), np.zeros(m)])
    assign = hstack([kron(eye(n), np.ones((1, m))), csr_array((n, m))])
    link = hstack([eye(n * m), -kron(np.ones((n, 1)), eye(m))])
    card = hstack([csr_array((1, n * m)), np.ones((1, m))])
    res = milp(cost, integrality=np.concatenate([np.zeros(n * m), np.ones(m)]), bounds=Bounds(0, 1),
               constraints=[LinearConstraint(vstack([assign, card]).tocsr(), np.r_[np.ones(n), p], np.r_[np.ones(n), p]),
                            LinearConstraint(link.tocsr(), -np.inf, 0)], options={"mip_rel_gap": 1e-12})
    assert res.status == 0
    return float(res.fun)


def textbook_mclp(c: np.ndarray, w: np.ndarray, p: int, minutes: float) -> float:
    """max Σ w_i z_i, z_i ≤ Σ_{j covers i} y_j, Σ y_j = p."""
    n, m = c.shape
    a = (c <= minutes + 1e-9).astype(float)
    cost = np.concatenate([np.zeros(m), -w])
    link = hstack([-csr_array(a), eye(n)]).tocsr()
    card = csr_array(np.r_[np.ones(m), np.zeros(n)][None, :])
    res = milp(cost, integrality=np.r_[np.ones(m), np.zeros(n)], bounds=Bounds(0, 1),
               constraints=[LinearConstraint(link, -np.inf, 0), LinearConstraint(card, p, p)],
               options={"mip_rel_gap": 1e-12})
    assert res.status == 0
    return -float(res.fun)


@st.composite
def euclidean(draw):
    """Random points on a small grid (ties common) with integer weights, some zero."""
    n = draw(st.integers(3, 40))
    m = draw(st.integers(3, 15))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    grid = draw(st.sampled_from([5, 20, 100]))
    d, s = rng.integers(0, grid, (n, 2)), rng.integers(0, grid, (m, 2))
    c = np.round(np.hypot(d[:, None, 0] - s[None, :, 0], d[:, None, 1] - s[None, :, 1]), 2)
    w = rng.integers(0, 9, n).astype(float)
    w[0] = max(w[0], 1.0)
    p = draw(st.integers(1, min(6, m - 1)))
    return c, w, p


def _frame(c: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(c, index=[f"d{i}" for i in range(len(c))], columns=[f"s{j}" for j in range(c.shape[1])])


@settings(max_examples=60, deadline=None)
@given(inst=euclidean())
def test_pmedian_equals_the_textbook_model(inst):
    c, w, p = inst
    expect = textbook_pmedian(c, w, p)
    r = SitingProblem.from_cost_matrix(_frame(c), w).solve("pmedian", p=p)
    assert r.status == "optimal" and r.gap == 0
    assert r.objective == pytest.approx(expect, rel=1e-9, abs=1e-6)
    assert r.bound <= r.objective + 1e-6


@settings(max_examples=60, deadline=None)
@given(inst=euclidean(), q=st.floats(0.1, 0.9))
def test_mclp_equals_the_textbook_model(inst, q):
    c, w, p = inst
    minutes = float(np.quantile(c, q))
    expect = textbook_mclp(c, w, p, minutes)
    r = SitingProblem.from_cost_matrix(_frame(c), w).solve("mclp", p=p, minutes=minutes)
    assert r.status == "optimal" and r.gap == 0
    assert r.objective == pytest.approx(expect, rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(inst=euclidean())
def test_lagrangian_bound_is_below_the_optimum_and_swaps_never_hurt(inst):
    c, w, p = inst
    pos = w > 0
    wc = w[pos, None] * c[pos]
    cap = np.full(len(wc), np.inf)
    opt = textbook_pmedian(c[pos], w[pos], p)
    start = lagrangian.greedy_median(wc, cap, p)
    cols, value, _ = lagrangian.interchange_median(wc, cap, start)
    assert len(set(cols.tolist())) == p
    assert opt - 1e-6 <= value <= lagrangian.median_cost(wc, cap, start) + 1e-6
    lag = lagrangian.lagrangian_median(wc, cap, p, value)
    assert lag.bound <= opt + 1e-6 * max(1.0, opt)
    closed, opened = lagrangian.fix_sites(lag, p, value)
    assert not (closed & opened).any()


@settings(max_examples=40, deadline=None)
@given(inst=euclidean(), q=st.floats(0.1, 0.9))
def test_mclp_lagrangian_bound_is_above_the_optimum(inst, q):
    c, w, p = inst
    minutes = float(np.quantile(c, q))
    from scipy.sparse import csc_array

    a = csc_array((c <= minutes + 1e-9).astype(float))
    opt = textbook_mclp(c, w, p, minutes)
    start = lagrangian.greedy_cover(a, w, p)
    cols, value, _ = lagrangian.interchange_cover(a, w, start)
    assert value <= opt + 1e-6
    lag = lagrangian.lagrangian_cover(a, w, p, value)
    assert lag.bound >= opt - 1e-6 * max(1.0, opt)


def _medium(n: int = 3000, m: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    d, s = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (m, 2))
    c = np.hypot(d[:, None, 0] - s[None, :, 0], d[:, None, 1] - s[None, :, 1])
    return pd.DataFrame(c), rng.integers(1, 1000, n).astype(float)


@pytest.mark.parametrize("model", ["pmedian", "mclp"])
def test_time_limited_medium_instance_answers_honestly(model):
    """A 3,000 × 300 instance with a 2 s limit: a real answer no worse than greedy + swaps, a
    bound on the right side and the gap computed from them (speed itself is measured in bench/)."""
    cost, w = _medium()
    prob = SitingProblem.from_cost_matrix(cost, w)
    r = prob.solve(model, p=20, minutes=10.0, time_limit=2.0)
    assert r.status in ("optimal", "time_limit") and len(r.sites) == 20
    assert r.objective == pytest.approx(prob.objective_of(model, r.sites, 10.0))
    if model == "pmedian":
        assert r.bound <= r.objective + 1e-6
        assert r.objective <= r.stats["greedy"] + 1e-6
    else:
        assert r.bound >= r.objective - 1e-6
        assert r.objective >= r.stats["greedy"] - 1e-6
    assert r.gap == pytest.approx(abs(r.objective - r.bound) / abs(r.objective))
    assert r.status != "optimal" or r.gap <= 1e-9


def textbook_setcover(c: np.ndarray, minutes: float) -> float:
    """min Σ y_j, Σ_{j covers i} y_j ≥ 1."""
    a = csr_array((c <= minutes + 1e-9).astype(float))
    m = c.shape[1]
    res = milp(np.ones(m), integrality=np.ones(m), bounds=Bounds(0, 1),
               constraints=[LinearConstraint(a, 1, np.inf)], options={"mip_rel_gap": 1e-12})
    assert res.status == 0
    return float(round(res.fun))


def textbook_pcenter(c: np.ndarray, p: int) -> float:
    """min z, Σ_j c_ij x_ij ≤ z, Σ_j x_ij = 1, x_ij ≤ y_j, Σ y_j = p (the assignment model)."""
    n, m = c.shape
    nx = n * m
    cost = np.r_[np.zeros(nx + m), 1.0]
    assign = hstack([kron(eye(n), np.ones((1, m))), csr_array((n, m + 1))])
    link = hstack([eye(nx), -kron(np.ones((n, 1)), eye(m)), csr_array((nx, 1))])
    card = csr_array(np.r_[np.zeros(nx), np.ones(m), 0.0][None, :])
    rows = [csr_array((c[i], (np.zeros(m, dtype=int), i * m + np.arange(m))), shape=(1, nx + m + 1))
            for i in range(n)]
    worst = vstack(rows) - csr_array((np.ones(n), (np.arange(n), np.full(n, nx + m))), shape=(n, nx + m + 1))
    top = float(c.max())
    res = milp(cost, integrality=np.r_[np.zeros(nx), np.ones(m), 0.0], bounds=Bounds(0, np.r_[np.ones(nx + m), top]),
               constraints=[LinearConstraint(vstack([assign, card]).tocsr(), np.r_[np.ones(n), p], np.r_[np.ones(n), p]),
                            LinearConstraint(link.tocsr(), -np.inf, 0), LinearConstraint(worst.tocsr(), -np.inf, 0)],
               options={"mip_rel_gap": 1e-12})
    assert res.status == 0
    return float(res.fun)


@settings(max_examples=40, deadline=None)
@given(inst=euclidean(), q=st.floats(0.3, 0.95))
def test_setcover_equals_the_textbook_model(inst, q):
    c, w, _ = inst
    minutes = float(max(np.quantile(c, q), c.min(axis=1).max()))  # every demand coverable
    expect = textbook_setcover(c, minutes)
    r = SitingProblem.from_cost_matrix(_frame(c), w).solve("setcover", minutes=minutes)
    assert r.status == "optimal" and r.gap == 0 and r.bound == r.objective
    assert r.objective == expect
    assert (c[:, [int(s[1:]) for s in r.sites]].min(axis=1) <= minutes + 1e-9).all()


@settings(max_examples=40, deadline=None)
@given(inst=euclidean())
def test_pcenter_equals_the_textbook_model(inst):
    c, w, p = inst
    expect = textbook_pcenter(c, p)
    r = SitingProblem.from_cost_matrix(_frame(c), w).solve("pcenter", p=p)
    assert r.status == "optimal" and r.gap == 0
    assert r.objective == pytest.approx(expect, abs=1e-4)  # HiGHS's feasibility tolerance on z
    assert len(r.sites) == p


@settings(max_examples=40, deadline=None)
@given(inst=euclidean(), q=st.floats(0.2, 0.9))
def test_setcover_heuristics_give_covers_and_a_lower_bound(inst, q):
    c, _, _ = inst
    minutes = float(max(np.quantile(c, q), c.min(axis=1).max()))
    a = csr_array((c <= minutes + 1e-9).astype(float))
    opt = textbook_setcover(c, minutes)
    start = lagrangian.greedy_setcover(a)
    assert start is not None and (a[:, start].sum(axis=1) > 0).all()
    better = lagrangian.improve_setcover(a, start, plateau=10)
    assert (a[:, better].sum(axis=1) > 0).all()
    assert opt <= len(better) <= len(start)
    packing = lagrangian.disjoint_rows(a)
    assert len(packing) <= opt
    dense = a.toarray() > 0
    assert not (dense[packing].sum(axis=0) > 1).any()  # no column covers two of them


@pytest.mark.parametrize("model", ["setcover", "pcenter"])
def test_time_limited_medium_cover_and_center_answer_honestly(model):
    """3,000 × 300 with a 2 s limit: a real answer (a cover; p sites), its objective recomputed,
    a bound on the right side and the gap from them. How fast is measured in bench/."""
    cost, w = _medium()
    prob = SitingProblem.from_cost_matrix(cost, w)
    r = prob.solve(model, p=20, minutes=12.0, time_limit=2.0)
    assert r.status in ("optimal", "time_limit")
    sites = r.sites if model == "setcover" else r.sites[:]
    assert r.objective == pytest.approx(prob.objective_of(model, sites, 12.0))
    if model == "pcenter":
        assert len(r.sites) == 20
    assert np.isfinite(r.objective) and r.bound <= r.objective + 1e-9
    assert r.gap == pytest.approx(abs(r.objective - r.bound) / abs(r.objective))
    assert r.status != "optimal" or r.gap <= 1e-9


def test_mclp_covering_everything_is_optimal_at_once():
    """When the start already covers all the demand no bound can beat it: optimal, gap 0."""
    rng = np.random.default_rng(5)
    d, s = rng.uniform(0, 10, (400, 2)), rng.uniform(0, 10, (40, 2))
    c = np.hypot(d[:, None, 0] - s[None, :, 0], d[:, None, 1] - s[None, :, 1])
    r = SitingProblem.from_cost_matrix(_frame(c)).solve("mclp", p=10, minutes=8.0, time_limit=30)
    assert r.objective == 400 and r.status == "optimal" and r.gap == 0 and r.bound == 400


@settings(max_examples=40, deadline=None)
@given(inst=euclidean(), k=st.integers(1, 6))
def test_locate_allocate_and_swaps_on_nearest_sites_never_hurt(inst, k):
    """Locate-allocate never raises the cost; swaps priced on each demand's k nearest sites end
    where swaps priced in full do (no improving swap left), whatever k."""
    c, w, p = inst
    pos = w > 0
    wc = w[pos, None] * c[pos]
    cap = np.full(len(wc), np.inf)
    opt = textbook_pmedian(c[pos], w[pos], p)
    rough = np.arange(p)  # an arbitrary start
    moved = lagrangian.alternate_median(wc, cap, rough)
    assert len(set(moved.tolist())) == p
    assert opt - 1e-6 <= lagrangian.median_cost(wc, cap, moved) <= lagrangian.median_cost(wc, cap, rough) + 1e-6
    near = lagrangian.nearest_sites(wc, k)
    cols, value, _ = lagrangian.interchange_median(wc, cap, moved, near=near)
    assert len(set(cols.tolist())) == p and value == pytest.approx(lagrangian.median_cost(wc, cap, cols))
    again, value2, swaps = lagrangian.interchange_median(wc, cap, cols)  # full pricing finds nothing more
    assert swaps == 0 and value2 == pytest.approx(value)


def _full_levels(c: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    levels = [np.unique(row) for row in c]
    return levels, np.array([len(lv) - 1 for lv in levels])


@settings(max_examples=80, deadline=None)
@given(inst=euclidean(), cut=st.sampled_from(["none", "optimum", "above"]), max_nodes=st.sampled_from([200, 1]))
def test_radius_model_by_branching_equals_the_textbook_model(inst, cut, max_nodes):
    """The radius model with every level, solved by the LP branch-and-bound (as the p-median's
    last step is; with ``max_nodes`` 1, mostly handed on to HiGHS's MIP): the textbook optimum,
    or with the optimum as cutoff "nothing better"."""
    from islandcover.planning import branching
    from islandcover.planning.siting import _radius_model

    if not branching.available():
        pytest.skip("scipy without HiGHS's LP object")
    c, w, p = inst
    pos = w > 0
    c, w = c[pos], w[pos]
    opt = textbook_pmedian(c, w, p)
    levels, k_of = _full_levels(c)
    cutoff = {"none": np.inf, "optimum": opt, "above": opt * 1.01 + 1.0}[cut]
    kept, branching.MAX_NODES = branching.MAX_NODES, max_nodes
    try:
        res, y, bound = _radius_model(c, w, levels, k_of, np.zeros(len(c), dtype=bool), p, None, cutoff=cutoff)
    finally:
        branching.MAX_NODES = kept
    if cut == "optimum":  # nothing strictly better than the optimum exists
        assert res.status in (0, 2)
        if res.status == 0:  # (found again within the tolerance)
            assert float((w * c[:, y].min(axis=1)).sum()) == pytest.approx(opt, rel=1e-9, abs=1e-6)
        return
    assert res.status == 0 and int(y.sum()) == p
    assert float((w * c[:, y].min(axis=1)).sum()) == pytest.approx(opt, rel=1e-9, abs=1e-6)
    assert bound == pytest.approx(opt, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 8), m=st.integers(2, 8), seed=st.integers(0, 2**31 - 1))
def test_branch_and_bound_equals_milp_on_small_binary_models(n, m, seed):
    """branching.branch_and_bound on random covering-type models with a cardinality row: the
    same optimum as scipy's milp (or infeasible both), binaries and continuous mixed."""
    from scipy.sparse import csc_array

    from islandcover.planning import branching

    if not branching.available():
        pytest.skip("scipy without HiGHS's LP object")
    rng = np.random.default_rng(seed)
    a = (rng.random((n, m)) < 0.4).astype(float)
    k = int(rng.integers(1, m))
    nb = int(rng.integers(1, m + 1))  # the first nb columns binary
    c = rng.integers(-5, 10, m).astype(float)
    mat = np.vstack([a, np.ones((1, m))])
    lo, hi = np.r_[np.ones(n), k], np.r_[np.full(n, np.inf), k]
    integ = np.r_[np.ones(nb), np.zeros(m - nb)]
    ref = milp(c, integrality=integ, bounds=Bounds(0, 1), constraints=[LinearConstraint(mat, lo, hi)],
               options={"mip_rel_gap": 1e-12})
    got = branching.branch_and_bound(c, csc_array(mat), lo, hi, np.arange(nb), np.inf)
    if ref.status == 2:
        assert got.status == 2
        return
    assert got.status == 0
    assert got.fun == pytest.approx(ref.fun, abs=1e-7)
    x = got.x
    assert np.allclose(x[:nb], np.round(x[:nb]), atol=1e-6)
    assert np.all(mat @ x >= lo - 1e-7) and np.all(mat @ x <= hi + 1e-7)


def test_branch_and_bound_time_limits_count_highs_own_run_clock(monkeypatch):
    """HiGHS compares its time limit with its run clock, which adds up over every LP the search
    runs on one object: each node's limit must be that clock plus the time left (the time left
    alone stopped a 58 s search at 29 s). A HiGHS object reporting 100 s already run gets limits
    above 100 s, and the search still ends optimal."""
    import time

    from scipy.sparse import csc_array

    from islandcover.planning import branching

    if not branching.available():
        pytest.skip("scipy without HiGHS's LP object")
    from scipy.optimize._highspy import _core  # what branching.py builds on

    limits: list[float] = []

    class Recording(_core._Highs):  # type: ignore[misc]
        def setOptionValue(self, name, value):  # noqa: N802 - HiGHS's own name
            if name == "time_limit":
                limits.append(float(value))
            return super().setOptionValue(name, value)

        def getRunTime(self):  # noqa: N802
            return 100.0 + super().getRunTime()

    monkeypatch.setattr(_core, "_Highs", Recording)
    rng = np.random.default_rng(7)
    a = (rng.random((12, 8)) < 0.4).astype(float)
    a[a.sum(axis=1) == 0, 0] = 1.0
    mat = np.vstack([a, np.ones((1, 8))])
    lo, hi = np.r_[np.ones(12), 3], np.r_[np.full(12, np.inf), 3]
    c = rng.integers(1, 10, 8).astype(float)
    got = branching.branch_and_bound(c, csc_array(mat), lo, hi, np.arange(8), np.inf,
                                     deadline=time.perf_counter() + 30.0)
    ref = milp(c, integrality=np.ones(8), bounds=Bounds(0, 1), constraints=[LinearConstraint(mat, lo, hi)])
    assert limits and min(limits) > 100.0
    assert got.status == (0 if ref.status == 0 else 2)
    if ref.status == 0:
        assert got.fun == pytest.approx(ref.fun)
