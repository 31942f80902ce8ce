"""What-if scenarios: stored station changes plus weather (planner key to create)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from api.deps import (
    Planner,
    State,
    as_field,
    field_error,
    load_scenario,
    scenario_number,
)
from api.schemas import ScenarioIn, ScenarioOut
from islandcover.planning.coverage import THRESHOLDS_MIN, parse_site
from islandcover.planning.scenario import Scenario

router = APIRouter(prefix="/scenarios", tags=["scenarios"])

Minutes = Annotated[float, Field(gt=0, le=1440, allow_inf_nan=False)]


def _check(state: State, body: ScenarioIn) -> None:
    """Check every change against the model, naming the field of the first bad one."""
    if body.typhoon is not None and "wind" in body.model_fields_set:
        raise field_error(("body", "wind"), "give either wind or typhoon, not both")
    light = set(state.arch.light_stations.index)
    seen: set[str] = set()
    for i, sid in enumerate(body.close):
        if sid not in light:
            raise field_error(("body", "close", i), f"no light station '{sid}' (stations are {', '.join(sorted(light))})")
        if sid in seen:
            raise field_error(("body", "close", i), f"station '{sid}' is closed twice")
        seen.add(sid)
    for i, (sid, where) in enumerate(body.move):
        if sid not in light:
            raise field_error(("body", "move", i, 0), f"no light station '{sid}' (stations are {', '.join(sorted(light))})")
        if sid in seen:
            raise field_error(("body", "move", i, 0), f"station '{sid}' is closed or moved already")
        seen.add(sid)
        with as_field("body", "move", i, 1):
            parse_site(state.router, sid, where)
    for i, where in enumerate(body.add):
        with as_field("body", "add", i):
            parse_site(state.router, f"NEW-{i + 1}", where)
    if body.typhoon is not None:
        with as_field("body", "typhoon"):
            Scenario.from_spec(body.model_dump())


@router.post("", status_code=201, response_model=ScenarioOut,
             responses={401: {"description": "missing or unknown X-API-Key"}, 403: {"description": "not a planner key"}})
def create(state: State, _role: Planner, body: ScenarioIn) -> ScenarioOut:
    """Store a scenario: stations to add, close or move, the weather and the planning vessel."""
    _check(state, body)
    spec = body.model_dump(exclude={"name"})
    spec["move"] = [list(m) for m in body.move]
    with as_field("body"):
        state.model.stations(Scenario.from_spec(spec, body.name))
    sid = state.store.save_scenario(body.name, spec)
    return ScenarioOut.model_validate(state.store.scenario(sid).to_dict())


@router.get("/{scenario_id}", response_model=ScenarioOut, responses={404: {"description": "no such scenario"}})
def get(state: State, scenario_id: str) -> ScenarioOut:
    """A stored scenario (``base``: the shipped stations in calm weather)."""
    if scenario_id == "base":
        return ScenarioOut(id="base", name="base", spec=ScenarioIn(name="base").model_dump(exclude={"name"}),
                           created_at=None)
    return ScenarioOut.model_validate(state.store.scenario(scenario_number(scenario_id)).to_dict())


@router.get("/{a}/compare/{b}", responses={404: {"description": "no such scenario"}})
def compare(state: State, a: str, b: str,
            minutes: Annotated[list[Minutes] | None, Query(description="thresholds, minutes (repeatable)")] = None,
            ) -> dict[str, Any]:
    """Every coverage metric of scenarios ``a`` and ``b`` (ids, or ``base``) side by side, with deltas."""
    sa, sb = load_scenario(state, a), load_scenario(state, b)
    return state.model.compare(sa, sb, tuple(minutes) if minutes else THRESHOLDS_MIN)
