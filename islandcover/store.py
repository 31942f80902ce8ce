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
:func:`secrets.token_urlsafe`, so a fast hash is enough; the key itself is never stored). A
revoked key keeps its row (``revoked_at`` set) and no longer has a role.

Incidents are listed a page at a time, newest first, with one query for the page's incidents
and one for their assignments (:meth:`Store.incident_page`). An incident reported with an
idempotency key is stored in the same transaction as the key (table ``idempotency_keys``,
unique per client and key), so a retry after a crash between the commit and the answer finds
the incident instead of creating a second one (:meth:`Store.create_incident_once`).

The SQLite file is created readable by its owner only (mode 0600; SQLite gives its ``-wal``
and ``-shm`` files the same mode), and the state folder, when the store creates it, 0700.
Text with a NUL character or a lone surrogate is refused on every backend
(:class:`InvalidText`): PostgreSQL cannot store either, SQLite would.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
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
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    inspect,
    make_url,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from islandcover.clock import iso_beijing
from islandcover.config import DEFAULT_STATE_DIR
from islandcover.errors import (
    Conflict,
    IdempotencyConflict,
    InvalidText,
    StoreError,
    TeamUnavailable,
    UnknownIncident,
    UnknownKey,
    UnknownScenario,
    UnknownSuspension,
)
from islandcover.situation import POSITION_KINDS, SUSPENSION_SCOPES, Situation, Suspension, TeamNow

__all__ = [
    "MAX_PAGE",
    "ROLES",
    "TEAM_STATUSES",
    "ApiKey",
    "Assignment",
    "Incident",
    "IncidentPage",
    "Store",
    "StoredScenario",
    "TeamState",
    "default_database_url",
    "hash_key",
    "text_problem",
]

#: Roles an API key can have.
ROLES: tuple[str, ...] = ("dispatcher", "planner")

#: Live statuses of a team.
TEAM_STATUSES: tuple[str, ...] = ("available", "busy", "off-duty")

#: The most incidents :meth:`Store.incident_page` returns at once.
MAX_PAGE = 500


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
    # where the team is (islandcover.situation.POSITION_KINDS); NULL: at its station
    Column("at_kind", String(16), nullable=True),
    Column("at_ref", String(64), nullable=True),
    Column("at_set", DateTime(timezone=True), nullable=True),
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

