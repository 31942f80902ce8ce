"""The organisational layers: supply stations (站所), demonstration posts and responsibility zones,
read from the shipped folder and from operators' files, with errors naming the row and the field."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from islandcover.errors import DataError, UnknownCRS
from islandcover.io.coordinates import wgs84_to_gcj02
from islandcover.io.organisation import (
    SUPPLY_STATION_COLUMNS,
    load_organisation,
    read_demo_posts,
    read_supply_stations,
    read_zones,
)

# 庙子湖岛 (东极), 六横岛 and 嵊山岛: the islands' representative points as shipped (WGS84)
MIAOZIHU = ("ZS-0037", 122.68186, 30.19789)
LIUHENG = ("ZS-0003", 122.13477, 29.72457)
SHENGSHAN = ("ZS-0025", 122.81866, 30.71852)


@pytest.fixture(scope="module")
def resolve(arch):
    return lambda ref: arch.island(ref).id


def station_rows(**override: object) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"id": "A-1", "name_zh": "东极供电服务站", "name_en": "Dongji", "district": "普陀区", "island": "庙子湖岛",
         "lon": MIAOZIHU[1], "lat": MIAOZIHU[2], "position_source": "placed at the seat", "contact": "95598",
         "source_url": "https://example.org/a", "source_quote": "东极供电服务站", "confidence": "M",
         "illustrative": "false", "notes": ""},
        {"id": "A-2", "name_zh": "六横", "name_en": "", "district": "", "island": "",
         "lon": LIUHENG[1], "lat": LIUHENG[2], "position_source": "", "contact": "", "source_url": "",
         "source_quote": "", "confidence": "", "illustrative": "true", "notes": ""},
    ]
    for key, value in override.items():
        row, field = key.split("__")
        rows[int(row)][field] = value
    return rows


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


class TestShippedData:
    def test_the_sourced_station_is_dongji_on_miaozihu(self, arch):
        org = load_organisation(arch.source, arch.islands, resolve=lambda ref: arch.island(ref).id)
        st = org.supply_stations
        sourced = st[~st.illustrative]
        assert list(sourced.index) == ["SS-01"]
        assert sourced.at["SS-01", "island_id"] == "ZS-0037"
        assert sourced.at["SS-01", "confidence"] in ("H", "M", "L")
        assert all(u.startswith("http") for u in sourced.at["SS-01", "source_url"].split(" | "))
        assert "not a published position" in sourced.at["SS-01", "position_source"]

    def test_no_phone_number_is_invented(self, arch):
        st = load_organisation(arch.source, arch.islands).supply_stations
        assert set(st.contact) <= {"", "95598"}

    def test_illustrative_rows_say_so_and_carry_no_grade(self, arch):
        st = load_organisation(arch.source, arch.islands).supply_stations
        ill = st[st.illustrative]
        assert len(ill) == 19
        assert (ill.confidence == "").all()
        assert ill.position_source.str.startswith("illustrative").all()
        assert ill.name_zh.str.contains("示意").all()

    def test_no_zones_file_is_shipped_and_no_post_is_sourced(self, arch):
        org = load_organisation(arch.source, arch.islands)
        assert org.zones is None
        assert len(org.demo_posts) == 0


class TestSyntheticRoundTrip:
    def test_csv_round_trip(self, arch, tmp_path):
        path = write_csv(tmp_path / "st.csv", station_rows())
        st = read_supply_stations(path, arch.islands)
        assert list(st.index) == ["A-1", "A-2"]
        assert list(st.island_id) == [MIAOZIHU[0], LIUHENG[0]]  # A-2 placed by its coordinates
        assert list(st.district) == ["普陀区", "普陀区"]  # filled from the island
        assert list(st.illustrative) == [False, True]
        assert st.at["A-1", "lon"] == pytest.approx(MIAOZIHU[1])
        assert set(SUPPLY_STATION_COLUMNS) <= set(st.columns)

    def test_geojson_round_trip(self, arch, tmp_path):
        feats = [{"type": "Feature", "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")},
                  "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}} for r in station_rows()]
        path = tmp_path / "st.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False),
                        encoding="utf-8")
        st = read_supply_stations(path, arch.islands)
        assert list(st.island_id) == [MIAOZIHU[0], LIUHENG[0]]
        assert st.at["A-2", "lat"] == pytest.approx(LIUHENG[2])

    def test_gcj02_coordinates_are_converted_to_wgs84(self, arch, tmp_path):
        glon, glat = wgs84_to_gcj02([MIAOZIHU[1]], [MIAOZIHU[2]])
        assert abs(glon[0] - MIAOZIHU[1]) > 1e-3  # the shift is real (hundreds of metres)
        path = write_csv(tmp_path / "gcj.csv", station_rows(**{"0__lon": glon[0], "0__lat": glat[0]})[:1])
        st = read_supply_stations(path, arch.islands, crs="GCJ-02")
        assert st.at["A-1", "lon"] == pytest.approx(MIAOZIHU[1], abs=1e-6)
        assert st.at["A-1", "lat"] == pytest.approx(MIAOZIHU[2], abs=1e-6)

    def test_island_by_any_name_with_the_archipelago_resolver(self, arch, resolve, tmp_path):
        path = write_csv(tmp_path / "st.csv", station_rows(**{"0__island": "东极镇"}))  # a town: its seat
        assert read_supply_stations(path, arch.islands, resolve=resolve).at["A-1", "island_id"] == MIAOZIHU[0]

    def test_demo_posts_belong_to_a_station(self, arch, tmp_path):
        posts = [{"id": "P-1", "name_zh": "海岛示范岗", "kind": "示范岗", "station_id": "A-1", "island": "庙子湖岛",
                  "lon": MIAOZIHU[1], "lat": MIAOZIHU[2], "illustrative": "true"}]
        out = read_demo_posts(write_csv(tmp_path / "p.csv", posts), arch.islands, stations=["A-1"])
        assert out.at["P-1", "station_id"] == "A-1"
        assert out.at["P-1", "island_id"] == MIAOZIHU[0]


class TestErrorsWarnings:
    @pytest.mark.parametrize(("override", "row", "field", "words"), [
        ({"1__name_zh": ""}, 2, "name_zh", "missing name_zh"),
        ({"1__id": "A-1"}, 2, "id", "duplicate id"),
        ({"0__island": "不存在岛"}, 1, "island", "no island named"),
        ({"0__island": "六横岛"}, 1, "lon/lat", "km from its island"),
        ({"0__district": "岱山县"}, 1, "district", "not that of its island"),
        ({"0__district": "Putuo"}, 1, "district", "unknown district"),
        ({"1__confidence": "high"}, 2, "confidence", "use H, M or L"),
        ({"1__illustrative": "maybe"}, 2, "illustrative", "true or false"),
        ({"0__source_url": "example.org"}, 1, "source_url", "not an http(s) address"),
        ({"1__lon": 122.60, "1__lat": 30.10}, 2, "lon/lat", "open water"),
        ({"1__lon": "x"}, 2, "lon", "not a number"),
        ({"1__lon": 118.0}, 2, "lon/lat", "outside the archipelago"),
    ])
    def test_a_bad_row_is_named_with_its_field(self, arch, tmp_path, override, row, field, words):
        path = write_csv(tmp_path / "bad.csv", station_rows(**override))
        with pytest.raises(DataError) as info:
            read_supply_stations(path, arch.islands)
        assert (info.value.row, info.value.field) == (row, field)
        assert words in str(info.value)
        assert str(info.value).startswith(f"bad.csv, row {row}, field '{field}'")

    def test_a_post_of_an_unknown_station(self, arch, tmp_path):
        posts = [{"id": "P-1", "name_zh": "示范岗", "station_id": "SS-99", "island": "庙子湖岛",
                  "lon": MIAOZIHU[1], "lat": MIAOZIHU[2]}]
        with pytest.raises(DataError, match=r"row 1, field 'station_id': unknown station 'SS-99'"):
            read_demo_posts(write_csv(tmp_path / "p.csv", posts), arch.islands, stations=["A-1"])

    def test_an_unknown_crs(self, arch, tmp_path):
        with pytest.raises(UnknownCRS):
            read_supply_stations(write_csv(tmp_path / "st.csv", station_rows()), arch.islands, crs="EPSG:99999999")


def box(lon: float, lat: float, r: float = 0.03) -> list[list[list[float]]]:
    return [[[lon - r, lat - r], [lon + r, lat - r], [lon + r, lat + r], [lon - r, lat + r], [lon - r, lat - r]]]


def polygons(path: Path, feats: list[tuple[object, list]], crs: str | None = None) -> Path:
    doc: dict[str, object] = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"zone": z}, "geometry": {"type": "Polygon", "coordinates": c}}
        for z, c in feats]}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


class TestZones:
    def test_island_to_zone_table(self, arch, resolve, tmp_path):
        path = tmp_path / "zones.csv"
        path.write_text("island,zone\n庙子湖岛,A-1\n六横岛,A-2\nZS-0025,A-1\n", encoding="utf-8")
        z = read_zones(path, arch.islands, ["A-1", "A-2"], resolve=resolve)
        assert z.assignment.to_dict() == {MIAOZIHU[0]: "A-1", LIUHENG[0]: "A-2", SHENGSHAN[0]: "A-1"}
        assert z.polygons.at["A-1", "islands"] == (SHENGSHAN[0], MIAOZIHU[0]) or \
            set(z.polygons.at["A-1", "islands"]) == {SHENGSHAN[0], MIAOZIHU[0]}
        assert z.source == "zones.csv"

    def test_the_coverage_column_name_station_is_accepted(self, arch, tmp_path):
        path = tmp_path / "zones.csv"
        path.write_text("island,station\n庙子湖岛,ST-03\n", encoding="utf-8")
        z = read_zones(path, arch.islands, arch.stations)
        assert z.assignment.to_dict() == {MIAOZIHU[0]: "ST-03"}

    @pytest.mark.parametrize(("body", "row", "field", "words"), [
        ("island,zone\n庙子湖岛,A-9\n", 1, "zone", "unknown station 'A-9'"),
        ("island,zone\n庙子湖岛,A-1\nZS-0037,A-2\n", 2, "island", "already in a zone at row 1"),
        ("island,zone\n不存在岛,A-1\n", 1, "island", "no island named"),
        ("island,zone\n庙子湖岛,\n", 1, "zone", "missing zone"),
        ("island,area\n庙子湖岛,A-1\n", None, "zone", "needs one of zone, station_id, station"),
    ])
    def test_a_bad_table_row_is_named(self, arch, tmp_path, body, row, field, words):
        path = tmp_path / "zones.csv"
        path.write_text(body, encoding="utf-8")
        with pytest.raises(DataError) as info:
            read_zones(path, arch.islands, ["A-1", "A-2"])
        assert (info.value.row, info.value.field) == (row, field)
        assert words in str(info.value)

    def test_polygons_assign_the_islands_inside(self, arch, tmp_path):
        path = polygons(tmp_path / "z.geojson", [("A-1", box(*MIAOZIHU[1:])), ("A-2", box(*LIUHENG[1:], 0.12))])
        z = read_zones(path, arch.islands, ["A-1", "A-2"])
        assert z.assignment[MIAOZIHU[0]] == "A-1"
        assert z.assignment[LIUHENG[0]] == "A-2"
        assert SHENGSHAN[0] not in z.assignment.index  # in no polygon: unassigned
        assert z.polygons.crs.to_epsg() == 4326

    def test_gcj02_polygons_are_converted(self, arch, tmp_path):
        # a small box around 庙子湖's point, written in GCJ-02: only after conversion does it hold the point
        ring = box(*MIAOZIHU[1:], 0.002)[0]
        glon, glat = wgs84_to_gcj02([p[0] for p in ring], [p[1] for p in ring])
        gcj = [[[float(x), float(y)] for x, y in zip(glon, glat)]]
        path = polygons(tmp_path / "z.geojson", [("A-1", gcj)])
        z = read_zones(path, arch.islands, ["A-1"], crs="GCJ-02")
        assert z.assignment.to_dict() == {MIAOZIHU[0]: "A-1"}
        unconverted = read_zones(path, arch.islands, ["A-1"])  # read as WGS84 it misses the point
        assert MIAOZIHU[0] not in unconverted.assignment.index

    def test_overlapping_zones_at_an_island_are_refused(self, arch, tmp_path):
        path = polygons(tmp_path / "z.geojson", [("A-1", box(*MIAOZIHU[1:])), ("A-2", box(*MIAOZIHU[1:], 0.05))])
        with pytest.raises(DataError, match=r"row 2, field 'geometry': island ZS-0037 .* zones must not overlap"):
            read_zones(path, arch.islands, ["A-1", "A-2"])

    def test_a_self_intersecting_polygon_is_refused(self, arch, tmp_path):
        x, y = MIAOZIHU[1:]
        bow = [[[x - 0.01, y - 0.01], [x + 0.01, y + 0.01], [x + 0.01, y - 0.01], [x - 0.01, y + 0.01],
                [x - 0.01, y - 0.01]]]
        path = polygons(tmp_path / "z.geojson", [("A-1", bow)])
        with pytest.raises(DataError, match=r"row 1, field 'geometry': the polygon is not valid"):
            read_zones(path, arch.islands, ["A-1"])

    def test_polygons_in_the_wrong_crs_are_refused(self, arch, tmp_path):
        path = polygons(tmp_path / "z.geojson", [("A-1", box(30.19789, 122.68186))])  # lat/lon swapped
        with pytest.raises(DataError, match=r"row 1, field 'geometry': .*outside the archipelago"):
            read_zones(path, arch.islands, ["A-1"])

    def test_a_folder_zones_file_is_loaded(self, arch, tmp_path):
        write_csv(tmp_path / "supply_stations.csv", station_rows())
        (tmp_path / "zones.csv").write_text("island,zone\n庙子湖岛,A-1\n嵊山岛,ST-03\n", encoding="utf-8")
        org = load_organisation(tmp_path, arch.islands, zone_stations=arch.stations.index)
        assert org.zones is not None
        assert org.zones.assignment.to_dict() == {MIAOZIHU[0]: "A-1", SHENGSHAN[0]: "ST-03"}

    def test_an_empty_folder_has_empty_layers(self, arch, tmp_path):
        org = load_organisation(tmp_path, arch.islands)
        assert len(org.supply_stations) == 0 and len(org.demo_posts) == 0 and org.zones is None
