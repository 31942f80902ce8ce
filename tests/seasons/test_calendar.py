"""The 24 solar terms and the 四时令 seasonal service calendar (issue 8).

Solar terms are checked against instants published by observatories and almanacs (each cited
with its URL below), within 2 minutes; the published values are rounded to the minute, so up to
30 s of every difference is rounding.
"""
from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islandcover.errors import DataError, IslandcoverError
from islandcover.seasons.service_calendar import (
    CALENDAR_FILE,
    COLUMNS,
    OPERATOR,
    build_calendar,
    load_items,
    to_ics,
)
from islandcover.seasons.solar_terms import (
    BEIJING,
    TERMS,
    UnknownTerm,
    YearOutOfRange,
    apparent_solar_longitude_deg,
    count_by_term,
    find_term,
    next_term,
    solar_term,
    solar_terms,
    term_of,
)

TOLERANCE_S = 120

# --------------------------------------------------------------------- published instants
# Hong Kong Observatory, "2013 年二十四节气的日期及时间资料" (HKT = UTC+8; data from HM Nautical
# Almanac Office and USNO): https://www.hko.gov.hk/sc/gts/astron2013/Solar_Term_2013.htm
HKO_2013_URL = "https://www.hko.gov.hk/sc/gts/astron2013/Solar_Term_2013.htm"
HKO_2013 = ("小寒 01-05 12:34|大寒 01-20 05:52|立春 02-04 00:13|雨水 02-18 20:02|惊蛰 03-05 18:15|"
            "春分 03-20 19:02|清明 04-04 23:02|谷雨 04-20 06:03|立夏 05-05 16:18|小满 05-21 05:09|"
            "芒种 06-05 20:23|夏至 06-21 13:04|小暑 07-07 06:35|大暑 07-22 23:56|立秋 08-07 16:20|"
            "处暑 08-23 07:02|白露 09-07 19:16|秋分 09-23 04:44|寒露 10-08 10:58|霜降 10-23 14:10|"
            "立冬 11-07 14:14|小雪 11-22 11:48|大雪 12-07 07:09|冬至 12-22 01:11")
# Purple Mountain Observatory (紫金山天文台), 《二〇二六年日历资料》, Beijing time, as transcribed in
# the verification table of the Chinese Calendar open dataset (CC BY 4.0):
# https://github.com/Kuangchujia/chinese-calendar-dataset/blob/1742d673426501590d77c17b513145a3010f782a/01-%E4%BA%8C%E5%8D%81%E5%9B%9B%E8%8A%82%E6%B0%94%E4%BA%A4%E8%8A%82%E6%97%B6%E5%88%BB/data/verification_2026_vs_zijinshan.csv
# (its 清明 02:40 agrees with Xinhua's, below).
PMO_2026_URL = ("https://github.com/Kuangchujia/chinese-calendar-dataset/blob/1742d673426501590d77c17b513145a3010f782a/"
                "01-%E4%BA%8C%E5%8D%81%E5%9B%9B%E8%8A%82%E6%B0%94%E4%BA%A4%E8%8A%82%E6%97%B6%E5%88%BB/data/"
                "verification_2026_vs_zijinshan.csv")
PMO_2026 = ("小寒 01-05 16:23|大寒 01-20 09:45|立春 02-04 04:02|雨水 02-18 23:52|惊蛰 03-05 21:59|"
            "春分 03-20 22:46|清明 04-05 02:40|谷雨 04-20 09:39|立夏 05-05 19:49|小满 05-21 08:37|"
            "芒种 06-05 23:48|夏至 06-21 16:25|小暑 07-07 09:57|大暑 07-23 03:13|立秋 08-07 19:43|"
            "处暑 08-23 10:19|白露 09-07 22:41|秋分 09-23 08:05|寒露 10-08 14:29|霜降 10-23 17:38|"
            "立冬 11-07 17:52|小雪 11-22 15:23|大雪 12-07 10:53|冬至 12-22 04:50")


