"""The ``islandcover`` command.

Every user mistake ends with exit code 2 and one line on stderr naming the problem;
``--help`` on any subcommand lists its options.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from islandcover.archipelago import Archipelago
from islandcover.errors import IslandcoverError
from islandcover.network import load_network
from islandcover.routing import Router
from islandcover.vessels import load_parameters
from islandcover.weather import Weather, parse_typhoon

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _load(args: argparse.Namespace) -> Archipelago:
    return Archipelago.load(args.data, stations=args.stations, teams=args.teams, crs=args.crs)


def cmd_summary(args: argparse.Namespace) -> int:
    """Print counts by district."""
    arch = _load(args)
    table = arch.summary()
    if args.json:
        print(json.dumps(table.reset_index().to_dict(orient="records"), ensure_ascii=False, indent=2))
        return 0
    illustrative = bool(arch.stations.illustrative.any() or arch.teams.illustrative.any())
    print(f"Zhoushan archipelago model — data: {arch.source}")
    print(table.to_string())
    if illustrative:
        print("\nStations and teams are an ILLUSTRATIVE set (the operator's list is not public); "
              "load your own with --stations/--teams.")
    missing = int(table.loc["total", "powered_without_population"])
    if missing:
        print(f"{missing} powered islands have no published population (counted as 0 people).")
    return 0


def cmd_islands(args: argparse.Namespace) -> int:
    """Write the islands to stdout as GeoJSON or CSV."""
    arch = _load(args)
    gdf = arch.islands.reset_index(drop=True)
    if args.powered:
        gdf = gdf[gdf.powered]
    if args.district:
        gdf = gdf[gdf.district == args.district]
    if args.format == "csv":
        table = gdf.drop(columns="geometry")
        table.to_csv(sys.stdout, index=False)
    else:
        sys.stdout.write(gdf.to_json(na="null", drop_id=True, ensure_ascii=False))
        sys.stdout.write("\n")
    return 0


def _router(args: argparse.Namespace) -> Router:
    arch = _load(args)
    quiet = getattr(args, "json", False)
    net = load_network(arch, progress=None if quiet else (lambda m: print(f"  building network: {m}", file=sys.stderr)))
    return Router(arch, net, load_parameters(args.travel_config))


def _weather(args: argparse.Namespace) -> Weather:
    if args.typhoon is not None:
        return parse_typhoon(args.typhoon)
    return Weather.uniform(args.wind)


def cmd_nearest(args: argparse.Namespace) -> int:
    """Print the k fastest available teams to an island."""
    router = _router(args)
    weather = _weather(args)
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
            print(f"     {leg.mode:6s} {leg.from_} → {leg.to}: {leg.length_km:.1f} km, {leg.minutes:.0f} min")
    for x in d.excluded:
        print(f"  excluded {x.team_id} ({x.station_id}, {x.calm_eta_min:.0f} min in calm weather): {x.reason}")
    return 0


def cmd_cutoff(args: argparse.Namespace) -> int:
    """Print the powered islands no outside team can reach."""
    router = _router(args)
    weather = _weather(args)
    cut = router.cutoff(weather)
    if args.json:
        print(json.dumps([c.to_dict() for c in cut], ensure_ascii=False, indent=2))
        return 0
    print(f"{len(cut)} of {len(router.arch.powered)} powered islands cut off — {weather.describe()}")
    for c in cut:
        own = "has its own team" if c.has_own_team else "NO team of its own"
        print(f"  {c.id} {c.name_zh} ({c.name_en}): {own}")
    return 0


def _weather_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--wind", type=int, default=0, help="uniform wind, Beaufort 0–12 (default 0)")
    g.add_argument("--typhoon", metavar="LON,LAT,R7,R10", help="typhoon centre and radii of force-7/10 winds (km)")
    p.add_argument("--travel-config", type=Path, default=None, help="TOML overriding vessel speeds and wind limits")


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    g.add_argument("--data", type=Path, default=None, help="data folder (default: the shipped data set)")
    g.add_argument("--stations", type=Path, default=None, help="your own stations: GeoJSON, GeoPackage or CSV")
    g.add_argument("--teams", type=Path, default=None, help="your own teams: CSV")
    g.add_argument("--crs", default=None, help="CRS of --stations coordinates (EPSG:4326, EPSG:4490, GCJ-02)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``islandcover`` command."""
    parser = _Parser(prog="islandcover", description="Service coverage of the Zhoushan archipelago.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("summary", help="counts by district: islands, powered islands, people, stations, teams")
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("islands", help="write the islands to stdout")
    _common(p)
    p.add_argument("--format", choices=("geojson", "csv"), default="geojson")
    p.add_argument("--powered", action="store_true", help="only the powered islands")
    p.add_argument("--district", choices=("定海区", "普陀区", "岱山县", "嵊泗县"), default=None)
    p.set_defaults(func=cmd_islands)

    p = sub.add_parser("nearest", help="the k fastest available teams to an island (一键响应)")
    _common(p)
    p.add_argument("island", help="island id, Chinese name (with or without 岛) or pinyin")
    _weather_args(p)
    p.add_argument("--k", type=int, default=3, help="how many teams (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_nearest)

    p = sub.add_parser("cutoff", help="powered islands no outside team can reach (岛自为战)")
    _common(p)
    _weather_args(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_cutoff)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except IslandcoverError as exc:
        print(f"islandcover: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
