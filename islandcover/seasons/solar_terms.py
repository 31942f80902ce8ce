"""The 24 solar terms (二十四节气), computed astronomically, in Beijing time.

A solar term begins at the instant the Sun's apparent geocentric ecliptic longitude, referred to
the true equinox and ecliptic of date, reaches a multiple of 15° (GB/T 33661-2017): 春分 0°,
清明 15°, …, 立春 315°. The Sun's position comes from PyEphem (``ephem``: VSOP87 planetary
theory, with nutation and aberration; its own ΔT table and extrapolation turn Terrestrial Time into
Universal Time); the instant is found with :func:`scipy.optimize.brentq` to well under a second
of arithmetic. Against JPL's DE421 (through skyfield) the instants agree within 17 s over
1900–2027; against the published almanacs (Hong Kong Observatory, Purple Mountain Observatory,
Xinhua's reports of PMO times, Espenak's tables) within 80 s over 1901–2100, within 45 s up to
2030 (see ``tests/test_calendar.py``). Beyond today most of the difference is ΔT, the
unpredictable drift of the Earth's rotation, which each almanac extrapolates its own way.

Terms are listed in calendar-year order, 小寒 (Minor Cold, 285°, early January) to 冬至
(Winter Solstice, 270°, late December): the 24 terms whose start falls in a Gregorian year in
Beijing time (UTC+08:00), as the observatories tabulate them.
"""
from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import ephem
from scipy.optimize import brentq

from islandcover.errors import IslandcoverError, UnknownTerm, YearOutOfRange

__all__ = [
    "BEIJING",
    "MAX_YEAR",
    "MIN_YEAR",
    "TERMS",
    "SolarTerm",
    "TermCount",
    "TermName",
    "apparent_solar_longitude_deg",
    "count_by_term",
    "find_term",
    "next_term",
    "solar_term",
    "solar_terms",
    "term_of",
]

#: Beijing time, the time of the Chinese calendar (UTC+08:00, no daylight saving since 1991).
BEIJING = timezone(timedelta(hours=8))
#: The years :func:`solar_terms` accepts.
MIN_YEAR, MAX_YEAR = 1900, 2100

#: PyEphem's dates are days since 1899-12-31 12:00 UT (the "Dublin Julian day").
_EPHEM_EPOCH = datetime(1899, 12, 31, 12, tzinfo=UTC)
#: Mean motion of the Sun in longitude, degrees per day (only used to place the first guess).
_MEAN_RATE_DEG_PER_DAY = 360.0 / 365.2422
#: The mean March equinox of 2000 (2000-03-20 07:26 UT) as a PyEphem date, and the tropical year.
_MEAN_EQUINOX_2000 = (datetime(2000, 3, 20, 7, 26, tzinfo=UTC) - _EPHEM_EPOCH).total_seconds() / 86400.0
_TROPICAL_YEAR_DAYS = 365.2422


@dataclass(frozen=True)
class TermName:
    """One of the 24 solar terms, independent of the year.

    Attributes
    ----------
    index : int
        Position in the calendar year, 0 = 小寒 (early January) … 23 = 冬至 (late December).
    name_zh : str
        Chinese name, simplified characters (``"立秋"``).
    name_en : str
        English name (``"Beginning of Autumn"``).
    pinyin : str
        Hanyu pinyin without tones (``"Liqiu"``).
    longitude_deg : int
        Apparent ecliptic longitude of the Sun at the term's start, degrees (0 … 345).
    aliases : tuple of str
        Other accepted spellings: traditional characters and other English renderings
        (Hong Kong Observatory's ``"autumn commences"``, ``"Start of Autumn"``, …).
    """

    index: int
    name_zh: str
    name_en: str
    pinyin: str
    longitude_deg: int
    aliases: tuple[str, ...] = ()


def _t(i: int, zh: str, en: str, py: str, lon: int, *aliases: str) -> TermName:
    return TermName(i, zh, en, py, lon, aliases)


