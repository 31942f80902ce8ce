"""The graph types of the travel network that both places and routing work on.

- :class:`OpenGraph`: the links open to one travel mode in one weather scenario, as sparse
  matrices of minutes and of edge ids (built by :meth:`islandcover.travel.routing.Router.open_graph`);
- :class:`AttachedGraph`: an open graph with query-time points (a boat at sea, a new site)
  joined to it (built by :mod:`islandcover.travel.places`);
- :class:`Place`: one end of a route, resolved (:func:`islandcover.travel.places.resolve_place`);
- :class:`NetworkView`: what the two need of the router (its network, parameters, land and
  names), so that :mod:`~islandcover.travel.places` need not import
  :mod:`~islandcover.travel.routing`, which imports it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy.sparse import csr_array

if TYPE_CHECKING:
    import shapely

    from islandcover.archipelago import Archipelago
    from islandcover.travel.network import TravelNetwork
    from islandcover.travel.vessels import TravelParameters

__all__ = ["AttachedGraph", "NetworkView", "OpenGraph", "Place"]


@dataclass(frozen=True)
class Place:
    """One end of a route.

    Attributes
    ----------
    ref : str
        What was asked for.
    kind : str
        ``island``, ``station``, ``pier``, ``point`` (on an island) or ``sea`` (a point at sea).
    label : str
        What it was resolved to, for people.
    lon, lat : float
        WGS84.
    node : int or None
        Its network node; None for a point attached at query time.
    island_id : str or None
        The island it is on (None at sea).
    """

    ref: str
    kind: str
    label: str
    lon: float
    lat: float
    node: int | None = None
    island_id: str | None = None


class NetworkView(Protocol):
    """What attaching points and reading paths need of a router (a :class:`~islandcover.travel.routing.Router`)."""

    arch: Archipelago
    net: TravelNetwork
    params: TravelParameters

    @property
    def clearance(self) -> shapely.Geometry:
        """All land, buffered, metric and prepared: stretches of sea must not touch it."""
        ...

    def node_label(self, node: int) -> str:
        """A readable name of a network node."""
        ...

    def via(self, edge: int) -> str:
        """What a bridge or sailing edge is called."""
        ...


@dataclass(frozen=True)
class OpenGraph:
    """The open graph of one travel mode under one weather scenario.

    Attributes
    ----------
    minutes : scipy.sparse.csr_array
        Directed travel minutes between nodes (only open links; one entry per node pair, the
        fastest of parallel links).
    edges : scipy.sparse.csr_array
        Same sparsity: the network edge id + 1 each entry comes from (negative ids are
        query-time links, see :class:`AttachedGraph`).
    ok : numpy.ndarray
        Boolean mask of open network edges.
    """

    minutes: csr_array
    edges: csr_array
    ok: np.ndarray

    @classmethod
    def build(cls, rows: np.ndarray, cols: np.ndarray, minutes: np.ndarray, ids: np.ndarray, n: int,
              ok: np.ndarray) -> OpenGraph:
        """From distinct (row, col) entries: one COO → CSR conversion, whose order carries both
        the minutes and the edge ids, so the two arrays share one sparsity structure."""
        order = csr_array((np.arange(1, len(rows) + 1, dtype=np.float64), (rows, cols)), shape=(n, n))
        order.sum_duplicates()
        if order.nnz != len(rows):  # a repeated (row, col) would have been summed: a bug, not bad input
            raise RuntimeError("OpenGraph.build needs distinct (row, col) entries")
        pos = order.data.astype(np.int64) - 1
        return cls(minutes=csr_array((minutes[pos], order.indices, order.indptr), shape=(n, n)),
                   edges=csr_array((ids[pos], order.indices, order.indptr), shape=(n, n)), ok=ok)

    def entry(self, a: int, b: int) -> tuple[float, int]:
        """(minutes, edge id code) of the entry a → b (fast: one row scan, no sparse indexing)."""
        lo, hi = self.minutes.indptr[a], self.minutes.indptr[a + 1]
        k = lo + int(np.flatnonzero(self.minutes.indices[lo:hi] == b)[0])
        return float(self.minutes.data[k]), int(self.edges.data[k])


@dataclass
class AttachedGraph:
    """An open graph with query-time points joined to it.

    Attributes
    ----------
    router : NetworkView
        Whose network it extends (a :class:`~islandcover.travel.routing.Router`).
    graph : OpenGraph
        Minutes and edge ids; query-time links carry negative edge ids ``-(k + 1)``.
    extra_xy : numpy.ndarray
        Metric (UTM 51N) position of each query-time node ``n_nodes + i``.
    extra_lonlat : numpy.ndarray
        Its WGS84 position.
    extra_label : list of str
        Its name.
    links : list of tuple
        Query-time link ``k``: (mode, km, the lane edge it depends on or -1).
    nodes : dict
        Place ref → node, for the places attached.
    """

    router: NetworkView
    graph: OpenGraph
    extra_xy: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    extra_lonlat: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    extra_label: list[str] = field(default_factory=list)
    links: list[tuple[str, float, int]] = field(default_factory=list)
    nodes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def plain(cls, router: NetworkView, graph: OpenGraph) -> AttachedGraph:
        """The open graph itself, with nothing attached."""
        return cls(router=router, graph=graph)

    def node_of(self, place: Place) -> int:
        """The node a place stands on."""
        return place.node if place.node is not None else self.nodes[place.ref]

    def _n(self) -> int:
        return int(self.router.net.n_nodes)

    def lonlat(self, node: int) -> list[float]:
        n = self._n()
        if node < n:
            net = self.router.net
            return [float(net.node_lon[node]), float(net.node_lat[node])]
        return [float(c) for c in self.extra_lonlat[node - n]]

    def label(self, node: int) -> str:
        n = self._n()
        return self.router.node_label(node) if node < n else self.extra_label[node - n]

    def network_edge(self, a: int, b: int) -> int | None:
        code = self.graph.entry(a, b)[1]
        return code - 1 if code > 0 else None

    def lane_of(self, a: int, b: int) -> int | None:
        code = self.graph.entry(a, b)[1]
        if code < 0 and self.links[-code - 1][2] >= 0:
            return self.links[-code - 1][2]
        return None

    def step(self, a: int, b: int) -> tuple[str, float, float, str, list[list[float]]]:
        """One step of a path: (leg mode, km, minutes, via, coordinates)."""
        r = self.router
        minutes, code = self.graph.entry(a, b)
        if code < 0:
            mode, km, _ = self.links[-code - 1]
            return mode, km, minutes, "", [self.lonlat(a), self.lonlat(b)]
        e = code - 1
        net = r.net
        raw = str(net.edge_mode[e])
        km = float(net.edge_len_m[e]) / 1000
        if raw == "ferry":
            path = [int(x) for x in net.ferry_path(e)]
            if path[0] != a:
                path = path[::-1]
            return "ferry", km, minutes, r.via(e), [self.lonlat(x) for x in path]
        if raw == "embark":  # by road between a station or pier and the water's edge
            leaving = int(net.edge_u[e]) == a
            return "road", km, minutes, "boarding and launch" if leaving else "", [self.lonlat(a), self.lonlat(b)]
        return raw, km, minutes, r.via(e) if raw == "bridge" else "", [self.lonlat(a), self.lonlat(b)]
