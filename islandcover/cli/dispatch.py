"""The dispatcher's commands: ``nearest`` (一键响应), ``cutoff`` (岛自为战), ``route`` and ``links``."""
from __future__ import annotations

import argparse
import json
from typing import Any

from islandcover.cli._common import data_args, router_of, weather_args, weather_of

__all__ = ["add_commands", "cmd_nearest", "cmd_cutoff", "cmd_route", "cmd_links"]


def cmd_nearest(args: argparse.Namespace) -> int:
    """Print the k fastest available teams to an island."""
    router = router_of(args)
    weather = weather_of(args)
    d = router.nearest(args.island, weather, k=args.k)
    if args.json:
        print(json.dumps([t.to_dict() for t in d.trips], ensure_ascii=False, indent=2))
        return 0
    isl = router.arch.island(d.island_id)
    print(f"Nearest teams to {isl.label} — {d.weather}")
    if not d.trips:
        print("  no available team can reach it in this weather (cut off: 岛自为战)")
    for i, t in enumerate(d.trips, 1):
        st = router.arch.station(t.station_id)
        print(f"{i}. {t.team_id} from {st.name_zh} ({t.station_id}), {t.vessel}: ETA {t.eta_min:.0f} min, {t.length_km:.1f} km")
        for leg in t.legs:
            via = f" via {leg.via}" if leg.via else ""
            print(f"     {leg.mode:6s} {leg.from_} → {leg.to}{via}: {leg.length_km:.1f} km, {leg.minutes:.0f} min")
    for x in d.excluded:
        print(f"  excluded {x.team_id} ({x.station_id}, {x.calm_eta_min:.0f} min in calm weather): {x.reason}")
    return 0


def cmd_cutoff(args: argparse.Namespace) -> int:
    """Print the powered islands no outside team can reach."""
    router = router_of(args)
    weather = weather_of(args)
    cut = router.cutoff(weather)
    if args.json:
        print(json.dumps([c.to_dict() for c in cut], ensure_ascii=False, indent=2))
        return 0
    print(f"{len(cut)} of {len(router.arch.powered)} powered islands cut off — {weather.describe()}")
    for c in cut:
        own = "has its own team" if c.has_own_team else "NO team of its own"
        print(f"  {c.id} {c.name_zh} ({c.name_en}): {own}")
    return 0


def cmd_route(args: argparse.Namespace) -> int:
    """Print the fastest route between two places with one vessel class."""
    router = router_of(args)
    r = router.route(args.origin, args.destination, args.vessel, weather_of(args))
    if args.json:
        print(json.dumps(r.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"Route {r.origin} → {r.destination} by {r.vessel} — {r.weather}")
    if r.status != "ok":
        print("  unreachable: no open route in this weather")
        for c in r.closed:
            print(f"    {c}")
        return 0
    print(f"  ETA {r.eta_min:.0f} min, {r.length_km:.1f} km")
    for leg in r.legs:
        via = f" via {leg.via}" if leg.via else ""
        print(f"    {leg.mode:6s} {leg.from_} → {leg.to}{via}: {leg.length_km:.1f} km, {leg.minutes:.0f} min")
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    """Print the link status board: sea lane groups, sailings and bridges, open or closed and why."""
    from islandcover.travel.links import LinkBoard, limits_table

    router = router_of(args)
    board = LinkBoard(router).status(weather_of(args), args.vessel)
    if args.json:
        out = board.to_dict()
        out["limits"] = limits_table(router)
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    names = router.arch.islands.name_zh
    shown = [x for x in board.links if args.all or x.status != "open"]
    closed = sum(x.status != "open" for x in board.links)
    print(f"Link status — {board.weather}; sea lanes judged for {board.vessel}: "
          f"{closed} of {len(board.links)} links not open")
    for kind, title in (("sea lanes", "sea lane groups"), ("ferry", "scheduled sailings"), ("bridge", "bridges")):
        rows = [x for x in shown if x.kind == kind]
        if not rows:
            continue
        print(f"{title}:")
        for x in rows:
            sign = ">" if x.status != "open" else "≤"
            lanes = f" ({x.lanes_closed} of {x.lanes_total} lanes shut)" if x.kind == "sea lanes" and x.status != "open" else ""
            iso = f"; isolates {', '.join(str(names.get(i) or i) for i in x.isolates)}" if x.isolates else ""
            print(f"  {x.status:13s} {x.name}: wind {x.wind_bft} {sign} limit {x.limit_bft}{lanes}{iso}")
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
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_nearest)

    p = sub.add_parser("cutoff", help="powered islands no outside team can reach (岛自为战)")
    data_args(p)
    weather_args(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_cutoff)

    p = sub.add_parser("route", help="the fastest route between two places with one vessel class")
    data_args(p)
    p.add_argument("origin", metavar="FROM", help="island (id, name, pinyin), station id, pier id or LON,LAT")
    p.add_argument("destination", metavar="TO", help="island, station id, pier id or LON,LAT")
    p.add_argument("--vessel", choices=("workboat", "fast", "ferry"), default="workboat",
                   help="own boat (workboat, fast) or the scheduled ferries (ferry); default workboat")
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
