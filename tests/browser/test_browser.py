"""The beacon chart in a real browser: Debian's headless Chromium, driven by Playwright.

The page is served from a local http.server and every request that leaves it is blocked and
recorded, so the test proves the chart draws with no network. Skipped (with the reason) when
/usr/bin/chromium or Playwright is missing, unless ``CI`` is set: then it must run.
Set ``ISLANDCOVER_SCREENSHOT=path.png`` to keep a screenshot of the Chinese chart.
"""
from __future__ import annotations

import itertools
import os
import shutil
from contextlib import contextmanager

import pandas as pd
import pytest
from browsing import chart_opener, served

from islandcover import Archipelago
from islandcover.chart.beacon import ETA_BREAKS_MIN, ETA_COLOURS, beacon_chart, write_beacon_chart

ROUTE = {"type": "Feature",
         "properties": {"name_zh": "沈家门—东极 客渡", "name_en": "Shenjiamen–Dongji ferry"},
         "geometry": {"type": "LineString",
                      "coordinates": [[122.30, 29.95], [122.45, 30.05], [122.68, 30.19]]}}


def distance_eta(arch: Archipelago) -> pd.Series:
    """A plausible ETA: 12 min to launch, then 28 km/h over 1.3 × the straight distance to
    the nearest light station (degrees to km with 111 km/°, cos 30° for longitude)."""
    st = arch.light_stations
    out = {}
    for iid, r in arch.powered.iterrows():
        km = (((st.lon - r.rep_lon) * 96.1) ** 2 + ((st.lat - r.rep_lat) * 111.0) ** 2) ** 0.5
        out[iid] = 12 + km.min() * 1.3 / 28 * 60
    return pd.Series(out)


def nearest_zones(arch: Archipelago) -> pd.Series:
    st = arch.light_stations
    return pd.Series({iid: (((st.lon - r.rep_lon) * 96.1) ** 2 + ((st.lat - r.rep_lat) * 111.0) ** 2).idxmin()
                      for iid, r in arch.powered.iterrows()})


def expected_class(eta: float) -> int:
    if pd.isna(eta):
        return 6
    return sum(eta > b for b in ETA_BREAKS_MIN)


@pytest.fixture(scope="module")
def site(arch, tmp_path_factory):
    """Both charts written to a folder served on 127.0.0.1; yields the base URL."""
    folder = tmp_path_factory.mktemp("site")
    calm = beacon_chart(arch, distance_eta(arch), zones=nearest_zones(arch), routes=[ROUTE], lang="zh")
    write_beacon_chart(calm, folder / "calm_zh.html")
    storm_eta = distance_eta(arch)
    storm_eta[arch.island("东福山岛").id] = float("nan")
    storm = beacon_chart(arch, storm_eta, cut_off=["东福山岛", "庙子湖岛"], weather_label="wind 9",
                         lang="en")
    write_beacon_chart(storm, folder / "storm_en.html")
    with served(folder) as url:
        yield url


@pytest.fixture()
def open_chart(browser, site):
    """Open a chart; returns (page, outside, errors): requests that left the local server
    (blocked) and JavaScript errors."""
    with chart_opener(browser, site, "document.querySelectorAll('path.ic-island').length > 0") as open_:
        yield open_


def count(page, selector: str) -> int:
    return page.eval_on_selector_all(selector, "els => els.length")


