"""Storm tracks: read, validate and interpolate a typhoon's best track or forecast points.

Three forms are read (:func:`read_track` tells them apart by suffix and header):

* **CMA best-track CSV** as shipped in ``data/typhoons/``: ``#`` comment lines, then columns
  ``storm_id, source_file, storm_name, timestamp, t_hours, lng, lat, wind_speed, pressure``
  (UTC ``Z`` times, 2-min maximum wind m/s, hPa). A file may hold several storms: ``storm=``
  picks one by name (``"MUIFA"``, ``"梅花"``) or id.
* **IBTrACS CSV** (v04 ``*.list.v04r00.csv``): columns ``SID, SEASON, NAME, ISO_TIME, LAT,
  LON`` and per agency ``CMA_WIND``/``CMA_PRES``, ``USA_WIND``/``USA_PRES``,
  ``WMO_WIND``/``WMO_PRES``; the second line gives the units (winds in knots, pressures in
  mb); ``ISO_TIME`` is UTC. The wind is taken from CMA (2-min) where the storm has it, else
  USA (1-min), else WMO (the responsible agency's: JMA's 10-min in the western Pacific); no
  conversion between averaging periods is made and :attr:`Track.wind_basis` says which was
  used. IBTrACS's wind radii (34/50/64 kt) are not the Chinese force-7/10 radii and are not
  read.
* **Forecast points**, CSV or GeoJSON (Point features): ``time`` (ISO 8601 with a time zone,
  ``2022-09-14T08:00+08:00`` or ``…Z``), ``lon``, ``lat`` (CSV; GeoJSON takes the point),
  ``vmax_ms`` (or ``vmax``, m/s) or ``vmax_kn`` (knots), and/or ``force`` (the bulletin's
  中心附近最大风力, a whole force 0–17 on the Chinese scale of GB/T 28591-2012), and/or
  ``pressure_hpa`` (or ``pressure``), optional ``r7_km`` and ``r10_km`` (radii of force-7 and
  force-10 winds). A point with a force and no wind takes the middle of the force's speed band
  (force 14, 41.5–46.1 m/s: 43.8 m/s; force 17, 56.1–61.2 m/s: 58.65 m/s); a point with both must
  have a wind in the force's band (45 m/s is force 14; from 56.1 m/s up, force 17).

Checks, each raising :class:`TrackError` naming the file, the row and the field: missing
columns; unparseable times or times without a time zone; times not increasing; coordinates
out of range; a force that is not a whole number 0–17 (18 and above are not on the scale) or
that disagrees with the wind given with it; a centre moving faster than 40 m/s between two
points (a digit or sign wrong in lon/lat); a wind above 95 m/s (no storm on record has one: knots written as m/s), or a
wind more than 1.6 times what the central pressure supports (Holland's relation with B = 1,
checked where the pressure is 1000 hPa or lower: again knots as m/s); a pressure outside
850–1020 hPa; radii that are negative or with R10 ≥ R7; and a **typhoon-strength centre
(≥ 32.7 m/s) more than 50 km inland**. That last check uses the shipped GSHHG low-resolution
land polygons (``data/typhoons/land_gshhg_low.geojson``, 100–160°E, 0–50°N, polygons of
100 km² or more, simplified by 0.02°, about 2 km): a 50 km circle round the centre must not
lie wholly on land. Weaker centres far inland are real (烟花 In-Fa's remnant crossed Anhui at
15 m/s, 300 km from the sea) and are kept; outside that box no land check is made.

Times are read with any offset and kept in UTC; what leaves (:meth:`Track.to_dict`, the
messages) is in Beijing time, ISO 8601 with ``+08:00`` (:mod:`islandcover.clock`).
"""
from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon, shape

from islandcover.clock import iso_beijing
from islandcover.errors import StepError, TrackError
from islandcover.facts import MAX_WIND_FORCE
from islandcover.typhoon.wind_field import BEAUFORT_LOWER_MS, Vortex, beaufort, wind_from_pressure

__all__ = [
    "MAX_TRANSLATION_MS",
    "STORM_ALIASES",
    "TRACK_YEARS",
    "TYPHOON_DIR",
    "Track",
    "force_band_ms",
    "parse_step",
    "read_track",
    "resolve_track",
    "shipped_track",
    "shipped_tracks",
    "track_from_records",
]

#: First and last year a track point may carry: IBTrACS begins in 1842; a forecast beyond 2200
#: is a typo (and pandas' nanosecond times end in 2262).
TRACK_YEARS: tuple[int, int] = (1842, 2200)

#: Folder of the shipped tracks and land mask.
TYPHOON_DIR = Path(__file__).resolve().parents[2] / "data" / "typhoons"
#: Chinese names of the shipped storms → the name in the CMA files.
STORM_ALIASES: dict[str, str] = {"梅花": "MUIFA", "烟花": "IN-FA", "灿都": "CHANTHU", "贝碧嘉": "BEBINCA",
                                 "普拉桑": "PULASAN"}

