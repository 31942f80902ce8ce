"""``GET /calendar``: the 四时令 seasonal service calendar over HTTP (public).

Through the app ``api.app.create_app`` builds (conftest's ``api_client``): no router is added here.
"""
from __future__ import annotations

from datetime import datetime
from itertools import pairwise

import pytest

from islandcover.seasons.solar_terms import BEIJING, solar_terms


def _loc(r) -> list:
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]["loc"]


class TestCalendar:
    def test_a_year(self, api_client):
        r = api_client.get("/calendar", params={"year": 2027})
        assert r.status_code == 200, r.text
        data = r.json()
        assert len(data) == 24
        assert [d["name_zh"] for d in data][:3] == ["小寒", "大寒", "立春"]
        assert [datetime.fromisoformat(d["start"]) for d in data] == [t.start for t in solar_terms(2027)]
        assert all(d["start"].endswith("+08:00") and d["end"].endswith("+08:00") for d in data)
        assert all(a["end"] == b["start"] for a, b in pairwise(data))
        items = [i for d in data for i in d["items"]]
        assert items and all(i["sources"] or i["source"] == "operator to fill in" for i in items)

    def test_one_term_by_any_name(self, api_client):
        for name in ("立秋", "Beginning of Autumn", "autumn commences"):
            data = api_client.get("/calendar", params={"year": 2027, "term": name}).json()
            assert [d["name_zh"] for d in data] == ["立秋"], name
        ids = {i["id"] for i in data[0]["items"]}
        assert {"moratorium", "aeration", "typhoon-prepositioning"} <= ids

    def test_default_year_is_this_year_in_beijing(self, api_client):
        data = api_client.get("/calendar").json()
        assert len(data) == 24 and data[0]["start"].startswith(str(datetime.now(BEIJING).year))

    @pytest.mark.parametrize("year", ["1800", "1899", "2101", "abc", "2027.5"])
    def test_a_bad_year_is_422_naming_it(self, api_client, year):
        assert _loc(api_client.get("/calendar", params={"year": year})) == ["query", "year"]

    def test_an_unknown_term_is_422_naming_it(self, api_client):
        r = api_client.get("/calendar", params={"year": 2027, "term": "立球"})
        assert _loc(r) == ["query", "term"]
        assert "立秋" in r.json()["detail"][0]["msg"]  # the suggestion
