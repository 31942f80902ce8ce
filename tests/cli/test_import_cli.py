"""``islandcover import`` and ``islandcover data check``: the operator's own data, first-class, from the command line."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from islandcover.cli.main import main
from islandcover.io.coordinates import wgs84_to_gcj02


@pytest.fixture
def overlay(tmp_path, monkeypatch):
    """A state folder of this test only, with ``$ISLANDCOVER_DATA`` unset: the default overlay ``<state>/data``."""
    monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("ISLANDCOVER_DATA", raising=False)
    return tmp_path / "state" / "data"


def _summary(capsys) -> dict[str, dict]:
    assert main(["summary", "--json"]) == 0
    return {r["district"]: r for r in json.loads(capsys.readouterr().out)}


def test_gcj02_stations_land_in_the_default_overlay_converted(arch, overlay, tmp_path, capsys):
    st = arch.stations[["id", "name_zh", "name_en", "kind", "lon", "lat"]].copy()
    st["lon"], st["lat"] = wgs84_to_gcj02(st["lon"], st["lat"])
    src = tmp_path / "ops.csv"
    st.to_csv(src, index=False)
    assert main(["import", "stations", str(src), "--crs", "GCJ-02"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"imported {len(st)} stations from ops.csv, coordinates GCJ-02 → WGS84: ")
    written = json.loads((overlay / "stations.geojson").read_text(encoding="utf-8"))
    lon = {f["properties"]["id"]: f["geometry"]["coordinates"][0] for f in written["features"]}
    assert (st.set_index("id")["lon"] - pd.Series(lon)).mean() == pytest.approx(0.0044, abs=0.0005)
    assert max(abs(lon[s] - arch.stations.at[s, "lon"]) for s in lon) < 1e-5


def test_teams_then_islands_show_in_the_summary(arch, overlay, tmp_path, capsys):
    before = _summary(capsys)
    teams = tmp_path / "teams.csv"
    teams.write_text("id,name,station_id,boat_class,head_count\nT-1,一队,ST-01,fast,4\nT-2,二队,ST-03,workboat,5\n",
                     encoding="utf-8")
    assert main(["import", "teams", str(teams)]) == 0
    islands = tmp_path / "powered.csv"
    islands.write_text("name,powered,population,pop_year\n东福山岛,true,1000,2025\n马迹山,false,,\n", encoding="utf-8")
    assert main(["import", "islands", str(islands)]) == 0
    capsys.readouterr()
    after = _summary(capsys)
    assert after["total"]["teams"] == 2
    dongfushan = arch.island("东福山岛")
    assert after["普陀区"]["people"] == before["普陀区"]["people"] - (dongfushan.population or 0) + 1000
    assert after["嵊泗县"]["powered_islands"] == before["嵊泗县"]["powered_islands"] - 1
    assert main(["summary"]) == 0
    assert f"with your layers from {overlay}: islands_overlay.csv, teams.csv" in capsys.readouterr().out


def test_a_bad_row_exits_2_with_one_line_naming_row_and_field(overlay, tmp_path, capsys):
    src = tmp_path / "powered.csv"
    src.write_text("name,powered\n蚂蚁,true\n无名岛xyz,true\n", encoding="utf-8")
    assert main(["import", "islands", str(src)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("islandcover: error: powered.csv, row 2, field 'name': no island named '无名岛xyz'")
    assert not overlay.exists()


def test_an_explicit_data_folder_is_where_import_writes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ISLANDCOVER_DATA", str(tmp_path / "ops"))
    src = tmp_path / "t.csv"
    src.write_text("id,station_id,boat_class,head_count\nT-1,ST-01,fast,4\n", encoding="utf-8")
    assert main(["import", "teams", str(src)]) == 0
    assert (tmp_path / "ops" / "teams.csv").exists() and not (tmp_path / "state").exists()


def test_data_check_exits_0_then_1_with_the_injected_problem(overlay, tmp_path, capsys):
    assert main(["data", "check", "--json"]) in (0, 1)
    baseline = {p["message"] for p in json.loads(capsys.readouterr().out)["problems"]}
    overlay.mkdir(parents=True)
    (overlay / "teams.csv").write_text("id,station_id,boat_class,head_count\nT-1,ST-77,fast,4\n", encoding="utf-8")
    assert main(["data", "check"]) == 1
    lines = set(capsys.readouterr().out.splitlines()) - baseline
    assert lines == {"teams.csv, row 1, field 'station_id': team T-1 is at unknown station 'ST-77'"}


def test_data_check_of_a_missing_folder_exits_2(tmp_path, capsys):
    assert main(["data", "check", "--data", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_api_sees_the_imported_layers(overlay, tmp_path, config):
    import warnings

    from api.app import create_app
    from islandcover import Config

    src = tmp_path / "t.csv"
    src.write_text("id,station_id,boat_class,head_count\nT-1,ST-01,fast,4\n", encoding="utf-8")
    assert main(["import", "teams", str(src)]) == 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx2")
        from fastapi.testclient import TestClient
    app = create_app(Config.from_env().replace(cache_dir=config.cache_dir))
    with TestClient(app) as client:
        assert client.get("/health").json()["teams"] == 1
