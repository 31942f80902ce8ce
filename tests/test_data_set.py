"""The shipped data set against independent published figures."""
from __future__ import annotations

import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point

from islandcover.facts import DISTRICTS

# Published land areas (km²) quoted in issue 2 from public sources (chronicles, encyclopedias).
PUBLISHED_AREAS = {
    "舟山岛": 502.0,  # whole island = Dinghai part + Putuo part
    "岱山岛": 105.0,
    "六横岛": 93.0,
    "金塘岛": 77.0,
    "朱家尖岛": 62.0,
    "衢山岛": 56.0,
    "桃花岛": 41.0,
    "泗礁山": 21.0,
}


def _area(arch, name: str) -> float:
    if name == "舟山岛":
        return arch.island("ZS-0001").area_km2 + arch.island("舟山岛(普陀部分)").area_km2
    return arch.island(name).area_km2


@pytest.mark.parametrize("name", [n for n in PUBLISHED_AREAS if n != "泗礁山"])
def test_large_island_areas_agree_with_published_within_12_percent(arch, name):
    assert _area(arch, name) == pytest.approx(PUBLISHED_AREAS[name], rel=0.12)


def test_sijiao_area_is_within_25_percent(arch):
    """GSHHG's 泗礁山 polygon is ~20% larger than the published 21 km².

    GSHHG (full resolution) draws 泗礁 with the reclaimed flats and the seawall-joined islets of
    its north coast (the catalogue points 泗礁山北大岛/北上岛/北下岛 lie on the polygon), which the
    published land area excludes. Checked here at 25%, the data set's match tolerance.
    """
    assert _area(arch, "泗礁山") == pytest.approx(PUBLISHED_AREAS["泗礁山"], rel=0.25)


def test_area_matches_a_geodesic_second_method(arch):
    """area_km2 (UTM 51N) equals the ellipsoidal area computed by pyproj.Geod within 0.2%."""
    geod = Geod(ellps="WGS84")
    for name in ("蚂蚁岛", "金塘岛", "枸杞岛"):
        isl = arch.island(name)
        geom = arch.islands.loc[isl.id, "geometry"]
        geodesic = abs(geod.geometry_area_perimeter(geom)[0]) / 1e6
        assert isl.area_km2 == pytest.approx(geodesic, rel=0.002)


def test_official_points_fall_on_their_islands(arch):
    """Points of the 2018 national catalogue (0.1′ precision) lie on the named polygon."""
    official = {  # name: (lon, lat) from 《我国部分海域海岛标准名称》 2018
        "蚂蚁岛": (122 + 15.5 / 60, 29 + 52.3 / 60),
        "金塘岛": (121 + 52.7 / 60, 30 + 1.6 / 60),
        "桃花岛": (122 + 16.4 / 60, 29 + 49.0 / 60),
        "枸杞岛": (122 + 46.4 / 60, 30 + 43.0 / 60),
        "长白岛": (122 + 2.1 / 60, 30 + 11.0 / 60),
    }
    for name, (lon, lat) in official.items():
        assert arch.island_at(lon, lat).name_zh == name


def test_districts_of_known_islands(arch):
    expected = {"金塘岛": "定海区", "六横岛": "普陀区", "普陀山岛": "普陀区", "岱山岛": "岱山县",
                "衢山岛": "岱山县", "枸杞岛": "嵊泗县", "泗礁山": "嵊泗县", "长白岛": "定海区"}
    for name, district in expected.items():
        assert arch.island(name).district == district


def test_ningbo_islands_are_not_in_the_model(arch):
    """大榭岛 (Daxie, 121.96E 29.92N) and 梅山岛 (Meishan, 122.00E 29.80N) belong to Ningbo."""
    assert arch.island_at(121.96, 29.92) is None
    assert arch.island_at(122.00, 29.80) is None


def test_every_powered_island_has_both_names_and_a_district(arch):
    powered = arch.powered
    assert len(powered) > 40
    assert powered.name_zh.notna().all() and (powered.name_zh != "").all()
    assert powered.name_en.notna().all() and (powered.name_en != "").all()
    assert powered.district.isin(DISTRICTS).all()


def test_ids_are_stable_format_and_unique(arch):
    ids = arch.islands.id
    assert ids.is_unique
    assert ids.str.fullmatch(r"ZS-\d{4}").all()
    # ids follow decreasing area: the largest unit is the Dinghai part of Zhoushan Island
    assert arch.island("ZS-0001").name_zh == "舟山岛(定海部分)"


def test_gazetteer_rows_carry_sources(arch):
    gaz = pd.read_csv(arch.source / "gazetteer.csv", keep_default_na=False)
    assert (gaz.loc[gaz.population != "", "pop_source"] != "").all()
    assert (gaz.loc[gaz.published_area_km2 != "", "area_source"] != "").all()
    assert (gaz.loc[gaz.lon != "", "coord_source"] != "").all()


def test_population_is_never_invented(arch):
    """Every island population equals its gazetteer row's published figure (or is null)."""
    gaz = pd.read_csv(arch.source / "gazetteer.csv", keep_default_na=False).set_index("name_zh")
    for _, row in arch.powered.iterrows():
        published = gaz.loc[row.name_zh, "population"]
        if published == "":
            assert pd.isna(row.population)
        else:
            assert int(published) == row.population


def test_stations_and_teams_are_labelled_illustrative(arch):
    assert arch.stations.illustrative.all()
    assert arch.teams.illustrative.all()
    assert len(arch.light_stations) == 12
    assert "ZS-0044" == arch.island("蚂蚁岛").id
    assert (arch.light_stations.island_id == arch.island("蚂蚁岛").id).sum() == 1
    served = set(arch.stations[arch.stations.kind == "service_point"].island_id)
    assert served == set(arch.powered.index)


def test_point_on_open_water_is_not_an_island(arch):
    assert arch.island_at(122.8, 30.0) is None
    assert arch.island_at(122.8, 30.0, max_offshore_m=1.0) is None
    assert isinstance(Point(0, 0), Point)
