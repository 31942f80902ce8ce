"""What the command groups share: the parser class, the option groups (data, weather, scenario,
state) and argument types, loading the model and the network, the weather and the scenario of
the options, the state database, and terminal padding.

Private to :mod:`islandcover.cli`: its names are used by the command modules, never re-exported.
"""
from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from islandcover.archipelago import Archipelago
from islandcover.errors import IslandcoverError, StoreError
from islandcover.facts import MAX_WIND_FORCE
from islandcover.model_cache import load_archipelago
from islandcover.planning.scenario import Scenario
from islandcover.situation import SHIPPED, Situation
from islandcover.store import Store
from islandcover.travel.network import load_network
from islandcover.travel.routing import Router
from islandcover.travel.vessels import load_parameters
from islandcover.travel.weather import Weather, parse_typhoon

__all__ = [
    "Parser",
    "at_args",
    "at_of",
    "count",
    "count_progress",
    "data_args",
    "data_folder",
    "live_args",
    "load",
    "open_store",
    "pad",
    "parse_time",
    "positive",
    "progress",
    "router_of",
    "scenario_args",
    "scenario_of",
    "situation_of",
    "state_args",
    "state_location",
    "text_width",
    "weather_args",
    "weather_of",
    "wind_force",
]


def load(args: argparse.Namespace) -> Archipelago:
    """The model of ``--data`` (default: the configured data overlay over the shipped data set,
    :meth:`Config.data_folder <islandcover.config.Config.data_folder>`) with ``--stations/--teams``,
    from the model cache when no input changed (:mod:`islandcover.model_cache`)."""
    return load_archipelago(data_folder(args), stations=args.stations, teams=args.teams, crs=args.crs,
                            cache_dir=args.config.cache_dir)


def data_folder(args: argparse.Namespace) -> Path | None:
    """The data folder of ``--data``, else the configured overlay (None while the default one does
    not exist: the shipped data alone)."""
    data = getattr(args, "data", None)
    if data is None:
        return args.config.data_folder()
    if not Path(data).is_dir():
        raise IslandcoverError(f"--data {data}: no such folder")
    return Path(data)


def router_of(args: argparse.Namespace) -> Router:
    arch = load(args)
    quiet = getattr(args, "json", False)
    net = load_network(arch, cache_dir=args.config.cache_dir,
                       progress=None if quiet else (lambda m: print(f"  building network: {m}", file=sys.stderr)))
    return Router(arch, net, load_parameters(args.travel_config), cache_dir=args.config.cache_dir)


def weather_of(args: argparse.Namespace) -> Weather:
    """The wind of ``--wind``/``--typhoon``, with the suspension notices of the live state in force now."""
    weather = parse_typhoon(args.typhoon) if args.typhoon is not None else Weather.uniform(args.wind)
    return weather.with_notices(situation_of(args).suspensions_at(None))


def parse_time(text: str, what: str = "--at") -> datetime:
    """An instant from ISO 8601 with its offset (``2026-12-03T23:00+08:00``) or ``now``.

    Raises
    ------
    IslandcoverError
        Not ISO 8601, no offset (a naive time is ambiguous), or outside 2000–2100; the message
        names ``what``.
    """
    s = str(text).strip()
    if s.lower() == "now":
        return datetime.now(UTC)
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        raise IslandcoverError(f"{what} {s!r} is not ISO 8601 (write e.g. 2026-12-03T23:00+08:00, or now)") from None
    if t.tzinfo is None:
        raise IslandcoverError(f"{what} {s!r} has no time zone: add +08:00 for Beijing time or Z for UTC")
    if not 2000 <= t.year <= 2100:
        raise IslandcoverError(f"{what} {s!r} is out of range: 2000 to 2100")
    return t


def at_of(args: argparse.Namespace) -> datetime:
    """When the answer is for: ``--at`` (ISO 8601 with its offset), default now."""
    return parse_time(getattr(args, "at", None) or "now", "--at")


def at_args(p: argparse.ArgumentParser) -> None:
    """``--at TIME``: when the teams leave (teams on the scheduled boats wait for the next sailing)."""
    p.add_argument("--at", default="now", metavar="TIME",
                   help="when the teams leave, ISO 8601 with its offset (2026-12-03T23:00+08:00) or now (default): "
                        "teams riding the scheduled boats wait for the next published sailing")


def situation_of(args: argparse.Namespace) -> Situation:
    """The live situation (teams where they are, notices; read once per command), or the shipped
    data with ``--state none``."""
    cached = getattr(args, "_situation", None)
    if cached is not None:
        return cached
    if getattr(args, "state", "none") == "none":
        sit = SHIPPED
    else:
        store = open_store(args)
        try:
            sit = store.situation()
        finally:
            store.close()
    args._situation = sit
    return sit


