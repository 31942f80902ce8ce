"""Typhoon replay hour by hour, and the pre-positioning plan (岛自为战 prepared).

:func:`replay` steps a storm track through time: at each step the wind field of the storm
(:mod:`islandcover.typhoon.wind_field`) closes links of the travel network, and the router says which
powered islands no team from elsewhere can reach. :func:`prepare` turns a replay of a
forecast track into the plan the utility makes before a typhoon: the islands that will be
cut off for long and have no team of their own, each with the team to send and the latest
time it can leave.

One implementation, two users: :func:`cut_off_hours` computes what a track does to the islands
(cut off or not, the wind at each, the lead-time rule's stopped sailings, step by step);
:func:`replay` adds what its display needs (the strongest wind on any link, the steps' scenarios),
and the typhoon ensemble (:mod:`islandcover.typhoon.ensemble`) runs it alone for each member.

How it stays cheap (the network has ~280,000 links; a member of an ensemble ~250 steps):

* a step whose strongest possible wind over the network (an upper bound from the vortex at the
  network's nearest corner) is below the lowest wind limit of any link takes the calm answer,
  for the sailings the lead-time rule has stopped;
* the wind field of all the steps is evaluated at once where it is needed everywhere (the
  islands' service points, the crossings the lead-time rule watches:
  :func:`islandcover.typhoon.wind_field.forces_bft`);
* the cut-off islands come from :class:`CutOffTracker`: *certificates* (an open path from an
  island to a team of another island; the closed links around a piece of the network that holds
  no such team) kept from earlier steps, members and replays, checked with bounds of the field
  over small cells of the sea (:meth:`~islandcover.typhoon.wind_field.Vortex.bft_range`) and the
  wind at the few links those leave in doubt; an island no certificate settles is searched
  breadth-first from its service point, reading the wind only at the links the search meets.
  The answer is exactly :meth:`Router.cutoff`'s under the step's winds and notices (the tests
  check it).
"""
from __future__ import annotations

import hashlib
import math
import threading
import time as _time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from islandcover.clock import beijing_text, iso_beijing
from islandcover.errors import IslandcoverError
from islandcover.facts import MAX_WIND_FORCE
from islandcover.situation import SHIPPED, Situation, Suspension, TeamNow
from islandcover.travel.routing import Router
from islandcover.travel.weather import Weather
from islandcover.typhoon.tracks import Track, parse_step
from islandcover.typhoon.wind_field import (
    StormWeather,
    Vortex,
    beaufort,
    bounds_ms,
    force_ranges,
    forces_bft,
    speeds_at,
)

__all__ = ["IslandSummary", "PlanItem", "PrepareItem", "PreparePlan", "Replay", "ReplayStep", "TeamOption",
           "TeamPool", "departure_urgency", "plan_moves", "prepare", "replay"]

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


def _calm_limit(router: Router, modes: list[str]) -> int:
    """The lowest uniform force that closes any link (links all stay open below it)."""
    calm = _signature(router, Weather.uniform(0), modes)
    for w in range(1, MAX_WIND_FORCE + 1):
        if _signature(router, Weather.uniform(w), modes) != calm:
            return w
    return MAX_WIND_FORCE + 1


