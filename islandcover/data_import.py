"""The operator's own layers, first-class: importing them into a data overlay, and checking a data set.

A data overlay (:attr:`islandcover.config.Config.data_dir`) is a folder of files that replace
the shipped ones of the same name (:meth:`islandcover.archipelago.Archipelago.load`).
:func:`import_layer` reads an operator's file of one kind (:data:`KINDS`), validates every row
with the readers of :mod:`islandcover.io.files` and :mod:`islandcover.io.ferries` against the
rest of the data set, converts its coordinates to WGS84 (from CGCS2000, GCJ-02 or any CRS
pyproj knows), and only then writes it, in the shipped file's format and name, atomically:
a file with one bad row writes nothing.

The islands are the exception: the operator's list of powered islands *updates* the shipped
polygons (``powered``, ``population``, ``pop_year``) through ``islands_overlay.csv``
(:func:`read_islands_overlay`, :func:`apply_islands_overlay`); the polygons themselves are not
imported.

:func:`check_data` reports what makes a data set wrong or incomplete, every problem at once.
"""
from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from islandcover._plumbing import write_text_atomic
from islandcover.archipelago import Archipelago
from islandcover.config import DEFAULT_DATA_DIR
from islandcover.errors import DataError, ImportRefused, IslandcoverError, UnknownCRS
from islandcover.facts import METRIC_CRS
from islandcover.io import ferries as ferry_io
from islandcover.io import files as io
from islandcover.io import organisation
from islandcover.io.coordinates import normalise_crs, to_wgs84
from islandcover.io.island_overlay import (
    ISLANDS_OVERLAY,
    ISLANDS_OVERLAY_COLUMNS,
    apply_islands_overlay,
    attribute_table,
    flag_value,
    read_islands_overlay,
    whole_number,
)

__all__ = [
    "ISLANDS_OVERLAY",
    "ISLANDS_OVERLAY_COLUMNS",
    "KINDS",
    "ImportResult",
    "apply_islands_overlay",
    "check_data",
    "import_layer",
    "read_islands_overlay",
]

