"""Coverage of the powered islands by the stations: metrics, responsibility zones, what-if scenarios.

Planning assumptions (stated in every report):

* Every station fields one team of the scenario's *planning vessel* (default ``workboat``, the
  class every light station keeps); dispatch (:meth:`Router.nearest`) uses the real roster.
* An island is reached when a team lands at its service point. Its people are the island's
  population on the 2020 census basis (``population`` of ``islands.geojson``; see
  data/islands/README.md); islands without a figure count in the island shares and are listed,
  but not in the people shares (whose denominator says how many people are known).
* A *responsibility zone* is the set of islands a station reaches first (travel time, not
  straight-line distance; ties go to the lower station id). A user may override assignments
  (island → station) and the zone metrics follow the assigned station's time.
* Zone polygons are the union of the zone's islands (the water between is not assigned: no one
  lives there, and a catchment drawn on water would suggest a boundary nobody patrols).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from islandcover._plumbing import LRUCache
from islandcover.errors import DataError, IslandcoverError, UnknownStation
from islandcover.facts import DISTRICTS
from islandcover.planning.capacity import site_capacities
from islandcover.planning.scenario import Scenario
from islandcover.planning.siting import SitingProblem
from islandcover.planning.travel_matrix import (
    Demand,
    Site,
    candidate_sites,
    island_demand,
    site_at,
    site_on_island,
    travel_matrix,
)
from islandcover.travel.routing import Router

__all__ = ["THRESHOLDS_MIN", "STATE_GRID_PROMISE_MIN", "CoverageReport", "CoverageModel",
           "parse_site", "read_assignments", "demand_weights"]

#: Default thresholds of the reports, minutes. 45/90/120 are State Grid's published promise
#: (urban 45 min, rural 90 min, remote 2 h); 30 and 60 are the planners' usual steps.
THRESHOLDS_MIN: tuple[int, ...] = (30, 45, 60, 90, 120)

#: State Grid's arrival promise, minutes.
STATE_GRID_PROMISE_MIN: dict[str, int] = {"urban": 45, "rural": 90, "remote": 120}

#: ETAs closer than this (minutes) count as unchanged in comparisons.
ETA_TOLERANCE_MIN = 0.05


def parse_site(router: Router, site_id: str, text: str) -> Site:
    """A site from ``"lon,lat"`` or an island reference.

    Raises
    ------
    IslandcoverError
        For a malformed coordinate pair, a point at sea or outside the archipelago, or an
        unknown island.
    """
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) == 2:
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except ValueError:
            raise IslandcoverError(f"site {site_id}: '{text}' is neither 'lon,lat' nor an island") from None
        return site_at(router.arch, site_id, lon, lat)
    if len(parts) > 2:
        raise IslandcoverError(f"site {site_id}: '{text}' must be 'lon,lat' (two numbers) or an island")
    return site_on_island(router, site_id, text)


def read_assignments(path: str | Path, router: Router, station_ids: Iterable[str]) -> dict[str, str]:
    """Read zone overrides: a CSV with columns ``island`` (id or name) and ``station`` (id).

    Raises
    ------
    DataError
        Naming the file, row and field of a bad entry.
    """
    p = Path(path)
    try:
        table = pd.read_csv(p, dtype=str, keep_default_na=False, comment="#")
    except FileNotFoundError:
        raise DataError(str(p), "file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(str(p), f"not a readable CSV ({exc})") from None
    for col in ("island", "station"):
        if col not in table.columns:
            raise DataError(str(p), f"missing column '{col}' (columns are island, station)", field=col)
    known = set(station_ids)
    out: dict[str, str] = {}
    for k, row in enumerate(table.itertuples(index=False), start=2):
        try:
            iid = router.arch.island(row.island).id
        except IslandcoverError as exc:
            raise DataError(str(p), str(exc), row=k, field="island") from None
        if row.station not in known:
            raise DataError(str(p), f"station '{row.station}' is not a station of this scenario "
                            f"({', '.join(sorted(known))})", row=k, field="station")
        out[iid] = row.station
    return out


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of one scenario: per-threshold shares, district breakdown, worst-served islands.

    ``table`` has one row per demand island: ``station`` (assigned), ``eta_min`` (from the
    assigned station), ``best_eta_min``, ``n_within_<T>`` (stations within each threshold).
    """

    scenario: Scenario
    thresholds: tuple[int, ...]
    stations: list[Site]
    table: pd.DataFrame
    people_known: float
    islands_without_population: list[str]

    def covered(self, minutes: float) -> pd.Series:
        """Whether each island is reached within ``minutes`` by its assigned station."""
        return self.table.eta_min <= minutes

    def share(self, minutes: float, by: str | None = None) -> pd.DataFrame:
        """Islands and people covered within ``minutes``, overall or grouped by a column."""
        t = self.table.assign(covered=self.covered(minutes), people_covered=lambda d: d.people.where(d.covered, 0.0))
        groups = [("all", t)] if by is None else list(t.groupby(by, sort=True, observed=False))
        rows = []
        for key, g in groups:
            people = float(g.people.sum())
            rows.append({"group": key, "islands": len(g), "islands_covered": int(g.covered.sum()),
                         "islands_covered_share": float(g.covered.mean()) if len(g) else 0.0,
                         "people": people, "people_covered": float(g.people_covered.sum()),
                         "people_covered_share": float(g.people_covered.sum() / people) if people else None})
        return pd.DataFrame(rows).set_index("group")

    def worst(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` worst-served islands (unreachable first, then by best ETA)."""
        t = self.table.assign(_unreach=self.table.best_eta_min.isna())
        return t.sort_values(["_unreach", "best_eta_min"], ascending=[False, False]).head(n).drop(columns="_unreach")

    def to_dict(self, minutes: Sequence[float] | None = None) -> dict[str, object]:
        """JSON-ready report; ``minutes`` selects thresholds (default: all of the report's)."""
        eta = self.table.eta_min
        reach = eta.dropna()
        w = self.table.people.fillna(0)[eta.notna()]
        out: dict[str, object] = {
            "scenario": self.scenario.to_dict(),
            "stations": [s.to_dict() for s in self.stations],
            "islands": len(self.table),
            "people_known": self.people_known,
            "islands_without_population": self.islands_without_population,
            "unreachable": [str(i) for i in eta[eta.isna()].index],
            "unreachable_islands": [
                {"island_id": str(i), "name_zh": r.name_zh, "people": _r(r.people, 0)}
                for i, r in self.table[eta.isna()].iterrows()],
            "unreachable_people": _r(self.table.people[eta.isna()].fillna(0).sum(), 0),
            "reachable_islands": int(len(reach)),
            "reachable_share": _r(len(reach) / len(self.table), 4) if len(self.table) else None,
            # over the reachable islands only: read it beside reachable_share, never alone
            "mean_eta_min": _r(reach.mean()) if len(reach) else None,
            "p95_eta_min": _r(reach.quantile(0.95)) if len(reach) else None,
            "people_weighted_mean_eta_min": _r(float((reach * w).sum() / w.sum())) if w.sum() else None,
            "worst_served": [{"island_id": str(i), "name_zh": r.name_zh, "best_eta_min": _r(r.best_eta_min),
                              "station": r.station} for i, r in self.worst().iterrows()],
            "thresholds": {},
        }
        for m in (minutes or self.thresholds):
            overall = self.share(m).loc["all"]
            by_d = self.share(m, by="district")
            out["thresholds"][_tkey(m)] = {  # type: ignore[index]
                "minutes": m,
                "islands_covered": int(overall.islands_covered),
                "islands_covered_share": _r(overall.islands_covered_share, 4),
                "people_covered": _r(overall.people_covered, 0),
                "people_covered_share": _r(overall.people_covered_share, 4),
                "backup_islands": int((self.table[f"n_within_{_tkey(m)}"] >= 2).sum()) if f"n_within_{_tkey(m)}" in self.table else None,
                "by_district": {str(d): {"islands": int(r.islands), "islands_covered": int(r.islands_covered),
                                         "islands_covered_share": _r(r.islands_covered_share, 4),
                                         "people_covered_share": _r(r.people_covered_share, 4)}
                                for d, r in by_d.iterrows()},
            }
        return out


def _r(x: object, nd: int = 1) -> float | int | None:
    """Round for reports; None for missing values, an int for ``nd == 0``."""
    if x is None or pd.isna(x):  # type: ignore[call-overload]
        return None
    v = round(float(x), nd)  # type: ignore[arg-type]
    return int(v) if nd == 0 else v


def _tkey(minutes: float) -> str:
    """A threshold as a key: ``30``, ``45``, ``37.5``."""
    return f"{float(minutes):g}"


def demand_weights(demand: Demand, weight: str = "people") -> np.ndarray:
    """Siting weights of the demand points.

    ``people``: the published population, plus ``1/(n+1)`` per point, a tie-break that makes
    a solution covering more islands win among solutions covering the same people (islands
    without a published population get only the tie-break; no figure is invented for them).
    ``islands``: 1 per point.
    """
    if weight == "islands":
        return np.ones(len(demand))
    if weight != "people":
        raise IslandcoverError(f"weight must be 'people' or 'islands', got {weight!r}")
    return np.nan_to_num(demand.people, nan=0.0) + 1.0 / (len(demand) + 1)


class CoverageModel:
    """Coverage questions over one archipelago and network; matrices are cached per scenario.

    Parameters
    ----------
    router : Router
        The loaded archipelago, its network and travel parameters.
    demand : Demand, optional
        Demand points (default: one per powered island, :func:`island_demand`).
    """

    #: How many travel-time matrices are kept (least recently used ones are dropped).
    CACHE_SIZE = 64

    def __init__(self, router: Router, demand: Demand | None = None) -> None:
        self.router = router
        self.arch = router.arch
        self.demand = demand or island_demand(router)
        self.candidates: tuple[Site, ...] = tuple(candidate_sites(router))
        self._matrices: LRUCache[tuple[str, str, str], pd.DataFrame] = LRUCache(self.CACHE_SIZE)

    # ------------------------------------------------------------------ sites and matrices
    def stations(self, scenario: Scenario) -> list[Site]:
        """The stations of a scenario: the light stations, changed as it says."""
        base = {s.id: s for s in self.candidates if s.kind == "light_station"}
        for sid in list(scenario.close) + [m[0] for m in scenario.move]:
            if sid not in base:
                raise UnknownStation(f"no light station '{sid}' to close or move "
                                     f"(stations are {', '.join(sorted(base))})")
        for sid in scenario.close:
            del base[sid]
        for sid, where in scenario.move:
            old = base[sid]
            new = parse_site(self.router, sid, where)
            base[sid] = replace(new, name=f"{old.name} (moved)", kind="light_station")
        for k, where in enumerate(scenario.add, start=1):
            s = parse_site(self.router, f"NEW-{k}", where)
            base[s.id] = s
        return list(base.values())

    def matrix(self, scenario: Scenario, sites: Sequence[Site] | None = None) -> pd.DataFrame:
        """Minutes from each site (default: the scenario's stations) to each demand point.

        Rows are demand ids, columns site ids, NaN where unreachable; cached per scenario.
        """
        use = list(sites) if sites is not None else self.stations(scenario)
        when = scenario.at.astimezone(UTC).strftime("%Y%m%d%H%M") if scenario.at is not None else ""
        key = (scenario.weather.key, scenario.vessel, when,
               "|".join(f"{s.id}@{s.node}@{s.lon:.6f},{s.lat:.6f}" for s in use))
        return self._matrices.get(key, lambda: travel_matrix(self.router, use, self.demand, scenario.vessel,
                                                             scenario.weather, scenario.at))

    def candidate_matrix(self, scenario: Scenario, extra: Sequence[Site] = ()) -> pd.DataFrame:
        """Minutes from every candidate site (every landing, plus ``extra``) to each demand point."""
        return self.matrix(scenario, list(self.candidates) + list(extra))

    def site_kinds(self, sites: Sequence[str]) -> dict[str, list[str]]:
        """Split chosen sites into the existing light stations and the new sites (service points
        and added points): a site is never called new when a light station stands there."""
        kind = self.router.arch.stations.kind
        return {"existing": [s for s in sites if kind.get(s) == "light_station"],
                "new": [s for s in sites if kind.get(s) != "light_station"]}

    def siting_problem(self, scenario: Scenario, *, keep_existing: bool = False, weight: str = "people") -> SitingProblem:
        """The siting instance of a scenario: every landing as a candidate, with the scenario's
        stations in place (closed ones removed, moved ones at their new place, added ones in).

        Parameters
        ----------
        scenario : Scenario
            Weather, vessel and station changes.
        keep_existing : bool
            Keep the scenario's stations open (``p`` then counts new sites only).
        weight : str
            ``people`` or ``islands`` (:func:`demand_weights`).
        """
        stations = self.stations(scenario)
        sites = {s.id: s for s in self.candidates if s.id not in scenario.close}
        sites.update({s.id: s for s in stations})
        cost = self.matrix(scenario, list(sites.values()))
        fixed = [s.id for s in stations] if keep_existing else []
        return SitingProblem.from_cost_matrix(cost, demand_weights(self.demand, weight), fixed)

    def site_capacities(self, problem: SitingProblem, capacity: str | float, *, scale: float = 1.0,
                        new_site: float | None = None) -> dict[str, float]:
        """Each candidate site's capacity (demand weight it may serve), for
        ``problem.solve(..., capacity=...)``.

        Parameters
        ----------
        problem : SitingProblem
            From :meth:`siting_problem` (its sites: the scenario's stations and every landing).
        capacity : str or float
            A number: every site serves at most that much of the demand weight (people, or
            islands with ``weight="islands"``). A column of the teams table, e.g. ``head_count``
            (or ``teams``, how many teams), summed over the teams based at each site, times ``scale``.
        scale : float
            Demand weight one unit of the column serves (e.g. 10,000 people per crew member).
        new_site : float, optional
            The column's value for sites without teams (service points, added sites).

        See :func:`islandcover.planning.capacity.site_capacities`.
        """
        return site_capacities(self.arch.teams, problem.site_ids, capacity, scale=scale, new_site=new_site)

    # ------------------------------------------------------------------ zones and metrics
    def zones(self, scenario: Scenario, overrides: Mapping[str, str] | None = None) -> pd.DataFrame:
        """Responsibility zones: each island's station (first to arrive, or the override).

        Returns
        -------
        pandas.DataFrame
            Index island id; columns ``station`` (None where no station reaches it),
            ``eta_min`` (from that station), ``best_station``, ``best_eta_min``, ``overridden``.
        """
        m = self.matrix(scenario)
        ids = list(m.columns)
        order = sorted(range(len(ids)), key=lambda k: ids[k])  # ties go to the lower station id
        vals = m.to_numpy()[:, order]
        filled = np.where(np.isnan(vals), np.inf, vals)
        best = np.argmin(filled, axis=1)
        best_eta = filled[np.arange(len(m)), best]
        best_sid = [ids[order[b]] if np.isfinite(e) else None for b, e in zip(best, best_eta)]
        z = pd.DataFrame({"station": best_sid, "eta_min": np.where(np.isfinite(best_eta), best_eta, np.nan),
                          "best_station": best_sid, "best_eta_min": np.where(np.isfinite(best_eta), best_eta, np.nan),
                          "overridden": False}, index=m.index)
        for iid, sid in (overrides or {}).items():
            if sid not in m.columns:
                raise UnknownStation(f"override {iid} → '{sid}': not a station of this scenario")
            if iid not in z.index:
                raise IslandcoverError(f"override for '{iid}': not a demand island")
            z.loc[iid, ["station", "eta_min", "overridden"]] = [sid, m.at[iid, sid], True]
        return z

    def zone_polygons(self, scenario: Scenario, overrides: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
        """Zones as polygons (union of each station's islands), EPSG:4326."""
        z = self.zones(scenario, overrides)
        isl = self.arch.islands.loc[[i for i in z.index if i in self.arch.islands.index]]
        g = isl[["geometry"]].join(z.station).dropna(subset=["station"])
        out = g.dissolve(by="station").reset_index()
        out["islands"] = [int((z.station == s).sum()) for s in out.station]
        return out

    def report(self, scenario: Scenario, thresholds: Sequence[float] = THRESHOLDS_MIN,
               overrides: Mapping[str, str] | None = None) -> CoverageReport:
        """Coverage of a scenario at each threshold (minutes)."""
        for t in thresholds:
            if not (isinstance(t, int | float) and 0 < t <= 24 * 60):
                raise IslandcoverError(f"threshold {t!r} must be a number of minutes in (0, 1440]")
        m = self.matrix(scenario)
        z = self.zones(scenario, overrides)
        isl = self.arch.islands
        table = z.copy()
        table["island_id"] = [self.demand.island_ids[k] for k in range(len(self.demand))]
        table["name_zh"] = table.island_id.map(isl.name_zh)
        table["district"] = pd.Categorical(table.island_id.map(isl.district), categories=list(DISTRICTS))
        table["people"] = self.demand.people
        for t in thresholds:
            table[f"n_within_{_tkey(t)}"] = (m <= t).sum(axis=1).to_numpy()
        no_pop = sorted({i for i, p in zip(self.demand.island_ids, self.demand.people) if np.isnan(p)})
        return CoverageReport(scenario=scenario, thresholds=tuple(thresholds), stations=self.stations(scenario),
                              table=table, people_known=float(np.nansum(self.demand.people)),
                              islands_without_population=no_pop)

    def compare(self, a: Scenario, b: Scenario, thresholds: Sequence[float] = THRESHOLDS_MIN) -> dict[str, object]:
        """Every metric of two scenarios side by side, with deltas and the islands that changed."""
        ra, rb = self.report(a, thresholds), self.report(b, thresholds)
        da, db = ra.to_dict(), rb.to_dict()
        metrics: dict[str, dict[str, object]] = {}
        for key in ("mean_eta_min", "p95_eta_min", "people_weighted_mean_eta_min"):
            metrics[key] = _delta(da[key], db[key])
        metrics["unreachable_islands"] = _delta(len(da["unreachable"]), len(db["unreachable"]))  # type: ignore[arg-type]
        per_t: dict[str, object] = {}
        for t, va in da["thresholds"].items():  # type: ignore[union-attr]
            vb = db["thresholds"][t]  # type: ignore[index]
            per_t[t] = {k: _delta(va[k], vb[k]) for k in ("islands_covered", "islands_covered_share",
                                                         "people_covered", "people_covered_share", "backup_islands")}
            per_t[t]["by_district"] = {d: {k: _delta(va["by_district"][d][k], vb["by_district"][d][k])
                                           for k in ("islands_covered", "islands_covered_share", "people_covered_share")}
                                       for d in va["by_district"]}
        changed = []
        for iid in ra.table.index:
            x, y = ra.table.loc[iid], rb.table.loc[iid]
            ex, ey = x.eta_min, y.eta_min
            eta_changed = (np.isnan(ex) != np.isnan(ey)) or (not np.isnan(ex) and abs(ex - ey) > ETA_TOLERANCE_MIN)
            same_station = (pd.isna(x.station) and pd.isna(y.station)) or x.station == y.station
            if not same_station or eta_changed:
                changed.append({"island_id": str(iid), "name_zh": x.name_zh,
                                "station_a": None if pd.isna(x.station) else x.station,
                                "station_b": None if pd.isna(y.station) else y.station,
                                "eta_min_a": _r(ex), "eta_min_b": _r(ey),
                                "delta_min": None if np.isnan(ex) or np.isnan(ey) else _r(ey - ex)})
        return {"a": a.to_dict(), "b": b.to_dict(), "metrics": metrics, "thresholds": per_t, "changed_islands": changed}


def _delta(a: object, b: object) -> dict[str, object]:
    d = None if a is None or b is None else round(float(b) - float(a), 4)  # type: ignore[arg-type]
    return {"a": a, "b": b, "delta": d}
