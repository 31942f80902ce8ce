"""Typhoon ensembles: the chance that each island is cut off, from a forecast's uncertainty.

A forecast is a cone, not a line. :func:`run_ensemble` perturbs a track (a forecast, or a best
track replayed as if it were a forecast issued at its first point, or at ``start``) into
``members`` plausible tracks, replays each hour by hour with the replay's own core
(:func:`islandcover.typhoon.replay.cut_off_hours`, what :func:`islandcover.typhoon.replay.replay`
computes without its display: the Holland wind field, the wind limits of every link, the
lead-time rule of the sailings, the router's cut-off islands) and counts, per
powered island, how often it is cut off and for how long, and per station with a team, how
often its sea links all close (:class:`StationLinks`: the wind read at those links only, at
the hours the replay's bound says it could close them).

Perturbations (one draw per member and quantity, fully correlated along the track, so each
member is a smooth track inside the cone; the scheme of NOAA's ``ensembleperturbation``,
which perturbs along-track, cross-track, intensity and radius by the official error cone).
Neither of the field's packages is built on: ``ensembleperturbation`` is built around the US
National Hurricane Center's forecasts and error statistics, not the CMA's; CLIMADA's
``TCTracks.calc_perturbed_trajectories`` makes random-walk variants of *historical* tracks with
fixed per-hour amplitudes (no lead-time-dependent forecast error), and ``pip install climada``
needs GDAL's system headers. The wind field is checked against CLIMADA's instead: its own
Holland (1980) profile (``_stat_holland_1980``, CLIMADA 6.1.0) gives the same speeds outside
Rmax (``tests/typhoon/test_wind_field_climada.py``).

* **Position**: along-track and cross-track offsets ``z · σ(t)`` with ``z`` standard normal and
  ``σ(t) = D(t) / √(π/2)``, where ``D(t)`` is the CMA's published mean track (distance) error
  at lead time ``t``: with independent normal errors of equal spread along and across the
  track, the distance error is Rayleigh distributed with mean ``σ √(π/2)``, so the members'
  mean distance from the track equals the published mean error. Table
  :data:`CMA_TRACK_ERROR_KM`: the National Meteorological Centre's (中央气象台) subjective
  forecasts of **2015**, 66.2, 119.5, 176.3, 244.3 and 328.5 km at 24, 48, 72, 96 and 120 h
  (陈国民 等, 2017: 2015年西北太平洋热带气旋预报精度评定, 气象 43(4);
  http://qxqk.nmc.cn/qx/ch/reader/view_abstract.aspx?file_no=20170413&flag=1). The same
  series' later reports find no substantive improvement within 72 h since 2013 (2017, 2019 and
  2020 reports, e.g. http://qxqk.nmc.cn/qx/ch/reader/view_abstract.aspx?file_no=20190412&flag=1),
  so 2015 stands for recent years; it is the latest year whose NMC figures at all five lead
  times we could find and cite. The error is 0 at lead time 0 (the track's position is taken
  as true there), interpolated linearly between the table's lead times, and **held at its
  120 h value beyond 120 h** (an assumption: the CMA issues no forecast beyond 120 h; use
  ``start`` to begin the forecast within five days of the storm's approach).
* **Intensity**: ``vmax + z · σ_v(t)``, ``σ_v = MAE · √(π/2)`` (the mean absolute error of a
  normal error), from the CMA's mean absolute error of maximum-wind forecasts of **2012**, 4.5,
  6.0 and 6.6 m/s at 24, 48 and 72 h (Hohai University Journal (Natural Sciences) 2013 (6),
  531–535, "2012年西北太平洋多台站台风预报误差比较分析";
  https://www.zhangqiaokeyan.com/academic-journal-cn_journal-hohai-university-natural-sciences_thesis/0201249621191.html),
  held at 6.6 m/s beyond 72 h (an assumption). The central pressure follows so that Holland's
  B is unchanged (``Δp ∝ vmax²``). Winds are kept within 5–94 m/s.
* **Wind radii**: the radius of maximum wind (the Rmax relation's calibration, or R7/R10 where
  the track gives them) is multiplied by ``exp(z · s(t))``. **No published CMA statistic of
  wind-radius forecast error was found**: ``s(t)`` (:data:`RADIUS_LOG_SD`, 0.10 at 24 h, 0.15
  at 48 h, 0.20 from 72 h) is a labelled assumption of islandcover.

Determinism: member ``i`` draws from ``numpy.random.Generator(PCG64(SeedSequence(seed).spawn(n)[i]))``,
whatever process runs it, so one seed gives the same answer serially and on any cluster.

Distribution (``dask.distributed``, imported only when used; :func:`islandcover.distributed.map_batches`):
members go to the workers in batches (about eight per worker: tasks of a few milliseconds would
drown in scheduler overhead, and a member here takes a tenth of a second); the model and the
travel network are scattered to every worker once (``client.scatter(..., broadcast=True)``: a
cluster started with ``dask scheduler`` / ``dask worker`` need not share a disk or a network
cache with the client), and each worker builds one :class:`EnsembleRouter` from them on its
first batch and keeps it for every later batch, and with it the router's
:class:`islandcover.typhoon.replay.CutOffTracker`: the certificates it keeps (open paths from
the islands to the teams, closed links around the pieces cut off) serve all the members the
worker runs, which mostly check them instead of searching the network again. While the cluster
starts, the first members run in the calling process (a *head start*), and the certificates
kept there go to the workers with the network, so they start warm.
"""
from __future__ import annotations

import hashlib
import math
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from islandcover._plumbing import LRUCache
from islandcover.archipelago import Archipelago
from islandcover.clock import iso_beijing
from islandcover.distributed import check_cluster, map_batches
from islandcover.errors import EnsembleError
from islandcover.facts import FERRY_MODE
from islandcover.travel.network import TravelNetwork
from islandcover.travel.routing import CutOffIsland, Router
from islandcover.travel.vessels import TravelParameters
from islandcover.typhoon.replay import LEAD_HOURS, CutOffTracker, Isolation, cut_off_hours
from islandcover.typhoon.tracks import Track
from islandcover.typhoon.wind_field import (
    BEAUFORT_LOWER_MS,
    P_ENV_HPA,
    RMAX_CALIBRATION,
    Vortex,
    forces_bft,
)

