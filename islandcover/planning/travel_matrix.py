"""Travel-time matrices: minutes from candidate sites to demand points, one search per scenario.

A *site* is where a team would be based: an existing light station, a service point, or a new
point given by the user. A *demand point* is what must be reached: by default the service
point of every powered island (where a team lands), weighted by the island's population; or a
grid of points over the powered islands for finer demand.

Sites and demand points that are not nodes of the travel network are *attached* to it for the
query only (the network is never rebuilt; :func:`islandcover.travel.places.attach_points`): by road
to every land node of the same land mass, and by a launch to the nearest shore node of the sea
graph. One multi-source Dijkstra
(:func:`scipy.sparse.csgraph.dijkstra`) from all sites then gives the whole matrix.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from islandcover.archipelago import Archipelago
from islandcover.errors import IslandcoverError, OutsideArchipelago
from islandcover.facts import FERRY_MODE, METRIC_CRS
from islandcover.travel.places import AttachPoint, attach_points
from islandcover.travel.routing import Router
from islandcover.travel.timetable import timed_search
from islandcover.travel.weather import Weather

__all__ = ["Site", "Demand", "candidate_sites", "site_at", "site_on_island", "island_demand", "grid_demand",
           "travel_matrix", "MAX_SITE_OFFSHORE_M"]

#: A site given by coordinates must lie on an island or within this distance of its shore (m),
#: the same rule as for stations read from the operator's files.
MAX_SITE_OFFSHORE_M = 1_000.0


@dataclass(frozen=True)
class Site:
    """A place a team could be based.

    Attributes
    ----------
    id : str
        Station id (``ST-03``), service point id (``SP-0044``) or a user's id for a new site.
    name : str
        Display name.
    island_id : str
        The island it stands on.
    lon, lat : float
        WGS84 position, degrees.
    kind : str
        ``light_station``, ``service_point`` or ``new``.
    node : int or None
        Its node in the travel network; None for a new site, attached at query time.
    """

    id: str
    name: str
    island_id: str
    lon: float
    lat: float
    kind: str
    node: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "island_id": self.island_id, "lon": round(self.lon, 5),
                "lat": round(self.lat, 5), "kind": self.kind}


@dataclass(frozen=True)
class Demand:
    """Demand points: what must be reached, with its weight (people).

    Attributes
    ----------
    ids : tuple of str
        Row labels (island ids, or ``<island id>#<n>`` for grid points).
    island_ids : tuple of str
        The island of each point.
    lon, lat : numpy.ndarray
        WGS84 positions.
    people : numpy.ndarray
        Weight of each point: the island's published population (shared equally among its
        grid points); NaN where no population is published.
    nodes : numpy.ndarray
        Network node of each point, -1 for points attached at query time.
    """

    ids: tuple[str, ...]
    island_ids: tuple[str, ...]
    lon: np.ndarray
    lat: np.ndarray
    people: np.ndarray
    nodes: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


# ---------------------------------------------------------------------- sites
def candidate_sites(router: Router) -> list[Site]:
    """Every landing of the network as a candidate site: light stations and service points."""
    st = router.arch.stations
    return [Site(id=str(sid), name=str(r.name_zh), island_id=str(r.island_id), lon=float(r.lon), lat=float(r.lat),
                 kind=str(r.kind), node=router.net.station_node[str(sid)])
            for sid, r in st.iterrows() if str(sid) in router.net.station_node]


def site_at(arch: Archipelago, site_id: str, lon: float, lat: float, name: str | None = None) -> Site:
    """A new site at a WGS84 point, which must be on an island (or within 1 km of its shore).

    Raises
    ------
    OutsideArchipelago
        If the point is outside the model's bounds or farther than 1 km from every island.
    """
    isl = arch.island_at(lon, lat, max_offshore_m=MAX_SITE_OFFSHORE_M)
    if isl is None:
        raise OutsideArchipelago(f"site {site_id} at ({lon}, {lat}) is at sea: a site must be on an island "
                                 f"or within {MAX_SITE_OFFSHORE_M / 1000:g} km of its shore")
    return Site(id=site_id, name=name or f"{site_id} ({isl.name_zh or isl.id})", island_id=isl.id,
                lon=float(lon), lat=float(lat), kind="new")


def site_on_island(router: Router, site_id: str, island: str) -> Site:
    """A new site on an island, at the island's service point (where its teams land)."""
    isl = router.arch.island(island)
    if isl.id not in router.net.island_node:
        raise IslandcoverError(f"island {isl.label} has no landing in the network; give the site as lon,lat")
    node = router.net.island_node[isl.id]
    return Site(id=site_id, name=f"{site_id} ({isl.name_zh or isl.id})", island_id=isl.id,
                lon=float(router.net.node_lon[node]), lat=float(router.net.node_lat[node]), kind="new", node=node)


# ---------------------------------------------------------------------- demand
def _people(arch: Archipelago) -> pd.Series:
    return arch.powered.population.astype(float)


