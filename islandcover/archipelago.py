"""The loaded model of the archipelago: islands, stations, teams and their lookups.

Load it once and pass it::

    arch = Archipelago.load()                         # shipped data
    arch = Archipelago.load(stations="ops.gpkg", teams="teams.csv", crs="GCJ-02")
    arch.island("蚂蚁")            # id, Chinese name with or without 岛/山, or pinyin
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from islandcover.config import DEFAULT_DATA_DIR
from islandcover.errors import (
    OutsideArchipelago,
    UnknownIsland,
    UnknownPlace,
    UnknownStation,
    UnknownTeam,
)
from islandcover.facts import BOUNDS, DISTRICTS, METRIC_CRS
from islandcover.io import ferries as ferry_data
from islandcover.io import files as io

__all__ = ["Island", "Station", "Team", "Archipelago", "name_keys"]

_GENERIC = ("岛", "山")
_PART = re.compile(r"[（(].*?[)）]")


@dataclass(frozen=True)
class Island:
    """One island (or, for Zhoushan Island, one district's part of it).

    Attributes
    ----------
    id : str
        Stable id, ``ZS-0001`` ...
    name_zh, name_en : str or None
        Chinese name and pinyin (None for unnamed islets).
    district : str
        定海区, 普陀区, 岱山县 or 嵊泗县.
    area_km2 : float
        Area of the GSHHG polygon in UTM 51N, km².
    population : int or None
        Published population (see ``pop_year``); None where no source gives one.
    powered : bool
        One of the powered (inhabited) islands served by the utility.
    lon, lat : float
        A representative point on the island, WGS84.
    """

    id: str
    name_zh: str | None
    name_en: str | None
    district: str
    area_km2: float
    population: int | None
    pop_year: int | None
    powered: bool
    lon: float
    lat: float

    @property
    def label(self) -> str:
        """``"蚂蚁岛 (Mayi Dao, ZS-0123)"``."""
        names = ", ".join(x for x in (self.name_en, self.id) if x)
        return f"{self.name_zh or self.id} ({names})" if self.name_zh else self.id


@dataclass(frozen=True)
class Station:
    """A light station (光明驿站) or a service point, placed on an island."""

    id: str
    name_zh: str
    name_en: str
    kind: str
    island_id: str
    lon: float
    lat: float
    illustrative: bool


@dataclass(frozen=True)
class Team:
    """A service team based at a station, travelling with one boat class."""

    id: str
    name: str
    station_id: str
    boat_class: str
    head_count: int
    status: str
    illustrative: bool


def name_keys(name: str) -> set[str]:
    """Lookup keys of a name: case-, space-, tone- and suffix-insensitive.

    ``"蚂蚁岛"`` → {"蚂蚁岛", "蚂蚁"}; ``"Mayi Dao"`` → {"mayidao", "mayi"}.
    """
    text = unicodedata.normalize("NFKD", name.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))  # ü→u, tone marks off
    text = re.sub(r"[\s\-'’·_]", "", text)
    keys = {text}
    base = _PART.sub("", text)
    keys.add(base)
    for k in list(keys):
        for suffix in ("dao", "shan", *_GENERIC):
            if k.endswith(suffix) and len(k) > len(suffix) + (0 if suffix in _GENERIC else 1):
                keys.add(k[: -len(suffix)])
    for k in list(keys):
        if k and not k.isascii() and k[-1] not in _GENERIC:
            keys.update({k + g for g in _GENERIC})
    return {k for k in keys if k}


class Archipelago:
    """Islands, stations and teams of the archipelago, with lookups by id and name.

    Build it with :meth:`load`; it does not change after loading (team status changes are
    kept by the API's store, not here).

    Attributes
    ----------
    islands : geopandas.GeoDataFrame
        All island polygons (EPSG:4326), indexed by id.
    stations : geopandas.GeoDataFrame
        Light stations and service points, indexed by id.
    teams : pandas.DataFrame
        Teams, indexed by id.
    piers : geopandas.GeoDataFrame
        Piers of the scheduled ferries (``piers.csv``), indexed by id, with ``island_id``.
    ferries : pandas.DataFrame
        Scheduled sailings between piers (``ferries.csv``), indexed by id.
    other_land : geopandas.GeoDataFrame
        Land in the model's box that is not one of its islands (the Ningbo and Shanghai
        mainland and their islands, ``other_land.geojson``): an obstacle to boats, nothing more.
    source : Path
        Folder the islands were read from.
    """

    def __init__(self, islands: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, teams: pd.DataFrame,
                 source: Path, *, piers: gpd.GeoDataFrame | None = None, ferries: pd.DataFrame | None = None) -> None:
        self.islands = islands
        self.stations = stations
        self.teams = teams
        self.source = source
        self._by_name = self._name_index()
        self._islands_m: gpd.GeoSeries | None = None
        self.piers = piers if piers is not None else ferry_data.empty_piers()
        self.ferries = ferries if ferries is not None else ferry_data.empty_ferries()
        self.other_land = gpd.GeoDataFrame({"kind": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        folder: str | Path | None = None,
        *,
        stations: str | Path | None = None,
        teams: str | Path | None = None,
        crs: object | None = None,
    ) -> Archipelago:
        """Load the archipelago from a data folder.

        Parameters
        ----------
        folder : path, optional
            Folder with ``islands.geojson``, ``stations.geojson`` and ``teams.csv`` (and,
            optionally, the scheduled ferries: ``piers.csv`` and ``ferries.csv``); default: the
            shipped data set (:data:`islandcover.config.DEFAULT_DATA_DIR`).
        stations, teams : path, optional
            The operator's own stations (GeoJSON, GeoPackage or CSV with lon/lat) and teams
            (CSV), replacing the illustrative ones shipped in ``folder``.
        crs : str, optional
            CRS of the stations file's coordinates when it does not declare one (CSV), e.g.
            ``"EPSG:4490"`` or ``"GCJ-02"``; default WGS84.
        """
        folder = Path(folder) if folder is not None else DEFAULT_DATA_DIR
        islands = io.read_islands(folder / "islands.geojson")
        st = io.read_stations(Path(stations) if stations else folder / "stations.geojson", islands, crs=crs)
        tm = io.read_teams(Path(teams) if teams else folder / "teams.csv", st.index)
        arch = cls(islands, st, tm, folder)
        if (folder / "other_land.geojson").exists():
            arch.other_land = io.read_other_land(folder / "other_land.geojson")
        if (folder / "piers.csv").exists():
            arch.piers = ferry_data.read_piers(folder / "piers.csv", islands, lambda ref: arch.island(ref).id)
            if (folder / "ferries.csv").exists():
                arch.ferries = ferry_data.read_ferries(folder / "ferries.csv", arch.piers.index)
        return arch

    # ------------------------------------------------------------------ lookups
    def _name_index(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        cols = [c for c in ("name_zh", "name_en", "aliases") if c in self.islands.columns]
        for iid, row in self.islands[cols].iterrows():
            names: set[str] = set()
            for c in cols:
                v = row[c]
                if isinstance(v, str) and v:
                    names.update(v.split(";") if c == "aliases" else [v])
            keys = set().union(*(name_keys(n) for n in names)) if names else set()
            for k in keys:
                index.setdefault(k, []).append(str(iid))
        return index

    def island(self, ref: str | Island) -> Island:
        """Return the island with this id or name.

        Parameters
        ----------
        ref : str or Island
            Id (``"ZS-0042"``), Chinese name with or without 岛/山 (``"蚂蚁岛"``, ``"蚂蚁"``),
            or pinyin (``"Mayi Dao"``, ``"mayi"``). Where a name is shared, the powered island
            wins; if that does not settle it, the error lists the candidates.

        Raises
        ------
        UnknownIsland
            No island matches, or the name is ambiguous (the message lists the choices).
        """
        if isinstance(ref, Island):
            return ref
        text = str(ref).strip()
        if text.upper() in self.islands.index:
            return self._island_from_row(text.upper())
        hits: set[str] = set()
        for k in name_keys(text):
            hits.update(self._by_name.get(k, []))
        if len(hits) > 1:
            powered = {h for h in hits if self.islands.at[h, "powered"]}
            exact = {h for h in hits if text in (self.islands.at[h, "name_zh"], self.islands.at[h, "name_en"])}
            for narrowed in (exact & powered, powered, exact):
                if len(narrowed) == 1:
                    hits = narrowed
                    break
        if len(hits) == 1:
            return self._island_from_row(hits.pop())
        if len(hits) > 1:
            choices = ", ".join(self._island_from_row(h).label for h in sorted(hits)[:6])
            raise UnknownIsland(f"island name '{text}' is ambiguous: use one of {choices}")
        guess = difflib.get_close_matches(text.lower(), list(self._by_name), n=1, cutoff=0.6)
        hint = ""
        if guess:
            hint = f" — did you mean {self._island_from_row(self._by_name[guess[0]][0]).label}?"
        raise UnknownIsland(f"no island named '{text}'{hint}")

    def _island_from_row(self, iid: str) -> Island:
        r = self.islands.loc[iid]
        pop = r["population"]
        year = r.get("pop_year")
        return Island(
            id=str(iid),
            name_zh=r["name_zh"] if isinstance(r["name_zh"], str) else None,
            name_en=r["name_en"] if isinstance(r["name_en"], str) else None,
            district=str(r["district"]),
            area_km2=float(r["area_km2"]),
            population=None if pd.isna(pop) else int(pop),
            pop_year=None if year is None or pd.isna(year) else int(year),
            powered=bool(r["powered"]),
            lon=float(r["rep_lon"]),
            lat=float(r["rep_lat"]),
        )

    def station(self, sid: str) -> Station:
        """Return the station with this id (``"ST-03"``); raises :class:`UnknownStation`."""
        key = str(sid).strip()
        if key not in self.stations.index:
            choices = ", ".join(self.stations.index[self.stations.kind == "light_station"])
            raise UnknownStation(f"no station '{key}': light stations are {choices}")
        r = self.stations.loc[key]
        return Station(id=key, name_zh=r["name_zh"], name_en=r["name_en"], kind=r["kind"],
                       island_id=r["island_id"], lon=float(r["lon"]), lat=float(r["lat"]),
                       illustrative=bool(r["illustrative"]))

    def pier(self, pid: str) -> pd.Series:
        """Return the pier with this id (``"P-03"``) as a row of :attr:`piers`; raises :class:`UnknownPlace`."""
        key = str(pid).strip().upper()
        if key not in self.piers.index:
            raise UnknownPlace(f"no pier '{pid}' ({len(self.piers)} piers are loaded)")
        return self.piers.loc[key]

    def team(self, tid: str) -> Team:
        """Return the team with this id; raises :class:`UnknownTeam`."""
        key = str(tid).strip()
        if key not in self.teams.index:
            raise UnknownTeam(f"no team '{key}' ({len(self.teams)} teams are loaded, e.g. {self.teams.index[0]})")
        r = self.teams.loc[key]
        return Team(id=key, name=r["name"], station_id=r["station_id"], boat_class=r["boat_class"],
                    head_count=int(r["head_count"]), status=r["status"], illustrative=bool(r["illustrative"]))

    def on_other_land(self, lon: float, lat: float) -> bool:
        """True when a WGS84 point lies on land that is not one of the model's islands (the mainland …)."""
        if self.other_land.empty:
            return False
        return bool(self.other_land.contains(shapely.Point(lon, lat)).any())

    def island_at(self, lon: float, lat: float, *, max_offshore_m: float = 0.0) -> Island | None:
        """Return the island at a WGS84 point (or within ``max_offshore_m`` of it), else None.

        Raises
        ------
        OutsideArchipelago
            If the point lies outside the model's bounds.
        """
        w, s, e, n = BOUNDS
        if not (w <= lon <= e and s <= lat <= n):
            raise OutsideArchipelago(
                f"point ({lon}, {lat}) is outside the archipelago (lon {w}–{e}, lat {s}–{n})")
        if self._islands_m is None:
            self._islands_m = self.islands.geometry.to_crs(METRIC_CRS)
        p = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
        d = self._islands_m.distance(p)
        if d.min() > max_offshore_m:
            return None
        return self._island_from_row(str(d.idxmin()))

    @property
    def powered(self) -> gpd.GeoDataFrame:
        """The powered islands."""
        return self.islands[self.islands.powered]

    @property
    def light_stations(self) -> gpd.GeoDataFrame:
        """The light stations (光明驿站), without the service points."""
        return self.stations[self.stations.kind == "light_station"]

    # ------------------------------------------------------------------ reports
    def summary(self) -> pd.DataFrame:
        """Counts by district: islands, powered islands, people, stations, teams.

        ``people`` is the sum of published populations of powered islands (islands without
        a published figure count 0; ``powered_without_population`` says how many).
        """
        isl = self.islands
        st = self.light_stations.join(isl["district"], on="island_id")
        sp = self.stations[self.stations.kind == "service_point"].join(isl["district"], on="island_id")
        tm = self.teams.join(self.stations["island_id"], on="station_id").join(isl["district"], on="island_id")
        rows = []
        for d in DISTRICTS:
            p = isl[(isl.district == d) & isl.powered]
            rows.append({
                "district": d,
                "islands": int((isl.district == d).sum()),
                "powered_islands": len(p),
                "people": int(p.population.fillna(0).sum()),
                "powered_without_population": int(p.population.isna().sum()),
                "light_stations": int((st.district == d).sum()),
                "service_points": int((sp.district == d).sum()),
                "teams": int((tm.district == d).sum()),
            })
        out = pd.DataFrame(rows).set_index("district")
        out.loc["total"] = out.sum()
        return out
