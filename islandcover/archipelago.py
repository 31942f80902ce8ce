"""The loaded model of the archipelago: islands, stations, teams and their lookups.

Load it once and pass it::

    arch = Archipelago.load()                         # shipped data
    arch = Archipelago.load(config.data_dir)          # the operator's imported layers over it
    arch = Archipelago.load(stations="ops.gpkg", teams="teams.csv", crs="GCJ-02")
    arch.island("蚂蚁")            # id, Chinese name with or without 岛/山, or pinyin
    arch.island("嵊泗县")          # a place people name (places.csv): the county's seat, 泗礁山
    arch.islands_in("东极")        # every island a name covers: the four islands of 东极
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
    DataError,
    OutsideArchipelago,
    UnknownIsland,
    UnknownPlace,
    UnknownStation,
    UnknownTeam,
)
from islandcover.facts import BOUNDS, DISTRICTS, METRIC_CRS
from islandcover.io import ferries as ferry_data
from islandcover.io import files as io
from islandcover.io import island_overlay

__all__ = ["Archipelago", "Island", "Station", "Team", "name_keys", "place_keys"]

_GENERIC = ("岛", "山")
_PART = re.compile(r"[（(].*?[)）]")
#: Words a place name may carry or drop: "嵊泗县" is also "嵊泗", "Gaoting Town" also "Gaoting".
#: (Not 山: it is part of many names, 燕窝山, 鸭蛋山.) Longest first.
_PLACE_SUFFIXES_ZH = ("街道", "列岛", "群岛", "诸岛", "渔港", "码头", "县", "区", "市", "镇", "乡", "港", "岛")
_PLACE_SUFFIXES_EN = ("subdistrict", "archipelago", "township", "district", "islands", "terminal", "county",
                      "island", "wharf", "town", "port", "pier", "isle")
#: English words for an island, dropped to look a name up among the islands ("Zhujiajian Island").
_ISLAND_WORDS_EN = ("island", "isle", "islet")
#: At most this many islands are listed in an error.
_MAX_LISTED = 12


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


def _data_folders(folder: str | Path | None) -> tuple[Path, Path | None]:
    """The data set's folder and the overlay over it, for :meth:`Archipelago.load`."""
    if folder is None:
        return DEFAULT_DATA_DIR, None
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DataError(str(folder), "not a folder (give the folder holding your data files, e.g. the one "
                        "islandcover import writes to)")
    if (folder / "islands.geojson").exists():
        return folder, None
    return DEFAULT_DATA_DIR, folder


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


