"""The operator's list of powered islands, applied over the island polygons (``islands_overlay.csv``).

``islandcover import islands FILE`` (:mod:`islandcover.data_import`) writes the table;
:meth:`islandcover.archipelago.Archipelago.load` reads it with :func:`read_islands_overlay` and
applies it with :func:`apply_islands_overlay`. The table only updates ``powered``,
``population`` and ``pop_year`` of islands already loaded; the polygons are not replaced.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from islandcover.errors import DataError
from islandcover.io import files as io

__all__ = [
    "FALSE_WORDS",
    "ISLANDS_OVERLAY",
    "ISLANDS_OVERLAY_COLUMNS",
    "TRUE_WORDS",
    "apply_islands_overlay",
    "attribute_table",
    "flag_value",
    "read_islands_overlay",
    "whole_number",
]

#: The file of the operator's powered islands in a data overlay.
ISLANDS_OVERLAY = "islands_overlay.csv"
#: Its columns; an empty ``population`` or ``pop_year`` keeps the shipped value.
ISLANDS_OVERLAY_COLUMNS = ("id", "name_zh", "powered", "population", "pop_year")
#: Words read as true and as false in a flag column.
TRUE_WORDS = ("true", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "0", "no", "n", "否")


def attribute_table(path: Path) -> pd.DataFrame:
    """The attributes of a CSV, GeoJSON or GeoPackage as text (geometry dropped), one row a feature."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(name, f"not a readable UTF-8 CSV file ({exc})") from exc
    if suffix not in (".geojson", ".json", ".gpkg"):
        raise DataError(name, f"unsupported file type '{suffix}': use .geojson, .gpkg or .csv")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for malformed files
        raise DataError(name, f"cannot be read as {suffix[1:].upper()} ({exc})") from exc
    table = pd.DataFrame(gdf.drop(columns="geometry", errors="ignore"))
    return table.apply(lambda c: c.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                       else str(v).lower() if isinstance(v, bool) else str(v)))


def flag_value(text: str, name: str, row: int, field: str) -> bool:
    """A true/false cell (also 1/0, yes/no, 是/否), or a DataError naming the row and field."""
    t = text.strip().lower()
    if t in TRUE_WORDS:
        return True
    if t in FALSE_WORDS:
        return False
    raise DataError(name, f"'{text}' is not true or false (also 1/0, yes/no, 是/否)", row=row, field=field)


def whole_number(text: str, name: str, row: int, field: str, lo: int, hi: int) -> int | None:
    """A whole number ``lo``–``hi`` (commas allowed), None when empty, or a DataError naming the row and field."""
    t = text.strip().replace(",", "")
    if not t:
        return None
    try:
        v = float(t)
    except ValueError:
        v = float("nan")
    if not (v.is_integer() and lo <= v <= hi):
        raise DataError(name, f"must be a whole number {lo}–{hi}, got {text!r}", row=row, field=field)
    return int(v)


def read_islands_overlay(path: Path, islands: gpd.GeoDataFrame) -> pd.DataFrame:
    """Read and validate ``islands_overlay.csv`` (as :func:`import_layer` writes it).

    Columns :data:`ISLANDS_OVERLAY_COLUMNS`: ``id`` a loaded island's, ``powered`` true or false,
    ``population`` and ``pop_year`` whole numbers or empty (keep the shipped value).

    Returns
    -------
    pandas.DataFrame
        Indexed by island id: ``powered`` (bool), ``population`` and ``pop_year`` (Int64, NA to keep).

    Raises
    ------
    DataError
        Naming the file, row and field.
    """
    path = Path(path)
    name = path.name
    table = attribute_table(path)
    ids = io.required_text(table, name, "id")
    io.unique_ids(ids, name)
    powered = io.required_text(table, name, "powered")
    for col in ("population", "pop_year"):
        if col not in table.columns:
            table[col] = ""
    pops, years, flags = [], [], []
    for i, iid in enumerate(ids, start=1):
        if iid not in islands.index:
            raise DataError(name, f"no island with id '{iid}'", row=i, field="id")
        flags.append(flag_value(powered.iloc[i - 1], name, i, "powered"))
        pops.append(whole_number(str(table["population"].iloc[i - 1]), name, i, "population", 0, 10_000_000))
        years.append(whole_number(str(table["pop_year"].iloc[i - 1]), name, i, "pop_year", 1900, 2100))
    return pd.DataFrame({"powered": flags, "population": pd.array(pops, dtype="Int64"),
                         "pop_year": pd.array(years, dtype="Int64")}, index=pd.Index(ids.values, name="id"))


def apply_islands_overlay(islands: gpd.GeoDataFrame, overlay: pd.DataFrame) -> gpd.GeoDataFrame:
    """A copy of ``islands`` with the overlay's ``powered``, ``population`` and ``pop_year`` (where given)."""
    out = islands.copy()
    if "pop_year" not in out.columns:
        out["pop_year"] = pd.array([None] * len(out), dtype="Int64")
    for iid, r in overlay.iterrows():
        out.at[iid, "powered"] = bool(r["powered"])
        if "powered_basis" in out.columns:
            out.at[iid, "powered_basis"] = "the operator's list (islands_overlay.csv)"
        if pd.notna(r["population"]):
            out.at[iid, "population"] = int(r["population"])
            out.at[iid, "pop_year"] = None if pd.isna(r["pop_year"]) else int(r["pop_year"])
            if "pop_kind" in out.columns:
                out.at[iid, "pop_kind"] = "the operator's list (islands_overlay.csv)"
        elif pd.notna(r["pop_year"]):
            out.at[iid, "pop_year"] = int(r["pop_year"])
    out["powered"] = out["powered"].astype(bool)
    out["population"] = pd.array(out["population"], dtype="Int64")
    return out
