"""Pydantic schemas of the API: request bodies and responses, separate from the core's objects."""
from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

from islandcover.facts import MAX_WIND_FORCE

__all__ = [
    "MAX_STEPS",
    "AssignIn",
    "AssignmentOut",
    "CalendarItemOut",
    "CalendarTermOut",
    "CutOffOut",
    "ExclusionOut",
    "Health",
    "IncidentIn",
    "IncidentOut",
    "IncidentPageOut",
    "IslandCutOffOut",
    "LinkOut",
    "LinksOut",
    "LonLat",
    "NearestOut",
    "NoticeTime",
    "PrepareIn",
    "PrepareItemOut",
    "PreparePlanOut",
    "ReplayIn",
    "ReplayOut",
    "ReplayStepOut",
    "RouteOut",
    "ScenarioIn",
    "ScenarioOut",
    "SitingIn",
    "StationOut",
    "SuspensionIn",
    "SuspensionOut",
    "TeamOptionOut",
    "TeamOut",
    "TeamPatch",
    "TrackPointIn",
    "TripOut",
    "Typhoon",
]

Vessel = Literal["workboat", "fast", "ferry"]
TeamStatus = Literal["available", "busy", "off-duty"]
WindBft = Annotated[int, Field(ge=0, le=MAX_WIND_FORCE,
                               description=f"uniform wind force 0–{MAX_WIND_FORCE} on the Chinese scale (GB/T "
                                           "28591-2012: Beaufort 0–12, typhoon forces 13–17)")]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


def _plausible(t: AwareDatetime | None) -> AwareDatetime | None:
    if t is not None and not 2000 <= t.year <= 2100:
        raise ValueError(f"{t.isoformat()} is out of range: times run from 2000 to 2100")
    return t


NoticeTime = Annotated[AwareDatetime, AfterValidator(_plausible)]


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
    updated_at: str | None = Field(description="when the status or position last changed (ISO 8601, +08:00)")
    at_kind: str = Field(default="station", description="where it is: station (its own), island, pier or point")
    at_ref: str = Field(default="", description="the island or pier id, or 'lon,lat'; empty at its station")
    at_set: str | None = Field(default=None, description="when it was put there (ISO 8601, +08:00)")


class TeamPatch(_In):
    status: TeamStatus | None = None
    location: LonLat | None = Field(default=None, description="a point where the team is now (on an island or "
                                                              "at sea)")
    at: Annotated[str | None, Field(default=None, min_length=1, max_length=100,
                                    description="where the team is now: an island (id, name, pinyin), a pier or "
                                                "station id, or 'lon,lat'")] = None
    return_home: bool = Field(default=False, description="the team is back at its own station")

    @model_validator(mode="after")
    def _something(self) -> TeamPatch:
        if self.status is None and self.location is None and self.at is None and not self.return_home:
            raise ValueError("give status, location, at and/or return_home")
        if sum(x is not None for x in (self.location, self.at)) + self.return_home > 1:
            raise ValueError("give one of location, at and return_home")
        return self


class TripOut(BaseModel):
    team_id: str
    station_id: str
    vessel: str
    start: str | None = Field(default=None, description="where the team starts: its station, or where it is now")
    eta_min: float
    length_km: float
    legs: list[dict[str, Any]]


class ExclusionOut(BaseModel):
    team_id: str
    station_id: str
    calm_eta_min: float | None = Field(description="minutes in calm weather from where it is; null when it "
                                                   "cannot start there")
    reason: str


class NearestOut(BaseModel):
    island_id: str
    weather: str
    state: str = Field(description="the live state the answer was computed on (as of, state version)")
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
    state: str = Field(default="", description="the live state the answer was computed on (notices in force)")


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
    created_at: str | None = Field(description="ISO 8601 in Beijing time, +08:00")


_CAPACITY_MSG = "capacity must be a positive number (at most 1e12) or a team column name, e.g. head_count"


