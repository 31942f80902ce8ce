"""The multimodal travel network: sea lanes, landings, on-island roads and bridges.

Sea lanes: a **visibility graph**. Boats cannot cross land, and in a polygonal domain the
shortest water path between two points bends only at convex corners of the obstacles, so a
graph whose nodes are those corners (plus the landings) and whose edges are the straight
segments that clear the land contains every shortest path exactly, with true lengths and
straight geometry (a water raster/mesh would zig-zag and over-estimate by 1–8% depending
on its connectivity). Obstacles are the GSHHG land (the model's islands, and the mainland
and islands of Ningbo and Shanghai in ``other_land.geojson``) simplified by 30 m and
buffered by 60 m, so lanes keep clear of the shore; each candidate segment is tested, in one
vectorised call, against the unsimplified land buffered by 20 m. Edges are limited to 20 km, and a
3 km grid of open-water nodes (at least 1 km from any shore) carries longer crossings
(worst-case detour < 1.2%, typically < 0.3%). Only edges tangent at both ends are kept
(a shortest path never turns into an obstacle), which removes most of the candidates.

Lengths: every edge carries the length of its straight segment on the WGS84 ellipsoid (the
geometry is built in UTM 51N, whose distances run up to 0.04% short here).

Landings: every ferry pier is joined to the sea at the nearest point of its island's buffered
shore; a station or service point puts to sea from the landing of the nearest pier on its island,
or, on an island without a pier, from the nearest point of the shore (an ``embark`` edge, run at
road speed, with the launch/boarding overhead charged there). No sea lane starts inland.

Scheduled ferries (``ferries.csv``): one ``ferry`` edge per sailing, between the land nodes of
its two piers. Its length and geometry are the shortest sea path between the piers' landings
over the sea lanes (so it never crosses land), kept node by node in ``ferry_ptr`` /
``ferry_nodes``; it is ``open``-sea when any lane along it is.

Roads: land nodes (stations, service points, bridge ends) on the same land mass are joined
pairwise; travel time uses the straight distance times a detour factor (no road data is
shipped). Bridges (``data/islands/bridges.csv``) join the facing shores of two islands.

Every sea edge has an exposure class, which decides the wind at which it closes
(:mod:`islandcover.travel.vessels`): ``sheltered`` when its midpoint is within 4 km of a shore and
within 10 km of a large island (≥ 10 km²: the inner archipelago's channels), else ``open``
(the outer groups such as 东极, 花鸟, 嵊山–枸杞 lie in the open sea even between islets).

Building takes about a minute on 2 cores; the result is cached on disk (``$ISLANDCOVER_CACHE``, default
``~/.cache/islandcover``), keyed by the content of the input files.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from islandcover.archipelago import Archipelago
from islandcover.config import DEFAULT_CACHE_DIR
from islandcover.errors import DataError
from islandcover.facts import BOUNDS, METRIC_CRS

__all__ = [
    "NETWORK_VERSION",
    "TravelNetwork",
    "all_land_m",
    "build_network",
    "geodesic_m",
    "land_clearance",
    "load_network",
    "read_bridges",
]

#: The kinds of fixed link in ``bridges.csv``.
LINK_KINDS = ("bridge", "causeway", "tunnel")
NETWORK_VERSION = "7"  # 7: stations put to sea from their island's pier
SIMPLIFY_M = 30.0
OBSTACLE_BUFFER_M = 60.0
CLEARANCE_M = 20.0
MAX_EDGE_M = 20_000.0
GRID_STEP_M = 3_000.0
GRID_MIN_SHORE_M = 1_000.0
OPEN_SEA_M = 4_000.0
LARGE_ISLAND_M2 = 10e6
SHELTER_RANGE_M = 10_000.0


@dataclass
class TravelNetwork:
    """Nodes and edges of the travel network (metric coordinates in UTM 51N).

    Edges are stored once; ``embark`` edges run land → sea (the launch overhead applies in
    that direction). Node kinds: ``sea`` (shore corner), ``grid`` (open water), ``landing``
    (sea side of a landing), ``land`` (station, service point, pier or bridge end). Edge
    modes: ``sea``, ``embark``, ``road``, ``bridge``, ``ferry``. The path of ferry edge ``k``
    (the k-th ferry edge in edge order) is ``ferry_nodes[ferry_ptr[k]:ferry_ptr[k + 1]]``.
    ``key`` is the digest of the inputs it was built from (set by :func:`load_network`; empty for a
    network built otherwise).
    """

    node_x: np.ndarray
    node_y: np.ndarray
    node_lon: np.ndarray
    node_lat: np.ndarray
    node_kind: np.ndarray
    node_island: np.ndarray
    node_label: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_len_m: np.ndarray
    edge_mode: np.ndarray
    edge_exposure: np.ndarray
    edge_name: np.ndarray
    edge_mid_lon: np.ndarray
    edge_mid_lat: np.ndarray
    ferry_ptr: np.ndarray
    ferry_nodes: np.ndarray
    station_node: dict[str, int]
    island_node: dict[str, int]
    landmass: dict[str, int]
    pier_node: dict[str, int]
    key: str = ""

    @property
    def n_nodes(self) -> int:
        return len(self.node_x)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> None:
        """Write the network to an ``.npz`` file (atomically)."""
        arrays = {k: getattr(self, k) for k in self.__dataclass_fields__ if isinstance(getattr(self, k), np.ndarray)}
        meta = {"station_node": self.station_node, "island_node": self.island_node, "landmass": self.landmass,
                "pier_node": self.pier_node}
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **{k: _np_str(v) for k, v in arrays.items()})
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> TravelNetwork:
        """Read a network written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            kw = {k: z[k] for k in cls.__dataclass_fields__ if k in z.files}
        return cls(**kw, station_node=meta["station_node"], island_node=meta["island_node"],
                   landmass={k: int(v) for k, v in meta["landmass"].items()}, pier_node=meta["pier_node"])

    def ferry_path(self, edge: int) -> np.ndarray:
        """Node path of a ferry edge (pier land node → landing → … → landing → pier land node)."""
        k = int(self._ferry_rank[edge])
        return self.ferry_nodes[self.ferry_ptr[k]:self.ferry_ptr[k + 1]]

    @cached_property
    def _ferry_rank(self) -> np.ndarray:
        rank = np.full(self.n_edges, -1, dtype=np.int64)
        ferry = np.flatnonzero(self.edge_mode == "ferry")
        rank[ferry] = np.arange(len(ferry))
        return rank


