"""The planning commands: coverage, matrix, site, map (outputs, files, one-line errors)."""
from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest
from commands import run_command

from islandcover.planning.coverage import CoverageModel
from islandcover.planning.scenario import Scenario
from islandcover.travel.weather import Weather


def run(*args: str) -> subprocess.CompletedProcess:
    """``islandcover ARGS`` in this process (tests/commands.py): exit code, stdout, stderr."""
    return run_command(*args)


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
    assert m.loc["ZS-0044", "name_zh"] == "蚂蚁岛" and m.loc["ZS-0044", "name_en"] == "Mayi Dao"  # names beside ids
    m = m.drop(columns=["name_zh", "name_en"])
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


def test_coverage_takes_one_list_of_minutes_and_names_unreachable_islands():
    out = run("coverage", "--minutes", "45", "90", "120", "--wind", "8", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert list(d["thresholds"]) == ["45", "90", "120"]
    assert d["reachable_islands"] + len(d["unreachable_islands"]) == d["islands"]
    assert d["reachable_share"] == pytest.approx(d["reachable_islands"] / d["islands"], abs=1e-4)
    assert {u["island_id"] for u in d["unreachable_islands"]} == set(d["unreachable"])
    assert d["unreachable"] and all(u["name_zh"] for u in d["unreachable_islands"])
    text = run("coverage", "--minutes", "45", "90", "--wind", "8").stdout
    assert "a team can reach" in text and f"unreachable: {len(d['unreachable'])} islands" in text


def test_site_says_existing_new_units_and_no_gain():
    out = run("site", "--model", "pcenter", "--p", "2", "--json")
    d = json.loads(out.stdout)
    assert d["units"].startswith("minutes") and set(d["existing"]) | set(d["new"]) == set(d["sites"])
    assert all(s.startswith("ST-") for s in d["existing"]) and not any(s.startswith("ST-") for s in d["new"])
    # every island within 240 min of the kept stations: nothing to gain
    out = run("site", "--model", "mclp", "--p", "2", "--minutes", "240", "--keep-existing")
    assert out.returncode == 0, out.stderr
    assert "no gain" in out.stdout and not any(line.startswith("  new site") for line in out.stdout.splitlines())
    assert "people covered" in out.stdout


def test_compare_two_scenarios_from_files(tmp_path):
    a = tmp_path / "a.json"
    a.write_text('{"close": ["ST-06"]}', encoding="utf-8")
    out = run("compare", "base", str(a), "--minutes", "60", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["b"]["close"] == ["ST-06"] and "60" in d["thresholds"]
    assert any(c["island_id"] == "ZS-0044" for c in d["changed_islands"])  # 蚂蚁岛 loses its own station
    text = run("compare", "base", str(a)).stdout
    assert "islands whose station or ETA changed" in text
    bad = tmp_path / "bad.json"
    bad.write_text('{"wnid": 7}', encoding="utf-8")
    out = run("compare", "base", str(bad))
    assert out.returncode == 2 and "unknown field wnid" in out.stderr and "Traceback" not in out.stderr


def test_compare_does_not_list_islands_unreachable_in_both(router):
    """An island cut off in both scenarios has not changed (pandas' NaN != NaN must not say it has)."""
    model = CoverageModel(router)
    storm = Weather.uniform(8)
    out = model.compare(Scenario(weather=storm), Scenario(weather=storm, close=("ST-06",)), (60,))
    both = set(model.report(Scenario(weather=storm), (60,)).to_dict()["unreachable"])
    assert both and not both & {c["island_id"] for c in out["changed_islands"]}
