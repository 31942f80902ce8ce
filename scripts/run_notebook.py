#!/usr/bin/env python3
"""Execute the planner's notebook and save its outputs in place, or check that they are current.

Usage::

    python scripts/run_notebook.py            # run notebooks/planner.ipynb top to bottom, save the outputs
    python scripts/run_notebook.py --check    # run a copy; exit 1, naming each cell, if a saved number differs

The notebook runs on the shipped data with an empty live state (``$ISLANDCOVER_DATA`` unset, a
scratch ``$ISLANDCOVER_STATE_DIR``), so the saved outputs never depend on the data overlay of the
machine that ran it; the travel-network cache (``$ISLANDCOVER_CACHE``) is used as usual.

``tests/test_notebook.py`` runs the check: every number in each code cell's ``text/plain`` and
stream outputs is compared, in order, with a fresh run's. Wall-clock values are not: durations
(``0.05 s``), dates and times of day, memory addresses and file paths are masked first.
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "planner.ipynb"
COMMAND = "python scripts/run_notebook.py"
#: Seconds a single cell may take (the first one builds the travel network when it is not cached).
CELL_TIMEOUT_S = 900

#: Values that change from run to run, masked before numbers are compared.
WALL_CLOCK = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"  # dates, timestamps
    r"|\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\b"                                              # times of day
    r"|\b\d+(?:\.\d+)?\s?(?:s|ms|µs|us|ns|sec|seconds)\b"                                   # durations
    r"|\b0x[0-9a-fA-F]+\b"                                                                  # memory addresses
    r"|(?<![\w.])/(?:[^\s/'\"]+/)*[^\s/'\"]*"                                               # absolute paths
)
#: A number as printed: sign, digits, decimals, exponent; not the tail of a name (``n_within_45``).
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run a copy of ``nb`` top to bottom on the shipped data; return the executed copy."""
    out = copy.deepcopy(nb)
    env = {**os.environ}
    env.pop("ISLANDCOVER_DATA", None)
    with tempfile.TemporaryDirectory(prefix="islandcover-notebook-") as scratch:
        env["ISLANDCOVER_STATE_DIR"] = str(Path(scratch) / "state")
        client = NotebookClient(out, timeout=CELL_TIMEOUT_S, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": scratch}})
        client.execute(env=env)
    return out


def output_text(cell: nbformat.NotebookNode) -> str:
    """The text a reader sees of a code cell: its stream and ``text/plain`` outputs."""
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif "data" in o:
            parts.append(o["data"].get("text/plain", ""))
    return "\n".join(parts)


def numbers(text: str) -> list[str]:
    """The numbers of ``text``, as printed, wall-clock values left out."""
    return NUMBER.findall(WALL_CLOCK.sub(" ", text))


def _label(k: int, cell: nbformat.NotebookNode) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")), "")
    return f"cell {k + 1} ({first.strip()[:60]!r})"


def stale_cells(saved: nbformat.NotebookNode, fresh: nbformat.NotebookNode) -> list[str]:
    """One message per code cell whose saved numbers differ from the fresh run's (none: current)."""
    if [c.source for c in saved.cells] != [c.source for c in fresh.cells]:
        return [f"the notebook's cells are not those of the fresh run: run {COMMAND}"]
    out = []
    for k, (a, b) in enumerate(zip(saved.cells, fresh.cells)):
        if a.cell_type != "code":
            continue
        old, new = numbers(output_text(a)), numbers(output_text(b))
        if old == new:
            continue
        at = next((i for i, (x, y) in enumerate(zip(old, new)) if x != y), min(len(old), len(new)))
        was = old[at] if at < len(old) else "nothing"
        now = new[at] if at < len(new) else "nothing"
        out.append(f"{_label(k, a)}: the saved output shows {was} where a fresh run gives {now} "
                   f"(number {at + 1} of {len(new)}); run {COMMAND} to regenerate the saved outputs")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if a saved number is stale")
    ap.add_argument("notebook", nargs="?", type=Path, default=NOTEBOOK, help="default: notebooks/planner.ipynb")
    args = ap.parse_args(argv)
    saved = nbformat.read(args.notebook, as_version=4)
    try:
        fresh = execute(saved)
    except CellExecutionError as exc:
        print(f"{args.notebook}: a cell failed, nothing written:\n{exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_cells(saved, fresh)
        for msg in stale:
            print(f"{args.notebook}: {msg}", file=sys.stderr)
        return 1 if stale else 0
    nbformat.write(fresh, args.notebook)
    print(f"wrote {args.notebook} ({sum(c.cell_type == 'code' for c in fresh.cells)} code cells executed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
