"""islandcover.planning."""
