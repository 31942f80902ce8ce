"""Weather scenarios: a uniform wind force, or a typhoon's wind field.

A scenario returns the wind force at any lon/lat (0–17: Beaufort's 0–12 and the Chinese scale's
13–17 for typhoon winds, GB/T 28591-2012); links close where that force exceeds
their limit (:mod:`islandcover.travel.vessels`). Typhoon profile (documented, deliberately simple:
CMA bulletins publish exactly these radii):

====================  =============================
distance from centre  Beaufort force
====================  =============================
d ≤ R10               10 (12 within R10/2)
R10 < d ≤ R7          7–9, linear in d
R7 < d ≤ 1.5·R7       6
1.5·R7 < d ≤ 2·R7     5
d > 2·R7              4
====================  =============================

It never increases with distance, so moving away from the centre never closes a link.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from pyproj import Geod

from islandcover.errors import WeatherError
from islandcover.facts import MAX_WIND_FORCE
from islandcover.situation import Suspension

__all__ = ["Weather", "notices_key", "parse_typhoon"]

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Weather:
    """The conditions of a scenario at sea: the wind, and the suspension notices in force.

    Build with :meth:`uniform` or :meth:`typhoon`; :meth:`wind_at` gives Beaufort forces;
    :meth:`with_notices` adds the notices (:class:`islandcover.situation.Suspension`) that close
    links whatever the wind. Links close where the wind exceeds their limit or a notice covers
    them; the two travel together because every cached graph depends on both.
    """

    wind_bft: int = 0
    centre: tuple[float, float] | None = None
    r7_km: float = 0.0
    r10_km: float = 0.0
    notices: tuple[Suspension, ...] = ()

    def with_notices(self, notices: tuple[Suspension, ...] | list[Suspension]) -> Weather:
        """The same wind with ``notices`` in force (replacing any given before)."""
        return replace(self, notices=tuple(notices))

    @classmethod
    def uniform(cls, wind_bft: float) -> Weather:
        """The same wind force over the whole archipelago: 0–17 on the Chinese scale (GB/T 28591-2012
        风力等级: Beaufort's 0–12, then 13–17 for typhoon winds, see
        :data:`islandcover.typhoon.wind_field.BEAUFORT_LOWER_MS`).

        Raises
        ------
        WeatherError
            A force that is not a whole number, or outside 0–17 (a wind above 61.2 m/s is force 17).
        """
        if isinstance(wind_bft, bool) or not isinstance(wind_bft, int | float | np.integer) or not float(wind_bft).is_integer():
            msg = f"wind must be a whole wind force 0–{MAX_WIND_FORCE}, got {wind_bft!r}"
            raise WeatherError(msg)
        if not 0 <= wind_bft <= MAX_WIND_FORCE:
            msg = (f"wind {wind_bft:g} is out of range: wind forces run 0–{MAX_WIND_FORCE} on the Chinese scale "
                   f"(GB/T 28591-2012; force {MAX_WIND_FORCE} is 56.1–61.2 m/s, and stronger winds are reported "
                   f"as {MAX_WIND_FORCE})")
            raise WeatherError(msg)
        return cls(wind_bft=int(wind_bft))

    @classmethod
    def typhoon(cls, lon: float, lat: float, r7_km: float, r10_km: float) -> Weather:
        """A typhoon centred at lon/lat with radii of force-7 and force-10 winds (km)."""
        if not (100 <= lon <= 160 and 0 <= lat <= 50):
            raise WeatherError(f"typhoon centre ({lon}, {lat}) is not in the western North Pacific "
                               "(lon 100–160, lat 0–50)")
        if not 0 < r7_km <= 1500:
            raise WeatherError(f"typhoon R7 = {r7_km} km is out of range (0–1500 km)")
        if not 0 <= r10_km <= r7_km:
            raise WeatherError(f"typhoon R10 = {r10_km} km must be between 0 and R7 = {r7_km} km")
        return cls(centre=(float(lon), float(lat)), r7_km=float(r7_km), r10_km=float(r10_km))

    @property
    def wind_key(self) -> str:
        """A short string identifying the wind alone."""
        if self.centre is None:
            return f"wind{self.wind_bft}"
        return f"typhoon{self.centre[0]:.3f},{self.centre[1]:.3f},{self.r7_km:g},{self.r10_km:g}"

    @property
    def key(self) -> str:
        """A short string identifying the scenario, wind and notices (for caches and labels)."""
        return self.wind_key + notices_key(self.notices)

    def describe(self, lang: str = "en") -> str:
        """Human-readable description, in English (``en``) or Chinese (``zh``), with the notices in force."""
        text = self._describe_wind(lang)
        if self.notices:
            n = len(self.notices)
            text += f"，停航通知 {n} 份" if lang == "zh" else f"; {n} suspension notice{'s' if n > 1 else ''} in force"
        return text

    def _describe_wind(self, lang: str) -> str:
        if lang == "zh":
            if self.centre is None:
                return "静风" if self.wind_bft == 0 else f"全域 {self.wind_bft} 级风"
            return (f"台风 中心 {self.centre[0]:.2f}°E {self.centre[1]:.2f}°N，七级风圈 {self.r7_km:g} km，"
                    f"十级风圈 {self.r10_km:g} km")
        if self.centre is None:
            return f"uniform wind force {self.wind_bft}"
        return (f"typhoon at {self.centre[0]:.2f}E {self.centre[1]:.2f}N, R7 {self.r7_km:g} km, "
                f"R10 {self.r10_km:g} km")

    def wind_at(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Beaufort force (integer array) at each lon/lat."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        if self.centre is None:
            return np.full(lon.shape, self.wind_bft, dtype=np.int64)
        clon = np.full(lon.shape, self.centre[0])
        clat = np.full(lon.shape, self.centre[1])
        d = _GEOD.inv(clon, clat, lon, lat)[2] / 1000.0
        r7, r10 = self.r7_km, self.r10_km
        ramp = 7 + np.floor(3 * (r7 - d) / max(r7 - r10, 1e-9)).clip(0, 2)
        out = np.select(
            [d <= r10 / 2, d <= r10, d <= r7, d <= 1.5 * r7, d <= 2 * r7],
            [12, 10, ramp, 6, 5],
            default=4,
        )
        return out.astype(np.int64)


def notices_key(notices: tuple[Suspension, ...]) -> str:
    """The part of a scenario key that the notices make (empty with none)."""
    if not notices:
        return ""
    return "|" + ";".join(sorted(f"{n.scope}:{n.ref}" for n in notices))


def parse_typhoon(text: str) -> Weather:
    """Parse ``"LON,LAT,R7,R10"`` (degrees, km) into a typhoon scenario."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4:
        raise WeatherError(f"--typhoon expects LON,LAT,R7,R10 (4 numbers), got {text!r}")
    try:
        lon, lat, r7, r10 = (float(p) for p in parts)
    except ValueError as exc:
        raise WeatherError(f"--typhoon expects LON,LAT,R7,R10 as numbers, got {text!r}") from exc
    return Weather.typhoon(lon, lat, r7, r10)
