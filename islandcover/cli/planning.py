"""The planner's commands: ``coverage``, ``compare``, ``matrix``, ``site`` and ``map``."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from islandcover._plumbing import write_text_atomic
from islandcover.cli._common import (
    at_args,
    at_of,
    count_progress,
    data_args,
    open_store,
    positive,
    router_of,
    scenario_args,
    scenario_of,
    state_args,
)
from islandcover.distributed import check_cluster
from islandcover.errors import IslandcoverError, ScenarioError, SitingError
from islandcover.planning.capacity import CAPACITY_MODELS, parse_capacity
from islandcover.planning.coverage import THRESHOLDS_MIN, CoverageModel, read_assignments
from islandcover.planning.scenario import Scenario
from islandcover.planning.siting import UNITS
from islandcover.planning.sweep import read_sweep, run_sweep

__all__ = ["add_commands", "cmd_compare", "cmd_coverage", "cmd_matrix", "cmd_site", "cmd_map"]


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print coverage of the stations (with the scenario's changes) at each threshold; with ``--sweep``, write
    one CSV row per scenario of the file."""
    if args.sweep is not None:
        return _coverage_sweep(args)
    if args.out is not None or args.workers is not None or args.scheduler is not None:
        raise IslandcoverError("--out, --workers and --scheduler go with --sweep FILE")
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
    n, reach = report.table.shape[0], data["reachable_islands"]
    if reach:
        print(f"mean ETA {data['mean_eta_min']} min, 95th percentile {data['p95_eta_min']} min, over the {reach} of "
              f"{n} islands a team can reach ({data['reachable_share']:.0%})")
    if data["unreachable_islands"]:
        people = data["unreachable_people"]
        listed = ", ".join(f"{u['name_zh'] or u['island_id']} ({u['island_id']}, "
                           f"{'people unknown' if u['people'] is None else format(u['people'], ',') + ' people'})"
                           for u in data["unreachable_islands"])  # type: ignore[union-attr]
        print(f"unreachable: {len(data['unreachable_islands'])} islands, {people:,} known people: {listed}")
    else:
        print("unreachable: none")
    print("worst served:")
    for w in data["worst_served"]:  # type: ignore[union-attr]
        eta = "unreachable" if w["best_eta_min"] is None else f"{w['best_eta_min']} min"
        print(f"  {w['island_id']} {w['name_zh']}: {eta} (zone of {w['station']})")
    return 0


