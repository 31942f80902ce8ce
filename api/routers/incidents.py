"""Incidents: report, assign a team, close (dispatcher key for writes)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import DbId, Dispatcher, State, as_field
from api.schemas import AssignIn, IncidentIn, IncidentOut
from islandcover.errors import IslandcoverError

router = APIRouter(prefix="/incidents", tags=["incidents"])

_AUTH = {401: {"description": "missing or unknown X-API-Key"}, 403: {"description": "not a dispatcher key"}}


def _out(state: State, inc: dict[str, Any]) -> IncidentOut:
    try:
        name = state.arch.island(inc["island_id"]).name_zh
    except IslandcoverError:
        name = None
    return IncidentOut.model_validate({**inc, "island_name": name})


@router.post("", status_code=201, response_model=IncidentOut, responses=_AUTH)
def create(state: State, _role: Dispatcher, body: IncidentIn) -> IncidentOut:
    """Report an incident on an island; returns it with its id."""
    with as_field("body", "island"):
        isl = state.arch.island(body.island)
    return _out(state, state.store.create_incident(isl.id, body.description, body.reporter))


@router.get("", response_model=list[IncidentOut])
def list_incidents(state: State, status: Annotated[Literal["open", "closed"] | None, Query()] = None
                   ) -> list[IncidentOut]:
    """Every incident, newest first (optionally only open or closed ones)."""
    return [_out(state, i) for i in state.store.list_incidents(status)]


@router.get("/{incident_id}", response_model=IncidentOut, responses={404: {"description": "no such incident"}})
def get(state: State, incident_id: DbId) -> IncidentOut:
    """One incident with its teams."""
    return _out(state, state.store.incident(incident_id))


@router.post("/{incident_id}/assign", response_model=IncidentOut,
             responses={**_AUTH, 404: {"description": "no such incident or team"},
                        409: {"description": "team not available, or incident closed"}})
def assign(state: State, _role: Dispatcher, incident_id: DbId, body: AssignIn) -> IncidentOut:
    """Send an available team to an open incident; the team becomes busy.

    Of several dispatchers assigning the same team at once exactly one succeeds; the others
    get 409 (the database's conditional update decides).
    """
    team = state.arch.team(body.team)
    return _out(state, state.store.assign(incident_id, team.id))


@router.post("/{incident_id}/close", response_model=IncidentOut,
             responses={**_AUTH, 404: {"description": "no such incident"},
                        409: {"description": "already closed"}})
def close(state: State, _role: Dispatcher, incident_id: DbId) -> IncidentOut:
    """Close an incident; its teams become available again."""
    return _out(state, state.store.close_incident(incident_id))
