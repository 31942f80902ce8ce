"""Capacitated siting: objectives against hand-worked instances and against brute force (every
site set, each priced by a min-cost or max flow in networkx, not by the LP solver under test);
capacity that does not bind gives the uncapacitated answer; capacity that binds is respected."""
from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islandcover.errors import SitingError
from islandcover.planning.capacity import parse_capacity, site_capacities
from islandcover.planning.coverage import CoverageModel
from islandcover.planning.scenario import Scenario
from islandcover.planning.siting import SitingProblem


def _problem(c: list[list[float | None]], w: list[float], fixed: tuple[str, ...] = ()) -> SitingProblem:
    df = pd.DataFrame(np.array(c, dtype=float), index=[f"d{i}" for i in range(len(c))],
                      columns=[f"s{j}" for j in range(len(c[0]))])
    return SitingProblem.from_cost_matrix(df, w, list(fixed))


def _flow_cost(c: np.ndarray, w: np.ndarray, cap: np.ndarray, cols: list[int]) -> float | None:
    """Min-cost flow serving every demand from the sites ``cols`` (None: they cannot serve it all).
    Integer data: the flow's optimum is the split (continuous) assignment's optimum."""
    g = nx.DiGraph()
    total = int(w.sum())
    g.add_node("S", demand=-total)
    g.add_node("T", demand=total)
    for i in np.flatnonzero(w > 0):
        g.add_edge("S", ("d", i), capacity=int(w[i]), weight=0)
        for j in cols:
            if np.isfinite(c[i, j]):
                g.add_edge(("d", i), ("s", j), capacity=int(w[i]), weight=int(c[i, j]))
    for j in cols:
        g.add_edge(("s", j), "T", capacity=int(cap[j]), weight=0)
    try:
        return float(nx.min_cost_flow_cost(g))
    except nx.NetworkXUnfeasible:
        return None


def _flow_cover(c: np.ndarray, w: np.ndarray, cap: np.ndarray, cols: list[int], minutes: float) -> float:
    """Max flow: the most demand weight the sites ``cols`` serve within ``minutes``."""
    g = nx.DiGraph()
    g.add_node("S")
    g.add_node("T")
    for i in np.flatnonzero(w > 0):
        g.add_edge("S", ("d", i), capacity=float(w[i]))
        for j in cols:
            if c[i, j] <= minutes:
                g.add_edge(("d", i), ("s", j), capacity=float(w[i]))
    for j in cols:
        g.add_edge(("s", j), "T", capacity=float(cap[j]))
    return float(nx.maximum_flow_value(g, "S", "T"))


def _brute(c: np.ndarray, w: np.ndarray, cap: np.ndarray, fixed: list[int], p: int, minutes: float | None
           ) -> float | None:
    free = [j for j in range(c.shape[1]) if j not in fixed]
    vals = []
    for s in itertools.combinations(free, p):
        cols = fixed + list(s)
        v = _flow_cost(c, w, cap, cols) if minutes is None else _flow_cover(c, w, cap, cols, minutes)
        if v is not None:
            vals.append(v)
    if not vals:
        return None
    return max(vals) if minutes is not None else min(vals)


