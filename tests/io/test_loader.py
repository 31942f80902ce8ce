"""Loading the operator's own stations and teams: every bad input names file, row and field."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islandcover import Archipelago
from islandcover.errors import DataError, IslandcoverError, UnknownCRS, UnknownIsland
from islandcover.io.coordinates import to_wgs84, wgs84_to_gcj02

# 蚂蚁岛's official point (2018 catalogue) and a point in Dinghai town
MAYI = (122.25833, 29.87167)
DINGHAI = (122.106, 30.02)


def _csv(tmp_path, body: str, name: str = "stations.csv"):
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


def _load(arch, stations, **kw):
    teams = stations.parent / "teams.csv"
    if not teams.exists():
        teams.write_text("id,station_id,boat_class,head_count\nT1,A,fast,4\n", encoding="utf-8")
    return Archipelago.load(arch.source, stations=stations, teams=teams, **kw)


def test_valid_csv_loads_and_places_station_on_its_island(arch, tmp_path):
    p = _csv(tmp_path, f"id,name_zh,lon,lat\nA,蚂蚁站,{MAYI[0]},{MAYI[1]}\nB,定海站,{DINGHAI[0]},{DINGHAI[1]}\n")
    a = _load(arch, p)
    assert a.station("A").island_id == arch.island("蚂蚁岛").id
    assert a.station("B").island_id == "ZS-0001"


@pytest.mark.parametrize(
    "body, row, field, words",
    [
        ("id,name_zh,lon,lat\nA,,122.25833,29.87167\n", 1, "name_zh", "missing name_zh"),
        ("id,name_zh,lon,lat\nA,x,122.25833,29.87167\nA,y,122.106,30.02\n", 2, "id", "duplicate id 'A'"),
        ("id,name_zh,lon,lat\nA,x,116.4,39.9\n", 1, "lon/lat", "outside the archipelago"),
        ("id,name_zh,lon,lat\nA,x,29.87167,122.25833\n", 1, "lon/lat", "lon/lat order"),
        ("id,name_zh,lon,lat\nA,x,122.80,30.00\n", 1, "lon/lat", "open water"),
        ("id,name_zh,lon,lat\nA,x,abc,29.87\n", 1, "lon", "not a number"),
        ("id,name_zh,lat\nA,x,29.87\n", None, "lon", "missing column"),
        ("id,name_zh,lon,lat,kind\nA,x,122.25833,29.87167,depot\n", 1, "kind", "unknown kind"),
    ],
)
def test_bad_station_rows_are_rejected_with_file_row_and_field(arch, tmp_path, body, row, field, words):
    p = _csv(tmp_path, body)
    with pytest.raises(DataError) as err:
        _load(arch, p)
    assert err.value.row == row
    assert err.value.field == field
    assert words in str(err.value)
    assert str(err.value).startswith("stations.csv")
    assert isinstance(err.value, ValueError)


def test_unknown_crs_is_rejected(arch, tmp_path):
    p = _csv(tmp_path, f"id,name_zh,lon,lat\nA,x,{MAYI[0]},{MAYI[1]}\n")
    with pytest.raises(UnknownCRS, match="EPSG:99999"):
        _load(arch, p, crs="EPSG:99999")


def test_geojson_with_unknown_crs_member_is_rejected(arch, tmp_path):
    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:bogus:crs"}},
           "features": [{"type": "Feature", "properties": {"id": "A", "name_zh": "x"},
                         "geometry": {"type": "Point", "coordinates": list(MAYI)}}]}
    p = tmp_path / "s.geojson"
    p.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(UnknownCRS, match="bogus"):
        _load(arch, p)


def test_malformed_geojson_is_rejected(arch, tmp_path):
    p = tmp_path / "s.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(DataError, match="s.geojson: malformed GeoJSON"):
        _load(arch, p)


def test_geojson_line_instead_of_point_names_the_feature(arch, tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "A", "name_zh": "x"},
         "geometry": {"type": "LineString", "coordinates": [list(MAYI), list(DINGHAI)]}}]}
    p = tmp_path / "s.geojson"
    p.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError) as err:
        _load(arch, p)
    assert err.value.row == 1 and err.value.field == "geometry"


def test_geopackage_in_cgcs2000_loads(arch, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame({"id": ["A"], "name_zh": ["蚂蚁站"]}, geometry=[Point(*MAYI)], crs="EPSG:4490")
    p = tmp_path / "s.gpkg"
    gdf.to_file(p, driver="GPKG")
    a = _load(arch, p)
    assert a.station("A").island_id == arch.island("蚂蚁岛").id
    assert a.station("A").lon == pytest.approx(MAYI[0], abs=1e-6)


def test_gcj02_input_is_shifted_back_to_wgs84(arch, tmp_path):
    """A station copied from AMap (GCJ-02) lands on the same WGS84 point."""
    glon, glat = wgs84_to_gcj02([MAYI[0]], [MAYI[1]])
    p = _csv(tmp_path, f"id,name_zh,lon,lat\nA,x,{glon[0]},{glat[0]}\n")
    a = _load(arch, p, crs="GCJ-02")
    assert a.station("A").lon == pytest.approx(MAYI[0], abs=1e-6)
    assert a.station("A").lat == pytest.approx(MAYI[1], abs=1e-6)


def test_gcj02_matches_amap_published_conversion():
    """AMap's convert API maps WGS84 (116.481499, 39.990475) to GCJ-02 (116.487586, 39.991754)
    (the example printed in the MapCoords package's documentation)."""
    lon, lat = wgs84_to_gcj02([116.481499], [39.990475])
    assert lon[0] == pytest.approx(116.487586, abs=2e-6)
    assert lat[0] == pytest.approx(39.991754, abs=2e-6)
    back = to_wgs84([116.487586], [39.991754], "GCJ-02")
    assert back[0][0] == pytest.approx(116.481499, abs=2e-6)


@settings(max_examples=50, deadline=None)
@given(lon=st.floats(121.3, 123.3), lat=st.floats(29.3, 31.0))
def test_gcj02_offset_in_zhoushan_is_a_few_hundred_metres_and_invertible(lon, lat):
    glon, glat = wgs84_to_gcj02([lon], [lat])
    # the GCJ-02 shift in this region is ~300–700 m
    assert 0.001 < abs(glon[0] - lon) + abs(glat[0] - lat) < 0.012
    blon, blat = to_wgs84(glon, glat, "GCJ-02")
    assert blon[0] == pytest.approx(lon, abs=1e-6) and blat[0] == pytest.approx(lat, abs=1e-6)


@pytest.mark.parametrize(
    "body, field, words",
    [
        ("id,station_id,boat_class,head_count\nT1,ST-99,fast,4\n", "station_id", "unknown station 'ST-99'"),
        ("id,station_id,boat_class,head_count\nT1,ST-01,hovercraft,4\n", "boat_class", "unknown boat class"),
        ("id,station_id,boat_class,head_count\nT1,ST-01,fast,-2\n", "head_count", "positive whole number"),
        ("id,station_id,boat_class,head_count\nT1,ST-01,fast,4\nT1,ST-02,fast,4\n", "id", "duplicate id"),
    ],
)
def test_bad_team_rows_are_rejected(arch, tmp_path, body, field, words):
    p = _csv(tmp_path, body, name="teams.csv")
    with pytest.raises(DataError) as err:
        Archipelago.load(arch.source, teams=p)
    assert err.value.field == field and words in str(err.value)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_powered_island_is_found_by_id_chinese_name_and_pinyin(arch, data):
    iid = data.draw(st.sampled_from(sorted(arch.powered.index)))
    isl = arch.island(iid)
    assert arch.island(isl.id.lower()).id == iid
    if not isl.name_zh.startswith("舟山岛"):
        assert arch.island(isl.name_zh).id == iid
        assert arch.island(isl.name_en.upper()).id == iid
        if isl.name_zh[-1] in "岛山" and len(isl.name_zh) > 2:
            assert arch.island(isl.name_zh[:-1]).id == iid


def test_unknown_island_suggests_a_close_name(arch):
    with pytest.raises(UnknownIsland, match="did you mean"):
        arch.island("蚂蚁岛屿")
    with pytest.raises(IslandcoverError, match="no island named 'Atlantis'"):
        arch.island("Atlantis")
