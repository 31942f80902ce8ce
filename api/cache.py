"""Answers cached on the live state: the beacon chart (``GET /map``), ``/nearest`` and ``/cutoff``.

An answer of ``/nearest`` or ``/cutoff`` depends only on its query and the live team statuses.
The store keeps a counter bumped by every write (:meth:`islandcover.store.Store.version`); each
request reads it, and only when it has moved on are the statuses read again. When a status has
changed, the kept answers that depend on that team are dropped (each answer says which teams'
statuses it depends on: :class:`Answer`; ``/nearest`` knows, see :mod:`api.routers.dispatch`;
``/cutoff`` depends on every team). A write that leaves the statuses as they were (a team's
position, a new incident not yet assigned, a scenario, a key) keeps every answer. The counter
lives in the database, so every uvicorn worker sees another worker's writes.

Order matters: the version is read *before* the statuses. Statuses read for version ``v``
therefore include every write up to ``v`` (a write racing with the read can only make them
newer), and a request that reads ``v`` started after every write acknowledged before it. An
answer computed from statuses that changed meanwhile is sent to its request but not kept.

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

import gzip
import hashlib
import re
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Annotated, Generic, Protocol, TypeVar

from fastapi import Depends, FastAPI, Request

from api.guard import html_csp
from islandcover._plumbing import LRUCache
from islandcover.situation import Situation

#: Where the chart's optional tile layer loads its images from (off until the user turns it on).
CHART_TILE_SOURCES = ("https://tile.openstreetmap.org",)

__all__ = [
    "CHART_TILE_SOURCES",
    "CHART_CACHE_CONTROL",
    "Answer",
    "ApiCache",
    "Cache",
    "Chart",
    "LiveStatuses",
    "SingleFlightCache",
    "accepts_gzip",
    "app_cache",
    "etag_matches",
    "get_cache",
    "stable_ids",
    "strong_etag",
]


#: ``Cache-Control`` of the beacon chart: anyone may keep it a minute, then must ask again (a 304
#: when it has not changed). The chart of a query has no personal data and no live team status.
CHART_CACHE_CONTROL = "public, max-age=60, must-revalidate"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _absent() -> object:  # pragma: no cover - only called for a key known to be present
    raise KeyError("cache entry vanished under the lock")


class SingleFlightCache(Generic[K, V]):
    """At most ``size`` computed values, each computed once even when asked for concurrently.

    Values may be computed from a state that changes: :meth:`drop` removes the values a change
    makes stale and starts a new *generation*; a value computed from the state of an older
    generation is returned to its callers but not kept.

    Parameters
    ----------
    size : int
        Largest number of values kept (least recently used dropped first).

    Attributes
    ----------
    hits, misses, waits, dropped : int
        Values served from the cache; computed; served by waiting for a computation of the same
        key (and generation) already in flight; removed by :meth:`drop`.
    generation : int
        Bumped by every :meth:`drop`.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._lru: LRUCache[K, V] = LRUCache(size)
        self._inflight: dict[tuple[K, int], Future[V]] = {}
        self.generation = 0
        self.hits = self.misses = self.waits = self.dropped = 0

    def __len__(self) -> int:
        return len(self._lru)

    def __contains__(self, key: object) -> bool:
        return key in self._lru

    def drop(self, stale: Callable[[V], bool]) -> int:
        """Remove every kept value for which ``stale(value)``; start a new generation.

        Computations in flight finish for their callers but are not kept, and later callers do
        not wait for them. Returns how many values were removed.
        """
        with self._lock:
            gone = [key for key, value in self._lru.items() if stale(value)]
            for key in gone:
                self._lru.pop(key)
            self._inflight = {}
            self.generation += 1
            self.dropped += len(gone)
            return len(gone)

    def clear(self) -> None:
        """Remove every kept value (see :meth:`drop`)."""
        self.drop(lambda _: True)

    def peek(self, key: K) -> V | None:
        """The value for ``key`` if it is kept (a hit), else None (nothing is computed or counted)."""
        with self._lock:
            if key in self._lru:
                self.hits += 1
                return self._lru.get(key, _absent)  # type: ignore[arg-type]
        return None

    def get(self, key: K, compute: Callable[[], V], *, generation: int | None = None) -> V:
        """The value for ``key``, computed by ``compute()`` when absent.

        Parameters
        ----------
        key : hashable
            Everything the value depends on besides the state.
        compute : callable
            Computes the value; called outside the lock, at most once at a time per key and
            generation.
        generation : int, optional
            The generation of the state ``compute`` reads (default: the current one). A value
            computed on an older one is not kept.
        """
        with self._lock:
            if key in self._lru:
                self.hits += 1
                return self._lru.get(key, _absent)  # type: ignore[arg-type]
            gen = self.generation if generation is None else generation
            slot = (key, gen)
            fut = self._inflight.get(slot)
            owner = fut is None
            if fut is None:
                fut = self._inflight[slot] = Future()
                self.misses += 1
            else:
                self.waits += 1
        if not owner:
            return fut.result()
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                if self._inflight.get(slot) is fut:
                    del self._inflight[slot]
            fut.set_exception(exc)
            raise
        with self._lock:
            if self._inflight.get(slot) is fut:
                del self._inflight[slot]
            if gen == self.generation:
                self._lru.get(key, lambda: value)
        fut.set_result(value)
        return value


