"""The places people name (issue 16, item 7): towns and ports, districts and counties, island
groups and English names, read from data/islands/places.csv and used by every island lookup."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from islandcover import Archipelago
from islandcover.cli.main import main
from islandcover.config import DEFAULT_DATA_DIR
from islandcover.errors import DataError, UnknownIsland
from islandcover.io import files as io

PLACES = DEFAULT_DATA_DIR / "places.csv"
GAZETTEER = DEFAULT_DATA_DIR / "gazetteer.csv"
DONGJI = ["ZS-0037", "ZS-0052", "ZS-0039", "ZS-0033"]  # 庙子湖岛, 青浜岛, 黄兴岛, 东福山岛


def _gazetteer() -> list[dict[str, str]]:
    with open(GAZETTEER, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _island_id(arch: Archipelago, name_zh: str) -> str:
    ids = arch.islands.index[arch.islands.name_zh == name_zh]
    assert len(ids) == 1, name_zh
    return str(ids[0])


def _gazetteer_island(arch: Archipelago, *, township: str = "", alias: str = "") -> str:
    """The id of the gazetteer island whose township field starts with ``township`` (the seat's
    island: the town named first) or whose aliases hold ``alias``: independent of places.csv."""
    rows = [r for r in _gazetteer()
            if (township and r["township"].split(";")[0].strip().startswith(township))
            or (alias and alias in r["aliases"].split(";"))]
    rows = [r for r in rows if r["powered"] == "True"]
    # a town spread over several islands: its seat is the largest island naming it first
    best = max(rows, key=lambda r: float(r["published_area_km2"] or 0))
    return _island_id(arch, best["name_zh"])


class TestRealWorldLookups:
    def test_expected_ids_from_the_gazetteer(self, arch):
        # worked out from gazetteer.csv, not from places.csv
        assert _gazetteer_island(arch, alias="沈家门") == "ZS-0004"  # 舟山岛(普陀部分)
        assert _gazetteer_island(arch, township="高亭镇") == "ZS-0002"  # 岱山岛
        assert _gazetteer_island(arch, township="菜园镇 (county seat)") == "ZS-0010"  # 泗礁山
        assert _gazetteer_island(arch, alias="Zhoushan Island") == "ZS-0001"  # 舟山岛(定海部分)
        dongji = [_island_id(arch, r["name_zh"]) for r in _gazetteer() if r["township"].startswith("东极镇")]
        assert sorted(dongji) == sorted(DONGJI)

    @pytest.mark.parametrize("ref, iid", [
        ("沈家门", "ZS-0004"),           # a port town (alias in the gazetteer, locality in places.csv)
        ("高亭", "ZS-0002"),             # 高亭镇 without 镇
        ("高亭镇", "ZS-0002"),
        ("Gaoting Town", "ZS-0002"),
        ("嵊泗", "ZS-0010"),             # the county's seat, 菜园镇 on 泗礁山
        ("嵊泗县", "ZS-0010"),
        ("岱山县", "ZS-0002"),
        ("Daishan County", "ZS-0002"),
        ("普陀区", "ZS-0004"),
        ("定海区", "ZS-0001"),
        ("舟山市", "ZS-0001"),
        ("菜园", "ZS-0010"),
        ("东极镇", "ZS-0037"),           # the town is on 庙子湖, the group is not one island
        ("六横镇", "ZS-0003"),
        ("长涂镇", "ZS-0016"),           # seat 倭井潭 on 小长涂山
        ("洋山镇", "ZS-0027"),
        ("燕窝山码头", "ZS-0002"),
        ("Zhoushan Island", "ZS-0001"),
        ("Peach Blossom Island", "ZS-0008"),
        ("Mount Putuo", "ZS-0014"),
        ("Putuoshan", "ZS-0014"),
        ("Shenjiamen", "ZS-0004"),
        ("Zhujiajian Island", "ZS-0006"),  # English "… Island" on a pinyin name
    ])
    def test_a_place_resolves_to_its_island(self, arch, ref, iid):
        assert arch.island(ref).id == iid

    @pytest.mark.parametrize("ref", ["东极", "中街山列岛", "东极列岛", "Dongji", "Dongji Islands"])
    def test_an_island_group_lists_its_islands(self, arch, ref):
        with pytest.raises(UnknownIsland) as err:
            arch.island(ref)
        msg = str(err.value)
        assert msg.startswith(f"'{ref}' is an island group (4 islands)") and "give one of" in msg
        assert all(i in msg for i in DONGJI) and "\n" not in msg
        assert [i.id for i in arch.islands_in(ref)] == DONGJI

    @pytest.mark.parametrize("ref, ids", [
        ("洋山", {"ZS-0027", "ZS-0042"}),      # 洋山镇 on 大洋山, 洋山港 on both
        ("长涂", {"ZS-0016", "ZS-0009"}),
        ("Putuo", {"ZS-0004", "ZS-0014"}),     # the district or Mount Putuo
        ("舟山", {"ZS-0001", "ZS-0004"}),      # the two parts of Zhoushan Island (island names)
        ("Shengsi", {"ZS-0010", "ZS-0019"}),   # the county, Sijiao ('Shengsi Island') or the islands
    ])
    def test_a_name_for_several_islands_lists_the_candidates(self, arch, ref, ids):
        with pytest.raises(UnknownIsland, match=f"^'{ref}' could mean .*: give one of ") as err:
            arch.island(ref)
        assert all(i in str(err.value) for i in ids)

    def test_coverage_takes_a_new_station_by_place_name(self, router):
        from islandcover.planning.coverage import parse_site

        site = parse_site(router, "NEW-1", "高亭")
        assert site.island_id == "ZS-0002" and site.kind == "new"
        with pytest.raises(UnknownIsland, match="island group"):
            parse_site(router, "NEW-2", "东极")

    def test_existing_lookups_still_work(self, arch):
        assert arch.island("ZS-0044").id == arch.island("蚂蚁岛").id == arch.island("蚂蚁").id == "ZS-0044"
        assert arch.island("Mayi Dao").id == arch.island("mayi").id == "ZS-0044"
        assert arch.island("岱山").id == "ZS-0002" and arch.island("桃花").id == "ZS-0008"
        with pytest.raises(UnknownIsland, match="no island named 'Atlantis'"):
            arch.island("Atlantis")
        with pytest.raises(UnknownIsland, match="did you mean"):
            arch.island("蚂蚁岛屿")

    def test_a_misspelt_place_gets_a_suggestion(self, arch):
        with pytest.raises(UnknownIsland, match="no island named 'Daishan Countyy' — did you mean Daishan County"):
            arch.island("Daishan Countyy")


class TestPlacesFile:
    def test_every_row_answers_as_it_says(self, arch):
        for p in arch.places.itertuples():
            if p.resolves_to:
                assert arch.island(p.name).id == p.resolves_to, p.name
            else:
                with pytest.raises(UnknownIsland) as err:
                    arch.island(p.name)
                assert all(i in str(err.value) for i in p.island_ids[:12]), p.name

    def test_island_names_never_contradict_a_place(self, arch):
        # island names are looked up first: a place an island name shadows must agree with it
        for p in arch.places.itertuples():
            hits = arch._island_hits(p.name)
            if hits:
                assert hits == {p.resolves_to} or (not p.resolves_to and hits <= set(p.island_ids)), p.name

    def test_the_shipped_rows_are_sourced_and_graded_h_or_m(self, arch):
        pl = arch.places
        assert len(pl) >= 100
        assert set(pl.confidence) <= {"H", "M"}
        assert all(any(x.strip().startswith(("http://", "https://")) for x in s.split("|")) for s in pl.source_url)
        counts = pl.kind.value_counts()
        assert counts["county"] >= 2 and counts["district"] >= 2 and counts["island_group"] >= 5
        seats = pl[pl.kind.isin(["city", "district", "county"])]
        assert seats.seat.str.len().gt(0).all() and seats.resolves_to.str.len().gt(0).all()

    def test_the_readme_documents_the_file(self):
        readme = (DEFAULT_DATA_DIR / "README.md").read_text(encoding="utf-8")
        assert "places.csv" in readme and "resolves_to" in readme


def _write(tmp_path: Path, rows: list[str]) -> Path:
    p = tmp_path / "places.csv"
    header = "name,language,kind,island_ids,resolves_to,seat,source_url,confidence,notes"
    good = "高亭镇,zh,town,ZS-0002,ZS-0002,,https://example.org/a,M,"
    p.write_text("\n".join([header, good, *rows]) + "\n", encoding="utf-8")
    return p


class TestErrorsWarnings:
    @pytest.mark.parametrize("row, field, words", [
        ("东极,zh,island_group,ZS-0037;ZS-9999,,,https://example.org/b,M,", "island_ids", "unknown island id 'ZS-9999'"),
        ("嵊泗县,zh,county,ZS-0010,ZS-0010,,https://example.org/b,M,", "seat", "a county needs its seat"),
        ("嵊泗县,zh,county,ZS-0010,,菜园镇,https://example.org/b,M,", "resolves_to", "resolves to its seat"),
        ("东极,zh,island_group,ZS-0037;ZS-0052,ZS-0037,,https://example.org/b,M,", "resolves_to",
         "an island group does not resolve"),
        ("洋山,zh,alias,ZS-0027;ZS-0042,ZS-0010,,https://example.org/b,M,", "resolves_to", "not one of the row's"),
        ("洋山,fr,alias,ZS-0027,,,https://example.org/b,M,", "language", "unknown language 'fr'"),
        ("洋山,zh,harbour,ZS-0027,,,https://example.org/b,M,", "kind", "unknown kind 'harbour'"),
        ("洋山,zh,alias,ZS-0027,,,a friend told me,M,", "source_url", "not an http(s) address"),
        ("洋山,zh,alias,ZS-0027,,,https://example.org/b,X,", "confidence", "unknown confidence 'X'"),
        (" 高亭 镇 ,zh,town,ZS-0002,,,https://example.org/b,M,", "name", "repeats row 1"),
        (",zh,town,ZS-0002,,,https://example.org/b,M,", "name", "missing name"),
        ("洋山,zh,alias,,,,https://example.org/b,M,", "island_ids", "missing island_ids"),
    ])
    def test_a_malformed_row_names_file_row_and_field(self, arch, tmp_path, row, field, words):
        p = _write(tmp_path, [row])
        with pytest.raises(DataError) as err:
            Archipelago.load(places=p)
        assert err.value.source == "places.csv" and err.value.row == 2 and err.value.field == field
        assert str(err.value).startswith(f"places.csv, row 2, field '{field}': ") and words in str(err.value)

    def test_a_missing_column_is_named(self, arch, tmp_path):
        p = tmp_path / "places.csv"
        p.write_text("name,language,kind,resolves_to\n高亭,zh,town,\n", encoding="utf-8")
        with pytest.raises(DataError, match="places.csv, field 'island_ids': missing column"):
            io.read_places(p, arch.islands.index)

    def test_an_operator_file_replaces_the_shipped_one(self, arch, tmp_path):
        p = _write(tmp_path, ["老码头,zh,port,ZS-0044,,,https://example.org/b,L,our own name"])
        own = Archipelago.load(places=p)
        assert own.island("老码头").id == "ZS-0044" and len(own.places) == 2
        with pytest.raises(UnknownIsland):
            own.island("嵊泗县")

    def test_a_folder_without_places_csv_has_no_places(self, arch, tmp_path):
        for f in ("islands.geojson", "stations.geojson", "teams.csv"):
            (tmp_path / f).symlink_to(DEFAULT_DATA_DIR / f)
        bare = Archipelago.load(tmp_path)
        assert bare.places.empty and bare.island("蚂蚁").id == "ZS-0044"
        with pytest.raises(UnknownIsland, match="no island named '高亭'"):
            bare.island("高亭")


class TestCommandLine:
    def _json(self, argv: list[str], capsys) -> dict:
        assert main([*argv, "--state", "none", "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    def test_nearest_to_a_port_town(self, capsys):
        assert self._json(["nearest", "沈家门"], capsys)["island_id"] == "ZS-0004"

    def test_nearest_by_an_english_name(self, capsys):
        assert self._json(["nearest", "Zhoushan Island"], capsys)["island_id"] == "ZS-0001"

    def test_route_from_a_town_to_a_county(self, capsys):
        out = self._json(["route", "高亭", "嵊泗"], capsys)
        assert out["status"] == "ok" and "ZS-0002" in out["from"] and "ZS-0010" in out["to"]

    def test_nearest_to_an_island_group_lists_its_islands(self, capsys):
        assert main(["nearest", "东极", "--state", "none"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert "'东极' is an island group (4 islands), not one island: give one of" in err
        assert all(i in err for i in DONGJI)


class TestApi:
    def test_nearest_and_route_take_place_names(self, api_client):
        r = api_client.get("/nearest", params={"island": "高亭"})
        assert r.status_code == 200 and r.json()["island_id"] == "ZS-0002"
        r = api_client.get("/route", params={"from": "高亭", "to": "嵊泗县"})
        assert r.status_code == 200 and "ZS-0010" in r.json()["to"]
        r = api_client.get("/islands/Peach Blossom Island")
        assert r.status_code == 200 and r.json()["properties"]["id"] == "ZS-0008"

    def test_an_island_group_is_a_404_listing_its_islands(self, api_client):
        r = api_client.get("/nearest", params={"island": "东极"})
        assert r.status_code == 404
        detail = r.json()["detail"]
        assert "'东极' is an island group" in detail and all(i in detail for i in DONGJI)
