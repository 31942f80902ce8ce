"""``GET /calendar``: the 四时令 seasonal service calendar over HTTP (public)."""
from __future__ import annotations

import warnings
from datetime import datetime
from itertools import pairwise

import pytest

with warnings.catch_warnings():  # starlette >= 1 warns when only httpx (not httpx2) is installed
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.routers import calendar as calendar_routes
from islandcover.solar_terms import BEIJING, solar_terms


@pytest.fixture(scope="module")
def client(router, tmp_path_factory):
    app = create_app(router=router, state_dir=tmp_path_factory.mktemp("calendar-api-state"))
    if not any(getattr(r, "path", None) == "/calendar" for r in app.routes):  # until api/app.py includes it
        app.include_router(calendar_routes.router)
    with TestClient(app) as c:
        yield c


def _loc(r) -> list:
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]["loc"]


class TestCalendar:
    def test_a_year(self, client):
        r = client.get("/calendar", params={"year": 2027})
        assert r.status_code == 200, r.text
        data = r.json()
        assert len(data) == 24
        assert [d["name_zh"] for d in data][:3] == ["小寒", "大寒", "立春"]
        assert [datetime.fromisoformat(d["start"]) for d in data] == [t.start for t in solar_terms(2027)]
        assert all(d["start"].endswith("+08:00") and d["end"].endswith("+08:00") for d in data)
        assert all(a["end"] == b["start"] for a, b in pairwise(data))
        items = [i for d in data for i in d["items"]]
        assert items and all(i["sources"] or i["source"] == "operator to fill in" for i in items)

    def test_one_term_by_any_name(self, client):
        for name in ("立秋", "Beginning of Autumn", "autumn commences"):
            data = client.get("/calendar", params={"year": 2027, "term": name}).json()
            assert [d["name_zh"] for d in data] == ["立秋"], name
        ids = {i["id"] for i in data[0]["items"]}
        assert {"moratorium", "aeration", "typhoon-prepositioning"} <= ids

    def test_default_year_is_this_year_in_beijing(self, client):
        data = client.get("/calendar").json()
        assert len(data) == 24 and data[0]["start"].startswith(str(datetime.now(BEIJING).year))

    @pytest.mark.parametrize("year", ["1800", "1899", "2101", "abc", "2027.5"])
    def test_a_bad_year_is_422_naming_it(self, client, year):
        assert _loc(client.get("/calendar", params={"year": year})) == ["query", "year"]

    def test_an_unknown_term_is_422_naming_it(self, client):
        r = client.get("/calendar", params={"year": 2027, "term": "立球"})
        assert _loc(r) == ["query", "term"]
        assert "立秋" in r.json()["detail"][0]["msg"]  # the suggestion
