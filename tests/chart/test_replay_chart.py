"""The replay chart (the beacon chart with a time slider), checked in its HTML; the browser
draws it in tests/test_browser_replay.py.

A short replay keeps this fast: the shipped 梅花 (Muifa) 2022 best track from 13 Sep 12:00 to
15 Sep 00:00 UTC, hourly (37 steps; Zhoushan is cut off from 14 Sep 00:00 to 21:00).
"""
from __future__ import annotations

import json
import re
from importlib import resources
from urllib.parse import urlparse

import pandas as pd
import pytest
from storms import LANDFALL, WINDOW, muifa_window

from islandcover.chart.beacon import ETA_COLOURS, eta_class, write_beacon_chart
from islandcover.chart.replay import replay_chart, storm_label
from islandcover.errors import IslandcoverError
from islandcover.travel.links import sailing_features
from islandcover.typhoon.replay import replay

DATA = re.compile(r'<script type="application/json" id="ic-replay-data">(.*?)</script>', re.DOTALL)
ALLOWED_HOSTS = {  # URLs that may appear in the page: none of them is loaded at view time
    "www.w3.org", "leafletjs.com", "bugs.chromium.org", "bugzilla.mozilla.org",  # leaflet.js, attribution
    "www.socib.es", "apps.socib.es",  # Leaflet.TimeDimension's licence header
    "www.nezasa.com", "github.com", "www.apache.org",  # iso8601-js-period's licence header
}
TILE_HOSTS = {"tile.openstreetmap.org", "www.openstreetmap.org"}  # the optional tile layer


