"""``islandcover coverage --sweep FILE``: one CSV row per scenario, each the coverage of that scenario alone;
progress on stderr; a bad row is one line on stderr naming the row and the field (exit 2)."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from islandcover.planning.coverage import CoverageModel
from islandcover.planning.scenario import Scenario

SPECS = [
    {"name": "calm"},
    {"name": "gale without ST-06", "close": ["ST-06"], "wind": 8},
    {"add": ["蚂蚁岛"], "move": [["ST-03", "122.3,30.1"]], "wind": 6},
]


@pytest.fixture()
def sweep_file(tmp_path):
    f = tmp_path / "plans.jsonl"
    f.write_text("\n".join(json.dumps(s, ensure_ascii=False) for s in SPECS) + "\n", encoding="utf-8")
    return f


def test_one_row_per_scenario_equal_to_coverage_of_that_scenario_alone(run_cli, sweep_file, tmp_path, router):
    rc, out, err = run_cli(["coverage", "--sweep", str(sweep_file), "--minutes", "45", "90", "--state", "none"])
    assert rc == 0, err
    rows = pd.read_csv(io.StringIO(out), keep_default_na=False)
    assert list(rows.columns) == ["row", "name", "wind", "typhoon", "vessel", "stations", "closed", "added", "moved",
                                  "islands_within_45_share", "people_within_45_share", "islands_within_90_share",
                                  "people_within_90_share", "mean_eta_min", "unreachable_islands", "people_cut_off"]
    assert rows.row.tolist() == [1, 2, 3] and rows.name.tolist() == ["calm", "gale without ST-06", "row 3"]
    model = CoverageModel(router)
    for k, spec in enumerate(SPECS):
        sc = Scenario.from_spec({key: v for key, v in spec.items() if key != "name"})
        d = model.report(sc, [45, 90]).to_dict()
        row = rows.iloc[k]
        assert row.wind == spec.get("wind", 0) and row.stations == len(d["stations"])
        for t in ("45", "90"):
            assert row[f"islands_within_{t}_share"] == d["thresholds"][t]["islands_covered_share"]
            assert row[f"people_within_{t}_share"] == d["thresholds"][t]["people_covered_share"]
        assert row.mean_eta_min == d["mean_eta_min"]
        assert row.unreachable_islands == len(d["unreachable"]) and row.people_cut_off == d["unreachable_people"]
    assert rows.unreachable_islands.iloc[1] > 0  # force 8 cuts islands off
    assert "3/3 scenarios done" in err  # progress on stderr, never in the CSV

    # --out writes the same rows to a file and nothing to stdout
    f = tmp_path / "rows.csv"
    rc, out2, err2 = run_cli(["coverage", "--sweep", str(sweep_file), "--minutes", "45", "90", "--out", str(f)])
    assert rc == 0, err2
    assert out2 == "" and f.read_text(encoding="utf-8") == out
    assert f"wrote {f}" in err2


@pytest.mark.parametrize("lines, where", [
    (['{"wind": 7}', '{"close": ["ST-99"]}'], "row 2, field 'close[0]'"),
    (['{"wind": 7}', "", '{"wind": 7, "colse": ["ST-01"]}'], "row 3, field 'colse'"),
    (['[{"wind": 7}, {"vessel": "yacht"}]'], "row 2, field 'vessel'"),
    (['{"wind": 7}', '{"wind": 7'], "row 2"),
])
def test_a_bad_row_exits_2_with_one_line_naming_the_row_and_field(run_cli, tmp_path, lines, where):
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, out, err = run_cli(["coverage", "--sweep", str(f)])
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("islandcover: error: bad.jsonl, ") and where in err


@pytest.mark.parametrize("argv, word", [
    (["--close", "ST-01"], "leave out --close"),
    (["--wind", "7"], "leave out --wind"),
    (["--json"], "leave out --json"),
    (["--workers", "-1"], "workers"),
    (["--scheduler", "localhost"], "tcp://HOST:PORT"),
])
def test_options_that_do_not_go_with_a_sweep_exit_2(run_cli, sweep_file, argv, word):
    rc, out, err = run_cli(["coverage", "--sweep", str(sweep_file), *argv])
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and word in err


@pytest.mark.parametrize("argv", [["--out", "x.csv"], ["--workers", "2"]])
def test_sweep_options_without_a_sweep_exit_2(run_cli, argv):
    rc, out, err = run_cli(["coverage", *argv])
    assert rc == 2 and out == "" and "go with --sweep" in err


def test_workers_and_scheduler_exclude_each_other(run_cli, sweep_file):
    rc, _, err = run_cli(["coverage", "--sweep", str(sweep_file), "--workers", "2", "--scheduler", "tcp://h:8786"])
    assert rc == 2 and "not allowed with" in err
