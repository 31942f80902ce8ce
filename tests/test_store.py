"""The store: persistence across restarts, SQLite settings, hashed keys, assignment rules."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError

from islandcover import cli
from islandcover.store import (
    Conflict,
    Store,
    StoreError,
    TeamUnavailable,
    UnknownIncident,
    UnknownScenario,
    assignments,
    default_database_url,
    hash_key,
)


@pytest.fixture
def store(tmp_path):
    s = Store.open(state_dir=tmp_path)
    s.sync_teams({"T-1": "available", "T-2": "available", "T-3": "off-duty"})
    yield s
    s.close()


class TestPersistence:
    def test_incidents_scenarios_and_keys_survive_a_restart(self, tmp_path):
        s = Store.open(state_dir=tmp_path)
        s.sync_teams({"T-1": "available"})
        iid = s.create_incident("ZS-0044", "line down", "desk")["id"]
        s.assign(iid, "T-1")
        sid = s.save_scenario("close ST-03", {"close": ["ST-03"], "wind": 6})
        key = s.create_key("planner")
        s.close()
        s = Store.open(state_dir=tmp_path)
        try:
            inc = s.incident(iid)
            assert (inc["island_id"], inc["description"], inc["status"], inc["teams"]) == (
                "ZS-0044", "line down", "open", ["T-1"])
            assert s.scenario(sid)["spec"] == {"close": ["ST-03"], "wind": 6}
            assert s.key_role(key) == "planner"
            assert s.statuses() == {"T-1": "busy"}
        finally:
            s.close()

    def test_sync_teams_keeps_live_status(self, store):
        iid = store.create_incident("ZS-0044", "x", "y")["id"]
        store.assign(iid, "T-1")
        store.sync_teams({"T-1": "available", "T-4": "available"})
        assert store.statuses() == {"T-1": "busy", "T-2": "available", "T-3": "off-duty", "T-4": "available"}

    def test_sqlite_is_wal_with_full_sync(self, store, tmp_path):
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert (tmp_path / "state.db").exists()

    def test_default_location_from_env(self, tmp_path, monkeypatch):
        monkeypatch.delenv("ISLANDCOVER_DATABASE_URL", raising=False)
        monkeypatch.setenv("ISLANDCOVER_STATE_DIR", str(tmp_path / "state"))
        assert default_database_url() == f"sqlite:///{tmp_path / 'state' / 'state.db'}"
        assert (tmp_path / "state").is_dir()
        monkeypatch.setenv("ISLANDCOVER_DATABASE_URL", "postgresql+psycopg://u@h/db")
        assert default_database_url() == "postgresql+psycopg://u@h/db"
        assert default_database_url(tmp_path).startswith("sqlite:///")

    def test_database_url_wins(self, tmp_path):
        s = Store.open(state_dir=tmp_path / "ignored", database_url=f"sqlite:///{tmp_path / 'other.db'}")
        try:
            s.create_incident("ZS-0044", "x", "y")
        finally:
            s.close()
        assert (tmp_path / "other.db").exists() and not (tmp_path / "ignored").exists()


class TestKeys:
    def test_keys_are_hashed_at_rest(self, store, tmp_path):
        key = store.create_key("dispatcher", label="night desk")
        store.close()
        with sqlite3.connect(tmp_path / "state.db") as db:
            rows = db.execute("SELECT role, key_sha256, label FROM api_keys").fetchall()
        db.close()
        assert rows == [("dispatcher", hash_key(key), "night desk")]
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
        assert key.encode() not in raw

    def test_roles(self, store):
        assert store.key_role(store.create_key("planner")) == "planner"
        assert store.key_role("not-a-key") is None
        with pytest.raises(StoreError, match="role must be one of dispatcher, planner"):
            store.create_key("admin")

    def test_cli_prints_a_new_key_once(self, tmp_path, capsys):
        assert cli.main(["keys", "create", "--role", "dispatcher", "--state-dir", str(tmp_path)]) == 0
        out, err = capsys.readouterr()
        key = out.strip()
        assert len(key) >= 40 and "shown only now" in err
        s = Store.open(state_dir=tmp_path)
        try:
            assert s.key_role(key) == "dispatcher"
        finally:
            s.close()

    def test_cli_rejects_an_unknown_role(self, tmp_path, capsys):
        with pytest.raises(SystemExit) as exc:
            cli.main(["keys", "create", "--role", "admin", "--state-dir", str(tmp_path)])
        assert exc.value.code == 2
        assert "--role" in capsys.readouterr().err


class TestAssignments:
    def test_assign_and_close(self, store):
        iid = store.create_incident("ZS-0044", "x", "y")["id"]
        assert store.assign(iid, "T-1")["teams"] == ["T-1"]
        assert store.assign(iid, "T-2")["teams"] == ["T-1", "T-2"]
        with pytest.raises(TeamUnavailable, match="on incident"):
            store.assign(iid, "T-1")
        closed = store.close_incident(iid)
        assert closed["status"] == "closed" and closed["teams"] == []
        assert all(a["released_at"] for a in closed["assignments"])
        assert store.statuses()["T-1"] == "available"
        with pytest.raises(Conflict, match="already closed"):
            store.close_incident(iid)
        with pytest.raises(Conflict, match="closed"):
            store.assign(iid, "T-1")

    def test_off_duty_team_cannot_be_assigned(self, store):
        iid = store.create_incident("ZS-0044", "x", "y")["id"]
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
        iid = store.create_incident("ZS-0044", "x", "y")["id"]
        with pytest.raises(StoreError, match="no status row"):
            store.assign(iid, "T-9")

    def test_team_on_an_incident_stays_busy(self, store):
        iid = store.create_incident("ZS-0044", "x", "y")["id"]
        store.assign(iid, "T-1")
        with pytest.raises(Conflict, match="close the incident"):
            store.set_team("T-1", status="off-duty")
        assert store.set_team("T-1", location=(122.3, 30.0))["lon"] == 122.3
        assert store.set_team("T-2", status="off-duty")["status"] == "off-duty"
        assert store.statuses() == {"T-1": "busy", "T-2": "off-duty", "T-3": "off-duty"}

    def test_database_refuses_two_open_assignments_of_one_team(self, store):
        """The second guard: a partial unique index, independent of the conditional update."""
        a = store.create_incident("ZS-0044", "x", "y")["id"]
        b = store.create_incident("ZS-0044", "x", "y")["id"]
        store.assign(a, "T-1")
        with pytest.raises(IntegrityError), store.engine.begin() as conn:
            conn.execute(assignments.insert().values(incident_id=b, team_id="T-1", assigned_at=store_now()))
        assert store.count("assignments") == 1

    def test_failed_write_leaves_nothing_behind(self, store):
        iid = store.create_incident("ZS-0044", "x", "y")["id"]
        store.assign(iid, "T-1")
        before = (store.count("assignments"), store.team_states()["T-2"])
        with pytest.raises(TeamUnavailable):
            store.assign(iid, "T-1")
        assert (store.count("assignments"), store.team_states()["T-2"]) == before


def store_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