class StatusStore(Protocol):
    """What :class:`ApiCache` reads from the store (:class:`islandcover.store.Store`)."""

    def version(self) -> int: ...

    def situation(self) -> Situation: ...


@dataclass(frozen=True)
class LiveStatuses:
    """The live situation (team statuses, positions, notices) as of a state version, and the
    generation of the answer cache that matches it (pass it to :meth:`ApiCache.answer`)."""

    version: int
    situation: Situation
    generation: int

    @property
    def statuses(self) -> dict[str, str]:
        """Team id → live status."""
        return self.situation.statuses()


@dataclass(frozen=True)
class Answer:
    """A kept JSON answer and the teams whose status it depends on (None: any team's)."""

    body: bytes
    depends_on: frozenset[str] | None = None


# ---------------------------------------------------------------------- the beacon chart
@dataclass(frozen=True)
class Chart:
    """A rendered beacon chart: the page (UTF-8) and its gzip encoding, each with its strong ETag,
    and the Content-Security-Policy that allows exactly what the page loads (its own inline
    scripts by hash, inline styles, ``data:`` images and the optional OpenStreetMap tiles),
    computed once with the page.

    The gzip encoding is made once, with no time stamp (so every worker makes the same bytes):
    browsers take it, about a quarter of the page's size, and the server sends that much less.
    """

    html: bytes
    etag: str
    gzip: bytes | None = None
    gzip_etag: str | None = None
    csp: str = ""

    @classmethod
    def of(cls, page: str, *, compress: bool = True) -> Chart:
        """The chart of a rendered page (folium's random ids numbered, see :func:`stable_ids`).

        Parameters
        ----------
        page : str
            The rendered page.
        compress : bool
            Also make the gzip encoding (worth it for a kept chart; about 30 ms).
        """
        text = stable_ids(page)
        html = text.encode("utf-8")
        csp = html_csp(text, img_src=CHART_TILE_SOURCES)
        if not compress:
            return cls(html=html, etag=strong_etag(html), csp=csp)
        gz = gzip.compress(html, compresslevel=6, mtime=0)
        return cls(html=html, etag=strong_etag(html), gzip=gz, gzip_etag=strong_etag(gz), csp=csp)

    def for_client(self, accept_encoding: str | None) -> tuple[bytes, str, str | None]:
        """The body, its ETag and its ``Content-Encoding`` (None: none) for a client's ``Accept-Encoding``."""
        if self.gzip is not None and self.gzip_etag is not None and accepts_gzip(accept_encoding):
            return self.gzip, self.gzip_etag, "gzip"
        return self.html, self.etag, None


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


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header accepts gzip (``gzip`` or ``*`` with a q-value above 0).

    Parameters
    ----------
    accept_encoding : str or None
        The header, e.g. ``gzip, deflate, br`` or ``gzip;q=0``.
    """
    if not accept_encoding:
        return False
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


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

    def __init__(self, *, enabled: bool = True, chart_size: int = 16, answer_size: int = 4096) -> None:
        self.enabled = enabled
        self.charts: SingleFlightCache[Hashable, Chart] = SingleFlightCache(chart_size)
        self.answers: SingleFlightCache[Hashable, Answer] = SingleFlightCache(answer_size)
        self._lock = threading.Lock()
        self._live: LiveStatuses | None = None
        self._once: dict[str, object] = {}

    def live_statuses(self, store: StatusStore) -> LiveStatuses:
        """The team statuses, read again only when the state version has moved on.

        When they have changed, the kept answers that depend on a team whose status changed are
        dropped (:attr:`Answer.depends_on`).

        Parameters
        ----------
        store : Store
            The live state.
        """
        if not self.enabled:
            return LiveStatuses(-1, store.situation(), 0)
        version = store.version()  # first: the situation read after it includes every write up to it
        live = self._live
        if live is not None and version <= live.version:
            return live
        situation = store.situation()
        statuses = situation.statuses()
        with self._lock:
            live = self._live
            if live is not None and version <= live.version:
                return live  # another request read them first, at a version at least as new
            if live is not None:
                old = live.situation
                if (old.positions_key() != situation.positions_key()
                        or old.suspensions != situation.suspensions):
                    self.answers.drop(lambda a: True)  # a team moved or a notice changed: any answer may
                else:
                    changed = {t for t in statuses.keys() | live.statuses.keys()
                               if statuses.get(t) != live.statuses.get(t)}
                    if changed:
                        self.answers.drop(lambda a: a.depends_on is None or not a.depends_on.isdisjoint(changed))
            self._live = LiveStatuses(version, situation, self.answers.generation)
            return self._live

    def answer(self, live: LiveStatuses, key: Hashable, compute: Callable[[], Answer]) -> bytes:
        """A JSON answer for ``key``, computed from ``live`` once and kept while it holds.

        Parameters
        ----------
        live : LiveStatuses
            The statuses ``compute`` reads (from :meth:`live_statuses`).
        key : hashable
            The route and its query.
        compute : callable
            The answer and the teams it depends on.
        """
        if not self.enabled:
            return compute().body
        return self.answers.get(key, compute, generation=live.generation).body

    def once(self, name: str, compute: Callable[[], V]) -> V:
        """A value computed once for the life of the app (e.g. calm-weather travel times)."""
        with self._lock:
            if name not in self._once:
                self._once[name] = compute()
            return self._once[name]  # type: ignore[return-value]

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

        if not self.enabled:
            return Chart.of(render(), compress=False)
        return self.charts.get(key, lambda: Chart.of(render()))


_create_lock = threading.Lock()


def app_cache(app: FastAPI) -> ApiCache:
    """The app's :class:`ApiCache` (``app.state.ic_cache``), created on first use.

    On unless the app's :class:`~islandcover.config.Config` says ``api_cache=False``; set
    ``app.state.ic_cache`` before the first request to choose other options.
    """
    cache: ApiCache | None = getattr(app.state, "ic_cache", None)
    if cache is None:
        with _create_lock:
            cache = getattr(app.state, "ic_cache", None)
            if cache is None:
                cache = app.state.ic_cache = ApiCache(enabled=app.state.ic_config.config.api_cache)
    return cache


async def get_cache(request: Request) -> ApiCache:
    """Dependency: the answer caches of this app (``async``: no thread needed to look it up)."""
    return app_cache(request.app)


Cache = Annotated[ApiCache, Depends(get_cache)]