KNOT_MS = 0.514444
MAX_WIND_MS = 95.0
MAX_WIND_PRESSURE_RATIO = 1.6
INLAND_KM = 50.0
INLAND_MIN_WIND_MS = BEAUFORT_LOWER_MS[11]  # typhoon strength, force 12 (BEAUFORT_LOWER_MS[n - 1]: force n)
#: Fastest plausible motion of a storm centre between two track points, m/s. Tropical cyclones
#: move at up to about 25–30 m/s, and only when recurving into the westerlies at high latitude;
#: 40 m/s leaves room for those and for extratropical remnants while still refusing the typos
#: that matter (a latitude of −89 for 29, a longitude of 222.9 for 122.9 move the centre
#: thousands of km in 6 h, 600–1200 m/s) before they feed the vortex's motion asymmetry.
MAX_TRANSLATION_MS = 40.0
#: Allowance for positions rounded to 0.1° (each point off by up to 0.05° in lat and lon, about
#: 8 km): so that two points minutes apart (an added landfall time) are not refused for rounding.
_ROUNDING_KM = 16.0
_EARTH_RADIUS_KM = 6371.0088
_LAND_FILE = TYPHOON_DIR / "land_gshhg_low.geojson"
_LAND_BOX = (100.0, 0.0, 160.0, 50.0)
_COLUMNS = ["time", "lon", "lat", "vmax_ms", "pressure_hpa", "r7_km", "r10_km", "row"]
_CMA_COLUMNS = ("storm_id", "storm_name", "timestamp", "lng", "lat", "wind_speed", "pressure")


