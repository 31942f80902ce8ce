"""Incidents over HTTP on SQLite and PostgreSQL: reads need a dispatcher key, pages with a
cursor (two queries a page), an Idempotency-Key that never makes a duplicate, revoked keys,
text no database can hold."""
from __future__ import annotations

import uuid
import warnings
from datetime import UTC, datetime

import pytest
from pg import BACKENDS, backend_url
from sqlalchemy import event, insert, text

with warnings.catch_warnings():  # starlette >= 1 warns when only httpx (not httpx2) is installed
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

from api.app import create_app
from islandcover.store import Store, assignments, incidents

BODY = {"island": "蚂蚁岛", "description": "10 kV line down", "reporter": "duty desk"}


@pytest.fixture(scope="module", params=BACKENDS)
def app(request, router, tmp_path_factory):
    url = backend_url(request, request.param, tmp_path_factory.mktemp("incidents-state"))
    return create_app(router=router, database_url=url)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def store(app, client) -> Store:
    return app.state.ic.store


@pytest.fixture(scope="module")
def dispatcher(store) -> dict[str, str]:
    return {"X-API-Key": store.create_key("dispatcher", label="desk 1")}


@pytest.fixture(scope="module")
def planner(store) -> dict[str, str]:
    return {"X-API-Key": store.create_key("planner")}


def _report(client, headers: dict[str, str], **fields: str) -> int:
    r = client.post("/incidents", json={**BODY, **fields}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _loc(r) -> list:
    detail = r.json()["detail"]
    assert isinstance(detail, list), r.text
    return detail[0]["loc"]


class TestReadsNeedADispatcherKey:
    @pytest.mark.parametrize("path", ["/incidents", "/incidents/1"])
    def test_without_the_right_key(self, client, dispatcher, planner, path):
        _report(client, dispatcher)
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"X-API-Key": "not-a-key"}).status_code == 401
        r = client.get(path, headers=planner)
        assert r.status_code == 403 and "dispatcher" in r.json()["detail"]
        assert client.get(path, headers=dispatcher).status_code == 200

    def test_no_personal_data_without_a_key(self, client, dispatcher):
        _report(client, dispatcher, reporter="王小明 13800000000")
        for path in ("/incidents", "/incidents/1", "/incidents?status=open&limit=500"):
            assert "王小明" not in client.get(path).text

    def test_a_revoked_key_is_refused(self, client, store):
        key = {"X-API-Key": store.create_key("dispatcher", label="lost phone")}
        iid = _report(client, key)
        kid = next(k.id for k in store.list_keys() if k.label == "lost phone")
        store.revoke_key(kid)
        assert client.get("/incidents", headers=key).status_code == 401
        assert client.get(f"/incidents/{iid}", headers=key).status_code == 401
        assert client.post("/incidents", json=BODY, headers=key).status_code == 401
        assert client.post(f"/incidents/{iid}/close", headers=key).status_code == 401