def _np_str(a: np.ndarray) -> np.ndarray:
    return a.astype(str) if a.dtype == object else a


# ---------------------------------------------------------------------- building
def _digest(frame: pd.DataFrame, columns: list[str] | None = None) -> bytes:
    """Bytes that change whenever the index or the given columns do (geometries by their WKB)."""
    parts = [pd.util.hash_pandas_object(frame.index.to_series(), index=False).to_numpy().tobytes()]
    for col in columns if columns is not None else list(frame.columns):
        values = frame[col]
        if isinstance(values, gpd.GeoSeries):
            parts.extend(shapely.to_wkb(values.to_numpy(), include_srid=False))
        else:
            parts.append(pd.util.hash_pandas_object(values.astype(str), index=False).to_numpy().tobytes())
    return b"\0".join(parts)


def _key(arch: Archipelago) -> str:
    h = hashlib.sha256(NETWORK_VERSION.encode())
    h.update(_digest(arch.islands, ["geometry"]))
    h.update(_digest(arch.stations, ["lon", "lat", "island_id"]))
    h.update(_digest(read_bridges(arch.source)))
    h.update(_digest(arch.piers, ["id", "lon", "lat", "island_id"]))
    h.update(_digest(arch.ferries, ["id", "from_pier", "to_pier"]))
    h.update(_digest(arch.other_land))
    return h.hexdigest()[:16]


