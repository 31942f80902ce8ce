"""The ensemble chart: the beacon chart coloured by the chance that each island is cut off (issue 20).

:func:`ensemble_chart` draws the beacon chart (:func:`islandcover.chart.beacon.beacon_chart`: the
islands, the light stations, service points, bridges, ferry routes, search box and outage
footer, with Leaflet inlined so the page draws offline) and lays over it, from an
:class:`~islandcover.typhoon.ensemble.Ensemble`:

- every powered island filled by its ``p_cut_off`` (the share of members that cut it off
  continuously for longer than the ensemble's ``hours``) in :data:`ODDS_COLOURS`, classes
  :data:`ODDS_BREAKS` (0: no member cuts it off that long);
- a ring round every station with a team, in the same colours, by ``p_links_close`` (the share
  of members in which its sea links all close for an hour or more:
  :class:`~islandcover.typhoon.ensemble.StationLinks`);
- its own title and legend (Chinese or English, as ``--lang`` of ``map``), which say what the
  colours count, how many members, from when, and where the forecast errors come from.

Stable hooks for tests and styling (besides the beacon chart's): island fills ``ic-odds
ic-odds-<k>`` with ``data-island``; station rings ``ic-station-odds ic-odds-<k>``; legend rows
``data-odds-class="<k>"``; the numbers drawn are in ``<script type="application/json"
id="ic-ensemble-data">`` (``islands``: id, ``p_cut_off``, class; ``stations``: id,
``p_links_close``, class).

Example::

    ens = run_ensemble(router, resolve_track("梅花"), 200, seed=1, workers=0)
    write_beacon_chart(ensemble_chart(router, ens, lang="en"), "odds.html")
"""
from __future__ import annotations

import bisect
import html
import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import folium
import pandas as pd
import shapely

from islandcover.chart.beacon import UNPOWERED_COLOUR, beacon_chart
from islandcover.chart.layers import (
    CUT_OFF_EXPLAINED,
    RawHtml,
    check_lang,
    island_name,
    web_geometry,
)
from islandcover.chart.replay import storm_label
from islandcover.clock import beijing_text
from islandcover.errors import IslandcoverError
from islandcover.planning.coverage import CoverageModel
from islandcover.planning.scenario import Scenario
from islandcover.travel.links import sailing_features
from islandcover.travel.routing import Router
from islandcover.travel.weather import Weather
from islandcover.typhoon.ensemble import Ensemble

__all__ = ["ODDS_BREAKS", "ODDS_COLOURS", "ensemble_chart", "odds_class"]

#: Upper bounds (inclusive) of the probability classes 1–4; class 0 is exactly 0 (no member), class 5
#: above the last bound.
ODDS_BREAKS: tuple[float, ...] = (0.10, 0.25, 0.50, 0.75)

#: Colour of each class: 0, ≤10 %, 10–25 %, 25–50 %, 50–75 %, >75 % (ColorBrewer YlOrBr, with a
#: pale grey for "no member").
ODDS_COLOURS: tuple[str, ...] = ("#eeeeee", "#fee391", "#fec44f", "#fe9929", "#d95f0e", "#8c2d04")

