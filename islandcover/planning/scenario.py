"""A what-if scenario: the base model plus station changes plus weather (:class:`Scenario`)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from islandcover.errors import ScenarioError
from islandcover.travel.weather import Weather

#: The fields of a scenario spec (:meth:`Scenario.from_spec`).
SPEC_FIELDS = frozenset({"name", "add", "close", "move", "wind", "typhoon", "vessel"})

__all__ = ["Scenario"]


@dataclass(frozen=True)
class Scenario:
    """The base model plus station changes plus weather.

    Attributes
    ----------
    name : str
        A label for reports.
    add : tuple of str
        New stations, each ``"lon,lat"`` (WGS84) or an island (id or name); they get ids
        ``NEW-1``, ``NEW-2`` … in order.
    close : tuple of str
        Station ids to close.
    move : tuple of (str, str)
        (station id, ``"lon,lat"`` or island): the station keeps its id at its new place.
    weather : Weather
        Closed links are absent.
    vessel : str
        Planning vessel class of every station.
    at : datetime, optional
        When the teams leave: with the ``ferry`` vessel, they wait for the next published sailing
        (:mod:`islandcover.travel.timetable`); None: sailings leave when a team arrives.
    """

    name: str = "base"
    add: tuple[str, ...] = ()
    close: tuple[str, ...] = ()
    move: tuple[tuple[str, str], ...] = ()
    weather: Weather = field(default_factory=Weather)
    vessel: str = "workboat"
    at: datetime | None = None

    @property
    def key(self) -> str:
        when = "" if self.at is None else self.at.astimezone(UTC).strftime("|%Y%m%d%H%M")
        return f"{self.add}|{self.close}|{self.move}|{self.weather.key}|{self.vessel}{when}"

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], name: str = "scenario") -> Scenario:
        """A scenario from its JSON spec (as the API stores it): ``add``, ``close``, ``move``,
        ``wind`` or ``typhoon`` (``lon``, ``lat``, ``r7_km``, ``r10_km``) and ``vessel``.

        Raises
        ------
        ScenarioError
            Not an object, an unknown field, or a field of the wrong type (naming it). A
            ``name`` field is allowed and ignored (``name`` is the argument).
        WeatherError
            For an impossible wind or typhoon.
        """
        if not isinstance(spec, Mapping):
            raise ScenarioError("a scenario is a JSON object with add, close, move, wind or typhoon, vessel")
        unknown = sorted(set(spec) - SPEC_FIELDS)
        if unknown:
            raise ScenarioError(f"unknown field {', '.join(unknown)}: a scenario has {', '.join(sorted(SPEC_FIELDS))}")
        if spec.get("typhoon") is not None and spec.get("wind", 0) not in (0, None):
            raise ScenarioError("give wind or typhoon, not both")
        for key in ("add", "close", "move"):
            if not isinstance(spec.get(key, []), list | tuple):
                raise ScenarioError(f"field {key}: must be a list")
        for i, m in enumerate(spec.get("move", [])):
            if not (isinstance(m, list | tuple) and len(m) == 2):
                raise ScenarioError(f"field move[{i}]: must be a pair [station, where]")
        ty = spec.get("typhoon")
        if ty is not None and not (isinstance(ty, Mapping) and {"lon", "lat", "r7_km", "r10_km"} <= set(ty)):
            raise ScenarioError("field typhoon: must be an object with lon, lat, r7_km, r10_km")
        wind = spec.get("wind") or 0
        if isinstance(wind, bool) or not isinstance(wind, int):
            raise ScenarioError(f"field wind: must be a whole force 0–17, got {wind!r}")
        if spec.get("vessel", "workboat") not in ("workboat", "fast", "ferry"):
            raise ScenarioError(f"field vessel: must be workboat, fast or ferry, got {spec.get('vessel')!r}")
        weather = (Weather.typhoon(ty["lon"], ty["lat"], ty["r7_km"], ty["r10_km"]) if ty
                   else Weather.uniform(spec.get("wind") or 0))
        return cls(name=name, add=tuple(spec.get("add", ())), close=tuple(spec.get("close", ())),
                   move=tuple((str(a), str(b)) for a, b in spec.get("move", ())), weather=weather,
                   vessel=spec.get("vessel", "workboat"))

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "add": list(self.add), "close": list(self.close),
                "move": [list(m) for m in self.move], "weather": self.weather.describe(), "vessel": self.vessel}

