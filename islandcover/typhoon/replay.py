"""Typhoon replay hour by hour, and the pre-positioning plan (岛自为战 prepared).

:func:`replay` steps a storm track through time: at each step the wind field of the storm
(:mod:`islandcover.typhoon.wind_field`) closes links of the travel network, and the router says which
powered islands no team from elsewhere can reach. :func:`prepare` turns a replay of a
forecast track into the plan the utility makes before a typhoon: the islands that will be
cut off for long and have no team of their own, each with the team to send and the latest
time it can leave.

Reuse: the cut-off islands depend only on which links are open. A step whose open links
(per travel mode) are the same as an earlier step's reuses that step's answer, and a step
whose strongest possible wind over the network (an upper bound from the vortex at the
network's nearest corner) is below the lowest wind limit of any link reuses the calm answer
without evaluating the field on the links at all.
"""
from __future__ import annotations

import hashlib
import math
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from islandcover.clock import beijing_text, iso_beijing
from islandcover.errors import IslandcoverError
from islandcover.facts import MAX_WIND_FORCE
from islandcover.situation import SHIPPED, Situation, Suspension, TeamNow
from islandcover.travel.routing import Router
from islandcover.travel.weather import Weather
from islandcover.typhoon.tracks import Track, parse_step
from islandcover.typhoon.wind_field import StormWeather, beaufort

__all__ = ["IslandSummary", "PrepareItem", "PreparePlan", "Replay", "ReplayStep", "TeamOption", "prepare", "replay"]

Progress = Callable[[str], None] | None

#: The lead-time rule: hours before force 7 is forecast on a sailing's crossing at which its
#: class of boat stops, as the operators' notices show (derived from 20 notices of 2019–2026 in
#: ``data/islands/sources/leads/suspensions-2026-12.md``, not a published rule): high-speed boats
#: always stop first, about a day before a typhoon's closest approach (26 h and more than 2 days
#: in the two typhoon notices with a clock time); the whole network stops 11–42 h before
#: landfall, and conventional and ro-ro boats on sheltered routes run until force 8–9, so they
#: are given a short lead (6 h), before which only their wind limits close them.
LEAD_HOURS: dict[str, float] = {"high-speed": 24.0, "conventional": 6.0, "ro-ro": 6.0}
#: Where the lead-time rule's notices say they come from.
LEAD_SOURCE = "lead-time rule of islandcover (derived from operators' notices, leads/suspensions-2026-12.md)"


@dataclass(frozen=True)
class ReplayStep:
    """One step of a replay.

    Attributes
    ----------
    time : str
        ISO 8601 in Beijing time with its offset (``"2022-09-14T20:00:00+08:00"``, which is
        12:00 UTC).
    center : tuple of float
        Storm centre (lon, lat), degrees.
    vmax_ms : float
        Track maximum wind at this time, m/s.
    max_bft : int
        Strongest wind force (0–17, GB/T 28591-2012) on any link of the network (an upper bound,
        below the lowest wind limit, where the storm is too far away for any link to close).
    wind_bft : dict
        Island id → wind force (0–17) at the island's service point (powered islands).
    cut_off : tuple of str
        Powered islands no available team from another island can reach.
    newly_cut_off, reconnected : tuple of str
        Changes since the previous step.
    suspended : tuple of str
        Sailings stopped at this step by the lead-time rule (:data:`LEAD_HOURS`) before their
        own wind limit is reached.
    """

    time: str
    center: tuple[float, float]
    vmax_ms: float
    max_bft: int
    wind_bft: dict[str, int]
    cut_off: tuple[str, ...]
    newly_cut_off: tuple[str, ...]
    reconnected: tuple[str, ...]
    suspended: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "center": [round(self.center[0], 4), round(self.center[1], 4)],
                "vmax_ms": round(self.vmax_ms, 1), "max_bft": self.max_bft, "wind_bft": self.wind_bft,
                "cut_off": list(self.cut_off), "newly_cut_off": list(self.newly_cut_off),
                "reconnected": list(self.reconnected), "suspended": list(self.suspended)}


