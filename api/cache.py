"""Answers cached on the live state: the beacon chart (``GET /map``), ``/nearest`` and ``/cutoff``.

An answer of ``/nearest`` or ``/cutoff`` depends only on its query and the live team statuses.
The store keeps a counter bumped by every write (:meth:`islandcover.store.Store.version`); each
request reads it, and only when it has moved on are the statuses read again. Answers are kept
under the statuses they were computed from (their fingerprint is part of the key), and when the
statuses change every kept answer is dropped. A write that leaves the statuses as they were (a
team's position, a new incident not yet assigned, a scenario, a key) keeps the answers. The
counter lives in the database, so every uvicorn worker sees another worker's writes.

Order matters: the version is read *before* the statuses. Statuses read for version ``v``
therefore include every write up to ``v`` (a write racing with the read can only make them
newer), and a request that reads ``v`` started after every write acknowledged before it.

The beacon chart reads no live state: it is a function of its weather, its scenario (the stored
spec, read at each request; a stored scenario never changes) and its language, so it is kept
under those and is not rendered again after writes that cannot change it.

Each cache is a bounded LRU (:class:`islandcover._plumbing.LRUCache`) plus a table of computations in
flight: concurrent requests for one key wait for one computation (a chart is rendered once, not
once per client). Errors are not kept: the waiters of a failed computation get its exception,
the next request tries again.

Caching is on by default; ``ISLANDCOVER_API_CACHE=0`` (or ``off``, ``false``, ``no``) turns it off,
which is how ``bench/bench_api_load.py`` measures the baseline in the same run.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Annotated, Generic, Protocol, TypeVar

from fastapi import Depends, FastAPI, Request

from islandcover._plumbing import LRUCache

__all__ = [
    "CACHE_ENV",
    "CHART_CACHE_CONTROL",
    "ApiCache",
    "Cache",
    "Chart",
    "LiveStatuses",
    "SingleFlightCache",
    "app_cache",
    "etag_matches",
    "get_cache",
    "stable_ids",
    "strong_etag",
]

#: Environment variable that turns the API's answer caches off (``0``, ``off``, ``false``, ``no``).
CACHE_ENV = "ISLANDCOVER_API_CACHE"

#: ``Cache-Control`` of the beacon chart: anyone may keep it a minute, then must ask again (a 304
#: when it has not changed). The chart of a query has no personal data and no live team status.
CHART_CACHE_CONTROL = "public, max-age=60, must-revalidate"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _absent() -> object:  # pragma: no cover - only called for a key known to be present
    raise KeyError("cache entry vanished under the lock")


class SingleFlightCache(Generic[K, V]):
    """At most ``size`` computed values, each computed once even when asked for concurrently.

    Parameters
    ----------
    size : int
        Largest number of values kept (least recently used dropped first).

    Attributes
    ----------
    hits, misses, waits : int
        Values served from the cache; computed (and kept); served by waiting for a
        computation of the same key already in flight.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._lru: LRUCache[K, V] = LRUCache(size)
        self._inflight: dict[K, Future[V]] = {}
        self._generation = 0
        self.hits = self.misses = self.waits = 0

    def __len__(self) -> int:
        return len(self._lru)

    def clear(self) -> None:
        """Drop every kept value; computations in flight finish for their callers but are not kept."""
        with self._lock:
            self._lru = LRUCache(self.size)
            self._inflight = {}
            self._generation += 1

    def peek(self, key: K) -> V | None:
        """The value for ``key`` if it is kept (a hit), else None (nothing is computed or counted)."""
        with self._lock:
            if key in self._lru:
                self.hits += 1
                return self._lru.get(key, _absent)  # type: ignore[arg-type]
        return None

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value for ``key``, computed by ``compute()`` when absent.

        Parameters
        ----------
        key : hashable
            Everything the value depends on.
        compute : callable
            Computes the value; called outside the lock, at most once at a time per key.
        """
        with self._lock:
            if key in self._lru:
                self.hits += 1
                return self._lru.get(key, _absent)  # type: ignore[arg-type]
            fut = self._inflight.get(key)
            owner = fut is None
            if fut is None:
                fut = self._inflight[key] = Future()
                self.misses += 1
            else:
                self.waits += 1
            generation = self._generation
        if not owner:
            return fut.result()
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                if self._inflight.get(key) is fut:
                    del self._inflight[key]
            fut.set_exception(exc)
            raise
        with self._lock:
            if self._inflight.get(key) is fut:
                del self._inflight[key]
            if generation == self._generation:
                self._lru.get(key, lambda: value)
        fut.set_result(value)
        return value


class StatusStore(Protocol):
    """What :class:`ApiCache` reads from the store (:class:`islandcover.store.Store`)."""

    def version(self) -> int: ...

    def statuses(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class LiveStatuses:
    """The live team statuses as of a state version, with a fingerprint to key answers on."""

    version: int
    statuses: dict[str, str]
    fingerprint: Hashable


# ---------------------------------------------------------------------- the beacon chart
@dataclass(frozen=True)
class Chart:
    """A rendered beacon chart: the page (UTF-8) and its strong ETag."""

    html: bytes
    etag: str


_FOLIUM_ID = re.compile(r"(?<=[a-z0-9]_)[0-9a-f]{32}(?![0-9A-Za-z])")


def stable_ids(html: str) -> str:
    """The page with folium's random element ids (``map_<32 hex>``) numbered in order of appearance.

    folium names every element ``<kind>_<uuid4 hex>``, so two renders of one chart differ only in
    those names. Numbering them makes the page a function of its query: every worker, and every
    render after an eviction, gives the same bytes and so the same ETag.

    Parameters
    ----------
    html : str
        A rendered folium page.
    """
    seen: dict[str, str] = {}

    def number(m: re.Match[str]) -> str:
        return seen.setdefault(m.group(0), f"{len(seen):032x}")

    return _FOLIUM_ID.sub(number, html)


def strong_etag(body: bytes) -> str:
    """A strong ETag of ``body``: its SHA-256 (first 160 bits, hex), quoted."""
    return f'"{hashlib.sha256(body).hexdigest()[:40]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header matches ``etag`` (RFC 9110: weak comparison, ``*`` matches).

    Parameters
    ----------
    if_none_match : str or None
        The header, e.g. ``"abc", W/"def"`` or ``*``.
    etag : str
        The current ETag, quoted.
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = (t.strip() for t in if_none_match.split(","))
    return any(t.removeprefix("W/") == etag for t in tags)


# ---------------------------------------------------------------------- the app's caches
def _enabled_from_env() -> bool:
    return os.environ.get(CACHE_ENV, "1").strip().lower() not in ("0", "off", "false", "no")


class ApiCache:
    """The answer caches of one app (one per uvicorn worker).

    Parameters
    ----------
    enabled : bool, optional
        False computes every answer and reads the statuses at every request (the baseline);
        default from ``$ISLANDCOVER_API_CACHE``.
    chart_size : int
        Charts kept (about 1 MB each).
    answer_size : int
        ``/nearest`` and ``/cutoff`` answers kept (a few kB each).
    """

    def __init__(self, *, enabled: bool | None = None, chart_size: int = 16, answer_size: int = 4096) -> None:
        self.enabled = _enabled_from_env() if enabled is None else enabled
        self.charts: SingleFlightCache[Hashable, Chart] = SingleFlightCache(chart_size)
        self.answers: SingleFlightCache[Hashable, bytes] = SingleFlightCache(answer_size)
        self._lock = threading.Lock()
        self._live: LiveStatuses | None = None

    def live_statuses(self, store: StatusStore) -> LiveStatuses:
        """The team statuses, read again only when the state version has moved on.

        A change of statuses drops every kept answer.

        Parameters
        ----------
        store : Store
            The live state.
        """
        if not self.enabled:
            return LiveStatuses(-1, store.statuses(), None)
        version = store.version()  # first: the statuses read after it include every write up to it
        live = self._live
        if live is not None and version <= live.version:
            return live
        statuses = store.statuses()
        fresh = LiveStatuses(version, statuses, tuple(sorted(statuses.items())))
        with self._lock:
            if self._live is None or version > self._live.version:
                if self._live is not None and self._live.fingerprint != fresh.fingerprint:
                    self.answers.clear()
                self._live = fresh
        return fresh

    def answer(self, key: Hashable, compute: Callable[[], bytes]) -> bytes:
        """A JSON answer for ``key`` (which includes the statuses' fingerprint), computed once.

        Parameters
        ----------
        key : hashable
            The route, its query and :attr:`LiveStatuses.fingerprint`.
        compute : callable
            The answer's JSON body.
        """
        if not self.enabled:
            return compute()
        return self.answers.get(key, compute)

    def kept_chart(self, key: Hashable) -> Chart | None:
        """The chart for ``key`` if it is kept (never renders: safe on the event loop)."""
        return self.charts.peek(key) if self.enabled else None

    def chart(self, key: Hashable, render: Callable[[], str]) -> Chart:
        """The chart for ``key`` (weather, scenario, language), rendered once.

        Parameters
        ----------
        key : hashable
            The query, with the stored scenario's spec.
        render : callable
            Renders the page.
        """

        def build() -> Chart:
            html = stable_ids(render()).encode("utf-8")
            return Chart(html=html, etag=strong_etag(html))

        if not self.enabled:
            return build()
        return self.charts.get(key, build)


_create_lock = threading.Lock()


def app_cache(app: FastAPI) -> ApiCache:
    """The app's :class:`ApiCache` (``app.state.ic_cache``), created on first use.

    Set ``app.state.ic_cache`` before the first request to choose the options.
    """
    cache: ApiCache | None = getattr(app.state, "ic_cache", None)
    if cache is None:
        with _create_lock:
            cache = getattr(app.state, "ic_cache", None)
            if cache is None:
                cache = app.state.ic_cache = ApiCache()
    return cache


async def get_cache(request: Request) -> ApiCache:
    """Dependency: the answer caches of this app (``async``: no thread needed to look it up)."""
    return app_cache(request.app)


Cache = Annotated[ApiCache, Depends(get_cache)]
