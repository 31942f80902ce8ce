"""The operator's organisational layers: power-supply stations (供电所 / 供电服务站, "站所"),
demonstration posts (示范岗) and responsibility zones.

Three files in the data folder, or the operator's own (see ``data/islands/README.md``):

``supply_stations.csv``
    ``id, name_zh, name_en, district, island, lon, lat, position_source, contact, source_url,
    source_quote, confidence, illustrative, notes``. ``island`` is an island id or name (empty: the
    island is found from the coordinates); the point must lie on that island or within
    :data:`MAX_OFFSHORE_M` of its shore. ``district``, when given, must be the island's.
``demo_posts.csv``
    The same columns plus ``kind`` (e.g. 共产党员服务队, 示范岗) and ``station_id`` (the supply
    station it belongs to, optional).
``zones.csv`` (or ``zones.geojson`` / ``zones.gpkg``)
    Responsibility zones, either an island-to-zone table (``island`` and ``zone``, ``station_id``
    or ``station``) or zone polygons with a ``zone`` (``station_id``, ``station``) property, in
    WGS84, CGCS2000, GCJ-02 or any CRS pyproj knows; each island goes to the polygon that contains
    its representative point. Without a zones file the zones are the computed travel-time
    catchments (:meth:`islandcover.planning.coverage.CoverageModel.zones`).

Stations and posts may also come as GeoJSON or GeoPackage points with the same properties, or as
a CSV in another CRS (``crs=``), read by :func:`islandcover.io.files.read_points`. Every problem
raises :class:`~islandcover.errors.DataError` naming the file, the 1-based data row (GeoJSON: the
feature) and the field.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from islandcover.errors import DataError, IslandcoverError, UnknownCRS
from islandcover.facts import BOUNDS, DISTRICTS, METRIC_CRS, STORAGE_CRS
from islandcover.io.coordinates import normalise_crs, to_wgs84
from islandcover.io.files import (
    check_bounds,
    read_points,
    read_vector_file,
    required_text,
    unique_ids,
)

__all__ = [
    "DEMO_POST_COLUMNS",
    "MAX_OFFSHORE_M",
    "SUPPLY_STATION_COLUMNS",
    "ZONE_FIELDS",
    "ZONE_FILES",
    "Organisation",
    "Zones",
    "empty_demo_posts",
    "empty_supply_stations",
    "load_organisation",
    "read_demo_posts",
    "read_supply_stations",
    "read_zones",
    "zones_from_assignment",
]

#: Columns of ``supply_stations.csv`` (only ``id``, ``name_zh`` and the coordinates are required).
SUPPLY_STATION_COLUMNS: tuple[str, ...] = (
    "id", "name_zh", "name_en", "district", "island", "lon", "lat", "position_source", "contact", "source_url",
    "source_quote", "confidence", "illustrative", "notes")
#: Columns of ``demo_posts.csv``: those of the stations plus ``kind`` and ``station_id``.
DEMO_POST_COLUMNS: tuple[str, ...] = (
    "id", "name_zh", "name_en", "kind", "station_id", "district", "island", "lon", "lat", "position_source",
    "contact", "source_url", "source_quote", "confidence", "illustrative", "notes")
#: Names accepted for the zone column of a zones file, in order of preference.
ZONE_FIELDS: tuple[str, ...] = ("zone", "station_id", "station")
#: The zones files a data folder may hold, the first found is read.
ZONE_FILES: tuple[str, ...] = ("zones.csv", "zones.geojson", "zones.gpkg")
#: A station or post may lie at most this far off its island's shore (m), as a light station may.
MAX_OFFSHORE_M = 1000.0

_TEXT = ("name_en", "district", "position_source", "contact", "source_url", "source_quote", "confidence", "notes")
_CONFIDENCE = ("H", "M", "L")
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no", "")
_POLYGON_SUFFIXES = (".geojson", ".json", ".gpkg")

Resolver = Callable[[str], str]


# ---------------------------------------------------------------------- data model
@dataclass(frozen=True)
class Zones:
    """Responsibility zones: which zone (a station id) each island belongs to.

    Attributes
    ----------
    assignment : pandas.Series
        Island id → zone id (name ``zone``); islands in no zone are absent.
    polygons : geopandas.GeoDataFrame
        One row per zone, indexed by zone id, EPSG:4326: the operator's polygon (all its
        features with that zone, merged) or, for a table, the union of the zone's islands;
        column ``islands`` holds the tuple of island ids.
    source : str
        The file the zones were read from, or ``"computed"`` (travel-time catchments).
    """

    assignment: pd.Series
    polygons: gpd.GeoDataFrame
    source: str


@dataclass(frozen=True)
class Organisation:
    """The organisational layers of one data folder (empty tables where a file is absent).

    Attributes
    ----------
    supply_stations : geopandas.GeoDataFrame
        From :func:`read_supply_stations`.
    demo_posts : geopandas.GeoDataFrame
        From :func:`read_demo_posts`.
    zones : Zones or None
        From :func:`read_zones`; None when the folder has no zones file (use the computed
        catchments).
    """

    supply_stations: gpd.GeoDataFrame
    demo_posts: gpd.GeoDataFrame
    zones: Zones | None


# ---------------------------------------------------------------------- loaders
def read_supply_stations(path: str | Path, islands: gpd.GeoDataFrame, *, resolve: Resolver | None = None,
                         crs: object | None = None) -> gpd.GeoDataFrame:
    """Read and validate a supply-stations file (供电所 / 供电服务站) and place each on its island.

    Parameters
    ----------
    path : str or Path
        CSV with ``lon``/``lat`` (degrees in ``crs``), GeoJSON or GeoPackage of points; columns
        :data:`SUPPLY_STATION_COLUMNS`, of which ``id``, ``name_zh`` and the coordinates are
        required.
    islands : geopandas.GeoDataFrame
        The island polygons, indexed by island id, with ``name_zh`` and ``district``
        (``Archipelago.load().islands``).
    resolve : callable, optional
        Island reference (id or name) → island id, raising a ``ValueError`` for an unknown one,
        e.g. ``lambda ref: arch.island(ref).id``; default: an island id, or a ``name_zh`` that
        names exactly one island.
    crs : str or pyproj.CRS, optional
        CRS of the coordinates when the file does not declare one: ``"EPSG:4490"``
        (CGCS2000), ``"GCJ-02"`` (AMap, Tencent); default WGS84.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by station id, EPSG:4326, with every column of :data:`SUPPLY_STATION_COLUMNS`
        (``lon``/``lat`` in WGS84, ``illustrative`` a bool, ``district`` filled from the island)
        plus ``island_id`` and ``offshore_m`` (metres off the island's shore, 0 on land).

    Raises
    ------
    DataError
        A missing column or value, a duplicate id, coordinates outside the archipelago, an
        unknown island, a point farther than 1 km from its island, a district other than the
        island's, a confidence other than H, M or L, an ``illustrative`` that is not true or
        false, a ``source_url`` that is not an http(s) address or a ``data/…`` reference.
    UnknownCRS
        When the CRS cannot be read.
    """
    table, lon, lat, name = read_points(Path(path), crs=crs)
    return _read_sites(table, lon, lat, name, islands, resolve, SUPPLY_STATION_COLUMNS)


def read_demo_posts(path: str | Path, islands: gpd.GeoDataFrame, *, stations: Iterable[str] | None = None,
                    resolve: Resolver | None = None, crs: object | None = None) -> gpd.GeoDataFrame:
    """Read and validate a demonstration-posts file (示范岗, 共产党员服务队 …).

    Parameters
    ----------
    path : str or Path
        CSV, GeoJSON or GeoPackage; columns :data:`DEMO_POST_COLUMNS` (``id``, ``name_zh`` and
        the coordinates required).
    islands : geopandas.GeoDataFrame
        The island polygons, indexed by island id.
    stations : iterable of str or DataFrame, optional
        Ids of the loaded supply stations (or the table itself: its index is used); a non-empty
        ``station_id`` must be one of them. Default: ``station_id`` is not checked.
    resolve : callable, optional
        Island reference → island id; see :func:`read_supply_stations`.
    crs : str or pyproj.CRS, optional
        CRS of the coordinates; see :func:`read_supply_stations`.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by post id, EPSG:4326, with :data:`DEMO_POST_COLUMNS`, ``island_id`` and
        ``offshore_m``.

    Raises
    ------
    DataError
        As :func:`read_supply_stations`, and a ``station_id`` that is not a loaded station.
    """
    table, lon, lat, name = read_points(Path(path), crs=crs)
    out = _read_sites(table, lon, lat, name, islands, resolve, DEMO_POST_COLUMNS)
    if stations is not None:
        known = set(_ids(stations))
        for i, sid in enumerate(out["station_id"], start=1):
            if sid and sid not in known:
                listed = ", ".join(sorted(known)[:8]) or "none loaded"
                raise DataError(name, f"unknown station '{sid}' (supply stations: {listed}"
                                f"{', …' if len(known) > 8 else ''}); leave it empty for a post of no station",
                                row=i, field="station_id")
    return out


def read_zones(path: str | Path, islands: gpd.GeoDataFrame, stations: Iterable[str], *,
               resolve: Resolver | None = None, crs: object | None = None) -> Zones:
    """Read responsibility zones: an island-to-zone table or zone polygons.

    Parameters
    ----------
    path : str or Path
        ``.csv``: columns ``island`` (id or name) and ``zone`` (or ``station_id``, ``station``),
        one row per island. ``.geojson``, ``.json`` or ``.gpkg``: Polygon or MultiPolygon
        features with a ``zone`` (``station_id``, ``station``) property; several features may
        share a zone. Each island belongs to the polygon containing its representative point
        (``rep_lon``/``rep_lat``, else a point on its surface); islands in none are unassigned.
    islands : geopandas.GeoDataFrame
        The island polygons, indexed by island id.
    stations : iterable of str or DataFrame
        The ids a zone may name (supply stations or light stations; a table's index is used).
    resolve : callable, optional
        Island reference → island id; see :func:`read_supply_stations`.
    crs : str or pyproj.CRS, optional
        CRS of the polygons when the file does not declare one (``"GCJ-02"``, ``"EPSG:4490"``);
        default WGS84 for GeoJSON. A GeoPackage layer must carry its CRS or be given one.

    Returns
    -------
    Zones

    Raises
    ------
    DataError
        A missing column, an unknown island or zone, an island listed twice, a feature that is
        not a valid polygon, polygons outside the archipelago, an island inside two zones.
    UnknownCRS
        When the CRS cannot be read.
    """
    path = Path(path)
    name = path.name
    known = set(_ids(stations))
    if not path.exists():
        raise DataError(name, f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _zones_from_table(path, islands, known, resolve or _default_resolver(islands))
    if suffix in _POLYGON_SUFFIXES:
        return _zones_from_polygons(path, islands, known, crs)
    raise DataError(name, f"unsupported file type '{suffix}': use .csv (island, zone) or .geojson/.gpkg polygons")


def zones_from_assignment(assignment: pd.Series, islands: gpd.GeoDataFrame, *, source: str = "computed") -> Zones:
    """Zones from an island id → zone id mapping, each drawn as the union of its islands.

    Parameters
    ----------
    assignment : pandas.Series
        Island id → zone (station) id; missing values are unassigned islands.
    islands : geopandas.GeoDataFrame
        The island polygons, indexed by island id.
    source : str
        Where the assignment came from (``"computed"``, a file name).
    """
    a = assignment.dropna().astype(str)
    a = a[a.index.isin(islands.index)].rename("zone")
    a.index.name = "island_id"
    rows = []
    for zone in sorted(set(a)):
        ids = tuple(sorted(a.index[a == zone]))
        rows.append({"zone": zone, "islands": ids, "geometry": shapely.union_all(islands.geometry.loc[list(ids)].values)})
    polys = gpd.GeoDataFrame(rows or {"zone": [], "islands": [], "geometry": []}, geometry="geometry", crs=STORAGE_CRS)
    return Zones(assignment=a, polygons=polys.set_index("zone", drop=False), source=source)


def load_organisation(folder: str | Path | Callable[[str], Path], islands: gpd.GeoDataFrame, *,
                      resolve: Resolver | None = None, zone_stations: Iterable[str] = ()) -> Organisation:
    """Read the organisational layers of a data folder; a missing file is an empty layer.

    Parameters
    ----------
    folder : str, Path or callable
        Folder with ``supply_stations.csv``, ``demo_posts.csv`` and optionally a zones file
        (``zones.csv``, ``zones.geojson`` or ``zones.gpkg``, the first found); or a function
        giving the folder of each file name, such as :meth:`Archipelago.folder_of
        <islandcover.archipelago.Archipelago.folder_of>` (the data overlay, else the shipped set).
    islands : geopandas.GeoDataFrame
        The island polygons, indexed by island id.
    resolve : callable, optional
        Island reference → island id; see :func:`read_supply_stations`.
    zone_stations : iterable of str
        Further ids a zone may name besides the supply stations (e.g. the light stations).
    """
    where: Callable[[str], Path] = folder if callable(folder) else (lambda _name, f=Path(folder): f)

    def path(name: str) -> Path:
        return Path(where(name)) / name

    p = path("supply_stations.csv")
    stations = read_supply_stations(p, islands, resolve=resolve) if p.exists() else empty_supply_stations()
    p = path("demo_posts.csv")
    posts = (read_demo_posts(p, islands, stations=stations.index, resolve=resolve) if p.exists()
             else empty_demo_posts())
    zones = None
    for fname in ZONE_FILES:
        if path(fname).exists():
            zones = read_zones(path(fname), islands, [*stations.index, *zone_stations], resolve=resolve)
            break
    return Organisation(supply_stations=stations, demo_posts=posts, zones=zones)


def empty_supply_stations() -> gpd.GeoDataFrame:
    """A supply-stations table with no rows."""
    return _empty(SUPPLY_STATION_COLUMNS)


def empty_demo_posts() -> gpd.GeoDataFrame:
    """A demonstration-posts table with no rows."""
    return _empty(DEMO_POST_COLUMNS)


# ---------------------------------------------------------------------- helpers
def _empty(columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    cols: dict[str, pd.Series] = {}
    for c in (*columns, "island_id", "offshore_m"):
        dtype = float if c in ("lon", "lat", "offshore_m") else (bool if c == "illustrative" else object)
        cols[c] = pd.Series(dtype=dtype)
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS).set_index(
        "id", drop=False)


def _ids(stations: Iterable[str] | pd.DataFrame) -> list[str]:
    if isinstance(stations, pd.DataFrame):
        return [str(s) for s in stations.index]
    return [str(s) for s in stations]


def _default_resolver(islands: gpd.GeoDataFrame) -> Resolver:
    """An island id, or a ``name_zh`` of exactly one island."""
    by_name: dict[str, list[str]] = {}
    for iid, nm in islands["name_zh"].items():
        if isinstance(nm, str) and nm:
            by_name.setdefault(nm.strip(), []).append(str(iid))

    def resolve(ref: str) -> str:
        text = str(ref).strip()
        if text.upper() in islands.index:
            return text.upper()
        hits = by_name.get(text, [])
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise IslandcoverError(f"'{text}' names {len(hits)} islands ({', '.join(hits)}): give the island id")
        raise IslandcoverError(f"no island named '{text}' (give an island id such as {islands.index[0]} or its "
                               "Chinese name as in islands.geojson)")

    return resolve


class _MetricIslands:
    """Island polygons in the metric CRS, projected only when asked for (a file names a few islands
    of hundreds; projecting them all at full resolution takes about a second)."""

    #: Search radius around a point for candidate islands, degrees (more than 1 km at 30° N).
    _SEARCH_DEG = 0.02

    def __init__(self, islands: gpd.GeoDataFrame) -> None:
        self._islands = islands
        self._metric: dict[str, shapely.Geometry] = {}

    def geometry(self, iid: str) -> shapely.Geometry:
        if iid not in self._metric:
            g = gpd.GeoSeries([self._islands.geometry.loc[iid]], crs=self._islands.crs).to_crs(METRIC_CRS)
            self._metric[iid] = g.iloc[0]
        return self._metric[iid]

    def nearest(self, point: shapely.Point, point_m: shapely.Point) -> tuple[str | None, float]:
        """The island nearest a point (WGS84 and metric) within :data:`MAX_OFFSHORE_M`, and the
        distance in metres (None and the distance, or infinity, when there is none)."""
        near = self._islands.sindex.query(point.buffer(self._SEARCH_DEG))
        best: tuple[str | None, float] = (None, float("inf"))
        for k in near:
            iid = str(self._islands.index[int(k)])
            d = float(shapely.distance(point_m, self.geometry(iid)))
            if d < best[1]:
                best = (iid, d)
        if best[1] > MAX_OFFSHORE_M:
            return None, best[1]
        return best


def _column(table: pd.DataFrame, col: str) -> pd.Series:
    if col not in table.columns:
        return pd.Series([""] * len(table), index=table.index, dtype=object)
    return table[col].astype(object).where(table[col].notna(), "").astype(str).str.strip()


def _read_sites(table: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, name: str, islands: gpd.GeoDataFrame,
                resolve: Resolver | None, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Validate the rows shared by stations and posts, place each on its island."""
    table = table.reset_index(drop=True)
    ids = required_text(table, name, "id")
    unique_ids(ids, name)
    required_text(table, name, "name_zh")
    check_bounds(lon, lat, name)
    resolve = resolve or _default_resolver(islands)
    text = {c: _column(table, c) for c in columns if c not in ("lon", "lat", "illustrative")}
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=STORAGE_CRS)
    pm = pts.to_crs(METRIC_CRS).values
    metric = _MetricIslands(islands)
    island_ids: list[str] = []
    offshore: list[float] = []
    flags: list[bool] = []
    for i in range(len(table)):
        row = i + 1
        ref = text["island"].iloc[i]
        if ref:
            try:
                iid = resolve(ref)
            except (IslandcoverError, ValueError, LookupError) as exc:
                raise DataError(name, str(exc), row=row, field="island") from exc
            d = float(shapely.distance(pm[i], metric.geometry(iid)))
            if d > MAX_OFFSHORE_M:
                raise DataError(name, f"({lon[i]:.5f}, {lat[i]:.5f}) is {d / 1000:.1f} km from its island {ref} "
                                f"({iid}; at most {MAX_OFFSHORE_M / 1000:.0f} km allowed: check the island, the "
                                "coordinates and their CRS)", row=row, field="lon/lat")
        else:
            found, d = metric.nearest(pts.values[i], pm[i])
            if found is None:
                far = f"{d / 1000:.1f} km from the nearest island" if np.isfinite(d) else "far from every island"
                raise DataError(name, f"({lon[i]:.5f}, {lat[i]:.5f}) is on open water, {far} (at most "
                                f"{MAX_OFFSHORE_M / 1000:.0f} km allowed; or name its island)", row=row,
                                field="lon/lat")
            iid = found
        island_ids.append(iid)
        offshore.append(round(d, 1))
        island_district = str(islands.at[iid, "district"])
        district = text["district"].iloc[i]
        if district and district != island_district:
            allowed = ", ".join(DISTRICTS)
            msg = (f"district '{district}' is not that of its island {iid} ({island_district})"
                   if district in DISTRICTS else f"unknown district '{district}': use one of {allowed}")
            raise DataError(name, msg, row=row, field="district")
        text["district"].iloc[i] = island_district
        grade = text["confidence"].iloc[i]
        if grade and grade not in _CONFIDENCE:
            raise DataError(name, f"unknown confidence '{grade}': use H, M or L (or leave it empty)", row=row,
                            field="confidence")
        for src in (s.strip() for s in text["source_url"].iloc[i].split("|") if s.strip()):
            if not (src.startswith(("http://", "https://", "data/")) and len(src) > 8):
                raise DataError(name, f"source {src!r} is not an http(s) address or a data/… reference (separate "
                                "several with ' | ')", row=row, field="source_url")
        raw = str(table.at[i, "illustrative"]).strip().lower() if "illustrative" in table.columns else ""
        if raw in ("nan", "none"):
            raw = ""
        if raw not in _TRUE + _FALSE:
            raise DataError(name, f"illustrative must be true or false, got {raw!r}", row=row, field="illustrative")
        flags.append(raw in _TRUE)
    data: dict[str, object] = {c: text[c].values for c in columns if c in text}
    data.update(id=ids.values, lon=np.asarray(lon, dtype=float), lat=np.asarray(lat, dtype=float),
                illustrative=np.array(flags, dtype=bool), island_id=island_ids, offshore_m=offshore)
    out = gpd.GeoDataFrame({c: data[c] for c in (*columns, "island_id", "offshore_m")}, geometry=pts.values,
                           crs=STORAGE_CRS)
    return out.set_index("id", drop=False)


def _zone_field(columns: Iterable[str], name: str) -> str:
    cols = list(columns)
    for f in ZONE_FIELDS:
        if f in cols:
            return f
    raise DataError(name, f"missing column: a zones file needs one of {', '.join(ZONE_FIELDS)}", field="zone")


def _check_zone(zone: str, known: set[str], name: str, row: int, field: str) -> None:
    if not zone:
        raise DataError(name, f"missing {field}", row=row, field=field)
    if zone not in known:
        listed = ", ".join(sorted(known)[:8]) or "none loaded"
        raise DataError(name, f"unknown station '{zone}': a zone is named by a loaded station id ({listed}"
                        f"{', …' if len(known) > 8 else ''})", row=row, field=field)


def _zones_from_table(path: Path, islands: gpd.GeoDataFrame, known: set[str], resolve: Resolver) -> Zones:
    name = path.name
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", comment="#")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(name, f"not a readable UTF-8 CSV file ({exc})") from exc
    if "island" not in table.columns:
        raise DataError(name, "missing column (columns are island and zone)", field="island")
    field = _zone_field(table.columns, name)
    out: dict[str, str] = {}
    first: dict[str, int] = {}
    for i, (ref, zone) in enumerate(zip(_column(table, "island"), _column(table, field)), start=1):
        if not ref:
            raise DataError(name, "missing island", row=i, field="island")
        try:
            iid = resolve(ref)
        except (IslandcoverError, ValueError, LookupError) as exc:
            raise DataError(name, str(exc), row=i, field="island") from exc
        if iid in first:
            raise DataError(name, f"island {ref} ({iid}) is already in a zone at row {first[iid]}: an island "
                            "belongs to one zone", row=i, field="island")
        _check_zone(zone, known, name, i, field)
        first[iid] = i
        out[iid] = zone
    return zones_from_assignment(pd.Series(out, dtype=object), islands, source=name)


def _zones_from_polygons(path: Path, islands: gpd.GeoDataFrame, known: set[str], crs: object | None) -> Zones:
    name = path.name
    suffix = path.suffix.lower()
    gdf = read_vector_file(path)
    if crs is not None:
        src: object = crs
    elif gdf.crs is None:
        if suffix == ".gpkg":
            raise UnknownCRS(f"{name}: the layer has no CRS; pass the CRS explicitly")
        src = "EPSG:4326"
    else:
        src = gdf.crs
    field = _zone_field(gdf.columns, name)
    try:
        normalised = normalise_crs(src)
    except UnknownCRS as exc:
        raise UnknownCRS(f"{name}: {exc}") from exc
    wgs84 = isinstance(normalised, CRS) and normalised.equals(CRS.from_epsg(4326), ignore_axis_order=True)
    w, s, e, n = BOUNDS
    geoms = []
    zones = []
    for i, (geom, zone) in enumerate(zip(gdf.geometry, gdf[field]), start=1):
        if geom is None or geom.is_empty:
            raise DataError(name, "feature has no geometry", row=i, field="geometry")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise DataError(name, f"expected a Polygon or MultiPolygon, got {geom.geom_type}", row=i, field="geometry")
        zone = "" if zone is None or (isinstance(zone, float) and np.isnan(zone)) else str(zone).strip()
        _check_zone(zone, known, name, i, field)
        if not wgs84:
            geom = shapely.transform(geom, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], normalised)))
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            raise DataError(name, f"the polygon is not valid ({reason}): repair it (e.g. shapely.make_valid or "
                            "QGIS 'Fix geometries') and load it again", row=i, field="geometry")
        x0, y0, x1, y1 = geom.bounds
        if not (x1 >= w and x0 <= e and y1 >= s and y0 <= n):
            raise DataError(name, f"the polygon ({x0:.4f}–{x1:.4f} E, {y0:.4f}–{y1:.4f} N) lies outside the "
                            f"archipelago (lon {w}–{e}, lat {s}–{n}): check the CRS and the lon/lat order", row=i,
                            field="geometry")
        geoms.append(geom)
        zones.append(zone)
    if "rep_lon" in islands.columns and "rep_lat" in islands.columns:
        reps = gpd.points_from_xy(islands["rep_lon"].astype(float), islands["rep_lat"].astype(float))
    else:
        reps = shapely.point_on_surface(islands.geometry.values)
    tree = shapely.STRtree(geoms)
    pairs = tree.query(reps, predicate="intersects")
    assignment: dict[str, str] = {}
    feature_of: dict[str, int] = {}
    for p_i, g_i in zip(*pairs):
        iid = str(islands.index[int(p_i)])
        zone = zones[int(g_i)]
        if iid in assignment and assignment[iid] != zone:
            a, b = sorted((feature_of[iid], int(g_i) + 1))
            raise DataError(name, f"island {iid} ({islands.at[iid, 'name_zh']}) lies in zone "
                            f"'{zones[a - 1]}' (feature {a}) and zone '{zones[b - 1]}' (feature {b}): zones must not "
                            "overlap at an island", row=b, field="geometry")
        assignment.setdefault(iid, zone)
        feature_of.setdefault(iid, int(g_i) + 1)
    a = pd.Series(assignment, dtype=object).rename("zone")
    a.index.name = "island_id"
    rows = []
    for zone in sorted(set(zones)):
        merged = shapely.union_all([g for g, z in zip(geoms, zones) if z == zone])
        rows.append({"zone": zone, "islands": tuple(sorted(a.index[a == zone])), "geometry": merged})
    polys = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS).set_index("zone", drop=False)
    return Zones(assignment=a.sort_index(), polygons=polys, source=name)
