"""The beacon chart: a standalone offline map, checked in its HTML (tests/test_browser.py
draws it in a real browser)."""
from __future__ import annotations

import json
import math
import os
import re
from urllib.parse import urlparse

import pandas as pd
import pytest

from islandcover import Archipelago
from islandcover.chart.beacon import (
    ETA_COLOURS,
    UNPOWERED_COLOUR,
    beacon_chart,
    eta_class,
    write_beacon_chart,
)
from islandcover.errors import IslandcoverError, UnknownIsland, UnknownStation

# ETA values (minutes) and the class each belongs to, worked by hand from the breaks
# ≤30 | 30–45 | 45–60 | 60–90 | 90–120 | >120 | unreachable (classes closed above).
HAND = [
    (0.0, 0), (10.0, 0), (30.0, 0), (30.5, 1), (45.0, 1), (45.01, 2), (60.0, 2), (75.0, 3),
    (90.0, 3), (100.0, 4), (120.0, 4), (121.0, 5), (500.0, 5), (math.nan, 6),
]
ILLUSTRATIVE = "示意数据 / illustrative stations and teams, not the operator's"
ALLOWED_HOSTS = {  # URLs that may appear in the page: none of them is loaded at view time
    "www.w3.org",  # SVG namespace inside leaflet.js
    "leafletjs.com", "bugs.chromium.org", "bugzilla.mozilla.org",  # comments and attribution
}
TILE_HOSTS = {"tile.openstreetmap.org", "www.openstreetmap.org"}  # the optional tile layer
ROUTE = {"type": "Feature",
         "properties": {"name_zh": "沈家门—东极 客渡", "name_en": "Shenjiamen–Dongji ferry"},
         "geometry": {"type": "LineString",
                      "coordinates": [[122.30, 29.95], [122.45, 30.05], [122.68, 30.19]]}}


def hand_eta(arch: Archipelago) -> pd.Series:
    """Every powered island gets one of the hand-worked values, in turn."""
    ids = sorted(arch.powered.index)
    return pd.Series([HAND[i % len(HAND)][0] for i in range(len(ids))], index=ids)


def hand_class(arch: Archipelago) -> dict[str, int]:
    ids = sorted(arch.powered.index)
    return {iid: HAND[i % len(HAND)][1] for i, iid in enumerate(ids)}


def nearest_zones(arch: Archipelago) -> pd.Series:
    """Each powered island → the light station nearest its representative point (degrees)."""
    st = arch.light_stations
    out = {}
    for iid, r in arch.powered.iterrows():
        d = (st.lon - r.rep_lon) ** 2 + ((st.lat - r.rep_lat) * 1.15) ** 2
        out[iid] = d.idxmin()
    return pd.Series(out)


def styles_in_page(page: str) -> dict[str, list[dict]]:
    """Island id → the styles the page's GeoJSON stylers give it (one per layer).

    Reads each layer's data (``geo_json_…_add({...})``) and its styler's ``switch``: listed
    ids get their ``case`` style, the others the ``default`` one.
    """
    out: dict[str, list[dict]] = {}
    decoder = json.JSONDecoder()
    stylers = re.finditer(r"function (geo_json_\w+)_styler\(feature\) \{\s*switch\(feature\.id\) \{"
                          r"(.*?)default:\s*return (\{.*?\});", page, flags=re.DOTALL)
    for styler in stylers:
        name, block, default = styler.group(1), styler.group(2), json.loads(styler.group(3))
        given = {}
        for cases, style in re.findall(r"((?:case \"[^\"]+\": )+)\s*return (\{.*?\});", block, flags=re.DOTALL):
            for iid in re.findall(r"case \"([^\"]+)\":", cases):
                given[iid] = json.loads(style)
        start = page.index(f"{name}_add(", styler.end()) + len(f"{name}_add(")
        data, _ = decoder.raw_decode(page, start)
        for feature in data["features"]:
            out.setdefault(feature["id"], []).append(given.get(feature["id"], default))
    return out


def island_styles(page: str) -> dict[str, dict]:
    """Island id → its style in the district layers (class ``ic-island``)."""
    out = {}
    for iid, styles in styles_in_page(page).items():
        mine = [s for s in styles if "ic-island" in s.get("className", "")]
        assert len(mine) == 1, (iid, styles)
        out[iid] = mine[0]
    return out


def island_properties(page: str) -> dict[str, dict]:
    """Island id → the properties its popup shows (the district layers' GeoJSON)."""
    decoder = json.JSONDecoder()
    out = {}
    for m in re.finditer(r"(geo_json_\w+)_add\(", page):
        data, _ = decoder.raw_decode(page, m.end())
        for f in data["features"]:
            if "pop" in f["properties"]:
                out[f["id"]] = f["properties"]
    return out


