"""The repository itself: nothing committed that a merge or an editor left half done."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("<<<<<<< ", ">>>>>>> ", "=======\n")


def _tracked() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / f for f in out.splitlines() if f.endswith((".py", ".md", ".toml", ".csv", ".txt", ".sh", ".json"))]


def test_no_merge_conflict_markers_are_committed():
    bad = []
    for path in _tracked():
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        starts = [i for i, line in enumerate(lines) if line.startswith(MARKERS[0])]
        ends = [i for i, line in enumerate(lines) if line.startswith(MARKERS[1])]
        if starts and ends:
            bad.append(f"{path.relative_to(ROOT)}:{starts[0] + 1}")
    assert not bad, f"merge conflict markers in {', '.join(bad)}"
