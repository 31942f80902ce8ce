"""The beacon chart draws the supply stations (站所) and demonstration posts (示范岗) as layers."""
from __future__ import annotations

import pandas as pd
import pytest

from islandcover.chart.beacon import beacon_chart
from islandcover.io.organisation import load_organisation, read_demo_posts


@pytest.fixture(scope="module")
def org(arch):
    return load_organisation(arch.source, arch.islands, resolve=lambda ref: arch.island(ref).id)


@pytest.fixture(scope="module")
def posts(arch, org, tmp_path_factory):
    path = tmp_path_factory.mktemp("posts") / "demo_posts.csv"
    pd.DataFrame([{"id": "P-1", "name_zh": "测试示范岗", "name_en": "Test post", "station_id": "SS-01",
                   "island": "庙子湖岛", "lon": 122.68186, "lat": 30.19789, "illustrative": "true"}]).to_csv(
        path, index=False)
    return read_demo_posts(path, arch.islands, stations=org.supply_stations)


def calm(arch) -> pd.Series:
    return pd.Series(30.0, index=arch.powered.index)


@pytest.mark.parametrize(("lang", "station_layer", "post_layer"), [
    ("zh", "供电所（站所）", "示范岗"),
    ("en", "Power supply stations (站所)", "Demonstration posts (示范岗)"),
])
def test_chart_names_the_new_layers(arch, org, posts, lang, station_layer, post_layer):
    page = beacon_chart(arch, calm(arch), lang=lang, supply_stations=org.supply_stations,
                        demo_posts=posts).get_root().render()
    assert station_layer in page and post_layer in page
    assert page.count('"ic-supply-station"') == len(org.supply_stations)
    assert page.count('"ic-demo-post"') == 1
    assert "东极供电服务站" in page


def test_without_the_layers_the_chart_has_none(arch):
    page = beacon_chart(arch, calm(arch), lang="en").get_root().render()
    assert "Power supply stations" not in page
    assert '"ic-demo-post"' not in page and '"ic-supply-station"' not in page


def test_the_scenario_chart_reads_the_data_folder(router):
    from islandcover.chart.beacon import scenario_chart
    from islandcover.planning.coverage import CoverageModel
    from islandcover.planning.scenario import Scenario

    m, _ = scenario_chart(CoverageModel(router), Scenario(), lang="zh")
    page = m.get_root().render()
    assert "供电所（站所）" in page and "东极供电服务站" in page
    assert "http://" not in page.split("<script>")[0]  # nothing remote in the head but what was there
