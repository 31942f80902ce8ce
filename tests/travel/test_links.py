"""The link status board (issue 7): statuses, reasons, the islands each closure isolates."""
from __future__ import annotations

import json
from collections import deque

import numpy as np
import pytest

from islandcover.cli import main
from islandcover.travel.links import LinkBoard, limits_table
from islandcover.travel.routing import Router
from islandcover.travel.vessels import load_parameters
from islandcover.travel.weather import Weather


@pytest.fixture(scope="module")
def board(router):
    return LinkBoard(router)


def _by_id(b):
    return {x.id: x for x in b.links}


def test_calm_weather_everything_is_open(board):
    b = board.status(Weather.uniform(0))
    assert all(x.status == "open" for x in b.links) and not b.cut_off
    kinds = {x.kind for x in b.links}
    assert kinds == {"sea lanes", "ferry", "bridge"}


def test_every_link_is_on_the_board(board, router, arch):
    links = _by_id(board.status(Weather.uniform(5)))
    assert set(arch.ferries.index) <= set(links)
    assert set(router.net.edge_name[router.net.edge_mode == "bridge"]) <= set(links)
    lanes = [x for x in links.values() if x.kind == "sea lanes"]
    assert sum(x.lanes_total for x in lanes) == int((router.net.edge_mode == "sea").sum())
    named = {x.id.split("/")[0] for x in lanes}
    assert {"岱衢洋", "莲花洋", "西堠门"} <= named


def test_force_9_closes_the_sea_but_not_the_bridges(board):
    b = board.status(Weather.uniform(9))
    links = _by_id(b)
    assert links["西堠门大桥"].status == "open" and links["西堠门大桥"].limit_bft == 9
    lanes = [x for x in b.links if x.kind == "sea lanes"]
    assert all(x.status == "closed" for x in lanes)  # a workboat sails up to 7 sheltered, 6 open
    assert links["岱衢洋/open"].reason == "wind 9 > limit 6 for workboat on open-sea lanes of 岱衢洋"
    assert all(x.status == "closed" for x in b.links if x.kind == "ferry")  # ferries sail up to 8


def test_reason_of_a_suspended_sailing_names_wind_and_limit(board):
    x = _by_id(board.status(Weather.uniform(6)))["F-33"]
    assert x.status == "closed" and x.reason == "wind 6 > limit 5 for high-speed boats on this crossing"


def test_a_bridge_with_its_own_lower_limit_isolates_jintang(arch, net, tmp_path):
    """金塘 joins the rest of the archipelago only by 西堠门大桥 (and by sea, shut at 9)."""
    cfg = tmp_path / "travel.toml"
    cfg.write_text('[bridges."西堠门大桥"]\nmax_wind = 8\n', encoding="utf-8")
    board = LinkBoard(Router(arch, net, load_parameters(cfg)))
    b = board.status(Weather.uniform(9))
    x = _by_id(b)["西堠门大桥"]
    assert x.status == "closed" and x.reason == "wind 9 > bridge limit 8"
    jintang = arch.island("金塘岛").id
    assert jintang in {c.id for c in b.cut_off}
    assert x.isolates == [jintang]
    assert {"kind": "bridge", "name": "西堠门大桥", "limit": 8} in limits_table(board.router)


def _bfs(adj, starts):
    seen, todo = set(starts), deque(starts)
    while todo:
        x = todo.popleft()
        for y in adj.get(x, ()):
            if y not in seen:
                seen.add(y)
                todo.append(y)
    return seen


def _cut_off_brute_force(router, weather, reopen=()):
    """Cut-off islands by plain BFS from each team's station over the open edges (``reopen`` forced open)."""
    net, arch = router.net, router.arch
    teams = arch.teams[arch.teams.status == "available"]
    reached = []  # (nodes reached, home island) per team
    idx = np.asarray(list(reopen), dtype=np.int64)
    for mode, group in teams.groupby("boat_class"):
        ok = router.open_edges(mode, weather).copy()
        if len(idx):
            ok[idx[router.limits(mode)[idx] >= 0]] = True
        adj: dict[int, list[int]] = {}
        for a, b in zip(net.edge_u[ok].tolist(), net.edge_v[ok].tolist()):
            adj.setdefault(a, []).append(b)
            adj.setdefault(b, []).append(a)
        done: list[set[int]] = []
        for sid in group.station_id:
            start = net.station_node[sid]
            seen = next((d for d in done if start in d), None) or _bfs(adj, [start])
            done.append(seen)
            reached.append((seen, arch.stations.at[sid, "island_id"]))
    return {iid for iid in arch.powered.index
            if not any(net.island_node[iid] in seen and home != iid for seen, home in reached)}


@pytest.mark.parametrize("wind", [7, 9])
def test_isolates_agree_with_a_brute_force_reopening(board, router, wind):
    weather = Weather.uniform(wind)
    b = board.status(weather)
    now = _cut_off_brute_force(router, weather)
    assert {c.id for c in b.cut_off} == now
    checked = 0
    for x in b.links:
        if x.status == "open" or x.kind == "sea lanes" and x.lanes_total > 20_000:
            continue  # the big open-sea groups: one BFS per team over 290k lanes is too slow here
        if x.kind == "sea lanes":
            edges = board.groups[x.id]
        elif x.kind == "ferry":
            edges = np.flatnonzero(router.net.edge_name == x.id)
        else:
            edges = np.flatnonzero((router.net.edge_mode == "bridge") & (router.net.edge_name == x.id))
        shut = edges[router.edge_wind(weather)[edges] > x.limit_bft]
        assert set(x.isolates) == now - _cut_off_brute_force(router, weather, shut), x.id
        checked += 1
        if checked >= 6:
            break
    assert checked >= 3


def test_cli_links_json(capsys):
    assert main(["links", "--wind", "7", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"weather", "vessel", "links", "cut_off", "limits"} <= set(out)
    assert out["closed"] == sum(x["status"] != "open" for x in out["links"])
    assert {"kind": "own boat", "name": "workboat", "sheltered": 7, "open": 6} in out["limits"]
