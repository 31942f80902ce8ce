#!/usr/bin/env python3
"""Write the ILLUSTRATIVE stations and teams (``stations.geojson``, ``teams.csv``).

The operator's list of light stations (光明驿站) and teams is not public. This script writes
a clearly labelled illustrative set so the software can run: 12 light stations (one on
蚂蚁岛, which the public record names; the rest in the main towns of the larger inhabited
islands, spread over the four districts), a service point on every powered island, and
two or three teams per light station. Every feature and row carries ``illustrative=true``.
Replace it with the real list via ``islandcover ... --stations FILE --teams FILE``.
"""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import geopandas as gpd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "islands"

# (id, name_zh, name_en, island name in islands.geojson, lon, lat or None for the island's point)
LIGHT_STATIONS = [
    ("ST-01", "定海光明驿站", "Dinghai light station", "舟山岛(定海部分)", 122.1060, 30.0200),
    ("ST-02", "金塘光明驿站", "Jintang light station", "金塘岛", None, None),
    ("ST-03", "沈家门光明驿站", "Shenjiamen light station", "舟山岛(普陀部分)", 122.2960, 29.9580),
    ("ST-04", "六横光明驿站", "Liuheng light station", "六横岛", None, None),
    ("ST-05", "桃花光明驿站", "Taohua light station", "桃花岛", None, None),
    ("ST-06", "蚂蚁岛光明驿站", "Mayi Island light station", "蚂蚁岛", None, None),
    ("ST-07", "东极光明驿站", "Dongji light station", "庙子湖岛", None, None),
    ("ST-08", "高亭光明驿站", "Gaoting light station", "岱山岛", 122.2000, 30.2480),
    ("ST-09", "衢山光明驿站", "Qushan light station", "衢山岛", None, None),
    ("ST-10", "长涂光明驿站", "Changtu light station", "小长涂山", None, None),
    ("ST-11", "菜园光明驿站", "Caiyuan light station", "泗礁山", 122.4500, 30.7250),
    ("ST-12", "枸杞光明驿站", "Gouqi light station", "枸杞岛", None, None),
]
# stations in the four county seats get a third team with a ro-ro (vehicle) boat
SEATS = {"ST-01", "ST-03", "ST-08", "ST-11"}


def main() -> int:
    islands = gpd.read_file(DATA / "islands.geojson").set_index("name_zh", drop=False)
    gaz = {r["name_zh"]: r for r in csv.DictReader(open(DATA / "gazetteer.csv", encoding="utf-8"))}
    features = []
    for sid, zh, en, island, lon, lat in LIGHT_STATIONS:
        row = islands.loc[island]
        if lon is None:
            g = gaz[island]
            lon, lat = (float(g["lon"]), float(g["lat"])) if g["lon"] else (row.rep_lon, row.rep_lat)
        features.append(_feature(sid, zh, en, "light_station", lon, lat, row.id))
    for _, row in islands[islands.powered].sort_values("id").iterrows():
        g = gaz.get(row.name_zh, {})
        lon, lat = (float(g["lon"]), float(g["lat"])) if g.get("lon") else (row.rep_lon, row.rep_lat)
        sid = "SP-" + row.id.split("-")[1]
        features.append(_feature(sid, f"{row.name_zh}服务点", f"{row.name_en} service point",
                                 "service_point", lon, lat, row.id))
    doc = {
        "type": "FeatureCollection",
        "name": "stations (ILLUSTRATIVE: not the operator's list)",
        "features": features,
    }
    (DATA / "stations.geojson").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    rows = []
    for sid, zh, en, *_ in LIGHT_STATIONS:
        n = sid.split("-")[1]
        rows.append({"id": f"T-{n}A", "name": f"{zh} 抢修一队", "station_id": sid, "boat_class": "fast",
                     "head_count": 4, "status": "available", "illustrative": "true"})
        rows.append({"id": f"T-{n}B", "name": f"{zh} 抢修二队", "station_id": sid, "boat_class": "workboat",
                     "head_count": 6, "status": "available", "illustrative": "true"})
        if sid in SEATS:
            rows.append({"id": f"T-{n}C", "name": f"{zh} 车载抢修队", "station_id": sid, "boat_class": "ferry",
                         "head_count": 5, "status": "available", "illustrative": "true"})
    with open(DATA / "teams.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(features)} stations ({len(LIGHT_STATIONS)} light stations) and {len(rows)} teams")
    return 0


def _feature(sid: str, zh: str, en: str, kind: str, lon: float, lat: float, island_id: str) -> dict:
    return {
        "type": "Feature",
        "properties": {"id": sid, "name_zh": zh, "name_en": en, "kind": kind, "island_id": island_id,
                       "illustrative": True},
        "geometry": {"type": "Point", "coordinates": [round(float(lon), 5), round(float(lat), 5)]},
    }


if __name__ == "__main__":
    sys.exit(main())