class TestSynthetic:
    # d0, d1, d2 (10 people each); s is 1, 2, 4 min away, t is 5, 1, 2 min away; 15 people per site
    COST = [[1, 5], [2, 1], [4, 2]]

    def test_pmedian_splits_the_middle_demand_point_by_hand(self):
        # uncapacitated: d0→s, d1→t, d2→t = 10 + 10 + 20 = 40, but t would serve 20 > 15;
        # best: d0→s (10), d2→t (20), d1 half to t (5) and half to s (10): 45
        res = _problem(self.COST, [10, 10, 10]).solve("pmedian", p=2, capacity=15)
        assert res.objective == pytest.approx(45) and res.status == "optimal" and res.gap == 0
        assert res.stats["split"] == {"d1": {"s0": 0.5, "s1": 0.5}}
        assert {s: v["served"] for s, v in res.stats["load"].items()} == {"s0": 15, "s1": 15}
        assert res.assignment["d0"] == "s0" and res.assignment["d2"] == "s1"

    def test_mclp_counts_only_what_the_capacity_lets_a_site_serve(self):
        # within 2 min: s covers d0, d1; t covers d1, d2; one site of 15 serves 15 of the 20 in reach
        res = _problem(self.COST, [10, 10, 10]).solve("mclp", p=1, minutes=2, capacity=15)
        assert res.objective == pytest.approx(15) and res.status == "optimal"
        two = _problem(self.COST, [10, 10, 10]).solve("mclp", p=2, minutes=2, capacity=15)
        assert two.objective == pytest.approx(30) and two.uncovered == []

    def test_per_site_capacities_by_id(self):
        res = _problem(self.COST, [10, 10, 10]).solve("pmedian", p=2, capacity={"s0": 30, "s1": 5})
        # all at s: 10 + 20 + 40 = 70; t's 5 go where they save most: d2 (4 → 2 min), 5 × 2 = 10 saved
        assert res.objective == pytest.approx(60)

    def test_kept_site_sets_the_baseline_and_a_useless_pick_is_no_gain(self):
        prob = _problem(self.COST, [10, 10, 10], fixed=("s0",))
        res = prob.solve("pmedian", p=1, capacity=30)  # s alone: 10 + 20 + 40 = 70; with t: 40
        assert res.baseline == pytest.approx(70) and res.objective == pytest.approx(40) and res.sites == ["s1"]
        far = _problem([[1, 50], [2, 50], [4, 50]], [10, 10, 10], fixed=("s0",))
        res = far.solve("pmedian", p=1, capacity=30)
        assert res.no_gain and res.sites == [] and res.objective == pytest.approx(70)

    def test_too_little_capacity_is_refused_naming_it(self):
        with pytest.raises(SitingError, match=r"^capacity: the 1 sites with the largest capacity serve at most 15"):
            _problem(self.COST, [10, 10, 10]).solve("pmedian", p=1, capacity=15)

    def test_capacity_where_the_demand_cannot_be_reached_is_refused(self):
        # enough capacity in total (2 × 20 ≥ 30), but d0 reaches only s, which can take 20 of its 25
        prob = _problem([[1, None], [1, 1]], [25, 5])
        with pytest.raises(SitingError, match=r"^capacity: no 2 sites can serve every demand"):
            prob.solve("pmedian", p=2, capacity=20)

    @pytest.mark.parametrize("bad", [0, -5, float("nan"), float("inf"), True, {"s0": 10}, [10], "head_count"])
    def test_bad_capacity_values_name_the_capacity(self, bad):
        with pytest.raises(SitingError, match="capacity"):
            _problem(self.COST, [10, 10, 10]).solve("pmedian", p=2, capacity=bad)

    def test_capacity_is_for_mclp_and_pmedian_only(self):
        with pytest.raises(SitingError, match="capacity applies to mclp and pmedian, not to pcenter"):
            _problem(self.COST, [10, 10, 10]).solve("pcenter", p=1, capacity=100)

    def test_a_time_limited_answer_states_a_consistent_bound(self):
        rng = np.random.default_rng(1)
        pts, sites = rng.uniform(0, 100, (100, 2)), rng.uniform(0, 100, (20, 2))
        c = np.round(np.hypot(*(pts[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)), 2)
        w = rng.integers(1, 100, 100).astype(float)
        prob = SitingProblem.from_cost_matrix(pd.DataFrame(c), w)
        res = prob.solve("pmedian", p=5, capacity=float(w.sum()) / 5 * 1.05, time_limit=2)
        assert res.status in ("optimal", "time_limit") and res.bound <= res.objective + 1e-6
        assert res.gap == pytest.approx(abs(res.objective - res.bound) / res.objective)
        assert res.objective >= prob.solve("pmedian", p=5).objective - 1e-6  # capacity never helps


@st.composite
def instances(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(2, 5))
    cell = st.one_of(st.integers(1, 9), st.none()) if draw(st.booleans()) else st.integers(1, 9)
    c = np.array(draw(st.lists(st.lists(cell, min_size=m, max_size=m), min_size=n, max_size=n)), float)
    w = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), float)
    cap = np.array(draw(st.lists(st.integers(1, 12), min_size=m, max_size=m)), float)
    fixed = draw(st.lists(st.integers(0, m - 1), max_size=1, unique=True))
    p = draw(st.integers(1, m - len(fixed)))
    finite = sorted(set(c[np.isfinite(c)].ravel())) or [1.0]
    return c, w, cap, fixed, p, float(draw(st.sampled_from(finite)))


def _solve(c: np.ndarray, w: np.ndarray, cap: np.ndarray, fixed: list[int], p: int, minutes: float | None):
    prob = _problem(c.tolist(), w.tolist(), tuple(f"s{j}" for j in fixed))
    caps = {f"s{j}": float(cap[j]) for j in range(c.shape[1])}
    model = "pmedian" if minutes is None else "mclp"
    return prob, prob.solve(model, p=p, minutes=minutes, capacity=caps)


