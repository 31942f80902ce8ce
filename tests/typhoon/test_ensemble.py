"""Typhoon ensembles (islandcover.typhoon.ensemble) and ``islandcover ensemble``, on 梅花 Muifa 2022."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from islandcover.errors import ClusterError, EnsembleError, IslandcoverError
from islandcover.situation import Suspension
from islandcover.travel.weather import Weather
from islandcover.typhoon.ensemble import (
    CMA_TRACK_ERROR_KM,
    CMA_VMAX_MAE_MS,
    EnsembleRouter,
    ErrorModel,
    StationLinks,
    check_options,
    forecast_track,
    member_seeds,
    member_track,
    run_ensemble,
)
from islandcover.typhoon.prepare_odds import prepare_odds
from islandcover.typhoon.replay import replay
from islandcover.typhoon.tracks import shipped_track
from islandcover.typhoon.wind_field import StormWeather, holland_b

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
    def test_one_member_without_spread_is_the_plain_replay(self, router, muifa, muifa_replay):
        ens = run_ensemble(router, muifa, 1, seed=1, model=ErrorModel().scaled(0), workers=0)
        plain = {s.id: s for s in muifa_replay.islands}  # replay(router, muifa), the session's
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
        # 3 small members from the day before landfall, in two uneven batches on the cluster (2 + 1), no
        # head start (every member on the workers): the LocalCluster's start-up dominates (< 60 s)
        serial = run_ensemble(router, muifa, 3, seed=2022, start=_t(ISSUED), workers=0)
        again = run_ensemble(router, muifa, 3, seed=2022, start=_t(ISSUED), workers=0)
        spread = run_ensemble(router, muifa, 3, seed=2022, start=_t(ISSUED), workers=2, batches_per_worker=1,
                              head_start=False)
        assert spread.runner.startswith("dask LocalCluster")
        for other in (again, spread):
            assert np.array_equal(serial.hours_cut_off, other.hours_cut_off)
            assert np.array_equal(serial.longest_h, other.longest_h)
            assert np.array_equal(serial.peak_bft, other.peak_bft)
            assert np.array_equal(serial.links_closed_h, other.links_closed_h)
            assert np.array_equal(serial.cut_from_h, other.cut_from_h, equal_nan=True)
            assert [o.to_dict() for o in serial.islands] == [o.to_dict() for o in other.islands]
            assert [s.to_dict() for s in serial.stations] == [s.to_dict() for s in other.stations]
        d = serial.to_dict()
        assert {"storm", "members", "hours", "islands"} <= set(d)
        assert set(d["islands"][0]) == {"id", "name_zh", "name_en", "p_cut_off", "hours_mean", "hours_p90",
                                        "p_force10"}
        assert all(0 <= i["p_cut_off"] <= 1 and i["hours_p90"] >= 0 for i in d["islands"])


    def test_a_router_given_another_routers_certificates_gives_the_same_answers_with_fewer_searches(
            self, arch, net, muifa, monkeypatch):
        from islandcover.typhoon import replay as replay_module

        searches = []
        search = replay_module._ModeCertificates.search
        monkeypatch.setattr(replay_module._ModeCertificates, "search",
                            lambda self, *a: (searches.append(1), search(self, *a))[1])
        warm = EnsembleRouter(arch, net)
        run_ensemble(warm, muifa, 6, seed=5, start=_t(ISSUED), workers=0)  # keeps certificates
        kept = replay_module.CutOffTracker.for_router(warm).certificates()
        assert sum(len(c[0]) for c in kept.values()) > 0
        searches.clear()
        cold = run_ensemble(EnsembleRouter(arch, net), muifa, 6, seed=11, start=_t(ISSUED), workers=0)
        cold_searches = len(searches)
        searches.clear()
        adopted = EnsembleRouter(arch, net)
        replay_module.CutOffTracker.for_router(adopted).adopt(kept)
        given = run_ensemble(adopted, muifa, 6, seed=11, start=_t(ISSUED), workers=0)
        assert len(searches) < cold_searches
        for f in ("hours_cut_off", "longest_h", "peak_bft", "links_closed_h", "cut_from_h"):
            assert np.array_equal(getattr(cold, f), getattr(given, f), equal_nan=True), f


    def test_deciding_forces_open_and_close_every_link_as_the_true_forces_do(self, router, muifa):
        from islandcover.typhoon.replay import CutOffTracker

        t = CutOffTracker.for_router(router)
        rng = np.random.default_rng(3)
        windy = np.zeros(t.n_edges, dtype=bool)
        for lim in t.limits.values():
            windy |= (lim >= 0) & (lim < 17)
        edges = np.sort(rng.choice(np.flatnonzero(windy), 3000, replace=False))
        hourly = muifa.interpolate("1h")
        vortices = [hourly.vortex(i) for i in range(100, 180, 4)]  # the days 梅花 passed Zhoushan
        rows = np.repeat(np.arange(len(vortices)), len(edges))
        true = t.pair_forces(vortices, rows, np.tile(edges, len(vortices))).reshape(len(vortices), len(edges))
        deciding = t.deciding_forces(vortices, edges)
        assert (deciding != true).any()  # bounds stood in for some forces ...
        for lim in t.limits.values():  # ... and decide every mode's limits as the true forces do
            use = (lim[edges] >= 0) & (lim[edges] < 17)
            assert np.array_equal((true <= lim[edges])[:, use], (deciding <= lim[edges])[:, use])


def _t(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


class TestErrorsWarnings:
    @pytest.mark.parametrize("members, hours, scheduler, word", [
        (0, 12, None, "members"), (-3, 12, None, "members"), (2, -1, None, "hours"), (2, math.nan, None, "hours"),
        (2, 12, "localhost", "scheduler"), (2, 12, "tcp://host:99999", "scheduler")])
    def test_bad_options_are_refused(self, members, hours, scheduler, word):
        error = ClusterError if scheduler else EnsembleError
        with pytest.raises(error, match=word) as exc:
            check_options(members, hours, scheduler=scheduler)
        assert isinstance(exc.value, IslandcoverError) and isinstance(exc.value, ValueError)

    def test_no_scheduler_at_the_address_is_an_error_naming_it(self, router, muifa):
        pytest.importorskip("distributed")
        with pytest.raises(ClusterError, match="127.0.0.1:9"):
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


# ---------------------------------------------------------------------- stations, and the plan by the odds
# a day of 梅花 from the day of landfall (09-14 02:00 – 09-15 02:00 BJT): short members that do close links
SHORT = ("2022-09-13T18:00:00Z", "2022-09-14T18:00:00Z")


@pytest.fixture(scope="module")
def short():
    from storms import muifa_window

    return muifa_window(*SHORT)


@pytest.fixture(scope="module")
def tiny(router, short):
    """Three members of the short window, serially."""
    return run_ensemble(router, short, 3, seed=20, workers=0)


@pytest.fixture(scope="module")
def exits(arch, net):
    """Station id → boat class → the network edges by which that class sets out, found here from the network
    (the definition of StationLinks, written out again): own boats the sea lanes at the landing the station
    embarks at; a team riding the ferries the sailings between its land mass and another."""
    mode = net.edge_mode.astype(str)
    ferries = np.flatnonzero(mode == "ferry")
    out = {}
    for sid in sorted(set(arch.teams.station_id)):
        node = net.station_node[sid]
        (emb,) = np.flatnonzero((mode == "embark") & (net.edge_u == node))
        landing = net.edge_v[emb]
        lanes = np.flatnonzero((mode == "sea") & ((net.edge_u == landing) | (net.edge_v == landing)))
        mass = net.landmass[arch.stations.at[sid, "island_id"]]
        off = [e for e in ferries if (net.landmass.get(net.node_island[net.edge_u[e]]) == mass)
               != (net.landmass.get(net.node_island[net.edge_v[e]]) == mass)]
        out[sid] = {c: np.array(off if c == "ferry" else lanes, dtype=np.int64)
                    for c in set(arch.teams.boat_class[arch.teams.station_id == sid])}
    return out


def _shut(router, weather, exits_of_station) -> bool:
    """No class of the station has an open link, by the router's own test of every edge of the network."""
    return not any(router.open_edges(c, weather)[edges].any() for c, edges in exits_of_station.items())


