#!/usr/bin/env python3
"""Rebuild ``data/islands/islands.geojson`` from public sources.

A maintainer reruns this when a source changes; CI does not (it needs build-time tools).

Needs, at build time only::

    apt-get install gmt gmt-gshhg-full      # GSHHG 2.3.7 full-resolution shorelines, LGPL-3
    pip install -e '.[build-data]' pypinyin # cnmaps district boundaries; pinyin of names

Steps (each documented in data/islands/README.md):

1. ``gmt coast -Df -W -M -A0/1/1`` over the model's box prints GSHHG level-1 shoreline
   segments (cut at bin borders). They are merged with the box's outline and polygonised;
   every face except the one open-sea face is land. Faces touching the box edge are the
   mainland (Ningbo, Shanghai); they, and the islands of other districts (step 2), go to
   ``other_land.geojson``, which the travel network uses only as an obstacle.
2. Each land polygon is tagged with the district (of Zhoushan, Ningbo or Shanghai, cnmaps
   2.1 county boundaries, AMap origin, delivered in WGS84) that it overlaps most, or the
   nearest one within 15 km. Polygons of Ningbo or Shanghai are dropped. A polygon split
   between two Zhoushan districts by more than 5% of its area (only Zhoushan Island) is
   cut along the cnmaps boundary into one unit per district, as the chronicles and the
   census report it.
3. Names: each point of the 2018 national island-name catalogue is assigned to the polygon
   that contains it (or the nearest within 300 m); a polygon takes the name of the point
   deepest inside it.
4. The curated gazetteer of inhabited islands (``data/islands/gazetteer.csv``) is joined to
   the polygons: by its point (point-in-polygon, else nearest polygon within 1 km), else by
   the catalogue name. Each match is checked by comparing the polygon's area with the
   published area; a difference over 25% is flagged. The result of every row is written to
   ``data/islands/match_report.csv``.
5. Islands get stable ids ``ZS-0001``... in order of decreasing GSHHG area (ties by lon,
   lat), so rerunning on the same GSHHG version reproduces them.
"""
from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, box
from shapely.ops import polygonize, unary_union

from islandcover.io.census import CENSUS_YEAR, people_2020, read_census

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "islands"
BOUNDS = (121.3, 29.3, 123.3, 31.0)
METRIC = "EPSG:32651"
OPEN_SEA = Point(122.8, 30.0)  # East China Sea, east of Zhoushan: inside the one sea face
ZHOUSHAN = ("定海区", "普陀区", "岱山县", "嵊泗县")
NEIGHBOUR_CITIES = ("宁波市", "上海市")
SPLIT_SHARE = 0.05
NAME_SNAP_M = 300.0
GAZ_SNAP_M = 1000.0
AREA_TOLERANCE = 0.25
# place-name readings of polyphonic characters (pypinyin's defaults are wrong for these)
PLACE_READINGS = {"长": "chang", "峙": "zhi", "浒": "hu", "岙": "ao", "嵊": "sheng", "磥": "lei",
                  "朝": "chao", "重": "chong", "行": "xing", "厦": "xia", "石": "shi"}
GENERIC_SUFFIXES = ("岛", "山", "屿", "礁", "嘴")


def shoreline_segments() -> list[LineString]:
    """Run ``gmt coast`` and return the shoreline segments as lon/lat LineStrings."""
    w, s, e, n = BOUNDS
    cmd = ["gmt", "coast", f"-R{w}/{e}/{s}/{n}", "-Df", "-W", "-M", "-A0/1/1"]
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    segments: list[LineString] = []
    current: list[tuple[float, float]] = []
    for line in text.splitlines():
        if line.startswith(">"):
            if len(current) > 1:
                segments.append(LineString(current))
            current = []
        elif line.strip():
            x, y = line.split()[:2]
            current.append((float(x), float(y)))
    if len(current) > 1:
        segments.append(LineString(current))
    return segments


