"""The ``islandcover`` command.

Every user mistake ends with exit code 2 and one line on stderr naming the problem;
``--help`` on any subcommand lists its options.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from islandcover.archipelago import Archipelago
from islandcover.atomic import write_text_atomic
from islandcover.coverage import THRESHOLDS_MIN, CoverageModel, Scenario, read_assignments
from islandcover.errors import IslandcoverError
from islandcover.network import load_network
from islandcover.routing import Router
from islandcover.vessels import load_parameters
from islandcover.weather import Weather, parse_typhoon

if TYPE_CHECKING:
    from islandcover.store import Store

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
            via = f" via {leg.via}" if leg.via else ""
            print(f"     {leg.mode:6s} {leg.from_} → {leg.to}{via}: {leg.length_km:.1f} km, {leg.minutes:.0f} min")
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


def cmd_route(args: argparse.Namespace) -> int:
    """Print the fastest route between two places with one vessel class."""
    router = _router(args)
    r = router.route(args.origin, args.destination, args.vessel, _weather(args))
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
    from islandcover.links import LinkBoard, limits_table

    router = _router(args)
    board = LinkBoard(router).status(_weather(args), args.vessel)
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


# ---------------------------------------------------------------------- planning
def _scenario(args: argparse.Namespace, name: str = "scenario") -> Scenario:
    moves = []
    for m in args.move or []:
        sid, sep, where = m.partition("=")
        if not sep:
            raise IslandcoverError(f"--move '{m}' must be STATION=LON,LAT or STATION=ISLAND")
        moves.append((sid.strip(), where.strip()))
    return Scenario(name=name, add=tuple(args.add_station or ()), close=tuple(args.close or ()), move=tuple(moves),
                    weather=_weather(args), vessel=args.vessel)


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    return None if getattr(args, "json", False) else (lambda m: print(f"  {m}", file=sys.stderr))


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print coverage of the stations (with the scenario's changes) at each threshold."""
    model = CoverageModel(_router(args))
    scenario = _scenario(args)
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
    print(f"  people shares count the {data['people_known']:,.0f} people of islands with a published population; "
          f"{len(report.islands_without_population)} powered islands have none")
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
    model = CoverageModel(_router(args))
    scenario = _scenario(args)
    m = model.candidate_matrix(scenario) if args.sites == "candidates" else model.matrix(scenario)
    write_text_atomic(args.out, m.round(2).to_csv(index_label="island_id"), what="travel-time matrix")
    print(f"wrote {args.out}: {m.shape[0]} islands × {m.shape[1]} sites, minutes ({scenario.weather.describe()}, "
          f"{scenario.vessel}); empty = unreachable", file=sys.stderr)
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    """Solve a siting model over every landing as a candidate site."""
    model = CoverageModel(_router(args))
    scenario = _scenario(args)
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
    from islandcover.beacon import scenario_chart

    scenario = _scenario(args)
    m, cut = scenario_chart(CoverageModel(_router(args)), scenario, lang=args.lang)
    path = write_text_atomic(args.out, m.get_root().render(), what="beacon chart")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): {len(cut)} cut-off islands, {scenario.weather.describe()}",
          file=sys.stderr)
    return 0


# ---------------------------------------------------------------------- API: keys and server
def _open_store(args: argparse.Namespace) -> Store:
    """The store of ``--state-dir`` / ``--database-url``; a database that cannot be opened is a
    :class:`StoreError` (one line, exit 2)."""
    from sqlalchemy.exc import SQLAlchemyError

    from islandcover.store import Store, StoreError

    try:
        return Store.open(state_dir=args.state_dir, database_url=args.database_url)
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        first = (str(orig if orig is not None else exc).strip().splitlines() or ["unknown error"])[0]
        raise StoreError(f"cannot open the state database: {first}") from None
    except OSError as exc:
        raise StoreError(f"cannot open the state database: {exc}") from None


def _key_id(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 18 and int(text) > 0):
        raise argparse.ArgumentTypeError(f"'{text}' is not a key id (a whole number from `islandcover keys list`)")
    return int(text)


