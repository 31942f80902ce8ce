"""Shared fixtures: the shipped archipelago, loaded once per test session; the HTTP app; the command line."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from pg import BACKENDS

from islandcover import Archipelago, Config


def pytest_configure(config: pytest.Config) -> None:
    """Tests never read or write the machine's own live state or data overlay (``<state dir>/data``,
    where ``islandcover import`` writes): unless the caller chose a state folder (.ci/run does), the
    session gets an empty one, which the command-line tests' subprocesses inherit."""
    if not os.environ.get("ISLANDCOVER_STATE_DIR"):
        import tempfile

        os.environ["ISLANDCOVER_STATE_DIR"] = tempfile.mkdtemp(prefix="islandcover-test-state-")


@pytest.fixture(scope="session")
def config() -> Config:
    """The configuration of the environment: .ci/run points the network cache at an empty folder."""
    return Config.from_env()


@pytest.fixture(scope="session")
def arch() -> Archipelago:
    return Archipelago.load()


@pytest.fixture(scope="session")
def net(arch, config):
    from islandcover import load_network

    return load_network(arch, cache_dir=config.cache_dir)


@pytest.fixture(scope="session")
def router(arch, net):
    from islandcover import Router

    return Router(arch, net)


# ---------------------------------------------------------------------- the HTTP API
# One app per test module (its own SQLite state), built by api.app.create_app as `islandcover serve` does,
# on the session's router (tests/test_api.py uses them under shorter names).
@pytest.fixture(scope="module")
def api_app(router, tmp_path_factory):
    from api.app import create_app

    return create_app(router=router, state_dir=tmp_path_factory.mktemp("api-state"))


@pytest.fixture(scope="module")
def api_client(api_app):
    import warnings

    with warnings.catch_warnings():  # starlette >= 1 warns when only httpx (not httpx2) is installed
        warnings.filterwarnings("ignore", message=".*httpx2")
        from fastapi.testclient import TestClient

    with TestClient(api_app) as c:
        yield c


@pytest.fixture(scope="module")
def planner_key(api_app, api_client) -> dict[str, str]:
    """Headers with a new planner key (the client's startup opened the store)."""
    return {"X-API-Key": api_app.state.ic.store.create_key("planner")}


@pytest.fixture(scope="module")
def dispatcher_key(api_app, api_client) -> dict[str, str]:
    """Headers with a new dispatcher key."""
    return {"X-API-Key": api_app.state.ic.store.create_key("dispatcher")}


# ---------------------------------------------------------------------- databases
@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the session (tests/pg.py); the tests that need it are
    skipped, with the reason, when this machine cannot start one."""
    from pg import Postgres, missing

    why = missing()
    if why:
        pytest.skip(f"PostgreSQL backend not tested: {why}")
    with Postgres() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    """The URL of a new, empty database, once per backend (SQLite, PostgreSQL)."""
    from pg import backend_url

    return backend_url(request, request.param, tmp_path)


# ---------------------------------------------------------------------- the command line
@pytest.fixture()
def run_cli(capsys) -> Callable[[Sequence[str]], tuple[int, str, str]]:
    """``run_cli(argv)`` runs ``islandcover ARGV`` through ``islandcover.cli.main`` as the console script does;
    returns the exit code (argparse's SystemExit too), stdout and stderr."""
    from islandcover import cli

    def run(argv: Sequence[str]) -> tuple[int, str, str]:
        try:
            rc = cli.main(list(argv))
        except SystemExit as exc:  # argparse's errors
            rc = int(exc.code or 0)
        out, err = capsys.readouterr()
        return rc, out, err

    return run


# ---------------------------------------------------------------------- headless Chromium
@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright; skipped when missing, unless CI is set (then a failure)."""
    from browsing import ARGS, CHROMIUM, in_ci, missing

    lacking = missing()
    if lacking:
        reason = "the browser test needs " + " and ".join(lacking)
        if in_ci():
            pytest.fail(f"CI is set, so the browser test must run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


# ---------------------------------------------------------------------- typhoons
@pytest.fixture(scope="session")
def muifa_replay(router):
    """梅花 (Muifa) 2022's whole shipped track (``muifa_2022``, 256 hourly steps) replayed hour by hour, once for
    the session (about 8 s): the replay, prepare and ensemble tests read it; none changes it (plans made on it
    share its travel times, as the library's plans on one replay do)."""
    from islandcover.typhoon.replay import replay
    from islandcover.typhoon.tracks import shipped_track

    return replay(router, shipped_track("muifa_2022"), "1h")


# ---------------------------------------------------------------------- forecast files
#: 梅花 (Muifa) 2022's CMA best-track points around its landfall (every 3 h, 14–15 Sep), written as the rows of a
#: forecast file in Beijing time.
MUIFA_LANDFALL_ROWS = (
    "2022-09-14T02:00+08:00,123.5,27.2,42,955",
    "2022-09-14T05:00+08:00,123.4,27.6,42,955",
    "2022-09-14T08:00+08:00,123.2,28.0,42,955",
    "2022-09-14T11:00+08:00,123.0,28.4,48,945",
    "2022-09-14T14:00+08:00,122.7,28.8,48,945",
    "2022-09-14T17:00+08:00,122.5,29.3,45,950",
    "2022-09-14T20:00+08:00,122.3,29.9,40,965",
    "2022-09-14T23:00+08:00,121.9,30.5,40,965",
    "2022-09-15T02:00+08:00,121.5,31.2,33,975",
    "2022-09-15T05:00+08:00,121.2,31.9,30,980",
    "2022-09-15T08:00+08:00,120.8,32.6,28,985",
)


@pytest.fixture(scope="session")
def muifa_forecast(tmp_path_factory) -> Callable[..., Path]:
    """``muifa_forecast(first, last, name="fc.csv")`` writes a forecast file (CSV, Beijing time) of 梅花's
    best-track points from ``first`` to ``last`` (``"2022-09-14T08:00"``, both included) in a folder of its
    own, and returns its path. The typhoon tests (``replay``, ``prepare``) and the ensemble commands use it."""

    def write(first: str, last: str, name: str = "fc.csv") -> Path:
        rows = [r for r in MUIFA_LANDFALL_ROWS if first <= r[:16] <= last]
        assert rows and rows[0].startswith(first) and rows[-1].startswith(last), (first, last)
        path = tmp_path_factory.mktemp("forecast") / name
        path.write_text("time,lon,lat,vmax_ms,pressure_hpa\n" + "\n".join(rows) + "\n", encoding="utf-8")
        return path

    return write
