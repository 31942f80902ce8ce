"""Dispatch questions: the nearest teams to an island (一键响应) and cut-off islands (岛自为战).

An answer depends only on the query and the live team statuses, so it is kept (:mod:`api.cache`):
a repeated question costs a read of the state version instead of a search. When a team's status
changes (made busy, assigned, freed, off duty), the kept answers that depend on that team are
dropped: for ``/nearest``, the teams that could be in the answer (:func:`nearest_depends_on`);
for ``/cutoff``, every team.
"""
from __future__ import annotations

import math
from datetime import UTC
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from api.cache import Answer, Cache
from api.deps import AtQuery, State, WeatherQuery
from api.schemas import CutOffOut, NearestOut
from islandcover.travel.routing import Dispatch, Router
from islandcover.travel.weather import Weather

__all__ = ["calm_minutes", "nearest_depends_on", "router"]

router = APIRouter(tags=["dispatch"])


def _json(content: object) -> bytes:
    """The body FastAPI would send for ``content`` (already JSON-ready)."""
    return bytes(JSONResponse(content).body)


def calm_minutes(rt: Router) -> pd.DataFrame:
    """Minutes from every team, whatever its status, to every powered island in calm weather."""
    return rt.travel_times(Weather.uniform(0), statuses={str(t): "available" for t in rt.arch.teams.index})


def nearest_depends_on(calm: pd.DataFrame, d: Dispatch, k: int) -> frozenset[str] | None:
    """The teams whose status can change a /nearest answer; None when it cannot be told (any team).

    The answer lists the ``k`` fastest available teams under the weather and, as excluded, only
    teams whose calm-weather ETA is at most the k-th ETA (the bound; unbounded with fewer than
    ``k`` trips). Wind only closes links, so no team is faster under the weather than in calm
    weather: a team whose calm ETA exceeds the bound can neither enter the trips nor be listed,
    whatever its status. The answer therefore depends on the teams with calm ETA ≤ bound (ties
    included). ``tests/api/test_api_cache.py`` checks this against the router, one status change at
    a time.

    Parameters
    ----------
    calm : DataFrame
        :func:`calm_minutes` (teams × powered islands, NaN where unreachable).
    d : Dispatch
        The answer.
    k : int
        How many trips were asked for.
    """
    if d.island_id not in calm.columns:
        return None
    bound = d.trips[-1].eta_min if len(d.trips) == k else math.inf
    col = calm[d.island_id]
    return frozenset(str(t) for t in col.index[(col <= bound + 1e-6).to_numpy()])


@router.get("/nearest", response_model=NearestOut, responses={404: {"description": "no such island"}})
def nearest(state: State, cache: Cache, weather: WeatherQuery, at: AtQuery,
            island: Annotated[str, Query(min_length=1, max_length=100, description="island id, Chinese name or pinyin")],
            k: Annotated[int, Query(ge=1, le=50, description="how many teams, fastest first")] = 3) -> Response:
    """The k fastest *available* teams to an island under the weather, with routes and who was excluded.

    Teams busy on an open incident or off duty (live status) are not offered.
    """
    live = cache.live_statuses(state.store)
    w = (weather or Weather.uniform(0)).with_notices(live.situation.suspensions_at(None))

    def compute() -> Answer:
        d = state.router.nearest(island, w, k=k, situation=live.situation, at=at)
        out = NearestOut.model_validate({"island_id": d.island_id, "weather": d.weather, "state": d.state,
                                         "trips": [t.to_dict() for t in d.trips],
                                         "excluded": [x.to_dict() for x in d.excluded]})
        body = _json(out.model_dump(mode="json"))
        if not cache.enabled:
            return Answer(body)
        return Answer(body, nearest_depends_on(cache.once("calm_minutes", lambda: calm_minutes(state.router)), d, k))

    minute = at.astimezone(UTC).strftime("%Y%m%d%H%M")  # ferry teams wait for sailings: answers vary with time
    return Response(cache.answer(live, ("nearest", island, k, w, minute), compute), media_type="application/json")


@router.get("/cutoff", response_model=list[CutOffOut])
def cutoff(state: State, cache: Cache, weather: WeatherQuery) -> Response:
    """Powered islands no available team based elsewhere can reach under the weather."""
    live = cache.live_statuses(state.store)
    w = (weather or Weather.uniform(0)).with_notices(live.situation.suspensions_at(None))

    def compute() -> Answer:
        cut = state.router.cutoff(w, situation=live.situation)
        return Answer(_json([CutOffOut.model_validate(c.to_dict()).model_dump(mode="json") for c in cut]))

    return Response(cache.answer(live, ("cutoff", w), compute), media_type="application/json")
