"""Places a route can start or end at, and joining query-time points to the network.

A *place* is an island (id, Chinese name, pinyin), a station or service point id, a pier id,
or a ``"lon,lat"`` point. Islands, stations and piers are nodes of the travel network. A point
is *attached* for the query only (the network is never rebuilt):

* a point on an island (or within :data:`ON_ISLAND_M` of its shore) gets a road to every land
  node (station, service point, pier, bridge end) of its land mass, and a launch to the
  nearest shore node of the sea graph (the nearest coast point);
* a point at sea (a boat out on the water) must lie within :data:`MAX_LANE_M` of a sea lane.
  It is joined by straight stretches of sea to every sea node within :data:`SIGHT_M` that the
  stretch reaches without touching land (the sea lanes' own clearance test), to the other
  points at sea in sight, and to the foot of the perpendicular on its nearest lane (which
  splits that lane). Its stretches close with that nearest lane (its exposure and wind).

New sites and grid demand points of :mod:`islandcover.planning.travel_matrix` are attached the same way.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from islandcover.errors import (
    NoLanding,
    OutsideArchipelago,
    PointAtSea,
    UnknownIsland,
    UnknownPlace,
)
from islandcover.facts import FERRY_MODE, METRIC_CRS
from islandcover.travel.graph import AttachedGraph, NetworkView, OpenGraph, Place
from islandcover.travel.network import TravelNetwork, geodesic_m

__all__ = [
    "MAX_LANE_M",
    "ON_ISLAND_M",
    "AttachPoint",
    "attach",
    "attach_points",
    "resolve_place",
]

#: A point this close to an island's polygon counts as on it (GSHHG shores are approximate), m.
ON_ISLAND_M = 200.0
#: A point at sea must lie within this distance of a sea lane, m.
MAX_LANE_M = 2_000.0
#: A point at sea is joined by a straight stretch to every sea node this close that it can see, m.
SIGHT_M = 6_000.0

_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
_TO_M = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


@dataclass(frozen=True)
class AttachPoint:
    """A query-time point: on an island (``island_id``) or at sea (``island_id`` None).

    ``links_points``: also join it by road to the other query-time points of its land mass
    (route ends, new sites); two points that both have it off (grid demand points, of which
    there may be thousands) are not joined to each other.
    """

    lon: float
    lat: float
    island_id: str | None
    label: str = ""
    links_points: bool = True


def resolve_place(router: NetworkView, ref: str, vessel: str) -> Place:
    """Resolve a place reference (see the module docstring).

    Raises
    ------
    UnknownPlace
        An unknown station, service point or pier id.
    PointAtSea
        A point at sea too far from every lane, or at sea for the ``ferry`` mode (which only
        stops at piers).
    UnknownIsland
        An unknown island name (with a suggestion).
    OutsideArchipelago
        A point outside the archipelago's bounds.
    """
    arch, net = router.arch, router.net
    text = str(ref).strip()
    m = _POINT.match(text)
    if m:
        lon, lat = float(m.group(1)), float(m.group(2))
        isl = arch.island_at(lon, lat, max_offshore_m=ON_ISLAND_M)
        if isl is not None:
            return Place(text, "point", f"({lon:.5f}, {lat:.5f}) on {isl.name_zh or isl.id}", lon, lat,
                         island_id=isl.id)
        if arch.on_other_land(lon, lat):
            raise OutsideArchipelago(f"point ({lon}, {lat}) is on land outside the model (the mainland, an island of "
                                     "Ningbo or Shanghai, or an islet the model leaves out): give a point on one of "
                                     "the model's islands or at sea")
        d_m = _nearest_lane(net, *_TO_M.transform(lon, lat))[1]
        if d_m > MAX_LANE_M:
            raise PointAtSea(f"point ({lon}, {lat}) is at sea, {d_m / 1000:.1f} km from the nearest sea lane "
                               f"(at most {MAX_LANE_M / 1000:g} km allowed): give a point on an island or nearer a lane")
        if vessel == FERRY_MODE:
            raise PointAtSea(f"point ({lon}, {lat}) is at sea: the scheduled ferries only stop at piers; "
                               "use --vessel workboat or fast")
        return Place(text, "sea", f"({lon:.5f}, {lat:.5f}) at sea", lon, lat)
    key = text.upper()
    if key in net.station_node:
        st = arch.station(key)
        return Place(text, "station", f"{st.name_zh} ({key})", st.lon, st.lat, node=net.station_node[key],
                     island_id=st.island_id)
    if key in net.pier_node:
        pr = arch.pier(key)
        return Place(text, "pier", f"{pr.name_zh} ({key})", float(pr.lon), float(pr.lat), node=net.pier_node[key],
                     island_id=str(pr.island_id))
    by_name = arch.piers.index[arch.piers.name_zh == text]
    if len(by_name) == 1:
        return resolve_place(router, str(by_name[0]), vessel)
    try:
        isl = arch.island(text)
    except UnknownIsland:
        if re.fullmatch(r"(ST|SP|P)-\d+", key):
            raise UnknownPlace(f"no station, service point or pier '{text}'") from None
        raise
    if isl.id not in net.island_node:
        raise NoLanding(f"island {isl.label} has no service point or station: give a lon,lat point on it")
    node = net.island_node[isl.id]
    return Place(text, "island", isl.label, float(net.node_lon[node]), float(net.node_lat[node]), node=node,
                 island_id=isl.id)


def _nearest_lane(net: TravelNetwork, x: float, y: float) -> tuple[int, float, float]:
    """The sea lane nearest a metric point: (edge, distance m, position 0–1 of the foot along it)."""
    sea = np.flatnonzero(net.edge_mode == "sea")
    u, v = net.edge_u[sea], net.edge_v[sea]
    ax, ay = net.node_x[u], net.node_y[u]
    dx, dy = net.node_x[v] - ax, net.node_y[v] - ay
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
    d = np.hypot(ax + t * dx - x, ay + t * dy - y)
    k = int(np.argmin(d))
    return int(sea[k]), float(d[k]), float(t[k])


def _clear(router: NetworkView, x0: float, y0: float, x1: float, y1: float) -> bool:
    """True when the straight segment between two metric points clears the land."""
    return not router.clearance.intersects(shapely.LineString([(x0, y0), (x1, y1)]))


def _in_sight(router: NetworkView, x: float, y: float) -> list[tuple[int, float]]:
    """Sea, grid and landing nodes within :data:`SIGHT_M` of a point at sea that a straight line reaches."""
    net = router.net
    sea = np.flatnonzero(np.isin(net.node_kind, ["sea", "grid", "landing"]))
    near = sea[np.hypot(net.node_x[sea] - x, net.node_y[sea] - y) <= SIGHT_M]
    if not len(near):
        return []
    lines = shapely.linestrings(np.stack([np.column_stack([np.full(len(near), x), np.full(len(near), y)]),
                                          np.column_stack([net.node_x[near], net.node_y[near]])], axis=1))
    ok = ~shapely.intersects(router.clearance, lines)
    far = np.column_stack([net.node_x[near[ok]], net.node_y[near[ok]]])
    d = geodesic_m(np.repeat([[x, y]], len(far), axis=0), far) if len(far) else np.empty(0)
    return [(int(n), float(dd)) for n, dd in zip(near[ok], d)]


def _dist_m(x0: float, y0: float, x1: float, y1: float) -> float:
    """Ellipsoidal length (m) of the straight segment between two metric points, as network edges."""
    return float(geodesic_m(np.array([[x0, y0]]), np.array([[x1, y1]]))[0])


def attach(router: NetworkView, og: OpenGraph, vessel: str, places: Sequence[Place]) -> AttachedGraph:
    """Join the places that are points to the open graph ``og`` of ``vessel`` (others pass through)."""
    pts, refs = [], []
    for p in places:
        if p.node is None and p.ref not in refs:
            pts.append(AttachPoint(p.lon, p.lat, p.island_id, p.label))
            refs.append(p.ref)
    if not pts:
        return AttachedGraph.plain(router, og)
    out = attach_points(router, og, vessel, pts)
    n = router.net.n_nodes
    first = {}
    k = 0
    for i, pt in enumerate(pts):
        first[refs[i]] = n + k
        k += 2 if pt.island_id is None else 1
    out.nodes = first
    return out


def attach_points(router: NetworkView, og: OpenGraph, vessel: str, pts: Sequence[AttachPoint]) -> AttachedGraph:
    """Extend the open graph ``og`` of ``vessel`` with query-time points.

    Each point on an island becomes one node (``n_nodes + i`` in order); each point at sea two
    (the point, then the foot on its lane).
    """
    net, params = router.net, router.params
    own = vessel != FERRY_MODE
    launch = params.vessel(vessel).launch_min if own else 0.0
    speed_kmh = params.vessel(vessel).speed_kmh if own else 1.0
    ok = og.ok
    x, y = _TO_M.transform([p.lon for p in pts], [p.lat for p in pts])
    xy = np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])
    shore = np.flatnonzero(np.isin(net.node_kind, ["sea", "landing"]))
    _, near = cKDTree(np.column_stack([net.node_x[shore], net.node_y[shore]])).query(xy)
    land = np.flatnonzero(net.node_kind == "land")
    land_mass = np.array([net.landmass.get(str(i), -1) for i in net.node_island[land]])

    def road_min(d_m: np.ndarray | float) -> np.ndarray:
        return np.asarray(d_m, dtype=float) / 1000 * params.road_detour / params.road_speed_kmh * 60

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    codes: list[int] = []
    links: list[tuple[str, float, int]] = []
    extra_xy: list[tuple[float, float]] = []
    labels: list[str] = []

    def link(a: int, b: int, mode: str, km: float, ab_min: float, ba_min: float, lane: int = -1) -> None:
        links.append((mode, km, lane))
        code = -len(links)
        rows.extend([a, b])
        cols.extend([b, a])
        vals.extend([ab_min, ba_min])
        codes.extend([code, code])

    n = net.n_nodes
    node_of_pt = []
    for k, p in enumerate(pts):
        node_of_pt.append(n + len(extra_xy))
        extra_xy.append((float(xy[k, 0]), float(xy[k, 1])))
        labels.append(p.label or f"({p.lon:.5f}, {p.lat:.5f})")
        if p.island_id is None:
            extra_xy.append((0.0, 0.0))  # the foot, placed below
            labels.append(f"{labels[-1]}: nearest lane")
    mass_of = np.array([net.landmass.get(p.island_id, -2 - k) if p.island_id else -2 - k for k, p in enumerate(pts)])
    for k, p in enumerate(pts):
        me = node_of_pt[k]
        px, py = xy[k]
        if p.island_id is None:  # at sea: straight to every node in sight, and to the foot on the nearest lane
            e, _, t = _nearest_lane(net, px, py)
            if own and ok[e]:
                for node, d_m in _in_sight(router, px, py):
                    link(me, node, "sea", d_m / 1000, d_m / 1000 / speed_kmh * 60, d_m / 1000 / speed_kmh * 60, e)
                for j in range(k + 1, len(pts)):
                    if pts[j].island_id is None and _clear(router, px, py, *xy[j]):
                        d_m = _dist_m(px, py, *xy[j])
                        link(me, node_of_pt[j], "sea", d_m / 1000, d_m / 1000 / speed_kmh * 60,
                             d_m / 1000 / speed_kmh * 60, e)
            foot = me + 1
            u, v = int(net.edge_u[e]), int(net.edge_v[e])
            fx = net.node_x[u] + t * (net.node_x[v] - net.node_x[u])
            fy = net.node_y[u] + t * (net.node_y[v] - net.node_y[u])
            d_m = _dist_m(px, py, fx, fy)
            extra_xy[foot - n] = (float(fx), float(fy))
            if own and ok[e]:
                lane_km = float(net.edge_len_m[e]) / 1000
                link(me, foot, "sea", d_m / 1000, d_m / 1000 / speed_kmh * 60, d_m / 1000 / speed_kmh * 60, e)
                for end, part in ((u, t), (v, 1 - t)):
                    km = lane_km * part
                    link(foot, end, "sea", km, km / speed_kmh * 60, km / speed_kmh * 60, e)
            continue
        if own:  # a launch from the nearest coast point
            sea = int(shore[near[k]])
            d = _dist_m(px, py, net.node_x[sea], net.node_y[sea])
            t_road = float(road_min(d))
            link(me, sea, "sea", d / 1000, t_road + launch, t_road)
        same = land[land_mass == mass_of[k]]
        others = [j for j in range(k + 1, len(pts)) if (p.links_points or pts[j].links_points)
                  and pts[j].island_id is not None and mass_of[j] == mass_of[k]]
        targets = [int(node) for node in same] + [node_of_pt[j] for j in others]
        far = np.vstack([np.column_stack([net.node_x[same], net.node_y[same]]), xy[others].reshape(-1, 2)])
        if len(targets):  # one vectorised geodesic call per point
            dist = geodesic_m(np.repeat([[px, py]], len(far), axis=0), far)
            for node, d in zip(targets, dist):
                t_road = float(road_min(d))
                link(me, node, "road", float(d) / 1000, t_road, t_road)
    m = n + len(extra_xy)
    g, eid = og.minutes.tocoo(), og.edges.tocoo()
    data = np.maximum(np.concatenate([g.data, np.asarray(vals, dtype=float)]), 1e-9)
    r = np.concatenate([g.row, np.asarray(rows, dtype=np.int64)])
    c = np.concatenate([g.col, np.asarray(cols, dtype=np.int64)])
    graph = OpenGraph.build(r, c, data, np.concatenate([eid.data, np.asarray(codes, dtype=eid.data.dtype)]), m, ok)
    to_ll = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    exy = np.asarray(extra_xy, dtype=float).reshape(-1, 2)
    lon, lat = to_ll.transform(exy[:, 0], exy[:, 1])
    return AttachedGraph(router=router, graph=graph, extra_xy=exy,
                         extra_lonlat=np.column_stack([lon, lat]), extra_label=labels, links=links)