__all__ = [
    "CMA_TRACK_ERROR_KM",
    "CMA_VMAX_MAE_MS",
    "RADIUS_LOG_SD",
    "STATION_LINKS_DEFINITION",
    "Ensemble",
    "EnsembleRouter",
    "ErrorModel",
    "IslandOdds",
    "MemberTrack",
    "StationLinks",
    "StationOdds",
    "check_options",
    "forecast_track",
    "member_seeds",
    "member_track",
    "run_ensemble",
]

#: Called with (members done, members) as members finish.
Progress = Callable[[int, int], None] | None

#: Lead time (h) → the CMA's (NMC subjective) mean track forecast error (km), 2015; source in the
#: module docstring. 0 at lead time 0.
CMA_TRACK_ERROR_KM: dict[float, float] = {0.0: 0.0, 24.0: 66.2, 48.0: 119.5, 72.0: 176.3, 96.0: 244.3,
                                          120.0: 328.5}
#: Where :data:`CMA_TRACK_ERROR_KM` comes from.
TRACK_ERROR_SOURCE = ("CMA/NMC subjective track forecasts, 2015 (陈国民 等 2017, 气象 43(4); "
                      "http://qxqk.nmc.cn/qx/ch/reader/view_abstract.aspx?file_no=20170413&flag=1)")
#: Lead time (h) → the CMA's mean absolute error of maximum-wind forecasts (m/s), 2012; beyond 72 h
#: held (an assumption).
CMA_VMAX_MAE_MS: dict[float, float] = {0.0: 0.0, 24.0: 4.5, 48.0: 6.0, 72.0: 6.6}
#: Where :data:`CMA_VMAX_MAE_MS` comes from.
VMAX_ERROR_SOURCE = ("CMA maximum-wind forecasts, 2012 (河海大学学报(自然科学版) 2013(6) 531-535; "
                     "https://www.zhangqiaokeyan.com/academic-journal-cn_journal-hohai-university-natural-sciences"
                     "_thesis/0201249621191.html)")
#: Lead time (h) → standard deviation of the log of the wind-radius factor. An ASSUMPTION of
#: islandcover: no published CMA statistic of wind-radius forecast error was found.
RADIUS_LOG_SD: dict[float, float] = {0.0: 0.0, 24.0: 0.10, 48.0: 0.15, 72.0: 0.20}
RADIUS_SOURCE = "assumption of islandcover (no published CMA wind-radius error statistic found)"

#: What ``p_links_close`` counts (:class:`StationLinks`), as the JSON answer states it.
STATION_LINKS_DEFINITION = (
    "share of members in which, for at least one hour, none of the station's teams can set out by its own means: "
    "for every boat class based there, every sea lane at the landing the station puts to sea from is closed to "
    "that class (wind above its limit for the lane's exposure) and, for a team riding the scheduled boats, every "
    "sailing from its island to another is stopped (wind on the crossing above the service's limit, or the "
    "lead-time rule); roads and bridges are not counted")

_KM_PER_DEG = 6371.0088 * math.pi / 180.0
_RAYLEIGH = math.sqrt(math.pi / 2.0)  # mean of a Rayleigh (and mean |x| · this = σ of a normal)
_VMAX_RANGE = (5.0, 94.0)
_MAX_MEMBERS = 100_000


def _table(table: dict[float, float], lead_h: np.ndarray) -> np.ndarray:
    keys = np.array(sorted(table), dtype=float)
    return np.interp(lead_h, keys, np.array([table[k] for k in keys], dtype=float))  # held beyond the last


# ---------------------------------------------------------------------- the error model
@dataclass(frozen=True)
class ErrorModel:
    """Forecast error statistics by lead time, and how far members spread.

    Attributes
    ----------
    track_km : dict
        Lead time (h) → mean track (distance) error, km.
    vmax_mae_ms : dict
        Lead time (h) → mean absolute error of the maximum wind, m/s.
    radius_log_sd : dict
        Lead time (h) → standard deviation of the log of the wind-radius factor.
    spread : float
        Factor on every error (1: the published errors; 0: every member is the track itself).
    """

    track_km: dict[float, float] = field(default_factory=lambda: dict(CMA_TRACK_ERROR_KM))
    vmax_mae_ms: dict[float, float] = field(default_factory=lambda: dict(CMA_VMAX_MAE_MS))
    radius_log_sd: dict[float, float] = field(default_factory=lambda: dict(RADIUS_LOG_SD))
    spread: float = 1.0

    def scaled(self, spread: float) -> ErrorModel:
        """The same statistics with ``spread`` as the factor on every error (0–3)."""
        if not (isinstance(spread, int | float) and 0.0 <= spread <= 3.0):
            raise EnsembleError(f"spread must be between 0 and 3 (1: the published errors), got {spread!r}")
        return ErrorModel(self.track_km, self.vmax_mae_ms, self.radius_log_sd, float(spread))

    def track_sigma_km(self, lead_h: np.ndarray) -> np.ndarray:
        """Standard deviation (km) of the along-track and of the cross-track error at each lead time (h)."""
        return self.spread * _table(self.track_km, np.asarray(lead_h, dtype=float)) / _RAYLEIGH

    def vmax_sigma_ms(self, lead_h: np.ndarray) -> np.ndarray:
        """Standard deviation (m/s) of the maximum-wind error at each lead time (h)."""
        return self.spread * _table(self.vmax_mae_ms, np.asarray(lead_h, dtype=float)) * _RAYLEIGH

    def radius_sd(self, lead_h: np.ndarray) -> np.ndarray:
        """Standard deviation of the log wind-radius factor at each lead time (h)."""
        return self.spread * _table(self.radius_log_sd, np.asarray(lead_h, dtype=float))

    def describe(self) -> dict[str, str]:
        return {"track": TRACK_ERROR_SOURCE, "vmax": VMAX_ERROR_SOURCE, "radii": RADIUS_SOURCE,
                "spread": f"{self.spread:g}"}


