"""islandcover.io.files."""
