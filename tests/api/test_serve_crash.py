"""``islandcover serve`` as a real process: ``kill -9`` under write load loses no acknowledged
incident and makes no duplicate; its access log never shows a key sent in a query string.

The server is the command operators run (``python -m islandcover.cli serve``) on a temporary
SQLite state; the network cache is the session's (the ``net`` fixture builds it first, so each
start takes seconds, not a minute).
"""
from __future__ import annotations

import itertools
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from io import StringIO
from pathlib import Path

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from api.access_log import REDACTED, RedactKeys, install, log_config, looks_like_key, redact_query
from islandcover.store import Store

WRITERS = 4
KILLS = 3
BODY = {"island": "蚂蚁岛", "reporter": "duty desk"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``islandcover serve`` on ``port`` over the SQLite state in ``state_dir``; stdout (the access
    log) and stderr appended to files in ``state_dir``'s parent."""

    def __init__(self, state_dir: Path, port: int) -> None:
        self.state_dir, self.port = state_dir, port
        self.base = f"http://127.0.0.1:{port}"
        self.out = state_dir.parent / "serve.out"
        self.err = state_dir.parent / "serve.err"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 90) -> None:
        with open(self.out, "ab") as out, open(self.err, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "islandcover.cli", "serve", "--port", str(self.port),
                 "--state-dir", str(self.state_dir)],
                stdout=out, stderr=err, env=self._env())
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}: {self.err.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"serve did not answer within {timeout_s} s: {self.err.read_text()[-2000:]}")

    @staticmethod
    def _env() -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "ISLANDCOVER_DATABASE_URL"}  # --state-dir, not this
        return env | {"PYTHONUNBUFFERED": "1"}

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def state(tmp_path, net) -> tuple[Path, str]:
    """A new state folder with a dispatcher key (``net``: the network cache is built)."""
    folder = tmp_path / "state"
    store = Store.open(state_dir=folder)
    try:
        key = store.create_key("dispatcher", label="crash test")
    finally:
        store.close()
    return folder, key


