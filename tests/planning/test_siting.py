"""Siting: exact objectives against brute-force enumeration (hypothesis) and against PySAL
spopt + CBC on the Zhoushan instance; reductions must not change an optimum."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islandcover.errors import SitingError
from islandcover.planning.coverage import CoverageModel, demand_weights
from islandcover.planning.scenario import Scenario
from islandcover.planning.siting import SitingProblem


def _brute(c: np.ndarray, w: np.ndarray, fixed: list[int], p: int, model: str, minutes: float) -> float | None:
    free = [j for j in range(c.shape[1]) if j not in fixed]
    if model == "setcover":
        for k in range(len(free) + 1):
            for s in itertools.combinations(free, k):
                cols = fixed + list(s)
                if cols and (c[:, cols].min(axis=1) <= minutes).all():
                    return float(k)
        return None
    vals = []
    for s in itertools.combinations(free, p):
        d = c[:, fixed + list(s)].min(axis=1)
        vals.append({"mclp": -(w * (d <= minutes)).sum(), "pmedian": (w[w > 0] * d[w > 0]).sum(),
                     "pcenter": d.max()}[model])
    best = -min(vals) if model == "mclp" else min(vals)
    return None if np.isinf(best) else float(best)


@st.composite
def instances(draw):
    n = draw(st.integers(1, 9))
    m = draw(st.integers(2, 6))
    # small integer times make ties (and identical rows) common: the hard case for reductions
    # None = unreachable (a closed link): p-median/p-center must then refuse, never return inf
    cell = st.one_of(st.integers(1, 12), st.none()) if draw(st.booleans()) else st.integers(1, 12)
    c = np.array(draw(st.lists(st.lists(cell, min_size=m, max_size=m), min_size=n, max_size=n)), float)
    w = np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)), float)
    fixed = draw(st.lists(st.integers(0, m - 1), max_size=1, unique=True))
    p = draw(st.integers(1, m - len(fixed)))
    finite = sorted(set(c[np.isfinite(c)].ravel())) or [1.0]
    minutes = float(draw(st.sampled_from(finite)))
    return c, w, fixed, p, minutes


@settings(max_examples=150, deadline=None)
@given(inst=instances(), model=st.sampled_from(["mclp", "pmedian", "pcenter", "setcover"]))
def test_objective_equals_brute_force(inst, model):
    c, w, fixed, p, minutes = inst
    df = pd.DataFrame(c, index=[f"d{i}" for i in range(len(c))], columns=[f"s{j}" for j in range(c.shape[1])])
    prob = SitingProblem.from_cost_matrix(df, w, [f"s{j}" for j in fixed])
    c = np.where(np.isnan(c), np.inf, c)
    expect = _brute(c, w, fixed, p, model, minutes)
    if expect is None:
        with pytest.raises(SitingError, match="infeasible|reach"):
            prob.solve(model, p=p, minutes=minutes)
        return
    res = prob.solve(model, p=p, minutes=minutes)
    assert res.status == "optimal" and res.gap == 0
    assert res.objective == pytest.approx(expect)
    # the reported sites really achieve the objective
    cols = [df.columns.get_loc(s) for s in res.fixed + res.sites]
    d = c[:, cols].min(axis=1)
    achieved = {"mclp": (w * (d <= minutes)).sum(), "pmedian": (w[w > 0] * d[w > 0]).sum(), "pcenter": d.max(),
                "setcover": len(res.sites)}[model]
    assert achieved == pytest.approx(expect)
    assert len(res.sites) <= (p if model != "setcover" else c.shape[1])


@settings(max_examples=100, deadline=None)
@given(inst=instances())
def test_pcenter_picks_the_least_total_time_among_its_optima(inst):
    # by enumeration: of the p-sets whose worst time is the optimum, the least weighted total
    # (weight-0 demand counts a millionth, so that it too stays within the radius)
    c, w, fixed, p, _ = inst
    df = pd.DataFrame(c, index=[f"d{i}" for i in range(len(c))], columns=[f"s{j}" for j in range(c.shape[1])])
    c = np.where(np.isnan(c), np.inf, c)
    radius = _brute(c, w, fixed, p, "pcenter", 0)
    if radius is None:
        return
    wt = w + 1e-6 * max(w.max(), 1.0)
    free = [j for j in range(c.shape[1]) if j not in fixed]
    totals = [float(wt @ c[:, fixed + list(s)].min(axis=1)) for s in itertools.combinations(free, p)
              if c[:, fixed + list(s)].min(axis=1).max() <= radius]
    res = SitingProblem.from_cost_matrix(df, w, [f"s{j}" for j in fixed]).pcenter(p)
    d = c[:, fixed + [df.columns.get_loc(s) for s in res.sites]].min(axis=1)
    assert res.objective == d.max() == radius
    assert float(wt @ d) == pytest.approx(min(totals), rel=1e-9)


def test_pcenter_sites_beyond_the_worst_served_are_the_least_total_time_on_zhoushan(zhoushan):
    # 5 sites from scratch: the worst island pins the radius (106.83 min); the sites are those of a
    # p-median solved separately on the times within that radius (the same total people × minutes)
    cost, w = zhoushan
    prob = SitingProblem.from_cost_matrix(cost, w)
    r = prob.pcenter(5)
    tb = r.stats["tie_break"]
    assert tb["total_after"] <= tb["total_before"]
    within = SitingProblem.from_cost_matrix(cost.where(cost <= r.objective + 1e-9), w)
    assert prob.objective_of("pmedian", r.sites) == pytest.approx(within.pmedian(5).objective, rel=1e-6)


# found in review: 19 x 5, p = 2, where greedy + swaps find no 2 sites within the optimal radius,
# so the tie-break's p-median needed its MIP, which a short time limit skipped: the p-center raised
_C19 = np.array([[42, 9, 36, 46, 48], [46, 41, 22, 12, 54], [8, 25, 20, 49, 11], [40, 36, 18, 6, 6],
                 [40, 2, 47, 21, 3], [15, 53, 25, 49, 3], [3, 15, 33, 9, 2], [4, 29, 52, 5, 14],
                 [34, 40, 5, 53, 6], [44, 58, 47, 48, 54], [40, 9, 47, 5, 13], [47, 7, 13, 20, 40],
                 [45, 36, 45, 22, 43], [9, 25, 7, 31, 44], [44, 16, 35, 53, 14], [19, 28, 16, 56, 52],
                 [57, 58, 5, 29, 8], [16, 4, 40, 30, 10], [53, 33, 31, 19, 20]], dtype=float)
_W19 = np.array([36, 88, 61, 24, 73, 54, 36, 88, 30, 87, 28, 13, 27, 30, 46, 40, 75, 77, 41], dtype=float)


@pytest.mark.parametrize("limit", [0.01, 0.05, 0.1, 0.2, 0.3, 0.6, None])
def test_pcenter_answers_at_any_time_limit(limit):
    prob = SitingProblem.from_cost_matrix(pd.DataFrame(_C19), _W19)
    r = prob.pcenter(2, time_limit=limit)
    assert len(r.sites) == 2 and r.objective == prob.objective_of("pcenter", r.sites)
    if r.status == "optimal":  # by enumeration: 44 min is the best worst time of 2 of the 5 sites
        assert r.objective == 44.0


def test_pcenter_keeps_its_own_sites_when_the_tie_break_finds_none(monkeypatch):
    prob = SitingProblem.from_cost_matrix(pd.DataFrame(_C19), _W19)

    def no_answer(self, p, *, time_limit=None):
        raise SitingError("p-median: the time limit ran out before any solution reaching every demand was found")

    monkeypatch.setattr(SitingProblem, "pmedian", no_answer)
    r = prob.pcenter(2)
    assert r.status == "optimal" and r.objective == 44.0 == prob.objective_of("pcenter", r.sites)
    assert r.stats["tie_break"]["status"] == "time_limit"


def test_pcenter_with_no_weighted_demand_still_covers_every_point():
    # found by hypothesis: every weight 0, a kept site, p = 1; the LP check began from an empty
    # subset of the demand and handed HiGHS a model of no columns
    nan = np.nan
    c = np.array([[1, nan, 2, 1], [nan, 2, 1, nan], [nan, 5, nan, 1], [5, 1, 2, 2], [2, 2, 2, 2]], dtype=float)
    cost = pd.DataFrame(c, index=[f"d{i}" for i in range(5)], columns=[f"s{j}" for j in range(4)])
    res = SitingProblem.from_cost_matrix(cost, np.zeros(5), fixed=["s0"]).pcenter(1)
    assert res.status == "optimal"
    # by hand: only s1 adds both d1 and d2 (s2 misses d2, s3 misses d1), and d2 is then 5 min away
    assert res.objective == _brute(np.where(np.isnan(c), np.inf, c), np.zeros(5), [0], 1, "pcenter", 0) == 5.0
    assert res.sites == ["s1"]


def test_unreachable_demand_is_named():
    df = pd.DataFrame([[5.0, np.nan], [np.nan, np.nan]], index=["a", "b"], columns=["s1", "s2"])
    prob = SitingProblem.from_cost_matrix(df)
    with pytest.raises(SitingError, match="b"):
        prob.pcenter(1)
    with pytest.raises(SitingError, match="reaches b"):
        prob.setcover(10)
    r = prob.mclp(1, 10)
    assert r.objective == 1 and r.uncovered == ["b"]


@pytest.mark.parametrize("kw,msg", [({"model": "pmedian", "p": 0}, "p must"), ({"model": "pmedian", "p": 3}, "only 2"),
                                    ({"model": "mclp", "p": 1}, "needs minutes"), ({"model": "zzz", "p": 1}, "unknown model")])
def test_bad_requests(kw, msg):
    prob = SitingProblem.from_cost_matrix(pd.DataFrame([[1.0, 2.0]], columns=["s1", "s2"]))
    with pytest.raises(SitingError, match=msg):
        prob.solve(**kw)


def test_bad_weights_and_fixed():
    df = pd.DataFrame([[1.0, 2.0]], columns=["s1", "s2"])
    with pytest.raises(SitingError, match="weights"):
        SitingProblem.from_cost_matrix(df, [np.nan])
    with pytest.raises(SitingError, match="s9"):
        SitingProblem.from_cost_matrix(df, fixed=["s9"])


@pytest.fixture(scope="module")
def zhoushan(router):
    model = CoverageModel(router)
    cost = model.candidate_matrix(Scenario())
    return cost, demand_weights(model.demand, "people")


@pytest.mark.parametrize("model", ["mclp", "pmedian", "pcenter", "setcover"])
def test_zhoushan_objectives_equal_spopt(zhoushan, model):
    """Second method: PySAL spopt with CBC on the same (rounded) cost matrix."""
    pulp = pytest.importorskip("pulp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from spopt.locate import LSCP, MCLP, PCenter, PMedian
    cost, w = zhoushan
    prob = SitingProblem.from_cost_matrix(cost, w)
    c = prob.cost
    p, minutes = 4, 60.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solver = pulp.PULP_CBC_CMD(msg=False)
        if model == "mclp":
            ref = MCLP.from_cost_matrix(c, w, service_radius=minutes, p_facilities=p).solve(solver)
        elif model == "pmedian":
            ref = PMedian.from_cost_matrix(c, w, p_facilities=p).solve(solver)
        elif model == "pcenter":
            ref = PCenter.from_cost_matrix(c, p_facilities=p).solve(solver)
        else:
            ref = LSCP.from_cost_matrix(c, service_radius=minutes).solve(solver)
    expect = pulp.value(ref.problem.objective)
    got = prob.solve(model, p=p, minutes=minutes)
    assert got.status == "optimal"
    assert got.objective == pytest.approx(expect, rel=1e-6)


def test_keep_existing_adds_only_new_sites(zhoushan):
    cost, w = zhoushan
    fixed = [f"ST-{k:02d}" for k in range(1, 13)]
    prob = SitingProblem.from_cost_matrix(cost, w, fixed)
    r = prob.pcenter(3)
    assert len(r.sites) == 3 and not set(r.sites) & set(fixed)
    before = cost[fixed].min(axis=1).max()
    assert r.objective <= before


@pytest.mark.parametrize("model", ["pmedian", "mclp", "pcenter"])
def test_time_limit_returns_a_real_solution_and_honest_bound(model):
    rng = np.random.default_rng(3)
    c = rng.uniform(0, 100, (120, 25))
    prob = SitingProblem.from_cost_matrix(pd.DataFrame(c))
    exact = prob.solve(model, p=4, minutes=20)
    cut = prob.solve(model, p=4, minutes=20, time_limit=1e-4)
    assert len(cut.sites) == 4 and np.isfinite(cut.objective)
    if model == "mclp":  # maximise: the bound is above, the time-limited answer below the optimum
        assert cut.objective <= exact.objective + 1e-6 <= cut.bound + 2e-6
    else:
        assert cut.bound - 1e-6 <= exact.objective <= cut.objective + 1e-6
    assert cut.status == "time_limit" or cut.objective == pytest.approx(exact.objective)


def test_storm_instance_pmedian_and_pcenter_refuse_or_answer(router):
    """Wind 8 on Zhoushan: some islands are reachable only from a few sites; the answer must be
    finite (all demand served) or a SitingError, never an 'optimal' infinity."""
    from islandcover.travel.weather import Weather

    model = CoverageModel(router)
    for name in ("pmedian", "pcenter"):
        problem = model.siting_problem(Scenario(weather=Weather.uniform(8)), keep_existing=True)
        try:
            r = problem.solve(name, p=3)
        except SitingError as exc:
            assert "reach" in str(exc)
        else:
            assert np.isfinite(r.objective) and r.status == "optimal"


def test_no_gain_proposes_nothing_and_says_so():
    # two demand points both reached within 10 min by the kept site A: at 15 min an MCLP cannot gain
    cost = pd.DataFrame([[5.0, 20.0, 30.0], [8.0, 3.0, 40.0]], index=["i1", "i2"], columns=["A", "B", "C"])
    prob = SitingProblem.from_cost_matrix(cost, [100.0, 50.0], ["A"])
    r = prob.solve("mclp", p=1, minutes=15)
    assert r.no_gain and r.sites == [] and r.baseline == r.objective == 150.0 and r.gain == 0
    assert r.to_dict()["units"] == "people covered"
    # the p-median can still gain (B serves i2 five minutes faster: 50 people x 5 min less)
    r = prob.solve("pmedian", p=1)
    assert not r.no_gain and r.sites == ["B"]
    assert r.baseline == pytest.approx(100 * 5 + 50 * 8) and r.gain == pytest.approx(250.0)
    assert r.to_dict()["units"].startswith("people × minutes")


@settings(max_examples=60, deadline=None)
@given(inst=instances(), model=st.sampled_from(["mclp", "pmedian", "pcenter"]))
def test_the_baseline_is_the_kept_sites_objective_and_never_beats_the_answer(inst, model):
    c, w, fixed, p, minutes = inst
    if not fixed:
        return
    cost = pd.DataFrame(c, index=[f"d{i}" for i in range(len(c))], columns=[f"s{j}" for j in range(c.shape[1])])
    prob = SitingProblem.from_cost_matrix(cost, w, [f"s{fixed[0]}"])
    try:
        r = prob.solve(model, p=p, minutes=minutes)
    except SitingError:
        return  # unreachable demand: refused, as tested above
    d = np.where(np.isnan(c), np.inf, c)[:, fixed].min(axis=1)  # None (NaN) = unreachable
    pos = w > 0
    by_hand = {"mclp": float((w * (d <= minutes)).sum()),
               "pmedian": float((w[pos] * d[pos]).sum()) if np.isfinite(d[pos]).all() else float("inf"),
               "pcenter": float(d.max())}[model]
    assert r.baseline == pytest.approx(by_hand)
    assert r.gain is None or r.gain >= -1e-6 * max(1.0, abs(by_hand)) or not np.isfinite(by_hand)
    if r.no_gain:
        assert r.sites == []