_TEXT: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "zh": MappingProxyType({
        "title": "台风{storm}集合预报：风暴孤岛概率",
        "subtitle": "{n} 个集合成员 · {start} 起报 · 连续孤立超过 {h} 小时",
        "legend": "连续孤立超过 {h} 小时的概率",
        "none": "0（各成员均未出现）",
        "islands_n": "{n} 岛",
        "stations_n": "{n} 站",
        "ring": "驿站外圈：出海通道全部关闭（至少 1 小时）的概率，色阶同上",
        "unpowered": "无电网岛屿",
        "layer_islands": "风暴孤岛概率（集合预报）",
        "layer_stations": "驿站出海通道关闭概率",
        "island_tip": "{name}：连续孤立超过 {h} 小时的概率 {p}；孤立时长平均 {mean} 小时，90% 分位 {p90} 小时；"
                      "出现 10 级以上大风的概率 {f10}",
        "station_tip": "{name}：出海通道全部关闭的概率 {p}；关闭时长平均 {mean} 小时，90% 分位 {p90} 小时",
        "p_def": "概率 = 集合成员中该岛最长连续孤立时间超过 {h} 小时的比例。",
        "ring_def": "出海通道关闭：驿站所有船型的队伍都出不了海——其出海码头的航道对本船型全部超过抗风等级，"
                    "乘班轮的队伍本岛出发的航班全部停航（风力或提前停航规则）；不计道路和桥梁。",
        "errors": "成员按中国气象局公布的平均路径误差（2015 年）和强度误差（2012 年）扰动路径；风圈半径误差为本软件的假设。",
        "seed": "种子 {seed} · {n} 个成员 · 北京时间 {start} 至 {end}",
        "illustrative": "示意数据 / illustrative stations and teams, not the operator's",
    }),
    "en": MappingProxyType({
        "title": "Typhoon {storm} ensemble: the chance each island is cut off",
        "subtitle": "{n} members · forecast from {start} · cut off for more than {h} h",
        "legend": "Chance of being cut off for more than {h} h",
        "none": "0 (in no member)",
        "islands_n": "{n} isl.",
        "stations_n": "{n} st.",
        "ring": "Ring round a light station: chance its sea links all close (1 h or more), same colours",
        "unpowered": "unpowered islands",
        "layer_islands": "Chance of being cut off (ensemble)",
        "layer_stations": "Chance a station's sea links close",
        "island_tip": "{name}: cut off for more than {h} h in {p} of the members; hours cut off: mean {mean}, "
                      "90th percentile {p90}; force 10 or more in {f10}",
        "station_tip": "{name}: sea links all closed in {p} of the members; hours closed: mean {mean}, "
                       "90th percentile {p90}",
        "p_def": "Chance = share of the members in which the island's longest continuous isolation exceeds {h} h.",
        "ring_def": "Sea links closed: no team of the station can set out: every lane at the landing it puts to "
                    "sea from is above each own boat's wind limit, and every sailing from its island is stopped "
                    "for a team riding the scheduled boats (wind or the lead-time rule); roads and bridges "
                    "are not counted.",
        "errors": "Members perturb the track by the CMA's published mean track errors (2015) and intensity errors "
                  "(2012); the wind-radius error is an assumption of islandcover.",
        "seed": "seed {seed} · {n} members · {start} to {end} BJT",
        "illustrative": "示意数据 / illustrative stations and teams, not the operator's",
    }),
})


def odds_class(p: float) -> int:
    """The colour class of a probability: 0 (exactly 0), 1 (≤10 %) … 5 (>75 %).

    Raises
    ------
    IslandcoverError
        ``p`` not a number from 0 to 1.
    """
    value = float(p)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        msg = f"a probability must be between 0 and 1, got {p!r}"
        raise IslandcoverError(msg)
    if value == 0.0:
        return 0
    return 1 + bisect.bisect_left(ODDS_BREAKS, value)


