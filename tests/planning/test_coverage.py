"""Coverage: the travel-time matrix against the dispatch code path, metrics worked out by hand
from the matrix, zones, overrides and what-if scenarios."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from islandcover.errors import DataError, IslandcoverError, OutsideArchipelago, UnknownStation
from islandcover.planning.coverage import CoverageModel, read_assignments
from islandcover.planning.scenario import Scenario
from islandcover.planning.travel_matrix import Site, candidate_sites, grid_demand, travel_matrix
from islandcover.travel.weather import Weather

LIGHT = [f"ST-{k:02d}" for k in range(1, 13)]


@pytest.fixture(scope="module")
def model(router):
    return CoverageModel(router)


def test_matrix_equals_dispatch_times_of_workboat_teams(model, router):
    """Second method: the router's per-team search (issue 3) for every workboat team."""
    for wind in (0, 7):
        w = Weather.uniform(wind)
        m = model.matrix(Scenario(weather=w))
        tt = router.travel_times(w)
        teams = router.arch.teams[router.arch.teams.boat_class == "workboat"]
        for tid, team in teams.iterrows():
            a, b = m[team.station_id], tt.loc[tid, m.index]
            assert (a.isna() == b.isna()).all()
            np.testing.assert_allclose(a.dropna(), b.dropna(), rtol=1e-9)


def test_attached_site_matches_network_site(model, router):
    """A query-time site at a service point's position gives that service point's times."""
    sites = candidate_sites(router)
    sp = next(s for s in sites if s.id == "SP-0044")  # 蚂蚁岛
    virt = Site(id="V", name="v", island_id=sp.island_id, lon=sp.lon, lat=sp.lat, kind="new")
    m = travel_matrix(router, [sp, virt], model.demand, "workboat", Weather.uniform(0))
    np.testing.assert_allclose(m["V"], m["SP-0044"], atol=1e-6)


def test_metrics_recomputed_by_hand(model):
    rep = model.report(Scenario(), [60])
    m = model.matrix(Scenario())
    best = m.min(axis=1)
    d = rep.to_dict()
    t = d["thresholds"]["60"]
    assert t["islands_covered"] == int((best <= 60).sum())
    assert t["islands_covered_share"] == pytest.approx((best <= 60).mean(), abs=1e-4)
    people = pd.Series(model.demand.people, index=m.index)
    assert t["people_covered"] == round(people[best <= 60].sum())
    assert t["people_covered_share"] == pytest.approx(people[best <= 60].sum() / people.sum(), abs=1e-4)
    assert t["backup_islands"] == int(((m <= 60).sum(axis=1) >= 2).sum())
    assert d["mean_eta_min"] == pytest.approx(best.mean(), abs=0.05)
    assert sum(v["islands"] for v in t["by_district"].values()) == len(m)
    assert d["people_known"] == pytest.approx(1_157_817 - 571 - 136)  # the 2020 census less 东蟹峙, 小盘峙 (not placed)
    # zones: each island goes to its fastest station
    z = model.zones(Scenario())
    assert (z.eta_min.to_numpy() == pytest.approx(best.to_numpy()))
    assert all(m.at[i, z.at[i, "station"]] == pytest.approx(best[i]) for i in m.index)


def test_own_station_island_is_served_in_minutes(model):
    z = model.zones(Scenario())
    assert z.at["ZS-0044", "station"] == "ST-06"  # 蚂蚁岛's own light station
    assert z.at["ZS-0044", "eta_min"] < 10


def test_compare_identical_and_closed_station(model):
    same = model.compare(Scenario(), Scenario(name="again"))
    assert same["changed_islands"] == []
    assert all(v["delta"] == 0 for v in same["thresholds"]["60"].values() if isinstance(v, dict) and "delta" in v)
    c = model.compare(Scenario(), Scenario(name="close", close=("ST-06",)))
    changed = {x["island_id"]: x for x in c["changed_islands"]}
    assert "ZS-0044" in changed and changed["ZS-0044"]["station_a"] == "ST-06"
    assert changed["ZS-0044"]["delta_min"] > 0
    z = model.zones(Scenario())
    assert set(changed) == set(z.index[z.station == "ST-06"])  # exactly ST-06's zone moves


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(closed=st.sets(st.sampled_from(LIGHT), max_size=4), wind=st.sampled_from([0, 6, 8]))
def test_closing_stations_never_speeds_up_an_island(model, closed, wind):
    w = Weather.uniform(wind)
    base = model.zones(Scenario(weather=w)).best_eta_min.fillna(np.inf)
    less = model.zones(Scenario(close=tuple(sorted(closed)), weather=w)).best_eta_min.fillna(np.inf)
    assert (less >= base - 1e-9).all()


