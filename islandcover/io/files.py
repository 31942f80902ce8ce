"""Reading and validating the data files: islands, stations, teams and the names of places.

The operator's own stations and teams are first-class input: GeoJSON, GeoPackage or CSV
(``lon``/``lat`` columns) in WGS84, CGCS2000 (EPSG:4490), GCJ-02 or any CRS pyproj knows.
Every problem raises :class:`~islandcover.errors.DataError` naming the file, the row and
the field.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from islandcover.errors import DataError, UnknownCRS
from islandcover.facts import BOUNDS, DISTRICTS, METRIC_CRS, MODES
from islandcover.io.coordinates import GCJ02, normalise_crs, to_wgs84

__all__ = [
    "check_geojson",
    "read_vector_file",
    "BOAT_CLASSES",
    "MAX_STATION_OFFSHORE_M",
    "PLACE_COLUMNS",
    "PLACE_KINDS",
    "STATION_KINDS",
    "TEAM_STATUSES",
    "check_bounds",
    "numbers",
    "place_key",
    "read_islands",
    "read_other_land",
    "read_places",
    "read_points",
    "read_stations",
    "read_teams",
    "required_text",
    "unique_ids",
]

#: Kinds of station: a light station (光明驿站) or a service point (服务点) on a powered island.
STATION_KINDS = ("light_station", "service_point")
#: Boat classes a team can travel with (see islandcover.travel.vessels for speeds and wind limits).
BOAT_CLASSES = MODES
#: Team statuses.
TEAM_STATUSES = ("available", "busy", "off-duty")
#: A station farther than this from any land polygon is rejected as being on open water.
MAX_STATION_OFFSHORE_M = 1000.0

_ISLAND_COLUMNS = ("id", "name_zh", "name_en", "district", "area_km2", "population", "powered")

#: Kinds of named place in ``places.csv`` and what a one-island question resolves each to:
#: a city, district or county → its seat; a subdistrict (街道), town (镇), township (乡), locality
#: or port → the island it is on; an island (another name of one island: English, old, nickname)
#: → that island; an island group → never one island (its islands are listed); an alias (a name
#: used for places of several kinds, e.g. 长涂, Putuo) → listed unless ``resolves_to`` says which.
PLACE_KINDS = ("city", "district", "county", "subdistrict", "town", "township", "locality", "port", "island",
               "island_group", "alias")
#: Kinds whose row must name a seat (``seat``) and the seat's island (``resolves_to``).
_SEAT_KINDS = ("city", "district", "county")
#: Columns of ``places.csv`` (``resolves_to``, ``seat`` and ``notes`` may be empty).
PLACE_COLUMNS = ("name", "language", "kind", "island_ids", "resolves_to", "seat", "source_url", "confidence",
                 "notes")
_PLACE_LANGUAGES = ("zh", "en")
_CONFIDENCE = ("H", "M", "L")
_PUNCT = re.compile(r"[\s\-'’·_.,]")


def _read_table(path: Path, crs: object | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, str]:
    """Read a points file into a table and WGS84 lon/lat arrays.

    Returns the attribute table, lon, lat and a short description of the source.
    """
    name = path.name
    if not path.exists():
        raise DataError(name, f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(name, f"not a readable UTF-8 CSV file ({exc})") from exc
        for col in ("lon", "lat"):
            if col not in table.columns:
                raise DataError(name, "missing column (a CSV needs lon and lat columns)", field=col)
        lon = numbers(table["lon"], name, "lon")
        lat = numbers(table["lat"], name, "lat")
        src_crs = crs if crs is not None else "EPSG:4326"
        table = table.drop(columns=["lon", "lat"])
    elif suffix in (".geojson", ".json", ".gpkg"):
        gdf = read_vector_file(path)
        if crs is not None:
            src_crs = crs
        elif gdf.crs is None:
            if suffix == ".gpkg":
                raise UnknownCRS(f"{name}: the layer has no CRS; pass the CRS explicitly")
            src_crs = "EPSG:4326"  # RFC 7946: GeoJSON without a crs member is WGS84
        else:
            src_crs = gdf.crs
        for i, geom in enumerate(gdf.geometry, start=1):
            if geom is None or geom.is_empty:
                raise DataError(name, "feature has no geometry", row=i, field="geometry")
            if geom.geom_type != "Point":
                raise DataError(name, f"expected a Point, got {geom.geom_type}", row=i, field="geometry")
        lon = np.asarray(gdf.geometry.x, dtype=float)
        lat = np.asarray(gdf.geometry.y, dtype=float)
        table = pd.DataFrame(gdf.drop(columns="geometry"))
    else:
        raise DataError(name, f"unsupported file type '{suffix}': use .geojson, .gpkg or .csv")
    try:
        wlon, wlat = to_wgs84(lon, lat, src_crs)
    except UnknownCRS as exc:
        raise UnknownCRS(f"{name}: {exc}") from exc
    return table.reset_index(drop=True), np.asarray(wlon), np.asarray(wlat), name


def check_geojson(path: Path) -> None:
    """Fail early, with the parser's position, on malformed GeoJSON; honour a ``crs`` member."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(path.name, f"malformed GeoJSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError(path.name, "malformed GeoJSON: expected a FeatureCollection")
    feats = doc.get("features")
    if not isinstance(feats, list):
        raise DataError(path.name, "malformed GeoJSON: 'features' must be a list")
    for i, f in enumerate(feats, start=1):
        if not isinstance(f, dict) or f.get("type") != "Feature":
            raise DataError(path.name, "malformed GeoJSON: not a Feature", row=i)
    crs = doc.get("crs")
    if crs is not None:
        name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
        if name is None:
            raise UnknownCRS(f"{path.name}: unreadable 'crs' member {crs!r}")
        normalise_crs(name)  # raises UnknownCRS naming the value