def ensemble_chart(router: Router, ens: Ensemble, *, lang: str = "zh") -> folium.Map:
    """The beacon chart coloured by the chance that each powered island is cut off.

    Parameters
    ----------
    router : Router
        The router the ensemble was run with (islands, network, teams).
    ens : Ensemble
        From :func:`islandcover.typhoon.ensemble.run_ensemble`.
    lang : {"zh", "en"}
        Language of the title, legend, layer names and tooltips.

    Returns
    -------
    folium.Map
        Save it with :func:`islandcover.chart.beacon.write_beacon_chart`; it loads nothing from the
        network.

    Raises
    ------
    IslandcoverError
        Unknown ``lang``, an ensemble with no islands, or one naming an island or station that
        is not in the router's archipelago.
    """
    check_lang(lang)
    arch = router.arch
    if not ens.islands:
        msg = f"the ensemble of {ens.storm} has no islands: run it on a router with powered islands"
        raise IslandcoverError(msg)
    unknown = sorted({o.id for o in ens.islands} - set(arch.islands.index)) + sorted(
        {s.id for s in ens.stations} - set(arch.stations.index))
    if unknown:
        msg = (f"the ensemble names {unknown[0]!r}, which is not in the router's archipelago: draw an ensemble "
               "with the router it was run with")
        raise IslandcoverError(msg)
    text = _TEXT[lang]
    storm = storm_label(ens.storm, lang)
    hours = f"{ens.hours:g}"
    start = beijing_text(ens.start, lang=lang, year=True)

    # --- the base: the calm beacon chart (stations, bridges, routes, search, footer), offline
    calm = Weather.uniform(0)
    zones = CoverageModel(router).zones(Scenario())
    m = beacon_chart(arch, zones.best_eta_min, zones=zones.station.dropna(), routes=sailing_features(router, calm),
                     weather_label=text["title"].format(storm=storm), lang=lang)
    root = m.get_root()
    root.title = html.escape(text["title"].format(storm=storm))

    # --- the islands by their odds
    geoms = web_geometry(arch.islands.geometry)
    island_cls = {o.id: odds_class(o.p_cut_off) for o in ens.islands}
    feats = []
    for o in ens.islands:
        name = island_name(arch.islands.loc[o.id], o.id, lang)
        tip = text["island_tip"].format(name=name, h=hours, p=_pct(o.p_cut_off), mean=f"{o.hours_mean:.1f}",
                                        p90=f"{o.hours_p90:.0f}", f10=_pct(o.p_force10))
        feats.append({"type": "Feature", "id": o.id,
                      "properties": {"label": html.escape(tip), "cls": island_cls[o.id]},
                      "geometry": shapely.geometry.mapping(geoms[o.id])})
    group = folium.FeatureGroup(name=text["layer_islands"], show=True)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        style_function=lambda f: {"className": f"ic-odds ic-odds-{f['properties']['cls']}",
                                  "fillColor": ODDS_COLOURS[f["properties"]["cls"]], "fillOpacity": 0.95,
                                  "color": "#222222", "weight": 1.0},
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(group)
    group.add_to(m)

    # --- the stations' rings
    station_cls = {s.id: odds_class(s.p_links_close) for s in ens.stations}
    if ens.stations:
        group = folium.FeatureGroup(name=text["layer_stations"], show=True)
        names = arch.stations["name_zh" if lang == "zh" else "name_en"]
        for s in ens.stations:
            row = arch.stations.loc[s.id]
            name = str(names[s.id] or row["name_zh"])
            tip = text["station_tip"].format(name=name, p=_pct(s.p_links_close), mean=f"{s.hours_closed_mean:.1f}",
                                             p90=f"{s.hours_closed_p90:.0f}")
            ring = folium.CircleMarker([float(row["lat"]), float(row["lon"])], radius=17, weight=5, opacity=1.0,
                                       color=ODDS_COLOURS[station_cls[s.id]], fill=False, tooltip=html.escape(tip))
            ring.options.update({"className": f"ic-station-odds ic-odds-{station_cls[s.id]}", "pane": "ic-top"})
            ring.add_to(group)
        group.add_to(m)

    _control_last(m)

    # --- title, legend and the numbers drawn
    counts = [sum(1 for k in island_cls.values() if k == c) for c in range(len(ODDS_COLOURS))]
    ring_counts = [sum(1 for k in station_cls.values() if k == c) for c in range(len(ODDS_COLOURS))]
    sub = text["subtitle"].format(n=ens.members, start=start, h=hours)
    title = html.escape(text["title"].format(storm=storm))
    root.html.add_child(RawHtml(f'<div class="ic-title" id="ic-title">{title}<small>{html.escape(sub)}</small></div>'),
                        name="ic_title")
    root.html.add_child(RawHtml(_legend_html(arch, ens, text, lang, counts, ring_counts)), name="ic_legend")
    data = {"lang": lang, "storm": storm, "members": ens.members, "hours": ens.hours, "seed": ens.seed,
            "start": ens.start, "end": ens.end,
            "islands": [{"id": o.id, "p_cut_off": round(o.p_cut_off, 4), "class": island_cls[o.id]}
                        for o in ens.islands],
            "stations": [{"id": s.id, "p_links_close": round(s.p_links_close, 4), "class": station_cls[s.id]}
                         for s in ens.stations]}
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    root.html.add_child(RawHtml(f'<script type="application/json" id="ic-ensemble-data">{payload}</script>'),
                        name="ic_ensemble_data")
    return m