#: The 24 terms in calendar-year order. Aliases include the Hong Kong Observatory's English names.
TERMS: tuple[TermName, ...] = (
    _t(0, "小寒", "Minor Cold", "Xiaohan", 285, "Lesser Cold", "Slight Cold", "Moderate Cold"),
    _t(1, "大寒", "Major Cold", "Dahan", 300, "Greater Cold", "Great Cold", "Severe Cold"),
    _t(2, "立春", "Beginning of Spring", "Lichun", 315, "Start of Spring", "Spring Commences"),
    _t(3, "雨水", "Rain Water", "Yushui", 330, "Spring Showers"),
    _t(4, "惊蛰", "Awakening of Insects", "Jingzhe", 345, "驚蟄", "Waking of Insects", "Insects Awaken",
       "Insects Waken"),
    _t(5, "春分", "Spring Equinox", "Chunfen", 0, "Vernal Equinox"),
    _t(6, "清明", "Pure Brightness", "Qingming", 15, "Clear and Bright", "Bright and Clear"),
    _t(7, "谷雨", "Grain Rain", "Guyu", 30, "穀雨", "榖雨", "Corn Rain"),
    _t(8, "立夏", "Beginning of Summer", "Lixia", 45, "Start of Summer", "Summer Commences"),
    _t(9, "小满", "Grain Buds", "Xiaoman", 60, "小滿", "Lesser Fullness of Grain", "Grain Full", "Corn Forms"),
    _t(10, "芒种", "Grain in Ear", "Mangzhong", 75, "芒種", "Grain in Beard", "Corn on Ear"),
    _t(11, "夏至", "Summer Solstice", "Xiazhi", 90),
    _t(12, "小暑", "Minor Heat", "Xiaoshu", 105, "Lesser Heat", "Slight Heat", "Moderate Heat"),
    _t(13, "大暑", "Major Heat", "Dashu", 120, "Greater Heat", "Great Heat"),
    _t(14, "立秋", "Beginning of Autumn", "Liqiu", 135, "Start of Autumn", "Autumn Commences"),
    _t(15, "处暑", "End of Heat", "Chushu", 150, "處暑", "Limit of Heat", "Stopping the Heat"),
    _t(16, "白露", "White Dew", "Bailu", 165),
    _t(17, "秋分", "Autumn Equinox", "Qiufen", 180, "Autumnal Equinox"),
    _t(18, "寒露", "Cold Dew", "Hanlu", 195),
    _t(19, "霜降", "Frost's Descent", "Shuangjiang", 210, "Frost Descent", "Frost"),
    _t(20, "立冬", "Beginning of Winter", "Lidong", 225, "Start of Winter", "Winter Commences"),
    _t(21, "小雪", "Minor Snow", "Xiaoxue", 240, "Lesser Snow", "Light Snow"),
    _t(22, "大雪", "Major Snow", "Daxue", 255, "Greater Snow", "Heavy Snow"),
    _t(23, "冬至", "Winter Solstice", "Dongzhi", 270),
)


def _key(name: str) -> str:
    """Normalise a term name for lookup: NFKC, case-folded, without spaces, apostrophes or 'the'."""
    s = unicodedata.normalize("NFKC", name).strip().casefold()
    s = s.removeprefix("the ")
    return "".join(ch for ch in s if ch.isalnum())


_LOOKUP: dict[str, TermName] = {}
for _term in TERMS:
    for _name in (_term.name_zh, _term.name_en, _term.pinyin, *_term.aliases):
        _LOOKUP[_key(_name)] = _term
del _term, _name


def find_term(name: str | TermName) -> TermName:
    """Return the solar term called ``name``.

    Parameters
    ----------
    name : str or TermName
        Chinese name in simplified or traditional characters (``"立秋"``, ``"處暑"``), English
        name in any of the usual renderings, case-insensitive (``"Beginning of Autumn"``,
        ``"autumn commences"``), or pinyin without tones (``"liqiu"``).

    Raises
    ------
    UnknownTerm
        If no term has that name; the message suggests the closest names.
    """
    if isinstance(name, TermName):
        return name
    if not isinstance(name, str):
        msg = f"a solar term name must be a string, got {type(name).__name__}"
        raise UnknownTerm(msg)
    term = _LOOKUP.get(_key(name))
    if term is not None:
        return term
    candidates = [t.name_zh for t in TERMS] + [t.name_en for t in TERMS]
    close = difflib.get_close_matches(name.strip(), candidates, n=3, cutoff=0.4)
    hint = f" — did you mean {', '.join(close)}?" if close else ""
    msg = (f"no solar term named {name!r}{hint} (the 24 terms: "
           f"{' '.join(t.name_zh for t in TERMS)}; English names such as 'Beginning of Autumn' also work)")
    raise UnknownTerm(msg)


@dataclass(frozen=True)
class SolarTerm:
    """One solar term of one year.

    Attributes
    ----------
    name_zh, name_en : str
        Chinese and English names.
    longitude_deg : int
        Apparent ecliptic longitude of the Sun at ``start``, degrees.
    start : datetime
        The instant the term begins, timezone-aware, Beijing time (UTC+08:00), rounded up to
        the second (so the Sun has reached ``longitude_deg`` at ``start``).
    index : int
        Position in the calendar year, 0 = 小寒 … 23 = 冬至.
    """

    name_zh: str
    name_en: str
    longitude_deg: int
    start: datetime
    index: int

    @property
    def name(self) -> TermName:
        """The year-independent term."""
        return TERMS[self.index]


