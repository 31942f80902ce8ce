"""A throwaway PostgreSQL server for the tests: its own data folder, a free port, gone at the end.

:func:`missing` says why no server can be started here (no ``initdb``/``postgres`` binaries on
PATH or under ``/usr/lib/postgresql/*/bin``, no psycopg); :class:`Postgres` starts one with
``pg_ctl`` (as the ``postgres`` user, or ``nobody``, when the tests run as root: postgres refuses
to run as root), and :meth:`Postgres.new_database` gives each test a database of its own.
The server runs with ``fsync=off``: it holds nothing worth keeping.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Self

import pytest

__all__ = ["BACKENDS", "Postgres", "backend_url", "find_bin_dir", "missing"]

#: The store backends the store and API-state tests run on (the ``postgres`` fixture of
#: tests/conftest.py starts the server).
BACKENDS = ("sqlite", "postgresql")


def backend_url(request: pytest.FixtureRequest, backend: str, folder: Path) -> str:
    """A new, empty database of ``backend``: a SQLite file ``state.db`` in ``folder``, or a new
    database on the session's PostgreSQL server (skipped, with the reason, when there is none)."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'state.db'}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.new_database()


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``: PATH first, then the newest
    ``/usr/lib/postgresql/*/bin`` (Debian's ``postgresql`` package does not put them on PATH)."""
    names = ("initdb", "pg_ctl", "postgres")
    on_path = [shutil.which(n) for n in names]
    if all(on_path):
        folders = {Path(os.path.realpath(p)).parent for p in on_path if p}
        if len(folders) == 1:
            return folders.pop()
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    for folder in candidates:
        if all((folder / n).is_file() for n in names):
            return folder
    return None


def _run_as() -> str | None:
    """The user to run postgres as: None when not root, else ``postgres`` or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    return None


def missing() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when they can."""
    if find_bin_dir() is None:
        return ("no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or in "
                "/usr/lib/postgresql/*/bin: install Debian's postgresql package")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install -e '.[postgres]'"
    if os.geteuid() == 0 and _run_as() is None:
        return "running as root and no 'postgres' or 'nobody' user to run the server as"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start the server as another user"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres:
    """A PostgreSQL server in a temporary folder; use as a context manager.

    Attributes
    ----------
    port : int
        The TCP port on 127.0.0.1.
    user : str
        The superuser name (``postgres``), trusted without a password on 127.0.0.1.
    """

    user = "postgres"

    def __init__(self) -> None:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(missing() or "no PostgreSQL binaries")
        self.bin_dir = bin_dir
        self.run_as = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="islandcover-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._databases = 0
        self._started = False

    def _cmd(self, argv: Sequence[str]) -> list[str]:
        cmd = [str(self.bin_dir / argv[0]), *argv[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def start(self) -> Self:
        """initdb, then start the server and wait until it accepts connections."""
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)
        self._run(["initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8",
                   "--no-sync", "--no-instructions"])
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._started = True  # pg_ctl may have started it even when it reports a failure
        self._run(["pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"),
                   "-w", "-t", "60", "start"])
        return self

    def _run(self, argv: Sequence[str]) -> None:
        done = subprocess.run(self._cmd(argv), capture_output=True, text=True, cwd=self.root, check=False)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            msg = f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}\n{tail}"
            raise RuntimeError(msg)

    def stop(self) -> None:
        """Stop the server (immediate: nothing to keep) and delete its folder."""
        if self._started:
            subprocess.run(self._cmd(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                           capture_output=True, cwd=self.root, check=False)
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create a new empty database; returns its URL."""
        import psycopg

        self._databases += 1
        name = f"islandcover_{self._databases}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
