"""The organisational layers: power-supply stations (站所), demonstration posts and responsibility zones."""
from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from fastapi import APIRouter, Response

from api.deps import AppState, State

router = APIRouter(tags=["organisation"])

_GEOJSON = "application/geo+json"
_STATION_PROPS = ("id", "name_zh", "name_en", "district", "island_id", "position_source", "contact", "source_url",
                  "source_quote", "confidence", "illustrative", "notes")
_POST_PROPS = ("id", "name_zh", "name_en", "kind", "station_id", "district", "island_id", "position_source", "contact",
               "source_url", "source_quote", "confidence", "illustrative", "notes")
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {_GEOJSON: {}}, "description": "GeoJSON FeatureCollection (EPSG:4326)"}}


def _geojson(obj: dict[str, Any]) -> Response:
    return Response(json.dumps(obj, ensure_ascii=False, separators=(",", ":")), media_type=_GEOJSON)


def _value(v: object) -> object:
    if isinstance(v, bool | int | float | str) or v is None:
        return None if isinstance(v, float) and pd.isna(v) else v
    if hasattr(v, "item"):  # numpy scalars
        return v.item()  # type: ignore[union-attr]
    return str(v)


def _points(state: AppState, table: gpd.GeoDataFrame, props: tuple[str, ...]) -> dict[str, Any]:
    feats = []
    for _, r in table.iterrows():
        p = {c: _value(r[c]) for c in props}
        p["island"] = state.arch.islands.at[r["island_id"], "name_zh"]
        p["illustrative"] = bool(r["illustrative"])
        p["contact"] = p["contact"] or None
        feats.append({"type": "Feature", "id": str(r["id"]), "properties": p,
                      "geometry": {"type": "Point", "coordinates": [round(float(r["lon"]), 6),
                                                                    round(float(r["lat"]), 6)]}})
    return {"type": "FeatureCollection", "features": feats}


@router.get("/supply-stations", response_class=Response, responses=_RESPONSES)
def supply_stations(state: State) -> Response:
    """Power-supply stations (供电所 / 供电服务站) as GeoJSON points.

    ``illustrative`` is false for stations a public source names (``source_url``, ``confidence``);
    their point is placed by islandcover where no position is published (``position_source``).
    ``contact`` is a published contact only (the public hotline 95598 where no other is).
    """
    return _geojson(_points(state, state.organisation().supply_stations, _STATION_PROPS))


@router.get("/demo-posts", response_class=Response, responses=_RESPONSES)
def demo_posts(state: State) -> Response:
    """Demonstration posts (示范岗, 共产党员服务队 …) as GeoJSON points, with the station of each."""
    return _geojson(_points(state, state.organisation().demo_posts, _POST_PROPS))


@router.get("/zones", response_class=Response, responses=_RESPONSES)
def zones(state: State) -> Response:
    """Responsibility zones as GeoJSON polygons, one feature per zone.

    From the data folder's zones file when there is one (``source`` its name), else the computed
    travel-time catchments of the light stations in calm weather (``source`` ``computed``: each
    powered island goes to the station that reaches it first, ties to the lower id). ``zone`` is a
    station id (a supply station or a light station), ``islands`` the ids of its islands.
    """
    z = state.zones()
    org = state.organisation()
    names: dict[str, tuple[str, str | None]] = {}
    for table in (state.arch.stations, org.supply_stations):
        for sid, r in table.iterrows():
            en = r["name_en"] if isinstance(r["name_en"], str) and r["name_en"] else None
            names[str(sid)] = (str(r["name_zh"]), en)
    feats = []
    for zone, r in z.polygons.iterrows():
        name_zh, name_en = names.get(str(zone), (str(zone), None))
        feats.append({"type": "Feature", "id": str(zone),
                      "properties": {"zone": str(zone), "name_zh": name_zh, "name_en": name_en,
                                     "islands": list(r["islands"]), "n_islands": len(r["islands"]),
                                     "source": z.source},
                      "geometry": shapely.geometry.mapping(r.geometry)})
    return _geojson({"type": "FeatureCollection", "features": feats})
