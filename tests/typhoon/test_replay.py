"""Typhoon replay and the pre-positioning plan on the shipped data (梅花 Muifa 2022), and their commands."""
from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from islandcover.situation import Suspension
from islandcover.travel.weather import Weather
from islandcover.typhoon.replay import CutOffTracker, Isolation, cut_off_hours, prepare, replay
from islandcover.typhoon.tracks import shipped_track
from islandcover.typhoon.wind_field import StormWeather, Vortex

#: Muifa's best-track points of 14 Sep 2022 (UTC), 00:00 to 00:00, as a forecast in Beijing time (conftest's
#: ``muifa_forecast``)
DAY = ("2022-09-14T08:00", "2022-09-15T08:00")


@pytest.fixture(scope="module")
def muifa():
    return shipped_track("muifa_2022")


@pytest.fixture(scope="module")
def run(muifa_replay):
    """``replay(router, muifa, "1h")``, the session's (conftest)."""
    return muifa_replay


@pytest.fixture(scope="module")
def plan(router, muifa, run):
    return prepare(router, muifa, 12, replayed=run)


class _Stronger:
    """A scenario ``k`` forces stronger than ``base`` everywhere (capped at 12)."""

    def __init__(self, base, k: int) -> None:
        self.base, self.k = base, k

    @property
    def key(self) -> str:
        return f"{self.base.key}+{self.k}"

    def describe(self, lang: str = "en") -> str:
        return f"{self.base.describe(lang)} +{self.k}"

    def wind_at(self, lon, lat):
        return np.minimum(self.base.wind_at(lon, lat) + self.k, 12).astype(np.int64)


class TestReplayInvariants:
    def test_nothing_is_cut_off_below_force_7(self, router):
        # winds of force 6 everywhere close no link that every outside team depends on
        assert router.cutoff(Weather.uniform(6)) == []

    def test_no_island_is_cut_off_before_force_7_reaches_the_network(self, router, run):
        # the invariant, at every step: an island is cut off only when the modelled wind reaches force 7
        # on some link of the network (equivalently: where the field stays below 7 on every link, nothing is cut
        # off). The force is recomputed from the step's own wind field over all the network's edges, not taken
        # from the replay's max_bft, which the replay estimates from a bound when the storm is far away.
        assert len(run._weathers) == len(run.steps)
        peak = [int(router.edge_wind(w).max()) for w in run._weathers]
        for s, force in zip(run.steps, peak):
            assert force >= 7 or not s.cut_off, (s.time, force, s.cut_off)
        # both kinds of step occur (Muifa came from 1,600 km away and crossed Zhoushan), so the check has teeth
        assert any(s.cut_off for s in run.steps) and any(force < 7 for force in peak)
        first_force_7 = next(i for i, force in enumerate(peak) if force >= 7)
        assert first_force_7 > 0 and not any(s.cut_off for s in run.steps[:first_force_7])

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(lon=st.floats(121.0, 124.5), lat=st.floats(28.5, 31.5), vmax=st.floats(18, 50), k=st.integers(1, 3))
    def test_cut_off_at_wind_w_stays_cut_off_at_higher_wind(self, router, lon, lat, vmax, k):
        base = StormWeather(Vortex.from_state(lon, lat, vmax, None, vt_north_ms=5.0), "2022-09-14T12:00:00Z", "T")
        weak = {c.id for c in router.cutoff(base)}
        strong = {c.id for c in router.cutoff(_Stronger(base, k))}
        assert weak <= strong

    def test_changes_are_the_differences_between_steps(self, run):
        prev: set[str] = set()
        for s in run.steps:
            now = set(s.cut_off)
            assert set(s.newly_cut_off) == now - prev and set(s.reconnected) == prev - now
            prev = now

    def test_reused_answers_match_a_fresh_cutoff(self, router, run, muifa):
        # steps answered from the cache of identical closures must equal a direct computation
        hourly = muifa.interpolate("1h")
        picks = [i for i, s in enumerate(run.steps) if s.cut_off][::5] + [0]
        for i in picks:
            # the sailings the lead-time rule stopped at this step, as notices (they close whatever the wind)
            rule = tuple(Suspension(0, "route", f, datetime.fromisoformat(run.steps[i].time), None, "rule")
                         for f in run.steps[i].suspended)
            w = StormWeather(hourly.vortex(i), run.steps[i].time, "MUIFA").with_notices(rule)
            assert tuple(sorted(c.id for c in router.cutoff(w))) == run.steps[i].cut_off

    def test_summary_counts_the_steps(self, run):
        for isl in run.islands:
            flags = [isl.id in s.cut_off for s in run.steps]
            longest = cur = 0
            for f in flags:
                cur = cur + 1 if f else 0
                longest = max(longest, cur)
            assert isl.hours_cut_off == sum(flags) * run.step_h
            assert isl.longest_isolation_h == longest * run.step_h
            assert isl.peak_bft == max(s.wind_bft[isl.id] for s in run.steps)
        hours = [i.hours_cut_off for i in run.islands]
        assert hours == sorted(hours, reverse=True)


