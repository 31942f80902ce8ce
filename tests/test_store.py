"""The store: persistence across restarts, hashed and revocable keys, assignment rules, incident
pages, idempotent reports and text no backend can hold, on SQLite and on PostgreSQL; the SQLite
file's settings and modes."""
from __future__ import annotations

import os
import re
import sqlite3
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.exc import IntegrityError, StatementError

from islandcover import cli
from islandcover.config import Config
from islandcover.store import (
    MAX_PAGE,
    Conflict,
    IdempotencyConflict,
    InvalidText,
    Store,
    StoreError,
    TeamUnavailable,
    UnknownIncident,
    UnknownKey,
    UnknownScenario,
    assignments,
    default_database_url,
    hash_key,
    incidents,
)


def store_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def store(database_url):
    s = Store.open(database_url=database_url)
    s.sync_teams({"T-1": "available", "T-2": "available", "T-3": "off-duty"})
    yield s
    s.close()


def _selects(store: Store) -> list[str]:
    """A list that collects the SELECT statements the store's engine runs from now on."""
    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    return seen


def _bulk_incidents(store: Store, n: int) -> None:
    """``n`` closed incidents with one released assignment each, every third one open instead."""
    now = store_now()
    with store.engine.begin() as conn:
        first = conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM incidents")) + 1
        conn.execute(insert(incidents), [
            {"id": first + i, "island_id": "ZS-0044", "description": f"fault {first + i}", "reporter": "desk",
             "status": "open" if i % 3 == 0 else "closed", "created_at": now, "closed_at": None if i % 3 == 0 else now}
            for i in range(n)])
        conn.execute(insert(assignments), [
            {"incident_id": first + i, "team_id": f"T-{i % 28}", "assigned_at": now, "released_at": now}
            for i in range(n)])
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('incidents', 'id'), (SELECT MAX(id) FROM incidents))"))


class TestPersistence:
    def test_incidents_scenarios_and_keys_survive_a_restart(self, database_url):
        s = Store.open(database_url=database_url)
        s.sync_teams({"T-1": "available"})
        iid = s.create_incident("ZS-0044", "line down", "desk").id
        s.assign(iid, "T-1")
        sid = s.save_scenario("close ST-03", {"close": ["ST-03"], "wind": 6})
        key = s.create_key("planner")
        s.close()
        s = Store.open(database_url=database_url)
        try:
            inc = s.incident(iid)
            assert (inc.island_id, inc.description, inc.status, inc.teams) == (
                "ZS-0044", "line down", "open", ("T-1",))
            assert s.scenario(sid).spec == {"close": ["ST-03"], "wind": 6}
            assert s.key_role(key) == "planner"
            assert s.statuses() == {"T-1": "busy"}
        finally:
            s.close()

    def test_sync_teams_keeps_live_status(self, store):
        iid = store.create_incident("ZS-0044", "x", "y").id
        store.assign(iid, "T-1")
        store.sync_teams({"T-1": "available", "T-4": "available"})
        assert store.statuses() == {"T-1": "busy", "T-2": "available", "T-3": "off-duty", "T-4": "available"}

    def test_a_database_of_an_older_version_gains_the_revoked_column(self, database_url):
        from sqlalchemy import create_engine

        engine = create_engine(database_url)
        kind = "TIMESTAMP WITH TIME ZONE" if engine.dialect.name == "postgresql" else "DATETIME"
        serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
        with engine.begin() as conn:  # api_keys as islandcover 0.1 made it
            conn.execute(text(f"CREATE TABLE api_keys (id {serial} PRIMARY KEY, role VARCHAR(16) NOT NULL, "
                              f"key_sha256 VARCHAR(64) NOT NULL UNIQUE, label VARCHAR(200), created_at {kind} NOT NULL)"))
            conn.execute(text("INSERT INTO api_keys (role, key_sha256, label, created_at) "
                              "VALUES ('dispatcher', :h, 'old desk', CURRENT_TIMESTAMP)"), {"h": hash_key("old-key")})
        engine.dispose()
        s = Store.open(database_url=database_url)
        try:
            assert s.key_role("old-key") == "dispatcher"
            s.revoke_key(1)
            assert s.key_role("old-key") is None
        finally:
            s.close()