def _table(year: int, table: str, url: str) -> list[tuple[int, str, str, int, str]]:
    return [(year, row.split()[0], f"{year}-{row.split()[1]} {row.split()[2]}", 8, url) for row in table.split("|")]


# (year, term, published instant, UTC offset of that instant in hours, URL)
PUBLISHED: list[tuple[int, str, str, int, str]] = [
    *_table(2013, HKO_2013, HKO_2013_URL),
    *_table(2026, PMO_2026, PMO_2026_URL),
    # Xinhua / China News reports quoting PMO's 《中国天文年历》 (Beijing time), on copies of the articles:
    (2009, "立夏", "2009-05-05 16:51", 8, "http://pianai1000.com/gn/news/2009/05-04/1675442.shtml"),
    (2010, "立秋", "2010-08-07 22:49", 8, "https://0853yuebing.com/content/content_8271289.html"),
    (2015, "立秋", "2015-08-08 04:01", 8,
     "http://lanzhou.baogaosu.com/xinwen/%E4%BB%8A%E5%B9%B4%E7%AB%8B%E7%A7%8B%E5%B1%9E%E6%97%A9%E7%AB%8B%E7%A7%8B/36343404"),
    (2020, "秋分", "2020-09-22 21:31", 8, "http://hotsrq.com/politics/2020-09/21/c_1126521714.htm"),
    (2020, "立夏", "2020-05-05 08:51", 8, "http://www.njpanjin.com/cn/Instant/culture/202305/t20230506_7410742.html"),
    (2021, "立夏", "2021-05-05 14:47", 8, "http://www.njpanjin.com/cn/Instant/culture/202305/t20230506_7410742.html"),
    (2022, "立夏", "2022-05-05 20:26", 8, "http://www.njpanjin.com/cn/Instant/culture/202305/t20230506_7410742.html"),
    (2024, "立春", "2024-02-04 16:27", 8, "http://www.feedlan.com/news/zonghe/xinxi/1708225361453421.html"),
    (2024, "清明", "2024-04-04 15:02", 8, "http://m.whuxiaoyan8.cn/29/16302.html"),
    (2025, "清明", "2025-04-04 20:49", 8, "http://m.whuxiaoyan8.cn/29/16302.html"),
    (2026, "清明", "2026-04-05 02:40", 8, "http://m.whuxiaoyan8.cn/29/16302.html"),
    # Fred Espenak, "Solstices and Equinoxes: 2001 to 2100" (GMT), astropixels.com/ephemeris/soleq2001.html,
    # as quoted at http://www.herongyang.com/Year/Background-Information-Equinox-Solstices-Seasons.html
    *[(y, n, t, 0, "http://www.herongyang.com/Year/Background-Information-Equinox-Solstices-Seasons.html")
      for y, n, t in [(2001, "春分", "2001-03-20 13:31"), (2001, "夏至", "2001-06-21 07:38"),
                      (2001, "秋分", "2001-09-22 23:05"), (2001, "冬至", "2001-12-21 19:22"),
                      (2051, "春分", "2051-03-20 15:58"), (2051, "夏至", "2051-06-21 09:17"),
                      (2051, "秋分", "2051-09-23 01:26"), (2051, "冬至", "2051-12-21 22:33"),
                      (2100, "春分", "2100-03-20 13:04"), (2100, "夏至", "2100-06-21 05:32"),
                      (2100, "秋分", "2100-09-22 22:00"), (2100, "冬至", "2100-12-21 19:51")]],
    # a calendar site's 立春 table, to the second (method not stated): https://1949la.com/46853.html
    (2027, "立春", "2027-02-04 09:46:00", 8, "https://1949la.com/46853.html"),
    (2030, "立春", "2030-02-04 03:08:04", 8, "https://1949la.com/46853.html"),
    # "Equinoxes and Solstices, Dates and Times (UTC) 1901-2050" (method not stated):
    *[(1901, n, t, 0, "https://www.worldspaceflight.com/addendum/equinox.php")
      for n, t in [("春分", "1901-03-21 07:23:53"), ("夏至", "1901-06-22 03:27:59"),
                   ("秋分", "1901-09-23 18:08:51"), ("冬至", "1901-12-22 12:36:57")]],
]


