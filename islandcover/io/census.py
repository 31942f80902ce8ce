"""People on one basis: the 2020 census, carried down from districts to islands by a written rule.

Published island figures come from different years and kinds (2000 and 2010 census tables,
township totals, undated encyclopedia figures), and the census of 2020 is published only down
to the district (for Zhoushan: 定海区 500,030, 普陀区 382,902, 岱山县 207,982, 嵊泗县 66,903;
``data/islands/census.csv``). :func:`people_2020` puts every island on the 2020 basis:

1. An island with a published figure ``P`` of year ``y`` in district ``d`` gets
   ``P × min(1, T_d(2020) / T_d(y))``, where ``T_d`` is the district's census total (linear
   between census years; the earliest known total before them; factor 1 when ``y`` is not
   stated). A figure is never raised: small islands have been losing people faster than their
   districts, so a growing district does not make them grow; a shrinking one (嵊泗) shrinks them.
2. Islands with no residents (``people_basis`` ``industrial`` or ``emptied``) get 0.
3. The main island of each district (``people_basis`` ``remainder``: the two parts of 舟山岛,
   岱山岛, 泗礁山) gets the district's 2020 total minus the carried figures of all its other
   islands, powered or not. So the islands of a district add up to its census total exactly;
   an overstated small island understates the main island by as much.
4. An island with no published figure and none of these bases keeps no figure (``None``):
   coverage counts it as 0 people and reports it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from islandcover.errors import DataError

__all__ = ["CENSUS_YEAR", "BASES", "read_census", "district_total", "people_2020"]

#: The census year every island figure is carried to.
CENSUS_YEAR = 2020

#: The values of a gazetteer row's ``people_basis``: how its 2020 figure is made.
BASES = ("published", "remainder", "industrial", "emptied")


def read_census(path: Path) -> pd.DataFrame:
    """Read the census totals (``census.csv``: unit, year, population, kind, source_url …).

    Parameters
    ----------
    path : Path
        CSV with one row per unit (city or district) and census year.

    Returns
    -------
    pandas.DataFrame
        The rows, with integer ``year`` and ``population``.
    """
    name = Path(path).name
    try:
        table = pd.read_csv(path, dtype={"unit": str, "kind": str})
    except (OSError, ValueError) as exc:
        raise DataError(name, f"cannot be read ({exc})") from exc
    for col in ("unit", "year", "population", "source_url"):
        if col not in table.columns:
            raise DataError(name, "missing column", field=col)
    for col in ("year", "population"):
        values = pd.to_numeric(table[col], errors="coerce")
        bad = values.isna() | (values <= 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise DataError(name, "must be a positive whole number", row=row, field=col)
        table[col] = values.astype(int)
    return table


def district_total(census: pd.DataFrame, district: str, year: int | None) -> float | None:
    """The census total of ``district`` in ``year``: linear between census years.

    Before the first known census the first total is used, after the last the last. ``None``
    when the district has no total at all or ``year`` is ``None``.
    """
    rows = census[census.unit == district].sort_values("year")
    if rows.empty or year is None:
        return None
    return float(np.interp(year, rows.year.to_numpy(float), rows.population.to_numpy(float)))


def people_2020(gazetteer: pd.DataFrame, census: pd.DataFrame) -> pd.DataFrame:
    """Carry every gazetteer row's people to the 2020 census basis (see the module docstring).

    Parameters
    ----------
    gazetteer : pandas.DataFrame
        Rows with ``name_zh``, ``district``, ``population``, ``pop_year``, ``pop_kind`` and
        ``people_basis`` (empty means ``published``).
    census : pandas.DataFrame
        As read by :func:`read_census`.

    Returns
    -------
    pandas.DataFrame
        Same index as ``gazetteer``: ``people`` (nullable integer) and ``people_kind`` (how the
        figure was made, in words).
    """
    basis = gazetteer.get("people_basis", pd.Series("", index=gazetteer.index)).fillna("").replace("", "published")
    bad = ~basis.isin(BASES)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise DataError("gazetteer.csv", f"people_basis must be one of {', '.join(BASES)}", row=row,
                        field="people_basis")
    people = pd.Series(pd.NA, index=gazetteer.index, dtype="Int64")
    kind = pd.Series("no published figure", index=gazetteer.index, dtype=object)
    for i, row in gazetteer.iterrows():
        b = basis[i]
        if b in ("industrial", "emptied"):
            people[i], kind[i] = 0, f"no residents ({b})"
            continue
        if b == "remainder" or pd.isna(row.population):
            continue
        year = None if pd.isna(row.pop_year) else int(row.pop_year)
        now, then = district_total(census, row.district, CENSUS_YEAR), district_total(census, row.district, year)
        factor = min(1.0, now / then) if now and then else 1.0
        people[i] = int(round(float(row.population) * factor))
        source = f"{int(row.population):,} ({year or 'year not stated'}, {row.pop_kind or 'kind not stated'})"
        kind[i] = source if factor == 1.0 else f"{source} × {factor:.3f} ({row.district} {year}→{CENSUS_YEAR})"
    for i in gazetteer.index[basis == "remainder"]:
        d = gazetteer.at[i, "district"]
        total = district_total(census, d, CENSUS_YEAR)
        if total is None:
            raise DataError("census.csv", f"no {CENSUS_YEAR} total for {d}, needed by the remainder rule",
                            field="unit")
        others = (gazetteer.district == d) & (basis != "remainder")
        n_main = int(((gazetteer.district == d) & (basis == "remainder")).sum())
        if n_main != 1:
            raise DataError("gazetteer.csv", f"{d} has {n_main} remainder islands (one expected)",
                            field="people_basis")
        rest = int(people[others].fillna(0).sum())
        people[i] = int(round(total)) - rest
        kind[i] = f"{d} {CENSUS_YEAR} census {int(round(total)):,} minus its other islands ({rest:,})"
    return pd.DataFrame({"people": people, "people_kind": kind})
