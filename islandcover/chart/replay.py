"""The replay chart: the beacon chart with a time slider over a typhoon replay (issues 8, 18).

:func:`replay_chart` draws the beacon chart (:func:`islandcover.chart.beacon.beacon_chart`: the
islands, the light stations, bridges, ferry routes, legend) and adds a time dimension from a
:class:`~islandcover.typhoon.replay.Replay`: for every step the powered islands cut off (thick
red outline, red wash), the suspended ferry sailings and closed bridges, the storm centre with
its track so far, and the modelled areas of force-7 and force-10 winds. A slider, step buttons
and a play button move through the steps; the time is shown in Beijing time (北京时间, UTC+8,
with the zone named), with a panel that counts what is cut off and closed.

The islands are coloured by the hour shown, not by calm weather: each powered island's fill is
its response-time class at that step (the fastest available team, with its own boat, in that
step's wind and the lead-time rule's suspensions: :meth:`Router.travel_times`), so an island no
team can reach is grey ("unreachable"), and a cut-off island that still has a team of its own
(岛自为战) keeps that team's class under its red outline. The legend's counts per class, the
popups' response time and the panel follow the slider. "Cut off" is the replay's own answer
(no team from another island reaches it), so the islands drawn cut off at a step are exactly the
panel's count; every unreachable island is among them. The travel times are computed once per
distinct set of open links (the replay's signatures) and kept on the replay.

The storm is named in the chart's language (:func:`storm_label`): 梅花 in Chinese, Muifa in
English (:data:`islandcover.typhoon.tracks.STORM_ALIASES`); a storm with no Chinese name keeps
its English one.

The time control is Leaflet.TimeDimension (the library behind Folium's ``TimestampedGeoJson``),
vendored from the npm registry in ``islandcover/web/leaflet-timedimension`` (MIT) with its
dependency ``islandcover/web/iso8601-js-period`` (Apache-2.0) and inlined into the page like
Leaflet: the page loads nothing from the network. Folium's own plugin is not used because its
template needs jQuery, jQuery UI and moment.js from CDNs and cannot show a feature at exactly
the steps it lists; the chart uses the library's ``L.TimeDimension.Layer.GeoJson`` directly,
with a subclass that shows a feature only at the times in its ``times`` property.

Each feature is written once with the list of steps it is shown at, so the page stays small:
the full 256-step 梅花 (Muifa) 2022 replay is about 1.6 MB (the plain chart 0.9 MB; most of
the rest is the wind areas, one outline of 36 points per step and force); the islands' classes
per step add a few kB (one row per distinct set of open links, not per step).

Stable hooks for tests and styling (besides the beacon chart's): a powered island's own path
(``ic-island ic-powered``) carries ``ic-eta-<k>``, its class at the step shown, and also
``ic-island-cut`` while it is cut off; cut-off outlines carry ``ic-cutoff ic-replay-cutoff``
and ``data-island``; suspended sailings ``ic-route-suspended``;
closed bridges ``ic-bridge-closed``; wind areas ``ic-wind-area ic-r7`` / ``ic-r10``; the track so
far ``ic-track``, the whole track ``ic-track-full``; the centre marker ``ic-storm-centre``. The
panel ``#ic-replay`` has ``data-step`` (index), ``data-time`` (ISO 8601, +08:00, the step's
``time``) and ``data-cut-off``
(count) of the step shown, and ``data-unreachable`` (how many of those no team at all reaches); ``window.icReplay`` holds the map, the ``timeDimension`` and the
steps. The data are in ``<script type="application/json" id="ic-replay-data">``.

Example::

    router = Router(arch, load_network(arch))
    rp = replay(router, resolve_track("梅花"), "1h")
    write_beacon_chart(replay_chart(router, rp, lang="en"), "muifa.html")
"""
from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from types import MappingProxyType
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from islandcover.chart.beacon import ETA_COLOURS, beacon_chart, eta_class
from islandcover.chart.layers import (
    CUTOFF_COLOUR,
    RawHtml,
    bridge_lines,
    check_lang,
    island_name,
    web_geometry,
)
from islandcover.clock import ZONE_LABEL, beijing_text, to_beijing
from islandcover.errors import IslandcoverError
from islandcover.facts import FERRY_MODE, MAX_WIND_FORCE
from islandcover.planning.coverage import CoverageModel
from islandcover.planning.scenario import Scenario
from islandcover.travel.links import sailing_features
from islandcover.travel.routing import Router
from islandcover.travel.weather import Weather
from islandcover.typhoon.replay import Replay
from islandcover.typhoon.tracks import STORM_ALIASES
from islandcover.typhoon.wind_field import BEAUFORT_LOWER_MS

__all__ = ["ISO8601_JS_VERSION", "TIMEDIMENSION_VERSION", "replay_chart", "storm_label"]

#: Version of the Leaflet.TimeDimension files in ``islandcover/web/leaflet-timedimension``.
TIMEDIMENSION_VERSION = "1.1.1"

#: Version of ``islandcover/web/iso8601-js-period`` (needed by Leaflet.TimeDimension).
ISO8601_JS_VERSION = "0.2.1"

#: Azimuths (every 10°) and radii (km) at which the wind areas are traced.
_AZIMUTHS = 36
_RADII_KM = np.concatenate([np.arange(1.0, 100.0, 1.0), np.arange(100.0, 1200.0, 4.0)])
_EARTH_KM = 6371.0088
#: Decimals of the storm's coordinates (about 100 m).
_STORM_DECIMALS = 3

