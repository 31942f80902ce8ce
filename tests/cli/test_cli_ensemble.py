"""``islandcover ensemble`` (stations, ``--csv``, ``--map``) and ``islandcover prepare --members``, on a day of 梅花.

The runs use a forecast file of 梅花 (Muifa) 2022's best-track points from 09-14 02:00 to 09-15 02:00
Beijing time, two members, serially: a short window that does cut islands off and close links.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from urllib.parse import urlparse

import pandas as pd
import pytest

from islandcover.chart.ensemble import ODDS_COLOURS, odds_class

RUN = ["--members", "2", "--seed", "11", "--workers", "0"]
#: URLs that may appear in the page, none loaded when it is viewed: the SVG namespace and comments in
#: leaflet.js, its attribution, and the optional OpenStreetMap tile layer (off at first).
ALLOWED_HOSTS = {"www.w3.org", "leafletjs.com", "bugs.chromium.org", "bugzilla.mozilla.org",
                 "tile.openstreetmap.org", "www.openstreetmap.org"}


def _main(argv: list[str]) -> tuple[int, str, str]:
    """Run the command once for a whole module (``run_cli`` is per test)."""
    from islandcover import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(argv)
        except SystemExit as exc:
            rc = int(exc.code or 0)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def folder(muifa_forecast):
    """The folder of the forecast file ``muifa_day.csv`` (conftest's ``muifa_forecast``), where the maps go too."""
    return muifa_forecast("2022-09-14T02:00", "2022-09-15T02:00", name="muifa_day.csv").parent


@pytest.fixture(scope="module")
def as_json(folder, arch, router):  # arch, router: the network is built (cached) before the command
    rc, out, err = _main(["ensemble", str(folder / "muifa_day.csv"), *RUN, "--json",
                          "--map", str(folder / "odds-en.html"), "--lang", "en"])
    assert rc == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def as_csv(folder, as_json):
    rc, out, err = _main(["ensemble", str(folder / "muifa_day.csv"), *RUN, "--csv",
                          "--map", str(folder / "odds-zh.html")])
    assert rc == 0, err
    return list(csv.DictReader(io.StringIO(out)))


@pytest.fixture(scope="module")
def plan(folder, as_json):
    rc, out, err = _main(["prepare", str(folder / "muifa_day.csv"), *RUN, "--json", "--state", "none",
                          "--now", "2022-09-14T02:00+08:00"])
    assert rc == 0, err
    return json.loads(out)


def _page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="ic-ensemble-data">(.*?)</script>', page, flags=re.S)
    assert m
    return json.loads(m.group(1))


class TestEnsembleOutput:
    def test_json_gives_each_station_its_odds_beside_the_islands(self, arch, as_json):
        assert as_json["members"] == 2 and as_json["hours"] == 12
        assert set(as_json["islands"][0]) == {"id", "name_zh", "name_en", "p_cut_off", "hours_mean", "hours_p90",
                                              "p_force10"}
        stations = {s["id"]: s for s in as_json["stations"]}
        assert set(stations) == set(arch.teams.station_id)  # every station with a team
        for sid, s in stations.items():
            assert s["name_zh"] == arch.stations.at[sid, "name_zh"]
            assert s["p_links_close"] in (0.0, 0.5, 1.0)  # two members
            assert (s["p_links_close"] > 0) == (s["hours_closed_mean"] > 0)  # closures last whole hours
        assert any(s["p_links_close"] > 0 for s in stations.values())  # the day of landfall closes links
        assert "sea lane" in as_json["definitions"]["p_links_close"]

    def test_csv_has_a_row_per_island_and_per_station_with_the_same_numbers(self, as_json, as_csv):
        assert list(as_csv[0]) == ["kind", "id", "name_zh", "name_en", "population", "p_cut_off", "hours_mean",
                                   "hours_p90", "p_force10", "island_id", "boat_classes", "p_links_close",
                                   "hours_closed_mean", "hours_closed_p90"]
        islands = [r for r in as_csv if r["kind"] == "island"]
        stations = [r for r in as_csv if r["kind"] == "station"]
        assert len(islands) == len(as_json["islands"]) and len(stations) == len(as_json["stations"])
        assert [r["id"] for r in islands] == [i["id"] for i in as_json["islands"]]  # one seed, one answer
        for row, s in zip(stations, as_json["stations"]):
            assert row["id"] == s["id"] and float(row["p_links_close"]) == s["p_links_close"]
            assert float(row["hours_closed_mean"]) == s["hours_closed_mean"]
            assert row["p_cut_off"] == "" and row["boat_classes"].split() == s["boat_classes"]
        for row, i in zip(islands, as_json["islands"]):
            assert float(row["p_cut_off"]) == i["p_cut_off"] and row["p_links_close"] == ""


class TestMap:
    def test_islands_are_coloured_by_their_chance_of_being_cut_off(self, folder, as_json):
        page = (folder / "odds-en.html").read_text(encoding="utf-8")
        data = _page_data(page)
        drawn = {i["id"]: i for i in data["islands"]}
        assert set(drawn) == {i["id"] for i in as_json["islands"]}
        for i in as_json["islands"]:
            want = 0 if i["p_cut_off"] == 0 else (1 if i["p_cut_off"] <= 0.1 else 2 if i["p_cut_off"] <= 0.25
                                                  else 3 if i["p_cut_off"] <= 0.5 else 4 if i["p_cut_off"] <= 0.75
                                                  else 5)
            assert drawn[i["id"]]["class"] == want == odds_class(i["p_cut_off"]), i["id"]
        rings = {s["id"]: s["class"] for s in data["stations"]}
        assert rings == {s["id"]: odds_class(s["p_links_close"]) for s in as_json["stations"]}
        for k, colour in enumerate(ODDS_COLOURS):  # each class in use is styled, the legend in its colour
            if any(v["class"] == k for v in drawn.values()):
                assert f"ic-odds-{k}" in page and f'data-odds-class="{k}"><span class="ic-sw" style="background:{colour}"' in page

    def test_the_legend_speaks_the_chosen_language(self, folder, as_json, as_csv):
        en = (folder / "odds-en.html").read_text(encoding="utf-8")
        zh = (folder / "odds-zh.html").read_text(encoding="utf-8")
        assert "Chance of being cut off for more than 12 h" in en and 'lang="en"' in en
        assert "连续孤立超过 12 小时的概率" in zh and 'lang="zh-CN"' in zh
        assert "出海通道" in zh and "sea links" in en
        legend = re.search(r'<div class="ic-legend" id="ic-legend">(.*?)</div></div>', en, flags=re.S)
        assert legend and legend.group(0).count("data-odds-class") == len(ODDS_COLOURS)

    def test_the_map_draws_offline(self, folder, as_json, as_csv):
        for name in ("odds-en.html", "odds-zh.html"):
            page = (folder / name).read_text(encoding="utf-8")
            assert not re.search(r"<script[^>]*\ssrc\s*=", page, flags=re.IGNORECASE)
            assert not re.search(r"<link[^>]*\shref\s*=", page, flags=re.IGNORECASE)
            hosts = {urlparse(u).hostname for u in re.findall(r"https?://[^\s\"'<>)\\`]+", page)}
            assert hosts <= ALLOWED_HOSTS, hosts - ALLOWED_HOSTS
            assert "Leaflet 1.9.4" in page and "BSD-2-Clause" in page  # its own Leaflet, inlined
            for cdn in ("jsdelivr", "jquery", "cloudflare", "unpkg", "fontawesome"):
                assert cdn not in page.lower()
            # the layer control's script runs after every layer it names is defined
            control = page.index("L.control.layers(")
            for var in re.findall(r"var (feature_group_\w+) = L\.featureGroup", page):
                assert page.index(f"var {var} = ") < control, var


class TestPrepareMembers:
    def test_moves_are_ranked_by_probability_times_people_computed_by_hand(self, arch, plan):
        assert plan["members"] == 2 and plan["ranking"].startswith("p_cut_off × population")
        pop = arch.islands.population
        own = set(arch.stations.loc[arch.teams.station_id, "island_id"])
        items = plan["items"]
        assert items and not {i["id"] for i in items} & own
        known = [i for i in items if i["population_known"]]
        assert items[:len(known)] == known  # islands with no published population come last
        for i in known:
            assert i["population"] == int(pop[i["id"]])
            assert i["expected_people"] == pytest.approx(i["p_cut_off"] * int(pop[i["id"]]), abs=0.05)
        by_hand = sorted(known, key=lambda i: (-i["p_cut_off"] * int(pop[i["id"]]), -i["p_cut_off"], i["id"]))
        assert [i["id"] for i in known] == [i["id"] for i in by_hand]
        assert plan["expected_people"] == pytest.approx(
            sum(i["p_cut_off"] * int(pop[i["id"]]) for i in known), abs=0.1)

    def test_the_plan_has_the_ensembles_odds(self, as_json, plan):
        odds = {i["id"]: i["p_cut_off"] for i in as_json["islands"]}  # the same seed and members
        for i in plan["items"]:
            assert i["p_cut_off"] == odds[i["id"]] > 0
        sent = [i["team"]["team_id"] for i in plan["items"] if i["team"]]
        assert sent and len(sent) == len(set(sent))
        for i in plan["items"]:
            if i["team"]:
                assert pd.Timestamp(i["team"]["arrival"]) <= pd.Timestamp(i["cut_off_from"])

    def test_the_text_says_how_it_ranks(self, run_cli, folder, as_json):
        rc, out, err = run_cli(["prepare", str(folder / "muifa_day.csv"), "--members", "1", "--spread", "0",
                                "--workers", "0", "--state", "none", "--now", "2022-09-14T02:00+08:00"])
        assert rc == 0, err
        assert "RANKED BY PROBABILITY × PEOPLE" in out.splitlines()[0]
        assert "ranking: p_cut_off × population" in out


class TestErrorsWarnings:
    @pytest.mark.parametrize("argv, word", [
        (["prepare", "梅花", "--seed", "3"], "--members"),
        (["prepare", "梅花", "--from", "2022-09-13T08:00+08:00"], "--members"),
        (["prepare", "梅花", "--members", "0"], "members"),
        (["prepare", "梅花", "--members", "2", "--workers", "-1"], "workers"),
        (["prepare", "梅花", "--members", "2", "--step", "3h"], "hour by hour"),
        (["prepare", "梅花", "--members", "2", "--scheduler", "nowhere"], "scheduler"),
        (["ensemble", "梅花", "--members", "2", "--map", "/no/such/folder/odds.html"], "does not exist"),
        (["ensemble", "梅花", "--members", "2", "--map", "odds.html", "--lang", "fr"], "lang"),
    ])
    def test_bad_input_exits_2_with_one_line(self, run_cli, argv, word):
        rc, out, err = run_cli(argv)
        assert rc == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and word in err
