"""The HTTP API: every endpoint, its errors, auth and roles, live team status in dispatch."""
from __future__ import annotations

import json
import warnings
from datetime import datetime

import pytest

with warnings.catch_warnings():  # starlette >= 1 warns when only httpx (not httpx2) is installed
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

from api.app import create_app
from islandcover.store import Store
from islandcover.travel.weather import Weather


# the app, client and keys of tests/conftest.py (api_app …), under the short names used below
@pytest.fixture(scope="module")
def app(api_app):
    return api_app


@pytest.fixture(scope="module")
def client(api_client):
    return api_client


@pytest.fixture(scope="module")
def dispatcher(dispatcher_key) -> dict[str, str]:
    return dispatcher_key


@pytest.fixture(scope="module")
def planner(planner_key) -> dict[str, str]:
    return planner_key


def _loc(r) -> list:
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]["loc"]


def _incident(client, dispatcher, island: str = "蚂蚁岛") -> int:
    r = client.post("/incidents", json={"island": island, "description": "10 kV line down", "reporter": "duty desk"},
                    headers=dispatcher)
    assert r.status_code == 201, r.text
    return r.json()["id"]


class TestReads:
    def test_health(self, client):
        r = client.get("/health")
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "islands": 569, "powered": 62, "teams": 28, "database": "sqlite"}

    def test_islands_geojson_with_filters(self, client, arch):
        r = client.get("/islands")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
        fc = r.json()
        assert fc["type"] == "FeatureCollection" and len(fc["features"]) == len(arch.islands)
        r = client.get("/islands", params={"district": "岱山县", "powered": "true"})
        feats = r.json()["features"]
        expected = arch.islands[(arch.islands.district == "岱山县") & arch.islands.powered]
        assert sorted(f["properties"]["id"] for f in feats) == sorted(expected.index)
        assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in feats)
        r = client.get("/islands", params={"powered": "false"})
        assert len(r.json()["features"]) == int((~arch.islands.powered).sum())

    def test_islands_unknown_district_is_422(self, client):
        assert _loc(client.get("/islands", params={"district": "上海"})) == ["query", "district"]

    @pytest.mark.parametrize("ref", ["ZS-0044", "蚂蚁岛", "蚂蚁", "Mayi Dao"])
    def test_island_by_id_or_name(self, client, ref):
        r = client.get(f"/islands/{ref}")
        assert r.status_code == 200
        assert r.json()["properties"]["id"] == "ZS-0044"

    def test_unknown_island_is_404_with_a_hint(self, client):
        r = client.get("/islands/蚂蚁岛屿屿")
        assert r.status_code == 404
        assert "no island named" in r.json()["detail"]

    def test_stations(self, client, arch):
        r = client.get("/stations")
        assert r.status_code == 200
        assert {s["id"] for s in r.json()} == set(arch.stations.index)

    def test_teams_have_live_status(self, client, arch):
        r = client.get("/teams")
        assert r.status_code == 200
        teams = {t["id"]: t for t in r.json()}
        assert set(teams) == set(arch.teams.index)
        assert all(t["status"] in ("available", "busy", "off-duty") for t in teams.values())
        assert client.get("/teams/T-03C").json()["station_id"] == "ST-03"
        assert client.get("/teams/T-99Z").status_code == 404


