"""Timetables of the scheduled boats (issue 16): a team on the ferries waits for the next
published sailing; routes without a published timetable leave when the team arrives."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from islandcover.clock import BEIJING
from islandcover.errors import DataError
from islandcover.io.ferries import read_sailings
from islandcover.travel.timetable import Timetable
from islandcover.travel.weather import Weather

CALM = Weather.uniform(0)


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


class TestTheShippedTimetable:
    def test_at_night_the_dongji_boat_waits_for_the_morning(self, router):
        """沈家门 → 东福山 by ferry asked at 23:00: the 08:30 boat to 庙子湖 (F-18), then the 11:00 boat
        on to 东福山 (F-19); the ETA is the same trip plus 9 h 15 min of waiting the night
        through and a short wait at 庙子湖."""
        static = router.route("沈家门", "东福山岛", "ferry", CALM)
        night = router.route("沈家门", "东福山岛", "ferry", CALM, at=bj("2026-12-03T23:00"))
        assert static.status == night.status == "ok"
        waits = [leg for leg in night.legs if leg.mode == "wait"]
        assert [w.via for w in waits] == ["next sailing 12-04 08:30 BJT", "next sailing 12-04 11:00 BJT"]
        road = night.legs[0].minutes  # 沈家门 service point to the pier
        assert waits[0].minutes == pytest.approx(9 * 60 + 30 - road, abs=0.1)  # 23:00 + road → 08:30
        moving = sum(leg.minutes for leg in night.legs if leg.mode != "wait")
        assert moving == pytest.approx(static.eta_min, abs=0.2)
        assert night.eta_min == pytest.approx(moving + sum(w.minutes for w in waits), abs=0.2)

    def test_in_the_morning_the_wait_is_short(self, router):
        morning = router.route("沈家门", "东福山岛", "ferry", CALM, at=bj("2026-12-04T08:00"))
        waits = [leg.minutes for leg in morning.legs if leg.mode == "wait"]
        assert waits[0] == pytest.approx(30 - morning.legs[0].minutes, abs=0.1)

    def test_a_route_without_a_timetable_leaves_when_the_team_arrives(self, router):
        """沈家门—蚂蚁 (F-16) publishes no timetable we could source: no wait at any hour."""
        assert not router.timetable.has("F-16", "out")
        night = router.route("沈家门", "蚂蚁岛", "ferry", CALM, at=bj("2026-12-03T23:00"))
        assert night.status == "ok" and "wait" not in [leg.mode for leg in night.legs]

    def test_nearest_by_ferry_waits_too(self, router):
        """At force 7 the own boats are out and T-03C (沈家门, by ferry) answers first by day; at
        23:00 it waits the night for the 08:30 boat, and a team whose sailings publish no timetable
        (so leave when it arrives) is offered before it."""
        day = router.nearest("东福山岛", Weather.uniform(7), k=1)
        assert day.trips[0].team_id == "T-03C"
        night_trip = router.trip("T-03C", "东福山岛", Weather.uniform(7), at=bj("2026-12-03T23:00"))
        assert night_trip is not None and night_trip.eta_min > day.trips[0].eta_min + 9 * 60
        night = router.nearest("东福山岛", Weather.uniform(7), k=3, at=bj("2026-12-03T23:00"))
        assert night.trips[0].team_id != "T-03C" and night.trips[0].eta_min < night_trip.eta_min

    def test_the_cli_answers_for_the_time_given(self, run_cli, tmp_path, monkeypatch):
        import json

        monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path))
        rc, out, err = run_cli(["route", "沈家门", "东福山岛", "--vessel", "ferry", "--at", "2026-12-03T23:00+08:00",
                                "--json"])
        assert rc == 0, err
        assert [leg["mode"] for leg in json.loads(out)["legs"]].count("wait") == 2
        rc, _, err = run_cli(["route", "沈家门", "东福山岛", "--vessel", "ferry", "--at", "23:00"])
        assert rc == 2 and "--at '23:00'" in err


class TestTheTimetableItself:
    def test_departures_on_the_day_or_the_next(self):
        tt = Timetable.__new__(Timetable)
        from islandcover.travel.timetable import _Schedule

        tt._by = {("F-X", "out"): _Schedule((8 * 60 + 30, 14 * 60), (0, 1, 2, 3, 4), 10.0, "timetable", "H")}
        # a Friday 14:00 sailing needs boarding by 13:50
        assert tt.next_departure("F-X", "out", bj("2026-12-04T13:45")) == bj("2026-12-04T14:00")
        assert tt.next_departure("F-X", "out", bj("2026-12-04T13:55")) == bj("2026-12-07T08:30")  # Monday
        assert tt.next_departure("F-X", "back", bj("2026-12-04T13:55")) is None
        # any offset in, the same instant: 2026-12-03 15:00 UTC is 23:00 Thursday in Beijing
        from datetime import UTC

        assert tt.next_departure("F-X", "out", datetime(2026, 12, 3, 15, 0, tzinfo=UTC)) == bj("2026-12-04T08:30")


@pytest.mark.parametrize(("row", "field", "words"), [
    ("F-99,out,timetable,08:30,,,,,daily,", "route_id", "unknown route"),
    ("F-18,sideways,timetable,08:30,,,,,daily,", "direction", "out, back or both"),
    ("F-18,out,timetable,8h30,,,,,daily,", "times", "HH:MM"),
    ("F-18,out,first-last-headway,,10:00,09:00,30,,daily,", "last", "before the first"),
    ("F-18,out,first-last-headway,,06:00,18:00,,,daily,", "headway_min", "headway_min or per_day"),
    ("F-18,out,timetable,08:30,,,,,weekends,", "days", "days must be"),
])
def test_a_bad_sailings_row_names_its_field(arch, tmp_path, row, field, words):
    path = tmp_path / "sailings.csv"
    path.write_text("route_id,direction,kind,times,first,last,headway_min,per_day,days,boarding_min\n" + row + "\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=words) as exc:
        read_sailings(path, arch.ferries.index)
    assert exc.value.row == 1 and exc.value.field == field


def test_a_count_a_day_is_spread_evenly(arch, tmp_path):
    path = tmp_path / "sailings.csv"
    path.write_text("route_id,direction,kind,times,first,last,headway_min,per_day,days,boarding_min\n"
                    "F-21,both,first-last-headway,,06:40,21:00,,25,daily,\n", encoding="utf-8")
    t = read_sailings(path, arch.ferries.index)
    deps = t.departures.iloc[0]
    assert len(t) == 2 and len(deps) == 25 and (deps[0], deps[-1]) == (400, 1260)
    assert pd.Series(deps).diff().dropna().between(35, 36).all()  # 860 min / 24 gaps ≈ 35.8 min


def test_coverage_by_ferry_at_night_is_no_better_than_by_day(run_cli, tmp_path, monkeypatch):
    """coverage --at: the planning vessel ferry waits for the sailings, so fewer islands are
    reached within 4 h at 23:00 than at 08:00 (the 东极 boats leave at 08:30 and 11:00)."""
    import json

    monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path))
    share = {}
    for when in ("2026-12-03T23:00+08:00", "2026-12-04T08:00+08:00"):
        rc, out, err = run_cli(["coverage", "--vessel", "ferry", "--at", when, "--minutes", "240", "--json"])
        assert rc == 0, err
        share[when] = json.loads(out)["islands_covered"]
    assert share["2026-12-03T23:00+08:00"] < share["2026-12-04T08:00+08:00"]  # 35 vs 36 of 53 islands