#: Outline colours of the modelled wind areas, by Beaufort force.
_AREA_COLOUR = MappingProxyType({7: "#e08214", 10: "#b2182b"})
_SUSPENDED_COLOUR = "#d7301f"
_TRACK_COLOUR = "#7a0177"

_TEXT: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "zh": MappingProxyType({
        "weather": "台风 {storm} 逐时回放",
        "panel_title": "台风 {storm} 回放（每 {step} 小时）",
        "beijing": ZONE_LABEL["zh"],
        "centre": "中心 {lon:.2f}°E {lat:.2f}°N · 最大风速 {v} m/s",
        "strongest": "有电岛屿最大风力 {b} 级",
        "cut": "风暴孤岛 {n}/{total} 座",
        "cut_split": "（其中无法到达 {u} 座，岛自为战 {s} 座）",
        "sailings": "停航 {n}/{total} 班",
        "bridges": "桥梁封闭 {n}/{total} 座",
        "legend_cut": "风暴孤岛（此刻）：{n} 座",
        "key_cut": "风暴孤岛",
        "key_sailing": "停航航班",
        "key_bridge": "封闭桥梁",
        "key_r7": "7 级风圈（模型）",
        "key_r10": "10 级风圈（模型）",
        "key_track": "台风路径与中心",
        "layer_areas": "风圈（模型，逐时）",
        "layer_state": "风暴孤岛与停航（逐时）",
        "layer_track": "台风路径",
        "island_tip": "{name}：风暴孤岛 · 共 {h} 小时，最长连续 {l} 小时（北京时间 {start} 至 {end}）· 最大风力 {p} 级",
        "sailing_tip": "{name}：停航 · 共 {h} 小时",
        "bridge_tip": "{name}：封闭 · 共 {h} 小时",
        "area_tip": "北京时间 {time}：{k} 级风圈（Holland 模型）",
        "hint": "拖动滑块或按 ▶ 逐时查看；岛屿颜色为该时刻的最快到达时间",
        "minutes": "{m} 分钟",
        "unreachable": "无法到达（没有队伍能到）",
        "self_reliant": "岛自为战（本岛有队伍）",
        "at": "（北京时间 {time}）",
    }),
    "en": MappingProxyType({
        "weather": "typhoon {storm} replay, hour by hour",
        "panel_title": "Typhoon {storm} replay (every {step} h)",
        "beijing": ZONE_LABEL["en"],
        "centre": "centre {lon:.2f}E {lat:.2f}N · max wind {v} m/s",
        "strongest": "strongest at a powered island: force {b}",
        "cut": "cut off: {n}/{total} islands",
        "cut_split": " ({u} unreachable, {s} on their own)",
        "sailings": "sailings suspended: {n}/{total}",
        "bridges": "bridges closed: {n}/{total}",
        "legend_cut": "Cut off now: {n} islands",
        "key_cut": "cut-off island",
        "key_sailing": "suspended sailing",
        "key_bridge": "closed bridge",
        "key_r7": "force-7 winds (model)",
        "key_r10": "force-10 winds (model)",
        "key_track": "storm track and centre",
        "layer_areas": "Wind areas (model, by step)",
        "layer_state": "Cut-off islands and closures (by step)",
        "layer_track": "Storm track",
        "island_tip": "{name}: cut off for {h} h in all, longest {l} h ({start} to {end} BJT); peak force {p}",
        "sailing_tip": "{name}: suspended for {h} h",
        "bridge_tip": "{name}: closed for {h} h",
        "area_tip": "{time} BJT: force-{k} winds (Holland model)",
        "hint": "drag the slider or press ▶ to step through; islands are coloured by the fastest arrival at that time",
        "minutes": "{m} min",
        "unreachable": "unreachable (no team can reach it)",
        "self_reliant": "on its own (岛自为战: a team of its own)",
        "at": " ({time} BJT)",
    }),
})

#: The typhoon symbol of the storm centre (inline SVG: no icon font, no network).
_STORM_SVG = (
    '<svg width="30" height="30" viewBox="-15 -15 30 30" aria-hidden="true">'
    '<g fill="none" stroke="#7a0177" stroke-width="2.6" stroke-linecap="round">'
    '<path d="M0 -5 C 6 -12, 12 -10, 13 -6"/><path d="M0 5 C -6 12, -12 10, -13 6"/></g>'
    '<circle r="5" fill="#ffffff" stroke="#7a0177" stroke-width="2.6"/>'
    '<circle r="1.6" fill="#7a0177"/></svg>'
)


# --------------------------------------------------------------------------- public functions
def storm_label(name: str, lang: str) -> str:
    """The storm's name in the chart's language.

    Chinese: the Chinese name of a storm :data:`~islandcover.typhoon.tracks.STORM_ALIASES` knows
    (``"MUIFA"`` → ``"梅花"``, ``"IN-FA"`` → ``"烟花"``), else the English name. English: the
    name as written in English (``"MUIFA"`` → ``"Muifa"``, ``"IN-FA"`` → ``"In-fa"``, ``"梅花"`` →
    ``"Muifa"``). A name in capitals (as the CMA writes them) is given an initial capital only;
    any other name (an unnamed forecast's file name) is kept as it is.

    Parameters
    ----------
    name : str
        The track's storm name (:attr:`Track.name`, :attr:`Replay.storm`).
    lang : {"zh", "en"}
        The chart's language.

    Raises
    ------
    IslandcoverError
        Unknown ``lang``.
    """
    check_lang(lang)
    text = str(name).strip()
    english = STORM_ALIASES.get(text, text)  # a Chinese name of a shipped storm → its CMA name
    chinese = {_storm_key(en): zh for zh, en in STORM_ALIASES.items()}.get(_storm_key(english))
    if lang == "zh" and chinese:
        return chinese
    return english.capitalize() if english.isupper() else english