class TestDispatchQueries:
    def test_nearest_matches_the_router(self, client, router):
        from islandcover.travel.weather import Weather

        at = "2026-12-04T08:00:00+08:00"  # fixed: a ferry team's answer depends on the next sailing
        r = client.get("/nearest", params={"island": "东福山岛", "wind": 7, "k": 2, "at": at})
        assert r.status_code == 200
        body = r.json()
        expected = router.nearest("东福山岛", Weather.uniform(7), k=2, at=datetime.fromisoformat(at))
        assert [t["team_id"] for t in body["trips"]] == [t.team_id for t in expected.trips]
        assert body["island_id"] == expected.island_id
        assert body["trips"][0]["legs"][0]["geometry"]["type"] == "LineString"
        assert body["excluded"]

    def test_nearest_under_a_typhoon(self, client):
        r = client.get("/nearest", params={"island": "蚂蚁岛", "lon": 122.6, "lat": 29.9, "r7": 250, "r10": 80})
        assert r.status_code == 200
        assert r.json()["weather"].startswith("typhoon")

    def test_wind_out_of_range_names_the_field(self, client):
        assert _loc(client.get("/nearest", params={"island": "蚂蚁岛", "wind": 40})) == ["query", "wind"]
        assert _loc(client.get("/cutoff", params={"wind": -1})) == ["query", "wind"]
        assert _loc(client.get("/coverage", params={"wind": 18})) == ["query", "wind"]
        r = client.get("/cutoff", params={"wind": 18})
        assert r.status_code == 422 and "less than or equal to 17" in r.json()["detail"][0]["msg"]

    @pytest.mark.parametrize("force", [13, 17])
    def test_typhoon_forces_are_winds(self, client, force):
        # GB/T 28591-2012 grades typhoon winds up to force 17: every sea link is shut, as at force 12
        r = client.get("/nearest", params={"island": "东福山岛", "wind": force})
        assert r.status_code == 200 and r.json()["weather"].startswith(f"uniform wind force {force}")
        assert r.json()["trips"] == []

    def test_typhoon_errors_name_the_field(self, client):
        r = client.get("/nearest", params={"island": "蚂蚁岛", "lon": 122.6, "lat": 29.9, "r7": 250})
        assert _loc(r) == ["query", "r10"]
        r = client.get("/nearest", params={"island": "蚂蚁岛", "lon": 122.6, "lat": 29.9, "r7": 100, "r10": 200})
        assert _loc(r) == ["query", "r10"]
        r = client.get("/nearest", params={"island": "蚂蚁岛", "wind": 3, "lon": 122.6, "lat": 29.9, "r7": 100,
                                           "r10": 20})
        assert _loc(r) == ["query", "wind"]

    def test_nearest_errors(self, client):
        assert client.get("/nearest", params={"island": "nowhere-at-all"}).status_code == 404
        assert _loc(client.get("/nearest", params={"island": "蚂蚁岛", "k": 0})) == ["query", "k"]
        assert _loc(client.get("/nearest")) == ["query", "island"]

    def test_island_without_service_point_is_422_not_500(self, client, arch, router):
        unserved = next(i for i in arch.islands.index if i not in router.net.island_node)
        r = client.get("/nearest", params={"island": unserved})
        assert r.status_code == 422
        assert "no service point" in r.json()["detail"][0]["msg"]

    def test_cutoff(self, client):
        calm = client.get("/cutoff").json()
        gale = client.get("/cutoff", params={"wind": 9}).json()
        assert calm == [] and len(gale) > 0
        assert set(gale[0]) == {"id", "name_zh", "name_en", "has_own_team"}


class TestCoverage:
    def test_base_report(self, client):
        r = client.get("/coverage", params=[("minutes", 45), ("minutes", 90)])
        assert r.status_code == 200
        body = r.json()
        assert set(body["thresholds"]) == {"45", "90"}
        assert body["islands"] == 62
        assert body["thresholds"]["45"]["islands_covered"] <= body["thresholds"]["90"]["islands_covered"]

    def test_wind_lowers_coverage(self, client):
        calm = client.get("/coverage", params={"minutes": 90}).json()
        gale = client.get("/coverage", params={"minutes": 90, "wind": 8}).json()
        assert gale["thresholds"]["90"]["islands_covered"] < calm["thresholds"]["90"]["islands_covered"]

    def test_bad_minutes_and_scenario(self, client):
        assert _loc(client.get("/coverage", params={"minutes": 0})) == ["query", "minutes", 0]
        assert client.get("/coverage", params={"scenario": 99999}).status_code == 404
        assert client.get("/coverage", params={"scenario": "abc"}).status_code == 404

    def test_map_is_an_offline_html_page(self, client):
        r = client.get("/map", params={"lang": "en", "wind": 7})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "ic-island" in r.text and "leaflet" in r.text.lower()
        assert "https://unpkg" not in r.text
        assert _loc(client.get("/map", params={"lang": "fr"})) == ["query", "lang"]