# ---------------------------------------------------------------------- a member's track
@dataclass(frozen=True)
class MemberTrack(Track):
    """A perturbed track: a :class:`Track` whose radius of maximum wind is scaled point by point.

    Attributes
    ----------
    radius_factor : numpy.ndarray
        Factor on the radius of maximum wind at each point (1: unperturbed).
    member : int
        The member's index (0-based).
    """

    radius_factor: np.ndarray = field(default_factory=lambda: np.ones(0), repr=False)
    member: int = 0

    def interpolate(self, step: str | pd.Timedelta = "1h") -> MemberTrack:
        base = Track.interpolate(self, step)
        t0 = self.points.time.iloc[0]
        h_old = ((self.points.time - t0).dt.total_seconds() / 3600.0).to_numpy()
        h_new = ((base.points.time - t0).dt.total_seconds() / 3600.0).to_numpy()
        factor = np.interp(h_new, h_old, self.radius_factor) if len(self.radius_factor) else np.ones(len(h_new))
        return MemberTrack(base.name, base.source, base.points, base.wind_basis, factor, self.member)

    def vortex(self, i: int) -> Vortex:
        p = self._columns
        f = float(self.radius_factor[i]) if len(self.radius_factor) else 1.0
        return Vortex.from_state(p["lon"][i], p["lat"][i], p["vmax_ms"][i], p["pressure_hpa"][i],
                                 vt_east_ms=p["vt_east_ms"][i], vt_north_ms=p["vt_north_ms"][i], r7_km=p["r7_km"][i],
                                 r10_km=p["r10_km"][i], calibration=RMAX_CALIBRATION * f)

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        """The columns :meth:`vortex` reads, as arrays (a row of the frame costs far more than a member's step)."""
        return {c: self.points[c].to_numpy(dtype=float) for c in ("lon", "lat", "vmax_ms", "pressure_hpa", "vt_east_ms",
                                                                  "vt_north_ms", "r7_km", "r10_km")}


def forecast_track(track: Track, start: datetime | pd.Timestamp | None = None) -> Track:
    """The track at hourly points from ``start`` (default its first point), lead time 0 there.

    Raises
    ------
    EnsembleError
        ``start`` without a time zone, or leaving fewer than two hourly points.
    """
    hourly = track.interpolate("1h")
    if start is None:
        return hourly
    t = pd.Timestamp(start)
    if t.tzinfo is None:
        raise EnsembleError(f"start {start} has no time zone: add +08:00 for Beijing time or Z for UTC")
    pts = hourly.points[hourly.points.time >= t.tz_convert("UTC")].reset_index(drop=True)
    if len(pts) < 2:
        raise EnsembleError(f"start {iso_beijing(t)} leaves fewer than two hours of the track, which runs "
                            f"{iso_beijing(hourly.start)} – {iso_beijing(hourly.end)}")
    return Track(hourly.name, hourly.source, pts, hourly.wind_basis)


def member_track(base: Track, model: ErrorModel, rng: np.random.Generator, member: int = 0) -> MemberTrack:
    """One member: ``base`` (hourly, lead time 0 at its first point) perturbed by ``model``.

    Parameters
    ----------
    base : Track
        The forecast track (:func:`forecast_track`).
    model : ErrorModel
        Error statistics by lead time.
    rng : numpy.random.Generator
        The member's own generator; four standard normals are drawn, in this order: along-track,
        cross-track, maximum wind, wind radius.
    member : int
        Index recorded on the track.

    Returns
    -------
    MemberTrack
    """
    z_along, z_cross, z_vmax, z_radius = rng.standard_normal(4)
    pts = base.points.copy()
    lead_h = ((pts.time - pts.time.iloc[0]).dt.total_seconds() / 3600.0).to_numpy()
    sigma = model.track_sigma_km(lead_h)
    along_km, cross_km = z_along * sigma, z_cross * sigma
    # unit vectors of motion (east, north); north where the storm stands still
    ve, vn = pts.vt_east_ms.to_numpy(dtype=float), pts.vt_north_ms.to_numpy(dtype=float)
    speed = np.hypot(ve, vn)
    still = speed < 1e-6
    ue = np.where(still, 0.0, ve / np.where(still, 1.0, speed))
    un = np.where(still, 1.0, vn / np.where(still, 1.0, speed))
    east_km = along_km * ue + cross_km * un      # cross-track: to the right of the motion
    north_km = along_km * un - cross_km * ue
    lat = pts.lat.to_numpy(dtype=float)
    new_lat = np.clip(lat + north_km / _KM_PER_DEG, -89.0, 89.0)
    new_lon = pts.lon.to_numpy(dtype=float) + east_km / (_KM_PER_DEG * np.cos(np.radians(lat)))
    pts["lat"] = np.where(north_km == 0.0, lat, new_lat)
    pts["lon"] = np.where(east_km == 0.0, pts.lon, (new_lon + 180.0) % 360.0 - 180.0)
    # intensity, with Holland's B kept: Δp ∝ vmax²
    v = pts.vmax_ms.to_numpy(dtype=float)
    dv = z_vmax * model.vmax_sigma_ms(lead_h)
    v_new = np.clip(v + dv, *_VMAX_RANGE)
    pc = pts.pressure_hpa.to_numpy(dtype=float)
    pc_new = np.clip(P_ENV_HPA - (P_ENV_HPA - pc) * (v_new / v) ** 2, 850.0, P_ENV_HPA - 1.0)
    changed = dv != 0.0
    pts["vmax_ms"] = np.where(changed, v_new, v)
    pts["pressure_hpa"] = np.where(changed & np.isfinite(pc), pc_new, pc)
    # wind radii
    factor = np.exp(z_radius * model.radius_sd(lead_h))
    for col, floor in (("r7_km", BEAUFORT_LOWER_MS[6]), ("r10_km", BEAUFORT_LOWER_MS[9])):
        r = pts[col].to_numpy(dtype=float)
        scaled = np.where(factor != 1.0, r * factor, r)
        pts[col] = np.where(pts.vmax_ms.to_numpy() > floor, scaled, np.nan)  # no force-10 radius below force 10
    no_radii = ~(np.isfinite(pts.r7_km.to_numpy()) | np.isfinite(pts.r10_km.to_numpy()))
    return MemberTrack(base.name, base.source, pts, base.wind_basis, np.where(no_radii, factor, 1.0), member)


