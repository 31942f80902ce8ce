"""Typhoon ensembles as background jobs (planner key): ``POST /ensemble`` starts one, ``GET /ensemble/{job}`` follows it.

An ensemble of a few hundred members takes minutes, longer than a request should wait.
``POST /ensemble`` checks the request (the shipped track, the start, the numbers) and answers
``202 Accepted`` at once with the job and its ``Location``. One worker thread per app runs the
jobs one at a time, in the order they came, off the event loop, so the API keeps answering:
serially in that thread (``workers`` 0, the default: the command's ``--workers 0``) or on a local
``dask.distributed`` cluster of ``workers`` processes. ``GET /ensemble/{job}`` gives the job's
state (``queued``, ``running``, ``done``, ``failed``), its progress (members done of members) and,
when done, the result: the JSON of ``islandcover ensemble --json``
(:meth:`islandcover.typhoon.ensemble.Ensemble.to_dict`).

Limits for a shared server: at most :data:`MAX_MEMBERS` members and :data:`MAX_WORKERS` worker
processes a job; no scheduler address (the server connects to no machine a caller names: use the
command for a cluster); at most :data:`MAX_PENDING` jobs queued or running at once (one more is a
429 with ``Retry-After``); the last :data:`HISTORY` finished jobs are kept, older ones forgotten
(404). Jobs live in the memory of the server process: a restart forgets them, and with
``islandcover serve --workers 2`` each process has its own, so poll the process that took the job
(one worker, or sticky sessions). As the command, the ensemble reads no live state: every team is
taken as available at its station.
"""
from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.deps import Planner, State, as_field
from islandcover.clock import iso_beijing
from islandcover.errors import IslandcoverError
from islandcover.typhoon.ensemble import ErrorModel, forecast_track, run_ensemble
from islandcover.typhoon.tracks import shipped_track

__all__ = [
    "HISTORY",
    "MAX_MEMBERS",
    "MAX_PENDING",
    "MAX_WORKERS",
    "EnsembleIn",
    "EnsembleJob",
    "EnsembleJobOut",
    "EnsembleJobs",
    "EnsembleOut",
    "jobs_of",
    "router",
]

log = logging.getLogger(__name__)

#: Most members of one job (the command takes up to 100,000; 1,000 of 梅花 take about a minute
#: on two cores, and a shared server should not be held for much longer by one request).
MAX_MEMBERS = 1000
#: Most worker processes of one job's local dask cluster.
MAX_WORKERS = 4
#: Most jobs queued or running at once; one more is a 429.
MAX_PENDING = 4
#: Finished (done or failed) jobs kept; the oldest is forgotten when one more finishes.
HISTORY = 32
#: Seconds a client is asked to wait before trying again when the queue is full.
RETRY_AFTER_S = 60

JobState = Literal["queued", "running", "done", "failed"]



# ---------------------------------------------------------------------- the request and the answer
class EnsembleIn(BaseModel):
    """An ensemble to run: a shipped track, how many members, the threshold and the seed."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    track: str = Field(min_length=1, max_length=64,
                       description="shipped track: muifa_2022, infa_2021, chanthu_2021, bebinca_pulasan_2024, or a "
                                   "storm in them (梅花, MUIFA …), as POST /replay takes it")
    storm: str | None = Field(default=None, min_length=1, max_length=64,
                              description="which storm of a shipped file holding several")
    members: int = Field(ge=1, le=MAX_MEMBERS, description=f"perturbed tracks, 1–{MAX_MEMBERS}")
    hours: float = Field(default=12.0, ge=0, le=720,
                         description="p_cut_off counts members cut off continuously longer than this, hours")
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1,
                             description="root seed (default fresh; the result names the seed to run again)")
    start: AwareDatetime | None = Field(default=None,
                                        description="lead time 0, the forecast's issue time, ISO 8601 with its "
                                                    "offset (default the track's first point)")
    spread: float = Field(default=1.0, ge=0, le=3,
                          description="factor on the published forecast errors (0: every member is the track)")
    workers: int = Field(default=0, ge=0, le=MAX_WORKERS,
                         description=f"0 (default): serially in the server's job thread; 1–{MAX_WORKERS}: a local "
                                     "dask cluster of that many processes")


class IslandOddsOut(BaseModel):
    """One powered island's odds over the members."""

    id: str
    name_zh: str
    name_en: str
    p_cut_off: float = Field(description="share of members in which its longest continuous isolation exceeds hours")
    hours_mean: float = Field(description="mean over members of its total hours cut off")
    hours_p90: float = Field(description="90th percentile over members of its total hours cut off")
    p_force10: float = Field(description="share of members with force 10 or more at it at some hour")


