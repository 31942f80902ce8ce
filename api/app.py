"""FastAPI application: validation, auth and serialisation over islandcover.

Run with ``islandcover serve`` or ``uvicorn api.app:app``. The archipelago, its travel
network, the router, the coverage model and the store are loaded once per app, at startup
(:class:`api.deps.AppState`, kept on ``app.state``).

Errors: bad input is a 422 naming the field (``{"detail": [{"loc": [...], "msg": ...}]}``; the
rejected value is never echoed back), and so is a query parameter the endpoint does not take;
an unknown island, station, team, incident or scenario in the URL is a 404; a request that
contradicts the live state (team busy, incident closed) is a 409; a missing or unknown
``X-API-Key`` is a 401 and a key of the wrong role a 403; a body over ``max_body_bytes`` is a
413 (:mod:`api.guard`, which also refuses NaN, Infinity, overflowing numbers, lone surrogates
and NUL characters in any JSON body, and sets the security headers of every response).

``/docs`` is the Swagger UI served from the package (``api/static``), so it works offline.
"""
from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from api.deps import AppConfig, State, ensure_state, reject_unknown_query
from api.guard import RequestGuard, html_csp
from api.routers import ROUTERS
from api.routers import ensemble as ensemble_routes
from api.schemas import Health
from islandcover.config import Config
from islandcover.errors import Conflict, IslandcoverError, NotFound
from islandcover.travel.routing import Router

__all__ = ["app", "create_app"]

_STATIC = Path(__file__).resolve().parent / "static"

#: Longest validation message returned (pydantic's messages are short; this bounds the odd one).
_MAX_MSG = 300


def create_app(config: Config | None = None, *, router: Router | None = None,
               state_dir: str | Path | None = None, database_url: str | None = None,
               max_body_bytes: int | None = None) -> FastAPI:
    """Build the API.

    Parameters
    ----------
    config : Config, optional
        Data, cache and state locations and the request limit; default
        :meth:`Config.from_env() <islandcover.config.Config.from_env>`, read here once (uvicorn's
        ``--factory`` calls this with no arguments).
    router : Router, optional
        An already loaded archipelago and network (default: the configured data, loaded at startup).
    state_dir, database_url, max_body_bytes : optional
        Replace the configuration's fields of those names (a ``database_url`` wins over a
        ``state_dir``; a body over ``max_body_bytes`` is a 413 before it is read).
    """
    config = (config or Config.from_env()).replace(state_dir=state_dir, max_body_bytes=max_body_bytes)
    if state_dir is not None or database_url is not None:
        config = replace(config, database_url=database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ensure_state(app)
        yield
        state = getattr(app.state, "ic", None)
        if state is not None:
            state.store.close()

    app = FastAPI(title="islandcover", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  dependencies=[Depends(reject_unknown_query)],
                  description="Emergency-crew coverage over the Zhoushan archipelago. Reads are public; "
                              "incident and team writes need a dispatcher key, scenarios and siting a "
                              "planner key (header `X-API-Key`).")
    app.state.ic_config = AppConfig(config=config, router=router)
    app.state.ic_lock = threading.Lock()
    app.add_middleware(RequestGuard, max_body_bytes=config.max_body_bytes)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes each rejected value ("input"), which may be megabytes long
        # or not serialisable at all; name the field and the problem only
        detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))[:_MAX_MSG], "type": e.get("type")}
                  for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title="islandcover API",
                                   swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger-ui/favicon-32x32.png")
        html = bytes(page.body).decode("utf-8")
        return HTMLResponse(html, headers={"Content-Security-Policy": html_csp(html)})

    @app.exception_handler(IslandcoverError)
    async def _islandcover_error(request: Request, exc: IslandcoverError) -> JSONResponse:
        if isinstance(exc, NotFound):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        if isinstance(exc, Conflict):
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return JSONResponse({"detail": [{"loc": ["request"], "msg": str(exc), "type": "value_error"}]},
                            status_code=422)

    @app.get("/health", response_model=Health, tags=["health"])
    def health(state: State) -> Health:
        """Liveness and the size of the loaded model."""
        arch = state.arch
        return Health(status="ok", islands=len(arch.islands), powered=int(arch.islands.powered.sum()),
                      teams=len(arch.teams), database=state.store.engine.dialect.name)

    for r in ROUTERS:
        app.include_router(r)
    app.include_router(ensemble_routes.router)  # POST /ensemble, GET /ensemble/{job}: jobs in memory
    return app


app = create_app()
