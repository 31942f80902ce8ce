"""Search skeletons: the few links the teams' fastest routes use, for scenario recomputes in milliseconds.

The travel network has ~21,000 nodes and ~280,000 links, but the fastest routes from the teams'
stations to the powered islands use a few thousand of them. A *skeleton* is the union of those
routes (the predecessor trees of one full multi-source search, cut down to the branches that end
at an island), found under one set of open links ``O``.

It answers another scenario exactly when that scenario's open links ``W`` satisfy
``S ⊆ W ⊆ O`` (``S``: the skeleton's links):

- closing links never shortens a route, so every station → island time under ``W`` is at least
  its time under ``O``;
- the skeleton holds a fastest ``O``-route for every pair, all open under ``W``, so the search on
  the skeleton finds a route no slower than the ``O`` time, and every skeleton route is a route
  of ``W``.

So the times are equal, and the skeleton's routes are fastest routes of ``W`` (ties may be broken
differently from a full search). Only the times *at island nodes* are answers: other nodes off
the skeleton read as unreachable. A skeleton found in calm weather (all links open) serves every
scenario that leaves its few thousand links open, whatever else closes; a scenario that shuts
one of them is searched in full and leaves a skeleton of its own.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from islandcover._plumbing import LRUCache
from islandcover.travel.graph import OpenGraph

__all__ = ["SKELETON_VERSION", "Skeleton", "SkeletonShelf"]

#: Bump when the kept file's layout or the skeletons' meaning changes.
SKELETON_VERSION = "2"


@dataclass(frozen=True)
class Skeleton:
    """The links of the fastest station → island routes under one set of open links.

    Attributes
    ----------
    open : numpy.ndarray
        Boolean mask of the network edges open when it was found (``O``).
    edges : numpy.ndarray
        Network edge ids it uses (``S``).
    nodes : numpy.ndarray
        The network nodes it touches, sorted (its own node ``k`` is network node ``nodes[k]``).
    minutes : scipy.sparse.csr_array
        The routes' directed links (minutes), between its own nodes.
    sources : tuple of int
        The station nodes it was found from.
    n_nodes : int
        Nodes of the whole network.
    links : OpenGraph
        Its links over all network nodes, minutes and edge ids: what a route found on it is read
        from (:class:`islandcover.travel.graph.AttachedGraph`).
    """

    open: np.ndarray
    edges: np.ndarray
    nodes: np.ndarray
    minutes: csr_array
    sources: tuple[int, ...]
    n_nodes: int
    links: OpenGraph

    def search(self) -> tuple[np.ndarray, np.ndarray]:
        """Minutes and predecessors from each source (rows), over all network nodes; exact at
        the targets it was found for, unreachable (inf, no predecessor) off the skeleton."""
        src = np.searchsorted(self.nodes, self.sources)
        d, p = dijkstra(self.minutes, directed=True, indices=src, return_predecessors=True)
        dist = np.full((len(src), self.n_nodes), np.inf)
        pred = np.full((len(src), self.n_nodes), -9999, dtype=p.dtype)
        dist[:, self.nodes] = d
        pred[:, self.nodes] = np.where(p >= 0, self.nodes[np.maximum(p, 0)], -9999)
        return dist, pred

    def serves(self, ok: np.ndarray, sources: Sequence[int]) -> bool:
        """Whether it answers a scenario with open links ``ok`` from ``sources`` exactly
        (same sources, its links all open, nothing open that was closed when it was found)."""
        return (tuple(sources) == self.sources and bool(ok[self.edges].all())
                and not bool((ok & ~self.open).any()))

    @classmethod
    def from_search(cls, graph: OpenGraph, pred: np.ndarray, sources: Sequence[int],
                    targets: np.ndarray) -> Skeleton:
        """Cut the predecessor trees of a full search down to the branches that reach ``targets``.

        Parameters
        ----------
        graph : OpenGraph
            The open graph the search ran on.
        pred : numpy.ndarray
            Its predecessors, one row per source (negative: none).
        sources : sequence of int
            The source node of each row.
        targets : numpy.ndarray
            Nodes whose routes must be kept (the islands' service points).
        """
        n = graph.minutes.shape[0]
        heads, tails = [], []
        for row in pred:
            on = np.zeros(n, dtype=bool)
            frontier = targets[row[targets] >= 0]
            while frontier.size:
                on[frontier] = True
                parent = row[frontier]
                parent = parent[parent >= 0]
                frontier = np.unique(parent[~on[parent]])
            v = np.flatnonzero(on)
            u = row[v]
            keep = u >= 0
            heads.append(u[keep])
            tails.append(v[keep])
        a = np.concatenate(heads) if heads else np.empty(0, dtype=np.int64)
        b = np.concatenate(tails) if tails else np.empty(0, dtype=np.int64)
        key = np.unique(a.astype(np.int64) * n + b)
        a, b = key // n, key % n
        g = graph.minutes
        if not g.has_sorted_indices:  # OpenGraph.build sorts them; the lookup below relies on it
            raise ValueError("Skeleton.from_search needs an open graph with sorted indices")
        entry_key = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr)) * n + g.indices
        at = np.searchsorted(entry_key, key)  # every tree link is an entry of the graph
        minutes = g.data[at]
        codes = graph.edges.data[at].astype(np.int64)
        return cls.of_links(graph.ok.copy(), a, b, minutes, codes, sources, n)

    @classmethod
    def of_links(cls, opened: np.ndarray, a: np.ndarray, b: np.ndarray, minutes: np.ndarray, codes: np.ndarray,
                 sources: Sequence[int], n: int) -> Skeleton:
        """From its distinct directed links ``a → b`` (minutes, edge id + 1 of each)."""
        nodes = np.unique(np.concatenate([a, b, np.asarray(sources, dtype=np.int64)]))
        k = len(nodes)
        own = csr_array((minutes, (np.searchsorted(nodes, a), np.searchsorted(nodes, b))), shape=(k, k))
        links = OpenGraph.build(a, b, minutes, codes, n, opened)
        return cls(open=opened, edges=np.unique(codes - 1), nodes=nodes, minutes=own,
                   sources=tuple(int(s) for s in sources), n_nodes=n, links=links)


class SkeletonShelf:
    """The skeletons found so far, per travel mode (the most recent ``size`` of each).

    Parameters
    ----------
    size : int
        Skeletons kept per mode.
    """

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._by_mode: dict[str, LRUCache[int, Skeleton]] = {}
        self._count = 0
        self._seq = 0

    @property
    def added(self) -> int:
        """How many skeletons were found by this process (each one is a scenario searched in full);
        those read from a file do not count."""
        return self._count

    def save(self, path: Path) -> None:
        """Write every skeleton kept to an ``.npz`` file (atomically)."""
        arrays: dict[str, np.ndarray] = {}
        k = 0
        for mode, shelf in self._by_mode.items():
            for _, sk in shelf.items():
                coo = sk.links.minutes.tocoo()
                arrays.update({f"{k}_mode": np.array(mode), f"{k}_open": np.packbits(sk.open),
                               f"{k}_n_open": np.array(len(sk.open)), f"{k}_a": coo.row.astype(np.int64),
                               f"{k}_b": coo.col.astype(np.int64), f"{k}_minutes": coo.data,
                               f"{k}_codes": np.asarray(sk.links.edges[coo.row, coo.col]).ravel().astype(np.int64),
                               f"{k}_sources": np.array(sk.sources, dtype=np.int64),
                               f"{k}_n_nodes": np.array(sk.n_nodes)})
                k += 1
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, count=np.array(k), **arrays)
        os.replace(tmp, path)

    def load(self, path: Path) -> int:
        """Add the skeletons of a file written by :meth:`save`; how many (0 when it cannot be read)."""
        try:
            with np.load(path, allow_pickle=False) as z:
                for k in range(int(z["count"])):
                    opened = np.unpackbits(z[f"{k}_open"], count=int(z[f"{k}_n_open"])).astype(bool)
                    self._put(str(z[f"{k}_mode"]), Skeleton.of_links(
                        opened, z[f"{k}_a"], z[f"{k}_b"], z[f"{k}_minutes"], z[f"{k}_codes"],
                        [int(x) for x in z[f"{k}_sources"]], int(z[f"{k}_n_nodes"])))
                return int(z["count"])
        except (OSError, ValueError, KeyError):
            return 0  # no file yet, or a damaged one: searched in full, and written again

    def find(self, mode: str, ok: np.ndarray, sources: Sequence[int]) -> Skeleton | None:
        """A skeleton that answers a scenario with open links ``ok`` exactly, if one is kept."""
        shelf = self._by_mode.get(mode)
        if shelf is None:
            return None
        for key, sk in reversed(shelf.items()):  # most recent first
            if sk.serves(ok, sources):
                return shelf.get(key, lambda: sk)  # marks it recently used
        return None

    def add(self, mode: str, skeleton: Skeleton) -> None:
        """Keep a skeleton just found (the least recently used one of the mode goes when full)."""
        self._count += 1
        self._put(mode, skeleton)

    def _put(self, mode: str, skeleton: Skeleton) -> None:
        self._seq += 1
        self._by_mode.setdefault(mode, LRUCache(self.size)).get(self._seq, lambda: skeleton)