def test_adding_a_station_on_an_island_serves_it(model):
    far = model.zones(Scenario()).best_eta_min.idxmax()
    s = Scenario(add=(far,))
    z = model.zones(s)
    assert z.at[far, "station"] == "NEW-1" and z.at[far, "eta_min"] == pytest.approx(0, abs=1e-6)
    assert (z.best_eta_min <= model.zones(Scenario()).best_eta_min + 1e-9).all()


def test_move_station_keeps_id(model):
    s = Scenario(move=(("ST-12", "嵊山岛"),))
    ids = [x.id for x in model.stations(s)]
    assert ids.count("ST-12") == 1
    assert model.zones(s).at["ZS-0025", "station"] == "ST-12"


def test_overrides_follow_into_metrics(model, tmp_path):
    z = model.zones(Scenario())
    f = tmp_path / "zones.csv"
    f.write_text("island,station\n蚂蚁岛,ST-12\n", encoding="utf-8")
    ov = read_assignments(f, model.router, LIGHT)
    assert ov == {"ZS-0044": "ST-12"}
    z2 = model.zones(Scenario(), ov)
    assert z2.at["ZS-0044", "station"] == "ST-12" and z2.at["ZS-0044", "eta_min"] > z.at["ZS-0044", "eta_min"]
    assert z2.at["ZS-0044", "best_station"] == "ST-06"
    r = model.report(Scenario(), [30], ov).to_dict()["thresholds"]["30"]
    assert r["islands_covered"] == model.report(Scenario(), [30]).to_dict()["thresholds"]["30"]["islands_covered"] - 1


@pytest.mark.parametrize("text,field", [("island,station\n蚂蚁岛,ST-99\n", "station"),
                                        ("island,station\n火星岛,ST-01\n", "island"),
                                        ("isle,station\nx,ST-01\n", "island")])
def test_bad_override_file_names_field(model, tmp_path, text, field):
    f = tmp_path / "z.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=field):
        read_assignments(f, model.router, LIGHT)


def test_bad_scenarios(model):
    with pytest.raises(UnknownStation, match="ST-99"):
        model.stations(Scenario(close=("ST-99",)))
    with pytest.raises(OutsideArchipelago, match="outside"):
        model.stations(Scenario(add=("125.0,30.0",)))
    with pytest.raises(OutsideArchipelago, match="at sea"):
        model.stations(Scenario(add=("122.55,29.95",)))  # open sea east of 朱家尖
    with pytest.raises(IslandcoverError, match="lon,lat"):
        model.stations(Scenario(add=("1,2,3",)))
    with pytest.raises(IslandcoverError, match="threshold"):
        model.report(Scenario(), [-5])


def test_storm_leaves_islands_unreachable_and_reported(model):
    d = model.report(Scenario(weather=Weather.uniform(9))).to_dict()
    assert len(d["unreachable"]) > 0
    assert d["worst_served"][0]["best_eta_min"] is None


def test_grid_demand_is_finer_and_consistent(router):
    g = grid_demand(router, 2.0)
    assert len(g) > 200
    # people are shared, not invented: per island the points add up to the island's figure
    s = pd.DataFrame({"island": g.island_ids, "people": g.people}).groupby("island").people.sum(min_count=1)
    pop = router.arch.powered.population.astype(float)
    for iid, v in s.items():
        assert (np.isnan(v) and np.isnan(pop[iid])) or v == pytest.approx(pop[iid])
    m = travel_matrix(router, candidate_sites(router)[:12], g, "workboat", Weather.uniform(0))
    assert m.shape == (len(g), 12) and m.notna().all().all()
