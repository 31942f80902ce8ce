"""islandcover.seasons."""
