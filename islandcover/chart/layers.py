"""What the beacon chart and the replay chart share: languages, the cut-off colour, island
geometry and names for the web, bridge lines, and verbatim HTML in a Folium page.

:mod:`islandcover.chart.beacon` draws the chart of one scenario; :mod:`islandcover.chart.replay`
draws a typhoon replay on top of it. Both take these pieces from here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from branca.element import Element

from islandcover.archipelago import Archipelago
from islandcover.errors import DataError
from islandcover.facts import METRIC_CRS, STORAGE_CRS

__all__ = [
    "COORD_DECIMALS",
    "CUTOFF_COLOUR",
    "LANGS",
    "SIMPLIFY_M",
    "RawHtml",
    "bridge_lines",
    "island_name",
    "web_geometry",
]

#: Languages of the chart's labels.
LANGS: tuple[str, ...] = ("zh", "en")


#: Geometry simplification for the web, metres (UTM 51N), and coordinate precision, decimals.
SIMPLIFY_M = 20.0

COORD_DECIMALS = 5


#: Outline of the islands cut off in a storm.
CUTOFF_COLOUR = "#ff1a1a"



def web_geometry(geometry: gpd.GeoSeries) -> pd.Series:
    """Simplify in the metric CRS, back to WGS84, coordinates rounded; never drops an island."""
    metric = geometry.to_crs(METRIC_CRS)
    simple = shapely.simplify(metric.values, SIMPLIFY_M, preserve_topology=True)
    back = gpd.GeoSeries(simple, index=geometry.index, crs=METRIC_CRS).to_crs(STORAGE_CRS)
    rounded = shapely.transform(back.values, lambda xy: np.round(xy, COORD_DECIMALS))
    out = pd.Series(list(rounded), index=geometry.index, dtype=object)
    empty = [iid for iid, g in out.items() if g is None or g.is_empty]
    if empty:  # cannot happen with preserve_topology; guard the rule "never drop an island"
        msg = f"simplifying island(s) {', '.join(empty[:5])} for the web left no geometry"
        raise DataError("islands.geojson", msg)
    return out



def bridge_lines(arch: Archipelago) -> list[tuple[str, str, shapely.LineString]]:
    """Each bridge as a line between the facing shores of its two islands (WGS84)."""
    path = Path(arch.source) / "bridges.csv"
    if not path.exists():
        return []
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    metric = arch.islands.geometry.to_crs(METRIC_CRS)
    lines = []
    for row, b in enumerate(table.itertuples(index=False), start=1):
        try:
            ia, ib = arch.island(b.island_a).id, arch.island(b.island_b).id
        except ValueError as exc:
            raise DataError("bridges.csv", f"bridge {b.name_zh}: {exc}", row=row) from exc
        pa, pb = shapely.ops.nearest_points(metric[ia], metric[ib])
        line = gpd.GeoSeries([shapely.LineString([pa, pb])], crs=METRIC_CRS).to_crs(STORAGE_CRS)
        lines.append((b.name_zh, b.name_en, line.iloc[0]))
    return lines



def island_name(row: pd.Series, iid: str, lang: str) -> str:
    """The island's name in ``lang`` (``zh``: Chinese; ``en``: English and Chinese), else its id."""
    zh, en = row["name_zh"], row["name_en"]
    zh = zh if isinstance(zh, str) and zh else None
    en = en if isinstance(en, str) and en else None
    if lang == "zh":
        return zh or en or iid
    return f"{en} {zh}" if en and zh else (en or zh or iid)



class RawHtml(Element):
    """Text put into the page verbatim: not rendered as a Jinja template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text
