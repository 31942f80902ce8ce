"""Travel parameters: vessel classes, scheduled ferry services, road speed, wind limits.

Three ways a team travels (``MODES``):

* ``workboat`` and ``fast``: the team's **own boat**, on any open sea lane, launching at any
  landing (stations, service points, piers);
* ``ferry``: a team **without a boat of its own** (the vehicle/ro-ro crews), on the scheduled
  ferry services of ``data/islands/ferries.csv`` only, plus roads and bridges. Each sailing
  runs at its service's own speed and wind limit (``SERVICES``: conventional, ro-ro,
  high-speed), with a boarding overhead (waiting, ticketing, loading) per sailing.

Every mode also uses the on-island roads and the bridges. A trip never changes boats mid-sea:
changes happen only at piers and landings.

Defaults are documented below with their evidence (``../shared/reference/transport.md``:
real suspensions in Zhoushan). A user overrides any of them with a TOML file::

    [vessels.fast]
    speed_kn = 28
    max_wind_sheltered = 6
    max_wind_open = 5

    [services.high-speed]
    max_wind_open = 6

    [road]
    speed_kmh = 35

    [bridge]
    max_wind = 9

    [bridges."西堠门大桥"]
    max_wind = 10

Wind limits are the highest Beaufort force at which a link stays open: a link closes when
the wind at it *exceeds* its limit. A limit is set on Beaufort's 0–12 (no boat sails and no
bridge opens in a force 12 hurricane); the winds it is compared with run on to force 17 (the
Chinese scale of GB/T 28591-2012, :data:`islandcover.facts.MAX_WIND_FORCE`), and every wind of
13–17 exceeds every limit; roads have none. The table of limits (mode × exposure, and each
bridge) is printed by ``islandcover links`` and given in the README.

Evidence for the defaults:

* Zhoushan is an approved sheltered sea area (遮蔽航区): ships certified for it may sail up to
  Beaufort 6 and 2 m waves → high-speed boats (own or scheduled): 6 in sheltered channels.
* 2024-01-15: north wind 6–7 gusting 8 stopped **all high-speed boats on the northern
  (open-sea) routes** (24 of the 70 routes) → high-speed boats: 5 on open sea.
* Fog plus forecast 8–9: the short conventional routes (朱家尖–普陀山, 墩头–普陀山) kept running
  while speedboats stopped; 2023-12-16, force 10: **all 70 routes stopped** → conventional and
  ro-ro ferries: 8 sheltered, 7 open sea.
* Work boats (the utility's own small craft): 7 sheltered / 6 open, our estimate (one force
  below the ferries; the 遮蔽航区 rule's Beaufort 6 on the open-sea side).
* Bridges: 2011 typhoon Muifa closed the G9211 trans-oceanic bridges when deck wind reached
  **force 10** → bridges: open up to 9, every bridge (``max_wind`` in ``bridges.csv`` may set
  one bridge's own limit). The evidence is split: in 2022 (typhoon Muifa) the traffic police
  applied controls on bridges "with force ≥ 9" (G9211/S6 closed at 13:00, 朱家尖/江南/官山/秀山
  at 15:00), and the 杭州湾 bridge's 2011 plan closes at force 9; both point to 8. Set
  ``[bridge] max_wind = 8`` to follow them.
* Speeds: own high-speed boats ~25 kn and work boats ~12 kn (typical for the classes; no
  Zhoushan-specific source); scheduled conventional and ro-ro ferries 12 kn, high-speed
  ferries 25 kn (嵊鹰2号's published 31.5 kn is a top speed, not a service speed: Shanghai Daily
  2012, https://archive.shine.cn/district/jinshan/New-link-to-Buddhist-pilgrim-island/shdaily.shtml);
  newer conventional boats are faster (六横6, 2024: 17 kn, China Daily, ferries.csv F-12), but
  the published crossing times fit 12 kn; each sailing also takes 5 min of berthing and
  unberthing. The
  published crossing times of ``ferries.csv`` are checked against these in
  ``tests/test_ferries.py`` (within 25%). Road 40 km/h with a detour factor of 1.4 over the
  straight line (no road data is shipped); bridges 60 km/h (the limit imposed on reopening
  after storms).
* Overheads: launching the team's own boat 10 min; boarding a scheduled sailing (waiting for
  it, ticketing, loading a vehicle) 20 min conventional and high-speed, 30 min ro-ro. No
  timetable is modelled: the overhead stands for the average wait.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from islandcover.errors import ConfigError
from islandcover.facts import FERRY_MODE

__all__ = ["KNOT_KMH", "TravelParameters", "VesselClass", "load_parameters"]

KNOT_KMH = 1.852


@dataclass(frozen=True)
class VesselClass:
    """A class of boat a team travels with.

    Used both for a team's own boat (``workboat``, ``fast``) and for a scheduled service
    (``conventional``, ``ro-ro``, ``high-speed``).

    Attributes
    ----------
    name : str
        The class name.
    speed_kn : float
        Cruise speed, knots.
    max_wind_sheltered, max_wind_open : int
        Highest Beaufort force at which it sails in sheltered channels / on open sea.
    launch_min : float
        Overhead per sea leg, minutes: launching an own boat, or boarding a scheduled sailing.
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
    })
    services: dict[str, VesselClass] = field(default_factory=lambda: {
        "conventional": VesselClass("conventional", 12.0, 8, 7, 20.0),
        "ro-ro": VesselClass("ro-ro", 12.0, 8, 7, 30.0),
        "high-speed": VesselClass("high-speed", 25.0, 6, 5, 20.0),
    })
    berth_min: float = 5.0
    road_speed_kmh: float = 40.0
    road_detour: float = 1.4
    bridge_speed_kmh: float = 60.0
    bridge_max_wind: int = 9
    bridge_limits: dict[str, int] = field(default_factory=dict)

    @property
    def modes(self) -> tuple[str, ...]:
        """Every travel mode: the own-boat classes, then ``ferry``."""
        return (*self.vessels, FERRY_MODE)

    def check_mode(self, name: str) -> str:
        """Return ``name`` if it is a travel mode; raise a ConfigError listing the modes otherwise."""
        if name not in self.modes:
            raise ConfigError(f"unknown vessel class '{name}': use {', '.join(self.modes)}")
        return name

    def vessel(self, name: str) -> VesselClass:
        """The own-boat class called ``name`` (``workboat``, ``fast``).

        Raises
        ------
        ConfigError
            For ``ferry`` (a team without its own boat: see :attr:`services`) or an unknown name.
        """
        self.check_mode(name)
        if name not in self.vessels:
            raise ConfigError(f"'{name}' is not an own boat: it travels by the scheduled services "
                              f"({', '.join(self.services)})")
        return self.vessels[name]

    def service(self, name: str) -> VesselClass:
        """The scheduled service class called ``name``; raises a ConfigError listing the known ones."""
        if name not in self.services:
            raise ConfigError(f"unknown ferry service '{name}': use {', '.join(self.services)}")
        return self.services[name]

    def bridge_limit(self, name: str, own: int | None = None) -> int:
        """Wind limit of one bridge: the config file's, else the bridge's own (``bridges.csv``), else the default."""
        if name in self.bridge_limits:
            return self.bridge_limits[name]
        return self.bridge_max_wind if own is None else own

    def crossing_min(self, service: str, length_km: float) -> float:
        """Minutes of one scheduled sailing of ``length_km``, boarding excluded (berthing included)."""
        return self.berth_min + length_km / self.service(service).speed_kmh * 60


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
    unknown = set(doc) - {"vessels", "services", "ferry", "road", "bridge", "bridges"}
    if unknown:
        raise ConfigError(f"{p.name}: unknown section(s) {sorted(unknown)}: use vessels, services, ferry, road, "
                          "bridge, bridges")
    vessels = _classes(p.name, "vessels", doc.get("vessels", {}), params.vessels)
    services = _classes(p.name, "services", doc.get("services", {}), params.services)
    road = _section(p.name, doc, "road", {"speed_kmh", "detour"})
    bridge = _section(p.name, doc, "bridge", {"speed_kmh", "max_wind"})
    ferry = _section(p.name, doc, "ferry", {"berth_min"})
    limits = dict(params.bridge_limits)
    for name, over in _section(p.name, doc, "bridges", None).items():
        if not isinstance(over, dict) or set(over) != {"max_wind"}:
            raise ConfigError(f'{p.name}: [bridges."{name}"] takes one key, max_wind')
        _check(p.name, f'bridges."{name}".max_wind', over["max_wind"], 0, 12, whole=True)
        limits[name] = int(over["max_wind"])
    out = replace(
        params,
        vessels=vessels,
        services=services,
        berth_min=ferry.get("berth_min", params.berth_min),
        road_speed_kmh=road.get("speed_kmh", params.road_speed_kmh),
        road_detour=road.get("detour", params.road_detour),
        bridge_speed_kmh=bridge.get("speed_kmh", params.bridge_speed_kmh),
        bridge_max_wind=bridge.get("max_wind", params.bridge_max_wind),
        bridge_limits=limits,
    )
    _check(p.name, "ferry.berth_min", out.berth_min, 0, 120)
    _check(p.name, "road.speed_kmh", out.road_speed_kmh, 1, 130)
    _check(p.name, "road.detour", out.road_detour, 1, 5)
    _check(p.name, "bridge.speed_kmh", out.bridge_speed_kmh, 1, 130)
    _check(p.name, "bridge.max_wind", out.bridge_max_wind, 0, 12, whole=True)
    return out