class TestStations:
    def test_in_a_uniform_gale_links_close_as_the_lanes_exposure_and_the_boats_limits_say(self, router):
        links = StationLinks.from_router(router)
        shut = {w: {s for s, c in zip(links.station_ids, links.closed(Weather.uniform(w))) if c} for w in range(13)}
        assert shut[6] == set()  # within every own boat's limit on sheltered water (7) and open sea (6)
        # 东极 (庙子湖) and 枸杞 put to sea into open water only: force 7 is above the workboat's open-sea limit
        assert shut[7] == {"ST-07", "ST-12"}
        # at force 8 only the teams riding conventional ferries over sheltered water (limit 8) get out:
        # 定海 and 沈家门 (舟山岛) and 高亭 (岱山岛); 菜园 (泗礁) has a ferry team, but its sailings cross open sea
        assert shut[8] == set(links.station_ids) - {"ST-01", "ST-03", "ST-08"}
        assert shut[9] == set(links.station_ids) == set(router.arch.teams.station_id)

    def test_p_links_close_is_the_share_counted_from_the_members_replayed_directly(self, router, short, tiny,
                                                                                  exits):
        base = forecast_track(short)
        _, seeds = member_seeds(tiny.seed, tiny.members)
        hours = np.zeros((tiny.members, len(exits)))
        sids = sorted(exits)
        for k, s in enumerate(seeds):
            tr = member_track(base, ErrorModel(), np.random.Generator(np.random.PCG64(s)), k)
            rp = replay(router, tr, "1h")
            hourly = tr.interpolate("1h")
            for i, step in enumerate(rp.steps):
                at = pd.Timestamp(step.time).to_pydatetime()
                w = StormWeather(hourly.vortex(i), step.time, tr.name).with_notices(
                    tuple(Suspension(0, "route", fid, at, None, "lead-time rule") for fid in step.suspended))
                hours[k] += [_shut(router, w, exits[sid]) for sid in sids]
            # the start of each island's longest isolation, as the replay names it
            first = {st.time: n for n, st in enumerate(rp.steps)}
            for j, iid in enumerate(tiny.island_ids):
                summary = next(x for x in rp.islands if x.id == iid)
                want = np.nan if summary.longest_from is None else first[summary.longest_from]
                assert np.array_equal(tiny.cut_from_h[k, j], want, equal_nan=True), (k, iid)
        assert hours.sum() > 0  # the window does close links
        odds = {o.id: o for o in tiny.stations}
        assert sorted(odds) == sids
        for j, sid in enumerate(sids):
            assert np.array_equal(tiny.links_closed_h[:, tiny.station_ids.index(sid)], hours[:, j]), sid
            assert odds[sid].p_links_close == np.mean(hours[:, j] >= 1), sid
            assert odds[sid].hours_closed_mean == pytest.approx(hours[:, j].mean()), sid

    def test_the_answer_lists_every_station_with_a_team_most_likely_closed_first(self, arch, tiny):
        d = tiny.to_dict()
        assert {s["id"] for s in d["stations"]} == set(arch.teams.station_id)
        for s in d["stations"]:
            assert set(s) >= {"id", "name_zh", "p_links_close", "hours_closed_mean", "hours_closed_p90"}
            assert s["name_zh"] == arch.stations.at[s["id"], "name_zh"]
            assert 0 <= s["p_links_close"] <= 1 and s["hours_closed_p90"] >= 0
        keys = [(-s["p_links_close"], -s["hours_closed_mean"], s["id"]) for s in d["stations"]]
        assert keys == sorted(keys)
        assert "p_links_close" in d["definitions"]


