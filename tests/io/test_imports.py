"""Importing the operator's own layers into a data overlay, the overlay itself, and checking a data set."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from islandcover import Archipelago, Config
from islandcover.config import DEFAULT_DATA_DIR
from islandcover.data_import import ISLANDS_OVERLAY, check_data, import_layer
from islandcover.errors import DataError, ImportRefused, IslandcoverError, UnknownCRS
from islandcover.io.coordinates import wgs84_to_gcj02

# 蚂蚁岛's official point (2018 catalogue) and a point in Dinghai town
MAYI = (122.25833, 29.87167)
DINGHAI = (122.106, 30.02)


def _write(path, body: str):
    path.write_text(body, encoding="utf-8")
    return path


def _gcj_stations(arch, path):
    st = arch.stations[["id", "name_zh", "name_en", "kind", "lon", "lat"]].copy()
    st["lon"], st["lat"] = wgs84_to_gcj02(st["lon"], st["lat"])
    st.to_csv(path, index=False)
    return path


class TestConfig:
    def test_the_default_overlay_is_in_the_state_folder_and_empty_at_first(self, tmp_path):
        cfg = Config.from_env({"ISLANDCOVER_STATE_DIR": str(tmp_path)})
        assert cfg.data_dir == tmp_path / "data" and cfg.default_overlay
        assert cfg.data_folder() is None  # not created yet: the shipped data alone

    def test_the_default_overlay_follows_the_state_folder(self, tmp_path):
        cfg = Config.from_env({"ISLANDCOVER_STATE_DIR": str(tmp_path)}).replace(state_dir=tmp_path / "b")
        assert cfg.data_dir == tmp_path / "b" / "data"

    def test_an_explicit_data_folder_that_is_missing_is_refused(self, tmp_path):
        cfg = Config.from_env({"ISLANDCOVER_DATA": str(tmp_path / "nope")})
        assert not cfg.default_overlay
        with pytest.raises(IslandcoverError, match="ISLANDCOVER_DATA=.*no such folder"):
            cfg.data_folder()

    def test_the_library_default_is_still_the_shipped_data(self):
        assert Archipelago.load().source == DEFAULT_DATA_DIR
        assert Archipelago.load().overlay is None


class TestOverlay:
    def test_an_empty_overlay_is_the_shipped_data(self, arch, tmp_path):
        a = Archipelago.load(tmp_path)
        assert a.overlay == tmp_path and a.source == DEFAULT_DATA_DIR
        assert len(a.stations) == len(arch.stations) and len(a.ferries) == len(arch.ferries)

    def test_a_file_in_the_overlay_replaces_the_shipped_one_and_only_that(self, arch, tmp_path):
        _write(tmp_path / "teams.csv", "id,station_id,boat_class,head_count\nT-X,ST-01,fast,3\n")
        a = Archipelago.load(tmp_path)
        assert list(a.teams.index) == ["T-X"]
        assert a.files["teams.csv"] == tmp_path / "teams.csv"
        assert a.files["stations.geojson"] == DEFAULT_DATA_DIR / "stations.geojson"
        assert len(a.piers) == len(arch.piers)

    def test_a_folder_not_created_yet_is_an_empty_overlay(self, arch, tmp_path):
        a = Archipelago.load(tmp_path / "not-yet")
        assert len(a.teams) == len(arch.teams) and a.files["teams.csv"] == DEFAULT_DATA_DIR / "teams.csv"


class TestStations:
    def test_gcj02_csv_is_converted_to_wgs84(self, arch, tmp_path):
        src = _gcj_stations(arch, tmp_path / "ops.csv")
        overlay = tmp_path / "overlay"
        result = import_layer("stations", src, overlay, crs="GCJ-02")
        assert result.target == overlay / "stations.geojson" and result.rows == len(arch.stations)
        assert result.crs == "GCJ-02"
        a = Archipelago.load(overlay)
        # the GCJ-02 file is ~0.0044° east of the truth here; the import undoes it
        shifted = pd.read_csv(src).set_index("id")
        assert (shifted["lon"] - arch.stations["lon"]).mean() == pytest.approx(0.0044, abs=0.0005)
        assert (a.stations["lon"] - arch.stations["lon"]).abs().max() < 1e-5
        assert (a.stations["lat"] - arch.stations["lat"]).abs().max() < 1e-5
        assert (a.stations["island_id"] == arch.stations["island_id"]).all()
        assert not a.stations["illustrative"].any()

    def test_a_geojson_in_cgcs2000_is_taken(self, arch, tmp_path):
        doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:4490"}},
               "features": [{"type": "Feature", "properties": {"id": "A", "name_zh": "蚂蚁站"},
                             "geometry": {"type": "Point", "coordinates": list(MAYI)}}]}
        src = _write(tmp_path / "ops.geojson", json.dumps(doc, ensure_ascii=False))
        import_layer("stations", src, tmp_path / "o")
        written = json.loads((tmp_path / "o" / "stations.geojson").read_text(encoding="utf-8"))
        assert written["features"][0]["properties"]["island_id"] == arch.island("蚂蚁岛").id

    @pytest.mark.parametrize("body, row, field, words", [
        ("id,name_zh,lon,lat\nA,x,122.25833,29.87167\nB,,122.106,30.02\n", 2, "name_zh", "missing name_zh"),
        ("id,name_zh,lon,lat\nA,x,122.25833,29.87167\nA,y,122.106,30.02\n", 2, "id", "duplicate id 'A'"),
        ("id,name_zh,lon,lat\nA,x,122.25833,29.87167\nB,y,122.80,30.00\n", 2, "lon/lat", "open water"),
        ("id,name_zh,lon,lat\nA,x,122.25833,north\n", 1, "lat", "not a number"),
    ])
    def test_a_bad_row_is_named_and_nothing_is_written(self, tmp_path, body, row, field, words):
        overlay = tmp_path / "o"
        with pytest.raises(DataError) as err:
            import_layer("stations", _write(tmp_path / "ops.csv", body), overlay)
        assert (err.value.row, err.value.field) == (row, field)
        assert str(err.value).startswith(f"ops.csv, row {row}, field '{field}'") and words in str(err.value)
        assert not (overlay / "stations.geojson").exists()

    def test_a_bad_file_leaves_the_previous_import_unchanged(self, tmp_path):
        overlay = tmp_path / "o"
        import_layer("stations", _write(tmp_path / "a.csv", f"id,name_zh,lon,lat\nA,x,{MAYI[0]},{MAYI[1]}\n"),
                     overlay)
        before = (overlay / "stations.geojson").read_bytes()
        with pytest.raises(DataError):
            import_layer("stations", _write(tmp_path / "b.csv", "id,name_zh,lon,lat\nB,y,116.4,39.9\n"), overlay)
        assert (overlay / "stations.geojson").read_bytes() == before
        assert [p.name for p in overlay.iterdir()] == ["stations.geojson"]  # no temporary file left

    def test_an_unknown_crs_is_refused(self, tmp_path):
        with pytest.raises(UnknownCRS, match="BD-09"):
            import_layer("stations", _write(tmp_path / "a.csv", "id,name_zh,lon,lat\nA,x,1,2\n"), tmp_path / "o",
                         crs="BD-09")

    def test_stations_that_orphan_the_teams_are_imported_with_a_warning(self, tmp_path):
        result = import_layer("stations", _write(tmp_path / "a.csv", f"id,name_zh,lon,lat\nA,x,{MAYI[0]},{MAYI[1]}\n"),
                              tmp_path / "o")
        assert len(result.warnings) == 1 and "import your teams next" in result.warnings[0]

    def test_the_shipped_data_set_is_never_written(self, tmp_path):
        with pytest.raises(ImportRefused, match="shipped data set"):
            import_layer("teams", _write(tmp_path / "t.csv", "id,station_id,boat_class,head_count\n"), DEFAULT_DATA_DIR)


class TestTeams:
    def test_teams_are_checked_against_the_overlay_stations(self, tmp_path):
        overlay = tmp_path / "o"
        import_layer("stations", _write(tmp_path / "s.csv", f"id,name_zh,lon,lat\nA,蚂蚁站,{MAYI[0]},{MAYI[1]}\n"),
                     overlay)
        result = import_layer("teams", _write(tmp_path / "t.csv", "id,station_id,boat_class,head_count\nT1,A,fast,4\n"),
                              overlay)
        assert result.rows == 1 and result.crs == "-"
        a = Archipelago.load(overlay)
        assert a.team("T1").station_id == "A" and a.station("A").name_zh == "蚂蚁站"

    def test_a_team_at_an_unknown_station_is_named(self, tmp_path):
        src = _write(tmp_path / "t.csv", "id,station_id,boat_class,head_count\nT1,ST-01,fast,4\nT2,ST-99,fast,4\n")
        with pytest.raises(DataError, match=r"t.csv, row 2, field 'station_id': unknown station 'ST-99'"):
            import_layer("teams", src, tmp_path / "o")
        assert not (tmp_path / "o").exists()


class TestPiersAndFerries:
    def test_gcj02_piers_and_their_ferries(self, arch, tmp_path):
        piers = arch.piers[["id", "name_zh", "island_id", "lon", "lat"]].rename(columns={"island_id": "island"}).head(3)
        piers["lon"], piers["lat"] = wgs84_to_gcj02(piers["lon"], piers["lat"])
        src = tmp_path / "piers.csv"
        piers.to_csv(src, index=False)
        overlay = tmp_path / "o"
        result = import_layer("piers", src, overlay, crs="gcj02")
        assert result.warnings and "import your ferries next" in result.warnings[0]
        p1, p2 = piers["id"].iloc[0], piers["id"].iloc[1]
        ferries = _write(tmp_path / "f.csv", f"id,name_zh,service,from_pier,to_pier\nX-1,一号航线,ro-ro,{p1},{p2}\n")
        import_layer("ferries", ferries, overlay)
        a = Archipelago.load(overlay)
        assert list(a.ferries.index) == ["X-1"] and len(a.piers) == 3
        assert (a.piers["lon"] - arch.piers.loc[a.piers.index, "lon"]).abs().max() < 1e-5
        assert a.folder_of("ferries.csv") == overlay  # the shipped timetable does not go with them

    def test_a_sailing_from_an_unknown_pier_is_named(self, tmp_path):
        src = _write(tmp_path / "f.csv", "id,name_zh,service,from_pier,to_pier\nX-1,a,ro-ro,P-01,P-999\n")
        with pytest.raises(DataError, match=r"f.csv, row 1, field 'to_pier': unknown pier 'P-999'"):
            import_layer("ferries", src, tmp_path / "o")


class TestIslands:
    def test_a_powered_island_list_updates_the_shipped_polygons(self, arch, tmp_path):
        src = _write(tmp_path / "powered.csv", "name,powered,population,pop_year\n"
                     "蚂蚁,true,2500,2024\nZS-0001,true,,\n")
        overlay = tmp_path / "o"
        import_layer("islands", src, overlay)
        table = pd.read_csv(overlay / ISLANDS_OVERLAY, dtype=str, keep_default_na=False)
        mayi = arch.island("蚂蚁岛").id
        assert list(table["id"]) == [mayi, "ZS-0001"]
        a = Archipelago.load(overlay)
        assert (a.island(mayi).population, a.island(mayi).pop_year) == (2500, 2024)
        assert a.island("ZS-0001").population == arch.island("ZS-0001").population  # empty: kept
        assert not (overlay / "islands.geojson").exists()

    def test_an_island_can_be_unpowered_and_found_by_a_point(self, arch, tmp_path):
        lon, lat = MAYI
        src = _write(tmp_path / "p.csv", f"lon,lat,powered\n{lon},{lat},false\n")
        a = Archipelago.load(import_layer("islands", src, tmp_path / "o").target.parent)
        assert not a.island("蚂蚁岛").powered and len(a.powered) == len(arch.powered) - 1

    @pytest.mark.parametrize("body, row, field, words", [
        ("name,powered\n蚂蚁,true\n无名岛xyz,true\n", 2, "name", "no island named '无名岛xyz'"),
        ("id,powered\nZS-9999,true\n", 1, "id", "no island with id 'ZS-9999'"),
        ("name,powered\n蚂蚁,maybe\n", 1, "powered", "not true or false"),
        ("name,powered,population\n蚂蚁,true,-3\n", 1, "population", "whole number"),
        ("name,powered\n蚂蚁,true\n蚂蚁岛,false\n", 2, "name", "also row 1"),
        ("lon,lat,powered\n122.80,30.00,true\n", 1, "lon/lat", "on no island"),
    ])
    def test_a_bad_row_is_named_and_nothing_is_written(self, tmp_path, body, row, field, words):
        with pytest.raises(DataError) as err:
            import_layer("islands", _write(tmp_path / "p.csv", body), tmp_path / "o")
        assert (err.value.row, err.value.field) == (row, field) and words in str(err.value)
        assert not (tmp_path / "o" / ISLANDS_OVERLAY).exists()

    def test_island_polygons_are_refused_with_the_way_to_do_it(self, tmp_path):
        doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "ZS-0001"},
               "geometry": {"type": "Polygon", "coordinates": [[[122.1, 30.0], [122.2, 30.0], [122.2, 30.1],
                                                                [122.1, 30.0]]]}}]}
        with pytest.raises(ImportRefused, match="island polygons are not imported.*CSV: id or name, powered"):
            import_layer("islands", _write(tmp_path / "i.geojson", json.dumps(doc)), tmp_path / "o")


class TestCheck:
    def test_an_injected_problem_is_found_with_its_row_and_field(self, tmp_path):
        baseline = {str(p) for p in check_data()}
        _write(tmp_path / "teams.csv", "id,station_id,boat_class,head_count\nT1,ST-01,fast,4\nT1,ST-77,fast,4\n")
        found = {str(p) for p in check_data(tmp_path)} - baseline
        assert found == {"teams.csv, row 2, field 'id': duplicate id 'T1' (also row 1)",
                         "teams.csv, row 2, field 'station_id': team T1 is at unknown station 'ST-77'"}

    def test_a_powered_island_without_a_landing_is_found(self, arch, tmp_path):
        baseline = {str(p) for p in check_data()}
        bare = arch.islands[~arch.islands.powered & arch.islands.name_zh.notna()].index[0]
        _write(tmp_path / ISLANDS_OVERLAY, f"id,powered\n{bare},true\n")
        (new,) = {str(p) for p in check_data(tmp_path)} - baseline
        assert new.startswith(f"{ISLANDS_OVERLAY}: powered island") and f"({bare}) has no landing" in new


class TestOrganisationLayers:
    """Supply stations (站所), demonstration posts and zones, imported into the overlay and read
    back by the loaders the map and the API use."""

    def test_supply_stations_in_gcj02_land_on_their_islands(self, arch, tmp_path):
        from islandcover.io.organisation import load_organisation

        lon, lat = wgs84_to_gcj02([MAYI[0]], [MAYI[1]])
        src = _write(tmp_path / "ss.csv", "id,name_zh,island,lon,lat,contact\n"
                     f"S-1,蚂蚁供电所,蚂蚁岛,{lon[0]:.6f},{lat[0]:.6f},95598\n")
        overlay = tmp_path / "overlay"
        result = import_layer("supply-stations", src, overlay, crs="GCJ-02")
        assert result.target == overlay / "supply_stations.csv" and result.rows == 1
        a = Archipelago.load(overlay)
        org = load_organisation(a.folder_of, a.islands, resolve=lambda r: a.island(r).id)
        s = org.supply_stations.loc["S-1"]
        assert s.island_id == arch.island("蚂蚁岛").id
        assert (s.lon, s.lat) == pytest.approx(MAYI, abs=2e-5)  # the GCJ-02 offset undone
        assert "the operator's file ss.csv" in s.position_source

    def test_zones_name_known_stations_and_replace_any_earlier_zones_file(self, tmp_path):
        overlay = tmp_path / "overlay"
        overlay.mkdir()
        _write(overlay / "zones.geojson", "{}")  # an earlier polygon file: superseded
        src = _write(tmp_path / "z.csv", "island,zone\n蚂蚁岛,ST-06\n六横岛,ST-04\n")
        import_layer("zones", src, overlay)
        table = pd.read_csv(overlay / "zones.csv")
        assert dict(zip(table.island, table.zone)) == {"ZS-0044": "ST-06", "ZS-0003": "ST-04"}
        assert not (overlay / "zones.geojson").exists()

    def test_a_zone_naming_an_unknown_station_writes_nothing(self, tmp_path):
        overlay = tmp_path / "overlay"
        src = _write(tmp_path / "z.csv", "island,zone\n蚂蚁岛,ST-99\n")
        with pytest.raises(DataError, match=r"z\.csv, row 1, field 'zone'"):
            import_layer("zones", src, overlay)
        assert not (overlay / "zones.csv").exists()
