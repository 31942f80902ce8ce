"""The API's answer caches (issue 14): beacon charts with ETag/304, /nearest and /cutoff per live state.

Cached answers must equal uncached ones, a chart must render once however many clients ask for it
at once, and a write that changes a team's status must change the answers at once.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.cache import (
    Answer,
    ApiCache,
    LiveStatuses,
    SingleFlightCache,
    accepts_gzip,
    app_cache,
    etag_matches,
    stable_ids,
    strong_etag,
)
from islandcover.situation import Situation, TeamNow


@pytest.fixture()
def cache(api_app, api_client) -> Iterator[ApiCache]:
    """A new, empty, enabled cache for one test (the app's is put back afterwards)."""
    old = app_cache(api_app)
    new = api_app.state.ic_cache = ApiCache(enabled=True)
    yield new
    api_app.state.ic_cache = old


@pytest.fixture()
def uncached(api_app, api_client) -> Iterator[ApiCache]:
    """Caching off for one test."""
    old = app_cache(api_app)
    new = api_app.state.ic_cache = ApiCache(enabled=False)
    yield new
    api_app.state.ic_cache = old


def _swap(api_app, new: ApiCache) -> ApiCache:
    old = app_cache(api_app)
    api_app.state.ic_cache = new
    return old


# ---------------------------------------------------------------------- the beacon chart
class TestChart:
    def test_etag_and_304(self, api_client, cache):
        plain = {"Accept-Encoding": "identity"}
        r = api_client.get("/map", params={"lang": "en", "wind": 8}, headers=plain)
        assert r.status_code == 200 and "content-encoding" not in r.headers
        etag = r.headers["etag"]
        assert etag.startswith('"') and not etag.startswith('W/')
        assert etag == strong_etag(r.content)
        assert "max-age" in r.headers["cache-control"]
        again = api_client.get("/map", params={"lang": "en", "wind": 8}, headers={**plain, "If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == r.headers["cache-control"]
        assert (cache.charts.misses, cache.charts.hits) == (1, 1)

    def test_gzip_for_browsers(self, api_client, cache):
        """A client accepting gzip gets the page compressed once, with an ETag of its own."""
        q = {"lang": "en", "wind": 8}
        plain = api_client.get("/map", params=q, headers={"Accept-Encoding": "identity"})
        gz = api_client.get("/map", params=q, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert gz.headers["content-encoding"] == "gzip" and "accept-encoding" in gz.headers["vary"].lower()
        assert gz.content == plain.content  # decoded by the client
        assert int(gz.headers["content-length"]) < len(plain.content) / 3
        assert gz.headers["etag"] != plain.headers["etag"]
        assert api_client.get("/map", params=q, headers={"Accept-Encoding": "gzip",
                                                         "If-None-Match": gz.headers["etag"]}).status_code == 304
        assert api_client.get("/map", params=q, headers={"Accept-Encoding": "identity",
                                                         "If-None-Match": gz.headers["etag"]}).status_code == 200
        assert cache.charts.misses == 1

    def test_other_etag_gets_the_page(self, api_client, cache):
        r = api_client.get("/map", params={"lang": "en"}, headers={"If-None-Match": '"not-this-one"'})
        assert r.status_code == 200 and r.content.startswith(b"<!DOCTYPE html>")

    def test_each_query_its_own_chart(self, api_client, cache):
        tags = {api_client.get("/map", params=q).headers["etag"]
                for q in ({"lang": "zh"}, {"lang": "en"}, {"lang": "en", "wind": 8})}
        assert len(tags) == 3
        assert cache.charts.misses == 3

    def test_same_bytes_from_every_render(self, api_client, cache, uncached):
        """The ETag is a function of the query (folium's random ids are numbered), so every worker
        and every render after an eviction gives the same one."""
        a = api_client.get("/map", params={"lang": "en", "wind": 8})
        b = api_client.get("/map", params={"lang": "en", "wind": 8})
        assert a.content == b.content
        assert a.headers["etag"] == b.headers["etag"]

    def test_uncached_equals_cached(self, api_app, api_client, cache):
        hit = api_client.get("/map", params={"lang": "zh"})
        old = _swap(api_app, ApiCache(enabled=False))
        try:
            fresh = api_client.get("/map", params={"lang": "zh"})
        finally:
            _swap(api_app, old)
        assert fresh.status_code == hit.status_code == 200
        assert fresh.content == hit.content

    @pytest.mark.parametrize("lanes", [0, 1])
    def test_concurrent_requests_render_once(self, api_app, api_client, cache, lanes):
        """Eight clients ask for one chart at once: one rendering, in the public lane (lanes=1) or
        not (lanes=0: the others wait for the one in flight)."""
        api_app.state.ic_public_lanes = lanes
        try:
            with ThreadPoolExecutor(8) as pool:
                rs = list(pool.map(lambda _: api_client.get("/map", params={"lang": "en", "wind": 6}), range(8)))
        finally:
            del api_app.state.ic_public_lanes
        assert {r.status_code for r in rs} == {200}
        assert len({r.headers["etag"] for r in rs}) == 1
        assert cache.charts.misses == 1
        assert cache.charts.hits + cache.charts.waits == 7

    def test_writes_do_not_render_again(self, api_client, api_app, cache, dispatcher_key):
        """The chart shows no live state: a write keeps it, and its ETag still gets a 304."""
        etag = api_client.get("/map", params={"lang": "en"}).headers["etag"]
        r = api_client.post("/incidents", headers=dispatcher_key,
                            json={"island": "蚂蚁岛", "description": "cache test", "reporter": "test"})
        assert r.status_code in (200, 201), r.text
        assert api_client.get("/map", params={"lang": "en"}, headers={"If-None-Match": etag}).status_code == 304
        assert cache.charts.misses == 1

    def test_stored_scenario(self, api_client, cache, planner_key):
        r = api_client.post("/scenarios", headers=planner_key, json={"name": "no ST-03", "close": ["ST-03"]})
        assert r.status_code in (200, 201), r.text
        sid = r.json()["id"]
        a = api_client.get("/map", params={"scenario": sid, "lang": "en"})
        base = api_client.get("/map", params={"lang": "en"})
        assert a.status_code == 200 and a.headers["etag"] != base.headers["etag"]
        assert api_client.get("/map", params={"scenario": sid, "lang": "en"},
                              headers={"If-None-Match": a.headers["etag"]}).status_code == 304
        assert api_client.get("/map", params={"scenario": 999999}).status_code == 404
        assert cache.charts.misses == 2


# ---------------------------------------------------------------------- /nearest and /cutoff
# A fixed departure time: by default teams leave now, and a ferry team's wait for its next sailing
# (and so its answer) changes when the minute turns between the kept and the recomputed answer.
LEAVING = "2026-12-03T23:00+08:00"
QUERIES = [
    {"island": "蚂蚁岛", "at": LEAVING},
    {"island": "ZS-0033", "wind": 7, "k": 1, "at": LEAVING},
    {"island": "mayi", "wind": 5, "k": 5, "at": LEAVING},
    {"island": "东福山岛", "lon": 123.0, "lat": 29.5, "r7": 300, "r10": 100, "at": LEAVING},
]


def _same_answer(a: dict, b: dict) -> bool:
    """Two /nearest answers alike but for the state they say they were computed on."""
    return {k: v for k, v in a.items() if k != "state"} == {k: v for k, v in b.items() if k != "state"}


class TestAnswers:
    @pytest.mark.parametrize("query", QUERIES)
    def test_cached_equals_uncached(self, api_app, api_client, cache, query):
        first = api_client.get("/nearest", params=query)
        hit = api_client.get("/nearest", params=query)
        old = _swap(api_app, ApiCache(enabled=False))
        try:
            fresh = api_client.get("/nearest", params=query)
        finally:
            _swap(api_app, old)
        assert first.status_code == hit.status_code == fresh.status_code == 200
        assert first.json() == hit.json()  # the kept answer, byte for byte
        assert _same_answer(hit.json(), fresh.json())  # computed again: alike but for its "as of"
        assert hit.headers["content-type"] == fresh.headers["content-type"] == "application/json"
        assert (cache.answers.misses, cache.answers.hits) == (1, 1)

    @pytest.mark.parametrize("wind", [0, 9])
    def test_cutoff_cached_equals_uncached(self, api_app, api_client, cache, wind):
        first = api_client.get("/cutoff", params={"wind": wind})
        hit = api_client.get("/cutoff", params={"wind": wind})
        old = _swap(api_app, ApiCache(enabled=False))
        try:
            fresh = api_client.get("/cutoff", params={"wind": wind})
        finally:
            _swap(api_app, old)
        assert first.json() == hit.json() == fresh.json()
        assert cache.answers.hits == 1

    def test_errors_are_not_kept(self, api_client, cache):
        assert api_client.get("/nearest", params={"island": "no such island"}).status_code == 404
        assert api_client.get("/nearest", params={"island": "no such island"}).status_code == 404
        assert len(cache.answers) == 0

    def test_team_made_busy_drops_out(self, api_client, cache, dispatcher_key):
        q = {"island": "蚂蚁岛", "k": 3}
        before = api_client.get("/nearest", params=q).json()
        first = before["trips"][0]["team_id"]
        assert api_client.get("/nearest", params=q).json() == before  # kept (the same state version too)
        r = api_client.patch(f"/teams/{first}", headers=dispatcher_key, json={"status": "busy"})
        assert r.status_code == 200, r.text
        try:
            after = api_client.get("/nearest", params=q).json()
            assert first not in [t["team_id"] for t in after["trips"]]
            assert {"team_id": first, "reason": "team is busy"}.items() <= next(
                x for x in after["excluded"] if x["team_id"] == first).items()
        finally:
            assert api_client.patch(f"/teams/{first}", headers=dispatcher_key,
                                    json={"status": "available"}).status_code == 200
        assert _same_answer(api_client.get("/nearest", params=q).json(), before)

    def test_write_that_keeps_teams_keeps_answers(self, api_client, cache, dispatcher_key):
        q = {"island": "ZS-0033", "wind": 6}
        before = api_client.get("/nearest", params=q).json()
        r = api_client.post("/incidents", headers=dispatcher_key,
                            json={"island": "ZS-0044", "description": "meter box", "reporter": "desk"})
        assert r.status_code == 201, r.text
        assert api_client.get("/nearest", params=q).json() == before
        assert (cache.answers.misses, cache.answers.hits) == (1, 1)

    def test_a_team_moved_starts_from_where_it_is(self, api_client, cache, dispatcher_key):
        """A team put on the island asked about arrives at once; its answer is not the kept one."""
        q = {"island": "东福山岛", "k": 1}
        before = api_client.get("/nearest", params=q).json()
        assert before["trips"][0]["eta_min"] > 20  # from a station on another island (庙子湖, 27 min)
        r = api_client.patch("/teams/T-01A", headers=dispatcher_key, json={"at": "东福山岛"})
        assert r.status_code == 200, r.text
        assert (r.json()["at_kind"], r.json()["at_ref"]) == ("island", "ZS-0033")
        try:
            after = api_client.get("/nearest", params=q).json()
            assert after["trips"][0]["team_id"] == "T-01A" and after["trips"][0]["eta_min"] == 0
            assert after["trips"][0]["start"].startswith("东福山岛")
        finally:
            assert api_client.patch("/teams/T-01A", headers=dispatcher_key,
                                    json={"return_home": True}).status_code == 200
        assert _same_answer(api_client.get("/nearest", params=q).json(), before)

    def test_write_by_another_process_is_seen(self, api_app, api_client, cache):
        """Another worker writes straight to the database: the next answer reflects it."""
        from islandcover.store import Store

        q = {"island": "蚂蚁岛", "k": 1}
        first = api_client.get("/nearest", params=q).json()["trips"][0]["team_id"]
        other = Store(api_app.state.ic.store.engine)  # same database, as a second worker would open it
        other.set_team(first, status="off-duty")
        try:
            assert api_client.get("/nearest", params=q).json()["trips"][0]["team_id"] != first
        finally:
            other.set_team(first, status="available")
        assert api_client.get("/nearest", params=q).json()["trips"][0]["team_id"] == first


class TestNearestDependsOn:
    """The rule that keeps /nearest answers across a status change, checked against the router."""

    @staticmethod
    def _plain(d) -> tuple:
        return (d.island_id, d.weather, [t.to_dict() for t in d.trips], [x.to_dict() for x in d.excluded])

    @pytest.mark.parametrize("wind", [0, 7])
    def test_a_team_outside_leaves_the_answer_alone(self, router, wind):
        from api.routers.dispatch import calm_minutes, nearest_depends_on
        from islandcover.travel.weather import Weather

        calm = calm_minutes(router)
        teams = [str(t) for t in router.arch.teams.index]
        everyone = {t: "available" for t in teams}
        w = Weather.uniform(wind)
        checked = 0
        for iid in list(calm.columns)[::6]:
            on = router.nearest(iid, w, k=3, statuses=everyone)
            deps_on = nearest_depends_on(calm, on, 3)
            assert deps_on is not None and {t.team_id for t in on.trips} <= deps_on
            for t in teams:
                off = router.nearest(iid, w, k=3, statuses={**everyone, t: "off-duty"})
                deps_off = nearest_depends_on(calm, off, 3)
                if t not in deps_on or t not in deps_off:  # taken off duty, or back: no change
                    assert self._plain(off) == self._plain(on), (iid, t)
                    checked += 1
        assert checked > 50

    def test_unknown_island_column_depends_on_everyone(self, router):
        import pandas as pd

        from api.routers.dispatch import nearest_depends_on
        from islandcover.travel.weather import Weather

        d = router.nearest("ZS-0033", Weather.uniform(0), k=1)
        assert nearest_depends_on(pd.DataFrame(), d, 1) is None


# ---------------------------------------------------------------------- the pieces
class TestPieces:
    def test_single_flight(self):
        c: SingleFlightCache[str, int] = SingleFlightCache(4)
        calls = []
        gate = threading.Event()

        def slow() -> int:
            calls.append(1)
            gate.wait(5)
            return 42

        with ThreadPoolExecutor(6) as pool:
            futs = [pool.submit(c.get, "k", slow) for _ in range(6)]
            time.sleep(0.2)
            gate.set()
            assert [f.result() for f in futs] == [42] * 6
        assert len(calls) == 1
        assert c.misses == 1 and c.hits + c.waits == 5

    def test_single_flight_error_reaches_waiters_and_is_not_kept(self):
        c: SingleFlightCache[str, int] = SingleFlightCache(4)
        gate = threading.Event()

        def boom() -> int:
            gate.wait(5)
            raise ValueError("no")

        with ThreadPoolExecutor(3) as pool:
            futs = [pool.submit(c.get, "k", boom) for _ in range(3)]
            time.sleep(0.2)
            gate.set()
            for f in futs:
                with pytest.raises(ValueError):
                    f.result()
        assert len(c) == 0
        assert c.get("k", lambda: 7) == 7

    def test_bounded(self):
        c: SingleFlightCache[int, int] = SingleFlightCache(3)
        for i in range(10):
            c.get(i, lambda i=i: i)
        assert len(c) == 3 and 9 in c._lru and 0 not in c._lru

    def test_clear_while_computing_keeps_nothing(self):
        c: SingleFlightCache[str, int] = SingleFlightCache(4)

        def compute() -> int:
            c.clear()
            return 1

        assert c.get("k", compute) == 1
        assert len(c) == 0

    def test_live_statuses_read_again_only_after_a_write(self):
        class FakeStore:
            def __init__(self) -> None:
                self.v, self.s, self.reads = 0, {"T-1": "available", "T-2": "available"}, 0

            def version(self) -> int:
                return self.v

            def situation(self) -> Situation:
                self.reads += 1
                return Situation(teams={t: TeamNow(t, st) for t, st in self.s.items()})

        store, cache = FakeStore(), ApiCache(enabled=True)
        a = cache.live_statuses(store)
        cache.answer(a, "on T-1", lambda: Answer(b"1", frozenset({"T-1"})))
        cache.answer(a, "on T-2", lambda: Answer(b"2", frozenset({"T-2"})))
        cache.answer(a, "on all", lambda: Answer(b"3"))
        assert cache.live_statuses(store) is a and store.reads == 1
        store.v = 1  # a write that leaves the statuses alone: answers kept
        b = cache.live_statuses(store)
        assert store.reads == 2 and b.generation == a.generation and len(cache.answers) == 3
        store.v, store.s["T-1"] = 2, "busy"  # T-1 changed: the answers on T-1 and on all dropped
        c = cache.live_statuses(store)
        assert c.generation > a.generation
        assert "on T-2" in cache.answers and "on T-1" not in cache.answers and "on all" not in cache.answers

    def test_answer_from_old_statuses_not_kept(self):
        """A request that read the statuses before a change computes its answer from them: it gets
        it, but the answer is not kept, and later requests do not wait for it."""
        cache = ApiCache(enabled=True)
        old = LiveStatuses(0, {"T-1": "available"}, cache.answers.generation)
        cache.answers.clear()  # a status change lands while the request computes
        assert cache.answer(old, "q", lambda: Answer(b"old")) == b"old"
        assert "q" not in cache.answers

    def test_config_turns_it_off(self, router, tmp_path):
        from api.app import create_app
        from api.cache import app_cache
        from islandcover.config import Config

        for env, on in (({"ISLANDCOVER_API_CACHE": "0"}, False), ({"ISLANDCOVER_API_CACHE": "off"}, False),
                        ({"ISLANDCOVER_API_CACHE": "1"}, True), ({}, True)):
            app = create_app(Config.from_env(env), router=router, state_dir=tmp_path)
            assert app_cache(app).enabled is on, env

    @pytest.mark.parametrize(("header", "accepted"), [
        (None, False), ("", False), ("identity", False), ("gzip", True), ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False), ("*", True), ("br;q=1, *;q=0", False), ("GZIP", True),
    ])
    def test_accepts_gzip(self, header, accepted):
        assert accepts_gzip(header) is accepted

    @pytest.mark.parametrize(("header", "match"), [
        (None, False), ("", False), ("*", True), ('"abc"', True), ('W/"abc"', True),
        ('"x", "abc"', True), ('"x" , W/"abc"', True), ('"abcd"', False), ("abc", False),
    ])
    def test_if_none_match(self, header, match):
        assert etag_matches(header, '"abc"') is match

    def test_stable_ids(self):
        page = ("var map_0123456789abcdef0123456789abcdef = L.map('map_0123456789abcdef0123456789abcdef');"
                "function geo_json_fedcba9876543210fedcba9876543210_styler(f) {} "
                "map_0123456789abcdef0123456789abcdef.addLayer(geo_json_fedcba9876543210fedcba9876543210);")
        out = stable_ids(page)
        assert "0123456789abcdef" not in out and "fedcba98" not in out
        assert out.count("map_" + "0" * 32) == 3
        assert out.count("geo_json_" + "0" * 31 + "1") == 2


# ---------------------------------------------------------------------- the public lane
class TestPublicLane:
    def test_charts_wait_for_the_lane_dispatch_does_not(self, api_app, api_client, cache, monkeypatch):
        """While one chart renders in the only public lane, a second chart waits (not even its
        dependencies run) and /nearest answers at once."""
        import islandcover.chart.beacon as beacon

        real = beacon.scenario_chart
        gate, started = threading.Event(), []

        def slow_chart(*args, **kwargs):
            started.append(kwargs.get("lang"))
            assert gate.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(beacon, "scenario_chart", slow_chart)
        api_app.state.ic_public_lanes = 1
        try:
            with ThreadPoolExecutor(2) as pool:
                first = pool.submit(api_client.get, "/map", params={"lang": "en", "wind": 3})
                deadline = time.monotonic() + 30
                while not started and time.monotonic() < deadline:
                    time.sleep(0.01)
                second = pool.submit(api_client.get, "/map", params={"lang": "zh", "wind": 3})
                time.sleep(0.3)
                t = time.perf_counter()
                assert api_client.get("/nearest", params={"island": "蚂蚁岛"}).status_code == 200
                assert time.perf_counter() - t < 5
                assert started == ["en"] and not second.done()
                gate.set()
                assert first.result(timeout=60).status_code == second.result(timeout=60).status_code == 200
            assert started == ["en", "zh"]
        finally:
            gate.set()
            del api_app.state.ic_public_lanes

    def test_lanes_from_the_environment(self, monkeypatch):
        from fastapi import FastAPI

        from api.app import create_app
        from api.priority import public_lanes
        from islandcover.config import Config
        from islandcover.errors import IslandcoverError

        app = FastAPI()
        assert public_lanes(app) == 1
        assert public_lanes(create_app(Config.from_env({}))) == 1
        assert public_lanes(create_app(Config.from_env({"ISLANDCOVER_PUBLIC_LANES": "0"}))) == 0
        with pytest.raises(IslandcoverError, match="ISLANDCOVER_PUBLIC_LANES"):
            Config.from_env({"ISLANDCOVER_PUBLIC_LANES": "many"})
        app.state.ic_public_lanes = 3
        assert public_lanes(app) == 3