@dataclass(frozen=True)
class IslandSummary:
    """What a replay did to one powered island.

    Attributes
    ----------
    hours_cut_off : float
        Total hours cut off (steps × step length).
    longest_isolation_h : float
        Longest continuous isolation, hours.
    longest_from, longest_until : str or None
        ISO times (+08:00) of the first and the last step of that isolation.
    peak_bft : int
        Strongest wind force (0–17) at the island's service point.
    population : int or None
        Published population (None: no published figure).
    """

    id: str
    name_zh: str
    name_en: str
    has_own_team: bool
    population: int | None
    hours_cut_off: float
    longest_isolation_h: float
    longest_from: str | None
    longest_until: str | None
    peak_bft: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "has_own_team": self.has_own_team,
                "population": self.population, "hours_cut_off": self.hours_cut_off,
                "longest_isolation_h": self.longest_isolation_h, "longest_from": self.longest_from,
                "longest_until": self.longest_until, "peak_bft": self.peak_bft}


@dataclass(frozen=True)
class Replay:
    """Answer of :func:`replay`: the steps and a summary per powered island.

    ``islands`` is sorted by hours cut off (most first), then peak force, then id.
    """

    storm: str
    source: str
    wind_basis: str
    step_h: float
    steps: list[ReplayStep]
    islands: list[IslandSummary]
    seconds: float
    evaluations: int = 0
    _weathers: list[StormWeather] = field(default_factory=list, repr=False, compare=False)
    _signatures: list[str] = field(default_factory=list, repr=False, compare=False)
    # travel times per (closure signature, situation): several plans on one replay share them
    _etas: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"storm": self.storm, "source": self.source, "wind_basis": self.wind_basis, "step_h": self.step_h,
                "start": self.steps[0].time if self.steps else None, "end": self.steps[-1].time if self.steps else None,
                "model": "Holland (1980) vortex with motion asymmetry, CMA 2-min winds; see islandcover.typhoon.wind_field",
                "steps": [s.to_dict() for s in self.steps], "islands": [i.to_dict() for i in self.islands],
                "seconds": round(self.seconds, 2), "cutoff_evaluations": self.evaluations}


def _island_points(router: Router) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Powered islands with a node, and the lon/lat of the node the router sends teams to."""
    ids = [i for i in router.arch.powered.index if i in router.net.island_node]
    nodes = np.array([router.net.island_node[i] for i in ids], dtype=np.int64)
    return ids, np.asarray(router.net.node_lon)[nodes], np.asarray(router.net.node_lat)[nodes]


def _modes(router: Router) -> list[str]:
    return sorted({str(m) for m in router.arch.teams.boat_class})


def _mode_signatures(router: Router, weather: object, modes: list[str]) -> dict[str, str]:
    """A digest of the open links of each travel mode under ``weather``."""
    return {m: hashlib.sha1(np.packbits(router.open_edges(m, weather)).tobytes()).hexdigest()  # type: ignore[arg-type]
            for m in modes}


def _signature(router: Router, weather: object, modes: list[str]) -> str:
    return "|".join(_mode_signatures(router, weather, modes).values())


def _cutoff(router: Router, weather: object, mode_sigs: dict[str, str], labels: dict[tuple[str, str], np.ndarray],
            statuses: dict[str, str] | None) -> tuple[str, ...]:
    """Cut-off island ids; reuses a mode's connected components when its open links are unchanged."""
    def labels_of(mode: str) -> np.ndarray:
        key = (mode, mode_sigs[mode])
        if key not in labels:
            labels[key] = router.components(mode, weather)  # type: ignore[arg-type]
        return labels[key]
    return tuple(sorted(c.id for c in router.cutoff_given(labels_of, statuses=statuses)))


def _calm_limit(router: Router, modes: list[str]) -> int:
    """The lowest uniform force that closes any link (links all stay open below it)."""
    calm = _signature(router, Weather.uniform(0), modes)
    for w in range(1, MAX_WIND_FORCE + 1):
        if _signature(router, Weather.uniform(w), modes) != calm:
            return w
    return MAX_WIND_FORCE + 1


