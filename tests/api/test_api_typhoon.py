"""POST /replay and POST /prepare: planner key, shipped tracks or forecast points, errors naming the field.

The app is the one ``api.app.create_app`` builds (fixtures ``api_app``, ``api_client``, ``planner_key`` in
conftest.py): no router is added here, so a route missing from the app fails these tests.
"""
from __future__ import annotations

import pandas as pd
import pytest

from api.app import create_app

# Muifa's best-track points of 14 Sep 2022, as forecast points
POINTS = [
    {"time": "2022-09-14T08:00+08:00", "lon": 123.2, "lat": 28.0, "vmax_ms": 42, "pressure_hpa": 955},
    {"time": "2022-09-14T14:00+08:00", "lon": 122.7, "lat": 28.8, "vmax_ms": 48, "pressure_hpa": 945},
    {"time": "2022-09-14T20:00+08:00", "lon": 122.3, "lat": 29.9, "vmax_ms": 40, "pressure_hpa": 965},
    {"time": "2022-09-15T02:00+08:00", "lon": 121.5, "lat": 31.2, "vmax_ms": 33, "pressure_hpa": 975},
]


def _loc(r) -> list:
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]["loc"]


class TestReplay:
    def test_forecast_points(self, api_client, planner_key):
        r = api_client.post("/replay", json={"points": POINTS, "name": "MUIFA"}, headers=planner_key)
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["storm"] == "MUIFA" and len(d["steps"]) == 19  # 00Z to 18Z hourly
        # the first point, 08:00 Beijing time (00:00 UTC), comes back in Beijing time with its offset
        assert d["steps"][0]["time"] == "2022-09-14T08:00:00+08:00" and d["steps"][0]["center"] == [123.2, 28.0]
        assert d["end"] == "2022-09-15T02:00:00+08:00"
        assert any(s["cut_off"] for s in d["steps"])

    def test_points_in_any_offset_are_the_same_track(self, api_client, planner_key):
        # the same instants written in UTC (Z) give the same steps, named in Beijing time
        utc = [dict(p, time=(pd.Timestamp(p["time"]).tz_convert("UTC")).strftime("%Y-%m-%dT%H:%MZ")) for p in POINTS]
        assert utc[0]["time"] == "2022-09-14T00:00Z"
        a = api_client.post("/replay", json={"points": POINTS, "step": "6h"}, headers=planner_key).json()
        b = api_client.post("/replay", json={"points": utc, "step": "6h"}, headers=planner_key).json()
        assert [s["time"] for s in a["steps"]] == [s["time"] for s in b["steps"]] == [
            "2022-09-14T08:00:00+08:00", "2022-09-14T14:00:00+08:00", "2022-09-14T20:00:00+08:00",
            "2022-09-15T02:00:00+08:00"]
        assert [s["cut_off"] for s in a["steps"]] == [s["cut_off"] for s in b["steps"]]

    def test_a_naive_time_is_refused(self, api_client, planner_key):
        bad = [dict(POINTS[0], time="2022-09-14T08:00")]
        r = api_client.post("/replay", json={"points": bad}, headers=planner_key)
        assert _loc(r) == ["body", "points", 0, "time"] and "no time zone" in r.json()["detail"][0]["msg"]

    def test_points_may_give_the_bulletin_force(self, api_client, planner_key):
        # force 14 without a wind: the middle of 41.5–46.1 m/s, 43.8 m/s, as the step's vmax
        pts = [{k: v for k, v in p.items() if k != "vmax_ms"} | {"force": 14} for p in POINTS[:2]]
        r = api_client.post("/replay", json={"points": pts, "step": "6h"}, headers=planner_key)
        assert r.status_code == 200, r.text
        assert r.json()["steps"][0]["vmax_ms"] == 43.8
        assert "from the wind force" in r.json()["wind_basis"]

    @pytest.mark.parametrize("force", [18, 40])
    def test_a_force_above_17_names_the_field(self, api_client, planner_key, force):
        bad = [dict(POINTS[0], force=force)]
        assert _loc(api_client.post("/replay", json={"points": bad}, headers=planner_key)) == [
            "body", "points", 0, "force"]

    def test_a_force_that_disagrees_with_the_wind(self, api_client, planner_key):
        bad = [dict(POINTS[0], force=12)]  # 42 m/s is force 14
        r = api_client.post("/replay", json={"points": bad}, headers=planner_key)
        assert _loc(r) == ["body", "points", 0, "vmax_ms"] and "is force 14, not force 12" in r.json()["detail"][0]["msg"]

    def test_shipped_track_by_storm_name(self, api_client, planner_key):
        r = api_client.post("/replay", json={"track": "贝碧嘉", "step": "6h"}, headers=planner_key)
        assert r.status_code == 200, r.text
        assert r.json()["storm"] == "BEBINCA"

    def test_needs_a_planner_key(self, api_client, dispatcher_key):
        assert api_client.post("/replay", json={"points": POINTS}).status_code == 401
        assert api_client.post("/replay", json={"points": POINTS}, headers=dispatcher_key).status_code == 403

    def test_times_out_of_order_name_the_row(self, api_client, planner_key):
        bad = [POINTS[1], POINTS[0]]
        r = api_client.post("/replay", json={"points": bad}, headers=planner_key)
        assert _loc(r) == ["body", "points", 1, "time"]
        assert "row 2, field 'time'" in r.json()["detail"][0]["msg"]

    def test_knots_as_m_s(self, api_client, planner_key):
        bad = [dict(POINTS[0], vmax_ms=82)]
        r = api_client.post("/replay", json={"points": bad}, headers=planner_key)
        assert _loc(r) == ["body", "points", 0, "vmax_ms"] and "knots" in r.json()["detail"][0]["msg"]

    @pytest.mark.parametrize(("body", "loc"), [
        ({"track": "muifa_2022", "points": POINTS}, ["body", "track"]),
        ({}, ["body", "track"]),
        ({"track": "/etc/passwd"}, ["body", "track"]),
        ({"track": "muifa_2022", "step": "1 fortnight"}, ["body", "step"]),
        ({"track": "muifa_2022", "step": "10min"}, ["body", "step"]),
        ({"points": POINTS, "extra": 1}, ["body", "extra"]),
    ])
    def test_bad_bodies(self, api_client, planner_key, body, loc):
        assert _loc(api_client.post("/replay", json=body, headers=planner_key)) == loc

    @pytest.mark.parametrize(("step", "msg"), [
        ("10", "step '10' has no unit: write 10h or 10min"),  # pandas alone would read 10 ns
        ("0h", "step '0h' is out of range: write a step from 10min to 24h"),
        ("25h", "step '25h' is out of range: write a step from 10min to 24h"),
    ])
    def test_a_bad_step_says_what_to_write(self, api_client, planner_key, step, msg):
        for path in ("/replay", "/prepare"):
            r = api_client.post(path, json={"points": POINTS, "step": step}, headers=planner_key)
            assert _loc(r) == ["body", "step"]
            assert r.json()["detail"][0]["msg"] == msg  # once, not "step: step …"


