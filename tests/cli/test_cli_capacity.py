"""``islandcover site --capacity``: the capacitated answer as JSON, and one-line errors (exit 2)."""
from __future__ import annotations

import json
import subprocess

import pytest
from commands import run_command


def run(*args: str) -> subprocess.CompletedProcess:
    """``islandcover ARGS`` in this process (tests/commands.py): exit code, stdout, stderr."""
    return run_command(*args)


def test_site_with_crews_as_capacity_prints_loads_within_capacity():
    out = run("site", "--model", "pmedian", "--p", "3", "--keep-existing", "--capacity", "head_count",
              "--capacity-scale", "10000", "--capacity-new", "10", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)  # nothing but the JSON on stdout
    assert d["status"] == "optimal" and len(d["sites"]) == 3 and len(d["fixed"]) == 12
    assert d["capacity"] == {"given": "head_count", "scale": 10000.0, "new_site": 10.0}
    load = d["stats"]["load"]
    assert load["ST-01"]["capacity"] == 150_000 and all(load[s]["capacity"] == 100_000 for s in d["sites"])
    assert all(v["served"] <= v["capacity"] + 1e-3 for v in load.values())
    assert "ZS-0001" in d["stats"]["split"]


# each message is checked in full by tests/planning/test_capacity.py and tests/api/test_api_capacity.py;
# here: one refused before loading anything, one after (the model's own check)
@pytest.mark.parametrize(("args", "needle"), [
    (("--model", "pmedian", "--p", "3", "--capacity", "-5"), "capacity must be a positive number"),
    (("--model", "pmedian", "--p", "3", "--capacity", "100000"), "capacity: the 3 sites with the largest"),
])
def test_bad_capacity_exits_2_with_one_line(args, needle):
    out = run("site", *args)
    assert out.returncode == 2
    lines = [ln for ln in out.stderr.splitlines() if not ln.startswith("  ")]
    assert len(lines) == 1 and needle in lines[0], out.stderr
    assert "Traceback" not in out.stderr