def ui_rows(page: str) -> list[list]:
    """The rows the page's script gets for the names layer and the search box."""
    m = re.search(r"\}\)\(map_\w+, layer_control_\w+, ", page)
    rows, _ = json.JSONDecoder().raw_decode(page, m.end())
    return rows


def js_strings(page: str, call: str) -> list[str]:
    """The JSON string arguments of ``.call("…"`` in the page, decoded."""
    return [json.loads(s) for s in re.findall(rf"\.{call}\((\"(?:[^\"\\]|\\.)*\")", page)]


@pytest.fixture(scope="module")
def chart_zh(arch):
    return beacon_chart(arch, hand_eta(arch), zones=nearest_zones(arch), lang="zh", routes=[ROUTE])


@pytest.fixture(scope="module")
def page_zh(chart_zh) -> str:
    return chart_zh.get_root().render()


@pytest.fixture(scope="module")
def page_en(arch) -> str:
    m = beacon_chart(arch, hand_eta(arch), zones=nearest_zones(arch), lang="en",
                     cut_off=["东福山岛", "ZS-0002"], weather_label="wind 9", tiles=False)
    return m.get_root().render()


class TestRealWorld:
    def test_page_is_standalone_and_under_3_mb(self, page_zh):
        assert len(page_zh.encode("utf-8")) < 3_000_000
        assert not re.search(r"<script[^>]*\ssrc\s*=", page_zh, flags=re.IGNORECASE)
        assert not re.search(r"<link[^>]*\shref\s*=", page_zh, flags=re.IGNORECASE)
        hosts = {urlparse(u).hostname for u in re.findall(r"https?://[^\s\"'<>)\\`]+", page_zh)}
        assert hosts <= ALLOWED_HOSTS | TILE_HOSTS, hosts - ALLOWED_HOSTS - TILE_HOSTS
        for cdn in ("jsdelivr", "jquery", "cloudflare", "bootstrapcdn", "unpkg", "fontawesome"):
            assert cdn not in page_zh
        assert "Leaflet 1.9.4" in page_zh and "BSD-2-Clause" in page_zh  # inlined with its notice
        assert "url(images/" not in page_zh  # CSS images are data: URIs

    def test_tiles_are_an_optional_layer_off_at_first(self, page_zh, page_en):
        layer = re.search(r"L\.tileLayer\(\s*\"https://tile\.openstreetmap\.org/\{z\}/\{x\}/\{y\}\.png\"", page_zh)
        assert layer
        name = re.search(r"var (tile_layer_\w+) = L\.tileLayer", page_zh).group(1)
        assert f"{name}.addTo(" not in page_zh  # not shown until the user ticks it
        assert "openstreetmap" not in page_en  # tiles=False: no tile URL at all
        hosts = {urlparse(u).hostname for u in re.findall(r"https?://[^\s\"'<>)\\`]+", page_en)}
        assert hosts <= ALLOWED_HOSTS

    def test_twelve_light_stations_as_beacons_with_their_teams(self, arch, page_zh):
        assert page_zh.count('"className": "ic-beacon"') == 12
        assert "<svg" in page_zh and "fa-" not in page_zh  # inline SVG, no icon font
        popups = js_strings(page_zh, "bindPopup")
        assert len(popups) == 12
        for sid, st in arch.light_stations.iterrows():
            mine = [p for p in popups if f"<small>{sid}" in p]
            assert len(mine) == 1, sid
            assert st.name_zh in mine[0]
            for tid in arch.teams.index[arch.teams.station_id == sid]:
                assert tid in mine[0]

    def test_beacon_popup_lists_the_islands_it_serves(self, arch, page_zh):
        zones = nearest_zones(arch)
        served = zones.index[zones == "ST-12"]
        popup = next(p for p in js_strings(page_zh, "bindPopup") if "<small>ST-12" in p)
        assert f"负责岛屿</b> ({len(served)})" in popup
        for iid in served:
            assert arch.islands.at[iid, "name_zh"] in popup

    def test_every_powered_island_coloured_by_its_eta_class(self, arch, page_zh):
        styles = island_styles(page_zh)
        expected = hand_class(arch)
        assert len(expected) == 62
        for iid, k in expected.items():
            assert styles[iid]["fillColor"] == ETA_COLOURS[k], (iid, k)
            assert f"ic-eta-{k}" in styles[iid]["className"]
        # a few by hand: the 1st, 3rd, 5th and 14th powered island (sorted by id)
        ids = sorted(arch.powered.index)
        assert styles[ids[0]]["fillColor"] == "#1a9850"   # 0 min: ≤ 30
        assert styles[ids[2]]["fillColor"] == "#1a9850"   # 30 min: still ≤ 30
        assert styles[ids[4]]["fillColor"] == "#91cf60"   # 45 min: meets the urban promise
        assert styles[ids[11]]["fillColor"] == "#a50026"  # 121 min: beyond the remote promise
        assert styles[ids[13]]["fillColor"] == "#3a3a3a"  # NaN: unreachable

    def test_unpowered_islands_drawn_plain_and_none_dropped(self, arch, page_zh):
        styles = island_styles(page_zh)
        assert len(styles) == len(arch.islands) == 569
        plain = [iid for iid, s in styles.items() if s["fillColor"] == UNPOWERED_COLOUR]
        assert sorted(plain) == sorted(arch.islands.index[~arch.islands.powered])

    def test_legend_counts_and_state_grid_promises(self, arch, page_zh):
        legend = page_zh[page_zh.index('<div class="ic-legend"'):]
        counts = pd.Series(hand_class(arch)).value_counts()
        for k in range(7):
            row = re.search(rf'data-eta-class="{k}">.*?<span class="ic-n">(\d+) 岛</span>', legend)
            assert int(row.group(1)) == counts.get(k, 0), k
        assert "国家电网" in legend and "45 / 90 / 120" in legend

    def test_illustrative_notice_shown_for_illustrative_stations(self, arch, page_zh):
        assert ILLUSTRATIVE in page_zh
        operator = Archipelago(arch.islands, arch.stations.assign(illustrative=False),
                               arch.teams.assign(illustrative=False), arch.source)
        page = beacon_chart(operator, hand_eta(arch), tiles=False).get_root().render()
        assert ILLUSTRATIVE not in page

    def test_chinese_and_english_labels(self, chart_zh, page_zh, page_en):
        assert "<title>舟山群岛光明驿站航标图</title>" in page_zh
        assert "最快到达时间（分钟）" in page_zh and "天气: 静风" in page_zh
        layer_names = re.findall(r"\"([^\"]+)\" : (?:feature_group|tile_layer)_", page_zh)
        decoded = [json.loads(f'"{n}"') for n in layer_names]
        assert {"定海区", "普陀区", "岱山县", "嵊泗县", "光明驿站", "服务点", "桥梁", "航线"} <= set(decoded)
        assert "beacon chart" in page_en and "Fastest response (minutes)" in page_en
        assert "State Grid" in page_en and "weather: wind 9" in page_en
        en_names = [json.loads(f'"{n}"') for n in re.findall(r"\"([^\"]+)\" : feature_group_", page_en)]
        assert {"Dinghai", "Putuo", "Daishan", "Shengsi", "Light stations"} <= set(en_names)
        assert "最快到达时间" not in page_en

    def test_cut_off_islands_outlined_red_with_the_weather(self, arch, page_en):
        styles = styles_in_page(page_en)
        cut = {iid for iid, ss in styles.items() if any(s.get("className") == "ic-cutoff" for s in ss)}
        # the two named, and every island no team reaches (NaN): one definition of cut off
        no_team = {iid for iid, k in hand_class(arch).items() if k == 6}
        assert cut == {arch.island("东福山岛").id, "ZS-0002"} | no_team
        n = len(cut)
        outline = next(s for s in styles["ZS-0002"] if s.get("className") == "ic-cutoff")
        assert outline["weight"] >= 4 and outline["fill"] is False
        assert f"{n} islands cut off" in page_en and f"Cut off (wind 9): {n} islands" in page_en

    def test_one_count_of_cut_off_islands_in_title_legend_and_layers(self, arch):
        """Unreachable (no team reaches it) plus on its own (岛自为战) is the cut-off count, wherever
        the page states it; the grey legend class counts exactly the unreachable ones."""
        eta = hand_eta(arch)
        eta[:] = 20.0
        gone = ["ZS-0033", "ZS-0039", "ZS-0052"]  # 东福山岛, 黄兴岛, 青浜岛: no team reaches them
        eta[gone] = math.nan
        for lang, unit in (("zh", "座"), ("en", "islands")):
            page = beacon_chart(arch, eta, cut_off=["庙子湖岛", *gone], weather_label="wind 9", lang=lang,
                                tiles=False).get_root().render()
            title = re.search(r'id="ic-title">(.*?)</div>', page).group(1)
            legend = page[page.index('id="ic-legend"'):]
            grey = re.search(r'data-eta-class="6">.*?<span class="ic-n">(\d+)', legend).group(1)
            row = re.search(r'id="ic-legend-cutoff">(.*?)</div>', legend).group(1)
            split = re.search(r'id="ic-legend-cutoff-split">(.*?)</div>', legend).group(1)
            layer = [json.loads(f'"{n}"') for n in re.findall(r'"([^"]+)" : feature_group_', page)]
            assert grey == "3"
            if lang == "zh":
                assert "风暴孤岛 4 座" in title and "：4 座" in row and "风暴孤岛（wind 9）：4 座" in layer
                assert split == "其中无法到达 3 座，岛自为战 1 座"
                assert "没有任何队伍能到" in page and "本岛有自己的队伍" in page
            else:
                assert "4 islands cut off" in title and f": 4 {unit}" in row and "Cut off (wind 9): 4 islands" in layer
                assert split == "3 unreachable, 1 on their own (岛自为战)"
                assert "no team at all can reach it" in page and "a team of its own" in page

    def test_page_language_attribute(self, page_zh, page_en):
        assert page_zh.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
        assert page_en.startswith('<!DOCTYPE html>\n<html lang="en">')

    def test_popups_say_not_published_and_station_on_the_island(self, arch, page_zh, page_en):
        for page, missing, own in ((page_zh, "未公布", "本岛驻有站点"), (page_en, "not published", "station on the island")):
            props = island_properties(page)
            for iid in arch.islands.index[arch.islands.population.isna()]:
                assert props[iid]["pop"] == missing, iid
            with_station = set(arch.light_stations.island_id)
            assert len(with_station) == 12
            for iid in with_station:
                assert props[iid]["eta"].startswith(own), (iid, props[iid]["eta"])
            assert props["ZS-0044"]["pop"] == "4,485"  # 蚂蚁岛: its station, not "0 min"
            assert props["ZS-0044"]["eta"] == own

    def test_outage_footer_with_95598_and_no_other_number(self, page_zh, page_en):
        for page, words in ((page_zh, ("国家电网 ", "供电服务热线", "邻居", "地址", "断落的电线", "110")),
                            (page_en, ("State Grid", "neighbours", "address", "fallen power lines", "110"))):
            footer = re.search(r'<footer class="ic-footer" id="ic-footer".*?</footer>', page, flags=re.DOTALL).group(0)
            assert '<a href="tel:95598">95598</a>' in footer
            for w in words:
                assert w in footer, w
            numbers = set(re.findall(r"\d{3,}", re.sub(r"<[^>]+>", " ", footer)))
            assert numbers <= {"95598", "110"}, numbers

    def test_search_and_names_data_inline(self, arch, page_zh, page_en):
        for page, label in ((page_zh, "蚂蚁岛"), (page_en, "Mayi Dao")):
            rows = ui_rows(page)
            mayi = next(r for r in rows if r[0] == "ZS-0044")
            assert mayi[1:3] == ["蚂蚁岛", "Mayi Dao"] and mayi[6] == label
            assert sum(1 for r in rows if r[6]) == 62  # every powered island has a name on the map
            assert not any(r[6] for r in rows if not arch.islands.at[r[0], "powered"])
            ranks = {r[0]: r[7] for r in rows}
            assert ranks["ZS-0001"] < ranks["ZS-0044"]  # the main island's name is placed first
            aliases = next(r for r in rows if r[0] == arch.island("洛迦山").id)[3]
            assert "Luojiashan" in aliases

    def test_zones_layer_is_off_at_first(self, page_zh):
        name = re.search(r"\"\\u8d23\\u4efb\\u533a[^\"]*\" : (feature_group_\w+)", page_zh).group(1)
        assert f"{name}.addTo(" not in page_zh
        assert page_zh.count('"className": "ic-zone"') >= 1

    def test_bridges_and_routes(self, arch, page_zh):
        bridges = pd.read_csv(arch.source / "bridges.csv")
        assert page_zh.count('"className": "ic-bridge"') == len(bridges) == 21
        assert '"dashArray": "7 6"' in page_zh and "ic-route" in page_zh

    def test_geometry_simplified_and_rounded_for_the_web(self, chart_zh):
        import folium

        layers = [c for g in chart_zh._children.values() if isinstance(g, folium.FeatureGroup)
                  for c in g._children.values() if isinstance(c, folium.GeoJson)]
        coords = []
        for layer in layers:
            for f in layer.data["features"]:
                if "ic-island" in str(layer.style_function(f)):
                    coords.extend(_flatten(f["geometry"]["coordinates"]))
        assert len(coords) // 2 < 14_905  # fewer vertices than the shipped polygons
        assert all(round(c, 5) == c for c in coords)