@dataclass(frozen=True)
class TermCount:
    """How many samples fell in one solar term (see :func:`count_by_term`).

    Attributes
    ----------
    name_zh, name_en : str
        The term.
    samples : int
        Samples (instants) that fell in this term, over all years.
    flagged : int
        Of those, the ones flagged true (for plain datetimes: all of them).
    """

    name_zh: str
    name_en: str
    samples: int
    flagged: int

    @property
    def share(self) -> float:
        """``flagged / samples`` (``nan`` when no sample fell in this term)."""
        return self.flagged / self.samples if self.samples else math.nan


# ---------------------------------------------------------------------------- astronomy
def _to_ephem(when: datetime) -> float:
    return (when - _EPHEM_EPOCH).total_seconds() / 86400.0


def _from_ephem(days: float) -> datetime:
    return (_EPHEM_EPOCH + timedelta(days=days)).astimezone(BEIJING)


def _longitude_deg(days: float) -> float:
    """Apparent geocentric ecliptic longitude of the Sun (true equinox and ecliptic of date), degrees."""
    date = ephem.Date(days)
    sun = ephem.Sun()
    sun.compute(date, epoch=date)
    # g_ra/g_dec: apparent geocentric place (aberration, nutation) for the equinox of date
    ecl = ephem.Ecliptic(ephem.Equatorial(sun.g_ra, sun.g_dec, epoch=date), epoch=date)
    return math.degrees(float(ecl.lon)) % 360.0


def _wrap(deg: float) -> float:
    """An angle difference folded into [-180°, 180°)."""
    return (deg + 180.0) % 360.0 - 180.0


def _crossing(longitude_deg: float, guess: float) -> float:
    """The PyEphem date near ``guess`` (within a few days) when the Sun reaches ``longitude_deg``."""
    days = guess
    for _ in range(3):  # secant steps with the mean motion bring the guess within minutes
        days += _wrap(longitude_deg - _longitude_deg(days)) / _MEAN_RATE_DEG_PER_DAY

    def gap(d: float) -> float:
        return _wrap(_longitude_deg(d) - longitude_deg)

    half = 0.25
    lo, hi = days - half, days + half
    while gap(lo) > 0 or gap(hi) < 0:  # the Sun moves ~1°/day: a day's bracket always holds the root
        half *= 2
        lo, hi = days - half, days + half
        if half > 8:  # pragma: no cover - would mean the ephemeris misbehaves
            msg = f"could not bracket solar longitude {longitude_deg}° near PyEphem date {guess:.1f}"
            raise RuntimeError(msg)
    return float(brentq(gap, lo, hi, xtol=1e-7, maxiter=200))  # 1e-7 day ≈ 0.01 s


def _ceil_second(when: datetime) -> datetime:
    """Round up to the whole second, so that the Sun has reached the term's longitude at ``start``."""
    whole = when.replace(microsecond=0)
    return whole if whole == when else whole + timedelta(seconds=1)


def _check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        msg = f"year must be an integer from {MIN_YEAR} to {MAX_YEAR}, got {year!r}"
        raise YearOutOfRange(msg)
    if not MIN_YEAR <= year <= MAX_YEAR:
        msg = f"year {year} is outside {MIN_YEAR}–{MAX_YEAR}, the years the solar terms are computed for"
        raise YearOutOfRange(msg)
    return year


def _check_instant(when: datetime, what: str = "instant") -> datetime:
    if not isinstance(when, datetime):
        msg = f"{what} must be a timezone-aware datetime, got {type(when).__name__}"
        raise IslandcoverError(msg)
    if when.tzinfo is None or when.utcoffset() is None:
        msg = f"{what} {when.isoformat()} has no timezone; give one (e.g. +08:00 for Beijing time)"
        raise IslandcoverError(msg)
    lo = datetime(MIN_YEAR, 1, 1, tzinfo=BEIJING)
    hi = datetime(MAX_YEAR + 1, 1, 1, tzinfo=BEIJING)
    if not lo <= when < hi:
        msg = (f"{what} {when.isoformat()} is outside {MIN_YEAR}–{MAX_YEAR}, "
               "the years the solar terms are computed for")
        raise YearOutOfRange(msg)
    return when


def apparent_solar_longitude_deg(when: datetime) -> float:
    """The Sun's apparent geocentric ecliptic longitude at ``when``, degrees in [0, 360).

    Parameters
    ----------
    when : datetime
        A timezone-aware instant from 1900 to 2100.

    Returns
    -------
    float
        Longitude referred to the true equinox and ecliptic of date, degrees.
    """
    return _longitude_deg(_to_ephem(_check_instant(when)))


def _term_start(year: int, term: TermName) -> datetime:
    lon = term.longitude_deg
    offset_deg = lon if lon < 285 else lon - 360  # 小寒, 大寒, 立春, 雨水, 惊蛰 come before the equinox
    guess = _MEAN_EQUINOX_2000 + (year - 2000) * _TROPICAL_YEAR_DAYS + offset_deg / 360.0 * _TROPICAL_YEAR_DAYS
    return _ceil_second(_from_ephem(_crossing(lon, guess)))