def _control_last(m: folium.Map) -> None:
    """Put the layer control (and the page script that follows it) after the layers added since:
    its script names every layer, so they must be defined before it runs."""
    keys = list(m._children)
    at = next((k for k, key in enumerate(keys) if isinstance(m._children[key], folium.LayerControl)), None)
    if at is None:
        return
    for key in keys[at:]:
        if not isinstance(m._children[key], folium.FeatureGroup):
            m._children[key] = m._children.pop(key)


def _pct(p: float) -> str:
    return f"{p:.0%}"


def _legend_html(arch: Any, ens: Ensemble, text: Mapping[str, str], lang: str, counts: list[int],
                 ring_counts: list[int]) -> str:
    esc = html.escape
    hours = f"{ens.hours:g}"
    bounds = [0.0, *ODDS_BREAKS]
    labels = [text["none"]] + [f"≤ {hi:.0%}" if lo == 0 else f"{lo:.0%}–{hi:.0%}"
                               for lo, hi in zip(bounds, ODDS_BREAKS)]
    labels.append(f"> {ODDS_BREAKS[-1]:.0%}")
    rows = [f'<div class="ic-legend" id="ic-legend"><h4>{esc(text["legend"].format(h=hours))}</h4>']
    for k, (label, colour) in enumerate(zip(labels, ODDS_COLOURS)):
        n = esc(text["islands_n"].format(n=counts[k]))
        if ring_counts[k]:
            n += f" · {esc(text['stations_n'].format(n=ring_counts[k]))}"
        rows.append(f'<div class="ic-row" data-odds-class="{k}"><span class="ic-sw" style="background:{colour}">'
                    f'</span><span class="ic-lab">{esc(label)}</span><span class="ic-n">{n}</span></div>')
    rows.append(f'<div class="ic-row"><span class="ic-sw" style="background:transparent;border-radius:50%;'
                f'border:3px solid {ODDS_COLOURS[3]}"></span>{esc(text["ring"])}</div>')
    rows.append(f'<div class="ic-row"><span class="ic-sw" style="background:{UNPOWERED_COLOUR}"></span>'
                f'{esc(text["unpowered"])}</div>')
    rows.append(f'<div class="ic-note" id="ic-odds-explained">{esc(text["p_def"].format(h=hours))} '
                f'{esc(CUT_OFF_EXPLAINED[lang])}</div>')
    rows.append(f'<div class="ic-note" id="ic-links-explained">{esc(text["ring_def"])}</div>')
    rows.append(f'<div class="ic-note">{esc(text["errors"])}</div>')
    span = text["seed"].format(seed=ens.seed, n=ens.members, start=_bj(ens.start), end=_bj(ens.end))
    rows.append(f'<div class="ic-note">{esc(span)}</div>')
    illustrative = any(bool(pd.Series(t["illustrative"]).astype(bool).any())
                       for t in (arch.stations, arch.teams) if "illustrative" in t.columns)
    if illustrative:
        notice = esc(text["illustrative"], quote=False)
        rows.append(f'<div class="ic-illustrative" id="ic-illustrative">{notice}</div>')
    rows.append("</div>")
    return "".join(rows)


def _bj(t: str) -> str:
    """A time in Beijing time without the zone (the legend's line names it once)."""
    return beijing_text(t, year=True, zone=False)
