"""Search skeletons answer exactly what a full search answers, whenever they claim to serve.

Second method: scipy's Dijkstra on the whole graph of the scenario's open links.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from islandcover import Router, Weather
from islandcover.travel.graph import OpenGraph
from islandcover.travel.skeleton import Skeleton, SkeletonShelf


def _graph(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, ok: np.ndarray) -> OpenGraph:
    """An undirected network (edge k joins u[k], v[k]) as the open graph of the links in ``ok``."""
    e = np.flatnonzero(ok)
    rows, cols = np.concatenate([u[e], v[e]]), np.concatenate([v[e], u[e]])
    return OpenGraph.build(rows, cols, np.concatenate([w[e], w[e]]), np.concatenate([e, e]) + 1, n, ok)


@st.composite
def networks(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(4, 14))
    pairs = sorted({(a, b) for a, b in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                                                        min_size=3, max_size=40)) if a < b})
    if not pairs:
        pairs = [(0, 1)]
    u = np.array([a for a, _ in pairs])
    v = np.array([b for _, b in pairs])
    w = np.array(draw(st.lists(st.integers(1, 9), min_size=len(pairs), max_size=len(pairs))), dtype=float)
    return n, u, v, w


@settings(max_examples=150, deadline=None)
@given(net=networks(), data=st.data())
def test_a_serving_skeleton_gives_the_full_search_times(net: tuple, data: st.DataObject) -> None:
    n, u, v, w = net
    m = len(u)
    found_open = np.array(data.draw(st.lists(st.booleans(), min_size=m, max_size=m)))
    sources = sorted(set(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))))
    targets = np.array(sorted(set(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5)))))
    og = _graph(n, u, v, w, found_open)
    _, pred = dijkstra(og.minutes, directed=True, indices=sources, return_predecessors=True)
    sk = Skeleton.from_search(og, pred, sources, targets)
    # a scenario: close some of the links that were open
    closing = np.array(data.draw(st.lists(st.booleans(), min_size=m, max_size=m)))
    if data.draw(st.booleans()):  # half the scenarios spare the skeleton's own links
        closing[sk.edges] = False
    now_open = found_open & ~closing
    full = dijkstra(_graph(n, u, v, w, now_open).minutes, directed=True, indices=sources)
    assert sk.serves(now_open, sources) == bool(now_open[sk.edges].all())
    if sk.serves(now_open, sources):
        dist, pred_sk = sk.search()
        np.testing.assert_allclose(dist[:, targets], full[:, targets])
        for r, s in enumerate(sources):  # its routes are real routes of the scenario, of that length
            for t in targets[np.isfinite(dist[r, targets])]:
                node, length = int(t), 0.0
                while node != s:
                    prev = int(pred_sk[r, node])
                    assert now_open[int(og.entry(prev, node)[1]) - 1]
                    length += og.entry(prev, node)[0]
                    node = prev
                assert length == pytest.approx(dist[r, t])
    # the skeleton found under all the open links always serves that same scenario
    assert sk.serves(found_open, sources)


def test_a_skeleton_refuses_a_scenario_that_closes_one_of_its_links() -> None:
    # a square 0-1-2-3-0 with a long diagonal 0-2: from 0 to 2 the fast route is 0-1-2 (2 min)
    u, v, w = np.array([0, 1, 2, 3, 0]), np.array([1, 2, 3, 0, 2]), np.array([1.0, 1.0, 1.5, 1.5, 5.0])
    ok = np.ones(5, dtype=bool)
    og = _graph(4, u, v, w, ok)
    _, pred = dijkstra(og.minutes, directed=True, indices=[0], return_predecessors=True)
    sk = Skeleton.from_search(og, pred, [0], np.array([2]))
    assert sorted(sk.edges.tolist()) == [0, 1]
    assert sk.search()[0][0, 2] == 2.0
    shut_12 = ok.copy()
    shut_12[1] = False  # 1-2 closes: the route is now 0-3-2 (3 min), off the skeleton
    assert not sk.serves(shut_12, [0])
    shut_diag = ok.copy()
    shut_diag[4] = False  # the diagonal closes: the skeleton still holds
    assert sk.serves(shut_diag, [0])
    assert not sk.serves(ok, [1])  # other sources: not this skeleton
    shelf = SkeletonShelf(size=2)
    shelf.add("workboat", sk)
    assert shelf.find("workboat", shut_diag, [0]) is sk
    assert shelf.find("workboat", shut_12, [0]) is None
    assert shelf.find("fast", shut_diag, [0]) is None


def test_router_times_with_skeletons_match_a_fresh_full_search(arch, net) -> None:
    warm = Router(arch, net)
    warm.travel_times(Weather.uniform(0))  # leaves the calm skeletons
    for w in (4, 6, 7, 5, 9):  # calm-like, then open-sea lanes shut, then back
        got = warm.travel_times(Weather.uniform(w))
        want = Router(arch, net).travel_times(Weather.uniform(w))
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), equal_nan=True)
        assert got.index.equals(want.index) and got.columns.equals(want.columns)
