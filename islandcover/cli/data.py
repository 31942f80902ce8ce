"""The ``summary`` and ``islands`` commands: the loaded model, by district and as files."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from islandcover.cli._common import data_args, load

__all__ = ["add_commands", "cmd_summary", "cmd_islands"]


def cmd_summary(args: argparse.Namespace) -> int:
    """Print counts by district."""
    arch = load(args)
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
    arch = load(args)
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


def add_commands(sub: Any) -> None:
    """Register ``summary``, ``islands`` on the subparsers object ``sub``."""
    p = sub.add_parser("summary", help="counts by district: islands, powered islands, people, stations, teams")
    data_args(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("islands", help="write the islands to stdout")
    data_args(p)
    p.add_argument("--format", choices=("geojson", "csv"), default="geojson")
    p.add_argument("--powered", action="store_true", help="only the powered islands")
    p.add_argument("--district", choices=("定海区", "普陀区", "岱山县", "嵊泗县"), default=None)
    p.set_defaults(func=cmd_islands)
