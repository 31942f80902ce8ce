"""Listing incidents: time and queries per page, store and API, on 2,616 incidents.

    python3 bench/bench_incidents.py [--rows 2616] [--database-url URL]

Fills a new SQLite state (or the empty database at ``--database-url``) with ``--rows`` closed
incidents of one released assignment each, then times (median of 5):

- ``Store.incident_page`` at 50 and 500 a page, and a walk over every page of 500;
- ``Store.list_incidents()`` (every incident at once);
- ``GET /incidents?limit=50``, ``?limit=500`` and a walk over every page of 500, through the
  app in-process (fastapi's TestClient, a dispatcher key), with the SQL statements per request.

Issue 14 measured about 1 s for the 2,616 incidents of the probe before paging (one query per
incident: 2 x 2,616 + 1 statements).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

from islandcover.store import Store, assignments, incidents


def _median_ms(f: Callable[[], Any], n: int = 5) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        out = f()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def _fill(store: Store, rows: int) -> None:
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(insert(incidents), [
            {"id": i + 1, "island_id": "ZS-0044", "description": f"fault {i}", "reporter": "desk",
             "status": "closed", "created_at": now, "closed_at": now} for i in range(rows)])
        conn.execute(insert(assignments), [
            {"incident_id": i + 1, "team_id": f"T-{i % 28:02d}", "assigned_at": now, "released_at": now}
            for i in range(rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2616)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'state.db'}"
    store = Store.open(database_url=url)
    _fill(store, args.rows)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def walk_store() -> int:
        n, cursor = 0, None
        while True:
            page = store.incident_page(limit=500, before=cursor)
            n += len(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return n

    print(f"{args.rows} incidents, {store.engine.dialect.name}")
    for label, f in [("store.incident_page(limit=50)", lambda: store.incident_page(limit=50).items),
                     ("store.incident_page(limit=500)", lambda: store.incident_page(limit=500).items),
                     ("store: every page of 500", walk_store),
                     ("store.list_incidents() (all)", store.list_incidents)]:
        statements.clear()
        ms, out = _median_ms(f)
        n = out if isinstance(out, int) else len(out)
        print(f"  {label:34s} {ms:8.1f} ms  {n:5d} rows  {len(statements) // 5:4d} statements")
    store.close()

    from islandcover import Archipelago, Config, Router, load_network

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

        from api.app import create_app

    arch = Archipelago.load()
    app = create_app(router=Router(arch, load_network(arch, cache_dir=Config.from_env().cache_dir)), database_url=url)
    with TestClient(app) as client:
        engine = app.state.ic.store.engine
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        key = {"X-API-Key": app.state.ic.store.create_key("dispatcher")}

        def get(limit: int, cursor: str | None = None) -> dict[str, Any]:
            params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            r = client.get("/incidents", params=params, headers=key)
            r.raise_for_status()
            return r.json()

        def walk_api() -> int:
            n, cursor = 0, None
            while True:
                page = get(500, cursor)
                n += len(page["items"])
                cursor = page["next_cursor"]
                if cursor is None:
                    return n

        for label, f in [("GET /incidents?limit=50", lambda: get(50)["items"]),
                         ("GET /incidents?limit=500", lambda: get(500)["items"]),
                         ("GET: every page of 500", walk_api)]:
            statements.clear()
            ms, out = _median_ms(f)
            n = out if isinstance(out, int) else len(out)
            print(f"  {label:34s} {ms:8.1f} ms  {n:5d} rows  {len(statements) // 5:4d} statements")


if __name__ == "__main__":
    main()