class TestScenarios:
    def test_create_get_compare(self, client, planner):
        r = client.post("/scenarios", json={"name": "close Shenjiamen", "close": ["ST-03"]}, headers=planner)
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        got = client.get(f"/scenarios/{sid}").json()
        assert got["name"] == "close Shenjiamen" and got["spec"]["close"] == ["ST-03"]
        r = client.get(f"/scenarios/base/compare/{sid}", params={"minutes": 60})
        assert r.status_code == 200
        cmp = r.json()
        assert cmp["b"]["close"] == ["ST-03"]
        assert cmp["metrics"]["mean_eta_min"]["delta"] > 0
        assert cmp["changed_islands"]
        cov = client.get("/coverage", params={"scenario": sid}).json()
        assert "ST-03" not in {s["id"] for s in cov["stations"]}

    def test_add_and_move_with_weather(self, client, planner):
        body = {"name": "new Dongji", "add": ["庙子湖岛"], "move": [["ST-12", "122.45,30.72"]], "wind": 5,
                "vessel": "fast"}
        r = client.post("/scenarios", json=body, headers=planner)
        assert r.status_code == 201, r.text
        cov = client.get("/coverage", params={"scenario": r.json()["id"]}).json()
        assert "NEW-1" in {s["id"] for s in cov["stations"]}
        assert cov["scenario"]["weather"] == "uniform wind force 5"

    @pytest.mark.parametrize(("body", "loc"), [
        ({"close": ["ST-99"]}, ["body", "close", 0]),
        ({"close": ["ST-03", "ST-03"]}, ["body", "close", 1]),
        ({"move": [["ST-03", "0,0"]]}, ["body", "move", 0, 1]),
        ({"move": [["ST-77", "蚂蚁岛"]]}, ["body", "move", 0, 0]),
        ({"add": ["not an island"]}, ["body", "add", 0]),
        ({"wind": 40}, ["body", "wind"]),
        ({"vessel": "yacht"}, ["body", "vessel"]),
        ({"typhoon": {"lon": 122, "lat": 30, "r7_km": 100, "r10_km": 300}}, ["body", "typhoon"]),
        ({"colour": "red"}, ["body", "colour"]),
    ])
    def test_bad_scenarios_name_the_field(self, client, planner, body, loc):
        assert _loc(client.post("/scenarios", json={"name": "bad", **body}, headers=planner)) == loc

    def test_auth(self, client, dispatcher):
        body = {"name": "x"}
        assert client.post("/scenarios", json=body).status_code == 401
        assert client.post("/scenarios", json=body, headers={"X-API-Key": "nope"}).status_code == 401
        assert client.post("/scenarios", json=body, headers=dispatcher).status_code == 403

    def test_unknown_scenario(self, client):
        assert client.get("/scenarios/424242").status_code == 404
        assert client.get("/scenarios/x1").status_code == 404
        assert client.get("/scenarios/base/compare/424242").status_code == 404
        assert client.get("/scenarios/base").json()["spec"]["close"] == []


