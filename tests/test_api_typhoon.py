"""POST /replay and POST /prepare: planner key, shipped tracks or forecast points, errors naming the field."""
from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():  # starlette >= 1 warns when only httpx (not httpx2) is installed
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.routers import typhoon

# Muifa's best-track points of 14 Sep 2022, as forecast points
POINTS = [
    {"time": "2022-09-14T08:00+08:00", "lon": 123.2, "lat": 28.0, "vmax_ms": 42, "pressure_hpa": 955},
    {"time": "2022-09-14T14:00+08:00", "lon": 122.7, "lat": 28.8, "vmax_ms": 48, "pressure_hpa": 945},
    {"time": "2022-09-14T20:00+08:00", "lon": 122.3, "lat": 29.9, "vmax_ms": 40, "pressure_hpa": 965},
    {"time": "2022-09-15T02:00+08:00", "lon": 121.5, "lat": 31.2, "vmax_ms": 33, "pressure_hpa": 975},
]


@pytest.fixture(scope="module")
def app(router, tmp_path_factory):
    app = create_app(router=router, state_dir=tmp_path_factory.mktemp("api-typhoon"))
    if not any(getattr(r, "path", None) == "/replay" for r in app.routes):  # until api/app.py includes it
        app.include_router(typhoon.router)
    return app


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def planner(app, client) -> dict[str, str]:
    return {"X-API-Key": app.state.ic.store.create_key("planner")}


@pytest.fixture(scope="module")
def dispatcher(app, client) -> dict[str, str]:
    return {"X-API-Key": app.state.ic.store.create_key("dispatcher")}


def _loc(r) -> list:
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]["loc"]


class TestReplay:
    def test_forecast_points(self, client, planner):
        r = client.post("/replay", json={"points": POINTS, "name": "MUIFA"}, headers=planner)
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["storm"] == "MUIFA" and len(d["steps"]) == 19  # 00Z to 18Z hourly
        assert d["steps"][0]["time"] == "2022-09-14T00:00:00Z" and d["steps"][0]["center"] == [123.2, 28.0]
        assert any(s["cut_off"] for s in d["steps"])

    def test_shipped_track_by_storm_name(self, client, planner):
        r = client.post("/replay", json={"track": "贝碧嘉", "step": "6h"}, headers=planner)
        assert r.status_code == 200, r.text
        assert r.json()["storm"] == "BEBINCA"

    def test_needs_a_planner_key(self, client, dispatcher):
        assert client.post("/replay", json={"points": POINTS}).status_code == 401
        assert client.post("/replay", json={"points": POINTS}, headers=dispatcher).status_code == 403

    def test_times_out_of_order_name_the_row(self, client, planner):
        bad = [POINTS[1], POINTS[0]]
        r = client.post("/replay", json={"points": bad}, headers=planner)
        assert _loc(r) == ["body", "points"]
        assert "row 2, field 'time'" in r.json()["detail"][0]["msg"]

    def test_knots_as_m_s(self, client, planner):
        bad = [dict(POINTS[0], vmax_ms=82)]
        r = client.post("/replay", json={"points": bad}, headers=planner)
        assert _loc(r) == ["body", "points"] and "knots" in r.json()["detail"][0]["msg"]

    @pytest.mark.parametrize(("body", "loc"), [
        ({"track": "muifa_2022", "points": POINTS}, ["body", "track"]),
        ({}, ["body", "track"]),
        ({"track": "/etc/passwd"}, ["body", "track"]),
        ({"track": "muifa_2022", "step": "1 fortnight"}, ["body", "step"]),
        ({"track": "muifa_2022", "step": "10min"}, ["body", "step"]),
        ({"points": POINTS, "extra": 1}, ["body", "extra"]),
    ])
    def test_bad_bodies(self, client, planner, body, loc):
        assert _loc(client.post("/replay", json=body, headers=planner)) == loc


class TestPrepare:
    def test_plan(self, client, planner):
        r = client.post("/prepare", json={"points": POINTS, "name": "MUIFA", "hours": 6}, headers=planner)
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["hours"] == 6 and "rule" in d
        for it in d["items"]:
            assert it["isolation_h"] > 6
            if it["team"]:
                assert it["team"]["latest_departure"] < it["cut_off_from"]

    def test_hours_out_of_range(self, client, planner):
        assert _loc(client.post("/prepare", json={"points": POINTS, "hours": -1}, headers=planner)) == ["body", "hours"]
