"""Fixed facts of the model: bounds, coordinate systems, districts and default paths.

Nothing here changes at run time; user-tunable values (vessel speeds, wind limits) live in
config files read by the modules that use them.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "BOUNDS",
    "STORAGE_CRS",
    "METRIC_CRS",
    "DISTRICTS",
    "DISTRICT_EN",
    "DEFAULT_DATA_DIR",
    "data_dir",
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

#: The shipped data set (a source checkout, installed with ``pip install -e .``).
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "islands"


def data_dir() -> Path:
    """Return the data folder: ``$ISLANDCOVER_DATA`` if set, else the shipped data set."""
    env = os.environ.get("ISLANDCOVER_DATA")
    return Path(env) if env else DEFAULT_DATA_DIR
