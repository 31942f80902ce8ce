"""Two small mechanisms the package shares: atomic file writes and a bounded LRU cache.

- :func:`write_text_atomic`: readers see the old file or the new one, never half a file
  (the CLI's outputs, the charts, the network cache).
- :class:`LRUCache`: a bounded, thread-safe least-recently-used cache for per-scenario graphs,
  searches and matrices. Scenarios arrive one after another (a typhoon replay makes one per
  hour); keeping every scenario's graph would grow without end, so each cache holds only the
  most recent ones.

Private to the package (the leading underscore): its names are imported by the modules that
use them, never re-exported.
"""
from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

from islandcover.errors import IslandcoverError

__all__ = ["LRUCache", "write_text_atomic"]


def write_text_atomic(path: str | Path, text: str, *, what: str = "file") -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temporary file in the same folder,
    flushed to disk, then moved over ``path`` in one step; nothing is left behind on failure.

    Parameters
    ----------
    path : str or Path
        The file to write; its folder must exist.
    text : str
        The content.
    what : str
        What is being written, for the error message (``"travel-time matrix"``).

    Raises
    ------
    IslandcoverError
        If the folder does not exist, ``path`` is a folder, or the write fails.
    """
    target = Path(path).resolve()
    if not target.parent.is_dir():
        raise IslandcoverError(f"cannot write the {what} to {target}: folder {target.parent} does not exist")
    if target.is_dir():
        raise IslandcoverError(f"cannot write the {what} to {target}: it is a folder")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise IslandcoverError(f"cannot write the {what} to {target}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """A mapping of at most ``size`` entries; the least recently used one is dropped first.

    Parameters
    ----------
    size : int
        Largest number of entries kept (at least 1).
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"cache size must be at least 1, got {size}")
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value for ``key``, computed by ``compute()`` (outside the lock) when absent."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def items(self) -> list[tuple[K, V]]:
        """A snapshot of the entries, least recently used first (does not change their order)."""
        with self._lock:
            return list(self._data.items())

    def clear(self) -> None:
        """Remove every entry."""
        with self._lock:
            self._data.clear()

    def pop(self, key: K) -> V | None:
        """Remove ``key``; return its value, or None when it was not there."""
        with self._lock:
            return self._data.pop(key, None)
