"""The beacon chart (航标图): a standalone, offline Folium map of response times.

One HTML file that a dispatcher can open on an island office's PC in a storm, with no network:

- powered islands coloured by the fastest team's response time (classes 0–30, 30–45, 45–60,
  60–90, 90–120, >120 min, unreachable), unpowered islands drawn plain as the base map;
- the light stations (光明驿站) as beacons, with their teams and the islands they serve, the
  service points, the bridges, optional ferry routes, the islands cut off in a storm (thick
  red outline) and the stations' responsibility zones (a layer that is off at first);
- the power-supply stations (站所, a layer that is off at first) and demonstration posts
  (示范岗) of the data folder, when it has any (:mod:`islandcover.io.organisation`);
- one layer per district (the district filter), labels in Chinese or English;
- Leaflet (vendored in ``islandcover/web/leaflet``, BSD-2-Clause) inlined into the page, and
  none of Folium's CDN scripts (jQuery, Bootstrap, Font Awesome): legend and markers are plain
  HTML/CSS and inline SVG. OpenStreetMap tiles are an optional layer, off at first.

Stable hooks for tests and styling: island paths carry the CSS class ``ic-island`` (and
``ic-powered ic-eta-<k>`` or ``ic-unpowered``) and a ``data-island`` attribute with the island
id; beacons ``ic-beacon``; service points ``ic-service-point``; bridges ``ic-bridge``; routes
``ic-route``; cut-off outlines ``ic-cutoff``; zones ``ic-zone``; supply stations
``ic-supply-station``; demonstration posts ``ic-demo-post``.

Example::

    arch = Archipelago.load()
    m = beacon_chart(arch, eta_min, zones=zones, cut_off=["ZS-0033"], weather_label="台风 10 级")
    write_beacon_chart(m, "beacon.html")
"""
from __future__ import annotations

import base64
import bisect
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from branca.element import MacroElement
from jinja2 import Template

from islandcover._plumbing import write_text_atomic
from islandcover.archipelago import Archipelago
from islandcover.chart.layers import (
    CUT_OFF_EXPLAINED,
    CUTOFF_COLOUR,
    RawHtml,
    bridge_lines,
    check_lang,
    island_name,
    outage_footer_html,
    set_page_lang,
    web_geometry,
)
from islandcover.errors import IslandcoverError, UnknownIsland, UnknownStation
from islandcover.facts import DISTRICT_EN, DISTRICTS
from islandcover.planning.coverage import CoverageModel
from islandcover.planning.scenario import Scenario

__all__ = [
    "scenario_chart",
    "ETA_BREAKS_MIN",
    "ETA_COLOURS",
    "LEAFLET_VERSION",
    "UNPOWERED_COLOUR",
    "beacon_chart",
    "eta_class",
    "write_beacon_chart",
]

#: Upper bounds (inclusive) of the response-time classes, minutes. 45, 90 and 120 are State
#: Grid's promised arrival times for repairs in urban, rural and remote areas.
ETA_BREAKS_MIN: tuple[int, ...] = (30, 45, 60, 90, 120)

#: Fill colour of each class: ≤30, 30–45, 45–60, 60–90, 90–120, >120 min, unreachable.
ETA_COLOURS: tuple[str, ...] = ("#1a9850", "#91cf60", "#fee08b", "#fdae61", "#f46d43", "#a50026",
                                "#3a3a3a")

#: Fill colour of unpowered islands (the base map).
UNPOWERED_COLOUR = "#ece6d3"

#: Version of the Leaflet files vendored in ``islandcover/web/leaflet``.
LEAFLET_VERSION = "1.9.4"

_BRIDGE_COLOUR = "#6b3f12"
_ROUTE_COLOUR = "#1f4e9c"
_SEA_COLOUR = "#cfe2ee"
_UNASSIGNED_COLOUR = "#bdbdbd"
#: Categorical palette of the responsibility zones (ColorBrewer "Paired", 12 classes).
_ZONE_PALETTE: tuple[str, ...] = ("#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928",
                                  "#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99")
_FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
          '"PingFang SC", "Helvetica Neue", Arial, sans-serif')

_ILLUSTRATIVE_NOTICE = "示意数据 / illustrative stations and teams, not the operator's"

_TEXT: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "zh": MappingProxyType({
        "title": "舟山群岛光明驿站航标图",
        "subtitle": "有电岛屿最快抢修到达时间",
        "weather": "天气",
        "calm": "静风",
        "cut_off_title": "风暴孤岛 {n} 座",
        "legend_eta": "最快到达时间（分钟）",
        "unreachable": "无法到达",
        "unreachable_popup": "无法到达（没有队伍能到）",
        "own_station": "本岛驻有站点",
        "not_published": "未公布",
        "cut_off_split": "其中无法到达 {u} 座，岛自为战 {s} 座",
        "self_reliant": "岛自为战（本岛有队伍）",
        "labels": "岛名",
        "search": "搜索岛屿：中文、拼音或英文",
        "search_button": "搜索",
        "no_match": "没有找到",
        "layers_button": "图层",
        "legend_button": "图例",
        "outage_button": "停电 95598",
        "promise": "45 / 90 / 120 分钟：国家电网抢修到达现场承诺时限（城区 / 农村 / 特殊边远地区）",
        "islands_n": "{n} 岛",
        "unpowered": "无电网岛屿",
        "light_station": "光明驿站",
        "service_point": "服务点",
        "bridge": "桥梁",
        "route": "航线",
        "cut_off": "风暴孤岛（{weather}）：{n} 座",
        "zones": "责任区（按光明驿站）",
        "unassigned": "未分配",
        "tiles": "OpenStreetMap 底图（需联网）",
        "island": "岛屿",
        "district": "区县",
        "eta": "最快到达",
        "population": "人口",
        "zone": "责任驿站",
        "minutes": "{m:.0f} 分钟",
        "not_powered": "无电网",
        "teams": "抢修队伍",
        "no_teams": "无",
        "serves": "负责岛屿",
        "station_island": "所在岛屿",
        "illustrative_tag": "（示意）",
        "crew": "{n} 人",
        "cut_off_tip": "风暴中孤立",
        "supply_station": "供电所（站所）",
        "demo_post": "示范岗",
        "contact": "联系方式",
        "source": "来源",
        "position": "位置",
    }),
    "en": MappingProxyType({
        "title": "Zhoushan archipelago · beacon chart (航标图)",
        "subtitle": "fastest response time to powered islands",
        "weather": "weather",
        "calm": "calm",
        "cut_off_title": "{n} islands cut off",
        "legend_eta": "Fastest response (minutes)",
        "unreachable": "unreachable",
        "unreachable_popup": "unreachable (no team can reach it)",
        "own_station": "station on the island",
        "not_published": "not published",
        "cut_off_split": "{u} unreachable, {s} on their own (岛自为战)",
        "self_reliant": "on its own (岛自为战: a team of its own)",
        "labels": "Island names",
        "search": "Find an island: Chinese, pinyin or English",
        "search_button": "Search",
        "no_match": "no island found",
        "layers_button": "Layers",
        "legend_button": "Legend",
        "outage_button": "Outage 95598",
        "promise": "45 / 90 / 120 min: State Grid's promised arrival times for repairs "
                   "(urban / rural / remote areas)",
        "islands_n": "{n} isl.",
        "unpowered": "unpowered islands",
        "light_station": "Light stations",
        "service_point": "Service points",
        "bridge": "Bridges",
        "route": "Ferry routes",
        "cut_off": "Cut off ({weather}): {n} islands",
        "zones": "Responsibility zones (by light station)",
        "unassigned": "unassigned",
        "tiles": "OpenStreetMap tiles (needs internet)",
        "island": "Island",
        "district": "District",
        "eta": "Fastest arrival",
        "population": "Population",
        "zone": "Responsible station",
        "minutes": "{m:.0f} min",
        "not_powered": "not powered",
        "teams": "Teams",
        "no_teams": "none",
        "serves": "Serves",
        "station_island": "Island",
        "illustrative_tag": " (illustrative)",
        "crew": "{n} crew",
        "cut_off_tip": "cut off in the storm",
        "supply_station": "Power supply stations (站所)",
        "demo_post": "Demonstration posts (示范岗)",
        "contact": "Contact",
        "source": "Source",
        "position": "Position",
    }),
})