@settings(max_examples=80, deadline=None)
@given(inst=instances(), model=st.sampled_from(["pmedian", "mclp"]))
def test_objective_equals_brute_force_over_site_sets_and_flows(inst, model):
    c, w, cap, fixed, p, minutes = inst
    minutes = minutes if model == "mclp" else None
    c_inf = np.where(np.isnan(c), np.inf, c)
    expect = _brute(c_inf, w, cap, fixed, p, minutes)
    if expect is None:  # no p sites can serve every demand: the p-median refuses, naming why
        with pytest.raises(SitingError, match="capacity|reach"):
            _solve(c, w, cap, fixed, p, minutes)
        return
    prob, res = _solve(c, w, cap, fixed, p, minutes)
    assert res.status == "optimal" and res.objective == pytest.approx(expect, rel=1e-6, abs=1e-6)
    # what the answer says it does is feasible: loads within capacity (to the solver's tolerance)
    for v in res.stats["load"].values():
        assert v["served"] <= v["capacity"] * (1 + 1e-6) + 1e-3
    open_sites = set(res.sites) | set(res.fixed)
    assert set(res.stats["load"]) == open_sites and len(res.sites) == p or res.no_gain
    if fixed:
        base = _brute(c_inf, w, cap, fixed, 0, minutes)
        assert res.baseline == pytest.approx(np.inf if base is None else base, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(inst=instances(), model=st.sampled_from(["pmedian", "mclp"]))
def test_capacity_that_cannot_bind_gives_the_uncapacitated_answer(inst, model):
    c, w, _, fixed, p, minutes = inst
    minutes = minutes if model == "mclp" else None
    prob = _problem(c.tolist(), w.tolist(), tuple(f"s{j}" for j in fixed))
    try:
        plain = prob.solve(model, p=p, minutes=minutes)
    except SitingError:  # unreachable demand: the capacitated model refuses as well
        with pytest.raises(SitingError, match="reach"):
            prob.solve(model, p=p, minutes=minutes, capacity=float(w.sum()) + 1)
        return
    res = prob.solve(model, p=p, minutes=minutes, capacity=float(w.sum()) + 1)
    assert res.objective == pytest.approx(plain.objective, abs=1e-6)


# ---------------------------------------------------------------------- capacities from the teams
TEAMS = pd.DataFrame({"station_id": ["A", "A", "B"], "head_count": [4, 6, 5],
                      "boat_class": ["fast", "ferry", "fast"], "illustrative": [True, True, True]})


class TestSiteCapacities:
    def test_a_column_is_summed_over_each_sites_teams_and_scaled(self):
        caps = site_capacities(TEAMS, ["A", "B", "SP-1"], "head_count", scale=1000, new_site=3)
        assert caps == {"A": 10_000, "B": 5_000, "SP-1": 3_000}
        assert site_capacities(TEAMS, ["A", "B"], "teams", scale=2) == {"A": 4, "B": 2}

    def test_a_number_is_the_same_for_every_site(self):
        assert site_capacities(TEAMS, ["A", "SP-1"], "2500") == {"A": 2500, "SP-1": 2500}

    @pytest.mark.parametrize(("capacity", "kw", "needle"), [
        ("crew", {}, "'crew' is not a column of the teams table; use a number, teams"),
        ("boat_class", {}, "'boat_class' is not numeric"),
        ("illustrative", {}, "'illustrative' is not numeric"),
        ("head_count", {}, "1 candidate sites have no teams and so no head_count (SP-1); give capacity_new"),
        ("head_count", {"scale": -1, "new_site": 3}, "capacity_scale must be a positive number"),
        ("head_count", {"new_site": 0}, "capacity_new must be a positive number"),
        (100, {"scale": 10}, "go with a team column, not a number"),
        ("-5", {}, "positive number"),
        ("0", {}, "positive number"),
        ("nan", {}, "positive number"),
        ("head count", {}, "team column name"),
    ])
    def test_bad_capacities_say_what_is_allowed(self, capacity, kw, needle):
        with pytest.raises(SitingError, match="capacity") as err:
            site_capacities(TEAMS, ["A", "B", "SP-1"], capacity, **kw)
        assert needle in str(err.value)

    def test_parse_capacity(self):
        assert parse_capacity("150000") == 150_000.0 and parse_capacity(7) == 7.0
        assert parse_capacity("head_count") == "head_count"


# ---------------------------------------------------------------------- Zhoushan
@pytest.fixture(scope="module")
def zhoushan(router):
    model = CoverageModel(router)
    return model, model.siting_problem(Scenario(), keep_existing=True)


class TestRealWorld:
    def test_crews_of_10000_people_each_bind_and_are_respected(self, zhoushan):
        model, prob = zhoushan
        caps = model.site_capacities(prob, "head_count", scale=10_000, new_site=10)
        assert caps["ST-01"] == 150_000 and caps["ST-02"] == 100_000 and caps["SP-0001"] == 100_000
        res = prob.solve("pmedian", p=3, capacity=caps)
        plain = prob.solve("pmedian", p=3)
        assert res.status == "optimal" and len(res.sites) == 3
        assert res.objective > plain.objective  # the main island's people no longer all go to the nearest
        load = res.stats["load"]
        assert set(load) == set(res.sites) | set(res.fixed)
        assert all(v["served"] <= v["capacity"] + 1e-3 for v in load.values())
        assert sum(v["served"] for v in load.values()) == pytest.approx(prob.weights.sum(), rel=1e-9)
        assert "ZS-0001" in res.stats["split"]  # the main island is shared between stations
        assert res.baseline is not None and res.baseline > res.objective

    def test_capacity_above_the_whole_archipelago_changes_nothing(self, zhoushan):
        _, prob = zhoushan
        for model, kw in (("pmedian", {}), ("mclp", {"minutes": 45})):
            plain = prob.solve(model, p=2, **kw)
            res = prob.solve(model, p=2, capacity=2e6, **kw)
            assert res.objective == pytest.approx(plain.objective, rel=1e-9)
