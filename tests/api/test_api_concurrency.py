"""Two (eight) dispatchers assign the same team at once: exactly one wins, the others get 409.

The rule is enforced by the database (a conditional UPDATE on the team's status row), so the
test runs a real uvicorn server on a file-backed SQLite database in WAL mode, and on a
PostgreSQL database (tests/pg.py), and sends the requests from separate threads and HTTP
clients at the same moment.
"""
from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from pg import BACKENDS, backend_url

from api.app import create_app
from islandcover.errors import TeamUnavailable
from islandcover.store import Store

N = 8


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, router, tmp_path_factory):
    url = backend_url(request, request.param, tmp_path_factory.mktemp("concurrency-state"))
    app = create_app(router=router, database_url=url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", ws="none", limit_concurrency=100)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app, request.param
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _race(base: str, key: str, incidents: list[int], team: str) -> list[int]:
    barrier = threading.Barrier(len(incidents))

    def one(iid: int) -> int:
        with httpx.Client(base_url=base, timeout=60) as c:
            barrier.wait()
            return c.post(f"/incidents/{iid}/assign", json={"team": team}, headers={"X-API-Key": key}).status_code

    with ThreadPoolExecutor(len(incidents)) as pool:
        return list(pool.map(one, incidents))


def test_parallel_assigns_of_one_team_one_wins(server):
    base, app, backend = server
    key = app.state.ic.store.create_key("dispatcher")
    with httpx.Client(base_url=base, timeout=60) as c:
        assert c.get("/health").json()["database"] == backend
        ids = [c.post("/incidents", json={"island": "蚂蚁岛", "description": f"fault {k}", "reporter": "desk"},
                      headers={"X-API-Key": key}).json()["id"] for k in range(N)]
    codes = _race(base, key, ids, "T-06A")
    assert sorted(codes) == [200] + [409] * (N - 1), codes
    with httpx.Client(base_url=base, timeout=60) as c:
        winners = [i for i in ids if c.get(f"/incidents/{i}", headers={"X-API-Key": key}).json()["teams"] == ["T-06A"]]
        assert len(winners) == 1
        assert c.get("/teams/T-06A").json()["incident_id"] == winners[0]
        # the same incident, same team, eight times at once: still exactly one
        assert c.post(f"/incidents/{winners[0]}/close", headers={"X-API-Key": key}).status_code == 200
    iid = ids[-1] if ids[-1] != winners[0] else ids[0]
    codes = _race(base, key, [iid] * N, "T-06B")
    assert sorted(codes) == [200] + [409] * (N - 1), codes


def test_parallel_stores_on_one_database(database_url):
    """The same race between separate engines (as between separate API processes)."""
    first = Store.open(database_url=database_url)
    first.sync_teams({"T-1": "available"})
    ids = [first.create_incident("ZS-0044", f"fault {k}", "desk").id for k in range(N)]
    stores = [Store.open(database_url=database_url) for _ in range(N)]
    barrier = threading.Barrier(N)

    def one(k: int) -> str:
        barrier.wait()
        try:
            stores[k].assign(ids[k], "T-1")
            return "ok"
        except TeamUnavailable:
            return "conflict"

    try:
        with ThreadPoolExecutor(N) as pool:
            results = list(pool.map(one, range(N)))
        assert sorted(results) == ["conflict"] * (N - 1) + ["ok"]
        assert first.count("assignments") == 1
    finally:
        for s in [first, *stores]:
            s.close()
