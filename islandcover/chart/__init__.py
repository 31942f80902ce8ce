"""islandcover.chart."""