_BOAT = MappingProxyType({
    "zh": MappingProxyType({"workboat": "工作船", "fast": "快艇", "ferry": "客渡"}),
    "en": MappingProxyType({"workboat": "workboat", "fast": "fast boat", "ferry": "ferry"}),
})
_STATUS = MappingProxyType({
    "zh": MappingProxyType({"available": "待命", "busy": "出勤中", "off-duty": "休班"}),
    "en": MappingProxyType({"available": "available", "busy": "busy", "off-duty": "off duty"}),
})

#: Inline SVG of a lighthouse with its light: the beacon marker (no icon font, no network).
_BEACON_SVG = (
    '<svg class="ic-beacon-svg" width="30" height="30" viewBox="0 0 30 30" aria-hidden="true">'
    '<circle cx="15" cy="15" r="14" fill="#ffd21f" fill-opacity="0.45" stroke="#5c4400" '
    'stroke-width="1"/>'
    '<path d="M11.5 26 L12.9 12 H17.1 L18.5 26 Z" fill="#ffffff" stroke="#1b2a3a" '
    'stroke-width="1.3"/>'
    '<path d="M12.3 17.5 H17.7 L18 21 H12 Z" fill="#d7191c"/>'
    '<rect x="12.6" y="7.5" width="4.8" height="4.5" fill="#ffd21f" stroke="#1b2a3a" '
    'stroke-width="1.3"/>'
    '<path d="M12.2 7.6 L15 4.6 L17.8 7.6 Z" fill="#1b2a3a"/>'
    '<path d="M19 8.6 L25.5 6.2 M19 10.8 L25.5 13.2 M11 8.6 L4.5 6.2 M11 10.8 L4.5 13.2" '
    'stroke="#b36b00" stroke-width="1.5" stroke-linecap="round"/>'
    '</svg>'
)


#: A power-supply station (站所): a white square with a lightning bolt (inline SVG, no network).
_SUPPLY_SVG = (
    '<svg class="ic-supply-svg" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">'
    '<rect x="1.5" y="1.5" width="13" height="13" rx="2" fill="#ffffff" stroke="#1f4e9c" stroke-width="1.6"/>'
    '<path d="M9 3 L5 9 H8 L7 13 L11 7 H8 Z" fill="#1f4e9c"/>'
    '</svg>'
)
#: A demonstration post (示范岗): a red star (inline SVG).
_POST_SVG = (
    '<svg class="ic-post-svg" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">'
    '<path d="M8 1 L9.9 5.9 L15 6.2 L11 9.5 L12.4 14.6 L8 11.7 L3.6 14.6 L5 9.5 L1 6.2 L6.1 5.9 Z" '
    'fill="#d7191c" stroke="#5a0000" stroke-width="0.9"/>'
    '</svg>'
)


# --------------------------------------------------------------------------- public functions
def eta_class(eta_min: float) -> int:
    """Return the response-time class of one ETA: 0 (≤30 min) … 5 (>120 min), 6 (unreachable).

    Classes are closed above: 45 min is in class 1 (30–45), meeting the 45-minute promise.

    Parameters
    ----------
    eta_min : float
        Response time, minutes; NaN or infinite for an island no team can reach.

    Raises
    ------
    IslandcoverError
        If ``eta_min`` is negative.
    """
    value = float(eta_min)
    if math.isnan(value) or math.isinf(value):
        return len(ETA_BREAKS_MIN) + 1
    if value < 0:
        msg = f"eta_min must be ≥ 0 minutes (or NaN for unreachable), got {value}"
        raise IslandcoverError(msg)
    return bisect.bisect_left(ETA_BREAKS_MIN, value)


