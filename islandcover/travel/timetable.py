"""When the scheduled boats leave, and searches that wait for them.

Most ferry routes publish no timetable we could source (``data/islands/sailings.csv`` says
which do, and how well): a route with rows there leaves only at its departures (Beijing time,
on the days given), and a team reaching its pier waits for the next one; a route without rows
is modelled as before, leaving when the team arrives, and answers say so.

:func:`timed_search` is Dijkstra's search with time-dependent costs on the scheduled sailings:
an edge's cost is the wait for its next departure plus its travel time. Waiting for a later
boat never lets a team arrive earlier (first-in, first-out), so the search stays exact.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_array

from islandcover.clock import BEIJING
from islandcover.io.ferries import read_sailings

__all__ = ["Timetable", "timed_search"]

#: How many days ahead a search looks for the next sailing.
_HORIZON_DAYS = 8


@dataclass(frozen=True)
class _Schedule:
    departures: tuple[int, ...]  # minutes after midnight, Beijing time
    weekdays: tuple[int, ...]
    boarding_min: float
    kind: str
    confidence: str


class Timetable:
    """The published departures of the scheduled boats of a data folder.

    Parameters
    ----------
    folder : path
        A data folder; without ``sailings.csv`` no route has a timetable.
    ferry_ids : pandas.Index
        The routes of ``ferries.csv``.
    """

    def __init__(self, folder: str | Path, ferry_ids: pd.Index) -> None:
        path = Path(folder) / "sailings.csv"
        table = read_sailings(path, ferry_ids) if path.exists() else pd.DataFrame(
            columns=["route_id", "direction", "departures", "weekdays", "boarding_min", "kind", "confidence"])
        self._by: dict[tuple[str, str], _Schedule] = {
            (str(r.route_id), str(r.direction)): _Schedule(tuple(r.departures), tuple(r.weekdays),
                                                           float(r.boarding_min), str(r.kind), str(r.confidence))
            for r in table.itertuples(index=False)}

    def __bool__(self) -> bool:
        return bool(self._by)

    def has(self, route_id: str, direction: str) -> bool:
        """Whether the route publishes departures in this direction (``out`` or ``back``)."""
        return (route_id, direction) in self._by

    def describe(self, route_id: str, direction: str) -> str:
        """How the departures of a route are known: ``timetable (L)``, ``first-last-headway (H)`` or ``none``."""
        s = self._by.get((route_id, direction))
        return "no published timetable" if s is None else f"{s.kind} ({s.confidence})"

    def next_departure(self, route_id: str, direction: str, ready: datetime) -> datetime | None:
        """The first departure at or after ``ready`` plus the boarding time (aware), or None when
        the route publishes no timetable in this direction or none leaves within 8 days."""
        s = self._by.get((route_id, direction))
        if s is None:
            return None
        t = (ready + timedelta(minutes=s.boarding_min)).astimezone(BEIJING)
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        for k in range(_HORIZON_DAYS):
            d = day + timedelta(days=k)
            if d.weekday() not in s.weekdays:
                continue
            for m in s.departures:
                dep = d + timedelta(minutes=m)
                if dep >= t:
                    return dep
        return None


def timed_search(minutes: csr_array, edges: csr_array, source: int, start: datetime,
                 wait: Callable[[int, int, datetime], float | None]) -> tuple[np.ndarray, np.ndarray]:
    """Earliest arrival from ``source`` leaving at ``start``, with waits on scheduled edges.

    Parameters
    ----------
    minutes, edges : scipy.sparse.csr_array
        The open graph: travel minutes, and the edge id + 1 of each entry (negative: a
        query-time link).
    source : int
        The start node.
    start : datetime
        When the team leaves (aware).
    wait : callable
        ``wait(edge, from_node, at)``: minutes to wait at ``from_node`` for ``edge`` when there
        at ``at``; 0 for an edge without a timetable; None when it does not leave again
        (within the horizon).

    Returns
    -------
    (dist, pred) : numpy.ndarray
        Minutes from ``start`` to every node (inf where unreachable) and the predecessor of each
        (−9999 for none), as :func:`scipy.sparse.csgraph.dijkstra` returns them.
    """
    n = minutes.shape[0]
    dist = np.full(n, np.inf)
    pred = np.full(n, -9999, dtype=np.int64)
    dist[source] = 0.0
    indptr, indices, cost, ids = minutes.indptr, minutes.indices, minutes.data, edges.data
    heap = [(0.0, source)]
    done = np.zeros(n, dtype=bool)
    while heap:
        d, u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        at = None
        for k in range(indptr[u], indptr[u + 1]):
            v = int(indices[k])
            if done[v]:
                continue
            code = int(ids[k])
            extra = 0.0
            if code > 0:
                if at is None:
                    at = start + timedelta(minutes=d)
                w = wait(code - 1, u, at)
                if w is None:
                    continue
                extra = w
            nd = d + extra + float(cost[k])
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = u
                heapq.heappush(heap, (nd, v))
    return dist, pred
