"""A bounded, thread-safe least-recently-used cache (per-scenario graphs, searches, matrices).

Scenarios arrive one after another (a typhoon replay makes one per hour); keeping every
scenario's graph would grow without end, so each cache holds only the most recent ones.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LRUCache"]

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

    def pop(self, key: K) -> V | None:
        """Remove ``key``; return its value, or None when it was not there."""
        with self._lock:
            return self._data.pop(key, None)
