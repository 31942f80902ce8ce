"""The 四时令 seasonal service calendar: the 24 solar terms of a year with their service items."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import State, as_field
from api.schemas import CalendarTermOut
from islandcover.seasons.service_calendar import build_calendar
from islandcover.seasons.solar_terms import BEIJING, MAX_YEAR, MIN_YEAR, find_term

__all__ = ["router"]

router = APIRouter(tags=["calendar"])


@router.get("/calendar", response_model=list[CalendarTermOut],
            responses={422: {"description": "year outside 1900–2100 or an unknown term (names the field)"}})
def calendar(
    state: State,
    year: Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR,
                                      description="Gregorian year (default: this year in Beijing time)")] = None,
    term: Annotated[str | None, Query(max_length=64, description="only this term: 立秋, Beginning of Autumn, …")] = None,
    risk: Annotated[bool, Query(description="add the typhoon risk per term from the shipped tracks")] = False,
) -> list[CalendarTermOut]:
    """The 24 solar terms of ``year`` (小寒 … 冬至, Beijing time), or only ``term``, with the seasonal
    service items for fishing and farming islands and their sources (public)."""
    with as_field("query", "term"):
        wanted = find_term(term) if term is not None else None
    cal = build_calendar(year if year is not None else datetime.now(BEIJING).year)
    if wanted is not None:
        cal = [ct for ct in cal if ct.term.index == wanted.index]
    out = [ct.to_dict() for ct in cal]
    if risk:
        by_term = {t.name_zh: t.to_dict() for t in state.seasonal_risk().terms}
        for obj in out:
            obj["typhoon_risk"] = by_term[str(obj["name_zh"])]
    return [CalendarTermOut.model_validate(obj) for obj in out]