class TestScenarioChart:
    def test_wind_8_counts_agree_with_the_cutoff_board(self, router):
        """The chart of a gale says what `islandcover cutoff` says: one count, split into the
        islands no team reaches (grey) and those on their own (岛自为战)."""
        from islandcover import CoverageModel, Scenario, Weather
        from islandcover.chart.beacon import scenario_chart

        cut = router.cutoff(Weather.uniform(8))
        own = sum(c.has_own_team for c in cut)
        m, ids = scenario_chart(CoverageModel(router), Scenario(weather=Weather.uniform(8)), lang="zh")
        page = m.get_root().render()
        assert sorted(ids) == sorted(c.id for c in cut)
        title = re.search(r'id="ic-title">(.*?)</div>', page).group(1)
        legend = page[page.index('id="ic-legend"'):]
        grey = int(re.search(r'data-eta-class="6">.*?<span class="ic-n">(\d+)', legend).group(1))
        assert f"风暴孤岛 {len(cut)} 座" in title
        assert f"：{len(cut)} 座" in re.search(r'id="ic-legend-cutoff">(.*?)</div>', legend).group(1)
        assert grey == len(cut) - own
        assert f"其中无法到达 {grey} 座，岛自为战 {own} 座" in legend
        assert len(page.encode("utf-8")) < 3_000_000


