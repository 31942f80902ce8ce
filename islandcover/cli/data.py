"""The ``summary`` and ``islands`` commands (the loaded model, by district and as files), ``import``
(the operator's own layers into the data overlay) and ``data check``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from islandcover.cli._common import data_args, data_folder, load
from islandcover.data_import import KINDS, check_data, import_layer

__all__ = ["add_commands", "cmd_data_check", "cmd_import", "cmd_islands", "cmd_summary"]


def cmd_summary(args: argparse.Namespace) -> int:
    """Print counts by district."""
    arch = load(args)
    table = arch.summary()
    if args.json:
        print(json.dumps(table.reset_index().to_dict(orient="records"), ensure_ascii=False, indent=2))
        return 0
    illustrative = bool(arch.stations.illustrative.any() or arch.teams.illustrative.any())
    print(f"Zhoushan archipelago model — data: {arch.source}")
    own = sorted(name for name, path in arch.files.items() if arch.overlay is not None and path.parent == arch.overlay)
    if own:
        print(f"  with your layers from {arch.overlay}: {', '.join(own)}")
    print(table.to_string())
    if illustrative:
        print("\nStations and teams are an ILLUSTRATIVE set (the operator's list is not public); "
              "load your own with islandcover import (or --stations/--teams).")
    print("\npeople: residents on the 2020 census basis (七普 常住): each district adds up to its census "
          "total, carried to islands by the rule in data/islands/README.md (pop_kind says how for each island).")
    missing = int(table.loc["total", "powered_without_population"])
    if missing:
        print(f"{missing} powered islands have no figure of their own (counted as 0 people; most lie inside a "
              "neighbour's township figure).")
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


def cmd_import(args: argparse.Namespace) -> int:
    """Validate the operator's file and write it into the data overlay."""
    overlay = Path(args.data) if args.data is not None else Path(args.config.data_dir)
    result = import_layer(args.kind, args.file, overlay, crs=args.crs)
    conv = f", coordinates {result.crs} → WGS84" if result.crs not in ("-", "EPSG:4326") else ""
    print(f"imported {result.rows} {args.kind} from {result.source.name}{conv}: {result.target}")
    for w in result.warnings:
        print(f"islandcover: warning: {w}", file=sys.stderr)
    return 0


def cmd_data_check(args: argparse.Namespace) -> int:
    """Print every problem of the data set, one a line; exit 1 when there is any."""
    folder = data_folder(args)
    problems = check_data(folder)
    if args.json:
        print(json.dumps({"data": str(folder) if folder else None, "problems": [
            {"file": p.source, "row": p.row, "field": p.field, "problem": p.problem, "message": str(p)}
            for p in problems]}, ensure_ascii=False, indent=2))
    else:
        for p in problems:
            print(p)
        if not problems:
            print(f"data check: no problems ({folder or 'shipped data set'})", file=sys.stderr)
    return 1 if problems else 0


def add_commands(sub: Any) -> None:
    """Register ``summary``, ``islands``, ``import`` and ``data check`` on the subparsers object ``sub``."""
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

    p = sub.add_parser("import", help="validate your own islands, stations, teams, piers or ferries and write them "
                                      "into the data overlay ($ISLANDCOVER_DATA, else <state dir>/data)")
    p.add_argument("kind", choices=tuple(KINDS), help="the layer: " + ", ".join(f"{k} → {v}" for k, v in KINDS.items()))
    p.add_argument("file", type=Path, help="GeoJSON, GeoPackage or CSV (lon/lat columns)")
    p.add_argument("--crs", default=None,
                   help="CRS of the coordinates when the file declares none: EPSG:4326 (default), EPSG:4490 "
                        "(CGCS2000), GCJ-02 (AMap, Tencent)")
    p.add_argument("--data", type=Path, default=None,
                   help="the overlay folder to write into (default $ISLANDCOVER_DATA, else <state dir>/data)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("data", help="the data set: check")
    group = p.add_subparsers(dest="data_command", required=True, parser_class=type(p))
    q = group.add_parser("check", help="missing fields, duplicates, powered islands without a landing, stations "
                                       "off every island, teams at unknown stations; exit 1 when any")
    q.add_argument("--data", type=Path, default=None,
                   help="data folder over the shipped data set (default $ISLANDCOVER_DATA, else <state dir>/data)")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_data_check)