def beacon_chart(
    arch: Archipelago,
    eta_min: pd.Series,
    *,
    zones: pd.Series | None = None,
    cut_off: Sequence[str] = (),
    weather_label: str = "calm",
    lang: str = "zh",
    routes: Sequence[dict] = (),
    tiles: bool = True,
    supply_stations: pd.DataFrame | None = None,
    demo_posts: pd.DataFrame | None = None,
) -> folium.Map:
    """Build the beacon chart: response times, beacons, zones and closures on one offline map.

    Parameters
    ----------
    arch : Archipelago
        The loaded model (islands, stations, teams).
    eta_min : pandas.Series
        Island id → fastest response time, minutes, for every powered island (NaN: no team
        can reach it). Values for unpowered islands are ignored.
    zones : pandas.Series, optional
        Island id → id of the station responsible for it (NaN: unassigned). Drawn as a layer
        that is off at first, and listed in each beacon's popup.
    cut_off : sequence of str
        Islands cut off in the storm (ids or names), drawn with a thick red outline.
    weather_label : str
        Shown in the title and legend, e.g. ``"wind 9"`` or ``"台风 10 级"``. The default
        ``"calm"`` is translated (静风 in Chinese); other labels are shown as given.
    lang : {"zh", "en"}
        Language of the title, legend, layer names and popups.
    routes : sequence of dict
        GeoJSON Features with LineString or MultiLineString geometry (e.g. ferry routes),
        drawn as a dashed layer; ``properties.name`` (or ``name_zh``/``name_en``) is the tooltip,
        and ``properties.open`` false draws it grey and dotted (a suspended sailing).
    tiles : bool
        Add OpenStreetMap tiles as an optional layer, off at first (it needs the internet).
    supply_stations, demo_posts : DataFrame, optional
        Power-supply stations (站所) and demonstration posts (示范岗) from
        :func:`islandcover.io.organisation.read_supply_stations` and
        :func:`~islandcover.io.organisation.read_demo_posts` (``id``, ``name_zh``, ``name_en``,
        ``lon``, ``lat``, ``island_id``, ``illustrative``, …), each drawn as a layer when not empty:
        the stations off at first (most sit at their island's point, under its service point),
        the posts on.

    Returns
    -------
    folium.Map
        Save it with :func:`write_beacon_chart`; it loads nothing from the network.

    Raises
    ------
    IslandcoverError
        Unknown ``lang``; ``eta_min`` not a Series, missing a powered island, or negative;
        malformed ``routes`` or ``cut_off``.
    UnknownIsland, UnknownStation
        An id in ``eta_min``, ``zones`` or ``cut_off`` that is not in ``arch``.
    """
    check_lang(lang)
    text = _TEXT[lang]
    eta = _checked_eta(arch, eta_min)
    zone_of = _checked_zones(arch, zones) if zones is not None else None
    cut_ids = _checked_cut_off(arch, cut_off)
    route_features = _checked_routes(routes, lang)
    weather = text["calm"] if weather_label == "calm" else str(weather_label)
    classes = {iid: eta_class(v) for iid, v in eta.items()}
    # One definition of "cut off" (see CUT_OFF_EXPLAINED): an island no team can reach is cut off
    # (unreachable); a cut-off island that a team still reaches has one of its own (岛自为战).
    unreachable = [iid for iid, k in classes.items() if k == len(ETA_COLOURS) - 1]
    cut_ids += [iid for iid in unreachable if iid not in cut_ids]
    self_reliant = frozenset(i for i in cut_ids if i in classes and i not in set(unreachable))
    own_station = frozenset(arch.light_stations["island_id"].dropna().astype(str))

    islands = arch.islands
    geoms = web_geometry(islands.geometry)
    w, s, e, n = islands.total_bounds
    m = folium.Map(location=[(s + n) / 2, (w + e) / 2], zoom_start=9, tiles=None,
                   control_scale=True, prefer_canvas=False, zoom_snap=0.25)
    _make_offline(m, text["title"], lang)
    set_page_lang(m.get_root(), lang)
    _IslandIds().add_to(m)  # before any layer, so that it sees every one added
    top = folium.map.CustomPane("ic-top", z_index=450, pointer_events=True)
    top.add_to(m)

    station_name = arch.stations["name_zh" if lang == "zh" else "name_en"]
    station_name = station_name.where(station_name.notna() & (station_name != ""),
                                      arch.stations["name_zh"])

    # --- tiles (optional, off at first)
    if tiles:
        folium.TileLayer("OpenStreetMap", name=text["tiles"], overlay=True, show=False,
                         control=True).add_to(m)

    # --- responsibility zones (off at first)
    if zone_of is not None:
        _zones_layer(m, arch, geoms, zone_of, station_name, text, lang)

    # --- islands, one layer per district (the district filter)
    districts = [d for d in DISTRICTS if (islands.district == d).any()]
    districts += sorted(set(islands.district) - set(DISTRICTS), key=str)  # the loader allows none
    for d in districts:
        ids = islands.index[islands.district == d]
        name = d if lang == "zh" else DISTRICT_EN.get(d, d)
        group = folium.FeatureGroup(name=name, show=True)
        feats = [_island_feature(arch, iid, geoms[iid], eta, zone_of, station_name, text, lang,
                                 own_station, self_reliant) for iid in ids]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats},
            style_function=_island_styler(classes),
            highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
            popup=folium.GeoJsonPopup(
                fields=_popup_fields(zone_of),
                aliases=[text[k] for k in _popup_fields(zone_of, keys=True)]),
            attribution="GSHHG (LGPL-3.0) · islandcover",
        ).add_to(group)
        group.add_to(m)

    # --- storm closures
    if cut_ids:
        _cut_off_layer(m, arch, geoms, cut_ids, self_reliant, weather, text, lang)

    # --- bridges
    bridges = bridge_lines(arch)
    if bridges:
        group = folium.FeatureGroup(name=text["bridge"], show=True)
        for name_zh, name_en, line in bridges:
            _path_hooks(folium.PolyLine(
                [(y, x) for x, y in line.coords], color=_BRIDGE_COLOUR, weight=4, opacity=0.95,
                tooltip=html.escape(name_zh if lang == "zh" else name_en or name_zh),
            ), "ic-bridge").add_to(group)
        group.add_to(m)

    # --- routes
    if route_features:
        group = folium.FeatureGroup(name=text["route"], show=True)
        folium.GeoJson(
            {"type": "FeatureCollection", "features": route_features},
            style_function=lambda f: {"color": _ROUTE_COLOUR if f["properties"]["_open"] else "#888888",
                                      "weight": 2.5 if f["properties"]["_open"] else 1.5, "opacity": 0.9,
                                      "dashArray": "7 6" if f["properties"]["_open"] else "2 6",
                                      "className": "ic-route" if f["properties"]["_open"] else "ic-route ic-route-closed"},
            tooltip=folium.GeoJsonTooltip(fields=["_label"], labels=False),
            pane="ic-top",
        ).add_to(group)
        group.add_to(m)

    # --- service points and beacons
    _station_layers(m, arch, zone_of, station_name, text, lang)

    # --- the organisation: supply stations and demonstration posts
    has_supply = supply_stations is not None and len(supply_stations) > 0
    has_posts = demo_posts is not None and len(demo_posts) > 0
    if supply_stations is not None and has_supply:
        _organisation_layer(m, arch, supply_stations, "supply_station", text, lang, show=False)
    if demo_posts is not None and has_posts:
        _organisation_layer(m, arch, demo_posts, "demo_post", text, lang, show=True)

    control = folium.LayerControl(collapsed=False, position="topright")
    control.add_to(m)
    _ChartUi(control, _search_data(arch, lang), {k: text[k] for k in ("labels", "no_match")}).add_to(m)
    m.fit_bounds([[s, w], [n, e]], padding=(10, 10))

    counts = [sum(1 for k in classes.values() if k == c) for c in range(len(ETA_COLOURS))]
    illustrative = bool(arch.stations["illustrative"].astype(bool).any())
    if "illustrative" in arch.teams.columns:
        illustrative = illustrative or bool(arch.teams["illustrative"].astype(bool).any())
    root = m.get_root()
    root.html.add_child(RawHtml(_title_html(text, weather, len(cut_ids))), name="ic_title")
    root.html.add_child(RawHtml(_legend_html(text, counts, weather, len(cut_ids), bool(bridges),
                                          bool(route_features), illustrative, zone_of,
                                          station_name, supply=has_supply, posts=has_posts,
                                          lang=lang)),
                        name="ic_legend")
    root.html.add_child(RawHtml(_search_html(text)), name="ic_search")
    root.html.add_child(RawHtml(outage_footer_html(lang)), name="ic_footer")
    root.html.add_child(RawHtml(_bar_html(text)), name="ic_bar")
    return m


def scenario_chart(model: CoverageModel, scenario: Scenario, *, lang: str = "zh") -> tuple[folium.Map, list[str]]:
    """The beacon chart of a scenario: fastest ETAs, zones and cut-off islands under its weather,
    with the supply stations and demonstration posts of the model's data folder.

    Parameters
    ----------
    model : CoverageModel
        Gives the archipelago, the router and the scenario's zones.
    scenario : Scenario
        Stations and weather.
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    (folium.Map, list of str)
        The chart and the ids of the cut-off islands (the count the chart shows: no team from
        another island reaches them, including those no team reaches at all).
    """
    from islandcover.io.organisation import load_organisation
    from islandcover.travel.links import sailing_features

    arch = model.arch
    org = load_organisation(arch.folder_of, arch.islands, resolve=lambda ref: arch.island(ref).id,
                            zone_stations=arch.stations.index)
    zones = model.zones(scenario)
    cut = [c.id for c in model.router.cutoff(scenario.weather)]
    # "Unreachable" means what it means for the cut-off islands: no team, by any of its boats,
    # can reach it. Where the scenario's stations (planning vessel) reach no island, the
    # fastest team that does gives its time (e.g. a ferry team in a gale).
    teams = model.router.travel_times(scenario.weather).min(axis=0)
    eta = zones.best_eta_min.fillna(teams.reindex(zones.best_eta_min.index))
    cut += [i for i in eta.index[eta.isna()] if i in arch.islands.index and i not in cut]
    m = beacon_chart(arch, eta, zones=zones.station.dropna(), cut_off=cut,
                     routes=sailing_features(model.router, scenario.weather),
                     weather_label=scenario.weather.describe(lang), lang=lang,
                     supply_stations=org.supply_stations, demo_posts=org.demo_posts)
    return m, cut


def write_beacon_chart(m: folium.Map, path: str | Path) -> Path:
    """Write the chart as one standalone HTML file, atomically.

    The page is rendered first, then written to a temporary file in the target folder and
    moved over ``path`` in one step (``os.replace``): readers see the old file or the new
    one, never half a file, and nothing is left behind when writing fails.

    Parameters
    ----------
    m : folium.Map
        A chart from :func:`beacon_chart`.
    path : str or Path
        The HTML file to write; its folder must exist.

    Returns
    -------
    Path
        ``path``, resolved.

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist.
    IslandcoverError
        If the write itself fails (disk full, permissions); the old file, if any, is kept.
    """
    target = Path(path).resolve()
    if not target.parent.is_dir():
        msg = f"cannot write the beacon chart to {target}: folder {target.parent} does not exist (create it first)"
        raise FileNotFoundError(msg)
    return write_text_atomic(target, m.get_root().render(), what="beacon chart")