class TestErrorsWarnings:
    def test_bad_lang_names_the_allowed_values(self, arch):
        with pytest.raises(IslandcoverError, match=r"lang 'fr'.*'zh', 'en'"):
            beacon_chart(arch, hand_eta(arch), lang="fr")

    def test_missing_powered_island_in_eta(self, arch):
        eta = hand_eta(arch).drop("ZS-0001")
        with pytest.raises(IslandcoverError, match="no value for 1 powered island.*ZS-0001.*NaN"):
            beacon_chart(arch, eta)

    def test_unknown_ids(self, arch):
        eta = pd.concat([hand_eta(arch), pd.Series({"ZS-9999": 5.0})])
        with pytest.raises(UnknownIsland, match="ZS-9999"):
            beacon_chart(arch, eta)
        with pytest.raises(UnknownStation, match="ST-99"):
            beacon_chart(arch, hand_eta(arch), zones=pd.Series({"ZS-0001": "ST-99"}))
        with pytest.raises(UnknownIsland):
            beacon_chart(arch, hand_eta(arch), cut_off=["no such island"])

    def test_bad_inputs(self, arch):
        with pytest.raises(IslandcoverError, match="eta_min must be a pandas Series"):
            beacon_chart(arch, dict(hand_eta(arch)))
        with pytest.raises(IslandcoverError, match="wrap it in a list"):
            beacon_chart(arch, hand_eta(arch), cut_off="ZS-0001")
        with pytest.raises(IslandcoverError, match=r"routes\[0\].*LineString"):
            beacon_chart(arch, hand_eta(arch), routes=[{"type": "Feature", "geometry": {"type": "Point"}}])
        with pytest.raises(IslandcoverError, match="≥ 0"):
            beacon_chart(arch, hand_eta(arch).replace(0.0, -1.0))

    def test_eta_class_boundaries(self):
        for eta, k in HAND:
            assert eta_class(eta) == k, eta
        assert eta_class(math.inf) == 6
        with pytest.raises(IslandcoverError):
            eta_class(-0.5)


class TestWriteAtomically:
    def test_writes_the_page(self, chart_zh, tmp_path):
        out = write_beacon_chart(chart_zh, tmp_path / "beacon.html")
        assert out == (tmp_path / "beacon.html").resolve()
        assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["beacon.html"]

    def test_missing_folder_is_an_error_and_leaves_nothing(self, chart_zh, tmp_path):
        with pytest.raises(FileNotFoundError, match="does not exist"):
            write_beacon_chart(chart_zh, tmp_path / "nowhere" / "beacon.html")
        assert list(tmp_path.iterdir()) == []

    def test_failed_write_keeps_the_old_file_and_no_tmp(self, chart_zh, tmp_path, monkeypatch):
        target = tmp_path / "beacon.html"
        target.write_text("old chart", encoding="utf-8")

        def fail(src, dst):
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", fail)
        with pytest.raises(IslandcoverError, match="disk full"):
            write_beacon_chart(chart_zh, target)
        assert target.read_text(encoding="utf-8") == "old chart"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["beacon.html"]


def _flatten(coords) -> list[float]:
    if isinstance(coords, (int, float)):
        return [coords]
    return [x for c in coords for x in _flatten(c)]