def _nearest_distance_km(lon: np.ndarray, lat: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Great-circle distance (km) from each point to the nearest point of a lon/lat box (0 inside)."""
    w, s, e, n = box
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    qlon, qlat = np.clip(lon, w, e), np.clip(lat, s, n)
    p0, p1 = np.radians(lat), np.radians(qlat)
    a = np.sin((p1 - p0) / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(np.radians(qlon - lon) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.minimum(1.0, np.sqrt(a))) * 0.98  # 2% margin for the box's curvature


def _box(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    return float(np.min(lon)), float(np.min(lat)), float(np.max(lon)), float(np.max(lat))


def _bounds_bft(vortices: list[Vortex], box: tuple[float, float, float, float]) -> np.ndarray:
    """Per storm state, an upper bound of the wind force anywhere in ``box`` (int64)."""
    distance = _nearest_distance_km(np.array([v.lon for v in vortices], dtype=float),
                                    np.array([v.lat for v in vortices], dtype=float), box)
    return beaufort(bounds_ms(vortices, distance))


# ---------------------------------------------------------------------- cut-off islands from certificates
_CELL_DEG = 0.1  # the cells a certificate's links are chunked by (:meth:`_ModeCertificates.add`)
_KEEP = (8, 3)  # certificates kept per island and travel mode: paths, cuts


def _spans(lo: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The indices ``lo[i] … lo[i] + count[i] - 1`` of every ``i``, concatenated."""
    total = int(count.sum())
    return np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(total)


class _Step:
    """The links at one step: the wind read lazily, edge by edge, and the notices in force.

    An edge's force is the one :meth:`Router.edge_wind` gives it (the field at its midpoint; a
    sailing the strongest along its crossing), computed the first time it is asked for; a calm
    step (``vortex`` None) has force 0 everywhere.
    """

    __slots__ = ("closed", "links", "paths", "row", "vortex", "_force", "_cell_lo", "_cell_hi")

    def __init__(self, links: CutOffTracker, vortex: Vortex | None, closed: dict[str, np.ndarray] | None,
                 row: int | None = None) -> None:
        self.links, self.vortex, self.closed, self.row = links, vortex, closed, row
        self.paths: dict[str, Any] = {}  # per travel mode, the kept paths that hold (see _ModeCertificates)
        self._force: np.ndarray | None = None
        self._cell_lo: np.ndarray | None = None  # bounds of the force over each cell of midpoints (-1: not yet)
        self._cell_hi: np.ndarray | None = None

    def forces(self, edges: np.ndarray) -> np.ndarray:
        """Wind force (0–17) at each of ``edges``."""
        if self.vortex is None:
            return np.zeros(len(edges), dtype=np.int8)
        if self._force is None:
            self._force = np.full(self.links.n_edges, -1, dtype=np.int8)
        f = self._force[edges]
        miss = f < 0
        if miss.any():
            t = self.links
            todo = edges[miss]
            along = t.sailing_rank[todo] >= 0
            plain = todo[~along]
            if len(plain):
                self._force[plain] = self.vortex.bft(t.mid_lon[plain], t.mid_lat[plain])
            if along.any():  # a sailing: the strongest wind along its crossing
                sailings = np.unique(todo[along])
                sea, starts = t.crossings(sailings)
                self._force[sailings] = np.maximum.reduceat(self.forces(sea), starts)
            f = self._force[edges]
        return f

    def bounds(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The lowest and the highest force the field can give in each of ``cells`` (the tracker's
        cells of edge midpoints, :meth:`Vortex.bft_range`), worked out for all cells on first use."""
        if self._cell_lo is None:  # every cell at once: one evaluation costs less than many small ones
            b = self.links.cell_box
            self._cell_lo, self._cell_hi = self.vortex.bft_range(b[:, 0], b[:, 1], b[:, 2], b[:, 3])  # type: ignore[union-attr]
        return self._cell_lo[cells], self._cell_hi[cells]  # type: ignore[index]

    def open(self, mode: str, edges: np.ndarray) -> np.ndarray:
        """Whether each of ``edges`` is open to ``mode``: within its wind limit, no notice on it.

        The force is compared with the limit from the bounds of the edge's cell where they settle
        it, else read at the edge (:meth:`forces`)."""
        lim = self.links.limits[mode][edges]
        ok = lim >= 0
        if self.vortex is not None:
            windy = np.flatnonzero(ok & (lim < MAX_WIND_FORCE))  # a limit of 17 never closes
            if len(windy):
                e, limit = edges[windy], lim[windy]
                cells = self.links.cell_of[e]
                lo, hi = self.bounds(np.maximum(cells, 0))
                res = (hi <= limit) & (cells >= 0)
                unsure = np.flatnonzero(~res & ((lo <= limit) | (cells < 0)))
                if len(unsure):
                    res[unsure] = self.forces(e[unsure]) <= limit[unsure]
                ok[windy] = res
        if self.closed is not None:
            ok &= ~self.closed[mode][edges]
        return ok


class _Kept:
    """A travel mode's kept paths (or cuts), flat: per cert its edges (chunk after chunk), the
    islands it settles (certs × islands) and the base node a path ends at; per chunk its box
    (west, south, east, north), its lowest (paths) or highest (cuts) wind limit and whether its
    links are windy; all the chunks' edges end to end (``flat``)."""

    def __init__(self, certs: list[tuple[Any, ...]], n_islands: int, ids: list[int] | None = None,
                 stoppable: np.ndarray | None = None) -> None:
        self.n = len(certs)
        self.index = {cid: j for j, cid in enumerate(ids or [])}  # certificate number → row
        self.settles = np.zeros((self.n, n_islands), dtype=bool)
        for j, c in enumerate(certs):
            self.settles[j, list(c[2])] = True
        self.targets = np.array([c[3] for c in certs], dtype=np.int64)
        packed = [c[4] for c in certs]  # per cert: its chunks' edges end to end, edges per chunk, boxes, limits, windy
        self.edges = [p[0] for p in packed]
        self.chunk_count = np.array([len(p[1]) for p in packed], dtype=np.int64)
        self.chunk_start = np.cumsum(self.chunk_count) - self.chunk_count
        self.edge_count = np.concatenate([p[1] for p in packed]) if packed else np.zeros(0, dtype=np.int64)
        self.edge_start = np.cumsum(self.edge_count) - self.edge_count
        self.flat = np.concatenate(self.edges) if packed else np.zeros(0, dtype=np.int64)
        self.box = np.concatenate([p[2] for p in packed]) if packed else np.zeros((0, 4))
        self.limit = np.concatenate([p[3] for p in packed]) if packed else np.zeros(0, dtype=np.int64)
        self.windy = np.concatenate([p[4] for p in packed]) if packed else np.zeros(0, dtype=bool)
        # whether a stopped sailing may close a link of the chunk, whatever the wind
        self.stoppable = (np.logical_or.reduceat(stoppable[self.flat], self.edge_start) if stoppable is not None
                          and len(self.flat) else np.zeros(len(self.edge_count), dtype=bool))


class _ModeCertificates:
    """One travel mode's open links as seen from the islands: its graph and its kept certificates."""

    def __init__(self, tracker: CutOffTracker, mode: str, bases: tuple[np.ndarray, np.ndarray]) -> None:
        self.t, self.mode = tracker, mode
        lim = tracker.limits[mode]
        net = tracker.router.net
        usable = np.flatnonzero(lim >= 0)
        self.indptr, self.nbr, self.eid = self._adjacency(usable, net, tracker.n_nodes)
        # links no wind or stopped sailing ever closes (roads, landings): each piece of land they
        # join is entered as a whole by the search
        land = np.flatnonzero((lim >= MAX_WIND_FORCE) & ~tracker.stoppable[mode])
        lu, lv = np.asarray(net.edge_u)[land], np.asarray(net.edge_v)[land]
        n = tracker.n_nodes
        self.land = connected_components(coo_array((np.ones(len(land), dtype=np.int8), (lu, lv)), shape=(n, n)),
                                         directed=False)[1]
        size = np.bincount(self.land)
        self.on_land = size[self.land] > 1
        self._land_order = np.argsort(self.land, kind="stable")
        self._land_start = np.concatenate([[0], np.cumsum(size)])
        self.land_links: dict[int, list[tuple[int, int]]] = {}
        for e, a, b in zip(land.tolist(), lu.tolist(), lv.tolist()):
            self.land_links.setdefault(a, []).append((b, e))
            self.land_links.setdefault(b, []).append((a, e))
        nodes, homes = bases
        self.target = np.zeros(tracker.n_nodes, dtype=bool)
        self.target[nodes] = True
        self.homes: dict[int, set[object]] = {}
        for node, home in zip(nodes, homes):
            self.homes.setdefault(int(node), set()).add(home)
        # certificates: id -> (a path?, edges, islands it settles, the base node a path ends at, its chunks
        # packed: their edges end to end, edges per chunk, boxes, wind limits, windy; see add)
        self.certs: dict[int, tuple[bool, np.ndarray, set[int], int, tuple[np.ndarray, ...]]] = {}
        self.kept: list[list[list[int]]] = [[[], []] for _ in tracker.ids]  # island -> [paths, cuts] (cert ids)
        self.next_id = 0
        self.flat: dict[tuple[bool, int], _Kept] | None = None
        # per kind (paths: True, cuts: False), a track's batch: the certificates kept when the track
        # began, whether each holds at its steps (rows), the row of each step of the track (-1: none)
        # and the number of the first certificate kept after (CutOffTracker.track)
        self.batch: dict[bool, tuple[_Kept, np.ndarray, np.ndarray, int]] = {}

    def land_members(self, node: int) -> np.ndarray:
        """The nodes of the piece of land ``node`` is on (joined by links that never close)."""
        c = self.land[node]
        return self._land_order[self._land_start[c]:self._land_start[c + 1]]

    @staticmethod
    def _adjacency(edges: np.ndarray, net: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both directions of ``edges``, by node: (start of each node's entries, neighbour, edge)."""
        u, v = np.asarray(net.edge_u)[edges], np.asarray(net.edge_v)[edges]
        rows = np.concatenate([u, v]).astype(np.int64)
        order = np.argsort(rows, kind="stable")
        nbr = np.concatenate([v, u]).astype(np.int64)[order]
        eid = np.concatenate([edges, edges]).astype(np.int64)[order]
        return np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64), nbr, eid

    # -------------------------------------------------------------- certificates
    def add(self, is_path: bool, edges: np.ndarray, islands: list[int], target: int = -1) -> None:
        """Keep a path (``target``: the base node it ends at) or a cut settling ``islands``.

        Its links are kept in chunks, a chunk per small cell of the sea (:data:`_CELL_DEG`),
        with the box of the points the wind is read at and their lowest (a path) or highest
        (a cut) wind limit: bounds of the field over the box settle most chunks without reading
        the wind at their links (:meth:`_valid`). The links no wind closes form a chunk of their own.
        """
        t = self.t
        edges = np.asarray(edges, dtype=np.int64)
        lim = t.limits[self.mode][edges]
        windy = (lim >= 0) & (lim < MAX_WIND_FORCE)
        chunks: list[tuple[np.ndarray, tuple[float, float, float, float], int, bool]] = []
        if not windy.all():
            chunks.append((edges[~windy], (math.nan,) * 4, MAX_WIND_FORCE, False))
        w = edges[windy]
        cell = (np.floor(t.mid_lon[w] / _CELL_DEG) * 100_000 + np.floor(t.mid_lat[w] / _CELL_DEG)).astype(np.int64)
        for c in np.unique(cell):
            part = w[cell == c]
            points = t.points_of(part)
            lon, lat = t.mid_lon[points], t.mid_lat[points]
            limits = t.limits[self.mode][part]
            chunks.append((part, (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())),
                           int(limits.min() if is_path else limits.max()), True))
        packed = (np.concatenate([ch[0] for ch in chunks]) if chunks else np.zeros(0, dtype=np.int64),
                  np.array([len(ch[0]) for ch in chunks], dtype=np.int64),
                  np.array([ch[1] for ch in chunks], dtype=float).reshape(-1, 4),
                  np.array([ch[2] for ch in chunks], dtype=np.int64), np.array([ch[3] for ch in chunks], dtype=bool))
        cid = self.next_id
        self.next_id += 1
        self.certs[cid] = (is_path, edges, set(islands), target, packed)
        kind = 0 if is_path else 1
        for k in islands:
            kept = self.kept[k][kind]
            kept.append(cid)
            if len(kept) > _KEEP[kind]:
                old = kept.pop(0)
                self.certs[old][2].discard(k)
                if not self.certs[old][2]:
                    del self.certs[old]
        self.flat = None

    def arrays(self, paths: bool, since: int = 0) -> _Kept:
        """The kept paths (or cuts), flat (:class:`_Kept`); ``since``: only those kept from the
        certificate of that number on."""
        if self.flat is None:
            self.flat = {}
        if (paths, since) not in self.flat:
            ids = [cid for cid, c in self.certs.items() if c[0] == paths and cid >= since]
            self.flat[paths, since] = _Kept([self.certs[cid] for cid in ids], len(self.t.ids), ids,
                                            self.t.stoppable[self.mode])
        return self.flat[paths, since]

    def _valid(self, step: _Step, kept: _Kept, paths: bool, which: np.ndarray | None = None) -> np.ndarray:
        """Whether each of ``kept``, paths (``paths``) or cuts, holds at ``step`` (all open, all
        closed), or each of those at ``which``: chunk by chunk, from bounds of the field over the
        chunk's box where they settle it, else from the wind at each of its links."""
        which = np.arange(kept.n) if which is None else which
        if not len(which):
            return np.ones(0, dtype=bool)
        lo, count = kept.chunk_start[which], kept.chunk_count[which]
        chunks = _spans(lo, count)
        sure = np.zeros(len(chunks), dtype=bool)
        windy = kept.windy[chunks]
        if paths and step.closed is not None and len(chunks):  # a stopped sailing on a chunk: read it link by link
            shut = np.logical_or.reduceat(step.closed[self.mode][kept.flat], kept.edge_start)[chunks]
        else:
            shut = np.zeros(len(chunks), dtype=bool)
        if step.vortex is None:
            sure = windy if paths else sure  # calm: every windy link open
        elif windy.any():
            b = kept.box[chunks[windy]]
            low, high = step.vortex.bft_range(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
            sure[windy] = high <= kept.limit[chunks[windy]] if paths else low > kept.limit[chunks[windy]]
        if paths:
            sure |= ~windy & (step.closed is None)
            sure &= ~shut
        good = np.ones(len(chunks), dtype=bool)
        todo = np.flatnonzero(~sure)
        if len(todo):
            n_edges = kept.edge_count[chunks[todo]]
            links = kept.flat[_spans(kept.edge_start[chunks[todo]], n_edges)]
            hold = step.open(self.mode, links) == paths
            good[todo] = np.logical_and.reduceat(hold, np.cumsum(n_edges) - n_edges)
        valid = np.ones(len(which), dtype=bool)
        full = count > 0  # a path of no links (a team on the island's own node) always holds
        if full.any():
            valid[full] = np.logical_and.reduceat(good, (np.cumsum(count) - count)[full])
        return valid

    def reached(self, step: _Step) -> np.ndarray:
        """Islands a kept path shows reached at ``step`` (the paths that hold are kept on ``step``
        for :meth:`search`): those the track's batch (:meth:`CutOffTracker.track`)
        found at this step, and the paths kept since."""
        parts = []
        since = 0
        if True in self.batch and step.row is not None:
            kept, valid, rows, since = self.batch[True]
            if rows[step.row] >= 0:
                parts.append((kept, kept.settles & valid[rows[step.row]][:, None]))
            else:
                since = 0
        kept = self.arrays(True, since)
        if kept.n:
            parts.append((kept, kept.settles & self._valid(step, kept, True)[:, None]))
        step.paths[self.mode] = parts
        out = np.zeros(len(self.t.ids), dtype=bool)
        for _, holds in parts:
            out |= holds.any(axis=0)
        return out

    def _paths_at(self, step: _Step) -> dict[int, tuple[np.ndarray, int]]:
        """Island node → an open path from it and the base node it ends at, at ``step``."""
        paths = step.paths.get(self.mode, [])
        if isinstance(paths, list):
            out: dict[int, tuple[np.ndarray, int]] = {}
            for kept, holds in paths:
                which = holds.argmax(axis=0)
                for j in np.flatnonzero(holds.any(axis=0)):
                    out[int(self.t.island_node[j])] = (kept.edges[which[j]], int(kept.targets[which[j]]))
            step.paths[self.mode] = paths = out
        return paths

    def cut_off(self, step: _Step, asked: np.ndarray) -> np.ndarray:
        """Islands among ``asked`` a kept cut shows cut off (by this travel mode) at ``step``."""
        out = np.zeros(len(self.t.ids), dtype=bool)
        since = 0
        if False in self.batch and step.row is not None:  # the cuts read for all the track's steps at once
            kept, valid, rows, since = self.batch[False]
            if rows[step.row] >= 0:
                out = (kept.settles & valid[rows[step.row]][:, None]).any(axis=0) & asked
                asked = asked & ~out
            else:
                since = 0
        kept = self.arrays(False, since)  # and those kept since
        if not kept.n or not asked.any():
            return out
        # the newest cut of each island first (an island cut off for hours keeps its piece), then the others
        newest = sorted({kept.index[self.kept[k][1][-1]] for k in np.flatnonzero(asked)
                         if self.kept[k][1] and self.kept[k][1][-1] in kept.index})
        if newest:
            use = np.array(newest, dtype=np.int64)
            out |= kept.settles[use[self._valid(step, kept, False, use)]].any(axis=0) & asked
        rest = asked & ~out
        if rest.any():
            use = np.setdiff1d(np.flatnonzero(kept.settles[:, rest].any(axis=1)), newest)
            if len(use):
                out |= kept.settles[use[self._valid(step, kept, False, use)]].any(axis=0) & rest
        return out

    # -------------------------------------------------------------- search
    def _reaches(self, node: int, island: str) -> bool:
        """Whether a team of another island than ``island`` is based at ``node``."""
        return any(h != island for h in self.homes.get(node, ()))

    def _way_out(self, node: int, island: str, paths: dict[int, tuple[np.ndarray, int]]) -> tuple[np.ndarray, int] | None:
        """From ``node``, the links to a team of another island than ``island`` and that team's
        node: none if it is based there, else the open path of a reached island whose service
        point ``node`` is (None: neither)."""
        if self.target[node] and self._reaches(node, island):
            return np.zeros(0, dtype=np.int64), node
        via = paths.get(node)
        if via is not None and self._reaches(via[1], island):
            return via
        return None

    def _over_land(self, a: int, b: int) -> list[int]:
        """The links of a path from node ``a`` to node ``b`` of the same piece of land."""
        back = {a: (-1, -1)}
        todo = deque([a])
        while todo and b not in back:
            x = todo.popleft()
            for y, e in self.land_links.get(x, ()):
                if y not in back:
                    back[y] = (x, e)
                    todo.append(y)
        edges = []
        while b != a:
            b, e = back[b]
            edges.append(e)
        return edges

    def search(self, step: _Step, k: int, reached: np.ndarray, cut: np.ndarray) -> None:
        """Breadth-first from island ``k`` over the links open at ``step`` until a team of another
        island, or an island shown reached by such a team, is met; settle ``k`` and the islands
        met on the way (``reached``: by any travel mode, ``cut``: by this one; both updated) and
        keep the certificates found (a path, or the cut around the piece the search exhausted).
        """
        t = self.t
        src = int(t.island_node[k])
        n = t.n_nodes
        paths = self._paths_at(step)
        stops = self.target | t.is_island_node
        seen = np.zeros(n, dtype=bool)
        pred_node = np.full(n, -1, dtype=np.int64)
        pred_edge = np.full(n, -1, dtype=np.int64)  # -1: over land to pred_node
        frontier = self.land_members(src)
        seen[frontier] = True
        pred_node[frontier] = src
        shut_edges: list[np.ndarray] = []  # closed links met, with the node beyond each
        shut_nodes: list[np.ndarray] = []
        hit, out = -1, None
        while len(frontier):
            for node in frontier[stops[frontier]]:
                out = self._way_out(int(node), t.ids[k], paths)
                if out is not None:
                    hit = int(node)
                    break
            if out is not None:
                break
            lo = self.indptr[frontier]
            cnt = self.indptr[frontier + 1] - lo
            idx = _spans(lo, cnt)
            frm = np.repeat(frontier, cnt)
            nb = self.nbr[idx]
            new = ~seen[nb]
            nb, ed, frm = nb[new], self.eid[idx[new]], frm[new]
            # the wind is read first at one link into each new node (in open water it is open),
            # then at all the other links into the nodes that one left unreached
            reach: list[np.ndarray] = []
            for rnd in range(2):
                if not len(nb):
                    break
                if rnd == 0:
                    nodes, one = np.unique(nb, return_index=True)
                    e, f = ed[one], frm[one]
                else:
                    nodes, e, f = nb, ed, frm
                ok = step.open(self.mode, e)
                shut_edges.append(e[~ok])
                shut_nodes.append(nodes[~ok])
                opened, at = np.unique(nodes[ok], return_index=True)
                seen[opened] = True
                pred_node[opened] = f[ok][at]
                pred_edge[opened] = e[ok][at]
                reach.append(opened)
                if rnd == 0:  # what is left: the other links into nodes still unreached
                    rest = ~seen[nb]
                    rest[one] = False
                    nb, ed, frm = nb[rest], ed[rest], frm[rest]
            for x in [int(x) for r in reach for x in r[self.on_land[r]]]:  # the rest of each piece of land
                members = self.land_members(x)
                members = members[~seen[members]]
                seen[members] = True
                pred_node[members] = x
                reach.append(members)
            frontier = np.concatenate(reach) if reach else np.zeros(0, dtype=np.int64)

        def path(node: int) -> list[int]:
            edges: list[int] = []
            while node != src:
                before = int(pred_node[node])
                if pred_edge[node] >= 0:
                    edges.append(int(pred_edge[node]))
                else:
                    edges += self._over_land(before, node)
                node = before
            return edges

        met = [j for j in range(len(t.ids)) if seen[t.island_node[j]] and not (reached[j] or cut[j])]
        if out is not None:
            beyond, base = out
            to_base = np.concatenate([np.array(path(hit), dtype=np.int64), beyond])
            for j in met:
                if self._reaches(base, t.ids[j]):
                    reached[j] = True
                    node = int(t.island_node[j])
                    edges = np.concatenate([np.array(path(node), dtype=np.int64), to_base])
                    self.add(True, edges, [j], base)
                    paths[node] = (edges, base)
            return
        # exhausted: the piece holds no team of another island than k; its border is all closed
        inside = np.flatnonzero(seen)
        bases = inside[self.target[inside]]
        homes = set().union(*(self.homes[int(b)] for b in bases))
        # every link from the piece out was met, and found closed, on the way
        out_edges = np.concatenate(shut_edges) if shut_edges else np.zeros(0, dtype=np.int64)
        out_nodes = np.concatenate(shut_nodes) if shut_nodes else np.zeros(0, dtype=np.int64)
        border = np.unique(out_edges[~seen[out_nodes]])
        shut = []
        for j in met:
            if homes - {t.ids[j]}:  # a team of k's own island is in the piece: j is reached through it
                reached[j] = True
                base = next(int(x) for x in bases if self._reaches(int(x), t.ids[j]))
                node = int(t.island_node[j])
                edges = np.array(path(node) + path(base), dtype=np.int64)
                self.add(True, edges, [j], base)
                paths[node] = (edges, base)
            else:
                cut[j] = True
                shut.append(j)
        if shut:
            self.add(False, border, shut)


class CutOffTracker:
    """Which powered islands are cut off at a step, read from a few links instead of the whole network.

    The answer is :meth:`Router.cutoff`'s (an island is reached when, for some travel mode, an
    available team based on another island lies in the same connected piece of that mode's
    open links), found from *certificates* kept between steps instead of the connected
    components of 280,000 links:

    * a **path**: the links of an open route from the island to a team of another island; while
      they all stay open, the island is reached;
    * a **cut**: the links leaving a piece of the network that holds the island and no team of
      another island; while they all stay closed, the island is cut off (its piece can only
      have shrunk).

    A track (:meth:`track`) first checks the kept paths at all its steps at once (the wind read
    at their links for all steps in one evaluation), then, at the steps where some island is left
    unreached, the kept cuts of those islands (chunk by chunk: bounds of the field over a chunk's
    cell settle most, the wind is read at the links of the rest). An island no certificate
    settles is searched breadth-first from its service point over the open links (a link's
    state from its cell's bounds where they settle it, else from the wind at its midpoint), which
    settles it and leaves a new certificate. Certificates are kept across steps and across
    replays on one router (:meth:`for_router`), so a typhoon ensemble's members mostly check old
    ones. A tracker serves one track at a time (a lock).

    Parameters
    ----------
    router : Router
        The network, its wind limits and the notices' cover.
    statuses : dict, optional
        Team id → live status, as in :meth:`Router.cutoff`.
    """

    _shelf: weakref.WeakKeyDictionary[Router, dict[str, CutOffTracker]] = weakref.WeakKeyDictionary()
    _shelf_lock = threading.Lock()

    def __init__(self, router: Router, statuses: dict[str, str] | None = None) -> None:
        net = router.net
        self.router = router
        self.n_edges, self.n_nodes = int(net.n_edges), int(net.n_nodes)
        self.ids, self.island_lon, self.island_lat = _island_points(router)
        self.island_node = np.array([net.island_node[i] for i in self.ids], dtype=np.int64)
        self.is_island_node = np.zeros(self.n_nodes, dtype=bool)
        self.is_island_node[self.island_node] = True
        self.mid_lon = np.asarray(net.edge_mid_lon, dtype=float)
        self.mid_lat = np.asarray(net.edge_mid_lat, dtype=float)
        self.box = _box(self.mid_lon, self.mid_lat)
        self.modes = _modes(router)
        self.calm_limit = _calm_limit(router, self.modes)
        bases = router.reach_bases(statuses)
        self.limits = {m: np.asarray(router.limits(m)) for m in sorted(set(self.modes) | set(bases))}
        self._sailings(net)
        self.lead_crossings = _Crossings.of(router)
        # cells of edge midpoints (sailings, read along their crossing, in none): per step, bounds of
        # the field over a cell settle most of its edges against their limits (_Step.open)
        plain = np.flatnonzero(self.sailing_rank < 0)
        key = (np.floor(self.mid_lon[plain] / _CELL_DEG) * 100_000 + np.floor(self.mid_lat[plain] / _CELL_DEG))
        cells, cell = np.unique(key.astype(np.int64), return_inverse=True)
        self.cell_of = np.full(self.n_edges, -1, dtype=np.int64)
        self.cell_of[plain] = cell
        box = np.empty((len(cells), 4))
        for col, (values, how) in enumerate([(self.mid_lon, np.minimum), (self.mid_lat, np.minimum),
                                             (self.mid_lon, np.maximum), (self.mid_lat, np.maximum)]):
            box[:, col] = np.inf if how is np.minimum else -np.inf
            how.at(box[:, col], cell, values[plain])
        self.cell_box = box
        # per travel mode, the edges some stopped sailing (a route notice) may close
        routes = sorted({str(r) for r in router.arch.ferries.index} | {str(r) for r in self.lead_crossings.routes})
        self.stoppable = {m: np.zeros(self.n_edges, dtype=bool) for m in self.limits}
        for m in self.limits:
            for fid in routes:
                self.stoppable[m] |= router.cover.covers(self._notice(fid), m)
        self.per_mode = {m: _ModeCertificates(self, m, bases[m]) for m in sorted(bases)}
        self._closures: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
        self._scratch = {m: np.zeros(self.n_edges, dtype=bool) for m in self.limits}
        self._scratch_set = {m: np.zeros(0, dtype=np.int64) for m in self.limits}
        self._calm: dict[tuple[str, ...], np.ndarray] = {}
        self._watched: tuple[tuple[int, ...] | None, np.ndarray] = (None, np.zeros(0, dtype=np.int64))
        self._lock = threading.RLock()  # a tracker's certificates and masks serve one track at a time

    def certificates(self) -> dict[str, Any]:
        """The kept certificates of every travel mode, to give another tracker of the same network,
        teams and statuses a head start (:meth:`adopt`; a typhoon ensemble's workers)."""
        with self._lock:
            return {m: (dict(c.certs), [[list(p), list(q)] for p, q in c.kept], c.next_id)
                    for m, c in self.per_mode.items()}

    def adopt(self, certificates: dict[str, Any]) -> None:
        """Keep ``certificates`` (:meth:`certificates` of a tracker of the same network, teams and
        statuses) in place of this tracker's own. They are checked at every step they are used at,
        as the tracker's own are: they only save searches."""
        with self._lock:
            for m, (certs, kept, next_id) in certificates.items():
                mine = self.per_mode.get(m)
                if mine is None or len(kept) != len(mine.kept):
                    continue
                mine.certs = {cid: (c[0], c[1], set(c[2]), c[3], c[4]) for cid, c in certs.items()}
                mine.kept = [[list(p), list(q)] for p, q in kept]
                mine.next_id = max(mine.next_id, int(next_id))
                mine.flat = None
            self._watched = (None, np.zeros(0, dtype=np.int64))

    @classmethod
    def for_router(cls, router: Router, statuses: dict[str, str] | None = None) -> CutOffTracker:
        """The tracker of ``router`` and ``statuses``, built on first use and kept while the router lives."""
        digest = hashlib.blake2b(repr(sorted(statuses.items())).encode() if statuses else b"", digest_size=16)
        for mode, (nodes, homes) in sorted(router.reach_bases(statuses).items()):  # the teams may have changed
            digest.update(f"{mode}:{nodes.tolist()}:{homes.tolist()}".encode())
        key = digest.hexdigest()
        with cls._shelf_lock:
            trackers = cls._shelf.setdefault(router, {})
            if key not in trackers:
                if len(trackers) >= 8:
                    trackers.clear()
                trackers[key] = cls(router, statuses)
            return trackers[key]

    def _sailings(self, net: Any) -> None:
        """Each sailing's sea edges along its crossing, found by their node pair (as the router reads a
        sailing's wind: :meth:`Router.edge_wind`)."""
        mode = np.asarray(net.edge_mode).astype(str)
        ferry = np.flatnonzero(mode == "ferry")
        seaish = np.flatnonzero((mode == "sea") | (mode == "embark"))
        n = np.int64(net.n_nodes)
        lo = np.minimum(net.edge_u[seaish], net.edge_v[seaish])
        hi = np.maximum(net.edge_u[seaish], net.edge_v[seaish])
        keys = lo.astype(np.int64) * n + hi
        order = np.argsort(keys)
        keys, seaish = keys[order], seaish[order]
        self.sailing_rank = np.full(self.n_edges, -1, dtype=np.int64)
        along: list[np.ndarray] = []
        for e in ferry:
            path = net.ferry_path(int(e)).astype(np.int64)
            want = np.minimum(path[:-1], path[1:]) * n + np.maximum(path[:-1], path[1:])
            at = np.clip(np.searchsorted(keys, want), 0, max(len(keys) - 1, 0))
            sea = np.where(keys[at] == want, seaish[at], -1)
            sea = sea[sea >= 0]
            if len(sea):
                self.sailing_rank[e] = len(along)
                along.append(sea.astype(np.int64))
        self.sailing_edges = np.concatenate(along) if along else np.zeros(0, dtype=np.int64)
        self.sailing_ptr = np.concatenate([[0], np.cumsum([len(a) for a in along])]).astype(np.int64)

    def crossings(self, sailings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sea edges along each of ``sailings`` (edges with a crossing), end to end, and where
        each sailing's start."""
        rank = self.sailing_rank[sailings]
        lo, count = self.sailing_ptr[rank], self.sailing_ptr[rank + 1] - self.sailing_ptr[rank]
        return self.sailing_edges[_spans(lo, count)], np.cumsum(count) - count

    def points_of(self, edges: np.ndarray) -> np.ndarray:
        """The edges whose midpoints give the wind on ``edges`` (a sailing: those along its crossing)."""
        along = self.sailing_rank[edges] >= 0
        if not along.any():
            return edges
        return np.concatenate([edges[~along], self.crossings(edges[along])[0]])

    def watched(self) -> np.ndarray:
        """The edges of the kept paths whose force the wind decides (evaluated for all of a
        track's steps at once); worked out again only when certificates were kept since."""
        key = tuple(c.next_id for c in self.per_mode.values())
        if self._watched[0] != key:
            parts = [c.arrays(True).flat for c in self.per_mode.values()]
            edges = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
            windy = np.zeros(len(edges), dtype=bool)
            for lim in self.limits.values():
                windy |= (lim[edges] >= 0) & (lim[edges] < MAX_WIND_FORCE)
            self._watched = (key, edges[windy])
        return self._watched[1]

    @staticmethod
    def _notice(route: str) -> Suspension:
        """The lead-time rule's notice stopping ``route`` (what it closes does not depend on its times)."""
        return Suspension(0, "route", route, datetime(2000, 1, 1, tzinfo=UTC), None, LEAD_SOURCE)

    def deciding_forces(self, vortices: list[Vortex], edges: np.ndarray) -> np.ndarray:
        """Per storm state (rows) and edge (columns, int8), a force that decides every travel mode's
        wind limit at the edge as its true force does: the true force (:meth:`pair_forces`), or,
        where bounds of the field over the edge's cell settle every mode at once, the bound that
        settles them (the highest force the cell can see, when it is within the edge's lowest
        limit; the lowest, when it exceeds its highest). Only the links' open or closed state may
        be read from it, never the wind itself.
        """
        n, out = len(vortices), np.zeros((len(vortices), len(edges)), dtype=np.int8)
        if not n or not len(edges):
            return out
        cell = self.cell_of[edges]  # -1: a sailing (read along its crossing): always evaluated
        lim = np.stack([self.limits[m][edges] for m in self.limits])
        windy = (lim >= 0) & (lim < MAX_WIND_FORCE)
        lowest = np.where(windy, lim, MAX_WIND_FORCE).min(axis=0)
        highest = np.where(windy, lim, -1).max(axis=0)
        cells, at = np.unique(np.maximum(cell, 0), return_inverse=True)
        b = self.cell_box[cells]
        rows = np.repeat(np.arange(n), len(cells))
        lo, hi = force_ranges(vortices, rows, np.tile(b[:, 0], n), np.tile(b[:, 1], n), np.tile(b[:, 2], n),
                              np.tile(b[:, 3], n))
        lo, hi = lo.reshape(n, len(cells))[:, at], hi.reshape(n, len(cells))[:, at]
        has_cell = (cell >= 0)[None, :]
        below = has_cell & (hi <= lowest[None, :])
        above = has_cell & (lo > highest[None, :]) & ~below
        out[below] = hi[below]
        out[above] = lo[above]
        row, col = np.nonzero(~(below | above))
        if len(row):
            out[row, col] = self.pair_forces(vortices, row, edges[col])
        return out

    def _paths_hold(self, watched: np.ndarray, known: np.ndarray, stopped: list[tuple[str, ...]],
                    since: dict[str, int] | None = None) -> dict[str, tuple[_Kept, np.ndarray]]:
        """Per travel mode, its kept paths and whether each holds at each step (rows of ``known``:
        the forces at ``watched``, :meth:`watched`; ``stopped``: the sailings stopped then;
        ``since``: per mode, only the paths kept from that certificate number on)."""
        out = {}
        for m, certs in self.per_mode.items():
            kept = certs.arrays(True, (since or {}).get(m, 0))
            if not kept.n:
                continue
            flat = kept.flat
            lim = self.limits[m][flat]
            windy = (lim >= 0) & (lim < MAX_WIND_FORCE)
            ok = np.broadcast_to(lim >= 0, (len(known), len(flat))).copy()
            where = np.flatnonzero(windy)
            ok[:, where] = known[:, np.searchsorted(watched, flat[where])] <= lim[where]
            self._stop(ok, flat, m, stopped)
            lengths = np.array([len(e) for e in kept.edges], dtype=np.int64)
            valid = np.ones((len(known), kept.n), dtype=bool)
            full = np.flatnonzero(lengths > 0)
            if len(full):
                valid[:, full] = np.logical_and.reduceat(ok, (np.cumsum(lengths) - lengths)[full], axis=1)
            out[m] = (kept, valid)
        return out

    def _cuts_hold(self, vortices: list[Vortex], stopped: list[tuple[str, ...]], asked: np.ndarray,
                   since: dict[str, int] | None = None) -> dict[str, tuple[_Kept, np.ndarray]]:
        """Per travel mode, its kept cuts and whether each holds under each of ``vortices`` (rows;
        ``stopped``: the sailings stopped then), for all at once; only the cuts of islands
        ``asked`` at a row (rows × islands) are read (the others are given as not holding);
        ``since``: per mode, only the cuts kept from that certificate number on.

        Chunk by chunk: bounds of the field over its box show it all closed, or one of its links
        open (the cut is broken then); the wind is read at the links of the other chunks of the
        cuts still in question."""
        out = {}
        n = len(vortices)
        for m, certs in self.per_mode.items():
            kept = certs.arrays(False, (since or {}).get(m, 0))
            if not kept.n:
                continue
            wanted = (asked.astype(np.int32) @ kept.settles.T.astype(np.int32)) > 0  # rows × certs
            owner = np.repeat(np.arange(kept.n), kept.chunk_count)
            row, chunk = np.nonzero(wanted[:, owner])
            closed = np.zeros(len(row), dtype=bool)
            broken = np.zeros(len(row), dtype=bool)
            windy = np.flatnonzero(kept.windy[chunk])
            if len(windy):
                b = kept.box[chunk[windy]]
                low, high = force_ranges(vortices, row[windy], b[:, 0], b[:, 1], b[:, 2], b[:, 3])
                closed[windy] = low > kept.limit[chunk[windy]]
                # the link of the highest limit is open (unless a stopped sailing may have closed it)
                broken[windy] = (high <= kept.limit[chunk[windy]]) & ~kept.stoppable[chunk[windy]]
            cert_broken = np.zeros((n, kept.n), dtype=bool)
            cert_broken[row[broken], owner[chunk[broken]]] = True
            todo = np.flatnonzero(~closed & ~cert_broken[row, owner[chunk]])
            if len(todo):
                count = kept.edge_count[chunk[todo]]
                edges = kept.flat[_spans(kept.edge_start[chunk[todo]], count)]
                rows = np.repeat(row[todo], count)
                lim = self.limits[m][edges]
                ok = lim >= 0
                wind = np.flatnonzero(ok & (lim < MAX_WIND_FORCE))
                ok[wind] = self.pair_forces(vortices, rows[wind], edges[wind]) <= lim[wind]
                self._stop(ok[None, :], edges, m, stopped, rows)
                closed[todo] = np.logical_and.reduceat(~ok, np.cumsum(count) - count)
            # a cut holds at a row when asked there, not broken, and every chunk closed
            valid = wanted & ~cert_broken
            valid[row[~closed], owner[chunk[~closed]]] = False
            valid[:, kept.chunk_count == 0] = wanted[:, kept.chunk_count == 0]
            out[m] = (kept, valid)
        return out

    def _stop(self, ok: np.ndarray, edges: np.ndarray, mode: str, stopped: list[tuple[str, ...]],
              rows: np.ndarray | None = None) -> None:
        """Close in ``ok`` (steps × ``edges``; or one row, each edge at step ``rows[i]``) the
        edges the stopped sailings of each step close."""
        kinds = sorted(set(stopped) - {()})
        if not kinds:
            return
        kind = {x: j for j, x in enumerate(kinds)}
        of_step = np.array([kind.get(x, -1) for x in stopped], dtype=np.int64)
        for j, shut in enumerate(kinds):
            hit = np.isin(edges, self._closure_ids(shut)[mode])
            if not hit.any():
                continue
            if rows is None:
                ok[np.ix_(np.flatnonzero(of_step == j), np.flatnonzero(hit))] = False
            else:
                ok[0, hit & (of_step[rows] == j)] = False

    def pair_forces(self, vortices: list[Vortex], rows: np.ndarray, edges: np.ndarray) -> np.ndarray:
        """The force at each of ``edges`` under ``vortices[rows[i]]`` (int8; a sailing the strongest
        along its crossing, as :class:`_Step` reads it)."""
        along = self.sailing_rank[edges] >= 0
        out = np.empty(len(edges), dtype=np.int8)
        plain = edges[~along]
        out[~along] = beaufort(speeds_at(vortices, rows[~along], self.mid_lon[plain], self.mid_lat[plain]))
        if along.any():
            sea, starts = self.crossings(edges[along])
            count = np.diff(np.append(starts, len(sea)))
            f = beaufort(speeds_at(vortices, np.repeat(rows[along], count), self.mid_lon[sea], self.mid_lat[sea]))
            out[along] = np.maximum.reduceat(f, starts)
        return out

    def _closure_ids(self, stopped: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Per travel mode, the edges the stopped sailings close."""
        if stopped not in self._closures:
            if len(self._closures) > 4096:
                self._closures.clear()
            for fid in stopped:
                if (fid,) not in self._closures:
                    self._closures[fid,] = {m: np.flatnonzero(self.router.cover.covers(self._notice(fid), m))
                                            for m in self.limits}
            self._closures[stopped] = {m: np.unique(np.concatenate([self._closures[fid,][m] for fid in stopped]))
                                       for m in self.limits}
        return self._closures[stopped]

    def closures(self, stopped: tuple[str, ...]) -> dict[str, np.ndarray] | None:
        """Per travel mode, a mask of the edges the lead-time rule's stopped sailings close (None:
        none stopped); valid until the next call (the masks are reused)."""
        if not stopped:
            return None
        ids = self._closure_ids(stopped)
        for m, mask in self._scratch.items():
            mask[self._scratch_set[m]] = False
            mask[ids[m]] = True
            self._scratch_set[m] = ids[m]
        return self._scratch

    def step(self, vortex: Vortex | None, stopped: tuple[str, ...] = (), row: int | None = None) -> _Step:
        """The links at a step: ``vortex`` None for calm (no link near enough to close); ``row``: the
        step's number in the track of :meth:`track`."""
        return _Step(self, vortex, self.closures(stopped), row)

    def track(self, vortices: list[Vortex], stopped: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
        """Whether each island is cut off at each step of a track (steps × islands), and per step an
        upper bound of the wind force on any link (below :attr:`calm_limit`: too far to close one).

        Parameters
        ----------
        vortices : list of Vortex
            The wind field at each step.
        stopped : list of tuple of str
            The sailings the lead-time rule stops at each step.
        """
        with self._lock:
            n = len(vortices)
            cut = np.zeros((n, len(self.ids)), dtype=bool)
            bound = _bounds_bft(vortices, self.box)
            near = bound >= self.calm_limit  # elsewhere no link can close: the calm answer
            near_row = np.where(near, np.cumsum(near) - 1, -1)
            # the wind at the kept paths' links at every near step at once, and the steps at which
            # they show every island reached: those need nothing more
            watched = self.watched()
            known = self.deciding_forces([v for v, x in zip(vortices, near) if x], watched) if near.any() else None
            reached = np.zeros((n, len(self.ids)), dtype=bool)
            if known is not None:
                for m, (kept, valid) in self._paths_hold(watched, known, [x for x, y in zip(stopped, near) if y]).items():
                    self.per_mode[m].batch[True] = (kept, valid, near_row, self.per_mode[m].next_id)
                    reached[near] |= (valid.astype(np.int32) @ kept.settles.astype(np.int32)) > 0
            # at the other near steps, the kept cuts, for those steps at once
            open_steps = np.flatnonzero(near & ~reached.all(axis=1))
            # per mode, the islands a kept cut shows cut off at each step (an island is cut off when
            # one holds in every mode): where paths and cuts settle every island, that is the answer
            cut_by = {m: np.zeros((n, len(self.ids)), dtype=bool) for m in self.per_mode}
            if len(open_steps):
                cut_row = np.full(n, -1, dtype=np.int64)
                cut_row[open_steps] = np.arange(len(open_steps))
                held = self._cuts_hold([vortices[i] for i in open_steps], [stopped[i] for i in open_steps],
                                       ~reached[open_steps])
                for m, (kept, valid) in held.items():
                    self.per_mode[m].batch[False] = (kept, valid, cut_row, self.per_mode[m].next_id)
                    cut_by[m][open_steps] = (valid.astype(np.int32) @ kept.settles.astype(np.int32)) > 0
            try:
                for i, v in enumerate(vortices):
                    if not near[i]:
                        cut[i] = self.cut_off(None, stopped[i])
                        continue
                    if (reached[i] | _all_modes(cut_by, reached, i)).all():
                        cut[i] = ~reached[i]
                        continue
                    before = {m: c.next_id for m, c in self.per_mode.items()}
                    cut[i] = self.cut_off(v, stopped[i], row=i)
                    if any(c.next_id != before[m] for m, c in self.per_mode.items()):
                        self._recheck(vortices, stopped, near, i, before, reached, cut_by)
            finally:
                for certs in self.per_mode.values():
                    certs.batch = {}
            return cut, bound

    def _recheck(self, vortices: list[Vortex], stopped: list[tuple[str, ...]], near: np.ndarray, i: int,
                 since: dict[str, int], reached: np.ndarray, cut_by: dict[str, np.ndarray]) -> None:
        """After step ``i`` kept new certificates (numbers from ``since`` on), where they hold at the
        later near steps still unsettled: islands they show reached (``reached``) or cut off by a
        travel mode (``cut_by``), both updated, so that those steps need no step-by-step check."""
        rest = slice(i + 1, None)
        later = np.flatnonzero(near[rest] & ~(reached[rest] | _all_modes(cut_by, reached, rest)).all(axis=1)) + i + 1
        if not len(later):
            return
        states, stops = [vortices[j] for j in later], [stopped[j] for j in later]
        new_paths = [c.arrays(True, since[m]).flat for m, c in self.per_mode.items()]
        edges = np.unique(np.concatenate(new_paths)) if new_paths else np.zeros(0, dtype=np.int64)
        windy = np.zeros(len(edges), dtype=bool)
        for lim in self.limits.values():
            windy |= (lim[edges] >= 0) & (lim[edges] < MAX_WIND_FORCE)
        edges = edges[windy]
        if any(len(p) for p in new_paths):
            known = self.deciding_forces(states, edges)
            for m, (kept, valid) in self._paths_hold(edges, known, stops, since).items():
                reached[later] |= (valid.astype(np.int32) @ kept.settles.astype(np.int32)) > 0
        for m, (kept, valid) in self._cuts_hold(states, stops, ~reached[later], since).items():
            cut_by[m][later] |= (valid.astype(np.int32) @ kept.settles.astype(np.int32)) > 0

    def cut_off(self, vortex: Vortex | None, stopped: tuple[str, ...] = (), row: int | None = None) -> np.ndarray:
        """Whether each island (:attr:`ids`) is cut off under ``vortex`` (None: calm) with the
        sailings ``stopped`` by the lead-time rule (``row``: the step's number in the track of
        :meth:`track`)."""
        with self._lock:
            return self._cut_off(vortex, stopped, row)

    def _cut_off(self, vortex: Vortex | None, stopped: tuple[str, ...], row: int | None) -> np.ndarray:
        if vortex is None and stopped in self._calm:
            return self._calm[stopped].copy()
        step = self.step(vortex, stopped, row)
        n = len(self.ids)
        reached = np.zeros(n, dtype=bool)
        for certs in self.per_mode.values():
            reached |= certs.reached(step)
        cut = {}
        for m, certs in self.per_mode.items():  # only where no path holds
            cut[m] = certs.cut_off(step, ~reached)
        todo = np.flatnonzero(~reached)
        if vortex is not None:  # farthest from the storm first: they find a way out soonest, and show the way to others
            far = np.hypot((self.island_lon[todo] - vortex.lon) * math.cos(math.radians(vortex.lat)),
                           self.island_lat[todo] - vortex.lat)
            todo = todo[np.argsort(-far, kind="stable")]
        for k in todo:
            for m, certs in self.per_mode.items():
                if reached[k]:
                    break
                if not cut[m][k]:
                    certs.search(step, int(k), reached, cut[m])
        out = ~reached
        if vortex is None:
            if len(self._calm) > 256:
                self._calm.clear()
            self._calm[stopped] = out.copy()
        return out


def _all_modes(cut_by: dict[str, np.ndarray], reached: np.ndarray, rows: int | slice) -> np.ndarray:
    """Islands a kept cut shows cut off in every travel mode at ``rows`` (none when there is no mode)."""
    parts = [c[rows] for c in cut_by.values()]
    return np.logical_and.reduce(parts) if parts else np.zeros_like(reached[rows])


def departure_urgency(latest_departure: str, clock: pd.Timestamp, window_h: float) -> str:
    """How a plan's team stands against its latest departure at ``clock``: ``too late`` (past it),
    ``leave now`` (within ``window_h`` hours, a step of the plan) or ``leave by``."""
    leave = pd.Timestamp(latest_departure)
    if leave < clock:
        return "too late"
    return "leave now" if leave <= clock + pd.Timedelta(hours=window_h) else "leave by"


@dataclass(frozen=True)
class _Crossings:
    """The sailings (route ids, their class of boat) and the midpoints of the legs of their
    crossings, concatenated (``starts``: where each sailing's begin), for the lead-time rule."""

    routes: np.ndarray
    services: list[str]
    lon: np.ndarray
    lat: np.ndarray
    starts: np.ndarray

    @classmethod
    def of(cls, router: Router) -> _Crossings:
        net, ferries = router.net, router.arch.ferries
        edges = [int(e) for e in np.flatnonzero(net.edge_mode == "ferry")]
        routes = [str(net.edge_name[e]) for e in edges]
        services = [str(ferries.at[fid, "service"]) if fid in ferries.index else "" for fid in routes]
        paths = [net.ferry_path(e) for e in edges]
        if not paths:
            return cls(np.array(routes, dtype=str), services, np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64))
        lon = np.concatenate([(net.node_lon[p[:-1]] + net.node_lon[p[1:]]) / 2 for p in paths])
        lat = np.concatenate([(net.node_lat[p[:-1]] + net.node_lat[p[1:]]) / 2 for p in paths])
        starts = np.concatenate([[0], np.cumsum([len(p) - 1 for p in paths])[:-1]]).astype(np.int64)
        return cls(np.array(routes, dtype=str), services, lon, lat, starts)


def _force7_on(crossings: _Crossings, vortices: list[Vortex]) -> np.ndarray:
    """Whether force 7 or more blows somewhere on each sailing's crossing (steps × sailings): from
    bounds of the field over the crossing's box where they settle it, else from the field at the
    midpoints of its legs."""
    n, k = len(vortices), len(crossings.starts)
    count = np.diff(np.append(crossings.starts, len(crossings.lon)))
    west, east = np.minimum.reduceat(crossings.lon, crossings.starts), np.maximum.reduceat(crossings.lon, crossings.starts)
    south, north = np.minimum.reduceat(crossings.lat, crossings.starts), np.maximum.reduceat(crossings.lat, crossings.starts)
    rows, cols = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
    lo, hi = force_ranges(vortices, rows, west[cols], south[cols], east[cols], north[cols])
    out = lo >= 7
    unsure = np.flatnonzero(~out & (hi >= 7))
    if len(unsure):
        c = count[cols[unsure]]
        points = _spans(crossings.starts[cols[unsure]], c)
        f = beaufort(speeds_at(vortices, np.repeat(rows[unsure], c), crossings.lon[points], crossings.lat[points]))
        out[unsure] = np.logical_or.reduceat(f >= 7, np.cumsum(c) - c)
    return out.reshape(n, k)


def _lead_rule(crossings: _Crossings, vortices: list[Vortex], step_h: float,
               lead_hours: dict[str, float]) -> list[tuple[str, ...]]:
    """Per step, the sailings the lead-time rule stops: force 7 or more is forecast somewhere on the
    crossing within the class's lead hours (this step included)."""
    routes, n = crossings.routes, len(vortices)
    if not len(routes) or not lead_hours:
        return [() for _ in vortices]
    strong = np.zeros((len(routes), n), dtype=bool)
    near = np.flatnonzero(_bounds_bft(vortices, _box(crossings.lon, crossings.lat)) >= 7)  # elsewhere no force 7
    if len(near):
        strong[:, near] = _force7_on(crossings, [vortices[i] for i in near]).T
    # a sailing stops at step i when force 7 comes within its lead: any strong step in i .. i + lead
    leads = [lead_hours.get(svc) for svc in crossings.services]
    ruled = np.array([lead is not None for lead in leads], dtype=bool)
    span = np.array([int(math.floor(lead / step_h + 1e-9)) + 1 if lead is not None else 0 for lead in leads])
    hits = np.concatenate([np.cumsum(strong[:, ::-1], axis=1)[:, ::-1], np.zeros((len(routes), 1), dtype=np.int64)],
                          axis=1)  # strong steps from i to the end
    until = np.minimum(np.arange(n)[None, :] + span[:, None], n)
    ahead = ((hits[:, :-1] - np.take_along_axis(hits, until, axis=1)) > 0) & ruled[:, None]
    order = np.argsort(routes, kind="stable")
    names, ahead = routes[order], ahead[order]
    out: list[tuple[str, ...]] = []
    seen: dict[bytes, tuple[str, ...]] = {}
    for i in range(n):
        key = np.packbits(ahead[:, i]).tobytes()
        if key not in seen:
            seen[key] = tuple(str(x) for x in names[ahead[:, i]])
        out.append(seen[key])
    return out


@dataclass(frozen=True)
class CutOffHours:
    """Which powered islands a storm cuts off, step by step: what :func:`replay` and the typhoon
    ensemble share (:func:`cut_off_hours`).

    Attributes
    ----------
    step_h : float
        Hours per step.
    times : list of pandas.Timestamp
        Time of each step (UTC).
    island_ids : list of str
        Powered islands with a service point (the columns of the arrays).
    cut_off : numpy.ndarray
        Steps × islands, bool: no available team from another island can reach it.
    wind_bft : numpy.ndarray
        Steps × islands, int64: wind force (0–17) at the island's service point.
    max_bft : numpy.ndarray
        Per step, int64: with ``detail``, the strongest force on any link (where the storm is too
        far away to close a link, an upper bound below the lowest wind limit); without, that
        upper bound at every step.
    suspended : list of tuple of str
        Per step, the sailings the lead-time rule stops.
    vortices : list of Vortex
        The wind field of each step.
    weathers, signatures : list
        With ``detail`` only: each step's scenario (wind and notices) and a digest of its open
        links per travel mode.
    evaluations : int
        With ``detail`` only: distinct sets of open links among the steps.
    """

    step_h: float
    times: list[pd.Timestamp]
    island_ids: list[str]
    cut_off: np.ndarray
    wind_bft: np.ndarray
    max_bft: np.ndarray
    suspended: list[tuple[str, ...]]
    vortices: list[Vortex]
    weathers: list[StormWeather] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    evaluations: int = 0


def _at_step(track: Track, dt: pd.Timedelta) -> bool:
    """Whether ``track`` is already at regular steps of ``dt`` (whole hours), where
    :meth:`Track.interpolate` would give it back unchanged (a typhoon ensemble's members are:
    they perturb an hourly track)."""
    pts = track.points
    if len(pts) < 2 or dt.value % 3_600_000_000_000:
        return False
    ns = pts.time.array.asi8
    lon = pts.lon.to_numpy(dtype=float)
    return (bool(np.array_equal(ns - ns[0], np.arange(len(ns), dtype=np.int64) * dt.value))
            and bool(np.all(np.abs(np.diff(lon)) < 180.0)) and bool(np.all(np.abs(lon) <= 180.0)))


def cut_off_hours(router: Router, track: Track, step: str | pd.Timedelta = "1h", *,
                  statuses: dict[str, str] | None = None, lead_hours: dict[str, float] | None = LEAD_HOURS,
                  detail: bool = False, progress: Progress = None) -> CutOffHours:
    """Cut-off islands and the winds at them at each step of a storm track.

    Parameters
    ----------
    router : Router
        The loaded network and teams.
    track : Track
        The storm; interpolated to ``step``.
    step : str or Timedelta
        Time step (``"1h"`` default, 10 min – 24 h).
    statuses : dict, optional
        Team id → live status, as in :meth:`Router.cutoff`.
    lead_hours : dict, optional
        The lead-time rule (:data:`LEAD_HOURS`; None: wind limits alone).
    detail : bool
        Also the strongest force on any link at each step, the steps' scenarios and their
        open-link digests (the replay shows them; the wind is then evaluated on every link of
        the network at each step the storm is near enough to close one).
    progress : callable, optional
        Called with a short message per step.

    Returns
    -------
    CutOffHours
    """
    dt = parse_step(step)
    step_h = dt.total_seconds() / 3600.0
    tr = track if _at_step(track, dt) else track.interpolate(dt)
    tracker = CutOffTracker.for_router(router, statuses)
    times = list(tr.points.time)
    vortices: list[Vortex] = []
    for i in range(len(tr)):
        try:
            vortices.append(tr.vortex(i))
        except IslandcoverError as exc:
            raise type(exc)(f"{track.source}, {iso_beijing(times[i])}: {exc}") from exc
    stopped = _lead_rule(tracker.lead_crossings, vortices, step_h, lead_hours or {})
    n, ids = len(vortices), tracker.ids
    wind = forces_bft(vortices, tracker.island_lon, tracker.island_lat)
    cut, max_bft = tracker.track(vortices, stopped)
    near = max_bft >= tracker.calm_limit
    weathers: list[StormWeather] = []
    sigs: list[str] = []
    modes = tracker.modes
    calm = Weather.uniform(0)
    calm_sig = _signature(router, calm, modes) if detail else ""
    for i, v in enumerate(vortices):
        if detail:
            notices = tuple(Suspension(0, "route", fid, pd.Timestamp(times[i]).to_pydatetime(), None, LEAD_SOURCE)
                            for fid in stopped[i])
            weather = StormWeather(v, iso_beijing(times[i]), track.name).with_notices(notices)
            if near[i]:
                max_bft[i] = int(np.max(router.edge_wind(weather)))
                sig = _signature(router, weather, modes)
            else:
                sig = _signature(router, calm.with_notices(notices), modes) if notices else calm_sig
            weathers.append(weather)
            sigs.append(sig)
        if progress is not None:
            progress(f"{beijing_text(times[i])}: {int(cut[i].sum())} cut off (step {i + 1}/{n})")
    return CutOffHours(step_h=step_h, times=times, island_ids=list(ids), cut_off=cut, wind_bft=wind, max_bft=max_bft,
                       suspended=stopped, vortices=vortices, weathers=weathers, signatures=sigs,
                       evaluations=len(set(sigs)))


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
    hc = cut_off_hours(router, track, step, statuses=statuses, lead_hours=lead_hours, detail=True, progress=progress)
    ids = hc.island_ids
    steps: list[ReplayStep] = []
    prev: set[str] = set()
    for i, v in enumerate(hc.vortices):
        cut = tuple(sorted(ids[j] for j in np.flatnonzero(hc.cut_off[i])))
        now = set(cut)
        steps.append(ReplayStep(time=hc.weathers[i].time, center=(float(v.lon), float(v.lat)),
                                vmax_ms=float(v.vmax_ms), max_bft=int(hc.max_bft[i]),
                                wind_bft={k: int(w) for k, w in zip(ids, hc.wind_bft[i])}, cut_off=cut,
                                newly_cut_off=tuple(sorted(now - prev)), reconnected=tuple(sorted(prev - now)),
                                suspended=hc.suspended[i]))
        prev = now
    islands = _summaries(router, hc)
    return Replay(storm=track.name, source=track.source, wind_basis=track.wind_basis, step_h=hc.step_h, steps=steps,
                  islands=islands, seconds=_time.perf_counter() - t_start, evaluations=hc.evaluations,
                  _weathers=hc.weathers, _signatures=hc.signatures)


def _own_team(router: Router) -> set[str]:
    return set(router.arch.teams.station_id.map(router.arch.stations.island_id))


@dataclass(frozen=True)
class Isolation:
    """What the steps of a :class:`CutOffHours` add up to, per island (arrays in ``island_ids`` order).

    Attributes
    ----------
    hours_cut_off : numpy.ndarray
        Total hours cut off (steps × step length, rounded to 0.01 h).
    longest_h : numpy.ndarray
        Longest continuous isolation, hours (0: never cut off).
    longest_first, longest_last : numpy.ndarray
        Index of the first and the last step of that isolation (the earliest of equally long
        ones; -1: never cut off).
    peak_bft : numpy.ndarray
        Strongest wind force at the island's service point (0 with no steps).
    """

    hours_cut_off: np.ndarray
    longest_h: np.ndarray
    longest_first: np.ndarray
    longest_last: np.ndarray
    peak_bft: np.ndarray

    @classmethod
    def of(cls, hours: CutOffHours) -> Isolation:
        """Sum up the steps of ``hours``."""
        cut, step_h = hours.cut_off, hours.step_h
        n_isl = cut.shape[1]
        total = np.zeros(n_isl)
        longest = np.zeros(n_isl)
        first = np.full(n_isl, -1, dtype=np.int64)
        last = np.full(n_isl, -1, dtype=np.int64)
        edge = np.zeros((1, n_isl), dtype=np.int8)
        change = np.diff(np.concatenate([edge, cut.astype(np.int8), edge]), axis=0)
        for j in np.flatnonzero(cut.any(axis=0)):
            begins = np.flatnonzero(change[:, j] == 1)
            ends = np.flatnonzero(change[:, j] == -1) - 1
            k = int(np.argmax(ends - begins))  # the first of the longest runs
            total[j] = round(int(cut[:, j].sum()) * step_h, 2)
            longest[j] = round(int(ends[k] - begins[k] + 1) * step_h, 2)
            first[j], last[j] = begins[k], ends[k]
        peak = hours.wind_bft.max(axis=0) if len(hours.wind_bft) else np.zeros(n_isl, dtype=np.int64)
        return cls(total, longest, first, last, peak.astype(np.int64))


def _summaries(router: Router, hours: CutOffHours) -> list[IslandSummary]:
    own = _own_team(router)
    iso = Isolation.of(hours)
    when = [iso_beijing(t) for t in hours.times] if hours.times else []
    out = []
    for j, iid in enumerate(hours.island_ids):
        isl = router.arch.island(iid)
        a, b = int(iso.longest_first[j]), int(iso.longest_last[j])
        out.append(IslandSummary(
            id=iid, name_zh=isl.name_zh or "", name_en=isl.name_en or "", has_own_team=iid in own,
            population=isl.population, hours_cut_off=float(iso.hours_cut_off[j]),
            longest_isolation_h=float(iso.longest_h[j]),
            longest_from=when[a] if a >= 0 else None, longest_until=when[b] if b >= 0 else None,
            peak_bft=int(iso.peak_bft[j])))
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


@dataclass(frozen=True, kw_only=True)
class PlanItem:
    """One island of a pre-positioning plan: the island, who to send, by when.

    The fields and JSON every plan's items share (:class:`PrepareItem`, of one track;
    :class:`islandcover.typhoon.prepare_odds.OddsItem`, of an ensemble); a plan adds its view of
    the cut-off through :meth:`cut_off_dict`.

    Attributes
    ----------
    id, name_zh, name_en : str
        The island.
    population : int or None
        Published population (None: unknown, not zero).
    cut_off_from : str
        ISO time (+08:00) by which a team must arrive: the start of the isolation.
    team : TeamOption or None
        The team sent (None: none can go; ``note`` says why).
    options : list of TeamOption
        The fastest teams that can go, whether sent elsewhere or not.
    note : str
        Why no team goes, or what to know about the move.
    urgency : str
        ``leave now``, ``leave by`` or ``too late``, against the plan's ``now``.
    """

    id: str
    name_zh: str
    name_en: str
    population: int | None
    cut_off_from: str
    team: TeamOption | None
    options: list[TeamOption]
    note: str = ""
    urgency: str = ""

    def cut_off_dict(self) -> dict[str, Any]:
        """The plan's view of the island's cut-off: the keys of :meth:`to_dict` between the island and the team."""
        return {"cut_off_from": self.cut_off_from}

    def to_dict(self) -> dict[str, Any]:
        """The item as JSON: the island, :meth:`cut_off_dict`, then the team, options, note and urgency."""
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "population": self.population,
                "population_known": self.population is not None, **self.cut_off_dict(),
                "team": None if self.team is None else self.team.to_dict(),
                "options": [o.to_dict() for o in self.options], "note": self.note, "urgency": self.urgency}


@dataclass(frozen=True, kw_only=True)
class PrepareItem(PlanItem):
    """One island of the plan: how long it will be cut off, who to send, by when.

    Attributes
    ----------
    isolation_h : float
        Its longest continuous isolation in the replay, hours (from ``cut_off_from`` to ``cut_off_until``).
    cut_off_until : str
        ISO time (+08:00) of the last step of that isolation.
    """

    isolation_h: float
    cut_off_until: str

    def cut_off_dict(self) -> dict[str, Any]:
        """``isolation_h``, ``cut_off_from`` and ``cut_off_until``."""
        return {"isolation_h": self.isolation_h, "cut_off_from": self.cut_off_from,
                "cut_off_until": self.cut_off_until}


class TeamPool:
    """The teams a plan hands out to its islands, highest-ranked island first (both plans' rule).

    A team goes to one island at most, and an island that will itself be cut off (``guarded``)
    keeps its last available team.

    Parameters
    ----------
    home : Mapping
        Team id -> the island the team is on now (None: not on an island of the model).
    available : Iterable of str
        Teams that may be sent (the live status ``available``).
    guarded : set of str
        Islands that will themselves be cut off.
    """

    def __init__(self, home: Mapping[str, str | None], available: Iterable[str], guarded: set[str]) -> None:
        self.home, self.guarded = home, guarded
        self.used: set[str] = set()
        self.left_on: dict[str, int] = {}  # guarded island -> available teams still on it
        for tid in available:
            h = home.get(tid)
            if h is not None and h in guarded:
                self.left_on[h] = self.left_on.get(h, 0) + 1

    def may_go(self, option: TeamOption) -> bool:
        """Whether the option's team is still free and not the last one on a guarded island."""
        h = self.home.get(option.team_id)
        return option.team_id not in self.used and (h not in self.guarded or self.left_on.get(h, 0) > 1)  # type: ignore[arg-type]

    def take(self, options: Sequence[TeamOption]) -> TeamOption | None:
        """The first of ``options`` (fastest first) whose team may go, now given; None if none may."""
        chosen = next((o for o in options if self.may_go(o)), None)
        if chosen is not None:
            self.used.add(chosen.team_id)
            h = self.home.get(chosen.team_id)
            if h is not None and h in self.guarded:
                self.left_on[h] -= 1
        return chosen

    def kept(self, items: Sequence[PlanItem]) -> list[str]:
        """Guarded islands that keep a team which one of the ``items`` could otherwise have had."""
        return sorted(h for h, n in self.left_on.items() if n >= 1 and any(
            self.home.get(o.team_id) == h for i in items for o in i.options))


def plan_moves(items: Sequence[PlanItem]) -> list[tuple[str, str]]:
    """(team id, island id) of every move in ``items`` that can still be made (not too late)."""
    return [(i.team.team_id, i.id) for i in items if i.team is not None and i.urgency != "too late"]


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
        return plan_moves(self.items)


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
    team_home = {str(t): router.team_island(str(t), sit) for t in router.arch.teams.index}
    available = {str(t) for t in router.arch.teams.index if sit.status(str(t), str(router.arch.teams.at[t, "status"]))
                 == "available"}
    pool = TeamPool(team_home, available, {s_.id for s_ in long})
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
        chosen = pool.take(order)
        note = ""
        if chosen is None and order:
            note = ("every team that can get there is given to an island ranked higher, or is the last team of an "
                    "island that will itself be cut off")
        elif chosen is None:
            note = "no team can get there before it is cut off (already cut off at the first step, or no open route)"
        if s.population is None:
            note = (note + "; " if note else "") + "population unknown (no published figure)"
        urgency = ""
        if chosen is not None:
            urgency = departure_urgency(chosen.latest_departure, clock, rp.step_h)
            if chosen.latest_departure == rp.steps[0].time:
                note = (note + "; " if note else "") + "its latest departure is the forecast's first hour"
        items.append(PrepareItem(id=s.id, name_zh=s.name_zh, name_en=s.name_en, population=s.population,
                                 isolation_h=s.longest_isolation_h, cut_off_from=s.longest_from or "",
                                 cut_off_until=s.longest_until or "", team=chosen, options=order[:3], note=note,
                                 urgency=urgency))
    people = sum(i.population for i in items if i.population is not None)
    kept = pool.kept(items)
    return PreparePlan(storm=rp.storm, hours=float(hours), step_h=rp.step_h, items=items, skipped_own_team=skipped,
                       people_known=int(people), islands_without_population=sum(i.population is None for i in items),
                       rule=_RULE, now=iso_beijing(clock), kept=kept)