# suspension notices (islandcover.situation.Suspension): links closed whatever the wind
suspensions = Table(
    "suspensions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),
    Column("ref", String(200), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=True),
    Column("source", String(500), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("role", String(16), nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# the incident each (client, idempotency key) created, written in the incident's own transaction
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),  # SHA-256 of the API key that sent it
    Column("idempotency_key", String(255), nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("client", "idempotency_key", name="one_incident_per_idempotency_key"),
)


def hash_key(key: str) -> str:
    """SHA-256 (hex) of an API key: what is stored instead of the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def default_database_url(state_dir: str | Path | None = None) -> str:
    """The URL of the SQLite state in ``state_dir``.

    Parameters
    ----------
    state_dir : path, optional
        Folder of ``state.db``; default :data:`islandcover.config.DEFAULT_STATE_DIR`
        (``~/.local/share/islandcover``). Created if missing, accessible by its owner only (0700).
    """
    folder = Path(state_dir if state_dir is not None else DEFAULT_STATE_DIR).expanduser()
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    return f"sqlite:///{folder / 'state.db'}"


def _create_private_sqlite_file(url: str) -> None:
    """Create the SQLite file of ``url`` with mode 0600 if it does not exist yet.

    SQLite creates its ``-wal`` and ``-shm`` files with the mode of the database file, so they
    are private too. An existing file keeps its mode (the operator may have chosen it).
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:  # a missing folder and the like: let SQLite report it
        return
    os.close(fd)
    os.chmod(database, 0o600)


def text_problem(value: str) -> str | None:
    """Why no backend can store ``value`` alike (a NUL character, a lone surrogate), or None.

    PostgreSQL refuses NUL in text and SQLite stores it; neither stores a lone UTF-16
    surrogate as UTF-8. The message gives the position.
    """
    at = value.find("\x00")
    if at >= 0:
        return f"a NUL character (\\x00) at position {at} is not allowed in text"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"a lone surrogate (U+{ord(value[exc.start]):04X}) at position {exc.start} is not text; "
                "send valid Unicode")
    return None


def _check_text(**fields: str | None) -> None:
    """Refuse text that no backend stores alike; raises :class:`InvalidText` naming the field."""
    for name, value in fields.items():
        problem = None if value is None else text_problem(value)
        if problem is not None:
            raise InvalidText(name, problem)


def _request_sha256(island_id: str, description: str, reporter: str) -> str:
    body = json.dumps([island_id, description, reporter], ensure_ascii=True)
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _upgrade(engine: Engine) -> None:
    """Bring a database made by an older islandcover up to this schema (columns added since)."""
    when = "TIMESTAMP WITH TIME ZONE" if engine.dialect.name == "postgresql" else "DATETIME"
    added = {"api_keys": [("revoked_at", when)],
             "team_status": [("at_kind", "VARCHAR(16)"), ("at_ref", "VARCHAR(64)"), ("at_set", when)]}
    inspector = inspect(engine)
    for table, columns in added.items():
        have = {c["name"] for c in inspector.get_columns(table)}
        missing = [(name, kind) for name, kind in columns if name not in have]
        if missing:
            with engine.begin() as conn:
                for name, kind in missing:
                    conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


# ---------------------------------------------------------------------- typed rows
class _Row:
    """What the typed rows share: a JSON-ready dict (tuples as lists)."""

    def to_dict(self) -> dict[str, Any]:
        """The row as a dict of JSON values (``dataclasses.asdict``, tuples as lists)."""
        return asdict(self, dict_factory=lambda kv: {k: list(v) if isinstance(v, tuple) else v  # type: ignore[arg-type]
                                                     for k, v in kv})


@dataclass(frozen=True)
class TeamState(_Row):
    """A team's live status.

    Attributes
    ----------
    team_id : str
    status : str
        ``available``, ``busy`` or ``off-duty``.
    incident_id : int or None
        The open incident it is on.
    lon, lat : float or None
        Its last reported position (WGS84), when it was given as a point.
    updated_at : str or None
        When the row last changed (ISO 8601).
    at_kind : str
        Where it is: ``station`` (its own), ``island``, ``pier`` or ``point``
        (:data:`islandcover.situation.POSITION_KINDS`).
    at_ref : str
        The island or pier id, ``"lon,lat"`` for a point, empty at its station.
    at_set : str or None
        When the position was set (ISO 8601); None at its station since loaded.
    """

    team_id: str
    status: str
    incident_id: int | None
    lon: float | None
    lat: float | None
    updated_at: str | None
    at_kind: str = "station"
    at_ref: str = ""
    at_set: str | None = None


@dataclass(frozen=True)
class Assignment(_Row):
    """A team sent to an incident (``released_at`` None while it is on it)."""

    team_id: str
    assigned_at: str | None
    released_at: str | None


@dataclass(frozen=True)
class Incident(_Row):
    """An incident with its assignments.

    Attributes
    ----------
    id : int
    island_id : str
    description, reporter : str
    status : str
        ``open`` or ``closed``.
    created_at, closed_at : str or None
        ISO 8601, UTC.
    teams : tuple of str
        The teams on it now.
    assignments : tuple of Assignment
        Every team ever sent, oldest first.
    """

    id: int
    island_id: str
    description: str
    reporter: str
    status: str
    created_at: str | None
    closed_at: str | None
    teams: tuple[str, ...]
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True)
class StoredScenario(_Row):
    """A what-if scenario as stored: its name and JSON spec (:meth:`islandcover.planning.scenario.Scenario.from_spec`)."""

    id: int
    name: str
    spec: dict[str, Any]
    created_at: str | None


@dataclass(frozen=True)
class ApiKey(_Row):
    """An API key as ``keys list`` shows it: never the key nor its hash."""

    id: int
    role: str
    label: str | None
    created_at: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class IncidentPage:
    """A page of incidents, newest first.

    Attributes
    ----------
    items : list of Incident
        The incidents.
    next_cursor : int or None
        Pass as ``before`` for the next page; None on the last page.
    """

    items: list[Incident]
    next_cursor: int | None


def _incident_row(row: Row[Any], asg: Sequence[Row[Any]]) -> Incident:
    return Incident(id=int(row.id), island_id=row.island_id, description=row.description, reporter=row.reporter,
                    status=row.status, created_at=_utc(row.created_at), closed_at=_utc(row.closed_at),
                    teams=tuple(a.team_id for a in asg if a.released_at is None),
                    assignments=tuple(Assignment(a.team_id, _utc(a.assigned_at), _utc(a.released_at)) for a in asg))