def _section(src: str, doc: dict[str, Any], name: str, keys: set[str] | None) -> dict[str, Any]:
    sec = doc.get(name, {})
    if not isinstance(sec, dict):
        raise ConfigError(f"{src}: [{name}] must be a table")
    if keys is not None and set(sec) - keys:
        raise ConfigError(f"{src}: [{name}] unknown key(s) {sorted(set(sec) - keys)}: use {', '.join(sorted(keys))}")
    return sec


def _classes(src: str, section: str, over_all: object, base: dict[str, VesselClass]) -> dict[str, VesselClass]:
    if not isinstance(over_all, dict):
        raise ConfigError(f"{src}: [{section}] must be a table")
    out = dict(base)
    for name, over in over_all.items():
        if name not in out:
            raise ConfigError(f"{src}: [{section}.{name}] is unknown: use {', '.join(base)}")
        if not isinstance(over, dict):
            raise ConfigError(f"{src}: [{section}.{name}] must be a table")
        bad = set(over) - {"speed_kn", "max_wind_sheltered", "max_wind_open", "launch_min"}
        if bad:
            raise ConfigError(f"{src}: [{section}.{name}] unknown key(s) {sorted(bad)}")
        v = replace(out[name], **over)
        _check(src, f"{section}.{name}.speed_kn", v.speed_kn, 1, 60)
        _check(src, f"{section}.{name}.max_wind_sheltered", v.max_wind_sheltered, 0, 12, whole=True)
        _check(src, f"{section}.{name}.max_wind_open", v.max_wind_open, 0, 12, whole=True)
        if v.max_wind_open > v.max_wind_sheltered:
            raise ConfigError(f"{src}: {section}.{name}.max_wind_open = {v.max_wind_open} is above "
                              f"max_wind_sheltered = {v.max_wind_sheltered}: the open sea is never calmer")
        _check(src, f"{section}.{name}.launch_min", v.launch_min, 0, 240)
        out[name] = v
    return out


def _check(src: str, key: str, value: object, lo: float, hi: float, *, whole: bool = False) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not lo <= value <= hi:
        raise ConfigError(f"{src}: {key} = {value!r} is out of range ({lo}–{hi})")
    if whole and not float(value).is_integer():
        raise ConfigError(f"{src}: {key} = {value!r} must be a whole Beaufort force")