class TestSiting:
    def test_mclp_keeping_the_stations(self, client, planner):
        body = {"model": "mclp", "p": 2, "minutes": 60, "keep_existing": True, "time_limit": 20}
        r = client.post("/siting", json=body, headers=planner)
        assert r.status_code == 200, r.text
        res = r.json()
        assert res["status"] == "optimal" and len(res["sites"]) == 2 and "ST-03" in res["fixed"]

    def test_pcenter_on_a_stored_scenario(self, client, planner):
        sid = client.post("/scenarios", json={"name": "p", "close": ["ST-01"]}, headers=planner).json()["id"]
        r = client.post("/siting", json={"model": "pcenter", "p": 3, "scenario": sid, "time_limit": 20},
                        headers=planner)
        assert r.status_code == 200, r.text  # calm weather: every island is reachable
        assert len(r.json()["sites"]) == 3 and r.json()["scenario"]["close"] == ["ST-01"]
        assert r.json()["status"] == "optimal" and "ST-01" not in r.json()["sites"]

    def test_storm_siting_is_an_answer_or_a_named_422(self, client, planner):
        r = client.post("/siting", json={"model": "pmedian", "p": 3, "wind": 8, "time_limit": 20}, headers=planner)
        assert r.status_code in (200, 422), r.text
        if r.status_code == 422:
            assert "reach" in r.text
        else:
            assert r.json()["objective"] is not None
        assert client.post("/siting", json={"model": "pcenter", "p": 3, "scenario": 999999},
                           headers=planner).status_code == 404

    @pytest.mark.parametrize(("body", "loc"), [
        ({"model": "mclp", "p": 2}, ["body", "minutes"]),
        ({"model": "pmedian"}, ["body", "p"]),
        ({"model": "mclp", "p": 2, "minutes": 60, "time_limit": 600}, ["body", "time_limit"]),
        ({"model": "knapsack", "p": 2}, ["body", "model"]),
        ({"model": "pcenter", "p": 0}, ["body", "p"]),
    ])
    def test_bad_siting_names_the_field(self, client, planner, body, loc):
        assert _loc(client.post("/siting", json=body, headers=planner)) == loc

    def test_siting_needs_a_planner(self, client, dispatcher):
        body = {"model": "pmedian", "p": 1}
        assert client.post("/siting", json=body).status_code == 401
        assert client.post("/siting", json=body, headers=dispatcher).status_code == 403


class TestIncidents:
    def test_report_assign_close(self, client, dispatcher):
        iid = _incident(client, dispatcher)
        inc = client.get(f"/incidents/{iid}", headers=dispatcher).json()
        assert inc["status"] == "open" and inc["island_id"] == "ZS-0044" and inc["island_name"] == "蚂蚁岛"
        r = client.post(f"/incidents/{iid}/assign", json={"team": "T-01A"}, headers=dispatcher)
        assert r.status_code == 200 and r.json()["teams"] == ["T-01A"]
        team = client.get("/teams/T-01A").json()
        assert team["status"] == "busy" and team["incident_id"] == iid
        # the same team again: 409; the incident listing shows it
        assert client.post(f"/incidents/{iid}/assign", json={"team": "T-01A"}, headers=dispatcher).status_code == 409
        assert iid in [i["id"] for i in client.get("/incidents", params={"status": "open"}, headers=dispatcher
                                                   ).json()["items"]]
        r = client.post(f"/incidents/{iid}/close", headers=dispatcher)
        assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["teams"] == []
        assert client.get("/teams/T-01A").json()["status"] == "available"
        assert client.post(f"/incidents/{iid}/close", headers=dispatcher).status_code == 409
        assert client.post(f"/incidents/{iid}/assign", json={"team": "T-01B"}, headers=dispatcher).status_code == 409

    def test_assigned_team_leaves_nearest_and_comes_back(self, client, dispatcher):
        first = client.get("/nearest", params={"island": "东福山岛", "k": 1}).json()["trips"][0]["team_id"]
        iid = _incident(client, dispatcher, "东福山岛")
        assert client.post(f"/incidents/{iid}/assign", json={"team": first}, headers=dispatcher).status_code == 200
        now = client.get("/nearest", params={"island": "东福山岛", "k": 3}).json()
        assert first not in [t["team_id"] for t in now["trips"]]
        assert any(x["team_id"] == first and "busy" in x["reason"] for x in now["excluded"])
        assert client.post(f"/incidents/{iid}/close", headers=dispatcher).status_code == 200
        again = client.get("/nearest", params={"island": "东福山岛", "k": 1}).json()
        assert again["trips"][0]["team_id"] == first

    def test_errors(self, client, dispatcher, planner):
        ok = {"island": "蚂蚁岛", "description": "x", "reporter": "y"}
        assert client.post("/incidents", json=ok).status_code == 401
        assert client.post("/incidents", json=ok, headers={"X-API-Key": ""}).status_code == 401
        assert client.post("/incidents", json=ok, headers=planner).status_code == 403
        assert _loc(client.post("/incidents", json={**ok, "island": "nowhere-at-all"}, headers=dispatcher)) == [
            "body", "island"]
        assert _loc(client.post("/incidents", json={**ok, "description": ""}, headers=dispatcher)) == [
            "body", "description"]
        assert _loc(client.post("/incidents", json={"island": "蚂蚁岛"}, headers=dispatcher))[0] == "body"
        assert client.get("/incidents/987654", headers=dispatcher).status_code == 404
        assert _loc(client.get("/incidents/abc", headers=dispatcher)) == ["path", "incident_id"]
        assert _loc(client.get(f"/incidents/{2**70}", headers=dispatcher)) == ["path", "incident_id"]
        assert client.post("/incidents/987654/assign", json={"team": "T-01A"}, headers=dispatcher).status_code == 404
        assert client.post("/incidents/987654/close", headers=dispatcher).status_code == 404
        iid = _incident(client, dispatcher)
        assert client.post(f"/incidents/{iid}/assign", json={"team": "T-99Z"}, headers=dispatcher).status_code == 404
        assert client.post(f"/incidents/{iid}/assign", json={"team": "T-01A"}, headers=planner).status_code == 403
        assert client.post(f"/incidents/{iid}/close", headers=planner).status_code == 403
        client.post(f"/incidents/{iid}/close", headers=dispatcher)