class TestCutOffHours:
    """The replay's core, as the typhoon ensemble runs it: the same answer as the router's, found from
    certificates (CutOffTracker) and the wind at few links."""

    def test_certificates_give_the_routers_answer(self, router):
        # storms placed at random around Zhoushan, some with sailings stopped by the lead-time rule: the
        # cut-off islands from certificates equal Router.cutoff's from the components of every link, first
        # with no certificate kept (every island searched), then from the certificates kept
        rng = np.random.default_rng(3)
        routes = sorted({str(r) for r in router.net.edge_name[router.net.edge_mode == "ferry"]})
        cases = []
        for k in range(12):
            v = Vortex.from_state(rng.uniform(121.0, 124.0), rng.uniform(28.8, 31.4), rng.uniform(18, 55), None,
                                  vt_east_ms=rng.uniform(-6, 6), vt_north_ms=rng.uniform(-6, 6))
            stopped = tuple(sorted(rng.choice(routes, size=int(rng.integers(1, 6)), replace=False))) if k % 2 else ()
            notices = tuple(Suspension(0, "route", f, datetime(2022, 9, 14, tzinfo=UTC), None, "rule") for f in stopped)
            w = StormWeather(v, "2022-09-14T12:00:00+08:00", "T").with_notices(notices)
            cases.append((v, tuple(str(x) for x in stopped), sorted(c.id for c in router.cutoff(w))))
        assert any(expect for *_, expect in cases) and any(not expect for *_, expect in cases)
        tracker = CutOffTracker(router)
        for v, stopped, expect in cases + cases[::-1]:
            assert sorted(np.array(tracker.ids)[tracker.cut_off(v, stopped)]) == expect
        calm = Weather.uniform(0).with_notices(
            tuple(Suspension(0, "route", f, datetime(2022, 9, 14, tzinfo=UTC), None, "rule") for f in routes))
        assert (sorted(np.array(tracker.ids)[tracker.cut_off(None, tuple(routes))])
                == sorted(c.id for c in router.cutoff(calm)))

    def test_the_core_is_what_the_replay_shows(self, router, run, muifa):
        hours = cut_off_hours(router, muifa)
        assert len(hours.times) == len(run.steps) and not hours.weathers and not hours.signatures
        for i, s in enumerate(run.steps):
            assert tuple(sorted(np.array(hours.island_ids)[hours.cut_off[i]])) == s.cut_off
            assert dict(zip(hours.island_ids, hours.wind_bft[i].tolist())) == s.wind_bft
            assert hours.suspended[i] == s.suspended
            # without the replay's display, the wind on the links is given by its bound
            assert hours.max_bft[i] >= s.max_bft
        iso = Isolation.of(hours)
        by_id = {x.id: x for x in run.islands}
        for j, iid in enumerate(hours.island_ids):
            assert iso.hours_cut_off[j] == by_id[iid].hours_cut_off
            assert iso.longest_h[j] == by_id[iid].longest_isolation_h
            assert iso.peak_bft[j] == by_id[iid].peak_bft
            first = by_id[iid].longest_from
            assert (run.steps[iso.longest_first[j]].time if iso.longest_first[j] >= 0 else None) == first

    def test_a_track_at_its_steps_is_not_interpolated_again(self, router, muifa):
        hourly = muifa.interpolate("1h")
        a, b = cut_off_hours(router, muifa), cut_off_hours(router, hourly)
        assert np.array_equal(a.cut_off, b.cut_off) and np.array_equal(a.wind_bft, b.wind_bft)
        assert a.suspended == b.suspended and a.times == b.times


