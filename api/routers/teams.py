"""Teams with their live status."""
from __future__ import annotations

from fastapi import APIRouter

from api.deps import Dispatcher, State, as_field, field_error
from api.schemas import LonLat, TeamOut, TeamPatch
from islandcover.facts import BOUNDS
from islandcover.store import TeamState

router = APIRouter(tags=["teams"])


def _team_out(state: State, tid: str, live: TeamState | None) -> TeamOut:
    t = state.arch.team(tid)
    if live is None:  # not in the store yet: the loaded status
        return TeamOut(id=t.id, name=t.name, station_id=t.station_id, boat_class=t.boat_class,
                       head_count=t.head_count, status=t.status, incident_id=None, location=None, updated_at=None)
    loc = LonLat(lon=live.lon, lat=live.lat) if live.lon is not None and live.lat is not None else None
    return TeamOut(id=t.id, name=t.name, station_id=t.station_id, boat_class=t.boat_class, head_count=t.head_count,
                   status=live.status, incident_id=live.incident_id, location=loc, updated_at=live.updated_at,
                   at_kind=live.at_kind, at_ref=live.at_ref, at_set=live.at_set)


@router.get("/teams", response_model=list[TeamOut])
def teams(state: State) -> list[TeamOut]:
    """Every team with its live status, open incident and last position."""
    live = state.store.team_states()
    return [_team_out(state, str(t), live.get(str(t))) for t in state.arch.teams.index]


@router.get("/teams/{team_id}", response_model=TeamOut, responses={404: {"description": "no such team"}})
def team(state: State, team_id: str) -> TeamOut:
    """One team with its live status."""
    t = state.arch.team(team_id)
    return _team_out(state, t.id, state.store.team_states().get(t.id))


@router.patch("/teams/{team_id}", response_model=TeamOut,
              responses={401: {"description": "no key"}, 403: {"description": "not a dispatcher key"},
                         404: {"description": "no such team"},
                         409: {"description": "team is on an open incident"}})
def patch_team(state: State, _role: Dispatcher, team_id: str, body: TeamPatch) -> TeamOut:
    """Set a team's status (available, busy, off-duty) and/or where it is now (dispatcher key).

    ``at`` is an island, a pier or station id, or ``lon,lat``; ``location`` a point;
    ``return_home`` puts it back at its own station. Every later answer (``/nearest``,
    ``/cutoff``) starts the team from there.
    """
    t = state.arch.team(team_id)
    at = None
    if body.location is not None:
        w, s, e, n = BOUNDS
        if not (w <= body.location.lon <= e and s <= body.location.lat <= n):
            raise field_error(("body", "location"), f"({body.location.lon}, {body.location.lat}) is outside the "
                              f"archipelago (lon {w}–{e}, lat {s}–{n})")
        with as_field("body", "location"):
            at = state.router.position(t.id, f"{body.location.lon},{body.location.lat}")
    elif body.at is not None:
        with as_field("body", "at"):
            at = state.router.position(t.id, body.at)
    elif body.return_home:
        at = ("station", "")
    live = state.store.set_team(t.id, status=body.status, at=at)
    return _team_out(state, t.id, live)