def member_seeds(seed: int | None, members: int) -> tuple[int, list[np.random.SeedSequence]]:
    """The run's entropy (to report and reuse) and one child seed per member."""
    root = np.random.SeedSequence(seed)
    return int(root.entropy), root.spawn(members)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the worker's router
class EnsembleRouter(Router):
    """A :class:`Router` that keeps, for as long as it lives, what members share.

    The members' cut-off islands come from the router's
    :class:`islandcover.typhoon.replay.CutOffTracker` (built on the first member, kept with the
    router). For :meth:`Router.cutoff` asked directly, this router also keeps the connected
    components of up to :attr:`COMPONENTS_CACHE` closure sets (each an array of one label per
    node, 170 kB, found from the open links without building a graph of minutes), the bases of
    the teams, and the cut-off answer of every distinct set of component labels at the islands
    and the teams' bases.
    """

    COMPONENTS_CACHE = 4096

    def __init__(self, arch: Archipelago, net: TravelNetwork, params: TravelParameters | None = None) -> None:
        super().__init__(arch, net, params)
        self._components = LRUCache(self.COMPONENTS_CACHE)
        self._bases: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        self._cutoffs: dict[bytes, list[CutOffIsland]] = {}

    @staticmethod
    def _statuses_key(statuses: dict[str, str] | None) -> str:
        return repr(sorted(statuses.items())) if statuses else ""

    def components(self, vessel: str, weather: Any) -> np.ndarray:
        """Connected-component label of every node among the links open to ``vessel`` (cached).

        The same partition as :meth:`Router.components`, from the open links alone: no graph
        of minutes is built (the ensemble asks only who reaches whom)."""
        def compute() -> np.ndarray:
            e = np.flatnonzero(self.open_edges(vessel, weather))
            n = self.net.n_nodes
            g = coo_array((np.ones(len(e), dtype=np.int8), (self.net.edge_u[e], self.net.edge_v[e])), shape=(n, n))
            return connected_components(g.tocsr(), directed=False)[1]
        return self._components.get((vessel, self._open_key(vessel, weather)), compute)

    def reach_bases(self, statuses: dict[str, str] | None = None, *,
                    situation: Any = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        if situation is not None:
            return super().reach_bases(statuses, situation=situation)
        key = self._statuses_key(statuses)
        if key not in self._bases:
            self._bases[key] = super().reach_bases(statuses)
        return self._bases[key]

    def cutoff_given(self, labels_of: Callable[[str], np.ndarray], *, statuses: dict[str, str] | None = None,
                     situation: Any = None) -> list[CutOffIsland]:
        if situation is not None:
            return super().cutoff_given(labels_of, statuses=statuses, situation=situation)
        bases = self.reach_bases(statuses)
        nodes = self._powered_nodes[1]
        digest = hashlib.blake2b(self._statuses_key(statuses).encode(), digest_size=20)
        for mode in sorted(bases):  # the answer depends on the labels at the islands and the bases only
            lab = labels_of(mode)
            digest.update(mode.encode())
            digest.update(np.ascontiguousarray(lab[nodes]).tobytes())
            digest.update(np.ascontiguousarray(lab[bases[mode][0]]).tobytes())
        key = digest.digest()
        if key not in self._cutoffs:
            self._cutoffs[key] = super().cutoff_given(labels_of, statuses=statuses)
        return self._cutoffs[key]

    @cached_property
    def station_links(self) -> StationLinks:
        """The stations' sea links (:class:`StationLinks`), worked out once per router."""
        return StationLinks.from_router(self)


class _WorkerInputs:
    """What a worker needs, scattered once; it builds its :class:`EnsembleRouter` on first use and
    keeps it (the scattered object stays in the worker's memory between tasks)."""

    def __init__(self, arch: Archipelago, net: TravelNetwork, params: TravelParameters, base: Track,
                 model: ErrorModel, lead_hours: dict[str, float] | None, ids: Sequence[str],
                 router: EnsembleRouter | None = None) -> None:
        self.arch, self.net, self.params = arch, net, params
        self.base, self.model, self.lead_hours = base, model, lead_hours
        self.ids = list(ids)
        self._router = router
        self._certificates: dict[str, Any] | None = None

    def router(self) -> EnsembleRouter:
        if self._router is None:
            self._router = EnsembleRouter(self.arch, self.net, self.params)
            if self._certificates:  # a head start: what the sending process kept
                CutOffTracker.for_router(self._router).adopt(self._certificates)
        return self._router

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_router"] = None  # never shipped: each process builds its own, with the certificates kept here
        if self._router is not None:
            state["_certificates"] = CutOffTracker.for_router(self._router).certificates()
        return state


# ---------------------------------------------------------------------- one member, one batch
@dataclass(frozen=True)
class _MemberResult:
    """One member's numbers: every field is an array (per island or per station), and the members'
    arrays are stacked field by field (:func:`_stack`): a new output is one new field here."""

    hours: np.ndarray        # total hours cut off, per island
    longest_h: np.ndarray    # longest continuous isolation, per island
    peak_bft: np.ndarray     # strongest force at the island
    cut_from_h: np.ndarray   # lead time (h) of the first step of the longest isolation, per island (NaN: none)
    links_closed_h: np.ndarray  # hours the station's sea links are all closed, per station (StationLinks)


def _stack(results: Sequence[_MemberResult]) -> dict[str, np.ndarray]:
    """Members' results, field by field: (members × islands) or (members × stations) arrays."""
    return {f.name: np.stack([getattr(r, f.name) for r in results]) for f in fields(_MemberResult)}


def _run_member(router: Router, inputs: _WorkerInputs, ids: Sequence[str], member: int,
                seed: np.random.SeedSequence) -> _MemberResult:
    rng = np.random.Generator(np.random.PCG64(seed))
    tr = member_track(inputs.base, inputs.model, rng, member)
    # the replay's steps without what only its display needs (cut_off_hours: the replay's own core)
    hc = cut_off_hours(router, tr, "1h", lead_hours=inputs.lead_hours)
    iso = Isolation.of(hc)
    col = np.array([hc.island_ids.index(i) for i in ids], dtype=np.int64)
    first = iso.longest_first[col]
    links = router.station_links if isinstance(router, EnsembleRouter) else StationLinks.from_router(router)
    return _MemberResult(iso.hours_cut_off[col].astype(float), iso.longest_h[col].astype(float),
                         iso.peak_bft[col].astype(np.int64), np.where(first >= 0, first * hc.step_h, np.nan),
                         # max_bft: an upper bound of the wind on any link at each step
                         links.closed_hours(tr, hc.max_bft, hc.suspended, step_h=hc.step_h, vortices=hc.vortices))


def _run_members(inputs: _WorkerInputs, members: list[tuple[int, np.random.SeedSequence]]) -> list[_MemberResult]:
    """The members given as (index, seed) on this process's router (the task a worker runs)."""
    router = inputs.router()
    return [_run_member(router, inputs, inputs.ids, k, s) for k, s in members]


# ---------------------------------------------------------------------- the answer
@dataclass(frozen=True)
class IslandOdds:
    """The odds of one powered island over the members.

    Attributes
    ----------
    p_cut_off : float
        Share of members in which its longest continuous isolation exceeds ``hours`` (the
        pre-positioning rule of :func:`islandcover.typhoon.replay.prepare`).
    hours_mean, hours_p90 : float
        Mean and 90th percentile (linear interpolation) of its total hours cut off.
    p_force10 : float
        Share of members with force 10 or more at its service point at some hour.
    population : int or None
        Published population (None: no published figure); text output only.
    """

    id: str
    name_zh: str
    name_en: str
    p_cut_off: float
    hours_mean: float
    hours_p90: float
    p_force10: float
    population: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en,
                "p_cut_off": round(self.p_cut_off, 4), "hours_mean": round(self.hours_mean, 2),
                "hours_p90": round(self.hours_p90, 2), "p_force10": round(self.p_force10, 4)}


