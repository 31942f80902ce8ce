"""Dispatch questions: the nearest teams to an island (一键响应) and cut-off islands (岛自为战).

An answer depends only on the query and the live team statuses, so it is kept under those
(:mod:`api.cache`): a repeated question costs a read of the state version instead of a search,
and a write that changes a status (a team made busy, assigned or freed) drops every kept answer.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from api.cache import Cache
from api.deps import State, WeatherQuery
from api.schemas import CutOffOut, NearestOut
from islandcover.travel.weather import Weather

router = APIRouter(tags=["dispatch"])


def _json(content: object) -> bytes:
    """The body FastAPI would send for ``content`` (already JSON-ready)."""
    return bytes(JSONResponse(content).body)


@router.get("/nearest", response_model=NearestOut, responses={404: {"description": "no such island"}})
def nearest(state: State, cache: Cache, weather: WeatherQuery,
            island: Annotated[str, Query(min_length=1, max_length=100, description="island id, Chinese name or pinyin")],
            k: Annotated[int, Query(ge=1, le=50, description="how many teams, fastest first")] = 3) -> Response:
    """The k fastest *available* teams to an island under the weather, with routes and who was excluded.

    Teams busy on an open incident or off duty (live status) are not offered.
    """
    w = weather or Weather.uniform(0)
    live = cache.live_statuses(state.store)

    def compute() -> bytes:
        d = state.router.nearest(island, w, k=k, statuses=live.statuses)
        out = NearestOut.model_validate({"island_id": d.island_id, "weather": d.weather,
                                         "trips": [t.to_dict() for t in d.trips],
                                         "excluded": [x.to_dict() for x in d.excluded]})
        return _json(out.model_dump(mode="json"))

    return Response(cache.answer(("nearest", island, k, w, live.fingerprint), compute),
                    media_type="application/json")


@router.get("/cutoff", response_model=list[CutOffOut])
def cutoff(state: State, cache: Cache, weather: WeatherQuery) -> Response:
    """Powered islands no available team based elsewhere can reach under the weather."""
    w = weather or Weather.uniform(0)
    live = cache.live_statuses(state.store)

    def compute() -> bytes:
        cut = state.router.cutoff(w, statuses=live.statuses)
        return _json([CutOffOut.model_validate(c.to_dict()).model_dump(mode="json") for c in cut])

    return Response(cache.answer(("cutoff", w, live.fingerprint), compute), media_type="application/json")