def test_kill_9_under_write_load_loses_no_acknowledged_incident(state):
    """4 writers post incidents, each with its own Idempotency-Key and retrying it until it is
    acknowledged; the server is killed with SIGKILL 3 times mid-load and restarted. Afterwards
    every acknowledged incident is stored, once, and SQLite's integrity check is clean."""
    folder, key = state
    server = Server(folder, _free_port())
    acked: dict[str, int] = {}  # idempotency key -> incident id of the 201/200
    replays, interrupted, errors = [0], [0], []
    lock, stop = threading.Lock(), threading.Event()

    def writer(w: int) -> None:
        try:
            with httpx.Client(base_url=server.base, timeout=10, headers={"X-API-Key": key}) as c:
                for seq in itertools.count():
                    if stop.is_set():
                        return
                    ikey = f"w{w}-{seq}"
                    deadline = time.monotonic() + 120
                    while True:  # retry the same key until acknowledged
                        try:
                            r = c.post("/incidents", json={**BODY, "description": ikey},
                                       headers={"Idempotency-Key": ikey})
                        except httpx.ConnectError:
                            time.sleep(0.05)  # the server is down: restarting
                        except httpx.TransportError:
                            with lock:
                                interrupted[0] += 1  # killed while the request was in flight
                            time.sleep(0.05)
                        else:
                            if r.status_code not in (200, 201):
                                errors.append(f"{ikey}: {r.status_code} {r.text[:200]}")
                                return
                            with lock:
                                acked[ikey] = r.json()["id"]
                                replays[0] += r.status_code == 200
                            break
                        if time.monotonic() > deadline:
                            errors.append(f"{ikey}: no answer in 120 s")
                            return
        except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in a thread
            errors.append(repr(exc))

    def wait_for_acks(n: int, timeout_s: float = 20) -> None:
        target, deadline = len(acked) + n, time.monotonic() + timeout_s
        while len(acked) < target and time.monotonic() < deadline and not errors:
            time.sleep(0.02)

    started = time.monotonic()
    server.start()
    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(WRITERS)]
    try:
        for t in threads:
            t.start()
        acked_before_kill = []
        for _ in range(KILLS):
            wait_for_acks(25)
            acked_before_kill.append(len(acked))
            server.kill9()
            server.start()
        wait_for_acks(25)
        stop.set()
        for t in threads:
            t.join(timeout=60)
    finally:
        stop.set()
        server.stop()
    took = time.monotonic() - started

    assert not errors, errors[:5]
    assert all(not t.is_alive() for t in threads)
    assert len(acked_before_kill) == KILLS and acked_before_kill[0] > 0
    assert all(b > a for a, b in itertools.pairwise([*acked_before_kill, len(acked)]))  # writes between kills
    with sqlite3.connect(folder / "state.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = dict(db.execute("SELECT description, id FROM incidents").fetchall())
        n_rows = db.execute("SELECT COUNT(*) FROM incidents").fetchone()[0]
        n_keys = db.execute("SELECT COUNT(*) FROM idempotency_keys").fetchone()[0]
    db.close()
    # every acknowledged incident is stored under the id the client was given …
    assert {k: stored.get(k) for k in acked} == acked
    # … and nothing else: no duplicate of a report whose answer was lost
    assert n_rows == n_keys == len(acked), (n_rows, n_keys, len(acked))
    print(f"\n{len(acked)} incidents acknowledged, {interrupted[0]} requests cut by kill -9, "
          f"{replays[0]} answered by replay, {took:.1f} s")


class TestAccessLog:
    def test_a_real_uvicorn_record_is_redacted(self):
        """The record uvicorn's access logger emits (its arguments and its formatter) passes the
        filter with the key gone and everything else intact."""
        stream = StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
        logger = logging.getLogger("islandcover.test.access")
        logger.handlers, logger.propagate = [handler], False
        logger.setLevel(logging.INFO)
        flt = RedactKeys()
        logger.addFilter(flt)
        try:  # exactly uvicorn.protocols.http.*_impl's call
            logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5555", "GET",
                        "/incidents?limit=5&api_key=s3cr3t-k3y&X-API-KEY=other-s3cr3t&island=%E8%9A%82", "1.1", 401)
        finally:
            logger.removeFilter(flt)
            logger.handlers = []
        line = stream.getvalue()
        assert "s3cr3t" not in line
        assert line == ('127.0.0.1:5555 - "GET /incidents?limit=5&api_key=REDACTED&X-API-KEY=REDACTED'
                        '&island=%E8%9A%82 HTTP/1.1" 401 Unauthorized\n')

    @pytest.mark.parametrize("name", ["api_key", "API_KEY", "apikey", "key", "Key", "token", "access_token",
                                      "x-api-key", "X-Api-Key", "api%5Fkey", "secret", "password", "auth",
                                      "signature", "session_id"])
    def test_key_like_names(self, name):
        assert looks_like_key(name)
        assert redact_query(f"/x?{name}=v4lue&k=2") == f"/x?{name}={REDACTED}&k=2"

    @pytest.mark.parametrize("query", ["island=蚂蚁岛&wind=8", "limit=50&cursor=120", "status=open", "lon=1&lat=2"])
    def test_other_parameters_are_kept(self, query):
        assert redact_query(f"/nearest?{query}") == f"/nearest?{query}"

    def test_install_and_config(self):
        log = logging.getLogger("islandcover.test.install")
        flt = install("islandcover.test.install")
        try:
            assert install("islandcover.test.install") is flt and log.filters.count(flt) == 1
        finally:
            log.removeFilter(flt)
        config = log_config()
        assert config["filters"]["redact_keys"] == {"()": "api.access_log.RedactKeys"}
        assert "redact_keys" in config["loggers"]["uvicorn.access"]["filters"]
        assert all("redact_keys" in h["filters"] for h in config["handlers"].values())

    def test_islandcover_serve_keeps_query_keys_out_of_its_log(self, state):
        folder, key = state
        server = Server(folder, _free_port())
        server.start()
        try:
            with httpx.Client(base_url=server.base, timeout=10) as c:
                # refused (keys go in the header; unknown query parameters are a 422), and not logged
                assert c.get("/incidents", params={"api_key": key}).status_code in (401, 422)
                assert c.get("/incidents", params={"token": key, "limit": 5}).status_code in (401, 422)
                assert c.get("/incidents", headers={"X-API-Key": key}).status_code == 200
        finally:
            server.stop()
        log = server.out.read_text() + server.err.read_text()
        assert key not in log
        assert f"GET /incidents?api_key={REDACTED} HTTP/1.1" in log
        assert f"token={REDACTED}" in log and "limit=5" in log