def _nearest_distance_km(lon: float, lat: float, box: tuple[float, float, float, float]) -> float:
    """Great-circle distance (km) from a point to the nearest point of a lon/lat box (0 inside)."""
    w, s, e, n = box
    qlon, qlat = min(max(lon, w), e), min(max(lat, s), n)
    p0, p1 = math.radians(lat), math.radians(qlat)
    a = math.sin((p1 - p0) / 2) ** 2 + math.cos(p0) * math.cos(p1) * math.sin(math.radians(qlon - lon) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a))) * 0.98  # 2% margin for the box's curvature


def _lead_rule(router: Router, weathers: list[StormWeather], times: list[pd.Timestamp], step_h: float,
               lead_hours: dict[str, float]) -> list[tuple[str, ...]]:
    """Per step, the sailings the lead-time rule stops: force 7 or more is forecast somewhere on the
    crossing within the class's lead hours (this step included)."""
    ferries = router.arch.ferries
    edges = [int(e) for e in np.flatnonzero(router.net.edge_mode == "ferry")]
    if not edges or not lead_hours:
        return [() for _ in weathers]
    routes = [str(router.net.edge_name[e]) for e in edges]
    paths = [router.net.ferry_path(e) for e in edges]
    lon = np.concatenate([(router.net.node_lon[p[:-1]] + router.net.node_lon[p[1:]]) / 2 for p in paths])
    lat = np.concatenate([(router.net.node_lat[p[:-1]] + router.net.node_lat[p[1:]]) / 2 for p in paths])
    starts = np.concatenate([[0], np.cumsum([len(p) - 1 for p in paths])[:-1]])
    strong = np.zeros((len(edges), len(weathers)), dtype=bool)
    for i, w in enumerate(weathers):
        strong[:, i] = np.maximum.reduceat(np.asarray(w.wind_at(lon, lat)) >= 7, starts)
    # a sailing stops at step i when force 7 comes within its lead: any strong step in i .. i + lead
    ahead = np.zeros_like(strong)
    for k, fid in enumerate(routes):
        lead = lead_hours.get(str(ferries.at[fid, "service"]) if fid in ferries.index else "")
        if lead is None:
            continue
        span = int(math.floor(lead / step_h + 1e-9)) + 1
        hits = np.concatenate([np.cumsum(strong[k, ::-1])[::-1], [0]])  # strong steps from i to the end
        ahead[k] = hits[:-1] - hits[np.minimum(np.arange(len(weathers)) + span, len(weathers))] > 0
    return [tuple(sorted(routes[k] for k in np.flatnonzero(ahead[:, i]))) for i in range(len(weathers))]


