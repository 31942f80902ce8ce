"""Travel questions: a route between any two places, and the link status board (public reads)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from api.deps import AtQuery, State, WeatherQuery, field_error
from api.schemas import LinksOut, RouteOut, Vessel
from islandcover.errors import NoLanding, NotFound, OutsideArchipelago, PointAtSea
from islandcover.travel.links import limits_table
from islandcover.travel.places import resolve_place
from islandcover.travel.weather import Weather

router = APIRouter(tags=["travel"])

Place = Annotated[str, Query(min_length=1, max_length=100,
                             description="island (id, Chinese name, pinyin), station id, pier id, or lon,lat")]


@router.get("/route", response_model=RouteOut, response_model_by_alias=True,
            responses={404: {"description": "no such island, station or pier"}})
def route(state: State, weather: WeatherQuery, from_: Annotated[str, Query(alias="from", min_length=1, max_length=100,
                                                                            description="origin: island, station id, "
                                                                                        "pier id, or lon,lat")],
          to: Place, at: AtQuery, vessel: Vessel = "workboat") -> RouteOut:
    """The fastest route between two places with one vessel class (``ferry``: the scheduled sailings).

    ``status`` is ``unreachable`` when no open path exists; ``closed`` then says why.
    """
    for name, ref in (("from", from_), ("to", to)):
        try:
            resolve_place(state.router, ref, vessel)
        except (PointAtSea, OutsideArchipelago, NoLanding) as exc:  # a bad value; unknown names are 404s
            raise field_error(("query", name), str(exc)) from None
        except NotFound as exc:  # which of the two it is: "to: no island named …"
            raise HTTPException(status_code=404, detail=f"{name}: {exc}") from None
    situation = state.store.situation()
    r = state.router.route(from_, to, vessel, (weather or Weather.uniform(0)).with_notices(situation.suspensions_at(None)),
                           at=at)
    return RouteOut.model_validate({**r.to_dict(), "state": situation.describe()})


@router.get("/links", response_model=LinksOut)
def links(state: State, weather: WeatherQuery,
          vessel: Annotated[Literal["workboat", "fast"], Query(description="own boat judging the sea lanes")]
          = "workboat") -> LinksOut:
    """Every sea lane group, scheduled sailing and bridge: open or closed, why, and the islands each isolates."""
    situation = state.store.situation()
    w = (weather or Weather.uniform(0)).with_notices(situation.suspensions_at(None))
    out = state.board.status(w, vessel, situation=situation).to_dict()
    out["limits"] = limits_table(state.router)
    return LinksOut.model_validate(out)
