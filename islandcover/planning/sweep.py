"""Planner sweeps: many what-if scenarios on one loaded network, one row of coverage metrics each.

A *sweep file* holds scenarios in the format ``islandcover compare`` and ``POST /scenarios`` take
(:meth:`Scenario.from_spec <islandcover.planning.scenario.Scenario.from_spec>`: ``add``, ``close``,
``move``, ``wind`` or ``typhoon``, ``vessel``, and an optional ``name``), either as one JSON list of
objects or as JSON lines (one object a line, blank lines skipped). Each scenario's *row* is where it
stands in the file: its line in a JSON-lines file, its 1-based position in a JSON list; errors and
the output name it.

Every scenario is checked before any is evaluated (:func:`read_sweep` for the file and the spec,
:func:`check_sweep` for stations and places against the model), so a bad row fails the sweep at
once, naming the row and the field, not after an hour of work.

:func:`run_sweep` evaluates each scenario with :meth:`CoverageModel.report
<islandcover.planning.coverage.CoverageModel.report>`, exactly as for that scenario alone (the
network is built once; a scenario is a mask over its links and a set of stations), and returns one
row per scenario (:func:`sweep_columns`). The scenarios are the file's alone: no live suspension
notices are added (as ``compare``).

Distribution is the typhoon ensemble's (:mod:`islandcover.typhoon.ensemble`), through
:func:`islandcover.distributed.map_batches`: serially in this process, on a
``dask.distributed`` LocalCluster of processes with one thread each, or on a running scheduler;
the shared inputs (the archipelago, the network, the travel parameters, the demand) are sent to
each worker once, each worker builds its model on its first batch and keeps it (its cache of
travel-time matrices serves every later scenario with the same stations and weather), and items
go in contiguous batches, about three per worker. A report takes a fraction of a second, so small
sweeps stay serial by default (:data:`AUTO_SERIAL_BELOW`): starting a cluster costs seconds.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from islandcover.distributed import check_cluster, map_batches
from islandcover.errors import IslandcoverError, SweepError
from islandcover.planning.coverage import THRESHOLDS_MIN, CoverageModel, parse_site
from islandcover.planning.scenario import SPEC_FIELDS, Scenario
from islandcover.planning.travel_matrix import Demand
from islandcover.travel.routing import Router

__all__ = [
    "AUTO_SERIAL_BELOW",
    "SweepEntry",
    "SweepInputs",
    "check_sweep",
    "read_sweep",
    "run_sweep",
    "sweep_batch",
    "sweep_columns",
    "sweep_row",
]


#: With ``workers=None``, sweeps of fewer scenarios than this run serially in this process (a
#: report takes a fraction of a second; starting a cluster takes seconds); longer ones on a
#: LocalCluster of :data:`AUTO_WORKERS` processes.
AUTO_SERIAL_BELOW = 100
#: Worker processes of the LocalCluster of a long sweep with ``workers=None``.
AUTO_WORKERS = 2
#: Longest scenario name kept (longer names are refused, naming the row).
MAX_NAME = 200


@dataclass(frozen=True)
class SweepEntry:
    """One scenario of a sweep file.

    Attributes
    ----------
    row : int
        Where it stands in the file: its line (JSON lines) or 1-based position (JSON list).
    scenario : Scenario
        The scenario; its name is the spec's ``name``, else ``"row N"``.
    """

    row: int
    scenario: Scenario


# ---------------------------------------------------------------------- reading and checking
def _problem(exc: Exception) -> str:
    """The message of a spec error without its own ``field X:`` prefix (the sweep error names the field)."""
    text = str(exc)
    if text.startswith("field ") and ": " in text:
        return text.split(": ", 1)[1]
    return text


def _entry(spec: Any, row: int, source: str, vessel: str, at: datetime | None) -> SweepEntry:
    if not isinstance(spec, dict):
        got = type(spec).__name__ if spec is not None else "null"
        raise SweepError(source, f"expected a JSON object (a scenario with add, close, move, wind or typhoon, "
                                 f"vessel, name), got {got}", row=row)
    for key in spec:
        if key not in SPEC_FIELDS:
            raise SweepError(source, f"unknown field; a scenario has {', '.join(sorted(SPEC_FIELDS))}", row=row,
                             field=str(key)[:40])
    name = spec.get("name", f"row {row}")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_NAME:
        raise SweepError(source, f"must be text of 1–{MAX_NAME} characters", row=row, field="name")
    for key in ("add", "close", "move", "wind", "typhoon", "vessel"):
        if key in spec:
            try:
                Scenario.from_spec({key: spec[key]})
            except IslandcoverError as exc:
                raise SweepError(source, _problem(exc), row=row, field=key) from None
    for key in ("add", "close"):
        for i, v in enumerate(spec.get(key) or []):
            if not isinstance(v, str) or not v.strip():
                raise SweepError(source, "must be text (a station id, an island, or 'lon,lat')", row=row,
                                 field=f"{key}[{i}]")
    for i, m in enumerate(spec.get("move") or []):
        if not all(isinstance(v, str) and v.strip() for v in m):
            raise SweepError(source, "must be a pair of texts [station, where]", row=row, field=f"move[{i}]")
    full = {"vessel": vessel, **{k: v for k, v in spec.items() if k != "name"}}
    try:
        sc = Scenario.from_spec(full, name=name.strip())
    except IslandcoverError as exc:  # the one check across fields: wind and typhoon both given
        raise SweepError(source, _problem(exc), row=row, field="typhoon" if "typhoon" in spec else None) from None
    return SweepEntry(row, sc if at is None else replace(sc, at=at))


def read_sweep(path: str | Path, *, vessel: str = "workboat", at: datetime | None = None) -> list[SweepEntry]:
    """Read the scenarios of a sweep file: a JSON list of scenario objects, or JSON lines.

    Parameters
    ----------
    path : str or Path
        The file (UTF-8). Its text starting with ``[`` is read as one JSON list, else as JSON lines.
    vessel : str
        Planning vessel of the scenarios that give none (``workboat``, ``fast`` or ``ferry``).
    at : datetime, optional
        When the teams leave, for every scenario (aware; matters for the ``ferry`` vessel only).

    Returns
    -------
    list of SweepEntry
        In the file's order.

    Raises
    ------
    SweepError
        The file is missing, unreadable, not JSON, empty, or a scenario is malformed; names the
        file, the row and the field.
    """
    p = Path(path)
    source = p.name or str(p)
    if vessel not in ("workboat", "fast", "ferry"):
        raise SweepError(source, f"vessel must be workboat, fast or ferry, got {vessel!r}")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SweepError(str(p), "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepError(str(p), f"not a readable UTF-8 file ({exc})") from None
    items: list[tuple[int, Any]] = []
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SweepError(source, f"not a JSON list ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
        if not isinstance(data, list):
            raise SweepError(source, "expected a JSON list of scenario objects, or one object a line")
        items = list(enumerate(data, start=1))
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise SweepError(source, f"not a JSON object ({exc.msg} at column {exc.colno}); a sweep file is "
                                         "a JSON list of scenarios or one scenario object a line", row=n) from None
    if not items:
        raise SweepError(source, "no scenarios: give a JSON list of scenario objects, or one object a line")
    return [_entry(spec, row, source, vessel, at) for row, spec in items]


def check_sweep(model: CoverageModel, entries: Sequence[SweepEntry], source: str = "sweep") -> None:
    """Check every scenario's stations and places against the model, before any is evaluated.

    Parameters
    ----------
    model : CoverageModel
        The loaded model.
    entries : sequence of SweepEntry
        The scenarios (:func:`read_sweep`).
    source : str
        The file's name, for the messages.

    Raises
    ------
    SweepError
        Naming the row and the field (``close[1]``, ``move[0]``, ``add[2]``) of the first
        station that does not exist or is closed or moved twice, or the first place that is not
        an island nor a point a team can reach.
    """
    light = sorted(s.id for s in model.stations(Scenario(name="base")))
    known = set(light)
    for e in entries:
        sc = e.scenario
        seen: set[str] = set()
        for i, sid in enumerate(sc.close):
            if sid not in known:
                raise SweepError(source, f"no light station '{sid}' (stations are {', '.join(light)})", row=e.row,
                                 field=f"close[{i}]")
            if sid in seen:
                raise SweepError(source, f"station '{sid}' is closed twice", row=e.row, field=f"close[{i}]")
            seen.add(sid)
        for i, (sid, where) in enumerate(sc.move):
            if sid not in known:
                raise SweepError(source, f"no light station '{sid}' (stations are {', '.join(light)})", row=e.row,
                                 field=f"move[{i}]")
            if sid in seen:
                raise SweepError(source, f"station '{sid}' is closed or moved already", row=e.row,
                                 field=f"move[{i}]")
            seen.add(sid)
            try:
                parse_site(model.router, sid, where)
            except IslandcoverError as exc:
                raise SweepError(source, str(exc), row=e.row, field=f"move[{i}]") from None
        for i, where in enumerate(sc.add):
            try:
                parse_site(model.router, f"NEW-{i + 1}", where)
            except IslandcoverError as exc:
                raise SweepError(source, str(exc), row=e.row, field=f"add[{i}]") from None


# ---------------------------------------------------------------------- one row
def _minutes(minutes: Sequence[float] | None) -> tuple[float, ...]:
    out: list[float] = []
    for t in (minutes if minutes else THRESHOLDS_MIN):
        if isinstance(t, bool) or not isinstance(t, int | float | np.integer | np.floating) or not 0 < t <= 1440:
            raise IslandcoverError(f"threshold {t!r} must be a number of minutes in (0, 1440]")
        if float(t) not in out:
            out.append(float(t))
    return tuple(int(t) if t.is_integer() else t for t in out)


def sweep_columns(minutes: Sequence[float] | None = None) -> list[str]:
    """The columns of a sweep's rows, for thresholds ``minutes`` (default 30, 45, 60, 90, 120).

    ``row`` (where the scenario stands in the file), ``name``, ``wind`` (uniform force 0–17, empty
    for a typhoon), ``typhoon`` (``lon,lat,r7_km,r10_km``, empty for a uniform wind), ``vessel``,
    ``stations`` (how many), ``closed``, ``added``, ``moved`` (the changes, ``;``-separated, a move
    as ``ST-03=WHERE``), then per threshold ``T`` ``islands_within_T_share`` and
    ``people_within_T_share`` (shares 0–1 of the powered islands and of their known people
    reached within ``T`` minutes by the assigned station), then ``mean_eta_min`` (over the
    islands a team can reach; empty when none), ``unreachable_islands`` (how many no team
    reaches) and ``people_cut_off`` (the known people of those islands).
    """
    cols = ["row", "name", "wind", "typhoon", "vessel", "stations", "closed", "added", "moved"]
    for t in _minutes(minutes):
        cols += [f"islands_within_{t:g}_share", f"people_within_{t:g}_share"]
    return cols + ["mean_eta_min", "unreachable_islands", "people_cut_off"]


def sweep_row(model: CoverageModel, entry: SweepEntry, minutes: Sequence[float] | None = None) -> dict[str, Any]:
    """One scenario's row: :meth:`CoverageModel.report` of it alone, in the columns of :func:`sweep_columns`.

    Parameters
    ----------
    model : CoverageModel
        The loaded model.
    entry : SweepEntry
        The scenario and its row.
    minutes : sequence of float, optional
        Thresholds, minutes (default 30, 45, 60, 90, 120).

    Returns
    -------
    dict
        Column → value; the numbers are the report's own (:meth:`CoverageReport.to_dict
        <islandcover.planning.coverage.CoverageReport.to_dict>`, shares to 4 places, ETA to
        0.1 min); None where the report has none.
    """
    mins = _minutes(minutes)
    sc = entry.scenario
    rep = model.report(sc, mins)
    d = rep.to_dict(mins)
    w = sc.weather
    row: dict[str, Any] = {
        "row": entry.row, "name": sc.name,
        "wind": w.wind_bft if w.centre is None else None,
        "typhoon": "" if w.centre is None else f"{w.centre[0]:g},{w.centre[1]:g},{w.r7_km:g},{w.r10_km:g}",
        "vessel": sc.vessel, "stations": len(rep.stations), "closed": ";".join(sc.close),
        "added": ";".join(sc.add), "moved": ";".join(f"{a}={b}" for a, b in sc.move),
    }
    for t, per in zip(mins, d["thresholds"].values()):  # type: ignore[union-attr]
        row[f"islands_within_{t:g}_share"] = per["islands_covered_share"]
        row[f"people_within_{t:g}_share"] = per["people_covered_share"]
    row["mean_eta_min"] = d["mean_eta_min"]
    row["unreachable_islands"] = len(d["unreachable"])  # type: ignore[arg-type]
    row["people_cut_off"] = d["unreachable_people"]
    return row


# ---------------------------------------------------------------------- on workers
class SweepInputs:
    """What a worker needs to evaluate scenarios, sent to it once: the archipelago, the network,
    the travel parameters, the demand and the thresholds. It builds its :class:`CoverageModel` on
    first use and keeps it (the model is never pickled: each process builds its own).

    Parameters
    ----------
    router : Router
        The loaded archipelago, network and travel parameters.
    demand : Demand
        The demand points (the model's).
    minutes : sequence of float
        Thresholds, minutes.
    model : CoverageModel, optional
        An already built model to use in this process (the serial path).
    """

    def __init__(self, router: Router, demand: Demand, minutes: Sequence[float],
                 model: CoverageModel | None = None) -> None:
        self.arch, self.net, self.params = router.arch, router.net, router.params
        self.demand = demand
        self.minutes = tuple(minutes)
        self._model = model

    def model(self) -> CoverageModel:
        """This process's model (built on first use)."""
        if self._model is None:
            self._model = CoverageModel(Router(self.arch, self.net, self.params), self.demand)
        return self._model

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_model"] = None  # never shipped: each process builds its own
        return state


def sweep_batch(inputs: SweepInputs, entries: list[SweepEntry]) -> list[dict[str, Any]]:
    """The rows of ``entries`` on this process's model (the task a worker runs)."""
    model = inputs.model()
    return [sweep_row(model, e, inputs.minutes) for e in entries]


# ---------------------------------------------------------------------- the sweep
def run_sweep(model: CoverageModel, entries: Sequence[SweepEntry], minutes: Sequence[float] | None = None, *,
              workers: int | None = None, scheduler: str | None = None, batches_per_worker: int = 3,
              progress: Callable[[int, int], None] | None = None, connect_timeout_s: float = 10.0,
              source: str = "sweep") -> pd.DataFrame:
    """Evaluate every scenario; one row each.

    Parameters
    ----------
    model : CoverageModel
        The loaded model (used as it is on the serial path; its parts are sent to the workers).
    entries : sequence of SweepEntry
        The scenarios (:func:`read_sweep`); checked against the model first (:func:`check_sweep`).
    minutes : sequence of float, optional
        Thresholds, minutes, each in (0, 1440] (default 30, 45, 60, 90, 120).
    workers : int, optional
        0: serially in this process; N: a LocalCluster of N processes; None (default): serially
        for fewer than :data:`AUTO_SERIAL_BELOW` scenarios, else :data:`AUTO_WORKERS` processes.
        Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://HOST:8786``).
    batches_per_worker : int
        About how many batches of scenarios each worker gets.
    progress : callable, optional
        Called with (scenarios done, scenarios) as rows come in (the library is silent otherwise).
    connect_timeout_s : float
        How long to try to reach ``scheduler``, seconds.
    source : str
        The sweep file's name, for the messages.

    Returns
    -------
    pandas.DataFrame
        One row per scenario, in the order of ``entries``, columns :func:`sweep_columns`;
        ``wind`` a nullable integer; missing values NA. ``attrs["runner"]`` says where it ran.

    Raises
    ------
    SweepError
        A scenario names a station or place the model lacks (naming its row and field).
    IslandcoverError
        A threshold out of range; :class:`ClusterError` for bad ``workers`` or ``scheduler``.
    """
    mins = _minutes(minutes)
    if workers is None and scheduler is None:
        workers = 0 if len(entries) < AUTO_SERIAL_BELOW else AUTO_WORKERS
    check_cluster(workers, scheduler)
    check_sweep(model, entries, source)
    inputs = SweepInputs(model.router, model.demand, mins, model=model)
    rows, runner = map_batches(sweep_batch, inputs, list(entries), workers=workers or 0, scheduler=scheduler,
                               batches_per_worker=batches_per_worker, progress=progress,
                               connect_timeout_s=connect_timeout_s)
    table = pd.DataFrame(rows, columns=sweep_columns(mins))
    table["wind"] = table["wind"].astype("Int64")
    table.attrs["runner"] = runner
    return table
