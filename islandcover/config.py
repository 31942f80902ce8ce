"""The configuration of a run, read once, and the fixed facts of the model.

:class:`Config` is the one place the environment is read (:meth:`Config.from_env`): the
command line reads it once in :func:`islandcover.cli.main`, the API once in
:func:`api.app.create_app`, and both pass its fields on explicitly (the data folder to
:meth:`~islandcover.archipelago.Archipelago.load`, the cache folder to
:func:`~islandcover.travel.network.load_network`, the state to
:meth:`~islandcover.store.Store.open`). Library functions called without them use the
defaults below, never the environment.

The data folder is an **overlay** over the shipped data set: :meth:`Archipelago.load(folder)
<islandcover.archipelago.Archipelago.load>` reads each file from ``folder`` when it is there and
from :data:`DEFAULT_DATA_DIR` otherwise (a folder with its own ``islands.geojson`` is a complete
data set instead). ``islandcover import`` writes the operator's layers into it. Unset, it is
``<state_dir>/data``, which does not exist until the first import: the shipped data alone.

The module constants are the defaults of those fields. The facts that never change at run time
(the archipelago's bounds, coordinate systems, districts, travel modes) are in
:mod:`islandcover.facts`; user-tunable travel values (speeds, wind limits) in a TOML file
(:mod:`islandcover.travel.vessels`).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from islandcover.errors import IslandcoverError

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_DATA_DIR",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_OVERLAY_NAME",
    "DEFAULT_STATE_DIR",
    "ENV",
    "Config",
]

#: The shipped data set (a source checkout, installed with ``pip install -e .``).
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "islands"
#: Where the built travel network is cached.
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "islandcover"
#: Folder of the SQLite live state (``state.db``).
DEFAULT_STATE_DIR = Path.home() / ".local" / "share" / "islandcover"
#: Name of the default data overlay, a folder in the state folder (``<state_dir>/data``).
DEFAULT_OVERLAY_NAME = "data"
#: Largest request body the API reads, bytes.
DEFAULT_MAX_BODY_BYTES = 1_000_000

#: Environment variable of each :class:`Config` field.
ENV: Mapping[str, str] = {
    "data_dir": "ISLANDCOVER_DATA",
    "cache_dir": "ISLANDCOVER_CACHE",
    "state_dir": "ISLANDCOVER_STATE_DIR",
    "database_url": "ISLANDCOVER_DATABASE_URL",
    "max_body_bytes": "ISLANDCOVER_MAX_BODY_BYTES",
    "api_cache": "ISLANDCOVER_API_CACHE",
    "public_lanes": "ISLANDCOVER_PUBLIC_LANES",
}


@dataclass(frozen=True)
class Config:
    """Where a run finds its data, cache and state, and the API's limits.

    Build with :meth:`from_env` (once per process) or directly; :meth:`replace` for a copy with
    some fields changed (the command line's ``--state-dir``, …).

    Attributes
    ----------
    data_dir : Path
        The data overlay (``$ISLANDCOVER_DATA``; default ``<state_dir>/data``): the operator's
        layers written by ``islandcover import`` (``stations.geojson``, ``teams.csv``,
        ``piers.csv``, ``ferries.csv``, ``islands_overlay.csv``), each used instead of the
        shipped one; every file it lacks comes from the shipped data set
        (:data:`DEFAULT_DATA_DIR`). The default overlay follows ``state_dir`` (also through
        :meth:`replace`) and may not exist yet (:meth:`data_folder`). Never the shipped folder
        itself unless set so explicitly.
    cache_dir : Path
        The travel-network cache (``$ISLANDCOVER_CACHE``; default ``~/.cache/islandcover``).
    state_dir : Path
        Folder of the SQLite live state ``state.db`` (``$ISLANDCOVER_STATE_DIR``; default
        ``~/.local/share/islandcover``).
    database_url : str or None
        A SQLAlchemy URL of the live state (``$ISLANDCOVER_DATABASE_URL``, e.g.
        ``postgresql+psycopg://…``); wins over ``state_dir``.
    max_body_bytes : int
        Largest request body the API reads (``$ISLANDCOVER_MAX_BODY_BYTES``; default 1 MB).
    api_cache : bool
        Keep charts and dispatch answers per worker (``$ISLANDCOVER_API_CACHE``: ``0``, ``off``,
        ``false`` or ``no`` turn it off; default on). :mod:`api.cache`.
    public_lanes : int
        Public chart requests one API worker serves at once, so that dispatch never queues
        behind them (``$ISLANDCOVER_PUBLIC_LANES``; 0: no limit; default 1). :mod:`api.priority`.
    """

    data_dir: Path = None  # type: ignore[assignment]  # set in __post_init__: <state_dir>/data
    cache_dir: Path = DEFAULT_CACHE_DIR
    state_dir: Path = DEFAULT_STATE_DIR
    database_url: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    api_cache: bool = True
    public_lanes: int = 1

    def __post_init__(self) -> None:
        if self.data_dir is None:
            object.__setattr__(self, "data_dir", Path(self.state_dir) / DEFAULT_OVERLAY_NAME)

    @property
    def default_overlay(self) -> bool:
        """True when :attr:`data_dir` is the default overlay ``<state_dir>/data`` (not set explicitly)."""
        return Path(self.data_dir) == Path(self.state_dir) / DEFAULT_OVERLAY_NAME

    def data_folder(self) -> Path | None:
        """The folder to pass to :meth:`Archipelago.load <islandcover.archipelago.Archipelago.load>`:
        :attr:`data_dir`, or None (the shipped data alone) while the default overlay does not exist.

        Raises
        ------
        IslandcoverError
            ``$ISLANDCOVER_DATA`` names a folder that does not exist.
        """
        folder = Path(self.data_dir)
        if folder.is_dir():
            return folder
        if self.default_overlay:
            return None
        raise IslandcoverError(f"{ENV['data_dir']}={folder}: no such folder (unset it to use the shipped data "
                               "with the default overlay, or create it)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """The configuration of the environment (``os.environ`` unless given); unset or empty
        variables keep their defaults.

        Raises
        ------
        IslandcoverError
            ``$ISLANDCOVER_MAX_BODY_BYTES`` is not a positive whole number, or
            ``$ISLANDCOVER_PUBLIC_LANES`` not a whole number.
        """
        env = os.environ if environ is None else environ
        got = {name: env[var] for name, var in ENV.items() if env.get(var)}
        values: dict[str, object] = {k: Path(v).expanduser() for k, v in got.items() if k.endswith("_dir")}
        if "database_url" in got:
            values["database_url"] = got["database_url"]
        if "max_body_bytes" in got:
            text = got["max_body_bytes"].strip()
            if not (text.isascii() and text.isdigit() and int(text) > 0):
                raise IslandcoverError(f"{ENV['max_body_bytes']}={got['max_body_bytes']!r}: give a positive whole "
                                 "number of bytes")
            values["max_body_bytes"] = int(text)
        if "api_cache" in got:
            values["api_cache"] = got["api_cache"].strip().lower() not in ("0", "off", "false", "no")
        if "public_lanes" in got:
            text = got["public_lanes"].strip()
            if not (text.isascii() and text.isdigit()):
                raise IslandcoverError(f"{ENV['public_lanes']}={got['public_lanes']!r}: give a whole number ≥ 0 "
                                       "(0: no limit)")
            values["public_lanes"] = int(text)
        return cls(**values)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> Config:
        """A copy with ``changes``; ``None`` values are ignored (an option not given). The default
        overlay follows a changed ``state_dir``."""
        given = {k: v for k, v in changes.items() if v is not None}
        if "state_dir" in given and "data_dir" not in given and self.default_overlay:
            given["data_dir"] = Path(given["state_dir"]) / DEFAULT_OVERLAY_NAME  # type: ignore[arg-type]
        return replace(self, **given)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The environment that :meth:`from_env` reads back as this configuration: how it reaches
        processes started from an import string (uvicorn's workers)."""
        out = {}
        for f in fields(self):
            if f.name == "data_dir" and self.default_overlay:
                continue  # read back as <state_dir>/data, and allowed not to exist yet
            value = getattr(self, f.name)
            if isinstance(value, bool):
                out[ENV[f.name]] = "1" if value else "0"
            elif value is not None:
                out[ENV[f.name]] = str(value)
        return out
