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
from importlib import import_module

from islandcover.cli._common import Parser
from islandcover.config import Config
from islandcover.errors import IslandcoverError

__all__ = ["COMMANDS", "GROUPS", "build_parser", "main"]

#: The command groups (modules of :mod:`islandcover.cli`), in the order ``islandcover --help`` lists them.
GROUPS = ("data", "dispatch", "live", "planning", "typhoon", "ensemble", "seasons", "keys", "server")

#: Each command and its group: a command imports its own group only, so that ``nearest`` does
#: not load the typhoon, siting or ensemble code (a test keeps this in step with the groups).
COMMANDS = {
    "summary": "data", "islands": "data", "import": "data", "data": "data",
    "nearest": "dispatch", "cutoff": "dispatch", "route": "dispatch", "links": "dispatch",
    "team": "live", "suspend": "live",
    "coverage": "planning", "compare": "planning", "matrix": "planning", "site": "planning", "map": "planning",
    "replay": "typhoon", "prepare": "typhoon",
    "ensemble": "ensemble",
    "calendar": "seasons",
    "keys": "keys",
    "serve": "server",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``islandcover`` command.

    Parameters
    ----------
    command : str, optional
        Build only this command's group (what running it needs); default every command (for
        ``--help`` and for a command that is not known).
    """
    parser = Parser(prog="islandcover", description="Service coverage of the Zhoushan archipelago.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    groups = (COMMANDS[command],) if command in COMMANDS else GROUPS
    for group in groups:
        import_module(f"islandcover.cli.{group}").add_commands(sub)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command word of ``argv`` (its first item, as the parser has no options of its own)."""
    return argv[0] if argv and not argv[0].startswith("-") else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(argv))
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