def all_land(segments: list[LineString]) -> gpd.GeoDataFrame:
    """Polygonise shoreline segments; every face but the open sea, with ``mainland`` = touches the box edge."""
    frame = box(*BOUNDS)
    faces = list(polygonize(unary_union([*segments, frame.exterior])))
    gdf = gpd.GeoDataFrame(geometry=faces, crs="EPSG:4326")
    sea = gdf.contains(OPEN_SEA)
    if sea.sum() != 1:
        raise SystemExit(f"expected one open-sea face, found {sea.sum()}")
    gdf["mainland"] = gdf.intersects(frame.exterior.buffer(1e-9))
    print(f"faces: {len(gdf)}; sea: 1; mainland (box edge): {int((gdf.mainland & ~sea).sum())}")
    return gdf[~sea].reset_index(drop=True)


def land_polygons(segments: list[LineString]) -> gpd.GeoDataFrame:
    """Polygonise shoreline segments; return the land faces that do not touch the box edge."""
    land = all_land(segments)
    return land[~land.mainland].drop(columns="mainland").reset_index(drop=True)


def other_land(segments: list[LineString], islands: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The land in the box that is not one of the model's islands: the Ningbo and Shanghai
    mainland, their islands (大榭, 梅山, 大小金山 …) and the islets step 2 leaves out (tagged to
    a Ningbo district or farther than 15 km from every district). The travel network uses it
    only as an obstacle, so that no sea lane crosses it; simplified by 20 m (the lanes keep
    60 m off)."""
    land = all_land(segments)
    ours = shapely.union_all(islands.geometry.values)
    shapely.prepare(ours)
    keep = ~shapely.contains_xy(ours, *np.asarray(
        [(p.x, p.y) for p in land.geometry.representative_point()]).T)
    other = land[keep].to_crs(METRIC)
    other["geometry"] = shapely.simplify(other.geometry.values, 20.0, preserve_topology=True)
    other = other[other.area > 0].to_crs("EPSG:4326")
    other["kind"] = np.where(other.mainland, "mainland", "island")
    other["geometry"] = shapely.set_precision(other.geometry.values, 1e-5)
    return other[["kind", "geometry"]].reset_index(drop=True)


def write_other_land(out: Path, islands: gpd.GeoDataFrame) -> None:
    """Write ``other_land.geojson`` (see :func:`other_land`)."""
    other = other_land(shoreline_segments(), islands)
    path = out / "other_land.geojson"
    if path.exists():
        path.unlink()
    other.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=5, WRITE_NAME=False)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, {int((other.kind == 'mainland').sum())} mainland "
          f"and {int((other.kind == 'island').sum())} island faces of other districts)")


def districts() -> gpd.GeoDataFrame:
    """County-level districts of Zhoushan and its neighbours from cnmaps (WGS84)."""
    from cnmaps import get_adm_maps

    rows = []
    for city in ("舟山市", *NEIGHBOUR_CITIES):
        for rec in get_adm_maps(city=city, level="区县", wgs84=True):
            geom = shapely.geometry.shape(rec["geometry"].__geo_interface__)
            rows.append({"city": city, "district": rec["district"], "geometry": geom})
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def tag_districts(land: gpd.GeoDataFrame, dist: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Assign each land polygon a district; split polygons shared by two Zhoushan districts."""
    land_m = land.to_crs(METRIC)
    dist_m = dist.to_crs(METRIC)
    zs = dist_m[dist_m.city == "舟山市"].set_index("district").geometry
    units = []
    for geom in land_m.geometry:
        overlaps = dist_m.geometry.intersection(geom).area
        if overlaps.max() > 0:
            best = int(overlaps.idxmax())
        else:
            d = dist_m.geometry.distance(geom)
            best = int(d.idxmin())
            if d.iloc[best] > 15_000:
                continue
        if dist_m.city.iloc[best] != "舟山市":
            continue
        shares = {k: geom.intersection(g).area / geom.area for k, g in zs.items()}
        shared = [k for k, v in shares.items() if v > SPLIT_SHARE]
        if len(shared) < 2:
            units.append({"district": dist_m.district.iloc[best], "split": False, "geometry": geom})
            continue
        # cut along the cnmaps boundary; slivers outside every district go to the nearest part
        parts = {k: [geom.intersection(zs[k])] for k in shared}
        rest = geom.difference(unary_union([zs[k] for k in shared]))
        for piece in getattr(rest, "geoms", [rest]):
            if piece.is_empty or piece.area < 1:
                continue
            nearest = min(shared, key=lambda k: zs[k].distance(piece))
            parts[nearest].append(piece)
        for k, pieces in parts.items():
            merged = unary_union(pieces)
            polys = [p for p in getattr(merged, "geoms", [merged]) if p.geom_type == "Polygon" and p.area > 1]
            units.append({"district": k, "split": True, "geometry": shapely.MultiPolygon(polys)
                          if len(polys) > 1 else polys[0]})
    out = gpd.GeoDataFrame(units, crs=METRIC)
    out["area_km2"] = out.area / 1e6
    return out


def pinyin_name(name_zh: str) -> str:
    """Machine transliteration of an island name: ``大长涂山`` → ``Dachangtu Shan``."""
    from pypinyin import lazy_pinyin

    def syl(ch: str) -> str:
        return PLACE_READINGS.get(ch) or lazy_pinyin(ch)[0]

    stem, suffix = name_zh, ""
    if len(name_zh) > 1 and name_zh[-1] in GENERIC_SUFFIXES:
        stem, suffix = name_zh[:-1], name_zh[-1]
    words = "".join(syl(c) for c in stem).capitalize()
    return f"{words} {syl(suffix).capitalize()}" if suffix else words


def assign_catalogue_names(units: gpd.GeoDataFrame, catalogue: pd.DataFrame) -> gpd.GeoDataFrame:
    """Name each unit after the catalogue point deepest inside it (or nearest, within 300 m)."""
    pts = gpd.GeoDataFrame(
        catalogue, geometry=gpd.points_from_xy(catalogue.lon, catalogue.lat), crs="EPSG:4326"
    ).to_crs(METRIC)
    joined = gpd.sjoin_nearest(pts, units[["geometry"]], how="inner", max_distance=NAME_SNAP_M,
                               distance_col="dist_m")
    joined = joined[~joined.index.duplicated(keep="first")]
    depth = []
    for idx, row in joined.iterrows():
        poly = units.geometry.loc[row.index_right]
        inside = poly.contains(row.geometry)
        d = poly.boundary.distance(row.geometry)
        depth.append(d if inside else -d)
    joined["depth"] = depth
    # a name is kept only where its point lies well inside the polygon (a quarter of the
    # radius of a disc of the same area), or, for islets under 1 km², within 150 m of it:
    # the catalogue lists many rocks on the coast of larger islands, but not the large
    # islands themselves (普陀山, 泗礁山, 长涂 …), which the gazetteer names.
    r_eq = np.sqrt(units.area.loc[joined.index_right].to_numpy() / np.pi)
    small = units.area.loc[joined.index_right].to_numpy() < 1e6
    keep = (joined.depth.to_numpy() >= 0.25 * r_eq) | (small & (joined.depth.to_numpy() > -150))
    best = joined[keep].sort_values("depth", ascending=False).groupby("index_right").head(1)
    units = units.copy()
    units["catalogue_name"] = None
    units["catalogue_no"] = pd.NA
    units.loc[best.index_right, "catalogue_name"] = best.name.values
    units.loc[best.index_right, "catalogue_no"] = best.number.values
    units["catalogue_names_all"] = (
        joined.groupby("index_right").name.apply(lambda s: ";".join(s)).reindex(units.index)
    )
    return units


def base_name(name: str) -> str:
    """Name without a trailing generic (岛/山) and without a parenthesised part."""
    name = name.split("(")[0].split("（")[0].strip()
    return name[:-1] if len(name) > 2 and name[-1] in ("岛", "山") else name


def join_gazetteer(units: gpd.GeoDataFrame, gaz: pd.DataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Attach gazetteer rows to units; return the units and the match report."""
    units = units.copy()
    for col in ("name_zh", "name_en", "aliases", "township", "population", "pop_year", "pop_kind",
                "published_area_km2", "powered_basis", "gazetteer_row"):
        units[col] = None
    units["powered"] = False
    report = []
    to_m = gpd.GeoSeries([], crs="EPSG:4326")
    for i, row in gaz.iterrows():
        rec = {"row": i + 1, "name_zh": row.name_zh, "district": row.district}
        candidates = units[units.district == row.district]
        method, unit_idx, dist_m = None, None, None
        if pd.notna(row.lon) and pd.notna(row.lat):
            p = gpd.GeoSeries([Point(row.lon, row.lat)], crs="EPSG:4326").to_crs(METRIC).iloc[0]
            d = candidates.distance(p)
            if len(d) and d.min() <= GAZ_SNAP_M:
                unit_idx, dist_m = d.idxmin(), float(d.min())
                method = "point in polygon" if dist_m == 0 else "nearest polygon"
        if unit_idx is None and isinstance(row.get("match_name"), str) and row.match_name:
            hit = candidates[candidates.catalogue_name == row.match_name]
            if len(hit) == 1:
                unit_idx, method = hit.index[0], f"catalogue name {row.match_name}"
        if unit_idx is None:
            names = candidates.catalogue_name.fillna("").map(base_name)
            hit = candidates[names == base_name(row.name_zh)]
            if len(hit) == 1:
                unit_idx, method = hit.index[0], "catalogue name"
        rec["method"] = method or "no match"
        if unit_idx is None:
            rec["status"] = "unmatched"
            report.append(rec)
            continue
        if units.at[unit_idx, "gazetteer_row"] is not None:
            rec["status"] = f"duplicate: polygon already holds row {units.at[unit_idx, 'gazetteer_row']}"
            rec["island_index"] = unit_idx
            report.append(rec)
            continue
        area = float(units.at[unit_idx, "area_km2"])
        pub = row.published_area_km2
        ratio = area / pub if pd.notna(pub) and pub else None
        rec.update({"island_index": unit_idx, "distance_m": round(dist_m, 1) if dist_m is not None else None,
                    "polygon_area_km2": round(area, 3), "published_area_km2": pub,
                    "area_ratio": round(ratio, 3) if ratio else None})
        if ratio is None:
            rec["status"] = "matched (no published area to check)"
        elif abs(ratio - 1) <= AREA_TOLERANCE:
            rec["status"] = "matched"
        else:
            rec["status"] = "area mismatch > 25%"
        for col in ("name_zh", "name_en", "aliases", "township", "population", "pop_year", "pop_kind",
                    "published_area_km2", "powered_basis"):
            units.at[unit_idx, col] = None if pd.isna(row[col]) else row[col]
        units.at[unit_idx, "gazetteer_row"] = i + 1
        units.at[unit_idx, "powered"] = bool(row.powered)
        report.append(rec)
    del to_m
    return units, pd.DataFrame(report)


def read_gazetteer(out: Path) -> pd.DataFrame:
    """The curated gazetteer, with ``powered`` as booleans."""
    gaz = pd.read_csv(out / "gazetteer.csv", keep_default_na=False, na_values=[""])
    gaz["powered"] = gaz["powered"].astype(str).str.lower() == "true"
    return gaz


def write_islands(out: Path, units: gpd.GeoDataFrame, report: pd.DataFrame, gaz: pd.DataFrame,
                  geometry: gpd.GeoSeries | None = None) -> gpd.GeoDataFrame:
    """Name the units the gazetteer does not cover, put people on the 2020 basis, write the files.

    ``geometry`` (WGS84, in the units' order) is written as it is, when given: a rejoin must not
    move a vertex (a round trip through UTM would, by up to 1e-5°, every time).
    """
    no_name = units.name_zh.isna() & units.catalogue_name.notna()
    units.loc[no_name, "name_zh"] = units.loc[no_name, "catalogue_name"]
    units["name_source"] = np.where(units.gazetteer_row.notna(), "gazetteer",
                                    np.where(units.catalogue_name.notna(), "catalogue-2018", ""))
    need_en = units.name_en.isna() & units.name_zh.notna()
    units.loc[need_en, "name_en"] = units.loc[need_en, "name_zh"].map(pinyin_name)
    # people: the published figure is kept beside the one on the 2020 census basis
    people = people_2020(gaz, read_census(out / "census.csv"))
    row = units.gazetteer_row.astype("Int64")
    at = row.dropna().astype(int) - 1
    units["population_published"] = units.population
    units["pop_year_published"] = units.pop_year
    units["pop_kind_published"] = units.pop_kind
    units["population"], units["pop_year"], units["pop_kind"] = pd.NA, pd.NA, None
    units.loc[at.index, "population"] = people.people.to_numpy()[at.to_numpy()]
    units.loc[at.index, "pop_kind"] = people.people_kind.to_numpy()[at.to_numpy()]
    has = pd.notna(units.population)
    units.loc[has, "pop_year"] = CENSUS_YEAR
    units["area_km2"] = units.area_km2.round(3)
    for col in ("population", "pop_year", "population_published", "pop_year_published", "gazetteer_row",
                "catalogue_no"):
        units[col] = pd.to_numeric(units[col], errors="coerce").astype("Int64")
    cols = ["id", "name_zh", "name_en", "aliases", "district", "township", "area_km2", "published_area_km2",
            "population", "pop_year", "pop_kind", "population_published", "pop_year_published",
            "pop_kind_published", "powered", "powered_basis", "name_source", "catalogue_no",
            "gazetteer_row", "rep_lon", "rep_lat", "geometry"]
    out_gdf = units[cols].to_crs("EPSG:4326")
    if geometry is not None:
        out_gdf["geometry"] = geometry.to_numpy()
    else:
        out_gdf["geometry"] = shapely.set_precision(out_gdf.geometry.values, 1e-5)
    path = out / "islands.geojson"
    if path.exists():
        path.unlink()
    out_gdf.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=5, WRITE_NAME=False)
    report.to_csv(out / "match_report.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, {len(out_gdf)} islands, "
          f"{int(out_gdf.powered.sum())} powered, {int(out_gdf[out_gdf.powered].population.fillna(0).sum()):,} "
          f"people on powered islands)")
    print(report.status.value_counts().to_string())
    return out_gdf


def rejoin_gazetteer(out: Path) -> int:
    """Re-apply ``gazetteer.csv`` and ``census.csv`` to the existing polygons (ids unchanged).

    Needs neither GMT nor cnmaps: the polygons, districts, ids and catalogue numbers are read
    back from ``islands.geojson``; only the gazetteer's attributes are joined again.
    """
    islands = gpd.read_file(out / "islands.geojson")
    catalogue = pd.read_csv(out / "sources" / "island-names-2018.csv")
    units = islands[["id", "district", "area_km2", "catalogue_no", "rep_lon", "rep_lat", "geometry"]].to_crs(METRIC)
    units["catalogue_name"] = pd.to_numeric(units.catalogue_no, errors="coerce").map(
        catalogue.set_index("number").name)
    gaz = read_gazetteer(out)
    units, report = join_gazetteer(units, gaz)
    report["island_id"] = report.pop("island_index").map(units.id) if "island_index" in report else None
    write_islands(out, units, report, gaz, geometry=islands.geometry)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--other-land-only", action="store_true",
                        help="only (re)write other_land.geojson from the existing islands.geojson (no cnmaps)")
    parser.add_argument("--gazetteer-only", action="store_true",
                        help="only re-apply gazetteer.csv and census.csv to the existing islands.geojson "
                             "(no GMT, no cnmaps; ids unchanged)")
    args = parser.parse_args(argv)
    if args.other_land_only:
        write_other_land(args.out, gpd.read_file(args.out / "islands.geojson"))
        return 0
    if args.gazetteer_only:
        return rejoin_gazetteer(args.out)

    land = land_polygons(shoreline_segments())
    units = tag_districts(land, districts())
    print(f"Zhoushan land units: {len(units)} ({(units.area_km2 > 0.1).sum()} over 0.1 km²)")

    catalogue = pd.read_csv(args.out / "sources" / "island-names-2018.csv")
    units = assign_catalogue_names(units, catalogue)
    gaz = read_gazetteer(args.out)
    units, report = join_gazetteer(units, gaz)

    # stable ids: decreasing area, ties by position
    rep = units.to_crs("EPSG:4326").representative_point()
    units["rep_lon"], units["rep_lat"] = rep.x.round(5), rep.y.round(5)
    units = units.sort_values(["area_km2", "rep_lon", "rep_lat"], ascending=[False, True, True])
    units = units.reset_index().rename(columns={"index": "build_index"})
    units["id"] = [f"ZS-{i + 1:04d}" for i in range(len(units))]
    id_of = dict(zip(units.build_index, units.id))
    report["island_id"] = report.pop("island_index").map(id_of) if "island_index" in report else None
    write_other_land(args.out, write_islands(args.out, units, report, gaz))
    return 0


if __name__ == "__main__":
    sys.exit(main())
