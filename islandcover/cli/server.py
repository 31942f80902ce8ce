"""The ``islandcover serve`` command: the HTTP API (:mod:`api`) under uvicorn.

The one command that imports the web layer, and only when it runs (every ``islandcover``
command builds the parser, and most never need FastAPI).
"""
from __future__ import annotations

import argparse
import os
from dataclasses import replace
from typing import Any

from islandcover.cli._common import count, state_args, state_location
from islandcover.config import ENV

__all__ = ["add_commands", "cmd_serve"]


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API (uvicorn) on the configured data, in ``--workers`` processes; keys in query
    strings are redacted from the access log (:mod:`api.access_log`).

    Each worker loads the model (a few seconds of start-up and its own memory) and keeps its own
    answer caches; the live state is in the database, so workers agree. The database is created
    here first, so that workers do not race to create it. One worker runs the app built here;
    several are started by uvicorn from an import string, so the configuration reaches them as
    the environment they inherit (:meth:`~islandcover.config.Config.to_env`), which each reads
    once (:meth:`~islandcover.config.Config.from_env`).
    """
    import uvicorn

    from api.access_log import log_config
    from api.app import create_app
    from islandcover.store import Store

    where = state_location(args)
    config = replace(args.config.replace(state_dir=where.get("state_dir")),  # the default overlay follows
                     database_url=where.get("database_url"))
    Store.open(state_dir=config.state_dir, database_url=config.database_url).close()
    if args.workers == 1:
        uvicorn.run(create_app(config), host=args.host, port=args.port, log_config=log_config())
        return 0
    os.environ.update(config.to_env())
    if config.database_url is None:
        os.environ.pop(ENV["database_url"], None)
    uvicorn.run("api.app:create_app", factory=True, host=args.host, port=args.port, log_config=log_config(),
                workers=args.workers)
    return 0


def add_commands(sub: Any) -> None:
    """Register ``serve`` on the subparsers object ``sub`` of the ``islandcover`` command."""
    p = sub.add_parser("serve", help="serve the HTTP API (uvicorn)",
                       description="Serve the HTTP API with uvicorn. Its access log redacts the value of any "
                                   "query parameter that looks like a key (api_key, key, token, …): keys "
                                   "belong in the X-API-Key header, never in a URL.")
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="default 8000")
    p.add_argument("--workers", type=count, default=1,
                   help="worker processes (default 1); each loads the model and uses its own memory")
    state_args(p)
    p.set_defaults(func=cmd_serve)
