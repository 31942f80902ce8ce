"""Pre-positioning by the odds: which islands to send teams to, ranked by probability × people.

:func:`islandcover.typhoon.replay.prepare` plans for one track: the islands that track cuts off
for longer than a threshold, ranked by people. Over an ensemble
(:func:`islandcover.typhoon.ensemble.run_ensemble`) an island is cut off in some members and not
in others, so :func:`prepare_odds` ranks each island by the **people it is expected to have cut
off**, ``p_cut_off × population`` (``p_cut_off``: the share of members that cut it off
continuously for longer than the ensemble's ``hours``), and gives each the team to send.

The moves are planned at the forecast's first hour (lead time 0), the one hour every member
agrees on: travel times are those of that hour's wind, with the sailings the lead-time rule
has stopped by then on the track itself (:data:`~islandcover.typhoon.replay.LEAD_HOURS`). A move
must arrive by the island's *earliest likely cut-off*: the 10th percentile, over the members
that cut it off that long, of the hour that isolation begins; its latest departure is that
hour less the travel time, on the hour. The full rule is :data:`ODDS_RULE`.

Example::

    ens = run_ensemble(router, track, 200, seed=1)
    plan = prepare_odds(router, ens, track, now=datetime.fromisoformat("2022-09-13T08:00+08:00"))
    plan.items[0].expected_people, plan.items[0].team
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from islandcover.clock import iso_beijing
from islandcover.errors import EnsembleError
from islandcover.situation import SHIPPED, Situation, Suspension
from islandcover.travel.routing import Router
from islandcover.typhoon.ensemble import Ensemble, forecast_track
from islandcover.typhoon.replay import (
    LEAD_HOURS,
    LEAD_SOURCE,
    PlanItem,
    TeamOption,
    TeamPool,
    departure_urgency,
    plan_moves,
    replay,
)
from islandcover.typhoon.tracks import Track
from islandcover.typhoon.wind_field import StormWeather

__all__ = ["GUARD_P", "ODDS_RANKING", "ODDS_RULE", "OddsItem", "OddsPlan", "prepare_odds"]

#: An island cut off in at least this share of the members keeps its last available team.
GUARD_P = 0.5

#: Percentile (over the members that cut an island off) of the hour its isolation begins, by which a
#: team must arrive.
DEADLINE_PERCENTILE = 10

#: How the plan ranks the islands, as its answer states it.
ODDS_RANKING = "p_cut_off × population (people expected to be cut off), most first"

ODDS_RULE = (
    "An island is in the plan when at least one member cuts it off continuously for longer than the threshold "
    "(p_cut_off > 0) and no team is based on it. Islands are ranked by p_cut_off × published population, the "
    "people expected to be cut off that long (ties: the higher p_cut_off, then id); islands without a published "
    "population follow, by p_cut_off (their people are unknown, not zero). Moves are planned at the forecast's "
    "first hour, which every member shares: travel times are those of its wind, with the sailings the lead-time "
    "rule has stopped by then on the track itself. A team can go when it reaches the island by the island's "
    f"earliest likely cut-off, the {DEADLINE_PERCENTILE}th percentile over the members that cut it off that long "
    "of the hour that isolation begins; its latest departure is that hour less its travel time, on the hour (the "
    "wind rises meanwhile: the later a team leaves, the likelier its route closes). Each island gets the fastest "
    "such team not already given to an island ranked higher; options list the three fastest regardless. No team "
    f"leaves an island cut off that long in at least {GUARD_P:.0%} of the members if it is the last available team "
    "there; teams start from where they are in the live state. Each move is 'leave now' when its latest "
    "departure is within an hour of now, 'too late' when it is past, else 'leave by' its latest departure.")


@dataclass(frozen=True, kw_only=True)
class OddsItem(PlanItem):
    """One island of the plan: its odds, the people expected to be cut off, who to send, by when.

    The island, team, options, note and urgency are those of every plan's items
    (:class:`islandcover.typhoon.replay.PlanItem`); ``cut_off_from`` is the ISO time (+08:00) of
    its earliest likely cut-off (the deadline of a move).

    Attributes
    ----------
    p_cut_off : float
        Share of members that cut it off continuously for longer than the threshold.
    expected_people : float or None
        ``p_cut_off × population`` (None: no published population).
    hours_mean, hours_p90 : float
        Mean and 90th percentile over the members of its longest continuous isolation, hours.
    """

    p_cut_off: float
    expected_people: float | None
    hours_mean: float
    hours_p90: float

    def cut_off_dict(self) -> dict[str, Any]:
        """``p_cut_off``, ``expected_people``, ``hours_mean``, ``hours_p90`` (rounded) and ``cut_off_from``."""
        return {"p_cut_off": round(self.p_cut_off, 4),
                "expected_people": None if self.expected_people is None else round(self.expected_people, 1),
                "hours_mean": round(self.hours_mean, 2), "hours_p90": round(self.hours_p90, 2),
                "cut_off_from": self.cut_off_from}


@dataclass(frozen=True)
class OddsPlan:
    """Answer of :func:`prepare_odds`: ``items`` in the order of :data:`ODDS_RANKING`."""

    storm: str
    members: int
    hours: float
    seed: int
    start: str
    end: str
    now: str
    items: list[OddsItem]
    skipped_own_team: list[str]
    kept: list[str]
    expected_people: float
    people_known: int
    islands_without_population: int
    ranking: str = ODDS_RANKING
    rule: str = ODDS_RULE
    lead_rule: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"storm": self.storm, "members": self.members, "hours": self.hours, "seed": self.seed,
                "start": self.start, "end": self.end, "now": self.now, "ranking": self.ranking,
                "items": [i.to_dict() for i in self.items], "skipped_own_team": self.skipped_own_team,
                "kept": self.kept, "expected_people": round(self.expected_people, 1),
                "people_known": self.people_known, "islands_without_population": self.islands_without_population,
                "suspended_at_start": self.lead_rule, "rule": self.rule}

    def moves(self) -> list[tuple[str, str]]:
        """(team id, island id) of every move the plan makes and that can still be made (not too late)."""
        return plan_moves(self.items)


def prepare_odds(router: Router, ens: Ensemble, track: Track, *, start: datetime | pd.Timestamp | None = None,
                 situation: Situation | None = None, now: datetime | None = None,
                 lead_hours: dict[str, float] | None = LEAD_HOURS) -> OddsPlan:
    """The pre-positioning plan of an ensemble: islands ranked by probability × people, with a team each.

    Parameters
    ----------
    router : Router
        The loaded network and teams.
    ens : Ensemble
        From :func:`~islandcover.typhoon.ensemble.run_ensemble` of ``track`` (and ``start``).
    track : Track
        The track the ensemble perturbed: its first hour gives the travel times.
    start : datetime, optional
        The ensemble's ``start`` (lead time 0), if it was given one.
    situation : Situation, optional
        The live situation: teams start from where they are, and only available ones are sent.
    now : datetime, optional
        The current time (aware), against which each move is flagged (default: the clock).
    lead_hours : dict, optional
        The lead-time rule the ensemble was run with (None: wind limits alone).

    Returns
    -------
    OddsPlan

    Raises
    ------
    EnsembleError
        ``now`` without a time zone, or a ``track``/``start`` that is not the ensemble's.
    """
    if now is not None and now.tzinfo is None:
        raise EnsembleError("now needs a time zone (e.g. +08:00 for Beijing time)")
    clock = pd.Timestamp(now if now is not None else datetime.now(UTC))
    base = forecast_track(track, start)
    if iso_beijing(base.start) != ens.start:
        msg = (f"the ensemble starts at {ens.start} but the track given at {iso_beijing(base.start)}: give the track "
               "and start the ensemble was run with")
        raise EnsembleError(msg)
    sit = situation if situation is not None else SHIPPED
    t0 = pd.Timestamp(base.points.time.iloc[0])

    # the forecast's first hour: its wind and the sailings the lead-time rule has stopped by then
    stopped: tuple[str, ...] = ()
    if lead_hours:
        n = min(len(base.points), int(math.floor(max(lead_hours.values()))) + 2)
        if n >= 2:
            head = Track(base.name, base.source, base.points.iloc[:n].reset_index(drop=True), base.wind_basis)
            stopped = replay(router, head, "1h", lead_hours=lead_hours).steps[0].suspended
    notices = tuple(Suspension(0, "route", fid, t0.to_pydatetime(), None, LEAD_SOURCE) for fid in stopped)
    weather = StormWeather(base.vortex(0), iso_beijing(t0), base.name).with_notices(notices)

    arch = router.arch
    own = set(arch.teams.station_id.map(arch.stations.island_id).dropna().astype(str))
    odds = [o for o in ens.islands if o.p_cut_off > 0]
    skipped = sorted(o.id for o in odds if o.id in own)
    wanted = sorted((o for o in odds if o.id not in own), key=lambda o: (
        0 if o.population is not None else 1,
        -(o.p_cut_off * o.population) if o.population is not None else -o.p_cut_off, -o.p_cut_off, o.id))

    team_ids = [str(t) for t in arch.teams.index]
    home = {t: router.team_island(t, sit) for t in team_ids}
    available = [t for t in team_ids if sit.status(t, str(arch.teams.at[t, "status"])) == "available"]
    pool = TeamPool(home, available, {o.id for o in ens.islands if o.p_cut_off >= GUARD_P})
    etas = router.travel_times(weather, situation=sit) if wanted else pd.DataFrame()
    col_of = {iid: k for k, iid in enumerate(ens.island_ids)}

    items = []
    for o in wanted:
        k = col_of[o.id]
        begins = ens.cut_from_h[ens.longest_h[:, k] > ens.hours, k]
        deadline_h = float(np.percentile(begins, DEADLINE_PERCENTILE, method="lower"))
        options = []
        column = etas.get(o.id)
        for t in available:
            eta = float(column.get(t, np.nan)) if column is not None else np.nan
            if home[t] == o.id or not np.isfinite(eta):
                continue
            latest_h = math.floor(deadline_h - eta / 60.0 + 1e-9)
            if latest_h < 0:
                continue  # cannot arrive by the earliest likely cut-off even leaving at once
            leave = t0 + pd.Timedelta(hours=latest_h)
            team = arch.teams.loc[t]
            options.append(TeamOption(t, str(team.station_id), str(team.boat_class), eta, iso_beijing(leave),
                                      iso_beijing(leave + pd.Timedelta(minutes=eta))))
        options.sort(key=lambda x: (x.eta_min, -pd.Timestamp(x.latest_departure).value, x.team_id))
        chosen = pool.take(options)
        note, urgency = "", ""
        if chosen is not None:
            urgency = departure_urgency(chosen.latest_departure, clock, 1.0)  # the ensemble steps by the hour
        elif options:
            note = ("every team that can get there in time is given to an island ranked higher, or is the last team "
                    "of an island likely cut off itself")
        else:
            note = "no team can get there by its earliest likely cut-off (no open route, or too far)"
        if o.population is None:
            note = (note + "; " if note else "") + "population unknown (no published figure)"
        items.append(OddsItem(
            id=o.id, name_zh=o.name_zh, name_en=o.name_en, population=o.population, p_cut_off=o.p_cut_off,
            expected_people=None if o.population is None else o.p_cut_off * o.population, hours_mean=o.hours_mean,
            hours_p90=o.hours_p90, cut_off_from=iso_beijing(t0 + pd.Timedelta(hours=deadline_h)), team=chosen,
            options=options[:3], note=note, urgency=urgency))
    kept = pool.kept(items)
    return OddsPlan(storm=ens.storm, members=ens.members, hours=ens.hours, seed=ens.seed, start=ens.start,
                    end=ens.end, now=iso_beijing(clock), items=items, skipped_own_team=skipped, kept=kept,
                    expected_people=float(sum(i.expected_people for i in items if i.expected_people is not None)),
                    people_known=int(sum(i.population for i in items if i.population is not None)),
                    islands_without_population=sum(i.population is None for i in items),
                    lead_rule=list(stopped))
