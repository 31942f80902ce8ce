"""The dispatcher's commands: ``nearest`` (一键响应), ``cutoff`` (岛自为战), ``route`` and ``links``."""
from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

import pandas as pd

from islandcover.cli._common import (
    at_args,
    at_of,
    data_args,
    router_of,
    situation_of,
    weather_args,
    weather_of,
)
from islandcover.errors import NotFound
from islandcover.travel.places import resolve_place
from islandcover.travel.routing import Dispatch, Leg

__all__ = ["add_commands", "cmd_cutoff", "cmd_links", "cmd_nearest", "cmd_route", "dispatch_dict"]


def cmd_nearest(args: argparse.Namespace) -> int:
    """Print the k fastest available teams to an island, each from where it is now."""
    router = router_of(args)
    weather = weather_of(args)
    situation = situation_of(args)
    d = router.nearest(args.island, weather, k=args.k, situation=situation, at=at_of(args))
    if args.json:
        print(json.dumps(dispatch_dict(d), ensure_ascii=False, indent=2))
        return 0
    isl = router.arch.island(d.island_id)
    print(f"Nearest teams to {isl.label} — {d.weather}; {d.state}")
    if not d.trips:
        print("  no available team can reach it in this weather (cut off: 岛自为战)")
    for i, t in enumerate(d.trips, 1):
        print(f"{i}. {t.team_id} from {t.start}, {t.vessel}: ETA {t.eta_min:.0f} min, {t.length_km:.1f} km")
        for leg in t.legs:
            print(f"     {_leg_text(leg)}")
    shown = d.excluded if args.verbose else d.excluded[:_EXCLUDED_SHOWN]
    for x in shown:
        calm = "" if x.calm_eta_min != x.calm_eta_min else f", {x.calm_eta_min:.0f} min in calm weather"
        print(f"  excluded {x.team_id} ({x.station_id}{calm}): {x.reason}")
    if len(d.excluded) > len(shown):
        counts = Counter(_reason_kind(x.reason) for x in d.excluded)
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
        print(f"  {len(d.excluded)} teams excluded in all ({summary}); --verbose lists every one")
    return 0


def _leg_text(leg: Leg) -> str:
    """One leg for people: ``ferry  A → B via F-18 …: 44.7 km, 146 min``; a wait says for what."""
    if leg.mode == "wait":
        return f"{'wait':6s} at {leg.from_} for the {leg.via}: {leg.minutes:.0f} min"
    via = f" via {leg.via}" if leg.via else ""
    return f"{leg.mode:6s} {leg.from_} → {leg.to}{via}: {leg.length_km:.1f} km, {leg.minutes:.0f} min"


def dispatch_dict(d: Dispatch) -> dict[str, object]:
    """The JSON of a nearest-team answer (the API's ``NearestOut``)."""
    return {"island_id": d.island_id, "weather": d.weather, "state": d.state,
            "trips": [t.to_dict() for t in d.trips], "excluded": [x.to_dict() for x in d.excluded]}


#: How many excluded teams a plain answer lists before it counts the rest by reason.
_EXCLUDED_SHOWN = 3


def _reason_kind(reason: str) -> str:
    """A short kind of an exclusion reason, for the count by reason."""
    if reason.startswith("team is busy"):
        return "busy"
    if reason.startswith("team is off-duty"):
        return "off duty"
    if reason.startswith("suspended by"):
        return "suspended by a notice"
    if reason.startswith("sailing suspended"):
        return "sailing stopped by the wind"
    if reason.startswith("link closed"):
        return "bridge closed"
    if reason.startswith("team is at") or reason.startswith("team is on"):
        return "cannot start where it is"
    return "boat not allowed in this wind"


