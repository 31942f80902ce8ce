"""Coverage reports and the beacon chart."""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from api.cache import CHART_CACHE_CONTROL, Cache, etag_matches
from api.deps import State, WeatherQuery, load_scenario, scenario_number
from api.priority import PublicRoute
from islandcover.planning.coverage import THRESHOLDS_MIN
from islandcover.planning.scenario import Scenario
from islandcover.travel.weather import Weather

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


async def beacon_map(state: State, cache: Cache, weather: WeatherQuery, scenario: ScenarioRef = None,
                     lang: Literal["zh", "en"] = "zh",
                     if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
                     accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None) -> Response:
    """The beacon chart (one offline HTML page): response times, zones, cut-off islands.

    Rendered once per (weather, scenario, language) and kept (about 0.5 s of CPU each);
    concurrent requests for one chart wait for one rendering. The chart shows no live state,
    so writes do not render it again. The ``ETag`` is the hash of the page, the same from every
    worker: a client sending it back in ``If-None-Match`` gets a 304 while the chart is unchanged.
    A client that accepts gzip gets the page gzipped (compressed once, when rendered; its own ETag).
    Public requests for charts are handled one at a time per worker (:mod:`api.priority`), so
    they cannot crowd out dispatch.
    """
    if scenario is None or scenario == "base":
        sc = Scenario(name="base", weather=weather or Weather.uniform(0))
        key: tuple[object, ...] = ("map", lang, "base", sc.weather)
    else:
        row = await run_in_threadpool(state.store.scenario, scenario_number(scenario))
        sc = Scenario.from_spec(row.spec, row.name)
        sc = sc if weather is None else replace(sc, weather=weather)
        key = ("map", lang, row.id, row.name, json.dumps(row.spec, sort_keys=True), weather)

    def render() -> str:
        from islandcover.chart.beacon import scenario_chart

        m, _ = scenario_chart(state.model, sc, lang=lang)
        return m.get_root().render()

    # a kept chart is served from the event loop; rendering (CPU-heavy) runs in a thread
    chart = cache.kept_chart(key)
    if chart is None:
        chart = await run_in_threadpool(cache.chart, key, render)
    body, etag, encoding = chart.for_client(accept_encoding)
    headers = {"ETag": etag, "Cache-Control": CHART_CACHE_CONTROL, "Vary": "Accept-Encoding",
               "Content-Security-Policy": chart.csp}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return HTMLResponse(body, headers=headers)


router.add_api_route("/map", beacon_map, methods=["GET"], response_class=HTMLResponse,
                     responses={304: {"description": "not modified: the chart matches `If-None-Match`"},
                                404: {"description": "no such scenario"}},
                     route_class_override=PublicRoute)
