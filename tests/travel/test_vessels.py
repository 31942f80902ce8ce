"""Travel parameters: defaults, overrides from TOML, and clear errors."""
from __future__ import annotations

import pytest

from islandcover.errors import ConfigError
from islandcover.travel.vessels import load_parameters


def test_defaults_follow_the_documented_evidence():
    p = load_parameters()
    assert p.vessel("fast").max_wind_open == 5  # 2024-01-15: high-speed boats stopped at 6–7
    assert p.bridge_max_wind == 9  # G9211 closed at force 10 (2011)
    for service in ("conventional", "ro-ro", "high-speed"):  # force 10 stopped all 70 routes (2023)
        assert max(p.service(service).max_wind_sheltered, p.service(service).max_wind_open) < 10
    assert p.service("high-speed").max_wind_open == 5  # the same 2024-01-15 suspension, scheduled boats


def test_toml_overrides_one_value_and_keeps_the_rest(tmp_path):
    f = tmp_path / "travel.toml"
    f.write_text("[vessels.fast]\nspeed_kn = 30\n[bridge]\nmax_wind = 8\n", encoding="utf-8")
    p = load_parameters(f)
    assert p.vessel("fast").speed_kn == 30 and p.vessel("fast").max_wind_open == 5
    assert p.bridge_max_wind == 8


@pytest.mark.parametrize("text, words", [
    ("[vessels.fast]\nspeed_kn = -3\n", "vessels.fast.speed_kn = -3 is out of range"),
    ("[bridge]\nmax_wind = 40\n", "bridge.max_wind = 40 is out of range"),
    ("[boats]\n", "unknown section"),
    ("[vessels.fast]\nspeed = 3\n", "unknown key"),
    ("not toml [", "cannot read"),
])
def test_bad_config_names_the_key(tmp_path, text, words):
    f = tmp_path / "travel.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words.replace(".", r"\.").replace("(", r"\(")):
        load_parameters(f)


def test_unknown_vessel_class_lists_the_known_ones():
    with pytest.raises(ConfigError, match="workboat, fast, ferry"):
        load_parameters().vessel("hovercraft")


@pytest.mark.parametrize("text, words", [
    ("[vessels.fast]\nmax_wind_open = 5.5\n", "vessels.fast.max_wind_open = 5.5 must be a whole Beaufort force"),
    ("[vessels.workboat]\nmax_wind_open = 9\n", "max_wind_open = 9 is above max_wind_sheltered = 7"),
    ('[bridges."西堠门大桥"]\nmax_wind = 8.5\n', 'bridges."西堠门大桥".max_wind = 8.5 must be a whole'),
    ("[services.hovercraft]\nspeed_kn = 40\n", "[services.hovercraft] is unknown"),
])
def test_bad_limits_are_refused(tmp_path, text, words):
    f = tmp_path / "travel.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        load_parameters(f)


def test_a_misspelt_bridge_in_the_config_is_named(arch, net, tmp_path):
    from islandcover.travel.routing import Router

    f = tmp_path / "travel.toml"
    f.write_text('[bridges."西堠门"]\nmax_wind = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no bridge called 西堠门: the bridges are"):
        Router(arch, net, load_parameters(f))


@pytest.mark.parametrize("value", ["abc", "8.5", "15"])
def test_a_bridge_limit_in_the_data_must_be_a_beaufort_force(tmp_path, value):
    import pandas as pd

    from islandcover.config import DEFAULT_DATA_DIR
    from islandcover.errors import DataError
    from islandcover.travel.network import read_bridges

    t = pd.read_csv(DEFAULT_DATA_DIR / "bridges.csv", dtype=str, keep_default_na=False)
    t["max_wind"] = ""
    t.loc[2, "max_wind"] = value
    t.to_csv(tmp_path / "bridges.csv", index=False)
    with pytest.raises(DataError, match="bridges.csv, row 3, field 'max_wind': max_wind must be a whole"):
        read_bridges(tmp_path)
