"""The fixed facts of the model: the archipelago's bounds, the coordinate systems, the districts
and the ways a team travels.

Nothing here changes at run time and nothing here is read from the environment or a file (that
is :mod:`islandcover.config`); this module imports nothing of the package, so every layer can
use it.
"""
from __future__ import annotations

__all__ = [
    "BOUNDS",
    "DISTRICTS",
    "DISTRICT_EN",
    "FERRY_MODE",
    "MAX_WIND_FORCE",
    "METRIC_CRS",
    "MODES",
    "STORAGE_CRS",
]

#: (min_lon, min_lat, max_lon, max_lat) of the archipelago model, WGS84 degrees. The same box
#: the shoreline is extracted from (see scripts/build_data.py).
BOUNDS: tuple[float, float, float, float] = (121.3, 29.3, 123.3, 31.0)

#: CRS files are stored and exchanged in.
STORAGE_CRS = "EPSG:4326"

#: Local metric CRS for lengths and areas: UTM zone 51N (central meridian 123°E). Over the
#: archipelago (121.3–123.3°E) its scale error is below 0.04% for lengths, 0.07% for areas.
METRIC_CRS = "EPSG:32651"

#: The four county-level districts of Zhoushan, in the order used in reports.
DISTRICTS: tuple[str, ...] = ("定海区", "普陀区", "岱山县", "嵊泗县")

#: English names of the districts.
DISTRICT_EN: dict[str, str] = {
    "定海区": "Dinghai",
    "普陀区": "Putuo",
    "岱山县": "Daishan",
    "嵊泗县": "Shengsi",
}

#: The strongest wind force accepted and reported: the Chinese wind scale (GB/T 28591-2012
#: 风力等级) continues Beaufort's 0–12 with forces 13–17 for typhoon winds (17 = 56.1–61.2 m/s);
#: a stronger wind is reported as force 17. The speed bands are in
#: :data:`islandcover.typhoon.wind_field.BEAUFORT_LOWER_MS`.
MAX_WIND_FORCE = 17

#: The travel mode of a team without its own boat: scheduled ferries, roads and bridges.
FERRY_MODE = "ferry"
#: Every way a team can travel (a team's ``boat_class``); speeds and wind limits in
#: :mod:`islandcover.travel.vessels`.
MODES: tuple[str, ...] = ("workboat", "fast", FERRY_MODE)