def _storm_key(name: str) -> str:
    """``"IN-FA"``, ``"In-fa"``, ``"infa 2021"`` → ``"INFA"``: letters only, in capitals."""
    return re.sub(r"[^A-Z]", "", name.upper())


def replay_chart(router: Router, replay: Replay, *, lang: str = "zh", start: str | None = None) -> folium.Map:
    """The beacon chart with a time slider over a typhoon replay.

    Parameters
    ----------
    router : Router
        The router the replay was run with (islands, network, teams).
    replay : Replay
        From :func:`islandcover.typhoon.replay.replay`; one slider position per step.
    lang : {"zh", "en"}
        Language of the labels.
    start : str, optional
        ISO 8601 time of the step shown first, with any offset (``"2022-09-14T19:00+08:00"`` or
        ``"2022-09-14T11:00Z"``; a time without one is refused). Default: the
        first step with the most islands cut off (or with the strongest wind at an island when
        none is cut off).

    Returns
    -------
    folium.Map
        Save it with :func:`islandcover.chart.beacon.write_beacon_chart`; it loads nothing from the
        network.

    Raises
    ------
    IslandcoverError
        Unknown ``lang``, a replay with no steps or of another archipelago, or a ``start``
        that is not a step of the replay.
    """
    check_lang(lang)
    steps = replay.steps
    if not steps:
        msg = f"the replay of {replay.storm} has no steps: replay a track with at least one point"
        raise IslandcoverError(msg)
    arch = router.arch
    unknown = sorted({i for s in steps for i in s.cut_off} - set(arch.islands.index))
    if unknown:
        msg = (f"the replay names island {unknown[0]!r}, which is not in the router's archipelago: "
               "draw a replay with the router it was run with")
        raise IslandcoverError(msg)
    text = _TEXT[lang]
    storm = storm_label(replay.storm, lang)
    times_ms = [_ms(s.time) for s in steps]
    first = _start_index(replay, start)

    # --- the base: the calm beacon chart (ETAs, zones, beacons, bridges, ferry routes, legend)
    calm = Weather.uniform(0)
    zones = CoverageModel(router).zones(Scenario())
    base_routes = sailing_features(router, calm)
    m = beacon_chart(arch, zones.best_eta_min, zones=zones.station.dropna(), routes=base_routes,
                     weather_label=text["weather"].format(storm=storm), lang=lang)
    root = m.get_root()
    root.title = html.escape(f'{text["panel_title"].format(storm=storm, step=f"{replay.step_h:g}")} · '
                             f"{html.unescape(root.title or '')}")
    folium.map.CustomPane("ic-storm", z_index=390, pointer_events=False).add_to(m)

    # --- the time dimension
    summary = {s.id: s for s in replay.islands}
    state = _cut_off_features(router, replay, summary, times_ms, text, lang)
    suspended, closed, n_sailings, n_bridges = _closure_features(router, replay, base_routes, times_ms, text, lang)
    state += suspended + closed
    areas = _wind_area_features(replay, times_ms, text)
    track: dict[str, Any] = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [_lonlat(s.center) for s in steps]},
        "properties": {"times": times_ms, "kind": "track"}}
    full = folium.PolyLine([(lat, lon) for lon, lat in track["geometry"]["coordinates"]], color=_TRACK_COLOUR,
                           weight=1.5, opacity=0.55, dash_array="2 5")
    full.options.update({"className": "ic-track-full", "pane": "ic-storm", "interactive": False})
    full.add_to(m)

    n_powered = int(arch.islands.powered.astype(bool).sum())
    hourly, of_step = _hourly_classes(router, replay)
    pos = {iid: k for k, iid in enumerate(hourly["ids"])}
    unreachable = [sum(1 for iid in s.cut_off if iid in pos and hourly["cls"][e][pos[iid]] == str(_UNREACHABLE))
                   for s, e in zip(steps, of_step)]
    step_info = [{"t": t, "c": _lonlat(s.center), "v": round(s.vmax_ms), "b": max(s.wind_bft.values(), default=0),
                  "n": len(s.cut_off), "u": u, "s": int(suspended_n), "k": int(closed_n), "e": e}
                 for t, s, u, e, suspended_n, closed_n in zip(times_ms, steps, unreachable, of_step,
                                                              _counts(suspended, times_ms),
                                                              _counts(closed, times_ms))]
    data = {"lang": lang, "storm": storm, "step_h": replay.step_h, "start": first,
            "times": times_ms, "steps": step_info, "powered": n_powered, "sailings": n_sailings,
            "bridges": n_bridges, "islands": hourly,
            "text": {k: text[k] for k in ("beijing", "centre", "strongest", "cut", "cut_split", "sailings",
                                          "bridges", "legend_cut", "minutes", "unreachable", "self_reliant")},
            "layers": {"areas": text["layer_areas"], "state": text["layer_state"], "track": text["layer_track"]},
            "state": {"type": "FeatureCollection", "features": state},
            "areas": {"type": "FeatureCollection", "features": areas},
            "track": {"type": "FeatureCollection", "features": [track]}}
    _add_assets(m)
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    root.html.add_child(RawHtml(f'<script type="application/json" id="ic-replay-data">{payload}</script>'),
                        name="ic_replay_data")
    root.html.add_child(RawHtml(_panel_html(storm, replay.step_h, text, steps[first].time)),
                        name="ic_replay_panel")
    control = next((c for c in m._children.values() if isinstance(c, folium.LayerControl)), None)
    m.add_child(_ReplayTime(control))
    return m