class TestPages:
    def test_cursor_walks_every_incident_once(self, client, dispatcher, store):
        for k in range(7):
            _report(client, dispatcher, description=f"fault {k}")
        everything = [i.id for i in store.list_incidents()]
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
            r = client.get("/incidents", params=params, headers=dispatcher)
            assert r.status_code == 200 and set(r.json()) == {"items", "next_cursor"}
            page = r.json()
            assert len(page["items"]) <= 3
            seen += [i["id"] for i in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert isinstance(cursor, str)
        assert seen == everything and len(seen) == len(set(seen)) >= 7
        assert pages == -(-len(everything) // 3)

    def test_default_and_status_filter(self, client, dispatcher, store):
        iid = _report(client, dispatcher)
        assert client.post(f"/incidents/{iid}/close", headers=dispatcher).status_code == 200
        closed = client.get("/incidents", params={"status": "closed"}, headers=dispatcher).json()
        assert iid in [i["id"] for i in closed["items"]] and all(i["status"] == "closed" for i in closed["items"])
        opened = client.get("/incidents", params={"status": "open"}, headers=dispatcher).json()
        assert iid not in [i["id"] for i in opened["items"]]
        page = client.get("/incidents", headers=dispatcher).json()
        assert len(page["items"]) == min(50, store.count("incidents"))
        assert page["items"][0]["island_name"] == "蚂蚁岛"

    @pytest.mark.parametrize(("params", "field"), [
        ({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"limit": "ten"}, "limit"),
        ({"cursor": "abc"}, "cursor"), ({"cursor": "0"}, "cursor"), ({"cursor": "-5"}, "cursor"),
        ({"cursor": "9" * 20}, "cursor"), ({"cursor": "9223372036854775808"}, "cursor"),
        ({"status": "pending"}, "status"),
    ])
    def test_bad_paging_names_the_parameter(self, client, dispatcher, params, field):
        r = client.get("/incidents", params=params, headers=dispatcher)
        assert r.status_code == 422 and _loc(r) == ["query", field], r.text

    def test_2616_incidents_two_queries_a_page(self, client, dispatcher, store):
        now = datetime.now(UTC)
        with store.engine.begin() as conn:
            start = conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM incidents")) + 1
            conn.execute(insert(incidents), [
                {"id": start + i, "island_id": "ZS-0044", "description": f"bulk {i}", "reporter": "desk",
                 "status": "closed", "created_at": now, "closed_at": now} for i in range(2616)])
            conn.execute(insert(assignments), [
                {"incident_id": start + i, "team_id": f"T-{i % 28}", "assigned_at": now, "released_at": now}
                for i in range(2616)])
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT setval(pg_get_serial_sequence('incidents', 'id'), "
                                  "(SELECT MAX(id) FROM incidents))"))
        statements: list[str] = []

        @event.listens_for(store.engine, "before_cursor_execute")
        def _seen(conn, cursor, statement, parameters, context, executemany) -> None:
            statements.append(" ".join(statement.split()))

        try:
            total, cursor, per_page = 0, None, []
            while True:
                statements.clear()
                params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
                page = client.get("/incidents", params=params, headers=dispatcher).json()
                per_page.append((sum(" FROM incidents" in s for s in statements),
                                 sum(" FROM assignments" in s for s in statements)))
                total += len(page["items"])
                cursor = page["next_cursor"]
                if cursor is None:
                    break
        finally:
            event.remove(store.engine, "before_cursor_execute", _seen)
        assert total == store.count("incidents") >= 2616
        assert len(per_page) == -(-total // 500) and set(per_page) == {(1, 1)}


class TestIdempotencyKey:
    def test_a_retry_gets_the_first_incident(self, client, dispatcher, store):
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = client.post("/incidents", json=BODY, headers={**dispatcher, **key})
        before = store.count("incidents")
        again = client.post("/incidents", json=BODY, headers={**dispatcher, **key})
        assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert store.count("incidents") == before

    def test_the_same_key_with_another_body_is_a_conflict_naming_the_header(self, client, dispatcher, store):
        key = {"Idempotency-Key": "report-42"}
        iid = client.post("/incidents", json=BODY, headers={**dispatcher, **key}).json()["id"]
        before = store.count("incidents")
        r = client.post("/incidents", json={**BODY, "description": "another fault"}, headers={**dispatcher, **key})
        assert r.status_code == 409 and _loc(r) == ["header", "Idempotency-Key"]
        assert "Idempotency-Key" in r.json()["detail"][0]["msg"] and str(iid) in r.json()["detail"][0]["msg"]
        assert store.count("incidents") == before

    def test_keys_belong_to_one_dispatcher_key(self, client, dispatcher, store):
        other = {"X-API-Key": store.create_key("dispatcher", label="desk 2")}
        key = {"Idempotency-Key": "shift-start"}
        a = client.post("/incidents", json=BODY, headers={**dispatcher, **key})
        b = client.post("/incidents", json=BODY, headers={**other, **key})
        assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] != b.json()["id"]

    def test_without_the_header_every_post_is_new(self, client, dispatcher):
        assert _report(client, dispatcher) != _report(client, dispatcher)

    @pytest.mark.parametrize("value", ["", "x" * 256, "clé"])
    def test_bad_keys_name_the_header(self, client, dispatcher, store, value):
        before = store.count("incidents")
        r = client.post("/incidents", json=BODY, headers={**dispatcher, "Idempotency-Key": value.encode("latin-1")})
        assert r.status_code == 422 and [str(x).lower() for x in _loc(r)] == ["header", "idempotency-key"], r.text
        assert store.count("incidents") == before

    def test_unknown_island_with_a_key_stores_nothing(self, client, dispatcher, store):
        before = (store.count("incidents"), store.count("idempotency_keys"))
        r = client.post("/incidents", json={**BODY, "island": "nowhere-at-all"},
                        headers={**dispatcher, "Idempotency-Key": "k-unknown"})
        assert r.status_code == 422 and _loc(r) == ["body", "island"]
        assert (store.count("incidents"), store.count("idempotency_keys")) == before


class TestText:
    @pytest.mark.parametrize("field", ["description", "reporter"])
    def test_nul_is_a_422_naming_the_field(self, client, dispatcher, store, field):
        before = store.count("incidents")
        r = client.post("/incidents", json={**BODY, field: "line\x00down"}, headers=dispatcher)
        assert r.status_code == 422 and _loc(r) == ["body", field], r.text
        r = client.post("/incidents", json={**BODY, field: "line\x00down"},
                        headers={**dispatcher, "Idempotency-Key": f"nul-{field}"})
        assert r.status_code == 422 and _loc(r) == ["body", field], r.text
        assert store.count("incidents") == before


def test_openapi_lists_the_key_on_reads_and_the_idempotency_header(app):
    spec = app.openapi()
    for path, method in [("/incidents", "get"), ("/incidents/{incident_id}", "get")]:
        assert spec["paths"][path][method]["security"] == [{"APIKeyHeader": []}]
    post = spec["paths"]["/incidents"]["post"]
    assert {p["name"] for p in post["parameters"] if p["in"] == "header"} == {"Idempotency-Key"}
    assert {"200", "201", "409"} <= set(post["responses"])
    page = spec["paths"]["/incidents"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["$ref"].endswith("/IncidentPageOut")
