"""``POST /siting`` with a capacity: the capacitated answer, and a 422 naming ``capacity``."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client(api_client):
    return api_client


@pytest.fixture(scope="module")
def planner(planner_key) -> dict[str, str]:
    return planner_key


def test_mclp_with_one_capacity_for_every_site(client, planner):
    body = {"model": "mclp", "p": 2, "minutes": 60, "keep_existing": True, "capacity": 100000, "time_limit": 20}
    r = client.post("/siting", json=body, headers=planner)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["status"] == "optimal" and len(res["sites"]) == 2 and res["capacity"]["given"] == 100000
    assert all(v["capacity"] == 100000 and v["served"] <= 100000 + 1e-3 for v in res["stats"]["load"].values())
    plain = client.post("/siting", json={**body, "capacity": None}, headers=planner).json()
    assert res["objective"] <= plain["objective"] + 1e-6  # a capacity never covers more


@pytest.mark.parametrize(("body", "needle"), [
    ({"capacity": -3}, "positive number"),
    ({"capacity": 0}, "positive number"),
    ({"capacity": "head count"}, "team column name"),
    ({"capacity": True}, "positive number"),
    ({"capacity": "crew"}, "'crew' is not a column"),
    ({"capacity": "head_count"}, "capacity_new"),
    ({"capacity": "head_count", "capacity_scale": 10000, "capacity_new": 1}, "the 3 sites with the largest"),
    ({"capacity": 500, "capacity_scale": 2}, "go with a team column"),
    ({"capacity_new": 10}, "go with a capacity column"),
    ({"model": "pcenter", "capacity": 10000}, "capacity applies to mclp and pmedian"),
])
def test_bad_capacity_is_a_422_naming_it(client, planner, body, needle):
    r = client.post("/siting", json={"model": "pmedian", "p": 3, "time_limit": 20, **body}, headers=planner)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "capacity"] and needle in detail["msg"], detail


def test_capacity_scale_is_checked_by_the_schema(client, planner):
    r = client.post("/siting", json={"model": "pmedian", "p": 3, "capacity": "head_count", "capacity_scale": -1},
                    headers=planner)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "capacity_scale"]
