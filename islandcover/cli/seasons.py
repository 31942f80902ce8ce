"""``islandcover calendar``: the 四时令 seasonal service calendar on the 24 solar terms.

``islandcover calendar --year 2027 [--term 立秋] [--json | --ics FILE] [--items FILE]``

Register it on the main parser's subcommands with :func:`add_commands`. Errors are
:class:`~islandcover.errors.IslandcoverError` subclasses, which ``islandcover.cli.main`` prints as
one line with exit code 2.
"""
from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from islandcover.cli._common import pad
from islandcover.seasons.service_calendar import (
    CALENDAR_FILE,
    CalendarTerm,
    build_calendar,
    load_items,
    write_ics,
)
from islandcover.seasons.solar_terms import BEIJING, MAX_YEAR, MIN_YEAR, find_term

if TYPE_CHECKING:
    from islandcover.typhoon.season import TermRisk

__all__ = ["add_commands", "cmd_calendar"]

_MARK = {"verified": "", "analogue": " (source elsewhere in China)", "weak": " (weak source)",
         "operator": ""}


def _when(a_start: str, a_end: str, kind: str) -> str:
    if kind == "term":
        return a_start if a_start == a_end else f"{a_start}–{a_end}"
    short = a_start[5:16].replace("T", " ")
    return short if not a_end else f"{short} – {a_end[5:16].replace('T', ' ')}"


def _text(cal: list[CalendarTerm], year: int, source: Path) -> str:
    title = (f"四时令 seasonal service calendar {year} — solar terms in Beijing time (UTC+08:00); "
             f"items from {source}")
    lines = [title, ""]
    lines.append(f"{pad('term', 6)}{pad('English', 22)}{pad('starts', 18)}{pad('ends', 18)}items")
    for ct in cal:
        lines.append(f"{pad(ct.name_zh, 6)}{pad(ct.name_en, 22)}{ct.start:%Y-%m-%d %H:%M}  "
                     f"{ct.end:%Y-%m-%d %H:%M}  {len(ct.items)}")
        for a in ct.items:
            it = a.item
            lines.append(f"      · [{it.islands}] {it.item_en} — {it.item_zh}")
            lines.append(f"        {it.kind} {_when(a.start, a.end, it.kind)}; source: {it.source}"
                         f"{_MARK.get(it.evidence, '')}")
    lines += ["", "Sources, evidence and what the operator fills in: data/calendar/README.md."]
    return "\n".join(lines)


def cmd_calendar(args: argparse.Namespace) -> int:
    """Print (or write as iCalendar) the seasonal service calendar of a year."""
    year = args.year if args.year is not None else datetime.now(BEIJING).year
    path = Path(args.items) if args.items else CALENDAR_FILE
    term = find_term(args.term) if args.term else None
    items = load_items(path)
    cal = build_calendar(year, items)
    if term is not None:
        cal = [ct for ct in cal if ct.term.index == term.index]
    if args.ics:
        written = write_ics(args.ics, cal, name=f"四时令 {year}")
        print(f"wrote {len(cal)} event{'s' if len(cal) != 1 else ''} ({year}) to {written}")
        return 0
    risk = _risk(args.config.data_folder()) if args.risk else None
    if args.json:
        out = [ct.to_dict() for ct in cal]
        if risk is not None:
            for obj in out:
                obj["typhoon_risk"] = risk[str(obj["name_zh"])].to_dict()
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(_text(cal, year, path))
    if risk is not None:
        print("\nTyphoon risk by term — the 5 shipped storms (2021–2024), hours with force 7+ at a powered island "
              "(modelled wind field; a handful of storms, not a climatology):")
        for ct in cal:
            r = risk[ct.name_zh]
            if r.storms:
                print(f"  {pad(ct.name_zh, 6)}{len(r.storms)} storm(s) {', '.join(r.storms)}: {r.hours} h")
    return 0


def _risk(data_dir: Path | None) -> dict[str, TermRisk]:
    """Per term name: the shipped storms' force-7 hours at Zhoushan (:mod:`islandcover.typhoon.season`)."""
    from islandcover.archipelago import Archipelago
    from islandcover.typhoon.season import seasonal_risk

    return {t.name_zh: t for t in seasonal_risk(Archipelago.load(data_dir)).terms}


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``calendar`` on the ``islandcover`` subcommands ``sub``."""
    p = sub.add_parser("calendar", help="the 四时令 seasonal service calendar on the 24 solar terms",
                       description="The 24 solar terms of a year (computed astronomically, Beijing time) with "
                                   "the seasonal service items for fishing and farming islands, each with its "
                                   "source. Plain text, JSON (--json) or an iCalendar file for phones (--ics).")
    p.add_argument("--year", type=int, default=None,
                   help=f"Gregorian year, {MIN_YEAR}–{MAX_YEAR} (default: this year in Beijing time)")
    p.add_argument("--term", help="only this term: Chinese (立秋) or English (Beginning of Autumn) name")
    p.add_argument("--items", metavar="FILE", default=None,
                   help="calendar file (CSV, see data/calendar/README.md; default: the shipped sishiling.csv)")
    p.add_argument("--risk", action="store_true",
                   help="add, per term, how often the shipped typhoon tracks gave force-7 winds at Zhoushan")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true",
                     help="JSON: a list of terms with name_zh, name_en, start, end (ISO 8601, +08:00), items")
    out.add_argument("--ics", metavar="FILE", help="write an iCalendar file: one all-day event per term")
    p.set_defaults(func=cmd_calendar)
