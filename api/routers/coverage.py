"""Coverage reports and the beacon chart."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import Field

from api.deps import State, WeatherQuery, load_scenario
from islandcover.planning.coverage import THRESHOLDS_MIN

router = APIRouter(tags=["coverage"])

Minutes = Annotated[float, Field(gt=0, le=1440, allow_inf_nan=False)]
ScenarioRef = Annotated[str | None, Query(max_length=20, description="stored scenario id, or 'base' (default)")]


@router.get("/coverage", responses={404: {"description": "no such scenario"}})
def coverage(state: State, weather: WeatherQuery, scenario: ScenarioRef = None,
             minutes: Annotated[list[Minutes] | None, Query(description="thresholds, minutes (repeatable; "
                                                                          "default 30 45 60 90 120)")] = None,
             ) -> dict[str, Any]:
    """Share of powered islands and people reached within each threshold, by district, worst served.

    ``wind`` (or a typhoon) replaces the scenario's weather.
    """
    sc = load_scenario(state, scenario, weather)
    ms = sorted(set(minutes)) if minutes else list(THRESHOLDS_MIN)
    return state.model.report(sc, ms).to_dict(ms)


@router.get("/map", response_class=HTMLResponse, responses={404: {"description": "no such scenario"}})
def beacon_map(state: State, weather: WeatherQuery, scenario: ScenarioRef = None,
               lang: Literal["zh", "en"] = "zh") -> HTMLResponse:
    """The beacon chart (one offline HTML page): response times, zones, cut-off islands."""
    from islandcover.chart.beacon import scenario_chart

    m, _ = scenario_chart(state.model, load_scenario(state, scenario, weather), lang=lang)
    return HTMLResponse(m.get_root().render())
