"""A what-if scenario: the base model plus station changes plus weather (:class:`Scenario`)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from islandcover.travel.weather import Weather

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
        WeatherError
            For an impossible wind or typhoon.
        """
        ty = spec.get("typhoon")
        weather = (Weather.typhoon(ty["lon"], ty["lat"], ty["r7_km"], ty["r10_km"]) if ty
                   else Weather.uniform(spec.get("wind", 0)))
        return cls(name=name, add=tuple(spec.get("add", ())), close=tuple(spec.get("close", ())),
                   move=tuple((str(a), str(b)) for a, b in spec.get("move", ())), weather=weather,
                   vessel=spec.get("vessel", "workboat"))

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "add": list(self.add), "close": list(self.close),
                "move": [list(m) for m in self.move], "weather": self.weather.describe(), "vessel": self.vessel}

