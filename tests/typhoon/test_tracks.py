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
from islandcover.typhoon.tracks import (
    StepError,
    TrackError,
    force_band_ms,
    parse_step,
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

    def test_across_the_date_line(self):
        # 179.5E → 179.5W in 6 h at 30N is 1° of longitude, 96 km: 4.5 m/s eastward, not 359° the long way round
        t = track_from_records([{"time": "2022-09-14T00:00Z", "lon": 179.5, "lat": 30.0, "vmax_ms": 30},
                                {"time": "2022-09-14T06:00Z", "lon": 180.5, "lat": 30.0, "vmax_ms": 30}])
        east = math.radians(1.0) * 6371.0088e3 * math.cos(math.radians(30.0)) / 21600
        assert t.points.lon.tolist() == [179.5, -179.5]
        assert t.points.vt_east_ms.tolist() == [pytest.approx(east), pytest.approx(east)]
        h = t.interpolate("3h").points
        assert h.lon.iloc[1] == pytest.approx(180.0) and h.lon.iloc[2] == pytest.approx(-179.5)

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
        assert t.wind_basis == "as given (knots, converted)"

    @pytest.mark.parametrize(("header", "row2", "basis"), [
        ("vmax_ms,pressure_hpa", "48,945", "as given (m/s)"),
        ("vmax_kn,pressure_hpa", "93,945", "as given (knots, converted)"),
        ("vmax_ms,pressure_hpa", ",945", "as given (m/s); from the central pressure where missing"),
        ("pressure_hpa", "945", "from the central pressure (Holland, B = 1)"),
    ])
    def test_wind_basis_says_what_the_winds_are(self, tmp_path, header, row2, basis):
        first = {"vmax_ms,pressure_hpa": "42,955", "vmax_kn,pressure_hpa": "82,955", "pressure_hpa": "955"}[header]
        f = tmp_path / "fc.csv"
        f.write_text(f"time,lon,lat,{header}\n2022-09-14T00:00Z,123.2,28.0,{first}\n"
                     f"2022-09-14T06:00Z,122.7,28.8,{row2}\n", encoding="utf-8")
        assert read_track(f).wind_basis == basis

    def test_records_in_knots(self):
        t = track_from_records([{"time": "2022-09-14T00:00Z", "lon": 123.2, "lat": 28.0, "vmax_kn": 82}])
        assert t.wind_basis == "as given (knots, converted)" and t.points.vmax_ms.iloc[0] == pytest.approx(42.18, abs=0.01)

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

    @pytest.mark.parametrize(("row2", "km", "speed"), [
        # −89 for 28.8 (a sign and a digit)
        ("2022-09-14T06:00Z,122.7,-89,48,945", "13,010", "602"),
        # 222.7 for 122.7: 137.3°W, across the Pacific
        ("2022-09-14T06:00Z,222.7,28.8,48,945", "9,379", "434"),
        # 28.8 for 122.7 (the latitude copied into lon): Egypt
        ("2022-09-14T06:00Z,28.8,28.8,48,945", "8,940", "414"),
    ])
    def test_a_centre_that_moves_too_fast(self, tmp_path, row2, km, speed):
        # great-circle distances from 123.2E 28.0N by the spherical law of cosines (R = 6371.0088 km), over 6 h
        f = self._csv(tmp_path, f"2022-09-14T00:00Z,123.2,28.0,42,955\n{row2}\n")
        with pytest.raises(TrackError, match=rf"bad\.csv, row 2, field 'lon/lat': moves {km} km in 6 h "
                                             rf"\({speed} m/s\) from row 1 .*check lon/lat"):
            read_track(f)

    def test_the_fastest_real_motion_is_kept(self, tmp_path):
        # 38 m/s (820 km in 6 h, due north from 28N): faster than any storm on record, under the 40 m/s bound
        north_deg = math.degrees(38.0 * 21600 / 6371.0088e3)
        f = self._csv(tmp_path, f"2022-09-14T00:00Z,123.2,28.0,42,955\n2022-09-14T06:00Z,123.2,{28 + north_deg:.3f},40,960\n")
        t = read_track(f)
        assert t.points.vt_north_ms.iloc[1] == pytest.approx(38.0, rel=1e-3)
        f = self._csv(tmp_path, "2022-09-14T00:00Z,123.2,28.0,42,955\n2022-09-14T06:00Z,123.2,36.0,40,960\n")
        with pytest.raises(TrackError, match=r"row 2, field 'lon/lat': moves 890 km in 6 h \(41 m/s\)"):
            read_track(f)

    def test_rounded_positions_minutes_apart_are_kept(self, tmp_path):
        # a landfall point 5 min after a regular one, both to 0.1°: 0.1° in lat and lon at 30N is 14.7 km, 49 m/s
        # taken at face value, but within what rounding two positions to 0.1° can make (16 km)
        f = self._csv(tmp_path, "2022-09-14T12:00Z,122.3,29.9,40,965\n2022-09-14T12:05Z,122.2,30.0,40,965\n")
        assert len(read_track(f)) == 2

    @pytest.mark.parametrize(("lon", "lat", "field", "message"), [
        ("122.7", "128.8", "lat", "latitude 128.8 is out of range"),
        ("122.7", "-90.5", "lat", "latitude -90.5 is out of range"),
        ("422.7", "28.8", "lon", "longitude 422.7 is out of range"),
        ("-190", "28.8", "lon", "longitude -190 is out of range"),
    ])
    def test_coordinates_out_of_range(self, tmp_path, lon, lat, field, message):
        f = self._csv(tmp_path, f"2022-09-14T00:00Z,123.2,28.0,42,955\n2022-09-14T06:00Z,{lon},{lat},48,945\n")
        with pytest.raises(TrackError, match=rf"row 2, field '{field}': {message}"):
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


class TestTimesOut:
    """Times are read with any offset, kept in UTC, and given back in Beijing time with +08:00."""

    def test_to_dict_gives_beijing_time_with_its_offset(self, tmp_path):
        # the same instant three ways: 11:00 UTC = 19:00 Beijing time = 06:00 in New York (EST, −05:00)
        for written in ("2022-09-14T11:00Z", "2022-09-14T19:00+08:00", "2022-09-14T06:00-05:00"):
            t = track_from_records([{"time": written, "lon": 122.3, "lat": 29.9, "vmax_ms": 40}])
            assert str(t.points.time.dt.tz) == "UTC" and t.points.time.iloc[0] == pd.Timestamp("2022-09-14T11:00Z")
            assert t.to_dict()["points"][0]["time"] == "2022-09-14T19:00:00+08:00"

    def test_the_day_changes_at_beijing_midnight(self):
        # 2022-09-13T16:00Z is already the 14th in Beijing (00:00)
        t = track_from_records([{"time": "2022-09-13T16:00Z", "lon": 123.2, "lat": 28.0, "vmax_ms": 42}])
        assert t.to_dict()["points"][0]["time"] == "2022-09-14T00:00:00+08:00"


class TestForces:
    """Forecast points may give the bulletin's force (0–17, GB/T 28591-2012) instead of, or with, the wind."""

    def test_a_force_alone_takes_the_middle_of_its_band(self):
        # force 14 = 41.5–46.1 m/s → 43.8; force 17 = 56.1–61.2 → 58.65; force 12 = 32.7–36.9 → 34.8
        t = track_from_records([{"time": "2022-09-14T08:00+08:00", "lon": 123.2, "lat": 28.0, "force": 14},
                                {"time": "2022-09-14T14:00+08:00", "lon": 122.7, "lat": 28.8, "force": 17},
                                {"time": "2022-09-14T20:00+08:00", "lon": 122.3, "lat": 29.9, "force": 12}])
        assert t.points.vmax_ms.tolist() == pytest.approx([43.8, 58.65, 34.8])
        assert t.wind_basis == "from the wind force (middle of its GB/T 28591-2012 band)"

    def test_a_force_with_a_wind_in_its_band(self, tmp_path):
        f = tmp_path / "fc.csv"
        f.write_text("time,lon,lat,vmax_ms,force\n2022-09-14T08:00+08:00,123.2,28.0,45,14\n"
                     "2022-09-14T14:00+08:00,122.7,28.8,,15\n", encoding="utf-8")
        t = read_track(f)
        # the given wind is kept; the point without one takes force 15's middle, (46.2 + 50.9) / 2 = 48.55
        assert t.points.vmax_ms.tolist() == pytest.approx([45.0, 48.55])
        assert t.wind_basis == "as given (m/s); from the wind force (middle of its GB/T 28591-2012 band) where missing"

    @pytest.mark.parametrize("force", [18, 40])
    def test_a_force_above_17_is_refused(self, force):
        with pytest.raises(TrackError, match=rf"row 1, field 'force': force {force} is not on the Chinese wind "
                                             r"scale, whose top grade is 17 \(GB/T 28591-2012"):
            track_from_records([{"time": "2022-09-14T08:00+08:00", "lon": 123.2, "lat": 28.0, "force": force}])

    @pytest.mark.parametrize("force", [-1, 13.5])
    def test_a_force_must_be_whole_and_not_negative(self, force):
        with pytest.raises(TrackError, match=r"field 'force': .*must be a whole wind force 0–17"):
            track_from_records([{"time": "2022-09-14T08:00+08:00", "lon": 123.2, "lat": 28.0, "force": force}])

    def test_a_wind_outside_its_force_is_refused(self):
        # 45 m/s is force 14 (41.5–46.1), not 12 (32.7–36.9)
        with pytest.raises(TrackError, match=r"row 1, field 'vmax': maximum wind 45 m/s is force 14, not force 12 "
                                             r"\(32.7–36.9 m/s"):
            track_from_records([{"time": "2022-09-14T08:00+08:00", "lon": 123.2, "lat": 28.0, "vmax_ms": 45,
                                 "force": 12}])

    def test_knots_written_as_metres_per_second_are_caught(self):
        # 85 "m/s" with force 14: 85 kn = 43.7 m/s lies in force 14's band, so the message suggests knots
        with pytest.raises(TrackError, match=r"is the wind in knots\? 85 kn = 43.7 m/s"):
            track_from_records([{"time": "2022-09-14T08:00+08:00", "lon": 123.2, "lat": 28.0, "vmax_ms": 85,
                                 "force": 14}])

    def test_force_bands(self):
        assert force_band_ms(14) == (41.5, 46.1) and force_band_ms(17) == (56.1, 61.2)
        assert force_band_ms(0) == (0.0, 0.2) and force_band_ms(12) == (32.7, 36.9)


class TestStep:
    @pytest.mark.parametrize(("text", "minutes"), [("1h", 60), ("30min", 30), ("10min", 10), ("24h", 1440), (" 3h ", 180)])
    def test_steps_with_a_unit(self, text, minutes):
        assert parse_step(text) == pd.Timedelta(minutes=minutes)

    @pytest.mark.parametrize(("step", "message"), [
        ("10", "step '10' has no unit: write 10h or 10min"),  # pandas alone reads 10 nanoseconds
        ("1.5", "step '1.5' has no unit: write 1.5h or 1.5min"),
        (3, "step '3' has no unit: write 3h or 3min"),
        ("0h", "step '0h' is out of range: write a step from 10min to 24h"),
        ("5min", "step '5min' is out of range: write a step from 10min to 24h"),
        ("25h", "step '25h' is out of range: write a step from 10min to 24h"),
        ("-1h", "step '-1h' is out of range: write a step from 10min to 24h"),
        ("1 fortnight", "step '1 fortnight' is not a time step: write e.g. 1h, 30min or 3h"),
        ("nan", "step 'nan' is not a time step: write e.g. 1h, 30min or 3h"),
    ])
    def test_a_bad_step_says_what_to_write(self, step, message):
        with pytest.raises(StepError) as err:
            parse_step(step)
        assert str(err.value) == message  # said once: not "step: step …"
        assert isinstance(err.value, IslandcoverError)