class TestTeamPatch:
    def test_status_and_location(self, client, dispatcher):
        r = client.patch("/teams/T-02B", json={"status": "off-duty"}, headers=dispatcher)
        assert r.status_code == 200 and r.json()["status"] == "off-duty"
        nearest = client.get("/nearest", params={"island": "金塘岛", "k": 10}).json()
        assert "T-02B" not in [t["team_id"] for t in nearest["trips"]]
        iid = _incident(client, dispatcher, "金塘岛")
        assert client.post(f"/incidents/{iid}/assign", json={"team": "T-02B"}, headers=dispatcher).status_code == 409
        r = client.patch("/teams/T-02B", json={"status": "available", "location": {"lon": 121.9, "lat": 30.05}},
                         headers=dispatcher)
        assert r.status_code == 200 and r.json()["location"] == {"lon": 121.9, "lat": 30.05}
        client.post(f"/incidents/{iid}/close", headers=dispatcher)

    def test_a_team_on_an_incident_cannot_be_made_available(self, client, dispatcher):
        iid = _incident(client, dispatcher)
        client.post(f"/incidents/{iid}/assign", json={"team": "T-04A"}, headers=dispatcher)
        r = client.patch("/teams/T-04A", json={"status": "available"}, headers=dispatcher)
        assert r.status_code == 409 and "close the incident" in r.json()["detail"]
        client.post(f"/incidents/{iid}/close", headers=dispatcher)

    @pytest.mark.parametrize(("body", "loc"), [
        ({"status": "sleeping"}, ["body", "status"]),
        ({"location": {"lon": 10.0, "lat": 30.0}}, ["body", "location"]),
        ({"location": {"lon": 122.0}}, ["body", "location", "lat"]),
        ({}, ["body"]),
    ])
    def test_bad_patch_names_the_field(self, client, dispatcher, body, loc):
        assert _loc(client.patch("/teams/T-02A", json=body, headers=dispatcher)) == loc

    def test_patch_errors(self, client, dispatcher, planner):
        assert client.patch("/teams/T-99Z", json={"status": "busy"}, headers=dispatcher).status_code == 404
        assert client.patch("/teams/T-02A", json={"status": "busy"}).status_code == 401
        assert client.patch("/teams/T-02A", json={"status": "busy"}, headers=planner).status_code == 403


