"""The islandcover command: outputs and one-line errors with exit code 2."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from commands import run_command


def run(*args: str) -> subprocess.CompletedProcess:
    """``python -m islandcover.cli ARGS`` in a process of its own: the console script's entry point (the
    summary and a usage error); the other tests run the command in the test process (tests/commands.py)."""
    return subprocess.run([sys.executable, "-m", "islandcover.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_summary_counts_by_district():
    out = run("summary", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["district"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {"定海区", "普陀区", "岱山县", "嵊泗县", "total"}
    assert rows["total"]["light_stations"] == 12
    assert rows["total"]["powered_islands"] == sum(rows[d]["powered_islands"] for d in ("定海区", "普陀区", "岱山县", "嵊泗县"))


def test_islands_geojson_lists_powered_islands_with_required_properties():
    out = run_command("islands", "--format", "geojson", "--powered")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    props = [f["properties"] for f in doc["features"]]
    assert len(props) > 40
    for p in props:
        assert {"id", "name_zh", "name_en", "district", "area_km2", "population", "powered"} <= set(p)
        assert p["powered"] is True
    mayi = next(p for p in props if p["name_zh"] == "蚂蚁岛")
    assert mayi["district"] == "普陀区" and mayi["population"] == 4485


def test_islands_csv_has_a_header_and_one_row_per_island():
    out = run_command("islands", "--format", "csv", "--district", "嵊泗县")
    assert out.returncode == 0
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("id,")
    assert all(",嵊泗县," in line for line in lines[1:])


def test_bad_stations_file_exits_2_with_one_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("id,name_zh,lon,lat\nA,x,116.4,39.9\n", encoding="utf-8")
    out = run_command("summary", "--stations", str(p))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "bad.csv, row 1, field 'lon/lat'" in out.stderr
    assert "Traceback" not in out.stderr


def test_usage_error_exits_2_with_one_line():
    out = run("islands", "--format", "shapefile")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1


def test_typhoon_forces_are_winds_and_force_18_is_not(run_cli, tmp_path, monkeypatch):
    # Chinese bulletins grade typhoon winds to force 17 (GB/T 28591-2012); at 15 every sea lane is shut
    monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path))
    rc, out, err = run_cli(["route", "ST-03", "蚂蚁岛", "--wind", "15", "--state", "none", "--json"])
    assert rc == 0, err
    assert json.loads(out)["status"] == "unreachable"
    for wind in ("18", "40"):
        rc, out, err = run_cli(["route", "ST-03", "蚂蚁岛", "--wind", wind, "--state", "none"])
        assert rc == 2 and out == "" and err.count("\n") == 1, err
        # refused while the options are read, before the model loads
        assert err.startswith(f"islandcover route: error: argument --wind: wind force {wind} is out of range: 0–17 on "
                              "the Chinese scale (GB/T 28591-2012"), err


@pytest.mark.parametrize("args, label", [(["ST-03", "无名岛"], "TO"), (["P-99", "蚂蚁岛"], "FROM")])
def test_route_says_which_place_is_unknown(run_cli, tmp_path, monkeypatch, args, label):
    monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path))
    rc, out, err = run_cli(["route", *args, "--state", "none"])
    assert rc == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith(f"islandcover: error: {label}: no "), err


def test_every_command_builds_from_its_own_group_alone(capsys) -> None:
    import argparse
    from importlib import import_module

    from islandcover.cli.main import COMMANDS, GROUPS, build_parser

    for group in GROUPS:  # the table names exactly the commands each group adds
        sub = argparse.ArgumentParser().add_subparsers()
        import_module(f"islandcover.cli.{group}").add_commands(sub)
        assert {c for c, g in COMMANDS.items() if g == group} == set(sub.choices), group
    for command in COMMANDS:  # one command's parser gives the help the full parser gives
        helps = []
        for parser in (build_parser(command), build_parser()):
            with pytest.raises(SystemExit) as stop:
                parser.parse_args([command, "--help"])
            assert stop.value.code == 0
            helps.append(capsys.readouterr().out)
        assert helps[0] == helps[1] and command in helps[0]
