"""Travel parameters: defaults, overrides from TOML, and clear errors."""
from __future__ import annotations

import pytest

from islandcover.vessels import ConfigError, load_parameters


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