class TestSQLiteFile:
    def test_sqlite_is_wal_with_full_sync(self, tmp_path):
        store = Store.open(state_dir=tmp_path)
        try:
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        finally:
            store.close()
        assert (tmp_path / "state.db").exists()

    def test_location_from_the_environment_goes_through_config(self, tmp_path, monkeypatch):
        monkeypatch.delenv("ISLANDCOVER_DATABASE_URL", raising=False)
        monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path / "state"))
        config = Config.from_env()
        assert config.state_dir == tmp_path / "state" and config.database_url is None
        assert default_database_url(config.state_dir) == f"sqlite:///{tmp_path / 'state' / 'state.db'}"
        assert (tmp_path / "state").is_dir()
        monkeypatch.setenv("ISLANDCOVER_DATABASE_URL", "postgresql+psycopg://u@h/db")
        assert Config.from_env().database_url == "postgresql+psycopg://u@h/db"
        # the store itself never reads the environment: an explicit folder is that folder
        assert default_database_url(tmp_path) == f"sqlite:///{tmp_path / 'state.db'}"

    def test_database_url_wins(self, tmp_path):
        s = Store.open(state_dir=tmp_path / "ignored", database_url=f"sqlite:///{tmp_path / 'other.db'}")
        try:
            s.create_incident("ZS-0044", "x", "y")
        finally:
            s.close()
        assert (tmp_path / "other.db").exists() and not (tmp_path / "ignored").exists()

    def test_state_is_readable_by_its_owner_only(self, tmp_path):
        """Under a permissive umask too: the folder we create is 0700, the database and its WAL
        and shared-memory files 0600, while the store is open and after."""
        old = os.umask(0o002)
        try:
            folder = tmp_path / "new" / "state"
            s = Store.open(state_dir=folder)
            try:
                s.create_incident("ZS-0044", "line down", "a reporter's name")
                s.create_key("dispatcher")
                files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
                assert files == {"state.db": 0o600, "state.db-wal": 0o600, "state.db-shm": 0o600}
            finally:
                s.close()
        finally:
            os.umask(old)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "state.db").stat().st_mode) == 0o600
        # an existing file keeps the mode its operator gave it
        os.chmod(folder / "state.db", 0o640)
        Store.open(state_dir=folder).close()
        assert stat.S_IMODE((folder / "state.db").stat().st_mode) == 0o640


