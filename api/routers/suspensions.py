"""Suspension notices: the operator's or the maritime authority's closures, in force whatever the
wind (dispatcher key to post or revoke; reading them is public)."""
from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import DbId, Dispatcher, State, as_field
from api.schemas import SuspensionIn, SuspensionOut
from islandcover.clock import iso_beijing
from islandcover.situation import Suspension

router = APIRouter(prefix="/suspensions", tags=["suspensions"])

_AUTH = {401: {"description": "missing, unknown or revoked X-API-Key"}, 403: {"description": "not a dispatcher key"}}


def _out(n: Suspension, now: datetime) -> SuspensionOut:
    return SuspensionOut(id=n.id, scope=n.scope, ref=n.ref, starts=iso_beijing(n.starts),
                         ends=None if n.ends is None else iso_beijing(n.ends), source=n.source, note=n.note,
                         active=n.active(now), label=n.label())


@router.get("", response_model=list[SuspensionOut])
def list_suspensions(state: State) -> list[SuspensionOut]:
    """Every notice not revoked, oldest first, with whether it is in force now."""
    now = datetime.now(UTC)
    return [_out(n, now) for n in state.store.suspensions()]


@router.post("", status_code=201, response_model=SuspensionOut, responses=_AUTH)
def post_suspension(state: State, _role: Dispatcher, body: SuspensionIn) -> SuspensionOut:
    """Enter a notice: from ``starts`` (default now) until ``ends`` (default: until revoked), the
    links its scope covers are closed in every answer, which names the notice when it excludes a
    team or a link."""
    with as_field("body", "ref"):
        ref = state.router.cover.check(body.scope, body.ref)
    now = datetime.now(UTC)
    with as_field("body", "ends"):
        n = state.store.add_suspension(body.scope, ref, starts=body.starts or now, ends=body.ends,
                                       source=body.source, note=body.note)
    return _out(n, now)


@router.delete("/{suspension_id}", response_model=SuspensionOut,
               responses={**_AUTH, 404: {"description": "no such notice in force"}})
def revoke_suspension(state: State, _role: Dispatcher, suspension_id: DbId) -> SuspensionOut:
    """Withdraw a notice: its links reopen, wind permitting."""
    return _out(state.store.revoke_suspension(suspension_id), datetime.now(UTC))
