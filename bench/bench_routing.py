#!/usr/bin/env python3
"""Benchmark of routing (issue 3): this code vs plain networkx on the same graph, one run.

1. Nearest team for every powered island (k=3, wind 5): islandcover's Router (one
   multi-source scipy Dijkstra per vessel class, paths from predecessors) vs networkx
   ``dijkstra_path`` per (team, island) query on the same directed graph. The networkx
   baseline is timed on ``--sample`` islands and reported per query and extrapolated to all
   islands (timing all of it takes many minutes).
2. Scenario recompute: all team → island travel times for a new wind: a full search (fresh
   Router) vs a warm Router whose calm search left search skeletons (issue 19, goal < 30 ms in
   calm weather), and the full search vs networkx ``single_source_dijkstra_path_length`` per
   team station.
3. A route between two places (``Router.route``, query-time points included) vs networkx
   ``dijkstra_path`` on the same open graph.
4. The link status board (which islands each closure isolates, by merging connected
   components) vs recomputing every mode's connected components with each closed link reopened.
5. Nearest team with every team at a live position (issue 16: on another island, at a pier, or
   a boat at sea) vs every team at its station (section 1's figure), same run: the goal is
   within 2x.

Run: ``python bench/bench_routing.py [--sample 3]``. Prints ratios (baseline / ours).
"""
from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import networkx as nx
import numpy as np

from islandcover import Archipelago, Config, Router, Weather, load_network