class TestMuifa:
    def test_steps_and_centres(self, run):
        # 2022-09-06T06Z to 09-16T21Z hourly; at 09-14T12Z (20:00 Beijing time, as the steps give it) the best
        # track puts the centre at 122.3E 29.9N
        assert len(run.steps) == 256
        assert (run.steps[0].time, run.steps[-1].time) == ("2022-09-06T14:00:00+08:00", "2022-09-17T05:00:00+08:00")
        s = next(s for s in run.steps if s.time == "2022-09-14T20:00:00+08:00")
        assert s.center == (pytest.approx(122.3), pytest.approx(29.9))
        assert all(len(s.wind_bft) == len(run.islands) for s in run.steps)

    def test_islands_near_landfall_see_force_10(self, router, run):
        # bulletin of 14 Sep 17:00 BJT: R10 80–100 km (http://m.yktchina.com/zx/2022/0914/46659.html); at 12Z the
        # centre is at 122.3E 29.9N, so the powered islands 20–50 km from it lie inside the force-10 circle even
        # with the radius 30% short (the eye, within 20 km, is left out: wind_field's winds there are not reliable)
        s = next(s for s in run.steps if s.time == "2022-09-14T20:00:00+08:00")
        net = router.net
        near = []
        for iid, bft in s.wind_bft.items():
            node = net.island_node[iid]
            lon, lat = float(net.node_lon[node]), float(net.node_lat[node])
            d = 6371.0 * math.hypot(math.radians(lon - 122.3) * math.cos(math.radians(29.9)), math.radians(lat - 29.9))
            if 20 <= d <= 50:
                near.append((iid, round(d), bft))
        assert len(near) >= 10 and all(b >= 10 for _, _, b in near), near

    def test_calm_far_away(self, run):
        # on 6 Sep the storm was at 136.7E 21.5N, 1,600 km away: nothing closes
        assert not run.steps[0].cut_off and run.steps[0].max_bft < 7

    def test_json(self, run):
        d = json.loads(json.dumps(run.to_dict(), ensure_ascii=False))
        assert d["storm"] == "MUIFA" and len(d["steps"]) == 256
        assert set(d["steps"][0]) >= {"time", "center", "wind_bft", "cut_off", "newly_cut_off", "reconnected"}
        assert set(d["islands"][0]) >= {"hours_cut_off", "longest_isolation_h", "peak_bft"}

    def test_progress_is_reported_only_when_asked(self, router):
        track = shipped_track("bebinca_pulasan_2024", storm="PULASAN")
        seen: list[str] = []
        replay(router, track, "3h", progress=seen.append)
        assert len(seen) == len(track.interpolate("3h"))


class TestPrepare:
    def test_only_long_isolations_without_own_team(self, plan, run):
        by_id = {i.id: i for i in run.islands}
        expected = {i.id for i in run.islands if i.longest_isolation_h > 12 and not i.has_own_team}
        assert {it.id for it in plan.items} == expected
        assert set(plan.skipped_own_team) == {i.id for i in run.islands
                                              if i.longest_isolation_h > 12 and i.has_own_team}
        assert all(by_id[it.id].longest_from == it.cut_off_from for it in plan.items)

    def test_ranked_by_people_unknown_last(self, plan):
        pops = [it.population for it in plan.items]
        known = [p for p in pops if p is not None]
        assert known == sorted(known, reverse=True)
        assert pops == known + [None] * (len(pops) - len(known))
        assert all("population unknown" in it.note for it in plan.items if it.population is None)
        assert plan.people_known == sum(known)

    def test_each_team_arrives_before_the_island_closes(self, plan):
        for it in plan.items:
            for o in ([it.team] if it.team else []) + it.options:
                assert pd.Timestamp(o.latest_departure) < pd.Timestamp(it.cut_off_from)
                assert pd.Timestamp(o.arrival) <= pd.Timestamp(it.cut_off_from)

    def test_latest_departure_is_checked_against_the_router(self, router, plan, muifa):
        # recompute the travel time at the latest departure, and show that one step later the team cannot make it
        hourly = muifa.interpolate("1h")
        times = list(hourly.points.time)
        for it in [i for i in plan.items if i.team][:4]:
            t = it.team
            dep = times.index(pd.Timestamp(t.latest_departure))
            eta = router.travel_times(StormWeather(hourly.vortex(dep), t.latest_departure, "MUIFA")).at[t.team_id, it.id]
            assert eta == pytest.approx(t.eta_min)
            later = dep + 1
            cut = pd.Timestamp(it.cut_off_from)
            w = StormWeather(hourly.vortex(later), "later", "MUIFA")
            eta2 = router.travel_times(w).at[t.team_id, it.id]
            blocked = not np.isfinite(eta2) or times[later] + pd.Timedelta(minutes=float(eta2)) > cut
            if not blocked:  # then the route must close while under way
                arrive = times[later] + pd.Timedelta(minutes=float(eta2))
                steps = [j for j in range(later + 1, len(times)) if times[j] < arrive]
                blocked = any(not np.isfinite(router.travel_times(
                    StormWeather(hourly.vortex(j), f"s{j}", "MUIFA")).at[t.team_id, it.id]) for j in steps)
            assert blocked, (it.id, t)

    def test_no_team_is_sent_twice(self, plan):
        sent = [it.team.team_id for it in plan.items if it.team]
        assert len(sent) == len(set(sent))

    def test_json(self, plan):
        d = json.loads(json.dumps(plan.to_dict(), ensure_ascii=False))
        assert d["hours"] == 12 and "rule" in d
        assert all(set(i) >= {"id", "population", "team", "options", "isolation_h"} for i in d["items"])