def _team_state(r: Row[Any]) -> TeamState:
    return TeamState(r.team_id, r.status, r.incident_id, r.lon, r.lat, _utc(r.updated_at),
                     at_kind=r.at_kind or "station", at_ref=r.at_ref or "", at_set=_utc(r.at_set))


def _aware(t: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives naive ones, written in UTC)."""
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _utc(t: datetime | None) -> str | None:
    """A stored instant (kept in UTC) as the answers give it: ISO 8601 in Beijing time, +08:00."""
    if t is None:
        return None
    if t.tzinfo is None:  # SQLite returns naive datetimes; they were written in UTC
        t = t.replace(tzinfo=UTC)
    return iso_beijing(t, timespec="auto")


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
            _create_private_sqlite_file(url)
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _sqlite_setup(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        metadata.create_all(engine)
        _upgrade(engine)
        store = cls(engine)
        with store._read() as conn:  # opening reads; only a new database is written (its version row)
            known = conn.scalar(select(state_version.c.version).where(state_version.c.id == 1)) is not None
        if not known:
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

    def team_states(self) -> dict[str, TeamState]:
        """Team id → its live :class:`TeamState`."""
        with self._read() as conn:
            return {r.team_id: _team_state(r) for r in conn.execute(select(team_status))}

    def statuses(self) -> dict[str, str]:
        """Team id → live status (for :meth:`islandcover.travel.routing.Router.nearest`)."""
        with self._read() as conn:
            return {r.team_id: r.status for r in conn.execute(select(team_status.c.team_id, team_status.c.status))}

    def set_team(self, team_id: str, *, status: str | None = None,
                 location: tuple[float, float] | None = None,
                 at: tuple[str, str] | None = None) -> TeamState:
        """Change a team's status and/or where it is.

        Parameters
        ----------
        team_id : str
        status : {"available", "busy", "off-duty"}, optional
        location : (lon, lat), optional
            A point (on an island or at sea): the team is there from now.
        at : (kind, ref), optional
            ``("station", "")`` (back at its own station), ``("island", "ZS-0052")``,
            ``("pier", "P-13")`` or ``("point", "122.5,30.3")``; the caller checks the ref
            against the model.

        Raises
        ------
        Conflict
            When the team is on an open incident and ``status`` is not ``busy`` (close the
            incident to free it).
        """
        if status is not None and status not in TEAM_STATUSES:
            raise StoreError(f"status must be one of {', '.join(TEAM_STATUSES)}, got {status!r}")
        now = _now()
        values: dict[str, Any] = {"updated_at": now}
        if status is not None:
            values["status"] = status
        if location is not None:
            at = ("point", f"{float(location[0])},{float(location[1])}")
        if at is not None:
            kind, ref = at
            if kind not in POSITION_KINDS:
                raise StoreError(f"a position is one of {', '.join(POSITION_KINDS)}, got {kind!r}")
            _check_text(at=ref)
            home = kind == "station"
            values.update(at_kind=None if home else kind, at_ref=None if home else ref, at_set=None if home else now)
            if kind == "point":
                lon, lat = (float(x) for x in ref.split(","))
                values["lon"], values["lat"] = lon, lat
            else:
                values["lon"] = values["lat"] = None
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
    def create_incident(self, island_id: str, description: str, reporter: str) -> Incident:
        """Record a new open incident; returns it.

        Raises
        ------
        InvalidText
            ``description`` or ``reporter`` holds a NUL character or a lone surrogate.
        """
        _check_text(island_id=island_id, description=description, reporter=reporter)
        with self._write() as conn:
            return self._incident(conn, self._insert_incident(conn, island_id, description, reporter))

    def create_incident_once(self, island_id: str, description: str, reporter: str, *,
                             idempotency_key: str, client: str = "") -> tuple[Incident, bool]:
        """Record a new open incident unless ``idempotency_key`` already recorded one.

        The key is stored in the incident's own transaction, so a client that retries after
        losing the answer (the server crashed after the commit) gets the first incident back.

        Parameters
        ----------
        island_id, description, reporter : str
            The incident, as for :meth:`create_incident`.
        idempotency_key : str
            The client's name for this report (1–255 characters, e.g. a UUID).
        client : str
            Whose key it is (the API passes the SHA-256 of the caller's API key): keys of
            different clients never collide.

        Returns
        -------
        (incident, created) : tuple of Incident and bool
            ``created`` is False when the incident was recorded by an earlier call.

        Raises
        ------
        IdempotencyConflict
            The key was used before for a different island, description or reporter.
        InvalidText
            A text field holds a NUL character or a lone surrogate.
        """
        _check_text(island_id=island_id, description=description, reporter=reporter,
                    idempotency_key=idempotency_key)
        if not 1 <= len(idempotency_key) <= 255:
            raise StoreError(f"an idempotency key has 1 to 255 characters, got {len(idempotency_key)}")
        fingerprint = _request_sha256(island_id, description, reporter)
        replay = self._replay(client, idempotency_key, fingerprint)
        if replay is not None:
            return replay, False
        try:
            with self._write() as conn:
                iid = self._insert_incident(conn, island_id, description, reporter)
                conn.execute(insert(idempotency_keys).values(
                    client=client, idempotency_key=idempotency_key, request_sha256=fingerprint,
                    incident_id=iid, created_at=_now()))
                return self._incident(conn, iid), True
        except IntegrityError:
            # the same key committed by a concurrent request between our read and our write
            replay = self._replay(client, idempotency_key, fingerprint)
            if replay is None:
                raise
            return replay, False

    def _replay(self, client: str, key: str, fingerprint: str) -> Incident | None:
        """The incident ``key`` recorded for ``client``, or None; raises :class:`IdempotencyConflict`."""
        with self._read() as conn:
            row = conn.execute(select(idempotency_keys.c.request_sha256, idempotency_keys.c.incident_id)
                               .where(idempotency_keys.c.client == client,
                                      idempotency_keys.c.idempotency_key == key)).first()
            if row is None:
                return None
            if row.request_sha256 != fingerprint:
                msg = (f"idempotency key {key!r} was already used for incident {row.incident_id}, with a "
                       "different island, description or reporter: use a new key for a new incident")
                raise IdempotencyConflict(msg, incident_id=int(row.incident_id))
            return self._incident(conn, int(row.incident_id))

    @staticmethod
    def _insert_incident(conn: Connection, island_id: str, description: str, reporter: str) -> int:
        iid = conn.execute(insert(incidents).values(island_id=island_id, description=description,
                                                    reporter=reporter, status="open", created_at=_now())
                           ).inserted_primary_key[0]  # type: ignore[index]
        return int(iid)

    def incident(self, incident_id: int) -> Incident:
        """One incident with its assignments; raises :class:`UnknownIncident`."""
        with self._read() as conn:
            return self._incident(conn, incident_id)

    def list_incidents(self, status: str | None = None) -> list[Incident]:
        """Every incident (optionally only ``open`` or ``closed``), newest first, in two queries.

        For a long list, use :meth:`incident_page`.
        """
        with self._read() as conn:
            return self._incidents(conn, conn.execute(self._incident_query(status)).all())

    def incident_page(self, status: str | None = None, *, limit: int = 50,
                      before: int | None = None) -> IncidentPage:
        """One page of incidents, newest first: one query for the incidents, one for their
        assignments.

        Parameters
        ----------
        status : {"open", "closed"}, optional
            Only incidents with this status.
        limit : int
            Incidents per page, 1 to :data:`MAX_PAGE`.
        before : int, optional
            Only incidents with a smaller id: the ``next_cursor`` of the previous page.

        Returns
        -------
        IncidentPage
            ``items`` and ``next_cursor`` (None on the last page). Incidents reported while a
            client pages through appear on no later page (they are newer than its cursor).
        """
        if not 1 <= limit <= MAX_PAGE:
            raise StoreError(f"limit must be 1 to {MAX_PAGE}, got {limit}")
        q = self._incident_query(status)
        if before is not None:
            q = q.where(incidents.c.id < before)
        with self._read() as conn:
            rows = conn.execute(q.limit(limit + 1)).all()
            items = self._incidents(conn, rows[:limit])
        return IncidentPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)

    @staticmethod
    def _incident_query(status: str | None) -> Select[Any]:
        q = select(incidents).order_by(incidents.c.id.desc())
        if status is not None:
            q = q.where(incidents.c.status == status)
        return q

    @staticmethod
    def _incidents(conn: Connection, rows: Sequence[Row[Any]]) -> list[Incident]:
        """``rows`` of incidents with their assignments: one query per 500 incidents."""
        ids = [int(r.id) for r in rows]
        by_incident: dict[int, list[Row[Any]]] = {}
        for start in range(0, len(ids), MAX_PAGE + 1):
            chunk = ids[start:start + MAX_PAGE + 1]
            for a in conn.execute(select(assignments).where(assignments.c.incident_id.in_(chunk))
                                  .order_by(assignments.c.id)):
                by_incident.setdefault(int(a.incident_id), []).append(a)
        return [_incident_row(r, by_incident.get(int(r.id), [])) for r in rows]

    def _incident(self, conn: Connection, incident_id: int) -> Incident:
        row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        if row is None:
            raise UnknownIncident(f"no incident {incident_id}")
        asg = conn.execute(select(assignments).where(assignments.c.incident_id == incident_id)
                           .order_by(assignments.c.id)).all()
        return _incident_row(row, asg)

    def assign(self, incident_id: int, team_id: str) -> Incident:
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

    def close_incident(self, incident_id: int) -> Incident:
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
            # released teams stay where the incident was until they are moved or return
            island = conn.scalar(select(incidents.c.island_id).where(incidents.c.id == incident_id))
            conn.execute(update(team_status).where(team_status.c.incident_id == incident_id)
                         .values(status="available", incident_id=None, updated_at=now, at_kind="island",
                                 at_ref=island, at_set=now, lon=None, lat=None))
            return self._incident(conn, incident_id)

    # ------------------------------------------------------------------ scenarios
    def save_scenario(self, name: str, spec: Mapping[str, Any]) -> int:
        """Store a scenario (JSON spec); returns its id.

        Raises
        ------
        InvalidText
            ``name`` holds a NUL character or a lone surrogate.
        """
        _check_text(name=name)
        with self._write() as conn:
            sid = conn.execute(insert(scenarios).values(name=name, spec=dict(spec), created_at=_now())
                               ).inserted_primary_key[0]  # type: ignore[index]
        return int(sid)

    def scenario(self, scenario_id: int) -> StoredScenario:
        """A stored scenario; raises :class:`UnknownScenario`."""
        with self._read() as conn:
            row = conn.execute(select(scenarios).where(scenarios.c.id == scenario_id)).first()
        if row is None:
            raise UnknownScenario(f"no scenario {scenario_id}")
        return StoredScenario(int(row.id), row.name, dict(row.spec), _utc(row.created_at))

    # ------------------------------------------------------------------ suspensions
    def add_suspension(self, scope: str, ref: str, *, starts: datetime, ends: datetime | None,
                       source: str, note: str = "") -> Suspension:
        """Record a suspension notice (the caller checks ``ref`` against the model).

        Parameters
        ----------
        scope : str
            One of :data:`islandcover.situation.SUSPENSION_SCOPES`.
        ref : str
            What it names (empty for ``all``).
        starts, ends : datetime
            Its time window (aware); ``ends`` None: until revoked.
        source : str
            Who issued it or where it was read (required: a notice without a source is a rumour).

        Raises
        ------
        StoreError
            Unknown scope, a naive time, ``ends`` not after ``starts``, no source.
        """
        if scope not in SUSPENSION_SCOPES:
            raise StoreError(f"scope must be one of {', '.join(SUSPENSION_SCOPES)}, got {scope!r}")
        if starts.tzinfo is None or (ends is not None and ends.tzinfo is None):
            raise StoreError("suspension times need a time zone (e.g. +08:00 for Beijing time)")
        if ends is not None and ends <= starts:
            raise StoreError(f"a suspension must end after it starts ({ends.isoformat()} ≤ {starts.isoformat()})")
        if not source.strip():
            raise StoreError("a suspension needs its source (who issued the notice)")
        _check_text(ref=ref, source=source, note=note)
        with self._write() as conn:
            sid = conn.execute(insert(suspensions).values(
                scope=scope, ref=ref, starts_at=starts.astimezone(UTC), ends_at=None if ends is None else ends.astimezone(UTC),
                source=source, note=note, created_at=_now())).inserted_primary_key[0]  # type: ignore[index]
        return Suspension(int(sid), scope, ref, starts.astimezone(UTC), None if ends is None else ends.astimezone(UTC),
                          source, note)

    def suspensions(self) -> list[Suspension]:
        """Every suspension notice not revoked, oldest first."""
        with self._read() as conn:
            return [_suspension(r) for r in conn.execute(
                select(suspensions).where(suspensions.c.revoked_at.is_(None)).order_by(suspensions.c.id))]

    def revoke_suspension(self, suspension_id: int) -> Suspension:
        """Withdraw a notice (the links it closed reopen, wind permitting).

        Raises
        ------
        UnknownSuspension
            No notice in force has this id.
        """
        with self._write() as conn:
            row = conn.execute(select(suspensions).where(suspensions.c.id == suspension_id,
                                                         suspensions.c.revoked_at.is_(None))).first()
            if row is None:
                raise UnknownSuspension(f"no suspension notice {suspension_id} in force (see `islandcover suspend --list`)")
            conn.execute(update(suspensions).where(suspensions.c.id == suspension_id).values(revoked_at=_now()))
        return _suspension(row)

    # ------------------------------------------------------------------ the situation
    def situation(self) -> Situation:
        """The live situation in one read: every team's status and position, the notices, when
        it was read and the state version (:class:`islandcover.situation.Situation`)."""
        with self._read() as conn:
            version = int(conn.scalar(select(state_version.c.version).where(state_version.c.id == 1)) or 0)
            teams = {r.team_id: TeamNow(r.team_id, r.status, r.at_kind or "station", r.at_ref or "", _aware(r.at_set))
                     for r in conn.execute(select(team_status))}
            notes = tuple(_suspension(r) for r in conn.execute(
                select(suspensions).where(suspensions.c.revoked_at.is_(None)).order_by(suspensions.c.id)))
        return Situation(teams=teams, suspensions=notes, as_of=_now(), version=version,
                         source=self.engine.url.render_as_string(hide_password=True))

    # ------------------------------------------------------------------ API keys
    def create_key(self, role: str, label: str | None = None) -> str:
        """Create an API key with ``role``; returns the key (shown once, stored only hashed)."""
        if role not in ROLES:
            raise StoreError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        _check_text(label=label)
        key = secrets.token_urlsafe(32)
        with self._write() as conn:
            conn.execute(insert(api_keys).values(role=role, key_sha256=hash_key(key), label=label,
                                                 created_at=_now()))
        return key

    def key_role(self, key: str) -> str | None:
        """The role of an API key, or None for an unknown or revoked key."""
        with self._read() as conn:
            return conn.scalar(select(api_keys.c.role).where(api_keys.c.key_sha256 == hash_key(key),
                                                             api_keys.c.revoked_at.is_(None)))

    def list_keys(self) -> list[ApiKey]:
        """Every API key, oldest first (never the key nor its hash)."""
        with self._read() as conn:
            rows = conn.execute(select(*_KEY_COLUMNS).order_by(api_keys.c.id)).all()
        return [_key_row(r) for r in rows]

    def revoke_key(self, key_id: int) -> tuple[ApiKey, bool]:
        """Revoke the API key ``key_id``: from now on it has no role (the API answers 401).

        Returns
        -------
        (key, revoked_now) : tuple of ApiKey and bool
            The key as :meth:`list_keys` shows it; ``revoked_now`` is False when it was revoked
            before (its ``revoked_at`` is kept).

        Raises
        ------
        UnknownKey
            No key has this id.
        """
        with self._write() as conn:
            res = conn.execute(update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                               .values(revoked_at=_now()))
            row = conn.execute(select(*_KEY_COLUMNS).where(api_keys.c.id == key_id)).first()
            if row is None:
                raise UnknownKey(f"no API key with id {key_id} (see `islandcover keys list`)")
            return _key_row(row), res.rowcount == 1

    def count(self, table: str) -> int:
        """Rows in one table (for tests and health checks)."""
        t = metadata.tables[table]
        with self._read() as conn:
            return int(conn.scalar(select(func.count()).select_from(t)) or 0)


# what `keys list` shows of a key: never the key, nor its hash
_KEY_COLUMNS = (api_keys.c.id, api_keys.c.role, api_keys.c.label, api_keys.c.created_at, api_keys.c.revoked_at)


def _suspension(row: Any) -> Suspension:
    return Suspension(int(row.id), row.scope, row.ref, _aware(row.starts_at), _aware(row.ends_at),  # type: ignore[arg-type]
                      row.source, row.note)


def _key_row(row: Any) -> ApiKey:
    return ApiKey(int(row.id), row.role, row.label, _utc(row.created_at), _utc(row.revoked_at))


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
