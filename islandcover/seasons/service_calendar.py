"""The 四时令 seasonal service calendar: the utility's seasonal service items on the 24 solar terms.

The items live in a CSV file (shipped: ``data/calendar/sishiling.csv``; the operator's own with
the same columns). Each item is either *term-keyed* (active from the start of one solar term to
the end of another, e.g. aquaculture aeration 小暑–处暑) or *fixed-date* (calendar dates in Beijing
time, e.g. the fishing moratorium 1 May 12:00 – 16 Sep 12:00, which follows a ministry notice,
not the Sun). Every item names its public source, or says ``operator to fill in``.

:func:`build_calendar` lays the items on the 24 terms of a year; :func:`to_ics` and
:func:`write_ics` turn that into an iCalendar file for the service teams' phones.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from islandcover._plumbing import write_text_atomic
from islandcover.errors import DataError, IslandcoverError
from islandcover.seasons.solar_terms import (
    BEIJING,
    TERMS,
    SolarTerm,
    find_term,
    next_term,
    solar_terms,
)

__all__ = [
    "CALENDAR_FILE",
    "COLUMNS",
    "EVIDENCE",
    "ISLAND_KINDS",
    "OPERATOR",
    "ActiveItem",
    "CalendarTerm",
    "ServiceItem",
    "build_calendar",
    "load_items",
    "to_ics",
    "write_ics",
]

#: The shipped calendar file (a source checkout, installed with ``pip install -e .``).
CALENDAR_FILE = Path(__file__).resolve().parents[2] / "data" / "calendar" / "sishiling.csv"
#: Columns of a calendar file, in order.
COLUMNS = ("id", "islands", "kind", "start", "end", "item_zh", "item_en", "source", "evidence", "note")
#: Which islands an item concerns.
ISLAND_KINDS = ("fishing", "farming", "all")
#: How well the source supports the item: read on the page (``verified``), read on the page but
#: about another place (``analogue``), from a low-authority page (``weak``), no public source
#: (``operator``).
EVIDENCE = ("verified", "analogue", "weak", "operator")
#: The ``source`` of an item that has no public source.
OPERATOR = "operator to fill in"

Kind = Literal["term", "fixed"]


@dataclass(frozen=True)
class ServiceItem:
    """One seasonal service item.

    Attributes
    ----------
    id : str
        Unique id (``"aeration"``).
    islands : {"fishing", "farming", "all"}
        The islands it concerns.
    kind : {"term", "fixed"}
        ``term``: active from the start of solar term ``start`` to the end of term ``end``
        (inclusive, cyclic: 立冬 → 大寒 spans the new year). ``fixed``: from ``start`` to ``end``,
        month-day hour:minute in Beijing time (``"05-01 12:00"``); without ``end`` the item is a
        moment, shown in the term that contains it.
    start, end : str
        Term names (simplified Chinese) or ``"MM-DD HH:MM"``; ``end`` may be ``""`` for a moment.
    item_zh, item_en : str
        What the utility does, and why.
    source : str
        Public URLs separated by ``" ; "``, or ``"operator to fill in"``.
    evidence : str
        One of :data:`EVIDENCE`.
    note : str
        Caveats: where the source is from, what the operator should add.
    """

    id: str
    islands: str
    kind: Kind
    start: str
    end: str
    item_zh: str
    item_en: str
    source: str
    evidence: str
    note: str = ""

    @property
    def sources(self) -> tuple[str, ...]:
        """The source URLs (empty when the item is the operator's to fill in)."""
        if self.source == OPERATOR:
            return ()
        return tuple(u.strip() for u in self.source.split(";") if u.strip())

    def term_indices(self) -> frozenset[int]:
        """For a term-keyed item, the calendar-year indices (0 = 小寒 … 23 = 冬至) it is active in."""
        if self.kind != "term":
            return frozenset()
        a, b = find_term(self.start).index, find_term(self.end or self.start).index
        return frozenset(range(a, b + 1)) if a <= b else frozenset([*range(a, 24), *range(b + 1)])

    def window(self, year: int) -> tuple[datetime, datetime | None]:
        """For a fixed-date item, its occurrence that starts in ``year`` (end ``None`` for a moment)."""
        start = _fixed(self.start, year)
        if not self.end:
            return start, None
        end = _fixed(self.end, year)
        if end <= start:  # crosses the new year
            end = _fixed(self.end, year + 1)
        return start, end


@dataclass(frozen=True)
class ActiveItem:
    """A service item as it applies in one term of one year.

    Attributes
    ----------
    item : ServiceItem
        The item.
    start, end : str
        For a term-keyed item the term names; for a fixed-date item the ISO 8601 instants of this
        occurrence (``end`` empty for a moment).
    """

    item: ServiceItem
    start: str
    end: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the item's fields with this occurrence's ``start``/``end``, and ``sources``."""
        it = self.item
        return {"id": it.id, "item_zh": it.item_zh, "item_en": it.item_en, "islands": it.islands,
                "kind": it.kind, "start": self.start, "end": self.end or None, "source": it.source,
                "sources": list(it.sources), "evidence": it.evidence, "note": it.note}


@dataclass(frozen=True)
class CalendarTerm:
    """One solar term of the calendar, with the service items active in it.

    Attributes
    ----------
    term : SolarTerm
        The term (its start in Beijing time).
    end : datetime
        The next term's start.
    items : tuple of ActiveItem
        Items active at some time in ``[term.start, end)``, in file order.
    """

    term: SolarTerm
    end: datetime
    items: tuple[ActiveItem, ...]

    @property
    def name_zh(self) -> str:
        return self.term.name_zh

    @property
    def name_en(self) -> str:
        return self.term.name_en

    @property
    def start(self) -> datetime:
        return self.term.start

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``name_zh``, ``name_en``, ``longitude_deg``, ``start``, ``end`` (ISO 8601,
        +08:00) and ``items``."""
        return {"name_zh": self.name_zh, "name_en": self.name_en, "longitude_deg": self.term.longitude_deg,
                "start": self.start.isoformat(), "end": self.end.isoformat(),
                "items": [a.to_dict() for a in self.items]}


# ----------------------------------------------------------------------------- reading
def _fixed(text: str, year: int) -> datetime:
    month_day, hm = text.split(" ")
    month, day = (int(x) for x in month_day.split("-"))
    hour, minute = (int(x) for x in hm.split(":"))
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def _check_fixed(text: str) -> str | None:
    """The problem with a ``MM-DD HH:MM`` value, or None when it is valid in every year."""
    parts = text.split(" ")
    problem = f"{text!r} is not a date and time 'MM-DD HH:MM' in Beijing time (e.g. '05-01 12:00')"
    if len(parts) != 2 or len(parts[0]) != 5 or len(parts[1]) != 5 or parts[0][2] != "-" or parts[1][2] != ":":
        return problem
    try:
        _fixed(text, 2001)  # not a leap year: 02-29 does not exist every year
    except ValueError:
        return f"{text!r} is not a valid date and time in every year ('MM-DD HH:MM', no 02-29)"
    return None


def _check_source(text: str) -> str | None:
    if text == OPERATOR:
        return None
    urls = [u.strip() for u in text.split(";")]
    if not text.strip() or any(not u for u in urls):
        return (f"{text!r} is neither URLs separated by ' ; ' nor {OPERATOR!r} "
                "(an item without a public source is the operator's to fill in)")
    for u in urls:
        parts = urlsplit(u)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in u:
            return f"{u!r} is not an http(s) URL (separate several with ' ; ', or write {OPERATOR!r})"
    return None


def _parse_row(row: dict[str, str], n: int, name: str, seen: dict[str, int]) -> ServiceItem:
    def fail(field: str, problem: str) -> DataError:
        return DataError(name, problem, row=n, field=field)

    vals = {c: (row.get(c) or "").strip() for c in COLUMNS}
    if None in row:  # more cells than columns
        raise DataError(name, f"{len(row[None]) + len(COLUMNS)} cells but {len(COLUMNS)} columns "  # type: ignore[index]
                        "(quote text that contains commas)", row=n)
    for c in ("id", "islands", "kind", "start", "item_zh", "item_en", "source", "evidence"):
        if not vals[c]:
            raise fail(c, "is empty")
    if vals["id"] in seen:
        raise fail("id", f"{vals['id']!r} is used already in row {seen[vals['id']]}")
    seen[vals["id"]] = n
    if vals["islands"] not in ISLAND_KINDS:
        raise fail("islands", f"{vals['islands']!r} is not one of {', '.join(ISLAND_KINDS)}")
    kind = vals["kind"]
    if kind == "term":
        for c in ("start", "end"):
            if c == "end" and not vals[c]:
                continue
            try:
                term = find_term(vals[c])
            except IslandcoverError as exc:
                raise fail(c, str(exc)) from None
            vals[c] = term.name_zh
    elif kind == "fixed":
        for c in ("start", "end"):
            if vals[c] and (problem := _check_fixed(vals[c])):
                raise fail(c, problem)
        if vals["end"] and vals["end"] == vals["start"]:
            raise fail("end", f"{vals['end']!r} equals start; leave end empty for a moment")
    else:
        raise fail("kind", f"{kind!r} is not 'term' (keyed to solar terms) or 'fixed' (calendar dates)")
    if problem := _check_source(vals["source"]):
        raise fail("source", problem)
    if vals["evidence"] not in EVIDENCE:
        raise fail("evidence", f"{vals['evidence']!r} is not one of {', '.join(EVIDENCE)}")
    if (vals["source"] == OPERATOR) != (vals["evidence"] == "operator"):
        raise fail("evidence", f"{vals['evidence']!r} with source {vals['source']!r}: an item is 'operator' "
                               f"exactly when its source is {OPERATOR!r}")
    return ServiceItem(id=vals["id"], islands=vals["islands"], kind=kind,  # type: ignore[arg-type]
                       start=vals["start"], end=vals["end"], item_zh=vals["item_zh"], item_en=vals["item_en"],
                       source=vals["source"], evidence=vals["evidence"], note=vals["note"])


def load_items(path: str | Path | None = None) -> list[ServiceItem]:
    """Read and validate a calendar file.

    Parameters
    ----------
    path : str or Path, optional
        A UTF-8 CSV with the columns :data:`COLUMNS` (default: the shipped
        ``data/calendar/sishiling.csv``).

    Returns
    -------
    list of ServiceItem
        In file order.

    Raises
    ------
    DataError
        If the file is missing or a row is malformed: names the file, the row (1-based, after
        the header) and the field.
    """
    p = Path(path) if path is not None else CALENDAR_FILE
    name = p.name
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(str(p), "no such calendar file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(str(p), f"cannot read it as UTF-8 text: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DataError(name, f"missing column(s) {', '.join(missing)}; a calendar file has the columns "
                              f"{','.join(COLUMNS)}", row=None)
    seen: dict[str, int] = {}
    items = [_parse_row(row, n, name, seen) for n, row in enumerate(reader, start=1)]
    if not items:
        raise DataError(name, "has no items")
    return items


# ---------------------------------------------------------------------------- building
def _active(item: ServiceItem, term: SolarTerm, end: datetime) -> ActiveItem | None:
    if item.kind == "term":
        if term.index in item.term_indices():
            return ActiveItem(item, item.start, item.end or item.start)
        return None
    for year in (term.start.year - 1, term.start.year):  # an occurrence from last year may run into January
        start, stop = item.window(year)
        hit = (term.start <= start < end) if stop is None else (start < end and stop > term.start)
        if hit:
            return ActiveItem(item, start.isoformat(), stop.isoformat() if stop else "")
    return None


def build_calendar(year: int, items: Sequence[ServiceItem] | str | Path | None = None) -> list[CalendarTerm]:
    """The 24 solar terms of ``year`` with the service items active in each.

    Parameters
    ----------
    year : int
        1900–2100.
    items : sequence of ServiceItem, or path, optional
        The items (default: the shipped calendar file); a path is read with :func:`load_items`.

    Returns
    -------
    list of CalendarTerm
        小寒 … 冬至; each term ends where the next begins (冬至 at the next year's 小寒).
    """
    terms = solar_terms(year)
    if items is None or isinstance(items, (str, Path)):
        items = load_items(items)
    ends = [t.start for t in terms[1:]] + [next_term(terms[-1]).start]
    out = []
    for term, end in zip(terms, ends):
        active = tuple(a for it in items if (a := _active(it, term, end)) is not None)
        out.append(CalendarTerm(term, end, active))
    return out


# ---------------------------------------------------------------------------- iCalendar
def _description(ct: CalendarTerm) -> str:
    head = (f"{ct.name_zh} {ct.name_en}: the Sun reaches {ct.term.longitude_deg}° at "
            f"{ct.start:%Y-%m-%d %H:%M} (UTC+08:00); until {ct.end:%Y-%m-%d %H:%M}.")
    lines = [head, ""]
    if not ct.items:
        lines.append("No seasonal service items in this term.")
    for a in ct.items:
        it = a.item
        when = f"{a.start[5:16].replace('T', ' ')}" + (f" to {a.end[5:16].replace('T', ' ')}" if a.end else "") \
            if it.kind == "fixed" else (a.start if a.start == a.end else f"{a.start} to {a.end}")
        lines.append(f"- [{it.islands}] {it.item_zh} / {it.item_en} ({when})")
        lines.append(f"  source: {it.source}" + ("" if it.evidence in ("verified", "operator")
                                                   else f" ({it.evidence})"))
    lines += ["", "islandcover 四时令 calendar; sources in data/calendar/README.md."]
    return "\n".join(lines)


def to_ics(calendar: Iterable[CalendarTerm], *, name: str = "四时令 service calendar",
           stamp: datetime | None = None) -> bytes:
    """An iCalendar (RFC 5545) document with one all-day event per term, on the day it begins.

    Each event's summary is the term and its start time (``"立秋 Beginning of Autumn 01:26 · 3
    items"``); its description lists the items with their sources. All-day events keep a phone's
    day view clear; the exact instant is in the summary and description. UIDs are stable
    (``<year>-<term>@islandcover``), so importing a regenerated file updates the events.

    Parameters
    ----------
    calendar : iterable of CalendarTerm
        From :func:`build_calendar` (all 24 terms, or a selection).
    name : str
        Calendar name shown by the phone (``X-WR-CALNAME``).
    stamp : datetime, optional
        ``DTSTAMP`` of the events (default: now, UTC).
    """
    from icalendar import Calendar, Event

    stamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", "-//islandcover//四时令 seasonal service calendar//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for ct in calendar:
        ev = Event()
        day: date = ct.start.date()
        n = len(ct.items)
        ev.add("uid", f"{ct.start.year}-{TERMS[ct.term.index].pinyin.lower()}@islandcover")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", day)
        ev.add("dtend", day + timedelta(days=1))
        ev.add("summary", f"{ct.name_zh} {ct.name_en} {ct.start:%H:%M} · {n} item{'s' if n != 1 else ''}")
        ev.add("description", _description(ct))
        ev.add("categories", ["四时令", ct.name_zh])
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()


def write_ics(path: str | Path, calendar: Iterable[CalendarTerm], **kwargs: Any) -> Path:
    """Write :func:`to_ics` of ``calendar`` to ``path`` atomically; return the path written.

    Raises
    ------
    IslandcoverError
        If the folder does not exist or the write fails.
    """
    text = to_ics(calendar, **kwargs).decode("utf-8")
    return write_text_atomic(path, text, what="iCalendar file")