@dataclass(frozen=True)
class Ensemble:
    """Answer of :func:`run_ensemble`.

    ``islands`` are sorted by ``p_cut_off`` (highest first), then people (most first), then id.
    ``hours_cut_off``, ``longest_h``, ``peak_bft`` and ``cut_from_h`` (the lead time, hours, of
    the first step of the longest isolation; NaN: never cut off) keep every member's numbers
    (members × islands, islands in the order of ``island_ids``).

    ``stations`` (every station with a team) are sorted by ``p_links_close``, then mean hours
    closed, then id; ``links_closed_h`` keeps every member's hours (members × stations, in the
    order of ``station_ids``). Definition: :class:`StationLinks`.
    """

    storm: str
    source: str
    members: int
    hours: float
    seed: int
    start: str
    end: str
    islands: list[IslandOdds]
    seconds: float
    runner: str
    model: ErrorModel
    island_ids: list[str] = field(default_factory=list)
    hours_cut_off: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False, compare=False)
    longest_h: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False, compare=False)
    peak_bft: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False, compare=False)
    stations: list[StationOdds] = field(default_factory=list)
    station_ids: list[str] = field(default_factory=list)
    links_closed_h: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False, compare=False)
    cut_from_h: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False, compare=False)

    @property
    def members_per_s(self) -> float:
        return self.members / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {"storm": self.storm, "members": self.members, "hours": self.hours,
                "islands": [i.to_dict() for i in self.islands],
                "stations": [s.to_dict() for s in self.stations],
                "seed": self.seed, "source": self.source, "start": self.start, "end": self.end,
                "step_h": 1.0, "runner": self.runner, "seconds": round(self.seconds, 2),
                "errors": self.model.describe(),
                "definitions": {
                    "p_cut_off": f"share of members in which the island's longest continuous isolation exceeds "
                                 f"{self.hours:g} h",
                    "hours_mean": "mean over members of the total hours cut off",
                    "hours_p90": "90th percentile (linear interpolation) over members of the total hours cut off",
                    "p_force10": "share of members with force 10 or more at the island's service point at some hour",
                    "p_links_close": STATION_LINKS_DEFINITION,
                    "hours_closed_mean": "mean over members of the hours the station's sea links are all closed",
                    "hours_closed_p90": "90th percentile (linear interpolation) over members of the hours the "
                                        "station's sea links are all closed",
                }}


def check_options(members: int, hours: float, *, scheduler: str | None = None, workers: int | None = None) -> None:
    """Refuse bad options before any work (the command line calls it before building the network).

    Raises
    ------
    EnsembleError
        ``members`` not 1–100000 or ``hours`` not 0–720.
    ClusterError
        ``workers`` negative, or a scheduler address not of the form ``tcp://HOST:PORT``
        (:func:`islandcover.distributed.check_cluster`).
    """
    if isinstance(members, bool) or not isinstance(members, int | np.integer) or not 1 <= members <= _MAX_MEMBERS:
        raise EnsembleError(f"members must be a whole number from 1 to {_MAX_MEMBERS:,}, got {members!r}")
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 <= hours <= 720 or math.isnan(hours):
        raise EnsembleError(f"hours must be between 0 and 720, got {hours!r}")
    check_cluster(workers, scheduler)


