"""What the suspension notices close, and the named waters the sea lanes cross.

A notice (:class:`islandcover.situation.Suspension`) covers links by scope:

- ``route``: one scheduled sailing, by id (``F-18``) or Chinese name;
- ``service``: every sailing of a ferry class (``high-speed``, ``conventional``, ``ro-ro``);
- ``vessel``: every sea lane for the teams' own boats of a class (``workboat``, ``fast``);
- ``area``: a named water (``岱衢洋``, ``data/islands/sea_areas.csv``): its sea lanes and the
  sailings that cross it; or a district or county (``嵊泗县``): every sailing that touches one
  of its islands, and the sea lanes in its waters;
- ``bridge``: one bridge, by Chinese name;
- ``all``: every sailing and every own-boat sea lane (bridges and roads stay open).

Each sea lane belongs to the named water whose point is nearest its midpoint (the same grouping
as the link status board, :mod:`islandcover.travel.links`). :class:`NoticeCover` works all of
this out once per network; :meth:`NoticeCover.closed` then gives the edges a set of notices
closes for one travel mode, and :meth:`NoticeCover.notice_for` the notice that closes an edge.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from islandcover.archipelago import Archipelago
from islandcover.errors import DataError, SuspensionError
from islandcover.facts import DISTRICTS, FERRY_MODE, METRIC_CRS
from islandcover.io.files import check_bounds, numbers, required_text
from islandcover.situation import SUSPENSION_SCOPES, Suspension
from islandcover.travel.network import TravelNetwork

__all__ = ["FERRY_SERVICES", "NoticeCover", "read_sea_areas"]

#: The classes of scheduled boats a ``service`` notice can name.
FERRY_SERVICES: tuple[str, ...] = ("high-speed", "conventional", "ro-ro")

_TO_M = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def read_sea_areas(folder: Path) -> pd.DataFrame:
    """The named waters of a data folder (``sea_areas.csv``; empty if there is none).

    Raises
    ------
    DataError
        A missing column or name, a position that is not a number.
    """
    path = Path(folder) / "sea_areas.csv"
    if not path.exists():
        return pd.DataFrame({"name_zh": [], "name_en": [], "lon": [], "lat": []})
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(path.name, f"not a readable UTF-8 CSV file ({exc})") from exc
    table["name_zh"] = required_text(table, path.name, "name_zh")
    for col in ("lon", "lat"):
        table[col] = numbers(required_text(table, path.name, col), path.name, col)
    check_bounds(table.lon.to_numpy(), table.lat.to_numpy(), path.name)
    return table


class NoticeCover:
    """Which network edges each notice covers (worked out once per network).

    Parameters
    ----------
    arch : Archipelago
        Islands (districts), piers and ferries.
    net : TravelNetwork
        The network whose edges are covered.
    """

    def __init__(self, arch: Archipelago, net: TravelNetwork) -> None:
        self.arch = arch
        self.net = net
        self._masks: dict[tuple[str, str, str], np.ndarray] = {}
        mode = net.edge_mode.astype(str)
        name = net.edge_name.astype(str)
        self.sea = mode == "sea"
        self.ferry = mode == "ferry"
        self.bridge = mode == "bridge"
        sea = np.flatnonzero(self.sea)
        self.areas = read_sea_areas(arch.source)
        self.water = np.full(net.n_edges, "", dtype=object)
        if len(self.areas) and len(sea):
            ax, ay = _TO_M.transform(self.areas.lon.to_numpy(), self.areas.lat.to_numpy())
            mx, my = _TO_M.transform(net.edge_mid_lon[sea], net.edge_mid_lat[sea])
            _, near = cKDTree(np.column_stack([ax, ay])).query(np.column_stack([mx, my]))
            self.water[sea] = self.areas.name_zh.to_numpy(dtype=object)[near]
        # each sailing: its id, service, the waters its lanes cross and the districts of its piers
        self.route = np.where(self.ferry, name, "")
        self.service = np.full(net.n_edges, "", dtype=object)
        self.route_waters: dict[int, set[str]] = {}
        self.route_districts: dict[int, set[str]] = {}
        ferries = arch.ferries
        district = arch.islands.district
        for e in np.flatnonzero(self.ferry):
            fid = name[e]
            if fid in ferries.index:
                f = ferries.loc[fid]
                self.service[e] = f["service"]
                piers = [f["from_pier"], f["to_pier"]]
                self.route_districts[int(e)] = {str(district.get(arch.piers.at[p, "island_id"], ""))
                                                for p in piers if p in arch.piers.index}
            path = net.ferry_path(int(e))
            mids_lon = (net.node_lon[path[:-1]] + net.node_lon[path[1:]]) / 2
            mids_lat = (net.node_lat[path[:-1]] + net.node_lat[path[1:]]) / 2
            if len(self.areas) and len(mids_lon):
                ax, ay = _TO_M.transform(self.areas.lon.to_numpy(), self.areas.lat.to_numpy())
                mx, my = _TO_M.transform(mids_lon, mids_lat)
                _, near = cKDTree(np.column_stack([ax, ay])).query(np.column_stack([mx, my]))
                self.route_waters[int(e)] = set(self.areas.name_zh.to_numpy(dtype=object)[near])
        self.bridge_name = np.where(self.bridge, name, "")
        # a sea lane's district: the district of the island whose landing or shore node is nearest
        # its midpoint (for ``area`` notices that name a district or county)
        self.lane_district = np.full(net.n_edges, "", dtype=object)
        land = np.flatnonzero(np.isin(net.node_kind, ["landing", "land"]) & (net.node_island != ""))
        if len(land) and len(sea):
            _, near = cKDTree(np.column_stack([net.node_x[land], net.node_y[land]])).query(
                np.column_stack([(net.node_x[net.edge_u[sea]] + net.node_x[net.edge_v[sea]]) / 2,
                                 (net.node_y[net.edge_u[sea]] + net.node_y[net.edge_v[sea]]) / 2]))
            islands = net.node_island[land[near]].astype(str)
            self.lane_district[sea] = district.reindex(islands).fillna("").astype(str).to_numpy(dtype=object)

    # ------------------------------------------------------------------ checking a notice
    def check(self, scope: str, ref: str) -> str:
        """The canonical reference of a notice's scope (``F-18`` for its Chinese name, …).

        Raises
        ------
        SuspensionError
            An unknown scope, or a reference the model does not have (naming what it has).
        """
        ref = str(ref).strip()
        if scope not in SUSPENSION_SCOPES:
            raise SuspensionError(f"scope {scope!r} is not one of {', '.join(SUSPENSION_SCOPES)}")
        if scope == "all":
            return ""
        if scope == "route":
            ferries = self.arch.ferries
            if ref.upper() in ferries.index:
                return ref.upper()
            by_name = ferries.index[ferries.name_zh == ref]
            if len(by_name) == 1:
                return str(by_name[0])
            raise SuspensionError(f"no scheduled sailing {ref!r}: give an id F-01 … F-{len(ferries):02d} "
                                  "(`islandcover links --all` lists them)")
        if scope == "service":
            if ref in FERRY_SERVICES:
                return ref
            raise SuspensionError(f"service {ref!r} is not one of {', '.join(FERRY_SERVICES)}")
        if scope == "vessel":
            own = ("workboat", "fast")
            if ref in own:
                return ref
            raise SuspensionError(f"vessel {ref!r} is not an own-boat class ({', '.join(own)}); sailings are "
                                  "suspended with scope service or route")
        if scope == "area":
            waters = set(self.areas.name_zh)
            if ref in waters:
                return ref
            for d in DISTRICTS:
                if ref in (d, d[:-1]):
                    return d
            raise SuspensionError(f"area {ref!r} is neither a named water ({', '.join(sorted(waters))}) nor a "
                                  f"district ({', '.join(DISTRICTS)})")
        names = sorted({n for n in self.bridge_name if n})
        if ref in names:
            return ref
        raise SuspensionError(f"no bridge {ref!r}: the bridges are {', '.join(names)}")

    # ------------------------------------------------------------------ what notices close
    def covers(self, notice: Suspension, vessel: str) -> np.ndarray:
        """Boolean mask of the edges ``notice`` closes to ``vessel`` (own boat or ``ferry``); kept."""
        key = (notice.scope, notice.ref, vessel)
        if key not in self._masks:
            self._masks[key] = self._covers(notice.scope, notice.ref, vessel)
        return self._masks[key]

    def _covers(self, scope: str, ref: str, vessel: str) -> np.ndarray:
        own = vessel != FERRY_MODE
        out = np.zeros(self.net.n_edges, dtype=bool)
        if scope == "all":
            out |= self.ferry | (self.sea if own else False)
        elif scope == "route":
            out |= self.route == ref
        elif scope == "service":
            out |= self.ferry & (self.service == ref)
        elif scope == "vessel":
            if own and vessel == ref:
                out |= self.sea
        elif scope == "area":
            district = ref in DISTRICTS
            if own:
                out |= self.sea & ((self.lane_district == ref) if district else (self.water == ref))
            hits = self.route_districts if district else self.route_waters
            for e, where in hits.items():
                if ref in where:
                    out[e] = True
        elif scope == "bridge":
            out |= self.bridge_name == ref
        return out

    def closed(self, vessel: str, notices: Sequence[Suspension]) -> np.ndarray:
        """Boolean mask of the edges any of ``notices`` closes to ``vessel``."""
        out = np.zeros(self.net.n_edges, dtype=bool)
        for n in notices:
            out |= self.covers(n, vessel)
        return out

    def notice_for(self, edge: int, vessel: str, notices: Sequence[Suspension]) -> Suspension | None:
        """The first of ``notices`` that closes ``edge`` to ``vessel`` (None: none does)."""
        for n in notices:
            if self.covers(n, vessel)[edge]:
                return n
        return None
