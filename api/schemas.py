"""Pydantic schemas of the API: request bodies and responses, separate from the core's objects."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AssignIn",
    "AssignmentOut",
    "CutOffOut",
    "ExclusionOut",
    "Health",
    "IncidentIn",
    "IncidentOut",
    "LinkOut",
    "LinksOut",
    "LonLat",
    "NearestOut",
    "RouteOut",
    "ScenarioIn",
    "ScenarioOut",
    "SitingIn",
    "StationOut",
    "TeamOut",
    "TeamPatch",
    "TeamStatus",
    "TripOut",
    "Typhoon",
    "Vessel",
]

Vessel = Literal["workboat", "fast", "ferry"]
TeamStatus = Literal["available", "busy", "off-duty"]
WindBft = Annotated[int, Field(ge=0, le=12, description="uniform wind, Beaufort force 0–12")]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class LonLat(_In):
    lon: float = Field(ge=-180, le=180, description="longitude, WGS84 degrees")
    lat: float = Field(ge=-90, le=90, description="latitude, WGS84 degrees")


class Typhoon(_In):
    lon: float = Field(description="centre longitude, degrees (100–160)")
    lat: float = Field(description="centre latitude, degrees (0–50)")
    r7_km: float = Field(description="radius of force-7 winds, km (0–1500]")
    r10_km: float = Field(description="radius of force-10 winds, km [0, r7_km]")


class Health(BaseModel):
    status: str
    islands: int
    powered: int
    teams: int
    database: str


class StationOut(BaseModel):
    id: str
    name_zh: str
    name_en: str | None
    kind: str
    island_id: str
    lon: float
    lat: float
    illustrative: bool


class TeamOut(BaseModel):
    id: str
    name: str
    station_id: str
    boat_class: str
    head_count: int
    status: str = Field(description="live status (available, busy, off-duty)")
    incident_id: int | None = Field(description="open incident the team is assigned to")
    location: LonLat | None = Field(description="last reported position, if any")
    updated_at: str | None


class TeamPatch(_In):
    status: TeamStatus | None = None
    location: LonLat | None = None

    @model_validator(mode="after")
    def _something(self) -> TeamPatch:
        if self.status is None and self.location is None:
            raise ValueError("give status and/or location")
        return self


class TripOut(BaseModel):
    team_id: str
    station_id: str
    vessel: str
    eta_min: float
    length_km: float
    legs: list[dict[str, Any]]


class ExclusionOut(BaseModel):
    team_id: str
    station_id: str
    calm_eta_min: float
    reason: str


class NearestOut(BaseModel):
    island_id: str
    weather: str
    trips: list[TripOut]
    excluded: list[ExclusionOut]


class CutOffOut(BaseModel):
    id: str
    name_zh: str
    name_en: str
    has_own_team: bool


class RouteOut(BaseModel):
    status: Literal["ok", "unreachable"]
    eta_min: float | None = Field(description="minutes; null when unreachable")
    length_km: float = Field(description="sum of the legs, km (metric, along the path)")
    legs: list[dict[str, Any]]
    closed: list[str] = Field(description="when unreachable: why the calm-weather route is shut now")
    from_: str = Field(alias="from", description="what the origin was resolved to")
    to: str
    vessel: str
    weather: str


class LinkOut(BaseModel):
    kind: Literal["sea lanes", "ferry", "bridge"]
    id: str
    name: str
    status: Literal["open", "closed", "partly closed"]
    wind_bft: int
    limit_bft: int
    reason: str
    isolates: list[str] = Field(description="powered islands that reopening this link alone would reconnect")
    lanes_closed: int | None = None
    lanes_total: int | None = None


class LinksOut(BaseModel):
    weather: str
    vessel: str
    closed: int
    links: list[LinkOut]
    cut_off: list[CutOffOut]
    limits: list[dict[str, Any]] = Field(description="the wind limits in force (Beaufort)")


class ScenarioIn(_In):
    name: Text200 = "scenario"
    add: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default=[], max_length=20, description="new stations: 'lon,lat' or an island (id or name)")
    close: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default=[], max_length=50, description="light-station ids to close")
    move: list[tuple[Annotated[str, Field(min_length=1, max_length=32)], Annotated[str, Field(min_length=1, max_length=100)]]] = Field(
        default=[], max_length=50, description="[station id, 'lon,lat' or island] pairs")
    wind: WindBft = 0
    typhoon: Typhoon | None = Field(default=None, description="a typhoon instead of a uniform wind")
    vessel: Vessel = "workboat"


class ScenarioOut(BaseModel):
    id: int | str
    name: str
    spec: dict[str, Any]
    created_at: str | None


class SitingIn(_In):
    model: Literal["mclp", "pmedian", "pcenter", "setcover"]
    p: int | None = Field(default=None, ge=1, le=50, description="new sites (mclp, pmedian, pcenter)")
    minutes: float | None = Field(default=None, gt=0, le=1440, description="coverage threshold (mclp, setcover)")
    keep_existing: bool = False
    weight: Literal["people", "islands"] = "people"
    time_limit: float = Field(default=30.0, gt=0, le=60, description="seconds (at most 60)")
    scenario: int | None = Field(default=None, ge=1, le=2**63 - 1, description="stored scenario id (default: the base)")
    wind: WindBft | None = Field(default=None, description="overrides the scenario's weather")


class IncidentIn(_In):
    island: Annotated[str, Field(min_length=1, max_length=100, description="island id, Chinese name or pinyin")]
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    reporter: Text200


class AssignIn(_In):
    team: Annotated[str, Field(min_length=1, max_length=32, description="team id, e.g. T-03C")]


class AssignmentOut(BaseModel):
    team_id: str
    assigned_at: str | None
    released_at: str | None


class IncidentOut(BaseModel):
    id: int
    island_id: str
    island_name: str | None = None
    description: str
    reporter: str
    status: Literal["open", "closed"]
    created_at: str | None
    closed_at: str | None
    teams: list[str] = Field(description="teams on the incident now")
    assignments: list[AssignmentOut]
