"""Persistence of the live state: incidents, team assignments and status, scenarios, API keys.

SQLite by default (``$ISLANDCOVER_STATE_DIR/state.db``, default
``~/.local/share/islandcover/state.db``) in WAL mode with ``synchronous=FULL``; PostgreSQL
(or any SQLAlchemy URL) when ``$ISLANDCOVER_DATABASE_URL`` is set.

Every write is one transaction. On SQLite, write transactions start with ``BEGIN IMMEDIATE``
so that two writers queue on the database lock instead of failing on a stale snapshot.

A team is assigned by one conditional ``UPDATE team_status … WHERE status = 'available'``:
of two dispatchers assigning the same team at once, the database lets exactly one update
match and the other sees ``rowcount == 0`` (:class:`TeamUnavailable`). A partial unique index
on open assignments per team guards the same rule a second time.

API keys are stored as the SHA-256 of the key (keys are 256-bit random tokens from
:func:`secrets.token_urlsafe`, so a fast hash is enough; the key itself is never stored).
"""
from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from islandcover.errors import IslandcoverError

__all__ = [
    "ROLES",
    "TEAM_STATUSES",
    "Conflict",
    "Store",
    "StoreError",
    "TeamUnavailable",
    "UnknownIncident",
    "UnknownScenario",
    "default_database_url",
    "hash_key",
]

#: Roles an API key can have.
ROLES: tuple[str, ...] = ("dispatcher", "planner")

#: Live statuses of a team.
TEAM_STATUSES: tuple[str, ...] = ("available", "busy", "off-duty")


class StoreError(IslandcoverError):
    """A request the store cannot carry out as asked."""


class UnknownIncident(StoreError, LookupError):
    """No incident has the given id."""


class UnknownScenario(StoreError, LookupError):
    """No scenario has the given id."""


class Conflict(StoreError):
    """The request contradicts the current state (closed incident, team on an incident …)."""


class TeamUnavailable(Conflict):
    """The team is not available (busy on another incident, or off duty)."""


metadata = MetaData()

incidents = Table(
    "incidents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("island_id", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("reporter", String(200), nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
)