# --------------------------------------------------------------------------- steps and times
def _ms(iso: str) -> int:
    """Milliseconds since the epoch of an ISO 8601 time with its offset (ValueError without one)."""
    return int(pd.Timestamp(to_beijing(iso)).value // 1_000_000)


def _lonlat(center: Sequence[float]) -> list[float]:
    return [round(float(center[0]), _STORM_DECIMALS), round(float(center[1]), _STORM_DECIMALS)]


def _start_index(replay: Replay, start: str | None) -> int:
    steps = replay.steps
    if start is None:
        most = max(len(s.cut_off) for s in steps)
        if most:
            return next(i for i, s in enumerate(steps) if len(s.cut_off) == most)
        winds = [max(s.wind_bft.values(), default=0) for s in steps]
        return int(np.argmax(winds))
    try:
        wanted = _ms(start)
    except (ValueError, TypeError):
        msg = (f"start {start!r} is not an ISO 8601 time with its offset: write e.g. {steps[0].time} "
               "(Beijing time) or …Z (UTC)")
        raise IslandcoverError(msg) from None
    for i, s in enumerate(steps):
        if _ms(s.time) == wanted:
            return i
    msg = (f"start {start!r} is not a step of the replay: steps run from {steps[0].time} to {steps[-1].time} "
           f"every {replay.step_h:g} h")
    raise IslandcoverError(msg)


def _hours(n_steps: int, step_h: float) -> str:
    return f"{n_steps * step_h:g}"


def _short(iso: str | None) -> str:
    """An ISO time in Beijing time, the zone left to the label: ``2022-09-14T07:00:00Z`` → ``09-14 15:00``."""
    return "" if not iso else beijing_text(iso, zone=False)


def _counts(features: list[dict[str, Any]], times_ms: list[int]) -> list[int]:
    """How many of ``features`` are shown at each time."""
    at = {t: 0 for t in times_ms}
    for f in features:
        for t in f["properties"]["times"]:
            at[t] += 1
    return [at[t] for t in times_ms]


# --------------------------------------------------------------------------- islands by the hour
#: The class of an island no team can reach (the last of :data:`ETA_COLOURS`).
_UNREACHABLE = len(ETA_COLOURS) - 1
#: Key of the chart's travel times among a replay's cached ones (the shipped roster at its stations).
_ROSTER = "replay chart: loaded roster"


def _hourly_classes(router: Router, replay: Replay) -> tuple[dict[str, Any], list[int]]:
    """Each powered island's fastest response at each step, once per distinct set of open links.

    The fastest available team (:meth:`Router.fastest_times`, each team with its own boat) in
    the step's weather, suspensions included; a replay with no weathers kept is drawn with the
    calm answer at every step (only the cut-off islands then change).

    Returns
    -------
    (dict, list of int)
        ``{"ids": [...], "eta": [[minutes or None, ...], ...], "cls": ["0123…", ...]}``: the
        powered island ids, and per distinct state their minutes (rounded) and their classes
        (:func:`~islandcover.chart.beacon.eta_class`, one digit per island, 6 unreachable); and
        for each step, the index of its state.
    """
    steps = replay.steps
    weathers = replay._weathers if len(replay._weathers) == len(steps) else []
    sigs = replay._signatures if weathers and len(replay._signatures) == len(steps) else []
    if not weathers:
        keys: list[str] = ["calm"] * len(steps)
    else:
        keys = list(sigs) if sigs else [str(i) for i in range(len(steps))]
    ids = [str(i) for i in router.arch.islands.index[router.arch.islands.powered.astype(bool)]]
    index: dict[str, int] = {}
    eta_rows: list[list[int | None]] = []
    cls_rows: list[str] = []
    of_step = []
    for i, key in enumerate(keys):
        if key not in index:
            cache_key = (key, _ROSTER)
            if cache_key not in replay._etas:
                weather = weathers[i] if weathers else Weather.uniform(0)
                replay._etas[cache_key] = router.fastest_times(weather).to_frame().T  # type: ignore[arg-type]
            best = replay._etas[cache_key].min(axis=0, skipna=True).reindex(ids)
            minutes = [None if not np.isfinite(v) else round(float(v)) for v in best.to_numpy(dtype=float)]
            eta_rows.append(minutes)
            cls_rows.append("".join(str(eta_class(v)) for v in best.to_numpy(dtype=float)))
            index[key] = len(eta_rows) - 1
        of_step.append(index[key])
    return {"ids": ids, "eta": eta_rows, "cls": cls_rows, "colours": list(ETA_COLOURS)}, of_step


# --------------------------------------------------------------------------- features
def _cut_off_features(router: Router, replay: Replay, summary: Mapping[str, Any], times_ms: list[int],
                      text: Mapping[str, str], lang: str) -> list[dict[str, Any]]:
    """One feature per island ever cut off, shown at the steps it is cut off."""
    arch = router.arch
    when: dict[str, list[int]] = {}
    for t, s in zip(times_ms, replay.steps):
        for iid in s.cut_off:
            when.setdefault(iid, []).append(t)
    if not when:
        return []
    ids = sorted(when)
    geoms = web_geometry(arch.islands.geometry.loc[ids])
    out = []
    for iid in ids:
        name = island_name(arch.islands.loc[iid], iid, lang)
        done = summary.get(iid)
        if done is not None:
            tip = text["island_tip"].format(name=name, h=f"{done.hours_cut_off:g}", l=f"{done.longest_isolation_h:g}",
                                            start=_short(done.longest_from), end=_short(done.longest_until),
                                            p=done.peak_bft)
        else:
            tip = text["island_tip"].format(name=name, h=_hours(len(when[iid]), replay.step_h), l="?", start="",
                                            end="", p="?")
        out.append({"type": "Feature", "id": iid, "geometry": shapely.geometry.mapping(geoms[iid]),
                    "properties": {"kind": "cut", "times": when[iid], "label": html.escape(tip)}})
    return out


def _closure_features(router: Router, replay: Replay, routes: list[dict[str, Any]], times_ms: list[int],
                      text: Mapping[str, str], lang: str
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int, int]:
    """Suspended sailings and closed bridges, each once with the steps it is shut.

    Uses the router's own closure rule (:meth:`Router.open_edges` for the ferry mode, which
    also holds every bridge's limit) at the replay's weather of each step; a step whose
    strongest wind on any link is at or below every ferry and bridge limit is skipped (all open).

    Returns (sailing features, bridge features, number of sailings, number of bridges).
    """
    net = router.net
    ferry_e = np.flatnonzero(net.edge_mode == "ferry")
    bridge_e = np.flatnonzero(net.edge_mode == "bridge")
    sailing_of = [str(net.edge_name[e]) for e in ferry_e]
    bridge_of = [str(net.edge_name[e]) for e in bridge_e]
    limits = router.limits(FERRY_MODE)
    shut_lim = limits[np.concatenate([ferry_e, bridge_e])]
    floor = int(shut_lim.min()) if len(shut_lim) else MAX_WIND_FORCE
    weathers = replay._weathers if len(replay._weathers) == len(replay.steps) else []
    sailing_times: dict[str, list[int]] = {}
    bridge_times: dict[str, list[int]] = {}
    for i, (t, s) in enumerate(zip(times_ms, replay.steps)):
        if not weathers or s.max_bft <= floor:
            continue
        ok = router.open_edges(FERRY_MODE, weathers[i])  # type: ignore[arg-type]
        for name in sorted({sailing_of[k] for k in np.flatnonzero(~ok[ferry_e])}):
            sailing_times.setdefault(name, []).append(t)
        for name in sorted({bridge_of[k] for k in np.flatnonzero(~ok[bridge_e])}):
            bridge_times.setdefault(name, []).append(t)

    key = "name_zh" if lang == "zh" else "name_en"
    sailings = []
    for f in routes:
        fid = str(f["properties"]["id"])
        if fid in sailing_times:
            label = text["sailing_tip"].format(name=f["properties"][key],
                                               h=_hours(len(sailing_times[fid]), replay.step_h))
            sailings.append({"type": "Feature", "geometry": f["geometry"],
                             "properties": {"kind": "sailing", "id": fid, "times": sailing_times[fid],
                                            "label": html.escape(label)}})
    bridges = []
    for name_zh, name_en, line in bridge_lines(router.arch):
        if name_zh in bridge_times:
            coords = [[round(x, 5), round(y, 5)] for x, y in line.coords]
            label = text["bridge_tip"].format(name=name_zh if lang == "zh" else name_en or name_zh,
                                              h=_hours(len(bridge_times[name_zh]), replay.step_h))
            bridges.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                            "properties": {"kind": "bridge", "id": name_zh, "times": bridge_times[name_zh],
                                           "label": html.escape(label)}})
    return sailings, bridges, len(set(sailing_of)), len(set(bridge_of))


