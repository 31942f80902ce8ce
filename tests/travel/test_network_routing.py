"""Travel network and routing, checked against geometry and public facts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from islandcover.errors import WeatherError
from islandcover.facts import METRIC_CRS
from islandcover.travel.weather import Weather

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def land_m(arch):
    """Every land polygon of the box: the model's islands and the other districts' land."""
    g = shapely.union_all(np.concatenate([arch.islands.to_crs(METRIC_CRS).geometry.values,
                                          arch.other_land.to_crs(METRIC_CRS).geometry.values]))
    shapely.prepare(g)
    return g


def test_the_mainland_is_in_the_data(arch):
    """Ningbo's coast (北仑, 镇海) and its islands 大榭 and 梅山 are land the boats must go round."""
    assert (arch.other_land.kind == "mainland").any()
    for lon, lat in [(121.85, 29.93), (121.55, 29.95), (121.97, 29.94)]:  # 北仑 town, 镇海, 大榭岛
        assert arch.on_other_land(lon, lat)


def _sea_lines(net, mask):
    xy = np.column_stack([net.node_x, net.node_y])
    return shapely.linestrings(np.stack([xy[net.edge_u[mask]], xy[net.edge_v[mask]]], axis=1))


def test_no_sea_lane_touches_land(net, land_m):
    """Every sea edge (not just those on routes) misses every island polygon."""
    sea = net.edge_mode == "sea"
    assert sea.sum() > 10_000
    hits = shapely.intersects(land_m, _sea_lines(net, sea))
    assert not hits.any(), f"{hits.sum()} sea lanes cross land"


def test_route_sea_legs_stay_off_land(router, land_m):
    """Sea legs of real trips, without their first and last (launch/landing) segments, miss land."""
    from pyproj import Transformer

    to_m = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    for island in ("泗礁山", "东福山岛", "桃花岛", "花鸟岛", "大鱼山岛"):
        for trip in router.nearest(island, Weather.uniform(3), k=2).trips:
            for leg in trip.legs:
                if leg.mode != "sea" or len(leg.coordinates) < 4:
                    continue
                x, y = to_m.transform(*np.array(leg.coordinates[1:-1]).T)
                assert not land_m.intersects(shapely.LineString(np.column_stack([x, y])))


