"""The replay chart in a real browser: Debian's headless Chromium, driven by Playwright.

As in tests/test_browser.py, the page is served from a local http.server and every request
that leaves it is blocked and recorded. The slider is moved with the mouse (dragged and
clicked), the step buttons and the play button are pressed, and at each step the cut-off
outlines drawn, and each powered island's fill (its response-time class at that hour, the
cut-off style while it is cut off), are compared with the replay and with the panel. Skipped (with the reason) when /usr/bin/chromium
or Playwright is missing, unless ``CI`` is set: then it must run.
Set ``ISLANDCOVER_REPLAY_SCREENSHOT=path.png`` to keep a screenshot of the Chinese chart at
Muifa's landfall (14 Sep 2022 11:00 UTC).
"""
from __future__ import annotations

import os

import pandas as pd
import pytest
from browsing import chart_opener, served
from storms import LANDFALL, muifa_window

from islandcover.chart.beacon import write_beacon_chart
from islandcover.chart.replay import replay_chart
from islandcover.typhoon.replay import replay


@pytest.fixture(scope="module")
def short(router):
    return replay(router, muifa_window(), "1h")


@pytest.fixture(scope="module")
def site(router, short, tmp_path_factory):
    """The replay chart in Chinese and English, served on 127.0.0.1; yields the base URL."""
    folder = tmp_path_factory.mktemp("replay_site")
    write_beacon_chart(replay_chart(router, short, lang="zh"), folder / "replay_zh.html")
    write_beacon_chart(replay_chart(router, short, lang="en", start=short.steps[0].time), folder / "replay_en.html")
    with served(folder) as url:
        yield url


@pytest.fixture()
def open_chart(browser, site):
    """Open a chart; returns (page, outside, errors)."""
    with chart_opener(browser, site, "window.icReplay !== undefined && document.querySelectorAll('path.ic-island').length > 0") as open_:
        yield open_


def count(page, selector: str) -> int:
    return page.eval_on_selector_all(selector, "els => els.length")


def step_shown(page) -> int:
    return int(page.get_attribute("#ic-replay", "data-step"))


def outlined(page) -> set[str]:
    return set(page.eval_on_selector_all("path.ic-replay-cutoff", "els => els.map(e => e.getAttribute('data-island'))"))


def drag_knob_to(page, index: int, n: int) -> None:
    """Drag the time slider's knob with the mouse to the position of step ``index`` of ``n``."""
    bar = page.locator(".timecontrol-dateslider .slider").bounding_box()
    knob = page.locator(".timecontrol-dateslider .knob.main").bounding_box()
    x0, y0 = knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2
    x1 = bar["x"] + 1 + (bar["width"] - 2) * index / (n - 1)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * k / 10, y0)
    page.mouse.up()
    page.wait_for_timeout(200)


def islands_drawn(page) -> dict[str, tuple[str, str]]:
    """Powered island id → (its path's class attribute, its fill colour), as drawn."""
    return dict(page.eval_on_selector_all(
        "path.ic-island.ic-powered",
        "els => els.map(e => [e.getAttribute('data-island'), [e.getAttribute('class'), e.getAttribute('fill')]])"))


def assert_step_drawn(page, short, i: int) -> None:
    s = short.steps[i]
    assert page.get_attribute("#ic-replay", "data-time") == s.time
    assert count(page, "path.ic-cutoff") == len(s.cut_off), s.time
    assert outlined(page) == set(s.cut_off), s.time
    assert count(page, ".leaflet-marker-pane .ic-storm-centre") == 1
    # the islands themselves: the cut-off style on exactly the panel's count, the hour's class on every one
    assert int(page.get_attribute("#ic-replay", "data-cut-off")) == len(s.cut_off)
    assert count(page, "path.ic-island.ic-island-cut") == len(s.cut_off), s.time
    drawn = islands_drawn(page)
    assert {iid for iid, (cls, _) in drawn.items() if "ic-island-cut" in cls.split()} == set(s.cut_off)
    data = page.evaluate("JSON.parse(document.getElementById('ic-replay-data').textContent)")
    isl, e = data["islands"], data["steps"][i]["e"]
    assert len(drawn) == len(isl["ids"]) == 62
    for iid, k in zip(isl["ids"], isl["cls"][e]):
        cls, fill = drawn[iid]
        assert f"ic-eta-{k}" in cls.split() and fill == isl["colours"][int(k)], (s.time, iid, cls, fill)
    unreachable = sum(1 for iid, k in zip(isl["ids"], isl["cls"][e]) if k == "6")
    assert int(page.get_attribute("#ic-replay", "data-unreachable")) == unreachable
    # the legend counts the islands of each class at this hour
    legend = page.eval_on_selector_all("#ic-legend [data-eta-class] .ic-n", "els => els.map(e => e.textContent)")
    assert [int("".join(c for c in t if c.isdigit())) for t in legend] == [
        isl["cls"][e].count(str(c)) for c in range(len(legend))]


