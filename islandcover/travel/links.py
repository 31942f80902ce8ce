"""The link status board: which sea lanes, sailings and bridges are open now, and why not.

Three kinds of link:

* **sea lane groups**: the network's sea lanes, grouped by the named water they cross
  (``data/islands/sea_areas.csv``: each lane goes to the water whose point is nearest its
  midpoint) and by exposure (sheltered channel or open sea), judged by the wind limits of
  one own-boat class (``workboat`` by default);
* **scheduled sailings** (``ferries.csv``), each at its service's own limits;
* **bridges**, each at its own limit.

A link is ``open``, ``closed`` or, for a lane group under a typhoon's uneven wind,
``partly closed``. For every link that is not open the board says which powered islands it
*isolates*: those that are cut off now (no available team from another island can reach
them, whatever its travel mode) and that reopening this link alone would reconnect. Islands
cut off only by several closures together are listed once, under ``cut_off``.

Reachability is a question of connected components, so the whole board costs a handful of
component labellings, not shortest-path searches.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from islandcover.facts import FERRY_MODE
from islandcover.situation import Situation
from islandcover.travel.routing import CutOffIsland, Router
from islandcover.travel.weather import Weather

__all__ = ["Board", "LinkBoard", "LinkStatus", "limits_table", "sailing_features"]

@dataclass(frozen=True)
class LinkStatus:
    """One row of the board.

    Attributes
    ----------
    kind : str
        ``sea lanes``, ``ferry`` or ``bridge``.
    id : str
        Lane group (``"岱衢洋/open"``), sailing id (``"F-16"``) or bridge name.
    name : str
        For people: ``"open-sea lanes of 岱衢洋"``, the sailing's route, the bridge.
    status : str
        ``open``, ``closed`` or ``partly closed``.
    wind_bft : int
        Strongest wind on the link now (Beaufort).
    limit_bft : int
        The highest force at which it stays open.
    reason : str
        Why it is shut (empty when open).
    isolates : list of str
        Ids of the powered islands that reopening this link alone would reconnect.
    lanes_closed, lanes_total : int
        For a lane group: how many of its lanes are shut, out of how many.
    """

    kind: str
    id: str
    name: str
    status: str
    wind_bft: int
    limit_bft: int
    reason: str = ""
    isolates: list[str] = field(default_factory=list)
    lanes_closed: int = 0
    lanes_total: int = 0

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "id": self.id, "name": self.name, "status": self.status,
                                  "wind_bft": self.wind_bft, "limit_bft": self.limit_bft, "reason": self.reason,
                                  "isolates": self.isolates}
        if self.kind == "sea lanes":
            out.update(lanes_closed=self.lanes_closed, lanes_total=self.lanes_total)
        return out


@dataclass(frozen=True)
class Board:
    """Answer of :meth:`LinkBoard.status`."""

    weather: str
    vessel: str
    links: list[LinkStatus]
    cut_off: list[CutOffIsland]

    def to_dict(self) -> dict[str, object]:
        return {"weather": self.weather, "vessel": self.vessel, "links": [x.to_dict() for x in self.links],
                "cut_off": [c.to_dict() for c in self.cut_off],
                "closed": sum(x.status != "open" for x in self.links)}


def limits_table(router: Router) -> list[dict[str, object]]:
    """The wind limits in force: each mode or service × exposure, and each bridge (Beaufort)."""
    p = router.params
    rows: list[dict[str, object]] = []
    for kind, classes in (("own boat", p.vessels), ("scheduled service", p.services)):
        for name, v in classes.items():
            rows.append({"kind": kind, "name": name, "sheltered": v.max_wind_sheltered, "open": v.max_wind_open})
    seen = set()
    for e in np.flatnonzero(router.net.edge_mode == "bridge"):
        name = str(router.net.edge_name[e])
        if name not in seen:
            seen.add(name)
            rows.append({"kind": "bridge", "name": name, "limit": int(router.limits("workboat")[e])})
    return rows


def sailing_features(router: Router, weather: Weather) -> list[dict[str, object]]:
    """The scheduled sailings as GeoJSON Features (their sea paths), open or suspended under ``weather``.

    Properties: ``id``, ``service``, ``open``, and labels ``name_zh`` / ``name_en`` that say when
    the sailing is suspended (for the beacon chart's ferry layer).
    """
    net = router.net
    ok = router.open_edges(FERRY_MODE, weather)
    out: list[dict[str, object]] = []
    for e in np.flatnonzero(net.edge_mode == "ferry"):
        fid = str(net.edge_name[e])
        f = router.arch.ferries.loc[fid]
        path = net.ferry_path(int(e))
        coords = [[round(float(net.node_lon[n]), 5), round(float(net.node_lat[n]), 5)] for n in path]
        is_open = bool(ok[e])
        out.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": {"id": fid, "service": f.service, "open": is_open,
                                   "name_zh": f"{fid} {f.name_zh}" + ("" if is_open else "（停航）"),
                                   "name_en": f"{fid} {f.name_en or f.name_zh}" + ("" if is_open else " (suspended)")}})
    return out


class LinkBoard:
    """The link status board of one router (lane groups are worked out once).

    Parameters
    ----------
    router : Router
        The network, its parameters and the teams.
    """

    def __init__(self, router: Router) -> None:
        self.router = router
        net = router.net
        sea = np.flatnonzero(net.edge_mode == "sea")
        expo = net.edge_exposure[sea].astype(str)
        water = router.cover.water[sea]  # the named water of each lane (islandcover.travel.notices)
        self.groups: dict[str, np.ndarray] = {}
        self.group_name: dict[str, str] = {}
        keys = pd.Series([f"{w}/{x}" for w, x in zip(water, expo)])
        for key, idx in keys.groupby(keys).groups.items():
            w, x = str(key).rsplit("/", 1)
            self.groups[str(key)] = sea[np.asarray(idx)]
            where = f" of {w}" if w else ""
            self.group_name[str(key)] = f"{'open-sea' if x == 'open' else 'sheltered'} lanes{where}"

    def status(self, weather: Weather, vessel: str = "workboat", *,
               statuses: dict[str, str] | None = None, situation: Situation | None = None) -> Board:
        """Every lane group, sailing and bridge: open or not, why, and the islands it isolates.

        Parameters
        ----------
        weather : Weather
            The scenario.
        vessel : str
            The own-boat class whose limits judge the sea lanes (``workboat`` or ``fast``).
        statuses : dict, optional
            Live team statuses (team id → status), as in :meth:`Router.cutoff`.

        Raises
        ------
        ConfigError
            For ``ferry`` or an unknown class: the lanes are judged for an own boat.
        """
        r = self.router
        r.params.vessel(vessel)
        wind = r.edge_wind(weather)
        lim = r.limits(vessel)
        rows: list[tuple[str, str, str, np.ndarray, int]] = []  # kind, id, name, edges, limit
        for key, edges in self.groups.items():
            rows.append(("sea lanes", key, self.group_name[key], edges, int(lim[edges].min())))
        ferry_lim = r.limits(FERRY_MODE)
        for e in np.flatnonzero(r.net.edge_mode == "ferry"):
            fid = str(r.net.edge_name[e])
            rows.append(("ferry", fid, r.via(int(e)), np.array([e]), int(ferry_lim[e])))
        bridges: dict[str, list[int]] = {}
        for e in np.flatnonzero(r.net.edge_mode == "bridge"):
            bridges.setdefault(str(r.net.edge_name[e]), []).append(int(e))
        for name, ids in bridges.items():
            rows.append(("bridge", name, name, np.array(ids), int(lim[ids[0]])))

        modes = sorted(set(r.arch.teams.boat_class))
        labels = {m: r.components(m, weather) for m in modes}
        limits = {m: r.limits(m) for m in modes}
        bases = r.reach_bases(statuses, situation=situation)
        cut_now = r.cutoff(weather, statuses=statuses, situation=situation)
        notices = getattr(weather, "notices", ())
        noticed = {"sea lanes": r.cover.closed(vessel, notices), "ferry": r.cover.closed(FERRY_MODE, notices),
                   "bridge": r.cover.closed(vessel, notices)}
        cut_ids = {c.id for c in cut_now}
        out = []
        for kind, key, name, edges, limit in rows:
            w = wind[edges]
            by_notice = noticed[kind][edges]
            shut = (w > limit) | by_notice
            n_shut = int(shut.sum())
            status = "open" if n_shut == 0 else "closed" if n_shut == len(edges) else "partly closed"
            reason, isolates = "", []
            wmax = int(w.max())
            if by_notice.any():
                notice = r.cover.notice_for(int(edges[by_notice][0]), FERRY_MODE if kind == "ferry" else vessel, notices)
                reason = f"suspended by {notice.label()}" if notice is not None else ""
            elif n_shut:
                reason = self._reason(kind, key, name, vessel, wmax, limit)
            if n_shut:
                if cut_ids:
                    isolates = self._isolates(edges[shut], labels, limits, bases, cut_ids)
            out.append(LinkStatus(kind=kind, id=key, name=name, status=status, wind_bft=wmax, limit_bft=limit,
                                  reason=reason, isolates=isolates, lanes_closed=n_shut if kind == "sea lanes" else 0,
                                  lanes_total=len(edges) if kind == "sea lanes" else 0))
        return Board(weather=weather.describe(), vessel=vessel, links=out, cut_off=cut_now)

    def _reason(self, kind: str, key: str, name: str, vessel: str, wind: int, limit: int) -> str:
        if kind == "sea lanes":
            return f"wind {wind} > limit {limit} for {vessel} on {name}"
        if kind == "ferry":
            svc = self.router.arch.ferries.at[key, "service"]
            return f"wind {wind} > limit {limit} for {svc} boats on this crossing"
        return f"wind {wind} > bridge limit {limit}"

    def _isolates(self, edges: np.ndarray, labels: dict[str, np.ndarray], limits: dict[str, np.ndarray],
                  bases: dict[str, tuple[np.ndarray, np.ndarray]], cut_ids: set[str]) -> list[str]:
        """Cut-off islands that reopening ``edges`` alone would reconnect."""
        r = self.router
        u, v = r.net.edge_u[edges], r.net.edge_v[edges]
        merged = {}
        for mode, lab in labels.items():
            usable = limits[mode][edges] >= 0
            if not usable.any():
                merged[mode] = lab
                continue
            a, b = lab[u[usable]], lab[v[usable]]
            comps = np.unique(np.concatenate([a, b]))  # relabel only the components these links touch
            g = csr_array((np.ones(len(a)), (np.searchsorted(comps, a), np.searchsorted(comps, b))),
                          shape=(len(comps), len(comps)))
            group = connected_components(g, directed=False)[1]
            # every touched component takes the label comps[group]: distinct per group, and only
            # touched components held those labels before
            at = np.minimum(np.searchsorted(comps, lab), len(comps) - 1)
            moved = comps[at] == lab
            new = lab.copy()
            new[moved] = comps[group[at[moved]]]
            merged[mode] = new
        return sorted(cut_ids - r.cutoff_ids(lambda m: merged[m], bases))
