"""The ``islandcover ensemble`` command: the odds that each island is cut off, from a forecast's uncertainty.

Registered by :func:`add_commands` (:mod:`islandcover.cli.main`). ``TRACK`` is read as by ``replay``
(:mod:`islandcover.cli.typhoon`); the members are made and replayed by
:func:`islandcover.typhoon.ensemble.run_ensemble`, serially (``--workers 0``), on a local
``dask.distributed`` cluster (default, 2 worker processes) or on a running one (``--scheduler``).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from islandcover.cli._common import count_progress, data_args, pad, parse_time, router_of
from islandcover.clock import beijing_text
from islandcover.errors import IslandcoverError
from islandcover.typhoon.ensemble import Ensemble, ErrorModel, check_options, run_ensemble
from islandcover.typhoon.replay import LEAD_HOURS
from islandcover.typhoon.tracks import resolve_track

__all__ = ["CSV_COLUMNS", "add_commands", "cmd_ensemble"]

_MAX_ROWS = 25


def cmd_ensemble(args: argparse.Namespace) -> int:
    """Run the ensemble and print the odds per powered island."""
    # options and the track first: they fail fast, before the network is built or a cluster started
    check_options(args.members, args.hours, scheduler=args.scheduler, workers=args.workers)
    if args.map is not None and not args.map.resolve().parent.is_dir():
        folder = args.map.resolve().parent
        msg = f"cannot write the map to {args.map}: folder {folder} does not exist (create it first)"
        raise IslandcoverError(msg)
    model = ErrorModel().scaled(args.spread)
    start = parse_time(args.start, "--from") if args.start is not None else None
    track = resolve_track(args.track, storm=args.storm)
    quiet = args.json or args.csv
    router = router_of(argparse.Namespace(**{**vars(args), "json": quiet}))
    progress = count_progress("members", quiet)
    ens = run_ensemble(router, track, args.members, hours=args.hours, seed=args.seed, model=model, start=start,
                       workers=args.workers, scheduler=args.scheduler, progress=progress,
                       lead_hours=LEAD_HOURS if args.lead_rule else None)
    if args.map is not None:
        _write_map(router, ens, args.map, args.lang)
    if args.json:
        print(json.dumps(ens.to_dict(), ensure_ascii=False, indent=2))
    elif args.csv:
        _write_csv(ens)
    else:
        _print_table(ens)
    return 0


def _write_map(router: Any, ens: Ensemble, path: Path, lang: str) -> None:
    """Write the ensemble chart (islands coloured by their odds), atomically; say so on stderr."""
    from islandcover.chart.beacon import write_beacon_chart
    from islandcover.chart.ensemble import ensemble_chart

    out = write_beacon_chart(ensemble_chart(router, ens, lang=lang), path)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): ensemble chart of {ens.storm}, {ens.members} members",
          file=sys.stderr)


#: Columns of ``--csv``: one row per powered island (``kind`` island), then one per station with a team
#: (``kind`` station); a column that does not apply to the row's kind is empty.
CSV_COLUMNS = ("kind", "id", "name_zh", "name_en", "population", "p_cut_off", "hours_mean", "hours_p90", "p_force10",
               "island_id", "boat_classes", "p_links_close", "hours_closed_mean", "hours_closed_p90")


def _write_csv(ens: Ensemble) -> None:
    w = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    w.writeheader()
    for i in ens.islands:
        w.writerow({"kind": "island", **i.to_dict(), "population": "" if i.population is None else i.population})
    for s in ens.stations:
        d = s.to_dict()
        w.writerow({"kind": "station", **d, "boat_classes": " ".join(d["boat_classes"])})


def _print_table(ens: Ensemble) -> None:
    span = f"{beijing_text(ens.start, year=True, zone=False)} – {beijing_text(ens.end, year=True)}"
    print(f"Ensemble of {ens.storm} ({ens.source}): {ens.members} members from {span}, seed {ens.seed}, "
          f"spread {ens.model.spread:g}; {ens.runner}, {ens.seconds:.1f} s ({ens.members_per_s:.2f} members/s)")
    print(f"  {'id':8s} {'island':10s} {'people':>7s} {f'P(>{ens.hours:g} h)':>9s} {'hours mean':>10s} "
          f"{'p90':>5s} {'P(force≥10)':>11s}")
    shown = [i for i in ens.islands if i.p_cut_off > 0 or i.hours_mean > 0 or i.p_force10 > 0]
    for i in shown[:_MAX_ROWS]:
        people = f"{i.population:,}" if i.population is not None else "unknown"
        print(f"  {i.id:8s} {pad(i.name_zh, 10)} {people:>7s} {i.p_cut_off:9.0%} {i.hours_mean:10.1f} "
              f"{i.hours_p90:5.0f} {i.p_force10:11.0%}")
    if len(shown) > _MAX_ROWS:
        print(f"  … and {len(shown) - _MAX_ROWS} more (--json or --csv for all)")
    rest = len(ens.islands) - len(shown)
    if rest:
        print(f"  {rest} powered islands neither cut off nor at force 10 in any member")
    print(f"  P(>{ens.hours:g} h): share of members in which the island's longest continuous isolation exceeds "
          f"{ens.hours:g} h; hours: total hours cut off (mean, 90th percentile); track errors: "
          f"{ens.model.describe()['track']}")
    if ens.stations:
        print("\nStations: chance that their sea links all close (an hour or more), hours closed")
        print(f"  {'id':6s} {'station':14s} {'boats':22s} {'P(close)':>8s} {'hours mean':>10s} {'p90':>5s}")
        for s in ens.stations:
            print(f"  {s.id:6s} {pad(s.name_zh, 14)} {' '.join(s.classes):22s} {s.p_links_close:8.0%} "
                  f"{s.hours_closed_mean:10.1f} {s.hours_closed_p90:5.0f}")
        print("  P(close): share of members in which, for an hour or more, no team of the station can set out: "
              "every lane at its landing is above each own boat's wind limit and every sailing from its island "
              "is stopped (for a team riding the ferries); roads and bridges are not counted")


def add_commands(sub: Any) -> None:
    """Register ``ensemble`` on the subparsers object ``sub`` (``parser.add_subparsers()``)."""
    help_text = ("typhoon ensemble: perturb a track by the CMA's forecast errors, replay every member, and give "
                 "each island's chance of being cut off")
    p = sub.add_parser("ensemble", help=help_text, description=help_text)
    data_args(p)
    p.add_argument("track", help="track file (CMA best-track CSV, IBTrACS CSV, forecast CSV/GeoJSON) or a shipped "
                                 "track: muifa_2022, infa_2021, chanthu_2021, bebinca_pulasan_2024, or a storm in "
                                 "them (梅花, MUIFA …)")
    p.add_argument("--storm", default=None, help="which storm when the file holds several (name or id)")
    p.add_argument("--members", type=int, required=True, help="number of perturbed tracks (1–100000)")
    p.add_argument("--hours", type=float, default=12.0,
                   help="p_cut_off counts members cut off continuously longer than this (default 12)")
    p.add_argument("--seed", type=int, default=None,
                   help="root seed (default: fresh; the answer names the seed to run again)")
    p.add_argument("--spread", type=float, default=1.0,
                   help="factor on the published errors (default 1; 0: every member is the track itself)")
    p.add_argument("--from", dest="start", default=None, metavar="TIME",
                   help="lead time 0: the forecast's issue time, ISO 8601 with its offset (default the track's "
                        "first point)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=2,
                       help="worker processes of a local dask cluster (default 2; 0: serially in this process)")
    where.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                       help="run on a dask cluster started with `dask scheduler` and `dask worker`")
    p.add_argument("--travel-config", type=Path, default=None, help="TOML overriding vessel speeds and wind limits")
    p.add_argument("--no-lead-rule", dest="lead_rule", action="store_false",
                   help="close sailings at their wind limits only (as replay --no-lead-rule)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", action="store_true",
                     help="print CSV, one row per powered island, then one per station (column kind)")
    p.add_argument("--map", type=Path, default=None, metavar="FILE",
                   help="also write an offline HTML chart, islands coloured by their chance of being cut off")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the map (default zh)")
    p.set_defaults(func=cmd_ensemble)
