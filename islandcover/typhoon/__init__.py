"""Typhoons: storm tracks (:mod:`.tracks`), the wind field of a storm (:mod:`.wind_field`), hour-
by-hour replay and pre-positioning (:mod:`.replay`), typhoon risk by solar term
(:mod:`.season`).
"""

__all__ = ["replay", "season", "tracks", "wind_field"]