# --------------------------------------------------------------------------- checking inputs
def _checked_eta(arch: Archipelago, eta_min: pd.Series) -> pd.Series:
    if not isinstance(eta_min, pd.Series):
        msg = f"eta_min must be a pandas Series (island id → minutes), got {type(eta_min).__name__}"
        raise IslandcoverError(msg)
    if eta_min.index.has_duplicates:
        dup = ", ".join(map(str, eta_min.index[eta_min.index.duplicated()].unique()[:5]))
        msg = f"eta_min has more than one value for island(s) {dup}: give one value per island"
        raise IslandcoverError(msg)
    unknown = eta_min.index.difference(arch.islands.index)
    if len(unknown):
        msg = (f"eta_min names {len(unknown)} island id(s) not in the archipelago, e.g. "
               f"{unknown[0]!r}: ids look like {arch.islands.index[0]!r}")
        raise UnknownIsland(msg)
    try:
        values = pd.to_numeric(eta_min, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        msg = f"eta_min must hold minutes as numbers (NaN for unreachable): {exc}"
        raise IslandcoverError(msg) from exc
    powered = arch.islands.index[arch.islands.powered.astype(bool)]
    missing = powered.difference(values.index)
    if len(missing):
        names = ", ".join(arch.island(i).label for i in missing[:3])
        msg = (f"eta_min has no value for {len(missing)} powered island(s), e.g. {names}: "
               "give every powered island a value, NaN where no team can reach it")
        raise IslandcoverError(msg)
    values = values.reindex(powered)
    negative = values[values < 0]
    if len(negative):
        msg = (f"eta_min must be ≥ 0 minutes, got {negative.iloc[0]} for island "
               f"{arch.island(negative.index[0]).label}")
        raise IslandcoverError(msg)
    return values


def _checked_zones(arch: Archipelago, zones: pd.Series) -> pd.Series:
    if not isinstance(zones, pd.Series):
        msg = f"zones must be a pandas Series (island id → station id), got {type(zones).__name__}"
        raise IslandcoverError(msg)
    unknown = zones.index.difference(arch.islands.index)
    if len(unknown):
        msg = f"zones names island id {unknown[0]!r}, which is not in the archipelago"
        raise UnknownIsland(msg)
    zones = zones.dropna().astype(str)
    bad = sorted(set(zones) - set(arch.stations.index))
    if bad:
        choices = ", ".join(arch.light_stations.index)
        msg = f"zones names station {bad[0]!r}, which is not loaded: light stations are {choices}"
        raise UnknownStation(msg)
    return zones[~zones.index.duplicated(keep="last")]


def _checked_cut_off(arch: Archipelago, cut_off: Sequence[str]) -> list[str]:
    if isinstance(cut_off, str):
        msg = (f"cut_off must be a list of island ids or names, got the string {cut_off!r} "
               "(wrap it in a list)")
        raise IslandcoverError(msg)
    ids: list[str] = []
    for ref in cut_off:
        iid = arch.island(ref).id
        if iid not in ids:
            ids.append(iid)
    return ids


def _checked_routes(routes: Sequence[dict], lang: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, feat in enumerate(routes):
        geom = feat.get("geometry") if isinstance(feat, Mapping) else None
        kind = geom.get("type") if isinstance(geom, Mapping) else None
        if not isinstance(feat, Mapping) or feat.get("type") != "Feature" or kind not in (
                "LineString", "MultiLineString"):
            msg = (f"routes[{i}] must be a GeoJSON Feature with LineString or MultiLineString "
                   f"geometry, got {type(feat).__name__} with geometry type {kind!r}")
            raise IslandcoverError(msg)
        props = dict(feat.get("properties") or {})
        label = props.get("name_zh" if lang == "zh" else "name_en") or props.get("name") or ""
        out.append({"type": "Feature", "geometry": {"type": kind, "coordinates": geom["coordinates"]},
                    "properties": {"_label": html.escape(str(label)), "_open": props.get("open", True) is not False}})
    return out


# --------------------------------------------------------------------------- geometry
# --------------------------------------------------------------------------- layers
def _popup_fields(zone_of: pd.Series | None, *, keys: bool = False) -> list[str]:
    fields = ["name", "district", "eta", "pop"]
    text_keys = ["island", "district", "eta", "population"]
    if zone_of is not None:
        fields.append("zone")
        text_keys.append("zone")
    return text_keys if keys else fields


def _island_feature(arch: Archipelago, iid: str, geom: shapely.Geometry, eta: pd.Series,
                    zone_of: pd.Series | None, station_name: pd.Series, text: Mapping[str, str],
                    lang: str, own_station: frozenset[str], self_reliant: frozenset[str]
                    ) -> dict[str, Any]:
    row = arch.islands.loc[iid]
    name = island_name(row, iid, lang)
    district = row["district"] if lang == "zh" else DISTRICT_EN.get(row["district"], row["district"])
    if iid in eta.index:
        value = eta[iid]
        reachable = not (np.isnan(value) or np.isinf(value))
        if iid in own_station:
            eta_text = text["own_station"]
        else:
            eta_text = text["minutes"].format(m=value) if reachable else text["unreachable_popup"]
        if iid in self_reliant:
            eta_text = f"{eta_text} · {text['self_reliant']}"
    else:
        eta_text = text["not_powered"]
    pop = row["population"]
    props: dict[str, Any] = {
        "name": html.escape(name),
        "district": html.escape(str(district)),
        "eta": html.escape(eta_text),
        "pop": html.escape(text["not_published"]) if pd.isna(pop) else f"{int(pop):,}",
    }
    if zone_of is not None:
        sid = zone_of.get(iid)
        props["zone"] = html.escape(str(station_name[sid])) if sid is not None else ""
    return {"type": "Feature", "id": iid, "properties": props,
            "geometry": shapely.geometry.mapping(geom)}


def _island_styler(classes: Mapping[str, int]) -> Callable[[dict], dict[str, Any]]:
    def style(feature: dict) -> dict[str, Any]:
        k = classes.get(feature["id"])
        if k is None:
            return {"className": "ic-island ic-unpowered", "fillColor": UNPOWERED_COLOUR,
                    "fillOpacity": 1.0, "color": "#8f8a78", "weight": 0.6}
        return {"className": f"ic-island ic-powered ic-eta-{k}", "fillColor": ETA_COLOURS[k],
                "fillOpacity": 0.92, "color": "#222222", "weight": 1.0}
    return style


def _zones_layer(m: folium.Map, arch: Archipelago, geoms: pd.Series, zone_of: pd.Series,
                 station_name: pd.Series, text: Mapping[str, str], lang: str) -> None:
    colour = _zone_colours(zone_of)
    powered = arch.islands.index[arch.islands.powered.astype(bool)]
    ids = list(dict.fromkeys([*zone_of.index, *powered]))  # zoned islands, then unassigned powered
    feats = []
    for iid in ids:
        sid = zone_of.get(iid)
        label = island_name(arch.islands.loc[iid], iid, lang)
        zone = station_name[sid] if sid is not None else text["unassigned"]
        feats.append({"type": "Feature", "id": iid,
                      "properties": {"label": html.escape(f"{label} → {zone}"),
                                     "fill": colour.get(sid, _UNASSIGNED_COLOUR)},
                      "geometry": shapely.geometry.mapping(geoms[iid])})
    group = folium.FeatureGroup(name=text["zones"], show=False)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        style_function=lambda f: {"className": "ic-zone", "fillColor": f["properties"]["fill"],
                                  "fillOpacity": 0.95, "color": "#333333", "weight": 0.8},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(group)
    group.add_to(m)


def _path_hooks(layer: folium.PolyLine | folium.CircleMarker, class_name: str
                ) -> folium.PolyLine | folium.CircleMarker:
    """Put a vector layer in the top pane with a CSS class (folium < 0.20 drops both kwargs)."""
    layer.options.update({"className": class_name, "pane": "ic-top"})
    return layer


def _zone_colours(zone_of: pd.Series) -> dict[str, str]:
    return {sid: _ZONE_PALETTE[i % len(_ZONE_PALETTE)]
            for i, sid in enumerate(sorted(set(zone_of)))}


def _cut_off_layer(m: folium.Map, arch: Archipelago, geoms: pd.Series, cut_ids: list[str],
                   self_reliant: frozenset[str], weather: str, text: Mapping[str, str], lang: str) -> None:
    def label(iid: str) -> str:
        kind = text["self_reliant"] if iid in self_reliant else text["unreachable_popup"]
        return f"{island_name(arch.islands.loc[iid], iid, lang)}: {text['cut_off_tip']} ({weather}) · {kind}"

    feats = [{"type": "Feature", "id": iid, "properties": {"label": html.escape(label(iid))},
              "geometry": shapely.geometry.mapping(geoms[iid])} for iid in cut_ids]
    group = folium.FeatureGroup(name=text["cut_off"].format(weather=weather, n=len(cut_ids)), show=True)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        style_function=lambda _f: {"className": "ic-cutoff", "color": CUTOFF_COLOUR,
                                   "weight": 4.5, "opacity": 1.0, "fill": False},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        pane="ic-top",
    ).add_to(group)
    group.add_to(m)


def _station_layers(m: folium.Map, arch: Archipelago, zone_of: pd.Series | None,
                    station_name: pd.Series, text: Mapping[str, str], lang: str) -> None:
    st = arch.stations
    points = st[st.kind == "service_point"]
    if len(points):
        group = folium.FeatureGroup(name=text["service_point"], show=True)
        for sid, r in points.iterrows():
            _path_hooks(folium.CircleMarker(
                [float(r["lat"]), float(r["lon"])], radius=3.5, color="#1b2a3a", weight=1.2,
                fill=True, fill_color="#ffffff", fill_opacity=1.0,
                tooltip=html.escape(f"{station_name[sid]} ({sid})"),
            ), "ic-service-point").add_to(group)
        group.add_to(m)

    group = folium.FeatureGroup(name=text["light_station"], show=True)
    for sid, r in st[st.kind == "light_station"].iterrows():
        marker = folium.Marker(
            [float(r["lat"]), float(r["lon"])],
            icon=folium.DivIcon(html=_BEACON_SVG, icon_size=(30, 30), icon_anchor=(15, 15),
                                class_name="ic-beacon"),
            tooltip=html.escape(str(station_name[sid])),
        )
        marker.add_child(_RawPopup(_beacon_popup(arch, sid, zone_of, station_name, text, lang)))
        marker.add_to(group)
    group.add_to(m)


def _organisation_layer(m: folium.Map, arch: Archipelago, table: pd.DataFrame, kind: str,
                        text: Mapping[str, str], lang: str, *, show: bool) -> None:
    """Supply stations (``kind="supply_station"``, white squares) or demonstration posts
    (``"demo_post"``, red stars), each with a tooltip and a popup; CSS class ``ic-<kind>``."""
    esc = html.escape
    css = "ic-" + kind.replace("_", "-")
    svg = _SUPPLY_SVG if kind == "supply_station" else _POST_SVG
    group = folium.FeatureGroup(name=text[kind], show=show)
    for sid, r in table.iterrows():
        zh = str(r["name_zh"])
        en = r.get("name_en")
        label = zh if lang == "zh" or not isinstance(en, str) or not en else f"{en} ({zh})"
        tag = text["illustrative_tag"] if bool(r.get("illustrative", False)) else ""
        parts = [f'<div class="ic-popup"><b>{esc(label)}</b> <small>{esc(str(sid))}{esc(tag)}</small>']
        iid = r.get("island_id")
        if isinstance(iid, str) and iid in arch.islands.index:
            island = island_name(arch.islands.loc[iid], iid, lang)
            parts.append(f"<div>{esc(text['station_island'])}: {esc(island)}</div>")
        for key, col in (("contact", "contact"), ("position", "position_source"), ("source", "source_url")):
            value = r.get(col)
            if isinstance(value, str) and value:
                parts.append(f"<div>{esc(text[key])}: {esc(value)}</div>")
        parts.append("</div>")
        marker = folium.Marker(
            [float(r["lat"]), float(r["lon"])],
            icon=folium.DivIcon(html=svg, icon_size=(16, 16), icon_anchor=(8, 8), class_name=css),
            tooltip=esc(label + tag),
        )
        marker.add_child(_RawPopup("".join(parts)))
        marker.add_to(group)
    group.add_to(m)


def _beacon_popup(arch: Archipelago, sid: str, zone_of: pd.Series | None, station_name: pd.Series,
                  text: Mapping[str, str], lang: str) -> str:
    r = arch.stations.loc[sid]
    esc = html.escape
    title = f"{r['name_zh']}" if lang == "zh" else f"{station_name[sid]} ({r['name_zh']})"
    tag = text["illustrative_tag"] if bool(r["illustrative"]) else ""
    island = arch.islands.loc[r["island_id"]]
    parts = [f'<div class="ic-popup"><b>{esc(title)}</b> <small>{esc(sid)}{esc(tag)}</small>',
             f"<div>{esc(text['station_island'])}: {esc(island_name(island, r['island_id'], lang))}</div>"]
    teams = arch.teams[arch.teams.station_id == sid]
    parts.append(f"<div><b>{esc(text['teams'])}</b> ({len(teams)}):</div>")
    if len(teams):
        items = []
        for tid, t in teams.iterrows():
            boat = _BOAT[lang].get(t["boat_class"], t["boat_class"])
            status = _STATUS[lang].get(t["status"], t["status"])
            crew = text["crew"].format(n=int(t["head_count"])) if pd.notna(t.get("head_count")) else ""
            name = f"{t['name']} · " if lang == "zh" and isinstance(t.get("name"), str) else ""
            items.append(f"<li>{esc(str(tid))} {esc(name)}{esc(boat)} · {esc(crew)} · {esc(status)}</li>")
        parts.append(f"<ul>{''.join(items)}</ul>")
    else:
        parts.append(f"<div>{esc(text['no_teams'])}</div>")
    if zone_of is not None:
        served = [iid for iid, s in zone_of.items() if s == sid]
        names = "、".join if lang == "zh" else ", ".join
        listed = names(esc(island_name(arch.islands.loc[i], i, lang)) for i in served)
        listed = listed or esc(text["no_teams"])
        parts.append(f"<div><b>{esc(text['serves'])}</b> ({len(served)}): {listed}</div>")
    parts.append("</div>")
    return "".join(parts)


# --------------------------------------------------------------------------- title and legend
def _title_html(text: Mapping[str, str], weather: str, n_cut: int) -> str:
    esc = html.escape
    sub = f"{text['subtitle']} · {text['weather']}: {weather}"
    if n_cut:
        sub += f" · {text['cut_off_title'].format(n=n_cut)}"
    return (f'<div class="ic-title" id="ic-title">{esc(text["title"])}'
            f"<small>{esc(sub)}</small></div>")


def _legend_html(text: Mapping[str, str], counts: list[int], weather: str, n_cut: int,
                 bridges: bool, routes: bool, illustrative: bool, zone_of: pd.Series | None,
                 station_name: pd.Series, *, supply: bool = False, posts: bool = False,
                 lang: str = "zh") -> str:
    esc = html.escape
    bounds = [0, *ETA_BREAKS_MIN]
    labels = [f"{lo}–{hi}" if lo else f"≤ {hi}" for lo, hi in zip(bounds, ETA_BREAKS_MIN)]
    labels += [f"> {ETA_BREAKS_MIN[-1]}", text["unreachable"]]
    rows = [f'<div class="ic-legend" id="ic-legend"><h4>{esc(text["legend_eta"])}</h4>']
    for k, (label, colour) in enumerate(zip(labels, ETA_COLOURS)):
        rows.append(f'<div class="ic-row" data-eta-class="{k}"><span class="ic-sw" '
                    f'style="background:{colour}"></span><span class="ic-lab">{esc(label)}</span>'
                    f'<span class="ic-n">{esc(text["islands_n"].format(n=counts[k]))}</span></div>')
    rows.append(f'<div class="ic-note">{esc(text["promise"])}</div>')
    rows.append(f'<div class="ic-row"><span class="ic-sw" style="background:{UNPOWERED_COLOUR}">'
                f'</span>{esc(text["unpowered"])}</div>')
    rows.append(f'<div class="ic-row"><span class="ic-legend-beacon">{_BEACON_SVG}</span>'
                f'{esc(text["light_station"])}</div>')
    rows.append('<div class="ic-row"><span class="ic-sym"><span class="ic-dot"></span></span>'
                f'{esc(text["service_point"])}</div>')
    if supply:
        rows.append(f'<div class="ic-row"><span class="ic-sym">{_SUPPLY_SVG}</span>'
                    f'{esc(text["supply_station"])}</div>')
    if posts:
        rows.append(f'<div class="ic-row"><span class="ic-sym">{_POST_SVG}</span>'
                    f'{esc(text["demo_post"])}</div>')
    if bridges:
        rows.append(f'<div class="ic-row"><span class="ic-sym"><span class="ic-line" '
                    f'style="border-top:4px solid {_BRIDGE_COLOUR}"></span></span>'
                    f'{esc(text["bridge"])}</div>')
    if routes:
        rows.append(f'<div class="ic-row"><span class="ic-sym"><span class="ic-line" '
                    f'style="border-top:3px dashed {_ROUTE_COLOUR}"></span></span>'
                    f'{esc(text["route"])}</div>')
    rows.append(f'<div class="ic-row" id="ic-legend-cutoff"><span class="ic-sw" '
                f'style="background:transparent;border:3px solid {CUTOFF_COLOUR}"></span>'
                f'{esc(text["cut_off"].format(weather=weather, n=n_cut))}</div>')
    if n_cut:
        split = text["cut_off_split"].format(u=counts[-1], s=n_cut - counts[-1])  # unreachable ⊆ cut off
        rows.append(f'<div class="ic-note" id="ic-legend-cutoff-split">{esc(split)}</div>')
    rows.append(f'<div class="ic-note" id="ic-cutoff-explained">{esc(CUT_OFF_EXPLAINED[lang])}</div>')
    if zone_of is not None:
        colour = _zone_colours(zone_of)
        items = "".join(f'<div class="ic-row"><span class="ic-sw" style="background:{c}"></span>'
                        f"{esc(str(station_name[sid]))}</div>" for sid, c in colour.items())
        rows.append(f"<details><summary>{esc(text['zones'])}</summary>{items}</details>")
    if illustrative:
        notice = esc(_ILLUSTRATIVE_NOTICE, quote=False)
        rows.append(f'<div class="ic-illustrative" id="ic-illustrative">{notice}</div>')
    rows.append("</div>")
    return "".join(rows)


_PAGE_CSS = f"""
.leaflet-container {{ background: {_SEA_COLOUR}; font-family: {_FONTS}; }}
.ic-title {{ position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
  z-index: 1000; background: rgba(255,255,255,0.93); padding: 6px 16px; border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); font: 600 17px/1.35 {_FONTS}; color: #13222f;
  text-align: center; pointer-events: none; white-space: nowrap; }}
.ic-title small {{ display: block; font-weight: 400; font-size: 12.5px; color: #33414d; }}
:root {{ --ic-top: 0px; --ic-bottom: 0px; }}
.leaflet-top {{ top: var(--ic-top); }}
.leaflet-bottom {{ bottom: var(--ic-bottom); }}
.ic-legend {{ position: absolute; left: 10px; bottom: calc(var(--ic-bottom) + 44px); z-index: 1000;
  max-width: 270px; max-height: calc(100% - 150px - var(--ic-bottom)); overflow: auto; background: rgba(255,255,255,0.95);
  padding: 8px 10px; border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,0.35);
  font: 12px/1.35 {_FONTS}; color: #1d1d1d; }}
.ic-legend h4 {{ margin: 0 0 4px 0; font-size: 13px; }}
.ic-legend .ic-row {{ display: flex; align-items: center; gap: 6px; margin: 2px 0; }}
.ic-legend .ic-sw {{ flex: none; width: 20px; height: 12px; border: 1px solid #444;
  box-sizing: border-box; }}
.ic-legend .ic-n {{ margin-left: auto; color: #555; padding-left: 8px; }}
.ic-legend .ic-sym {{ flex: none; width: 20px; display: flex; justify-content: center; }}
.ic-legend .ic-dot {{ width: 7px; height: 7px; border-radius: 50%; background: #fff;
  border: 1.5px solid #1b2a3a; }}
.ic-legend .ic-line {{ width: 20px; height: 0; }}
.ic-legend-beacon {{ flex: none; width: 20px; height: 20px; }}
.ic-legend-beacon svg {{ width: 20px; height: 20px; }}
.ic-legend .ic-note {{ font-size: 11px; color: #333; margin: 3px 0 5px 0; }}
.ic-legend details {{ margin-top: 4px; }}
.ic-legend summary {{ cursor: pointer; font-weight: 600; }}
.ic-illustrative {{ margin-top: 6px; padding: 4px 6px; background: #fff3cd;
  border: 1px solid #d9a400; color: #5a4300; font-weight: 600; }}
.ic-beacon, .ic-supply-station, .ic-demo-post {{ background: none; border: none; }}
.ic-legend .ic-sym svg {{ width: 14px; height: 14px; }}
.ic-popup ul {{ margin: 2px 0 4px 0; padding-left: 16px; }}
.leaflet-control-layers-expanded {{ font: 12px/1.35 {_FONTS}; }}
.ic-label {{ background: none; border: none; }}
.ic-label span {{ position: absolute; left: 0; top: 0; white-space: nowrap;
  font: 600 12px/1.2 {_FONTS}; color: #10202e; padding: 0 1px;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 1px 1px 0 #fff, -1px -1px 0 #fff; }}
.ic-label-hidden {{ visibility: hidden; }}
.ic-search {{ position: absolute; top: 10px; left: 56px; z-index: 1001; width: 250px;
  font: 13px/1.35 {_FONTS}; }}
.ic-search input {{ width: 100%; box-sizing: border-box; padding: 6px 8px; font: inherit;
  border: 1px solid #8a8a8a; border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,0.3); }}
.ic-search ul {{ list-style: none; margin: 2px 0 0 0; padding: 0; background: #fff;
  border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,0.35); max-height: 50vh; overflow: auto; }}
.ic-search li {{ padding: 5px 8px; cursor: pointer; border-bottom: 1px solid #eee; }}
.ic-search li:hover {{ background: #e6f0fa; }}
.ic-search li small {{ color: #555; }}
.ic-search li.ic-none {{ cursor: default; color: #555; }}
.ic-footer {{ position: absolute; left: 0; right: 0; bottom: 0; z-index: 1001;
  background: rgba(255,255,255,0.96); padding: 4px 12px; box-shadow: 0 -1px 4px rgba(0,0,0,0.25);
  font: 12px/1.4 {_FONTS}; color: #1d1d1d; }}
.ic-footer a {{ color: #b00000; font-weight: 700; }}
.ic-bar {{ display: none; }}
@media (max-width: 640px) {{
  .ic-title {{ top: 0; left: 0; right: 0; transform: none; border-radius: 0; padding: 3px 8px;
    white-space: normal; font-size: 14px; }}
  .ic-title small {{ font-size: 11px; }}
  .ic-bar {{ display: flex; position: absolute; left: 0; right: 0; bottom: 0; z-index: 1002;
    gap: 4px; padding: 4px; background: #fff; box-shadow: 0 -1px 4px rgba(0,0,0,0.3); }}
  .ic-bar button {{ flex: 1; min-height: 40px; padding: 4px 2px; font: 600 13px/1.2 {_FONTS};
    color: #13222f; background: #f4f4f4; border: 1px solid #9a9a9a; border-radius: 5px; }}
  .ic-bar button[aria-expanded="true"] {{ background: #13222f; color: #fff; }}
  .ic-legend, .leaflet-control-layers, .ic-search, .ic-footer {{ display: none; }}
  body.ic-open-legend .ic-legend {{ display: block; left: 0; right: 0; bottom: var(--ic-bottom);
    max-width: none; max-height: 60vh; border-radius: 0; }}
  body.ic-open-layers .leaflet-control-layers {{ display: block; max-height: 60vh; overflow: auto; }}
  body.ic-open-search .ic-search {{ display: block; top: var(--ic-top); left: 0; right: 0;
    width: auto; padding: 6px; background: #fff; }}
  body.ic-open-outage .ic-footer {{ display: block; bottom: var(--ic-bottom); padding: 8px 12px;
    font-size: 13px; }}
  .ic-label span {{ font-size: 11px; }}
}}
"""


# --------------------------------------------------------------------------- offline page
class _RawPopup(MacroElement):
    """A popup with HTML content bound to its parent marker (folium's Popup needs jQuery)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindPopup({{ this.content|tojson }}, {maxWidth: 340});"
        "{% endmacro %}")

    def __init__(self, content: str) -> None:
        super().__init__()
        self._name = "RawPopup"
        self.content = content


class _IslandIds(MacroElement):
    """Give each GeoJSON feature's SVG path a ``data-island`` attribute with its id, and keep
    each island's layer in ``map.icIslands`` (id → layer) for the search box."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.on('layeradd', function (e) {"
        " var layer = e.layer;"
        " if (layer.feature && layer.feature.id !== undefined && layer.getElement) {"
        " var el = layer.getElement(); if (el) { el.setAttribute('data-island', layer.feature.id); }"
        " if (/(^| )ic-island( |$)/.test(layer.options.className || '')) {"
        " ({{ this._parent.get_name() }}.icIslands = {{ this._parent.get_name() }}.icIslands || {})"
        "[layer.feature.id] = layer; } } });"
        "{% endmacro %}")

    def __init__(self) -> None:
        super().__init__()
        self._name = "IslandIds"


