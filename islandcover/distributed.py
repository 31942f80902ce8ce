"""Work in batches: serially in this process, on a ``dask.distributed`` LocalCluster, or on a cluster.

The one place islandcover talks to dask. The typhoon ensemble
(:mod:`islandcover.typhoon.ensemble`) and the planner's sweeps (:mod:`islandcover.planning.sweep`)
both hand it a module-level function, one object every batch needs (the network, the model) and
the items of work:

* ``workers=0`` runs every item in this process, one batch at a time (dask is not imported);
* ``workers=N`` starts a ``LocalCluster`` of N processes with one thread each (the work is
  numpy/scipy and Python: threads would share one GIL), and closes it afterwards;
* ``scheduler="tcp://HOST:8786"`` connects to a running scheduler (started with ``dask scheduler``,
  its workers with ``dask worker tcp://HOST:8786``); the cluster is left running.

The shared object is sent to each worker once (``client.scatter(..., broadcast=True)``) and
stays in the worker's memory between tasks, so a worker may build and keep in it what every
batch needs (a router, a coverage model). Items go in contiguous batches (tasks of a few
milliseconds would drown in scheduler overhead), results come back in the order of the items.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from islandcover.errors import ClusterError

__all__ = ["LOCAL_WORKER_CONFIG", "SCHEDULER_ADDRESS", "batches", "check_cluster", "map_batches"]

T = TypeVar("T")
R = TypeVar("R")

#: dask settings of the LocalCluster's workers. Unset ``MALLOC_TRIM_THRESHOLD_``, which dask's nanny
#: sets by default to hand freed memory back to the system: setting it turns off glibc's adaptive
#: mmap threshold, so every large numpy temporary is mapped and unmapped afresh, and a typhoon
#: ensemble's members ran 1.2–1.45× slower on a worker than in the main process (measured here,
#: 100-member batches side by side). The workers' statistical profiler (a stack sample every
#: 10 ms) is off too: with both, a worker runs within ~5 % of the main process. A cluster started
#: with ``dask worker`` keeps its own settings (see the README).
LOCAL_WORKER_CONFIG: dict[str, Any] = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                                       "distributed.worker.profile.enabled": False}

#: A scheduler address as ``dask scheduler`` prints it: protocol, host (name, IPv4 or [IPv6]) and port.
SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):(\d{1,5})$")


def check_cluster(workers: int | None, scheduler: str | None) -> None:
    """Refuse bad ``workers`` or ``scheduler`` before any work.

    Parameters
    ----------
    workers : int, optional
        Worker processes of a LocalCluster (0: serially in this process); None: not given.
    scheduler : str, optional
        Address of a running scheduler.

    Raises
    ------
    ClusterError
        ``workers`` not a whole number 0 or more, or ``scheduler`` not of the form ``tcp://HOST:PORT``.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
        raise ClusterError(f"workers must be 0 (serial, in this process) or more, got {workers!r}")
    if scheduler is not None:
        m = SCHEDULER_ADDRESS.match(str(scheduler).strip())
        if not m or not 1 <= int(m.group(3)) <= 65535:
            raise ClusterError(f"scheduler address {scheduler!r} is not of the form tcp://HOST:PORT "
                               "(e.g. tcp://10.0.0.5:8786, as `dask scheduler` prints it)")


def batches(n: int, k: int) -> list[tuple[int, int]]:
    """``n`` items in ``k`` contiguous batches of near-equal size, as (first, count).

    Parameters
    ----------
    n : int
        Items.
    k : int
        Batches wanted (at least 1, at most ``n``).

    Returns
    -------
    list of (int, int)
        The first item and the number of items of each batch, in order; the counts differ by at
        most one and add up to ``n``.
    """
    k = max(1, min(n, k))
    out, first = [], 0
    for i in range(k):
        count = n // k + (1 if i < n % k else 0)
        out.append((first, count))
        first += count
    return out