def test_state_survives_a_restart(router, tmp_path):
    app = create_app(router=router, state_dir=tmp_path)
    with TestClient(app) as c:
        key = {"X-API-Key": app.state.ic.store.create_key("dispatcher")}
        pkey = {"X-API-Key": app.state.ic.store.create_key("planner")}
        iid = _incident(c, key)
        c.post(f"/incidents/{iid}/assign", json={"team": "T-05A"}, headers=key)
        sid = c.post("/scenarios", json={"name": "keep", "close": ["ST-05"]}, headers=pkey).json()["id"]
    app2 = create_app(router=router, state_dir=tmp_path)
    with TestClient(app2) as c:
        assert c.get(f"/incidents/{iid}", headers=key).json()["teams"] == ["T-05A"]
        assert c.get("/teams/T-05A").json()["status"] == "busy"
        assert c.get(f"/scenarios/{sid}").json()["spec"]["close"] == ["ST-05"]
        assert c.post(f"/incidents/{iid}/close", headers=key).status_code == 200
    store = Store.open(state_dir=tmp_path)
    try:
        assert store.count("api_keys") == 2
    finally:
        store.close()


def test_openapi_documents_the_key_header(client):
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert {"/health", "/islands", "/islands/{ref}", "/stations", "/teams", "/nearest", "/cutoff", "/coverage",
            "/scenarios", "/scenarios/{scenario_id}", "/scenarios/{a}/compare/{b}", "/siting", "/map", "/incidents",
            "/incidents/{incident_id}/assign", "/incidents/{incident_id}/close", "/teams/{team_id}"} <= set(spec["paths"])
    json.dumps(spec)


class TestTravel:
    """GET /route and GET /links (issue 7), public reads."""

    def test_route_by_ferry_matches_the_core(self, client, router):
        at = "2026-12-04T07:00:00+08:00"  # the 08:30 boat to 东极 waits 75 min at the pier
        r = client.get("/route", params={"from": "ST-03", "to": "东福山岛", "vessel": "ferry", "wind": 3, "at": at})
        assert r.status_code == 200
        body = r.json()
        core = router.route("ST-03", "东福山岛", "ferry", Weather.uniform(3), at=datetime.fromisoformat(at))
        assert body["status"] == "ok" and body["eta_min"] == round(core.eta_min, 1)
        assert [leg["mode"] for leg in body["legs"]] == [leg.mode for leg in core.legs]
        assert "wait" in [leg.mode for leg in core.legs]

    def test_route_unreachable_names_the_closures(self, client):
        r = client.get("/route", params={"from": "ST-01", "to": "泗礁山", "vessel": "ferry", "wind": 9})
        assert r.status_code == 200 and r.json()["status"] == "unreachable" and r.json()["closed"]

    @pytest.mark.parametrize("params, status, field", [
        ({"from": "ST-03", "to": "无名岛"}, 404, "to"),
        ({"from": "P-99", "to": "蚂蚁岛"}, 404, "from"),
        ({"from": "ST-03", "to": "124.5,30"}, 422, "to"),
        ({"from": "123.28,30.98", "to": "蚂蚁岛"}, 422, "from"),
        ({"from": "ST-03", "to": "蚂蚁岛", "vessel": "hovercraft"}, 422, "vessel"),
        ({"from": "ST-03", "to": "蚂蚁岛", "wind": 40}, 422, "wind"),
        ({"from": "ST-03", "to": "ZS-0038"}, 422, "to"),  # an island with no landing: give a point on it
    ])
    def test_route_bad_input(self, client, params, status, field):
        r = client.get("/route", params=params)
        assert r.status_code == status
        if status == 404:  # an unknown place: the detail names which of the two
            assert r.json()["detail"].startswith(f"{field}: ")
        elif field:
            assert _loc(r)[-1] == field

    def test_links_board(self, client):
        r = client.get("/links", params={"wind": 9})
        assert r.status_code == 200
        body = r.json()
        assert body["closed"] == sum(x["status"] != "open" for x in body["links"]) > 0
        bridges = {x["id"]: x for x in body["links"] if x["kind"] == "bridge"}
        assert bridges["西堠门大桥"]["status"] == "open"
        assert client.get("/links", params={"wind": 10}).json()["links"] != body["links"]

    def test_links_refuses_a_ferry_judge(self, client):
        r = client.get("/links", params={"vessel": "ferry"})
        assert r.status_code == 422 and _loc(r)[-1] == "vessel"