class _ChartUi(MacroElement):
    """The page's script: island names decluttered by zoom, the search box, the phone panels.

    Added after the layer control (it adds the names layer to it). ``data`` is
    :func:`_search_data`; ``text`` the few strings the script shows.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(" + "{{ this.js }}" + ")({{ this._parent.get_name() }}, {{ this.control.get_name() }}, "
        "{{ this.data|tojson }}, {{ this.text|tojson }});"
        "{% endmacro %}")

    def __init__(self, control: folium.LayerControl, data: list[list[Any]], text: Mapping[str, str]) -> None:
        super().__init__()
        self._name = "ChartUi"
        self.control = control
        self.data = data
        self.text = dict(text)
        self.js = _UI_JS


def _search_data(arch: Archipelago, lang: str) -> list[list[Any]]:
    """One row per named island for the names layer and the search box: ``[id, name_zh,
    name_en, aliases, lat, lon, label, rank, district]``. ``label`` is the name shown on the map
    in ``lang`` (empty for unpowered islands: only powered ones are labelled); ``rank`` orders the
    labels and the search results: powered islands first, by people then area, then the rest
    by area."""
    isl = arch.islands
    people = pd.to_numeric(isl["population"], errors="coerce").fillna(-1)
    area = pd.to_numeric(isl["area_km2"], errors="coerce").fillna(0)
    order = pd.DataFrame({"p": isl["powered"].astype(bool), "people": people, "area": area})
    order = order.sort_values(["p", "people", "area"], ascending=False, kind="stable")
    rows = []
    for rank, iid in enumerate(order.index):
        r = isl.loc[iid]
        zh = r["name_zh"] if isinstance(r["name_zh"], str) else ""
        en = r["name_en"] if isinstance(r["name_en"], str) else ""
        if not (zh or en):
            continue
        aliases = [a.strip() for a in str(r["aliases"]).split(";") if a.strip()] if isinstance(r["aliases"], str) else []
        label = (zh or en) if lang == "zh" else (en or zh)
        district = r["district"] if lang == "zh" else DISTRICT_EN.get(r["district"], r["district"])
        rows.append([str(iid), zh, en, aliases, round(float(r["rep_lat"]), 5), round(float(r["rep_lon"]), 5),
                     label if bool(r["powered"]) else "", rank, str(district)])
    return rows


def _search_html(text: Mapping[str, str]) -> str:
    esc = html.escape
    return (f'<div class="ic-search" id="ic-search" role="search">'
            f'<input id="ic-search-input" type="search" autocomplete="off" spellcheck="false" '
            f'placeholder="{esc(text["search"])}" aria-label="{esc(text["search"])}">'
            '<ul id="ic-search-results" role="listbox"></ul></div>')


def _bar_html(text: Mapping[str, str]) -> str:
    """The phone's button bar: each button opens one panel (and closes the others)."""
    esc = html.escape
    buttons = "".join(f'<button type="button" data-panel="{p}" aria-expanded="false">{esc(text[k])}</button>'
                      for p, k in (("layers", "layers_button"), ("legend", "legend_button"),
                                   ("search", "search_button"), ("outage", "outage_button")))
    return f'<nav class="ic-bar" id="ic-bar">{buttons}</nav>'


