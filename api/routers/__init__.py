"""One router per resource, gathered here in the order the API's documentation lists them."""
from __future__ import annotations

from fastapi import APIRouter

from api.routers import (
    calendar,
    coverage,
    dispatch,
    incidents,
    islands,
    links,
    organisation,
    scenarios,
    siting,
    suspensions,
    teams,
    typhoon,
)

__all__ = ["ROUTERS"]

#: Every router of the API.
ROUTERS: tuple[APIRouter, ...] = (
    islands.router,
    teams.router,
    organisation.router,
    suspensions.router,
    dispatch.router,
    links.router,
    incidents.router,
    scenarios.router,
    coverage.router,
    siting.router,
    typhoon.router,
    calendar.router,
)
