"""A seasonal view of typhoon risk: per solar term, how often the shipped tracks put Zhoushan in force-7 winds.

For each storm of ``data/typhoons/`` the track is interpolated hourly and the modelled wind
field (:mod:`islandcover.typhoon.wind_field`) is evaluated at every powered island. An hour counts when
any powered island has force 7 or more; a storm counts in a term when it gave at least one
such hour in it. The shipped tracks are five storms of 2021–2024, chosen because they hit
Zhoushan: the figures describe *those storms*, not a climatology (for that, load many seasons
of best tracks, e.g. IBTrACS, with :func:`seasonal_risk`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from islandcover.archipelago import Archipelago
from islandcover.seasons.solar_terms import TERMS, term_of
from islandcover.typhoon.tracks import Track, read_track, shipped_tracks

__all__ = ["TermRisk", "SeasonalRisk", "seasonal_risk", "shipped_storms"]

FORCE = 7


@dataclass(frozen=True)
class TermRisk:
    """One solar term: how many of the storms reached force 7 at Zhoushan in it, and for how many hours."""

    name_zh: str
    name_en: str
    storms: tuple[str, ...]
    hours: int

    def to_dict(self) -> dict[str, object]:
        return {"name_zh": self.name_zh, "name_en": self.name_en, "storms": list(self.storms),
                "storm_count": len(self.storms), "hours_force7": self.hours}


@dataclass(frozen=True)
class SeasonalRisk:
    """Answer of :func:`seasonal_risk`: the 24 terms (小寒 … 冬至) and the storms looked at."""

    terms: list[TermRisk]
    storms: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"force": FORCE, "storms": list(self.storms), "terms": [t.to_dict() for t in self.terms],
                "note": f"{len(self.storms)} storms, not a climatology: hours with force {FORCE}+ at any powered "
                        "island in the modelled wind field"}


def shipped_storms() -> list[Track]:
    """Every storm in the shipped tracks (a file may hold two, e.g. 贝碧嘉 and 普拉桑)."""
    out: list[Track] = []
    for path in shipped_tracks().values():
        names = pd.read_csv(path, comment="#", usecols=["storm_name"]).storm_name.unique()
        out.extend(read_track(path, storm=str(n)) for n in names)
    return out


def seasonal_risk(arch: Archipelago, tracks: Sequence[Track] | None = None) -> SeasonalRisk:
    """Per solar term, which storms gave force-7 winds at a powered island, and for how many hours.

    Parameters
    ----------
    arch : Archipelago
        Gives the powered islands (their representative points).
    tracks : sequence of Track, optional
        Default: the shipped storms (:func:`shipped_storms`).
    """
    tracks = list(tracks) if tracks is not None else shipped_storms()
    powered = arch.powered
    lon, lat = powered.rep_lon.to_numpy(dtype=float), powered.rep_lat.to_numpy(dtype=float)
    storms: dict[int, set[str]] = {t.index: set() for t in TERMS}
    hours = dict.fromkeys(storms, 0)
    for track in tracks:
        hourly = track.interpolate("1h")
        for i, when in enumerate(hourly.points.time):
            if int(np.max(hourly.vortex(i).bft(lon, lat))) >= FORCE:
                k = term_of(when.to_pydatetime()).index
                storms[k].add(track.name)
                hours[k] += 1
    terms = [TermRisk(t.name_zh, t.name_en, tuple(sorted(storms[t.index])), hours[t.index]) for t in TERMS]
    return SeasonalRisk(terms=terms, storms=tuple(t.name for t in tracks))