#: The page's own script (ES5, no library but Leaflet): see :class:`_ChartUi`.
_UI_JS = r"""function (map, control, rows, T) {
  var PANELS = ['layers', 'legend', 'search', 'outage'];
  function norm(s) {  // case-, space-, tone-insensitive; ü = u = v
    return String(s || '').normalize('NFD').replace(/[̀-ͯ]/g, '').toLowerCase()
      .replace(/v/g, 'u').replace(/[\s\-_'’·・.,()（）]/g, '');
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]; });
  }
  var islands = rows.map(function (r) {
    var d = {id: r[0], zh: r[1], en: r[2], lat: r[4], lon: r[5], label: r[6], rank: r[7], district: r[8]};
    d.keys = [r[1], r[2]].concat(r[3]).filter(Boolean).map(norm).concat([norm(r[0])]);
    return d;
  }).sort(function (a, b) { return a.rank - b.rank; });

  // ---- island names: largest first, a name that would overlap one already placed is hidden
  map.createPane('ic-labels');
  var pane = map.getPane('ic-labels');
  pane.style.zIndex = 460; pane.style.pointerEvents = 'none';
  var labels = L.layerGroup(), order = [];
  islands.forEach(function (d) {
    if (!d.label) { return; }
    var m = L.marker([d.lat, d.lon], {pane: 'ic-labels', interactive: false, keyboard: false,
      icon: L.divIcon({className: 'ic-label ic-label-hidden', iconSize: null,  // shown once placed
                       html: '<span data-island="' + esc(d.id) + '">' + esc(d.label) + '</span>'})});
    order.push(m); labels.addLayer(m);
  });
  // beacons and the page's panels are in the way too; each name tries the island's centre,
  // then below, above, right and left of it, then a little further out (clear of a beacon)
  var OBSTACLES = '.ic-beacon, .ic-title, .ic-legend, .ic-search, .ic-footer, .ic-bar, ' +
                  '.leaflet-control-layers, .leaflet-control-zoom';
  var SPOTS = [[-0.5, -0.5, 0, 0], [-0.5, 0, 0, 7], [-0.5, -1, 0, -7], [0, -0.5, 9, 0], [-1, -0.5, -9, 0],
               [-0.5, 0, 0, 17], [-0.5, -1, 0, -17], [0, -0.5, 18, 0], [-1, -0.5, -18, 0]];
  function overlaps(r, p) {
    return !(r.right + 3 <= p.left || r.left >= p.right + 3 || r.bottom + 1 <= p.top || r.top >= p.bottom + 1);
  }
  function declutter() {
    if (!map.hasLayer(labels)) { return; }
    var placed = [];
    Array.prototype.forEach.call(document.querySelectorAll(OBSTACLES), function (el) {
      var r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden') { placed.push(r); }
    });
    order.forEach(function (m) {
      var el = m.getElement(), span = el && el.firstChild;
      if (!span) { return; }
      var at = el.getBoundingClientRect(), w = span.offsetWidth, h = span.offsetHeight, spot = null;
      for (var i = 0; i < SPOTS.length && w > 0 && !spot; i++) {
        var x = SPOTS[i][0] * w + SPOTS[i][2], y = SPOTS[i][1] * h + SPOTS[i][3];
        var r = {left: at.left + x, top: at.top + y, right: at.left + x + w, bottom: at.top + y + h};
        var inside = r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight;
        if (inside && !placed.some(function (p) { return overlaps(r, p); })) { spot = [x, y, r]; }
      }
      el.classList.toggle('ic-label-hidden', !spot);
      if (spot) {
        span.style.left = spot[0] + 'px'; span.style.top = spot[1] + 'px'; placed.push(spot[2]);
      }
    });
    // how many times the names were placed: a hook for tests and screenshots to wait on
    document.documentElement.dataset.icLabelsPlaced = String(++placements);
  }
  var placements = 0;
  var timer = null;
  function schedule() {  // after the view settles: never measure in the middle of a zoom animation
    clearTimeout(timer);
    timer = setTimeout(function () { if (map._animatingZoom) { schedule(); } else { declutter(); } }, 40);
  }
  labels.addTo(map);
  control.addOverlay(labels, T.labels);
  map.on('moveend zoomend resize overlayadd', schedule);
  schedule();

  // ---- panels: on a phone each sits behind a button of the bar; one open at a time
  var body = document.body, bar = document.getElementById('ic-bar');
  function openPanel(name) {
    PANELS.forEach(function (p) { body.classList.toggle('ic-open-' + p, p === name); });
    Array.prototype.forEach.call(bar.querySelectorAll('button'), function (b) {
      b.setAttribute('aria-expanded', String(b.getAttribute('data-panel') === name)); });
    layout();
  }
  Array.prototype.forEach.call(bar.querySelectorAll('button'), function (b) {
    b.addEventListener('click', function () {
      var name = b.getAttribute('data-panel');
      openPanel(body.classList.contains('ic-open-' + name) ? null : name);
      if (name === 'search' && body.classList.contains('ic-open-search')) { input.focus(); }
    });
  });
  function layout() {
    var phone = window.matchMedia('(max-width: 640px)').matches;
    var title = document.getElementById('ic-title'), footer = document.getElementById('ic-footer');
    var top = phone && title ? Math.ceil(title.getBoundingClientRect().bottom) : 0;
    var bottom = phone ? bar.offsetHeight : (footer ? footer.offsetHeight : 0);
    document.documentElement.style.setProperty('--ic-top', top + 'px');
    document.documentElement.style.setProperty('--ic-bottom', bottom + 'px');
    schedule();
  }
  window.addEventListener('resize', layout);

  // ---- search: Chinese name, pinyin or English, any case, spaces or tone marks
  var box = document.getElementById('ic-search'), input = document.getElementById('ic-search-input'),
      list = document.getElementById('ic-search-results'), found = [];
  L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
  function score(d, q) {
    var best = 9;
    d.keys.forEach(function (k) {
      var at = k.indexOf(q), s = k === q ? 0 : at === 0 ? 1 : at > 0 ? 2 : 9;
      if (s < best) { best = s; }
    });
    return best;
  }
  function find(text) {
    var q = norm(text);
    if (!q) { return []; }
    return islands.map(function (d) { return [score(d, q), d]; })
      .filter(function (x) { return x[0] < 9; })
      .sort(function (a, b) { return a[0] - b[0] || a[1].rank - b[1].rank; })
      .slice(0, 8).map(function (x) { return x[1]; });
  }
  function show(d) {
    var layer = map.icIslands && map.icIslands[d.id];
    list.innerHTML = ''; input.value = d.zh || d.en;
    if (window.matchMedia('(max-width: 640px)').matches) { openPanel(null); }
    if (!layer) { map.setView([d.lat, d.lon], 12); return; }
    Object.keys(layer._eventParents || {}).forEach(function (k) {  // its district may be switched off
      var gj = layer._eventParents[k];
      Object.keys(gj._eventParents || {}).forEach(function (j) {
        if (!map.hasLayer(gj._eventParents[j])) { map.addLayer(gj._eventParents[j]); } });
    });
    map.fitBounds(layer.getBounds(), {maxZoom: 12, padding: [40, 40], animate: false});
    layer.fire('click', {latlng: L.latLng(d.lat, d.lon)}, true);
  }
  function render() {
    found = find(input.value);
    if (!input.value.trim()) { list.innerHTML = ''; return; }
    list.innerHTML = found.length ? found.map(function (d, i) {
      var other = [d.zh ? d.en : '', d.district].filter(Boolean).join(' · ');
      return '<li role="option" data-i="' + i + '">' + esc(d.zh || d.en) + ' <small>' + esc(other) + '</small></li>';
    }).join('') : '<li class="ic-none">' + esc(T.no_match) + '</li>';
  }
  input.addEventListener('input', render);
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { render(); if (found.length) { show(found[0]); } e.preventDefault(); }
    if (e.key === 'Escape') { input.value = ''; render(); }
  });
  list.addEventListener('click', function (e) {
    var li = e.target.closest('li[data-i]');
    if (li) { show(found[Number(li.getAttribute('data-i'))]); }
  });
  layout();
  window.addEventListener('load', layout);  // again once fonts and sizes are final
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(layout); }
}"""


