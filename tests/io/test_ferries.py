"""The scheduled ferry services: data, published crossing times, real suspensions, bad files."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from islandcover import Archipelago
from islandcover.config import DEFAULT_DATA_DIR
from islandcover.errors import DataError
from islandcover.travel.weather import Weather

# Every published one-way crossing time in data/islands/ferries.csv, with its source. The model's
# time of that sailing (berthing + sea path along the lanes at the service's speed; boarding
# excluded) must agree within 25 %.
PUBLISHED = [
    ("F-01", 15, "朱家尖蜈蚣峙→普陀山 conventional, self-drive guide http://39.103.169.235/p/3d150d9e8a97 (M)"),
    ("F-03", 15, "沈家门半升洞→普陀山 fast ferry, https://wikivoyage.cn/wiki/Putuoshan (M)"),
    ("F-06", 15, "朱家尖蜈蚣峙→白沙 speedboat, zixundingzhi.com/shengtuolini/aafb7e334cd54293.html (L)"),
    ("F-08", 25, "墩头→桃花 speedboat 9:10→9:35, kllvx.com travel note 2007 (L)"),
    ("F-18", 120, "半升洞→东极庙子湖, https://www.sgpabj.com/gonglue/k125967.html (M; a 2020 blog: 150)"),
    ("F-19", 40, "庙子湖→东福山, https://m.huocheso.com/youji-12020 (M)"),
    ("F-33", 60, "沈家湾→李柱山 speedboat, http://trklw.com/Fourcharacteridiom/bgfv6bu7wh.html (L)"),
    ("F-34", 90, "沈家湾→枸杞 direct speedboat, ae.trip.com moment (L)"),
    ("F-35", 180, "沈家湾→枸杞 direct conventional, ae.trip.com moment (L)"),
    ("F-36", 50, "小菜园→枸杞 speedboat, 浙江在线 2010-05-04 (M)"),
    ("F-37", 90, "小菜园→枸杞 conventional direct, 浙江在线 2010-05-04 (M)"),
    ("F-38", 60, "小菜园→嵊山 茂盛六号 15:30, 1 h, http://jd.tootour.com/m/a/44777.html (M)"),
]
# Published, but the model disagrees by more than 25 % (data/islands/README.md says why).
DISAGREES = [
    ("F-05", 20, "朱家尖乌石塘→白沙 conventional 20 min for 3 km (4.7 kn implied): the pier is probably deeper "
                 "in 樟州湾 than placed, or the time includes boarding (L source)"),
]


def _modelled(router, fid):
    e = int(np.flatnonzero((router.net.edge_mode == "ferry") & (router.net.edge_name == fid))[0])
    service = router.arch.ferries.at[fid, "service"]
    return float(router.edge_minutes("ferry")[0][e]) - router.params.service(service).launch_min


def test_the_list_is_every_published_time_in_the_data(arch):
    timed = arch.ferries[arch.ferries.crossing_min.notna()]
    assert sorted(timed.index) == sorted(f for f, *_ in PUBLISHED + DISAGREES)
    for fid, minutes, _ in PUBLISHED + DISAGREES:
        assert timed.at[fid, "crossing_min"] == minutes
        assert timed.at[fid, "crossing_source"].startswith("http")


@pytest.mark.parametrize("fid, published_min, source", PUBLISHED)
def test_modelled_crossing_agrees_with_the_published_time(router, fid, published_min, source):
    assert _modelled(router, fid) == pytest.approx(published_min, rel=0.25), source


@pytest.mark.parametrize("fid, published_min, why", DISAGREES)
def test_known_disagreement_is_still_a_disagreement(router, fid, published_min, why):
    """If this starts agreeing, move it to PUBLISHED and drop the note in the data README."""
    assert abs(_modelled(router, fid) / published_min - 1) > 0.25, why


def test_crossing_time_is_berthing_plus_distance_over_speed(router):
    """Hand calculation for 庙子湖→东福山 (conventional, 12 kn): 5 min + km / 22.224 km/h."""
    e = int(np.flatnonzero(router.net.edge_name == "F-19")[0])
    km = router.net.edge_len_m[e] / 1000
    assert _modelled(router, "F-19") == pytest.approx(5 + km / (12 * 1.852) * 60)


def _sailing_open(router, fid, wind):
    e = int(np.flatnonzero(router.net.edge_name == fid)[0])
    return bool(router.open_edges("ferry", Weather.uniform(wind))[e])


def test_2024_01_15_force_6_to_7_stops_the_high_speed_boats_of_the_northern_routes(router, arch):
    """'north wind 6–7 gusting 8: all high-speed boats on Zhoushan's northern routes stopped' (china.com.cn)."""
    north = ["F-33", "F-34", "F-36", "F-38", "F-26"]  # 嵊泗 high-speed crossings, and 三江–嵊泗
    assert all(arch.ferries.at[f, "service"] == "high-speed" for f in north)
    assert not any(_sailing_open(router, f, 6) for f in north)
    assert all(_sailing_open(router, f, 6) for f in ["F-35", "F-37", "F-18"])  # conventional boats still run


