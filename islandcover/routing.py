"""Nearest team (一键响应), routes and cut-off islands (岛自为战) under a weather scenario.

The network is built once; a scenario is a mask over its edges. A closed link is *absent*
from the graph, never merely expensive, so "unreachable" is an explicit answer. Travel times
come from one multi-source Dijkstra (scipy.sparse.csgraph) per vessel class per scenario,
cached, and paths are rebuilt from the predecessor arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from islandcover.archipelago import Archipelago
from islandcover.errors import IslandcoverError
from islandcover.network import TravelNetwork
from islandcover.vessels import TravelParameters
from islandcover.weather import Weather

__all__ = ["Leg", "Trip", "Exclusion", "Dispatch", "Route", "CutOffIsland", "Router"]

_EPS = 1e-9


@dataclass(frozen=True)
class Leg:
    """One leg of a trip: a stretch of road, a bridge, or a boat ride (launch included)."""

    mode: str
    from_: str
    to: str
    length_km: float
    minutes: float
    coordinates: list[list[float]]

    def to_dict(self) -> dict[str, object]:
        return {"mode": self.mode, "from": self.from_, "to": self.to, "length_km": round(self.length_km, 3),
                "minutes": round(self.minutes, 1),
                "geometry": {"type": "LineString", "coordinates": [[round(x, 5), round(y, 5)] for x, y in self.coordinates]}}


@dataclass(frozen=True)
class Trip:
    """How one team reaches one island."""

    team_id: str
    station_id: str
    vessel: str
    eta_min: float
    legs: list[Leg]

    @property
    def length_km(self) -> float:
        return float(sum(leg.length_km for leg in self.legs))

    def to_dict(self) -> dict[str, object]:
        return {"team_id": self.team_id, "station_id": self.station_id, "vessel": self.vessel,
                "eta_min": round(self.eta_min, 1), "length_km": round(self.length_km, 3),
                "legs": [leg.to_dict() for leg in self.legs]}


@dataclass(frozen=True)
class Exclusion:
    """A team that would be faster in calm weather but is not offered now, and why."""

    team_id: str
    station_id: str
    calm_eta_min: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"team_id": self.team_id, "station_id": self.station_id,
                "calm_eta_min": round(self.calm_eta_min, 1), "reason": self.reason}


@dataclass(frozen=True)
class Dispatch:
    """Answer of :meth:`Router.nearest`."""

    island_id: str
    weather: str
    trips: list[Trip]
    excluded: list[Exclusion] = field(default_factory=list)


@dataclass(frozen=True)
class Route:
    """Answer of :meth:`Router.route`."""

    status: str
    eta_min: float | None
    legs: list[Leg]
    closed: list[str] = field(default_factory=list)

    @property
    def length_km(self) -> float:
        return float(sum(leg.length_km for leg in self.legs))

    def to_dict(self) -> dict[str, object]:
        return {"status": self.status, "eta_min": None if self.eta_min is None else round(self.eta_min, 1),
                "length_km": round(self.length_km, 3), "legs": [leg.to_dict() for leg in self.legs],
                "closed": self.closed}


@dataclass(frozen=True)
class CutOffIsland:
    """A powered island that no available team from elsewhere can reach."""

    id: str
    name_zh: str
    name_en: str
    has_own_team: bool

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "has_own_team": self.has_own_team}


class Router:
    """Answers travel questions on a :class:`TravelNetwork`.

    Parameters
    ----------
    arch : Archipelago
        The loaded model (teams, stations, islands).
    net : TravelNetwork
        Its travel network (:func:`islandcover.network.load_network`).
    params : TravelParameters, optional
        Speeds, overheads and wind limits; defaults in :mod:`islandcover.vessels`.
    """

    def __init__(self, arch: Archipelago, net: TravelNetwork, params: TravelParameters | None = None) -> None:
        self.arch = arch
        self.net = net
        self.params = params or TravelParameters()
        self._graphs: dict[tuple[str, str], tuple[csr_array, np.ndarray]] = {}
        self._searches: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, dict[int, int]]] = {}
        self._winds: dict[str, np.ndarray] = {}
        self._minutes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        n = net.n_nodes
        # lookup of the edge between two nodes: +(e+1) stored u->v, -(e+1) for v->u
        e = np.arange(net.n_edges)
        self._edge_of = csr_array((np.concatenate([e + 1, -(e + 1)]),
                                   (np.concatenate([net.edge_u, net.edge_v]), np.concatenate([net.edge_v, net.edge_u]))),
                                  shape=(n, n))
        self._mode = net.edge_mode.astype(str)
        self._expo = net.edge_exposure.astype(str)

    # ------------------------------------------------------------------ graph per scenario
    def edge_wind(self, weather: Weather) -> np.ndarray:
        """Beaufort force at every edge's midpoint (computed once per scenario)."""
        if weather.key not in self._winds:
            self._winds[weather.key] = weather.wind_at(self.net.edge_mid_lon, self.net.edge_mid_lat)
        return self._winds[weather.key]

    def open_edges(self, vessel: str, weather: Weather) -> np.ndarray:
        """Boolean mask of edges open to ``vessel`` under ``weather``."""
        v = self.params.vessel(vessel)
        wind = self.edge_wind(weather)
        sea = self._mode == "sea"
        limit = np.where(self._expo == "open", v.max_wind_open, v.max_wind_sheltered)
        ok = np.ones(self.net.n_edges, dtype=bool)
        ok[sea] = wind[sea] <= limit[sea]
        bridge = self._mode == "bridge"
        ok[bridge] = wind[bridge] <= self.params.bridge_max_wind
        return ok

    def edge_minutes(self, vessel: str) -> tuple[np.ndarray, np.ndarray]:
        """Travel minutes of every edge for ``vessel``: (forward u→v, backward v→u), cached."""
        if vessel not in self._minutes:
            self._minutes[vessel] = self._edge_minutes(vessel)
        return self._minutes[vessel]

    def _edge_minutes(self, vessel: str) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        v = p.vessel(vessel)
        length_km = self.net.edge_len_m / 1000.0
        road = length_km * p.road_detour / p.road_speed_kmh * 60
        fwd = np.select(
            [self._mode == "sea", self._mode == "bridge", self._mode == "embark"],
            [length_km / v.speed_kmh * 60, length_km / p.bridge_speed_kmh * 60, road + v.launch_min],
            default=road,
        )
        bwd = np.where(self._mode == "embark", road, fwd)
        return fwd, bwd

    def graph(self, vessel: str, weather: Weather) -> tuple[csr_array, np.ndarray]:
        """The open graph for ``vessel`` under ``weather`` (CSR, minutes) and its open-edge mask, cached."""
        key = (vessel, weather.key)
        if key not in self._graphs:
            ok = self.open_edges(vessel, weather)
            fwd, bwd = self.edge_minutes(vessel)
            u, v = self.net.edge_u[ok], self.net.edge_v[ok]
            data = np.maximum(np.concatenate([fwd[ok], bwd[ok]]), _EPS)
            n = self.net.n_nodes
            g = csr_array((data, (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n))
            self._graphs[key] = (g, ok)
        return self._graphs[key]

    def _search(self, vessel: str, weather: Weather) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
        """Multi-source Dijkstra from every station node that has a team of this vessel class."""
        key = (vessel, weather.key)
        if key not in self._searches:
            g, _ = self.graph(vessel, weather)
            stations = sorted({self.net.station_node[s] for s in
                               self.arch.teams.loc[self.arch.teams.boat_class == vessel, "station_id"]})
            if stations:
                dist, pred = dijkstra(g, directed=True, indices=stations, return_predecessors=True)
            else:
                dist = pred = np.empty((0, self.net.n_nodes))
            self._searches[key] = (dist, pred, {s: i for i, s in enumerate(stations)})
        return self._searches[key]

    def _from_station(self, vessel: str, station_id: str, weather: Weather) -> tuple[np.ndarray, np.ndarray]:
        """Minutes and predecessors from one station, for one vessel class (one row of the search)."""
        dist, pred, row = self._search(vessel, weather)
        r = row[self.net.station_node[station_id]]
        return dist[r], pred[r]

    # ------------------------------------------------------------------ answers
    def travel_times(self, weather: Weather, *, statuses: dict[str, str] | None = None) -> pd.DataFrame:
        """Minutes from every team to every powered island (NaN where unreachable).

        Parameters
        ----------
        weather : Weather
            The scenario.
        statuses : dict, optional
            Team id → status overriding the loaded ones (the API's live statuses); teams that
            are not ``available`` are left out.
        """
        teams = self._teams(statuses)
        targets = [i for i in self.arch.powered.index if i in self.net.island_node]
        nodes = [self.net.island_node[i] for i in targets]
        out = pd.DataFrame(np.nan, index=teams.index, columns=targets)
        for tid, row in teams.iterrows():
            out.loc[tid] = self._from_station(row.boat_class, row.station_id, weather)[0][nodes]
        return out.replace(np.inf, np.nan)

    def trip(self, team_id: str, island: str, weather: Weather) -> Trip | None:
        """The fastest trip of one team to one island, or None when no open path exists."""
        team = self.arch.team(team_id)
        target = self._island_node(island)
        dist, pred = self._from_station(team.boat_class, team.station_id, weather)
        if not np.isfinite(dist[target]):
            return None
        return self._make_trip(team.id, team.station_id, team.boat_class, float(dist[target]), self._path(pred, target))

    def nearest(self, island: str, weather: Weather, k: int = 3, *,
                statuses: dict[str, str] | None = None) -> Dispatch:
        """The ``k`` fastest available teams to ``island``, with routes, and who was excluded.

        Parameters
        ----------
        island : str
            Island id, Chinese name (with or without 岛/山) or pinyin.
        weather : Weather
            The scenario; closed links are skipped.
        k : int
            How many teams, fastest first.
        statuses : dict, optional
            Team id → live status (``available``, ``busy``, ``off-duty``).

        Raises
        ------
        UnknownIsland
            For an unknown island.
        """
        if k < 1:
            raise IslandcoverError(f"k must be at least 1, got {k}")
        isl = self.arch.island(island)
        target = self._island_node(isl.id)
        teams = self._teams(statuses)
        reachable: list[tuple[float, str, str, str]] = []
        for tid, row in teams.iterrows():
            eta = float(self._from_station(row.boat_class, row.station_id, weather)[0][target])
            if np.isfinite(eta):
                reachable.append((eta, str(tid), row.station_id, row.boat_class))
        reachable.sort(key=lambda t: (t[0], t[1]))
        chosen = []
        for eta, tid, sid, vessel in reachable[:k]:
            pred = self._from_station(vessel, sid, weather)[1]
            chosen.append(self._make_trip(tid, sid, vessel, eta, self._path(pred, target)))
        bound = chosen[-1].eta_min if len(chosen) == k else np.inf
        excluded = self._exclusions(isl.id, target, weather, statuses, {t.team_id for t in chosen}, bound)
        return Dispatch(island_id=isl.id, weather=weather.describe(), trips=chosen, excluded=excluded)

    def cutoff(self, weather: Weather, *, statuses: dict[str, str] | None = None) -> list[CutOffIsland]:
        """Powered islands that no available team based on another island can reach (岛自为战)."""
        teams = self._teams(statuses)
        times = self.travel_times(weather, statuses=statuses)
        team_island = teams.station_id.map(self.arch.stations.island_id)
        out = []
        for iid in times.columns:
            outside = team_island != iid
            reachable = times.loc[outside[outside].index, iid].notna().any()
            if not reachable:
                isl = self.arch.island(iid)
                own = bool((self.arch.teams.station_id.map(self.arch.stations.island_id) == iid).any())
                out.append(CutOffIsland(isl.id, isl.name_zh or "", isl.name_en or "", own))
        return out

    def route(self, origin: str, destination: str, vessel: str, weather: Weather) -> Route:
        """Fastest route between two places with one vessel class.

        Parameters
        ----------
        origin, destination : str
            A station id (``"ST-03"``) or an island (id, Chinese name, pinyin).
        vessel : str
            ``workboat``, ``fast`` or ``ferry``.
        weather : Weather
            The scenario.

        Returns
        -------
        Route
            ``status`` is ``"ok"`` or ``"unreachable"`` (then ``closed`` lists the links on the
            calm-weather route that are shut now).
        """
        a, b = self._place_node(origin), self._place_node(destination)
        self.params.vessel(vessel)
        g, _ = self.graph(vessel, weather)
        dist, pred = dijkstra(g, directed=True, indices=[a], return_predecessors=True)
        if not np.isfinite(dist[0, b]):
            gc, _ = self.graph(vessel, Weather.uniform(0))
            _, pc = dijkstra(gc, directed=True, indices=[a], return_predecessors=True)
            closed = self._closures(self._path(pc[0], b), vessel, weather) if pc[0, b] >= 0 else []
            return Route(status="unreachable", eta_min=None, legs=[], closed=closed)
        return Route(status="ok", eta_min=float(dist[0, b]), legs=self.legs(self._path(pred[0], b), vessel))

    def _place_node(self, ref: str) -> int:
        text = str(ref).strip()
        if text.upper() in self.net.station_node:
            return self.net.station_node[text.upper()]
        return self._island_node(text)

    # ------------------------------------------------------------------ helpers
    def _status(self, statuses: dict[str, str] | None) -> pd.Series:
        """Status of every team: the loaded one, overridden by ``statuses``."""
        teams = self.arch.teams
        if statuses is None:
            return teams.status
        return teams.id.map(lambda t: statuses.get(t, teams.at[t, "status"]))

    def _teams(self, statuses: dict[str, str] | None) -> pd.DataFrame:
        return self.arch.teams[self._status(statuses) == "available"]

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

    def _label(self, node: int) -> str:
        lab = str(self.net.node_label[node])
        if lab in self.arch.stations.index:
            st = self.arch.stations.loc[lab]
            return f"{st.name_zh} ({lab})"
        return lab

    def _make_trip(self, tid: str, sid: str, vessel: str, eta: float, path: list[int]) -> Trip:
        return Trip(team_id=tid, station_id=sid, vessel=vessel, eta_min=eta, legs=self.legs(path, vessel))

    def legs(self, path: list[int], vessel: str) -> list[Leg]:
        """Group a node path into legs (road, bridge, sea; a launch belongs to its sea leg)."""
        fwd, bwd = self.edge_minutes(vessel)
        legs: list[Leg] = []
        cur: dict[str, object] | None = None
        for a, b in zip(path[:-1], path[1:]):
            code = int(self._edge_of[a, b])
            e, forward = abs(code) - 1, code > 0
            mode = "sea" if self._mode[e] in ("sea", "embark") else str(self._mode[e])
            minutes = float(fwd[e] if forward else bwd[e])
            km = float(self.net.edge_len_m[e]) / 1000
            if cur is None or cur["mode"] != mode:
                if cur is not None:
                    legs.append(self._close(cur))
                cur = {"mode": mode, "from": a, "to": b, "km": 0.0, "min": 0.0, "nodes": [a]}
            cur["to"] = b
            cur["km"] = float(cur["km"]) + km  # type: ignore[arg-type]
            cur["min"] = float(cur["min"]) + minutes  # type: ignore[arg-type]
            cur["nodes"].append(b)  # type: ignore[union-attr]
        if cur is not None:
            legs.append(self._close(cur))
        return [leg for leg in legs if leg.length_km > 0.001 or leg.minutes > 0.01]

    def _close(self, cur: dict[str, object]) -> Leg:
        nodes: list[int] = cur["nodes"]  # type: ignore[assignment]
        coords = [[float(self.net.node_lon[n]), float(self.net.node_lat[n])] for n in nodes]
        return Leg(mode=str(cur["mode"]), from_=self._label(int(cur["from"])), to=self._label(int(cur["to"])),  # type: ignore[arg-type]
                   length_km=float(cur["km"]), minutes=float(cur["min"]), coordinates=coords)  # type: ignore[arg-type]

    def _exclusions(self, island_id: str, target: int, weather: Weather, statuses: dict[str, str] | None,
                    chosen: set[str], bound: float) -> list[Exclusion]:
        calm = Weather.uniform(0)
        teams = self.arch.teams
        live = self._status(statuses)
        out = []
        for tid, row in teams.iterrows():
            if tid in chosen:
                continue
            dist, pred = self._from_station(row.boat_class, row.station_id, calm)
            calm_eta = float(dist[target])
            if not np.isfinite(calm_eta) or calm_eta > bound:
                continue
            if live[tid] != "available":
                reason = f"team is {live[tid]}"
            else:
                reason = self._closure_reason(self._path(pred, target), row.boat_class, weather)
                if reason is None:
                    continue
            out.append(Exclusion(str(tid), row.station_id, calm_eta, reason))
        return sorted(out, key=lambda x: x.calm_eta_min)

    def _closure_reason(self, path: list[int], vessel: str, weather: Weather) -> str | None:
        """Why the calm-weather path of a team is shut now (None if it is open)."""
        reasons = self._closures(path, vessel, weather)
        return reasons[0] if reasons else None

    def _closures(self, path: list[int], vessel: str, weather: Weather) -> list[str]:
        """The distinct reasons the links along ``path`` are shut now, in path order."""
        _, ok = self.graph(vessel, weather)
        wind = self.edge_wind(weather)
        v = self.params.vessel(vessel)
        out: list[str] = []
        for a, b in zip(path[:-1], path[1:]):
            e = abs(int(self._edge_of[a, b])) - 1
            if ok[e]:
                continue
            if self._mode[e] == "bridge":
                reason = (f"link closed: {self.net.edge_name[e]} (wind {wind[e]} > bridge limit "
                          f"{self.params.bridge_max_wind})")
            else:
                reason = (f"vessel {vessel} not allowed in this wind: wind {wind[e]} > limit "
                          f"{v.max_wind(self._expo[e])} for {self._expo[e]}-sea lanes")
            if reason not in out:
                out.append(reason)
        return out