def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS from the vendored files, the CSS images as ``data:`` URIs."""
    folder = resources.files("islandcover") / "web" / "leaflet"
    js = (folder / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", js)
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        png = (folder / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(png).decode('ascii')})"

    css = re.sub(r"url\(images/([\w\-]+\.png)\)", data_uri, css)
    return js, css


def _make_offline(m: folium.Map, title: str, lang: str) -> None:
    """Drop Folium's CDN links and inline Leaflet and the chart's CSS into the page header."""
    m.default_js = []
    m.default_css = []
    js, css = _leaflet_assets()
    root = m.get_root()
    root.title = html.escape(title)
    header = root.header
    header.add_child(RawHtml(f"<!-- Leaflet {LEAFLET_VERSION} (BSD-2-Clause, (c) 2010-2023 Vladimir "
                          "Agafonkin, (c) 2010-2011 CloudMade), inlined from "
                          "islandcover/web/leaflet -->"), name="ic_leaflet_notice")
    header.add_child(RawHtml(f"<style>{css}</style>"), name="ic_leaflet_css")
    header.add_child(RawHtml(f"<script>{js}</script>"), name="ic_leaflet_js")
    header.add_child(RawHtml(f"<style>{_PAGE_CSS}</style>"), name="ic_page_css")
    header.add_child(RawHtml(f'<meta name="language" content="{"zh-CN" if lang == "zh" else "en"}">'),
                     name="ic_lang")