def _wind_area(vortex: Any, speed_ms: float) -> list[list[float]] | None:
    """The outline of the area where the modelled wind reaches ``speed_ms``: the outermost
    radius on each of 36 azimuths (None where it is reached nowhere)."""
    az = np.radians(np.arange(_AZIMUTHS) * 360.0 / _AZIMUTHS)
    east = np.sin(az)[:, None] * _RADII_KM[None, :]
    north = np.cos(az)[:, None] * _RADII_KM[None, :]
    lat = vortex.lat + np.degrees(north / _EARTH_KM)
    lon = vortex.lon + np.degrees(east / (_EARTH_KM * math.cos(math.radians(vortex.lat))))
    above = (vortex.speed_ms(lon.ravel(), lat.ravel()) >= speed_ms).reshape(lon.shape)
    if not above.any():
        return None
    last = np.where(above.any(axis=1), above.shape[1] - 1 - np.argmax(above[:, ::-1], axis=1), -1)
    radius = np.where(last >= 0, _RADII_KM[np.maximum(last, 0)], 0.0)
    plat = vortex.lat + np.degrees(np.cos(az) * radius / _EARTH_KM)
    plon = vortex.lon + np.degrees(np.sin(az) * radius / (_EARTH_KM * math.cos(math.radians(vortex.lat))))
    ring = [[round(float(x), _STORM_DECIMALS), round(float(y), _STORM_DECIMALS)] for x, y in zip(plon, plat)]
    return [*ring, ring[0]]


def _wind_area_features(replay: Replay, times_ms: list[int], text: Mapping[str, str]) -> list[dict[str, Any]]:
    """The modelled force-7 and force-10 areas of each step (none without the replay's weathers)."""
    weathers = replay._weathers if len(replay._weathers) == len(replay.steps) else []
    out = []
    for t, s, w in zip(times_ms, replay.steps, weathers):
        for force in (7, 10):
            ring = _wind_area(w.vortex, BEAUFORT_LOWER_MS[force - 1])
            if ring is None:
                continue
            out.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                        "properties": {"kind": f"r{force}", "times": [t],
                                       "label": html.escape(text["area_tip"].format(time=_short(s.time), k=force))}})
    return out


