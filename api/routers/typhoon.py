"""Typhoon replay and the pre-positioning plan (planner key).

``POST /replay`` and ``POST /prepare`` take a track, either a shipped one by name
(``"muifa_2022"``, ``"梅花"`` …) or forecast points in the body, and return the same JSON as
``islandcover replay/prepare --json`` (times in ISO 8601 with their ``+08:00`` offset, Beijing
time; the points' times may carry any offset). Live team statuses apply (busy or off-duty teams are
neither counted as reaching an island nor planned). Only shipped tracks can be named: the API
never reads a file given by the caller.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException

from api.deps import Planner, PlannerOrDispatcher, State, as_field, field_error
from api.schemas import MAX_STEPS, PrepareIn, PreparePlanOut, ReplayIn, ReplayOut
from islandcover.clock import iso_beijing
from islandcover.errors import TrackError
from islandcover.typhoon.replay import prepare, replay
from islandcover.typhoon.tracks import Track, parse_step, shipped_track, track_from_records

__all__ = ["router"]

router = APIRouter(tags=["typhoon"])

_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "missing or unknown X-API-Key"},
                                      403: {"description": "not a planner key"}}


#: The track reader's field names → the fields of :class:`TrackPointIn`.
_POINT_FIELD = {"vmax": "vmax_ms", "pressure": "pressure_hpa", "lon/lat": "lon", "vmax/pressure": "vmax_ms"}


def _track(body: ReplayIn) -> Track:
    if (body.track is None) == (body.points is None):
        raise field_error(("body", "track"), "give either track (a shipped track's name) or points, not both")
    if body.track is not None:
        with as_field("body", "track"):
            track = shipped_track(body.track, storm=body.storm)
    else:
        records = [p.model_dump() for p in body.points or []]
        try:
            track = track_from_records(records, name=body.name, source="points")
        except TrackError as exc:  # name the point (0-based, as pydantic does) and its field
            loc: tuple[str | int, ...] = ("body", "points")
            if exc.row is not None:
                loc += (exc.row - 1,)
                if exc.field:
                    loc += (_POINT_FIELD.get(exc.field, exc.field),)
            raise field_error(loc, str(exc)) from None
    with as_field("body", "step"):
        step = parse_step(body.step)
    n = int((track.end - track.start) / step) + 1
    if n > MAX_STEPS:
        raise field_error(("body", "step"), f"{n} steps of {body.step} from {iso_beijing(track.start)} to "
                                            f"{iso_beijing(track.end)}; at most "
                                            f"{MAX_STEPS} per request: use a longer step")
    return track


@router.post("/replay", response_model=ReplayOut, responses=_AUTH)
def post_replay(state: State, _role: Planner, body: ReplayIn) -> dict[str, Any]:
    """Replay a typhoon: per step the centre, the force at each powered island, the cut-off islands and the changes;
    per island the hours cut off, the longest isolation and the peak force."""
    track = _track(body)
    with as_field("body", "points" if body.points is not None else "track"):
        rp = replay(state.router, track, pd.Timedelta(body.step), statuses=state.store.statuses())
    return rp.to_dict()


@router.post("/prepare", response_model=PreparePlanOut, responses=_AUTH)
def post_prepare(state: State, role: PlannerOrDispatcher, body: PrepareIn) -> dict[str, Any]:
    """The pre-positioning plan: islands cut off longer than ``hours`` with no team of their own, ranked by people,
    each with the fastest team that can still get there, its latest departure and whether to leave now or it is
    too late (rule in the answer). Teams start from where they are; an island that will itself be cut off keeps its
    last team. ``apply`` (a dispatcher key) writes the moves into the live state."""
    if body.apply and role != "dispatcher":
        raise HTTPException(403, detail="apply writes the live state: it needs a dispatcher key")
    track = _track(body)
    with as_field("body", "points" if body.points is not None else "track"):
        plan = prepare(state.router, track, body.hours, step=pd.Timedelta(body.step),
                       situation=state.store.situation(), now=body.now)
    out = plan.to_dict()
    out["applied"] = []
    if body.apply:
        for team_id, island_id in plan.moves():
            state.store.set_team(team_id, at=("island", island_id))
            out["applied"].append({"team_id": team_id, "island_id": island_id})
    return out
