"""Dispatch before the public: one narrow lane for the public's CPU-heavy route, the beacon chart.

Caching makes a repeated chart cheap, but clients that ask again as soon as they are answered
(20 of them in the issue's measurement) would still keep the server busy with charts, and each
dispatcher's request would queue behind theirs. A route declared with :class:`PublicRoute` is
handled at most ``lanes`` requests at a time per worker (default 1): its dependencies, the route
and building the response wait, without holding a thread, until a lane is free. Sending the page
does not hold the lane, so a slow client does not block the others. Dispatch routes never wait
for a lane, so the public can take at most ``lanes`` requests' worth of the server at once; under
public load the public waits, not the dispatcher.

The app's :class:`~islandcover.config.Config` sets the number of lanes (``public_lanes``, from
``$ISLANDCOVER_PUBLIC_LANES``; ``0``: no limit, the behaviour before); ``app.state.ic_public_lanes``
overrides it for one app (tests).
"""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from anyio import Semaphore
from anyio.lowlevel import RunVar
from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute

__all__ = ["DEFAULT_PUBLIC_LANES", "PublicRoute", "public_lanes"]

#: Default number of lanes.
DEFAULT_PUBLIC_LANES = 1

# one semaphore per app and event loop (anyio primitives belong to the loop that made them)
_gates: RunVar[dict[int, tuple[int, Semaphore]]] = RunVar("islandcover_public_gates")


def public_lanes(app: FastAPI) -> int:
    """The app's number of public lanes: ``app.state.ic_public_lanes``, else its configuration's
    ``public_lanes``, else :data:`DEFAULT_PUBLIC_LANES` (an app not built by ``create_app``)."""
    lanes = getattr(app.state, "ic_public_lanes", None)
    if lanes is None:
        holder = getattr(app.state, "ic_config", None)
        lanes = holder.config.public_lanes if holder is not None else DEFAULT_PUBLIC_LANES
    return int(lanes)


def _gate(app: FastAPI) -> Semaphore | None:
    lanes = public_lanes(app)
    if lanes == 0:
        return None
    gates = _gates.get(None)
    if gates is None:
        gates = {}
        _gates.set(gates)
    known = gates.get(id(app))
    if known is None or known[0] != lanes:
        known = gates[id(app)] = (lanes, Semaphore(lanes))
    return known[1]


class PublicRoute(APIRoute):
    """A route handled in a public lane (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def in_lane(request: Request) -> Response:
            gate = _gate(request.app)
            if gate is None:
                return await handler(request)
            async with gate:
                return await handler(request)

        return in_lane
