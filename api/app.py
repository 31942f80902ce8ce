"""FastAPI application: validation, auth and serialisation over islandcover (issue 5 fills it in).

Run with ``uvicorn api.app:app``.
"""
from __future__ import annotations

from functools import lru_cache

from fastapi import FastAPI

from islandcover import Archipelago

app = FastAPI(title="islandcover", version="0.1.0")


@lru_cache(maxsize=1)
def get_archipelago() -> Archipelago:
    """The archipelago, loaded once per process."""
    return Archipelago.load()


@app.get("/health")
def health() -> dict[str, object]:
    """Liveness and the size of the loaded model."""
    arch = get_archipelago()
    return {"status": "ok", "islands": len(arch.islands), "powered": int(arch.islands.powered.sum())}
