"""What the beacon chart and the replay chart share: languages, the cut-off colour and what
"cut off" means, island geometry and names for the web, bridge lines, the outage footer
(95598), the page's ``lang`` attribute, and verbatim HTML in a Folium page.

:mod:`islandcover.chart.beacon` draws the chart of one scenario; :mod:`islandcover.chart.replay`
draws a typhoon replay on top of it. Both take these pieces from here.
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from branca.element import Element, Figure
from jinja2 import Template

from islandcover.archipelago import Archipelago
from islandcover.errors import DataError, IslandcoverError
from islandcover.facts import METRIC_CRS, STORAGE_CRS

__all__ = [
    "COORD_DECIMALS",
    "CUTOFF_COLOUR",
    "CUT_OFF_EXPLAINED",
    "HTML_LANG",
    "LANGS",
    "OUTAGE_HOTLINE",
    "SIMPLIFY_M",
    "RawHtml",
    "bridge_lines",
    "check_lang",
    "island_name",
    "outage_footer_html",
    "set_page_lang",
    "web_geometry",
]

#: Languages of the chart's labels.
LANGS: tuple[str, ...] = ("zh", "en")


def check_lang(lang: str) -> None:
    """Refuse a language the charts do not speak.

    Raises
    ------
    IslandcoverError
        ``lang`` is not one of :data:`LANGS`.
    """
    if lang not in LANGS:
        raise IslandcoverError(f"lang {lang!r} is not supported: use one of {', '.join(map(repr, LANGS))}")


#: Geometry simplification for the web, metres (UTM 51N), and coordinate precision, decimals.
SIMPLIFY_M = 20.0

COORD_DECIMALS = 5


#: Outline of the islands cut off in a storm.
CUTOFF_COLOUR = "#ff1a1a"

#: What "cut off" means on every chart, one definition (:meth:`Router.cutoff`): a powered
#: island that no team from another island can reach. It is either *unreachable* (no team at
#: all can reach it: no response time) or *on its own* (岛自为战: a team of its own is there).
CUT_OFF_EXPLAINED: Mapping[str, str] = MappingProxyType({
    "zh": "风暴孤岛：岛外的抢修队伍都到不了的有电岛屿。其中「无法到达」指没有任何队伍能到（灰色）；"
          "「岛自为战」指岛外队伍到不了，但本岛有自己的队伍。",
    "en": "Cut off: no team from another island can reach it. Unreachable: no team at all can "
          "reach it (grey). On its own (岛自为战): cut off, but with a team of its own on the island.",
})

#: The ``lang`` attribute of the page's ``<html>`` element, by chart language.
HTML_LANG: Mapping[str, str] = MappingProxyType({"zh": "zh-CN", "en": "en"})

#: State Grid's power service hotline (国家电网 95598 供电服务热线), the only number the charts give
#: besides 110 (police) for danger.
OUTAGE_HOTLINE = "95598"

_OUTAGE: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "zh": MappingProxyType({
        "head": "停电了怎么办？国家电网 95598 供电服务热线",
        "steps": "① 先看邻居家是否也停电（只有自家停电，先查自家总开关）；"
                 "② 拨打 95598 报修，说清详细地址；"
                 "③ 远离断落的电线，不要靠近或触碰，遇到危险拨打 95598 或 110。",
    }),
    "en": MappingProxyType({
        "head": "Power cut? State Grid's 95598 power service hotline (国家电网 95598 供电服务热线)",
        "steps": "1. Check whether your neighbours are out too (only your home: check your own main "
                 "switch first). 2. Report the outage to 95598 with your exact address. "
                 "3. Keep away from fallen power lines and do not touch them; in danger call 95598 or 110.",
    }),
})



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



def outage_footer_html(lang: str) -> str:
    """The page's footer: the 95598 outage hotline and what to do in an outage, in ``lang``.

    A ``<footer id="ic-footer">`` with the hotline as a ``tel:`` link; place and style it with
    the page's CSS (the beacon chart lays it along the bottom, behind a button on a phone).
    """
    text = _OUTAGE[lang]
    tel = f'<a href="tel:{OUTAGE_HOTLINE}">{OUTAGE_HOTLINE}</a>'
    head = html.escape(text["head"]).replace(OUTAGE_HOTLINE, tel, 1)
    return (f'<footer class="ic-footer" id="ic-footer" role="contentinfo"><b>{head}</b> '
            f'<span>{html.escape(text["steps"])}</span></footer>')


def set_page_lang(root: Figure, lang: str) -> None:
    """Render the page's ``<html>`` element with ``lang="zh-CN"`` or ``lang="en"``.

    branca's :class:`~branca.element.Figure` writes a bare ``<html>``; this is its template
    (branca 0.8) with the attribute added, set on this one figure.
    """
    root._template = Template(
        "<!DOCTYPE html>\n"
        f'<html lang="{HTML_LANG[lang]}">\n'
        "<head>\n"
        "{% if this.title %}<title>{{this.title}}</title>{% endif %}"
        "    {{this.header.render(**kwargs)}}\n"
        "</head>\n"
        "<body>\n"
        "    {{this.html.render(**kwargs)}}\n"
        "</body>\n"
        "<script>\n"
        "    {{this.script.render(**kwargs)}}\n"
        "</script>\n"
        "</html>\n")


class RawHtml(Element):
    """Text put into the page verbatim: not rendered as a Jinja template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text
