"""Routes between any two places (issue 7): invariants checked against independent methods."""
from __future__ import annotations

from collections import deque

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from islandcover.cli import main
from islandcover.errors import (
    ConfigError,
    OutsideArchipelago,
    PointAtSea,
    UnknownIsland,
    UnknownPlace,
    WeatherError,
)
from islandcover.facts import METRIC_CRS
from islandcover.travel.places import resolve_place
from islandcover.travel.weather import Weather

GEOD = Geod(ellps="WGS84")
TO_M = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)

# places of every kind: islands by name and pinyin, stations, piers, points on land and at sea
PLACES = ["蚂蚁岛", "Dongfushan Dao", "泗礁山", "ST-03", "ST-08", "SP-0033", "P-01", "金塘", "桃花岛", "大长涂山",
          "花鸟岛", "122.106,30.0405", "122.38,29.93", "122.5,30.3", "122.45,29.8"]
VESSELS = ["workboat", "fast", "ferry"]


@pytest.fixture(scope="module")
def land_m(arch):
    g = shapely.union_all(arch.islands.to_crs(METRIC_CRS).geometry.values)
    shapely.prepare(g)
    return g


def _ends(router, a, b, vessel):
    pa, pb = resolve_place(router, a, vessel), resolve_place(router, b, vessel)
    return (pa.lon, pa.lat), (pb.lon, pb.lat)


def _usable(router, place, vessel):
    try:
        resolve_place(router, place, vessel)
    except PointAtSea:
        return False
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.sampled_from(PLACES), b=st.sampled_from(PLACES), vessel=st.sampled_from(VESSELS), wind=st.integers(0, 7))
def test_route_is_never_shorter_than_the_great_circle_and_sums_its_legs(router, a, b, vessel, wind):
    if a == b or not (_usable(router, a, vessel) and _usable(router, b, vessel)):
        return
    r = router.route(a, b, vessel, Weather.uniform(wind))
    if r.status != "ok":
        return
    (x0, y0), (x1, y1) = _ends(router, a, b, vessel)
    crow_km = GEOD.inv(x0, y0, x1, y1)[2] / 1000
    assert r.length_km >= crow_km - 1e-6
    assert r.to_dict()["length_km"] == pytest.approx(sum(leg.length_km for leg in r.legs), abs=0.002)
    assert r.eta_min == pytest.approx(sum(leg.minutes for leg in r.legs), rel=1e-6, abs=1e-6)
    # every leg is a real metric length: its geometry, measured on the ellipsoid, is as long
    for leg in r.legs:
        if leg.mode in ("sea", "ferry"):
            lon, lat = np.array(leg.coordinates).T
            geodesic = GEOD.line_length(lon, lat) / 1000
            assert leg.length_km == pytest.approx(geodesic, rel=0.01, abs=0.05)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.sampled_from(PLACES), b=st.sampled_from(PLACES), vessel=st.sampled_from(VESSELS), wind=st.integers(0, 6))
def test_a_to_b_is_as_long_as_b_to_a(router, a, b, vessel, wind):
    if a == b or not (_usable(router, a, vessel) and _usable(router, b, vessel)):
        return
    there = router.route(a, b, vessel, Weather.uniform(wind))
    back = router.route(b, a, vessel, Weather.uniform(wind))
    assert there.status == back.status
    if there.status == "ok":
        assert there.length_km == pytest.approx(back.length_km, rel=0.01)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.sampled_from(PLACES), b=st.sampled_from(PLACES), vessel=st.sampled_from(VESSELS), wind=st.integers(0, 10))
def test_raising_the_wind_never_shortens_an_eta(router, a, b, vessel, wind):
    if a == b or not (_usable(router, a, vessel) and _usable(router, b, vessel)):
        return
    lo = router.route(a, b, vessel, Weather.uniform(wind))
    hi = router.route(a, b, vessel, Weather.uniform(wind + 1))
    if lo.status == "unreachable":
        assert hi.status == "unreachable"
    elif hi.status == "ok":
        assert hi.eta_min >= lo.eta_min - 1e-9


def _bfs_reaches(router, vessel, weather, src, dst):
    """Plain breadth-first search over the open network edges (no scipy, no weights)."""
    ok = router.open_edges(vessel, weather)
    u, v = router.net.edge_u[ok], router.net.edge_v[ok]
    adj: dict[int, list[int]] = {}
    for a, b in zip(u.tolist(), v.tolist()):
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    seen, todo = {src}, deque([src])
    while todo:
        x = todo.popleft()
        if x == dst:
            return True
        for y in adj.get(x, ()):
            if y not in seen:
                seen.add(y)
                todo.append(y)
    return False


NODE_PLACES = ["蚂蚁岛", "东福山岛", "泗礁山", "ST-03", "ST-01", "P-01", "金塘岛", "花鸟岛", "滩浒岛", "衢山岛"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.sampled_from(NODE_PLACES), b=st.sampled_from(NODE_PLACES), vessel=st.sampled_from(VESSELS),
       wind=st.integers(5, 10))
def test_unreachable_means_no_open_path_exists(router, a, b, vessel, wind):
    if a == b:
        return
    weather = Weather.uniform(wind)
    r = router.route(a, b, vessel, weather)
    na, nb = resolve_place(router, a, vessel).node, resolve_place(router, b, vessel).node
    assert (r.status == "ok") == _bfs_reaches(router, vessel, weather, na, nb)
    if r.status == "unreachable":
        assert r.closed, "an unreachable route names the closed links"