@dataclass(frozen=True)
class Track:
    """A storm's track: time-ordered centres with intensity.

    Attributes
    ----------
    name : str
        Storm name (``"MUIFA"``), or the file name for unnamed forecast points.
    source : str
        Where it was read from (file name or ``"request"``).
    points : pandas.DataFrame
        One row per point: ``time`` (UTC), ``lon``, ``lat`` (degrees), ``vmax_ms`` (m/s),
        ``pressure_hpa`` (hPa), ``r7_km``, ``r10_km`` (NaN when not given), ``row`` (data row
        in the source, 0 for interpolated points), ``vt_east_ms``, ``vt_north_ms``
        (translation velocity, m/s).
    wind_basis : str
        What the winds are (``"CMA 2-min"`` …).
    """

    name: str
    source: str
    points: pd.DataFrame = field(repr=False)
    wind_basis: str = "CMA 2-min"

    @property
    def start(self) -> pd.Timestamp:
        return self.points.time.iloc[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.points.time.iloc[-1]

    def __len__(self) -> int:
        return len(self.points)

    def interpolate(self, step: str | pd.Timedelta = "1h") -> Track:
        """The track at regular times from its first to its last point (linear in time).

        Positions, wind and pressure are interpolated linearly; R7/R10 only between two points
        that both give them (NaN elsewhere); the translation velocity comes from the original
        points (centred differences) and is interpolated likewise.
        """
        dt = parse_step(step)
        pts = self.points
        t0 = pts.time.iloc[0]
        hours = ((pts.time - t0).dt.total_seconds() / 3600.0).to_numpy()
        n = math.floor(hours[-1] / (dt.total_seconds() / 3600.0) + 1e-9) + 1
        new_h = np.arange(n) * dt.total_seconds() / 3600.0
        out = {"time": t0 + pd.to_timedelta(new_h, unit="h")}
        for col in ("lon", "lat", "vmax_ms", "pressure_hpa", "vt_east_ms", "vt_north_ms"):
            vals = pts[col].to_numpy(dtype=float)
            if col == "lon":  # across the date line, not the long way round
                vals = np.unwrap(vals, period=360.0)
            out[col] = np.interp(new_h, hours, vals)
        out["lon"] = np.where(out["lon"] > 180.0, out["lon"] - 360.0,
                              np.where(out["lon"] < -180.0, out["lon"] + 360.0, out["lon"]))
        seg = np.clip(np.searchsorted(hours, new_h, side="right") - 1, 0, max(len(hours) - 2, 0))
        for col in ("r7_km", "r10_km"):
            vals = pts[col].to_numpy(dtype=float)
            res = np.full(n, np.nan)
            for i, (h, j) in enumerate(zip(new_h, seg)):
                if np.isclose(h, hours[j]):
                    res[i] = vals[j]
                elif j + 1 < len(hours) and np.isclose(h, hours[j + 1]):
                    res[i] = vals[j + 1]
                elif j + 1 < len(hours) and np.isfinite(vals[j]) and np.isfinite(vals[j + 1]):
                    w = (h - hours[j]) / (hours[j + 1] - hours[j])
                    res[i] = vals[j] + w * (vals[j + 1] - vals[j])
            out[col] = res
        exact_row = {float(h): int(r) for h, r in zip(hours, pts.row)}
        out["row"] = [exact_row.get(float(h), 0) for h in new_h]
        frame = pd.DataFrame(out)[[*_COLUMNS, "vt_east_ms", "vt_north_ms"]]
        return Track(self.name, self.source, frame, self.wind_basis)

    def vortex(self, i: int) -> Vortex:
        """The wind field (:class:`~islandcover.typhoon.wind_field.Vortex`) of point ``i``."""
        p = self.points.iloc[i]
        return Vortex.from_state(p.lon, p.lat, p.vmax_ms, p.pressure_hpa, vt_east_ms=p.vt_east_ms,
                                 vt_north_ms=p.vt_north_ms, r7_km=p.r7_km, r10_km=p.r10_km)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: name, source, wind basis and the points (times ISO 8601 in Beijing time, +08:00)."""
        pts = []
        for p in self.points.itertuples():
            pts.append({"time": iso_beijing(p.time), "lon": round(float(p.lon), 4), "lat": round(float(p.lat), 4),
                        "vmax_ms": _num(p.vmax_ms, 2), "pressure_hpa": _num(p.pressure_hpa, 1),
                        "r7_km": _num(p.r7_km, 1), "r10_km": _num(p.r10_km, 1)})
        return {"name": self.name, "source": self.source, "wind_basis": self.wind_basis, "points": pts}


def _num(x: float, nd: int) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def force_band_ms(force: int) -> tuple[float, float]:
    """The speed band (m/s, lowest and highest 2-min wind) of a wind force 0–17, GB/T 28591-2012:
    ``force_band_ms(14) == (41.5, 46.1)``; force 17 is (56.1, 61.2), the top of the scale."""
    if not 0 <= force <= MAX_WIND_FORCE:
        msg = f"force {force} is not on the Chinese wind scale (0–{MAX_WIND_FORCE}, GB/T 28591-2012)"
        raise ValueError(msg)
    low = 0.0 if force == 0 else BEAUFORT_LOWER_MS[force - 1]
    high = 61.2 if force == MAX_WIND_FORCE else round(BEAUFORT_LOWER_MS[force] - 0.1, 1)
    return low, high


_BARE_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_step(step: str | pd.Timedelta) -> pd.Timedelta:
    """A time step (``"1h"``, ``"30min"``, ``"3h"``) between 10 minutes and 24 hours.

    Raises
    ------
    StepError
        For a number without a unit (``"10"``: pandas would read 10 nanoseconds), text that is
        not a duration, or a step outside 10 min – 24 h.
    """
    text = str(step).strip()
    if isinstance(step, int | float | np.number) or _BARE_NUMBER.fullmatch(text):  # bool is an int too
        msg = f"step '{text}' has no unit: write {text}h or {text}min"
        raise StepError(msg)
    try:
        dt = pd.Timedelta(step)
    except (ValueError, TypeError):
        dt = pd.NaT
    if dt is pd.NaT or pd.isna(dt):
        msg = f"step '{text}' is not a time step: write e.g. 1h, 30min or 3h"
        raise StepError(msg)
    if not pd.Timedelta("10min") <= dt <= pd.Timedelta("24h"):
        msg = f"step '{text}' is out of range: write a step from 10min to 24h"
        raise StepError(msg)
    return dt


# ---------------------------------------------------------------------- validation
def _finish(frame: pd.DataFrame, source: str, name: str, basis: str) -> Track:
    """Validate a table of points (columns of :data:`_COLUMNS`) and make the Track."""
    frame = frame.reset_index(drop=True)
    if frame.empty:
        raise TrackError(source, "no track points")
    for col in ("r7_km", "r10_km", "vmax_ms", "pressure_hpa"):
        frame[col] = frame[col].astype(float)
    for i, p in enumerate(frame.itertuples()):
        row = int(p.row)
        if not (np.isfinite(p.lon) and np.isfinite(p.lat)):
            raise TrackError(source, "position is missing", row=row, field="lon/lat")
        if not -90.0 <= p.lat <= 90.0:
            raise TrackError(source, f"latitude {p.lat:g} is out of range (−90 to 90; are lon and lat swapped?)",
                             row=row, field="lat")
        if not -180.0 <= p.lon <= 360.0:
            raise TrackError(source, f"longitude {p.lon:g} is out of range (−180 to 360)", row=row, field="lon")
        if i and p.time <= frame.time.iloc[i - 1]:
            raise TrackError(source, f"time {iso_beijing(p.time)} is not after the previous point's "
                                     f"{iso_beijing(frame.time.iloc[i - 1])} (row {int(frame.row.iloc[i - 1])}): "
                                     "times must increase", row=row, field="time")
        if i:
            _check_speed(frame.iloc[i - 1], p, source)
        v, pc = p.vmax_ms, p.pressure_hpa
        if not np.isfinite(v) and not np.isfinite(pc):
            raise TrackError(source, "a point needs its maximum wind or its central pressure", row=row,
                             field="vmax/pressure")
        if np.isfinite(pc) and not 850.0 <= pc <= 1020.0:
            raise TrackError(source, f"central pressure {pc:g} hPa is out of range (850–1020 hPa)", row=row,
                             field="pressure")
        if np.isfinite(v):
            if v < 0:
                raise TrackError(source, f"negative wind {v:g}", row=row, field="vmax")
            if v > MAX_WIND_MS:
                raise TrackError(source, f"maximum wind {v:g} m/s is impossible (no storm on record exceeds "
                                         f"{MAX_WIND_MS:g} m/s): is it in knots? {v:g} kn = {v * KNOT_MS:.1f} m/s",
                                 row=row, field="vmax")
            if np.isfinite(pc) and pc <= 1000.0:
                expect = wind_from_pressure(pc)
                if v > MAX_WIND_PRESSURE_RATIO * expect:
                    raise TrackError(source, f"maximum wind {v:g} m/s is {v / expect:.1f} times what {pc:g} hPa "
                                             f"supports ({expect:.0f} m/s): is it in knots? {v:g} kn = "
                                             f"{v * KNOT_MS:.1f} m/s", row=row, field="vmax")
        for col in ("r7_km", "r10_km"):
            r = getattr(p, col)
            if np.isfinite(r) and not 0.0 < r <= 1500.0:
                raise TrackError(source, f"{col} = {r:g} km is out of range (0–1500 km)", row=row, field=col)
        if np.isfinite(p.r7_km) and np.isfinite(p.r10_km) and p.r10_km >= p.r7_km:
            raise TrackError(source, f"R10 = {p.r10_km:g} km must be smaller than R7 = {p.r7_km:g} km", row=row,
                             field="r10_km")
    frame["lon"] = np.where(frame.lon > 180.0, frame.lon - 360.0, frame.lon)
    # fill the missing one of wind/pressure (Holland with B = 1) for interpolation and checks
    vfill = frame.pressure_hpa.map(lambda pc: wind_from_pressure(pc) if np.isfinite(pc) else np.nan)
    frame["vmax_ms"] = frame.vmax_ms.where(np.isfinite(frame.vmax_ms), vfill)
    _check_inland(frame, source)
    frame["vt_east_ms"], frame["vt_north_ms"] = _translation(frame)
    return Track(name=name, source=source, points=frame[[*_COLUMNS, "vt_east_ms", "vt_north_ms"]],
                 wind_basis=basis)


def _distance_km(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Great-circle distance (haversine), km; longitudes in either −180–180 or 0–360."""
    p0, p1 = math.radians(lat0), math.radians(lat1)
    a = (math.sin((p1 - p0) / 2) ** 2
         + math.cos(p0) * math.cos(p1) * math.sin(math.radians(lon1 - lon0) / 2) ** 2)
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _check_speed(prev: Any, p: Any, source: str) -> None:
    """Refuse a segment from ``prev`` to ``p`` along which the centre moves faster than a storm can."""
    d_km = _distance_km(prev.lon, prev.lat, p.lon, p.lat)
    dt_s = (p.time - prev.time).total_seconds()
    if (d_km - _ROUNDING_KM) * 1000.0 / dt_s > MAX_TRANSLATION_MS:
        msg = (f"moves {d_km:,.0f} km in {dt_s / 3600:.3g} h ({d_km * 1000.0 / dt_s:,.0f} m/s) from row "
               f"{int(prev.row)} ({prev.lon:g}, {prev.lat:g}) to ({p.lon:g}, {p.lat:g}); no storm moves faster "
               f"than {MAX_TRANSLATION_MS:g} m/s: check lon/lat (a sign, a digit, lon and lat swapped)")
        raise TrackError(source, msg, row=int(p.row), field="lon/lat")


@functools.cache
def _land() -> shapely.Geometry:
    """The shipped coarse land polygons (read once; immutable)."""
    doc = json.loads(_LAND_FILE.read_text(encoding="utf-8"))
    geom = shape(doc["features"][0]["geometry"])
    shapely.prepare(geom)
    return geom


def _circle(lon: float, lat: float, radius_km: float, n: int = 32) -> Polygon:
    a = np.radians(np.arange(n) * 360.0 / n)
    dlat = np.degrees(radius_km * np.cos(a) / 6371.0)
    dlon = np.degrees(radius_km * np.sin(a) / (6371.0 * math.cos(math.radians(lat))))
    return Polygon(np.column_stack([lon + dlon, lat + dlat]))


def _check_inland(frame: pd.DataFrame, source: str) -> None:
    w, s, e, n = _LAND_BOX
    strong = frame[(frame.vmax_ms >= INLAND_MIN_WIND_MS) & frame.lon.between(w, e) & frame.lat.between(s, n)]
    if strong.empty:
        return
    land = _land()
    for p in strong.itertuples():
        if land.contains(_circle(p.lon, p.lat, INLAND_KM)):
            raise TrackError(source, f"({p.lon:g}, {p.lat:g}) is more than {INLAND_KM:g} km inland with a typhoon-"
                                     f"strength wind of {p.vmax_ms:g} m/s: check the position (lon/lat order, "
                                     "a digit)", row=int(p.row), field="lon/lat")


def _translation(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Translation velocity (m/s east, north) at each point: centred differences.

    Longitudes are unwrapped first, so that a track crossing the date line (179.5 → −179.5)
    moves 1°, not 359°. Segment speeds were bounded by :func:`_check_speed`.
    """
    n = len(frame)
    if n < 2:
        return np.zeros(n), np.zeros(n)
    t = (frame.time - frame.time.iloc[0]).dt.total_seconds().to_numpy()
    lat = frame.lat.to_numpy(dtype=float)
    lon = np.unwrap(frame.lon.to_numpy(dtype=float), period=360.0)
    east = np.radians(np.gradient(lon, t)) * _EARTH_RADIUS_KM * 1e3 * np.cos(np.radians(lat))
    north = np.radians(np.gradient(lat, t)) * _EARTH_RADIUS_KM * 1e3
    return east, north


# ---------------------------------------------------------------------- readers
def _times(values: pd.Series, source: str, fieldname: str, rows: pd.Series, *, assume_utc: bool = False,
           tz: str | None = None) -> pd.Series:
    out = []
    for text, row in zip(values, rows):
        s = str(text).strip()
        try:
            parsed = datetime.fromisoformat(s)
        except (ValueError, TypeError):
            raise TrackError(source, f"cannot read the time {s!r} (write ISO 8601, e.g. 2022-09-14T08:00+08:00)",
                             row=int(row), field=fieldname) from None
        if not TRACK_YEARS[0] <= parsed.year <= TRACK_YEARS[1]:
            raise TrackError(source, f"time {s!r} is out of range: tracks run from {TRACK_YEARS[0]} to "
                             f"{TRACK_YEARS[1]}", row=int(row), field=fieldname)
        t = pd.Timestamp(parsed)
        if t is pd.NaT or pd.isna(t):
            raise TrackError(source, "time is missing", row=int(row), field=fieldname)
        if t.tzinfo is None:
            if assume_utc:
                t = t.tz_localize("UTC")
            elif tz is not None:
                t = t.tz_localize(tz)
            else:
                raise TrackError(source, f"time {s!r} has no time zone: add +08:00 for Beijing time or Z for UTC",
                                 row=int(row), field=fieldname)
        out.append(t.tz_convert("UTC"))
    return pd.Series(out, dtype="datetime64[ns, UTC]")


def _floats(table: pd.DataFrame, col: str, source: str, *, required: bool = True) -> np.ndarray:
    if col not in table.columns:
        if required:
            raise TrackError(source, f"missing column (found: {', '.join(map(str, table.columns))})", field=col)
        return np.full(len(table), np.nan)
    raw = table[col].astype(str).str.strip()
    blank = raw.eq("") | raw.str.lower().isin(["nan", "none", "null"])
    num = pd.to_numeric(raw.where(~blank, None), errors="coerce")
    bad = num.isna() & ~blank
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise TrackError(source, f"not a number: {raw.iloc[i]!r}", row=int(table["row"].iloc[i]), field=col)
    if required and blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise TrackError(source, "value is missing", row=int(table["row"].iloc[i]), field=col)
    return num.to_numpy(dtype=float)


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def _pick_storm(names: pd.Series, ids: pd.Series, storm: str | None, source: str) -> pd.Series:
    """Boolean mask of the rows of the storm named (or id'd) ``storm``."""
    listing = ", ".join(f"{n} ({i})" for n, i in dict.fromkeys(zip(names, ids)))
    unique = list(dict.fromkeys(zip(names, ids)))
    if storm is None:
        if len(unique) == 1:
            return pd.Series(True, index=names.index)
        raise TrackError(source, f"holds {len(unique)} storms: {listing}; choose one with storm=NAME (--storm)")
    want = STORM_ALIASES.get(str(storm).strip(), str(storm).strip())
    parts = want.split()
    year = parts[-1] if len(parts) > 1 and parts[-1].isdigit() else None
    key = _key(" ".join(parts[:-1]) if year else want)
    mask = (names.map(_key) == key) | (ids.map(_key) == key)
    if year:
        mask &= ids.astype(str).str.contains(year) | names.astype(str).str.contains(year)
    found = list(dict.fromkeys(zip(names[mask], ids[mask])))
    if not found:
        raise TrackError(source, f"no storm '{storm}' here; it holds: {listing}")
    if len(found) > 1:
        raise TrackError(source, f"several storms match '{storm}': "
                                 f"{', '.join(f'{n} ({i})' for n, i in found)}; give the id")
    return mask


def _read_commented_csv(path: Path) -> pd.DataFrame:
    """A CSV whose leading lines starting with ``#`` are comments; data rows numbered from 1."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise TrackError(path.name, f"not a UTF-8 text file ({exc})") from exc
    body = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not body:
        raise TrackError(path.name, "no header line")
    from io import StringIO
    try:
        table = pd.read_csv(StringIO("\n".join(body)), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise TrackError(path.name, f"not a readable CSV file ({exc})") from exc
    table.columns = [str(c).strip() for c in table.columns]
    table["row"] = np.arange(1, len(table) + 1)
    return table


def read_track(path: str | Path, *, storm: str | None = None, tz: str | None = None) -> Track:
    """Read a storm track (CMA best-track CSV, IBTrACS CSV, or forecast CSV/GeoJSON).

    Parameters
    ----------
    path : path
        The file.
    storm : str, optional
        Which storm when the file holds several: name (``"MUIFA"``, ``"梅花"``, ``"MUIFA 2022"``)
        or id (``"2022-0014"``, an IBTrACS SID).
    tz : str, optional
        Time zone of forecast-point times written without one (e.g. ``"Asia/Shanghai"``);
        by default such times are refused.

    Returns
    -------
    Track
        Validated and time-ordered, at the file's own times (see :meth:`Track.interpolate`).

    Raises
    ------
    TrackError
        Naming the file, row and field of the first problem.
    """
    path = Path(path)
    if not path.exists():
        raise TrackError(path.name, f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return _read_geojson(path, tz=tz)
    if suffix != ".csv":
        raise TrackError(path.name, f"unsupported file type '{suffix}': use .csv, .geojson or .json")
    table = _read_commented_csv(path)
    cols = set(table.columns)
    if set(_CMA_COLUMNS) <= cols:
        return _read_cma(table, path.name, storm)
    if {"ISO_TIME", "LAT", "LON"} <= cols:
        return _read_ibtracs(table, path.name, storm)
    return _read_points(table, path.name, tz=tz)


def _read_cma(table: pd.DataFrame, source: str, storm: str | None) -> Track:
    mask = _pick_storm(table.storm_name.str.strip(), table.storm_id.str.strip(), storm, source)
    t = table[mask].copy()
    frame = pd.DataFrame({
        "time": _times(t.timestamp, source, "timestamp", t.row, assume_utc=False).to_numpy(),
        "lon": _floats(t, "lng", source), "lat": _floats(t, "lat", source),
        "vmax_ms": _floats(t, "wind_speed", source), "pressure_hpa": _floats(t, "pressure", source),
        "r7_km": _floats(t, "r7_km", source, required=False), "r10_km": _floats(t, "r10_km", source, required=False),
        "row": t.row.to_numpy()})
    name = str(t.storm_name.iloc[0]).strip()
    return _finish(frame, source, name, "CMA 2-min")


def _read_ibtracs(table: pd.DataFrame, source: str, storm: str | None) -> Track:
    # the line after the header gives units ("degrees_north", "kts"); drop it
    first = table.iloc[0] if len(table) else None
    if first is not None and str(first.get("LAT", "")).strip().lower().startswith("deg"):
        table = table.iloc[1:].copy()
    if table.empty:
        raise TrackError(source, "no data rows after the header and units lines")
    sid = table["SID"].str.strip() if "SID" in table.columns else pd.Series("", index=table.index)
    name = table["NAME"].str.strip() if "NAME" in table.columns else sid
    mask = _pick_storm(name, sid, storm, source)
    t = table[mask].copy()
    basis = None
    for agency, label in (("CMA", "CMA 2-min (IBTrACS, converted from knots)"),
                          ("USA", "USA 1-min (IBTrACS, converted from knots)"),
                          ("WMO", "WMO agency's (IBTrACS; JMA 10-min in the western Pacific), converted from knots")):
        col = f"{agency}_WIND"
        if col in t.columns and (t[col].str.strip() != "").mean() >= 0.5:
            basis = (agency, label)
            break
    if basis is None:
        raise TrackError(source, "no wind column with values (CMA_WIND, USA_WIND or WMO_WIND)", field="CMA_WIND")
    agency, label = basis
    wind_kn = _floats(t, f"{agency}_WIND", source, required=False)
    pres = _floats(t, f"{agency}_PRES", source, required=False)
    frame = pd.DataFrame({
        "time": _times(t.ISO_TIME, source, "ISO_TIME", t.row, assume_utc=True).to_numpy(),
        "lon": _floats(t, "LON", source), "lat": _floats(t, "LAT", source),
        "vmax_ms": wind_kn * KNOT_MS, "pressure_hpa": pres,
        "r7_km": np.nan, "r10_km": np.nan, "row": t.row.to_numpy()})
    keep = np.isfinite(frame.vmax_ms) | np.isfinite(frame.pressure_hpa)
    frame = frame[keep]
    return _finish(frame, source, str(name[mask].iloc[0]), label)


_ALT = {"time": ("time", "timestamp", "datetime"), "lon": ("lon", "lng", "longitude"),
        "lat": ("lat", "latitude"), "vmax_ms": ("vmax_ms", "vmax", "wind_ms"), "vmax_kn": ("vmax_kn", "vmax_kt"),
        "force": ("force", "wind_force", "max_force"),
        "pressure_hpa": ("pressure_hpa", "pressure", "pc_hpa"), "r7_km": ("r7_km", "r7"),
        "r10_km": ("r10_km", "r10")}


def _column(table: pd.DataFrame, key: str) -> str | None:
    lower = {str(c).strip().lower(): c for c in table.columns}
    for alt in _ALT[key]:
        if alt in lower:
            return str(lower[alt])
    return None


def _points_frame(table: pd.DataFrame, source: str, tz: str | None) -> tuple[pd.DataFrame, str]:
    """The points of a forecast table and what their winds are (:attr:`Track.wind_basis`)."""
    tcol = _column(table, "time")
    if tcol is None:
        raise TrackError(source, f"missing column (found: {', '.join(map(str, table.columns))})", field="time")
    cols = {k: _column(table, k)
            for k in ("lon", "lat", "vmax_ms", "vmax_kn", "force", "pressure_hpa", "r7_km", "r10_km")}
    for k in ("lon", "lat"):
        if cols[k] is None:
            raise TrackError(source, f"missing column (found: {', '.join(map(str, table.columns))})", field=k)
    if all(cols[k] is None for k in ("vmax_ms", "vmax_kn", "force", "pressure_hpa")):
        raise TrackError(source, "missing column: give vmax_ms (or vmax_kn or force) and/or pressure_hpa",
                         field="vmax_ms")

    def get(k: str) -> np.ndarray:
        c = cols[k]
        return np.full(len(table), np.nan) if c is None else _floats(table, c, source, required=False)

    # which wind column is read decides Track.wind_basis; _finish fills missing winds from the pressure
    vmax = get("vmax_ms")
    basis = "as given (m/s)"
    if cols["vmax_ms"] is None and cols["vmax_kn"] is not None:
        vmax = get("vmax_kn") * KNOT_MS
        basis = "as given (knots, converted)"
    given = ~np.isnan(vmax)
    vmax, from_force = _winds_of_forces(table, cols["force"], vmax, source,
                                        knots=cols["vmax_ms"] is None and cols["vmax_kn"] is not None)
    if from_force.any():
        by_force = "from the wind force (middle of its GB/T 28591-2012 band)"
        basis = by_force if not given.any() else f"{basis}; {by_force} where missing"
    missing = np.isnan(vmax)
    if missing.all():
        basis = "from the central pressure (Holland, B = 1)"
    elif missing.any():
        basis += "; from the central pressure where missing"
    frame = pd.DataFrame({"time": _times(table[tcol], source, tcol, table.row, tz=tz).to_numpy(),
                         "lon": _floats(table, str(cols["lon"]), source), "lat": _floats(table, str(cols["lat"]), source),
                         "vmax_ms": vmax, "pressure_hpa": get("pressure_hpa"), "r7_km": get("r7_km"),
                         "r10_km": get("r10_km"), "row": table.row.to_numpy()})
    return frame, basis


def _winds_of_forces(table: pd.DataFrame, col: str | None, vmax: np.ndarray, source: str, *,
                     knots: bool) -> tuple[np.ndarray, np.ndarray]:
    """The winds (m/s) with those of points giving only a force filled from it, and which were.

    A force must be a whole number 0–17 (GB/T 28591-2012); given with a wind, the wind must be
    in the force's band.
    """
    filled = np.zeros(len(vmax), dtype=bool)
    if col is None:
        return vmax, filled
    forces = _floats(table, col, source, required=False)
    out = vmax.copy()
    for i, (f, v) in enumerate(zip(forces, vmax)):
        if not np.isfinite(f):
            continue
        row = int(table["row"].iloc[i])
        if not float(f).is_integer() or not 0 <= f <= MAX_WIND_FORCE:
            why = (f"is not on the Chinese wind scale, whose top grade is {MAX_WIND_FORCE} (GB/T 28591-2012; "
                   f"{MAX_WIND_FORCE} = 56.1–61.2 m/s, and stronger winds are reported as {MAX_WIND_FORCE}): give the "
                   "wind in m/s (vmax_ms) for a stronger storm" if f > MAX_WIND_FORCE
                   else f"must be a whole wind force 0–{MAX_WIND_FORCE} (GB/T 28591-2012)")
            raise TrackError(source, f"force {f:g} {why}", row=row, field="force")
        low, high = force_band_ms(int(f))
        if np.isfinite(v):
            got = int(beaufort(v)[()])
            if got != int(f):
                unit = "kn" if knots else "m/s"
                shown = v / KNOT_MS if knots else v
                msg = (f"maximum wind {shown:g} {unit} is force {got}, not force {int(f)} ({low:g}–{high:g} m/s, "
                       "GB/T 28591-2012): check the wind and the force")
                if not knots and low <= round(v * KNOT_MS, 1) <= high:
                    msg += f" (is the wind in knots? {v:g} kn = {v * KNOT_MS:.1f} m/s)"
                raise TrackError(source, msg, row=row, field="vmax")
        else:
            out[i] = round((low + high) / 2.0, 2)
            filled[i] = True
    return out, filled


def _read_points(table: pd.DataFrame, source: str, *, tz: str | None) -> Track:
    frame, basis = _points_frame(table, source, tz)
    namecol = next((c for c in table.columns if str(c).lower() in ("storm", "name", "storm_name")), None)
    name = str(table[namecol].iloc[0]).strip() if namecol and len(table) else Path(source).stem
    return _finish(frame, source, name, basis)


def _read_geojson(path: Path, *, tz: str | None) -> Track:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrackError(path.name, f"malformed GeoJSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise TrackError(path.name, "malformed GeoJSON: expected a FeatureCollection of Point features")
    records = []
    for i, f in enumerate(doc["features"], start=1):
        geom = f.get("geometry") if isinstance(f, dict) else None
        if not isinstance(geom, dict) or geom.get("type") != "Point":
            raise TrackError(path.name, "expected a Point feature", row=i, field="geometry")
        coords = geom.get("coordinates") or []
        if len(coords) < 2:
            raise TrackError(path.name, "point has no coordinates", row=i, field="geometry")
        props = dict(f.get("properties") or {})
        props["lon"], props["lat"] = coords[0], coords[1]
        records.append(props)
    return track_from_records(records, name=str(doc.get("name") or path.stem), source=path.name, tz=tz)


def track_from_records(records: list[dict[str, Any]], *, name: str = "forecast", source: str = "request",
                       tz: str | None = None) -> Track:
    """A track from forecast points given as dicts (``time``, ``lon``, ``lat``, ``vmax_ms`` …).

    Rows are numbered from 1 in the given order; the same checks as :func:`read_track`.
    """
    if not isinstance(records, list) or not records:
        raise TrackError(source, "no track points")
    table = pd.DataFrame([{k: ("" if v is None else str(v)) for k, v in r.items()} for r in records]).fillna("")
    table["row"] = np.arange(1, len(table) + 1)
    frame, basis = _points_frame(table, source, tz)
    return _finish(frame, source, name, basis)


# ---------------------------------------------------------------------- shipped tracks
def shipped_tracks() -> dict[str, Path]:
    """The shipped track files by name (``"muifa_2022"`` → path)."""
    return {p.name.replace("_cma_best_track.csv", ""): p for p in sorted(TYPHOON_DIR.glob("*_cma_best_track.csv"))}


def shipped_track(ref: str, *, storm: str | None = None) -> Track:
    """A shipped track by file name (``"muifa_2022"``) or storm (``"梅花"``, ``"MUIFA"``); never reads other files.

    Raises
    ------
    TrackError
        When ``ref`` names no shipped track; lists them.
    """
    shipped = shipped_tracks()
    text = str(ref).strip()
    if text in shipped:
        return read_track(shipped[text], storm=storm)
    name = STORM_ALIASES.get(text, text)
    want = _key(name)
    for p in shipped.values():
        if want and want in set(_read_commented_csv(p).storm_name.map(_key)):
            return read_track(p, storm=storm or name)
    raise TrackError(text or "track", f"not a shipped track ({', '.join(shipped)}) nor a storm in them "
                                      f"({', '.join(sorted(set(STORM_ALIASES.values())))}; or 梅花, 烟花, 灿都, 贝碧嘉, 普拉桑)")


def resolve_track(ref: str | Path, *, storm: str | None = None, tz: str | None = None) -> Track:
    """A track from a file path, else a shipped track (:func:`shipped_track`)."""
    path = Path(ref)
    if path.suffix.lower() in (".csv", ".geojson", ".json") or path.exists():
        return read_track(path, storm=storm, tz=tz)
    return shipped_track(str(ref), storm=storm)