class TestBeaconChartInChromium:
    def test_calm_chart_draws_offline(self, arch, open_chart, tmp_path):
        page, outside, errors = open_chart("calm_zh.html")
        assert outside == []  # nothing but the page itself was requested
        assert errors == []
        assert count(page, "path.ic-island") == len(arch.islands) == 569
        assert count(page, "path.ic-powered") == 62
        assert count(page, ".leaflet-marker-pane div.ic-beacon") == 12
        assert count(page, "div.ic-beacon svg") == 12
        assert count(page, "path.ic-service-point") == 62
        assert count(page, "path.ic-bridge") == 21
        assert count(page, "path.ic-route") == 1
        assert count(page, "path.ic-cutoff") == 0
        assert count(page, "path.ic-zone") == 0  # the zones layer is off at first
        # islands actually have a shape on screen (Leaflet projected them)
        drawn = page.eval_on_selector_all(
            "path.ic-powered", "els => els.filter(e => e.getBBox().width > 0).length")
        assert drawn == 62
        # screenshot first, before the clicks below change the layers
        shot = tmp_path / "beacon_zh.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 50_000
        if os.environ.get("ISLANDCOVER_SCREENSHOT"):
            shutil.copyfile(shot, os.environ["ISLANDCOVER_SCREENSHOT"])

    def test_island_fill_follows_eta_class(self, arch, open_chart):
        page, _, _ = open_chart("calm_zh.html")
        eta = distance_eta(arch)
        fills = page.eval_on_selector_all(
            "path.ic-powered", "els => els.map(e => [e.getAttribute('data-island'), e.getAttribute('fill')])")
        assert len(fills) == 62
        for iid, fill in fills:
            assert fill == ETA_COLOURS[expected_class(eta[iid])], (iid, eta[iid])
        for k in range(7):
            assert count(page, f"path.ic-eta-{k}") == sum(expected_class(v) == k for v in eta)

    def test_legend_title_and_notice_visible(self, open_chart):
        page, _, _ = open_chart("calm_zh.html")
        assert page.is_visible("#ic-legend") and page.is_visible("#ic-title")
        assert "舟山群岛光明驿站航标图" in page.inner_text("#ic-title")
        assert "静风" in page.inner_text("#ic-title")
        legend = page.inner_text("#ic-legend")
        assert "国家电网" in legend and "45 / 90 / 120" in legend
        notice = "示意数据 / illustrative stations and teams, not the operator's"
        assert page.inner_text("#ic-illustrative") == notice
        assert page.is_visible("#ic-illustrative")

    def test_layer_control_filters_districts_and_shows_zones(self, arch, open_chart):
        page, _, errors = open_chart("calm_zh.html")
        control = page.locator(".leaflet-control-layers")
        shengsi = int((arch.islands.district == "嵊泗县").sum())
        control.get_by_text("嵊泗县", exact=True).click()
        assert count(page, "path.ic-island") == 569 - shengsi
        control.get_by_text("嵊泗县", exact=True).click()
        assert count(page, "path.ic-island") == 569
        control.get_by_text("责任区（按光明驿站）", exact=True).click()
        assert count(page, "path.ic-zone") == 62
        assert errors == []

    def test_beacon_popup_names_station_and_teams(self, arch, open_chart):
        page, _, errors = open_chart("calm_zh.html")
        st = arch.light_stations.sort_values("lat")
        sid = st.index[-1]  # the northernmost station, away from the title and legend
        index = list(arch.light_stations.index).index(sid)
        page.locator("div.ic-beacon").nth(index).click()
        popup = page.wait_for_selector(".leaflet-popup-content")
        text = popup.inner_text()
        assert arch.light_stations.at[sid, "name_zh"] in text
        for tid in arch.teams.index[arch.teams.station_id == sid]:
            assert tid in text
        assert "负责岛屿" in text
        assert errors == []

    def test_storm_chart_in_english_outlines_cut_off_islands(self, arch, open_chart):
        page, outside, errors = open_chart("storm_en.html")
        assert outside == [] and errors == []
        assert count(page, "path.ic-cutoff") == 2
        widths = page.eval_on_selector_all(
            "path.ic-cutoff", "els => els.map(e => e.getAttribute('stroke-width'))")
        assert all(float(w) >= 4 for w in widths)
        title = page.inner_text("#ic-title")
        assert "beacon chart" in title and "wind 9" in title and "2 islands cut off" in title
        dongfushan = arch.island("东福山岛").id
        unreachable = page.get_attribute(f'path[data-island="{dongfushan}"].ic-island', "fill")
        assert unreachable == ETA_COLOURS[6]
        assert "Dinghai" in page.inner_text(".leaflet-control-layers")
        assert count(page, "div.ic-beacon") == 12


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
READY = "document.querySelectorAll('path.ic-island').length > 0"


@contextmanager
def opened(browser, site: str, name: str, viewport: dict):
    """The chart ``name`` at one screen size, every request off the local server blocked;
    yields (page, outside, errors)."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1, has_touch=viewport is PHONE)
    outside: list[str] = []
    errors: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(site):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(site + name, wait_until="load")
        page.wait_for_function(READY)
        page.wait_for_function("document.documentElement.dataset.icLabelsPlaced")  # names placed once
        page.wait_for_timeout(300)
        yield page, outside, errors
    finally:
        context.close()


def shown_names(page) -> list[dict]:
    """The island names visible on screen, with their boxes (CSS pixels)."""
    return page.eval_on_selector_all(".ic-label:not(.ic-label-hidden) span", """els => els.map(e => {
        const r = e.getBoundingClientRect();
        return {id: e.dataset.island, text: e.textContent, l: r.left, t: r.top, r: r.right, b: r.bottom};
    }).filter(x => x.r > x.l && x.b > x.t)""")


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for a, b in itertools.combinations(boxes, 2)
            if a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]]


def visible(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


def search(page, words: str) -> str:
    """Type ``words`` into the search box, press Enter; the popup's text."""
    box = page.locator("#ic-search-input")
    box.fill("")
    box.type(words)
    box.press("Enter")
    return page.wait_for_selector(".leaflet-popup-content").inner_text()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
