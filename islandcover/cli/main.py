"""The ``islandcover`` command: the parser, built from one module per command group, and :func:`main`.

Every user mistake ends with exit code 2 and one line on stderr naming the problem;
``--help`` on any subcommand lists its options.

Command groups: :mod:`~islandcover.cli.data` (summary, islands, import, data check),
:mod:`~islandcover.cli.dispatch` (nearest, cutoff, route, links), :mod:`~islandcover.cli.live` (team, suspend),
:mod:`~islandcover.cli.planning` (coverage, matrix, site, map),
:mod:`~islandcover.cli.typhoon` (replay, prepare), :mod:`~islandcover.cli.ensemble` (ensemble),
:mod:`~islandcover.cli.seasons` (calendar),
:mod:`~islandcover.cli.keys` (keys), :mod:`~islandcover.cli.server` (serve).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from islandcover.cli import data, dispatch, ensemble, keys, live, planning, seasons, server, typhoon
from islandcover.cli._common import Parser
from islandcover.config import Config
from islandcover.errors import IslandcoverError

__all__ = ["build_parser", "main"]

#: The command groups, in the order ``islandcover --help`` lists them.
GROUPS = (data, dispatch, live, planning, typhoon, ensemble, seasons, keys, server)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``islandcover`` command."""
    parser = Parser(prog="islandcover", description="Service coverage of the Zhoushan archipelago.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in GROUPS:
        group.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        args.config = Config.from_env()  # the one read of the environment; commands take it from args
        return func(args)
    except IslandcoverError as exc:
        print(f"islandcover: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
