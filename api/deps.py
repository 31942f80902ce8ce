"""Dependencies of the API: the loaded model (once per app), the store, weather and API-key roles."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import AwareDatetime

from islandcover.archipelago import Archipelago
from islandcover.config import Config
from islandcover.errors import IslandcoverError, UnknownScenario
from islandcover.facts import MAX_WIND_FORCE
from islandcover.io.organisation import (
    Organisation,
    Zones,
    load_organisation,
    zones_from_assignment,
)
from islandcover.model_cache import load_archipelago
from islandcover.planning.coverage import CoverageModel
from islandcover.planning.scenario import Scenario
from islandcover.store import Store
from islandcover.travel.links import LinkBoard
from islandcover.travel.network import load_network
from islandcover.travel.routing import Router
from islandcover.travel.weather import Weather
from islandcover.typhoon.season import SeasonalRisk, seasonal_risk

#: A row id path parameter (a 64-bit integer).
DbId = Annotated[int, Path(ge=1, le=2**63 - 1)]

__all__ = [
    "AtQuery",
    "AppConfig",
    "AppState",
    "DbId",
    "Dispatcher",
    "Planner",
    "PlannerOrDispatcher",
    "State",
    "WeatherQuery",
    "as_field",
    "field_error",
    "get_state",
    "load_scenario",
    "reject_unknown_query",
    "scenario_number",
]


@dataclass(frozen=True)
class AppConfig:
    """What an app is built from (set by :func:`api.app.create_app`): the configuration and,
    optionally, an already loaded router."""

    config: Config
    router: Router | None = None


@dataclass
class AppState:
    """Everything loaded once per app: the model, the network, the router, coverage and the store."""

    arch: Archipelago
    router: Router
    model: CoverageModel
    store: Store
    board: LinkBoard
    island_features: dict[str, dict[str, Any]] = field(default_factory=dict)
    _risk: SeasonalRisk | None = None
    _organisation: Organisation | None = None
    _computed_zones: Zones | None = None

    def seasonal_risk(self) -> SeasonalRisk:
        """The typhoon risk per solar term of the shipped tracks (computed once, on first use)."""
        if self._risk is None:
            self._risk = seasonal_risk(self.arch)
        return self._risk

    def organisation(self) -> Organisation:
        """Supply stations, demonstration posts and the zones file of the model's data folder (read
        once, on first use; a zone may name a supply station or a light station)."""
        if self._organisation is None:
            arch = self.arch
            self._organisation = load_organisation(arch.folder_of, arch.islands, resolve=lambda ref: arch.island(ref).id,
                                                   zone_stations=arch.stations.index)
        return self._organisation

    def zones(self) -> Zones:
        """The responsibility zones: the zones file of the data folder, else the computed travel-time
        catchments of the base scenario in calm weather (computed once)."""
        loaded = self.organisation().zones
        if loaded is not None:
            return loaded
        if self._computed_zones is None:
            z = self.model.zones(Scenario(name="base"))
            self._computed_zones = zones_from_assignment(z["station"], self.arch.islands, source="computed")
        return self._computed_zones

    @classmethod
    def load(cls, config: AppConfig) -> AppState:
        router = config.router
        cfg = config.config
        if router is None:
            arch = load_archipelago(cfg.data_folder(), cache_dir=cfg.cache_dir)
            router = Router(arch, load_network(arch, cache_dir=cfg.cache_dir), cache_dir=cfg.cache_dir)
        store = Store.open(state_dir=cfg.state_dir, database_url=cfg.database_url)
        store.sync_teams({str(t): str(s) for t, s in router.arch.teams.status.items()})
        gj = json.loads(router.arch.islands.reset_index(drop=True).to_json(na="null", drop_id=True, ensure_ascii=False))
        features = {str(f["properties"]["id"]): f for f in gj["features"]}
        return cls(arch=router.arch, router=router, model=CoverageModel(router), store=store,
                   island_features=features, board=LinkBoard(router))


def _holder(app: FastAPI) -> tuple[AppConfig, threading.Lock]:
    return app.state.ic_config, app.state.ic_lock


def ensure_state(app: FastAPI) -> AppState:
    """The app's state, loading it on first use (at startup, or at the first request)."""
    state: AppState | None = getattr(app.state, "ic", None)
    if state is None:
        config, lock = _holder(app)
        with lock:
            state = getattr(app.state, "ic", None)
            if state is None:
                state = AppState.load(config)
                app.state.ic = state
    return state


def get_state(request: Request) -> AppState:
    """Dependency: the loaded model and store of this app."""
    return ensure_state(request.app)


State = Annotated[AppState, Depends(get_state)]


# ---------------------------------------------------------------------- errors naming a field
def field_error(loc: tuple[str | int, ...], msg: str, status: int = 422) -> HTTPException:
    """An HTTP 422 in FastAPI's validation format, naming the field at ``loc``."""
    return HTTPException(status, detail=[{"loc": list(loc), "msg": msg, "type": "value_error"}])


@contextmanager
def as_field(*loc: str | int) -> Iterator[None]:
    """Turn an :class:`IslandcoverError` raised inside into a 422 naming the field ``loc``."""
    try:
        yield
    except IslandcoverError as exc:
        raise field_error(loc, str(exc)) from None