class TestPublicChart:
    def test_island_names_shown_without_overlap_and_more_when_zoomed(self, arch, browser, site, size):
        with opened(browser, site, "calm_zh.html", size) as (page, outside, errors):
            names = shown_names(page)
            assert outside == [] and errors == []
            assert len(names) >= (15 if size is DESKTOP else 8), [n["text"] for n in names]
            assert overlapping(names) == []
            assert {n["text"] for n in names} <= set(arch.powered.name_zh)  # the chart's language
            assert "舟山岛(定海部分)" in {n["text"] for n in names}  # the largest first
            hidden = set(page.eval_on_selector_all(".ic-label.ic-label-hidden span", "els => els.map(e => e.dataset.island)"))
            assert hidden  # not every name fits the whole archipelago
            rounds = page.evaluate("() => Number(document.documentElement.dataset.icLabelsPlaced)")
            page.evaluate("() => { const m = Object.values(window).find(v => v && v.icIslands); m.setView(m.getCenter(), m.getZoom() + 2, {animate: false}); }")
            page.wait_for_function(f"Number(document.documentElement.dataset.icLabelsPlaced) > {rounds}")
            page.wait_for_timeout(100)
            zoomed = shown_names(page)
            assert overlapping(zoomed) == []
            assert hidden & {n["id"] for n in zoomed}  # names hidden at first appear as you zoom in

    def test_english_chart_names_in_english(self, arch, browser, site, size):
        with opened(browser, site, "storm_en.html", size) as (page, _, errors):
            names = shown_names(page)
            assert errors == [] and overlapping(names) == []
            assert {n["text"] for n in names} <= set(arch.powered.name_en.dropna())
            assert page.get_attribute("html", "lang") == "en"

    def test_search_finds_mayi_by_pinyin_and_english_and_opens_its_popup(self, browser, site, size):
        with opened(browser, site, "calm_zh.html", size) as (page, outside, errors):
            assert page.get_attribute("html", "lang") == "zh-CN"
            zoom = "() => Object.values(window).find(v => v && v.icIslands).getZoom()"
            before = page.evaluate(zoom)
            for words in ("mayi", "Mayi Dao", "  MAYI dao", "mǎyǐ", "蚂蚁"):
                if size is PHONE:
                    page.locator("#ic-bar button[data-panel=search]").click()
                text = search(page, words)
                assert "蚂蚁岛" in text, words
                assert "本岛驻有站点" in text and "0 分钟" not in text  # its own station, not "0 min"
                page.keyboard.press("Escape")
            assert page.evaluate(zoom) > before
            assert outside == [] and errors == []

    def test_popup_says_population_not_published(self, browser, site, size):
        with opened(browser, site, "storm_en.html", size) as (page, _, errors):
            if size is PHONE:
                page.locator("#ic-bar button[data-panel=search]").click()
            text = search(page, "xuanshan")  # 悬山岛: no published population
            assert "Xuanshan Dao" in text and "not published" in text
            assert errors == []

    def test_footer_gives_the_95598_hotline(self, browser, site, size):
        with opened(browser, site, "calm_zh.html", size) as (page, _, errors):
            if size is PHONE:
                assert not visible(page, "#ic-footer")
                page.locator("#ic-bar button[data-panel=outage]").click()
            assert visible(page, "#ic-footer")
            footer = page.inner_text("#ic-footer")
            assert "国家电网 95598 供电服务热线" in footer and "110" in footer and "邻居" in footer
            assert page.get_attribute("#ic-footer a", "href") == "tel:95598"
            assert errors == []


class TestPhoneLayout:
    def test_panels_collapse_into_buttons_and_the_map_keeps_the_screen(self, browser, site):
        with opened(browser, site, "calm_zh.html", PHONE) as (page, outside, errors):
            for panel in ("#ic-legend", ".leaflet-control-layers", "#ic-search", "#ic-footer"):
                assert not visible(page, panel), panel
            assert visible(page, "#ic-bar") and visible(page, "#ic-title")
            geometry = page.evaluate("""() => {
                const box = s => { const e = document.querySelector(s); const r = e.getBoundingClientRect();
                                   return r.width * r.height; };
                const map = document.querySelector('.leaflet-container').getBoundingClientRect();
                return {map: map.width * map.height, covered: box('#ic-title') + box('#ic-bar'),
                        screen: innerWidth * innerHeight};
            }""")
            assert geometry["map"] >= 0.99 * geometry["screen"]
            assert geometry["covered"] <= 0.2 * geometry["screen"]  # 80 % or more of the map is in view
            bar = page.locator("#ic-bar")
            for name, panel in (("legend", "#ic-legend"), ("layers", ".leaflet-control-layers"),
                                ("outage", "#ic-footer"), ("search", "#ic-search")):
                bar.locator(f"button[data-panel={name}]").click()
                assert visible(page, panel), name
                assert bar.locator(f"button[data-panel={name}]").get_attribute("aria-expanded") == "true"
                bar.locator(f"button[data-panel={name}]").click()
                assert not visible(page, panel), name
            bar.locator("button[data-panel=legend]").click()
            legend = page.inner_text("#ic-legend")
            assert "风暴孤岛" in legend and "岛自为战" in legend
            bar.locator("button[data-panel=layers]").click()  # one panel at a time
            assert visible(page, ".leaflet-control-layers") and not visible(page, "#ic-legend")
            assert outside == [] and errors == []

    def test_desktop_shows_every_panel(self, browser, site):
        with opened(browser, site, "calm_zh.html", DESKTOP) as (page, _, errors):
            for panel in ("#ic-legend", ".leaflet-control-layers", "#ic-search", "#ic-footer", "#ic-title"):
                assert visible(page, panel), panel
            assert not visible(page, "#ic-bar")
            assert errors == []