def map_batches(func: Callable[[Any, list[T]], list[R]], shared: Any, items: Sequence[T], *, workers: int = 0,
                scheduler: str | None = None, batches_per_worker: int = 3,
                progress: Callable[[int, int], None] | None = None,
                connect_timeout_s: float = 10.0, head_start: bool = True) -> tuple[list[R], str]:
    """``func(shared, batch)`` over ``items`` in batches: serially, on a LocalCluster or on a scheduler.

    Parameters
    ----------
    func : callable
        Takes the shared object and a list of items, returns one result per item. Must be
        importable by the workers (a module-level function).
    shared : object
        What every batch needs (a model, a network); sent to each worker once
        (``client.scatter(..., broadcast=True)``), so a worker may cache in it what it builds.
    items : sequence
        The work.
    workers : int
        0: serially in this process (dask is not imported), one item at a time; else a
        ``distributed.LocalCluster`` of that many processes with one thread each. Ignored with
        ``scheduler``.
    scheduler : str, optional
        Address of a running scheduler (``tcp://HOST:8786``).
    batches_per_worker : int
        About how many batches each worker gets (more: a shorter idle tail when items take
        unequal times; fewer: less scheduling).
    progress : callable, optional
        Called with (items done, items) as results come in.
    connect_timeout_s : float
        How long to try to reach ``scheduler``, seconds.
    head_start : bool
        While the cluster starts (or the scheduler is reached), work on the first items in this
        process, one at a time; ``shared`` is sent to the workers after, with whatever this
        process kept in it (so it may carry what they would otherwise build again).

    Returns
    -------
    results : list
        One per item, in the order of ``items``.
    runner : str
        ``serial``, ``dask LocalCluster, N worker processes`` or ``dask scheduler ADDRESS``.

    Raises
    ------
    ClusterError
        ``workers`` negative, a scheduler address not of the form ``tcp://HOST:PORT``, no
        scheduler answering there, or dask.distributed not installed.
    """
    check_cluster(None if scheduler else workers, scheduler)
    n = len(items)
    if scheduler is None and workers == 0:
        out: list[R] = []
        for k, item in enumerate(items):
            out.extend(func(shared, [item]))
            if progress is not None:
                progress(k + 1, n)
        return out, "serial"
    try:
        from distributed import as_completed
    except ImportError as exc:  # pragma: no cover - a dependency, but say what to do
        raise ClusterError("running on workers needs dask.distributed: pip install 'dask[distributed]' "
                           "(or --workers 0 to run serially)") from exc
    started: dict[str, Any] = {}
    starting = threading.Thread(target=_start, args=(started, workers, scheduler, connect_timeout_s),
                                name="islandcover-cluster-start", daemon=True)
    starting.start()
    here: list[R] = []  # the head start: the first items, in this process, until the cluster is up
    try:
        while head_start and starting.is_alive() and len(here) < n:
            here.extend(func(shared, [items[len(here)]]))
            if progress is not None:
                progress(len(here), n)
    except BaseException:
        starting.join()
        _close(started)
        raise
    starting.join()
    if "error" in started:
        _close(started)
        raise started["error"]
    client, runner = started["client"], started["runner"]
    first, rest = len(here), n - len(here)
    parts: dict[int, list[R]] = {0: here}
    try:
        with client:
            if rest:
                n_workers = max(1, len(client.scheduler_info().get("workers", {})))
                [remote] = client.scatter([shared], broadcast=True, hash=False)
                futures = {client.submit(func, remote, list(items[first + a:first + a + count]), pure=False): first + a
                           for a, count in batches(rest, n_workers * batches_per_worker)}
                done = first
                for fut in as_completed(list(futures)):
                    part = fut.result()
                    parts[futures[fut]] = part
                    done += len(part)
                    if progress is not None:
                        progress(done, n)
    finally:
        _close(started)
    return [r for at in sorted(parts) for r in parts[at]], runner


def _start(started: dict[str, Any], workers: int, scheduler: str | None, connect_timeout_s: float) -> None:
    """Start a LocalCluster of ``workers`` processes, or reach ``scheduler``; put the client, the
    cluster and the runner's name (or the error) in ``started``."""
    import dask
    from distributed import Client, LocalCluster

    try:
        if scheduler is not None:
            try:
                started["client"] = Client(scheduler, timeout=f"{connect_timeout_s}s")
            except (OSError, TimeoutError) as exc:
                msg = (f"no dask scheduler answered at {scheduler} within {connect_timeout_s:g} s ({exc}); start one "
                       "with `dask scheduler` and workers with `dask worker ADDRESS`, or leave out --scheduler")
                started["error"] = ClusterError(msg)
                return
            started["runner"] = f"dask scheduler {scheduler}"
        else:
            with dask.config.set(LOCAL_WORKER_CONFIG):
                started["cluster"] = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                  dashboard_address=":0")
            started["client"] = Client(started["cluster"])
            started["runner"] = f"dask LocalCluster, {workers} worker process{'es' if workers != 1 else ''}"
    except Exception as exc:  # noqa: BLE001 - handed to the caller's thread, raised there
        started["error"] = exc


def _close(started: dict[str, Any]) -> None:
    """Close the client and the LocalCluster of :func:`_start`, if any."""
    client = started.pop("client", None)
    if client is not None:
        client.close()
    cluster = started.pop("cluster", None)
    if cluster is not None:
        cluster.close()