team_status = Table(
    "team_status", metadata,
    Column("team_id", String(32), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=True),
    Column("lon", Float, nullable=True),
    Column("lat", Float, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

assignments = Table(
    "assignments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("team_id", String(32), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=True),
)
# at most one open assignment per team, enforced by the database
Index("one_open_assignment_per_team", assignments.c.team_id, unique=True,
      sqlite_where=assignments.c.released_at.is_(None), postgresql_where=assignments.c.released_at.is_(None))

scenarios = Table(
    "scenarios", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# one row: a counter bumped by every write transaction, so that answers cached on the live state
# (the API's /nearest and /map) know when it changed, across processes
state_version = Table(
    "state_version", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("role", String(16), nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def hash_key(key: str) -> str:
    """SHA-256 (hex) of an API key: what is stored instead of the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def default_database_url(state_dir: str | Path | None = None) -> str:
    """The database URL: ``$ISLANDCOVER_DATABASE_URL``, else SQLite in the state folder.

    Parameters
    ----------
    state_dir : path, optional
        Folder of ``state.db``; default ``$ISLANDCOVER_STATE_DIR`` or
        ``~/.local/share/islandcover``. Created if missing.
    """
    if state_dir is None:
        env = os.environ.get("ISLANDCOVER_DATABASE_URL")
        if env:
            return env
        state_dir = os.environ.get("ISLANDCOVER_STATE_DIR") or Path.home() / ".local" / "share" / "islandcover"
    folder = Path(state_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'state.db'}"


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(t: datetime | None) -> str | None:
    if t is None:
        return None
    if t.tzinfo is None:  # SQLite returns naive datetimes; they were written in UTC
        t = t.replace(tzinfo=UTC)
    return t.isoformat()


@dataclass
class Store:
    """The live state in one database.

    Build with :meth:`open`; call :meth:`close` when done.
    """

    engine: Engine

    @classmethod
    def open(cls, *, state_dir: str | Path | None = None, database_url: str | None = None) -> Store:
        """Open (and create if needed) the database.

        Parameters
        ----------
        state_dir : path, optional
            Folder of the SQLite file ``state.db`` (see :func:`default_database_url`).
        database_url : str, optional
            Any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/islandcover``; wins over
            ``state_dir``.
        """
        url = database_url or default_database_url(state_dir)
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _sqlite_setup(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        metadata.create_all(engine)
        store = cls(engine)
        with store._write() as conn:
            if conn.scalar(select(state_version.c.version).where(state_version.c.id == 1)) is None:
                conn.execute(insert(state_version).values(id=1, version=0))
        return store

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success; it bumps
        :meth:`version`."""
        with self.engine.connect().execution_options(_ic_immediate=True) as conn, conn.begin():
            yield conn
            conn.execute(update(state_version).where(state_version.c.id == 1)
                         .values(version=state_version.c.version + 1))

    def version(self) -> int:
        """A number that changes with every write to the live state (teams, incidents, scenarios,
        keys): answers computed on the state can be cached under it."""
        with self._read() as conn:
            return int(conn.scalar(select(state_version.c.version).where(state_version.c.id == 1)) or 0)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # ------------------------------------------------------------------ teams
    def sync_teams(self, teams: Mapping[str, str]) -> None:
        """Add a status row for every team not yet in the database (team id → loaded status)."""
        with self._write() as conn:
            known = set(conn.scalars(select(team_status.c.team_id)))
            rows = [{"team_id": t, "status": s if s in TEAM_STATUSES else "available", "updated_at": _now()}
                    for t, s in teams.items() if t not in known]
            if rows:
                conn.execute(insert(team_status), rows)

    def team_states(self) -> dict[str, dict[str, Any]]:
        """Team id → {status, incident_id, lon, lat, updated_at}."""
        with self._read() as conn:
            return {r.team_id: {"status": r.status, "incident_id": r.incident_id, "lon": r.lon, "lat": r.lat,
                                "updated_at": _utc(r.updated_at)}
                    for r in conn.execute(select(team_status))}

    def statuses(self) -> dict[str, str]:
        """Team id → live status (for :meth:`islandcover.routing.Router.nearest`)."""
        with self._read() as conn:
            return {r.team_id: r.status for r in conn.execute(select(team_status.c.team_id, team_status.c.status))}

    def set_team(self, team_id: str, *, status: str | None = None,
                 location: tuple[float, float] | None = None) -> dict[str, Any]:
        """Change a team's status and/or location.

        Raises
        ------
        Conflict
            When the team is on an open incident and ``status`` is not ``busy`` (close the
            incident to free it).
        """
        if status is not None and status not in TEAM_STATUSES:
            raise StoreError(f"status must be one of {', '.join(TEAM_STATUSES)}, got {status!r}")
        values: dict[str, Any] = {"updated_at": _now()}
        if status is not None:
            values["status"] = status
        if location is not None:
            values["lon"], values["lat"] = float(location[0]), float(location[1])
        with self._write() as conn:
            stmt = update(team_status).where(team_status.c.team_id == team_id)
            if status is not None and status != "busy":
                stmt = stmt.where(team_status.c.incident_id.is_(None))
            if conn.execute(stmt.values(**values)).rowcount != 1:
                row = conn.execute(select(team_status).where(team_status.c.team_id == team_id)).first()
                if row is None:
                    raise StoreError(f"team '{team_id}' has no status row (call sync_teams first)")
                msg = (f"team {team_id} is assigned to open incident {row.incident_id}: "
                       f"close the incident to make it {status}")
                raise Conflict(msg)
        return self.team_states()[team_id]

    # ------------------------------------------------------------------ incidents
    def create_incident(self, island_id: str, description: str, reporter: str) -> dict[str, Any]:
        """Record a new open incident; returns it."""
        with self._write() as conn:
            iid = conn.execute(insert(incidents).values(island_id=island_id, description=description,
                                                        reporter=reporter, status="open", created_at=_now())
                               ).inserted_primary_key[0]  # type: ignore[index]
            return self._incident(conn, int(iid))

    def incident(self, incident_id: int) -> dict[str, Any]:
        """One incident with its assignments; raises :class:`UnknownIncident`."""
        with self._read() as conn:
            return self._incident(conn, incident_id)

    def list_incidents(self, status: str | None = None) -> list[dict[str, Any]]:
        """Every incident (optionally only ``open`` or ``closed``), newest first."""
        with self._read() as conn:
            q = select(incidents.c.id).order_by(incidents.c.id.desc())
            if status is not None:
                q = q.where(incidents.c.status == status)
            return [self._incident(conn, int(i)) for i in conn.scalars(q)]

    def _incident(self, conn: Connection, incident_id: int) -> dict[str, Any]:
        row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        if row is None:
            raise UnknownIncident(f"no incident {incident_id}")
        asg = conn.execute(select(assignments).where(assignments.c.incident_id == incident_id)
                           .order_by(assignments.c.id)).all()
        return {"id": row.id, "island_id": row.island_id, "description": row.description, "reporter": row.reporter,
                "status": row.status, "created_at": _utc(row.created_at), "closed_at": _utc(row.closed_at),
                "teams": [a.team_id for a in asg if a.released_at is None],
                "assignments": [{"team_id": a.team_id, "assigned_at": _utc(a.assigned_at),
                                 "released_at": _utc(a.released_at)} for a in asg]}

    def assign(self, incident_id: int, team_id: str) -> dict[str, Any]:
        """Send an available team to an open incident; the team becomes busy.

        Raises
        ------
        UnknownIncident
            No such incident.
        Conflict
            The incident is closed.
        TeamUnavailable
            The team is not available (the conditional update matched no row).
        """
        with self._write() as conn:
            inc = conn.execute(select(incidents.c.status).where(incidents.c.id == incident_id)).first()
            if inc is None:
                raise UnknownIncident(f"no incident {incident_id}")
            if inc.status != "open":
                raise Conflict(f"incident {incident_id} is closed")
            res = conn.execute(update(team_status)
                               .where(team_status.c.team_id == team_id, team_status.c.status == "available",
                                      team_status.c.incident_id.is_(None))
                               .values(status="busy", incident_id=incident_id, updated_at=_now()))
            if res.rowcount != 1:
                cur = conn.execute(select(team_status).where(team_status.c.team_id == team_id)).first()
                if cur is None:
                    raise StoreError(f"team '{team_id}' has no status row (call sync_teams first)")
                why = f"on incident {cur.incident_id}" if cur.incident_id is not None else cur.status
                raise TeamUnavailable(f"team {team_id} is not available ({why})")
            conn.execute(insert(assignments).values(incident_id=incident_id, team_id=team_id, assigned_at=_now()))
            return self._incident(conn, incident_id)

    def close_incident(self, incident_id: int) -> dict[str, Any]:
        """Close an open incident and free its teams (they become available)."""
        now = _now()
        with self._write() as conn:
            res = conn.execute(update(incidents).where(incidents.c.id == incident_id, incidents.c.status == "open")
                               .values(status="closed", closed_at=now))
            if res.rowcount != 1:
                if conn.execute(select(incidents.c.id).where(incidents.c.id == incident_id)).first() is None:
                    raise UnknownIncident(f"no incident {incident_id}")
                raise Conflict(f"incident {incident_id} is already closed")
            conn.execute(update(assignments)
                         .where(assignments.c.incident_id == incident_id, assignments.c.released_at.is_(None))
                         .values(released_at=now))
            conn.execute(update(team_status).where(team_status.c.incident_id == incident_id)
                         .values(status="available", incident_id=None, updated_at=now))
            return self._incident(conn, incident_id)

    # ------------------------------------------------------------------ scenarios
    def save_scenario(self, name: str, spec: Mapping[str, Any]) -> int:
        """Store a scenario (JSON spec); returns its id."""
        with self._write() as conn:
            sid = conn.execute(insert(scenarios).values(name=name, spec=dict(spec), created_at=_now())
                               ).inserted_primary_key[0]  # type: ignore[index]
        return int(sid)

    def scenario(self, scenario_id: int) -> dict[str, Any]:
        """``{"id", "name", "spec", "created_at"}``; raises :class:`UnknownScenario`."""
        with self._read() as conn:
            row = conn.execute(select(scenarios).where(scenarios.c.id == scenario_id)).first()
        if row is None:
            raise UnknownScenario(f"no scenario {scenario_id}")
        return {"id": row.id, "name": row.name, "spec": row.spec, "created_at": _utc(row.created_at)}

    # ------------------------------------------------------------------ API keys
    def create_key(self, role: str, label: str | None = None) -> str:
        """Create an API key with ``role``; returns the key (shown once, stored only hashed)."""
        if role not in ROLES:
            raise StoreError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        key = secrets.token_urlsafe(32)
        with self._write() as conn:
            conn.execute(insert(api_keys).values(role=role, key_sha256=hash_key(key), label=label,
                                                 created_at=_now()))
        return key

    def key_role(self, key: str) -> str | None:
        """The role of an API key, or None for an unknown key."""
        with self._read() as conn:
            return conn.scalar(select(api_keys.c.role).where(api_keys.c.key_sha256 == hash_key(key)))

    def count(self, table: str) -> int:
        """Rows in one table (for tests and health checks)."""
        t = metadata.tables[table]
        with self._read() as conn:
            return int(conn.scalar(select(func.count()).select_from(t)) or 0)


def _sqlite_setup(engine: Engine) -> None:
    """WAL, synchronous=FULL, foreign keys on every connection; ``BEGIN IMMEDIATE`` for writes."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("_ic_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
