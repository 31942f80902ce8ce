"""Travel parameters: vessel classes, road speed, bridge and lane wind limits.

Defaults are documented below with their evidence (``../shared/reference/transport.md``:
real suspensions in Zhoushan). A user overrides any of them with a TOML file::

    [vessels.fast]
    speed_kn = 28
    max_wind_sheltered = 6
    max_wind_open = 5

    [road]
    speed_kmh = 35

    [bridge]
    max_wind = 9

Wind limits are the highest Beaufort force at which a link stays open: a link closes when
the wind at it *exceeds* its limit.

Evidence for the defaults:

* Zhoushan is an approved sheltered sea area (遮蔽航区): ships certified for it may sail up to
  Beaufort 6 and 2 m waves → high-speed boats: 6 in sheltered channels.
* 2024-01-15: north wind 6–7 gusting 8 stopped **all high-speed boats on the northern
  (open-sea) routes** → high-speed boats: 5 on open sea.
* Fog plus forecast 8–9: the short conventional routes kept running while speedboats stopped;
  2023-12-16, force 10: **all 70 routes stopped** → ferries/ro-ro: 8 sheltered, 7 open sea.
* Work boats (the utility's own small craft): one force below ferries (7 / 6), our estimate.
* Bridges: 2011 typhoon Muifa closed the G9211 trans-oceanic bridges when deck wind reached
  **force 10**; 2022 Muifa controls applied from force 9 → bridges: open up to 9.
* Speeds: high-speed passenger boats ~25 kn and work boats ~12 kn (typical for the classes;
  no Zhoushan-specific source); conventional/ro-ro ferries 12 kn, chosen so that three
  published crossings come out right (沈家门–庙子湖 2–2.5 h, 庙子湖–东福山 40–45 min,
  泗礁–枸杞 1.5 h; tests/test_network_routing.py lists them); road 40 km/h with a detour
  factor of 1.4 over the straight line (no road data is shipped); bridges 60 km/h (the
  limit imposed on reopening after storms).
* Launch/boarding overhead per sea leg: 10 min work boat, 10 min fast boat, 20 min ro-ro.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from islandcover.errors import IslandcoverError

__all__ = ["VesselClass", "TravelParameters", "ConfigError", "KNOT_KMH", "load_parameters"]

KNOT_KMH = 1.852


class ConfigError(IslandcoverError):
    """A travel-parameter file is malformed or holds an impossible value."""


@dataclass(frozen=True)
class VesselClass:
    """A class of boat a team travels with.

    Attributes
    ----------
    name : str
        ``workboat``, ``fast`` or ``ferry``.
    speed_kn : float
        Cruise speed, knots.
    max_wind_sheltered, max_wind_open : int
        Highest Beaufort force at which it sails in sheltered channels / on open sea.
    launch_min : float
        Boarding or launch overhead per sea leg, minutes.
    """

    name: str
    speed_kn: float
    max_wind_sheltered: int
    max_wind_open: int
    launch_min: float

    @property
    def speed_kmh(self) -> float:
        """Cruise speed in km/h."""
        return self.speed_kn * KNOT_KMH

    def max_wind(self, exposure: str) -> int:
        """Wind limit for a lane of this exposure (``sheltered`` or ``open``)."""
        return self.max_wind_open if exposure == "open" else self.max_wind_sheltered


@dataclass(frozen=True)
class TravelParameters:
    """Everything that turns distances into minutes and wind into closures."""

    vessels: dict[str, VesselClass] = field(default_factory=lambda: {
        "workboat": VesselClass("workboat", 12.0, 7, 6, 10.0),
        "fast": VesselClass("fast", 25.0, 6, 5, 10.0),
        "ferry": VesselClass("ferry", 12.0, 8, 7, 20.0),
    })
    road_speed_kmh: float = 40.0
    road_detour: float = 1.4
    bridge_speed_kmh: float = 60.0
    bridge_max_wind: int = 9

    def vessel(self, name: str) -> VesselClass:
        """The vessel class called ``name``; raises a ConfigError listing the known ones."""
        if name not in self.vessels:
            raise ConfigError(f"unknown vessel class '{name}': use {', '.join(self.vessels)}")
        return self.vessels[name]


def load_parameters(path: str | Path | None = None) -> TravelParameters:
    """Default parameters, overridden by a TOML file if one is given.

    Raises
    ------
    ConfigError
        Unreadable TOML, an unknown section or key, or an impossible value (naming it).
    """
    params = TravelParameters()
    if path is None:
        return params
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{p.name}: cannot read travel parameters ({exc})") from exc
    unknown = set(doc) - {"vessels", "road", "bridge"}
    if unknown:
        raise ConfigError(f"{p.name}: unknown section(s) {sorted(unknown)}: use vessels, road, bridge")
    vessels = dict(params.vessels)
    for name, over in doc.get("vessels", {}).items():
        base = vessels.get(name, VesselClass(name, 10.0, 6, 5, 15.0))
        bad = set(over) - {"speed_kn", "max_wind_sheltered", "max_wind_open", "launch_min"}
        if bad:
            raise ConfigError(f"{p.name}: [vessels.{name}] unknown key(s) {sorted(bad)}")
        v = replace(base, **over)
        _check(p.name, f"vessels.{name}.speed_kn", v.speed_kn, 1, 60)
        _check(p.name, f"vessels.{name}.max_wind_sheltered", v.max_wind_sheltered, 0, 12)
        _check(p.name, f"vessels.{name}.max_wind_open", v.max_wind_open, 0, 12)
        _check(p.name, f"vessels.{name}.launch_min", v.launch_min, 0, 240)
        vessels[name] = v
    road = doc.get("road", {})
    bridge = doc.get("bridge", {})
    out = replace(
        params,
        vessels=vessels,
        road_speed_kmh=road.get("speed_kmh", params.road_speed_kmh),
        road_detour=road.get("detour", params.road_detour),
        bridge_speed_kmh=bridge.get("speed_kmh", params.bridge_speed_kmh),
        bridge_max_wind=bridge.get("max_wind", params.bridge_max_wind),
    )
    _check(p.name, "road.speed_kmh", out.road_speed_kmh, 1, 130)
    _check(p.name, "road.detour", out.road_detour, 1, 5)
    _check(p.name, "bridge.speed_kmh", out.bridge_speed_kmh, 1, 130)
    _check(p.name, "bridge.max_wind", out.bridge_max_wind, 0, 12)
    return out


def _check(src: str, key: str, value: object, lo: float, hi: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not lo <= value <= hi:
        raise ConfigError(f"{src}: {key} = {value!r} is out of range ({lo}–{hi})")
