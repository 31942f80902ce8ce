"""Optimal station sites (planner key)."""
from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter

from api.deps import Planner, State, as_field, field_error, load_scenario
from api.schemas import SitingIn
from islandcover.planning.siting import MODEL_PARAMS
from islandcover.travel.weather import Weather

router = APIRouter(tags=["siting"])

@router.post("/siting", responses={401: {"description": "missing or unknown X-API-Key"},
                                   403: {"description": "not a planner key"},
                                   404: {"description": "no such scenario"}})
def siting(state: State, _role: Planner, body: SitingIn) -> dict[str, Any]:
    """Solve a siting model (mclp, pmedian, pcenter, setcover) over every landing as a candidate site.

    ``time_limit`` (≤ 60 s) bounds the solver; the best solution found is returned with its gap.
    """
    for name in MODEL_PARAMS[body.model]:
        if getattr(body, name) is None:
            raise field_error(("body", name), f"model {body.model} needs {name}")
    sc = load_scenario(state, body.scenario, None if body.wind is None else Weather.uniform(body.wind))
    with as_field("body", "scenario"):
        problem = state.model.siting_problem(sc, keep_existing=body.keep_existing, weight=body.weight)
    with as_field("body"):
        res = problem.solve(body.model, p=body.p, minutes=body.minutes, time_limit=body.time_limit)
    out = res.to_dict()
    out.update(state.model.site_kinds(res.sites))
    out["weight"] = body.weight
    out["scenario"] = sc.to_dict()
    out["people_without_population"] = int(np.isnan(state.model.demand.people).sum())
    return out
