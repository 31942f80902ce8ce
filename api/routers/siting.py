"""Optimal station sites (planner key)."""
from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter

from api.deps import Planner, State, as_field, field_error, load_scenario
from api.schemas import SitingIn
from islandcover.errors import IslandcoverError
from islandcover.planning.capacity import CAPACITY_MODELS
from islandcover.planning.siting import MODEL_PARAMS
from islandcover.travel.weather import Weather

router = APIRouter(tags=["siting"])

@router.post("/siting", responses={401: {"description": "missing or unknown X-API-Key"},
                                   403: {"description": "not a planner key"},
                                   404: {"description": "no such scenario"}})
def siting(state: State, _role: Planner, body: SitingIn) -> dict[str, Any]:
    """Solve a siting model (mclp, pmedian, pcenter, setcover) over every landing as a candidate site.

    ``time_limit`` (≤ 60 s) bounds the solver; the best solution found is returned with its gap.
    With ``capacity`` (mclp, pmedian) each open site serves at most its capacity; ``stats`` then
    holds each open site's ``load`` and the islands ``split`` between sites.
    """
    for name in MODEL_PARAMS[body.model]:
        if getattr(body, name) is None:
            raise field_error(("body", name), f"model {body.model} needs {name}")
    sc = load_scenario(state, body.scenario, None if body.wind is None else Weather.uniform(body.wind))
    with as_field("body", "scenario"):
        problem = state.model.siting_problem(sc, keep_existing=body.keep_existing, weight=body.weight)
    caps = None
    if body.capacity is not None:
        if body.model not in CAPACITY_MODELS:
            raise field_error(("body", "capacity"), f"capacity applies to {' and '.join(CAPACITY_MODELS)}, "
                                                    f"not to {body.model}")
        with as_field("body", "capacity"):
            caps = state.model.site_capacities(problem, body.capacity, scale=body.capacity_scale,
                                               new_site=body.capacity_new)
    elif body.capacity_scale != 1.0 or body.capacity_new is not None:
        raise field_error(("body", "capacity"), "capacity_scale and capacity_new go with a capacity column")
    try:
        res = problem.solve(body.model, p=body.p, minutes=body.minutes, time_limit=body.time_limit, capacity=caps)
    except IslandcoverError as exc:  # errors about the capacity itself start with "capacity"
        loc = ("body", "capacity") if caps is not None and str(exc).startswith("capacity") else ("body",)
        raise field_error(loc, str(exc)) from None
    out = res.to_dict()
    if caps is not None:
        out["capacity"] = {"given": body.capacity, "scale": body.capacity_scale, "new_site": body.capacity_new}
    out.update(state.model.site_kinds(res.sites))
    out["weight"] = body.weight
    out["scenario"] = sc.to_dict()
    out["people_without_population"] = int(np.isnan(state.model.demand.people).sum())
    return out