def read_vector_file(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON (checked first by :func:`check_geojson`) or GeoPackage file.

    Raises
    ------
    DataError
        Malformed or unreadable, naming the file.
    """
    suffix = path.suffix.lower()
    if suffix != ".gpkg":
        check_geojson(path)
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for malformed files
        raise DataError(path.name, f"cannot be read as {suffix[1:].upper()} ({exc})") from exc


def numbers(values: pd.Series, source: str, field: str) -> np.ndarray:
    """The column as floats; a DataError names the first row that is not a number."""
    out = pd.to_numeric(values.str.strip(), errors="coerce")
    bad = out.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise DataError(source, f"not a number: {values.iloc[row - 1]!r}", row=row, field=field)
    return out.to_numpy(dtype=float)


def required_text(table: pd.DataFrame, source: str, field: str) -> pd.Series:
    """The column, stripped; a DataError names a missing column or the first empty row."""
    if field not in table.columns:
        raise DataError(source, "missing column", field=field)
    col = table[field].astype(object).where(table[field].notna(), "").astype(str).str.strip()
    empty = col.eq("") | col.str.lower().isin(["nan", "none"])
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0]) + 1
        raise DataError(source, f"missing {field}", row=row, field=field)
    return col


def unique_ids(ids: pd.Series, source: str) -> None:
    """A DataError names the first duplicated id."""
    dup = ids.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 1
        raise DataError(source, f"duplicate id '{ids.iloc[row - 1]}'", row=row, field="id")


def check_bounds(lon: np.ndarray, lat: np.ndarray, source: str) -> None:
    """A DataError names the first row whose coordinates are not finite or lie outside the archipelago."""
    w, s, e, n = BOUNDS
    for i, (x, y) in enumerate(zip(lon, lat), start=1):
        if not (np.isfinite(x) and np.isfinite(y)):
            raise DataError(source, "coordinates are not finite", row=i, field="lon/lat")
        if not (w <= x <= e and s <= y <= n):
            raise DataError(
                source,
                f"coordinates ({x:.5f}, {y:.5f}) lie outside the archipelago "
                f"(lon {w}–{e}, lat {s}–{n}; check the CRS and the lon/lat order)",
                row=i,
                field="lon/lat",
            )


def read_islands(path: Path) -> gpd.GeoDataFrame:
    """Read the island polygons (``islands.geojson``) and check their schema.

    Parameters
    ----------
    path : Path
        GeoJSON or GeoPackage of island polygons in EPSG:4326.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by island id, in EPSG:4326.
    """
    name = Path(path).name
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise DataError(name, f"cannot be read ({exc})") from exc
    for col in _ISLAND_COLUMNS:
        if col not in gdf.columns:
            raise DataError(name, "missing property", field=col)
    unique_ids(gdf["id"].astype(str), name)
    bad = ~gdf["district"].isin(DISTRICTS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise DataError(name, f"district must be one of {', '.join(DISTRICTS)}", row=row, field="district")
    if gdf.crs is None or not CRS(gdf.crs).equals(CRS.from_epsg(4326), ignore_axis_order=True):
        gdf = gdf.set_crs("EPSG:4326", allow_override=True) if gdf.crs is None else gdf.to_crs("EPSG:4326")
    gdf["powered"] = gdf["powered"].fillna(False).astype(bool)
    gdf["population"] = pd.array(gdf["population"], dtype="Int64")
    return gdf.set_index("id", drop=False)


def read_other_land(path: Path) -> gpd.GeoDataFrame:
    """Read ``other_land.geojson``: polygons of land that is not one of the model's islands.

    Raises
    ------
    DataError
        An unreadable file or a feature that is not a polygon.
    """
    name = Path(path).name
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for malformed files
        raise DataError(name, f"cannot be read ({exc})") from exc
    for i, geom in enumerate(gdf.geometry, start=1):
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise DataError(name, f"expected a Polygon, got {getattr(geom, 'geom_type', None)}", row=i,
                            field="geometry")
    return gdf.set_crs("EPSG:4326") if gdf.crs is None else gdf.to_crs("EPSG:4326")


def read_points(path: Path, *, crs: object | None = None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, str]:
    """Read any points file (GeoJSON, GeoPackage, CSV) into a table and WGS84 lon/lat.

    Parameters
    ----------
    path : Path
        The file.
    crs : str or pyproj.CRS, optional
        CRS of the coordinates; default: the file's own (GeoJSON/GeoPackage) or WGS84 (CSV).
        ``"GCJ-02"`` for coordinates copied from AMap or Tencent maps.
    """
    return _read_table(Path(path), crs)


def read_stations(
    path: Path, islands: gpd.GeoDataFrame, *, crs: object | None = None
) -> gpd.GeoDataFrame:
    """Read and validate a stations file and place every station on its island.

    Required fields: ``id``, ``name_zh``, coordinates. Optional: ``name_en``, ``kind``
    (``light_station`` or ``service_point``; default ``light_station``), ``illustrative``.

    Parameters
    ----------
    path : Path
        GeoJSON, GeoPackage or CSV (``lon``, ``lat`` columns).
    islands : geopandas.GeoDataFrame
        Island polygons (from :func:`read_islands`), to place each station.
    crs : str or pyproj.CRS, optional
        CRS of the input coordinates; see :func:`read_points`.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by station id, EPSG:4326, with ``island_id`` and ``offshore_m`` (distance
        from the island's polygon, 0 on land).

    Raises
    ------
    DataError
        Missing name, duplicate id, coordinates outside the archipelago, a station on open
        water farther than 1 km from land, an unknown kind.
    UnknownCRS
        When the CRS cannot be read.
    """
    table, lon, lat, name = read_points(path, crs=crs)
    ids = required_text(table, name, "id")
    unique_ids(ids, name)
    names = required_text(table, name, "name_zh")
    check_bounds(lon, lat, name)
    kinds = table["kind"].astype(str).str.strip() if "kind" in table.columns else pd.Series(
        ["light_station"] * len(table))
    for i, k in enumerate(kinds, start=1):
        if k not in STATION_KINDS:
            raise DataError(name, f"unknown kind '{k}': use {' or '.join(STATION_KINDS)}", row=i, field="kind")
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    island_ids, offshore = _place_on_islands(pts, islands)
    for i, (iid, d) in enumerate(zip(island_ids, offshore), start=1):
        if iid is None:
            raise DataError(
                name,
                f"({lon[i - 1]:.5f}, {lat[i - 1]:.5f}) is on open water, {d / 1000:.1f} km from the "
                f"nearest land (at most {MAX_STATION_OFFSHORE_M / 1000:.0f} km allowed)",
                row=i,
                field="lon/lat",
            )
    out = gpd.GeoDataFrame(
        {
            "id": ids.values,
            "name_zh": names.values,
            "name_en": table["name_en"].astype(str).values if "name_en" in table.columns else names.values,
            "kind": kinds.values,
            "island_id": island_ids,
            "offshore_m": np.round(offshore, 1),
            "illustrative": _flag(table, "illustrative", default=False),
            "lon": lon,
            "lat": lat,
        },
        geometry=pts.values,
        crs="EPSG:4326",
    )
    return out.set_index("id", drop=False)


def _flag(table: pd.DataFrame, col: str, *, default: bool) -> np.ndarray:
    if col not in table.columns:
        return np.full(len(table), default)
    return table[col].astype(str).str.strip().str.lower().isin(["true", "1", "yes"]).to_numpy()


def _place_on_islands(pts: gpd.GeoSeries, islands: gpd.GeoDataFrame) -> tuple[list[str | None], np.ndarray]:
    """Island id containing each point (or nearest within the offshore limit) and the distance."""
    pm = pts.to_crs(METRIC_CRS)
    im = islands.geometry.to_crs(METRIC_CRS)
    tree = shapely.STRtree(im.values)
    idx, dist = tree.query_nearest(pm.values, return_distance=True, all_matches=False)
    ids: list[str | None] = [None] * len(pts)
    d = np.full(len(pts), np.inf)
    for p_i, i_i, dd in zip(idx[0], idx[1], dist):
        d[p_i] = dd
        if dd <= MAX_STATION_OFFSHORE_M:
            ids[p_i] = str(islands.index[i_i])
    return ids, d


def read_teams(path: Path, station_ids: Iterable[str]) -> pd.DataFrame:
    """Read and validate a teams file.

    Required columns: ``id``, ``station_id`` (an existing station), ``boat_class``
    (``workboat``, ``fast`` or ``ferry``), ``head_count`` (a positive integer). Optional:
    ``name``, ``status`` (``available``, ``busy`` or ``off-duty``; default ``available``),
    ``illustrative``.

    Parameters
    ----------
    path : Path
        CSV (or GeoJSON/GeoPackage with the same properties; geometry is ignored).
    station_ids : iterable of str
        The ids of the loaded stations.

    Returns
    -------
    pandas.DataFrame
        Indexed by team id.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise DataError(name, f"file not found: {path}")
    if path.suffix.lower() == ".csv":
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(name, f"not a readable UTF-8 CSV file ({exc})") from exc
    else:
        table = pd.DataFrame(read_points(path)[0])
    ids = required_text(table, name, "id")
    unique_ids(ids, name)
    stations = required_text(table, name, "station_id")
    known = set(station_ids)
    for i, s in enumerate(stations, start=1):
        if s not in known:
            raise DataError(name, f"unknown station '{s}'", row=i, field="station_id")
    boats = required_text(table, name, "boat_class")
    for i, b in enumerate(boats, start=1):
        if b not in BOAT_CLASSES:
            raise DataError(name, f"unknown boat class '{b}': use {', '.join(BOAT_CLASSES)}", row=i,
                            field="boat_class")
    heads = required_text(table, name, "head_count")
    counts = pd.to_numeric(heads, errors="coerce")
    for i, (raw, c) in enumerate(zip(heads, counts), start=1):
        if not (pd.notna(c) and float(c).is_integer() and c > 0):
            raise DataError(name, f"head_count must be a positive whole number, got {raw!r}", row=i,
                            field="head_count")
    status = table["status"].astype(str).str.strip() if "status" in table.columns else pd.Series(
        ["available"] * len(table))
    status = status.replace("", "available")
    for i, s in enumerate(status, start=1):
        if s not in TEAM_STATUSES:
            raise DataError(name, f"unknown status '{s}': use {', '.join(TEAM_STATUSES)}", row=i, field="status")
    out = pd.DataFrame(
        {
            "id": ids.values,
            "name": table["name"].astype(str).values if "name" in table.columns else ids.values,
            "station_id": stations.values,
            "boat_class": boats.values,
            "head_count": counts.astype(int).values,
            "status": status.values,
            "illustrative": _flag(table, "illustrative", default=False),
        }
    )
    return out.set_index("id", drop=False)


def place_key(name: str) -> str:
    """The lookup key of a place name: case-, space-, punctuation- and tone-mark-insensitive.

    ``"Mount Putuo"`` → ``"mountputuo"``; ``"Xi Lühua"`` → ``"xiluhua"``; ``"嵊泗县"`` → ``"嵊泗县"``.
    """
    text = unicodedata.normalize("NFKD", str(name).strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", _PUNCT.sub("", text))


def read_places(path: Path, island_ids: Iterable[str]) -> pd.DataFrame:
    """Read and validate ``places.csv``: the names people use for towns, ports, districts and
    counties, island groups, and other names (English, old) of islands.

    Columns (:data:`PLACE_COLUMNS`): ``name``; ``language`` (``zh`` or ``en``); ``kind`` (one of
    :data:`PLACE_KINDS`); ``island_ids``, the ids of the islands the place covers, separated by
    ``;``; ``resolves_to``, the one island a single-island question takes (one of ``island_ids``;
    empty when the sources leave it open: the islands are then listed); ``seat``, the seat of a
    city, district or county (or of a town, when known); ``source_url``, one or more sources
    separated by `` | `` (``http(s)://`` addresses, or ``data/…`` rows of this data set);
    ``confidence`` (``H``, ``M`` or ``L``, as in the gazetteer); ``notes``.

    Rules checked: every id is a loaded island; a city, district or county names its seat and
    the seat's island; an island group never resolves to one island; names are unique (ignoring
    case, spaces and punctuation).

    Parameters
    ----------
    path : Path
        The CSV file (UTF-8).
    island_ids : iterable of str
        The ids of the loaded islands.

    Returns
    -------
    pandas.DataFrame
        One row per name, in file order, with ``key`` (:func:`place_key` of the name) and
        ``island_ids`` as tuples of ids.

    Raises
    ------
    DataError
        Naming the file, the 1-based data row and the field.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise DataError(name, f"file not found: {path}")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(name, f"not a readable UTF-8 CSV file ({exc})") from exc
    for col in ("resolves_to", "seat", "notes"):
        if col not in table.columns:
            table[col] = ""
    names = required_text(table, name, "name")
    languages = required_text(table, name, "language")
    kinds = required_text(table, name, "kind")
    ids_text = required_text(table, name, "island_ids")
    sources = required_text(table, name, "source_url")
    grades = required_text(table, name, "confidence")
    resolves = table["resolves_to"].astype(str).str.strip()
    seats = table["seat"].astype(str).str.strip()
    known = set(island_ids)
    keys: dict[str, int] = {}
    ids_out: list[tuple[str, ...]] = []
    for i in range(len(table)):
        row = i + 1
        key = place_key(names.iloc[i])
        if not key:
            raise DataError(name, f"name {names.iloc[i]!r} has no letters", row=row, field="name")
        if key in keys:
            raise DataError(name, f"name '{names.iloc[i]}' repeats row {keys[key]} (names must differ in more "
                            "than case, spaces and punctuation)", row=row, field="name")
        keys[key] = row
        if languages.iloc[i] not in _PLACE_LANGUAGES:
            raise DataError(name, f"unknown language '{languages.iloc[i]}': use {' or '.join(_PLACE_LANGUAGES)}",
                            row=row, field="language")
        kind = kinds.iloc[i]
        if kind not in PLACE_KINDS:
            raise DataError(name, f"unknown kind '{kind}': use one of {', '.join(PLACE_KINDS)}", row=row,
                            field="kind")
        ids = tuple(x.strip() for x in ids_text.iloc[i].split(";"))
        for iid in ids:
            if iid not in known:
                raise DataError(name, f"unknown island id '{iid}' (ids look like ZS-0042; separate several "
                                "with ';')", row=row, field="island_ids")
        if len(set(ids)) != len(ids):
            raise DataError(name, f"an island id is listed twice in '{ids_text.iloc[i]}'", row=row,
                            field="island_ids")
        target = resolves.iloc[i]
        if target and target not in ids:
            raise DataError(name, f"resolves_to '{target}' is not one of the row's island_ids "
                            f"({', '.join(ids)})", row=row, field="resolves_to")
        if kind == "island_group" and target:
            raise DataError(name, "an island group does not resolve to one island: leave resolves_to empty "
                            "(its islands are listed to the user)", row=row, field="resolves_to")
        if kind in _SEAT_KINDS:
            if not seats.iloc[i]:
                raise DataError(name, f"a {kind} needs its seat (the town or subdistrict of its government)",
                                row=row, field="seat")
            if not target:
                raise DataError(name, f"a {kind} resolves to its seat: give the seat's island id", row=row,
                                field="resolves_to")
        if not target and len(ids) == 1 and kind != "island_group":
            target = ids[0]
            resolves.iloc[i] = target
        for src in (x.strip() for x in sources.iloc[i].split("|")):
            if not (src.startswith(("http://", "https://", "data/")) and len(src) > 8):
                raise DataError(name, f"source {src!r} is not an http(s) address or a data/… reference "
                                "(separate several with ' | ')", row=row, field="source_url")
        if grades.iloc[i] not in _CONFIDENCE:
            raise DataError(name, f"unknown confidence '{grades.iloc[i]}': use H, M or L", row=row,
                            field="confidence")
        ids_out.append(ids)
    return pd.DataFrame({
        "name": names.values,
        "key": [place_key(n) for n in names],
        "language": languages.values,
        "kind": kinds.values,
        "island_ids": ids_out,
        "resolves_to": resolves.values,
        "seat": seats.values,
        "source_url": sources.values,
        "confidence": grades.values,
        "notes": table["notes"].astype(str).values,
    })


def empty_places() -> pd.DataFrame:
    """A places table with no rows (a data folder without ``places.csv``)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ("name", "key", "language", "kind", "island_ids",
                                                               "resolves_to", "seat", "source_url", "confidence",
                                                               "notes")})


__all__ += ["GCJ02", "empty_places"]
