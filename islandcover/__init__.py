"""islandcover: service coverage, routing and siting for the Zhoushan archipelago.

Load the model once and pass it around::

    from islandcover import Archipelago
    arch = Archipelago.load()          # the shipped data in data/islands/
    arch.island("蚂蚁岛").population
"""
from __future__ import annotations

from islandcover.archipelago import Archipelago, Island, Station, Team
from islandcover.errors import DataError, IslandcoverError, UnknownIsland

__all__ = ["Archipelago", "Island", "Station", "Team", "IslandcoverError", "DataError", "UnknownIsland"]
__version__ = "0.1.0"