def load_network(arch: Archipelago, *, cache_dir: str | Path | None = None,
                 progress: Callable[[str], None] | None = None, cache: bool = True) -> TravelNetwork:
    """Return the travel network of ``arch``, from the disk cache when it is current.

    Parameters
    ----------
    arch : Archipelago
        The loaded model.
    cache_dir : path, optional
        Folder of the cache (default :data:`islandcover.config.DEFAULT_CACHE_DIR`; the command
        line and the API pass :attr:`islandcover.config.Config.cache_dir`).
    progress : callable, optional
        Called with a short message at each build step (the CLI prints them).
    cache : bool
        Read and write the on-disk cache.
    """
    key = _key(arch)
    path = Path(cache_dir or DEFAULT_CACHE_DIR) / f"network-{key}.npz"
    if cache and path.exists():
        try:
            net = TravelNetwork.read(path)
            net.key = key
            return net
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt
    net = build_network(arch, progress=progress)
    net.key = key
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        net.save(path)
    return net


def read_bridges(folder: Path) -> pd.DataFrame:
    """The bridges of a data folder (``bridges.csv``; an empty table if there is none).

    An optional ``max_wind`` column gives a bridge its own wind limit (a whole Beaufort force
    0–12; empty: the default of :mod:`islandcover.travel.vessels`). An optional ``kind`` column
    says ``bridge``, ``causeway`` or ``tunnel``; a tunnel has no wind limit.

    Raises
    ------
    DataError
        A ``max_wind`` that is not a whole number 0–12, or an unknown ``kind``.
    """
    path = folder / "bridges.csv"
    if not path.exists():
        return pd.DataFrame(columns=["name_zh", "name_en", "island_a", "island_b", "length_km"])
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    for i, raw in enumerate(table.get("max_wind", pd.Series(dtype=str)), start=1):
        text = str(raw).strip()
        if text and not (text.isdigit() and 0 <= int(text) <= 12):
            raise DataError(path.name, f"max_wind must be a whole Beaufort force 0–12, got {raw!r}", row=i,
                            field="max_wind")
    for i, raw in enumerate(table.get("kind", pd.Series(dtype=str)), start=1):
        if str(raw).strip() not in ("", *LINK_KINDS):
            raise DataError(path.name, f"kind must be one of {', '.join(LINK_KINDS)}, got {raw!r}", row=i,
                            field="kind")
    return table


def all_land_m(arch: Archipelago) -> np.ndarray:
    """Every land polygon of the box in UTM 51N: the model's islands (in index order), then the
    other land (mainland and other districts' islands, an obstacle only)."""
    return np.concatenate([arch.islands.to_crs(METRIC_CRS).geometry.values,
                           arch.other_land.to_crs(METRIC_CRS).geometry.values])


def land_clearance(land_m: np.ndarray) -> shapely.Geometry:
    """The land buffered by :data:`CLEARANCE_M`, merged and prepared: no sea stretch may touch it."""
    geom = shapely.union_all(shapely.buffer(land_m, CLEARANCE_M, quad_segs=2))
    shapely.prepare(geom)
    return geom