def _parse(text: str, offset_h: int) -> datetime:
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone(timedelta(hours=offset_h)))


class TestPublishedInstants:
    @pytest.mark.parametrize(("year", "name", "published", "offset_h", "url"), PUBLISHED,
                             ids=[f"{y}-{n}-{u.split('/')[2]}" for y, n, _, _, u in PUBLISHED])
    def test_within_two_minutes(self, year, name, published, offset_h, url):
        term = solar_term(year, name)
        diff = (term.start - _parse(published, offset_h)).total_seconds()
        assert abs(diff) <= TOLERANCE_S, f"{year} {name}: {term.start.isoformat()} vs {published} ({url}): {diff:+.0f} s"

    def test_the_four_seasons_and_the_four_beginnings_are_covered(self):
        names = {n for _, n, _, _, _ in PUBLISHED}
        assert {"春分", "夏至", "秋分", "冬至", "立春", "立秋"} <= names
        assert len({y for y, *_ in PUBLISHED}) >= 10


# ----------------------------------------------------------------------------- structure
class TestSolarTerms:
    @settings(max_examples=40, deadline=None)
    @given(st.integers(1900, 2100))
    def test_24_terms_in_order_14_to_16_days_apart(self, year):
        terms = solar_terms(year)
        assert [t.name_zh for t in terms] == [t.name_zh for t in TERMS]
        assert [t.longitude_deg for t in terms] == [(285 + 15 * i) % 360 for i in range(24)]
        assert all(t.start.year == year and t.start.utcoffset() == timedelta(hours=8) for t in terms)
        gaps = [(b.start - a.start).total_seconds() / 86400 for a, b in pairwise(terms)]
        assert all(14.0 < g < 16.0 for g in gaps), gaps
        following = next_term(terms[-1])
        assert following.name_zh == "小寒" and following.start.year == year + 1
        assert 14.0 < (following.start - terms[-1].start).total_seconds() / 86400 < 16.0

    @settings(max_examples=25, deadline=None)
    @given(st.integers(1900, 2100), st.integers(0, 23))
    def test_the_sun_is_at_the_terms_longitude_at_its_start(self, year, k):
        term = solar_terms(year)[k]
        past = (apparent_solar_longitude_deg(term.start) - term.longitude_deg + 180) % 360 - 180
        before = (apparent_solar_longitude_deg(term.start - timedelta(seconds=2)) - term.longitude_deg + 180) % 360 - 180
        assert 0 <= past < 1e-4 and before < 0  # start is rounded up to the second

    def test_names_in_chinese_traditional_english_and_pinyin(self):
        assert find_term("處暑").name_zh == "处暑"
        assert find_term("autumn commences").name_zh == "立秋"  # Hong Kong Observatory's English
        assert find_term("Beginning of Autumn").name_zh == "立秋"
        assert find_term("LIQIU").name_zh == "立秋"
        assert find_term("Frost's Descent").longitude_deg == 210
        assert solar_term(2027, "Vernal Equinox").name_en == "Spring Equinox"

