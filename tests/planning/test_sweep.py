"""Planner sweeps (islandcover.planning.sweep): every row is the coverage report of its scenario alone;
bad rows are named by row and field before any work; the batch runner keeps the order."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from islandcover.errors import IslandcoverError, ScenarioError, SweepError
from islandcover.planning.coverage import CoverageModel
from islandcover.planning.scenario import Scenario
from islandcover.planning.sweep import (
    check_sweep,
    read_sweep,
    run_sweep,
    sweep_columns,
)

SPECS = [
    {"name": "base"},
    {"close": ["ST-06"], "wind": 7},
    {"add": ["蚂蚁岛", "122.3,30.1"], "wind": 6, "vessel": "fast"},
    {"move": [["ST-03", "庙子湖岛"]], "name": "ST-03 to 庙子湖"},
    {"typhoon": {"lon": 122.6, "lat": 29.9, "r7_km": 250, "r10_km": 80}},
]
MINUTES = [30, 60]


@pytest.fixture(scope="module")
def model(router):
    return CoverageModel(router)


@pytest.fixture(scope="module")
def alone(router):
    """A second model, so no row can borrow a cached matrix of the sweep's."""
    return CoverageModel(router)


def _jsonl(tmp_path, specs, name="sweep.jsonl", blank_after: int | None = None):
    lines = [json.dumps(s, ensure_ascii=False) for s in specs]
    if blank_after is not None:
        lines.insert(blank_after, "")
    f = tmp_path / name
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f


def _expected(report, minutes) -> dict:
    """The row's numbers worked out from the report's per-island table, not from its to_dict."""
    t = report.table
    eta, people = t.eta_min, t.people
    out = {}
    for m in minutes:
        covered = eta <= m
        out[f"islands_within_{m}_share"] = round(float(covered.mean()), 4)
        out[f"people_within_{m}_share"] = round(float(people[covered].sum() / people.sum()), 4)
    out["mean_eta_min"] = round(float(eta.dropna().mean()), 1) if eta.notna().any() else None
    out["unreachable_islands"] = int(eta.isna().sum())
    out["people_cut_off"] = int(round(float(people[eta.isna()].fillna(0).sum())))
    out["stations"] = len(report.stations)
    return out


class TestSynthetic:
    def test_each_row_is_the_report_of_its_scenario_alone(self, tmp_path, model, alone):
        entries = read_sweep(_jsonl(tmp_path, SPECS))
        table = run_sweep(model, entries, MINUTES, workers=0)
        assert list(table.columns) == sweep_columns(MINUTES)
        assert len(table) == len(SPECS) and table.attrs["runner"] == "serial"
        for k, spec in enumerate(SPECS):
            row = table.iloc[k]
            sc = Scenario.from_spec({key: v for key, v in spec.items() if key != "name"})
            want = _expected(alone.report(sc, MINUTES), MINUTES)
            for col, v in want.items():
                got = row[col]
                if v is None:
                    assert pd.isna(got), (k, col)
                else:
                    assert got == pytest.approx(v, abs=1e-9), (k, col, got, v)
        # the columns that say what each scenario was
        assert table.name.tolist() == ["base", "row 2", "row 3", "ST-03 to 庙子湖", "row 5"]
        assert table.wind.tolist()[:4] == [0, 7, 6, 0] and pd.isna(table.wind.iloc[4])
        assert table.typhoon.tolist() == ["", "", "", "", "122.6,29.9,250,80"]
        assert table.vessel.tolist() == ["workboat", "workboat", "fast", "workboat", "workboat"]
        assert table.closed.iloc[1] == "ST-06" and table.stations.iloc[1] == 11
        assert table.added.iloc[2] == "蚂蚁岛;122.3,30.1" and table.stations.iloc[2] == 14
        assert table.moved.iloc[3] == "ST-03=庙子湖岛"
        # a storm cuts islands off: the row says how many and how many people
        assert table.unreachable_islands.iloc[4] > 0 and table.people_cut_off.iloc[4] > 0

    def test_a_json_list_and_json_lines_give_the_same_rows(self, tmp_path, model):
        lst = tmp_path / "sweep.json"
        lst.write_text(json.dumps(SPECS[:3], ensure_ascii=False, indent=2), encoding="utf-8")
        a = run_sweep(model, read_sweep(lst), MINUTES, workers=0)
        b = run_sweep(model, read_sweep(_jsonl(tmp_path, SPECS[:3], blank_after=1)), MINUTES, workers=0)
        assert a.row.tolist() == [1, 2, 3]  # positions in the list
        assert b.row.tolist() == [1, 3, 4]  # lines of the file (line 2 is blank)
        cols = [c for c in a.columns if c not in ("row", "name")]
        pd.testing.assert_frame_equal(a[cols], b[cols])

    def test_the_vessel_option_is_the_default_of_rows_without_one(self, tmp_path):
        entries = read_sweep(_jsonl(tmp_path, [{}, {"vessel": "workboat"}]), vessel="fast")
        assert [e.scenario.vessel for e in entries] == ["fast", "workboat"]

    def test_thresholds_give_their_columns_once(self):
        assert sweep_columns([45, 45.0, 37.5])[9:13] == ["islands_within_45_share", "people_within_45_share",
                                                         "islands_within_37.5_share", "people_within_37.5_share"]


