"""A typhoon's surface wind field from one track point: a parametric Holland (1980) vortex.

What the model computes, step by step (``v`` are 10 m winds in m/s, the **CMA 2-minute mean**
that the best tracks, the bulletins and the Chinese Beaufort bands of GB/T 28591-2012 use; no
conversion to other averaging periods and no gust factor is applied):

1. **Symmetric maximum wind**: the track's maximum wind, ``v_sym = vmax``. The motion term of
   step 5 is added on top, so on the right of the track the modelled peak exceeds vmax by up
   to half the translation speed (2–3 m/s for these storms). Removing that half first, as
   Phadke et al. (2003) do, made the modelled radii 5–15% smaller than the bulletins' with
   any Rmax factor, so the calibration below was done, and holds, without it.
2. **Holland B from the maximum wind and the pressure drop** (Holland 1980, eq. 7 solved for
   B): ``B = ρ·e·v_sym² / Δp`` with ρ = 1.15 kg m⁻³ and Δp = 1010 hPa − the central pressure,
   kept in Holland's range 1.0–2.5. CMA's own wind–pressure pairs give B ≈ 1 (955 hPa ↔
   42 m/s: B = 1.00), so the same relation with B = 1 fills a missing wind or pressure.
3. **Radius of maximum wind** (when the track gives none): Willoughby, Darling & Rahn (2006,
   eq. 7a), ``Rmax = 46.4·exp(−0.0155·v_g + 0.0169·|φ|)`` km, with the gradient-level wind
   ``v_g = v_sym / 0.9`` (the over-water surface/gradient ratio of Knaff et al. 2011), times
   the calibration factor :data:`RMAX_CALIBRATION` (below).
4. **Profile**: ``v(r) = v_sym·[(Rmax/r)^B·exp(1 − (Rmax/r)^B)]^½`` — Holland's profile
   written with its maximum wind (his cyclostrophic form; the same as Holland et al. 2010 with
   x = ½); Coriolis is left out, see the calibration note.
5. **Asymmetry**: the motion's share ``vt·Rmax·r/(Rmax² + r²)·cos α`` is added, α being the
   angle between the storm's motion and the cyclonic (anticlockwise) wind at the point
   (Phadke et al. 2003, eq. 12): stronger on the right of the track, weaker on the left.
6. **Wind force** on the Chinese scale (GB/T 28591-2012 风力等级: Beaufort's 0–12, then
   13–17 for typhoon winds): the speed rounded to 0.1 m/s and binned with the standard bands
   (force 7 = 13.9–17.1, 8 = 17.2–20.7, 9 = 20.8–24.4, 10 = 24.5–28.4, 11 = 28.5–32.6,
   12 = 32.7–36.9, 13 = 37.0–41.4, 14 = 41.5–46.1, 15 = 46.2–50.9, 16 = 51.0–56.0,
   17 = 56.1–61.2 m/s); a wind above 61.2 m/s is reported as 17, as the scale's top grade.

Evaluation: :func:`speeds_ms` / :func:`forces_bft` evaluate many storm states (a replay's steps)
at many points in one call, :func:`speeds_at` one state per point; :meth:`Vortex.speed_ms` is the
same code for one state, so every route gives the same numbers to the last bit.
:func:`force_ranges` (:meth:`Vortex.bft_range`) bounds the force over lon/lat boxes, which settles
most of a network's links against their wind limits without evaluating the field at them.

No reduction over land is applied (the links that close are sea lanes and bridges), and there is
no calm eye: inside Rmax the wind is held at its maximum, because no boat sails out in the eye
(and the calibrated Rmax is smaller than the real eye, see below).

**Calibration.** With the published Rmax relations (Willoughby et al. 2006; Vickery &
Wadhera 2008; Knaff & Zehr 2007; Nederhoff et al. 2019 all give 30–60 km for these storms)
the Holland profile puts the radius of force-10 winds 45–180% beyond the CMA bulletins' R10
while R7 comes out near the bulletins: Holland's band of strong winds is too wide just
outside the eyewall, as Willoughby & Rahn (2004) found against flight-level data. With
Coriolis in the gradient wind (Holland's full eq.), R7 falls 10–40% short as well. The one
free factor here, :data:`RMAX_CALIBRATION`, shrinks the Rmax of step 3 so that the profile
matches the CMA radii; beyond Rmax the profile then decays close to r^(−B/2), which is what
the bulletins' R7 : R10 ratio of about 3 asks for. The fitted Rmax is therefore a shape
parameter of this profile, smaller than the storm's real eye radius; the winds inside
about 30 km of the centre are not reliable (they do not matter for closing links, which are
shut well outside). ``tests/typhoon/test_wind_field.py`` compares the modelled R7/R10 (and R12, not
used in the fit) with the bulletins of 梅花 Muifa 2022, 烟花 In-Fa 2021 and 贝碧嘉
Bebinca 2024.

When a track point gives R7 and/or R10 (forecast bulletins do), Rmax (and with both radii,
B) are fitted to them instead, so the field reproduces the forecaster's radii.

References: Holland, G. J. (1980) MWR 108, 1212–1218; Holland, Belanger & Fritz (2010) MWR
138, 4393–4401; Willoughby, Darling & Rahn (2006) MWR 134, 1102–1120; Willoughby & Rahn
(2004) MWR 132, 3033–3048; Knaff et al. (2011) JAMC 50, 2149–2166; Phadke et al. (2003)
Ocean Eng. 30, 553–578; GB/T 28591-2012 风力等级.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy.optimize import brentq, least_squares

from islandcover.clock import beijing_text
from islandcover.errors import WindFieldError
from islandcover.situation import Suspension
from islandcover.travel.weather import notices_key

__all__ = [
    "BEAUFORT_LOWER_MS",
    "P_ENV_HPA",
    "RHO_AIR",
    "RMAX_CALIBRATION",
    "SURFACE_TO_GRADIENT",
    "StormWeather",
    "Vortex",
    "beaufort",
    "bounds_ms",
    "force_ranges",
    "forces_bft",
    "holland_b",
    "pressure_from_wind",
    "rmax_km",
    "speeds_at",
    "speeds_ms",
    "wind_from_pressure",
]

#: Air density near the surface, kg m⁻³ (the value Holland 1980 and most of his users take).
RHO_AIR = 1.15
#: Environmental (outermost closed isobar) pressure, hPa.
P_ENV_HPA = 1010.0
#: Surface (10 m) over gradient-level wind over water near the core (Knaff et al. 2011).
SURFACE_TO_GRADIENT = 0.9
#: Calibration factor on the Willoughby et al. (2006) Rmax, fitted to the CMA bulletin radii
#: (module docstring; tests/typhoon/test_wind_field.py).
RMAX_CALIBRATION = 0.31
#: Holland's range of B.
B_RANGE = (1.0, 2.5)
#: Lower edge (m/s) of wind forces 1–17 (``BEAUFORT_LOWER_MS[n - 1]`` for force n; a 10 m,
#: 2-min mean wind rounded to 0.1 m/s is force n for v ≥ edge n). Forces 1–12 are Beaufort's
#: (WMO); 13–17 are the Chinese extension for typhoon winds of GB/T 28591-2012 风力等级 (18
#: grades, 0–17; the 13–17 bands first set by the CMA's 2001 《台风业务和服务规定》):
#: 13 = 37.0–41.4, 14 = 41.5–46.1, 15 = 46.2–50.9, 16 = 51.0–56.0, 17 = 56.1–61.2 m/s.
#: The same edges give the typhoon grades of GB/T 19201-2006 热带气旋等级 (台风 32.7–41.4 m/s,
#: forces 12–13; 强台风 41.5–50.9, 14–15; 超强台风 ≥ 51.0, 16 and above). Above 61.2 m/s the
#: scale has no grade: such winds are force 17 (:data:`islandcover.facts.MAX_WIND_FORCE`).
BEAUFORT_LOWER_MS = (0.3, 1.6, 3.4, 5.5, 8.0, 10.8, 13.9, 17.2, 20.8, 24.5, 28.5, 32.7,
                     37.0, 41.5, 46.2, 51.0, 56.1)

_EARTH_KM = 6371.0088
_E = math.e


def beaufort(speed_ms: np.ndarray | float) -> np.ndarray:
    """Wind force 0–17 (int64) of wind speeds in m/s (rounded to 0.1 m/s first), on the Chinese
    scale of GB/T 28591-2012: 45 m/s is force 14, and anything from 56.1 m/s up is force 17."""
    v = np.round(np.asarray(speed_ms, dtype=float) * 10.0) / 10.0
    edges = np.asarray(BEAUFORT_LOWER_MS) - 1e-9
    return np.searchsorted(edges, v, side="right").astype(np.int64)


def wind_from_pressure(pressure_hpa: float, *, b: float = 1.0) -> float:
    """Maximum wind (m/s) of a central pressure, Holland (1980): ``v = sqrt(B·Δp / (ρ·e))``."""
    dp = max(P_ENV_HPA - float(pressure_hpa), 0.0) * 100.0
    return math.sqrt(b * dp / (RHO_AIR * _E))


def pressure_from_wind(vmax_ms: float, *, b: float = 1.0) -> float:
    """Central pressure (hPa) of a maximum wind: the inverse of :func:`wind_from_pressure`."""
    return P_ENV_HPA - RHO_AIR * _E * float(vmax_ms) ** 2 / b / 100.0


def holland_b(vmax_ms: float, pressure_hpa: float) -> float:
    """Holland's B from the symmetric maximum wind and the central pressure, in [1.0, 2.5]."""
    dp = max(P_ENV_HPA - float(pressure_hpa), 1.0) * 100.0
    return float(min(max(RHO_AIR * _E * float(vmax_ms) ** 2 / dp, B_RANGE[0]), B_RANGE[1]))