def cmd_cutoff(args: argparse.Namespace) -> int:
    """Print the powered islands no outside team can reach, by people, with whether each has a team."""
    router = router_of(args)
    weather = weather_of(args)
    situation = situation_of(args)
    cut = router.cutoff(weather, situation=situation)
    people = router.arch.islands.population
    cut = sorted(cut, key=lambda c: (-(_people(people.get(c.id)) or -1), c.id))  # by people, unknown last
    if args.json:
        print(json.dumps({"weather": weather.describe(), "state": situation.describe(),
                          "cut_off": [{**c.to_dict(), "population": _people(people.get(c.id))} for c in cut]},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"{len(cut)} of {len(router.arch.powered)} powered islands cut off — {weather.describe()}; "
          f"{situation.describe()}")
    for c in cut:
        own = "has a team on it" if c.has_own_team else "NO team on it"
        n = _people(people.get(c.id))
        print(f"  {c.name_zh or c.id} ({c.name_en}, {c.id}): {f'{n:,} people' if n is not None else 'people not published'}; {own}")
    return 0


def _people(value: object) -> int | None:
    """A published population, or None (pandas' NA and NaN included)."""
    return None if value is None or bool(pd.isna(value)) else int(value)  # type: ignore[call-overload]


def cmd_route(args: argparse.Namespace) -> int:
    """Print the fastest route between two places with one vessel class."""
    router = router_of(args)
    origin, vessel = args.origin, args.vessel
    if origin.upper() in router.arch.teams.index:  # a team: from where it is now, in its own boat
        team = router.arch.team(origin)
        now = situation_of(args).teams.get(team.id)
        origin = team.station_id if now is None or now.at_kind == "station" else now.at_ref
        vessel = vessel or team.boat_class
    for label, ref in (("FROM", origin), ("TO", args.destination)):  # which of the two is unknown
        try:
            resolve_place(router, ref, vessel or "workboat")
        except NotFound as exc:
            raise type(exc)(f"{label}: {exc}") from None
    r = router.route(origin, args.destination, vessel or "workboat", weather_of(args), at=at_of(args))
    state = situation_of(args).describe()
    if args.json:
        print(json.dumps({**r.to_dict(), "state": state}, ensure_ascii=False, indent=2))
        return 0
    print(f"Route {r.origin} → {r.destination} by {r.vessel} — {r.weather}; {state}")
    if r.status != "ok":
        print("  unreachable: no open route now (wind and notices in force)")
        for c in r.closed:
            print(f"    {c}")
        return 0
    print(f"  ETA {r.eta_min:.0f} min, {r.length_km:.1f} km")
    for leg in r.legs:
        print(f"    {_leg_text(leg)}")
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    """Print the link status board: sea lane groups, sailings and bridges, open or closed and why."""
    from islandcover.travel.links import LinkBoard, limits_table

    router = router_of(args)
    situation = situation_of(args)
    board = LinkBoard(router).status(weather_of(args), args.vessel, situation=situation)
    if args.json:
        out = board.to_dict()
        out["state"] = situation.describe()
        out["limits"] = limits_table(router)
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    names = router.arch.islands.name_zh
    shown = [x for x in board.links if args.all or x.status != "open"]
    closed = sum(x.status != "open" for x in board.links)
    print(f"Link status — {board.weather}; {situation.describe()}; sea lanes judged for {board.vessel}: "
          f"{closed} of {len(board.links)} links not open")
    for kind, title in (("sea lanes", "sea lane groups"), ("ferry", "scheduled sailings"), ("bridge", "bridges")):
        rows = [x for x in shown if x.kind == kind]
        if not rows:
            continue
        print(f"{title}:")
        for x in rows:
            sign = ">" if x.status != "open" else "≤"
            iso = f"; isolates {', '.join(str(names.get(i) or i) for i in x.isolates)}" if x.isolates else ""
            why = x.reason if x.reason.startswith("suspended") else f"wind {x.wind_bft} {sign} limit {x.limit_bft}"
            print(f"  {x.status:13s} {x.name}: {why}{iso}")
    if not args.all:
        print(f"  ({len(board.links) - closed} open links not shown; --all lists them)")
    cut = ", ".join(f"{c.name_zh or c.id}{'' if c.has_own_team else ' (no team of its own)'}" for c in board.cut_off)
    print(f"cut off now: {cut or 'none'}")
    return 0


def add_commands(sub: Any) -> None:
    """Register ``nearest``, ``cutoff``, ``route``, ``links`` on the subparsers object ``sub``."""
    p = sub.add_parser("nearest", help="the k fastest available teams to an island (一键响应)")
    data_args(p)
    p.add_argument("island", help="island id, Chinese name (with or without 岛) or pinyin")
    weather_args(p)
    p.add_argument("--k", type=int, default=3, help="how many teams (default 3)")
    at_args(p)
    p.add_argument("--verbose", action="store_true", help="list every excluded team (default: the first 3 and "
                                                          "a count by reason)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_nearest)

    p = sub.add_parser("cutoff", help="powered islands no outside team can reach (岛自为战)")
    data_args(p)
    weather_args(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_cutoff)

    p = sub.add_parser("route", help="the fastest route between two places with one vessel class")
    data_args(p)
    p.add_argument("origin", metavar="FROM", help="island (id, name, pinyin), station id, pier id, LON,LAT, "
                                                  "or a team id (from where it is now, in its own boat)")
    p.add_argument("destination", metavar="TO", help="island, station id, pier id or LON,LAT")
    p.add_argument("--vessel", choices=("workboat", "fast", "ferry"), default=None,
                   help="own boat (workboat, fast) or the scheduled ferries (ferry); default workboat, or the "
                        "team's own class when FROM is a team")
    at_args(p)
    weather_args(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("links", help="link status board: sea lanes, sailings, bridges open or closed, and why")
    data_args(p)
    weather_args(p)
    p.add_argument("--vessel", choices=("workboat", "fast"), default="workboat",
                   help="own-boat class whose limits judge the sea lanes (default workboat)")
    p.add_argument("--all", action="store_true", help="list the open links too")
    p.add_argument("--json", action="store_true", help="print JSON (every link, and the table of limits)")
    p.set_defaults(func=cmd_links)