def _solar_term(year: int, term: TermName) -> SolarTerm:
    return SolarTerm(term.name_zh, term.name_en, term.longitude_deg, _term_start(year, term), term.index)


def solar_terms(year: int) -> list[SolarTerm]:
    """The 24 solar terms that begin in ``year`` (Beijing time), in order: 小寒 … 冬至.

    Parameters
    ----------
    year : int
        Gregorian year, 1900–2100.

    Returns
    -------
    list of SolarTerm
        Each with its start instant in Beijing time (UTC+08:00), to the second.

    Raises
    ------
    YearOutOfRange
        If ``year`` is not an integer from 1900 to 2100.
    """
    _check_year(year)
    return [_solar_term(year, t) for t in TERMS]


def solar_term(year: int, name: str | TermName) -> SolarTerm:
    """One solar term of ``year``, by name (see :func:`find_term` for the accepted names)."""
    _check_year(year)
    return _solar_term(year, find_term(name))


def term_of(when: datetime) -> SolarTerm:
    """The solar term in force at ``when``: the latest term that began at or before it.

    Parameters
    ----------
    when : datetime
        A timezone-aware instant from 1900-01-01 to 2100-12-31 (Beijing time). Early in January,
        before 小寒, the answer is the previous year's 冬至.

    Returns
    -------
    SolarTerm
        With the start of that occurrence of the term (possibly in the previous year).
    """
    days = _to_ephem(_check_instant(when))
    lon = _longitude_deg(days)
    base = math.floor(lon / 15.0) * 15 % 360
    start = _ceil_second(_from_ephem(_crossing(base, days - _wrap(lon - base) / _MEAN_RATE_DEG_PER_DAY)))
    if start > when:  # within a second after the crossing: the term starts at the next whole second
        base = (base - 15) % 360
        start = _ceil_second(_from_ephem(_crossing(base, days - 15.2)))
    term = next(t for t in TERMS if t.longitude_deg == base)
    return SolarTerm(term.name_zh, term.name_en, base, start, term.index)


def next_term(term: SolarTerm) -> SolarTerm:
    """The term that follows ``term`` (for 冬至, the next year's 小寒; 冬至 2100 is followed by 小寒 2101)."""
    following = TERMS[(term.index + 1) % 24]
    guess = _to_ephem(term.start) + 15.2
    start = _ceil_second(_from_ephem(_crossing(following.longitude_deg, guess)))
    return SolarTerm(following.name_zh, following.name_en, following.longitude_deg, start, following.index)


def _term_index_at(when: datetime) -> int:
    lon = _longitude_deg(_to_ephem(when))
    if abs(_wrap(lon - round(lon / 15.0) * 15)) < 1e-3:  # within ~90 s of a boundary: compare with the start
        return term_of(when).index
    k = math.floor(lon / 15.0) % 24  # 0 = 春分 (0°) … 23 = 惊蛰 (345°)
    return (k + 5) % 24  # calendar-year order: 春分 is index 5


def count_by_term(samples: Iterable[datetime | tuple[datetime, bool]] | Sequence[datetime]) -> list[TermCount]:
    """Count instants per solar term, over however many years they span.

    Parameters
    ----------
    samples : iterable
        Either timezone-aware datetimes (each counts as one flagged sample: e.g. the times a
        storm first put Zhoushan within force-7 winds), or ``(datetime, bool)`` pairs (e.g. one
        per hour of a storm track, true when Zhoushan was within the force-7 circle).

    Returns
    -------
    list of TermCount
        All 24 terms in calendar-year order (小寒 … 冬至), with zero counts where nothing fell.

    Raises
    ------
    IslandcoverError
        If a sample is neither, naming its position (0-based).
    """
    samples_n = [0] * 24
    flagged_n = [0] * 24
    for i, sample in enumerate(samples):
        flag = True
        when = sample
        if isinstance(sample, tuple):
            if len(sample) != 2 or not isinstance(sample[1], bool):
                msg = f"sample {i}: expected a datetime or a (datetime, bool) pair, got {sample!r}"
                raise IslandcoverError(msg)
            when, flag = sample
        if not isinstance(when, datetime):
            msg = f"sample {i}: expected a datetime or a (datetime, bool) pair, got {type(when).__name__}"
            raise IslandcoverError(msg)
        k = _term_index_at(_check_instant(when, what=f"sample {i}"))
        samples_n[k] += 1
        flagged_n[k] += int(flag)
    return [TermCount(t.name_zh, t.name_en, samples_n[t.index], flagged_n[t.index]) for t in TERMS]
