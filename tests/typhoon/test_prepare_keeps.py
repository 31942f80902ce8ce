"""``prepare`` that never strips an island (issue 16): an island that will be cut off longer than
the threshold keeps its last team; moves are flagged against the current time; ``--apply``
puts the teams where they are sent, and the next nearest-team answer starts them there."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from islandcover.situation import Situation, TeamNow
from islandcover.typhoon.replay import prepare
from islandcover.typhoon.tracks import resolve_track

BEFORE = datetime.fromisoformat("2022-09-13T08:00+08:00")  # a day and a half before 梅花's landfall


@pytest.fixture(scope="module")
def muifa(muifa_replay):
    """``replay(router, resolve_track("梅花"), "1h")``: the session's replay of the shipped track (conftest)."""
    return muifa_replay


def _islands_with_teams(router, plan, sit):
    """Island → available teams on it after the plan's moves."""
    out: dict[str, set[str]] = {}
    moved = {i.team.team_id for i in plan.items if i.team is not None}
    for tid in router.arch.teams.index:
        if sit.status(str(tid), str(router.arch.teams.at[tid, "status"])) != "available" or tid in moved:
            continue
        out.setdefault(router.team_island(str(tid), sit), set()).add(str(tid))
    return out


def test_dongji_keeps_a_team(router, muifa):
    """庙子湖 (东极, ZS-0037) is cut off for 13 h itself: of its two teams one stays (before this
    rule both were sent to its neighbours)."""
    plan = prepare(router, resolve_track("梅花"), 12, replayed=muifa, now=BEFORE)
    sent = {i.team.team_id for i in plan.items if i.team is not None}
    assert len(sent & {"T-07A", "T-07B"}) <= 1
    assert "ZS-0037" in plan.kept


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(off=st.sets(st.sampled_from(["T-01A", "T-03A", "T-07A", "T-07B", "T-08A", "T-09A", "T-10A", "T-11A",
                                    "T-12A", "T-06A"]), max_size=4),
       moved=st.dictionaries(st.sampled_from(["T-01B", "T-02A", "T-04A", "T-05A"]),
                             st.sampled_from(["ZS-0037", "ZS-0027", "ZS-0010", "ZS-0019"]), max_size=2),
       hours=st.sampled_from([6.0, 12.0, 18.0]))
def test_no_island_cut_off_that_long_loses_its_last_team(router, muifa, off, moved, hours):
    teams = {t: TeamNow(t, "off-duty") for t in off}
    teams.update({t: TeamNow(t, "available", "island", i) for t, i in moved.items()})
    sit = Situation(teams=teams)
    plan = prepare(router, resolve_track("梅花"), hours, replayed=muifa, situation=sit, now=BEFORE)
    long = {s.id for s in muifa.islands if s.longest_isolation_h > hours and s.longest_from is not None}
    before = _islands_with_teams(router, type(plan)(plan.storm, plan.hours, plan.step_h, [], [], 0, 0, ""), sit)
    after = _islands_with_teams(router, plan, sit)
    for island in long:
        if before.get(island):
            assert after.get(island), f"{island} lost its last team to the plan"
    # and no team is sent twice, and only available teams are sent
    sent = [i.team.team_id for i in plan.items if i.team is not None]
    assert len(sent) == len(set(sent)) and not set(sent) & off


def test_moves_are_flagged_against_now(router, muifa):
    track = resolve_track("梅花")
    early = prepare(router, track, 12, replayed=muifa, now=BEFORE)
    assert {i.urgency for i in early.items if i.team} == {"leave by"}
    late = prepare(router, track, 12, replayed=muifa, now=datetime.fromisoformat("2022-09-20T00:00+08:00"))
    assert {i.urgency for i in late.items if i.team} == {"too late"} and late.moves() == []
    first = min(pd_time(i.team.latest_departure) for i in early.items if i.team)
    edge = prepare(router, track, 12, replayed=muifa, now=first)
    assert "leave now" in {i.urgency for i in edge.items if i.team}


def pd_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_apply_puts_the_teams_where_they_are_sent(run_cli, tmp_path, monkeypatch, muifa_forecast):
    monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path))
    # the day of landfall as a forecast (25 hourly steps, 12 islands to send a team to): the whole track's 256
    # steps plan the same kind of moves, three times slower
    day = muifa_forecast("2022-09-14T08:00", "2022-09-15T08:00")
    rc, out, err = run_cli(["prepare", str(day), "--now", "2022-09-13T08:00+08:00", "--apply", "--json"])
    assert rc == 0, err
    plan = json.loads(out)
    assert plan["applied"] and plan["now"] == "2022-09-13T08:00:00+08:00"
    first = plan["applied"][0]
    rc, out, err = run_cli(["nearest", first["island_id"], "--k", "1", "--json"])
    assert rc == 0, err
    trip = json.loads(out)["trips"][0]
    assert trip["team_id"] == first["team_id"] and trip["eta_min"] == 0  # it is there now
    rc, _, err = run_cli(["prepare", "梅花", "--apply", "--state", "none"])
    assert rc == 2 and "--apply" in err


def test_the_api_applies_only_with_a_dispatcher_key(api_client, planner_key, dispatcher_key):
    body = {"track": "梅花", "now": "2022-09-13T08:00:00+08:00"}
    assert api_client.post("/prepare", json={**body, "apply": True}, headers=planner_key).status_code == 403
    applied = api_client.post("/prepare", json={**body, "apply": True}, headers=dispatcher_key)
    assert applied.status_code == 200 and applied.json()["applied"]
    assert {i["urgency"] for i in applied.json()["items"] if i["team"]} == {"leave by"}
    move = applied.json()["applied"][0]
    assert api_client.get(f"/teams/{move['team_id']}").json()["at_ref"] == move["island_id"]