def place_keys(name: str) -> set[str]:
    """Lookup keys of a place name: its :func:`~islandcover.io.files.place_key` and that key without
    an administrative or generic word (县, 区, 市, 镇, 乡, 街道, 列岛, 港, 码头 …; county, town,
    island …), where at least two characters (three letters) remain.

    ``"嵊泗县"`` → {"嵊泗县", "嵊泗"}; ``"Gaoting Town"`` → {"gaotingtown", "gaoting"}.
    """
    key = io.place_key(name)
    keys = {key} if key else set()
    if not key:
        return keys
    if key.isascii():
        for w in _PLACE_SUFFIXES_EN:
            if key.endswith(w) and len(key) - len(w) >= 3:
                keys.add(key[: -len(w)])
                break
    else:
        for w in _PLACE_SUFFIXES_ZH:
            if key.endswith(w) and len(key) - len(w) >= 2:
                keys.add(key[: -len(w)])
                break
    return keys


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
    places : pandas.DataFrame
        Names people use for towns, ports, districts and counties, island groups and other
        names of islands (``places.csv``), with the islands each covers and the one it resolves
        to (see :func:`islandcover.io.files.read_places`).
    source : Path
        The data set's folder (the shipped one, or a complete data set given to :meth:`load`):
        the islands and every file the overlay does not replace are read from it.
    overlay : Path or None
        The data overlay given to :meth:`load`, if any (:attr:`islandcover.config.Config.data_dir`).
    files : dict of str to Path
        The file each layer was read from (``"stations.geojson"`` → its path), for reports.
    """

    def __init__(self, islands: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, teams: pd.DataFrame,
                 source: Path, *, piers: gpd.GeoDataFrame | None = None, ferries: pd.DataFrame | None = None,
                 places: pd.DataFrame | None = None) -> None:
        self.islands = islands
        self.stations = stations
        self.teams = teams
        self.source = source
        self.overlay: Path | None = None
        self.files: dict[str, Path] = {}
        self._by_name = self._name_index()
        self.places = places if places is not None else io.empty_places()
        self._place_exact, self._place_short = self._place_index()
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
        places: str | Path | None = None,
    ) -> Archipelago:
        """Load the archipelago from the shipped data set, or a data folder over it.

        Parameters
        ----------
        folder : path, optional
            A data overlay (:attr:`islandcover.config.Config.data_dir`, where ``islandcover
            import`` writes): each file is read from ``folder`` when it is there, otherwise from
            the shipped data set (:data:`islandcover.config.DEFAULT_DATA_DIR`): ``stations.geojson``,
            ``teams.csv``, ``piers.csv`` and ``ferries.csv`` (with ``sailings.csv``, which goes
            with its ferries), ``places.csv``, and ``islands_overlay.csv`` (the operator's powered
            islands and populations, applied to the island polygons). A folder with its own
            ``islands.geojson`` is instead a complete data set: nothing is taken from the shipped
            one (a folder without ``piers.csv`` then has no scheduled ferries). A folder that
            does not exist yet is an empty overlay (the default one, before the first import).
            Default: the shipped data set alone.
        stations, teams : path, optional
            The operator's own stations (GeoJSON, GeoPackage or CSV with lon/lat) and teams
            (CSV), replacing those of the data set.
        crs : str, optional
            CRS of the stations file's coordinates when it does not declare one (CSV), e.g.
            ``"EPSG:4490"`` or ``"GCJ-02"``; default WGS84.
        places : path, optional
            A names-of-places table (the columns of ``places.csv``) to use instead of the data
            set's; by default ``places.csv`` is read when the data set has one.

        Raises
        ------
        DataError
            ``folder`` is a file, or a data file is malformed (naming the file, row and field).
        """
        base, overlay = _data_folders(folder)

        def pick(name: str) -> Path:
            return overlay / name if overlay is not None and (overlay / name).exists() else base / name

        files: dict[str, Path] = {}

        def used(name: str, path: Path) -> Path:
            files[name] = path
            return path

        islands = io.read_islands(used("islands.geojson", pick("islands.geojson")))
        if pick(island_overlay.ISLANDS_OVERLAY).exists():
            table = island_overlay.read_islands_overlay(used(island_overlay.ISLANDS_OVERLAY, pick(island_overlay.ISLANDS_OVERLAY)), islands)
            islands = island_overlay.apply_islands_overlay(islands, table)
        st = io.read_stations(used("stations.geojson", Path(stations) if stations else pick("stations.geojson")),
                              islands, crs=crs)
        tm = io.read_teams(used("teams.csv", Path(teams) if teams else pick("teams.csv")), st.index)
        places_path = Path(places) if places else pick("places.csv")
        pl = io.read_places(used("places.csv", places_path), islands.index) if places or places_path.exists() else None
        arch = cls(islands, st, tm, base, places=pl)
        arch.overlay = overlay
        arch.files = files
        if pick("other_land.geojson").exists():
            arch.other_land = io.read_other_land(used("other_land.geojson", pick("other_land.geojson")))
        if pick("piers.csv").exists():
            arch.piers = ferry_data.read_piers(used("piers.csv", pick("piers.csv")), islands,
                                               lambda ref: arch.island(ref).id)
            if pick("ferries.csv").exists():
                arch.ferries = ferry_data.read_ferries(used("ferries.csv", pick("ferries.csv")), arch.piers.index)
        return arch

    def folder_of(self, name: str) -> Path:
        """The folder the data file ``name`` was (or would be) read from: the overlay when it holds
        the file, else :attr:`source`. (``sailings.csv`` goes with ``folder_of("ferries.csv")``.)"""
        if name in self.files:
            return self.files[name].parent
        if self.overlay is not None and (self.overlay / name).exists():
            return self.overlay
        return self.source

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

    def _place_index(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """Rows of :attr:`places` by their full key, and by their key without its generic word
        (``"嵊泗县"`` under ``"嵊泗"``; see :func:`place_keys`)."""
        exact: dict[str, list[int]] = {}
        short: dict[str, list[int]] = {}
        for i, name in enumerate(self.places["name"]):
            key = io.place_key(str(name))
            exact.setdefault(key, []).append(i)
            for k in place_keys(str(name)) - {key}:
                short.setdefault(k, []).append(i)
        return exact, short

    def _island_hits(self, text: str) -> set[str]:
        """Ids of the islands whose names match ``text``, narrowed as :meth:`island` describes."""
        hits: set[str] = set()
        for k in name_keys(text):
            hits.update(self._by_name.get(k, []))
        if len(hits) > 1:
            powered = {h for h in hits if self.islands.at[h, "powered"]}
            exact = {h for h in hits if text in (self.islands.at[h, "name_zh"], self.islands.at[h, "name_en"])}
            for narrowed in (exact & powered, powered, exact):
                if len(narrowed) == 1:
                    return narrowed
        return hits

    def _place_rows(self, text: str) -> list[int]:
        """Rows of :attr:`places` that ``text`` names: the place of that full name if there is
        one; else the places it names with a generic word dropped or added (``"嵊泗"`` for
        嵊泗县, ``"高亭镇"`` or ``"Gaoting Town"`` for 高亭/Gaoting). Two names that differ in their
        generic words (东极港, 东极镇; Zhoushan Island, Zhoushan Islands) never match each other.
        """
        key = io.place_key(text)
        rows = self._place_exact.get(key)
        if rows:
            return list(rows)
        found = set(self._place_short.get(key, []))
        for k in place_keys(text) - {key}:
            found.update(self._place_exact.get(k, []))
        return sorted(found)

    def _describe_place(self, i: int) -> str:
        """``"嵊泗县 (county, seat 菜园镇 on 泗礁山)"``, ``"Shengsi Islands (island group, 10 islands)"``."""
        p = self.places.iloc[i]
        kind = str(p["kind"]).replace("_", " ")
        target = p["resolves_to"]
        if target:
            where = self._island_from_row(target).name_zh or target
            seat = f"seat {p['seat']} on " if p["kind"] in ("city", "district", "county") and p["seat"] else "on "
            return f"{p['name']} ({kind}, {seat}{where})"
        return f"{p['name']} ({kind}, {len(p['island_ids'])} islands)"

    def _candidates_error(self, text: str, ids: list[str], rows: list[int] | None = None) -> UnknownIsland:
        """The error for a name that covers several islands, listing them on one line.

        ``'东极' is an island group (4 islands), not one island: give one of …``;
        ``'洋山' could mean 2 islands: give one of …``;
        ``'Shengsi' could mean Shengsi County (county, seat 菜园镇 on 泗礁山); …: give one of …``.
        """
        listed = ", ".join(self._island_from_row(h).label for h in ids[:_MAX_LISTED])
        more = f" (and {len(ids) - _MAX_LISTED} more)" if len(ids) > _MAX_LISTED else ""
        kinds = {str(self.places.iloc[i]["kind"]) for i in rows or []}
        if kinds == {"island_group"}:
            return UnknownIsland(f"'{text}' is an island group ({len(ids)} islands), not one island: "
                                 f"give one of {listed}{more}")
        if rows and len(rows) > 1:
            what = "; ".join(self._describe_place(i) for i in rows)
            return UnknownIsland(f"'{text}' could mean {what}: give one of {listed}{more}")
        return UnknownIsland(f"'{text}' could mean {len(ids)} islands: give one of {listed}{more}")

    def _resolve_place(self, text: str) -> str | None:
        """The island id a place name resolves to; None when no place has that name.

        Raises
        ------
        UnknownIsland
            The name covers several islands and does not settle on one (an island group, a port
            between two islands, a name used for places on different islands); the message
            lists the islands.
        """
        rows = self._place_rows(text)
        if not rows:
            return None
        targets = {self.places.iloc[i]["resolves_to"] for i in rows}
        if len(targets) == 1 and "" not in targets:
            return targets.pop()
        ids: list[str] = []
        for i in rows:
            p = self.places.iloc[i]
            for h in ([p["resolves_to"]] if p["resolves_to"] else list(p["island_ids"])):
                if h not in ids:
                    ids.append(h)
        if len(ids) == 1:  # several places, one island (an island group of one listed island)
            return ids[0]
        raise self._candidates_error(text, ids, rows)

    def island(self, ref: str | Island) -> Island:
        """Return the island with this id or name, or the island a place name stands for.

        Parameters
        ----------
        ref : str or Island
            Id (``"ZS-0042"``), Chinese name with or without 岛/山 (``"蚂蚁岛"``, ``"蚂蚁"``),
            pinyin (``"Mayi Dao"``, ``"mayi"``), or a place people name (:attr:`places`): a
            city, district or county stands for its seat's island (``"嵊泗县"``, ``"嵊泗"`` →
            泗礁山), a town or port for its island (``"高亭"`` → 岱山岛), another name for its
            island (``"Peach Blossom Island"`` → 桃花岛). Island names are tried first. Where an
            island name is shared, the powered island wins.

        Raises
        ------
        UnknownIsland
            No island or place matches (the message suggests a close name), or the name covers
            several islands: an island group (``"东极"``), a name shared by islands
            (``"舟山"``: both parts of Zhoushan Island) or by places on different islands. The
            message then lists the islands: ``'东极' could mean …: give one of …``.
        """
        if isinstance(ref, Island):
            return ref
        text = str(ref).strip()
        if text.upper() in self.islands.index:
            return self._island_from_row(text.upper())
        hits = self._island_hits(text)
        if len(hits) == 1:
            return self._island_from_row(hits.pop())
        if len(hits) > 1:
            raise self._candidates_error(text, sorted(hits))
        target = self._resolve_place(text)
        if target is not None:
            return self._island_from_row(target)
        key = io.place_key(text)
        for word in _ISLAND_WORDS_EN:  # "Zhujiajian Island", "Xiushan isle"
            if key.isascii() and key.endswith(word) and len(key) > len(word) + 2:
                hits = self._island_hits(key[: -len(word)])
                if len(hits) == 1:
                    return self._island_from_row(hits.pop())
                if len(hits) > 1:
                    raise self._candidates_error(text, sorted(hits))
        raise UnknownIsland(f"no island named '{text}'{self._suggestion(text)}")

    def islands_in(self, ref: str | Island) -> list[Island]:
        """Every island a name covers: one island, both parts of a shared name (``"舟山"``), or
        the islands of a place (``"东极"``: 庙子湖岛, 青浜岛, 黄兴岛, 东福山岛; ``"六横镇"``: its
        islands, the seat's first).

        Raises
        ------
        UnknownIsland
            No island or place has this name.
        """
        if isinstance(ref, Island):
            return [ref]
        text = str(ref).strip()
        if text.upper() in self.islands.index:
            return [self._island_from_row(text.upper())]
        hits = self._island_hits(text)
        if hits:
            return [self._island_from_row(h) for h in sorted(hits)]
        ids: list[str] = []
        for i in self._place_rows(text):
            p = self.places.iloc[i]
            for h in ([p["resolves_to"]] if p["resolves_to"] else []) + list(p["island_ids"]):
                if h not in ids:
                    ids.append(h)
        if ids:
            return [self._island_from_row(h) for h in ids]
        return [self.island(text)]  # English "… Island" names, or the error with a suggestion

    def _suggestion(self, text: str) -> str:
        """`` — did you mean 岱山岛 (Daishan Dao, ZS-0002)?`` for a close island or place name, else ``""``."""
        def best(word: str, keys: list[str]) -> tuple[float, str | None]:
            guess = difflib.get_close_matches(word, keys, n=1, cutoff=0.6)
            return (difflib.SequenceMatcher(None, word, guess[0]).ratio(), guess[0]) if guess else (0.0, None)

        r_island, k_island = best(text.lower(), list(self._by_name))
        r_place, k_place = best(io.place_key(text), list(self._place_exact))
        if k_place is not None and r_place > r_island:
            return f" — did you mean {self._describe_place(self._place_exact[k_place][0])}?"
        if k_island is not None:
            return f" — did you mean {self._island_from_row(self._by_name[k_island][0]).label}?"
        return ""

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

        ``people`` is the sum of the powered islands' populations on the 2020 census basis
        (islands without a figure count 0; ``powered_without_population`` says how many).
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
