"""A team leaves its island from a landing: no sea leg starts or ends inland."""
from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from islandcover.travel.weather import Weather

CALM = Weather.uniform(0)


@pytest.fixture(scope="module")
def islands_m(arch) -> gpd.GeoSeries:
    return arch.islands.geometry.to_crs("EPSG:32651")


def _inland_m(islands_m: gpd.GeoSeries, lon: float, lat: float) -> float:
    """How far inside an island (metres from its shore) a point lies; 0 at sea or on the shore."""
    p = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs("EPSG:32651").iloc[0]
    inside = islands_m[islands_m.contains(p)]
    return float(inside.exterior.distance(p).max()) if len(inside) else 0.0


def test_caiyuan_fast_boat_drives_to_a_pier_before_going_to_sea(router, islands_m):
    # the case: the 菜园 station (inland on 泗礁) to 嵊山 by fast boat
    route = router.route("ST-11", "嵊山岛", "fast", CALM)
    assert route.status == "ok"
    first_sea = next(i for i, leg in enumerate(route.legs) if leg.mode == "sea")
    assert all(leg.mode == "road" for leg in route.legs[:first_sea])
    lon, lat = route.legs[first_sea].coordinates[0]
    assert _inland_m(islands_m, lon, lat) < 100.0


@pytest.mark.parametrize("station", ["ST-01", "ST-03", "ST-08", "ST-09", "ST-11"])
def test_every_sea_leg_starts_and_ends_at_the_water(router, islands_m, station):
    for target in ("枸杞岛", "庙子湖岛", "滩浒岛"):
        route = router.route(station, target, "workboat", CALM)
        for leg in route.legs:
            if leg.mode == "sea":
                for lon, lat in (leg.coordinates[0], leg.coordinates[-1]):
                    assert _inland_m(islands_m, lon, lat) < 100.0, (station, target, leg)


def test_a_station_on_an_island_with_piers_launches_from_one(arch, net):
    """The sea side of each station's launch is the sea side of a pier of its island."""
    import numpy as np

    emb = np.flatnonzero(net.edge_mode == "embark")
    sea_side = {int(u): (float(net.node_x[v]), float(net.node_y[v])) for u, v in zip(net.edge_u[emb], net.edge_v[emb])}
    piers_of = arch.piers.groupby("island_id").groups
    checked = 0
    for sid, row in arch.stations.iterrows():
        piers = piers_of.get(row.island_id)
        if piers is None:
            continue
        spots = [sea_side[net.pier_node[p]] for p in piers]
        assert any(np.allclose(sea_side[net.station_node[sid]], s) for s in spots), sid
        checked += 1
    assert checked >= 20
