"""The parametric typhoon wind field: Beaufort bands, Holland relations, and R7/R10 against CMA bulletins."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from islandcover.typhoon.tracks import shipped_track
from islandcover.typhoon.wind_field import (
    StormWeather,
    Vortex,
    WindFieldError,
    beaufort,
    bounds_ms,
    force_ranges,
    forces_bft,
    holland_b,
    pressure_from_wind,
    rmax_km,
    speeds_at,
    speeds_ms,
    wind_from_pressure,
)


class TestBeaufort:
    @pytest.mark.parametrize(("speed", "force"), [
        (0.0, 0), (0.2, 0), (0.3, 1), (5.4, 3), (5.5, 4), (10.7, 5), (10.8, 6), (13.8, 6), (13.9, 7), (17.1, 7),
        (17.2, 8), (20.7, 8), (20.8, 9), (24.4, 9), (24.5, 10), (28.4, 10), (28.5, 11), (32.6, 11), (32.7, 12),
        (36.9, 12)])
    def test_standard_bands(self, speed, force):
        # GB/T 28591-2012 / WMO bands in m/s: force 7 = 13.9–17.1, 10 = 24.5–28.4, 12 = 32.7–36.9
        assert int(beaufort(speed)) == force

    @pytest.mark.parametrize(("speed", "force"), [
        (37.0, 13), (41.4, 13), (41.5, 14), (46.1, 14), (46.2, 15), (50.9, 15), (51.0, 16), (56.0, 16),
        (56.1, 17), (61.2, 17)])
    def test_typhoon_forces_13_to_17(self, speed, force):
        # GB/T 28591-2012 风力等级, the grades above Beaufort's 12: 13 = 37.0–41.4, 14 = 41.5–46.1,
        # 15 = 46.2–50.9, 16 = 51.0–56.0, 17 = 56.1–61.2 m/s (both edges of each band)
        assert int(beaufort(speed)) == force

    def test_winds_in_a_bulletin(self):
        # 梅花 Muifa's best track: 45 m/s at 14 Sep 17:00 BJT lies in 41.5–46.1, force 14; 40 m/s at 20:00 (by its
        # landfall on 普陀, 20:30) in 37.0–41.4, force 13. 62 m/s is past the top band (56.1–61.2) and has no grade
        # of its own: reported as 17, as is 80 m/s
        assert beaufort(np.array([45.0, 40.0, 62.0, 80.0])).tolist() == [14, 13, 17, 17]

    def test_speeds_are_rounded_to_a_tenth_first(self):
        assert beaufort(np.array([13.84, 13.86, 41.44, 41.46])).tolist() == [6, 7, 13, 14]


class TestRelations:
    def test_holland_wind_pressure_with_b_1(self):
        # sqrt(B·Δp/(ρe)) = sqrt(5500 Pa / (1.15 × 2.71828)) = 41.95 m/s; CMA pairs 955 hPa with 42 m/s
        assert wind_from_pressure(955) == pytest.approx(41.95, abs=0.01)
        assert pressure_from_wind(wind_from_pressure(955)) == pytest.approx(955, abs=1e-9)

    def test_holland_b_from_wind_and_pressure(self):
        # B = ρ e v² / Δp = 1.15 × 2.71828 × 48² / 6500 Pa = 1.108 (Muifa 2022-09-14 03Z: 48 m/s, 945 hPa)
        assert holland_b(48, 945) == pytest.approx(1.108, abs=0.001)
        assert holland_b(30, 980) == 1.0  # 0.94 raised to Holland's lower limit

    def test_willoughby_rmax_as_published(self):
        # Willoughby et al. 2006 eq. 7a, v_g = 42/0.9 = 46.67 m/s, φ = 27.4°:
        # 46.4·exp(−0.0155·46.67 + 0.0169·27.4) = 46.4·exp(−0.26027) = 35.77 km
        assert rmax_km(42, 27.4, calibration=1.0) == pytest.approx(35.77, abs=0.01)
        assert rmax_km(42, 27.4) == pytest.approx(0.31 * 35.77, abs=0.01)


class TestProfile:
    def test_symmetric_peak_is_vmax_at_rmax(self):
        v = Vortex.from_state(122.0, 30.0, 42.0, 955.0)
        lat = 30.0 + np.degrees(v.rmax_km / 6371.0088)
        assert float(v.speed_ms(np.array([122.0]), np.array([lat]))[0]) == pytest.approx(42.0, rel=1e-3)

    def test_right_of_the_track_is_stronger(self):
        # moving north at 6 m/s: east (right) gains, west (left) loses vt·Rmax·r/(Rmax²+r²) = 3 m/s at r = Rmax
        v = Vortex.from_state(122.0, 30.0, 42.0, 955.0, vt_north_ms=6.0)
        dlon = np.degrees(v.rmax_km / (6371.0088 * math.cos(math.radians(30.0))))
        east, west = v.speed_ms(np.array([122.0 + dlon, 122.0 - dlon]), np.array([30.0, 30.0]))
        assert east - 42.0 == pytest.approx(3.0, abs=0.05)
        assert 42.0 - west == pytest.approx(3.0, abs=0.05)

    @settings(max_examples=40, deadline=None)
    @given(vmax=st.floats(15, 70), pc=st.floats(920, 1000), lat=st.floats(15, 40))
    def test_wind_falls_off_outside_rmax(self, vmax, pc, lat):
        v = Vortex.from_state(125.0, lat, vmax, pc)
        r = np.linspace(v.rmax_km * 1.01, 1000, 200)
        speed = v.speed_ms(125.0 + np.zeros_like(r), lat + np.degrees(r / 6371.0088))
        assert np.all(np.diff(speed) <= 1e-9)

    def test_missing_wind_comes_from_pressure(self):
        v = Vortex.from_state(122.0, 30.0, None, 955.0)
        assert v.vmax_ms == pytest.approx(41.95, abs=0.01)

    @pytest.mark.parametrize("kw", [{"vmax_ms": None, "pressure_hpa": None},
                                    {"vmax_ms": 120.0, "pressure_hpa": 950.0},
                                    {"vmax_ms": 40.0, "pressure_hpa": 700.0}])
    def test_impossible_states_are_refused(self, kw):
        with pytest.raises(WindFieldError):
            Vortex.from_state(122.0, 30.0, **kw)


# ---------------------------------------------------------------------- calibration against the bulletins
# CMA real-time bulletins as listed, with their URLs, in shared/reference/seasons-typhoons.md (2.2, 2.3, 2.5).
# Times Beijing time; R7/R10/R12 in km as "low–high" ranges (quadrants). Where a bulletin gives no position,
# or its position is unverified, the CMA best track at that time is used (marked).
BULLETINS = [
    # storm, file, BJT time, lon, lat, vmax m/s, hPa, R7 range, R10 range, R12, URL
    ("MUIFA", "muifa_2022", "2022-09-11 05:00", 124.7, 22.4, 42, 955, (260, 300), (70, 70), 30,
     "http://www.bjweather.com/tqnews/76424.html"),
    ("MUIFA", "muifa_2022", "2022-09-13 05:00", 124.1, 25.5, 42, 955, (220, 260), (60, 60), 30,
     "https://m.stnn.cc/c/2022-09-13/3767761.shtml"),
    ("MUIFA", "muifa_2022", "2022-09-13 09:00", 124.1, 25.7, 42, 955, (220, 260), (60, 60), 30,
     "http://wlchinahc.com/news/hangyezixun/202209/170721.html"),
    ("MUIFA", "muifa_2022", "2022-09-14 05:00", 123.5, 27.4, 42, 955, (240, 300), (80, 100), 50,
     "http://usedcar.dizo.com.cn/keji/2022/0914/24154.html"),
    # 10:00: the position 28.1N 123.1E came without a URL: the best track's is used
    ("MUIFA", "muifa_2022", "2022-09-14 10:00", None, None, 48, 945, (240, 300), (80, 100), 50,
     "http://www.hkcd.com/hkcdweb/content/2022/09/14/content_1363279.html"),
    ("MUIFA", "muifa_2022", "2022-09-14 17:00", 122.5, 29.2, 45, 950, (240, 300), (80, 100), 50,
     "http://m.yktchina.com/zx/2022/0914/46659.html"),
    # 05:00: "~140 km ESE of 舟山", no position given: the best track's
    ("IN-FA", "infa_2021", "2021-07-25 05:00", None, None, 38, 965, (200, 300), (80, 100), 40,
     "https://news.china.com/domestic/945/20210725/39795425.html"),
    ("IN-FA", "infa_2021", "2021-07-26 05:00", 121.4, 30.5, 33, 975, (200, 300), (50, 80), None,
     "https://share1.kxm.xmtv.cn/xmtv/2021-07-26/6dade73cf8c75f7d.html"),
    ("BEBINCA", "bebinca_pulasan_2024", "2024-09-16 05:00", 122.5, 30.7, 45, 955, (180, 200), (70, 100), 40,
     "https://app.bjtitle.com/8816/newshow.php?did=867076049943998&newsid=6579311&typeid=91"),
]


def _bulletin_vortex(storm, file, bjt, lon, lat, vmax, pc, **radii) -> Vortex:
    """The bulletin's centre and intensity, with the translation of the CMA best track at that time."""
    track = shipped_track(file, storm=storm).interpolate("1h")
    when = pd.Timestamp(bjt, tz="Asia/Shanghai").tz_convert("UTC")
    p = track.points.set_index("time").loc[when]
    return Vortex.from_state(p.lon if lon is None else lon, p.lat if lat is None else lat, vmax, pc,
                             vt_east_ms=p.vt_east_ms, vt_north_ms=p.vt_north_ms, **radii)