def test_2023_04_fog_and_force_8_putuoshan_conventional_boats_ran_while_speedboats_stopped(router):
    """CCTV 2023-04-29: 朱家尖/墩头–普陀山 conventional boats kept running; the speedboats stopped."""
    assert _sailing_open(router, "F-01", 8) and _sailing_open(router, "F-04", 8)
    assert not _sailing_open(router, "F-02", 8) and not _sailing_open(router, "F-03", 8)


def test_2023_12_16_force_10_stops_every_route(router, arch):
    """'force-10 cold wave: all 70 Zhoushan routes stopped' (china.com.cn)."""
    assert not any(_sailing_open(router, f, 10) for f in arch.ferries.index)
    assert all(_sailing_open(router, f, 3) for f in arch.ferries.index)


def test_a_ferry_team_goes_by_road_and_sailings_only(router):
    trip = router.trip("T-03C", "东福山岛", Weather.uniform(3))
    assert trip is not None
    assert {leg.mode for leg in trip.legs} <= {"road", "bridge", "ferry"}
    assert [leg.via.split()[0] for leg in trip.legs if leg.mode == "ferry"] == ["F-18", "F-19"]


# ---------------------------------------------------------------------- bad files
def _copy(tmp_path):
    for name in ("islands.geojson", "stations.geojson", "teams.csv", "bridges.csv", "piers.csv", "ferries.csv"):
        (tmp_path / name).write_bytes((DEFAULT_DATA_DIR / name).read_bytes())
    return tmp_path


def _edit(path, row, col, value):
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    t.loc[row - 1, col] = value
    t.to_csv(path, index=False)


@pytest.mark.parametrize("file, row, col, value, words", [
    ("piers.csv", 2, "island", "无名岛", "piers.csv, row 2, field 'island': no island named '无名岛'"),
    ("piers.csv", 3, "lon", "122.6", "piers.csv, row 3, field 'lon/lat': pier is"),
    ("piers.csv", 1, "lat", "north", "piers.csv, row 1, field 'lat': not a number: 'north'"),
    ("piers.csv", 4, "id", "P-01", "piers.csv, row 4, field 'id': duplicate id 'P-01'"),
    ("ferries.csv", 5, "service", "hovercraft", "ferries.csv, row 5, field 'service': unknown service 'hovercraft'"),
    ("ferries.csv", 6, "to_pier", "P-99", "ferries.csv, row 6, field 'to_pier': unknown pier 'P-99'"),
    ("ferries.csv", 2, "crossing_min", "-5", "ferries.csv, row 2, field 'crossing_min'"),
    ("ferries.csv", 3, "in_service_source", "", "ferries.csv, row 3, field 'in_service_source': missing"),
])
def test_a_bad_pier_or_ferry_row_is_named(tmp_path, file, row, col, value, words):
    folder = _copy(tmp_path)
    _edit(folder / file, row, col, value)
    with pytest.raises(DataError) as exc:
        Archipelago.load(folder)
    assert str(exc.value).startswith(words)


def test_a_folder_without_ferries_has_no_sailings(tmp_path):
    folder = _copy(tmp_path)
    (folder / "piers.csv").unlink()
    (folder / "ferries.csv").unlink()
    arch = Archipelago.load(folder)
    assert arch.piers.empty and arch.ferries.empty