# --------------------------------------------------------------------------- page
def _panel_html(storm: str, step_h: float, text: Mapping[str, str], first_time: str) -> str:
    esc = html.escape
    title = text["panel_title"].format(storm=storm, step=f"{step_h:g}")
    rows = [
        (f'<span class="ic-sw" style="border:3px solid {CUTOFF_COLOUR};background:rgba(255,26,26,0.35)"></span>',
         "key_cut"),
        (f'<span class="ic-line" style="border-top:3px dotted {_SUSPENDED_COLOUR}"></span>', "key_sailing"),
        (f'<span class="ic-line" style="border-top:4px dotted {_SUSPENDED_COLOUR}"></span>', "key_bridge"),
        (f'<span class="ic-sw" style="border:1.5px dashed {_AREA_COLOUR[7]};background:rgba(224,130,20,0.15)"></span>',
         "key_r7"),
        (f'<span class="ic-sw" style="border:1.5px solid {_AREA_COLOUR[10]};background:rgba(178,24,43,0.18)"></span>',
         "key_r10"),
        (f'<span class="ic-storm-key">{_STORM_SVG}</span>', "key_track"),
    ]
    key = "".join(f'<div class="ic-key">{symbol}{esc(text[k])}</div>' for symbol, k in rows)
    return (f'<div class="ic-replay" id="ic-replay" data-step="" data-time="{esc(first_time)}" data-cut-off="" data-unreachable="">'
            f"<h4>{esc(title)}</h4>"
            '<div class="ic-replay-time" id="ic-replay-time"></div>'
            '<div class="ic-replay-storm" id="ic-replay-storm"></div>'
            '<div class="ic-replay-status" id="ic-replay-status"></div>'
            f'<div class="ic-replay-keys">{key}</div>'
            f'<div class="ic-replay-hint">{esc(text["hint"])}</div></div>')


_REPLAY_CSS = f"""
.ic-replay {{ position: absolute; top: 80px; left: 54px; z-index: 1000; width: 330px;
  background: rgba(255,255,255,0.95); padding: 7px 10px; border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); font: 12px/1.4 sans-serif; color: #1d1d1d; }}
.ic-replay h4 {{ margin: 0 0 3px 0; font-size: 13px; }}
.ic-replay-time {{ font-weight: 600; font-size: 13px; color: #13222f; }}
.ic-replay-status {{ margin-top: 2px; }}
.ic-replay-status b {{ color: {CUTOFF_COLOUR}; }}
.ic-replay-keys {{ margin-top: 5px; border-top: 1px solid #ddd; padding-top: 4px; }}
.ic-replay .ic-key {{ display: flex; align-items: center; gap: 6px; margin: 1px 0; }}
.ic-replay .ic-sw {{ flex: none; width: 18px; height: 11px; box-sizing: border-box; }}
.ic-replay .ic-line {{ flex: none; width: 18px; height: 0; }}
.ic-storm-key {{ flex: none; width: 18px; height: 18px; }}
.ic-storm-key svg {{ width: 18px; height: 18px; }}
.ic-replay-hint {{ margin-top: 3px; font-size: 11px; color: #555; }}
.ic-storm-centre {{ background: none; border: none; }}
.ic-legend {{ bottom: 96px; max-height: calc(100% - 480px); }}
.leaflet-bar-timecontrol {{ font: 12px/26px sans-serif; }}
.leaflet-bar-timecontrol .leaflet-control-timecontrol:before {{ font-family: inherit; }}
.leaflet-bar-timecontrol a.timecontrol-date, .leaflet-bar-timecontrol a.timecontrol-date:hover,
.leaflet-bar-timecontrol a.timecontrol-date.utc, .leaflet-bar-timecontrol a.timecontrol-date.utc:hover {{
  min-width: 0; width: auto; padding: 0 10px; font-weight: 600; color: #13222f; }}
.leaflet-bar-timecontrol .timecontrol-dateslider .slider {{ width: 360px; }}
.timecontrol-play:before {{ content: "\\25B6"; }}
.timecontrol-play.pause:before {{ content: "\\275A\\275A"; }}
.timecontrol-forward:before {{ content: "\\25B6\\2759"; }}
.timecontrol-backward:before {{ content: "\\2759\\25C0"; }}
a.timecontrol-play.loading:before, .timecontrol-date.loading:before {{ content: "\\2026"; animation: none; }}
.timecontrol-speed:before {{ content: ""; }}
.timecontrol-slider .knob.main {{ background-color: {CUTOFF_COLOUR}; border-color: #7a0000; }}
"""


def _timedimension_assets() -> tuple[str, str]:
    """The JS (iso8601-js-period, then Leaflet.TimeDimension) and CSS, from the vendored files.

    The control's CSS loads the Glyphicons font from a CDN in an ``@font-face`` rule: the rule
    is dropped (the buttons get plain Unicode symbols instead, in ``_REPLAY_CSS``).
    """
    web = resources.files("islandcover") / "web"
    iso = (web / "iso8601-js-period" / "iso8601.js").read_text(encoding="utf-8")
    td = (web / "leaflet-timedimension" / "leaflet.timedimension.min.js").read_text(encoding="utf-8")
    css = (web / "leaflet-timedimension" / "leaflet.timedimension.control.css").read_text(encoding="utf-8")
    css = re.sub(r"@font-face\s*\{[^}]*\}", "", css)
    js = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", f"{iso}\n;\n{td}")
    return js, css


