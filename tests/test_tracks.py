"""Reading storm tracks: the shipped CMA best tracks, IBTrACS, forecast points; interpolation; bad input."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islandcover.errors import IslandcoverError
from islandcover.tracks import (
    TrackError,
    read_track,
    resolve_track,
    shipped_track,
    shipped_tracks,
    track_from_records,
)

FORECAST = """time,lon,lat,vmax_ms,pressure_hpa,r7_km,r10_km
2022-09-14T08:00+08:00,123.2,28.0,42,955,270,90
2022-09-14T14:00+08:00,122.7,28.8,48,945,,
2022-09-14T20:00+08:00,122.3,29.9,40,965,270,90
"""


class TestShipped:
    def test_four_files_ship(self):
        assert set(shipped_tracks()) == {"muifa_2022", "infa_2021", "chanthu_2021", "bebinca_pulasan_2024"}

    @pytest.mark.parametrize(("ref", "storm", "name", "n"), [
        ("muifa_2022", None, "MUIFA", 57), ("梅花", None, "MUIFA", 57), ("infa_2021", None, "IN-FA", 81),
        ("烟花", None, "IN-FA", 81), ("chanthu_2021", None, "CHANTHU", 56),
        ("bebinca_pulasan_2024", "PULASAN", "PULASAN", 13), ("贝碧嘉", None, "BEBINCA", 51)])
    def test_reads_every_shipped_storm(self, ref, storm, name, n):
        # points per storm, counted with grep -c NAME in the shipped files
        t = shipped_track(ref, storm=storm)
        assert t.name == name and len(t) == n
        assert t.points.time.is_monotonic_increasing and str(t.points.time.dt.tz) == "UTC"

    def test_first_muifa_point_as_in_the_file(self):
        # 2022-0014,CH2022BST.txt,MUIFA,2022-09-06T06:00:00Z,0,136.7,21.5,13,1002
        p = shipped_track("muifa_2022").points.iloc[0]
        assert p.time == pd.Timestamp("2022-09-06T06:00:00Z")
        assert (p.lon, p.lat, p.vmax_ms, p.pressure_hpa, p.row) == (136.7, 21.5, 13.0, 1002.0, 1)

    def test_two_storms_in_one_file_need_a_choice(self):
        with pytest.raises(TrackError, match="BEBINCA.*PULASAN"):
            shipped_track("bebinca_pulasan_2024")
        with pytest.raises(TrackError, match="no storm 'SOULIK'.*BEBINCA"):
            shipped_track("bebinca_pulasan_2024", storm="SOULIK")

    def test_unknown_shipped_name_lists_them(self):
        with pytest.raises(TrackError, match="muifa_2022"):
            shipped_track("lekima_2019")

    def test_weak_remnant_far_inland_is_kept(self):
        # In-Fa's remnant at 116.7E 33.1N (Anhui, ~300 km from the sea) had 15 m/s: real, not a typo
        t = shipped_track("infa_2021")
        assert ((t.points.lon == 116.7) & (t.points.lat == 33.1)).any()


class TestInterpolation:
    def test_hourly_between_two_best_track_points(self):
        # 09-14 09Z (122.5, 29.3, 45 m/s, 950 hPa) and 12Z (122.3, 29.9, 40, 965): one third of the way at 10Z
        h = shipped_track("muifa_2022").interpolate("1h").points.set_index("time")
        p = h.loc[pd.Timestamp("2022-09-14T10:00:00Z")]
        assert (p.lon, p.lat) == (pytest.approx(122.5 - 0.2 / 3), pytest.approx(29.3 + 0.6 / 3))
        assert (p.vmax_ms, p.pressure_hpa) == (pytest.approx(45 - 5 / 3), pytest.approx(955.0))

    def test_steps_cover_the_track(self):
        # 2022-09-06T06Z to 2022-09-16T21Z is 10 d 15 h = 255 h: 256 hourly points, 86 3-hourly
        t = shipped_track("muifa_2022")
        assert len(t.interpolate("1h")) == 256 and len(t.interpolate("3h")) == 86

    def test_translation_is_a_centred_difference(self):
        # around 09-14 12Z: 09Z at 29.3N, 15Z at 30.5N → 1.2° of latitude in 6 h northward
        t = shipped_track("muifa_2022")
        p = t.points.set_index("time").loc[pd.Timestamp("2022-09-14T12:00:00Z")]
        north = math.radians(1.2) * 6371.0088e3 / 21600
        east = math.radians(121.9 - 122.5) * 6371.0088e3 * math.cos(math.radians(29.9)) / 21600
        assert p.vt_north_ms == pytest.approx(north, rel=1e-6) and p.vt_east_ms == pytest.approx(east, rel=1e-6)

    def test_radii_interpolate_only_between_points_that_give_them(self, tmp_path):
        f = tmp_path / "fc.csv"
        f.write_text(FORECAST, encoding="utf-8")
        h = read_track(f).interpolate("3h").points
        assert h.r7_km.iloc[0] == 270 and np.isnan(h.r7_km.iloc[1]) and np.isnan(h.r7_km.iloc[2])
        assert h.r7_km.iloc[-1] == 270

    @settings(max_examples=30, deadline=None)
    @given(step_h=st.sampled_from([1, 2, 3]), i=st.integers(0, 55))
    def test_interpolation_keeps_the_original_points(self, step_h, i):
        t = shipped_track("muifa_2022")
        h = t.interpolate(f"{step_h}h").points.set_index("time")
        p = t.points.iloc[i]
        if p.time in h.index:
            q = h.loc[p.time]
            assert (q.lon, q.lat, q.vmax_ms) == (pytest.approx(p.lon), pytest.approx(p.lat), pytest.approx(p.vmax_ms))


class TestOtherForms:
    def test_forecast_csv_in_beijing_time(self, tmp_path):
        f = tmp_path / "fc.csv"
        f.write_text(FORECAST, encoding="utf-8")
        t = read_track(f)
        assert t.points.time.iloc[0] == pd.Timestamp("2022-09-14T00:00:00Z")
        assert t.points.r10_km.iloc[0] == 90 and np.isnan(t.points.r10_km.iloc[1])

    def test_forecast_geojson_and_knots(self, tmp_path):
        feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [123.2, 28.0]},
                  "properties": {"time": "2022-09-14T00:00Z", "vmax_kn": 80, "pressure_hpa": 955}},
                 {"type": "Feature", "geometry": {"type": "Point", "coordinates": [122.3, 29.9]},
                  "properties": {"time": "2022-09-14T12:00Z", "vmax_kn": 78, "pressure_hpa": 965}}]
        f = tmp_path / "fc.geojson"
        f.write_text(json.dumps({"type": "FeatureCollection", "name": "MUIFA", "features": feats}), encoding="utf-8")
        t = read_track(f)
        assert t.name == "MUIFA" and t.points.vmax_ms.iloc[0] == pytest.approx(80 * 0.514444)

    def test_ibtracs_prefers_cma_wind_in_knots(self, tmp_path):
        # IBTrACS v04 CSV: header, then a units line; two storms named MUIFA (2011 and 2022)
        text = ("SID,SEASON,NUMBER,BASIN,SUBBASIN,NAME,ISO_TIME,NATURE,LAT,LON,WMO_WIND,WMO_PRES,USA_WIND,USA_PRES,"
                "CMA_LAT,CMA_LON,CMA_CAT,CMA_WIND,CMA_PRES\n"
                " ,Year, , , , , , ,degrees_north,degrees_east,kts,mb,kts,mb,degrees_north,degrees_east, ,kts,mb\n"
                "2011209N15146,2011,40,WP,MM,MUIFA,2011-08-06 00:00:00,TS,28.0,124.0,75,955,90,950,28.0,124.0,4,80,950\n"
                "2022249N21137,2022,60,WP,MM,MUIFA,2022-09-14 06:00:00,TS,28.8,122.7,80,950,95,945,28.8,122.7,5,93,945\n"
                "2022249N21137,2022,60,WP,MM,MUIFA,2022-09-14 12:00:00,TS,29.9,122.3,70,965,85,965,29.9,122.3,4,78,965\n")
        f = tmp_path / "ibtracs.WP.list.v04r00.csv"
        f.write_text(text, encoding="utf-8")
        with pytest.raises(TrackError, match="several storms match 'MUIFA'"):
            read_track(f, storm="MUIFA")
        t = read_track(f, storm="MUIFA 2022")
        assert len(t) == 2 and t.wind_basis.startswith("CMA 2-min")
        assert t.points.vmax_ms.iloc[0] == pytest.approx(93 * 0.514444)  # 47.8 m/s; CMA gave 48
        assert t.points.time.iloc[1] == pd.Timestamp("2022-09-14T12:00:00Z") and t.points.row.iloc[1] == 4

    def test_ibtracs_without_cma_falls_back_to_usa(self, tmp_path):
        text = ("SID,SEASON,NAME,ISO_TIME,LAT,LON,WMO_WIND,WMO_PRES,USA_WIND,USA_PRES\n"
                " ,Year, , ,degrees_north,degrees_east,kts,mb,kts,mb\n"
                "2022249N21137,2022,MUIFA,2022-09-14 06:00:00,28.8,122.7,80,950,95,945\n")
        f = tmp_path / "ib.csv"
        f.write_text(text, encoding="utf-8")
        t = read_track(f)
        assert t.wind_basis.startswith("USA 1-min") and t.points.vmax_ms.iloc[0] == pytest.approx(95 * 0.514444)

    def test_records(self):
        t = track_from_records([{"time": "2022-09-14T00:00Z", "lon": 123.2, "lat": 28.0, "vmax_ms": 42},
                                {"time": "2022-09-14T06:00Z", "lon": 122.7, "lat": 28.8, "pressure_hpa": 945}])
        assert t.points.vmax_ms.iloc[1] == pytest.approx(45.60, abs=0.01)  # sqrt(6500 Pa/(1.15 × e)) = sqrt(2079.3)


class TestErrors:
    """Bad input names the file, the row and the field."""

    def _csv(self, tmp_path, body: str):
        f = tmp_path / "bad.csv"
        f.write_text("time,lon,lat,vmax_ms,pressure_hpa\n" + body, encoding="utf-8")
        return f

    def test_times_out_of_order(self, tmp_path):
        f = self._csv(tmp_path, "2022-09-14T00:00Z,123.2,28.0,42,955\n2022-09-14T06:00Z,122.7,28.8,48,945\n"
                                "2022-09-14T03:00Z,123.0,28.4,48,945\n")
        with pytest.raises(TrackError, match=r"bad\.csv, row 3, field 'time': .*not after.*row 2"):
            read_track(f)

    def test_position_far_inland(self, tmp_path):
        # 112.3E instead of 122.3E puts a 40 m/s centre in Hubei, ~800 km from the sea
        f = self._csv(tmp_path, "2022-09-14T00:00Z,123.2,28.0,42,955\n2022-09-14T12:00Z,112.3,29.9,40,965\n")
        with pytest.raises(TrackError, match=r"row 2, field 'lon/lat': .*more than 50 km inland"):
            read_track(f)

    def test_landfall_on_the_coast_is_fine(self, tmp_path):
        f = self._csv(tmp_path, "2022-09-14T00:00Z,123.2,28.0,42,955\n2022-09-14T12:00Z,122.3,29.9,40,965\n")
        assert len(read_track(f)) == 2

    @pytest.mark.parametrize(("wind", "pressure", "why"), [(100, 945, "impossible"), (82, 955, "times what")])
    def test_knots_declared_as_m_s(self, tmp_path, wind, pressure, why):
        # 100 "m/s" exceeds any storm on record; 82 "m/s" at 955 hPa is twice Holland's 42 m/s: 82 kn = 42.2 m/s
        f = self._csv(tmp_path, f"2022-09-14T00:00Z,123.2,28.0,42,955\n2022-09-14T06:00Z,122.7,28.8,{wind},{pressure}\n")
        with pytest.raises(TrackError, match=rf"row 2, field 'vmax': .*{why}.*knots"):
            read_track(f)

    def test_missing_column(self, tmp_path):
        f = tmp_path / "bad.csv"
        f.write_text("time,lon,vmax_ms\n2022-09-14T00:00Z,123.2,42\n", encoding="utf-8")
        with pytest.raises(TrackError, match="field 'lat': missing column"):
            read_track(f)

    def test_unparseable_time(self, tmp_path):
        f = self._csv(tmp_path, "2022-09-14T00:00Z,123.2,28.0,42,955\n14 Sept 8pm,122.7,28.8,48,945\n")
        with pytest.raises(TrackError, match="row 2, field 'time': cannot read the time"):
            read_track(f)

    def test_time_without_zone(self, tmp_path):
        f = self._csv(tmp_path, "2022-09-14 08:00,123.2,28.0,42,955\n")
        with pytest.raises(TrackError, match="row 1, field 'time': .*no time zone"):
            read_track(f)
        assert read_track(f, tz="Asia/Shanghai").points.time.iloc[0] == pd.Timestamp("2022-09-14T00:00Z")

    def test_radii_order(self):
        with pytest.raises(TrackError, match="row 1, field 'r10_km'"):
            track_from_records([{"time": "2022-09-14T00:00Z", "lon": 123.2, "lat": 28.0, "vmax_ms": 42,
                                 "r7_km": 80, "r10_km": 90}])

    def test_errors_are_islandcover_errors(self, tmp_path):
        assert issubclass(TrackError, IslandcoverError) and issubclass(TrackError, ValueError)
        with pytest.raises(IslandcoverError, match="file not found"):
            resolve_track(tmp_path / "nope.csv")