def rmax_km(vmax_ms: float, lat: float, *, calibration: float = RMAX_CALIBRATION) -> float:
    """Radius of maximum wind (km): Willoughby et al. (2006) eq. 7a × ``calibration``.

    Parameters
    ----------
    vmax_ms : float
        Symmetric maximum surface wind, m/s (converted to gradient level by /0.9).
    lat : float
        Latitude of the centre, degrees.
    calibration : float
        Factor on the published relation (default :data:`RMAX_CALIBRATION`; 1.0 = as published).
    """
    v_g = float(vmax_ms) / SURFACE_TO_GRADIENT
    return calibration * 46.4 * math.exp(-0.0155 * v_g + 0.0169 * abs(float(lat)))


_rmax_relation = rmax_km


def _profile(r_km: np.ndarray, v_sym: float, rm: float, b: float) -> np.ndarray:
    """Holland's symmetric profile written with its maximum wind (m/s at r km)."""
    r = np.maximum(np.asarray(r_km, dtype=float), 1e-3)
    y = rm / r if b == 1.0 else (rm / r) ** b
    return v_sym * np.sqrt(y * np.exp(1.0 - y))


def _profile_at(r_km: np.ndarray, v_sym: np.ndarray, rm: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`_profile` with its parameters given per element (arrays broadcast together), element
    for element the same numbers (numpy's shortcuts for the exponents 2 and ½ included)."""
    r = np.maximum(np.asarray(r_km, dtype=float), 1e-3)
    x = rm / r
    b = np.asarray(b, dtype=float)
    specials = ((1.0, np.positive), (2.0, np.square), (0.5, np.sqrt))
    y = next((same(x) for special, same in specials if np.all(b == special)), None)  # one exponent for all
    if y is None:
        y = np.asarray(np.power(x, b))
        for special, same in specials:  # only where b is special, as numpy computes x**special
            at = b == special
            if np.any(at):
                mask = np.broadcast_to(at, y.shape)
                y[mask] = same(np.broadcast_to(x, y.shape)[mask])
    return v_sym * np.sqrt(y * np.exp(1.0 - y))


def _gather(vortices: Sequence[Vortex]) -> dict[str, np.ndarray]:
    """What the field of each storm state needs, as arrays (one element per state), the derived
    numbers computed as :meth:`Vortex.speed_ms` always did (Python's ``hypot`` and ``**``)."""
    p = {n: np.array([getattr(v, n) for v in vortices], dtype=float)
         for n in ("lon", "lat", "rmax_km", "v_sym_ms", "b", "vt_east_ms", "vt_north_ms")}
    p["vt"] = np.array([math.hypot(v.vt_east_ms, v.vt_north_ms) for v in vortices], dtype=float)
    p["rm2"] = np.array([v.rmax_km ** 2 for v in vortices], dtype=float)
    return p


def _parameters(vortices: Sequence[Vortex]) -> dict[str, np.ndarray]:
    """:func:`_gather`, kept with the state when there is one (a replay reads one state many times)."""
    return vortices[0]._field if len(vortices) == 1 else _gather(vortices)


def _speeds(p: dict[str, np.ndarray], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The wind speed (m/s) at ``lon``/``lat`` of the storm states ``p`` (:func:`_parameters`, each
    array broadcast against the points): the one implementation of the field."""
    dx = np.radians(lon - p["lon"]) * np.cos(np.radians(0.5 * (lat + p["lat"])))
    dy = np.radians(lat - p["lat"])
    rad = np.maximum(np.hypot(dx, dy), 1e-12)
    d = np.maximum(rad * _EARTH_KM, p["rmax_km"])  # no calm eye: inside Rmax the wind is the maximum
    v = _profile_at(d, p["v_sym_ms"], p["rmax_km"], p["b"])
    vt = p["vt"]
    moving = vt > 0
    if np.any(moving):
        with np.errstate(divide="ignore", invalid="ignore"):  # a storm standing still: no motion term
            # anticlockwise tangent at the point · motion, over |motion|: cos of the angle between them
            cos_a = (-dy * p["vt_east_ms"] + dx * p["vt_north_ms"]) / (rad * vt)
            share = p["rmax_km"] * d / (p["rm2"] + np.square(d))
            term = v + vt * share * cos_a
        v = term if np.all(moving) else np.where(moving, term, v)
    return np.maximum(v, 0.0)


def speeds_ms(vortices: Sequence[Vortex], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Wind speed (m/s) of each storm state (rows) at each lon/lat (columns), in one evaluation.

    Row ``i`` is ``vortices[i].speed_ms(lon, lat)`` (which is computed by the same code), so a
    replay evaluates all its steps at once. See :meth:`Vortex.speed_ms`.
    """
    lon = np.asarray(lon, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    if not len(vortices):
        return np.zeros((0, len(lon)))
    return _speeds({k: v[:, None] for k, v in _parameters(vortices).items()}, lon[None, :], lat[None, :])


def speeds_at(vortices: Sequence[Vortex], which: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Wind speed (m/s) at each lon/lat of the storm state ``vortices[which[i]]``: point by point
    what :meth:`Vortex.speed_ms` gives there."""
    lon = np.asarray(lon, dtype=float).ravel()
    if not len(lon):
        return np.zeros(0)
    which = np.asarray(which, dtype=np.int64).ravel()
    return _speeds({k: v[which] for k, v in _parameters(vortices).items()}, lon, np.asarray(lat, dtype=float).ravel())


def forces_bft(vortices: Sequence[Vortex], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Wind force (int64, 0–17, :func:`beaufort`) of each storm state (rows) at each lon/lat (columns)."""
    return beaufort(speeds_ms(vortices, lon, lat))


def force_ranges(vortices: Sequence[Vortex], which: np.ndarray, west: np.ndarray, south: np.ndarray,
                 east: np.ndarray, north: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and the highest force the storm state ``vortices[which[i]]`` can give anywhere in
    the lon/lat box ``i`` (:meth:`Vortex.bft_range`, which this computes).

    Bounds, not extremes: the distance from the centre (as :meth:`Vortex.speed_ms` measures
    it) is bounded over the box, the symmetric profile falls with distance outside Rmax, and
    the motion term lies within ±(its share at the nearest distance). A box far from the storm
    or near its core is settled by them without evaluating the field at its points.
    """
    which = np.asarray(which, dtype=np.int64).ravel()
    if not len(which):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    p = {k: v[which] for k, v in _parameters(vortices).items()}
    west, south, east, north = (np.asarray(a, dtype=float).ravel() for a in (west, south, east, north))
    # |Δlon|, |Δlat| and the cosine of the mean latitude, each between a lowest and a highest value
    w, e = np.radians(west - p["lon"]), np.radians(east - p["lon"])
    s, n = np.radians(south - p["lat"]), np.radians(north - p["lat"])
    dlon_hi = np.maximum(np.abs(w), np.abs(e))
    dlon_lo = np.where((w <= 0) & (e >= 0), 0.0, np.minimum(np.abs(w), np.abs(e)))
    dlat_hi = np.maximum(np.abs(s), np.abs(n))
    dlat_lo = np.where((s <= 0) & (n >= 0), 0.0, np.minimum(np.abs(s), np.abs(n)))
    ms, mn = np.abs(np.radians(0.5 * (south + p["lat"]))), np.abs(np.radians(0.5 * (north + p["lat"])))
    crosses = (south + p["lat"] <= 0) & (north + p["lat"] >= 0)
    cos_lo = np.cos(np.minimum(np.maximum(ms, mn), math.pi / 2))
    cos_hi = np.cos(np.where(crosses, 0.0, np.minimum(ms, mn)))
    rm = p["rmax_km"]
    near = np.maximum(np.hypot(dlon_lo * cos_lo, dlat_lo) * (_EARTH_KM * (1 - 1e-9)), rm)
    far = np.maximum(np.hypot(dlon_hi * cos_hi, dlat_hi) * (_EARTH_KM * (1 + 1e-9)), rm)
    motion = p["vt"] * rm * near / (p["rm2"] + near ** 2)
    high = _profile_at(near, p["v_sym_ms"], rm, p["b"]) + motion
    low = np.maximum(_profile_at(far, p["v_sym_ms"], rm, p["b"]) - motion, 0.0)
    return beaufort(low - 1e-6), beaufort(high + 1e-6)


def bounds_ms(vortices: Sequence[Vortex], distance_km: np.ndarray) -> np.ndarray:
    """Per storm state, an upper bound (m/s) of its wind anywhere at least ``distance_km[i]`` from
    its centre (:meth:`Vortex.bound_ms`, which this computes)."""
    if not len(vortices):
        return np.zeros(0)
    p = _parameters(vortices)
    d = np.maximum(np.asarray(distance_km, dtype=float).ravel(), p["rmax_km"])
    return _profile_at(d, p["v_sym_ms"], p["rmax_km"], p["b"]) + 0.5 * p["vt"]


@dataclass(frozen=True)
class Vortex:
    """The parameters of the wind field around one storm centre.

    Build it with :meth:`from_state`; :meth:`speed_ms` and :meth:`bft` evaluate it.

    Attributes
    ----------
    lon, lat : float
        Centre, degrees (WGS84).
    vmax_ms : float
        Maximum 2-min wind of the track point, m/s (motion included).
    pressure_hpa : float
        Central pressure, hPa.
    vt_east_ms, vt_north_ms : float
        Translation velocity of the centre, m/s.
    v_sym_ms : float
        Maximum of the symmetric part, m/s.
    rmax_km : float
        Radius of maximum wind of the profile, km.
    b : float
        Holland's B.
    fitted : str
        ``"relation"`` (Rmax from the calibrated relation), ``"rmax"`` (given), ``"r7"``,
        ``"r10"`` or ``"r7+r10"`` (fitted to the given radii).
    """

    lon: float
    lat: float
    vmax_ms: float
    pressure_hpa: float
    vt_east_ms: float
    vt_north_ms: float
    v_sym_ms: float
    rmax_km: float
    b: float
    fitted: str = "relation"

    @classmethod
    def from_state(cls, lon: float, lat: float, vmax_ms: float | None, pressure_hpa: float | None, *,
                   vt_east_ms: float = 0.0, vt_north_ms: float = 0.0, rmax_km: float | None = None,
                   r7_km: float | None = None, r10_km: float | None = None,
                   calibration: float = RMAX_CALIBRATION) -> Vortex:
        """The vortex of one storm state.

        Parameters
        ----------
        lon, lat : float
            Centre, degrees.
        vmax_ms : float or None
            Maximum sustained (2-min) wind, m/s; from the pressure when None.
        pressure_hpa : float or None
            Central pressure, hPa; from the wind when None.
        vt_east_ms, vt_north_ms : float
            Translation velocity, m/s.
        rmax_km : float, optional
            Radius of maximum wind when known, km.
        r7_km, r10_km : float, optional
            Radii of force-7 (13.9 m/s) and force-10 (24.5 m/s) winds, km: Rmax (and B when
            both are given) are fitted to them.
        calibration : float
            Factor on the Rmax relation (:func:`rmax_km`).

        Raises
        ------
        WindFieldError
            Neither wind nor pressure, a wind outside 5–95 m/s, a pressure outside 850–1020 hPa,
            or radii that no profile with this maximum wind can meet.
        """
        vmax = None if vmax_ms is None or not math.isfinite(vmax_ms) else float(vmax_ms)
        pc = None if pressure_hpa is None or not math.isfinite(pressure_hpa) else float(pressure_hpa)
        if vmax is None and pc is None:
            raise WindFieldError("a storm state needs its maximum wind (m/s) or its central pressure (hPa)")
        if pc is not None and not 850.0 <= pc <= 1020.0:
            raise WindFieldError(f"central pressure {pc:g} hPa is out of range (850–1020 hPa)")
        if vmax is None:
            vmax = wind_from_pressure(pc)  # type: ignore[arg-type]
        if not 5.0 <= vmax <= 95.0:
            raise WindFieldError(f"maximum wind {vmax:g} m/s is out of range (5–95 m/s)")
        if pc is None:
            pc = pressure_from_wind(vmax)
        v_sym = vmax
        b = holland_b(v_sym, pc)
        fitted = "relation"
        if rmax_km is not None and math.isfinite(rmax_km):
            if not 1.0 <= rmax_km <= 500.0:
                raise WindFieldError(f"radius of maximum wind {rmax_km:g} km is out of range (1–500 km)")
            rm, fitted = float(rmax_km), "rmax"
        else:
            rm = _rmax_relation(v_sym, lat, calibration=calibration)
        r7 = None if r7_km is None or not math.isfinite(r7_km) else float(r7_km)
        r10 = None if r10_km is None or not math.isfinite(r10_km) else float(r10_km)
        if r7 is not None or r10 is not None:
            rm, b, fitted = _fit_radii(v_sym, b, r7, r10)
        return cls(lon=float(lon), lat=float(lat), vmax_ms=vmax, pressure_hpa=float(pc), vt_east_ms=float(vt_east_ms),
                   vt_north_ms=float(vt_north_ms), v_sym_ms=v_sym, rmax_km=float(rm), b=float(b), fitted=fitted)

    # ------------------------------------------------------------------ evaluation
    @cached_property
    def _field(self) -> dict[str, np.ndarray]:
        return _gather([self])

    def speed_ms(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Wind speed (2-min mean at 10 m, m/s) at each lon/lat.

        Distances on the local tangent plane of each point (east offset scaled by the cosine
        of the mean latitude): within 0.1% of the great circle out to 1000 km.
        """
        shape = np.broadcast(np.asarray(lon), np.asarray(lat)).shape
        lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return speeds_ms([self], lon, lat)[0].reshape(shape)

    def bft(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Wind force (int64, 0–17, :func:`beaufort`) at each lon/lat."""
        return beaufort(self.speed_ms(lon, lat))

    def bft_range(self, west: np.ndarray, south: np.ndarray, east: np.ndarray,
                  north: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The lowest and the highest force :meth:`bft` can give anywhere in each lon/lat box
        (:func:`force_ranges`)."""
        return force_ranges([self], np.zeros(np.size(west), dtype=np.int64), west, south, east, north)

    def radius_km(self, speed_ms: float, *, n_azimuths: int = 72) -> tuple[float, float, float]:
        """Outermost radius (km) where the wind reaches ``speed_ms``: (mean, min, max) over azimuths.

        0 where it is never reached.
        """
        r = np.concatenate([np.arange(1.0, 100.0, 0.5), np.arange(100.0, 1500.0, 2.0)])
        az = np.radians(np.arange(n_azimuths) * 360.0 / n_azimuths)
        out = []
        for a in az:
            east, north = np.sin(a) * r, np.cos(a) * r
            lat = self.lat + np.degrees(north / _EARTH_KM)
            lon = self.lon + np.degrees(east / (_EARTH_KM * math.cos(math.radians(self.lat))))
            above = np.flatnonzero(self.speed_ms(lon, lat) >= speed_ms)
            out.append(float(r[above[-1]]) if len(above) else 0.0)
        arr = np.array(out)
        return float(arr.mean()), float(arr.min()), float(arr.max())

    def bound_ms(self, distance_km: float) -> float:
        """An upper bound (m/s) of the wind anywhere at least ``distance_km`` from the centre."""
        return float(bounds_ms([self], np.array([float(distance_km)]))[0])

    def to_dict(self) -> dict[str, object]:
        return {"lon": round(self.lon, 4), "lat": round(self.lat, 4), "vmax_ms": round(self.vmax_ms, 2),
                "pressure_hpa": round(self.pressure_hpa, 1), "v_sym_ms": round(self.v_sym_ms, 2),
                "rmax_km": round(self.rmax_km, 2), "b": round(self.b, 3),
                "translation_ms": [round(self.vt_east_ms, 2), round(self.vt_north_ms, 2)], "fitted": self.fitted}


def _fit_radii(v_sym: float, b0: float, r7: float | None, r10: float | None) -> tuple[float, float, str]:
    """Rmax (and B with both radii) so that the symmetric profile meets the given R7/R10."""
    v7, v10 = BEAUFORT_LOWER_MS[6], BEAUFORT_LOWER_MS[9]
    for name, r, v in (("R7", r7, v7), ("R10", r10, v10)):
        if r is not None and not 5.0 <= r <= 1500.0:
            raise WindFieldError(f"{name} = {r:g} km is out of range (5–1500 km)")
    if r7 is not None and r10 is not None and r10 >= r7:
        raise WindFieldError(f"R10 = {r10:g} km must be smaller than R7 = {r7:g} km")
    if r10 is not None and v_sym < v10:
        raise WindFieldError(f"R10 = {r10:g} km given, but the maximum wind {v_sym:.1f} m/s is below force 10")
    if r7 is not None and v_sym < v7:
        raise WindFieldError(f"R7 = {r7:g} km given, but the maximum wind {v_sym:.1f} m/s is below force 7")

    def rm_for(r: float, v: float, b: float) -> float:
        # outside Rmax the profile falls with r; find Rmax in (0, r) with v(r) = v
        f = lambda rm: float(_profile(np.array([r]), v_sym, rm, b)[0]) - v
        return brentq(f, 1e-3, r, xtol=1e-4)

    if r7 is not None and r10 is not None:
        def res(p: np.ndarray) -> np.ndarray:
            rm, b = math.exp(p[0]), p[1]
            return np.array([float(_profile(np.array([r7]), v_sym, rm, b)[0]) / v7 - 1,
                             float(_profile(np.array([r10]), v_sym, rm, b)[0]) / v10 - 1])
        start = np.array([math.log(rm_for(r10, v10, b0)), b0])
        sol = least_squares(res, start, bounds=([math.log(0.5), 0.3], [math.log(r10), 3.0]))
        if np.max(np.abs(sol.fun)) > 0.02:
            raise WindFieldError(f"no Holland profile with maximum wind {v_sym:.1f} m/s has R7 = {r7:g} km "
                                 f"and R10 = {r10:g} km")
        return math.exp(sol.x[0]), float(sol.x[1]), "r7+r10"
    if r10 is not None:
        return rm_for(r10, v10, b0), b0, "r10"
    return rm_for(r7, v7, b0), b0, "r7"  # type: ignore[arg-type]


@dataclass(frozen=True)
class StormWeather:
    """A weather scenario (what :class:`islandcover.travel.routing.Router` takes) of one storm at one time.

    Attributes
    ----------
    vortex : Vortex
        The wind field.
    time : str
        ISO 8601 time of the state with its offset (``"2022-09-14T20:00:00+08:00"``; a replay
        writes Beijing time); :meth:`describe` shows it in Beijing time.
    storm : str
        Storm name (``"MUIFA"``), for labels.
    """

    vortex: Vortex
    time: str
    storm: str = ""
    notices: tuple[Suspension, ...] = ()

    def with_notices(self, notices: tuple[Suspension, ...] | list[Suspension]) -> StormWeather:
        """The same storm state with ``notices`` in force (links closed whatever the wind)."""
        return replace(self, notices=tuple(notices))

    @property
    def wind_key(self) -> str:
        """Short unique string of the wind alone: storm, time and a digest of the parameters."""
        v = self.vortex
        text = (f"{v.lon:.4f},{v.lat:.4f},{v.vmax_ms:.2f},{v.pressure_hpa:.1f},{v.vt_east_ms:.2f},"
                f"{v.vt_north_ms:.2f},{v.rmax_km:.3f},{v.b:.4f}")
        digest = hashlib.sha1(text.encode()).hexdigest()[:10]
        return f"storm:{self.storm}:{self.time}:{digest}"

    @property
    def key(self) -> str:
        """Short unique string for the router's caches: the wind and the notices in force."""
        return self.wind_key + notices_key(self.notices)

    def describe(self, lang: str = "en") -> str:
        """Human-readable description, English (``en``) or Chinese (``zh``)."""
        v = self.vortex
        when = beijing_text(self.time, lang=lang, year=True)
        if lang == "zh":
            return (f"台风{self.storm} {when} 中心 {v.lon:.2f}°E {v.lat:.2f}°N，最大风速 {v.vmax_ms:.0f} m/s，"
                    f"中心气压 {v.pressure_hpa:.0f} hPa")
        return (f"typhoon {self.storm} at {when}: centre {v.lon:.2f}E {v.lat:.2f}N, "
                f"max wind {v.vmax_ms:.0f} m/s, {v.pressure_hpa:.0f} hPa")

    def wind_at(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Wind force (int64 array, 0–17, :func:`beaufort`) at each lon/lat."""
        return self.vortex.bft(lon, lat)
