"""The errors islandcover raises for user mistakes.

Every error is a ``ValueError`` subclass whose message names the thing, the value and what
is allowed, so that the CLI can print it as one line and the API can return it as a 422/404.
"""
from __future__ import annotations

__all__ = [
    "IslandcoverError",
    "DataError",
    "UnknownIsland",
    "UnknownStation",
    "UnknownTeam",
    "OutsideArchipelago",
    "UnknownCRS",
    "UnknownPlace",
    "PointAtSea",
    "NoLanding",
]


class IslandcoverError(ValueError):
    """Base class of every error islandcover raises for bad input."""


class DataError(IslandcoverError):
    """A data file is malformed: names the file, the row (1-based, after the header) and the field.

    Parameters
    ----------
    source : str
        File name (or other description of the input).
    problem : str
        What is wrong and what is allowed.
    row : int, optional
        1-based data row (GeoJSON: feature number), when the problem is in one row.
    field : str, optional
        Column or property name.
    """

    def __init__(self, source: str, problem: str, *, row: int | None = None, field: str | None = None):
        self.source = source
        self.row = row
        self.field = field
        self.problem = problem
        where = source
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")


class UnknownIsland(IslandcoverError):
    """No island matches the given id or name."""


class UnknownStation(IslandcoverError):
    """No station has the given id."""


class UnknownTeam(IslandcoverError):
    """No team has the given id."""


class OutsideArchipelago(IslandcoverError):
    """A coordinate lies outside the archipelago's bounds."""


class UnknownCRS(IslandcoverError):
    """A coordinate reference system islandcover does not accept."""


class UnknownPlace(IslandcoverError):
    """No station, service point or pier has the given id."""


class PointAtSea(IslandcoverError):
    """A point that no travel mode can start from or reach: too far from every sea lane, or at
    sea for a mode that only stops at piers."""


class NoLanding(IslandcoverError):
    """An island with no station, service point or pier: no team lands there (give a point on it)."""