def _coverage_sweep(args: argparse.Namespace) -> int:
    """``coverage --sweep FILE``: every scenario of the file, one CSV row each (stdout or ``--out``)."""
    given = [flag for flag, on in (("--add-station", args.add_station), ("--close", args.close), ("--move", args.move),
                                   ("--wind", args.wind), ("--typhoon", args.typhoon), ("--zones", args.zones),
                                   ("--json", args.json)) if on]
    if given:
        raise IslandcoverError(f"--sweep takes every scenario from {args.sweep.name}: leave out {', '.join(given)} "
                               "(give the changes and the wind in each scenario object)")
    check_cluster(args.workers, args.scheduler)  # the options and the file first: they fail fast
    entries = read_sweep(args.sweep, vessel=args.vessel, at=at_of(args))
    model = CoverageModel(router_of(args))
    n = len(entries)
    t0 = time.perf_counter()
    table = run_sweep(model, entries, args.minutes or list(THRESHOLDS_MIN), workers=args.workers,
                      scheduler=args.scheduler, progress=count_progress("scenarios"), source=args.sweep.name)
    text = table.to_csv(index=False, lineterminator="\n")
    where = table.attrs.get("runner", "serial")
    if args.out is not None:
        path = write_text_atomic(args.out, text, what="sweep")
        print(f"wrote {path}: {n} scenarios of {args.sweep.name} ({where}, {time.perf_counter() - t0:.1f} s)",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(f"  {n} scenarios of {args.sweep.name} ({where}, {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


def cmd_matrix(args: argparse.Namespace) -> int:
    """Write the travel-time matrix (demand islands × candidate sites, minutes) as CSV."""
    model = CoverageModel(router_of(args))
    scenario = scenario_of(args)
    m = model.candidate_matrix(scenario) if args.sites == "candidates" else model.matrix(scenario)
    islands = model.router.arch.islands
    table = m.round(2)
    table.insert(0, "name_zh", islands.name_zh.reindex(m.index).fillna("").to_numpy())
    table.insert(1, "name_en", islands.name_en.reindex(m.index).fillna("").to_numpy())
    write_text_atomic(args.out, table.to_csv(index_label="island_id"), what="travel-time matrix")
    print(f"wrote {args.out}: {m.shape[0]} islands × {m.shape[1]} sites, minutes ({scenario.weather.describe()}, "
          f"{scenario.vessel}); empty = unreachable", file=sys.stderr)
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    """Solve a siting model over every landing as a candidate site."""
    spec = None if args.capacity is None else parse_capacity(args.capacity)  # bad values fail before any loading
    if spec is None and (args.capacity_scale != 1.0 or args.capacity_new is not None):
        raise SitingError("--capacity-scale and --capacity-new go with --capacity COLUMN")
    if spec is not None and args.model not in CAPACITY_MODELS:
        raise SitingError(f"--capacity applies to {' and '.join(CAPACITY_MODELS)}, not to {args.model}")
    model = CoverageModel(router_of(args))
    scenario = scenario_of(args)
    problem = model.siting_problem(scenario, keep_existing=args.keep_existing, weight=args.weight)
    missing = int(np.isnan(model.demand.people).sum())
    if args.weight == "people" and missing and args.model in ("mclp", "pmedian") and not args.json:
        print(f"  note: {missing} powered islands have no published population; they count only as a tie-break "
              f"(1/{len(problem.demand_ids) + 1} each; --weight islands counts islands instead)", file=sys.stderr)
    if not args.json:
        print(f"  solving {args.model} on {len(problem.demand_ids)} islands × {len(problem.site_ids)} candidate sites …", file=sys.stderr)
    caps = None if spec is None else model.site_capacities(problem, spec, scale=args.capacity_scale,
                                                            new_site=args.capacity_new)
    res = problem.solve(args.model, p=args.p, minutes=args.minutes, time_limit=args.time_limit, capacity=caps)
    out = res.to_dict()
    out["weight"] = args.weight
    out["scenario"] = scenario.to_dict()
    if caps is not None:
        out["capacity"] = {"given": args.capacity, "scale": args.capacity_scale, "new_site": args.capacity_new}
    out.update(model.site_kinds(res.sites))
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    stations = model.router.arch.stations
    units = UNITS[args.model] if args.weight == "people" else UNITS[args.model].replace("people", "islands")
    print(f"{args.model}: status {res.status}, objective {res.objective:,.2f} {units}, gap {res.gap:.4%}, "
          f"{res.seconds:.2f} s")
    print(f"  kept open: {', '.join(res.fixed) or 'none'}")
    if res.baseline is not None:
        print(f"  with the kept stations alone: {res.baseline:,.2f} {units}")
    if res.no_gain:
        print(f"  no gain: no new site improves on the kept stations ({args.model} {res.objective:,.2f}); "
              "none is proposed")
    for sid in res.sites:
        name = stations.name_zh.get(sid, "")
        if stations.kind.get(sid) == "light_station":
            print(f"  existing station {sid} {name}")
        else:
            print(f"  new site {sid} (at {name})" if name else f"  new site {sid}")
    if res.uncovered:
        print(f"  outside the threshold or unreachable: {', '.join(res.uncovered)}")
    if caps is not None:
        _print_capacity(res.stats, args.weight, model.router.arch.islands.name_zh)
    return 0


def _print_capacity(stats: dict[str, Any], weight: str, names: Any) -> None:
    """The load of each open site and the islands split between sites (capacitated models)."""
    unit = "people" if weight == "people" else "islands"
    load = stats.get("load", {})
    print(f"  load ({unit} served / capacity): "
          + ", ".join(f"{s} {v['served']:,.0f}/{v['capacity']:,.0f}" for s, v in load.items()))
    for iid, shares in stats.get("split", {}).items():
        print(f"  {names.get(iid, '') or iid} ({iid}) split: " + ", ".join(f"{s} {v:.0%}" for s, v in shares.items()))
    for iid, share in stats.get("served_share", {}).items():
        print(f"  {names.get(iid, '') or iid} ({iid}): {share:.0%} served within the threshold")


def _compared_scenario(ref: str, args: argparse.Namespace) -> Scenario:
    """``base``, a JSON file of a scenario spec, or the id of a scenario stored through the API."""
    if ref == "base":
        return Scenario(name="base")
    path = Path(ref)
    if path.suffix.lower() == ".json" or path.exists():
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ScenarioError(f"{ref}: no such file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ScenarioError(f"{path.name}: not a JSON scenario ({exc})") from None
        try:
            return Scenario.from_spec(spec, name=str(spec.get("name") or path.stem) if isinstance(spec, dict) else path.stem)
        except ScenarioError as exc:
            raise ScenarioError(f"{path.name}: {exc}") from None
    if not ref.isdigit():
        raise ScenarioError(f"{ref!r} is not base, a .json scenario file or a stored scenario id")
    row = open_store(args).scenario(int(ref))
    return Scenario.from_spec(row.spec, row.name)


def cmd_compare(args: argparse.Namespace) -> int:
    """Two scenarios side by side: every coverage metric, the deltas and the islands that changed."""
    model = CoverageModel(router_of(args))
    a, b = _compared_scenario(args.a, args), _compared_scenario(args.b, args)
    minutes = tuple(args.minutes) if args.minutes else THRESHOLDS_MIN
    out = model.compare(a, b, minutes)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0

    def num(v: object, fmt: str = ",.1f") -> str:
        return "-" if v is None else format(v, fmt)

    print(f"A: {a.name} — {a.weather.describe()}, {a.vessel}; close {', '.join(a.close) or 'none'}, "
          f"add {', '.join(a.add) or 'none'}, move {', '.join(f'{x}→{y}' for x, y in a.move) or 'none'}")
    print(f"B: {b.name} — {b.weather.describe()}, {b.vessel}; close {', '.join(b.close) or 'none'}, "
          f"add {', '.join(b.add) or 'none'}, move {', '.join(f'{x}→{y}' for x, y in b.move) or 'none'}")
    print(f"{'metric':<34} {'A':>12} {'B':>12} {'B − A':>10}")
    labels = {"mean_eta_min": "mean ETA, reachable islands (min)", "p95_eta_min": "95th percentile ETA (min)",
              "people_weighted_mean_eta_min": "people-weighted mean ETA (min)",
              "unreachable_islands": "unreachable islands"}
    for key, label in labels.items():
        d = out["metrics"][key]  # type: ignore[index]
        print(f"{label:<34} {num(d['a']):>12} {num(d['b']):>12} {num(d['delta'], '+,.1f'):>10}")
    for t, row in out["thresholds"].items():  # type: ignore[union-attr]
        for key, label, fmt in (("islands_covered", "islands within", ",.0f"), ("people_covered", "people within", ",.0f"),
                                ("people_covered_share", "people share within", ".1%")):
            d = row[key]
            delta = "-" if d["delta"] is None else format(d["delta"], "+" + fmt)
            print(f"{label + ' ' + t + ' min':<34} {num(d['a'], fmt):>12} {num(d['b'], fmt):>12} {delta:>10}")
    changed = out["changed_islands"]
    print(f"islands whose station or ETA changed: {len(changed)}")  # type: ignore[arg-type]
    for c in changed[:15]:  # type: ignore[index]
        print(f"  {c['island_id']} {c['name_zh'] or ''}: {c['station_a']} {num(c['eta_min_a'])} min → "
              f"{c['station_b']} {num(c['eta_min_b'])} min")
    if len(changed) > 15:  # type: ignore[arg-type]
        print(f"  … and {len(changed) - 15} more (--json for all)")  # type: ignore[arg-type]
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
    p.add_argument("--minutes", type=positive, nargs="+", action="extend", metavar="MIN",
                   help="thresholds, e.g. --minutes 45 90 120 (default 30 45 60 90 120)")
    p.add_argument("--zones", type=Path, default=None, help="CSV of zone overrides: island,station")
    p.add_argument("--json", action="store_true", help="print JSON")
    at_args(p)
    p.add_argument("--sweep", type=Path, default=None, metavar="FILE",
                   help="evaluate every scenario of FILE (a JSON list of scenario objects as compare takes them, "
                        "{\"close\": [\"ST-06\"], \"wind\": 7, \"name\": …}, or one object a line) and write one "
                        "CSV row each; --vessel is the default of rows without one")
    p.add_argument("--out", type=Path, default=None, help="with --sweep: the CSV file to write (default stdout)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="with --sweep: worker processes of a local dask cluster (0: serially in this process; "
                            "default serially below 100 scenarios, else 2)")
    where.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                       help="with --sweep: run on a dask cluster started with `dask scheduler` and `dask worker`")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("compare", help="two scenarios side by side: coverage metrics, deltas, islands that changed")
    data_args(p)
    state_args(p)
    p.add_argument("a", metavar="A", help="base, a JSON scenario file ({\"close\": [\"ST-06\"], \"wind\": 7, …}) "
                                          "or the id of a scenario stored through the API")
    p.add_argument("b", metavar="B", help="the same, for the other scenario")
    p.add_argument("--minutes", type=positive, nargs="+", action="extend", metavar="MIN",
                   help="thresholds (default 30 45 60 90 120)")
    p.add_argument("--travel-config", type=Path, default=None, help="TOML overriding vessel speeds and wind limits")
    p.add_argument("--json", action="store_true", help="print JSON (the API's /scenarios/{a}/compare/{b})")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("matrix", help="write the travel-time matrix (islands × sites) as CSV, island names beside the ids")
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
    p.add_argument("--capacity", metavar="COLUMN|N", default=None,
                   help="mclp and pmedian: each open site serves at most its capacity of the demand weight "
                        "(people, or islands with --weight islands). N: the same for every site. COLUMN: a team "
                        "column summed over the site's teams (head_count, or teams for how many), times "
                        "--capacity-scale. An island's demand may be split between sites")
    p.add_argument("--capacity-scale", type=positive, default=1.0, metavar="K",
                   help="demand weight one unit of COLUMN serves, e.g. 10000 people per crew member (default 1)")
    p.add_argument("--capacity-new", type=positive, default=None, metavar="V",
                   help="COLUMN value of a site without teams (service points, added sites), e.g. a new crew's "
                        "head count; without it such sites are an error")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("map", help="write the beacon chart, an offline HTML map")
    data_args(p)
    scenario_args(p)
    p.add_argument("-o", "--out", type=Path, default=Path("beacon.html"), help="HTML file (default beacon.html)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.set_defaults(func=cmd_map)
