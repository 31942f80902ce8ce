"""Islands (GeoJSON) and stations."""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import State
from api.schemas import StationOut

router = APIRouter(tags=["islands"])

District = Literal["定海区", "普陀区", "岱山县", "嵊泗县"]
_GEOJSON = "application/geo+json"


def _geojson(obj: dict[str, Any]) -> Response:
    return Response(json.dumps(obj, ensure_ascii=False, separators=(",", ":")), media_type=_GEOJSON)


@router.get("/islands", response_class=Response,
            responses={200: {"content": {_GEOJSON: {}}, "description": "GeoJSON FeatureCollection (EPSG:4326)"}})
def islands(state: State, district: Annotated[District | None, Query(description="only this district")] = None,
            powered: Annotated[bool | None, Query(description="only powered (true) or unpowered (false) islands")] = None,
            ) -> Response:
    """The islands as a GeoJSON FeatureCollection, optionally filtered by district and powered."""
    feats = [f for f in state.island_features.values()
             if (district is None or f["properties"]["district"] == district)
             and (powered is None or bool(f["properties"]["powered"]) == powered)]
    return _geojson({"type": "FeatureCollection", "features": feats})


@router.get("/islands/{ref}", response_class=Response,
            responses={200: {"content": {_GEOJSON: {}}, "description": "GeoJSON Feature"},
                       404: {"description": "no such island (or an ambiguous name)"}})
def island(state: State, ref: str) -> Response:
    """One island by id (``ZS-0042``) or name (Chinese, with or without 岛/山, or pinyin)."""
    isl = state.arch.island(ref)
    return _geojson(state.island_features[isl.id])


@router.get("/stations", response_model=list[StationOut], tags=["stations"])
def stations(state: State) -> list[StationOut]:
    """Light stations (光明驿站) and service points."""
    st = state.arch.stations
    return [StationOut(id=str(i), name_zh=r.name_zh, name_en=r.name_en if isinstance(r.name_en, str) else None,
                       kind=r.kind, island_id=r.island_id, lon=float(r.lon), lat=float(r.lat),
                       illustrative=bool(r.illustrative)) for i, r in st.iterrows()]
