"""POST /ensemble and GET /ensemble/{job}: a planner starts a typhoon ensemble as a background job and follows it.

The app is the one ``api.app.create_app`` builds (fixtures ``api_app``, ``api_client``, ``planner_key`` and
``dispatcher_key`` in conftest.py): a route missing from the app fails these tests. Jobs are polled until they
finish; nothing here depends on how long they take.
"""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import pytest

import api.routers.ensemble as ensemble_routes
from api.routers.ensemble import MAX_MEMBERS, MAX_PENDING, MAX_WORKERS, EnsembleJobs
from islandcover.errors import EnsembleError
from islandcover.typhoon.ensemble import run_ensemble
from islandcover.typhoon.tracks import shipped_track

# 梅花 from the night it passed Zhoushan to its end: a member takes seconds, and islands stay cut off for hours
ISSUED = "2022-09-15T02:00+08:00"
# its last nine hours: members of a fraction of a second (for the tests of the job machinery)
TAIL = "2022-09-16T20:00+08:00"
#: Polls before giving up on a job (a safety net against a hung job, not a time limit on it).
POLLS = 20_000


def _finished(client, url: str, headers: dict[str, str]) -> dict:
    for _ in range(POLLS):
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        d = r.json()
        if d["state"] in ("done", "failed"):
            return d
        time.sleep(0.05)
    pytest.fail(f"{url} did not finish")


def _loc(r) -> list:
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]["loc"]


class TestRealWorld:
    def test_a_tiny_ensemble_runs_to_done_and_equals_the_library(self, api_client, planner_key, router):
        body = {"track": "梅花", "members": 2, "hours": 1, "seed": 2022, "start": ISSUED}
        r = api_client.post("/ensemble", json=body, headers=planner_key)
        assert r.status_code == 202, r.text
        job = r.json()
        assert r.headers["location"] == f"/ensemble/{job['id']}"
        assert job["state"] in ("queued", "running") and job["progress"]["total"] == 2 and job["result"] is None
        assert job["request"] == {"track": "梅花", "storm": None, "members": 2, "hours": 1.0, "seed": 2022,
                                  "start": "2022-09-15T02:00:00+08:00", "spread": 1.0, "workers": 0}

        done = _finished(api_client, r.headers["location"], planner_key)
        assert done["state"] == "done", done["error"]
        assert done["progress"] == {"done": 2, "total": 2}
        assert done["started"] and done["finished"] and done["error"] is None

        direct = run_ensemble(router, shipped_track("梅花"), 2, hours=1, seed=2022,
                              start=datetime.fromisoformat(ISSUED), workers=0)
        want = json.loads(json.dumps(direct.to_dict()))
        got = dict(done["result"])
        assert got.pop("seconds") >= 0 and want.pop("seconds") >= 0  # the one field that differs run to run
        assert got == want
        assert got["runner"] == "serial" and got["members"] == 2
        assert any(i["p_cut_off"] > 0 for i in got["islands"])  # the storm does cut islands off