def test_sea_and_ferry_legs_never_cross_land(router, land_m):
    """Inner segments of sea and ferry legs (launch and landing ends excluded) miss every island."""
    checked = 0
    for a, b, vessel in [("ST-03", "东福山岛", "ferry"), ("ST-01", "泗礁山", "ferry"), ("P-01", "P-02", "ferry"),
                         ("ST-08", "花鸟岛", "workboat"), ("ST-01", "122.5,30.3", "fast")]:
        r = router.route(a, b, vessel, Weather.uniform(2))
        assert r.status == "ok"
        for leg in r.legs:
            if leg.mode not in ("sea", "ferry") or len(leg.coordinates) < 5:
                continue
            x, y = TO_M.transform(*np.array(leg.coordinates[2:-2]).T)
            assert not land_m.intersects(shapely.LineString(np.column_stack([x, y]))), (a, b, leg.via)
            checked += 1
    assert checked >= 5


def test_a_point_on_an_island_is_joined_to_it(router, arch):
    # 122.106 E 30.0405 N lies in 定海 town on Zhoushan Island (Dinghai part)
    p = resolve_place(router, "122.106,30.0405", "workboat")
    assert p.kind == "point" and p.island_id == arch.island("舟山岛(定海部分)").id
    r = router.route("122.106,30.0405", "ST-01", "workboat", Weather.uniform(0))
    assert r.status == "ok" and {leg.mode for leg in r.legs} == {"road"}


def test_a_point_at_sea_is_reached_by_boat_only(router):
    r = router.route("ST-03", "122.5,30.3", "workboat", Weather.uniform(0))
    assert r.status == "ok" and r.legs[-1].mode == "sea"
    assert r.legs[-1].coordinates[-1] == pytest.approx([122.5, 30.3], abs=1e-6)
    with pytest.raises(PointAtSea, match="only stop at piers"):
        router.route("ST-03", "122.5,30.3", "ferry", Weather.uniform(0))


@pytest.mark.parametrize("a, b", [("122.5,30.3", "122.51,30.31"), ("122.32375,29.942", "P-03"),
                                  ("122.9,30.0", "122.92,30.01")])
def test_nearby_places_at_sea_are_joined_nearly_straight(router, a, b):
    r = router.route(a, b, "workboat", Weather.uniform(0))
    (x0, y0), (x1, y1) = _ends(router, a, b, "workboat")
    crow_km = GEOD.inv(x0, y0, x1, y1)[2] / 1000
    assert r.status == "ok" and crow_km - 1e-6 <= r.length_km <= 1.2 * crow_km + 0.3  # 0.3 km: a pier's landing


def test_the_same_point_at_sea_twice_is_no_journey(router):
    r = router.route("122.5,30.3", "122.50,30.30", "workboat", Weather.uniform(0))
    assert r.status == "ok" and r.length_km < 0.001 and r.eta_min < 0.01


def test_a_point_on_the_mainland_is_refused(router):
    with pytest.raises(OutsideArchipelago, match="on land outside the model"):
        router.route("121.85,29.93", "ST-01", "workboat", Weather.uniform(0))  # 北仑, Ningbo


def test_a_pier_to_pier_sailing_is_one_ferry_leg(router, arch):
    r = router.route("P-01", "P-02", "ferry", Weather.uniform(0))
    ferry = [leg for leg in r.legs if leg.mode == "ferry"]
    assert len(ferry) == 1 and ferry[0].via.split()[0] in arch.ferries.index


@pytest.mark.parametrize("ref, error, words", [
    ("无名岛", UnknownIsland, "no island named"),
    ("P-99", UnknownPlace, "no station, service point or pier 'P-99'"),
    ("124.5,30.0", OutsideArchipelago, "outside the archipelago"),
    ("123.28,30.98", PointAtSea, "7.7 km from the nearest sea lane"),
])
def test_bad_places_name_the_problem(router, ref, error, words):
    with pytest.raises(error, match=words):
        router.route("ST-03", ref, "workboat", Weather.uniform(0))


def test_unknown_vessel_class_is_refused(router):
    with pytest.raises(ConfigError, match="workboat, fast, ferry"):
        router.route("ST-03", "蚂蚁岛", "hovercraft", Weather.uniform(0))
    with pytest.raises(WeatherError):
        Weather.uniform(40)


@pytest.mark.parametrize("argv, words", [
    (["route", "ST-03", "无名岛"], "no island named '无名岛'"),
    (["route", "ST-03", "123.28,30.98"], "at sea, 7.7 km from the nearest sea lane"),
    (["route", "ST-03", "蚂蚁岛", "--vessel", "hovercraft"], "invalid choice: 'hovercraft'"),
    (["route", "ST-03", "蚂蚁岛", "--wind", "40"], "wind force 40 is out of range"),
    (["links", "--wind", "40"], "wind force 40 is out of range"),
    (["links", "--vessel", "ferry"], "invalid choice: 'ferry'"),
])
def test_cli_errors_are_one_line_with_exit_2(argv, words, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err


def test_cli_route_json_has_the_documented_keys(capsys):
    assert main(["route", "沈家门", "东福山", "--vessel", "ferry", "--json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert {"status", "eta_min", "length_km", "legs"} <= set(out)
    assert out["status"] == "ok" and [leg["mode"] for leg in out["legs"]].count("ferry") == 2
    assert out["length_km"] == pytest.approx(sum(leg["length_km"] for leg in out["legs"]), abs=0.002)
