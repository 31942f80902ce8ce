"""Running ``islandcover ARGS`` in the test process (not a test module).

A process of its own per command spends ~3 s importing before it starts (5 s a command under load),
and the command-line tests run dozens; the console script's entry point (``python -m
islandcover.cli``) is tested in a process of its own in tests/cli/test_cli.py.
"""
from __future__ import annotations

import contextlib
import io
import subprocess

__all__ = ["run_command"]


def run_command(*args: str) -> subprocess.CompletedProcess:
    """Run ``islandcover ARGS`` through ``islandcover.cli.main``, as the console script does.

    Returns
    -------
    subprocess.CompletedProcess
        ``returncode`` (argparse's exit too), ``stdout`` and ``stderr`` as text, as
        ``subprocess.run(..., capture_output=True, text=True)`` gives them.
    """
    from islandcover import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(list(args))
        except SystemExit as exc:  # argparse's errors
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(["islandcover", *args], rc, out.getvalue(), err.getvalue())