def run_ensemble(router: Router, track: Track, members: int, *, hours: float = 12.0, seed: int | None = None,
                 model: ErrorModel | None = None, start: datetime | pd.Timestamp | None = None,
                 workers: int = 2, scheduler: str | None = None, batches_per_worker: int = 8,
                 lead_hours: dict[str, float] | None = LEAD_HOURS, progress: Progress = None,
                 connect_timeout_s: float = 10.0, head_start: bool = True) -> Ensemble:
    """Perturb ``track`` into ``members`` tracks, replay each, and give each island's odds.

    Parameters
    ----------
    router : Router
        The loaded network and teams (every team taken as available at its station: the
        ensemble looks ahead, not at the live state).
    track : Track
        A forecast or best track, replayed as a forecast from its first point (or ``start``).
    members : int
        Number of members, 1–100000.
    hours : float
        Threshold of ``p_cut_off``, hours of continuous isolation (0–720, default 12).
    seed : int, optional
        Root seed; default fresh entropy (reported in :attr:`Ensemble.seed`, to run again).
    model : ErrorModel, optional
        Error statistics (default: the CMA's, :class:`ErrorModel`).
    start : datetime, optional
        Lead time 0 (aware); the track before it is dropped.
    workers : int
        0: serially in this process (dask is not imported); else a ``distributed.LocalCluster``
        of that many processes with one thread each. Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a running scheduler (``tcp://HOST:8786``).
    batches_per_worker : int
        Tasks per worker (members are split into about this many batches per worker; 8: members
        take from a few milliseconds to half a second, and a worker left idle at the end costs more
        than a few more tasks).
    lead_hours : dict, optional
        The replay's lead-time rule (None: wind limits alone).
    progress : callable, optional
        Called with (members done, members) as members finish (the library is silent otherwise).
    connect_timeout_s : float
        How long to try to reach ``scheduler``.
    head_start : bool
        On workers: run the first members in this process while the cluster starts, and send
        the workers the certificates of cut-off islands kept meanwhile
        (:meth:`CutOffTracker.certificates <islandcover.typhoon.replay.CutOffTracker.certificates>`),
        so that they start warm (:func:`islandcover.distributed.map_batches`).

    Returns
    -------
    Ensemble

    Raises
    ------
    EnsembleError
        Bad members or hours (:func:`check_options`).
    ClusterError
        Bad ``workers`` or ``scheduler``, or no scheduler answering at ``scheduler``
        (:func:`islandcover.distributed.map_batches`).
    """
    check_options(members, hours, scheduler=scheduler, workers=None if scheduler else workers)
    t0 = _time.perf_counter()
    model = model or ErrorModel()
    base = forecast_track(track, start)
    entropy, seeds = member_seeds(seed, members)
    ids = [i for i in router.arch.powered.index if i in router.net.island_node]
    inputs = _WorkerInputs(router.arch, router.net, router.params, base, model, lead_hours, ids,
                           router=router if isinstance(router, EnsembleRouter) else None)
    results, runner = map_batches(_run_members, inputs, list(enumerate(seeds)), workers=workers,
                                  scheduler=scheduler, batches_per_worker=batches_per_worker, progress=progress,
                                  connect_timeout_s=connect_timeout_s, head_start=head_start)
    res = _stack(results)
    hrs, longest, peak = res["hours"], res["longest_h"], res["peak_bft"]
    islands = _odds(router, ids, hrs, longest, peak, hours)
    links = router.station_links if isinstance(router, EnsembleRouter) else StationLinks.from_router(router)
    return Ensemble(storm=track.name, source=track.source, members=members, hours=float(hours), seed=entropy,
                    start=iso_beijing(base.start), end=iso_beijing(base.end), islands=islands,
                    seconds=_time.perf_counter() - t0, runner=runner, model=model, island_ids=ids,
                    hours_cut_off=hrs, longest_h=longest, peak_bft=peak,
                    stations=_station_odds(router, links, res["links_closed_h"]),
                    station_ids=list(links.station_ids), links_closed_h=res["links_closed_h"],
                    cut_from_h=res["cut_from_h"])


def _odds(router: Router, ids: list[str], hrs: np.ndarray, longest: np.ndarray, peak: np.ndarray,
          hours: float) -> list[IslandOdds]:
    out = []
    for k, iid in enumerate(ids):
        isl = router.arch.island(iid)
        out.append(IslandOdds(
            id=iid, name_zh=isl.name_zh or "", name_en=isl.name_en or "",
            p_cut_off=float(np.mean(longest[:, k] > hours)), hours_mean=float(np.mean(hrs[:, k])),
            hours_p90=float(np.percentile(hrs[:, k], 90)), p_force10=float(np.mean(peak[:, k] >= 10)),
            population=isl.population))
    out.sort(key=lambda o: (-o.p_cut_off, -(o.population or 0), o.id))
    return out