def build_network(arch: Archipelago, *, progress: Callable[[str], None] | None = None) -> TravelNetwork:
    """Build the travel network of ``arch`` (see the module docstring for the method)."""
    say = progress or (lambda _msg: None)
    islands_m = arch.islands.to_crs(METRIC_CRS)
    land = all_land_m(arch)

    say("obstacles")
    simple = shapely.simplify(land, SIMPLIFY_M, preserve_topology=True)
    obstacles = shapely.union_all(shapely.buffer(simple, OBSTACLE_BUFFER_M, quad_segs=2))
    obstacles = shapely.simplify(obstacles, 10.0, preserve_topology=True)
    obstacle_parts = list(getattr(obstacles, "geoms", [obstacles]))
    clearance = land_clearance(land)

    # convex corners of obstacle exteriors, with their ring neighbours (for tangency)
    say("shore corners")
    cx, cy, px, py, nx_, ny_ = [], [], [], [], [], []
    for poly in obstacle_parts:
        ring = shapely.geometry.polygon.orient(poly, 1.0).exterior  # counter-clockwise
        xy = np.asarray(ring.coords)[:-1]
        prev, nxt = np.roll(xy, 1, axis=0), np.roll(xy, -1, axis=0)
        cross = (xy[:, 0] - prev[:, 0]) * (nxt[:, 1] - xy[:, 1]) - (xy[:, 1] - prev[:, 1]) * (nxt[:, 0] - xy[:, 0])
        convex = cross > 0
        cx.append(xy[convex, 0]); cy.append(xy[convex, 1])
        px.append(prev[convex, 0]); py.append(prev[convex, 1])
        nx_.append(nxt[convex, 0]); ny_.append(nxt[convex, 1])
    corner = np.column_stack([np.concatenate(cx), np.concatenate(cy)])
    corner_prev = np.column_stack([np.concatenate(px), np.concatenate(py)])
    corner_next = np.column_stack([np.concatenate(nx_), np.concatenate(ny_)])

    say("open-water grid")
    to_m = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    w, s, e, n = BOUNDS
    (x0, x1), (y0, y1) = to_m.transform([w, e], [s, s])[0], to_m.transform([w, w], [s, n])[1]
    gx, gy = np.meshgrid(np.arange(min(x0, x1), max(x0, x1), GRID_STEP_M), np.arange(y0, y1, GRID_STEP_M))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    shore = shapely.union_all(shapely.buffer(simple, GRID_MIN_SHORE_M, quad_segs=2))
    shapely.prepare(shore)
    mainland_box = shapely.box(*to_m.transform(w + 0.05, s + 0.05), *to_m.transform(e - 0.05, n - 0.05))
    keep = ~shapely.intersects(shore, shapely.points(grid)) & shapely.within(shapely.points(grid), mainland_box)
    grid = grid[keep]

    # land nodes: stations, service points and piers
    say("landings")
    st = arch.stations.to_crs(METRIC_CRS)
    pr = arch.piers.to_crs(METRIC_CRS)
    land_xy = np.vstack([np.column_stack([st.geometry.x, st.geometry.y]),
                         np.column_stack([pr.geometry.x, pr.geometry.y]).reshape(-1, 2)])
    land_island = np.concatenate([st.island_id.to_numpy(dtype=object), pr.island_id.to_numpy(dtype=object)])
    land_label = np.concatenate([st.id.to_numpy(dtype=object), pr.id.to_numpy(dtype=object)])
    tree_obs = shapely.STRtree(obstacle_parts)
    landing_xy = np.empty_like(land_xy)
    for i, (x, y) in enumerate(land_xy):
        p = shapely.Point(x, y)
        part = obstacle_parts[int(tree_obs.nearest(p))]
        ring = part.exterior
        landing_xy[i] = np.asarray(ring.interpolate(ring.project(p)).coords[0])
    landing_xy[: len(st)] = _station_landings(land_xy, landing_xy, land_island, len(st))

    # bridge ends
    bridges = read_bridges(arch.source)
    b_rows = []
    for _, b in bridges.iterrows():
        try:
            ia, ib = arch.island(b["island_a"]).id, arch.island(b["island_b"]).id
        except ValueError as exc:
            raise DataError("bridges.csv", f"bridge {b['name_zh']}: {exc}") from exc
        pa, pb = shapely.ops.nearest_points(islands_m.geometry[ia], islands_m.geometry[ib])
        b_rows.append((b["name_zh"], ia, ib, pa, pb, float(b["length_km"]) * 1000 if b["length_km"] else None))

    # ---- assemble node arrays: sea corners | grid | landings | land nodes | bridge ends
    n_c, n_g, n_l = len(corner), len(grid), len(land_xy)
    sea_xy = np.vstack([corner, grid, landing_xy])
    bridge_xy = np.array([[r[3].x, r[3].y] for r in b_rows] + [[r[4].x, r[4].y] for r in b_rows]).reshape(-1, 2)
    xy = np.vstack([sea_xy, land_xy, bridge_xy])
    kind = np.array(["sea"] * n_c + ["grid"] * n_g + ["landing"] * n_l + ["land"] * (n_l + len(bridge_xy)), dtype=object)
    island = np.array([""] * (n_c + n_g) + list(land_island) + list(land_island)
                      + [r[1] for r in b_rows] + [r[2] for r in b_rows], dtype=object)
    label = np.array([""] * (n_c + n_g) + [f"landing {x}" for x in land_label] + list(land_label)
                     + [f"{r[0]} ({arch.island(r[1]).name_zh} end)" for r in b_rows]
                     + [f"{r[0]} ({arch.island(r[2]).name_zh} end)" for r in b_rows], dtype=object)
    landing0, land0, bridge0 = n_c + n_g, n_c + n_g + n_l, n_c + n_g + 2 * n_l

    # ---- sea edges: candidate pairs within range, tangent, clear of land
    say(f"sea lanes ({len(sea_xy)} nodes)")
    pairs = cKDTree(sea_xy).query_pairs(MAX_EDGE_M, output_type="ndarray")
    pairs = pairs[_tangent(pairs, sea_xy, n_c, corner_prev, corner_next)]
    lines = shapely.linestrings(np.stack([sea_xy[pairs[:, 0]], sea_xy[pairs[:, 1]]], axis=1))
    clear = np.zeros(len(pairs), dtype=bool)
    for start in range(0, len(pairs), 200_000):
        say(f"sea lanes: {start}/{len(pairs)} candidates tested")
        clear[start:start + 200_000] = ~shapely.intersects(clearance, lines[start:start + 200_000])
    pairs, lines = pairs[clear], lines[clear]
    sea_len = geodesic_m(sea_xy[pairs[:, 0]], sea_xy[pairs[:, 1]])
    mids = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    shore_tree = shapely.STRtree(simple)
    _, mid_d = shore_tree.query_nearest(mids, return_distance=True, all_matches=False)
    big = simple[shapely.area(land) >= LARGE_ISLAND_M2]
    _, big_d = shapely.STRtree(big).query_nearest(mids, return_distance=True, all_matches=False)
    exposure = np.where((mid_d > OPEN_SEA_M) | (big_d > SHELTER_RANGE_M), "open", "sheltered")

    # ---- embark edges: land node -> its landing
    emb_u = np.arange(land0, land0 + n_l)
    emb_v = np.arange(landing0, landing0 + n_l)
    emb_len = geodesic_m(land_xy, landing_xy)

    # ---- roads: all pairs of land nodes on the same land mass
    say("roads and bridges")
    landmass = _landmasses(islands_m)
    land_nodes = np.arange(land0, len(xy))
    groups: dict[int, list[int]] = {}
    for node in land_nodes:
        groups.setdefault(landmass[island[node]], []).append(int(node))
    road = np.array([(a, b) for nodes in groups.values() for i, a in enumerate(nodes) for b in nodes[i + 1:]],
                    dtype=np.int64).reshape(-1, 2)
    road_len = geodesic_m(xy[road[:, 0]], xy[road[:, 1]])

    nb = len(b_rows)
    br_u = np.arange(bridge0, bridge0 + nb)
    br_v = np.arange(bridge0 + nb, bridge0 + 2 * nb)
    br_len = np.array([max(r[5] or 0.0, float(geodesic_m(np.array([[r[3].x, r[3].y]]), np.array([[r[4].x, r[4].y]]))[0]))
                       for r in b_rows])
    br_name = [r[0] for r in b_rows]

    say("ferry sailings")
    land_of = {str(lab): land0 + i for i, lab in enumerate(land_label)}
    fe = _ferry_edges(arch, pairs, sea_len, exposure, len(sea_xy), land_of, landing0, land0, emb_len, landmass)
    f_u, f_v, f_len, f_expo, f_name, ferry_ptr, ferry_nodes = fe

    u = np.concatenate([pairs[:, 0], emb_u, road[:, 0], br_u, f_u]).astype(np.int64)
    v = np.concatenate([pairs[:, 1], emb_v, road[:, 1], br_v, f_v]).astype(np.int64)
    length = np.concatenate([sea_len, emb_len, road_len, br_len, f_len])
    mode = np.array(["sea"] * len(pairs) + ["embark"] * n_l + ["road"] * len(road) + ["bridge"] * nb
                    + ["ferry"] * len(f_u), dtype=object)
    expo = np.concatenate([exposure, [""] * (n_l + len(road) + nb), f_expo]).astype(object)
    name = np.array([""] * (len(pairs) + n_l + len(road)) + br_name + f_name, dtype=object)

    to_ll = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
    mid_lon, mid_lat = to_ll.transform((xy[u, 0] + xy[v, 0]) / 2, (xy[u, 1] + xy[v, 1]) / 2)
    station_node = {str(sid): int(land0 + i) for i, sid in enumerate(land_label[:len(st)])}
    pier_node = {str(pid): int(land0 + len(st) + i) for i, pid in enumerate(land_label[len(st):])}
    sp = arch.stations[arch.stations.kind == "service_point"]
    island_node = {str(r.island_id): station_node[str(r.id)] for r in sp.itertuples()}
    for r in arch.light_stations.itertuples():
        island_node.setdefault(str(r.island_id), station_node[str(r.id)])
    say(f"done: {len(xy)} nodes, {len(u)} edges ({len(pairs)} sea lanes, {len(f_u)} ferry sailings)")
    return TravelNetwork(
        node_x=xy[:, 0], node_y=xy[:, 1], node_lon=np.asarray(lon), node_lat=np.asarray(lat),
        node_kind=kind, node_island=island, node_label=label,
        edge_u=u, edge_v=v, edge_len_m=length, edge_mode=mode, edge_exposure=expo, edge_name=name,
        edge_mid_lon=np.asarray(mid_lon), edge_mid_lat=np.asarray(mid_lat),
        ferry_ptr=ferry_ptr, ferry_nodes=ferry_nodes,
        station_node=station_node, island_node=island_node,
        landmass={k: int(v) for k, v in landmass.items()}, pier_node=pier_node,
    )


