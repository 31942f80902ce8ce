"""islandcover.typhoon."""