def replay(router: Router, track: Track, step: str | pd.Timedelta = "1h", *, progress: Progress = None,
           statuses: dict[str, str] | None = None, lead_hours: dict[str, float] | None = LEAD_HOURS) -> Replay:
    """Replay a storm track step by step: winds at the islands, cut-off islands, what changed.

    Parameters
    ----------
    router : Router
        The loaded network and teams.
    track : Track
        The storm (:func:`islandcover.typhoon.tracks.read_track`); interpolated to ``step``.
    step : str or Timedelta
        Time step (``"1h"`` default, 10 min – 24 h).
    progress : callable, optional
        Called with a short message per step (the library is silent otherwise).
    statuses : dict, optional
        Team id → live status (teams not ``available`` are left out), as in
        :meth:`Router.cutoff`.
    lead_hours : dict, optional
        The lead-time rule (:data:`LEAD_HOURS`): a sailing of a class stops that many hours
        before force 7 is forecast on its crossing, before its wind limit is reached; None
        turns the rule off (the wind limits alone).

    Returns
    -------
    Replay
    """
    t_start = _time.perf_counter()
    dt = parse_step(step)
    step_h = dt.total_seconds() / 3600.0
    tr = track.interpolate(dt)
    modes = _modes(router)
    ids, ilon, ilat = _island_points(router)
    net = router.net
    box = (float(np.min(net.edge_mid_lon)), float(np.min(net.edge_mid_lat)),
           float(np.max(net.edge_mid_lon)), float(np.max(net.edge_mid_lat)))
    limit = _calm_limit(router, modes)
    calm = Weather.uniform(0)
    calm_modes = _mode_signatures(router, calm, modes)
    answers: dict[str, tuple[str, ...]] = {}
    labels: dict[tuple[str, str], np.ndarray] = {}
    evaluations = 0
    steps: list[ReplayStep] = []
    weathers: list[StormWeather] = []
    sigs: list[str] = []
    prev: set[str] = set()
    n = len(tr)
    storms: list[StormWeather] = []
    for i in range(n):
        when = iso_beijing(tr.points.iloc[i].time)
        try:
            storms.append(StormWeather(tr.vortex(i), when, track.name))
        except IslandcoverError as exc:
            raise type(exc)(f"{track.source}, {when}: {exc}") from exc
    stopped = _lead_rule(router, storms, list(tr.points.time), step_h, lead_hours or {})
    for i in range(n):
        p = tr.points.iloc[i]
        when = storms[i].time
        notices = tuple(Suspension(0, "route", fid, pd.Timestamp(p.time).to_pydatetime(), None, LEAD_SOURCE)
                        for fid in stopped[i])
        weather = storms[i].with_notices(notices)
        vortex = weather.vortex
        bound = int(beaufort(vortex.bound_ms(_nearest_distance_km(vortex.lon, vortex.lat, box)))[()])
        if bound < limit:
            max_bft = bound
            w: object = calm.with_notices(notices)
            mode_sigs = calm_modes if not notices else _mode_signatures(router, w, modes)
        else:
            max_bft = int(np.max(router.edge_wind(weather)))  # type: ignore[arg-type]
            mode_sigs, w = _mode_signatures(router, weather, modes), weather
        sig = "|".join(mode_sigs.values())
        if sig not in answers:
            answers[sig] = _cutoff(router, w, mode_sigs, labels, statuses)
            evaluations += 1
        cut = answers[sig]
        now = set(cut)
        wind = vortex.bft(ilon, ilat)
        steps.append(ReplayStep(time=when, center=(float(vortex.lon), float(vortex.lat)), vmax_ms=float(p.vmax_ms),
                                max_bft=max_bft, wind_bft={k: int(v) for k, v in zip(ids, wind)}, cut_off=cut,
                                newly_cut_off=tuple(sorted(now - prev)), reconnected=tuple(sorted(prev - now)),
                                suspended=stopped[i]))
        weathers.append(weather)
        sigs.append(sig)
        prev = now
        if progress is not None:
            progress(f"{beijing_text(p.time)}: {len(cut)} cut off (step {i + 1}/{n})")
    islands = _summaries(router, ids, steps, step_h)
    return Replay(storm=track.name, source=track.source, wind_basis=track.wind_basis, step_h=step_h, steps=steps,
                  islands=islands, seconds=_time.perf_counter() - t_start, evaluations=evaluations,
                  _weathers=weathers, _signatures=sigs)


def _population(router: Router, iid: str) -> int | None:
    pop = router.arch.islands.at[iid, "population"] if "population" in router.arch.islands.columns else None
    if pop is None or (isinstance(pop, float) and math.isnan(pop)) or pd.isna(pop):
        return None
    return int(pop)


def _own_team(router: Router) -> set[str]:
    return set(router.arch.teams.station_id.map(router.arch.stations.island_id))


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    out, start = [], None
    for i, f in enumerate(flags):
        if f and start is None:
            start = i
        if not f and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(flags) - 1))
    return out


def _summaries(router: Router, ids: list[str], steps: list[ReplayStep], step_h: float) -> list[IslandSummary]:
    own = _own_team(router)
    out = []
    for iid in ids:
        flags = [iid in s.cut_off for s in steps]
        runs = _runs(flags)
        longest = max(runs, key=lambda r: (r[1] - r[0], -r[0])) if runs else None
        isl = router.arch.island(iid)
        out.append(IslandSummary(
            id=iid, name_zh=isl.name_zh or "", name_en=isl.name_en or "", has_own_team=iid in own,
            population=_population(router, iid), hours_cut_off=round(sum(flags) * step_h, 2),
            longest_isolation_h=round((longest[1] - longest[0] + 1) * step_h, 2) if longest else 0.0,
            longest_from=steps[longest[0]].time if longest else None,
            longest_until=steps[longest[1]].time if longest else None,
            peak_bft=max((s.wind_bft[iid] for s in steps), default=0)))
    out.sort(key=lambda s: (-s.hours_cut_off, -s.peak_bft, s.id))
    return out