class EnsembleOut(BaseModel):
    """The result: ``islandcover ensemble --json`` (fields it gains later pass through)."""

    model_config = ConfigDict(extra="allow")

    storm: str
    members: int
    hours: float
    islands: list[IslandOddsOut] = Field(description="by p_cut_off (highest first), then people, then id")
    seed: int
    source: str
    start: str = Field(description="lead time 0, ISO 8601 in Beijing time")
    end: str
    step_h: float
    runner: str
    seconds: float
    errors: dict[str, str] = Field(description="where the forecast errors come from")
    definitions: dict[str, str]


class ProgressOut(BaseModel):
    done: int = Field(description="members done")
    total: int = Field(description="members")


class EnsembleJobOut(BaseModel):
    """A job: its state, progress and, when done, its result."""

    id: str
    state: JobState
    progress: ProgressOut
    request: dict[str, Any] = Field(description="the accepted request, defaults filled in")
    created: str = Field(description="ISO 8601, Beijing time")
    started: str | None = None
    finished: str | None = None
    result: EnsembleOut | None = Field(default=None, description="when done")
    error: str | None = Field(default=None, description="when failed")


# ---------------------------------------------------------------------- the jobs
@dataclass
class EnsembleJob:
    """One job. ``work`` is called with a progress callback (members done) and returns the result."""

    id: str
    total: int
    request: dict[str, Any]
    work: Callable[[Callable[[int], None]], dict[str, Any]] | None = field(repr=False)
    state: JobState = "queued"
    done: int = 0
    created: str = field(default_factory=lambda: iso_beijing(datetime.now(UTC)))
    started: str | None = None
    finished: str | None = None
    result: dict[str, Any] | None = field(default=None, repr=False)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "progress": {"done": self.done, "total": self.total},
                "request": self.request, "created": self.created, "started": self.started,
                "finished": self.finished, "result": self.result, "error": self.error}


class EnsembleJobs:
    """The ensemble jobs of one app, in memory: one daemon thread runs them one at a time, in order.

    Parameters
    ----------
    history : int
        Finished jobs kept (the oldest is forgotten first).
    pending : int
        Most jobs queued or running at once.
    """

    def __init__(self, *, history: int = HISTORY, pending: int = MAX_PENDING) -> None:
        self.history, self.pending = history, pending
        self._jobs: OrderedDict[str, EnsembleJob] = OrderedDict()
        self._finished: list[str] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[EnsembleJob] = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, work: Callable[[Callable[[int], None]], dict[str, Any]], total: int,
               request: dict[str, Any]) -> dict[str, Any] | None:
        """Queue a job; its state as :meth:`get` gives it, or None when :attr:`pending` jobs wait already."""
        with self._lock:
            if sum(j.state in ("queued", "running") for j in self._jobs.values()) >= self.pending:
                return None
            job = EnsembleJob(id=uuid.uuid4().hex, total=total, request=request, work=work)
            self._jobs[job.id] = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="islandcover-ensemble-jobs", daemon=True)
                self._thread.start()
            self._queue.put(job)
            return job.to_dict()

    def get(self, job_id: str) -> dict[str, Any] | None:
        """A job's state, progress and result (a copy), or None for a job this app does not know."""
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.to_dict()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            with self._lock:
                job.state, job.started = "running", iso_beijing(datetime.now(UTC))

            def progress(done: int, job: EnsembleJob = job) -> None:
                with self._lock:
                    job.done = max(job.done, min(done, job.total))

            try:
                assert job.work is not None
                result = job.work(progress)
            except IslandcoverError as exc:
                self._finish(job, "failed", error=str(exc))
            except Exception as exc:  # noqa: BLE001 - a job must never take the thread down
                log.exception("ensemble job %s failed", job.id)
                self._finish(job, "failed", error=f"internal error ({type(exc).__name__}); see the server log")
            else:
                self._finish(job, "done", result=result)

    def _finish(self, job: EnsembleJob, state: JobState, *, result: dict[str, Any] | None = None,
                error: str | None = None) -> None:
        with self._lock:
            job.state, job.result, job.error = state, result, error
            job.finished = iso_beijing(datetime.now(UTC))
            job.work = None  # let the closure (the track, the router) go
            self._finished.append(job.id)
            while len(self._finished) > self.history:
                self._jobs.pop(self._finished.pop(0), None)


