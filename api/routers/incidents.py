"""Incidents: report, list, assign a team, close (all need a dispatcher key).

Reporter names and descriptions are personal data, so reading incidents needs a dispatcher key
too. ``GET /incidents`` answers a page at a time, newest first: ``limit`` (default 50, at most
500) and ``cursor`` (the ``next_cursor`` of the previous page, passed back as is; null on the
last page).

``POST /incidents`` takes an optional ``Idempotency-Key`` header (1–255 printable ASCII
characters, e.g. a UUID). The key is stored with the incident in one transaction, per
dispatcher key, so a client that retries after losing the answer gets the incident it created
(status 200 and ``Idempotent-Replayed: true``) instead of a duplicate; the same key with another
island, description or reporter is a 409 naming the header.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Header, Query, Request, Response

from api.deps import DbId, Dispatcher, State, as_field, field_error
from api.schemas import AssignIn, IncidentIn, IncidentOut, IncidentPageOut
from islandcover.errors import IdempotencyConflict, InvalidText, IslandcoverError
from islandcover.store import MAX_PAGE, Incident, hash_key

__all__ = ["IncidentPageOut", "router"]

router = APIRouter(prefix="/incidents", tags=["incidents"])

_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "missing, unknown or revoked X-API-Key"},
         403: {"description": "not a dispatcher key"}}

T = TypeVar("T")

#: The biggest cursor: a 64-bit row id.
_MAX_ID = 2**63 - 1


def _island_name(state: State, island_id: str) -> str | None:
    try:
        return state.arch.island(island_id).name_zh
    except IslandcoverError:
        return None


def _out(state: State, inc: Incident, names: dict[str, str | None] | None = None) -> IncidentOut:
    """An incident with its island's Chinese name (looked up once per island of a page via ``names``)."""
    if names is None:
        names = {}
    if inc.island_id not in names:
        names[inc.island_id] = _island_name(state, inc.island_id)
    return IncidentOut.model_validate({**inc.to_dict(), "island_name": names[inc.island_id]})


def _before(cursor: str | None) -> int | None:
    """The row id a cursor stands for; a 422 naming ``cursor`` for anything this API did not give out."""
    if cursor is None:
        return None
    if cursor.isascii() and cursor.isdigit() and len(cursor) <= 19 and 1 <= int(cursor) <= _MAX_ID:
        return int(cursor)
    raise field_error(("query", "cursor"), "not a cursor of this API: pass the next_cursor of the previous page as is")


def _stored(call: Callable[[], T]) -> T:
    """Run a store call, turning text the store refuses into a 422 naming the body field."""
    try:
        return call()
    except InvalidText as exc:
        name = "island" if exc.field == "island_id" else exc.field
        raise field_error(("body", name), str(exc)) from None


@router.post("", status_code=201, response_model=IncidentOut,
             responses={**_AUTH, 200: {"description": "a retry with the same Idempotency-Key: the incident it "
                                                      "created first (header Idempotent-Replayed: true)"},
                        409: {"description": "Idempotency-Key already used for a different incident"}})
def create(state: State, _role: Dispatcher, body: IncidentIn, request: Request, response: Response,
           idempotency_key: Annotated[str | None, Header(
               alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x20-\x7e]+$",
               description="your name for this report (e.g. a UUID): a retry with the same key returns "
                           "the incident created first instead of a duplicate")] = None,
           ) -> IncidentOut:
    """Report an incident on an island; returns it with its id (201).

    With an ``Idempotency-Key``, a retry (same dispatcher key, same key, same body) returns the
    incident created first with status 200 and ``Idempotent-Replayed: true``; the same key with
    a different island, description or reporter is a 409.
    """
    with as_field("body", "island"):
        isl = state.arch.island(body.island)
    store = state.store
    if idempotency_key is None:
        return _out(state, _stored(lambda: store.create_incident(isl.id, body.description, body.reporter)))
    client = hash_key(request.headers.get("X-API-Key", ""))
    try:
        inc, created = _stored(lambda: store.create_incident_once(
            isl.id, body.description, body.reporter, idempotency_key=idempotency_key, client=client))
    except IdempotencyConflict as exc:
        raise field_error(("header", "Idempotency-Key"), f"Idempotency-Key: {exc}", status=409) from None
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return _out(state, inc)


@router.get("", response_model=IncidentPageOut, responses=_AUTH)
def list_incidents(
    state: State, _role: Dispatcher,
    status: Annotated[Literal["open", "closed"] | None, Query(description="only open or closed incidents")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"incidents per page (1–{MAX_PAGE})")] = 50,
    cursor: Annotated[str | None, Query(max_length=40, description="the next_cursor of the previous page")] = None,
) -> IncidentPageOut:
    """Incidents, newest first, a page at a time (optionally only open or closed ones).

    Incidents reported while you page through appear on no later page: start again without a
    cursor to see them.
    """
    page = state.store.incident_page(status, limit=limit, before=_before(cursor))
    names: dict[str, str | None] = {}
    return IncidentPageOut(items=[_out(state, i, names) for i in page.items],
                           next_cursor=None if page.next_cursor is None else str(page.next_cursor))


@router.get("/{incident_id}", response_model=IncidentOut,
            responses={**_AUTH, 404: {"description": "no such incident"}})
def get(state: State, _role: Dispatcher, incident_id: DbId) -> IncidentOut:
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