class TestPrepareOdds:
    def test_islands_are_ranked_by_probability_times_people(self, router, short, tiny):
        arch = router.arch
        plan = prepare_odds(router, tiny, short, now=_t("2022-09-14T02:00+08:00"))
        odds = {o.id: o.p_cut_off for o in tiny.islands}
        own = set(arch.stations.loc[arch.teams.station_id, "island_id"])
        assert {i.id for i in plan.items} == {iid for iid, p in odds.items() if p > 0 and iid not in own}
        assert set(plan.skipped_own_team) == {iid for iid, p in odds.items() if p > 0 and iid in own}
        pop = arch.islands.population
        known = [iid for iid in odds if odds[iid] > 0 and iid not in own and pd.notna(pop[iid])]
        by_hand = sorted(known, key=lambda iid: (-odds[iid] * int(pop[iid]), -odds[iid], iid))
        assert [i.id for i in plan.items[:len(known)]] == by_hand
        rest = plan.items[len(known):]
        assert all(i.population is None for i in rest)
        assert [i.p_cut_off for i in rest] == sorted((i.p_cut_off for i in rest), reverse=True)
        for i in plan.items[:len(known)]:
            assert i.expected_people == pytest.approx(odds[i.id] * int(pop[i.id]))
        assert plan.expected_people == pytest.approx(sum(odds[iid] * int(pop[iid]) for iid in known))
        assert plan.to_dict()["ranking"].startswith("p_cut_off × population")

    def test_each_team_arrives_by_the_earliest_likely_cut_off_and_goes_once(self, router, short, tiny):
        plan = prepare_odds(router, tiny, short, now=_t("2022-09-14T02:00+08:00"))
        sent = [i.team.team_id for i in plan.items if i.team is not None]
        assert sent and len(sent) == len(set(sent))
        start = pd.Timestamp(tiny.start)
        for i in plan.items:
            k = tiny.island_ids.index(i.id)
            begins = sorted(tiny.cut_from_h[tiny.longest_h[:, k] > tiny.hours, k])
            assert pd.Timestamp(i.cut_off_from) == start + pd.Timedelta(hours=begins[0])  # 10th pct of 3: the least
            if i.team is not None:
                arrive = pd.Timestamp(i.team.latest_departure) + pd.Timedelta(minutes=i.team.eta_min)
                assert arrive <= pd.Timestamp(i.cut_off_from)
                assert pd.Timestamp(i.team.latest_departure).minute == 0  # on the hour

    def test_an_island_likely_cut_off_keeps_its_last_team(self, router, short, tiny):
        arch = router.arch
        plan = prepare_odds(router, tiny, short, now=_t("2022-09-14T02:00+08:00"))
        likely = {o.id for o in tiny.islands if o.p_cut_off >= 0.5}
        home = arch.teams.station_id.map(arch.stations.island_id)
        sent = {i.team.team_id for i in plan.items if i.team is not None}
        for iid in likely & set(home):
            mine = set(home.index[home == iid])
            assert mine - sent, iid

    def test_a_track_that_is_not_the_ensembles_is_refused(self, router, short, tiny, muifa):
        with pytest.raises(EnsembleError, match="track and start the ensemble was run with"):
            prepare_odds(router, tiny, muifa)