class TestErrorsWarnings:
    @pytest.mark.parametrize("lines, row, field, word", [
        (['{"wind": 7}', '{"wnd": 7}'], 2, "wnd", "unknown field"),
        (['{"wind": 30}'], 1, "wind", "out of range"),
        (['{"wind": "7"}'], 1, "wind", "whole force"),
        (['{"close": "ST-01"}'], 1, "close", "must be a list"),
        (['{"close": [3]}'], 1, "close[0]", "must be text"),
        (['{"move": [["ST-01"]]}'], 1, "move", "pair"),
        (['{"vessel": "yacht"}'], 1, "vessel", "workboat, fast or ferry"),
        (['{"typhoon": {"lon": 122.6, "lat": 29.9, "r7_km": 50, "r10_km": 80}}'], 1, "typhoon", "R10"),
        (['{"wind": 7, "typhoon": {"lon": 122.6, "lat": 29.9, "r7_km": 250, "r10_km": 80}}'], 1, "typhoon",
         "not both"),
        (['{"name": 5}'], 1, "name", "text"),
        (['{}', '', '[1, 2]'], 3, None, "JSON object"),
        (['{}', '{"wind": 7'], 2, None, "not a JSON object"),
    ])
    def test_a_bad_row_is_named_by_row_and_field(self, tmp_path, lines, row, field, word):
        f = tmp_path / "bad.jsonl"
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with pytest.raises(SweepError, match=word) as exc:
            read_sweep(f)
        assert (exc.value.row, exc.value.field) == (row, field)
        assert str(exc.value).startswith(f"bad.jsonl, row {row}")
        assert isinstance(exc.value, ScenarioError) and isinstance(exc.value, ValueError)

    @pytest.mark.parametrize("spec, field, word", [
        ({"close": ["ST-99"]}, "close[0]", "no light station 'ST-99'"),
        ({"close": ["ST-01", "ST-01"]}, "close[1]", "closed twice"),
        ({"close": ["ST-01"], "move": [["ST-01", "蚂蚁岛"]]}, "move[0]", "closed or moved already"),
        ({"move": [["ST-02", "no such island"]]}, "move[0]", "no island"),
        ({"add": ["蚂蚁岛", "122.0,25.0"]}, "add[1]", "outside the archipelago"),
    ])
    def test_a_station_or_place_the_model_lacks_is_named_before_any_work(self, tmp_path, model, spec, field, word):
        entries = read_sweep(_jsonl(tmp_path, [{"wind": 7}, spec]))
        with pytest.raises(SweepError, match=word) as exc:
            check_sweep(model, entries, "sweep.jsonl")
        assert (exc.value.row, exc.value.field) == (2, field)
        with pytest.raises(SweepError):  # run_sweep checks every row first
            run_sweep(model, entries, MINUTES, workers=0)

    @pytest.mark.parametrize("text, word", [("", "no scenarios"), ("[]", "no scenarios"), ("\n\n", "no scenarios"),
                                            ("[{}", "not a JSON list"), ('{"a": 1}x', "not a JSON object")])
    def test_an_empty_or_broken_file_is_refused(self, tmp_path, text, word):
        f = tmp_path / "s.json"
        f.write_text(text, encoding="utf-8")
        with pytest.raises(SweepError, match=word):
            read_sweep(f)

    def test_a_missing_file_is_named(self, tmp_path):
        with pytest.raises(SweepError, match="no such file"):
            read_sweep(tmp_path / "nope.jsonl")

    @pytest.mark.parametrize("minutes", [[0], [-5], [2000], [np.nan]])
    def test_thresholds_out_of_range_are_refused(self, tmp_path, model, minutes):
        entries = read_sweep(_jsonl(tmp_path, [{}]))
        with pytest.raises(IslandcoverError, match="threshold"):
            run_sweep(model, entries, minutes, workers=0)