# ---------------------------------------------------------------------- the commands
# through islandcover.cli.main (conftest's run_cli), as the console script runs it
class TestCommands:
    def test_replay_json(self, muifa_forecast, run_cli):
        f = muifa_forecast(*DAY)
        rc, out, _ = run_cli(["replay", str(f), "--json"])
        assert rc == 0
        d = json.loads(out)
        # the forecast's first point, 08:00 Beijing time, comes back in Beijing time with its offset
        assert d["steps"][0]["time"] == "2022-09-14T08:00:00+08:00" and len(d["steps"]) == 25
        assert d["start"] == "2022-09-14T08:00:00+08:00" and d["end"] == "2022-09-15T08:00:00+08:00"
        assert any(s["cut_off"] for s in d["steps"])
        assert d["wind_basis"] == "as given (m/s)"

    def test_prepare_table(self, muifa_forecast, run_cli):
        f = muifa_forecast(*DAY)
        rc, out, _ = run_cli(["prepare", str(f), "--hours", "6"])
        assert rc == 0
        assert "Pre-positioning plan for fc" in out and "rule:" in out
        assert "cut off (BJT)" in out and "leave by (BJT)" in out and "UTC" not in out

    def test_replay_table_in_beijing_time(self, tmp_path, muifa_forecast, run_cli):
        # the forecast written in UTC runs 00:00 to 00:00 (14 to 15 Sep): 08:00 to 08:00 in Beijing time
        lines = muifa_forecast(*DAY).read_text(encoding="utf-8").strip().splitlines()
        utc = [lines[0]] + [f"{pd.Timestamp(ln.split(',')[0]).tz_convert('UTC'):%Y-%m-%dT%H:%MZ},{ln.split(',', 1)[1]}"
                            for ln in lines[1:]]
        assert utc[1].startswith("2022-09-14T00:00Z,") and utc[-1].startswith("2022-09-15T00:00Z,")
        f = tmp_path / "fc.csv"
        f.write_text("\n".join(utc) + "\n", encoding="utf-8")
        rc, out, _ = run_cli(["replay", str(f)])
        assert rc == 0
        first = out.splitlines()[0]
        assert first.startswith("Replay of fc (fc.csv), 2022-09-14 08:00 – 2022-09-15 08:00 BJT: 25 steps"), first
        assert "time (BJT)" in out and "from – until (BJT)" in out and "UTC" not in out


class TestCommandErrors:
    """A user mistake is exit code 2 and one line on stderr naming it: no traceback, nothing on stdout.

    Each fails before the network is built (the step and the track are checked first).
    """

    @pytest.fixture()
    def forecast(self, muifa_forecast):
        return muifa_forecast(*DAY)

    @pytest.fixture()
    def out_of_order(self, tmp_path, muifa_forecast):
        f = tmp_path / "bad.csv"
        f.write_text(muifa_forecast(*DAY).read_text(encoding="utf-8").replace("2022-09-14T11:00+08:00", "2022-09-14T07:00+08:00"), encoding="utf-8")
        return f

    def _one_line(self, run_cli, argv) -> str:
        rc, out, err = run_cli(argv)
        assert rc == 2 and out == "", (rc, out, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        return err.strip()

    @pytest.mark.parametrize("command", ["replay", "prepare"])
    def test_unknown_track_name_lists_the_shipped_ones(self, run_cli, command):
        err = self._one_line(run_cli, [command, "lekima_2019"])
        assert err.startswith("islandcover: error: lekima_2019: not a shipped track (") and "muifa_2022" in err, err

    @pytest.mark.parametrize("command", ["replay", "prepare"])
    def test_times_out_of_order_name_the_row(self, run_cli, out_of_order, command):
        err = self._one_line(run_cli, [command, str(out_of_order)])
        assert err.startswith("islandcover: error: bad.csv, row 2, field 'time': time 2022-09-14T07:00:00+08:00 is "
                              "not after the previous point's 2022-09-14T08:00:00+08:00 (row 1)"), err

    @pytest.mark.parametrize("command", ["replay", "prepare"])
    @pytest.mark.parametrize(("step", "message"), [
        ("0h", "step '0h' is out of range: write a step from 10min to 24h"),
        ("10", "step '10' has no unit: write 10h or 10min"),
        ("25h", "step '25h' is out of range: write a step from 10min to 24h"),
        ("1 fortnight", "step '1 fortnight' is not a time step: write e.g. 1h, 30min or 3h"),
    ])
    def test_a_bad_step(self, run_cli, forecast, command, step, message):
        err = self._one_line(run_cli, [command, str(forecast), "--step", step])
        assert err == f"islandcover: error: {message}"

    def test_negative_hours(self, run_cli, forecast):
        err = self._one_line(run_cli, ["prepare", str(forecast), "--hours", "-1"])
        assert err == "islandcover prepare: error: argument --hours: -1 must be between 0 and 720 hours"
