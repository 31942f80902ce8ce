"""islandcover.travel."""