class TestReplayChartInChromium:
    def test_draws_offline_at_the_peak(self, arch, short, open_chart, tmp_path):
        page, outside, errors = open_chart("replay_zh.html")
        assert outside == []  # nothing but the page itself was requested
        assert errors == []
        assert count(page, "path.ic-island") == len(arch.islands)
        assert count(page, "div.ic-beacon") == 12
        assert page.evaluate("window.icReplay.timeDimension.getAvailableTimes().length") == len(short.steps)
        most = max(len(s.cut_off) for s in short.steps)
        i = step_shown(page)
        assert len(short.steps[i].cut_off) == most
        assert_step_drawn(page, short, i)
        # outlines are on screen, thick and red
        widths = page.eval_on_selector_all("path.ic-replay-cutoff", "els => els.map(e => e.getAttribute('stroke-width'))")
        assert all(float(w) >= 4 for w in widths)
        assert page.eval_on_selector_all(
            "path.ic-replay-cutoff", "els => els.filter(e => e.getBBox().width > 0).length") == most
        # the time in Beijing time (UTC+8) with the zone named, in the control and the panel
        t = short.steps[i].time
        bj = (pd.Timestamp(t).tz_convert("UTC").tz_localize(None) + pd.Timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
        date = page.inner_text(".timecontrol-date")
        assert date == f"{bj} 北京时间"
        assert page.inner_text("#ic-replay-time") == date
        assert f"风暴孤岛 {most}/62 座" in page.inner_text("#ic-replay-status")
        assert page.inner_text("#ic-legend-cutoff") == f"风暴孤岛（此刻）：{most} 座"
        assert page.is_visible(".leaflet-bar-timecontrol") and page.is_visible("#ic-replay")
        shot = tmp_path / "replay_zh.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 50_000
        if os.environ.get("ISLANDCOVER_REPLAY_SCREENSHOT"):
            page.evaluate(f"window.icReplay.timeDimension.setCurrentTime(Date.parse('{LANDFALL}'))")
            page.wait_for_timeout(300)
            page.screenshot(path=os.environ["ISLANDCOVER_REPLAY_SCREENSHOT"])

    def test_islands_drawn_cut_off_match_the_panel_offline(self, short, open_chart):
        # at the worst hour and at an hour with nothing cut off, the network blocked throughout
        page, outside, errors = open_chart("replay_zh.html")
        worst = step_shown(page)
        most = max(len(s.cut_off) for s in short.steps)
        assert len(short.steps[worst].cut_off) == most
        assert count(page, "path.ic-island.ic-island-cut") == most == int(page.get_attribute("#ic-replay", "data-cut-off"))
        assert f"风暴孤岛 {most}/62 座" in page.inner_text("#ic-replay-status")
        grey = page.eval_on_selector_all("path.ic-island-cut", "els => els.filter(e => e.getAttribute('fill') === '#3a3a3a').length")
        assert grey == int(page.get_attribute("#ic-replay", "data-unreachable")) > 0  # no team can reach them
        assert f"其中无法到达 {grey} 座" in page.inner_text("#ic-replay-status")
        calm = next(i for i, s in enumerate(short.steps) if not s.cut_off)
        page.evaluate(f"window.icReplay.timeDimension.setCurrentTime(window.icReplay.times[{calm}])")
        page.wait_for_timeout(200)
        assert step_shown(page) == calm
        assert count(page, "path.ic-island.ic-island-cut") == 0 == int(page.get_attribute("#ic-replay", "data-cut-off"))
        assert_step_drawn(page, short, calm)
        assert "ic-eta-6" not in " ".join(c for c, _ in islands_drawn(page).values())  # every island reachable
        # the storm is named in Chinese in the title and the panel
        assert "梅花" in page.inner_text("#ic-title") and "梅花" in page.inner_text("#ic-replay h4")
        assert "MUIFA" not in page.content()
        assert page.get_attribute("html", "lang") == "zh-CN"
        # a mouse over an island and off again keeps the hour's colour (folium's resetStyle)
        page.evaluate(f"window.icReplay.timeDimension.setCurrentTime(window.icReplay.times[{worst}])")
        page.wait_for_timeout(200)
        before = islands_drawn(page)
        iid = next(i for i, (c, _) in before.items() if "ic-island-cut" in c.split())
        page.evaluate(f"""(() => {{ var l = window.icReplay.islands['{iid}'];
                                    l.fire('mouseover', {{target: l}}); l.fire('mouseout', {{target: l}}); }})()""")
        assert islands_drawn(page)[iid] == before[iid]
        assert outside == [] and errors == []

    def test_popup_gives_the_hours_response_time(self, arch, short, open_chart):
        page, _, errors = open_chart("replay_zh.html")
        iid = arch.island("东福山岛").id  # cut off at the peak, no team of its own
        click = f"(() => {{ var l = window.icReplay.islands['{iid}']; l.fire('click', {{latlng: l.getBounds().getCenter()}}, true); }})()"
        page.evaluate(click)
        assert "无法到达" in page.inner_text(".leaflet-popup-content")
        page.evaluate("window.icReplay.map.closePopup()")
        page.evaluate("window.icReplay.timeDimension.setCurrentTime(window.icReplay.times[0])")
        page.wait_for_timeout(200)
        page.evaluate(click)
        popup = page.inner_text(".leaflet-popup-content")
        assert "分钟" in popup and "无法到达" not in popup  # before the storm: a team reaches it
        assert errors == []

    def test_dragging_the_slider_changes_the_cut_off_islands(self, short, open_chart):
        page, outside, errors = open_chart("replay_zh.html")
        n = len(short.steps)
        drag_knob_to(page, 0, n)
        assert step_shown(page) == 0
        assert_step_drawn(page, short, 0)
        assert count(page, "path.ic-cutoff") == 0  # 13 Sep 12:00 UTC: nothing cut off yet
        target = [pd.Timestamp(s.time) for s in short.steps].index(pd.Timestamp("2022-09-14T06:00:00Z"))
        drag_knob_to(page, target, n)
        i = step_shown(page)
        assert abs(i - target) <= 1  # the knob snaps to the nearest step
        assert len(short.steps[i].cut_off) > 0
        assert_step_drawn(page, short, i)
        drag_knob_to(page, n - 1, n)
        assert step_shown(page) == n - 1
        assert_step_drawn(page, short, n - 1)
        assert outside == [] and errors == []

    def test_clicking_the_slider_bar_jumps_there(self, short, open_chart):
        page, _, errors = open_chart("replay_zh.html")
        bar = page.locator(".timecontrol-dateslider .slider").bounding_box()
        page.mouse.click(bar["x"] + bar["width"] * 0.25, bar["y"] + bar["height"] / 2)
        page.wait_for_timeout(200)
        i = step_shown(page)
        assert abs(i - round(0.25 * (len(short.steps) - 1))) <= 1
        assert_step_drawn(page, short, i)
        assert errors == []

    def test_step_buttons_move_one_hour(self, short, open_chart):
        page, _, errors = open_chart("replay_zh.html")
        i = step_shown(page)
        page.click("a.timecontrol-forward")
        page.wait_for_timeout(150)
        assert step_shown(page) == i + 1
        assert_step_drawn(page, short, i + 1)
        for _ in range(3):
            page.click("a.timecontrol-backward")
        page.wait_for_timeout(150)
        assert step_shown(page) == i - 2
        assert_step_drawn(page, short, i - 2)
        assert errors == []

    def test_play_runs_through_the_steps(self, short, open_chart):
        page, _, errors = open_chart("replay_zh.html")
        i = step_shown(page)
        page.click("a.timecontrol-play")
        page.wait_for_function(f"Number(document.getElementById('ic-replay').dataset.step) >= {i + 2}",
                               timeout=10_000)
        page.click("a.timecontrol-play")  # pause
        page.wait_for_timeout(700)
        j = step_shown(page)
        page.wait_for_timeout(700)
        assert step_shown(page) == j  # paused
        assert_step_drawn(page, short, j)
        assert errors == []

    def test_english_chart_starts_where_asked(self, short, open_chart):
        page, outside, errors = open_chart("replay_en.html")
        assert outside == [] and errors == []
        assert step_shown(page) == 0
        assert_step_drawn(page, short, 0)
        assert page.inner_text(".timecontrol-date") == "2022-09-13 20:00 BJT"  # 12:00 UTC
        assert "cut off: 0/62 islands" in page.inner_text("#ic-replay-status")
        assert "Typhoon Muifa replay" in page.inner_text("#ic-replay h4")
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("#ic-legend-cutoff") == "Cut off now: 0 islands"
        page.evaluate(f"window.icReplay.timeDimension.setCurrentTime(Date.parse('{LANDFALL}'))")
        page.wait_for_timeout(200)
        i = [pd.Timestamp(s.time) for s in short.steps].index(pd.Timestamp(LANDFALL))
        assert_step_drawn(page, short, i)
        assert count(page, "path.ic-route-suspended") == 45  # every sailing is suspended at landfall
        assert count(page, "path.ic-r7") == 1 and count(page, "path.ic-r10") == 1

    def test_layer_control_hides_the_wind_areas(self, open_chart):
        page, _, errors = open_chart("replay_zh.html")
        assert count(page, "path.ic-wind-area") >= 1
        page.locator(".leaflet-control-layers").get_by_text("风圈（模型，逐时）", exact=True).click()
        assert count(page, "path.ic-wind-area") == 0
        page.click("a.timecontrol-forward")
        page.wait_for_timeout(150)
        assert count(page, "path.ic-wind-area") == 0  # stays hidden when the time moves
        assert errors == []
