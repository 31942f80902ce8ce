"""The shipped bridges (``data/islands/bridges.csv``) held against a second, independent source.

Each fact below comes from a page that ``bridges.csv`` does *not* cite for it, so a wrong row
cannot agree with itself: the value is written here as a literal, with its source. A sample
only (issue 17): the rest of the table rests on the sources in its ``source`` column.
"""
from __future__ import annotations

import pytest

from islandcover.config import DEFAULT_DATA_DIR
from islandcover.travel.network import read_bridges

# (bridge name_zh, field, value, independent source)
INDEPENDENT = [
    # Xihoumen Bridge, "Opened 25 December 2009", "Linking Jintang and Cezi islands"
    # https://en.wikipedia.org/wiki/Xihoumen_Bridge
    ("西堠门大桥", "opened", 2009, "https://en.wikipedia.org/wiki/Xihoumen_Bridge"),
    ("西堠门大桥", "ends", {"册子岛", "金塘岛"}, "https://en.wikipedia.org/wiki/Xihoumen_Bridge"),
    # "The Zhoushan-Daishan Bridge, connecting Zhoushan Island and its outlying Daishan Island,
    # officially opened to traffic Wednesday" (2021-12-29), ecns via People's Daily Online
    # http://en.people.cn/n3/2021/1231/c90000-9939836.html
    ("舟岱大桥 (舟山–长白)", "opened", 2021, "http://en.people.cn/n3/2021/1231/c90000-9939836.html"),
    ("舟岱大桥 (长白–岱山)", "opened", 2021, "http://en.people.cn/n3/2021/1231/c90000-9939836.html"),
    # 中交二航局 2021-01-25: "魚山大橋、富翅門大橋已分別於2018年、2019年建成通車"
    # http://lsj088.com/jggc/ygqy/info_3942.aspx?ezeip=jwrhxh6qfldxzayozbxqha%3D%3D&itemid=65045
    ("鱼山大桥", "opened", 2018, "lsj088.com (中交二航局 news, 2021-01-25)"),
    ("富翅门大桥", "opened", 2019, "lsj088.com (中交二航局 news, 2021-01-25)"),
    # 2018 construction report: the catwalk runs "从官山侧主塔直接步行至秀山侧主塔", boats pass
    # "官山岛与秀山岛之间海域" -- the bridge joins 官山 and 秀山, not 岱山本岛
    # https://m.zjtcn.com/news/4576030.html
    ("秀山大桥", "ends", {"官山岛", "秀山岛"}, "https://m.zjtcn.com/news/4576030.html"),
    # 秀山大桥名片 (2018): "秀山大桥全长3.063公里"  https://600zi.400zi.cn/e/4/12/XKwBADwdOP.html
    ("秀山大桥", "length_km", 3.063, "https://600zi.400zi.cn/e/4/12/XKwBADwdOP.html"),
    # project notice: "2011年9月13日,329国道舟山朱家尖大桥扩建工程(观音大桥)正式通车"
    # https://dwsky.com/spot/v50930.html
    ("观音大桥", "opened", 2011, "https://dwsky.com/spot/v50930.html"),
    ("观音大桥", "ends", {"舟山岛(普陀部分)", "朱家尖岛"}, "https://dwsky.com/spot/v50930.html"),
    # 中新网 2011-08-06 (typhoon 梅花): "G9211甬舟高速(舟山跨海大桥)桥面风力10级,晚间7点半开始,全线封道"
    # -- closed at force 10, so open up to 9 (a link closes when the wind exceeds its limit)
    # https://www.franceqw.com/article-5535-1.html
    ("西堠门大桥", "max_wind", 9, "https://www.franceqw.com/article-5535-1.html"),
    ("岑港大桥", "max_wind", 9, "https://www.franceqw.com/article-5535-1.html"),
]


@pytest.fixture(scope="module")
def bridges():
    return read_bridges(DEFAULT_DATA_DIR).set_index("name_zh", drop=False)


@pytest.mark.parametrize(("name", "field", "value", "source"), INDEPENDENT,
                         ids=[f"{n}-{f}" for n, f, _v, _s in INDEPENDENT])
def test_a_sample_of_bridges_agrees_with_an_independent_source(bridges, name, field, value, source):
    assert name in bridges.index, f"{name} is missing from bridges.csv ({source})"
    row = bridges.loc[name]
    if field == "ends":
        assert {row["island_a"], row["island_b"]} == value, source
    elif field == "length_km":
        assert float(row["length_km"]) == pytest.approx(value, abs=0.005), source
    else:
        assert row[field].strip() and int(row[field]) == value, source


def test_every_bridge_joins_two_different_islands_of_the_model(arch, bridges):
    for _, b in bridges.iterrows():
        a, c = arch.island(b["island_a"]), arch.island(b["island_b"])
        assert a.id != c.id, f"{b['name_zh']} has both ends on {a.name_zh}"


def test_bridge_names_are_unique_and_rows_are_complete(bridges):
    # the routing keys each bridge's own wind limit (and a config override) by its name
    assert bridges["name_zh"].is_unique
    assert set(bridges["kind"]) <= {"bridge", "causeway", "tunnel"}
    for _, b in bridges.iterrows():
        assert b["source"].strip() and b["confidence"] in {"H", "M", "L"}, b["name_zh"]
        if b["opened"].strip():
            assert 1950 <= int(b["opened"]) <= 2026, b["name_zh"]
        if b["length_km"].strip():
            assert 0 < float(b["length_km"]) < 40, b["name_zh"]