class TestPrepare:
    def test_plan(self, api_client, planner_key):
        r = api_client.post("/prepare", json={"points": POINTS, "name": "MUIFA", "hours": 6}, headers=planner_key)
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["hours"] == 6 and "rule" in d
        for it in d["items"]:
            assert it["isolation_h"] > 6
            if it["team"]:
                assert it["team"]["latest_departure"] < it["cut_off_from"]

    def test_hours_out_of_range(self, api_client, planner_key):
        assert _loc(api_client.post("/prepare", json={"points": POINTS, "hours": -1}, headers=planner_key)) == ["body", "hours"]


def test_the_routers_are_wired_into_create_app(tmp_path):
    # what `islandcover serve` builds, nothing added by a test. FastAPI >= 0.13x keeps an included router as one
    # entry of app.routes (no .path), so the routes are read from the app's own OpenAPI schema, which lists every
    # route it serves.
    paths = create_app(state_dir=tmp_path).openapi()["paths"]
    expected = {"/replay": "post", "/prepare": "post", "/calendar": "get", "/route": "get", "/links": "get"}
    assert {path: method for path, method in expected.items() if method in paths.get(path, {})} == expected


@pytest.mark.parametrize(("path", "name"), [("/replay", "replay-muifa"), ("/prepare", "prepare-muifa")])
def test_the_response_model_keeps_every_field_of_the_cli_answer(api_client, planner_key, path, name):
    """/replay and /prepare have response models now; they must not drop what the CLI's --json gives."""
    from answers import golden, normalised

    body = {"track": "梅花"} if path == "/replay" else {"track": "梅花", "now": "2022-09-13T08:00:00+08:00"}
    r = api_client.post(path, json=body, headers=planner_key)
    assert r.status_code == 200, r.text
    cli = golden(name)
    cli.pop("state", None)  # which live state the CLI answered on (here: none); the API's is live
    assert normalised(r.json()) == cli
    schemas = api_client.app.openapi()["components"]["schemas"]
    assert {"ReplayOut", "PreparePlanOut"} <= set(schemas)