# ---------------------------------------------------------------------- the stations' links
@dataclass(frozen=True, eq=False)
class StationLinks:
    """The sea links by which each station's teams leave it, and whether a storm closes them all.

    Definition (the ensemble's ``p_links_close``): a station's links are **closed** at an hour when
    none of its teams can set out by its own means of travel, that is, for **every** boat class
    based there (teams of any status: the ensemble looks ahead),

    * an own boat (``workboat``, ``fast``): every sea lane at the landing the station puts to sea
      from (the network's ``embark`` edge from the station; the lanes usable by that class) is
      closed to it: the wind at the lane's midpoint exceeds the class's limit for the lane's
      exposure (sheltered or open sea);
    * a team riding the scheduled boats (``ferry``): every sailing from a pier of the station's
      land mass to another is stopped: the strongest wind along its crossing exceeds its
      service's limit (as :meth:`Router.edge_wind` reads a sailing), or the lead-time rule has
      stopped it (a route suspension).

    Roads and bridges are not the station's sea links and are left out: a station on a bridged
    island may still send a team by road (the islands' cut-off odds count bridges). The winds
    are read at those links only, so a member costs a few hundred wind evaluations per windy
    hour, not the whole network's.

    Build it with :meth:`from_router`; arrays are indexed by link, group (station × class) and
    station, in the order of :attr:`station_ids`.
    """

    station_ids: tuple[str, ...]
    classes: tuple[tuple[str, ...], ...]
    lon: np.ndarray = field(repr=False)          # midpoints of the edges whose wind is read
    lat: np.ndarray = field(repr=False)
    order: np.ndarray = field(repr=False)        # per link, its edges (indices into lon/lat), links concatenated
    starts: np.ndarray = field(repr=False)       # where each link's edges start in ``order``
    limit: np.ndarray = field(repr=False)        # per link: the wind limit of its class (closed above)
    route: np.ndarray = field(repr=False)        # per link: its sailing's code in ``routes``, -1 for a lane
    routes: dict[str, int] = field(repr=False)   # sailing id → code
    link_group: np.ndarray = field(repr=False)   # per link: its group
    group_station: np.ndarray = field(repr=False)  # per group: its station
    n_groups: np.ndarray = field(repr=False)     # per station: groups with at least one link
    threshold: np.ndarray = field(repr=False)    # per station: no wind up to this closes it

    @classmethod
    def from_router(cls, router: Router) -> StationLinks:
        """The links of every station that has a team, from the router's network and wind limits."""
        net, arch = router.net, router.arch
        mode = np.asarray(net.edge_mode).astype(str)
        ferry_lim = router.limits(FERRY_MODE)
        mass = {str(k): int(v) for k, v in net.landmass.items()}
        island = np.asarray(net.node_island).astype(str)
        ferries = np.flatnonzero(mode == "ferry")
        f_mass = [(mass.get(island[net.edge_u[e]], -1), mass.get(island[net.edge_v[e]], -2)) for e in ferries]
        paths = {int(e): np.asarray(net.ferry_path(int(e)), dtype=np.int64) for e in ferries}
        seaish = np.isin(mode, ("sea", "embark"))
        on_path = np.unique(np.concatenate([*paths.values(), np.zeros(0, dtype=np.int64)]))
        near = np.flatnonzero(seaish & np.isin(net.edge_u, on_path) & np.isin(net.edge_v, on_path))
        pair_edge = {(int(min(a, b)), int(max(a, b))): int(e)
                     for e, a, b in zip(near, net.edge_u[near], net.edge_v[near])}
        embark = np.flatnonzero(mode == "embark")
        landing_of = {int(u): int(v) for u, v in zip(net.edge_u[embark], net.edge_v[embark])}
        sea = mode == "sea"

        edges: list[int] = []          # network edges whose wind is read
        slot: dict[int, int] = {}
        order: list[int] = []
        starts: list[int] = []
        limit: list[int] = []
        route: list[str] = []
        link_group: list[int] = []
        group_station: list[int] = []
        group_notice: list[bool] = []
        group_min: list[int] = []

        def read(e: int) -> int:
            if e not in slot:
                slot[e] = len(edges)
                edges.append(e)
            return slot[e]

        sids = sorted(s for s in set(map(str, arch.teams.station_id)) if s in net.station_node)
        classes = []
        for k, sid in enumerate(sids):
            mine = tuple(sorted(set(map(str, arch.teams.boat_class[arch.teams.station_id == sid]))))
            classes.append(mine)
            node = net.station_node[sid]
            home = mass.get(str(arch.stations.at[sid, "island_id"]), -3)
            for vessel in mine:
                links: list[tuple[list[int], int, str]] = []
                if vessel == FERRY_MODE:
                    for e, (ma, mb) in zip(ferries, f_mass):
                        if (ma == home) != (mb == home) and ferry_lim[e] >= 0:
                            p = paths[int(e)]
                            along = [pair_edge.get((int(min(a, b)), int(max(a, b)))) for a, b in zip(p[:-1], p[1:])]
                            found = [x for x in along if x is not None]
                            links.append((found or [int(e)], int(ferry_lim[e]), str(net.edge_name[e])))
                else:
                    lim = router.limits(vessel)
                    landing = landing_of.get(node)
                    if landing is not None:
                        lanes = np.flatnonzero(sea & ((net.edge_u == landing) | (net.edge_v == landing)) & (lim >= 0))
                        links += [([int(e)], int(lim[e]), "") for e in lanes]
                if not links:
                    continue  # no way out by this class: it never keeps the station open
                g = len(group_station)
                group_station.append(k)
                group_notice.append(vessel == FERRY_MODE)
                group_min.append(min(lm for _, lm, _ in links))
                for members, lm, rid in links:
                    starts.append(len(order))
                    order += [read(e) for e in members]
                    limit.append(lm)
                    route.append(rid)
                    link_group.append(g)
        n_groups = np.bincount(np.asarray(group_station, dtype=np.int64), minlength=len(sids))
        # a station closes only when all its groups do; a group of lanes only when the wind exceeds the
        # lowest limit among them (a sailing may be suspended whatever the wind: no bound)
        threshold = np.full(len(sids), -1, dtype=np.int64)
        for g, k in enumerate(group_station):
            if not group_notice[g]:
                threshold[k] = max(threshold[k], group_min[g])
        idx = np.asarray(edges, dtype=np.int64)
        codes = {rid: c for c, rid in enumerate(sorted({r for r in route if r}))}
        return cls(station_ids=tuple(sids), classes=tuple(classes),
                   lon=np.asarray(net.edge_mid_lon, dtype=float)[idx],
                   lat=np.asarray(net.edge_mid_lat, dtype=float)[idx],
                   order=np.asarray(order, dtype=np.int64), starts=np.asarray(starts, dtype=np.int64),
                   limit=np.asarray(limit, dtype=np.int64),
                   route=np.asarray([codes.get(r, -1) for r in route], dtype=np.int64), routes=codes,
                   link_group=np.asarray(link_group, dtype=np.int64),
                   group_station=np.asarray(group_station, dtype=np.int64), n_groups=n_groups, threshold=threshold)

    def closed(self, weather: Any, suspended: Sequence[str] = ()) -> np.ndarray:
        """Whether each station's links are all closed under ``weather`` (in :attr:`station_ids` order).

        Parameters
        ----------
        weather : Weather or StormWeather
            Anything with ``wind_at(lon, lat)`` giving wind forces (0–17).
        suspended : sequence of str
            Sailings (route ids, ``F-18``) stopped whatever the wind: the replay's
            :attr:`ReplayStep.suspended`.
        """
        wind = np.asarray(weather.wind_at(self.lon, self.lat), dtype=np.int64)
        return self.closed_given(wind[None, :], [tuple(suspended)])[0]

    def closed_given(self, wind: np.ndarray, suspended: Sequence[Sequence[str]]) -> np.ndarray:
        """Whether each station's links are all closed at each of several steps (steps × stations).

        Parameters
        ----------
        wind : numpy.ndarray
            Steps × link points: the force at :attr:`lon`/:attr:`lat` at each step.
        suspended : sequence of sequences of str
            Per step, the sailings stopped whatever the wind.
        """
        n = len(wind)
        if len(self.limit) == 0:
            return np.broadcast_to(self.n_groups == 0, (n, len(self.station_ids))).copy()
        link_wind = np.maximum.reduceat(np.asarray(wind)[:, self.order], self.starts, axis=1)
        shut = link_wind > self.limit[None, :]
        for i, routes in enumerate(suspended):
            stopped = [self.routes[r] for r in routes if r in self.routes]
            if stopped:
                hit = np.zeros(len(self.routes) + 1, dtype=bool)  # the last entry: lanes (code -1), never stopped
                hit[stopped] = True
                shut[i] |= hit[self.route]
        link_in = np.zeros((len(self.limit), len(self.group_station)), dtype=np.int32)  # link × group
        link_in[np.arange(len(self.limit)), self.link_group] = 1
        group_in = np.zeros((len(self.group_station), len(self.station_ids)), dtype=np.int32)  # group × station
        group_in[np.arange(len(self.group_station)), self.group_station] = 1
        group_shut = ((~shut).astype(np.int32) @ link_in) == 0  # no link of the group open
        shut_groups = group_shut.astype(np.int32) @ group_in
        return shut_groups == self.n_groups[None, :]

    def closed_hours(self, track: Track, max_bft: Sequence[int] | np.ndarray,
                     suspended: Sequence[Sequence[str]], *, step_h: float = 1.0,
                     vortices: Sequence[Vortex] | None = None) -> np.ndarray:
        """Hours each station's links are closed over the steps of a replay of ``track``.

        Parameters
        ----------
        track : Track
            The track the replay stepped through, at its steps (point ``i`` is step ``i``).
        max_bft : sequence of int
            Each step's :attr:`ReplayStep.max_bft` (an upper bound of the wind on any link): a
            step whose bound closes no station is not evaluated.
        suspended : sequence of sequences of str
            Each step's :attr:`ReplayStep.suspended`.
        step_h : float
            Hours per step.
        vortices : sequence of Vortex, optional
            Each step's wind field, when the replay kept them
            (:attr:`~islandcover.typhoon.replay.CutOffHours.vortices`); default: built from ``track``.

        Raises
        ------
        EnsembleError
            ``track`` and the steps differ in length.
        """
        bound = np.asarray(max_bft, dtype=np.int64)
        if len(track.points) != len(bound) or len(suspended) != len(bound) or (
                vortices is not None and len(vortices) != len(bound)):
            msg = (f"the track has {len(track.points)} points but the replay {len(bound)} steps: give the track "
                   "at the replay's steps")
            raise EnsembleError(msg)
        never = self.n_groups == 0
        # a step whose bound is within every station's threshold closes none (a station with no way out
        # is closed at every step)
        lowest = int(self.threshold[~never].min()) if (~never).any() else np.iinfo(np.int64).max
        count = never.astype(np.int64) * len(bound)
        steps = np.flatnonzero(bound > lowest)
        if len(steps):
            states = [vortices[i] if vortices is not None else track.vortex(int(i)) for i in steps]
            closed = self.closed_given(forces_bft(states, self.lon, self.lat), [suspended[i] for i in steps])
            count += (closed & ~never[None, :]).sum(axis=0)
        return count * float(step_h)