# ---------------------------------------------------------------------- pre-positioning
@dataclass(frozen=True)
class TeamOption:
    """A team that can reach an island before it is cut off.

    Attributes
    ----------
    team_id, station_id, vessel : str
        The team, its base and its travel mode.
    eta_min : float
        Travel time when leaving at ``latest_departure``, minutes.
    latest_departure : str
        ISO time (+08:00) of the last step at which it can leave (rule in :func:`prepare`).
    arrival : str
        ISO time (+08:00) of arrival when leaving then.
    """

    team_id: str
    station_id: str
    vessel: str
    eta_min: float
    latest_departure: str
    arrival: str

    def to_dict(self) -> dict[str, Any]:
        return {"team_id": self.team_id, "station_id": self.station_id, "vessel": self.vessel,
                "eta_min": round(self.eta_min, 1), "latest_departure": self.latest_departure, "arrival": self.arrival}


@dataclass(frozen=True)
class PrepareItem:
    """One island of the plan: how long it will be cut off, who to send, by when."""

    id: str
    name_zh: str
    name_en: str
    population: int | None
    isolation_h: float
    cut_off_from: str
    cut_off_until: str
    team: TeamOption | None
    options: list[TeamOption]
    note: str = ""
    urgency: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "population": self.population,
                "population_known": self.population is not None, "isolation_h": self.isolation_h,
                "cut_off_from": self.cut_off_from, "cut_off_until": self.cut_off_until,
                "team": None if self.team is None else self.team.to_dict(),
                "options": [o.to_dict() for o in self.options], "note": self.note, "urgency": self.urgency}


@dataclass(frozen=True)
class PreparePlan:
    """Answer of :func:`prepare`.

    ``items`` are ranked by people affected (published populations, most first); islands
    without a published population follow, by hours cut off: their people are unknown, not
    zero. ``skipped_own_team`` lists long-isolated islands that have a team of their own.
    """

    storm: str
    hours: float
    step_h: float
    items: list[PrepareItem]
    skipped_own_team: list[str]
    people_known: int
    islands_without_population: int
    rule: str
    now: str = ""
    kept: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"storm": self.storm, "hours": self.hours, "step_h": self.step_h, "now": self.now,
                "items": [i.to_dict() for i in self.items], "skipped_own_team": self.skipped_own_team,
                "kept": self.kept, "people_known": self.people_known,
                "islands_without_population": self.islands_without_population, "rule": self.rule}

    def moves(self) -> list[tuple[str, str]]:
        """(team id, island id) of every move the plan makes and that can still be made (not too late)."""
        return [(i.team.team_id, i.id) for i in self.items if i.team is not None and i.urgency != "too late"]


_RULE = ("An island is in the plan when its longest continuous isolation in the replay exceeds the threshold and no "
         "team is based on it. A team can go when, at a step before that isolation starts, it has an open route to "
         "the island's service point, the route stays open at every step until it arrives, and it arrives no later "
         "than the first step of the isolation; its latest departure is the last such step. Each island gets the "
         "fastest such team (travel time at its latest departure; ties: later departure, then team id) not already "
         "given to an island ranked higher; options list the three fastest regardless. No team leaves an island that will "
         "itself be cut off longer than the threshold if it is the last team there (a station's last team stays); "
         "teams start from where they are in the live state. Each move is 'leave now' when its latest departure is "
         "within one step of now, 'too late' when it is past, else 'leave by' its latest departure.")


