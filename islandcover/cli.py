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
