"""GET /supply-stations, /demo-posts and /zones: public GeoJSON of the organisational layers."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client(api_client):
    return api_client


def test_supply_stations_are_public_geojson_points(client):
    r = client.get("/supply-stations")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    doc = r.json()
    assert doc["type"] == "FeatureCollection"
    feats = {f["id"]: f for f in doc["features"]}
    assert len(feats) == 20
    dongji = feats["SS-01"]
    assert dongji["geometry"]["type"] == "Point"
    assert dongji["properties"]["island_id"] == "ZS-0037"
    assert dongji["properties"]["island"] == "庙子湖岛"
    assert dongji["properties"]["illustrative"] is False
    assert dongji["properties"]["contact"] == "95598"
    assert sum(not f["properties"]["illustrative"] for f in feats.values()) == 1


def test_demo_posts_answer_an_empty_collection_when_none_is_sourced(client):
    r = client.get("/demo-posts")
    assert r.status_code == 200
    assert r.json() == {"type": "FeatureCollection", "features": []}


def test_zones_default_to_the_computed_catchments(client, arch):
    r = client.get("/zones")
    assert r.status_code == 200
    feats = r.json()["features"]
    assert feats and {f["properties"]["source"] for f in feats} == {"computed"}
    assert {f["geometry"]["type"] for f in feats} <= {"Polygon", "MultiPolygon"}
    zoned = [i for f in feats for i in f["properties"]["islands"]]
    assert len(zoned) == len(set(zoned))  # an island is in one zone
    assert set(arch.powered.index) - set(zoned) <= set()  # every powered island is reached in calm weather
    assert {f["properties"]["zone"] for f in feats} <= set(arch.stations.index)
    assert all(f["properties"]["name_zh"] for f in feats)


def test_unknown_query_parameters_are_refused(client):
    assert client.get("/supply-stations?district=普陀区").status_code == 422