def _site_capacity(v: object) -> float | str:
    """A capacity as the API takes it: a positive number, or a column name (checked by the solver)."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            x = float(v)
        except OverflowError:
            raise ValueError(_CAPACITY_MSG) from None
        if math.isfinite(x) and 0 < x <= 1e12:
            return x
    elif isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", v):
        return v
    raise ValueError(_CAPACITY_MSG)


SiteCapacity = Annotated[float | str, PlainValidator(_site_capacity), WithJsonSchema({
    "anyOf": [{"type": "number", "exclusiveMinimum": 0, "maximum": 1e12},
              {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"}]})]


class SitingIn(_In):
    model: Literal["mclp", "pmedian", "pcenter", "setcover"]
    p: int | None = Field(default=None, ge=1, le=50, description="new sites (mclp, pmedian, pcenter)")
    minutes: float | None = Field(default=None, gt=0, le=1440, description="coverage threshold (mclp, setcover)")
    keep_existing: bool = False
    weight: Literal["people", "islands"] = "people"
    time_limit: float = Field(default=30.0, gt=0, le=60, description="seconds (at most 60)")
    scenario: int | None = Field(default=None, ge=1, le=2**63 - 1, description="stored scenario id (default: the base)")
    wind: WindBft | None = Field(default=None, description="overrides the scenario's weather")
    capacity: SiteCapacity | None = Field(
        default=None, description="mclp and pmedian: each open site serves at most its capacity of the demand weight "
                                  "(people, or islands with weight=islands). A number: the same for every site. A "
                                  "team column (head_count, or teams for how many teams): summed over the site's "
                                  "teams, times capacity_scale. An island's demand may be split between sites")
    capacity_scale: float = Field(default=1.0, gt=0, le=1e9,
                                  description="demand weight one unit of the capacity column serves, e.g. 10000 "
                                              "people per crew member")
    capacity_new: float | None = Field(default=None, gt=0, le=1e6,
                                       description="the capacity column's value for a site without teams (service "
                                                   "points, added sites), e.g. a new crew's head count")


class IncidentIn(_In):
    island: Annotated[str, Field(min_length=1, max_length=100, description="island id, Chinese name or pinyin")]
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    reporter: Text200


class AssignIn(_In):
    team: Annotated[str, Field(min_length=1, max_length=32, description="team id, e.g. T-03C")]


class AssignmentOut(BaseModel):
    team_id: str
    assigned_at: str | None = Field(description="ISO 8601 in Beijing time, +08:00")
    released_at: str | None = Field(description="ISO 8601 in Beijing time, +08:00")


class IncidentOut(BaseModel):
    id: int
    island_id: str
    island_name: str | None = None
    description: str
    reporter: str
    status: Literal["open", "closed"]
    created_at: str | None = Field(description="ISO 8601 in Beijing time, +08:00")
    closed_at: str | None = Field(description="ISO 8601 in Beijing time, +08:00")
    teams: list[str] = Field(description="teams on the incident now")
    assignments: list[AssignmentOut]


class IncidentPageOut(BaseModel):
    """One page of incidents, newest first."""

    items: list[IncidentOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")



# ---------------------------------------------------------------------- the 四时令 calendar
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



# ---------------------------------------------------------------------- typhoon requests
#: Most steps one request may replay (a 15-day best track at 1 h is 360).
MAX_STEPS = 1000


class TrackPointIn(_In):
    """One forecast point."""

    time: Annotated[str, Field(min_length=1, max_length=40,
                               description="ISO 8601 with a time zone: 2022-09-14T20:00+08:00 or …Z")]
    lon: float = Field(ge=-180, le=360, description="centre longitude, degrees")
    lat: float = Field(ge=-90, le=90, description="centre latitude, degrees")
    vmax_ms: float | None = Field(default=None, ge=0, description="maximum 2-min wind, m/s")
    force: int | None = Field(default=None, ge=0, le=MAX_WIND_FORCE,
                              description=f"maximum wind force 0–{MAX_WIND_FORCE} (GB/T 28591-2012), as the bulletins "
                                          "give it; without vmax_ms the middle of its speed band is taken, with "
                                          "it they must agree")
    pressure_hpa: float | None = Field(default=None, description="central pressure, hPa")
    r7_km: float | None = Field(default=None, gt=0, description="radius of force-7 winds, km")
    r10_km: float | None = Field(default=None, gt=0, description="radius of force-10 winds, km")


class ReplayIn(_In):
    """A track: a shipped one by name, or forecast points (exactly one of the two)."""

    track: Annotated[str | None, Field(default=None, min_length=1, max_length=64,
                                       description="shipped track: muifa_2022, infa_2021, chanthu_2021, "
                                                   "bebinca_pulasan_2024, or a storm in them (梅花, MUIFA …)")] = None
    storm: Annotated[str | None, Field(default=None, min_length=1, max_length=64,
                                       description="which storm of a shipped file holding several")] = None
    points: Annotated[list[TrackPointIn] | None, Field(default=None, min_length=1, max_length=500,
                                                       description="forecast points, in time order")] = None
    name: Annotated[str, Field(min_length=1, max_length=64, description="storm name for the points")] = "forecast"
    step: Annotated[str, Field(min_length=1, max_length=16, description="time step, e.g. 1h, 30min, 3h")] = "1h"


class PrepareIn(ReplayIn):
    """A track and the isolation threshold of the plan."""

    hours: float = Field(default=12.0, ge=0, le=720, description="plan for islands cut off longer than this")
    now: NoticeTime | None = Field(default=None, description="the time moves are flagged against (leave now, too "
                                                             "late); ISO 8601 with its offset; default now")
    apply: bool = Field(default=False, description="write the moves into the live state (a dispatcher key)")


# ---------------------------------------------------------------------- typhoon replay and plan
class ReplayStepOut(BaseModel):
    """One step of a replay."""

    time: str = Field(description="ISO 8601 in Beijing time, +08:00 (2022-09-14T19:00:00+08:00)")
    center: list[float] = Field(description="storm centre [lon, lat]")
    vmax_ms: float | None = Field(description="maximum wind, m/s")
    max_bft: int = Field(description="strongest force on any link (0–17, GB/T 28591-2012; an upper bound below "
                                     "every link's limit when the storm is far)")
    wind_bft: dict[str, int] = Field(description="force at each powered island (id → force 0–17)")
    cut_off: list[str] = Field(description="powered islands cut off at this step")
    newly_cut_off: list[str]
    reconnected: list[str]
    suspended: list[str] = Field(default=[], description="sailings stopped by the lead-time rule at this step, "
                                                         "before their wind limit")


class IslandCutOffOut(BaseModel):
    """One powered island over the whole replay."""

    id: str
    name_zh: str
    name_en: str | None
    population: int | None
    has_own_team: bool
    hours_cut_off: float
    longest_isolation_h: float
    longest_from: str | None = Field(description="ISO 8601, +08:00: first step of the longest isolation")
    longest_until: str | None = Field(description="ISO 8601, +08:00: last step of it")
    peak_bft: int = Field(description="strongest force at the island (0–17)")


class ReplayOut(BaseModel):
    """A typhoon replayed step by step (``islandcover replay --json``)."""

    storm: str
    source: str
    wind_basis: str
    model: str
    step_h: float
    start: str = Field(description="first step, ISO 8601 in Beijing time (+08:00)")
    end: str = Field(description="last step, ISO 8601 in Beijing time (+08:00)")
    steps: list[ReplayStepOut]
    islands: list[IslandCutOffOut]
    seconds: float
    cutoff_evaluations: int


class TeamOptionOut(BaseModel):
    """A team that can still reach an island before its links close."""

    team_id: str
    station_id: str
    vessel: str
    eta_min: float
    latest_departure: str = Field(description="ISO 8601 in Beijing time, +08:00")
    arrival: str = Field(description="ISO 8601 in Beijing time, +08:00")


class PrepareItemOut(BaseModel):
    """An island to prepare for: cut off longer than the threshold with no team of its own."""

    id: str
    name_zh: str
    name_en: str | None
    population: int | None
    population_known: bool
    isolation_h: float
    cut_off_from: str = Field(description="ISO 8601, +08:00")
    cut_off_until: str = Field(description="ISO 8601, +08:00")
    team: TeamOptionOut | None
    options: list[TeamOptionOut]
    note: str
    urgency: str = Field(description="leave now, leave by (its latest departure) or too late, against `now`")


class PreparePlanOut(BaseModel):
    """The pre-positioning plan (``islandcover prepare --json``)."""

    storm: str
    hours: float
    step_h: float
    now: str = Field(description="the time the moves are flagged against (ISO 8601, +08:00)")
    items: list[PrepareItemOut]
    skipped_own_team: list[str]
    kept: list[str] = Field(description="islands that will be cut off themselves and keep their last team")
    applied: list[dict[str, str]] = Field(default=[], description="with apply: the moves written (team_id, island_id)")
    people_known: int
    islands_without_population: int
    rule: str


# ---------------------------------------------------------------------- suspension notices
class SuspensionIn(_In):
    """A suspension notice: links closed by the operator or the maritime authority, whatever the wind."""

    scope: Literal["route", "service", "vessel", "area", "bridge", "all"] = Field(
        description="route: a sailing (F-18); service: high-speed, conventional or ro-ro; vessel: own boats "
                    "(workboat, fast); area: a named water (岱衢洋) or a district (嵊泗县); bridge: its name; "
                    "all: every sailing and own-boat lane")
    ref: Annotated[str, Field(max_length=100, description="what the scope names (empty for all)")] = ""
    starts: NoticeTime | None = Field(default=None, description="ISO 8601 with its offset (+08:00); default now")
    ends: NoticeTime | None = Field(default=None, description="ISO 8601 with its offset; default until revoked")
    source: Annotated[str, Field(min_length=1, max_length=500, description="who issued the notice, and when")]
    note: Annotated[str, Field(max_length=2000)] = ""


class SuspensionOut(BaseModel):
    id: int
    scope: str
    ref: str
    starts: str = Field(description="ISO 8601")
    ends: str | None
    source: str
    note: str
    active: bool = Field(description="in force now")
    label: str = Field(description="how answers name it when it closes a link")