def _add_assets(m: folium.Map) -> None:
    js, css = _timedimension_assets()
    header = m.get_root().header
    header.add_child(RawHtml(f"<!-- Leaflet.TimeDimension {TIMEDIMENSION_VERSION} (MIT, (c) 2014 ICTS SOCIB) and "
                          f"iso8601-js-period {ISO8601_JS_VERSION} (Apache-2.0, (c) Nezasa 2012-2013), inlined "
                          "from islandcover/web -->"), name="ic_timedimension_notice")
    header.add_child(RawHtml(f"<style>{css}</style>"), name="ic_timedimension_css")
    header.add_child(RawHtml(f"<script>{js}</script>"), name="ic_timedimension_js")
    header.add_child(RawHtml(f"<style>{_REPLAY_CSS}</style>"), name="ic_replay_css")


class _ReplayTime(MacroElement):
    """The time dimension, its control and three time layers (wind areas, cut-offs and closures,
    the track), driven by the JSON in ``#ic-replay-data``."""

    _template = Template("""{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var data = JSON.parse(document.getElementById('ic-replay-data').textContent);
  var zh = data.lang === 'zh';
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function stamp(ms, year) {
    var d = new Date(ms);
    var s = pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' +
            pad(d.getUTCMinutes());
    return year ? d.getUTCFullYear() + '-' + s : s;
  }
  function fill(template, values) {
    return template.replace(/\\{(\\w+)(?::\\.(\\d)f)?\\}/g, function (all, key, nd) {
      var v = values[key];
      return nd === undefined ? String(v) : Number(v).toFixed(Number(nd));
    });
  }
  // Beijing time (UTC+8, no daylight saving) with the zone named: 2022-09-14 19:00 北京时间 / BJT
  var BJT_MS = 8 * 3600 * 1000;
  function when(ms) { return stamp(ms + BJT_MS, true) + ' ' + data.text.beijing; }
  function isoBeijing(ms) { return new Date(ms + BJT_MS).toISOString().replace(/\\.\\d{3}Z$/, '+08:00'); }

  var td = L.timeDimension({times: data.times.slice(), currentTime: data.times[data.start]});
  map.timeDimension = td;

  // a feature is shown exactly at the times in its "times" property (no slicing, no duration)
  var AtTimes = L.TimeDimension.Layer.GeoJson.extend({
    _getFeatureBetweenDates: function (feature, minTime, maxTime) {
      if (!feature._icAt) {
        feature._icAt = {};
        var times = this._getFeatureTimes(feature);
        for (var i = 0; i < times.length; i++) { feature._icAt[times[i]] = true; }
      }
      return feature._icAt[maxTime] ? feature : null;
    }
  });
  var STYLE = {
    cut: {className: 'ic-cutoff ic-replay-cutoff', color: '{{ this.cut_colour }}', weight: 4,
          opacity: 1, fillColor: '{{ this.cut_colour }}', fillOpacity: 0.35},
    sailing: {className: 'ic-route-suspended', color: '{{ this.suspended_colour }}', weight: 3,
              opacity: 0.95, dashArray: '1 6', lineCap: 'round', fill: false},
    bridge: {className: 'ic-bridge-closed', color: '{{ this.suspended_colour }}', weight: 6,
             opacity: 1, dashArray: '1 5', lineCap: 'round', fill: false},
    r7: {className: 'ic-wind-area ic-r7', color: '{{ this.r7_colour }}', weight: 1.5, dashArray: '6 5',
         fillColor: '{{ this.r7_colour }}', fillOpacity: 0.10, interactive: false},
    r10: {className: 'ic-wind-area ic-r10', color: '{{ this.r10_colour }}', weight: 1.5,
          fillColor: '{{ this.r10_colour }}', fillOpacity: 0.12, interactive: false},
    track: {className: 'ic-track', color: '{{ this.track_colour }}', weight: 2.5, opacity: 0.9}
  };
  function style(f) { return STYLE[f.properties.kind]; }
  function tip(f, layer) {
    if (f.properties.label && f.geometry.type !== 'Point') { layer.bindTooltip(f.properties.label, {sticky: true}); }
  }
  var centreIcon = L.divIcon({html: {{ this.storm_svg|tojson }}, className: 'ic-storm-centre',
                              iconSize: [30, 30], iconAnchor: [15, 15]});
  var areas = new AtTimes(L.geoJson(data.areas, {style: style, pane: 'ic-storm', interactive: false}),
                          {timeDimension: td, updateTimeDimension: false}).addTo(map);
  var state = new AtTimes(L.geoJson(data.state, {style: style, onEachFeature: tip, pane: 'ic-top'}),
                          {timeDimension: td, updateTimeDimension: false}).addTo(map);
  var track = L.timeDimension.layer.geoJson(L.geoJson(data.track, {
      style: style, pane: 'ic-top', interactive: false,
      pointToLayer: function (f, latlng) {
        return L.marker(latlng, {icon: centreIcon, interactive: false, keyboard: false});
      }}), {timeDimension: td, updateTimeDimension: false, addlastPoint: true}).addTo(map);
{% if this.control %}
  {{ this.control.get_name() }}.addOverlay(areas, data.layers.areas);
  {{ this.control.get_name() }}.addOverlay(state, data.layers.state);
  {{ this.control.get_name() }}.addOverlay(track, data.layers.track);
{% endif %}

  var Control = L.Control.TimeDimension.extend({
    _getDisplayDateFormat: function (date) { return when(date.getTime()); }
  });
  var control = new Control({timeDimension: td, position: 'bottomleft', autoPlay: false, loopButton: false,
                             timeSliderDragUpdate: true, speedSlider: true, minSpeed: 0.5, maxSpeed: 8,
                             speedStep: 0.5, timeZones: ['UTC'],  // the stamp is ours: when()
                             playerOptions: {transitionTime: 500, loop: false, startOver: true}});
  map.addControl(control);

  // the islands by the hour: each powered island's fill is its class at the step shown, and its
  // path carries ic-island-cut while it is cut off (the same features as the red outlines)
  var isl = data.islands, pos = {}, cutAt = {}, paths = {}, hour = {e: -1, cut: {}};
  for (var k = 0; k < isl.ids.length; k++) { pos[isl.ids[k]] = k; }
  data.state.features.forEach(function (f) {
    if (f.properties.kind !== 'cut') { return; }
    f.properties.times.forEach(function (t) { (cutAt[t] = cutAt[t] || {})[f.id] = true; });
  });
  function hourly(id) {
    var k = pos[id];
    if (k === undefined || hour.e < 0) { return null; }
    var c = Number(isl.cls[hour.e].charAt(k));
    return {className: 'ic-island ic-powered ic-eta-' + c + (hour.cut[id] ? ' ic-island-cut' : ''),
            fillColor: isl.colours[c]};
  }
  function etaText(id) {
    var m = isl.eta[hour.e][pos[id]];
    var t = m === null ? data.text.unreachable : fill(data.text.minutes, {m: m});
    return hour.cut[id] && m !== null ? t + ' \u00b7 ' + data.text.self_reliant : t;
  }
  map.eachLayer(function (g) {  // the beacon chart's island layers (all shown at first)
    if (!(g instanceof L.GeoJSON) || typeof g.options.style !== 'function') { return; }
    var mine = false;
    g.eachLayer(function (l) {
      if (l.feature && pos[l.feature.id] !== undefined && /\\bic-island\\b/.test(l.options.className || '')) {
        paths[l.feature.id] = l; mine = true;
      }
    });
    if (mine) {  // resetStyle (on mouseout) and a layer shown again keep the hour's style
      var base = g.options.style;
      g.options.style = function (f) { return L.extend({}, base(f), hourly(f.id) || {}); };
    }
  });
  function paint(i) {
    var s = data.steps[i];
    hour = {e: s.e, cut: cutAt[s.t] || {}};
    var counts = isl.colours.map(function () { return 0; });
    Object.keys(paths).forEach(function (id) {
      var l = paths[id], h = hourly(id);
      l.setStyle(h);  // also l.options.className, used when the path is drawn again
      var el = l.getElement && l.getElement();
      if (el) {
        var keep = (el.getAttribute('class') || '').split(/\\s+/).filter(function (c) {
          return c && !/^ic-(eta-\\d|island-cut|island|powered)$/.test(c);
        });
        el.setAttribute('class', h.className + (keep.length ? ' ' + keep.join(' ') : ''));
      }
      if (l.feature.properties && 'eta' in l.feature.properties) { l.feature.properties.eta = etaText(id); }
    });
    isl.ids.forEach(function (id) { counts[Number(isl.cls[hour.e].charAt(pos[id]))] += 1; });
    document.querySelectorAll('#ic-legend [data-eta-class]').forEach(function (row) {
      var n = row.querySelector('.ic-n'), c = Number(row.getAttribute('data-eta-class'));
      if (n && counts[c] !== undefined) { n.textContent = n.textContent.replace(/\\d+/, String(counts[c])); }
    });
  }

  var panel = document.getElementById('ic-replay');
  var legendRow = document.getElementById('ic-legend-cutoff');
  function show() {
    var i = td.getCurrentTimeIndex(), s = data.steps[i];
    if (!s) { return; }
    paint(i);
    panel.setAttribute('data-step', String(i));
    panel.setAttribute('data-time', isoBeijing(s.t));
    panel.setAttribute('data-cut-off', String(s.n));
    panel.setAttribute('data-unreachable', String(s.u));
    document.getElementById('ic-replay-time').textContent = when(s.t);
    document.getElementById('ic-replay-storm').textContent =
      fill(data.text.centre, {lon: s.c[0], lat: s.c[1], v: s.v}) + ' \u00b7 ' + fill(data.text.strongest, {b: s.b});
    var parts = ['<b>' + fill(data.text.cut, {n: s.n, total: data.powered}) + '</b>' +
                 (s.n ? fill(data.text.cut_split, {u: s.u, s: s.n - s.u}) : '')];
    if (data.sailings) { parts.push(fill(data.text.sailings, {n: s.s, total: data.sailings})); }
    if (data.bridges) { parts.push(fill(data.text.bridges, {n: s.k, total: data.bridges})); }
    document.getElementById('ic-replay-status').innerHTML = parts.join(' \u00b7 ');
    if (legendRow && legendRow.lastChild) { legendRow.lastChild.textContent = fill(data.text.legend_cut, {n: s.n}); }
  }
  td.on('timeload', show);
  show();
  window.icReplay = {map: map, timeDimension: td, control: control, steps: data.steps, times: data.times,
                     islands: paths};
})();
{% endmacro %}""")

    def __init__(self, control: folium.LayerControl | None) -> None:
        super().__init__()
        self._name = "ReplayTime"
        self.control = control
        self.cut_colour = CUTOFF_COLOUR
        self.suspended_colour = _SUSPENDED_COLOUR
        self.r7_colour = _AREA_COLOUR[7]
        self.r10_colour = _AREA_COLOUR[10]
        self.track_colour = _TRACK_COLOUR
        self.storm_svg = _STORM_SVG
