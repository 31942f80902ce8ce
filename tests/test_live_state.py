"""One live state for the command line and the API (issue 16): teams where they are, released
teams where their incident was, suspension notices honoured by every answer, and every answer
saying which state it was computed on."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from islandcover.situation import SHIPPED, Situation, Suspension, TeamNow
from islandcover.store import Store
from islandcover.travel.weather import Weather

NOTICE = {"source": "舟山海事局 停航通知 (test)"}


@pytest.fixture()
def state_dir(tmp_path, monkeypatch):
    """A fresh live state that both the CLI (through the environment) and the API use."""
    monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("ISLANDCOVER_DATABASE_URL", raising=False)
    return tmp_path


@pytest.fixture()
def client(router, state_dir):
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx2")
        from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(router=router, state_dir=state_dir)
    with TestClient(app) as c:
        c.headers["X-API-Key"] = app.state.ic.store.create_key("dispatcher")
        yield c


def _nearest(run_cli, island, *extra):
    rc, out, err = run_cli(["nearest", island, "--json", *extra])
    assert rc == 0, err
    return json.loads(out)


class TestTeamsWhereTheyAre:
    def test_a_team_moved_through_the_api_changes_the_cli_answer(self, client, run_cli):
        before = _nearest(run_cli, "嵊山岛", "--k", "1")
        assert before["trips"][0]["eta_min"] > 0
        r = client.patch("/teams/T-11A", json={"at": "嵊山岛"})
        assert r.status_code == 200, r.text
        after = _nearest(run_cli, "嵊山岛", "--k", "1")
        assert after["trips"][0]["team_id"] == "T-11A"
        assert after["trips"][0]["eta_min"] == 0  # it is there: its service point is its start
        assert after["state"] != before["state"] and "state version" in after["state"]
        # and the pure what-if ignores the live state
        assert _nearest(run_cli, "嵊山岛", "--k", "1", "--state", "none")["trips"] == before["trips"]

    def test_a_team_moved_by_the_cli_changes_the_api_answer(self, client, run_cli):
        rc, out, err = run_cli(["team", "T-03C", "--at", "东福山岛"])
        assert rc == 0 and "island ZS-0033" in out, err
        d = client.get("/nearest", params={"island": "东福山岛", "k": 1}).json()
        assert d["trips"][0]["team_id"] == "T-03C" and d["trips"][0]["eta_min"] == 0
        assert client.get("/teams/T-03C").json()["at_ref"] == "ZS-0033"

    def test_a_released_team_stays_where_its_incident_was(self, client, run_cli):
        inc = client.post("/incidents", json={"island": "东福山岛", "description": "line down", "reporter": "desk"})
        iid = inc.json()["id"]
        assert client.post(f"/incidents/{iid}/assign", json={"team": "T-01A"}).status_code == 200
        assert client.post(f"/incidents/{iid}/close").status_code == 200
        team = client.get("/teams/T-01A").json()
        assert (team["status"], team["at_kind"], team["at_ref"]) == ("available", "island", "ZS-0033")
        # it is the fastest to that island now, from there, until it returns
        assert _nearest(run_cli, "东福山岛", "--k", "1")["trips"][0]["team_id"] == "T-01A"
        rc, out, _ = run_cli(["team", "T-01A", "--return"])
        assert rc == 0 and "at its station" in out
        assert _nearest(run_cli, "东福山岛", "--k", "1")["trips"][0]["team_id"] != "T-01A"

    def test_a_team_at_sea_starts_from_its_boat(self, router):
        sit = Situation(teams={"T-08A": TeamNow("T-08A", "available", "point", "122.50000,30.30000")})
        calm = Weather.uniform(0)
        at_sea = router.trip("T-08A", "嵊山岛", calm, situation=sit)
        at_home = router.trip("T-08A", "嵊山岛", calm)
        assert at_sea is not None and at_home is not None
        assert at_sea.legs[0].mode == "sea" and at_sea.start.endswith("at sea")
        assert at_sea.eta_min != at_home.eta_min

    def test_status_off_and_bad_places_are_one_line_errors(self, state_dir, run_cli):
        rc, out, _ = run_cli(["team", "T-02A", "--status", "off"])
        assert rc == 0 and "off-duty" in out
        for argv, words in [(["team", "T-99"], "no team"), (["team", "T-02A", "--at", "123.9,29.0"], "outside"),
                            (["team", "T-03C", "--at", "122.50,30.30"], "ferries only stop at piers")]:
            rc, out, err = run_cli(argv)
            assert rc == 2 and words in err and err.count("\n") == 1, (argv, err)


class TestSuspensions:
    def test_a_notice_is_honoured_by_route_nearest_links_and_cutoff(self, client, run_cli):
        calm_route = run_cli(["route", "沈家门", "东福山岛", "--vessel", "ferry", "--json"])
        assert json.loads(calm_route[1])["status"] == "ok"
        r = client.post("/suspensions", json={"scope": "route", "ref": "F-18", **NOTICE})
        assert r.status_code == 201, r.text
        assert r.json()["active"] and r.json()["label"].startswith("notice 1 (舟山海事局")
        rc, out, _ = run_cli(["route", "沈家门", "东福山岛", "--vessel", "ferry", "--json"])
        route = json.loads(out)
        assert route["status"] == "unreachable"
        assert any("suspended by notice 1" in c and "F-18" in c for c in route["closed"])
        api_route = client.get("/route", params={"from": "沈家门", "to": "东福山岛", "vessel": "ferry"}).json()
        assert api_route["status"] == "unreachable"
        links = client.get("/links").json()
        f18 = next(x for x in links["links"] if x["id"] == "F-18")
        assert f18["status"] == "closed" and f18["reason"].startswith("suspended by notice 1")
        # nearest names the notice when it excludes a ferry team that would have ridden F-18 (at
        # force 7 the own boats are out, and T-03C by ferry was the answer: README)
        d = _nearest(run_cli, "东福山岛", "--k", "1", "--wind", "7")
        assert all(t["team_id"] != "T-03C" for t in d["trips"])
        assert any("notice 1" in x["reason"] for x in d["excluded"] if x["team_id"] == "T-03C")
        # revoked: the sailing is back
        assert client.delete("/suspensions/1").status_code == 200
        assert json.loads(run_cli(["route", "沈家门", "东福山岛", "--vessel", "ferry", "--json"])[1])["status"] == "ok"

    def test_an_area_notice_cuts_off_the_islands_it_isolates(self, router):
        now = datetime.now(UTC)
        notice = Suspension(0, "area", "嵊泗县", now, None, "test")
        calm = Weather.uniform(0)
        cut = {c.id for c in router.cutoff(calm.with_notices((notice,)))}
        assert not router.cutoff(calm)
        # every sailing and own-boat lane of 嵊泗 closed: its islands without a team are cut off
        shengsi = set(router.arch.powered.index[router.arch.powered.district == "嵊泗县"])
        assert cut and cut <= shengsi | set(router.arch.powered.index)
        assert cut & shengsi

    def test_a_notice_outside_its_window_closes_nothing(self, router):
        now = datetime.now(UTC)
        past = Suspension(1, "all", "", now - timedelta(days=2), now - timedelta(days=1), "test")
        sit = Situation(suspensions=(past,), as_of=now)
        assert sit.suspensions_at(None) == ()
        assert sit.suspensions_at(now - timedelta(hours=36)) == (past,)

    @pytest.mark.parametrize(("body", "field"), [
        ({"scope": "route", "ref": "F-99"}, "ref"),
        ({"scope": "area", "ref": "太平洋"}, "ref"),
        ({"scope": "service", "ref": "hovercraft"}, "ref"),
        ({"scope": "route", "ref": "F-18", "starts": "2026-10-19T06:00"}, "starts"),
        ({"scope": "route", "ref": "F-18", "starts": "2026-10-19T06:00+08:00", "ends": "2026-10-19T05:00+08:00"}, "ends"),
        ({"scope": "route", "ref": "F-18", "starts": "9999-01-01T00:00+08:00"}, "starts"),
        ({"scope": "tsunami", "ref": ""}, "scope"),
    ])
    def test_bad_notices_are_422_naming_the_field(self, client, body, field):
        r = client.post("/suspensions", json={**NOTICE, **body})
        assert r.status_code == 422, r.text
        assert field in r.json()["detail"][0]["loc"]

    def test_a_notice_file_is_imported_whole_or_not_at_all(self, state_dir, run_cli, tmp_path):
        good = tmp_path / "notices.csv"
        good.write_text("scope,ref,starts,ends,source,note\n"
                        "service,high-speed,2026-10-19T06:00+08:00,2026-10-20T18:00+08:00,舟山交通,\n"
                        "area,岱衢洋,2026-10-19T08:00+08:00,,浙江海事局,small craft\n", encoding="utf-8")
        rc, out, err = run_cli(["suspend", "--import", str(good)])
        assert rc == 0 and out.count("entered notice") == 2, err
        bad = tmp_path / "bad.csv"
        bad.write_text("scope,ref,starts,ends,source,note\n"
                       "route,F-18,2026-10-19T06:00+08:00,,x,\n"
                       "route,F-18,2026-10-19T06:00,,x,\n", encoding="utf-8")
        rc, _, err = run_cli(["suspend", "--import", str(bad)])
        assert rc == 2 and "bad.csv, row 2, field 'starts'" in err and "time zone" in err
        rc, out, _ = run_cli(["suspend", "--list", "--json"])
        assert len(json.loads(out)) == 2  # the bad file stored nothing


class TestSituationValues:
    def test_shipped_is_every_team_at_its_station(self, router):
        assert SHIPPED.describe().startswith("shipped data")
        d = router.nearest("蚂蚁岛", Weather.uniform(0), k=1)
        assert d.state == SHIPPED.describe()

    def test_the_store_reads_the_situation_in_one_go(self, tmp_path):
        s = Store.open(state_dir=tmp_path)
        s.sync_teams({"T-1": "available", "T-2": "available"})
        s.set_team("T-1", at=("island", "ZS-0052"))
        s.add_suspension("bridge", "岑港大桥", starts=datetime.now(UTC), ends=None, source="test")
        sit = s.situation()
        assert sit.teams["T-1"].at_kind == "island" and sit.teams["T-2"].at_kind == "station"
        assert [n.scope for n in sit.suspensions_at(None)] == ["bridge"]
        assert sit.version == s.version() and sit.as_of is not None
        s.close()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(moved=st.dictionaries(st.sampled_from(["T-01A", "T-03C", "T-07A", "T-07B", "T-08A", "T-11A"]),
                             st.sampled_from(["ZS-0033", "ZS-0025", "ZS-0044", "ZS-0001", "ZS-0027"]), max_size=4),
       island=st.sampled_from(["ZS-0033", "ZS-0025", "ZS-0044", "ZS-0027"]))
def test_a_team_on_the_island_asked_about_is_never_slower_than_zero(router, moved, island):
    """Wherever teams are moved, the answer is ordered by ETA, and a team put on the island asked
    about answers in no time; moving teams never makes the fastest ETA worse than a team there."""
    sit = Situation(teams={t: TeamNow(t, "available", "island", i) for t, i in moved.items()})
    d = router.nearest(island, Weather.uniform(0), k=3, situation=sit)
    etas = [t.eta_min for t in d.trips]
    assert etas == sorted(etas)
    if island in moved.values():
        assert etas[0] == 0
