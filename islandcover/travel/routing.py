"""Nearest team (一键响应), routes and cut-off islands (岛自为战) under a weather scenario.

The network is built once; a scenario is a mask over its edges. A closed link is *absent*
from the graph, never merely expensive, so "unreachable" is an explicit answer. Travel times
come from one multi-source Dijkstra (scipy.sparse.csgraph) per travel mode per scenario,
cached (the most recent scenarios only), and paths are rebuilt from the predecessor arrays.
Cut-off islands need only reachability, so they come from connected components of the open
graph, not from shortest paths.

Travel modes (:mod:`islandcover.travel.vessels`): ``workboat`` and ``fast`` sail the team's own boat
on any open sea lane; ``ferry`` rides the scheduled sailings only. Every mode drives the
roads and bridges. Where two sailings join the same two piers (a conventional boat and a
high-speed boat), the faster open one is used.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from islandcover._plumbing import LRUCache
from islandcover.archipelago import Archipelago
from islandcover.clock import beijing_text
from islandcover.errors import ConfigError, IslandcoverError
from islandcover.facts import FERRY_MODE, MAX_WIND_FORCE, METRIC_CRS
from islandcover.situation import SHIPPED, Situation, TeamNow
from islandcover.travel.graph import AttachedGraph, OpenGraph
from islandcover.travel.network import TravelNetwork, all_land_m, land_clearance, read_bridges
from islandcover.travel.notices import NoticeCover
from islandcover.travel.places import AttachPoint, attach, attach_points, resolve_place
from islandcover.travel.skeleton import SKELETON_VERSION, Skeleton, SkeletonShelf
from islandcover.travel.timetable import Timetable, timed_search
from islandcover.travel.vessels import TravelParameters
from islandcover.travel.weather import Weather

__all__ = ["CutOffIsland", "Dispatch", "Exclusion", "Leg", "Route", "Router", "Trip"]

_EPS = 1e-9


@dataclass(frozen=True)
class Leg:
    """One leg of a trip: a stretch of road, a bridge, a boat ride (launch included) or a sailing.

    ``via`` names the bridge or the scheduled sailing (``"F-14 沈家门半升洞—庙子湖"``), else ``""``.
    """

    mode: str
    from_: str
    to: str
    length_km: float
    minutes: float
    coordinates: list[list[float]]
    via: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"mode": self.mode, "from": self.from_, "to": self.to, "via": self.via or None,
                "length_km": round(self.length_km, 3), "minutes": round(self.minutes, 1),
                "geometry": {"type": "LineString", "coordinates": [[round(x, 5), round(y, 5)] for x, y in self.coordinates]}}


@dataclass(frozen=True)
class Trip:
    """How one team reaches one island."""

    team_id: str
    station_id: str
    vessel: str
    eta_min: float
    legs: list[Leg]
    start: str = ""

    @property
    def length_km(self) -> float:
        return float(sum(leg.length_km for leg in self.legs))

    def to_dict(self) -> dict[str, object]:
        return {"team_id": self.team_id, "station_id": self.station_id, "vessel": self.vessel,
                "start": self.start or None, "eta_min": round(self.eta_min, 1),
                "length_km": round(self.length_km, 3), "legs": [leg.to_dict() for leg in self.legs]}


@dataclass(frozen=True)
class Exclusion:
    """A team that would be faster in calm weather but is not offered now, and why."""

    team_id: str
    station_id: str
    calm_eta_min: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        calm = None if self.calm_eta_min != self.calm_eta_min else round(self.calm_eta_min, 1)
        return {"team_id": self.team_id, "station_id": self.station_id, "calm_eta_min": calm, "reason": self.reason}


@dataclass(frozen=True)
class Dispatch:
    """Answer of :meth:`Router.nearest`."""

    island_id: str
    weather: str
    trips: list[Trip]
    excluded: list[Exclusion] = field(default_factory=list)
    state: str = ""


@dataclass(frozen=True)
class Route:
    """Answer of :meth:`Router.route`.

    Attributes
    ----------
    status : str
        ``"ok"`` or ``"unreachable"``.
    eta_min : float or None
        Travel time, minutes (None when unreachable).
    legs : list of Leg
        The legs, in order; ``length_km`` is their sum.
    closed : list of str
        When unreachable: why the links of the calm-weather route are shut now.
    origin, destination : str
        What the two ends were resolved to.
    """

    status: str
    eta_min: float | None
    legs: list[Leg]
    closed: list[str] = field(default_factory=list)
    origin: str = ""
    destination: str = ""
    vessel: str = ""
    weather: str = ""

    @property
    def length_km(self) -> float:
        return float(sum(leg.length_km for leg in self.legs))

    def to_dict(self) -> dict[str, object]:
        return {"status": self.status, "eta_min": None if self.eta_min is None else round(self.eta_min, 1),
                "length_km": round(self.length_km, 3), "legs": [leg.to_dict() for leg in self.legs],
                "closed": self.closed, "from": self.origin, "to": self.destination, "vessel": self.vessel,
                "weather": self.weather}


@dataclass(frozen=True)
class CutOffIsland:
    """A powered island that no available team from elsewhere can reach."""

    id: str
    name_zh: str
    name_en: str
    has_own_team: bool

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "has_own_team": self.has_own_team}


@dataclass
class _LegDraft:
    """A leg being put together from the steps of a path."""

    mode: str
    via: str
    start: int
    end: int
    coords: list[list[float]]
    km: float = 0.0
    minutes: float = 0.0

    def leg(self, og: AttachedGraph) -> Leg:
        return Leg(mode=self.mode, from_=og.label(self.start), to=og.label(self.end), length_km=self.km,
                   minutes=self.minutes, coordinates=self.coords, via=self.via)


@dataclass(frozen=True)
class _Origin:
    """Where a team starts: a network node, or a query-time point (``node`` None)."""

    label: str
    node: int | None = None
    point: AttachPoint | None = None
    problem: str = ""  # why the team cannot start there (a point at sea for a ferry team …)


class Router:
    """Answers travel questions on a :class:`TravelNetwork`.

    Parameters
    ----------
    arch : Archipelago
        The loaded model (teams, stations, islands, piers, ferries).
    net : TravelNetwork
        Its travel network (:func:`islandcover.travel.network.load_network`).
    params : TravelParameters, optional
        Speeds, overheads and wind limits; defaults in :mod:`islandcover.travel.vessels`.
    cache_dir : path, optional
        Where the search skeletons (:mod:`islandcover.travel.skeleton`) are kept between
        processes, keyed by the network and the parameters; default: in memory only.
    """

    #: How many (mode, weather) graphs and searches are kept; older ones are recomputed.
    CACHE_SIZE = 12

    def __init__(self, arch: Archipelago, net: TravelNetwork, params: TravelParameters | None = None, *,
                 cache_dir: str | Path | None = None) -> None:
        self.arch = arch
        self.net = net
        self.params = params or TravelParameters()
        self._skeleton_file = Path(cache_dir) / f"skeletons-{self._skeleton_key()}.npz" if cache_dir else None
        self._graphs: LRUCache[tuple[str, str], OpenGraph] = LRUCache(self.CACHE_SIZE)
        self._searches: LRUCache[tuple[str, str], tuple[np.ndarray, np.ndarray, dict[int, int]]] = LRUCache(
            self.CACHE_SIZE)
        self._components: LRUCache[tuple[str, str], np.ndarray] = LRUCache(self.CACHE_SIZE)
        # searches from where moved teams are (islands, piers, points), per (mode, scenario, place)
        self._elsewhere: LRUCache[tuple[str, str, str], tuple[np.ndarray, np.ndarray, AttachedGraph | None]] = (
            LRUCache(16 * self.CACHE_SIZE))
        self._winds: LRUCache[str, np.ndarray] = LRUCache(self.CACHE_SIZE)
        self._skeletons = SkeletonShelf()
        if self._skeleton_file is not None:
            self._skeletons.load(self._skeleton_file)
        self._opens: LRUCache[tuple[str, str], np.ndarray] = LRUCache(self.CACHE_SIZE)
        self._labels: dict[int, str] = {}
        # (mode, scenario) -> a digest of the mode's open links: scenarios (or replay hours) that leave
        # the same links open share one graph and one search
        self._open_keys: LRUCache[tuple[str, str], str] = LRUCache(64 * self.CACHE_SIZE)
        self._minutes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._limits: dict[str, np.ndarray] = {}
        self._mode = net.edge_mode.astype(str)
        self._expo = net.edge_exposure.astype(str)
        self._name = net.edge_name.astype(str)
        self._is = {m: self._mode == m for m in ("sea", "embark", "road", "bridge", "ferry")}
        self._open_sea = self._expo == "open"
        ferry = np.flatnonzero(self._is["ferry"])
        self._ferry_edges = ferry
        # the sea and embark edges along each sailing, found by their (sorted) node pair
        seaish = np.flatnonzero(self._is["sea"] | self._is["embark"])
        n = np.int64(net.n_nodes)
        lo, hi = np.minimum(net.edge_u[seaish], net.edge_v[seaish]), np.maximum(net.edge_u[seaish], net.edge_v[seaish])
        keys = lo.astype(np.int64) * n + hi
        order = np.argsort(keys)
        keys, seaish = keys[order], seaish[order]
        self._ferry_path_edges = []
        for e in ferry:
            path = net.ferry_path(int(e)).astype(np.int64)
            want = np.minimum(path[:-1], path[1:]) * n + np.maximum(path[:-1], path[1:])
            at = np.clip(np.searchsorted(keys, want), 0, max(len(keys) - 1, 0))
            self._ferry_path_edges.append(np.where(keys[at] == want, seaish[at], -1))
        self._service = np.full(net.n_edges, "", dtype=object)
        if len(ferry):
            self._service[ferry] = arch.ferries.loc[self._name[ferry], "service"].to_numpy()
        self._service_edges = {name: ferry[self._service[ferry] == name] for name in self.params.services}
        own = read_bridges(arch.source)
        own_limit = {str(r.name_zh): int(r.max_wind) for r in own.itertuples()
                     if "max_wind" in own.columns and str(r.max_wind).strip()}
        bridge = np.flatnonzero(self._is["bridge"])
        unknown = sorted(set(self.params.bridge_limits) - set(self._name[bridge]))
        if unknown:
            raise ConfigError(f"travel parameters: no bridge called {', '.join(unknown)}: the bridges are "
                              f"{', '.join(sorted(set(self._name[bridge])))}")
        self._bridge_limit = np.zeros(net.n_edges, dtype=np.int64)
        tunnels = set(own.name_zh[own.get("kind", pd.Series("", index=own.index)) == "tunnel"])
        self._bridge_limit[bridge] = [MAX_WIND_FORCE if self._name[e] in tunnels  # a tunnel never closes
                                      else self.params.bridge_limit(self._name[e], own_limit.get(self._name[e]))
                                      for e in bridge]

    def forget_scenarios(self) -> None:
        """Drop what was worked out per scenario (winds, open links, graphs, searches), keeping
        what serves every scenario (edge limits and minutes, and the search skeletons)."""
        for cache in (self._graphs, self._searches, self._components, self._elsewhere, self._winds,
                      self._open_keys, self._opens):
            cache.clear()

    def _skeleton_key(self) -> str:
        """What a kept skeleton depends on: the network's links and the travel parameters."""
        h = hashlib.blake2b(SKELETON_VERSION.encode(), digest_size=12)
        net = self.net
        if net.key:  # the digest of its inputs (load_network)
            h.update(net.key.encode())
        else:
            for a in (net.edge_u, net.edge_v, net.edge_len_m, net.edge_mode, net.edge_exposure, net.edge_name):
                h.update(np.ascontiguousarray(a.astype(str) if a.dtype == object else a).tobytes())
        h.update(repr(self.params).encode())
        return h.hexdigest()

    def skeleton_count(self) -> int:
        """How many scenario searches ran in full (each leaves a search skeleton); the others
        were answered on a skeleton (:mod:`islandcover.travel.skeleton`)."""
        return self._skeletons.added

    # ------------------------------------------------------------------ graph per scenario
    def edge_wind(self, weather: Weather) -> np.ndarray:
        """Beaufort force at every edge (computed once per scenario).

        Sea, road and bridge edges take the wind at their midpoint; a ferry edge the strongest
        wind along its sailing.
        """
        def compute() -> np.ndarray:
            wind = np.asarray(weather.wind_at(self.net.edge_mid_lon, self.net.edge_mid_lat), dtype=np.int64)
            for e, path in zip(self._ferry_edges, self._ferry_path_edges):
                sea = path[path >= 0]
                if len(sea):
                    wind[e] = int(wind[sea].max())
            return wind
        return self._winds.get(getattr(weather, "wind_key", weather.key), compute)

    def limits(self, vessel: str) -> np.ndarray:
        """The wind limit (Beaufort) of every edge for ``vessel``: −1 where the mode cannot use it at all."""
        if vessel not in self._limits:
            self._limits[vessel] = self._edge_limits(vessel)
        return self._limits[vessel]

    def _edge_limits(self, vessel: str) -> np.ndarray:
        p = self.params
        p.check_mode(vessel)
        lim = np.full(self.net.n_edges, MAX_WIND_FORCE, dtype=np.int64)  # roads never close, even at force 17
        sea, embark, ferry, bridge = self._is["sea"], self._is["embark"], self._is["ferry"], self._is["bridge"]
        if vessel == FERRY_MODE:
            lim[sea | embark] = -1
            for name, svc in p.services.items():
                here = self._service_edges[name]
                lim[here] = np.where(self._open_sea[here], svc.max_wind_open, svc.max_wind_sheltered)
        else:
            v = p.vessel(vessel)
            lim[sea] = np.where(self._open_sea[sea], v.max_wind_open, v.max_wind_sheltered)
            lim[ferry] = -1
        lim[bridge] = self._bridge_limit[bridge]
        return lim

    def open_edges(self, vessel: str, weather: Weather) -> np.ndarray:
        """Boolean mask of edges open to ``vessel`` under ``weather``: within their wind limit and
        covered by none of the notices in force (``weather.notices``). Cached for recent
        scenarios: do not modify it."""
        def compute() -> np.ndarray:
            lim = self.limits(vessel)
            ok = (lim >= 0) & (self.edge_wind(weather) <= lim)
            notices = getattr(weather, "notices", ())
            ok = ok & ~self.cover.closed(vessel, notices) if notices else ok
            ok.flags.writeable = False
            return ok
        return self._opens.get((vessel, weather.key), compute)

    @cached_property
    def cover(self) -> NoticeCover:
        """Which edges each suspension notice covers (worked out on first use)."""
        return NoticeCover(self.arch, self.net)

    def edge_minutes(self, vessel: str) -> tuple[np.ndarray, np.ndarray]:
        """Travel minutes of every edge for ``vessel``: (forward u→v, backward v→u), cached."""
        if vessel not in self._minutes:
            self._minutes[vessel] = self._edge_minutes(vessel)
        return self._minutes[vessel]

    def _edge_minutes(self, vessel: str) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        p.check_mode(vessel)
        length_km = self.net.edge_len_m / 1000.0
        road = length_km * p.road_detour / p.road_speed_kmh * 60
        ferry = np.zeros(self.net.n_edges)
        for name, svc in p.services.items():
            here = self._service_edges[name]
            ferry[here] = svc.launch_min + p.crossing_min(name, length_km[here])
        if vessel == FERRY_MODE:
            sea_min, launch = np.full(self.net.n_edges, np.inf), 0.0
        else:
            v = p.vessel(vessel)
            sea_min, launch = length_km / v.speed_kmh * 60, v.launch_min
        fwd = np.select(
            [self._is["sea"], self._is["bridge"], self._is["embark"], self._is["ferry"]],
            [sea_min, length_km / p.bridge_speed_kmh * 60, road + launch, ferry],
            default=road,
        )
        bwd = np.where(self._is["embark"], road, fwd)
        return fwd, bwd

    def _open_key(self, vessel: str, weather: Weather) -> str:
        """A digest of the links open to ``vessel`` under ``weather``: what graphs and searches depend on."""
        def compute() -> str:
            return hashlib.blake2b(np.packbits(self.open_edges(vessel, weather)).tobytes(), digest_size=16).hexdigest()
        return self._open_keys.get((vessel, weather.key), compute)

    def open_graph(self, vessel: str, weather: Weather) -> OpenGraph:
        """The open graph of ``vessel`` under ``weather`` (cached for recent scenarios)."""
        def compute() -> OpenGraph:
            ok = self.open_edges(vessel, weather)
            fwd, bwd = self.edge_minutes(vessel)
            ferry = np.zeros(self.net.n_edges, dtype=bool)
            ferry[self._ferry_edges] = True
            parts = []
            for e in (np.flatnonzero(ok & ~ferry), np.flatnonzero(ok & ferry)):
                u, v = self.net.edge_u[e], self.net.edge_v[e]
                parts.append((np.concatenate([u, v]), np.concatenate([v, u]),
                              np.maximum(np.concatenate([fwd[e], bwd[e]]), _EPS), np.concatenate([e, e]) + 1))
            # parallel sailings between the same two piers (a conventional and a high-speed
            # boat): keep the fastest. Other edges join distinct node pairs by construction.
            rows, cols, data, ids = parts[1]
            order = np.lexsort((data, cols, rows))
            rows, cols, data, ids = rows[order], cols[order], data[order], ids[order]
            first = np.ones(len(rows), dtype=bool)
            first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
            rows, cols, data, ids = (np.concatenate([a, b[first]]) for a, b in zip(parts[0], (rows, cols, data, ids)))
            return OpenGraph.build(rows, cols, data, ids, self.net.n_nodes, ok)
        return self._graphs.get((vessel, self._open_key(vessel, weather)), compute)

    def graph(self, vessel: str, weather: Weather) -> tuple[csr_array, np.ndarray]:
        """The open graph for ``vessel`` under ``weather`` (CSR, minutes) and its open-edge mask, cached."""
        og = self.open_graph(vessel, weather)
        return og.minutes, og.ok

    def components(self, vessel: str, weather: Weather) -> np.ndarray:
        """Connected-component label of every node in the open graph of ``vessel`` (cached)."""
        def compute() -> np.ndarray:
            return connected_components(self.open_graph(vessel, weather).minutes, directed=False)[1]
        return self._components.get((vessel, self._open_key(vessel, weather)), compute)

    def _search(self, vessel: str, weather: Weather) -> tuple[np.ndarray, np.ndarray, dict[int, int],
                                                             OpenGraph | None]:
        """Multi-source Dijkstra from every station node that has a team of this vessel class.

        Exact at the islands' service points only (what every caller reads): a scenario that
        leaves a known skeleton's links open is searched on that skeleton
        (:mod:`islandcover.travel.skeleton`), others in full, leaving a skeleton of their own.
        """
        def compute() -> tuple[np.ndarray, np.ndarray, dict[int, int], OpenGraph | None]:
            stations = sorted({self.net.station_node[s] for s in
                               self.arch.teams.loc[self.arch.teams.boat_class == vessel, "station_id"]})
            rows = {s: i for i, s in enumerate(stations)}
            if not stations:
                empty = np.empty((0, self.net.n_nodes))
                return empty, empty, rows, None
            ok = self.open_edges(vessel, weather)
            skeleton = self._skeletons.find(vessel, ok, stations)
            if skeleton is not None:
                dist, pred = skeleton.search()
                return dist, pred, rows, skeleton.links
            og = self.open_graph(vessel, weather)
            dist, pred = dijkstra(og.minutes, directed=True, indices=stations, return_predecessors=True)
            self._skeletons.add(vessel, Skeleton.from_search(og, pred, stations, self._island_nodes))
            if self._skeleton_file is not None:
                try:
                    self._skeletons.save(self._skeleton_file)
                except OSError:
                    pass  # a read-only cache: the skeleton serves this process only
            return dist, pred, rows, og
        return self._searches.get((vessel, self._open_key(vessel, weather)), compute)

    @cached_property
    def _island_nodes(self) -> np.ndarray:
        return np.unique(np.fromiter(self.net.island_node.values(), dtype=np.int64))

    def _from_station(self, vessel: str, station_id: str, weather: Weather
                      ) -> tuple[np.ndarray, np.ndarray, OpenGraph]:
        """Minutes and predecessors from one station, for one vessel class (one row of the search),
        and the graph it ran on (where its routes are read)."""
        dist, pred, row, graph = self._search(vessel, weather)
        r = row[self.net.station_node[station_id]]
        assert graph is not None  # a station of this vessel class was searched from
        return dist[r], pred[r], graph

    # ------------------------------------------------------------------ answers
    def travel_times(self, weather: Weather, *, statuses: dict[str, str] | None = None,
                     situation: Situation | None = None, at: datetime | None = None) -> pd.DataFrame:
        """Minutes from every available team, where it is now, to every powered island (NaN where
        unreachable).

        Parameters
        ----------
        weather : Weather
            The scenario (wind and notices).
        statuses : dict, optional
            Team id → status overriding the loaded ones; teams that are not ``available`` are
            left out. Superseded by ``situation``.
        situation : Situation, optional
            The live situation: statuses and where each team is (default: every team at its
            station, with its loaded status).
        """
        sit = self._situation(statuses, situation)
        teams = self._teams(sit)
        targets, nodes = self._powered_nodes
        out = np.full((len(teams), len(targets)), np.nan)
        for k, row in enumerate(teams.itertuples()):
            origin = self._origin(row, sit)
            if not origin.problem:
                out[k] = self._reach(row.boat_class, row.station_id, origin, weather, at)[0][nodes]
        out[np.isinf(out)] = np.nan
        return pd.DataFrame(out, index=teams.index, columns=pd.Index(list(targets)))

    def fastest_times(self, weather: Weather, *, situation: Situation | None = None) -> pd.Series:
        """Minutes of the fastest available team to every powered island (NaN where none reaches it).

        The same answer as ``travel_times(weather, situation=situation).min()``, in one search per
        boat class: teams at a network node start together (a multi-source search keeping only the
        nearest), teams at a point at sea each on their own.
        """
        sit = self._situation(None, situation)
        teams = self._teams(sit)
        targets = [i for i in self.arch.powered.index if i in self.net.island_node]
        nodes = np.array([self.net.island_node[i] for i in targets], dtype=np.int64)
        best = np.full(len(targets), np.inf)
        sources: dict[str, set[int]] = {}
        for row in teams.itertuples():
            origin = self._origin(row, sit)
            if origin.problem:
                continue
            if origin.node is not None:
                sources.setdefault(str(row.boat_class), set()).add(int(origin.node))
            else:
                best = np.minimum(best, self._reach(row.boat_class, row.station_id, origin, weather)[0][nodes])
        for vessel, start in sources.items():
            g = self.open_graph(vessel, weather).minutes
            dist = dijkstra(g, directed=True, indices=sorted(start), min_only=True)
            best = np.minimum(best, dist[nodes])
        return pd.Series(np.where(np.isfinite(best), best, np.nan), index=targets, dtype=float)

    def trip(self, team_id: str, island: str, weather: Weather, *, situation: Situation | None = None,
             at: datetime | None = None) -> Trip | None:
        """The fastest trip of one team, from where it is, to one island, or None when no open path exists."""
        sit = self._situation(None, situation)
        team = self.arch.team(team_id)
        row = self.arch.teams.loc[team.id]
        target = self._island_node(island)
        origin = self._origin(row, sit, team.id)
        if origin.problem:
            return None
        dist, pred, att = self._reach(team.boat_class, team.station_id, origin, weather, at)
        if not np.isfinite(dist[target]):
            return None
        return self._make_trip(team.id, team.station_id, team.boat_class, float(dist[target]),
                               self._path(pred, target), weather, att, origin.label, at)

    def nearest(self, island: str, weather: Weather, k: int = 3, *,
                statuses: dict[str, str] | None = None, situation: Situation | None = None,
                at: datetime | None = None) -> Dispatch:
        """The ``k`` fastest *available* teams to ``island``, each from where it is now, with routes,
        and who was excluded and why.

        Parameters
        ----------
        island : str
            Island id, Chinese name (with or without 岛/山) or pinyin.
        weather : Weather
            The scenario; links closed by the wind or a notice in force are skipped.
        k : int
            How many teams, fastest first.
        statuses : dict, optional
            Team id → live status (``available``, ``busy``, ``off-duty``); superseded by ``situation``.
        situation : Situation, optional
            The live situation: statuses and positions (a team on an island starts from its
            service point, at a pier from the pier, at a point from that point). Default: every
            team at its station with its loaded status.
        at : datetime, optional
            When the teams leave (aware): teams riding the scheduled boats wait for the next
            published sailing. Default: sailings leave when a team arrives.

        Raises
        ------
        UnknownIsland
            For an unknown island.
        """
        if k < 1:
            raise IslandcoverError(f"k must be at least 1, got {k}")
        sit = self._situation(statuses, situation)
        isl = self.arch.island(island)
        target = self._island_node(isl.id)
        teams = self._teams(sit)
        reachable: list[tuple[float, str, str, str, _Origin]] = []
        for row in teams.itertuples():
            origin = self._origin(row, sit)
            if origin.problem:
                continue
            eta = float(self._reach(row.boat_class, row.station_id, origin, weather, at)[0][target])
            if np.isfinite(eta):
                reachable.append((eta, str(row.Index), row.station_id, row.boat_class, origin))
        reachable.sort(key=lambda t: (t[0], t[1]))
        chosen = []
        for eta, tid, sid, vessel, origin in reachable[:k]:
            _, pred, att = self._reach(vessel, sid, origin, weather, at)
            chosen.append(self._make_trip(tid, sid, vessel, eta, self._path(pred, target), weather, att, origin.label,
                                          at))
        bound = chosen[-1].eta_min if len(chosen) == k else np.inf
        excluded = self._exclusions(isl.id, target, weather, sit, {t.team_id for t in chosen}, bound)
        return Dispatch(island_id=isl.id, weather=weather.describe(), trips=chosen, excluded=excluded,
                        state=sit.describe())

    def cutoff(self, weather: Weather, *, statuses: dict[str, str] | None = None,
               situation: Situation | None = None) -> list[CutOffIsland]:
        """Powered islands that no available team on another island can reach (岛自为战).

        Reachability only: an island is reached when some available team on another island
        (where it is now) lies in the same connected piece of its travel mode's open graph.
        """
        return self.cutoff_given(lambda mode: self.components(mode, weather), statuses=statuses, situation=situation)

    def cutoff_given(self, labels_of: Callable[[str], np.ndarray], *,
                     statuses: dict[str, str] | None = None, situation: Situation | None = None) -> list[CutOffIsland]:
        """Cut-off islands from given component labels per travel mode (``labels_of(mode)``).

        Used by :meth:`cutoff`, by the replay, and by the link board, which asks "what if this
        link reopened". ``has_own_team``: a team (of any status) is on the island now.
        """
        sit = self._situation(statuses, situation)
        ids = self.cutoff_ids(labels_of, self.reach_bases(situation=sit))
        own_team = {self._origin_island(row, sit) for row in self.arch.teams.itertuples()}
        out = []
        for iid in sorted(ids, key=lambda i: self._powered_order[i]):
            isl = self.arch.island(iid)
            out.append(CutOffIsland(isl.id, isl.name_zh or "", isl.name_en or "", iid in own_team))
        return out

    def reach_bases(self, statuses: dict[str, str] | None = None, *,
                    situation: Situation | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per travel mode, the nodes where the available teams are and the islands they are on
        (a team at a point: the network node nearest it; at sea: no island)."""
        sit = self._situation(statuses, situation)
        teams = self._teams(sit)
        out: dict[str, tuple[list[int], list[object]]] = {}
        for row in teams.itertuples():
            origin = self._origin(row, sit)
            if origin.problem:
                continue
            node = origin.node if origin.node is not None else self._nearest_node(origin.point)  # type: ignore[arg-type]
            nodes, islands = out.setdefault(str(row.boat_class), ([], []))
            nodes.append(node)
            islands.append(self._origin_island(row, sit))
        return {mode: (np.array(n, dtype=np.int64), np.array(i, dtype=object)) for mode, (n, i) in out.items()}

    def cutoff_ids(self, labels_of: Callable[[str], np.ndarray],
                   bases: dict[str, tuple[np.ndarray, np.ndarray]]) -> set[str]:
        """Ids of the powered islands no team from another island reaches (given component labels)."""
        islands, nodes = self._powered_nodes
        reached = np.zeros(len(islands), dtype=bool)
        for mode, (base, home) in bases.items():
            lab = labels_of(mode)
            same = lab[nodes][:, None] == lab[base][None, :]
            reached |= (same & (islands[:, None] != home[None, :])).any(axis=1)
        return {str(i) for i in islands[~reached]}

    @cached_property
    def clearance(self) -> shapely.Geometry:
        """All land of the box (islands and other land), buffered like the sea lanes' clearance
        test, metric and prepared: query-time stretches of sea must not touch it."""
        return land_clearance(all_land_m(self.arch))

    @cached_property
    def _powered_nodes(self) -> tuple[np.ndarray, np.ndarray]:
        islands = np.array([i for i in self.arch.powered.index if i in self.net.island_node], dtype=object)
        return islands, np.array([self.net.island_node[i] for i in islands], dtype=np.int64)

    @cached_property
    def _powered_order(self) -> dict[str, int]:
        return {str(i): k for k, i in enumerate(self._powered_nodes[0])}

    def route(self, origin: str, destination: str, vessel: str, weather: Weather, *,
              at: datetime | None = None) -> Route:
        """Fastest route between two places with one travel mode.

        Parameters
        ----------
        origin, destination : str
            An island (id, Chinese name with or without 岛/山, pinyin), a station id
            (``"ST-03"``, ``"SP-0044"``), a pier id (``"P-03"``) or a ``"lon,lat"`` point
            (WGS84): a point on an island is joined to that island's landings and coast, a
            point at sea to the nearest sea lane (at most 2 km away; own boats only).
        vessel : str
            ``workboat``, ``fast`` (own boat) or ``ferry`` (scheduled sailings).
        weather : Weather
            The scenario.
        at : datetime, optional
            When the trip starts (aware): by ``ferry`` it waits for the next published sailing
            (legs of mode ``wait``); without it, sailings leave when the team arrives.

        Returns
        -------
        Route
            ``status`` is ``"ok"`` or ``"unreachable"`` (then ``closed`` lists the links on the
            calm-weather route that are shut now).

        Raises
        ------
        UnknownIsland, UnknownPlace, OutsideArchipelago, ConfigError
            For an end that cannot be resolved or an unknown vessel class.
        """
        self.params.check_mode(vessel)
        a, b = resolve_place(self, origin, vessel), resolve_place(self, destination, vessel)
        og = attach(self, self.open_graph(vessel, weather), vessel, [a, b])
        src, dst = og.node_of(a), og.node_of(b)
        common = partial(Route, origin=a.label, destination=b.label, vessel=vessel, weather=weather.describe())
        if src == dst:
            return common(status="ok", eta_min=0.0, legs=[])
        if at is not None and vessel == FERRY_MODE and self.timetable:
            d1, p1 = timed_search(og.graph.minutes, og.graph.edges, src, at, self.ferry_wait)
            dist, pred = d1[None, :], p1[None, :]
        else:
            dist, pred = dijkstra(og.graph.minutes, directed=True, indices=[src], return_predecessors=True)
        if not np.isfinite(dist[0, dst]):
            calm = attach(self, self.open_graph(vessel, Weather.uniform(0)), vessel, [a, b])
            dc, pc = dijkstra(calm.graph.minutes, directed=True, indices=[src], return_predecessors=True)
            closed = self._closures(self._path(pc[0], dst), vessel, weather, calm) if np.isfinite(dc[0, dst]) else []
            if not closed and not np.isfinite(dc[0, dst]):
                closed = [f"no {vessel} route exists even in calm weather"]
            return common(status="unreachable", eta_min=None, legs=[], closed=closed)
        start = at if vessel == FERRY_MODE else None
        return common(status="ok", eta_min=float(dist[0, dst]), legs=self.legs(self._path(pred[0], dst), og, start))

    # ------------------------------------------------------------------ helpers
    def position(self, team_id: str, ref: str) -> tuple[str, str]:
        """Where a team would be at ``ref``, as the live state stores it: ``("station", "")`` for its
        own station, ``("island", id)`` for an island or another station's island, ``("pier", id)``,
        or ``("point", "lon,lat")`` for a point on an island or at sea that its boat can start from.

        Raises
        ------
        UnknownTeam, UnknownIsland, UnknownPlace, PointAtSea, OutsideArchipelago, NoLanding
            For an unknown team, a place that cannot be resolved, or a point its boat cannot
            start from (a point at sea for a team without its own boat).
        """
        team = self.arch.team(team_id)
        place = resolve_place(self, ref, team.boat_class)
        if place.kind == "station":
            sid = place.ref.strip().upper()
            if sid == team.station_id:
                return "station", ""
            return "island", str(place.island_id)
        if place.kind == "pier":
            return "pier", place.ref.strip().upper()
        if place.kind == "island":
            return "island", str(place.island_id)
        return "point", f"{place.lon:.5f},{place.lat:.5f}"

    def _situation(self, statuses: dict[str, str] | None, situation: Situation | None) -> Situation:
        """The situation asked about: ``situation``, else the ``statuses`` at the stations, else the shipped one."""
        if situation is not None:
            return situation
        if statuses is None:
            return SHIPPED
        return Situation(teams={t: TeamNow(t, s) for t, s in statuses.items()})

    def _status(self, situation: Situation) -> pd.Series:
        """Status of every team: its live status, else the loaded one."""
        teams = self.arch.teams
        if not situation.teams:
            return teams.status
        return teams.id.map(lambda t: situation.status(t, teams.at[t, "status"]))

    def _origin(self, row: object, situation: Situation, team_id: str | None = None) -> _Origin:
        """Where a team (a row of ``arch.teams``) starts now."""
        tid = team_id or str(getattr(row, "Index", getattr(row, "name", "")))
        sid = str(getattr(row, "station_id"))
        now = situation.teams.get(tid)
        if now is None or now.at_kind == "station":
            return _Origin(self.node_label(self.net.station_node[sid]), node=self.net.station_node[sid])
        if now.at_kind == "island":
            isl = self.arch.island(now.at_ref)
            if isl.id not in self.net.island_node:
                return _Origin(isl.label, problem=f"team is on {isl.label}, which has no landing in the model")
            return _Origin(isl.label, node=self.net.island_node[isl.id])
        if now.at_kind == "pier":
            return _Origin(self.node_label(self.net.pier_node[now.at_ref]), node=self.net.pier_node[now.at_ref])
        try:
            place = resolve_place(self, now.at_ref, str(getattr(row, "boat_class")))
        except IslandcoverError as exc:
            return _Origin(now.at_ref, problem=f"team is at {now.at_ref}: {exc}")
        return _Origin(place.label, point=AttachPoint(place.lon, place.lat, place.island_id, place.label))

    def team_island(self, team_id: str, situation: Situation | None = None) -> str | None:
        """The island a team is on now (its station's, unless the situation has moved it; None at sea)."""
        row = self.arch.teams.loc[self.arch.team(team_id).id]
        return self._origin_island(row, situation or SHIPPED, row.name)

    def _origin_island(self, row: object, situation: Situation, team_id: str | None = None) -> str | None:
        """The island a team is on now (None at sea)."""
        tid = team_id or str(getattr(row, "Index", getattr(row, "name", "")))
        now = situation.teams.get(tid)
        if now is None or now.at_kind == "station":
            return str(self.arch.stations.at[str(getattr(row, "station_id")), "island_id"])
        if now.at_kind == "island":
            return self.arch.island(now.at_ref).id
        if now.at_kind == "pier":
            return str(self.arch.piers.at[now.at_ref, "island_id"])
        try:
            return resolve_place(self, now.at_ref, "workboat").island_id
        except IslandcoverError:
            return None

    def _nearest_node(self, point: AttachPoint) -> int:
        """The network node nearest a point (for connectivity only)."""
        x, y = self._node_tree_transform.transform(point.lon, point.lat)
        return int(self._node_tree.query([x, y])[1])

    @cached_property
    def _node_tree(self) -> cKDTree:
        return cKDTree(np.column_stack([self.net.node_x, self.net.node_y]))

    @cached_property
    def _node_tree_transform(self) -> Transformer:
        return Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)

    def _reach(self, vessel: str, station_id: str, origin: _Origin, weather: Weather, at: datetime | None = None
               ) -> tuple[np.ndarray, np.ndarray, AttachedGraph]:
        """Minutes and predecessors from where a team is, and the graph they were found in (the
        whole open graph, a search skeleton, or the open graph with the team's point attached).

        With ``at`` (when the team leaves), a team riding the scheduled boats waits at each pier
        for the next published departure (:mod:`islandcover.travel.timetable`).
        """
        timed = at is not None and vessel == FERRY_MODE and bool(self.timetable)
        if not timed and origin.node is not None and origin.node == self.net.station_node.get(station_id):
            dist, pred, searched = self._from_station(vessel, station_id, weather)
            return dist, pred, AttachedGraph.plain(self, searched)

        def compute() -> tuple[np.ndarray, np.ndarray, AttachedGraph]:
            og = self.open_graph(vessel, weather)
            att = (AttachedGraph.plain(self, og) if origin.node is not None
                   else attach_points(self, og, vessel, [origin.point]))  # type: ignore[list-item]
            graph = att.graph
            src = origin.node if origin.node is not None else self.net.n_nodes
            if timed:
                dist, pred = timed_search(graph.minutes, graph.edges, src, at, self.ferry_wait)  # type: ignore[arg-type]
                return dist, pred, att
            d, p = dijkstra(graph.minutes, directed=True, indices=[src], return_predecessors=True)
            return d[0], p[0], att
        where = str(origin.node) if origin.node is not None else f"{origin.point.lon},{origin.point.lat}"  # type: ignore[union-attr]
        when = at.astimezone(UTC).strftime("%Y%m%d%H%M") if timed else ""  # type: ignore[union-attr]
        return self._elsewhere.get((vessel, weather.key + when, where), compute)

    @cached_property
    def timetable(self) -> Timetable:
        """The published departures of the scheduled boats (``sailings.csv``, from the folder of
        the ferries: an imported ``ferries.csv`` comes without the shipped timetable)."""
        return Timetable(self.arch.folder_of("ferries.csv"), self.arch.ferries.index)

    @cached_property
    def _ferry_ends(self) -> dict[int, tuple[str, int]]:
        """Each sailing edge → (its route id, the node of its ``from_pier``)."""
        out = {}
        for e in self._ferry_edges:
            fid = str(self._name[e])
            pier = str(self.arch.ferries.at[fid, "from_pier"]) if fid in self.arch.ferries.index else ""
            out[int(e)] = (fid, int(self.net.pier_node.get(pier, -1)))
        return out

    def ferry_wait(self, edge: int, from_node: int, at: datetime) -> float | None:
        """Minutes a team at ``from_node`` at ``at`` waits for the sailing ``edge`` (0: no timetable,
        or not a sailing; None: it does not leave again within the timetable's horizon)."""
        ends = self._ferry_ends.get(edge)
        if ends is None:
            return 0.0
        route, out_node = ends
        direction = "out" if from_node == out_node else "back"
        if not self.timetable.has(route, direction):
            return 0.0
        dep = self.timetable.next_departure(route, direction, at)
        return None if dep is None else max(0.0, (dep - at).total_seconds() / 60)

    def _teams(self, situation: Situation) -> pd.DataFrame:
        return self.arch.teams[self._status(situation) == "available"]

    def _island_node(self, island: str) -> int:
        isl = self.arch.island(island)
        if isl.id not in self.net.island_node:
            raise IslandcoverError(f"island {isl.label} has no service point or station, so no team is sent there")
        return self.net.island_node[isl.id]

    def _path(self, pred_row: np.ndarray, target: int) -> list[int]:
        path = [target]
        while pred_row[path[-1]] >= 0:
            path.append(int(pred_row[path[-1]]))
        return path[::-1]

    def node_label(self, node: int) -> str:
        """A readable name of a network node (station or pier with its id, bridge end, …)."""
        if node not in self._labels:
            self._labels[node] = self._node_label(node)
        return self._labels[node]

    def _node_label(self, node: int) -> str:
        lab = str(self.net.node_label[node])
        if lab in self.arch.stations.index:
            return f"{self.arch.stations.at[lab, 'name_zh']} ({lab})"
        if lab in self.arch.piers.index:
            return f"{self.arch.piers.at[lab, 'name_zh']} ({lab})"
        return lab

    def via(self, edge: int) -> str:
        """What a bridge or sailing edge is called (``""`` for other edges)."""
        if self._mode[edge] == "ferry":
            fid = self._name[edge]
            return f"{fid} {self.arch.ferries.at[fid, 'name_zh']}"
        return self._name[edge] if self._mode[edge] == "bridge" else ""

    def _make_trip(self, tid: str, sid: str, vessel: str, eta: float, path: list[int], weather: Weather,
                   att: AttachedGraph | None = None, start: str = "", at: datetime | None = None) -> Trip:
        og = att or AttachedGraph.plain(self, self.open_graph(vessel, weather))  # att: where the path was found
        legs = self.legs(path, og, at if vessel == FERRY_MODE else None)
        return Trip(team_id=tid, station_id=sid, vessel=vessel, eta_min=eta, legs=legs, start=start)

    def legs(self, path: list[int], og: AttachedGraph, start: datetime | None = None) -> list[Leg]:
        """Group a node path into legs (road, bridge, sea with its launch, one per sailing).

        Parameters
        ----------
        path : list of int
            Nodes, as rebuilt from a search's predecessors.
        og : AttachedGraph
            The graph the path was found in (:mod:`islandcover.travel.places`).
        start : datetime, optional
            When the trip starts: a ``wait`` leg then comes before each sailing with a published
            timetable (how long until its next departure, and when that is).
        """
        drafts: list[tuple[_LegDraft, int | None]] = []
        cur: _LegDraft | None = None
        for a, b in zip(path[:-1], path[1:]):
            mode, km, minutes, via, coords = og.step(a, b)
            if cur is None or cur.mode != mode or cur.via != via or mode == "ferry":
                cur = _LegDraft(mode=mode, via=via, start=a, end=b, coords=[coords[0]])
                drafts.append((cur, og.network_edge(a, b) if mode == "ferry" else None))
            cur.end = b
            cur.km += km
            cur.minutes += minutes
            cur.coords.extend(coords[1:])
        legs: list[Leg] = []
        clock = start
        for draft, edge in drafts:
            leg = draft.leg(og)
            if clock is not None and edge is not None:
                wait = self.ferry_wait(edge, draft.start, clock)
                if wait:
                    dep = clock + timedelta(minutes=wait)
                    legs.append(Leg(mode="wait", from_=leg.from_, to=leg.from_, length_km=0.0, minutes=wait,
                                    coordinates=[leg.coordinates[0]], via=f"next sailing {beijing_text(dep)}"))
                    clock = dep
            if clock is not None:
                clock = clock + timedelta(minutes=leg.minutes)
            legs.append(leg)
        return [leg for leg in legs if leg.length_km > 0.001 or leg.minutes > 0.01]

    def _exclusions(self, island_id: str, target: int, weather: Weather, situation: Situation,
                    chosen: set[str], bound: float) -> list[Exclusion]:
        calm = Weather.uniform(0)
        teams = self.arch.teams
        live = self._status(situation).to_dict()
        out = []
        for row in teams.itertuples():
            tid = row.Index
            if tid in chosen:
                continue
            origin = self._origin(row, situation)
            if origin.problem:
                out.append(Exclusion(str(tid), row.station_id, float("nan"), origin.problem))
                continue
            dist, pred, att = self._reach(row.boat_class, row.station_id, origin, calm)
            calm_eta = float(dist[target])
            if not np.isfinite(calm_eta) or calm_eta > bound:
                continue
            if live[tid] != "available":
                reason = f"team is {live[tid]}"
            else:
                og = att  # the graph the calm path was found in
                reasons = self._closures(self._path(pred, target), row.boat_class, weather, og)
                if not reasons:
                    continue
                reason = reasons[0]
            out.append(Exclusion(str(tid), row.station_id, calm_eta, reason))
        return sorted(out, key=lambda x: (np.isnan(x.calm_eta_min), x.calm_eta_min))

    def closure_reason(self, edge: int, vessel: str, weather: Weather) -> str:
        """Why network edge ``edge`` is shut to ``vessel`` now: a notice in force, or the wind
        against its limit."""
        notice = self.cover.notice_for(edge, vessel, getattr(weather, "notices", ()))
        if notice is not None:
            what = self.via(edge) or f"{self._expo[edge]}-sea lanes for {vessel}"
            return f"suspended by {notice.label()}: {what}"
        wind = int(self.edge_wind(weather)[edge])
        lim = int(self.limits(vessel)[edge])
        mode = self._mode[edge]
        if mode == "bridge":
            return f"link closed: {self._name[edge]} (wind {wind} > bridge limit {lim})"
        if mode == "ferry":
            svc = self._service[edge]
            return (f"sailing suspended: {self.via(edge)} (wind {wind} > limit {lim} for {svc} boats on "
                    f"{self._expo[edge]}-sea crossings)")
        return f"vessel {vessel} not allowed in this wind: wind {wind} > limit {lim} for {self._expo[edge]}-sea lanes"

    def _closures(self, path: list[int], vessel: str, weather: Weather, calm: AttachedGraph) -> list[str]:
        """The distinct reasons the links along ``path`` (found in graph ``calm``) are shut now."""
        ok = self.open_edges(vessel, weather)
        out: list[str] = []
        for a, b in zip(path[:-1], path[1:]):
            e = calm.network_edge(a, b)
            if e is None:  # a query-time link: closes with the lane it joins
                e = calm.lane_of(a, b)
            if e is None or ok[e]:
                continue
            reason = self.closure_reason(e, vessel, weather)
            if reason not in out:
                out.append(reason)
        return out
