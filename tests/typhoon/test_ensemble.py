"""Typhoon ensembles (islandcover.typhoon.ensemble) and ``islandcover ensemble``, on 梅花 Muifa 2022."""
from __future__ import annotations

import math

import numpy as np
import pytest

from islandcover.errors import EnsembleError, IslandcoverError
from islandcover.travel.weather import Weather
from islandcover.typhoon.ensemble import (
    CMA_TRACK_ERROR_KM,
    CMA_VMAX_MAE_MS,
    EnsembleRouter,
    ErrorModel,
    check_options,
    forecast_track,
    member_seeds,
    member_track,
    run_ensemble,
)
from islandcover.typhoon.replay import replay
from islandcover.typhoon.tracks import shipped_track
from islandcover.typhoon.wind_field import holland_b

# 梅花's closest approach is on 14 Sep; a forecast issued the day before keeps the runs short
ISSUED = "2022-09-14T02:00+08:00"


@pytest.fixture(scope="module")
def muifa():
    return shipped_track("muifa_2022")


def _km(lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray) -> np.ndarray:
    """Great-circle distance (km), haversine: independent of the module's flat-earth offsets."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    a = np.sin((p1 - p0) / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(np.radians(lon1 - lon0) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


class TestPerturbations:
    def test_position_errors_grow_with_lead_time_as_the_cma_table_says(self, muifa):
        base = forecast_track(muifa)  # 256 hourly points: lead times 0–255 h
        _, seeds = member_seeds(7, 2000)
        leads = [24, 48, 72, 96, 120]
        dist = np.zeros((len(seeds), len(leads)))
        for k, s in enumerate(seeds):
            tr = member_track(base, ErrorModel(), np.random.Generator(np.random.PCG64(s)))
            p, b = tr.points.iloc[leads], base.points.iloc[leads]
            dist[k] = _km(b.lon.to_numpy(), b.lat.to_numpy(), p.lon.to_numpy(), p.lat.to_numpy())
        mean = dist.mean(axis=0)
        assert np.all(np.diff(mean) > 0)  # grow with lead time
        for lead, m in zip(leads, mean):  # the mean distance error is the published mean error (±5%)
            assert m == pytest.approx(CMA_TRACK_ERROR_KM[lead], rel=0.05), lead
        first = member_track(base, ErrorModel(), np.random.default_rng(1))
        assert (first.points.lon.iloc[0], first.points.lat.iloc[0]) == (base.points.lon.iloc[0],
                                                                       base.points.lat.iloc[0])

    def test_intensity_errors_match_the_cma_mean_absolute_error_and_keep_hollands_b(self, muifa):
        base = forecast_track(muifa, _t("2022-09-10T08:00+08:00"))  # 42–48 m/s at 24–72 h: no clipping
        _, seeds = member_seeds(11, 1500)
        leads = [24, 48, 72]
        dv = np.zeros((len(seeds), len(leads)))
        for k, s in enumerate(seeds):
            tr = member_track(base, ErrorModel(), np.random.Generator(np.random.PCG64(s)))
            dv[k] = tr.points.vmax_ms.iloc[leads].to_numpy() - base.points.vmax_ms.iloc[leads].to_numpy()
            if k == 0:
                p, q = tr.points.iloc[30], base.points.iloc[30]
                assert holland_b(p.vmax_ms, p.pressure_hpa) == pytest.approx(holland_b(q.vmax_ms, q.pressure_hpa))
        for j, lead in enumerate(leads):
            assert np.abs(dv[:, j]).mean() == pytest.approx(CMA_VMAX_MAE_MS[lead], rel=0.06), lead

    def test_zero_spread_leaves_the_track_as_it_is(self, muifa):
        base = forecast_track(muifa, ISSUED)
        tr = member_track(base, ErrorModel().scaled(0), np.random.default_rng(5))
        cols = ["lon", "lat", "vmax_ms", "pressure_hpa"]
        assert tr.points[cols].equals(base.points[cols])
        assert np.all(tr.radius_factor == 1.0)


class TestRouter:
    def test_ensemble_router_cuts_off_what_the_router_does(self, arch, net, router):
        mine = EnsembleRouter(arch, net)
        for wind in (0, 6, 7, 8, 9, 10, 12):
            w = Weather.uniform(wind)
            assert [c.id for c in mine.cutoff(w)] == [c.id for c in router.cutoff(w)], wind


class TestRuns:
    def test_one_member_without_spread_is_the_plain_replay(self, router, muifa):
        ens = run_ensemble(router, muifa, 1, seed=1, model=ErrorModel().scaled(0), workers=0)
        plain = {s.id: s for s in replay(router, muifa).islands}
        assert ens.island_ids
        for k, iid in enumerate(ens.island_ids):
            assert ens.hours_cut_off[0, k] == plain[iid].hours_cut_off, iid
            assert ens.longest_h[0, k] == plain[iid].longest_isolation_h, iid
        odds = {o.id: o for o in ens.islands}
        for iid, s in plain.items():
            assert odds[iid].p_cut_off == (1.0 if s.longest_isolation_h > 12 else 0.0)
            assert odds[iid].p_force10 == (1.0 if s.peak_bft >= 10 else 0.0)

    def test_one_seed_gives_one_answer_serially_and_on_a_local_cluster(self, router, muifa):
        pytest.importorskip("distributed")
        # 4 small members from the day before landfall: the LocalCluster's start-up dominates (< 60 s)
        serial = run_ensemble(router, muifa, 4, seed=2022, start=_t(ISSUED), workers=0)
        again = run_ensemble(router, muifa, 4, seed=2022, start=_t(ISSUED), workers=0)
        spread = run_ensemble(router, muifa, 4, seed=2022, start=_t(ISSUED), workers=2, batches_per_worker=1)
        assert spread.runner.startswith("dask LocalCluster")
        for other in (again, spread):
            assert np.array_equal(serial.hours_cut_off, other.hours_cut_off)
            assert np.array_equal(serial.longest_h, other.longest_h)
            assert np.array_equal(serial.peak_bft, other.peak_bft)
            assert [o.to_dict() for o in serial.islands] == [o.to_dict() for o in other.islands]
        d = serial.to_dict()
        assert {"storm", "members", "hours", "islands"} <= set(d)
        assert set(d["islands"][0]) == {"id", "name_zh", "name_en", "p_cut_off", "hours_mean", "hours_p90",
                                        "p_force10"}
        assert all(0 <= i["p_cut_off"] <= 1 and i["hours_p90"] >= 0 for i in d["islands"])


def _t(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


class TestErrorsWarnings:
    @pytest.mark.parametrize("members, hours, scheduler, word", [
        (0, 12, None, "members"), (-3, 12, None, "members"), (2, -1, None, "hours"), (2, math.nan, None, "hours"),
        (2, 12, "localhost", "scheduler"), (2, 12, "tcp://host:99999", "scheduler")])
    def test_bad_options_are_refused(self, members, hours, scheduler, word):
        with pytest.raises(EnsembleError, match=word) as exc:
            check_options(members, hours, scheduler=scheduler)
        assert isinstance(exc.value, IslandcoverError) and isinstance(exc.value, ValueError)

    def test_no_scheduler_at_the_address_is_an_error_naming_it(self, router, muifa):
        pytest.importorskip("distributed")
        with pytest.raises(EnsembleError, match="127.0.0.1:9"):
            run_ensemble(router, muifa, 1, scheduler="tcp://127.0.0.1:9", connect_timeout_s=2, start=_t(ISSUED))

    def test_a_start_outside_the_track_is_refused(self, muifa):
        with pytest.raises(EnsembleError, match="fewer than two hours"):
            forecast_track(muifa, _t("2022-09-30T00:00+08:00"))

    @pytest.mark.parametrize("argv", [["--members", "0"], ["--members", "2", "--hours", "-1"],
                                      ["--members", "2", "--scheduler", "not-an-address"],
                                      ["--members", "2", "--spread", "9"]])
    def test_the_command_exits_2_with_one_line(self, run_cli, argv):
        rc, out, err = run_cli(["ensemble", "梅花", *argv])
        assert rc == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and err.startswith("islandcover: error: ")