class TestCalibrationAgainstBulletins:
    """Modelled radii (mean over azimuths) within 30% of the middle of the bulletin's range.

    The model's one calibrated factor (wind_field.RMAX_CALIBRATION) was chosen on the Muifa and In-Fa bulletins
    from 13 Sep (Muifa) on, so those rows check the shape of the profile with that factor; the 11 Sep Muifa and the
    Bebinca bulletins, and every R12, were not used to choose it.
    """

    @pytest.mark.parametrize("b", BULLETINS, ids=[f"{b[0]} {b[2]}" for b in BULLETINS])
    def test_r7_and_r10_within_30_percent(self, b):
        storm, file, bjt, lon, lat, vmax, pc, r7, r10, _r12, url = b
        v = _bulletin_vortex(storm, file, bjt, lon, lat, vmax, pc)
        m7 = v.radius_km(13.9)[0]
        m10 = v.radius_km(24.5)[0]
        assert m7 == pytest.approx(np.mean(r7), rel=0.30), f"R7 {m7:.0f} km vs {r7} ({url})"
        assert m10 == pytest.approx(np.mean(r10), rel=0.30), f"R10 {m10:.0f} km vs {r10} ({url})"

    @pytest.mark.parametrize("b", [b for b in BULLETINS if b[9]], ids=[f"{b[0]} {b[2]}" for b in BULLETINS if b[9]])
    def test_r12_within_30_percent(self, b):
        storm, file, bjt, lon, lat, vmax, pc, _r7, _r10, r12, url = b
        m12 = _bulletin_vortex(storm, file, bjt, lon, lat, vmax, pc).radius_km(32.7)[0]
        assert m12 == pytest.approx(r12, rel=0.30), f"R12 {m12:.0f} km vs {r12} ({url})"

    def test_young_large_storm_needs_its_radii(self):
        # Muifa on 10 Sep 08:00 (30 m/s, 980 hPa, R7 300–360, R10 60;
        # https://news.fznews.com.cn/gngj/20220910/q5kW310899.shtml) was large for its strength: from intensity
        # alone the model gives less than half its R7. With the bulletin's radii the field is fitted to them.
        alone = _bulletin_vortex("MUIFA", "muifa_2022", "2022-09-10 08:00", 126.4, 20.7, 30, 980)
        assert alone.radius_km(13.9)[0] < 0.7 * 330
        fitted = _bulletin_vortex("MUIFA", "muifa_2022", "2022-09-10 08:00", 126.4, 20.7, 30, 980,
                                  r7_km=330.0, r10_km=60.0)
        assert fitted.fitted == "r7+r10"
        assert fitted.radius_km(13.9)[0] == pytest.approx(330, rel=0.05)
        assert fitted.radius_km(24.5)[0] == pytest.approx(60, rel=0.05)


