"""The loaded model, cached on disk: a warm command starts from a pickle, not from the data files.

Loading the archipelago reads and checks a dozen files (GeoJSON polygons, CSV tables, coordinate
systems) and takes about a second; a command-line answer that takes milliseconds should not pay
it each time. :func:`load_archipelago` keys the cache by the *content* of every file the load
may read (the data set's folder, the overlay, the files given on the command line), the CRS
given for them, and the versions of islandcover and of the libraries whose objects are pickled.
Any change to any of them is a different key: the model is loaded from the files again. A
damaged or unreadable cache file is ignored and replaced. Writes are atomic (a temporary
file, then a rename), so a crash never leaves half a cache behind.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from islandcover.archipelago import Archipelago
from islandcover.config import DEFAULT_CACHE_DIR, DEFAULT_DATA_DIR

__all__ = ["MODEL_CACHE_VERSION", "load_archipelago", "model_key"]

#: Bump when the Archipelago's attributes change shape.
MODEL_CACHE_VERSION = "1"


def _files_of(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def model_key(folder: str | Path | None = None, *, stations: str | Path | None = None,
              teams: str | Path | None = None, crs: object | None = None, places: str | Path | None = None) -> str:
    """The cache key of a load: a digest of every input file's path and content, the CRS and versions.

    Parameters
    ----------
    folder, stations, teams, crs, places
        As for :meth:`Archipelago.load <islandcover.archipelago.Archipelago.load>`.
    """
    from islandcover import __version__

    h = hashlib.sha256()
    for part in (MODEL_CACHE_VERSION, __version__, sys.version, pd.__version__, gpd.__version__,
                 shapely.__version__, repr(crs)):
        h.update(part.encode() + b"\0")
    given = [Path(p) for p in (stations, teams, places) if p is not None]
    overlay = Path(folder) if folder is not None else None
    for label, paths in (("base", _files_of(DEFAULT_DATA_DIR)), ("overlay", _files_of(overlay)), ("given", given)):
        for p in paths:  # the full path: the loaded model says where its layers came from
            h.update(f"{label}:{p.resolve()}\0".encode())
            h.update(p.read_bytes() if p.is_file() else b"<missing>")
    return h.hexdigest()[:20]


def load_archipelago(folder: str | Path | None = None, *, stations: str | Path | None = None,
                     teams: str | Path | None = None, crs: object | None = None, places: str | Path | None = None,
                     cache_dir: str | Path | None = None, cache: bool = True) -> Archipelago:
    """:meth:`Archipelago.load <islandcover.archipelago.Archipelago.load>`, through the disk cache.

    Parameters
    ----------
    folder, stations, teams, crs, places
        As for :meth:`Archipelago.load`.
    cache_dir : path, optional
        Folder of the cache (default :data:`islandcover.config.DEFAULT_CACHE_DIR`), shared with
        the travel network's.
    cache : bool
        Read and write the cache (False: load from the files, as :meth:`Archipelago.load`).

    Raises
    ------
    DataError
        As :meth:`Archipelago.load`: errors in the files are found when they are loaded, and a
        model that failed to load is never cached.
    """
    def fresh() -> Archipelago:
        return Archipelago.load(folder, stations=stations, teams=teams, crs=crs, places=places)

    if not cache:
        return fresh()
    try:
        key = model_key(folder, stations=stations, teams=teams, crs=crs, places=places)
    except OSError:
        return fresh()  # an unreadable input: let the loader name it
    path = Path(cache_dir or DEFAULT_CACHE_DIR) / f"model-{key}.pickle"
    if path.exists():
        try:
            with path.open("rb") as f:
                arch = pickle.load(f)
            if isinstance(arch, Archipelago):
                return arch
        except Exception:  # noqa: BLE001 - any damaged cache is rebuilt, never trusted
            pass
    arch = fresh()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(arch, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache folder: answer without caching
    return arch
