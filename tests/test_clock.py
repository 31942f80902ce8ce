"""Beijing time for people, ISO 8601 with +08:00 for machines (islandcover.clock)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

from islandcover.clock import BEIJING, beijing_text, iso_beijing, to_beijing


class TestIso:
    @pytest.mark.parametrize("t", [
        "2022-09-14T11:00Z", "2022-09-14T11:00:00Z", "2022-09-14T19:00+08:00", "2022-09-14T06:00-05:00",
        datetime(2022, 9, 14, 11, tzinfo=UTC), pd.Timestamp("2022-09-14T11:00Z"),
        pd.Timestamp("2022-09-14T13:00", tz="Europe/Berlin"),  # CEST, UTC+2 in September
    ])
    def test_one_instant_in_any_form(self, t):
        # 11:00 UTC is 19:00 in Beijing (UTC+8)
        assert iso_beijing(t) == "2022-09-14T19:00:00+08:00"

    def test_the_date_moves_with_the_zone(self):
        # 16:00 UTC on the 13th is midnight of the 14th in Beijing; 15:59 is still the 13th
        assert iso_beijing("2022-09-13T16:00Z") == "2022-09-14T00:00:00+08:00"
        assert iso_beijing("2022-09-13T15:59Z") == "2022-09-13T23:59:00+08:00"

    def test_to_the_second_unless_asked(self):
        t = datetime(2026, 12, 3, 9, 20, 5, 123456, tzinfo=UTC)
        assert iso_beijing(t) == "2026-12-03T17:20:05+08:00"
        assert iso_beijing(t, timespec="auto") == "2026-12-03T17:20:05.123456+08:00"

    def test_the_instant_is_kept(self):
        t = datetime(2022, 9, 14, 11, tzinfo=UTC)
        bj = to_beijing(t)
        assert bj == t and bj.utcoffset() == timedelta(hours=8) and bj.tzinfo is BEIJING
        assert datetime.fromisoformat(iso_beijing(t)) == t

    def test_no_daylight_saving_in_any_year(self):
        # Asia/Shanghai kept summer time 1986–1991; Beijing time as the bulletins write it is UTC+8 throughout
        assert iso_beijing("1990-07-01T00:00Z") == "1990-07-01T08:00:00+08:00"


class TestText:
    def test_for_people_with_the_zone_named(self):
        assert beijing_text("2022-09-14T11:00Z") == "09-14 19:00 BJT"
        assert beijing_text("2022-09-14T11:00Z", lang="zh") == "09-14 19:00 北京时间"
        assert beijing_text("2022-09-14T11:00Z", year=True) == "2022-09-14 19:00 BJT"
        assert beijing_text(pd.Timestamp("2022-09-14T11:00Z"), zone=False) == "09-14 19:00"


class TestNaiveTimes:
    @pytest.mark.parametrize("t", ["2022-09-14T11:00", datetime(2022, 9, 14, 11), pd.Timestamp("2022-09-14T11:00")])
    def test_a_time_without_a_zone_is_refused(self, t):
        with pytest.raises(ValueError, match="has no time zone"):
            iso_beijing(t)

    def test_text_that_is_not_a_time(self):
        with pytest.raises(ValueError, match="is not an ISO 8601 time"):
            beijing_text("14 Sept 8pm")

    def test_something_that_is_not_a_time(self):
        with pytest.raises(TypeError, match="got int"):
            to_beijing(1663153200)

    def test_a_fixed_offset_zone_is_any_zone(self):
        assert iso_beijing(datetime(2022, 9, 14, 20, tzinfo=timezone(timedelta(hours=9)))) == "2022-09-14T19:00:00+08:00"
