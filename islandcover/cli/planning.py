"""The planner's commands: ``coverage``, ``matrix``, ``site`` and ``map``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from islandcover._plumbing import write_text_atomic
from islandcover.cli._common import (
    at_args,
    data_args,
    positive,
    router_of,
    scenario_args,
    scenario_of,
)
from islandcover.planning.coverage import THRESHOLDS_MIN, CoverageModel, read_assignments

__all__ = ["add_commands", "cmd_coverage", "cmd_matrix", "cmd_site", "cmd_map"]


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print coverage of the stations (with the scenario's changes) at each threshold."""
    model = CoverageModel(router_of(args))
    scenario = scenario_of(args)
    stations = model.stations(scenario)
    overrides = read_assignments(args.zones, model.router, [s.id for s in stations]) if args.zones else None
    minutes = args.minutes or list(THRESHOLDS_MIN)
    report = model.report(scenario, minutes, overrides)
    data = report.to_dict(minutes)
    first = data["thresholds"][next(iter(data["thresholds"]))]  # type: ignore[index]
    for key in ("minutes", "islands_covered", "islands_covered_share", "people_covered", "people_covered_share",
                "backup_islands", "by_district"):
        data[key] = first[key]
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"Coverage — {scenario.weather.describe()}, one {scenario.vessel} per station, "
          f"{len(stations)} stations ({', '.join(s.id for s in stations)})")
    print(f"  people shares count the {data['people_known']:,.0f} residents of the powered islands (2020 census basis); "
          f"{len(report.islands_without_population)} powered islands have no figure of their own")
    print(f"{'minutes':>8} {'islands':>10} {'share':>7} {'people':>9} {'share':>7} {'backup':>7}   by district (island share)")
    for t in data["thresholds"].values():  # type: ignore[union-attr]
        dist = "  ".join(f"{d} {v['islands_covered_share']:.0%}" for d, v in t["by_district"].items())
        ps = t["people_covered_share"]
        print(f"{t['minutes']:>8g} {t['islands_covered']:>4}/{report.table.shape[0]:<5} {t['islands_covered_share']:>7.0%} "
              f"{t['people_covered']:>9,} {(f'{ps:.0%}' if ps is not None else '-'):>7} {t['backup_islands']:>7}   {dist}")
    print(f"mean ETA {data['mean_eta_min']} min, 95th percentile {data['p95_eta_min']} min; unreachable: "
          f"{', '.join(data['unreachable']) or 'none'}")  # type: ignore[arg-type]
    print("worst served:")
    for w in data["worst_served"]:  # type: ignore[union-attr]
        eta = "unreachable" if w["best_eta_min"] is None else f"{w['best_eta_min']} min"
        print(f"  {w['island_id']} {w['name_zh']}: {eta} (zone of {w['station']})")
    return 0


def cmd_matrix(args: argparse.Namespace) -> int:
    """Write the travel-time matrix (demand islands × candidate sites, minutes) as CSV."""
    model = CoverageModel(router_of(args))
    scenario = scenario_of(args)
    m = model.candidate_matrix(scenario) if args.sites == "candidates" else model.matrix(scenario)
    write_text_atomic(args.out, m.round(2).to_csv(index_label="island_id"), what="travel-time matrix")
    print(f"wrote {args.out}: {m.shape[0]} islands × {m.shape[1]} sites, minutes ({scenario.weather.describe()}, "
          f"{scenario.vessel}); empty = unreachable", file=sys.stderr)
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    """Solve a siting model over every landing as a candidate site."""
    model = CoverageModel(router_of(args))
    scenario = scenario_of(args)
    problem = model.siting_problem(scenario, keep_existing=args.keep_existing, weight=args.weight)
    missing = int(np.isnan(model.demand.people).sum())
    if args.weight == "people" and missing and args.model in ("mclp", "pmedian") and not args.json:
        print(f"  note: {missing} powered islands have no published population; they count only as a tie-break "
              f"(1/{len(problem.demand_ids) + 1} each; --weight islands counts islands instead)", file=sys.stderr)
    if not args.json:
        print(f"  solving {args.model} on {len(problem.demand_ids)} islands × {len(problem.site_ids)} candidate sites …", file=sys.stderr)
    res = problem.solve(args.model, p=args.p, minutes=args.minutes, time_limit=args.time_limit)
    out = res.to_dict()
    out["weight"] = args.weight
    out["scenario"] = scenario.to_dict()
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    names = model.router.arch.stations.name_zh
    print(f"{args.model}: status {res.status}, objective {res.objective:,.2f}, gap {res.gap:.4%}, {res.seconds:.2f} s")
    print(f"  kept open: {', '.join(res.fixed) or 'none'}")
    for sid in res.sites:
        print(f"  new site {sid} {names.get(sid, '')}")
    if res.uncovered:
        print(f"  outside the threshold or unreachable: {', '.join(res.uncovered)}")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    """Write the beacon chart (an offline HTML map)."""
    from islandcover.chart.beacon import scenario_chart

    scenario = scenario_of(args)
    m, cut = scenario_chart(CoverageModel(router_of(args)), scenario, lang=args.lang)
    path = write_text_atomic(args.out, m.get_root().render(), what="beacon chart")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): {len(cut)} cut-off islands, {scenario.weather.describe()}",
          file=sys.stderr)
    return 0


def add_commands(sub: Any) -> None:
    """Register ``coverage``, ``matrix``, ``site``, ``map`` on the subparsers object ``sub``."""
    p = sub.add_parser("coverage", help="share of islands and people reached within 30/45/60/90/120 min")
    data_args(p)
    scenario_args(p)
    p.add_argument("--minutes", type=positive, action="append", help="threshold (repeatable; default 30 45 60 90 120)")
    p.add_argument("--zones", type=Path, default=None, help="CSV of zone overrides: island,station")
    p.add_argument("--json", action="store_true", help="print JSON")
    at_args(p)
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("matrix", help="write the travel-time matrix (islands × sites) as CSV")
    data_args(p)
    scenario_args(p)
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    p.add_argument("--sites", choices=("candidates", "stations"), default="candidates",
                   help="columns: every landing (default) or the scenario's stations")
    p.set_defaults(func=cmd_matrix)

    p = sub.add_parser("site", help="optimal station sites: mclp, pmedian, pcenter, setcover")
    data_args(p)
    scenario_args(p)
    p.add_argument("--model", choices=("mclp", "pmedian", "pcenter", "setcover"), required=True)
    p.add_argument("--p", type=int, default=None, help="number of new stations (mclp, pmedian, pcenter)")
    p.add_argument("--minutes", type=positive, default=None, help="coverage threshold (mclp, setcover)")
    p.add_argument("--keep-existing", action="store_true", help="keep the scenario's stations open; --p counts new ones")
    p.add_argument("--weight", choices=("people", "islands"), default="people", help="demand weight (default people)")
    p.add_argument("--time-limit", type=positive, default=None, help="seconds; the best solution found is returned")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("map", help="write the beacon chart, an offline HTML map")
    data_args(p)
    scenario_args(p)
    p.add_argument("-o", "--out", type=Path, default=Path("beacon.html"), help="HTML file (default beacon.html)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.set_defaults(func=cmd_map)