def jobs_of(request: Request) -> EnsembleJobs:
    """The app's ensemble jobs (made on first use)."""
    app_state = request.app.state
    jobs: EnsembleJobs | None = getattr(app_state, "ic_ensemble_jobs", None)
    if jobs is None:
        with app_state.ic_lock:
            jobs = getattr(app_state, "ic_ensemble_jobs", None)
            if jobs is None:
                jobs = app_state.ic_ensemble_jobs = EnsembleJobs()
    return jobs


# ---------------------------------------------------------------------- the routes
router = APIRouter(prefix="/ensemble", tags=["typhoon"])

_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "missing or unknown X-API-Key"},
                                          403: {"description": "not a planner key"}}


@router.post("", status_code=202, response_model=EnsembleJobOut,
             responses={**_AUTH, 429: {"description": f"{MAX_PENDING} jobs queued or running already"}})
def post_ensemble(state: State, _role: Planner, body: EnsembleIn, request: Request,
                  response: Response) -> dict[str, Any]:
    """Start a typhoon ensemble: the track perturbed by the CMA's forecast errors into ``members`` tracks, each
    replayed hour by hour. Answers 202 at once with the job (``Location: /ensemble/{id}``); follow it with
    ``GET /ensemble/{id}``."""
    with as_field("body", "track"):
        track = shipped_track(body.track, storm=body.storm)
    with as_field("body", "start"):
        forecast_track(track, body.start)  # a start outside the track is refused now, not in the job
    model = ErrorModel().scaled(body.spread)
    router_ = state.router

    def work(progress: Callable[[int], None]) -> dict[str, Any]:
        ens = run_ensemble(router_, track, body.members, hours=body.hours, seed=body.seed, model=model,
                           start=body.start, workers=body.workers, progress=lambda done, _total: progress(done))
        return ens.to_dict()

    accepted = body.model_dump(mode="json")
    job = jobs_of(request).submit(work, body.members, accepted)
    if job is None:
        raise HTTPException(429, detail=f"{MAX_PENDING} ensemble jobs are queued or running already; try again "
                                        "when one is done", headers={"Retry-After": str(RETRY_AFTER_S)})
    response.headers["Location"] = f"/ensemble/{job['id']}"
    return job


@router.get("/{job}", response_model=EnsembleJobOut, responses={**_AUTH, 404: {"description": "no such job"}})
def get_ensemble(_role: Planner, job: Annotated[str, Path(description="the id POST /ensemble gave")],
                 request: Request) -> dict[str, Any]:
    """An ensemble job: its state (queued, running, done, failed), its progress (members done of members) and, when
    done, its result (as ``islandcover ensemble --json``)."""
    found = jobs_of(request).get(job)
    if found is None:
        raise HTTPException(404, detail="no ensemble job with this id: jobs are kept in this server process's "
                                        f"memory, the last {HISTORY} finished ones, and forgotten on a restart")
    return found
