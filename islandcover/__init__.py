"""islandcover: service coverage, routing and siting for the Zhoushan archipelago.

The package's face: the classes and functions a user needs, importable from here, so that
notebooks and scripts do not depend on where each lives::

    from islandcover import Archipelago, Config, CoverageModel, Router, Scenario, Weather, load_network

    config = Config.from_env()
    arch = Archipelago.load(config.data_dir)           # data/islands/ with your imported layers over it
    router = Router(arch, load_network(arch, cache_dir=config.cache_dir))
    router.nearest("蚂蚁岛", Weather.uniform(7), k=3)
    CoverageModel(router).report(Scenario(add=("普陀山",)), [45, 90, 120])

The data flow, one subpackage a stage (``README.md``, "Architecture"): ``io`` reads the files,
:class:`Archipelago` holds the model, ``travel`` builds the network and answers routes,
``planning`` turns a scenario into travel times, coverage and optimal sites, ``typhoon`` replays
storms over it, ``seasons`` keeps the solar-term calendar, ``chart`` draws the beacon charts,
``cli`` and the top-level ``api`` package serve it all; :mod:`islandcover.store` is the live
state they share, :mod:`islandcover.errors` every error, :mod:`islandcover.config` the one
configuration.

Names are loaded on first use (PEP 562), so ``import islandcover`` stays cheap for the command
line.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name → the module that defines it.
_FACE: dict[str, str] = {
    # the model and its configuration
    "Archipelago": "islandcover.archipelago",
    "Island": "islandcover.archipelago",
    "Station": "islandcover.archipelago",
    "Team": "islandcover.archipelago",
    "Config": "islandcover.config",
    # travel
    "TravelNetwork": "islandcover.travel.network",
    "load_network": "islandcover.travel.network",
    "TravelParameters": "islandcover.travel.vessels",
    "load_parameters": "islandcover.travel.vessels",
    "Weather": "islandcover.travel.weather",
    "Router": "islandcover.travel.routing",
    "LinkBoard": "islandcover.travel.links",
    # planning
    "Scenario": "islandcover.planning.scenario",
    "CoverageModel": "islandcover.planning.coverage",
    "CoverageReport": "islandcover.planning.coverage",
    "demand_weights": "islandcover.planning.coverage",
    "SitingProblem": "islandcover.planning.siting",
    "SitingResult": "islandcover.planning.siting",
    # typhoons
    "Track": "islandcover.typhoon.tracks",
    "resolve_track": "islandcover.typhoon.tracks",
    "read_track": "islandcover.typhoon.tracks",
    "Replay": "islandcover.typhoon.replay",
    "PreparePlan": "islandcover.typhoon.replay",
    "replay": "islandcover.typhoon.replay",
    "prepare": "islandcover.typhoon.replay",
    "seasonal_risk": "islandcover.typhoon.season",
    # seasons
    "solar_terms": "islandcover.seasons.solar_terms",
    "build_calendar": "islandcover.seasons.service_calendar",
    # charts
    "beacon_chart": "islandcover.chart.beacon",
    "scenario_chart": "islandcover.chart.beacon",
    "write_beacon_chart": "islandcover.chart.beacon",
    "replay_chart": "islandcover.chart.replay",
    # the live state
    "Store": "islandcover.store",
    # errors
    "IslandcoverError": "islandcover.errors",
    "NotFound": "islandcover.errors",
    "Conflict": "islandcover.errors",
    "DataError": "islandcover.errors",
    "UnknownIsland": "islandcover.errors",
}

__all__ = [
    "Archipelago",
    "Config",
    "Conflict",
    "CoverageModel",
    "CoverageReport",
    "DataError",
    "Island",
    "IslandcoverError",
    "LinkBoard",
    "NotFound",
    "PreparePlan",
    "Replay",
    "Router",
    "Scenario",
    "SitingProblem",
    "SitingResult",
    "Station",
    "Store",
    "Team",
    "Track",
    "TravelNetwork",
    "TravelParameters",
    "UnknownIsland",
    "Weather",
    "beacon_chart",
    "build_calendar",
    "demand_weights",
    "load_network",
    "load_parameters",
    "prepare",
    "read_track",
    "replay",
    "replay_chart",
    "resolve_track",
    "scenario_chart",
    "seasonal_risk",
    "solar_terms",
    "write_beacon_chart",
]


def __getattr__(name: str) -> Any:
    module = _FACE.get(name)
    if module is None:
        raise AttributeError(f"module 'islandcover' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what type checkers and IDEs see
    from islandcover.archipelago import Archipelago, Island, Station, Team
    from islandcover.chart.beacon import beacon_chart, scenario_chart, write_beacon_chart
    from islandcover.chart.replay import replay_chart
    from islandcover.config import Config
    from islandcover.errors import Conflict, DataError, IslandcoverError, NotFound, UnknownIsland
    from islandcover.planning.coverage import CoverageModel, CoverageReport, demand_weights
    from islandcover.planning.scenario import Scenario
    from islandcover.planning.siting import SitingProblem, SitingResult
    from islandcover.seasons.service_calendar import build_calendar
    from islandcover.seasons.solar_terms import solar_terms
    from islandcover.store import Store
    from islandcover.travel.links import LinkBoard
    from islandcover.travel.network import TravelNetwork, load_network
    from islandcover.travel.routing import Router
    from islandcover.travel.vessels import TravelParameters, load_parameters
    from islandcover.travel.weather import Weather
    from islandcover.typhoon.replay import PreparePlan, Replay, prepare, replay
    from islandcover.typhoon.season import seasonal_risk
    from islandcover.typhoon.tracks import Track, read_track, resolve_track
