#!/usr/bin/env python3
"""Regenerate the command transcripts and figures the README quotes, from the code itself.

Each generated part of ``README.md`` sits between ``<!-- generated: NAME -->`` and
``<!-- end generated -->`` (a block) or is an inline ``<!-- gen: NAME -->text<!-- /gen -->``
span; NAME is one of :data:`PARTS`. Every part reruns the commands it shows, as written, on the
shipped data with an empty live state, and keeps the lines the README shows.

Usage::

    python scripts/readme_figures.py            # rewrite README.md
    python scripts/readme_figures.py --check    # exit 1 (and say which) if README.md is stale

``tests/test_readme_figures.py`` runs the check, so the README cannot drift from the code.
Wall-clock durations (``0.05 s``, ``(7.5 s)``) are compared as "a duration", not by value.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)
INLINE = re.compile(r"(<!-- gen: (?P<name>[\w-]+) -->)(?P<body>.*?)(<!-- /gen -->)", re.S)
DURATION = re.compile(r"\d+(?:\.\d+)? s\b")


class Runner:
    """Runs ``islandcover`` commands on the shipped data with a scratch live state, caching outputs."""

    def __init__(self) -> None:
        self._state = tempfile.mkdtemp(prefix="islandcover-readme-")
        self._out: dict[str, str] = {}

    def __call__(self, command: str) -> list[str]:
        if command not in self._out:
            args = command.split()
            assert args[0] == "islandcover", command
            env = {**os.environ, "ISLANDCOVER_STATE_DIR": self._state}
            env.pop("ISLANDCOVER_DATA", None)
            done = subprocess.run([sys.executable, "-m", "islandcover.cli", *args[1:]], capture_output=True,
                                  text=True, env=env, cwd=ROOT, timeout=600)
            if done.returncode != 0:
                raise SystemExit(f"readme_figures: `{command}` failed ({done.returncode}): {done.stderr.strip()}")
            self._out[command] = done.stdout
        return self._out[command].rstrip("\n").split("\n")


def _fence(lines: list[str]) -> str:
    return "```\n" + "\n".join(lines) + "\n```\n"


def summary(run: Runner) -> str:
    table = [line.rstrip() for line in run("islandcover summary")[1:8]]
    return _fence(table)


def nearest(run: Runner) -> str:
    cmd = "islandcover nearest 东福山岛 --wind 7 --k 1 --at 2026-12-04T08:00+08:00 --state none"
    return _fence([f"$ {cmd}", *run(cmd)])


def routes(run: Runner) -> str:
    first = "islandcover route 沈家门 东福山岛 --vessel ferry --wind 6 --at 2026-12-04T08:00+08:00 --state none"
    closed = "islandcover route 沈家门 东福山岛 --vessel ferry --wind 8 --state none"
    sea = "islandcover route ST-01 122.5,30.3 --vessel fast --state none"
    return _fence([f"$ {first}", *run(first), f"$ {closed}", *run(closed)[1:],
                   f"$ {sea}     # a boat out at sea, 岱衢洋", *run(sea)[1:]])


def links(run: Runner) -> str:
    cmd = "islandcover links --wind 8 --state none"
    out = run(cmd)
    keep = [f"$ {cmd}", out[0]]
    for title, n in (("sea lane groups:", 2), ("scheduled sailings:", 1)):
        i = out.index(title)
        keep += [title, *out[i + 1:i + 1 + n], "  …"]
    keep += [line for line in out if line.startswith("cut off now")]
    return _fence(keep)


def coverage(run: Runner) -> str:
    cov = run("islandcover coverage")
    worst = cov.index("worst served:")
    site = "islandcover site --model pcenter --p 3 --keep-existing"
    return _fence(["$ islandcover coverage", *cov[:worst + 3], "  …", f"$ {site}", *run(site)])


def _replay(run: Runner) -> list[str]:
    return run("islandcover replay 梅花")


def replay(run: Runner) -> str:
    out = _replay(run)
    steps_end = next(i for i, line in enumerate(out) if "islands cut off at some step" in line)
    rows = [line for line in out[2:steps_end] if re.match(r"\d\d-\d\d \d\d:\d\d ", line)]
    rising = [r for r in rows if " + " in r]
    falling = [r for r in rows if " − " in r][:1]
    return _fence(["$ islandcover replay 梅花          # the CMA best track of 梅花 Muifa 2022, shipped in data/typhoons/",
                   out[0], out[1], *rising, *falling, "…", *out[steps_end:steps_end + 8], "  …"])


def replay_peak(run: Runner) -> str:
    rows = [line for line in _replay(run) if re.match(r"\d\d-\d\d \d\d:\d\d ", line)]
    best, when = 0, ""
    for r in rows:
        m = re.search(r"\s(\d+)/(\d+)\s", r)
        if m and int(m.group(1)) > best:
            best, total, when = int(m.group(1)), int(m.group(2)), r[6:11]
    return f"{best} of {total} powered islands at {when}"


def prepare_people(run: Runner) -> str:
    out = run("islandcover prepare 梅花 --now 2022-09-13T08:00+08:00 --state none")
    ranked = [line for line in out if re.match(r"\s+\d+ ", line)]
    counted = next(line for line in out if "people counted:" in line)
    known = re.search(r"people counted: ([\d,]+); (\d+) of", counted)
    assert known, counted
    return f"{known.group(1)} known people on {len(ranked)} islands, {known.group(2)} of them with no figure of their own"


#: The generated parts of the README, by name.
PARTS: dict[str, Callable[[Runner], str]] = {
    "summary": summary, "nearest": nearest, "routes": routes, "links": links, "coverage": coverage,
    "replay": replay, "replay-peak": replay_peak, "prepare-people": prepare_people,
}


def render(text: str, run: Runner) -> str:
    """``text`` with every generated part made anew."""
    def block(m: re.Match[str]) -> str:
        return m.group(1) + PARTS[m.group("name")](run) + m.group(4)

    def inline(m: re.Match[str]) -> str:
        return m.group(1) + PARTS[m.group("name")](run) + m.group(4)

    return INLINE.sub(inline, BLOCK.sub(block, text))


def stale_parts(old: str, new: str) -> list[str]:
    """Names of the parts whose text differs (durations aside)."""
    def parts(text: str) -> dict[str, str]:
        found = {m.group("name"): m.group("body") for m in BLOCK.finditer(text)}
        found.update({m.group("name"): m.group("body") for m in INLINE.finditer(text)})
        return {k: DURATION.sub("<duration>", v) for k, v in found.items()}

    a, b = parts(old), parts(new)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether README.md is current (exit 1 if not)")
    args = parser.parse_args(argv)
    old = README.read_text(encoding="utf-8")
    names = {m.group("name") for m in BLOCK.finditer(old)} | {m.group("name") for m in INLINE.finditer(old)}
    unknown = sorted(names - set(PARTS))
    if unknown:
        print(f"readme_figures: unknown parts in README.md: {', '.join(unknown)}", file=sys.stderr)
        return 2
    new = render(old, Runner())
    stale = stale_parts(old, new)
    if args.check:
        if stale:
            print(f"README.md is stale in: {', '.join(stale)}; run python scripts/readme_figures.py", file=sys.stderr)
            return 1
        return 0
    if new != old:
        README.write_text(new, encoding="utf-8")
    print(f"README.md: {len(stale)} parts updated" + (f" ({', '.join(stale)})" if stale else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