def nx_graph(router: Router, vessel: str, weather: Weather) -> nx.DiGraph:
    g, _ = router.graph(vessel, weather)
    coo = g.tocoo()
    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    return G


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=3, help="islands for the networkx baseline")
    args = ap.parse_args()
    arch = Archipelago.load()
    t = time.perf_counter()
    net = load_network(arch, cache_dir=Config.from_env().cache_dir)
    print(f"network: {net.n_nodes} nodes, {net.n_edges} edges, loaded in {time.perf_counter() - t:.2f} s")
    islands = [i for i in arch.powered.index if i in net.island_node]
    weather = Weather.uniform(5)

    # 1. nearest for all powered islands
    runs = []
    for _ in range(3):
        router = Router(arch, net)  # fresh: includes the scenario's Dijkstra
        t = time.perf_counter()
        for iid in islands:
            router.nearest(iid, weather, k=3)
        runs.append(time.perf_counter() - t)
    ours = statistics.median(runs)
    router = Router(arch, net)
    graphs = {v: nx_graph(router, v, weather) for v in arch.teams.boat_class.unique()}
    teams = arch.teams[arch.teams.status == "available"]
    sample = islands[: args.sample]
    t = time.perf_counter()
    n_q = 0
    for iid in sample:
        target = net.island_node[iid]
        etas = []
        for tid, row in teams.iterrows():
            src = net.station_node[row.station_id]
            try:
                path = nx.dijkstra_path(graphs[row.boat_class], src, target, weight="weight")
                etas.append((nx.path_weight(graphs[row.boat_class], path, "weight"), tid))
            except nx.NetworkXNoPath:
                pass
            n_q += 1
        sorted(etas)[:3]
    base_per_q = (time.perf_counter() - t) / n_q
    base_all = base_per_q * len(teams) * len(islands)
    print(f"\nnearest (k=3, wind 5) for {len(islands)} islands × {len(teams)} teams")
    print(f"  islandcover Router          : {ours * 1000:8.1f} ms  ({ours / len(islands) * 1000:.2f} ms per island)")
    print(f"  networkx dijkstra_path      : {base_all:8.1f} s   ({base_per_q * 1000:.1f} ms per query, "
          f"measured on {n_q} queries, extrapolated)")
    print(f"  ratio networkx / islandcover: {base_all / ours:8.0f}×")

    # 2. scenario recompute: a full search (a fresh router) vs a warm router, whose calm-weather
    # search left skeletons (islandcover.travel.skeleton) and which forgot every scenario since
    winds = (0, 3, 4, 5, 6, 7, 8)
    full, warm_t, served, peak_full, peak_warm = {}, {}, {}, {}, {}
    warm = Router(arch, net)
    warm.travel_times(Weather.uniform(0))
    for w in winds:
        runs_full, runs_warm = [], []
        for k in range(3):
            router = Router(arch, net)
            t = time.perf_counter()
            tt = router.travel_times(Weather.uniform(w))
            runs_full.append(time.perf_counter() - t)
            warm.forget_scenarios()
            n_before = warm.skeleton_count()
            t = time.perf_counter()
            warm.travel_times(Weather.uniform(w))
            runs_warm.append(time.perf_counter() - t)
            if k == 0:
                served[w] = warm.skeleton_count() == n_before
        full[w], warm_t[w] = statistics.median(runs_full), statistics.median(runs_warm)
        # peak memory allocated during one recompute of each kind (tracemalloc counts numpy's buffers)
        router = Router(arch, net)
        tracemalloc.start()
        router.travel_times(Weather.uniform(w))
        peak_full[w] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        warm.forget_scenarios()
        tracemalloc.start()
        warm.travel_times(Weather.uniform(w))
        peak_warm[w] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(f"\nscenario recompute, all team → island times ({tt.shape[0]} × {tt.shape[1]}), median of 3 per wind")
    print("  wind  full search (fresh router)  warm router (skeletons)  ratio  peak MB full / warm  first visit")
    for w in winds:
        print(f"  {w:4d}  {full[w] * 1000:20.1f} ms  {warm_t[w] * 1000:19.1f} ms  {full[w] / warm_t[w]:5.1f}x  "
              f"{peak_full[w] / 2**20:8.1f} / {peak_warm[w] / 2**20:5.1f}  "
              f"{'on a skeleton' if served[w] else 'in full (left a skeleton for the next two)'}")
    print(f"  calm (wind 0): {warm_t[0] * 1000:.1f} ms warm (goal < 30 ms), {full[0] / warm_t[0]:.1f}x the full search")
    ours_rec = statistics.median(full.values())
    t = time.perf_counter()
    for v, group in teams.groupby("boat_class"):
        G = nx_graph(router, v, Weather.uniform(6))
        for sid in group.station_id.unique():
            nx.single_source_dijkstra_path_length(G, net.station_node[sid], weight="weight")
    base_rec = time.perf_counter() - t
    print(f"  islandcover full search (median)      : {ours_rec * 1000:8.1f} ms  (goal < 200 ms)")
    print(f"  networkx single_source per station    : {base_rec * 1000:8.1f} ms  (graph build excluded)")
    print(f"  ratio networkx / islandcover          : {base_rec / ours_rec:8.1f}×")

    # 3. route between two places (a point at sea attached at query time), ferry and own boat
    pairs = [("ST-03", "东福山岛", "ferry"), ("ST-01", "122.5,30.3", "fast"), ("P-01", "泗礁山", "workboat")]
    router = Router(arch, net)
    for a, b, v in pairs:
        router.route(a, b, v, weather)  # warm the scenario's graph
    t = time.perf_counter()
    for _ in range(5):
        for a, b, v in pairs:
            router.route(a, b, v, weather)
    ours_route = (time.perf_counter() - t) / (5 * len(pairs))
    t = time.perf_counter()
    for a, b, v in pairs[::2]:  # node-to-node pairs only (networkx has no query-time points)
        from islandcover.travel.places import resolve_place

        G = nx_graph(router, v, weather)
        na, nb = resolve_place(router, a, v).node, resolve_place(router, b, v).node
        nx.dijkstra_path(G, na, nb, weight="weight")
    base_route = (time.perf_counter() - t) / 2
    print(f"\nroute between two places (wind 5), mean of {5 * len(pairs)} queries")
    print(f"  islandcover Router.route              : {ours_route * 1000:8.1f} ms per route")
    print(f"  networkx dijkstra_path (graph built)  : {base_route * 1000:8.1f} ms per route")
    print(f"  ratio networkx / islandcover          : {base_route / ours_route:8.1f}×")

    # 4. link status board: the islands each closure isolates
    from islandcover import LinkBoard

    board = LinkBoard(Router(arch, net))
    w8 = Weather.uniform(8)
    board.status(w8)
    t = time.perf_counter()
    b = board.status(w8)
    ours_board = time.perf_counter() - t
    r = board.router
    closed = [x for x in b.links if x.status != "open"]
    t = time.perf_counter()
    for x in closed:  # baseline: recompute every mode's components with the link reopened
        edges = (board.groups[x.id] if x.kind == "sea lanes" else
                 np.flatnonzero(net.edge_name == x.id))
        labels = {}
        for mode in sorted(set(arch.teams.boat_class)):
            ok = r.open_edges(mode, w8).copy()
            ok[edges[r.limits(mode)[edges] >= 0]] = True
            u, v = net.edge_u[ok], net.edge_v[ok]
            from scipy.sparse import csr_array
            from scipy.sparse.csgraph import connected_components

            g = csr_array((np.ones(len(u)), (u, v)), shape=(net.n_nodes, net.n_nodes))
            labels[mode] = connected_components(g, directed=False)[1]
        r.cutoff_given(lambda m: labels[m])
    base_board = time.perf_counter() - t
    print(f"\nlink board at wind 8: {len(b.links)} links, {len(closed)} not open, {len(b.cut_off)} islands cut off")
    print(f"  islandcover LinkBoard.status (component merge)     : {ours_board * 1000:8.1f} ms")
    print(f"  full connected_components per closed link and mode : {base_board * 1000:8.1f} ms")
    print(f"  ratio                                              : {base_board / ours_board:8.1f}×")
    # 5. nearest with the teams where they are (not at their stations)
    from islandcover.situation import Situation, TeamNow

    rng = np.random.default_rng(0)
    places = [("island", str(i)) for i in islands] + [("pier", str(p_)) for p_ in arch.piers.index]
    at_sea = iter(["122.50000,30.30000", "122.60000,30.20000", "122.30000,29.80000"])  # 岱衢洋, 东极, 虾峙门
    moved = {}
    for tid, row in arch.teams.iterrows():
        kind, ref = places[int(rng.integers(len(places)))]
        if row.boat_class != "ferry":  # the first own boats are out at sea
            ref = next(at_sea, None) or ref
            kind = "point" if ref.count(",") else kind
        moved[str(tid)] = TeamNow(str(tid), "available", kind, ref)
    sit = Situation(teams=moved)
    runs_live = []
    for _ in range(3):
        router = Router(arch, net)
        t = time.perf_counter()
        for iid in islands:
            router.nearest(iid, weather, k=3, situation=sit)
        runs_live.append(time.perf_counter() - t)
    live = statistics.median(runs_live)
    kinds = {k: sum(t_.at_kind == k for t_ in moved.values()) for k in ("island", "pier", "point")}
    print(f"\nnearest (k=3, wind 5) for {len(islands)} islands, every team at a live position {kinds}")
    print(f"  teams at their stations (section 1)   : {ours * 1000:8.1f} ms")
    print(f"  teams where they are                  : {live * 1000:8.1f} ms")
    print(f"  ratio live / stations                 : {live / ours:8.2f}×  (goal ≤ 2×)")
    assert np.isfinite(ours)


if __name__ == "__main__":
    main()
