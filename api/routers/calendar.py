"""The 四时令 seasonal service calendar: the 24 solar terms of a year with their service items."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import State, as_field
from islandcover.seasons.service_calendar import build_calendar
from islandcover.seasons.solar_terms import BEIJING, MAX_YEAR, MIN_YEAR, find_term

__all__ = ["CalendarItemOut", "CalendarTermOut", "router"]

router = APIRouter(tags=["calendar"])


class CalendarItemOut(BaseModel):
    """A seasonal service item as it applies in one term."""

    id: str
    item_zh: str
    item_en: str
    islands: Literal["fishing", "farming", "all"]
    kind: Literal["term", "fixed"] = Field(description="term: keyed to solar terms; fixed: calendar dates")
    start: str = Field(description="term name (kind term) or ISO 8601 instant, +08:00 (kind fixed)")
    end: str | None = Field(description="term name, ISO 8601 instant, or null for a moment")
    source: str = Field(description="public URLs separated by ' ; ', or 'operator to fill in'")
    sources: list[str]
    evidence: Literal["verified", "analogue", "weak", "operator"]
    note: str


class CalendarTermOut(BaseModel):
    """One solar term of the year, Beijing time, with the items active in it."""

    name_zh: str
    name_en: str
    longitude_deg: int = Field(description="apparent ecliptic longitude of the Sun at start, degrees")
    start: datetime = Field(description="when the term begins (ISO 8601, +08:00)")
    end: datetime = Field(description="when the next term begins")
    items: list[CalendarItemOut]
    typhoon_risk: dict[str, Any] | None = Field(
        default=None, description="with risk=true: the shipped storms that gave force-7 winds at Zhoushan in this "
                                  "term, and for how many hours (5 storms of 2021–2024, not a climatology)")


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