def _ferry_edges(arch: Archipelago, pairs: np.ndarray, sea_len: np.ndarray, exposure: np.ndarray, n_sea: int,
                 land_of: dict[str, int], landing0: int, land0: int, emb_len: np.ndarray,
                 landmass: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray, np.ndarray]:
    """One edge per scheduled sailing: the shortest sea path between its piers' landings."""
    ferries = arch.ferries
    if ferries.empty:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0), np.empty(0, dtype=object), [], np.zeros(1, dtype=np.int64), empty
    g = csr_array((np.concatenate([sea_len, sea_len]), (np.concatenate([pairs[:, 0], pairs[:, 1]]),
                                                         np.concatenate([pairs[:, 1], pairs[:, 0]]))),
                  shape=(n_sea, n_sea))
    open_sea = {(int(a), int(b)) for (a, b), e in zip(pairs, exposure) if e == "open"}
    landing = {pid: node - land0 + landing0 for pid, node in land_of.items()}
    sources = sorted({landing[p] for p in ferries.from_pier})
    dist, pred = dijkstra(g, directed=False, indices=sources, return_predecessors=True)
    row = {s: i for i, s in enumerate(sources)}
    pier_island = arch.piers.island_id

    def same_mass(a: str, b: str) -> bool:
        return landmass[pier_island[a]] == landmass[pier_island[b]]

    f_u, f_v, f_len, f_expo, paths = [], [], [], [], []
    for fid, f in ferries.iterrows():
        a, b = landing[f.from_pier], landing[f.to_pier]
        r = row[a]
        if not np.isfinite(dist[r, b]):
            raise DataError("ferries.csv", f"sailing {fid}: no sea path between piers {f.from_pier} and {f.to_pier}",
                            field="to_pier")
        path = [b]
        while path[-1] != a:
            path.append(int(pred[r, path[-1]]))
        path = path[::-1]
        steps = {(min(x, y), max(x, y)) for x, y in zip(path[:-1], path[1:])}
        ua, vb = land_of[f.from_pier], land_of[f.to_pier]
        if same_mass(f.from_pier, f.to_pier):
            raise DataError("ferries.csv", f"sailing {fid} joins two piers of one land mass ({f.from_pier}, "
                                           f"{f.to_pier}): the road between them is the link", field="to_pier")
        f_u.append(ua)
        f_v.append(vb)
        f_len.append(float(dist[r, b]) + emb_len[ua - land0] + emb_len[vb - land0])
        f_expo.append("open" if steps & open_sea else "sheltered")
        paths.append([ua, *path, vb])
    ptr = np.concatenate([[0], np.cumsum([len(p) for p in paths])]).astype(np.int64)
    return (np.array(f_u, dtype=np.int64), np.array(f_v, dtype=np.int64), np.array(f_len),
            np.array(f_expo, dtype=object), [str(i) for i in ferries.index], ptr,
            np.concatenate(paths).astype(np.int64))