class TestTermOf:
    @settings(max_examples=40, deadline=None)
    @given(st.datetimes(datetime(1900, 1, 1), datetime(2100, 12, 31, 23), timezones=st.just(BEIJING)))
    def test_the_term_in_force_started_before_and_ends_after(self, when):
        term = term_of(when)
        assert term.start <= when < next_term(term).start

    def test_at_the_boundary(self):
        liqiu = solar_term(2027, "立秋")
        assert term_of(liqiu.start).name_zh == "立秋"
        assert term_of(liqiu.start - timedelta(seconds=1)).name_zh == "大暑"
        assert term_of(liqiu.start.astimezone(UTC)).start == liqiu.start  # any timezone

    def test_early_january_is_last_years_winter_solstice(self):
        t = term_of(datetime(2027, 1, 2, tzinfo=BEIJING))
        assert t.name_zh == "冬至" and t.start.year == 2026

    def test_count_by_term(self):
        # HKO 2013: 大暑 22 Jul 23:56, 立秋 7 Aug 16:20, 处暑 23 Aug 07:02 (HKT)
        samples = [(datetime(2013, 8, 7, 15, 50, tzinfo=BEIJING), True),   # 大暑, 30 min before 立秋
                   (datetime(2013, 8, 7, 16, 50, tzinfo=BEIJING), True),   # 立秋
                   (datetime(2013, 8, 20, tzinfo=BEIJING), False),         # 立秋
                   (datetime(2013, 8, 23, 8, tzinfo=BEIJING), True)]       # 处暑
        counts = {c.name_zh: c for c in count_by_term(samples)}
        assert len(counts) == 24
        assert (counts["大暑"].samples, counts["大暑"].flagged) == (1, 1)
        assert (counts["立秋"].samples, counts["立秋"].flagged, counts["立秋"].share) == (2, 1, 0.5)
        assert (counts["处暑"].samples, counts["处暑"].flagged) == (1, 1)
        assert sum(c.samples for c in counts.values()) == 4
        plain = {c.name_zh: c.flagged for c in count_by_term([s for s, _ in samples])}
        assert plain["立秋"] == 2 and plain["处暑"] == 1


class TestErrors:
    @pytest.mark.parametrize("year", [1800, 1899, 2101, "2027", 2027.0, True])
    def test_year_outside_1900_2100(self, year):
        with pytest.raises(YearOutOfRange, match="1900"):
            solar_terms(year)

    def test_unknown_term_suggests_the_closest(self):
        with pytest.raises(UnknownTerm, match="立秋"):
            find_term("立球")
        with pytest.raises(UnknownTerm, match="no solar term named 'Autumn Start'"):
            solar_term(2027, "Autumn Start")

    def test_naive_or_out_of_range_instants(self):
        with pytest.raises(IslandcoverError, match="no timezone"):
            term_of(datetime(2027, 8, 8))
        with pytest.raises(YearOutOfRange):
            term_of(datetime(1899, 12, 31, tzinfo=BEIJING))
        with pytest.raises(IslandcoverError, match="sample 1"):
            count_by_term([datetime(2027, 8, 8, tzinfo=BEIJING), "2027-08-08"])


# ----------------------------------------------------------------------- calendar file
def _rows() -> list[dict[str, str]]:
    with CALENDAR_FILE.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]], columns=COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


class TestCalendarFile:
    def test_the_shipped_file_validates(self):
        items = load_items()
        assert len(items) == len(_rows()) >= 10
        assert len({it.id for it in items}) == len(items)
        for it in items:
            assert (it.source == OPERATOR) == (it.evidence == "operator") == (it.sources == ())
            assert all(u.startswith(("http://", "https://")) for u in it.sources)
        assert any(it.evidence == "operator" for it in items)

    def test_the_moratorium_is_fixed_dates_and_aeration_is_term_keyed(self):
        items = {it.id: it for it in load_items()}
        m = items["moratorium"]
        assert (m.kind, m.start, m.end, m.islands) == ("fixed", "05-01 12:00", "09-16 12:00", "fishing")
        assert (items["aeration"].kind, items["aeration"].start, items["aeration"].end) == ("term", "小暑", "处暑")
        assert (items["hairtail-winter-season"].start, items["hairtail-winter-season"].end) == ("立冬", "大寒")

    def test_the_readme_documents_every_item(self):
        readme = (CALENDAR_FILE.parent / "README.md").read_text(encoding="utf-8")
        for it in load_items():
            assert f"`{it.id}`" in readme, it.id

    @pytest.mark.parametrize(("field", "value", "message"), [
        ("islands", "fishery", "'fishery' is not one of fishing, farming, all"),
        ("kind", "lunar", "'lunar' is not 'term'"),
        ("start", "立球", "no solar term named '立球'"),
        ("source", "see the ministry notice", "is not an http(s) URL"),
        ("source", "", "is empty"),
        ("evidence", "operator", "exactly when its source is 'operator to fill in'"),
        ("id", "moratorium", "is used already in row 1"),
    ])
    def test_a_malformed_row_names_file_row_and_field(self, tmp_path, field, value, message):
        rows = _rows()
        assert rows[3]["kind"] == "term" and rows[3]["evidence"] != "operator"
        rows[3] = {**rows[3], field: value}
        bad = _write(tmp_path / "bad.csv", rows)
        with pytest.raises(DataError) as err:
            load_items(bad)
        text = str(err.value)
        assert text.startswith(f"bad.csv, row 4, field '{field}': ") and message in text, text

    @pytest.mark.parametrize(("value", "message"), [("02-30 12:00", "not a valid date"),
                                                    ("02-29 00:00", "no 02-29"), ("5月1日", "MM-DD HH:MM")])
    def test_a_bad_fixed_date(self, tmp_path, value, message):
        rows = _rows()
        assert rows[0]["kind"] == "fixed"
        rows[0] = {**rows[0], "end": value}
        with pytest.raises(DataError, match=rf"bad.csv, row 1, field 'end': .*{message}"):
            load_items(_write(tmp_path / "bad.csv", rows))

    def test_a_missing_column(self, tmp_path):
        bad = _write(tmp_path / "bad.csv", _rows(), columns=[c for c in COLUMNS if c != "evidence"])
        with pytest.raises(DataError, match="bad.csv: missing column.*evidence"):
            load_items(bad)