class TestStormWeather:
    def test_router_interface(self):
        track = shipped_track("muifa_2022").interpolate("1h")
        a = StormWeather(track.vortex(200), "2022-09-14T14:00:00Z", "MUIFA")
        b = StormWeather(track.vortex(201), "2022-09-14T15:00:00Z", "MUIFA")
        assert a.key != b.key and a.key == StormWeather(track.vortex(200), "2022-09-14T14:00:00Z", "MUIFA").key
        assert "MUIFA" in a.describe() and "台风" in a.describe("zh")
        # centre (122.03, 30.30); the bulletins of that afternoon give R10 80–100 km
        w = a.wind_at(np.array([122.1, 123.5, 140.0]), np.array([30.3, 30.3, 30.0]))
        assert w.dtype == np.int64 and w.shape == (3,)
        assert w[0] >= 10 and w[0] >= w[1] >= w[2] and w[2] <= 4


# ---------------------------------------------------------------------- many states at once, and bounds
def _published_speed(v: Vortex, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The field as Vortex.speed_ms computed it, one state at a time, before it was vectorised over states
    (written out again: the vectorised field must give these numbers to the last bit)."""
    dx = np.radians(lon - v.lon) * np.cos(np.radians(0.5 * (lat + v.lat)))
    dy = np.radians(lat - v.lat)
    rad = np.maximum(np.hypot(dx, dy), 1e-12)
    d = np.maximum(rad * 6371.0088, v.rmax_km)
    r = np.maximum(d, 1e-3)
    y = v.rmax_km / r if v.b == 1.0 else (v.rmax_km / r) ** v.b
    speed = v.v_sym_ms * np.sqrt(y * np.exp(1.0 - y))
    vt = math.hypot(v.vt_east_ms, v.vt_north_ms)
    if vt > 0:
        cos_a = (-dy * v.vt_east_ms + dx * v.vt_north_ms) / (rad * vt)
        speed += vt * (v.rmax_km * d / (v.rmax_km ** 2 + d ** 2)) * cos_a
    return np.maximum(speed, 0.0)


def _states(rng: np.random.Generator, n: int) -> list[Vortex]:
    import dataclasses

    out = []
    for k in range(n):
        moving = k % 5 != 0  # some storms stand still (no motion term)
        v = Vortex.from_state(rng.uniform(119, 126), rng.uniform(25, 33), rng.uniform(12, 70),
                              rng.uniform(900, 1000) if k % 3 else None, vt_east_ms=rng.uniform(-9, 9) * moving,
                              vt_north_ms=rng.uniform(-9, 9) * moving, calibration=rng.uniform(0.1, 1.2))
        if k % 7 == 0:  # numpy computes x ** 2 and x ** 0.5 by shortcuts of their own: they must be kept
            v = dataclasses.replace(v, b=(2.0, 0.5, 1.0, 2.5)[k % 4])
        out.append(v)
    return out


class TestManyStates:
    def test_all_steps_at_once_are_each_step_to_the_last_bit(self):
        rng = np.random.default_rng(11)
        states = _states(rng, 60)
        lon, lat = rng.uniform(121, 124, 700), rng.uniform(29, 31.5, 700)
        at_once = speeds_ms(states, lon, lat)
        which = rng.integers(0, len(states), 700)
        pairs = speeds_at(states, which, lon, lat)
        for k, v in enumerate(states):
            published = _published_speed(v, lon, lat)
            assert np.array_equal(at_once[k], published), k
            assert np.array_equal(v.speed_ms(lon, lat), published), k
            assert np.array_equal(pairs[which == k], published[which == k]), k
        assert np.array_equal(forces_bft(states, lon, lat), beaufort(at_once))
        assert speeds_ms([], lon, lat).shape == (0, 700)

    def test_bounds_at_a_distance_are_each_states_bound(self):
        states = _states(np.random.default_rng(12), 40)
        distance = np.linspace(0, 900, 40)
        assert np.array_equal(bounds_ms(states, distance), [v.bound_ms(d) for v, d in zip(states, distance)])

    @settings(max_examples=40, deadline=None)
    @given(seed=st.integers(0, 10_000), size=st.floats(0.0, 1.5))
    def test_force_ranges_hold_every_force_in_the_box(self, seed, size):
        rng = np.random.default_rng(seed)
        states = _states(rng, 8)
        west, south = rng.uniform(120.5, 124, 8), rng.uniform(28.5, 31.5, 8)
        east, north = west + rng.uniform(0, size, 8), south + rng.uniform(0, size, 8)
        which = np.arange(8)
        low, high = force_ranges(states, which, west, south, east, north)
        for k, v in enumerate(states):
            lon = np.concatenate([[west[k], east[k], west[k], east[k]], rng.uniform(west[k], east[k], 400)])
            lat = np.concatenate([[south[k], south[k], north[k], north[k]], rng.uniform(south[k], north[k], 400)])
            force = v.bft(lon, lat)
            assert low[k] <= force.min() and force.max() <= high[k], (k, low[k], high[k], force.min(), force.max())
        one = states[0].bft_range(west[:1], south[:1], east[:1], north[:1])
        assert (one[0][0], one[1][0]) == (low[0], high[0])

    def test_force_ranges_settle_boxes_far_away_and_near_the_core(self):
        v = Vortex.from_state(122.3, 29.9, 42, None, vt_north_ms=5.0)
        low, high = v.bft_range(np.array([140.0, 122.25]), np.array([20.0, 29.88]), np.array([140.2, 122.3]),
                                np.array([20.2, 29.9]))
        assert high[0] <= 3  # 2,000 km away: calm, whatever the box holds
        assert low[1] >= 12  # inside the radius of maximum wind