#: Each kind ``islandcover import`` takes → the file it writes into the overlay.
KINDS: dict[str, str] = {
    "islands": ISLANDS_OVERLAY,
    "stations": "stations.geojson",
    "teams": "teams.csv",
    "piers": "piers.csv",
    "ferries": "ferries.csv",
    "supply-stations": "supply_stations.csv",
    "demo-posts": "demo_posts.csv",
    "zones": "zones.csv",
}
_TEAM_COLUMNS = ("id", "name", "station_id", "boat_class", "head_count", "status", "illustrative")
#: What an imported row is said to come from where the shipped files keep a source column.
_OPERATOR = "the operator's file {name}"


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_layer` wrote.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    source : Path
        The operator's file.
    target : Path
        The file written into the overlay.
    rows : int
        Rows (features) imported.
    crs : str
        The CRS the coordinates were converted from (``"EPSG:4326"`` when already WGS84;
        ``"-"`` for layers without coordinates).
    warnings : tuple of str
        What the new layer leaves inconsistent in the rest of the data set (teams at stations
        that are gone …), to fix by importing the other layer next.
    """

    kind: str
    source: Path
    target: Path
    rows: int
    crs: str
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------------- the data set being imported into
class _DataSet:
    """The files of the shipped data set (or a complete one) with an overlay's over them, read lazily."""

    def __init__(self, folder: Path | None) -> None:
        if folder is not None and (folder / "islands.geojson").exists():
            self.base, self.overlay = folder, None
        else:
            self.base, self.overlay = DEFAULT_DATA_DIR, folder
        self._islands: gpd.GeoDataFrame | None = None
        self._arch: Archipelago | None = None

    def path(self, name: str) -> Path:
        if self.overlay is not None and (self.overlay / name).exists():
            return self.overlay / name
        return self.base / name

    def islands(self, *, with_overlay: bool = True) -> gpd.GeoDataFrame:
        """The island polygons (with the islands overlay applied unless ``with_overlay`` is False)."""
        if self._islands is None:
            self._islands = io.read_islands(self.path("islands.geojson"))
        if with_overlay and self.path(ISLANDS_OVERLAY).exists():
            return apply_islands_overlay(self._islands, read_islands_overlay(self.path(ISLANDS_OVERLAY),
                                                                             self._islands))
        return self._islands

    def lookup(self) -> Archipelago:
        """An archipelago of the islands and places alone, to resolve island names (no stations
        or teams: they may be the layer being replaced)."""
        if self._arch is None:
            islands = self.islands(with_overlay=False)
            places = self.path("places.csv")
            pl = io.read_places(places, islands.index) if places.exists() else None
            empty = pd.DataFrame({"id": pd.Series(dtype=object)})
            self._arch = Archipelago(islands, gpd.GeoDataFrame(empty), empty, self.base, places=pl)
        return self._arch

    def resolve(self) -> Callable[[str], str]:
        arch = self.lookup()
        return lambda ref: arch.island(ref).id

    def raw_column(self, name: str, column: str) -> pd.Series:
        """A column of a layer's table as read (no validation); empty when absent."""
        path = self.path(name)
        if not path.exists():
            return pd.Series(dtype=str)
        table = attribute_table(path)
        return table[column].astype(str).str.strip() if column in table.columns else pd.Series(dtype=str)


# ---------------------------------------------------------------------- reading an operator's file
def _geometry_types(path: Path) -> set[str]:
    if path.suffix.lower() == ".csv":
        return set()
    try:
        gdf = gpd.read_file(path)
    except Exception:  # noqa: BLE001  # unreadable: the readers name the problem
        return set()
    return {g.geom_type for g in gdf.geometry if g is not None}


def _csv_text(table: pd.DataFrame) -> str:
    return table.to_csv(index=False, lineterminator="\n")


def _in_temp_csv(table: pd.DataFrame, name: str, read: Callable[[Path], object]) -> object:
    """Run a CSV reader of :mod:`islandcover.io` on ``table`` written under the operator's file
    name, so that its errors name the operator's file and row."""
    with tempfile.TemporaryDirectory(prefix="islandcover-import-") as tmp:
        path = Path(tmp) / name
        path.write_text(_csv_text(table), encoding="utf-8")
        return read(path)


def _crs_label(crs: object | None, path: Path) -> str:
    if crs is not None:
        src = normalise_crs(crs)
        return src if isinstance(src, str) else (src.to_string() or str(crs))
    if path.suffix.lower() == ".csv":
        return "EPSG:4326"
    try:
        declared = gpd.read_file(path, rows=1).crs
    except Exception:  # noqa: BLE001  # unreadable: already named by the reader
        return "EPSG:4326"
    return declared.to_string() if declared is not None else "EPSG:4326"


# ---------------------------------------------------------------------- the layers
def _import_stations(path: Path, ds: _DataSet, crs: object | None) -> tuple[str, int, list[str]]:
    st = io.read_stations(path, ds.islands(), crs=crs)
    features = [{
        "type": "Feature",
        "properties": {"id": r.id, "name_zh": r.name_zh, "name_en": r.name_en, "kind": r.kind,
                       "island_id": r.island_id, "illustrative": bool(r.illustrative)},
        "geometry": {"type": "Point", "coordinates": [round(float(r.lon), 6), round(float(r.lat), 6)]},
    } for r in st.itertuples(index=False)]
    doc = {"type": "FeatureCollection", "name": f"stations (imported from {path.name})", "features": features}
    gone = _orphans(ds.raw_column("teams.csv", "station_id"), ds.raw_column("teams.csv", "id"), set(st.index))
    warnings = [(f"{len(gone)} teams of {ds.path('teams.csv')} are at stations this file does not have "
                 f"({_listed(gone)}): import your teams next")] if gone else []
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n", len(st), warnings


def _import_teams(path: Path, ds: _DataSet) -> tuple[str, int, list[str]]:
    table = attribute_table(path)
    stations = io.read_stations(ds.path("stations.geojson"), ds.islands())
    tm = _in_temp_csv(table, path.name, lambda p: io.read_teams(p, stations.index))
    assert isinstance(tm, pd.DataFrame)
    out = tm[list(_TEAM_COLUMNS)].assign(illustrative=tm["illustrative"].map(lambda v: "true" if v else "false"))
    return _csv_text(out), len(out), []


def _import_piers(path: Path, ds: _DataSet, crs: object | None) -> tuple[str, int, list[str]]:
    table, lon, lat, name = io.read_points(path, crs=crs)
    table = table.astype(object).where(table.notna(), "").astype(str)
    table["lon"], table["lat"] = [f"{x:.6f}" for x in lon], [f"{y:.6f}" for y in lat]
    if "position_source" not in table.columns:
        table["position_source"] = _OPERATOR.format(name=name)
    islands = ds.islands()
    piers = _in_temp_csv(table, name, lambda p: ferry_io.read_piers(p, islands, ds.resolve()))
    assert isinstance(piers, gpd.GeoDataFrame)
    out = pd.DataFrame(piers[list(ferry_io.PIER_COLUMNS)]).assign(
        island=piers["island_id"].values, lon=[f"{x:.6f}" for x in piers["lon"]],
        lat=[f"{y:.6f}" for y in piers["lat"]])
    gone = _orphans(pd.concat([ds.raw_column("ferries.csv", "from_pier"), ds.raw_column("ferries.csv", "to_pier")]),
                    pd.concat([ds.raw_column("ferries.csv", "id")] * 2), set(piers.index))
    warnings = [(f"{len(gone)} sailings of {ds.path('ferries.csv')} call at piers this file does not have "
                 f"({_listed(gone)}): import your ferries next")] if gone else []
    return _csv_text(out), len(out), warnings


def _import_ferries(path: Path, ds: _DataSet) -> tuple[str, int, list[str]]:
    table = attribute_table(path)
    if "in_service_source" not in table.columns:
        table["in_service_source"] = _OPERATOR.format(name=path.name)
    piers_path = ds.path("piers.csv")
    if not piers_path.exists():
        raise ImportRefused(path.name, "the data set has no piers: import your piers first")
    piers = ferry_io.read_piers(piers_path, ds.islands(), ds.resolve())
    fe = _in_temp_csv(table, path.name, lambda p: ferry_io.read_ferries(p, piers.index))
    assert isinstance(fe, pd.DataFrame)
    out = fe[list(ferry_io.FERRY_COLUMNS)].assign(
        crossing_min=[("" if np.isnan(v) else f"{v:g}") for v in fe["crossing_min"]])
    return _csv_text(out), len(out), []


def _sites_csv(sites: gpd.GeoDataFrame, columns: tuple[str, ...], source: Path) -> str:
    out = pd.DataFrame(sites[[c for c in columns if c in sites.columns]]).copy()
    out["lon"], out["lat"] = [f"{x:.6f}" for x in sites["lon"]], [f"{y:.6f}" for y in sites["lat"]]
    out["illustrative"] = sites["illustrative"].map(lambda v: "true" if v else "false")
    if "position_source" in out.columns:
        out["position_source"] = out["position_source"].where(out["position_source"] != "",
                                                              _OPERATOR.format(name=source.name))
    return _csv_text(out.fillna(""))


def _import_supply_stations(path: Path, ds: _DataSet, crs: object | None) -> tuple[str, int, list[str]]:
    st = organisation.read_supply_stations(path, ds.islands(), resolve=ds.resolve(), crs=crs)
    return _sites_csv(st, organisation.SUPPLY_STATION_COLUMNS, path), len(st), []


def _supply_ids(ds: _DataSet) -> list[str]:
    return [s for s in ds.raw_column("supply_stations.csv", "id") if s]


def _import_demo_posts(path: Path, ds: _DataSet, crs: object | None) -> tuple[str, int, list[str]]:
    posts = organisation.read_demo_posts(path, ds.islands(), stations=_supply_ids(ds), resolve=ds.resolve(),
                                         crs=crs)
    return _sites_csv(posts, organisation.DEMO_POST_COLUMNS, path), len(posts), []


def _import_zones(path: Path, ds: _DataSet, crs: object | None) -> tuple[str, int, list[str]]:
    stations = [s for s in ds.raw_column("stations.geojson", "id") if s]
    zones = organisation.read_zones(path, ds.islands(), [*_supply_ids(ds), *stations], resolve=ds.resolve(),
                                    crs=crs)
    table = pd.DataFrame({"island": zones.assignment.index, "zone": zones.assignment.to_numpy()})
    return _csv_text(table), len(table), []


def _import_islands(path: Path, ds: _DataSet, crs: object | None) -> tuple[str, int, list[str]]:
    name = path.name
    kinds = _geometry_types(path)
    if kinds - {"Point"}:
        raise ImportRefused(name, f"island polygons are not imported (got {', '.join(sorted(kinds))}): give a "
                            "table of your islands (CSV: id or name, powered, population, optional pop_year, "
                            "optional lon/lat), which updates the shipped island polygons")
    if kinds:  # GeoJSON/GeoPackage points: their coordinates stand for lon/lat
        table, lon, lat, _ = io.read_points(path, crs=crs)
        table = table.astype(object).where(table.notna(), "").astype(str)
        has_point = np.ones(len(table), dtype=bool)
    else:
        table = attribute_table(path)
        has_point = np.zeros(len(table), dtype=bool)
        lon = np.full(len(table), np.nan)
        lat = np.full(len(table), np.nan)
        if ("lon" in table.columns) != ("lat" in table.columns):
            raise DataError(name, "give both lon and lat, or neither",
                            field="lat" if "lon" in table.columns else "lon")
        if "lon" in table.columns:
            has_point = (table["lon"].str.strip() != "").to_numpy() & (table["lat"].str.strip() != "").to_numpy()
            for col in ("lon", "lat"):
                half = (table["lon"].str.strip() != "") != (table["lat"].str.strip() != "")
                if half.any():
                    row = int(np.flatnonzero(half.to_numpy())[0]) + 1
                    raise DataError(name, "give both lon and lat, or neither", row=row, field=col)
            if has_point.any():
                x = io.numbers(table["lon"][has_point].reset_index(drop=True), name, "lon")
                y = io.numbers(table["lat"][has_point].reset_index(drop=True), name, "lat")
                try:
                    wx, wy = to_wgs84(x, y, crs if crs is not None else "EPSG:4326")
                except UnknownCRS as exc:
                    raise UnknownCRS(f"{name}: {exc}") from exc
                lon[has_point], lat[has_point] = wx, wy
    if "powered" not in table.columns:
        raise DataError(name, "missing column (the list says which islands are powered: true or false)",
                        field="powered")
    refs = [c for c in ("id", "name", "name_zh", "name_en") if c in table.columns]
    if not refs and not has_point.any():
        raise DataError(name, "missing column: name each island by id (ZS-0042), name, or lon/lat on it",
                        field="id")
    arch = ds.lookup()
    islands = arch.islands
    rows: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for i in range(len(table)):
        row = i + 1
        r = table.iloc[i]
        iid, field = None, None
        for col in refs:
            text = str(r[col]).strip()
            if not text:
                continue
            field = col
            if col == "id":
                if text.upper() not in islands.index:
                    raise DataError(name, f"no island with id '{text}' (ids look like ZS-0042)", row=row, field=col)
                iid = text.upper()
            else:
                try:
                    iid = arch.island(text).id
                except IslandcoverError as exc:
                    raise DataError(name, str(exc), row=row, field=col) from exc
            break
        if has_point[i]:
            try:
                at = arch.island_at(float(lon[i]), float(lat[i]))
            except IslandcoverError as exc:
                raise DataError(name, str(exc), row=row, field="lon/lat") from exc
            if at is None:
                raise DataError(name, f"({lon[i]:.5f}, {lat[i]:.5f}) is on no island (check the CRS: --crs)",
                                row=row, field="lon/lat")
            if iid is not None and at.id != iid:
                raise DataError(name, f"({lon[i]:.5f}, {lat[i]:.5f}) is on {at.label}, not on "
                                f"{arch.island(iid).label}", row=row, field="lon/lat")
            iid = at.id
        if iid is None:
            raise DataError(name, "no island named: give an id, a name, or lon/lat", row=row, field=refs[0] if refs
                            else "lon/lat")
        if iid in seen:
            raise DataError(name, f"{arch.island(iid).label} is also row {seen[iid]}", row=row,
                            field=field or "lon/lat")
        seen[iid] = row
        powered = flag_value(str(r["powered"]), name, row, "powered")
        pop = whole_number(str(r["population"]), name, row, "population", 0, 10_000_000) if "population" in table.columns \
            else None
        year = whole_number(str(r["pop_year"]), name, row, "pop_year", 1900, 2100) if "pop_year" in table.columns else None
        if year is not None and pop is None:
            raise DataError(name, "a pop_year without a population", row=row, field="pop_year")
        name_zh = islands.at[iid, "name_zh"]
        rows.append({"id": iid, "name_zh": name_zh if isinstance(name_zh, str) else "",
                     "powered": "true" if powered else "false", "population": "" if pop is None else str(pop),
                     "pop_year": "" if year is None else str(year)})
    out = pd.DataFrame(rows, columns=list(ISLANDS_OVERLAY_COLUMNS))
    return _csv_text(out), len(out), []


def _orphans(refs: pd.Series, ids: pd.Series, known: set[str]) -> list[str]:
    """Ids of the rows whose reference is not in ``known`` (in order, each once)."""
    out: list[str] = []
    for ref, rid in zip(refs, ids):
        if ref and ref not in known and rid not in out:
            out.append(rid)
    return out


def _listed(ids: list[str], most: int = 5) -> str:
    return ", ".join(ids[:most]) + (f" and {len(ids) - most} more" if len(ids) > most else "")


def import_layer(kind: str, path: str | Path, overlay: str | Path, *, crs: object | None = None) -> ImportResult:
    """Validate the operator's file of ``kind`` and write it into the data overlay.

    Nothing is written unless the whole file is valid; the file is then written atomically
    (readers see the old layer or the new one), in WGS84 and in the shipped file's format.

    Parameters
    ----------
    kind : str
        ``islands``, ``stations``, ``teams``, ``piers``, ``ferries``, ``supply-stations``,
        ``demo-posts`` or ``zones`` (:data:`KINDS`). Zones (an island-to-zone table, or zone
        polygons) are written as the island-to-zone table they give.
    path : path
        GeoJSON, GeoPackage or CSV (``lon``/``lat`` columns for coordinates). Islands: a table
        with ``id`` (ZS-0042) or ``name`` (any name :meth:`Archipelago.island` resolves) or
        ``lon``/``lat`` on the island, ``powered`` (true/false), optional ``population`` and
        ``pop_year`` (empty: keep the shipped figure).
    overlay : path
        The overlay folder (created when missing); never the shipped data set.
    crs : str, optional
        CRS of the coordinates when the file declares none (CSV): ``EPSG:4326`` (default),
        ``EPSG:4490`` (CGCS2000), ``GCJ-02`` (AMap, Tencent), or any EPSG code.

    Returns
    -------
    ImportResult

    Raises
    ------
    DataError
        The first bad row, naming the file, the row (1-based, after the header; GeoJSON: the
        feature) and the field.
    ImportRefused
        Island polygons; ferries without piers; the overlay is the shipped data set.
    UnknownCRS
        ``crs`` (or the file's) cannot be read.
    """
    if kind not in KINDS:
        raise ImportRefused(str(path), f"unknown kind '{kind}': use one of {', '.join(KINDS)}")
    src = Path(path)
    folder = Path(overlay)
    if folder.resolve() == DEFAULT_DATA_DIR.resolve():
        raise ImportRefused(str(folder), "this is the shipped data set: import into an overlay folder "
                            "(set ISLANDCOVER_DATA to another folder, or leave it unset for <state dir>/data)")
    if not src.is_file():
        raise DataError(src.name, f"file not found: {src}")
    if crs is not None:
        normalise_crs(crs)  # an unknown CRS is refused before the file is read
    ds = _DataSet(folder)
    if kind == "stations":
        text, n, warnings = _import_stations(src, ds, crs)
    elif kind == "teams":
        text, n, warnings = _import_teams(src, ds)
    elif kind == "piers":
        text, n, warnings = _import_piers(src, ds, crs)
    elif kind == "ferries":
        text, n, warnings = _import_ferries(src, ds)
    elif kind == "supply-stations":
        text, n, warnings = _import_supply_stations(src, ds, crs)
    elif kind == "demo-posts":
        text, n, warnings = _import_demo_posts(src, ds, crs)
    elif kind == "zones":
        text, n, warnings = _import_zones(src, ds, crs)
    else:
        text, n, warnings = _import_islands(src, ds, crs)
    if n == 0:
        raise DataError(src.name, "no rows: nothing to import")
    target = folder / KINDS[kind]
    if kind == "islands":  # what is written must read back
        _in_temp_csv(pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False), ISLANDS_OVERLAY,
                     lambda p: read_islands_overlay(p, ds.islands(with_overlay=False)))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImportRefused(str(folder), f"cannot create the overlay folder: {exc.strerror or exc}") from None
    write_text_atomic(target, text, what=f"{kind} layer")
    if kind == "zones":  # one zones file in the overlay: the table written now
        for other in organisation.ZONE_FILES[1:]:
            (folder / other).unlink(missing_ok=True)
    label = _crs_label(crs, src) if kind in ("stations", "piers", "islands", "supply-stations", "demo-posts",
                                             "zones") else "-"
    return ImportResult(kind=kind, source=src, target=target, rows=n, crs=label, warnings=tuple(warnings))


# ---------------------------------------------------------------------- checking a data set
def _required(table: pd.DataFrame, name: str, columns: tuple[str, ...]) -> list[DataError]:
    out = []
    for col in columns:
        if col not in table.columns:
            out.append(DataError(name, "missing column", field=col))
            continue
        for i, v in enumerate(table[col].astype(str).str.strip(), start=1):
            if v == "" or v.lower() in ("nan", "none"):
                out.append(DataError(name, f"missing {col}", row=i, field=col))
    return out


def _duplicates(table: pd.DataFrame, name: str, columns: tuple[str, ...]) -> list[DataError]:
    out = []
    for col in columns:
        if col not in table.columns:
            continue
        values = table[col].astype(str).str.strip()
        first: dict[str, int] = {}
        for i, v in enumerate(values, start=1):
            if not v:
                continue
            if v in first:
                what = "id" if col == "id" else "name"
                out.append(DataError(name, f"duplicate {what} '{v}' (also row {first[v]})", row=i, field=col))
            else:
                first[v] = i
    return out


def _try(problems: list[DataError], read: Callable[[], object]) -> object | None:
    try:
        return read()
    except DataError as exc:
        problems.append(exc)
    except IslandcoverError as exc:
        problems.append(DataError("data", str(exc)))
    return None


def check_data(folder: str | Path | None = None) -> list[DataError]:
    """Everything wrong or incomplete in a data set (the shipped one with the overlay ``folder``
    over it, as :meth:`Archipelago.load` reads it), every problem at once.

    Reported: missing required fields, duplicate ids and names (stations, teams, piers,
    ferries), stations on open water, teams at unknown stations, sailings at unknown piers,
    powered islands without a landing (no station and no pier on them), and any other problem
    the readers find (the first of each file).

    Parameters
    ----------
    folder : path, optional
        A data overlay or complete data set; default the shipped data set alone.

    Returns
    -------
    list of DataError
        Empty when the data set is clean; each names the file, the row and the field.
    """
    problems: list[DataError] = []
    folder = Path(folder) if folder is not None else None
    ds = _DataSet(folder)
    islands = _try(problems, lambda: ds.islands())
    if not isinstance(islands, gpd.GeoDataFrame):
        return problems
    landed: set[str] = set()
    landings_known = True  # False when the stations or piers cannot be read: no landing check then

    # stations
    path = ds.path("stations.geojson")
    station_ids: set[str] = set()
    table = _try(problems, lambda: io.read_points(path))
    if isinstance(table, tuple):
        raw, lon, lat, name = table
        raw = raw.astype(object).where(raw.notna(), "").astype(str)
        found = _required(raw, name, ("id", "name_zh")) + _duplicates(raw, name, ("id", "name_zh"))
        station_ids = {s for s in raw["id"].str.strip() if s} if "id" in raw.columns else set()
        pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(METRIC_CRS)
        land = islands.geometry.to_crs(METRIC_CRS)
        for i, p in enumerate(pts, start=1):
            d = float(land.distance(p).min())
            if not np.isfinite(d) or d > io.MAX_STATION_OFFSHORE_M:
                found.append(DataError(name, f"station ({lon[i - 1]:.5f}, {lat[i - 1]:.5f}) is off every island, "
                                       f"{d / 1000:.1f} km from the nearest land", row=i, field="lon/lat"))
        problems += found
        st = None if found else _try(problems, lambda: io.read_stations(path, islands))
        if isinstance(st, gpd.GeoDataFrame):
            landed |= set(st["island_id"])
        else:
            landings_known = False
    else:
        landings_known = False

    # teams
    path = ds.path("teams.csv")
    tab = _try(problems, lambda: attribute_table(path)) if path.exists() else None
    if isinstance(tab, pd.DataFrame):
        found = _required(tab, path.name, ("id", "station_id", "boat_class", "head_count"))
        found += _duplicates(tab, path.name, ("id",))
        if "station_id" in tab.columns:
            for i, s in enumerate(tab["station_id"].astype(str).str.strip(), start=1):
                if s and s not in station_ids:
                    tid = str(tab["id"].iloc[i - 1]) if "id" in tab.columns else ""
                    found.append(DataError(path.name, f"team {tid} is at unknown station '{s}'", row=i,
                                           field="station_id"))
        problems += found
        if not found:
            _try(problems, lambda: io.read_teams(path, station_ids))
    elif not path.exists():
        problems.append(DataError(path.name, f"file not found: {path}"))

    # piers and ferries
    path = ds.path("piers.csv")
    pier_ids: set[str] = set()
    if path.exists():
        tab = _try(problems, lambda: attribute_table(path))
        if isinstance(tab, pd.DataFrame):
            found = _required(tab, path.name, ("id", "name_zh", "island", "lon", "lat"))
            found += _duplicates(tab, path.name, ("id",))
            pier_ids = {s for s in tab["id"].astype(str).str.strip() if s} if "id" in tab.columns else set()
            problems += found
            piers = None if found else _try(problems, lambda: ferry_io.read_piers(path, islands, ds.resolve()))
            if isinstance(piers, gpd.GeoDataFrame):
                landed |= set(piers["island_id"])
            else:
                landings_known = False
    path = ds.path("ferries.csv")
    if path.exists():
        tab = _try(problems, lambda: attribute_table(path))
        if isinstance(tab, pd.DataFrame):
            found = _required(tab, path.name, ("id", "name_zh", "service", "from_pier", "to_pier"))
            found += _duplicates(tab, path.name, ("id",))
            for col in ("from_pier", "to_pier"):
                if col in tab.columns:
                    for i, s in enumerate(tab[col].astype(str).str.strip(), start=1):
                        if s and s not in pier_ids:
                            found.append(DataError(path.name, f"unknown pier '{s}'", row=i, field=col))
            problems += found
            if not found:
                _try(problems, lambda: ferry_io.read_ferries(path, pd.Index(sorted(pier_ids))))

    # powered islands without a landing
    overlay_ids: set[str] = set()
    if ds.path(ISLANDS_OVERLAY).exists():
        overlay_ids = set(attribute_table(ds.path(ISLANDS_OVERLAY))["id"].astype(str).str.strip())
    for iid, r in islands[islands["powered"]].iterrows() if landings_known else ():
        if iid not in landed:
            label = r["name_zh"] if isinstance(r["name_zh"], str) else iid
            src = ISLANDS_OVERLAY if iid in overlay_ids else "islands.geojson"
            problems.append(DataError(src, f"powered island {label} ({iid}) has no landing: no station and no pier "
                                      "on it (import a station or a pier on it)"))
    return problems