class TestBuildCalendar:
    def test_2027(self):
        cal = build_calendar(2027)
        assert [ct.name_zh for ct in cal] == [t.name_zh for t in TERMS]
        assert all(a.end == b.start for a, b in pairwise(cal))
        assert cal[-1].end == solar_terms(2028)[0].start
        by = {ct.name_zh: {a.item.id for a in ct.items} for ct in cal}
        # the moratorium (1 May 12:00 – 16 Sep 12:00) overlaps 谷雨 (from ~20 Apr) … 白露 (to ~23 Sep)
        with_moratorium = [n for n, ids in by.items() if "moratorium" in ids]
        assert with_moratorium == ["谷雨", "立夏", "小满", "芒种", "夏至", "小暑", "大暑", "立秋", "处暑", "白露"]
        assert [n for n, ids in by.items() if "reopening-cold-storage" in ids] == ["白露"]
        assert [n for n, ids in by.items() if "aeration" in ids] == ["小暑", "大暑", "立秋", "处暑"]
        assert [n for n, ids in by.items() if "hairtail-winter-season" in ids] == ["小寒", "大寒", "立冬", "小雪",
                                                                                 "大雪", "冬至"]
        liqiu = next(ct for ct in cal if ct.name_zh == "立秋").to_dict()
        assert liqiu["start"].endswith("+08:00") and liqiu["start"].startswith("2027-08-08T")
        m = next(i for i in liqiu["items"] if i["id"] == "moratorium")
        assert (m["start"], m["end"]) == ("2027-05-01T12:00:00+08:00", "2027-09-16T12:00:00+08:00")

    def test_a_fixed_item_across_the_new_year(self, tmp_path):
        rows = [{"id": "winter-check", "islands": "all", "kind": "fixed", "start": "12-30 00:00", "end": "01-10 00:00",
                 "item_zh": "冬检", "item_en": "winter check", "source": OPERATOR, "evidence": "operator", "note": ""}]
        cal = build_calendar(2027, _write(tmp_path / "c.csv", rows))
        active = [ct.name_zh for ct in cal if ct.items]
        assert active == ["小寒", "冬至"]  # 1–10 Jan (last year's window) is in 冬至 2026 … 小寒 2027

    def test_ics_round_trip(self):
        from icalendar import Calendar

        cal = build_calendar(2027)
        parsed = Calendar.from_ical(to_ics(cal, stamp=datetime(2026, 12, 1, tzinfo=UTC)))
        events = parsed.walk("VEVENT")
        assert len(events) == 24
        assert [e.decoded("dtstart") for e in events] == [ct.start.date() for ct in cal]
        assert all(e.decoded("dtend") - e.decoded("dtstart") == timedelta(days=1) for e in events)
        assert len({str(e["uid"]) for e in events}) == 24