def cmd_keys_create(args: argparse.Namespace) -> int:
    """Create an API key; print it once (only its hash is stored)."""
    store = _open_store(args)
    try:
        key = store.create_key(args.role, label=args.label)
        where = store.engine.url.render_as_string(hide_password=True)
    finally:
        store.close()
    print(key)
    print(f"  {args.role} key created in {where}; it is shown only now (only its SHA-256 is stored). "
          "Send it as the X-API-Key header.", file=sys.stderr)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    """List the API keys: id, role, label, created, revoked (never the key, which is not stored)."""
    store = _open_store(args)
    try:
        keys = store.list_keys()
    finally:
        store.close()
    if args.json:
        print(json.dumps(keys, ensure_ascii=False, indent=2))
        return 0
    if not keys:
        print("no API keys (create one with `islandcover keys create --role dispatcher|planner`)")
        return 0
    rows = [(str(k["id"]), k["role"], k["label"] or "", (k["created_at"] or "")[:19],
             (k["revoked_at"] or "")[:19] or "-") for k in keys]
    head = ("id", "role", "label", "created (UTC)", "revoked (UTC)")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    """Revoke an API key by id: from then on the API answers it with 401."""
    store = _open_store(args)
    try:
        key, now = store.revoke_key(args.id)
    finally:
        store.close()
    label = f" ({key['label']})" if key["label"] else ""
    if now:
        print(f"revoked {key['role']} key {key['id']}{label}; requests with it now get 401")
    else:
        print(f"{key['role']} key {key['id']}{label} was already revoked at {key['revoked_at']}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API (uvicorn) on the shipped data, in ``--workers`` processes; keys in query
    strings are redacted from the access log (:mod:`api.access_log`).

    Each worker loads the model (a few seconds of start-up and its own memory) and keeps its own
    answer caches; the live state is in the database, so workers agree. With more than one
    worker the database is created here first, so that the workers do not race to create it.
    """
    import uvicorn

    from api.access_log import log_config

    if args.state_dir is not None:
        os.environ["ISLANDCOVER_STATE_DIR"] = str(args.state_dir)
    if args.database_url is not None:
        os.environ["ISLANDCOVER_DATABASE_URL"] = args.database_url
    if args.workers > 1:
        from islandcover.store import Store

        Store.open(state_dir=args.state_dir, database_url=args.database_url).close()
    uvicorn.run("api.app:create_app", factory=True, host=args.host, port=args.port, log_config=log_config(),
                workers=args.workers)
    return 0


def _state_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state-dir", type=Path, default=None,
                   help="folder of the SQLite state.db (default $ISLANDCOVER_STATE_DIR or ~/.local/share/islandcover)")
    p.add_argument("--database-url", default=None,
                   help="SQLAlchemy URL, e.g. postgresql+psycopg://… (default $ISLANDCOVER_DATABASE_URL)")


def _scenario_args(p: argparse.ArgumentParser) -> None:
    _weather_args(p)
    p.add_argument("--vessel", choices=("workboat", "fast", "ferry"), default="workboat",
                   help="planning vessel class of every station (default workboat)")
    p.add_argument("--add-station", action="append", metavar="LON,LAT|ISLAND", help="add a station (repeatable)")
    p.add_argument("--close", action="append", metavar="ST-xx", help="close a station (repeatable)")
    p.add_argument("--move", action="append", metavar="ST-xx=LON,LAT", help="move a station (repeatable)")


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

    p = sub.add_parser("route", help="the fastest route between two places with one vessel class")
    _common(p)
    p.add_argument("origin", metavar="FROM", help="island (id, name, pinyin), station id, pier id or LON,LAT")
    p.add_argument("destination", metavar="TO", help="island, station id, pier id or LON,LAT")
    p.add_argument("--vessel", choices=("workboat", "fast", "ferry"), default="workboat",
                   help="own boat (workboat, fast) or the scheduled ferries (ferry); default workboat")
    _weather_args(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("links", help="link status board: sea lanes, sailings, bridges open or closed, and why")
    _common(p)
    _weather_args(p)
    p.add_argument("--vessel", choices=("workboat", "fast"), default="workboat",
                   help="own-boat class whose limits judge the sea lanes (default workboat)")
    p.add_argument("--all", action="store_true", help="list the open links too")
    p.add_argument("--json", action="store_true", help="print JSON (every link, and the table of limits)")
    p.set_defaults(func=cmd_links)

    p = sub.add_parser("coverage", help="share of islands and people reached within 30/45/60/90/120 min")
    _common(p)
    _scenario_args(p)
    p.add_argument("--minutes", type=_positive, action="append", help="threshold (repeatable; default 30 45 60 90 120)")
    p.add_argument("--zones", type=Path, default=None, help="CSV of zone overrides: island,station")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_coverage)

    p = sub.add_parser("matrix", help="write the travel-time matrix (islands × sites) as CSV")
    _common(p)
    _scenario_args(p)
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    p.add_argument("--sites", choices=("candidates", "stations"), default="candidates",
                   help="columns: every landing (default) or the scenario's stations")
    p.set_defaults(func=cmd_matrix)

    p = sub.add_parser("site", help="optimal station sites: mclp, pmedian, pcenter, setcover")
    _common(p)
    _scenario_args(p)
    p.add_argument("--model", choices=("mclp", "pmedian", "pcenter", "setcover"), required=True)
    p.add_argument("--p", type=int, default=None, help="number of new stations (mclp, pmedian, pcenter)")
    p.add_argument("--minutes", type=_positive, default=None, help="coverage threshold (mclp, setcover)")
    p.add_argument("--keep-existing", action="store_true", help="keep the scenario's stations open; --p counts new ones")
    p.add_argument("--weight", choices=("people", "islands"), default="people", help="demand weight (default people)")
    p.add_argument("--time-limit", type=_positive, default=None, help="seconds; the best solution found is returned")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("map", help="write the beacon chart, an offline HTML map")
    _common(p)
    _scenario_args(p)
    p.add_argument("-o", "--out", type=Path, default=Path("beacon.html"), help="HTML file (default beacon.html)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.set_defaults(func=cmd_map)

    from islandcover.cli_calendar import add_commands as add_calendar
    from islandcover.cli_typhoon import add_commands as add_typhoon

    add_typhoon(sub, _common)
    add_calendar(sub)

    p = sub.add_parser("keys", help="API keys")
    keys = p.add_subparsers(dest="keys_command", required=True, parser_class=_Parser)
    p = keys.add_parser("create", help="create an API key and print it once")
    p.add_argument("--role", choices=("dispatcher", "planner"), required=True,
                   help="dispatcher: incidents and teams; planner: scenarios and siting")
    p.add_argument("--label", default=None, help="a note on whose key it is")
    _state_args(p)
    p.set_defaults(func=cmd_keys_create)
    p = keys.add_parser("list", help="list the API keys: id, role, label, created, revoked (never the key)")
    p.add_argument("--json", action="store_true", help="print JSON")
    _state_args(p)
    p.set_defaults(func=cmd_keys_list)
    p = keys.add_parser("revoke", help="revoke an API key by id (see `keys list`); the API then answers it with 401")
    p.add_argument("id", type=_key_id, metavar="ID", help="the key's id, from `islandcover keys list`")
    _state_args(p)
    p.set_defaults(func=cmd_keys_revoke)

    p = sub.add_parser("serve", help="serve the HTTP API (uvicorn)",
                       description="Serve the HTTP API with uvicorn. Its access log redacts the value of any "
                                   "query parameter that looks like a key (api_key, key, token, …): keys "
                                   "belong in the X-API-Key header, never in a URL.")
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="default 8000")
    p.add_argument("--workers", type=_count, default=1,
                   help="worker processes (default 1); each loads the model and uses its own memory")
    _state_args(p)
    p.set_defaults(func=cmd_serve)

    return parser


def _positive(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (v > 0 and v < float("inf")):
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return v


def _count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return v


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