_TO_LONLAT = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
_GEOD = Geod(ellps="WGS84")


def _station_landings(land_xy: np.ndarray, landing_xy: np.ndarray, island: np.ndarray, n_stations: int) -> np.ndarray:
    """Where each station's boats put to sea: the nearest pier of its island, if it has one.

    ``land_xy``/``landing_xy``/``island`` list the stations first, then the piers. A station on
    an island without a pier keeps the nearest point of the shore. Either way the way there is
    a road (charged at road speed), never a sea lane across the island.
    """
    out = landing_xy[:n_stations].copy()
    pier_island = island[n_stations:]
    for i in range(n_stations):
        mine = np.flatnonzero(pier_island == island[i])
        if len(mine):
            d = np.hypot(*(land_xy[n_stations + mine] - land_xy[i]).T)
            out[i] = landing_xy[n_stations + mine[int(np.argmin(d))]]
    return out


def geodesic_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Length on the WGS84 ellipsoid (m) of the straight segments between metric points ``a`` and ``b``.

    UTM distances are up to 0.04% short over the archipelago; edge lengths are true lengths.
    """
    alon, alat = _TO_LONLAT.transform(a[:, 0], a[:, 1])
    blon, blat = _TO_LONLAT.transform(b[:, 0], b[:, 1])
    return np.asarray(_GEOD.inv(alon, alat, blon, blat)[2], dtype=float).reshape(-1)


def _tangent(pairs: np.ndarray, xy: np.ndarray, n_corner: int, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """Keep pairs that are tangent at each end that is a shore corner."""
    ok = np.ones(len(pairs), dtype=bool)
    for end, other in ((0, 1), (1, 0)):
        a = pairs[:, end]
        is_corner = a < n_corner
        idx = a[is_corner]
        d = xy[pairs[is_corner, other]] - xy[idx]
        p = prev[idx] - xy[idx]
        q = nxt[idx] - xy[idx]
        s1 = d[:, 0] * p[:, 1] - d[:, 1] * p[:, 0]
        s2 = d[:, 0] * q[:, 1] - d[:, 1] * q[:, 0]
        ok[np.flatnonzero(is_corner)] &= (s1 * s2) >= 0
    return ok


def _landmasses(islands_m: gpd.GeoDataFrame) -> dict[str, int]:
    """Group island units that touch (the two parts of Zhoushan Island) into land masses."""
    geoms = islands_m.geometry.values
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="dwithin", distance=1.0)
    parent = list(range(len(geoms)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(a, b):
        ri, rj = find(int(i)), find(int(j))
        if ri != rj:
            parent[ri] = rj
    return {str(iid): find(k) for k, iid in enumerate(islands_m.index)}