def scenario_of(args: argparse.Namespace, name: str = "scenario") -> Scenario:
    moves = []
    for m in args.move or []:
        sid, sep, where = m.partition("=")
        if not sep:
            raise IslandcoverError(f"--move '{m}' must be STATION=LON,LAT or STATION=ISLAND")
        moves.append((sid.strip(), where.strip()))
    at = at_of(args) if getattr(args, "at", None) is not None else None
    return Scenario(name=name, add=tuple(args.add_station or ()), close=tuple(args.close or ()), move=tuple(moves),
                    weather=weather_of(args), vessel=args.vessel, at=at)


def progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    return None if getattr(args, "json", False) else (lambda m: print(f"  {m}", file=sys.stderr))


def count_progress(what: str, quiet: bool = False) -> Callable[[int, int], None] | None:
    """A progress callback of (done, total) that prints ``  done/total WHAT done`` on stderr at
    about every tenth of the work and at the end; None when ``quiet``."""
    if quiet:
        return None
    shown = [0]

    def report(done: int, total: int) -> None:
        if done == total or done - shown[0] >= max(1, total // 10):
            shown[0] = done
            print(f"  {done}/{total} {what} done", file=sys.stderr)
    return report


def open_store(args: argparse.Namespace) -> Store:
    """The store of ``--state-dir`` / ``--database-url``; a database that cannot be opened is a
    :class:`StoreError` (one line, exit 2)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return Store.open(**state_location(args))
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        first = (str(orig if orig is not None else exc).strip().splitlines() or ["unknown error"])[0]
        raise StoreError(f"cannot open the state database: {first}") from None
    except OSError as exc:
        raise StoreError(f"cannot open the state database: {exc}") from None


def text_width(s: str) -> int:
    """Columns ``s`` takes in a terminal: wide and full-width (CJK) characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def pad(s: str, width: int) -> str:
    """``s`` left-aligned in ``width`` terminal columns (CJK as two)."""
    return s + " " * max(0, width - text_width(s))


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def state_location(args: argparse.Namespace) -> dict[str, Any]:
    """Where the live state is: ``--database-url``, else ``--state-dir``, else the configured
    database URL or state folder (:class:`~islandcover.config.Config`)."""
    if args.database_url:
        return {"database_url": args.database_url}
    if args.state_dir:
        return {"state_dir": args.state_dir}
    return {"state_dir": args.config.state_dir, "database_url": args.config.database_url}


def data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    g.add_argument("--data", type=Path, default=None,
                   help="data folder over the shipped data set (default $ISLANDCOVER_DATA, else <state dir>/data, "
                        "where islandcover import writes)")
    g.add_argument("--stations", type=Path, default=None, help="your own stations: GeoJSON, GeoPackage or CSV")
    g.add_argument("--teams", type=Path, default=None, help="your own teams: CSV")
    g.add_argument("--crs", default=None, help="CRS of --stations coordinates (EPSG:4326, EPSG:4490, GCJ-02)")


def weather_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--wind", type=wind_force, default=0,
                   help="uniform wind force 0–17 on the Chinese scale (GB/T 28591-2012: Beaufort 0–12, typhoon "
                        "forces 13–17; default 0)")
    g.add_argument("--typhoon", metavar="LON,LAT,R7,R10", help="typhoon centre and radii of force-7/10 winds (km)")
    p.add_argument("--travel-config", type=Path, default=None, help="TOML overriding vessel speeds and wind limits")
    live_args(p)


def scenario_args(p: argparse.ArgumentParser) -> None:
    weather_args(p)
    p.add_argument("--vessel", choices=("workboat", "fast", "ferry"), default="workboat",
                   help="planning vessel class of every station (default workboat)")
    p.add_argument("--add-station", action="append", metavar="LON,LAT|ISLAND", help="add a station (repeatable)")
    p.add_argument("--close", action="append", metavar="ST-xx", help="close a station (repeatable)")
    p.add_argument("--move", action="append", metavar="ST-xx=LON,LAT", help="move a station (repeatable)")


def live_args(p: argparse.ArgumentParser) -> None:
    """``--state live|none`` and where the live state is."""
    p.add_argument("--state", choices=("live", "none"), default="live",
                   help="live (default): teams where they are, their status and the suspension notices, from "
                        "the state database; none: a what-if on the shipped data (every team at its station)")
    state_args(p)


def state_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state-dir", type=Path, default=None,
                   help="folder of the SQLite state.db (default $ISLANDCOVER_STATE_DIR or ~/.local/share/islandcover)")
    p.add_argument("--database-url", default=None,
                   help="SQLAlchemy URL, e.g. postgresql+psycopg://… (default $ISLANDCOVER_DATABASE_URL)")


def wind_force(text: str) -> int:
    """``--wind``: a whole force 0–17 on the Chinese scale, refused before the model loads."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole wind force") from None
    if not 0 <= v <= MAX_WIND_FORCE:
        raise argparse.ArgumentTypeError(f"wind force {v} is out of range: 0–{MAX_WIND_FORCE} on the Chinese scale "
                                         "(GB/T 28591-2012)")
    return v


def positive(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (v > 0 and v < float("inf")):
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return v


def count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return v