class TestJobs:
    def test_the_api_answers_while_a_job_runs_and_later_jobs_queue(self, api_client, planner_key, monkeypatch, router):
        entered, gate = threading.Event(), threading.Event()
        small = run_ensemble(router, shipped_track("梅花"), 1, seed=1, start=datetime.fromisoformat(TAIL), workers=0)

        def held(router, track, members, *, progress, **kw):
            progress(1, members)  # (members done, members), as run_ensemble reports it
            entered.set()
            gate.wait()
            return small

        monkeypatch.setattr(ensemble_routes, "run_ensemble", held)
        body = {"track": "梅花", "members": 3, "start": TAIL}
        first = api_client.post("/ensemble", json=body, headers=planner_key)
        assert first.status_code == 202, first.text
        try:
            assert entered.wait(600)
            running = api_client.get(first.headers["location"], headers=planner_key).json()
            assert running["state"] == "running" and running["progress"] == {"done": 1, "total": 3}
            assert api_client.get("/health").status_code == 200  # the job does not hold the API
            # one job runs at a time: the next ones wait, and one more than MAX_PENDING is refused
            queued = [api_client.post("/ensemble", json=body, headers=planner_key) for _ in range(MAX_PENDING - 1)]
            assert all(q.status_code == 202 and q.json()["state"] == "queued" for q in queued)
            full = api_client.post("/ensemble", json=body, headers=planner_key)
            assert full.status_code == 429 and full.headers["retry-after"].isdigit()
        finally:
            gate.set()
        for r in (first, *queued):
            assert _finished(api_client, r.headers["location"], planner_key)["state"] == "done"
        assert api_client.post("/ensemble", json=body, headers=planner_key).status_code == 202  # room again

    def test_a_job_that_fails_says_why(self, api_client, planner_key, monkeypatch):
        def broken(*args, **kwargs):
            raise EnsembleError("no dask scheduler answered at tcp://10.0.0.5:8786")

        monkeypatch.setattr(ensemble_routes, "run_ensemble", broken)
        r = api_client.post("/ensemble", json={"track": "梅花", "members": 2, "start": TAIL}, headers=planner_key)
        assert r.status_code == 202
        d = _finished(api_client, r.headers["location"], planner_key)
        assert d["state"] == "failed" and "no dask scheduler" in d["error"] and d["result"] is None

    def test_finished_jobs_are_kept_up_to_the_history_bound(self):
        jobs = EnsembleJobs(history=2)
        ids = [jobs.submit(lambda progress, k=k: {"k": k}, 1, {})["id"] for k in range(3)]
        for _ in range(POLLS):
            if (jobs.get(ids[2]) or {}).get("state") == "done":
                break
            time.sleep(0.01)
        assert jobs.get(ids[0]) is None  # the oldest finished job is forgotten
        assert [jobs.get(i)["result"] for i in ids[1:]] == [{"k": 1}, {"k": 2}]


class TestErrorsWarnings:
    def test_needs_a_planner_key(self, api_client, dispatcher_key, planner_key):
        body = {"track": "梅花", "members": 2}
        assert api_client.post("/ensemble", json=body).status_code == 401
        assert api_client.post("/ensemble", json=body, headers={"X-API-Key": "nope"}).status_code == 401
        assert api_client.post("/ensemble", json=body, headers=dispatcher_key).status_code == 403
        assert api_client.get("/ensemble/0123abcd").status_code == 401
        assert api_client.get("/ensemble/0123abcd", headers=dispatcher_key).status_code == 403

    @pytest.mark.parametrize("change, loc", [
        ({"members": 0}, ["body", "members"]),
        ({"members": MAX_MEMBERS + 1}, ["body", "members"]),
        ({"members": "many"}, ["body", "members"]),
        ({"members": None}, ["body", "members"]),
        ({"hours": -1}, ["body", "hours"]),
        ({"hours": 721}, ["body", "hours"]),
        ({"seed": -1}, ["body", "seed"]),
        ({"seed": 2**63}, ["body", "seed"]),
        ({"workers": MAX_WORKERS + 1}, ["body", "workers"]),
        ({"workers": -1}, ["body", "workers"]),
        ({"spread": 4}, ["body", "spread"]),
        ({"start": "2022-09-14T14:00"}, ["body", "start"]),            # no time zone
        ({"start": "2022-10-30T08:00+08:00"}, ["body", "start"]),      # after the track's end
        ({"track": "no such storm"}, ["body", "track"]),               # shipped tracks only: as POST /replay
        ({"track": ""}, ["body", "track"]),
        ({"scheduler": "tcp://10.0.0.5:8786"}, ["body", "scheduler"]),  # the server connects to no address given
    ])
    def test_bad_values_are_422_naming_the_field(self, api_client, planner_key, change, loc):
        body = {"track": "梅花", "members": 2, **change}
        body = {k: v for k, v in body.items() if v is not None}
        assert _loc(api_client.post("/ensemble", json=body, headers=planner_key)) == loc

    @pytest.mark.parametrize("token", ["NaN", "Infinity", "1e400"])
    def test_non_numbers_are_422_naming_the_field(self, api_client, planner_key, token):
        raw = '{"track": "梅花", "members": 2, "hours": ' + token + "}"
        r = api_client.post("/ensemble", content=raw.encode(),
                            headers={**planner_key, "content-type": "application/json"})
        assert _loc(r) == ["body", "hours"]

    def test_an_unknown_job_is_404(self, api_client, planner_key):
        r = api_client.get("/ensemble/" + "0" * 32, headers=planner_key)
        assert r.status_code == 404 and "no ensemble job" in r.json()["detail"]