def prepare(router: Router, track: Track, hours: float = 12.0, *, step: str | pd.Timedelta = "1h",
            progress: Progress = None, statuses: dict[str, str] | None = None,
            replayed: Replay | None = None, situation: Situation | None = None,
            now: datetime | None = None, lead_hours: dict[str, float] | None = LEAD_HOURS) -> PreparePlan:
    """The pre-positioning plan for a forecast track.

    Parameters
    ----------
    router : Router
        The loaded network and teams.
    track : Track
        The forecast (or best) track; its first point is taken as "now".
    hours : float
        Plan for islands whose longest continuous isolation exceeds this many hours (default 12).
    step : str or Timedelta
        Replay step (default 1 h); departure times are on this grid.
    progress : callable, optional
        Called with short messages (the library is silent otherwise).
    statuses : dict, optional
        Team id → live status; only ``available`` teams are planned.
    replayed : Replay, optional
        A replay of the same track and step, to reuse.
    situation : Situation, optional
        The live situation: teams start from where they are, and only available ones are
        planned (supersedes ``statuses``).
    now : datetime, optional
        The current time (aware), against which each move is flagged ``leave now``, ``too late``
        or ``leave by``; default: the wall clock (give the storm's own time to replay a past one).
    lead_hours : dict, optional
        The lead-time rule of the replay (:data:`LEAD_HOURS`; None: wind limits alone).

    Notes
    -----
    The rule (also in :attr:`PreparePlan.rule`): an island is planned when its longest
    continuous isolation exceeds ``hours`` and no team is based on it. A team can go when, at
    a step before that isolation starts, it has an open route to the island, the route stays
    open at each step until it arrives, and it arrives no later than the first step of the
    isolation. Its latest departure is the last such step. Each island gets the fastest such
    team (travel time at its latest departure) not already given to a higher-ranked island;
    islands are ranked by published population, those without one after them.
    """
    if not (isinstance(hours, int | float) and 0 <= hours <= 24 * 30):
        raise IslandcoverError(f"hours must be between 0 and 720, got {hours!r}")
    if now is not None and now.tzinfo is None:
        raise IslandcoverError("now needs a time zone (e.g. +08:00 for Beijing time)")
    clock = pd.Timestamp(now if now is not None else datetime.now(UTC))
    sit = situation if situation is not None else (
        Situation(teams={t: TeamNow(t, s) for t, s in statuses.items()}) if statuses is not None else SHIPPED)
    statuses = sit.statuses() if sit.teams else statuses
    rp = replayed if replayed is not None else replay(router, track, step, progress=progress, statuses=statuses,
                                                      lead_hours=lead_hours)
    long = [s for s in rp.islands if s.longest_isolation_h > hours and s.longest_from is not None]
    skipped = sorted(s.id for s in long if s.has_own_team)
    wanted = [s for s in long if not s.has_own_team]
    times = [pd.Timestamp(s.time) for s in rp.steps]
    index_of = {s.time: i for i, s in enumerate(rp.steps)}
    # where each team is now, and which of them may leave: an island that will itself be cut off
    # longer than the threshold keeps its last available team
    team_home = pd.Series({str(t): router.team_island(str(t), sit) for t in router.arch.teams.index})
    available = {str(t) for t in router.arch.teams.index if sit.status(str(t), str(router.arch.teams.at[t, "status"]))
                 == "available"}
    guarded = {s_.id for s_ in long}
    left_on: dict[str, int] = {}
    for tid in available:
        home = team_home.get(tid)
        if home in guarded:
            left_on[home] = left_on.get(home, 0) + 1
    sit_key = repr(sorted((t.team_id, t.status, t.at_kind, t.at_ref) for t in sit.teams.values()))

    def etas(i: int) -> pd.DataFrame:
        sig = rp._signatures[i] if rp._signatures else str(i)
        if (sig, sit_key) not in rp._etas:
            if progress is not None:
                progress(f"travel times at {beijing_text(rp.steps[i].time)}")
            rp._etas[sig, sit_key] = router.travel_times(rp._weathers[i], situation=sit)  # type: ignore[arg-type]
        return rp._etas[sig, sit_key]

    def ranked(s: IslandSummary) -> tuple[int, float, float, str]:
        known = s.population is not None
        return (0 if known else 1, -(s.population or 0), -s.longest_isolation_h, s.id)

    wanted.sort(key=ranked)
    used: set[str] = set()
    items = []
    team_ids = [str(t) for t in router.arch.teams.index]
    step_min = rp.step_h * 60.0
    sigs = rp._signatures or [str(i) for i in range(len(rp.steps))]
    calm_from = 0  # steps before calm_from all share step 0's closures
    while calm_from < len(sigs) and sigs[calm_from] == sigs[0]:
        calm_from += 1
    calm_etas = router.travel_times(Weather.uniform(0), situation=sit) if wanted else pd.DataFrame()
    for s in wanted:
        c = index_of[s.longest_from]  # type: ignore[index]
        rows: dict[int, np.ndarray] = {}

        def row(j: int, iid: str = s.id, rows: dict[int, np.ndarray] = rows) -> np.ndarray:
            # minutes from each team to the island when leaving at step j (NaN: no open route)
            if j not in rows:
                col = etas(j).get(iid)
                rows[j] = np.array([np.nan if col is None else float(col.get(t, np.nan)) for t in team_ids])
            return rows[j]

        # a team with no route in calm weather has none in any wind (wind only closes links)
        calm_row = calm_etas.get(s.id)
        open_k = [k for k, tid in enumerate(team_ids) if team_home.get(tid) != s.id and calm_row is not None
                  and np.isfinite(float(calm_row.get(tid, np.nan)))]
        feasible: dict[str, TeamOption] = {}
        for dep in range(c - 1, -1, -1):
            r = row(dep)
            for k in list(open_k):
                e = r[k]
                if not np.isfinite(e) or dep * step_min + e > c * step_min + 1e-6:
                    continue
                last = min(c, dep + math.ceil(e / step_min - 1e-9))  # steps under way: dep .. last-1
                if all(np.isfinite(row(j)[k]) for j in range(dep, max(last, dep + 1))):
                    tid = team_ids[k]
                    team = router.arch.teams.loc[tid]
                    arrive = times[dep] + pd.Timedelta(minutes=float(e))
                    feasible[tid] = TeamOption(tid, str(team.station_id), str(team.boat_class), float(e),
                                               rp.steps[dep].time, iso_beijing(arrive))
                    open_k.remove(k)
            if not open_k or (dep < calm_from and not np.isfinite(r[open_k]).any()):
                break  # everyone placed, or the rest has no route even in the weather of all earlier steps
        order = sorted(feasible.values(), key=lambda o: (o.eta_min, -pd.Timestamp(o.latest_departure).value,
                                                          o.team_id))

        def may_go(o: TeamOption) -> bool:
            home = team_home.get(o.team_id)
            return o.team_id not in used and (home not in guarded or left_on.get(home, 0) > 1)

        chosen = next((o for o in order if may_go(o)), None)
        note = ""
        if chosen is not None:
            used.add(chosen.team_id)
            home = team_home.get(chosen.team_id)
            if home in guarded:
                left_on[home] -= 1
        elif order:
            note = ("every team that can get there is given to an island ranked higher, or is the last team of an "
                    "island that will itself be cut off")
        else:
            note = "no team can get there before it is cut off (already cut off at the first step, or no open route)"
        if s.population is None:
            note = (note + "; " if note else "") + "population unknown (no published figure)"
        urgency = ""
        if chosen is not None:
            leave = pd.Timestamp(chosen.latest_departure)
            if leave < clock:
                urgency = "too late"
            elif leave <= clock + pd.Timedelta(hours=rp.step_h):
                urgency = "leave now"
            else:
                urgency = "leave by"
            if chosen.latest_departure == rp.steps[0].time:
                note = (note + "; " if note else "") + "its latest departure is the forecast's first hour"
        items.append(PrepareItem(s.id, s.name_zh, s.name_en, s.population, s.longest_isolation_h,
                                 s.longest_from or "", s.longest_until or "", chosen, order[:3], note, urgency))
    people = sum(i.population for i in items if i.population is not None)
    kept = sorted(h for h, n in left_on.items() if n >= 1 and any(
        team_home.get(o.team_id) == h for i in items for o in i.options))
    return PreparePlan(storm=rp.storm, hours=float(hours), step_h=rp.step_h, items=items, skipped_own_team=skipped,
                       people_known=int(people), islands_without_population=sum(i.population is None for i in items),
                       rule=_RULE, now=iso_beijing(clock), kept=kept)
