"""Storm windows the typhoon and chart tests share (not a test module)."""
from __future__ import annotations

import pandas as pd

from islandcover.typhoon.tracks import Track, shipped_track

__all__ = ["LANDFALL", "WINDOW", "muifa_window"]

#: A day and a half of 梅花 (Muifa) 2022 around its landfall, best-track times (UTC).
WINDOW = ("2022-09-13T12:00:00Z", "2022-09-15T00:00:00Z")
#: The step of the most islands cut off (50 of 53), shortly before landfall on 普陀.
LANDFALL = "2022-09-14T11:00:00Z"


def muifa_window(start: str = WINDOW[0], end: str = WINDOW[1]) -> Track:
    """The shipped Muifa track cut to [start, end] (both are best-track times)."""
    full = shipped_track("muifa_2022")
    p = full.points
    keep = (p.time >= pd.Timestamp(start)) & (p.time <= pd.Timestamp(end))
    return Track(full.name, full.source, p[keep].reset_index(drop=True), full.wind_basis)
