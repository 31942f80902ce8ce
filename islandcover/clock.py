"""Times for people and for machines: Beijing time shown, ISO 8601 with its offset exchanged.

The model computes in UTC (track points, replay steps, stored timestamps). What leaves it is
written in **Beijing time** (北京时间, UTC+08:00), the time the people of Zhoushan and every
Chinese bulletin use:

* for machines (``--json``, the API, the store's answers), ISO 8601 with its offset, to the
  second: :func:`iso_beijing` → ``2022-09-14T19:00:00+08:00``;
* for people (command-line text, chart labels), the date and time with the zone named:
  :func:`beijing_text` → ``09-14 19:00 BJT`` (``09-14 19:00 北京时间`` in Chinese).

Input keeps any offset (``…Z``, ``…+08:00``, ``…-05:00`` are the same instant when they name
it); the readers refuse a time without one. Formatting a naive time here is a programming
error and raises ``ValueError``: the readers have made every time aware before it gets here.

Beijing time is a fixed UTC+08:00 (the zone ``Asia/Shanghai`` has kept it, with no daylight
saving, since 1991; the fixed offset is used for every date, as the CMA's bulletins and the
solar-term tables do, so a 1990 storm is not shown at +09:00).

This module imports nothing of the package, so every layer can use it.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "BEIJING",
    "ZONE_LABEL",
    "beijing_text",
    "iso_beijing",
    "to_beijing",
]

#: Beijing time, UTC+08:00 (no daylight saving).
BEIJING = timezone(timedelta(hours=8), "BJT")

#: How the zone is named after a time shown to people, by language.
ZONE_LABEL: dict[str, str] = {"en": "BJT", "zh": "北京时间"}


def to_beijing(t: Any) -> datetime:
    """The instant ``t`` as an aware ``datetime`` in Beijing time.

    Parameters
    ----------
    t : datetime, pandas.Timestamp or str
        A timezone-aware instant, or ISO 8601 text with its offset (``2022-09-14T11:00:00Z``).

    Raises
    ------
    ValueError
        A time without a time zone (naive), or text that is not ISO 8601.
    TypeError
        Something that is not a time.
    """
    if isinstance(t, str):
        text = t.strip()
        try:
            t = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            msg = f"{text!r} is not an ISO 8601 time (write e.g. 2022-09-14T19:00+08:00 or 2022-09-14T11:00Z)"
            raise ValueError(msg) from None
    if hasattr(t, "to_pydatetime"):  # a pandas Timestamp: nanoseconds rounded to microseconds first
        if t.tzinfo is None:
            msg = f"time {t.isoformat()} has no time zone: make it aware (UTC or +08:00) before showing it"
            raise ValueError(msg)
        t = t.round("us").to_pydatetime()
    if not isinstance(t, datetime):
        msg = f"expected a datetime, a pandas Timestamp or ISO 8601 text, got {type(t).__name__}"
        raise TypeError(msg)
    if t.tzinfo is None or t.utcoffset() is None:
        msg = f"time {t.isoformat()} has no time zone: make it aware (UTC or +08:00) before showing it"
        raise ValueError(msg)
    return t.astimezone(BEIJING)


def iso_beijing(t: Any, *, timespec: str = "seconds") -> str:
    """ISO 8601 in Beijing time with its offset, to the second: ``2022-09-14T19:00:00+08:00``.

    ``timespec`` as in :meth:`datetime.isoformat` (``"auto"`` keeps the microseconds a stored
    timestamp has).
    """
    return to_beijing(t).isoformat(timespec=timespec)


def beijing_text(t: Any, *, lang: str = "en", year: bool = False, zone: bool = True) -> str:
    """A time for people, in Beijing time with the zone named: ``09-14 19:00 BJT``.

    Parameters
    ----------
    t : datetime, pandas.Timestamp or str
        A timezone-aware instant (see :func:`to_beijing`).
    lang : {"en", "zh"}
        Language of the zone's name: ``BJT`` or ``北京时间``.
    year : bool
        Lead with the year (``2022-09-14 19:00 BJT``).
    zone : bool
        Name the zone (leave it out in a table whose header names it).
    """
    bj = to_beijing(t)
    text = bj.strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")
    if not zone:
        return text
    return f"{text} {ZONE_LABEL.get(lang, ZONE_LABEL['en'])}"