def island_demand(router: Router) -> Demand:
    """One demand point per powered island: its service point, weighted by its population."""
    ids = [i for i in router.arch.powered.index if i in router.net.island_node]
    nodes = np.array([router.net.island_node[i] for i in ids], dtype=np.int64)
    return Demand(ids=tuple(ids), island_ids=tuple(ids), lon=router.net.node_lon[nodes].astype(float),
                  lat=router.net.node_lat[nodes].astype(float), people=_people(router.arch)[ids].to_numpy(),
                  nodes=nodes)


def grid_demand(router: Router, spacing_km: float = 2.0) -> Demand:
    """Demand points on a square grid over the powered islands, plus each island's service point.

    Parameters
    ----------
    router : Router
        Gives the archipelago and its network.
    spacing_km : float
        Grid spacing in km (0.2–20). Each island's population is shared equally among its points.
    """
    if not 0.2 <= spacing_km <= 20:
        raise IslandcoverError(f"grid spacing must be 0.2–20 km, got {spacing_km}")
    arch = router.arch
    powered = arch.powered.to_crs(METRIC_CRS)
    step = spacing_km * 1000
    xmin, ymin, xmax, ymax = powered.total_bounds
    gx, gy = np.meshgrid(np.arange(xmin + step / 2, xmax, step), np.arange(ymin + step / 2, ymax, step))
    pts = shapely.points(gx.ravel(), gy.ravel())
    idx_pt, idx_isl = shapely.STRtree(powered.geometry.values).query(pts, predicate="within")
    base = island_demand(router)
    to_ll = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(gx.ravel()[idx_pt], gy.ravel()[idx_pt])
    isl = powered.index.to_numpy()[idx_isl].astype(str)
    keep = np.isin(isl, base.island_ids)
    lon, lat, isl = np.asarray(lon)[keep], np.asarray(lat)[keep], isl[keep]
    island_ids = list(base.island_ids) + list(isl)
    counts = pd.Series(island_ids).value_counts()
    people = _people(arch)
    weight = np.array([people[i] / counts[i] for i in island_ids])
    seq: dict[str, int] = {}
    ids = list(base.ids)
    for i in isl:
        seq[i] = seq.get(i, 0) + 1
        ids.append(f"{i}#{seq[i]}")
    return Demand(ids=tuple(ids), island_ids=tuple(island_ids), lon=np.concatenate([base.lon, lon]),
                  lat=np.concatenate([base.lat, lat]), people=weight,
                  nodes=np.concatenate([base.nodes, np.full(len(isl), -1, dtype=np.int64)]))


# ---------------------------------------------------------------------- the matrix
def travel_matrix(router: Router, sites: Sequence[Site], demand: Demand, vessel: str, weather: Weather,
                  at: datetime | None = None) -> pd.DataFrame:
    """Minutes from every site to every demand point, for one vessel class and weather.

    Parameters
    ----------
    router : Router
        Gives the network and the open graph of the scenario.
    sites : sequence of Site
        Where teams are based (rows of the search).
    demand : Demand
        What must be reached.
    vessel : str
        Vessel class every site uses (``workboat``, ``fast``, ``ferry``).
    weather : Weather
        The scenario; closed links are absent.
    at : datetime, optional
        When the teams leave: with ``ferry``, one time-dependent search per site waits for the
        published sailings (:func:`islandcover.travel.timetable.timed_search`).

    Returns
    -------
    pandas.DataFrame
        Index: demand ids; columns: site ids; minutes, NaN where unreachable.
    """
    if not sites:
        return pd.DataFrame(index=pd.Index(demand.ids, name="demand"), dtype=float)
    ids = [s.id for s in sites]
    if len(set(ids)) != len(ids):
        raise IslandcoverError(f"site ids must be unique, got {sorted({i for i in ids if ids.count(i) > 1})}")
    og = router.open_graph(vessel, weather)
    n = router.net.n_nodes
    extra: list[AttachPoint] = []
    site_nodes, demand_nodes = [], demand.nodes.copy()
    for s in sites:
        if s.node is None:
            site_nodes.append(n + len(extra))
            extra.append(AttachPoint(s.lon, s.lat, s.island_id, s.name, links_points=True))
        else:
            site_nodes.append(s.node)
    for k in np.flatnonzero(demand_nodes < 0):
        demand_nodes[k] = n + len(extra)
        extra.append(AttachPoint(float(demand.lon[k]), float(demand.lat[k]), demand.island_ids[k], demand.ids[k],
                                 links_points=False))
    graph = attach_points(router, og, vessel, extra).graph if extra else og
    if at is not None and vessel == FERRY_MODE and router.timetable:
        dist = np.vstack([timed_search(graph.minutes, graph.edges, s, at, router.ferry_wait)[0] for s in site_nodes])
    else:
        dist = dijkstra(graph.minutes, directed=True, indices=site_nodes)
    out = pd.DataFrame(dist[:, demand_nodes].T, index=pd.Index(demand.ids, name="demand"), columns=ids)
    return out.replace(np.inf, np.nan)
