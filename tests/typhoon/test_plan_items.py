"""The items of the one-track plan and of the ensemble plan share their island and team JSON."""
from __future__ import annotations

from islandcover.typhoon.prepare_odds import OddsItem
from islandcover.typhoon.replay import PrepareItem, TeamOption

TEAM = TeamOption("T01", "ST01", "fast", 42.04, "2022-09-13T20:00:00+08:00", "2022-09-13T20:42:00+08:00")
SHARED = dict(id="ZS-0042", name_zh="东福山岛", name_en="Dongfushan Dao", population=None,
              cut_off_from="2022-09-14T01:00:00+08:00", team=TEAM, options=[TEAM], note="n", urgency="leave by")


def test_one_track_item_json_keeps_its_order():
    item = PrepareItem(**SHARED, isolation_h=14.0, cut_off_until="2022-09-14T14:00:00+08:00")
    assert list(item.to_dict()) == ["id", "name_zh", "name_en", "population", "population_known", "isolation_h",
                                    "cut_off_from", "cut_off_until", "team", "options", "note", "urgency"]
    assert item.to_dict()["team"]["eta_min"] == 42.0 and item.to_dict()["population_known"] is False


def test_ensemble_item_json_keeps_its_order_and_rounding():
    item = OddsItem(**SHARED, p_cut_off=0.123456, expected_people=None, hours_mean=13.456, hours_p90=20.0)
    d = item.to_dict()
    assert list(d) == ["id", "name_zh", "name_en", "population", "population_known", "p_cut_off", "expected_people",
                       "hours_mean", "hours_p90", "cut_off_from", "team", "options", "note", "urgency"]
    assert (d["p_cut_off"], d["hours_mean"]) == (0.1235, 13.46)


def test_both_plans_items_agree_on_the_island_and_the_team():
    one = PrepareItem(**SHARED, isolation_h=14.0, cut_off_until="2022-09-14T14:00:00+08:00").to_dict()
    odds = OddsItem(**SHARED, p_cut_off=0.5, expected_people=None, hours_mean=13.0, hours_p90=20.0).to_dict()
    shared = [k for k in one if k in odds]
    assert shared == [k for k in odds if k in one]
    assert {k: one[k] for k in shared} == {k: odds[k] for k in shared}