class TestKeys:
    def test_keys_are_hashed_at_rest(self, store, database_url):
        key = store.create_key("dispatcher", label="night desk")
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT role, key_sha256, label FROM api_keys")).all()
        assert [tuple(r) for r in rows] == [("dispatcher", hash_key(key), "night desk")]
        if database_url.startswith("sqlite"):
            store.close()
            db = Path(database_url.removeprefix("sqlite:///"))
            raw = b"".join(p.read_bytes() for p in db.parent.glob("state.db*"))
            assert key.encode() not in raw

    def test_roles(self, store):
        assert store.key_role(store.create_key("planner")) == "planner"
        assert store.key_role("not-a-key") is None
        with pytest.raises(StoreError, match="role must be one of dispatcher, planner"):
            store.create_key("admin")

    def test_list_shows_everything_but_the_key(self, store):
        k1 = store.create_key("dispatcher", label="night desk")
        store.create_key("planner")
        keys = store.list_keys()
        assert [(k.id, k.role, k.label, k.revoked_at) for k in keys] == [
            (1, "dispatcher", "night desk", None), (2, "planner", None, None)]
        # times are given in Beijing time with their offset; the instant is the one stored (UTC)
        assert all(k.created_at.endswith("+08:00") for k in keys)
        made = datetime.fromisoformat(keys[0].created_at)
        assert abs(made - datetime.now(UTC)) < timedelta(minutes=5) and made.utcoffset() == timedelta(hours=8)
        assert set(keys[0].to_dict()) == {"id", "role", "label", "created_at", "revoked_at"}
        assert k1 not in repr(keys) and hash_key(k1) not in repr(keys)

    def test_a_revoked_key_has_no_role(self, store):
        key = store.create_key("dispatcher")
        other = store.create_key("dispatcher")
        row, now = store.revoke_key(1)
        assert now and row.revoked_at is not None
        assert store.key_role(key) is None and store.key_role(other) == "dispatcher"
        again, now = store.revoke_key(1)
        assert not now and again.revoked_at == row.revoked_at
        with pytest.raises(UnknownKey, match="no API key with id 7"):
            store.revoke_key(7)

    def test_cli_prints_a_new_key_once(self, database_url, capsys):
        assert cli.main(["keys", "create", "--role", "dispatcher", "--database-url", database_url]) == 0
        out, err = capsys.readouterr()
        key = out.strip()
        assert len(key) >= 40 and "shown only now" in err
        s = Store.open(database_url=database_url)
        try:
            assert s.key_role(key) == "dispatcher"
        finally:
            s.close()

    def test_cli_rejects_an_unknown_role(self, tmp_path, capsys):
        with pytest.raises(SystemExit) as exc:
            cli.main(["keys", "create", "--role", "admin", "--state-dir", str(tmp_path)])
        assert exc.value.code == 2
        assert "--role" in capsys.readouterr().err

    def test_cli_lists_and_revokes(self, database_url, run_cli):
        url = ["--database-url", database_url]
        empty = "no API keys (create one with `islandcover keys create --role dispatcher|planner`)\n"
        assert run_cli(["keys", "list", *url])[:2] == (0, empty)
        rc, key1, _ = run_cli(["keys", "create", "--role", "dispatcher", "--label", "night desk", *url])
        rc2, key2, _ = run_cli(["keys", "create", "--role", "planner", *url])
        assert rc == rc2 == 0
        rc, out, err = run_cli(["keys", "list", *url])
        lines = out.splitlines()
        assert rc == 0 and err == "" and len(lines) == 3
        assert lines[0].split() == ["id", "role", "label", "created", "(BJT)", "revoked", "(BJT)"]
        assert lines[1].split()[:4] == ["1", "dispatcher", "night", "desk"] and lines[1].split()[-1] == "-"
        assert lines[2].split()[:2] == ["2", "planner"]
        assert key1.strip() not in out and hash_key(key1.strip()) not in out
        rc, out, err = run_cli(["keys", "revoke", "1", *url])
        assert (rc, err) == (0, "") and out.startswith("revoked dispatcher key 1 (night desk)")
        rc, out, _ = run_cli(["keys", "list", "--json", *url])
        import json

        listed = json.loads(out)
        assert [(k["id"], k["revoked_at"] is not None) for k in listed] == [(1, True), (2, False)]
        assert run_cli(["keys", "revoke", "1", *url])[1].startswith("dispatcher key 1 (night desk) was already revoked")
        s = Store.open(database_url=database_url)
        try:
            assert s.key_role(key1.strip()) is None and s.key_role(key2.strip()) == "planner"
        finally:
            s.close()

    @pytest.mark.parametrize(("argv", "message"), [
        (["keys", "revoke", "9"], "islandcover: error: no API key with id 9 (see `islandcover keys list`)\n"),
        (["keys", "revoke", "abc"], ("islandcover keys revoke: error: argument ID: 'abc' is not a key id "
                                     "(a whole number from `islandcover keys list`)\n")),
        (["keys", "revoke", "0"], ("islandcover keys revoke: error: argument ID: '0' is not a key id "
                                   "(a whole number from `islandcover keys list`)\n")),
        (["keys", "list", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none"],
         "islandcover: error: cannot open the state database: "),
    ])
    def test_cli_errors_are_one_line_and_exit_2(self, tmp_path, run_cli, argv, message):
        rc, out, err = run_cli([*argv, "--state-dir", str(tmp_path)])
        assert rc == 2 and out == ""
        assert err.startswith(message) and err.count("\n") == 1


class TestAssignments:
    def test_assign_and_close(self, store):
        iid = store.create_incident("ZS-0044", "x", "y").id
        assert store.assign(iid, "T-1").teams == ("T-1",)
        assert store.assign(iid, "T-2").teams == ("T-1", "T-2")
        with pytest.raises(TeamUnavailable, match="on incident"):
            store.assign(iid, "T-1")
        closed = store.close_incident(iid)
        assert closed.status == "closed" and closed.teams == ()
        assert all(a.released_at for a in closed.assignments)
        assert store.statuses()["T-1"] == "available"
        with pytest.raises(Conflict, match="already closed"):
            store.close_incident(iid)
        with pytest.raises(Conflict, match="closed"):
            store.assign(iid, "T-1")

    def test_off_duty_team_cannot_be_assigned(self, store):
        iid = store.create_incident("ZS-0044", "x", "y").id
        with pytest.raises(TeamUnavailable, match="off-duty"):
            store.assign(iid, "T-3")

    def test_unknown_things(self, store):
        with pytest.raises(UnknownIncident):
            store.incident(5)
        with pytest.raises(UnknownIncident):
            store.assign(5, "T-1")
        with pytest.raises(UnknownIncident):
            store.close_incident(5)
        with pytest.raises(UnknownScenario):
            store.scenario(5)
        iid = store.create_incident("ZS-0044", "x", "y").id
        with pytest.raises(StoreError, match="no status row"):
            store.assign(iid, "T-9")

    def test_team_on_an_incident_stays_busy(self, store):
        iid = store.create_incident("ZS-0044", "x", "y").id
        store.assign(iid, "T-1")
        with pytest.raises(Conflict, match="close the incident"):
            store.set_team("T-1", status="off-duty")
        assert store.set_team("T-1", location=(122.3, 30.0)).lon == 122.3
        assert store.set_team("T-2", status="off-duty").status == "off-duty"
        assert store.statuses() == {"T-1": "busy", "T-2": "off-duty", "T-3": "off-duty"}

    def test_database_refuses_two_open_assignments_of_one_team(self, store):
        """The second guard: a partial unique index, independent of the conditional update."""
        a = store.create_incident("ZS-0044", "x", "y").id
        b = store.create_incident("ZS-0044", "x", "y").id
        store.assign(a, "T-1")
        with pytest.raises(IntegrityError), store.engine.begin() as conn:
            conn.execute(assignments.insert().values(incident_id=b, team_id="T-1", assigned_at=store_now()))
        assert store.count("assignments") == 1

    def test_failed_write_leaves_nothing_behind(self, store):
        iid = store.create_incident("ZS-0044", "x", "y").id
        store.assign(iid, "T-1")
        before = (store.count("assignments"), store.team_states()["T-2"])
        with pytest.raises(TeamUnavailable):
            store.assign(iid, "T-1")
        assert (store.count("assignments"), store.team_states()["T-2"]) == before


class TestIncidentPages:
    def test_pages_walk_every_incident_once_newest_first(self, store):
        _bulk_incidents(store, 1234)
        seen, cursor, pages = [], None, 0
        while True:
            page = store.incident_page(limit=500, before=cursor)
            seen += [i.id for i in page.items]
            pages += 1
            if page.next_cursor is None:
                break
            assert page.next_cursor == page.items[-1].id
            cursor = page.next_cursor
        assert pages == 3 and seen == list(range(1234, 0, -1))
        assert seen == [i.id for i in store.list_incidents()]

    def test_each_incident_carries_its_own_assignments(self, store):
        _bulk_incidents(store, 60)
        iid = store.create_incident("ZS-0044", "now", "desk").id
        store.assign(iid, "T-2")
        page = store.incident_page(limit=10)
        assert page.items[0].id == iid and page.items[0].teams == ("T-2",)
        for inc in page.items[1:]:  # incident k was assigned T-(k-1 mod 28), released
            assert [a.team_id for a in inc.assignments] == [f"T-{(inc.id - 1) % 28}"]
            assert inc.teams == () and inc.assignments[0].released_at is not None
        assert page.items == [store.incident(i.id) for i in page.items]

    def test_status_filter_pages_too(self, store):
        _bulk_incidents(store, 100)  # ids 1, 4, 7, … are open
        first = store.incident_page("open", limit=20)
        second = store.incident_page("open", limit=20, before=first.next_cursor)
        ids = [i.id for i in first.items + second.items]
        assert ids == [i for i in range(100, 0, -1) if (i - 1) % 3 == 0]
        assert second.next_cursor is None and all(i.status == "open" for i in first.items)

    @pytest.mark.parametrize("limit", [1, 50, MAX_PAGE])
    def test_a_page_is_two_queries_whatever_its_size(self, store, limit):
        _bulk_incidents(store, 2616)
        selects = _selects(store)
        page = store.incident_page(limit=limit, before=2000)
        assert len(page.items) == limit and page.items[0].id == 1999
        assert len(selects) == 2, selects
        selects.clear()
        assert len(store.list_incidents()) == 2616
        assert len(selects) == 1 + -(-2616 // (MAX_PAGE + 1))  # incidents, then assignments 501 ids at a time

    def test_limits(self, store):
        store.create_incident("ZS-0044", "x", "y")
        assert store.incident_page(limit=MAX_PAGE).next_cursor is None
        for bad in (0, MAX_PAGE + 1):
            with pytest.raises(StoreError, match=f"limit must be 1 to {MAX_PAGE}"):
                store.incident_page(limit=bad)
        assert store.incident_page(before=1).items == []


class TestIdempotency:
    def test_a_retry_returns_the_first_incident(self, store):
        first, created = store.create_incident_once("ZS-0044", "line down", "desk", idempotency_key="k-1", client="c")
        again, created_again = store.create_incident_once("ZS-0044", "line down", "desk", idempotency_key="k-1",
                                                          client="c")
        assert created and not created_again and again == first
        assert store.count("incidents") == 1 and store.count("idempotency_keys") == 1

    def test_the_key_and_its_incident_are_one_transaction(self, store):
        """A report whose incident cannot be stored leaves no key behind (and the reverse)."""
        store.create_incident_once("ZS-0044", "x", "y", idempotency_key="k", client="c")
        with pytest.raises(IntegrityError), store.engine.begin() as conn:  # the key row of a report that failed
            conn.execute(text("INSERT INTO incidents (island_id, description, reporter, status, created_at) "
                              "VALUES ('ZS-0044', 'x', 'y', 'open', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO idempotency_keys (client, idempotency_key, request_sha256, incident_id, "
                              "created_at) VALUES ('c', 'k', 'f', 2, CURRENT_TIMESTAMP)"))
        assert store.count("incidents") == 1 and store.count("idempotency_keys") == 1

    def test_the_same_key_for_another_report_is_a_conflict(self, store):
        inc, _ = store.create_incident_once("ZS-0044", "line down", "desk", idempotency_key="k-1", client="c")
        for island, description, reporter in [("ZS-0045", "line down", "desk"), ("ZS-0044", "pole down", "desk"),
                                              ("ZS-0044", "line down", "other desk")]:
            with pytest.raises(IdempotencyConflict, match=f"already used for incident {inc.id}") as exc:
                store.create_incident_once(island, description, reporter, idempotency_key="k-1", client="c")
            assert exc.value.incident_id == inc.id
        assert store.count("incidents") == 1

    def test_keys_of_different_clients_never_collide(self, store):
        a, _ = store.create_incident_once("ZS-0044", "x", "y", idempotency_key="k-1", client="desk-a")
        b, created = store.create_incident_once("ZS-0044", "x", "y", idempotency_key="k-1", client="desk-b")
        assert created and a.id != b.id

    def test_concurrent_retries_create_one_incident(self, database_url):
        """Eight stores (as eight API processes) send the same report with the same key at once."""
        stores = [Store.open(database_url=database_url) for _ in range(8)]
        barrier = threading.Barrier(len(stores))

        def one(s: Store) -> tuple[int, bool]:
            barrier.wait()
            inc, created = s.create_incident_once("ZS-0044", "line down", "desk", idempotency_key="same", client="c")
            return inc.id, created

        try:
            with ThreadPoolExecutor(len(stores)) as pool:
                results = list(pool.map(one, stores))
            assert len({i for i, _ in results}) == 1 and sorted(c for _, c in results) == [False] * 7 + [True]
            assert stores[0].count("incidents") == 1
        finally:
            for s in stores:
                s.close()

    @pytest.mark.parametrize("key", ["", "x" * 256])
    def test_key_length(self, store, key):
        with pytest.raises(StoreError, match="1 to 255 characters"):
            store.create_incident_once("ZS-0044", "x", "y", idempotency_key=key)


class TestText:
    @pytest.mark.parametrize(("field", "value", "problem"), [
        ("description", "line\x00down", "NUL character"),
        ("reporter", "desk\x00", "NUL character"),
        ("description", "a\ud800b", "lone surrogate (U+D800)"),
    ])
    def test_text_no_backend_can_hold_is_refused_naming_the_field(self, store, field, value, problem):
        fields = {"island_id": "ZS-0044", "description": "x", "reporter": "y", field: value}
        with pytest.raises(InvalidText, match=re.escape(problem)) as exc:
            store.create_incident(**fields)
        assert exc.value.field == field
        with pytest.raises(InvalidText):
            store.create_incident_once(**fields, idempotency_key="k")
        with pytest.raises(InvalidText) as exc:
            store.save_scenario(value, {})
        assert exc.value.field == "name"
        with pytest.raises(InvalidText):
            store.create_key("dispatcher", label=value)
        assert store.count("incidents") == store.count("scenarios") == store.count("api_keys") == 0

    def test_why_the_store_checks(self, store):
        """Without the check the backends disagree: SQLite stores a NUL, PostgreSQL refuses it."""
        sql = text("INSERT INTO incidents (island_id, description, reporter, status, created_at) "
                   "VALUES ('ZS-0044', :d, 'y', 'open', CURRENT_TIMESTAMP)")
        if store.is_sqlite:
            with store.engine.begin() as conn:
                conn.execute(sql, {"d": "a\x00b"})
            assert store.incident(1).description == "a\x00b"
        else:
            with pytest.raises((StatementError, ValueError)), store.engine.begin() as conn:
                conn.execute(sql, {"d": "a\x00b"})

    def test_unicode_text_is_kept(self, store):
        inc = store.create_incident("ZS-0044", "线路故障 ⚡ 𝄞", "值班员 王")
        assert store.incident(inc.id).description == "线路故障 ⚡ 𝄞"


def test_sqlite_integrity_after_all_that(tmp_path):
    """The file the store writes is a sound SQLite database (checked with the sqlite3 module)."""
    s = Store.open(state_dir=tmp_path)
    s.sync_teams({"T-1": "available"})
    _bulk_incidents(s, 300)
    s.create_incident_once("ZS-0044", "x", "y", idempotency_key="k")
    s.close()
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
