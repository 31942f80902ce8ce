"""Every error islandcover raises for a user's mistake, in one place.

Each is a ``ValueError`` (through :class:`IslandcoverError`) whose message names the thing, the
value and what is allowed, so that the CLI prints it as one line (exit code 2) and the API
answers it without a traceback. Two further bases tell the API which status to give:

- :class:`NotFound` (also a ``LookupError``): the thing named does not exist, 404 when it was
  named in the URL (an unknown island named in a body or query is a 422 naming that field);
- :class:`Conflict`: the request contradicts the live state (a busy team, a closed incident),
  409;
- every other :class:`IslandcoverError`: bad input, 422.

The classes are grouped by the layer that raises them; the layers import them from here.
"""
from __future__ import annotations

__all__ = [
    "IslandcoverError",
    "NotFound",
    "Conflict",
    # data files and the model
    "DataError",
    "UnknownCRS",
    "ImportRefused",
    "OutsideArchipelago",
    "UnknownIsland",
    "UnknownStation",
    "UnknownTeam",
    # travel
    "ConfigError",
    "WeatherError",
    "UnknownPlace",
    "SuspensionError",
    "PointAtSea",
    "NoLanding",
    # planning
    "ScenarioError",
    "SweepError",
    "SitingError",
    # typhoons
    "TrackError",
    "StepError",
    "WindFieldError",
    "EnsembleError",
    # work on a cluster
    "ClusterError",
    # seasons
    "UnknownTerm",
    "YearOutOfRange",
    # the live state
    "StoreError",
    "InvalidText",
    "UnknownIncident",
    "UnknownScenario",
    "UnknownKey",
    "UnknownSuspension",
    "TeamUnavailable",
    "IdempotencyConflict",
]


class IslandcoverError(ValueError):
    """Base class of every error islandcover raises for bad input."""


class NotFound(IslandcoverError, LookupError):
    """Base class: the island, station, team, place, incident, scenario or key named does not exist."""


class Conflict(IslandcoverError):
    """Base class: the request contradicts the current live state (closed incident, busy team …)."""


# ---------------------------------------------------------------------- data files and the model
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


class ImportRefused(DataError):
    """A file ``islandcover import`` does not take as given (an island layer of polygons, a file
    type or kind it cannot write), or a data folder it cannot write into; names the file."""


class UnknownCRS(IslandcoverError):
    """A coordinate reference system islandcover does not accept."""


class OutsideArchipelago(IslandcoverError):
    """A coordinate lies outside the archipelago's bounds."""


class UnknownIsland(NotFound):
    """No island matches the given id or name."""


class UnknownStation(NotFound):
    """No station has the given id."""


class UnknownTeam(NotFound):
    """No team has the given id."""


# ---------------------------------------------------------------------- travel
class ConfigError(IslandcoverError):
    """A travel-parameter file is malformed or holds an impossible value."""


class WeatherError(IslandcoverError):
    """An impossible weather scenario (wind force out of range, bad typhoon radii …)."""


class UnknownPlace(NotFound):
    """No station, service point or pier has the given id."""


class SuspensionError(IslandcoverError):
    """A suspension notice the model cannot apply: unknown scope, route, class, area or bridge."""


class PointAtSea(IslandcoverError):
    """A point that no travel mode can start from or reach: too far from every sea lane, or at
    sea for a mode that only stops at piers."""


class NoLanding(IslandcoverError):
    """An island with no station, service point or pier: no team lands there (give a point on it)."""


# ---------------------------------------------------------------------- planning
class ScenarioError(IslandcoverError):
    """A scenario spec (a JSON object, as ``POST /scenarios`` and ``islandcover compare`` take) that
    is malformed; names the field."""


class SweepError(DataError, ScenarioError):
    """A scenario of a sweep file (``islandcover coverage --sweep``) that is malformed or names a
    station or place the model lacks: names the file, the row (the line of a JSON-lines file, the
    1-based item of a JSON list) and the field (``close[0]``, ``wind`` …)."""


class SitingError(IslandcoverError):
    """A siting problem that cannot be posed or solved as asked (bad p, unreachable demand …)."""


# ---------------------------------------------------------------------- typhoons
class TrackError(DataError):
    """A storm track is malformed: names the file, the row (1-based data row) and the field."""


class StepError(IslandcoverError):
    """A time step that is not a duration from 10 minutes to 24 hours (``--step``, the API's ``step``)."""


class WindFieldError(IslandcoverError):
    """A storm state from which no wind field can be built (names the value and the range)."""


class EnsembleError(IslandcoverError):
    """A typhoon ensemble that cannot be run as asked: members, hours, spread or start out of range."""


# ---------------------------------------------------------------------- work on a cluster
class ClusterError(IslandcoverError):
    """Work that cannot go to workers as asked: a negative number of workers, a scheduler address not
    of the form ``tcp://HOST:PORT``, no scheduler answering there, or dask.distributed missing."""


# ---------------------------------------------------------------------- seasons
class UnknownTerm(IslandcoverError):
    """No solar term has the given name (a 422 naming the parameter, not a 404: the name is a filter)."""


class YearOutOfRange(IslandcoverError):
    """A year (or instant) outside 1900–2100."""


# ---------------------------------------------------------------------- the live state
class StoreError(IslandcoverError):
    """A request the store cannot carry out as asked."""


class InvalidText(StoreError):
    """Text no backend can store alike: a NUL character or a lone UTF-16 surrogate.

    Attributes
    ----------
    field : str
        The name of the refused field (``description``, ``reporter``, ``name`` …).
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class UnknownIncident(NotFound):
    """No incident has the given id."""


class UnknownScenario(NotFound):
    """No scenario has the given id."""


class UnknownKey(NotFound):
    """No API key has the given id."""


class UnknownSuspension(NotFound):
    """No suspension notice in force has the given id."""


class TeamUnavailable(Conflict):
    """The team is not available (busy on another incident, or off duty)."""


class IdempotencyConflict(Conflict):
    """An idempotency key already used for a different request (another island, description or
    reporter)."""

    def __init__(self, msg: str, *, incident_id: int) -> None:
        super().__init__(msg)
        self.incident_id = incident_id
