"""The beacon chart in a real browser: Debian's headless Chromium, driven by Playwright.

The page is served from a local http.server and every request that leaves it is blocked and
recorded, so the test proves the chart draws with no network. Skipped (with the reason) when
/usr/bin/chromium or Playwright is missing, unless ``CI`` is set: then it must run.
Set ``ISLANDCOVER_SCREENSHOT=path.png`` to keep a screenshot of the Chinese chart.
"""
from __future__ import annotations

import os
import shutil

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
