"""The ``islandcover replay`` and ``islandcover prepare`` commands (typhoon replay, pre-positioning).

Registered by :func:`add_commands` (:mod:`islandcover.cli.main`). ``TRACK`` is a track file (CMA
best-track CSV, IBTrACS CSV, forecast CSV or GeoJSON: :mod:`islandcover.typhoon.tracks`) or a
shipped track (``muifa_2022``, ``infa_2021``, ``chanthu_2021``, ``bebinca_pulasan_2024``, or
a storm in them: ``梅花``, ``MUIFA`` …).

Times are shown in Beijing time (``09-14 19:00``, the tables say ``BJT``); ``--json`` gives ISO
8601 with its ``+08:00`` offset (:mod:`islandcover.clock`).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from islandcover.cli._common import (
    at_of,
    count_progress,
    data_args,
    live_args,
    open_store,
    pad,
    parse_time,
    router_of,
    situation_of,
)
from islandcover.clock import beijing_text
from islandcover.errors import EnsembleError, IslandcoverError
from islandcover.typhoon.prepare_odds import OddsPlan
from islandcover.typhoon.replay import LEAD_HOURS, PlanItem, PreparePlan, Replay, prepare, replay
from islandcover.typhoon.tracks import parse_step, resolve_track

__all__ = ["add_commands", "cmd_prepare", "cmd_replay"]

_MAX_ISLAND_ROWS = 20


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    """Progress on stderr (every 24th step), none with --json."""
    if getattr(args, "json", False):
        return None
    count = {"n": 0}

    def report(msg: str) -> None:
        count["n"] += 1
        if count["n"] % 24 == 0:
            print(f"  {msg}", file=sys.stderr)
    return report


def _track(args: argparse.Namespace) -> Any:
    return resolve_track(args.track, storm=args.storm)


def _short(t: str | None) -> str:
    """An ISO time in Beijing time, without the zone (the table's header names it):
    ``2022-09-14T11:00:00Z`` or ``2022-09-14T19:00:00+08:00`` → ``09-14 19:00``."""
    return "" if not t else beijing_text(t, zone=False)


def _names(router: Any, ids: tuple[str, ...] | list[str], limit: int = 6) -> str:
    labels = [router.arch.island(i).name_zh or i for i in ids]
    more = f" …(+{len(labels) - limit})" if len(labels) > limit else ""
    return " ".join(labels[:limit]) + more


def cmd_replay(args: argparse.Namespace) -> int:
    """Replay a storm track: cut-off islands hour by hour and a summary per island."""
    if args.map is not None and not args.map.resolve().parent.is_dir():
        msg = f"cannot write the map to {args.map}: folder {args.map.resolve().parent} does not exist (create it first)"
        raise IslandcoverError(msg)
    step = parse_step(args.step)  # the step and the track first: both fail fast, before the network is built
    track = _track(args)
    router = router_of(args)
    rp = replay(router, track, step, progress=_progress(args), lead_hours=LEAD_HOURS if args.lead_rule else None)
    if args.map is not None:
        _write_map(router, rp, args.map, args.lang)
    if args.json:
        print(json.dumps(rp.to_dict(), ensure_ascii=False, indent=2))
        return 0
    _print_replay(router, rp)
    return 0


def _write_map(router: Any, rp: Replay, path: Path, lang: str) -> None:
    """Write the replay chart (the beacon chart with a time slider), atomically; say so on stderr."""
    from islandcover.chart.beacon import write_beacon_chart
    from islandcover.chart.replay import replay_chart

    out = write_beacon_chart(replay_chart(router, rp, lang=lang), path)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): replay chart of {rp.storm}, {len(rp.steps)} steps",
          file=sys.stderr)


def _print_replay(router: Any, rp: Replay) -> None:
    n_pow = len(rp.islands)
    span = f"{beijing_text(rp.steps[0].time, year=True, zone=False)} – {beijing_text(rp.steps[-1].time, year=True)}"
    print(f"Replay of {rp.storm} ({rp.source}), {span}: {len(rp.steps)} steps of "
          f"{rp.step_h:g} h, {rp.wind_basis} winds, Holland vortex ({rp.seconds:.1f} s)")
    changes = [s for s in rp.steps if s.newly_cut_off or s.reconnected]
    if not changes:
        print(f"  no powered island was cut off (strongest force on any link: {max(s.max_bft for s in rp.steps)})")
    else:
        print(f"{'time (BJT)':12s} {'centre':15s} {'vmax':>5s} {'force':>5s} {'cut off':>8s}  change")
        for s in changes:
            change = []
            if s.newly_cut_off:
                change.append("+ " + _names(router, s.newly_cut_off))
            if s.reconnected:
                change.append("− " + _names(router, s.reconnected))
            print(f"{_short(s.time):12s} {s.center[0]:6.2f}E {s.center[1]:5.2f}N {s.vmax_ms:5.0f} {s.max_bft:5d} "
                  f"{len(s.cut_off):4d}/{n_pow:<3d}  {'; '.join(change)}")
    hit = [i for i in rp.islands if i.hours_cut_off > 0]
    if hit:
        print(f"\n{len(hit)} islands cut off at some step (most hours first):")
        print(f"  {'id':8s} {'island':10s} {'hours':>5s} {'longest':>7s}  {'from – until (BJT)':23s} {'peak':>4s} "
              f"{'own team':8s} {'people':>7s}")
        for i in hit[:_MAX_ISLAND_ROWS]:
            people = f"{i.population:,}" if i.population is not None else "unknown"
            span = f"{_short(i.longest_from)} – {_short(i.longest_until)}"
            print(f"  {i.id:8s} {pad(i.name_zh, 10)} {i.hours_cut_off:5g} {i.longest_isolation_h:7g}  {span:23s} "
                  f"{i.peak_bft:4d} {'yes' if i.has_own_team else 'no':8s} {people:>7s}")
        if len(hit) > _MAX_ISLAND_ROWS:
            print(f"  … and {len(hit) - _MAX_ISLAND_ROWS} more (--json for all)")


def cmd_prepare(args: argparse.Namespace) -> int:
    """The pre-positioning plan: islands cut off for long with no team, who to send and by when.

    With ``--members N``: over an ensemble of N perturbed tracks, ranked by probability × people
    (:func:`islandcover.typhoon.prepare_odds.prepare_odds`); without it, the plan of the one track.
    """
    if args.members is not None:
        return _prepare_odds(args)
    ensemble_only = (("--seed", args.seed), ("--spread", args.spread), ("--from", args.start),
                     ("--workers", args.workers), ("--scheduler", args.scheduler))
    given = [flag for flag, value in ensemble_only if value is not None]
    if given:
        raise EnsembleError(f"{given[0]} is an option of the ensemble plan: add --members N (e.g. --members 200)")
    step = parse_step(args.step)  # the step and the track first: both fail fast, before the network is built
    track = _track(args)
    now = at_of(argparse.Namespace(at=args.now))
    if args.apply and getattr(args, "state", "live") == "none":
        raise IslandcoverError("--apply writes the live state: it cannot be used with --state none")
    router = router_of(args)
    situation = situation_of(args)
    plan = prepare(router, track, args.hours, step=step, progress=_progress(args), situation=situation, now=now,
                   lead_hours=LEAD_HOURS if args.lead_rule else None)
    return _emit_plan(args, plan, situation, router, _print_plan)


def _prepare_odds(args: argparse.Namespace) -> int:
    """``prepare --members N``: the ensemble's plan, ranked by probability × people."""
    from islandcover.typhoon.ensemble import ErrorModel, check_options, run_ensemble
    from islandcover.typhoon.prepare_odds import prepare_odds

    workers = 2 if args.workers is None else args.workers
    check_options(args.members, args.hours, scheduler=args.scheduler, workers=workers)
    if parse_step(args.step) != parse_step("1h"):
        raise EnsembleError(f"--step {args.step}: the ensemble replays hour by hour; leave out --step with --members")
    model = ErrorModel().scaled(1.0 if args.spread is None else args.spread)
    start = parse_time(args.start, "--from") if args.start is not None else None
    track = _track(args)
    now = at_of(argparse.Namespace(at=args.now))
    if args.apply and getattr(args, "state", "live") == "none":
        raise IslandcoverError("--apply writes the live state: it cannot be used with --state none")
    router = router_of(args)
    situation = situation_of(args)
    lead = LEAD_HOURS if args.lead_rule else None
    progress = count_progress("members", args.json)
    ens = run_ensemble(router, track, args.members, hours=args.hours, seed=args.seed, model=model, start=start,
                       workers=workers, scheduler=args.scheduler, progress=progress, lead_hours=lead)
    plan = prepare_odds(router, ens, track, start=start, situation=situation, now=now, lead_hours=lead)
    return _emit_plan(args, plan, situation, router, _print_odds_plan)


def _emit_plan(args: argparse.Namespace, plan: PreparePlan | OddsPlan, situation: Any, router: Any,
               printer: Callable[[Any], None]) -> int:
    """Apply the plan if asked (``--apply``), then show it: JSON with ``state`` and ``applied``
    (``--json``), or ``printer``'s table, the state and one "applied:" line per move written."""
    applied: list[tuple[str, str]] = []
    if args.apply:
        applied = _apply(args, plan, router)
    if args.json:
        out = plan.to_dict()
        out["state"] = situation.describe()
        out["applied"] = [{"team_id": t, "island_id": i} for t, i in applied]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    printer(plan)
    print(f"  {situation.describe()}")
    for t, i in applied:
        print(f"  applied: {t} now planned at {i} (islandcover team {t} --return undoes it)")
    return 0


def _item_columns(it: PlanItem) -> tuple[str, str, str]:
    """The columns both plans' tables share for an item: the island, its people, and the team sent
    (id, vessel, latest departure, ETA, urgency) or why none is."""
    people = f"{it.population:,}" if it.population is not None else "unknown"
    if it.team is None:
        return f"{it.name_zh} {it.id}", people, f"no team: {it.note.split(';')[0]}"
    t = it.team
    flag = {"leave by": "", "leave now": "LEAVE NOW", "too late": "TOO LATE"}.get(it.urgency, it.urgency)
    tail = f"{t.team_id:7s} {t.vessel:8s} {_short(t.latest_departure):14s} {t.eta_min:4.0f} min  {flag}"
    return f"{it.name_zh} {it.id}", people, tail


def _print_odds_plan(plan: OddsPlan) -> None:
    print(f"Pre-positioning plan for {plan.storm} over an ensemble of {plan.members} members (seed {plan.seed}, "
          f"from {beijing_text(plan.start, year=True)}): powered islands cut off for more than {plan.hours:g} h in "
          f"some member with no team of their own, RANKED BY PROBABILITY × PEOPLE (P(cut off > {plan.hours:g} h) × "
          "population: the people expected to be cut off)")
    if not plan.items:
        print("  none")
    else:
        print(f" {'#':>2s} {'island':16s} {'people':>7s} {'P':>5s} {'P×people':>8s} {'cut off from':12s}  "
              f"{'team':7s} {'vessel':8s} {'leave by (BJT)':14s} {'ETA':>7s}  now ({_short(plan.now)})")
        for n, it in enumerate(plan.items, 1):
            label, people, tail = _item_columns(it)
            expected = f"{it.expected_people:,.0f}" if it.expected_people is not None else "—"
            print(f" {n:2d} {pad(label, 16)} {people:>7s} {it.p_cut_off:5.0%} {expected:>8s} "
                  f"{_short(it.cut_off_from):12s}  {tail}")
    print(f"  people expected to be cut off: {plan.expected_people:,.0f} (of {plan.people_known:,} living on these "
          f"islands); {plan.islands_without_population} of the islands have no population figure (unknown, not zero)")
    if plan.skipped_own_team:
        print("  also cut off that long in some member but with a team of their own: "
              f"{', '.join(plan.skipped_own_team)}")
    if plan.kept:
        print(f"  kept on islands likely cut off themselves (their last team stays): {', '.join(plan.kept)}")
    print(f"  ranking: {plan.ranking}")
    print(f"  rule: {plan.rule}")


def _apply(args: argparse.Namespace, plan: PreparePlan | OddsPlan, router: Any) -> list[tuple[str, str]]:
    """Write the plan's moves into the live state (teams put where they are sent), unless too late."""
    moves = plan.moves()
    store = open_store(args)
    try:
        store.sync_teams({str(t): str(s_) for t, s_ in router.arch.teams.status.items()})
        for team_id, island_id in moves:
            store.set_team(team_id, at=("island", island_id))
    finally:
        store.close()
    return moves


def _print_plan(plan: PreparePlan) -> None:
    print(f"Pre-positioning plan for {plan.storm}: powered islands cut off for more than {plan.hours:g} h with no "
          f"team of their own, by people affected")
    if not plan.items:
        print("  none")
    else:
        print(f" {'#':>2s} {'island':16s} {'people':>7s} {'cut off (BJT)':23s} {'hours':>5s}  {'team':7s} "
              f"{'vessel':8s} {'leave by (BJT)':14s} {'ETA':>7s}  now ({_short(plan.now)})")
        for n, it in enumerate(plan.items, 1):
            label, people, tail = _item_columns(it)
            start, until = _short(it.cut_off_from), _short(it.cut_off_until)
            span = f"{start}–{until[6:] if until[:5] == start[:5] else until}"  # the date again past midnight
            print(f" {n:2d} {pad(label, 16)} {people:>7s} {span:23s} {it.isolation_h:5g}  {tail}")
    print(f"  people counted: {plan.people_known:,}; {plan.islands_without_population} of these islands have no "
          "population figure (unknown, not zero)")
    if plan.skipped_own_team:
        print(f"  also cut off that long but with a team of their own: {', '.join(plan.skipped_own_team)}")
    if plan.kept:
        print(f"  kept on islands that will be cut off themselves (their last team stays): {', '.join(plan.kept)}")
    print(f"  rule: {plan.rule}")


def add_commands(sub: Any) -> None:
    """Register ``replay`` and ``prepare`` on the subparsers object ``sub`` (``parser.add_subparsers()``)."""
    track_help = ("track file (CMA best-track CSV, IBTrACS CSV, forecast CSV/GeoJSON) or a shipped track: "
                  "muifa_2022, infa_2021, chanthu_2021, bebinca_pulasan_2024, or a storm in them (梅花, MUIFA …)")
    for name, func, help_text in (
            ("replay", cmd_replay, "replay a typhoon track: cut-off islands hour by hour, hours cut off per island"),
            ("prepare", cmd_prepare, ("pre-positioning plan: islands cut off for long with no team, who to "
                                      "send, latest departure"))):
        p = sub.add_parser(name, help=help_text, description=help_text)
        data_args(p)
        p.add_argument("track", help=track_help)
        p.add_argument("--storm", default=None, help="which storm when the file holds several (name or id)")
        p.add_argument("--step", default="1h", help="time step with its unit: 30min, 1h, 3h (default 1h; 10min–24h)")
        if name == "prepare":
            p.add_argument("--hours", type=_hours, default=12.0,
                           help="plan for islands cut off longer than this (default 12)")
            p.add_argument("--now", default="now", metavar="TIME",
                           help="the current time the moves are flagged against (leave now / too late), ISO 8601 "
                                "with its offset; default the clock (give the storm's own time to replay a past one)")
            p.add_argument("--apply", action="store_true",
                           help="write the plan's moves into the live state (the teams are put where they are sent)")
            odds = p.add_argument_group("over an ensemble (ranked by probability × people)")
            odds.add_argument("--members", type=int, default=None,
                              help="plan over an ensemble of N perturbed tracks (as `ensemble`), islands ranked by "
                                   "P(cut off > --hours) × people; without it, the plan of the track itself")
            odds.add_argument("--seed", type=int, default=None, help="with --members: root seed (default fresh)")
            odds.add_argument("--spread", type=float, default=None,
                              help="with --members: factor on the published forecast errors (default 1)")
            odds.add_argument("--from", dest="start", default=None, metavar="TIME",
                              help="with --members: lead time 0, ISO 8601 with its offset (default the track's start)")
            where = odds.add_mutually_exclusive_group()
            where.add_argument("--workers", type=int, default=None,
                               help="with --members: local dask worker processes (default 2; 0: serially)")
            where.add_argument("--scheduler", default=None, metavar="tcp://HOST:8786",
                               help="with --members: run on a dask cluster")
            live_args(p)
        if name == "replay":
            p.add_argument("--map", type=Path, default=None, metavar="FILE",
                           help="also write the beacon chart with a time slider over the replay (offline HTML)")
            p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the map (default zh)")
        p.add_argument("--travel-config", type=Path, default=None, help="TOML overriding vessel speeds and wind limits")
        p.add_argument("--no-lead-rule", dest="lead_rule", action="store_false",
                       help="close sailings at their wind limits only (default: each class also stops its lead "
                            "hours before force 7 is forecast on the crossing, as the operators' notices do)")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=func)


def _hours(text: str) -> float:
    """``--hours``: 0–720. Not :func:`islandcover.cli._common.positive`, which refuses 0: ``--hours 0`` is a
    real question ("every island cut off at any step, for however short"), and 0–720 is what
    :func:`islandcover.typhoon.replay.prepare` and the API's ``PrepareIn.hours`` accept."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 <= v <= 720:
        raise argparse.ArgumentTypeError(f"{text} must be between 0 and 720 hours")
    return v