def _sea_only_km(net, sources):
    sea = (net.edge_mode == "sea")
    u, v, w = net.edge_u[sea], net.edge_v[sea], net.edge_len_m[sea] / 1000
    g = csr_array((np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                  shape=(net.n_nodes, net.n_nodes))
    return dijkstra(g, indices=sources)


def _landing_pairs(net):
    """(sea-only km, node a, node b, straight segment) for every pair of landings."""
    landing = np.flatnonzero(net.node_kind == "landing")
    dist = _sea_only_km(net, landing)
    for i, a in enumerate(landing):
        for b in landing[i + 1:]:
            seg = shapely.LineString([(net.node_x[a], net.node_y[a]), (net.node_x[b], net.node_y[b])])
            yield float(dist[i, b]), a, b, seg


def test_open_water_distance_equals_great_circle_within_2_percent(net, land_m):
    """Between landings with clear water between them, sea distance ≈ geodesic distance."""
    checked = 0
    for dist_km, a, b, seg in _landing_pairs(net):
        if seg.length < 3000 or land_m.intersects(seg.buffer(25)):
            continue
        geodesic = GEOD.inv(net.node_lon[a], net.node_lat[a], net.node_lon[b], net.node_lat[b])[2] / 1000
        assert dist_km == pytest.approx(geodesic, rel=0.02), (net.node_label[a], net.node_label[b])
        checked += 1
    assert checked >= 5
    # and between open-water nodes 5–80 km apart (long crossings go through several nodes)
    grid = np.flatnonzero(net.node_kind == "grid")
    rng = np.random.default_rng(0)
    src = rng.choice(grid, 30, replace=False)
    dist = _sea_only_km(net, src)
    checked = 0
    for i, a in enumerate(src):
        for b in rng.choice(grid, 200, replace=False):
            seg = shapely.LineString([(net.node_x[a], net.node_y[a]), (net.node_x[b], net.node_y[b])])
            if not 5000 < seg.length < 80_000 or land_m.intersects(seg.buffer(50)):
                continue
            geodesic = GEOD.inv(net.node_lon[a], net.node_lat[a], net.node_lon[b], net.node_lat[b])[2] / 1000
            assert dist[i, b] == pytest.approx(geodesic, rel=0.02)
            checked += 1
    assert checked > 100


def test_around_an_island_the_sea_path_is_longer_than_the_straight_line(net, land_m):
    pairs = list(_landing_pairs(net))
    segs = np.array([seg for *_, seg in pairs])
    # the length of each straight segment over land: summed over the land's polygons (the parts of the union,
    # which do not overlap) that it meets, all pairs at once
    parts = shapely.get_parts(land_m)
    i_seg, i_part = shapely.STRtree(parts).query(segs, predicate="intersects")
    over = shapely.length(shapely.intersection(segs[i_seg], parts[i_part]))
    on_land_m = np.bincount(i_seg, weights=over, minlength=len(segs))
    checked = 0
    for (dist_km, _a, _b, seg), land in zip(pairs, on_land_m):
        if land < 500:
            continue
        assert dist_km > seg.length / 1000 + 1e-6
        checked += 1
    assert checked > 100


def test_jintang_is_reached_by_bridge_without_a_sea_leg_in_a_gale(router):
    trip = router.trip("T-01A", "金塘岛", Weather.uniform(9))
    assert trip is not None
    assert {leg.mode for leg in trip.legs} <= {"road", "bridge"}
    assert "bridge" in {leg.mode for leg in trip.legs}


@pytest.mark.parametrize("island", ["泗礁山", "嵊山岛", "枸杞岛"])
def test_shengsi_is_cut_off_from_dinghai_teams_at_force_9(router, island):
    for team in ("T-01A", "T-01B", "T-01C"):
        assert router.trip(team, island, Weather.uniform(9)) is None
    assert router.trip("T-01A", island, Weather.uniform(4)) is not None


def test_every_powered_island_is_reachable_in_calm_weather(router):
    assert router.cutoff(Weather.uniform(0)) == []
    times = router.travel_times(Weather.uniform(0))
    own_boat = router.arch.teams.boat_class != "ferry"
    assert not times[own_boat].isna().any().any()


def test_ferry_teams_reach_exactly_the_islands_joined_by_sailings_and_bridges(router, arch, net):
    """Second method: a plain graph of land masses joined by bridges and scheduled sailings."""
    import networkx as nx

    mass = net.landmass
    g = nx.Graph()
    g.add_nodes_from(set(mass.values()))
    for _, b in router_bridges(arch):
        g.add_edge(mass[b[0]], mass[b[1]])
    pier_mass = arch.piers.island_id.map(mass)
    for f in arch.ferries.itertuples():
        g.add_edge(pier_mass[f.from_pier], pier_mass[f.to_pier])
    times = router.travel_times(Weather.uniform(0))
    for tid, row in arch.teams[arch.teams.boat_class == "ferry"].iterrows():
        home = mass[arch.stations.at[row.station_id, "island_id"]]
        reach = nx.node_connected_component(g, home)
        expected = {i for i in times.columns if mass[i] in reach}
        assert set(times.columns[times.loc[tid].notna()]) == expected, tid


def router_bridges(arch):
    from islandcover.travel.network import read_bridges

    for _, b in read_bridges(arch.source).iterrows():
        yield b["name_zh"], (arch.island(b["island_a"]).id, arch.island(b["island_b"]).id)


def test_cutoff_at_force_9_lists_shengsi_and_says_who_has_a_team(router, arch):
    cut = {c.name_zh: c for c in router.cutoff(Weather.uniform(9))}
    assert {"泗礁山", "枸杞岛", "花鸟岛"} <= set(cut)
    assert cut["枸杞岛"].has_own_team and not cut["花鸟岛"].has_own_team
    # 嵊山 has no team, but the 枸杞 team reaches it over the 枸杞–嵊山 bridge (open up to 9)
    assert "嵊山岛" not in cut
    assert "金塘岛" not in cut and "岱山岛" not in cut  # bridges still open at 9


def test_bridges_close_at_force_10(router):
    trip = router.trip("T-01A", "金塘岛", Weather.uniform(10))
    assert trip is None


def test_busy_team_is_excluded_with_its_reason(router):
    calm = router.nearest("蚂蚁岛", Weather.uniform(0), k=1)
    first = calm.trips[0].team_id
    d = router.nearest("蚂蚁岛", Weather.uniform(0), k=1, statuses={first: "busy"})
    assert d.trips[0].team_id != first
    assert any(x.team_id == first and "busy" in x.reason for x in d.excluded)


def test_vessel_limit_is_given_as_the_reason(router):
    """At force 6 high-speed boats leave the open sea; the reason names the limit."""
    d = router.nearest("东福山岛", Weather.uniform(6), k=1)
    reasons = [x.reason for x in d.excluded]
    assert any("not allowed in this wind" in r for r in reasons)


def test_typhoon_closes_links_near_its_centre_only(router):
    far = Weather.typhoon(125.5, 25.0, 200, 60)  # 600 km south-east: nothing closes
    near = Weather.typhoon(122.3, 30.0, 250, 80)  # over Zhoushan
    assert router.cutoff(far) == []
    assert len(router.cutoff(near)) > 20


@pytest.mark.parametrize("bad", [-1, 18, 40, 2.5, True])
def test_impossible_wind_is_rejected(bad):
    # the Chinese scale (GB/T 28591-2012) ends at force 17; 18 and 40 are not forces
    with pytest.raises(WeatherError, match=r"^wind .*(out of range: wind forces run 0–17|whole wind force 0–17)"):
        Weather.uniform(bad)


@pytest.mark.parametrize("force", [13, 14, 15, 16, 17])
def test_typhoon_forces_close_every_boat_and_bridge_but_no_road(router, force):
    # forces 13–17 are typhoon winds: above every vessel and bridge limit (at most 12), while roads never close
    assert Weather.uniform(force).wind_bft == force
    mode = router.net.edge_mode
    for vessel in ("workboat", "fast", "ferry"):
        ok = router.open_edges(vessel, Weather.uniform(force))
        tunnel = np.isin(router.net.edge_name, ["普陀湾海底隧道"])
        assert ok[(mode == "road") | tunnel].all()
        assert not ok[(mode == "sea") | (mode == "ferry") | ((mode == "bridge") & ~tunnel)].any()


def test_typhoon_radii_are_checked():
    with pytest.raises(WeatherError, match="R10"):
        Weather.typhoon(122.3, 30.0, 100, 200)


@settings(max_examples=25, deadline=None)
@given(w=st.integers(0, 16), island=st.sampled_from(["蚂蚁岛", "泗礁山", "大长涂山", "东福山岛", "金塘岛", "花鸟岛"]))
def test_eta_never_decreases_when_the_wind_rises(router, w, island):
    lo = router.travel_times(Weather.uniform(w)).min(axis=0)
    hi = router.travel_times(Weather.uniform(w + 1)).min(axis=0)
    iid = router.arch.island(island).id
    if np.isnan(lo[iid]):
        assert np.isnan(hi[iid])
    elif not np.isnan(hi[iid]):
        assert hi[iid] >= lo[iid] - 1e-9


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_closing_an_edge_never_shortens_any_trip(router, seed):
    """Remove random open sea edges: no shortest time gets shorter (checked on the raw graph)."""
    rng = np.random.default_rng(seed)
    g, ok = router.graph("workboat", Weather.uniform(4))
    src = [router.net.station_node["ST-06"]]
    base = dijkstra(g, indices=src)[0]
    coo = g.tocoo()
    keep = rng.random(len(coo.data)) > 0.05
    g2 = csr_array((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=g.shape)
    after = dijkstra(g2, indices=src)[0]
    assert np.all(after >= base - 1e-9)


def test_route_reports_the_closed_links_when_unreachable(router):
    r = router.route("ST-01", "泗礁山", "ferry", Weather.uniform(9))
    assert r.status == "unreachable" and r.eta_min is None
    assert r.closed and all("wind 9" in c for c in r.closed)


def test_an_island_joined_by_a_tunnel_is_never_cut_off(router):
    """鲁家峙 has the 普陀湾 undersea tunnel (2022) besides its bridge: at force 17 a team from
    沈家门 still reaches it by road, and no bridge is open then."""
    storm = Weather.uniform(17)
    route = router.route("ST-03", "鲁家峙岛", "workboat", storm)
    assert route.status == "ok"
    assert {leg.mode for leg in route.legs} <= {"road", "bridge"}
    assert any(leg.via == "普陀湾海底隧道" for leg in route.legs)


@pytest.mark.parametrize("wind", [0, 7, 9])
def test_fastest_times_is_the_best_team_of_travel_times(router, wind):
    """One multi-source search per boat class gives what every team's own search gives, at best."""
    weather = Weather.uniform(wind)
    fast = router.fastest_times(weather)
    slow = router.travel_times(weather).min(axis=0)
    pd.testing.assert_series_equal(fast, slow.reindex(fast.index), check_names=False, atol=1e-9)