@dataclass(frozen=True)
class StationOdds:
    """The odds that one station's links close (definition: :class:`StationLinks`).

    Attributes
    ----------
    p_links_close : float
        Share of members in which the station's links are all closed for at least one hour.
    hours_closed_mean, hours_closed_p90 : float
        Mean and 90th percentile (linear interpolation) of the hours they are closed.
    classes : tuple of str
        Boat classes of the station's teams.
    """

    id: str
    name_zh: str
    name_en: str
    island_id: str
    classes: tuple[str, ...]
    p_links_close: float
    hours_closed_mean: float
    hours_closed_p90: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "island_id": self.island_id,
                "boat_classes": list(self.classes), "p_links_close": round(self.p_links_close, 4),
                "hours_closed_mean": round(self.hours_closed_mean, 2),
                "hours_closed_p90": round(self.hours_closed_p90, 2)}


def _station_odds(router: Router, links: StationLinks, closed_h: np.ndarray) -> list[StationOdds]:
    out = []
    for k, sid in enumerate(links.station_ids):
        st = router.arch.stations.loc[sid]
        col = closed_h[:, k] if closed_h.size else np.zeros(0)
        out.append(StationOdds(
            id=sid, name_zh=str(st.get("name_zh") or ""), name_en=str(st.get("name_en") or ""),
            island_id=str(st.get("island_id") or ""), classes=links.classes[k],
            p_links_close=float(np.mean(col >= 1.0)) if len(col) else 0.0,
            hours_closed_mean=float(np.mean(col)) if len(col) else 0.0,
            hours_closed_p90=float(np.percentile(col, 90)) if len(col) else 0.0))
    out.sort(key=lambda o: (-o.p_links_close, -o.hours_closed_mean, o.id))
    return out
