"""The scheduled ferry services: piers and the sailings between them (data model and loaders).

Two tables in the data folder (see ``data/islands/README.md`` for their sources):

``piers.csv``
    ``id, name_zh, name_en, island, lon, lat, position_source, confidence, notes``; ``island``
    is an island id or name (resolved like any island reference), and the point must lie on
    that island or within :data:`MAX_PIER_OFFSHORE_M` of its shore.
``ferries.csv``
    ``id, name_zh, name_en, service, from_pier, to_pier, crossing_min, crossing_source,
    crossing_quote, in_service_source, in_service_year, confidence, notes``: one row per
    direct sailing between two piers. ``service`` is the kind of boat (:data:`SERVICES`),
    which decides its speed and wind limits (:mod:`islandcover.travel.vessels`); ``crossing_min`` is a
    *published* one-way crossing time where a source prints one, used only to check the model.

A data folder without these files simply has no scheduled services. Every problem raises
:class:`~islandcover.errors.DataError` naming the file, the row and the field.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from islandcover.errors import DataError, IslandcoverError
from islandcover.facts import METRIC_CRS
from islandcover.io.files import check_bounds, numbers, required_text, unique_ids

__all__ = ["SERVICES", "MAX_PIER_OFFSHORE_M", "PIER_COLUMNS", "FERRY_COLUMNS", "SAILING_COLUMNS", "SAILING_DAYS",
           "SAILING_KINDS", "read_piers", "read_ferries", "read_sailings", "empty_piers", "empty_ferries"]

#: Kinds of scheduled boat: 常规客船 (conventional), 客滚/车客渡 (ro-ro), 高速客船/快艇 (high-speed).
SERVICES = ("conventional", "ro-ro", "high-speed")
#: A pier must lie on its island or within this distance of the island's shore (m).
MAX_PIER_OFFSHORE_M = 300.0

PIER_COLUMNS = ("id", "name_zh", "name_en", "island", "lon", "lat", "position_source", "confidence", "notes")
FERRY_COLUMNS = ("id", "name_zh", "name_en", "service", "from_pier", "to_pier", "crossing_min", "crossing_source",
                 "crossing_quote", "in_service_source", "in_service_year", "confidence", "notes")
_REQUIRED_PIER = ("id", "name_zh", "island", "lon", "lat", "position_source")
_REQUIRED_FERRY = ("id", "name_zh", "service", "from_pier", "to_pier", "in_service_source")


def empty_piers() -> gpd.GeoDataFrame:
    """A pier table with no rows (a data folder without ``piers.csv``)."""
    cols = {c: pd.Series(dtype=float if c in ("lon", "lat") else object) for c in (*PIER_COLUMNS, "island_id")}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326").set_index(
        "id", drop=False)


def empty_ferries() -> pd.DataFrame:
    """A ferry table with no rows (a data folder without ``ferries.csv``)."""
    return pd.DataFrame({c: pd.Series(dtype=float if c == "crossing_min" else object)
                         for c in FERRY_COLUMNS}).set_index("id", drop=False)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(path.name, f"not a readable UTF-8 CSV file ({exc})") from exc


def _require(table: pd.DataFrame, source: str, columns: tuple[str, ...]) -> None:
    for col in columns:
        required_text(table, source, col)
    unique_ids(table["id"].str.strip(), source)


def read_piers(path: Path, islands: gpd.GeoDataFrame, resolve: Callable[[str], str]) -> gpd.GeoDataFrame:
    """Read and validate ``piers.csv``.

    Parameters
    ----------
    path : Path
        The CSV (WGS84 ``lon``, ``lat``).
    islands : geopandas.GeoDataFrame
        The island polygons, indexed by id.
    resolve : callable
        Island reference (id or name) → island id; raises a ``ValueError`` for an unknown one
        (:meth:`islandcover.archipelago.Archipelago.island`).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by pier id, EPSG:4326, with ``island_id`` and ``offshore_m``.

    Raises
    ------
    DataError
        A missing column or value, a duplicate id, an unknown island, a point outside the
        archipelago or farther than 300 m from its island.
    """
    name = path.name
    table = _read_csv(path)
    _require(table, name, _REQUIRED_PIER)
    table = table.apply(lambda c: c.str.strip())
    lon, lat = numbers(table["lon"], name, "lon"), numbers(table["lat"], name, "lat")
    check_bounds(lon, lat, name)
    island_ids = []
    for i, row in enumerate(table.itertuples(index=False), start=1):
        try:
            island_ids.append(resolve(row.island))
        except IslandcoverError as exc:
            raise DataError(name, str(exc), row=i, field="island") from exc
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    pm = pts.to_crs(METRIC_CRS).values
    im = islands.geometry.to_crs(METRIC_CRS)
    offshore = np.array([float(shapely.distance(p, im[iid])) for p, iid in zip(pm, island_ids)])
    for i, d in enumerate(offshore, start=1):
        if d > MAX_PIER_OFFSHORE_M:
            raise DataError(name, f"pier is {d:,.0f} m from its island {table['island'].iloc[i - 1]} "
                                  f"(at most {MAX_PIER_OFFSHORE_M:.0f} m allowed)", row=i, field="lon/lat")
    for col in PIER_COLUMNS:
        if col not in table.columns:
            table[col] = ""
    out = gpd.GeoDataFrame(table[list(PIER_COLUMNS)].assign(lon=lon, lat=lat, island_id=island_ids,
                                                          offshore_m=np.round(offshore, 1)),
                           geometry=pts.values, crs="EPSG:4326")
    return out.set_index("id", drop=False)


def read_ferries(path: Path, pier_ids: pd.Index) -> pd.DataFrame:
    """Read and validate ``ferries.csv``.

    Parameters
    ----------
    path : Path
        The CSV.
    pier_ids : pandas.Index
        Ids of the loaded piers.

    Returns
    -------
    pandas.DataFrame
        Indexed by ferry id; ``crossing_min`` is a float (NaN where no time is published).

    Raises
    ------
    DataError
        A missing column or value, a duplicate id, an unknown service or pier, a sailing from a
        pier to itself, a crossing time that is not a positive number of minutes.
    """
    name = path.name
    table = _read_csv(path)
    _require(table, name, _REQUIRED_FERRY)
    table = table.apply(lambda c: c.str.strip())
    for col in FERRY_COLUMNS:
        if col not in table.columns:
            table[col] = ""
    known = set(pier_ids)
    crossing = np.full(len(table), np.nan)
    for i, row in enumerate(table.itertuples(index=False), start=1):
        if row.service not in SERVICES:
            raise DataError(name, f"unknown service '{row.service}': use {', '.join(SERVICES)}", row=i, field="service")
        for col in ("from_pier", "to_pier"):
            if getattr(row, col) not in known:
                raise DataError(name, f"unknown pier '{getattr(row, col)}'", row=i, field=col)
        if row.from_pier == row.to_pier:
            raise DataError(name, f"a sailing from pier {row.from_pier} to itself", row=i, field="to_pier")
        if row.crossing_min:
            try:
                value = float(row.crossing_min)
            except ValueError:
                value = float("nan")
            if not 0 < value <= 24 * 60:
                raise DataError(name, f"crossing_min must be minutes (0–1440), got {row.crossing_min!r}", row=i,
                                field="crossing_min")
            crossing[i - 1] = value
    out = table[list(FERRY_COLUMNS)].assign(crossing_min=crossing)
    return out.set_index("id", drop=False)


#: Columns of ``sailings.csv``: when the scheduled boats leave (see :func:`read_sailings`).
SAILING_COLUMNS = ("route_id", "direction", "kind", "times", "first", "last", "headway_min", "per_day", "days",
                   "boarding_min", "source_url", "confidence", "notes")
#: What a row of ``sailings.csv`` gives: every departure, or first and last with a headway or
#: a number of sailings a day (spread evenly between them, a derived headway).
SAILING_KINDS = ("timetable", "first-last-headway")
#: Days a row can apply to.
SAILING_DAYS = {"daily": (0, 1, 2, 3, 4, 5, 6), "Mon-Fri": (0, 1, 2, 3, 4), "Sat-Sun": (5, 6)}


def _clock(text: str, name: str, row: int, field: str) -> int:
    """Minutes after midnight of ``HH:MM``."""
    try:
        hh, mm = (int(x) for x in text.split(":"))
    except ValueError:
        raise DataError(name, f"'{text}' is not a time of day HH:MM", row=row, field=field) from None
    if not (0 <= hh <= 23 and 0 <= mm <= 59):
        raise DataError(name, f"'{text}' is not a time of day HH:MM", row=row, field=field)
    return hh * 60 + mm


def read_sailings(path: Path, ferry_ids: pd.Index) -> pd.DataFrame:
    """Read and validate ``sailings.csv``: the departure times of the scheduled boats, Beijing time.

    One row per route and direction (``out``: from ``from_pier`` to ``to_pier`` of
    ``ferries.csv``, ``back`` the other way, ``both``). A ``timetable`` row lists every departure
    (``times``: ``08:30;11:00``); a ``first-last-headway`` row gives the first and last sailing and
    either the headway or the number of sailings a day (then spread evenly: a derived headway,
    said so in the data's README). Routes without a row have no published timetable: they are
    modelled as leaving when a team arrives.

    Returns
    -------
    pandas.DataFrame
        ``route_id``, ``direction`` (``out``/``back``, a ``both`` row split in two),
        ``departures`` (tuple of minutes after midnight), ``weekdays`` (tuple of 0–6),
        ``boarding_min`` (float), ``kind``, ``confidence``, ``source_url``.

    Raises
    ------
    DataError
        Naming the row and field: an unknown route, direction, kind or days; a time that is not
        HH:MM; a last sailing before the first; a headway or count that is not positive; a
        route and direction given twice.
    """
    name = path.name
    table = _read_csv(path)
    for col in ("route_id", "direction", "kind"):
        required_text(table, name, col)
    table = table.apply(lambda c: c.str.strip())
    for col in SAILING_COLUMNS:
        if col not in table.columns:
            table[col] = ""
    known = set(ferry_ids)
    rows: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(table.itertuples(index=False), start=1):
        if r.route_id not in known:
            raise DataError(name, f"unknown route '{r.route_id}' (not in ferries.csv)", row=i, field="route_id")
        if r.direction not in ("out", "back", "both"):
            raise DataError(name, f"direction must be out, back or both, got '{r.direction}'", row=i, field="direction")
        if r.kind not in SAILING_KINDS:
            raise DataError(name, f"kind must be one of {', '.join(SAILING_KINDS)}, got '{r.kind}'", row=i, field="kind")
        days = r.days or "daily"
        if days not in SAILING_DAYS:
            raise DataError(name, f"days must be one of {', '.join(SAILING_DAYS)}, got '{days}'", row=i, field="days")
        if r.kind == "timetable":
            if not r.times:
                raise DataError(name, "a timetable row lists its departures (times: 08:30;11:00)", row=i, field="times")
            deps = sorted(_clock(t.strip(), name, i, "times") for t in r.times.split(";") if t.strip())
        else:
            first, last = _clock(r.first, name, i, "first"), _clock(r.last, name, i, "last")
            if last < first:
                raise DataError(name, f"the last sailing {r.last} is before the first {r.first}", row=i, field="last")
            if r.headway_min:
                step = numbers(pd.Series([r.headway_min]), name, "headway_min")[0]
                if not 0 < step <= 24 * 60:
                    raise DataError(name, f"headway_min must be 1–1440 minutes, got {r.headway_min}", row=i,
                                    field="headway_min")
                deps = sorted(set(range(first, last + 1, max(1, int(round(step))))) | {last})
            elif r.per_day:
                n = numbers(pd.Series([r.per_day]), name, "per_day")[0]
                if not (n >= 1 and float(n).is_integer()):
                    raise DataError(name, f"per_day must be a whole number ≥ 1, got {r.per_day}", row=i, field="per_day")
                n = int(n)
                deps = [first] if n == 1 else [int(round(first + k * (last - first) / (n - 1))) for k in range(n)]
            else:
                raise DataError(name, "give headway_min or per_day with first and last", row=i, field="headway_min")
        boarding = 0.0
        if r.boarding_min:
            boarding = float(numbers(pd.Series([r.boarding_min]), name, "boarding_min")[0])
            if not 0 <= boarding <= 120:
                raise DataError(name, f"boarding_min must be 0–120, got {r.boarding_min}", row=i, field="boarding_min")
        for direction in (("out", "back") if r.direction == "both" else (r.direction,)):
            if (r.route_id, direction) in seen:
                raise DataError(name, f"route {r.route_id} has two rows for direction {direction}", row=i,
                                field="direction")
            seen.add((r.route_id, direction))
            rows.append({"route_id": r.route_id, "direction": direction, "departures": tuple(deps),
                         "weekdays": SAILING_DAYS[days], "boarding_min": boarding, "kind": r.kind,
                         "confidence": r.confidence, "source_url": r.source_url})
    return pd.DataFrame(rows, columns=["route_id", "direction", "departures", "weekdays", "boarding_min", "kind",
                                       "confidence", "source_url"])
