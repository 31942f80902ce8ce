"""Dispatch questions: the nearest teams to an island (一键响应) and cut-off islands (岛自为战)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import State, WeatherQuery
from api.schemas import CutOffOut, NearestOut
from islandcover.travel.weather import Weather

router = APIRouter(tags=["dispatch"])


@router.get("/nearest", response_model=NearestOut, responses={404: {"description": "no such island"}})
def nearest(state: State, weather: WeatherQuery,
            island: Annotated[str, Query(min_length=1, max_length=100, description="island id, Chinese name or pinyin")],
            k: Annotated[int, Query(ge=1, le=50, description="how many teams, fastest first")] = 3) -> NearestOut:
    """The k fastest *available* teams to an island under the weather, with routes and who was excluded.

    Teams busy on an open incident or off duty (live status) are not offered.
    """
    d = state.router.nearest(island, weather or Weather.uniform(0), k=k, statuses=state.store.statuses())
    return NearestOut.model_validate({"island_id": d.island_id, "weather": d.weather,
                                      "trips": [t.to_dict() for t in d.trips],
                                      "excluded": [x.to_dict() for x in d.excluded]})


@router.get("/cutoff", response_model=list[CutOffOut])
def cutoff(state: State, weather: WeatherQuery) -> list[CutOffOut]:
    """Powered islands no available team based elsewhere can reach under the weather."""
    cut = state.router.cutoff(weather or Weather.uniform(0), statuses=state.store.statuses())
    return [CutOffOut.model_validate(c.to_dict()) for c in cut]
