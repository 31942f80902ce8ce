"""The islandcover HTTP API (FastAPI), thin over the islandcover core."""