def _declared_query(dependant: Any) -> set[str]:
    names = {str(p.alias) for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared_query(sub)
    return names


def reject_unknown_query(request: Request) -> None:
    """Dependency of every route: a query parameter the route does not take is a 422 naming it.

    A dispatcher who writes ``/nearest?island=…&typhoon=…`` must not get calm-weather teams
    back as if the storm had been taken into account.
    """
    if not request.query_params:
        return
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    allowed = _declared_query(dependant)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        takes = ", ".join(sorted(allowed)) if allowed else "no query parameters"
        noun = "parameter" if len(unknown) == 1 else "parameters"
        raise field_error(("query", unknown[0]), f"unknown query {noun} {', '.join(unknown)[:200]}; "
                                                 f"this endpoint takes {takes}")


# ---------------------------------------------------------------------- weather
def weather_query(
    wind: Annotated[int | None, Query(ge=0, le=MAX_WIND_FORCE,
                                      description=f"uniform wind force 0–{MAX_WIND_FORCE} on the Chinese scale "
                                                  "(GB/T 28591-2012: Beaufort 0–12, typhoon forces 13–17; "
                                                  "default 0)")] = None,
    lon: Annotated[float | None, Query(allow_inf_nan=False, description="typhoon centre longitude (with lat, r7, r10)")] = None,
    lat: Annotated[float | None, Query(allow_inf_nan=False, description="typhoon centre latitude")] = None,
    r7: Annotated[float | None, Query(allow_inf_nan=False, description="typhoon radius of force-7 winds, km")] = None,
    r10: Annotated[float | None, Query(allow_inf_nan=False, description="typhoon radius of force-10 winds, km")] = None,
) -> Weather | None:
    """Dependency: the weather of the query (None when none is given)."""
    ty = {"lon": lon, "lat": lat, "r7": r7, "r10": r10}
    given = [k for k, v in ty.items() if v is not None]
    if not given:
        return None if wind is None else Weather.uniform(wind)
    if wind is not None:
        raise field_error(("query", "wind"), "give either wind or a typhoon (lon, lat, r7, r10), not both")
    missing = [k for k in ty if ty[k] is None]
    if missing:
        raise field_error(("query", missing[0]), f"a typhoon needs lon, lat, r7 and r10; missing {', '.join(missing)}")
    try:
        return Weather.typhoon(lon, lat, r7, r10)  # type: ignore[arg-type]
    except IslandcoverError as exc:
        msg = str(exc)
        name = "r10" if "R10" in msg else "r7" if "R7" in msg else "lon"
        raise field_error(("query", name), msg) from None


WeatherQuery = Annotated[Weather | None, Depends(weather_query)]


def at_query(at: Annotated[AwareDatetime | None, Query(
        description="when the teams leave, ISO 8601 with its offset (2026-12-03T23:00+08:00); default now. "
                    "Teams riding the scheduled boats wait for the next published sailing")] = None) -> datetime:
    """Dependency: the ``at`` of the query, default now; years outside 2000–2100 are a 422."""
    if at is None:
        return datetime.now(UTC)
    if not 2000 <= at.year <= 2100:
        raise field_error(("query", "at"), f"{at.isoformat()} is out of range: 2000 to 2100")
    return at


AtQuery = Annotated[datetime, Depends(at_query)]


# ---------------------------------------------------------------------- scenarios
def scenario_number(ref: str | int) -> int:
    """The stored scenario id of ``ref``; raises :class:`UnknownScenario` for anything else."""
    text = str(ref).strip()
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 18):
        raise UnknownScenario(f"no scenario '{text}' (ids are whole numbers, or 'base')")
    return int(text)


def load_scenario(state: AppState, ref: str | int | None, weather: Weather | None = None) -> Scenario:
    """The base scenario (``None`` or ``"base"``) or a stored one; ``weather`` replaces its weather."""
    if ref is None or str(ref) == "base":
        sc = Scenario(name="base")
    else:
        row = state.store.scenario(scenario_number(ref))
        sc = Scenario.from_spec(row.spec, row.name)
    return sc if weather is None else replace(sc, weather=weather)


# ---------------------------------------------------------------------- API keys and roles
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                        description="key from `islandcover keys create --role dispatcher|planner`")


def require_role(*roles: str) -> Callable[..., str]:
    """Dependency factory: the request must carry an ``X-API-Key`` of one of ``roles`` (401 / 403
    otherwise); returns the key's role."""
    wanted = " or ".join(roles)

    def check(state: State, key: Annotated[str | None, Security(_api_key)]) -> str:
        if not key:
            raise HTTPException(401, detail=f"missing X-API-Key header (a {wanted} key is needed)",
                                headers={"WWW-Authenticate": "APIKey"})
        got = state.store.key_role(key)
        if got is None:
            raise HTTPException(401, detail="unknown API key", headers={"WWW-Authenticate": "APIKey"})
        if got not in roles:
            raise HTTPException(403, detail=f"this needs a {wanted} key; yours is a {got} key")
        return got

    return check


Dispatcher = Annotated[str, Depends(require_role("dispatcher"))]
Planner = Annotated[str, Depends(require_role("planner"))]
#: A planner or a dispatcher key (``/prepare``: planners plan, dispatchers plan and apply).
PlannerOrDispatcher = Annotated[str, Depends(require_role("planner", "dispatcher"))]
