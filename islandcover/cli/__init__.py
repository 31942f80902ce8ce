"""The ``islandcover`` command."""
from islandcover.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
