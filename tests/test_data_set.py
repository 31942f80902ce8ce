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


def test_published_population_is_kept_beside_the_2020_figure(arch):
    """Each island keeps its gazetteer row's published figure; the 2020 figure never exceeds it."""
    gaz = pd.read_csv(arch.source / "gazetteer.csv", keep_default_na=False).set_index("name_zh")
    for _, row in arch.powered.iterrows():
        published = gaz.loc[row.name_zh, "population"]
        if published == "":
            assert pd.isna(row.population_published)
        else:
            assert int(published) == row.population_published
        if gaz.loc[row.name_zh, "people_basis"] != "remainder" and published != "":
            assert row.population <= int(published)


# The 2020 census (七普, usual residents) by district, from the district bulletins
# (普陀区: https://tjgb.hongheiku.com/14315.html; 嵊泗县: https://tjgb.hongheiku.com/10540.html) and
# the city bulletin (1,157,817, which these four add up to).
CENSUS_2020 = {"定海区": 500_030, "普陀区": 382_902, "岱山县": 207_982, "嵊泗县": 66_903}


def test_people_add_up_to_the_2020_census(arch):
    """Islands with a figure plus the inhabited islands not yet placed equal each district's census."""
    from islandcover.io.census import people_2020, read_census

    gaz = pd.read_csv(arch.source / "gazetteer.csv", keep_default_na=False, na_values=[""])
    carried = people_2020(gaz, read_census(arch.source / "census.csv"))
    placed = set(arch.islands.name_zh.dropna())
    for district, total in CENSUS_2020.items():
        on_map = arch.islands[arch.islands.district == district].population.fillna(0).sum()
        unplaced = carried.people[(gaz.district == district) & ~gaz.name_zh.isin(placed)].fillna(0).sum()
        assert on_map + unplaced == total
    powered = arch.powered.population.fillna(0).sum()
    assert abs(powered - 1_157_817) / 1_157_817 < 0.15


def test_people_of_a_sample_agree_with_second_sources(arch):
    """The 2020 figures against sources the rule did not use (tolerances for the years between)."""
    # 舟山岛 (定海部分): 407,421 in the 2010 census (定海区志 p.1620) grown with the district
    # (464,184 -> 500,030, 2010 and 2020 census): about 438,900.
    assert arch.island("舟山岛(定海部分)").population == pytest.approx(407_421 * 500_030 / 464_184, rel=0.05)
    # 岱山岛: 高亭 114,559 + 东沙 12,305 + 岱西 9,607 + 岱东 8,142 (the four towns on the island,
    # 2020 census; 东沙 also printed alone as 12,305 "截止2020年", http://myygl.org/myygl/4884532496353209360.html),
    # of which a few thousand live on 高亭's small islands.
    assert arch.island("岱山岛").population == pytest.approx(114_559 + 12_305 + 9_607 + 8_142, rel=0.05)
    # 普陀山: 9,530 in the 2000 census (普陀山镇, harrysworldatlas copy of the 五普 table).
    assert arch.island("普陀山岛").population == pytest.approx(9_530, rel=0.15)
    # industrial islands have no residents
    assert arch.island("鼠浪湖岛").population == 0
    assert arch.island("大鱼山岛").population == 0


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