def ms(iso: str) -> int:
    return int(pd.Timestamp(iso).value // 1_000_000)


def page_data(page: str) -> dict:
    return json.loads(DATA.search(page).group(1))


def shown_at(features: list[dict], kind: str, t: int) -> set[str]:
    return {f.get("id") or f["properties"]["id"] for f in features
            if f["properties"]["kind"] == kind and t in f["properties"]["times"]}


@pytest.fixture(scope="module")
def short(router):
    return replay(router, muifa_window(), "1h")


@pytest.fixture(scope="module")
def page_zh(router, short, tmp_path_factory):
    path = write_beacon_chart(replay_chart(router, short, lang="zh"),
                              tmp_path_factory.mktemp("replay") / "replay_zh.html")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page_en(router, short):
    return replay_chart(router, short, lang="en").get_root().render()


class TestTimeDimension:
    def test_the_window_has_cut_offs_and_calm_steps(self, short):
        # guards the tests below: they must see islands cut off and reconnected
        assert len(short.steps) == 37
        assert not short.steps[0].cut_off and not short.steps[-1].cut_off
        assert max(len(s.cut_off) for s in short.steps) >= 40

    def test_one_time_per_step(self, page_zh, short):
        data = page_data(page_zh)
        assert data["times"] == [ms(s.time) for s in short.steps]
        assert all(b - a == 3_600_000 for a, b in zip(data["times"], data["times"][1:]))
        assert len(data["steps"]) == len(short.steps)
        assert "L.timeDimension({times: data.times.slice()" in page_zh
        assert "new Control({timeDimension: td" in page_zh

    def test_cut_off_islands_match_the_replay_at_every_step(self, page_zh, short):
        state = page_data(page_zh)["state"]["features"]
        for s in short.steps:
            assert shown_at(state, "cut", ms(s.time)) == set(s.cut_off), s.time
        ever = {i for s in short.steps for i in s.cut_off}
        cut = [f for f in state if f["properties"]["kind"] == "cut"]
        assert len(cut) == len(ever)  # each island's shape is written once, with its steps

    def test_panel_counts_follow_the_replay(self, page_zh, short):
        steps = page_data(page_zh)["steps"]
        for s, d in zip(short.steps, steps):
            assert d["n"] == len(s.cut_off)
            assert d["b"] == max(s.wind_bft.values())
            assert d["c"] == pytest.approx(list(s.center), abs=1e-3)

    def test_suspended_sailings_are_those_the_router_closes(self, router, page_zh, short):
        state = page_data(page_zh)["state"]["features"]
        for s, weather in zip(short.steps, short._weathers):
            shut = {f["properties"]["id"] for f in sailing_features(router, weather) if not f["properties"]["open"]}
            assert shown_at(state, "sailing", ms(s.time)) == shut, s.time
        # fast ferries stop first; at landfall every sailing is suspended
        assert len(shown_at(state, "sailing", ms(WINDOW[0]))) < len(shown_at(state, "sailing", ms(LANDFALL)))
        assert len(shown_at(state, "sailing", ms(LANDFALL))) == len(router.arch.ferries)

    def test_bridges_close_only_above_their_limit(self, page_zh, short):
        data = page_data(page_zh)
        state = data["state"]["features"]
        for s, d in zip(short.steps, data["steps"]):
            assert d["k"] == len(shown_at(state, "bridge", ms(s.time)))
            if s.max_bft <= 9:  # bridges close above force 9
                assert d["k"] == 0, s.time

    def test_storm_track_and_wind_areas(self, page_zh, short):
        data = page_data(page_zh)
        track = data["track"]["features"][0]
        assert track["properties"]["times"] == data["times"]
        assert len(track["geometry"]["coordinates"]) == len(short.steps)
        areas = data["areas"]["features"]
        r7 = {f["properties"]["times"][0] for f in areas if f["properties"]["kind"] == "r7"}
        assert r7 == set(data["times"])  # a typhoon has force-7 winds at every step
        ring = next(f for f in areas if f["properties"]["kind"] == "r7")["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) == 37

    def test_starts_at_the_first_step_with_most_islands_cut_off(self, page_zh, short):
        most = max(len(s.cut_off) for s in short.steps)
        first = next(i for i, s in enumerate(short.steps) if len(s.cut_off) == most)
        assert page_data(page_zh)["start"] == first


class TestOffline:
    def test_no_cdn_url_is_left_in_the_page(self, page_zh, page_en):
        for page in (page_zh, page_en):
            hosts = {urlparse(u).hostname for u in re.findall(r"https?://[^\s\"'<>)\\`]+", page)}
            assert hosts <= ALLOWED_HOSTS | TILE_HOSTS, hosts - ALLOWED_HOSTS - TILE_HOSTS
            for cdn in ("jsdelivr", "jquery", "cloudflare", "bootstrapcdn", "unpkg", "fontawesome", "moment"):
                assert cdn not in page.lower(), cdn
            assert not re.search(r"<script[^>]+src=", page)
            assert not re.search(r"<link[^>]+href=", page)
            assert "//netdna" not in page and "@font-face" not in page  # the control's icon font is dropped

    def test_timedimension_and_iso8601_are_inlined(self, page_zh):
        assert "Leaflet TimeDimension v1.1.1" in page_zh
        assert "L.TimeDimension.Layer.GeoJson" in page_zh
        assert "nezasa.iso8601" in page_zh
        assert "Leaflet 1.9.4" in page_zh

    def test_vendored_files_carry_their_licences(self):
        web = resources.files("islandcover") / "web"
        assert "ICTS SOCIB" in (web / "leaflet-timedimension" / "LICENSE").read_text(encoding="utf-8")
        assert "Apache License" in (web / "iso8601-js-period" / "LICENSE").read_text(encoding="utf-8")
        assert "Apache 2.0" in (web / "iso8601-js-period" / "iso8601.js").read_text(encoding="utf-8")

    def test_page_stays_small(self, page_zh):
        # the plain chart is ~0.9 MB; the steps add little (the full 256-step replay is ~1.6 MB)
        assert len(page_zh.encode("utf-8")) < 1_400_000


class TestLabels:
    def test_chinese_panel_and_legend(self, page_zh):
        assert "台风 梅花 回放（每 1 小时）" in page_zh  # the storm's Chinese name, not the CMA's MUIFA
        assert "MUIFA" not in page_zh and "Muifa" not in page_zh
        assert "天气: 台风 梅花 逐时回放" in page_zh  # the title: the islands are coloured by the hour
        assert page_data(page_zh)["storm"] == "梅花"
        data = page_data(page_zh)
        assert data["text"]["beijing"] == "北京时间"
        assert data["text"]["legend_cut"] == "风暴孤岛（此刻）：{n} 座"
        assert 'id="ic-legend-cutoff"' in page_zh
        tips = [f["properties"]["label"] for f in data["state"]["features"] if f["properties"]["kind"] == "cut"]
        assert tips and all("风暴孤岛" in t and "北京时间" in t and "UTC" not in t for t in tips)

    def test_tips_give_beijing_time(self, page_zh, short):
        # each cut-off island's tip spans its longest isolation in Beijing time (UTC+8), e.g. 00:00 UTC → 08:00
        data = page_data(page_zh)
        tips = {f["id"]: f["properties"]["label"] for f in data["state"]["features"] if f["properties"]["kind"] == "cut"}

        def bj(iso: str) -> str:
            return (pd.Timestamp(iso).tz_convert("UTC") + pd.Timedelta(hours=8)).strftime("%m-%d %H:%M")

        for isl in short.islands:
            if isl.longest_from is not None:
                assert f"（北京时间 {bj(isl.longest_from)} 至 {bj(isl.longest_until)}）" in tips[isl.id]
        areas = [f["properties"]["label"] for f in data["areas"]["features"]]
        assert areas and all(a.startswith("北京时间 ") for a in areas)

    def test_english_panel(self, page_en):
        assert "Typhoon Muifa replay (every 1 h)" in page_en
        data = page_data(page_en)
        assert data["text"]["beijing"] == "BJT" and data["lang"] == "en"
        tips = [f["properties"]["label"] for f in data["state"]["features"] if f["properties"]["kind"] == "cut"]
        assert tips and all(" BJT); peak force " in t for t in tips)
        assert "typhoon Muifa replay, hour by hour" in page_en
        assert "calm base map" not in page_en


    def test_page_language_and_unpublished_population(self, page_zh, page_en):
        assert '<html lang="zh-CN">' in page_zh and '<html lang="en">' in page_en
        assert '"pop": ""' not in page_zh and '"pop": ""' not in page_en  # no blank population in a popup
        assert '"pop": "\\u672a\\u516c\\u5e03"' in page_zh or '"pop": "未公布"' in page_zh
        assert '"pop": "not published"' in page_en


class TestIslandsByTheHour:
    """The islands' fill follows the slider: their response-time class at each step."""

    def test_every_step_has_a_class_for_every_powered_island(self, arch, page_zh, short):
        data = page_data(page_zh)
        isl = data["islands"]
        assert sorted(isl["ids"]) == sorted(arch.powered.index) and len(isl["ids"]) == 62
        assert isl["colours"] == list(ETA_COLOURS)
        assert len(isl["cls"]) == len(isl["eta"]) <= len(short.steps)  # one row per distinct state
        assert all(len(row) == 62 for row in isl["cls"]) and all(len(row) == 62 for row in isl["eta"])
        assert {d["e"] for d in data["steps"]} == set(range(len(isl["cls"])))

    def test_unreachable_islands_are_cut_off_and_counted(self, page_zh, short):
        # one definition: an island no team reaches is cut off; a cut-off island a team still
        # reaches has one of its own (岛自为战)
        data = page_data(page_zh)
        isl = data["islands"]
        for s, d in zip(short.steps, data["steps"]):
            cls = dict(zip(isl["ids"], (int(c) for c in isl["cls"][d["e"]])))
            unreachable = {i for i, c in cls.items() if c == len(ETA_COLOURS) - 1}
            assert unreachable <= set(s.cut_off), s.time
            assert d["u"] == len(unreachable), s.time
            eta = dict(zip(isl["ids"], isl["eta"][d["e"]]))
            assert all((eta[i] is None) == (i in unreachable) for i in isl["ids"]), s.time
        assert max(d["u"] for d in data["steps"]) > 0  # the window has unreachable islands

    def test_classes_are_the_fastest_team_in_that_steps_wind(self, router, page_zh, short):
        data = page_data(page_zh)
        isl = data["islands"]
        peak = max(range(len(short.steps)), key=lambda i: len(short.steps[i].cut_off))
        for i in (0, peak):
            best = router.travel_times(short._weathers[i]).min(axis=0)
            expect = "".join(str(eta_class(best.get(iid, float("nan")))) for iid in isl["ids"])
            assert isl["cls"][data["steps"][i]["e"]] == expect, short.steps[i].time
        # in the calm first hours most islands are reached within 45 min; at the peak few are
        calm = isl["cls"][data["steps"][0]["e"]]
        worst = isl["cls"][data["steps"][peak]["e"]]
        assert worst.count("6") > calm.count("6") and worst.count("6") >= 40

    def test_dongfushan_is_cut_off_and_unreachable_at_the_peak(self, arch, page_zh, short):
        # 东福山岛 has no team of its own: cut off at the peak, no team can reach it
        iid = arch.island("东福山岛").id
        data = page_data(page_zh)
        peak = data["start"]
        assert iid in short.steps[peak].cut_off
        k = data["islands"]["ids"].index(iid)
        assert data["islands"]["cls"][data["steps"][peak]["e"]][k] == "6"
        assert data["islands"]["cls"][data["steps"][0]["e"]][k] != "6"  # reachable before the storm


class TestStormNames:
    """The storm is named in the chart's language (梅花 in Chinese, Muifa in English)."""

    @pytest.mark.parametrize(("cma", "zh", "en"), [
        ("MUIFA", "梅花", "Muifa"), ("IN-FA", "烟花", "In-fa"), ("CHANTHU", "灿都", "Chanthu"),
        ("BEBINCA", "贝碧嘉", "Bebinca"), ("PULASAN", "普拉桑", "Pulasan")])
    def test_shipped_storms(self, cma, zh, en):
        assert storm_label(cma, "zh") == zh
        assert storm_label(cma, "en") == en

    def test_other_spellings_of_a_known_storm(self):
        assert storm_label("In-fa", "zh") == "烟花"
        assert storm_label(" muifa ", "zh") == "梅花"
        assert storm_label("梅花", "zh") == "梅花"  # a forecast file that names it in Chinese
        assert storm_label("梅花", "en") == "Muifa"

    def test_a_storm_with_no_chinese_name_keeps_its_english_one(self):
        assert storm_label("KOINU", "zh") == "Koinu"
        assert storm_label("KOINU", "en") == "Koinu"
        assert storm_label("my_forecast", "zh") == "my_forecast"  # an unnamed forecast: its file name, as is

    def test_the_shipped_tracks_all_have_a_chinese_name(self):
        from islandcover.typhoon.tracks import shipped_track

        for name in ("muifa_2022", "infa_2021", "chanthu_2021"):
            label = storm_label(shipped_track(name).name, "zh")
            assert not label.isascii(), (name, label)

    def test_unknown_language(self):
        with pytest.raises(IslandcoverError, match="lang 'fr' is not supported"):
            storm_label("MUIFA", "fr")


class TestErrorsWarnings:
    def test_unknown_language(self, router, short):
        with pytest.raises(IslandcoverError, match="lang 'fr' is not supported"):
            replay_chart(router, short, lang="fr")

    def test_start_that_is_not_a_step(self, router, short):
        # the steps are named in Beijing time: 13 Sep 12:00 UTC is 20:00 in Beijing
        with pytest.raises(IslandcoverError, match=r"not a step of the replay: steps run from "
                                                   r"2022-09-13T20:00:00\+08:00 to 2022-09-15T08:00:00\+08:00"):
            replay_chart(router, short, start="2022-09-20T00:00:00Z")
        with pytest.raises(IslandcoverError, match="not an ISO 8601 time"):
            replay_chart(router, short, start="yesterday")
        with pytest.raises(IslandcoverError, match="not an ISO 8601 time with its offset"):
            replay_chart(router, short, start="2022-09-14T11:00:00")  # naive: refused, not guessed

    def test_start_at_a_given_step(self, router, short):
        page = replay_chart(router, short, start="2022-09-14T03:00:00Z").get_root().render()
        assert page_data(page)["start"] == 15
        page = replay_chart(router, short, start="2022-09-14T11:00+08:00").get_root().render()  # the same instant
        assert page_data(page)["start"] == 15


class TestCommand:
    def test_replay_writes_the_map(self, tmp_path, capsys):
        from islandcover.cli import main

        track = tmp_path / "muifa.csv"
        pts = muifa_window("2022-09-14T06:00:00Z", "2022-09-14T12:00:00Z").points
        rows = ["time,lon,lat,vmax_ms,pressure_hpa"]
        rows += [f"{t:%Y-%m-%dT%H:%MZ},{x},{y},{v},{pr}" for t, x, y, v, pr in
                 zip(pts.time, pts.lon, pts.lat, pts.vmax_ms, pts.pressure_hpa)]
        track.write_text("\n".join(rows) + "\n", encoding="utf-8")
        out = tmp_path / "replay.html"
        assert main(["replay", str(track), "--map", str(out), "--lang", "en", "--json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        data = page_data(out.read_text(encoding="utf-8"))
        assert data["lang"] == "en"
        assert data["times"] == [ms(s["time"]) for s in printed["steps"]]
        assert [d["n"] for d in data["steps"]] == [len(s["cut_off"]) for s in printed["steps"]]
        assert not list(tmp_path.glob("*.tmp*"))  # written atomically: nothing left beside it

    def test_map_folder_must_exist_before_the_replay_runs(self, tmp_path, capsys):
        from islandcover.cli import main

        assert main(["replay", "muifa_2022", "--map", str(tmp_path / "no" / "x.html")]) == 2
        err = capsys.readouterr().err
        assert "cannot write the map" in err and "does not exist (create it first)" in err