# ------------------------------------------------------------------------------- the CLI
# through islandcover.cli.main (conftest's run_cli), as the console script runs it
class TestCLI:
    def test_json(self, run_cli):
        rc, out, _ = run_cli(["calendar", "--year", "2027", "--json"])
        assert rc == 0
        data = json.loads(out)
        assert len(data) == 24 and {"name_zh", "name_en", "start", "end", "items"} <= set(data[0])
        assert [datetime.fromisoformat(d["start"]) for d in data] == [t.start for t in solar_terms(2027)]
        assert all(d["start"].endswith("+08:00") for d in data)

    def test_one_term(self, run_cli):
        rc, out, _ = run_cli(["calendar", "--year", "2027", "--term", "立秋", "--json"])
        data = json.loads(out)
        assert rc == 0 and [d["name_zh"] for d in data] == ["立秋"]
        assert any(i["id"] == "aeration" and i["sources"] for i in data[0]["items"])

    def test_text(self, run_cli):
        rc, out, _ = run_cli(["calendar", "--year", "2027"])
        assert rc == 0 and "立秋" in out and "Beginning of Autumn" in out and "2027-08-08 01:26" in out

    def test_ics(self, run_cli, tmp_path):
        from icalendar import Calendar

        target = tmp_path / "2027.ics"
        rc, out, _ = run_cli(["calendar", "--year", "2027", "--ics", str(target)])
        assert rc == 0 and "24 events" in out
        raw = target.read_bytes()
        assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
        events = Calendar.from_ical(raw).walk("VEVENT")
        assert len(events) == 24
        assert events[14].decoded("dtstart") == date(2027, 8, 8) and "立秋" in str(events[14]["summary"])
        assert list(tmp_path.iterdir()) == [target]  # nothing left over by the atomic write

    @pytest.mark.parametrize(("argv", "message"), [
        (["--year", "1800"], "year 1800 is outside 1900–2100"),
        (["--term", "立球"], "no solar term named '立球'"),
        (["--year", "abc"], "invalid int value"),
        (["--json", "--ics", "x.ics"], "not allowed with"),
        (["--ics", "/nonexistent-folder/x.ics"], "folder /nonexistent-folder does not exist"),
    ])
    def test_bad_input_is_one_line_exit_2(self, run_cli, argv, message):
        rc, out, err = run_cli(["calendar", *argv])
        assert rc == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and message in err, err

    def test_a_malformed_calendar_file(self, run_cli, tmp_path):
        rows = _rows()
        rows[1] = {**rows[1], "islands": "fishery"}
        bad = _write(tmp_path / "ops.csv", rows)
        rc, _, err = run_cli(["calendar", "--year", "2027", "--items", str(bad)])
        assert rc == 2 and err.strip() == ("islandcover: error: ops.csv, row 2, field 'islands': "
                                           "'fishery' is not one of fishing, farming, all")


def test_typhoon_risk_counts_the_shipped_storms_in_their_terms():
    """Published dates: In-Fa hit Zhoushan 2021-07-25/26 (大暑); Chanthu 2021-09-13, Muifa 2022-09-14,
    Bebinca 2024-09-16 and Pulasan 2024-09-19/20 all fall in 白露 (about 7–22 September)."""
    from islandcover import Archipelago
    from islandcover.typhoon.season import seasonal_risk

    risk = {t.name_zh: t for t in seasonal_risk(Archipelago.load()).terms}
    assert risk["大暑"].storms == ("IN-FA",)
    assert set(risk["白露"].storms) == {"CHANTHU", "MUIFA", "BEBINCA", "PULASAN"}
    hit = {name for name, t in risk.items() if t.storms}
    assert hit <= {"大暑", "立秋", "处暑", "白露", "秋分"}
    assert all(t.hours >= len(t.storms) for t in risk.values())
