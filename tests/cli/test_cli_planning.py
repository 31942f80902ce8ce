"""The planning commands: coverage, matrix, site, map (outputs, files, one-line errors)."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from islandcover.planning.coverage import CoverageModel
from islandcover.planning.scenario import Scenario
from islandcover.travel.weather import Weather


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "islandcover.cli", *args], capture_output=True, text=True,
                          timeout=300)


def test_coverage_json_matches_library(router):
    out = run("coverage", "--minutes", "60", "--add-station", "122.3,30.1", "--close", "ST-03", "--wind", "7", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"islands_covered_share", "people_covered_share", "by_district"} <= set(d)
    lib = CoverageModel(router).report(Scenario(add=("122.3,30.1",), close=("ST-03",), weather=Weather.uniform(7)), [60])
    assert d["islands_covered_share"] == lib.to_dict()["thresholds"]["60"]["islands_covered_share"]
    assert [s["id"] for s in d["stations"]][-1] == "NEW-1" and "ST-03" not in [s["id"] for s in d["stations"]]
    assert set(d["by_district"]) == {"定海区", "普陀区", "岱山县", "嵊泗县"}


def test_coverage_table_lists_all_thresholds():
    out = run("coverage")
    assert out.returncode == 0, out.stderr
    for t in ("30", "45", "60", "90", "120"):
        assert any(line.strip().startswith(t + " ") for line in out.stdout.splitlines())


def test_matrix_csv_has_empty_cells_where_unreachable(tmp_path):
    f = tmp_path / "times.csv"
    out = run("matrix", "--out", str(f), "--wind", "9")
    assert out.returncode == 0, out.stderr
    m = pd.read_csv(f, index_col="island_id")
    assert m.shape == (62, 74)  # 62 powered islands x (12 light stations + 62 service points)
    assert m.isna().any().any()          # storm: some pairs unreachable, written as empty cells
    assert (m.min(axis=1).dropna() >= 0).all()
    assert ",," in f.read_text() or f.read_text().count(",\n") > 0
    assert not list(tmp_path.glob(".*tmp"))


def test_site_json_fields():
    out = run("site", "--model", "pcenter", "--p", "3", "--keep-existing", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"sites", "objective", "status", "gap", "seconds"} <= set(d)
    assert d["status"] == "optimal" and len(d["sites"]) == 3 and len(d["fixed"]) == 12


def test_map_writes_offline_html(tmp_path):
    f = tmp_path / "beacon.html"
    out = run("map", "-o", str(f), "--wind", "8", "--lang", "en")
    assert out.returncode == 0, out.stderr
    html = f.read_text(encoding="utf-8")
    assert f.stat().st_size < 3_000_000 and "ic-beacon" in html and "unpkg" not in html


@pytest.mark.parametrize("args,needle", [
    (("coverage", "--close", "ST-99"), "ST-99"),
    (("coverage", "--add-station", "125.5,30.0"), "outside the archipelago"),
    (("coverage", "--add-station", "122.55,29.95"), "at sea"),
    (("coverage", "--wind", "40"), "out of range"),
    (("coverage", "--minutes", "-3"), "positive"),
    (("coverage", "--move", "ST-01"), "--move"),
    (("site", "--model", "pmedian", "--p", "99"), "p = 99"),
    (("site", "--model", "mclp", "--p", "2"), "needs minutes"),
    (("map", "-o", "/nonexistent/dir/b.html"), "does not exist"),
    (("matrix", "--out", "/nonexistent/dir/t.csv"), "does not exist"),
    (("matrix", "--out", "/tmp"), "is a folder"),
    (("site", "--model", "pcenter", "--p", "2", "--wind", "9", "--keep-existing"), "reach"),
])
def test_bad_input_exits_2_with_one_line(args, needle):
    out = run(*args)
    assert out.returncode == 2
    lines = [ln for ln in out.stderr.splitlines() if not ln.startswith("  ")]
    assert len(lines) == 1 and needle in lines[0], out.stderr
    assert "Traceback" not in out.stderr
